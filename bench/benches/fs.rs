//! The sandboxed filesystem beside plain std doing the same job, in the same run.
//!
//! - `fs/write_4k_atomic` vs `baseline/tempfile_persist_fsync_4k`: a durable atomic write
//!   of 4 KiB (temp file, write, fsync, rename, fsync the directory), by hand with std
//! - `fs/read_4k` (sandboxed) vs `baseline/std_read_4k`

use std::fs::{self, File};
use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;

use corers_fs::Fs;
use criterion::{Criterion, criterion_group, criterion_main};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corers-fs-bench-{}", corers_primitives::id()));
    fs::create_dir_all(dir.join("notes")).expect("a scratch directory for the benchmark");
    dir
}

fn write_4k(c: &mut Criterion) {
    let dir = scratch();
    let payload = vec![b'w'; 4096];
    let sandbox = Fs::new(&dir).expect("the scratch directory opens");
    c.bench_function("fs/write_4k_atomic", |b| {
        b.iter(|| {
            sandbox
                .write("notes/plan.md", black_box(&payload))
                .expect("write");
        });
    });

    let target = dir.join("notes/baseline.md");
    let parent = dir.join("notes");
    let mut n = 0u64;
    c.bench_function("baseline/tempfile_persist_fsync_4k", |b| {
        b.iter(|| {
            n += 1;
            let temp = parent.join(format!(".baseline.md.tmp-{n}"));
            let mut file = File::create(&temp).expect("create");
            file.write_all(black_box(&payload)).expect("write");
            file.sync_all().expect("sync");
            drop(file);
            fs::rename(&temp, &target).expect("rename");
            File::open(&parent)
                .expect("open dir")
                .sync_all()
                .expect("sync dir");
        });
    });

    fs::write(dir.join("notes/read.md"), &payload).expect("seed");
    c.bench_function("fs/read_4k", |b| {
        b.iter(|| black_box(sandbox.read("notes/read.md").expect("read")));
    });
    let plain = dir.join("notes/read.md");
    c.bench_function("baseline/std_read_4k", |b| {
        b.iter(|| black_box(fs::read(&plain).expect("read")));
    });
    let _ = fs::remove_dir_all(&dir);
}

criterion_group!(benches, write_4k);
criterion_main!(benches);
