//! A compact binary cache of parsed models, so that loading a 50 MB bundle a second time costs
//! a file read and a hash instead of a JSON parse.
//!
//! A cache file is named after a 128-bit xxh3 hash of the bundle's bytes and file name (the
//! name matters: STIX 2.0 bundles take their version from it). Its header repeats the bundle's
//! size, modification time and hash, and the format version; anything that does not match, or
//! fails to decode, is a miss and the bundle is parsed afresh. Writes are atomic (temp file +
//! rename), so a crash or a concurrent run never leaves a torn cache file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::attack::Attack;
use crate::data::AttackData;
use crate::error::LoadError;

/// Bumped whenever [`AttackData`] or its encoding changes, so old cache files become misses.
const FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"COVMAPM\0";
/// Cache files kept per directory; older ones are removed when a new one is written.
const KEEP: usize = 16;

/// What happened to the model cache during a load.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheStatus {
    /// The model came from the cache.
    Hit,
    /// The bundle was parsed and the model stored in the cache.
    Stored,
    /// The bundle was parsed, but the cache could not be written (the reason).
    NotStored(String),
}

#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct Header {
    format: u32,
    crate_version: String,
    size: u64,
    mtime_nanos: u128,
    hash: u128,
    file_name: String,
}

/// Loads a bundle through the model cache in `cache_dir` (created if missing).
pub fn load_cached(path: &Path, cache_dir: &Path) -> Result<(Attack, CacheStatus), LoadError> {
    let io_err = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = fs::read(path).map_err(io_err)?;
    let metadata = fs::metadata(path).map_err(io_err)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let header = Header {
        format: FORMAT,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        size: bytes.len() as u64,
        mtime_nanos: metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos()),
        hash: {
            let mut hasher = Xxh3::new();
            hasher.update(&bytes);
            hasher.update(file_name.as_bytes());
            hasher.digest128()
        },
        file_name,
    };
    let cache_file = cache_dir.join(format!("{:032x}.model", header.hash));
    if let Some(data) = read_cache(&cache_file, &header) {
        return Ok((Attack::from_data(data), CacheStatus::Hit));
    }
    let attack = Attack::from_slice(&bytes, path)?;
    drop(bytes);
    let status = match write_cache(cache_dir, &cache_file, &header, attack.data()) {
        Ok(()) => CacheStatus::Stored,
        Err(err) => CacheStatus::NotStored(format!("{}: {err}", cache_file.display())),
    };
    Ok((attack, status))
}

fn read_cache(cache_file: &Path, expected: &Header) -> Option<AttackData> {
    let bytes = fs::read(cache_file).ok()?;
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(rest).ok()?;
    // The hash names the file; size and mtime guard against a hash collision being served.
    if header.format != expected.format
        || header.crate_version != expected.crate_version
        || header.hash != expected.hash
        || header.size != expected.size
        || header.file_name != expected.file_name
    {
        return None;
    }
    postcard::from_bytes(rest).ok()
}

fn write_cache(
    cache_dir: &Path,
    cache_file: &Path,
    header: &Header,
    data: &AttackData,
) -> std::io::Result<()> {
    fs::create_dir_all(cache_dir)?;
    let mut out = MAGIC.to_vec();
    out.extend(postcard::to_stdvec(header).map_err(std::io::Error::other)?);
    out.extend(postcard::to_stdvec(data).map_err(std::io::Error::other)?);
    let mut temp = tempfile::NamedTempFile::new_in(cache_dir)?;
    temp.write_all(&out)?;
    temp.persist(cache_file).map_err(|e| e.error)?;
    prune(cache_dir, cache_file);
    Ok(())
}

/// Keeps the cache directory from growing without bound: the newest [`KEEP`] models stay.
fn prune(cache_dir: &Path, keep: &Path) {
    let Ok(entries) = fs::read_dir(cache_dir) else {
        return;
    };
    let mut models: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "model") && p != keep)
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    if models.len() < KEEP {
        return;
    }
    models.sort();
    for (_, old) in models.iter().take(models.len() + 1 - KEEP) {
        // Another process may have removed it already; either way it is gone.
        let _ = fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_cache_file_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.model");
        fs::write(&file, b"COVMAPM\0garbage").unwrap();
        let header = Header {
            format: FORMAT,
            crate_version: String::new(),
            size: 1,
            mtime_nanos: 0,
            hash: 1,
            file_name: String::new(),
        };
        assert!(read_cache(&file, &header).is_none());
    }
}
