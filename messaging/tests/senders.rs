//! Sender names are kept for the life of the process, so their number is bounded: a test
//! binary of its own, as the names it uses up are the process's.

use corers_messaging::RunCtx;

#[test]
fn run_ctx_with_sender_past_the_most_kept_is_too_many_senders_ugly() {
    // A sender per session: the first 4,096 names are kept, later ones are not.
    for session in 0..4_096 {
        let name = format!("session-{session}");
        assert_eq!(
            RunCtx::new().with_sender(&name).sender(),
            Some(name.as_str())
        );
    }
    let late = RunCtx::new().with_sender("session-4096");
    assert_eq!(late.sender(), Some("(too many senders)"));
    // A name kept before is still itself.
    let early = RunCtx::new().with_sender("session-7");
    assert_eq!(early.sender(), Some("session-7"));
}
