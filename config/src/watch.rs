//! Change notifications: [`Subscription`] and the [`Change`]s it receives.

use std::fmt;
use std::sync::Arc;

use corers_log::REDACTED;
use corers_primitives::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::Source;
use crate::key::is_under;
use crate::secret::Secrets;

/// One key whose value changed. Its `Debug` redacts the value of a secret-looking key
/// (and the secret entries of a table), as [`Config::dump`](crate::Config::dump) does:
/// with the config's own idea of a secret, its logger's patterns included.
#[derive(Clone)]
#[non_exhaustive]
pub struct Change {
    /// The dotted key.
    pub key: String,
    /// The new value; `None` when the key is gone.
    pub value: Option<Value>,
    /// Where the new value came from; `None` when the key is gone.
    pub source: Option<Source>,
    /// The config's secrets, for `Debug`.
    pub(crate) secrets: Arc<Secrets>,
}

impl PartialEq for Change {
    /// The key, the value and the source (not how they are shown).
    fn eq(&self, other: &Change) -> bool {
        (&self.key, &self.value, &self.source) == (&other.key, &other.value, &other.source)
    }
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.as_ref().map(|value| {
            self.secrets
                .shown(&self.key, value)
                .unwrap_or_else(|| Value::from(REDACTED))
        });
        f.debug_struct("Change")
            .field("key", &self.key)
            .field("value", &value)
            .field("source", &self.source)
            .finish()
    }
}

/// The changes under one key or prefix, one batch per write that changed any of them
/// (a `set_many` or a `reload` is one batch). From [`Config::subscribe`](crate::Config::subscribe).
///
/// Batches queue without bound until read, so a subscriber should keep reading or be
/// dropped; a dropped subscription is forgotten at the next change or subscription.
#[derive(Debug)]
#[must_use = "dropped, the subscription receives nothing"]
pub struct Subscription {
    receiver: UnboundedReceiver<Vec<Change>>,
}

impl Subscription {
    /// Waits for the next batch; `None` once the config is gone.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use corers_config::Config;
    /// let config = Config::new();
    /// let mut database = config.subscribe("database");
    /// config.set("database.port", 5432).unwrap();
    /// let batch = database.changed().await.unwrap();
    /// assert_eq!(batch[0].key, "database.port");
    /// # });
    /// ```
    pub async fn changed(&mut self) -> Option<Vec<Change>> {
        self.receiver.recv().await
    }

    /// The next batch if one is waiting, without waiting.
    ///
    /// ```
    /// use corers_config::Config;
    /// let config = Config::new();
    /// let mut features = config.subscribe("features");
    /// assert!(features.try_changed().is_none());
    /// config.enable("beta-ui").unwrap();
    /// assert_eq!(features.try_changed().unwrap()[0].key, "features.beta-ui");
    /// ```
    pub fn try_changed(&mut self) -> Option<Vec<Change>> {
        self.receiver.try_recv().ok()
    }
}

/// The sending side of one subscription.
pub(crate) struct Subscriber {
    prefix: String,
    sender: UnboundedSender<Vec<Change>>,
}

impl Subscriber {
    pub(crate) fn new(prefix: &str) -> (Subscriber, Subscription) {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        (
            Subscriber {
                prefix: prefix.to_owned(),
                sender,
            },
            Subscription { receiver },
        )
    }

    /// Whether its subscription is still held.
    pub(crate) fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Sends the changes under this subscriber's prefix, if any; `false` once the
    /// subscription was dropped.
    pub(crate) fn notify(&self, changes: &[Change]) -> bool {
        if self.sender.is_closed() {
            return false;
        }
        let mine: Vec<Change> = changes
            .iter()
            .filter(|c| is_under(&c.key, &self.prefix))
            .cloned()
            .collect();
        mine.is_empty() || self.sender.send(mine).is_ok()
    }
}
