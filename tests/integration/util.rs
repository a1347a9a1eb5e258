//! Shared helpers for the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped default model.
pub fn default_model() -> PathBuf {
    root().join("models").join("default")
}

/// `../shared` beside the repository, or `None` (with a printed reason) when it is absent.
pub fn shared() -> Option<PathBuf> {
    let p = root().join("..").join("shared");
    if p.join("data").is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: ../shared/data is not present beside the repository");
        None
    }
}

/// The five labels as the reports and label files spell them, frames first (codebook order).
pub const LABELS: [&str; 5] = [
    "humanitarian",
    "economic",
    "security",
    "enforcement",
    "none",
];

/// A command running the framelens binary with arguments, from the repository root.
pub fn command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut c = Command::new(env!("CARGO_BIN_EXE_framelens"));
    c.args(args).current_dir(root());
    c
}

/// Run the framelens binary with arguments.
pub fn framelens<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    command(args).output().expect("framelens runs")
}

/// Stderr of an output as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Read a JSON Lines file (blank lines skipped); a bad line panics naming the file and line.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// Read `documents.jsonl` of a report folder as JSON values.
pub fn documents(dir: &Path) -> Vec<serde_json::Value> {
    read_jsonl(&dir.join("documents.jsonl"))
}
