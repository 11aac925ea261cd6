//! What the child processes the tests start share.

use std::process::ExitCode;

use corers::prelude::*;

/// Runs `core` on `args` in a multi-thread runtime of its own, as a `main` would; its exit
/// status as a number, for the child to exit with.
pub(crate) fn run_in_child(core: &Core, args: &[&str]) -> u8 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let exit = runtime
        .block_on(core.run_with(args.iter().copied()))
        .unwrap();
    // Not waited for: a background task still blocking its thread (one a forced stop gave
    // up on) must not hold the process, as it would not once `main` returned.
    runtime.shutdown_background();
    (0..=u8::MAX).find(|n| ExitCode::from(*n) == exit).unwrap()
}
