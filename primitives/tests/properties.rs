//! Property tests: Value's JSON round trip, Options and Registry against simple models, and
//! validators that never accept an escaping path and never panic.

mod strategies;

use corers_primitives::{
    ErrorCode, Mode, Options, Registry, Value, from_value, validate_name, validate_path,
};
use proptest::prelude::*;
use strategies::{hostile_path, json_value, key};

#[derive(Debug, Clone)]
enum OptionsOp {
    Set(String, i64),
    Remove(String),
}

#[derive(Debug, Clone)]
enum RegistryOp {
    Set(String, u32),
    Register(String, u32),
    Delete(String),
    Disable(String),
    Enable(String),
    Seal,
    Lock,
}

fn registry_op() -> impl Strategy<Value = RegistryOp> {
    prop_oneof![
        4 => (key(), any::<u32>()).prop_map(|(k, v)| RegistryOp::Set(k, v)),
        3 => (key(), any::<u32>()).prop_map(|(k, v)| RegistryOp::Register(k, v)),
        2 => key().prop_map(RegistryOp::Delete),
        2 => key().prop_map(RegistryOp::Disable),
        2 => key().prop_map(RegistryOp::Enable),
        1 => Just(RegistryOp::Seal),
        1 => Just(RegistryOp::Lock),
    ]
}

/// The registry's documented behaviour, written the slow and obvious way.
#[derive(Default)]
struct Model {
    entries: Vec<(String, u32, bool)>,
    mode: Option<Mode>,
}

impl Model {
    fn mode(&self) -> Mode {
        self.mode.unwrap_or(Mode::Open)
    }
    fn position(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|(n, _, _)| n == name)
    }
    /// Applies `op`; returns the error code the registry must report, if any.
    fn apply(&mut self, op: &RegistryOp) -> Option<ErrorCode> {
        let mode = self.mode();
        match op {
            RegistryOp::Set(name, value) => match (self.position(name), mode) {
                (_, Mode::Locked) | (None, Mode::Sealed) => Some(ErrorCode::LOCKED),
                (Some(i), _) => {
                    self.entries[i].1 = *value;
                    None
                }
                (None, _) => {
                    self.entries.push((name.clone(), *value, true));
                    None
                }
            },
            RegistryOp::Register(name, value) => {
                if mode != Mode::Open {
                    Some(ErrorCode::LOCKED)
                } else if self.position(name).is_some() {
                    Some(ErrorCode::CONFLICT)
                } else {
                    self.entries.push((name.clone(), *value, true));
                    None
                }
            }
            RegistryOp::Delete(name) => match self.position(name) {
                None => Some(ErrorCode::NOT_FOUND),
                Some(_) if mode != Mode::Open => Some(ErrorCode::LOCKED),
                Some(i) => {
                    self.entries.remove(i);
                    None
                }
            },
            RegistryOp::Disable(name) | RegistryOp::Enable(name) => match self.position(name) {
                None => Some(ErrorCode::NOT_FOUND),
                Some(_) if mode == Mode::Locked => Some(ErrorCode::LOCKED),
                Some(i) => {
                    self.entries[i].2 = matches!(op, RegistryOp::Enable(_));
                    None
                }
            },
            RegistryOp::Seal => {
                self.mode = Some(mode.max(Mode::Sealed));
                None
            }
            RegistryOp::Lock => {
                self.mode = Some(Mode::Locked);
                None
            }
        }
    }
}

fn run_op(registry: &Registry<u32>, op: &RegistryOp) -> Option<ErrorCode> {
    let result = match op {
        RegistryOp::Set(name, value) => registry.set(name, *value),
        RegistryOp::Register(name, value) => registry.register(name, *value),
        RegistryOp::Delete(name) => registry.delete(name).map(|_| ()),
        RegistryOp::Disable(name) => registry.disable(name),
        RegistryOp::Enable(name) => registry.enable(name),
        RegistryOp::Seal => {
            registry.seal();
            Ok(())
        }
        RegistryOp::Lock => {
            registry.lock();
            Ok(())
        }
    };
    result
        .err()
        .map(|e| e.code().cloned().expect("registry errors carry a code"))
}

