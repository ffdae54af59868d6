//! Paths to the shared corpora and the real ATT&CK bundle, loaded once.

use std::path::PathBuf;
use std::sync::OnceLock;

use covmap_core::Attack;

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `path` under `../shared`, or `None` (with a notice) when it is missing; a failure when
/// `CI=true`.
pub(crate) fn shared(path: &str) -> Option<PathBuf> {
    let full = repo_root().join("../shared").join(path);
    if full.exists() {
        return Some(full);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        full.display()
    );
    #[allow(clippy::print_stderr)] // a skipped test must say so
    {
        eprintln!("skipped: real-data test needs {}", full.display());
    }
    None
}

/// The real enterprise 18.1 bundle, loaded once.
pub(crate) fn enterprise_18() -> Option<&'static Attack> {
    static CELL: OnceLock<Option<Attack>> = OnceLock::new();
    CELL.get_or_init(|| {
        let path = shared("data/attack/enterprise-attack-18.1.json")?;
        Some(Attack::load(&path).expect("real bundle loads"))
    })
    .as_ref()
}
