//! Finding and loading the ATT&CK bundle a command runs against.
//!
//! Which one: `--attack`/`COVMAP_ATTACK` > `--attack-version` (from the cache, or the built-in
//! release when it is that one) > the newest bundle downloaded into the cache > the release
//! built into covmap. Nothing downloads unless asked (`covmap attack fetch`), so `--offline`
//! never fails for lack of data.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use covmap_core::builtin::{self, Builtin};
use covmap_core::store::{bundle_file_name, stored_bundles};
use covmap_core::{Attack, CacheStatus};

use crate::cli::SourceArgs;

/// Where the ATT&CK data of a command comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A bundle named with `--attack` or `COVMAP_ATTACK`.
    File(PathBuf),
    /// A bundle downloaded into the cache by `covmap attack fetch`.
    Cache(PathBuf),
    /// The release built into covmap.
    BuiltIn(&'static Builtin),
}

impl Source {
    /// The bundle file, if the data come from one.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Source::File(path) | Source::Cache(path) => Some(path),
            Source::BuiltIn(_) => None,
        }
    }

    /// `file`, `cache` or `built-in`, as `attack info` reports it.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Source::File(_) => "file",
            Source::Cache(_) => "cache",
            Source::BuiltIn(_) => "built-in",
        }
    }

    /// For people: `PATH (file)`, `PATH (cache)`, `built into covmap (enterprise-attack-18.1.json)`.
    pub(crate) fn label(&self) -> String {
        match self {
            Source::File(path) => format!("{} (file)", path.display()),
            Source::Cache(path) => format!("{} (cache)", path.display()),
            Source::BuiltIn(b) => format!("built into covmap ({})", b.file_name()),
        }
    }

    /// The file's path, or `built-in:enterprise-attack-18.1.json`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Source::File(path) | Source::Cache(path) => path.display().to_string(),
            Source::BuiltIn(b) => format!("built-in:{}", b.file_name()),
        }
    }
}

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

/// Whether `version` of the chosen domain can be used without a download: in the cache, or
/// built in.
pub(crate) fn available(args: &SourceArgs, version: &str) -> bool {
    let domain = args.domain_name();
    builtin::of(domain).is_some_and(|b| b.release() == version)
        || bundle_dir(args).is_ok_and(|dir| {
            stored_bundles(&dir, domain)
                .iter()
                .any(|b| b.version == version)
        })
}

/// The data to use (module comment for the order). Without a cache directory (no home), the
/// cache is simply empty.
pub(crate) fn locate(args: &SourceArgs) -> Result<Source> {
    if let Some(path) = &args.attack {
        return Ok(Source::File(path.clone()));
    }
    let domain = args.domain_name();
    let dir = bundle_dir(args).ok();
    let stored = dir
        .as_deref()
        .map(|d| stored_bundles(d, domain))
        .unwrap_or_default();
    let built_in = builtin::of(domain);
    let Some(version) = &args.attack_version else {
        if let Some(newest) = stored.into_iter().next() {
            return Ok(Source::Cache(newest.path));
        }
        return built_in
            .map(Source::BuiltIn)
            .with_context(|| format!("no ATT&CK {domain} release is built into covmap"));
    };
    if let Some(bundle) = stored.into_iter().find(|b| &b.version == version) {
        return Ok(Source::Cache(bundle.path));
    }
    if let Some(b) = built_in.filter(|b| b.release() == version) {
        return Ok(Source::BuiltIn(b));
    }
    let place = dir.map_or_else(
        || "there is no cache directory".to_string(),
        |d| format!("not in the cache ({})", d.display()),
    );
    let fetch = if args.offline {
        format!(
            "run `covmap attack fetch --domain {domain} --version {version}` on a machine with network access"
        )
    } else {
        format!("run `covmap attack fetch --domain {domain} --version {version}`")
    };
    bail!(
        "ATT&CK {domain} {version} is {place}, and the release built into covmap is {}\n  \
         hint: {fetch}, pass --attack PATH (or set COVMAP_ATTACK) to a STIX bundle such as {}, or drop --attack-version to use {}",
        builtin::RELEASE,
        bundle_file_name(domain, version),
        built_in.map_or_else(
            || "the newest bundle in the cache".to_string(),
            |_| "the newest one covmap has".to_string()
        ),
    )
}

/// Set once the built-in release has been announced: a command that loads it twice says so once.
static ANNOUNCED: AtomicBool = AtomicBool::new(false);

/// Loads the data of `source`, through the parsed-model cache unless `--no-cache`.
pub(crate) fn load_source(source: &Source, args: &SourceArgs) -> Result<Attack> {
    let built_in = match source {
        Source::File(path) | Source::Cache(path) => return load_path(path, args),
        Source::BuiltIn(b) => *b,
    };
    if !ANNOUNCED.swap(true, Ordering::Relaxed) {
        crate::note!(
            "covmap: using ATT&CK {} {}, built into covmap (no bundle downloaded{}); `covmap attack fetch --domain {}` gets the newest release",
            built_in.domain(),
            built_in.release(),
            bundle_dir(args).map_or_else(|_| String::new(), |d| format!(" into {}", d.display())),
            built_in.domain(),
        );
    }
    if !args.no_cache
        && let Ok(root) = cache_root(args)
    {
        let (attack, status) = covmap_core::load_cached_builtin(built_in, &root.join("models"))?;
        report_cache(&status);
        return Ok(attack);
    }
    Ok(built_in.load()?)
}

/// Loads a bundle, through the parsed-model cache unless `--no-cache`.
pub(crate) fn load_path(path: &Path, args: &SourceArgs) -> Result<Attack> {
    if !args.no_cache
        && let Ok(root) = cache_root(args)
    {
        let (attack, status) = covmap_core::load_cached(path, &root.join("models"))?;
        report_cache(&status);
        return Ok(attack);
    }
    Ok(Attack::load(path)?)
}

/// Says what is worth knowing about the model cache.
fn report_cache(status: &CacheStatus) {
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
}

/// Locates and loads the data a command runs against.
pub(crate) fn load(args: &SourceArgs) -> Result<Attack> {
    load_source(&locate(args)?, args)
}

/// The file name a fetched bundle gets.
pub(crate) fn stored_name(domain: &str, version: &str) -> String {
    bundle_file_name(domain, version)
}
