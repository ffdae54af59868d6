//! A compact binary cache of parsed models, so that loading a 50 MB bundle a second time costs
//! a file read and a hash instead of a JSON parse.
//!
//! A cache file is named after a 128-bit xxh3 hash of the bundle's bytes and file name (the
//! name matters: STIX 2.0 bundles take their version from it). Its header repeats the bundle's
//! size, name and hash, covmap's version and the format version; anything that does not match,
//! is a miss and the bundle is parsed afresh. The hash covers every byte,
//! so an edited bundle is never served from a stale cache, whatever its modification time says.
//! Hashing 50 MB is most of a warm load, so (on Unix) the hash is also recorded in a small
//! `.stamp` file keyed by the bundle's path, device, inode, size, mtime and ctime, as git's
//! index does: any write to the file changes its ctime, which no user tool can set back. A
//! stamp is recorded only for a file unchanged for `SETTLED` (2 s), so that a write in the same
//! clock tick as the stamp cannot go unseen. Writes are atomic (temp file + rename), so a crash
//! or a concurrent run never leaves a torn cache file.
//!
//! Every cache file (model or stamp) starts with a magic, the format version, the payload's
//! length and its xxh3-128 checksum. A file that fails any of these checks, or whose payload
//! does not decode, is damaged: it is reported ([`CacheStatus::Rebuilt`]) and written again
//! from the bundle, so a flipped byte costs one parse and never a panic or another answer.
//! Pruning removes only files that start with covmap's magic: a user's file in the cache
//! directory is never deleted, whatever its name.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::attack::Attack;
use crate::builtin::Builtin;
use crate::data::AttackData;
use crate::error::LoadError;

/// Bumped whenever [`AttackData`] or its encoding changes, so old cache files become misses.
/// 2: the framing with length and checksum.
const FORMAT: u32 = 2;
/// The first bytes of a model file (format 1 files start with it too).
const MAGIC: [u8; 8] = *b"COVMAPM\0";
/// The first bytes of a stamp file.
const STAMP_MAGIC: [u8; 8] = *b"COVMAPS\0";
/// Magic (8), format (4), payload length (8), xxh3-128 of the payload (16), all little-endian.
const FRAME: usize = 36;
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
    /// The cache file was damaged (the reason): the bundle was parsed and the cache file
    /// written again, so the damage is reported once.
    Rebuilt(String),
}

/// A cache file's payload, once its frame is checked.
enum Framed<'a> {
    /// The payload, its length and checksum verified.
    Payload(&'a [u8]),
    /// A covmap file of another format version: a plain miss.
    OtherFormat,
    /// Not a valid cache file (the reason).
    Damaged(String),
}

/// The checksum of a frame: its format and length fields and its payload.
fn checksum(fields: &[u8], payload: &[u8]) -> u128 {
    let mut hasher = Xxh3::new();
    hasher.update(fields);
    hasher.update(payload);
    hasher.digest128()
}

/// `payload` with its frame.
fn frame(magic: [u8; 8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME + payload.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let sum = checksum(out.get(8..).unwrap_or_default(), payload);
    out.extend_from_slice(&sum.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of a framed file, checked. The checksum covers the format field too, so that a
/// damaged format field is told from a file of another version.
fn unframe(magic: [u8; 8], bytes: &[u8]) -> Framed<'_> {
    let Some(rest) = bytes.strip_prefix(magic.as_slice()) else {
        return Framed::Damaged("it does not start with covmap's cache header".into());
    };
    let (Some(fields), Some(sum), Some(payload)) = (
        rest.get(..12),
        rest.get(12..28).and_then(|b| <[u8; 16]>::try_from(b).ok()),
        rest.get(28..),
    ) else {
        // Format 1 files had no frame; their first byte after the magic is 1.
        if rest.first() == Some(&1) {
            return Framed::OtherFormat;
        }
        return Framed::Damaged("it is truncated in its header".into());
    };
    let format = fields
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_le_bytes);
    let length = fields
        .get(4..)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_le_bytes);
    let intact = checksum(fields, payload) == u128::from_le_bytes(sum);
    if format != FORMAT {
        // Another version's file (a newer frame, or format 1's unframed layout) is a miss.
        if intact || rest.first() == Some(&1) {
            return Framed::OtherFormat;
        }
        return Framed::Damaged(format!("its format field reads {format}"));
    }
    if length != payload.len() as u64 {
        return Framed::Damaged(format!(
            "its header says {length} bytes of data, it holds {}",
            payload.len()
        ));
    }
    if !intact {
        return Framed::Damaged("its checksum does not match its content".into());
    }
    Framed::Payload(payload)
}

