//! What modelwatch's tests share, in one `publish = false` crate instead of `#[path]`
//! includes: a dev-dependency of every test that needs it.
//!
//! | item | what |
//! | --- | --- |
//! | [`repo_root`], [`fixture`], [`read_fixture`], [`sagemaker_fixture`], [`read_sagemaker_fixture`] | the repository's test fixtures (`tests/fixtures/`), found at run time |
//! | [`temp_dir`] | a fresh directory per test |
//! | [`lookup`] | an environment for `from_lookup` configuration parsers |
//! | [`moto::Moto`] | the local AWS emulator (moto), started and stopped by the test |
//! | [`retrain`] | the retraining fixture: `config/retrain.json`, its monitor and the report its alarm points at |
//!
//! The crate depends on none of the workspace's crates (only `serde_json`), so `drift-math`
//! and `monitor-core` can use it without a dependency cycle.
//!
//! ```
//! let csv = test_support::sagemaker_fixture("datasets/ex-churn-training-dataset-with-header.csv");
//! assert!(std::path::Path::new(&csv).is_file());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub mod bench_data;
pub mod churn;
pub mod moto;
pub mod retrain;

/// The repository root: the nearest ancestor of the running test's manifest directory that
/// holds `scripts/tools.sh`.
///
/// The manifest directory is read at run time (`CARGO_MANIFEST_DIR`, set by `cargo test`):
/// test binaries may outlive the checkout they were built in when several checkouts share
/// one `CARGO_TARGET_DIR`. Without it, this crate's own directory at build time is used.
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    );
    manifest
        .ancestors()
        .find(|d| d.join("scripts/tools.sh").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(manifest)
}

/// An environment as a lookup function, for configuration parsers that read through one
/// (`from_lookup`): tests never touch the process environment.
///
/// ```
/// let env = test_support::lookup(&[("MODELWATCH_BUCKET", "b")]);
/// assert_eq!(env("MODELWATCH_BUCKET").as_deref(), Some("b"));
/// assert_eq!(env("MODELWATCH_STORE"), None);
/// ```
pub fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

/// Path of a file under the repository's `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

/// Reads a file under `tests/fixtures/`.
///
/// # Panics
/// When the file cannot be read; the message names it.
pub fn read_fixture(rel: &str) -> Vec<u8> {
    let p = fixture(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", p.display()))
}

/// Path (as a string) of a SageMaker reference output under `tests/fixtures/sagemaker/`.
pub fn sagemaker_fixture(rel: &str) -> String {
    fixture(&format!("sagemaker/{rel}"))
        .to_string_lossy()
        .into_owned()
}

/// The text of a SageMaker reference output under `tests/fixtures/sagemaker/`.
///
/// # Panics
/// When the file cannot be read; the message names it.
pub fn read_sagemaker_fixture(rel: &str) -> String {
    let p = sagemaker_fixture(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A fresh, empty temporary directory for one test (`modelwatch-{name}-{pid}`).
///
/// The directory outlives the test, so a failing test's files can be looked at; the next run
/// of a test of the same name removes those of test processes that have ended
/// ([`remove_ended_runs`]), so repeated runs do not fill the temporary directory.
///
/// # Panics
/// When the directory cannot be created.
pub fn temp_dir(name: &str) -> PathBuf {
    let root = std::env::temp_dir();
    remove_ended_runs(&root, name);
    let dir = root.join(format!("modelwatch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Removes `modelwatch-{name}-{pid}` directories under `root` whose process has ended (no
/// `/proc/{pid}`); the names of other tests (`{name}-more-…`) are left alone, as their suffix
/// is not a process id. Only on Linux, where `/proc` says which processes run.
pub fn remove_ended_runs(root: &Path, name: &str) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let prefix = format!("modelwatch-{name}-");
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let ended = !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && !Path::new("/proc").join(pid).exists();
        if ended {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ended_runs_are_removed_and_live_or_other_tests_kept() {
        let root = std::env::temp_dir().join(format!("mw-ended-runs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // pid_max is at most 2^22 on Linux, so this process never exists
        let ended = root.join("modelwatch-t-999999999");
        let live = root.join(format!("modelwatch-t-{}", std::process::id()));
        let other = root.join("modelwatch-t-more-1");
        for d in [&ended, &live, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        remove_ended_runs(&root, "t");
        assert_eq!(ended.exists(), !cfg!(target_os = "linux"));
        assert!(live.exists() && other.exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