proptest! {
    #[test]
    fn value_json_round_trip_good(value in json_value()) {
        let json = serde_json::to_string(&value).unwrap();
        let back: Value = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, value);
    }

    #[test]
    fn value_display_revealed_is_json_that_reads_back_good(value in json_value()) {
        // What a command prints (`health --json`) is JSON a script can parse, exactly.
        let shown = value.revealed().to_string();
        let back: Value = serde_json::from_str(&shown).unwrap();
        prop_assert_eq!(back, value);
        prop_assert!(!shown.contains('\n'));
    }

    #[test]
    fn from_value_arbitrary_shapes_never_panic_ugly(value in json_value()) {
        // Any result is fine; what matters is an error instead of a panic.
        let _ = from_value::<(u16, String)>(value.clone());
        let _ = from_value::<Vec<bool>>(value.clone());
        let _ = from_value::<Option<f32>>(value);
    }

    #[test]
    fn options_set_get_len_agree_with_model_good(
        ops in proptest::collection::vec(
            prop_oneof![
                (key(), any::<i64>()).prop_map(|(k, v)| OptionsOp::Set(k, v)),
                key().prop_map(OptionsOp::Remove),
            ],
            0..40,
        )
    ) {
        let mut options = Options::new();
        let mut model: Vec<(String, i64)> = Vec::new();
        for op in &ops {
            match op {
                OptionsOp::Set(k, v) => {
                    options.set(k.clone(), *v);
                    match model.iter_mut().find(|(mk, _)| mk == k) {
                        Some(slot) => slot.1 = *v,
                        None => model.push((k.clone(), *v)),
                    }
                }
                OptionsOp::Remove(k) => {
                    options.remove(k);
                    model.retain(|(mk, _)| mk != k);
                }
            }
            prop_assert_eq!(options.len(), model.len());
            let keys: Vec<&str> = options.keys().collect();
            let model_keys: Vec<&str> = model.iter().map(|(k, _)| k.as_str()).collect();
            prop_assert_eq!(keys, model_keys);
            for (k, v) in &model {
                prop_assert_eq!(options.int(k), Some(*v));
            }
        }
    }

    #[test]
    fn options_get_as_arbitrary_value_never_panics_ugly(value in json_value(), k in key()) {
        let mut options = Options::new();
        options.set(k.clone(), value);
        let _ = options.get_as::<u8>(&k);
        let _ = options.get_as::<std::collections::BTreeMap<String, i64>>(&k);
        prop_assert!(options.get_as::<u8>("missing-key").is_err());
    }

    #[test]
    fn registry_matches_model_good(ops in proptest::collection::vec(registry_op(), 0..60)) {
        let registry = Registry::new("model");
        let mut model = Model::default();
        for op in &ops {
            let expected = model.apply(op);
            let actual = run_op(&registry, op);
            prop_assert_eq!(&actual, &expected, "op {:?}", op);
            prop_assert_eq!(registry.mode(), model.mode());
            let names: Vec<String> = model.entries.iter().map(|(n, _, _)| n.clone()).collect();
            prop_assert_eq!(registry.names(), names);
            for (name, value, enabled) in &model.entries {
                prop_assert_eq!(registry.get(name).map(|v| *v), Some(*value));
                prop_assert_eq!(registry.is_enabled(name), *enabled);
            }
            let enabled: Vec<String> = model
                .entries
                .iter()
                .filter(|(_, _, e)| *e)
                .map(|(n, _, _)| n.clone())
                .collect();
            prop_assert_eq!(registry.list("*"), enabled);
        }
    }

    #[test]
    fn validate_path_never_accepts_an_escape_ugly(path in hostile_path()) {
        if validate_path(&path).is_ok() {
            prop_assert!(!path.starts_with('/'));
            for segment in path.split('/') {
                prop_assert!(!segment.is_empty() && segment != "." && segment != "..");
                prop_assert!(!segment.contains('\\'));
                prop_assert!(!segment.chars().any(char::is_control));
            }
            // Joined under a root, the accepted path stays under it.
            let root = std::path::Path::new("/srv/sandbox");
            let joined = root.join(&path);
            prop_assert!(joined.starts_with(root));
            prop_assert!(joined.components().all(|c| c != std::path::Component::ParentDir));
        } else {
            let err = validate_path(&path).unwrap_err();
            prop_assert_eq!(err.code(), Some(&ErrorCode::INVALID));
        }
    }

    #[test]
    fn registry_names_of_every_length_each_find_their_own_value_good(
        names in proptest::collection::hash_set("[ab]{1,24}", 1..40)
    ) {
        // Names that differ only in a few bytes, at every length around the 8-byte words
        // the name hash reads.
        let registry = Registry::new("names");
        for (i, name) in names.iter().enumerate() {
            registry.set(name, i).unwrap();
        }
        for (i, name) in names.iter().enumerate() {
            let found = registry.get(name);
            prop_assert_eq!(found.as_deref(), Some(&i));
        }
        let longer = format!("{}a", names.iter().max_by_key(|n| n.len()).unwrap());
        prop_assert!(registry.get(&longer).is_none() || names.contains(&longer));
    }

    #[test]
    fn validate_name_arbitrary_text_never_panics_bad(name in "\\PC{0,300}|[\\x00-\\x1f/\\\\.]{0,4}") {
        match validate_name(&name) {
            Ok(accepted) => {
                prop_assert_eq!(accepted, name.as_str());
                prop_assert!(!name.is_empty() && name != "." && name != "..");
                prop_assert!(!name.contains('/') && !name.contains('\\'));
                prop_assert!(name.len() <= 255);
            }
            Err(err) => prop_assert_eq!(err.code(), Some(&ErrorCode::INVALID)),
        }
    }
}
