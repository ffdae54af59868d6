//! A compact binary cache of parsed models, so that loading a 50 MB bundle a second time costs
//! a file read and a hash instead of a JSON parse.
//!
//! A cache file is named after a 128-bit xxh3 hash of the bundle's bytes and file name (the
//! name matters: STIX 2.0 bundles take their version from it). Its header repeats the bundle's
//! size, name and hash, covmap's version and the format version; anything that does not match,
//! or fails to decode, is a miss and the bundle is parsed afresh. The hash covers every byte,
//! so an edited bundle is never served from a stale cache, whatever its modification time says. Writes are atomic (temp file +
//! rename), so a crash or a concurrent run never leaves a torn cache file.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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
    hash: u128,
    file_name: String,
}

/// Loads a bundle through the model cache in `cache_dir` (created if missing).
pub fn load_cached(path: &Path, cache_dir: &Path) -> Result<(Attack, CacheStatus), LoadError> {
    let io_err = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Hash through a small reused buffer: on a cache hit the bundle is never held in memory,
    // which saves the page faults of a 50 MB allocation (most of a warm load's time).
    let (size, hash) = hash_file(path, &file_name).map_err(io_err)?;
    let header = Header {
        format: FORMAT,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        size,
        hash,
        file_name,
    };
    let cache_file = cache_dir.join(format!("{:032x}.model", header.hash));
    if let Some(data) = read_cache(&cache_file, &header) {
        return Ok((Attack::from_data(data), CacheStatus::Hit));
    }
    let bytes = fs::read(path).map_err(io_err)?;
    if bytes.len() as u64 != header.size {
        // The file changed while we read it; parse what we have but do not cache it.
        let attack = Attack::from_slice(&bytes, path)?;
        return Ok((
            attack,
            CacheStatus::NotStored("the bundle changed while it was read".into()),
        ));
    }
    let attack = Attack::from_slice(&bytes, path)?;
    drop(bytes);
    let status = match write_cache(cache_dir, &cache_file, &header, attack.data()) {
        Ok(()) => CacheStatus::Stored,
        Err(err) => CacheStatus::NotStored(format!("{}: {err}", cache_file.display())),
    };
    Ok((attack, status))
}

/// Size and xxh3-128 of a file's bytes followed by its name.
fn hash_file(path: &Path, file_name: &str) -> std::io::Result<(u64, u128)> {
    let mut file = fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 18];
    let mut hasher = Xxh3::new();
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    hasher.update(file_name.as_bytes());
    Ok((size, hasher.digest128()))
}

fn read_cache(cache_file: &Path, expected: &Header) -> Option<AttackData> {
    let bytes = fs::read(cache_file).ok()?;
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(rest).ok()?;
    // The hash (of content and name) names the file; the header must agree in full.
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
            hash: 1,
            file_name: String::new(),
        };
        assert!(read_cache(&file, &header).is_none());
    }
}