/// Whether the file at `path` is one covmap wrote (starts with `magic`), read from its first
/// bytes only.
fn written_by_covmap(path: &Path, magic: [u8; 8]) -> bool {
    let mut head = [0u8; 8];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == magic)
}

/// What reading a model cache file found.
enum Cached {
    /// The model (boxed: it is large, the other variants small).
    Hit(Box<AttackData>),
    /// No usable file: absent, another format or another bundle's.
    Miss,
    /// A damaged file (the reason).
    Damaged(String),
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
    let damaged = match read_cache(&cache_file, &header) {
        Cached::Hit(data) => {
            record_stamp(unrecorded);
            return Ok((Attack::from_data(*data), CacheStatus::Hit));
        }
        Cached::Miss => None,
        Cached::Damaged(why) => Some(format!("{} is damaged: {why}", cache_file.display())),
    };
    let bytes = crate::input::read(path).map_err(io_err)?;
    if bytes.len() as u64 != header.size {
        // The file changed while we read it; parse what we have but do not cache it.
        let attack = Attack::from_bytes(bytes, path)?;
        return Ok((
            attack,
            CacheStatus::NotStored("the bundle changed while it was read".into()),
        ));
    }
    let attack = Attack::from_bytes(bytes, path)?;
    let status = store(cache_dir, &cache_file, &header, &attack, damaged);
    if matches!(status, CacheStatus::Stored | CacheStatus::Rebuilt(_)) {
        record_stamp(unrecorded);
    }
    Ok((attack, status))
}

/// Loads a built-in bundle through the model cache in `cache_dir`: a hit skips decoding and
/// parsing. Its cache file has a key of its own (the bundle's hash under a prefix no file's key
/// has), so a built-in model and a file's never share a cache file.
pub fn load_cached_builtin(
    builtin: &Builtin,
    cache_dir: &Path,
) -> Result<(Attack, CacheStatus), LoadError> {
    let file_name = format!("built-in:{}", builtin.file_name());
    let mut key = Xxh3::new();
    key.update(b"covmap built-in\0");
    key.update(&builtin.hash().to_le_bytes());
    key.update(file_name.as_bytes());
    let header = Header {
        format: FORMAT,
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        size: builtin.size(),
        hash: key.digest128(),
        file_name,
    };
    let cache_file = cache_dir.join(format!("{:032x}.model", header.hash));
    let damaged = match read_cache(&cache_file, &header) {
        Cached::Hit(data) => return Ok((Attack::from_data(*data), CacheStatus::Hit)),
        Cached::Miss => None,
        Cached::Damaged(why) => Some(format!("{} is damaged: {why}", cache_file.display())),
    };
    let attack = builtin.load()?;
    let status = store(cache_dir, &cache_file, &header, &attack, damaged);
    Ok((attack, status))
}

