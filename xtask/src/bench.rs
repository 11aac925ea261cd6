//! `cargo xtask bench`: run the criterion benches and report each result as a ratio to the
//! baseline measured in the same run.
//!
//! The pairs live in `bench/baselines.toml`:
//!
//! ```toml
//! [[pair]]
//! id = "registry/get_hit"
//! baseline = "dashmap/get_hit"
//! max_ratio = 1.5
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::cmd::{self, cargo, workspace_root};

const HELP: &str = "\
cargo xtask bench — criterion benches, each reported as a ratio to its baseline

USAGE:
    cargo xtask bench [--quick] [--strict] [FILTER]

OPTIONS:
    --quick    criterion's quick mode: fewer samples, for a fast look
    --strict   exit non-zero when a ratio is above its budget (max_ratio), or when a
               budgeted pair the run selected was not measured
    FILTER     run only benchmarks whose id contains FILTER, plus their baselines

Writes target/bench-report.json: [{\"id\", \"ns\", \"baseline_id\", \"baseline_ns\", \"ratio\"}]";

#[derive(Deserialize)]
struct Baselines {
    pair: Vec<Pair>,
    /// Benchmarks reported per unit of work too (`core/build_100_services` per service).
    #[serde(default)]
    per_unit: Vec<PerUnit>,
}

#[derive(Deserialize)]
struct PerUnit {
    id: String,
    count: u32,
    unit: String,
}

#[derive(Deserialize)]
struct Pair {
    id: String,
    baseline: String,
    max_ratio: Option<f64>,
}

#[derive(Serialize)]
struct Row {
    id: String,
    ns: f64,
    baseline_id: Option<String>,
    baseline_ns: Option<f64>,
    ratio: Option<f64>,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut quick = false;
    let mut strict = false;
    let mut filter = None;
    for arg in args {
        match arg.as_str() {
            "--help" | "-h" => {
                println!("{HELP}");
                return Ok(());
            }
            "--quick" => quick = true,
            "--strict" => strict = true,
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other:?}\n\n{HELP}"));
            }
            other if filter.is_none() => filter = Some(other.to_owned()),
            other => return Err(format!("only one FILTER is accepted, got {other:?}")),
        }
    }

    let root = workspace_root();
    let Baselines {
        pair: pairs,
        per_unit,
    } = read_baselines(&root.join("bench/baselines.toml"))?;
    let regex = criterion_filter(&pairs, filter.as_deref());

    let started = SystemTime::now();
    let mut command = cargo();
    command.args(["bench", "-p", "corers-bench", "--benches", "--"]);
    if quick {
        command.arg("--quick");
    }
    if let Some(regex) = &regex {
        command.arg(regex);
    }
    cmd::run("bench", &mut command)?;

    let results = read_results(&root.join("target/criterion"), started)?;
    let rows = rows(&pairs, &results);
    let report = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
    let path = root.join("target/bench-report.json");
    fs::write(&path, report).map_err(|e| format!("{}: {e}", path.display()))?;

    let mut over = Vec::new();
    println!(
        "{:<48} {:>12}  {:<40} {:>7}",
        "id", "ns", "baseline", "ratio"
    );
    for row in &rows {
        let budget = pairs
            .iter()
            .find(|p| Some(&p.baseline) == row.baseline_id.as_ref() && p.id == row.id)
            .and_then(|p| p.max_ratio);
        let verdict = match (row.ratio, budget) {
            (Some(ratio), Some(max)) if ratio > max => {
                over.push(format!(
                    "{} vs {}: {ratio:.2} > {max}",
                    row.id,
                    row.baseline_id.as_deref().unwrap_or("")
                ));
                format!("  OVER (max {max})")
            }
            (Some(_), Some(max)) => format!("  ok (max {max})"),
            _ => String::new(),
        };
        println!(
            "{:<48} {:>12.1}  {:<40} {:>7}{verdict}",
            row.id,
            row.ns,
            row.baseline_id.as_deref().unwrap_or("-"),
            row.ratio
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
        );
    }
    for unit in &per_unit {
        if let Some(ns) = results.get(&unit.id) {
            println!(
                "{:<48} {:>12.1}  per {}",
                unit.id,
                ns / f64::from(unit.count.max(1)),
                unit.unit
            );
        }
    }
    // A budget is checked only when both sides were measured: a pair the run selected but
    // did not measure (renamed, or its bench failed to run) is no pass.
    let selected = |p: &Pair| {
        filter
            .as_deref()
            .is_none_or(|f| p.id.contains(f) || p.baseline.contains(f))
    };
    for pair in pairs
        .iter()
        .filter(|p| p.max_ratio.is_some() && selected(p))
    {
        if !(results.contains_key(&pair.id) && results.contains_key(&pair.baseline)) {
            println!("{:<48} not measured (baseline {})", pair.id, pair.baseline);
            over.push(format!("{} vs {}: not measured", pair.id, pair.baseline));
        }
    }
    eprintln!("xtask bench: wrote {}", path.display());
    if strict && !over.is_empty() {
        return Err(format!("over budget:\n  {}", over.join("\n  ")));
    }
    Ok(())
}

fn read_baselines(path: &Path) -> Result<Baselines, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The criterion filter: the ids of pairs matching `filter`, with their baselines; the raw
/// filter when it matches no pair; nothing when there is no filter.
fn criterion_filter(pairs: &[Pair], filter: Option<&str>) -> Option<String> {
    let filter = filter?;
    let mut ids: Vec<&str> = pairs
        .iter()
        .filter(|p| p.id.contains(filter) || p.baseline.contains(filter))
        .flat_map(|p| [p.id.as_str(), p.baseline.as_str()])
        .collect();
    if ids.is_empty() {
        return Some(filter.to_owned());
    }
    ids.sort_unstable();
    ids.dedup();
    Some(format!("^({})$", ids.join("|")))
}

/// `full_id` → nanoseconds per iteration, for every benchmark criterion wrote since `since`.
fn read_results(dir: &Path, since: SystemTime) -> Result<BTreeMap<String, f64>, String> {
    let mut results = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    if let Some((id, ns)) = read_estimate(&path, since)? {
                        results.insert(id, ns);
                    }
                } else {
                    stack.push(path);
                }
            }
        }
    }
    Ok(results)
}

fn read_estimate(new: &Path, since: SystemTime) -> Result<Option<(String, f64)>, String> {
    let estimates = new.join("estimates.json");
    let fresh = fs::metadata(&estimates)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    if !fresh {
        return Ok(None);
    }
    let read = |path: &Path| -> Result<serde_json::Value, String> {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let benchmark = read(&new.join("benchmark.json"))?;
    let estimates = read(&estimates)?;
    let id = benchmark["full_id"].as_str().unwrap_or_default().to_owned();
    let ns = estimates["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| estimates["mean"]["point_estimate"].as_f64());
    Ok(ns.map(|ns| (id, ns)))
}

fn rows(pairs: &[Pair], results: &BTreeMap<String, f64>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (id, &ns) in results {
        let mine: Vec<&Pair> = pairs.iter().filter(|p| &p.id == id).collect();
        if mine.is_empty() {
            rows.push(Row {
                id: id.clone(),
                ns,
                baseline_id: None,
                baseline_ns: None,
                ratio: None,
            });
        }
        for pair in mine {
            let baseline_ns = results.get(&pair.baseline).copied();
            rows.push(Row {
                id: id.clone(),
                ns,
                baseline_id: Some(pair.baseline.clone()),
                baseline_ns,
                ratio: baseline_ns.map(|b| ns / b),
            });
        }
    }
    rows
}
