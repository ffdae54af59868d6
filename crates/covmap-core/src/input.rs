//! Reading input files with a size limit, so that a hostile or mistaken input (a 200 MB
//! "layer", `/dev/zero`) ends in a clear error instead of exhausting memory.
//!
//! [`read_regular`] reads only regular files: it refuses a FIFO, a device or a socket before
//! opening it (opening a FIFO blocks until a writer comes; reading a device may never end),
//! and opens without blocking and checks again, for a file swapped in between. Imports read
//! through it.
//!
//! The limit is [`DEFAULT_MAX_INPUT_MIB`] per file (the largest real input, MITRE's enterprise
//! bundle, is about 50 MB), or the `COVMAP_MAX_INPUT_MIB` environment variable when set.

use std::io::{self, Read};
use std::path::Path;

/// The default largest file covmap reads, in MiB.
pub const DEFAULT_MAX_INPUT_MIB: u64 = 128;

/// The environment variable that changes the limit.
pub const MAX_INPUT_ENV: &str = "COVMAP_MAX_INPUT_MIB";

/// The largest file covmap reads, in bytes.
pub fn max_input_bytes() -> u64 {
    std::env::var(MAX_INPUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&mib| mib > 0)
        .unwrap_or(DEFAULT_MAX_INPUT_MIB)
        .saturating_mul(1024 * 1024)
}

/// The error for a file of `size` bytes (or more) over the limit of `limit` bytes.
fn too_large(size: u64, limit: u64, at_least: bool) -> io::Error {
    let mib = |b: u64| b.div_ceil(1024 * 1024);
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "the file is {}{} MiB, more than the {} MiB covmap reads from one file\n  hint: if \
             it is genuine, raise the limit with {MAX_INPUT_ENV}=N (MiB)",
            if at_least { "at least " } else { "" },
            mib(size),
            mib(limit)
        ),
    )
}

/// Fails when the file at `path` is larger than the limit (a directory or missing file is
/// left to the read that follows).
pub fn check_size(path: &Path) -> io::Result<()> {
    let limit = max_input_bytes();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() > limit => {
            Err(too_large(meta.len(), limit, false))
        }
        _ => Ok(()),
    }
}

/// Reads the whole file at `path`, refusing one larger than the limit. The read itself is
/// bounded too, for files whose size the metadata does not tell (pipes, devices, a file still
/// growing).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    check_size(path)?;
    let limit = max_input_bytes();
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(capacity_for(&file, limit));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit, true));
    }
    Ok(bytes)
}

/// What a file that is not a regular file is (`a FIFO (named pipe)`, `a character device`,
/// `a folder`...), for a refusal; `None` for a regular file.
pub fn not_regular(file_type: &std::fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// The error for a path that is `what` ([`not_regular`]).
fn not_a_file(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is {what}, not a file"),
    )
}

/// Reads the whole regular file at `path`, like [`read`], refusing anything else (FIFO,
/// device, socket, folder) without blocking: the type is checked before opening, and the file
/// is opened non-blocking and checked again.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if let Some(what) = not_regular(&meta.file_type()) {
        return Err(not_a_file(what));
    }
    let limit = max_input_bytes();
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit, false));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO swapped in after the check opens at once instead of waiting for
        // a writer (it is refused just below); regular files ignore the flag.
        options.custom_flags(i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0));
    }
    let file = options.open(path)?;
    if let Some(what) = not_regular(&file.metadata()?.file_type()) {
        return Err(not_a_file(what));
    }
    let mut bytes = Vec::with_capacity(capacity_for(&file, limit));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit, true));
    }
    Ok(bytes)
}

/// The buffer to read a file into: its size (plus the byte that tells it did not grow) when
/// the metadata tells it, within the limit. Without it the buffer doubles as it fills: a 50 MB
/// bundle would touch 96 MB (the 32 MB and 64 MB buffers at once) and copy 64 MB on the way.
fn capacity_for(file: &std::fs::File, limit: u64) -> usize {
    file.metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map_or(0, |meta| {
            usize::try_from(meta.len().min(limit).saturating_add(1)).unwrap_or(0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.json");
        let file = std::fs::File::create(&path).unwrap();
        // Sparse: no 200 MB are written.
        file.set_len(200 * 1024 * 1024).unwrap();
        let err = read(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            err.to_string()
                .starts_with("the file is 200 MiB, more than the 128 MiB covmap reads"),
            "{err}"
        );
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(read(&path).unwrap(), b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_and_a_device_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.yml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // No writer: opening it for reading would block forever.
        let err = read_regular(&fifo).unwrap_err();
        assert_eq!(err.to_string(), "is a FIFO (named pipe), not a file");
        let err = read_regular(Path::new("/dev/null")).unwrap_err();
        assert_eq!(err.to_string(), "is a character device, not a file");
        let err = read_regular(dir.path()).unwrap_err();
        assert_eq!(err.to_string(), "is a folder, not a file");
        let file = dir.path().join("f.yml");
        std::fs::write(&file, b"x: 1").unwrap();
        assert_eq!(read_regular(&file).unwrap(), b"x: 1");
    }
}
