//! A compact binary cache of parsed models, so that loading a 50 MB bundle a second time costs
//! a file read and a hash instead of a JSON parse.
//!
//! A cache file is named after a 128-bit xxh3 hash of the bundle's bytes and file name (the
//! name matters: STIX 2.0 bundles take their version from it). Its header repeats the bundle's
//! size, name and hash, covmap's version and the format version; anything that does not match,
//! or fails to decode, is a miss and the bundle is parsed afresh. The hash covers every byte,
//! so an edited bundle is never served from a stale cache, whatever its modification time says.
//! Hashing 50 MB is most of a warm load, so (on Unix) the hash is also recorded in a small
//! `.stamp` file keyed by the bundle's path, device, inode, size, mtime and ctime, as git's
//! index does: any write to the file changes its ctime, which no user tool can set back. A
//! stamp is recorded only for a file unchanged for `SETTLED` (2 s), so that a write in the same
//! clock tick as the stamp cannot go unseen. Writes are atomic (temp file + rename), so a crash
//! or a concurrent run never leaves a torn cache file.

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
/// How long a bundle must be unchanged before its hash is recorded in a stamp.
const SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

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
    crate::input::check_size(path).map_err(io_err)?;
    let stamp = Stamp::of(path, &file_name);
    // A stamp not yet recorded is recorded once the bundle is known to be good (served from
    // or stored in the cache), so a bad input leaves nothing behind.
    let (size, hash, unrecorded) =
        if let Some((size, hash)) = stamp.as_ref().and_then(|s| s.recorded(cache_dir)) {
            (size, hash, None)
        } else {
            // Hash through a small reused buffer: on a cache hit the bundle is never held in
            // memory, which saves the page faults of a 50 MB allocation.
            let (size, hash) = hash_file(path, &file_name).map_err(io_err)?;
            (size, hash, stamp)
        };
    // A stamp only saves time; failing to write one costs nothing else.
    let record_stamp = |stamp: Option<Stamp>| {
        if let Some(stamp) = stamp {
            let _ = stamp.record(cache_dir, size, hash);
        }
    };
    let header = Header {
        format: FORMAT,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        size,
        hash,
        file_name,
    };
    let cache_file = cache_dir.join(format!("{:032x}.model", header.hash));
    if let Some(data) = read_cache(&cache_file, &header) {
        record_stamp(unrecorded);
        return Ok((Attack::from_data(data), CacheStatus::Hit));
    }
    let bytes = crate::input::read(path).map_err(io_err)?;
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
        Ok(()) => {
            record_stamp(unrecorded);
            CacheStatus::Stored
        }
        Err(err) => CacheStatus::NotStored(format!("{}: {err}", cache_file.display())),
    };
    Ok((attack, status))
}

/// What identifies a file's content without reading it (Unix; elsewhere every load hashes).
#[derive(Serialize, Deserialize, PartialEq, Eq, Debug, Clone)]
struct Stamp {
    path: String,
    /// The name the bundle was loaded under: it is part of the hash (a symlink named
    /// differently resolves to the same path but hashes differently).
    file_name: String,
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// A stamp file: the stamp and the hash of the content it identifies.
#[derive(Serialize, Deserialize)]
struct StampRecord {
    format: u32,
    stamp: Stamp,
    size: u64,
    hash: u128,
}

impl Stamp {
    /// The stamp of the file at `path` as it is now; `None` when it cannot be taken or the file
    /// changed too recently to be trusted.
    fn of(path: &Path, file_name: &str) -> Option<Stamp> {
        Stamp::taken_at(path, file_name, std::time::SystemTime::now())
    }

    /// The stamp as it would be taken at `now` (tests pass a later `now` instead of sleeping).
    #[cfg(unix)]
    fn taken_at(path: &Path, file_name: &str, now: std::time::SystemTime) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let path = fs::canonicalize(path).ok()?;
        let meta = fs::metadata(&path).ok()?;
        let changed = std::time::UNIX_EPOCH
            + std::time::Duration::new(
                u64::try_from(meta.ctime()).ok()?,
                u32::try_from(meta.ctime_nsec()).ok()?,
            );
        let age = now.duration_since(changed).ok()?;
        (age >= SETTLED).then(|| Stamp {
            path: path.to_string_lossy().into_owned(),
            file_name: file_name.to_string(),
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn taken_at(_path: &Path, _file_name: &str, _now: std::time::SystemTime) -> Option<Stamp> {
        None
    }

    fn file(&self, cache_dir: &Path) -> PathBuf {
        let mut key = Xxh3::new();
        key.update(self.path.as_bytes());
        key.update(b"\0");
        key.update(self.file_name.as_bytes());
        let key = key.digest128();
        cache_dir.join(format!("{key:032x}.stamp"))
    }

    /// The size and hash recorded for this very stamp, if any.
    fn recorded(&self, cache_dir: &Path) -> Option<(u64, u128)> {
        let bytes = fs::read(self.file(cache_dir)).ok()?;
        let record: StampRecord = postcard::from_bytes(&bytes).ok()?;
        (record.format == FORMAT && record.stamp == *self).then_some((record.size, record.hash))
    }

    fn record(&self, cache_dir: &Path, size: u64, hash: u128) -> std::io::Result<()> {
        let file = self.file(cache_dir);
        let record = StampRecord {
            format: FORMAT,
            stamp: self.clone(),
            size,
            hash,
        };
        fs::create_dir_all(cache_dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(cache_dir)?;
        temp.write_all(&postcard::to_stdvec(&record).map_err(std::io::Error::other)?)?;
        temp.persist(&file).map_err(|e| e.error)?;
        prune(cache_dir, &file, "stamp");
        Ok(())
    }
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
        hasher.update(buffer.get(..n).unwrap_or_default());
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
    prune(cache_dir, cache_file, "model");
    Ok(())
}

/// Keeps the cache directory from growing without bound: the newest [`KEEP`] files with
/// extension `ext` (models, stamps) stay.
fn prune(cache_dir: &Path, keep: &Path, ext: &str) {
    let Ok(entries) = fs::read_dir(cache_dir) else {
        return;
    };
    let mut models: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext) && p != keep)
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

    #[cfg(unix)]
    #[test]
    fn a_stamp_identifies_an_unchanged_file_and_nothing_else() {
        use std::time::{Duration, SystemTime};
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let file = dir.path().join("bundle.json");
        fs::write(&file, b"{}").unwrap();
        let later = || SystemTime::now() + Duration::from_secs(5);

        // Just written: too fresh to stamp.
        assert!(Stamp::of(&file, "bundle.json").is_none());
        let stamp = Stamp::taken_at(&file, "bundle.json", later()).unwrap();
        assert_eq!(stamp.recorded(&cache), None);
        stamp.record(&cache, 2, 42).unwrap();
        let again = Stamp::taken_at(&file, "bundle.json", later()).unwrap();
        assert_eq!(again.recorded(&cache), Some((2, 42)));

        // Another name for the same file is another stamp (the name is hashed).
        let other = Stamp::taken_at(&file, "enterprise-attack-1.0.json", later()).unwrap();
        assert_eq!(other.recorded(&cache), None);

        // Rewriting the file, even with the same size and mtime, changes its ctime.
        let mtime = fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        fs::write(&file, b"[]").unwrap();
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let rewritten = Stamp::taken_at(&file, "bundle.json", later()).unwrap();
        assert_eq!(rewritten.size, again.size);
        assert_eq!(rewritten.mtime, again.mtime);
        assert_eq!(rewritten.recorded(&cache), None);
    }
}