/// Writes a freshly parsed model to the cache and says how that went; `damaged` is why the
/// file there was unusable, if it was.
fn store(
    cache_dir: &Path,
    cache_file: &Path,
    header: &Header,
    attack: &Attack,
    damaged: Option<String>,
) -> CacheStatus {
    match (
        write_cache(cache_dir, cache_file, header, attack.data()),
        damaged,
    ) {
        (Ok(()), damaged) => damaged.map_or(CacheStatus::Stored, CacheStatus::Rebuilt),
        (Err(err), None) => CacheStatus::NotStored(format!("{}: {err}", cache_file.display())),
        (Err(err), Some(damaged)) => {
            CacheStatus::NotStored(format!("{damaged}, and it cannot be written again: {err}"))
        }
    }
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

    /// The size and hash recorded for this very stamp, if any. A damaged stamp is no stamp:
    /// the bundle is hashed again and the stamp rewritten.
    fn recorded(&self, cache_dir: &Path) -> Option<(u64, u128)> {
        let bytes = fs::read(self.file(cache_dir)).ok()?;
        let Framed::Payload(payload) = unframe(STAMP_MAGIC, &bytes) else {
            return None;
        };
        let record: StampRecord = postcard::from_bytes(payload).ok()?;
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
        let payload = postcard::to_stdvec(&record).map_err(std::io::Error::other)?;
        temp.write_all(&frame(STAMP_MAGIC, &payload))?;
        temp.persist(&file).map_err(|e| e.error)?;
        prune(cache_dir, &file, STAMP_MAGIC);
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

fn read_cache(cache_file: &Path, expected: &Header) -> Cached {
    let bytes = match fs::read(cache_file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Cached::Miss,
        Err(e) => return Cached::Damaged(format!("it cannot be read ({e})")),
    };
    let payload = match unframe(MAGIC, &bytes) {
        Framed::Payload(payload) => payload,
        Framed::OtherFormat => return Cached::Miss,
        Framed::Damaged(why) => return Cached::Damaged(why),
    };
    let Ok((header, rest)) = postcard::take_from_bytes::<Header>(payload) else {
        return Cached::Damaged("its header does not decode".into());
    };
    // The hash (of content and name) names the file; the header must agree in full.
    if header.format != expected.format
        || header.crate_version != expected.crate_version
        || header.hash != expected.hash
        || header.size != expected.size
        || header.file_name != expected.file_name
    {
        return Cached::Miss;
    }
    match postcard::take_from_bytes::<AttackData>(rest) {
        Ok((data, [])) => Cached::Hit(Box::new(data)),
        Ok(_) => Cached::Damaged("it holds bytes after its model".into()),
        Err(e) => Cached::Damaged(format!("its model does not decode ({e})")),
    }
}

fn write_cache(
    cache_dir: &Path,
    cache_file: &Path,
    header: &Header,
    data: &AttackData,
) -> std::io::Result<()> {
    fs::create_dir_all(cache_dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(cache_dir)?;
    write_model(temp.as_file_mut(), header, data)?;
    temp.persist(cache_file).map_err(|e| e.error)?;
    prune(cache_dir, cache_file, MAGIC);
    Ok(())
}

/// Writes the framed payload (`header` then `data`, postcard-encoded) to `file`, byte for byte
/// what [`frame`] makes of it, without holding the payload in memory (it would add its size
/// twice over to a first load's peak). The frame's length comes before the payload and is
/// covered by the checksum, so one pass counts the payload's bytes; the next writes and hashes
/// them, and the checksum is written into its place last.
fn write_model(file: &mut fs::File, header: &Header, data: &AttackData) -> std::io::Result<()> {
    use std::io::{BufWriter, Seek, SeekFrom};

    fn encode(out: &mut impl Write, header: &Header, data: &AttackData) -> std::io::Result<()> {
        postcard::to_io(header, &mut *out).map_err(std::io::Error::other)?;
        postcard::to_io(data, &mut *out).map_err(std::io::Error::other)?;
        Ok(())
    }
    let mut counted = Hashing {
        out: std::io::sink(),
        hasher: None,
        len: 0,
    };
    encode(&mut counted, header, data)?;
    let mut fields = Vec::with_capacity(12);
    fields.extend_from_slice(&FORMAT.to_le_bytes());
    fields.extend_from_slice(&counted.len.to_le_bytes());
    file.write_all(&MAGIC)?;
    file.write_all(&fields)?;
    file.write_all(&[0; 16])?;
    let mut hasher = Xxh3::new();
    hasher.update(&fields);
    let mut written = Hashing {
        out: &mut *file,
        hasher: Some(hasher),
        len: 0,
    };
    let mut buffered = BufWriter::with_capacity(1 << 16, &mut written);
    encode(&mut buffered, header, data)?;
    buffered.flush()?;
    drop(buffered);
    if written.len != counted.len {
        return Err(std::io::Error::other(
            "the model encoded to another length the second time",
        ));
    }
    let sum = written.hasher.map_or(0, |h| h.digest128());
    file.seek(SeekFrom::Start(FRAME as u64 - 16))?;
    file.write_all(&sum.to_le_bytes())?;
    Ok(())
}

/// A writer that counts (and, given a hasher, hashes) what goes through it.
struct Hashing<W> {
    out: W,
    hasher: Option<Xxh3>,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        let done = buf.get(..n).unwrap_or_default();
        if let Some(hasher) = &mut self.hasher {
            hasher.update(done);
        }
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Keeps the cache directory from growing without bound: the newest [`KEEP`] files that start
/// with `magic` (models, stamps) stay. Only files covmap wrote are ever removed, recognised by
/// their content: a user's `notes.model` is not one.
fn prune(cache_dir: &Path, keep: &Path, magic: [u8; 8]) {
    let Ok(entries) = fs::read_dir(cache_dir) else {
        return;
    };
    let mut ours: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p != keep && written_by_covmap(p, magic))
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    if ours.len() < KEEP {
        return;
    }
    ours.sort();
    for (_, old) in ours.iter().take(ours.len() + 1 - KEEP) {
        // Another process may have removed it already; either way it is gone.
        let _ = fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_cache_file_is_damaged_and_a_missing_one_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.model");
        let header = Header {
            format: FORMAT,
            crate_version: String::new(),
            size: 1,
            hash: 1,
            file_name: String::new(),
        };
        assert!(matches!(read_cache(&file, &header), Cached::Miss));
        fs::write(&file, b"COVMAPM\0garbage").unwrap();
        assert!(matches!(read_cache(&file, &header), Cached::Damaged(_)));
        // Another format version is a miss, not damage: format 1's layout (no frame) ...
        fs::write(&file, b"COVMAPM\0\x01\x050.1.0rest").unwrap();
        assert!(matches!(read_cache(&file, &header), Cached::Miss));
        // ... and a later format with this frame.
        let mut later = b"COVMAPM\0".to_vec();
        let fields = [3u32.to_le_bytes().as_slice(), 7u64.to_le_bytes().as_slice()].concat();
        later.extend_from_slice(&fields);
        later.extend_from_slice(&checksum(&fields, b"payload").to_le_bytes());
        later.extend_from_slice(b"payload");
        fs::write(&file, &later).unwrap();
        assert!(matches!(read_cache(&file, &header), Cached::Miss));
    }

    #[test]
    fn a_model_file_is_its_payload_framed() {
        let bundle = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/attack/mini-attack-2.1.json");
        let attack = Attack::load(&bundle).unwrap();
        let header = Header {
            format: FORMAT,
            crate_version: "1.2.3".into(),
            size: 42,
            hash: 7,
            file_name: "mini-attack-2.1.json".into(),
        };
        let mut payload = postcard::to_stdvec(&header).unwrap();
        payload.extend(postcard::to_stdvec(attack.data()).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.model");
        write_model(
            &mut fs::File::create(&file).unwrap(),
            &header,
            attack.data(),
        )
        .unwrap();
        assert_eq!(fs::read(&file).unwrap(), frame(MAGIC, &payload));
        let Cached::Hit(data) = read_cache(&file, &header) else {
            panic!("the written model does not read back");
        };
        assert_eq!(*data, *attack.data());
    }

    #[test]
    fn frames_round_trip_and_every_damage_is_caught() {
        let payload = b"some payload bytes".to_vec();
        let framed = frame(MAGIC, &payload);
        assert!(matches!(unframe(MAGIC, &framed), Framed::Payload(p) if p == payload));
        assert!(matches!(unframe(STAMP_MAGIC, &framed), Framed::Damaged(_)));
        // Every bit of every byte: magic, format, length, checksum, payload.
        for at in 0..framed.len() {
            for bit in 0..8 {
                let mut bad = framed.clone();
                bad[at] ^= 1 << bit;
                assert!(
                    matches!(unframe(MAGIC, &bad), Framed::Damaged(_)),
                    "flipping bit {bit} of byte {at} is not reported as damage"
                );
            }
        }
        for len in 0..framed.len() {
            assert!(!matches!(
                unframe(MAGIC, &framed[..len]),
                Framed::Payload(_)
            ));
        }
    }

    #[test]
    fn pruning_removes_only_covmap_files() {
        let dir = tempfile::tempdir().unwrap();
        // The user's files, named like cache files and not.
        for i in 0..KEEP + 4 {
            fs::write(dir.path().join(format!("user-{i:02}.model")), b"mine").unwrap();
        }
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        for i in 0..KEEP + 4 {
            fs::write(
                dir.path().join(format!("{i:032x}.model")),
                frame(MAGIC, b"model"),
            )
            .unwrap();
        }
        let keep = dir.path().join("keep.model");
        fs::write(&keep, frame(MAGIC, b"new")).unwrap();
        prune(dir.path(), &keep, MAGIC);
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let user = names.iter().filter(|n| n.starts_with("user-")).count();
        let ours = names
            .iter()
            .filter(|n| {
                Path::new(n).extension().is_some_and(|e| e == "model") && !n.starts_with("user-")
            })
            .count();
        assert_eq!(user, KEEP + 4, "a user file was removed: {names:?}");
        assert!(names.contains(&"notes.txt".to_string()));
        assert!(names.contains(&"keep.model".to_string()));
        assert_eq!(ours, KEEP, "{names:?}");
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
