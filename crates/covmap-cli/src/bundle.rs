//! Finding and loading the ATT&CK bundle a command runs against.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use covmap_core::store::{bundle_file_name, stored_bundles};
use covmap_core::{Attack, CacheStatus};

use crate::cli::SourceArgs;
use crate::fetch;

/// The cache root: `--cache-dir`, `COVMAP_CACHE_DIR`, or the platform cache directory.
pub(crate) fn cache_root(args: &SourceArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.cache_dir {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("", "", "covmap")
        .map(|dirs| dirs.cache_dir().to_path_buf())
        .context("cannot find a cache directory (no home directory?); pass --cache-dir DIR or set COVMAP_CACHE_DIR")
}

/// Where downloaded bundles are stored.
pub(crate) fn bundle_dir(args: &SourceArgs) -> Result<PathBuf> {
    Ok(cache_root(args)?.join("attack"))
}

/// The bundle file to use: `--attack`, else the cached one of the chosen domain and version,
/// else a fresh download (unless offline).
pub(crate) fn locate(args: &SourceArgs) -> Result<PathBuf> {
    if let Some(path) = &args.attack {
        return Ok(path.clone());
    }
    let dir = bundle_dir(args)?;
    let domain = args.domain_name();
    let stored = stored_bundles(&dir, domain);
    let found = match &args.attack_version {
        Some(version) => stored.into_iter().find(|b| &b.version == version),
        None => stored.into_iter().next(),
    };
    if let Some(bundle) = found {
        return Ok(bundle.path);
    }
    let wanted = match &args.attack_version {
        Some(v) => format!("ATT&CK {domain} {v}"),
        None => format!("an ATT&CK {domain} bundle"),
    };
    if args.offline {
        let fetch_cmd = match &args.attack_version {
            Some(v) => format!("covmap attack fetch --domain {domain} --version {v}"),
            None => format!("covmap attack fetch --domain {domain}"),
        };
        bail!(
            "offline, and {wanted} is not in the cache ({})\n  \
             hint: run `{fetch_cmd}` while online, or pass --attack PATH (or set COVMAP_ATTACK) to a STIX bundle such as {domain}-attack-<version>.json",
            dir.display()
        );
    }
    fetch::fetch(&dir, domain, args.attack_version.as_deref(), true)
}

/// Loads a bundle, through the parsed-model cache unless `--no-cache`.
pub(crate) fn load_path(path: &Path, args: &SourceArgs) -> Result<Attack> {
    if !args.no_cache
        && let Ok(root) = cache_root(args)
    {
        let (attack, status) = covmap_core::load_cached(path, &root.join("models"))?;
        match status {
            // A read-only cache only costs speed; say so once, quietly.
            CacheStatus::NotStored(reason) if std::env::var_os("COVMAP_DEBUG").is_some() => {
                crate::note!("covmap: model cache not written: {reason}");
            }
            // Damage is worth knowing (a failing disk?); the file is rewritten, so this is
            // said once.
            CacheStatus::Rebuilt(reason) => {
                crate::note!("warning: model cache: {reason}; rebuilt from the bundle");
            }
            _ => {}
        }
        return Ok(attack);
    }
    Ok(Attack::load(path)?)
}

/// Locates and loads the bundle a command runs against.
pub(crate) fn load(args: &SourceArgs) -> Result<Attack> {
    let path = locate(args)?;
    load_path(&path, args)
}

/// The file name a fetched bundle gets.
pub(crate) fn stored_name(domain: &str, version: &str) -> String {
    bundle_file_name(domain, version)
}
