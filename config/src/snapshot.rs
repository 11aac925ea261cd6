//! The effective config: one immutable snapshot merged from every layer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use corers_primitives::Value;

use crate::key::{is_under, place};
use crate::secret::Secrets;
use crate::{Change, Source};

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    pub(crate) source: Source,
}

/// The leaves of one layer, by dotted key.
pub(crate) type Flat = BTreeMap<String, Entry>;

/// The effective leaves, sorted by key, with a hash index for point reads.
#[derive(Default)]
pub(crate) struct Snapshot {
    entries: Vec<(String, Entry)>,
    index: HashMap<String, usize>,
}

impl Snapshot {
    /// Merges `layers`, weakest first: a key replaces the same key, its ancestors and its
    /// descendants from weaker layers.
    pub(crate) fn merge<'a>(layers: impl IntoIterator<Item = &'a Flat>) -> Snapshot {
        let mut merged = Flat::new();
        for layer in layers {
            for (key, entry) in layer {
                place(&mut merged, key, entry.clone());
            }
        }
        let entries: Vec<(String, Entry)> = merged.into_iter().collect();
        let index = entries
            .iter()
            .enumerate()
            .map(|(at, (key, _))| (key.clone(), at))
            .collect();
        Snapshot { entries, index }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).map(|&at| &self.entries[at].1)
    }

    /// Every leaf, sorted by key.
    pub(crate) fn entries(&self) -> &[(String, Entry)] {
        &self.entries
    }

    /// The leaves at or under `prefix`, sorted by key.
    pub(crate) fn under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a (String, Entry)> {
        let start = self
            .entries
            .partition_point(|(key, _)| key.as_str() < prefix);
        self.entries[start..]
            .iter()
            .take_while(move |(key, _)| key.starts_with(prefix))
            .filter(move |(key, _)| is_under(key, prefix))
    }

    /// The keys whose value differs between `self` and `next` (added, changed or removed),
    /// sorted by key. A value that only moved to another layer is not a change.
    pub(crate) fn changes(&self, next: &Snapshot, secrets: &Arc<Secrets>) -> Vec<Change> {
        let mut changes = Vec::new();
        for (key, entry) in &next.entries {
            if self.get(key).is_none_or(|old| old.value != entry.value) {
                changes.push(Change {
                    key: key.clone(),
                    value: Some(entry.value.clone()),
                    source: Some(entry.source.clone()),
                    secrets: Arc::clone(secrets),
                });
            }
        }
        for (key, _) in &self.entries {
            if next.get(key).is_none() {
                changes.push(Change {
                    key: key.clone(),
                    value: None,
                    source: None,
                    secrets: Arc::clone(secrets),
                });
            }
        }
        changes.sort_by(|a, b| a.key.cmp(&b.key));
        changes
    }
}
