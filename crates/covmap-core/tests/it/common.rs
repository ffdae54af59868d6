//! Finding test data: the repo's fixtures and the real ATT&CK bundles in `../shared`.

use std::path::PathBuf;
use std::sync::OnceLock;

use covmap_core::Attack;

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file under `fixtures/attack/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    repo_root().join("fixtures/attack").join(name)
}

/// `../shared/data/attack/NAME` next to the repository, or `None` (with a notice) when the
/// shared data is absent. With `CI=true` its absence fails the test instead.
pub(crate) fn shared_bundle(name: &str) -> Option<PathBuf> {
    let path = repo_root().join("../shared/data/attack").join(name);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the real ATT&CK bundle {} is missing",
        path.display()
    );
    #[allow(clippy::print_stderr)] // the notice is the point: a skipped test must say so
    {
        eprintln!("skipped: real-data test needs {}", path.display());
    }
    None
}

macro_rules! bundle_loader {
    ($fn_name:ident, $file:literal) => {
        /// The real bundle, loaded once per test binary.
        pub(crate) fn $fn_name() -> Option<&'static Attack> {
            static CELL: OnceLock<Option<Attack>> = OnceLock::new();
            CELL.get_or_init(|| {
                shared_bundle($file).map(|p| Attack::load(&p).expect("real bundle loads"))
            })
            .as_ref()
        }
    };
}

bundle_loader!(enterprise_18, "enterprise-attack-18.1.json");
bundle_loader!(enterprise_15, "enterprise-attack-15.1.json");
bundle_loader!(mobile_18, "mobile-attack-18.1.json");
bundle_loader!(ics_18, "ics-attack-18.1.json");
