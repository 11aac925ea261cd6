//! Config keys: dotted paths (`database.port`) and the flat form nested values take.

use std::collections::BTreeMap;

use corers_primitives::{Error, ErrorCode, Result, Value};

/// The most segments a key may have: nesting deeper than this is refused rather than
/// walked (and dropped) recursively.
const MAX_KEY_DEPTH: usize = 64;

/// The longest a key may be, in bytes.
const MAX_KEY_LEN: usize = 1024;

/// Reports whether `segment` can be one segment of a key: ASCII letters, digits, `_` and
/// `-`, not empty, not starting with `-` (so a flag spelling like `--workers` is never a
/// key) — and so never a `.`, which would make it two segments.
pub(crate) fn is_segment(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with('-')
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks a dotted key: at most [`MAX_KEY_DEPTH`] segments and [`MAX_KEY_LEN`] bytes, each
/// segment one [`is_segment`] accepts.
pub(crate) fn check_key(op: &'static str, key: &str) -> Result<()> {
    if key.len() > MAX_KEY_LEN || key.split('.').nth(MAX_KEY_DEPTH).is_some() {
        let shown: String = key.chars().take(40).collect();
        return Err(Error::new(
            op,
            format!(
                "config key {shown:?}… is too long: at most {MAX_KEY_DEPTH} segments and \
                 {MAX_KEY_LEN} bytes"
            ),
        )
        .with_code(ErrorCode::INVALID));
    }
    let valid = !key.is_empty() && key.split('.').all(is_segment);
    if valid {
        return Ok(());
    }
    Err(Error::new(
        op,
        format!(
            "invalid config key {key:?}: use dot-separated words of letters, digits, '_' and '-' \
             like \"database.port\""
        ),
    )
    .with_code(ErrorCode::INVALID))
}

/// Reports whether `key` is `prefix` or lies under it (`""` is the whole config).
pub(crate) fn is_under(key: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || key
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Reports whether a table's names are data rather than config keys: one of them is no
/// key segment (a host `"db.lan"`, a route `"/api"`, an address `"alice@example.com"`).
/// Such a table is one value, never split into keys: read whole
/// (`extract::<HashMap<String, Upstream>>("upstreams")`), and replaced whole by a
/// stronger layer.
pub(crate) fn is_data_table<'a>(mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|name| !is_segment(name))
}

/// What [`flatten`] makes of an empty map below the root.
#[derive(Clone, Copy)]
pub(crate) enum EmptyTables {
    /// Nothing: an empty `[section]` in a file adds no key, and leaves a weaker layer's
    /// keys under it alone.
    Drop,
    /// A leaf of its own: a default's empty map (`upstreams: HashMap::new()`) reads back
    /// as an empty map, so the defaults struct extracts whole. A stronger layer's key
    /// under it replaces it.
    Keep,
}

/// `value` as leaves under `key`: maps become one leaf per nested key, everything else
/// (lists, and [tables of data](is_data_table) below the root) is a leaf of its own. An
/// empty map below the root is as `empty` says.
///
/// # Errors
/// [`ErrorCode::INVALID`] when a top-level map key is not a valid key segment.
pub(crate) fn flatten(
    op: &'static str,
    key: &str,
    value: Value,
    empty: EmptyTables,
    out: &mut Vec<(String, Value)>,
) -> Result<()> {
    match value {
        Value::Map(entries)
            if key.is_empty()
                || !(entries.is_empty() && matches!(empty, EmptyTables::Keep)
                    || is_data_table(entries.keys().map(String::as_str))) =>
        {
            for (segment, value) in entries {
                let nested = if key.is_empty() {
                    segment
                } else {
                    format!("{key}.{segment}")
                };
                check_key(op, &nested)?;
                flatten(op, &nested, value, empty, out)?;
            }
            Ok(())
        }
        leaf => {
            check_key(op, key)?;
            if !is_finite(&leaf) {
                // NaN is unequal to itself: every later write would report the key changed.
                return Err(
                    Error::new(op, format!("value for {key:?} is not a finite number"))
                        .with_code(ErrorCode::INVALID),
                );
            }
            out.push((key.to_owned(), leaf));
            Ok(())
        }
    }
}

/// Reports whether `value` holds no NaN or infinity, at any depth.
fn is_finite(value: &Value) -> bool {
    match value {
        Value::Float(f) => f.is_finite(),
        Value::List(items) => items.iter().all(is_finite),
        Value::Map(entries) => entries.values().all(is_finite),
        _ => true,
    }
}

/// Puts `value` at `key` in `flat`, first removing what it replaces: the key's ancestors
/// (a leaf where a table now starts) and descendants (a table where a leaf now is).
pub(crate) fn place<V>(flat: &mut BTreeMap<String, V>, key: &str, value: V) {
    remove_tree(flat, key);
    for (at, _) in key.match_indices('.') {
        flat.remove(&key[..at]);
    }
    flat.insert(key.to_owned(), value);
}

/// Removes `key` and every key under it; reports whether anything was there.
pub(crate) fn remove_tree<V>(flat: &mut BTreeMap<String, V>, key: &str) -> bool {
    let mut removed = flat.remove(key).is_some();
    // '/' is the byte after '.', so this range is exactly the keys starting with "key.".
    let under: Vec<String> = flat
        .range(format!("{key}.")..format!("{key}/"))
        .map(|(k, _)| k.clone())
        .collect();
    for k in under {
        flat.remove(&k);
        removed = true;
    }
    removed
}

/// Rebuilds the nested value of the leaves under `prefix` (keys relative to it).
pub(crate) fn nest<'a>(prefix: &str, leaves: impl Iterator<Item = (&'a str, &'a Value)>) -> Value {
    let mut root = BTreeMap::new();
    for (key, value) in leaves {
        let relative = if prefix.is_empty() {
            key
        } else {
            key.get(prefix.len() + 1..).unwrap_or_default()
        };
        insert_nested(&mut root, relative, value.clone());
    }
    Value::Map(root)
}

fn insert_nested(map: &mut BTreeMap<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            map.insert(key.to_owned(), value);
        }
        Some((head, rest)) => {
            let child = map
                .entry(head.to_owned())
                .or_insert_with(|| Value::Map(BTreeMap::new()));
            if let Value::Map(child) = child {
                insert_nested(child, rest, value);
            }
        }
    }
}
