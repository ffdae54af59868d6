//! The local store of downloaded ATT&CK bundles: `<cache>/attack/<domain>-attack-<version>.json`.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// A bundle file found in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBundle {
    /// Short domain name: `enterprise`, `mobile`, `ics`.
    pub domain: String,
    /// ATT&CK version, e.g. `18.1`.
    pub version: String,
    /// Where the file is.
    pub path: PathBuf,
}

/// The file name a bundle of `domain` and `version` is stored under.
pub fn bundle_file_name(domain: &str, version: &str) -> String {
    format!("{domain}-attack-{version}.json")
}

/// Compares ATT&CK versions numerically: `9.0 < 15.1 < 18.1`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

/// Every stored bundle of `domain`, newest version first.
pub fn stored_bundles(dir: &Path, domain: &str) -> Vec<StoredBundle> {
    let prefix = format!("{domain}-attack-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<StoredBundle> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name.strip_prefix(&prefix)?.strip_suffix(".json")?;
            let valid =
                !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.');
            valid.then(|| StoredBundle {
                domain: domain.to_string(),
                version: version.to_string(),
                path: entry.path(),
            })
        })
        .collect();
    found.sort_by(|a, b| compare_versions(&b.version, &a.version));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(compare_versions("9.0", "15.1"), Ordering::Less);
        assert_eq!(compare_versions("18.1", "18.0"), Ordering::Greater);
        assert_eq!(compare_versions("18", "18.0"), Ordering::Less);
    }

    #[test]
    fn newest_stored_bundle_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "enterprise-attack-9.0.json",
            "enterprise-attack-18.1.json",
            "enterprise-attack-15.1.json",
            "mobile-attack-19.0.json",
            "enterprise-attack-x.json",
            "enterprise-attack-18.1.json.tmp",
        ] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let versions: Vec<_> = stored_bundles(dir.path(), "enterprise")
            .into_iter()
            .map(|b| b.version)
            .collect();
        assert_eq!(versions, ["18.1", "15.1", "9.0"]);
    }
}
