//! Benchmarks live in `benches/`; `cargo xtask bench` runs them and reports ratios.
