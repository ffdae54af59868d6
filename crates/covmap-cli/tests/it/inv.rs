//! Helpers of the inventory-command tests (`validate`, `assess`, `gaps`, `compare`, `threats`,
//! `check`, `schema`): the example and fixture inventories, runs from the repository root, and
//! small inventories written into a test's temp dir.
//!
//! Commands run with the repository root as working directory and are given relative paths
//! (`examples/01-midsize-company/inventory.yaml`), so that file names in outputs read as in the
//! docs and need no filtering.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::common::{Env, Out, covmap, fixture, real, real_cache, repo_root, run};

/// The real enterprise bundle the examples are written for.
pub(crate) const E18: &str = "enterprise-attack-18.1.json";
/// Example 01, a complete inventory.
pub(crate) const EX01: &str = "examples/01-midsize-company/inventory.yaml";
/// Example 02's candidate XDR.
pub(crate) const CAND_EDR: &str = "examples/02-compare-candidates/candidate-edr.yaml";
/// Example 02's candidate NDR.
pub(crate) const CAND_NDR: &str = "examples/02-compare-candidates/candidate-ndr.yaml";
/// Example 03: example 01 split per team (in `ls` order).
pub(crate) const TEAMS: [&str; 4] = [
    "examples/03-per-team/cloud.yaml",
    "examples/03-per-team/identity.yaml",
    "examples/03-per-team/infrastructure.yaml",
    "examples/03-per-team/soc.yaml",
];
/// The inventory fixtures with one problem each, relative to the repository root.
pub(crate) const BAD: &str = "fixtures/inventory/bad";

/// Enterprise 18.1 with its parsed model in the shared cache, or `None` (skipped, with a notice)
/// when the real data is absent.
pub(crate) fn e18() -> Option<PathBuf> {
    real(E18)
}

/// A path as a `&str` argument.
#[track_caller]
pub(crate) fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A command on a real bundle, with the shared real-data cache, run from the repository root.
pub(crate) fn real_root_cmd(bundle: &Path) -> Command {
    let mut cmd = covmap(real_cache());
    cmd.current_dir(repo_root()).arg("--attack").arg(bundle);
    cmd
}

/// Runs covmap on a real bundle from the repository root.
pub(crate) fn real_root(bundle: &Path, args: &[&str]) -> Out {
    let mut cmd = real_root_cmd(bundle);
    cmd.args(args);
    run(cmd)
}

/// Runs covmap with `env`'s cache from the repository root, on the fixture bundle `bundle`
/// (`mini-attack-2.1.json`, ...), or on none when `bundle` is `None`.
pub(crate) fn root_fx(env: &Env, bundle: Option<&str>, args: &[&str]) -> Out {
    let mut cmd = env.cmd();
    cmd.current_dir(repo_root());
    if let Some(name) = bundle {
        cmd.arg("--attack").arg(fixture(name));
    }
    cmd.args(args);
    run(cmd)
}

/// Runs covmap on `mini-attack-2.1.json` from the repository root.
pub(crate) fn root_mini(env: &Env, args: &[&str]) -> Out {
    root_fx(env, Some("mini-attack-2.1.json"), args)
}

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test inventory");
    path
}

/// The text of a file under the repository root.
pub(crate) fn repo_text(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).expect("read a repository file")
}

/// `list` (a JSON array) as a slice.
#[track_caller]
pub(crate) fn arr(list: &Value) -> &[Value] {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
}

/// A JSON number as f64.
#[track_caller]
pub(crate) fn num(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// Whether two scores agree to the 6 decimals covmap writes.
pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// A score as the tables print it (`19.9%`).
pub(crate) fn percent(score: f64) -> String {
    format!("{:.1}%", score * 100.0)
}

/// The technique `id` of an assessment document.
#[track_caller]
pub(crate) fn technique<'a>(doc: &'a Value, id: &str) -> &'a Value {
    arr(&doc["techniques"])
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no technique {id} in the assessment"))
}
