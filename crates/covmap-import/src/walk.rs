//! Finding the files of an import: paths given, folders walked recursively.
//!
//! - **Sorted**: each path given in turn, folders depth first with entries sorted by name
//!   (output must not depend on the file system's order). Hidden entries (`.git`) are skipped.
//! - **Symbolic links are followed**, so that a linked rule folder is read, but **each real
//!   file and folder is read once**: they are told apart by (device, inode), so a second path
//!   to a folder already walked is not walked again, and a second path to a file already listed
//!   (a symbolic or hard link, a path given twice) is not listed again; both are findings naming
//!   the path kept (the first in walking order). Without this, links that branch without
//!   looping made 2^N paths (18 levels of two links each took over 30 s).
//! - A link back to a folder being walked (a loop) is reported once, not followed.
//! - **System folders** `/proc`, `/sys` and `/dev` are never walked, also when a link leads
//!   there (the resolved path, and the device of `/proc` and `/sys`, are checked).
//! - **Only regular files** are listed: a FIFO, device or socket, given or found in a folder, is
//!   a finding saying what it is, and is never opened (opening a FIFO blocks until a writer
//!   comes). Reading goes through [`covmap_core::input::read_regular`], which checks again.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::model::Finding;

/// What identifies a real file or folder: (device, inode) on Unix, the resolved path elsewhere.
#[cfg(unix)]
type RealId = (u64, u64);
#[cfg(not(unix))]
type RealId = PathBuf;

#[cfg(unix)]
fn real_id(_: &Path, meta: &fs::Metadata) -> RealId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn real_id(path: &Path, _: &fs::Metadata) -> RealId {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The folders never walked.
const SYSTEM_FOLDERS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// The files to read under `paths` whose name ends with one of `extensions` (lowercase, no
/// dot; empty: every file), in order: each given path in turn, folders sorted. A path given
/// explicitly as a file is always kept, whatever its extension (if it is a regular file).
/// Problems (missing paths, loops, second paths, system folders, special files, unreadable
/// folders) are returned as findings.
pub fn files(paths: &[PathBuf], extensions: &[&str]) -> (Vec<PathBuf>, Vec<Finding>) {
    let mut walk = Walk {
        extensions,
        out: Vec::new(),
        findings: Vec::new(),
        files: HashMap::new(),
        folders: HashMap::new(),
        system_devices: system_devices(),
    };
    for root in paths {
        let meta = match fs::metadata(root) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                walk.finding(root, "no such file or folder: skipped".to_string());
                continue;
            }
            Err(e) => {
                walk.finding(root, format!("cannot read: {e}: skipped"));
                continue;
            }
        };
        if meta.is_dir() {
            let before = walk.out.len();
            if walk.folder(root, &meta) && walk.out.len() == before {
                walk.finding(root, "the folder holds no file to import".to_string());
            }
        } else {
            walk.file(root, &meta, true);
        }
    }
    (walk.out, walk.findings)
}

/// The devices of `/proc` and `/sys` (a bind mount of them elsewhere is theirs too).
fn system_devices() -> Vec<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ["/proc", "/sys"]
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.dev())
            .collect()
    }
    #[cfg(not(unix))]
    Vec::new()
}

/// One step of the depth-first walk.
enum Step {
    /// Look at this path (found in a folder).
    Visit(PathBuf),
    /// Done with the folder of this id: it is no longer an ancestor.
    Leave(RealId),
}

struct Walk<'e> {
    extensions: &'e [&'e str],
    out: Vec<PathBuf>,
    findings: Vec<Finding>,
    /// Real files listed -> the path listed.
    files: HashMap<RealId, PathBuf>,
    /// Real folders walked -> the path walked.
    folders: HashMap<RealId, PathBuf>,
    system_devices: Vec<u64>,
}

impl Walk<'_> {
    fn finding(&mut self, path: &Path, message: String) {
        self.findings.push(Finding::file(path, message));
    }

    /// Lists a file (given: explicitly, kept whatever its extension), once per real file.
    fn file(&mut self, path: &Path, meta: &fs::Metadata, given: bool) {
        if let Some(what) = covmap_core::input::not_regular(&meta.file_type()) {
            self.finding(path, format!("is {what}, not a file: skipped"));
            return;
        }
        if !given && !wanted(path, self.extensions) {
            return;
        }
        let id = real_id(path, meta);
        if let Some(first) = self.files.get(&id) {
            let message = format!(
                "the same file as {} (a link, or a path given twice): read once",
                first.display()
            );
            self.finding(path, message);
            return;
        }
        self.files.insert(id, path.to_path_buf());
        self.out.push(path.to_path_buf());
    }

    /// Why the folder at `path` must not be walked: a system folder.
    fn system_folder(&self, path: &Path, meta: &fs::Metadata) -> Option<String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if self.system_devices.contains(&meta.dev()) {
                return Some(
                    "a system folder (the kernel's /proc or /sys file system) is never walked: \
                     skipped"
                        .to_string(),
                );
            }
        }
        let _ = meta;
        let real = fs::canonicalize(path).ok()?;
        SYSTEM_FOLDERS.iter().any(|s| real.starts_with(s)).then(|| {
            format!(
                "a system folder ({}) is never walked: skipped",
                real.display()
            )
        })
    }

    /// Walks a folder given as a root; false when it was not walked (a second path, a system
    /// folder).
    fn folder(&mut self, root: &Path, meta: &fs::Metadata) -> bool {
        let mut ancestors: HashMap<RealId, PathBuf> = HashMap::new();
        if !self.enter(root, meta, &mut ancestors) {
            return false;
        }
        let mut steps = vec![Step::Leave(real_id(root, meta))];
        self.list(root, &mut steps);
        while let Some(step) = steps.pop() {
            match step {
                Step::Leave(id) => {
                    ancestors.remove(&id);
                }
                Step::Visit(path) => {
                    let meta = match fs::metadata(&path) {
                        Ok(meta) => meta,
                        Err(e) => {
                            let dangling = fs::symlink_metadata(&path).is_ok()
                                && e.kind() == std::io::ErrorKind::NotFound;
                            let message = if dangling {
                                "a symbolic link to nothing: skipped".to_string()
                            } else {
                                format!("cannot read: {e}: skipped")
                            };
                            self.finding(&path, message);
                            continue;
                        }
                    };
                    if meta.is_dir() {
                        if self.enter(&path, &meta, &mut ancestors) {
                            steps.push(Step::Leave(real_id(&path, &meta)));
                            self.list(&path, &mut steps);
                        }
                    } else {
                        self.file(&path, &meta, false);
                    }
                }
            }
        }
        true
    }

    /// Whether to walk the folder at `path`: not a loop, not a second path, not a system
    /// folder (each reported). Records it as walked and as an ancestor.
    fn enter(
        &mut self,
        path: &Path,
        meta: &fs::Metadata,
        ancestors: &mut HashMap<RealId, PathBuf>,
    ) -> bool {
        let id = real_id(path, meta);
        if let Some(ancestor) = ancestors.get(&id) {
            let message = format!(
                "symbolic link loop back to {}: not followed",
                ancestor.display()
            );
            self.finding(path, message);
            return false;
        }
        if let Some(first) = self.folders.get(&id) {
            let message = format!(
                "a second path to the folder {} (a link, or a path given twice): not walked again",
                first.display()
            );
            self.finding(path, message);
            return false;
        }
        if let Some(why) = self.system_folder(path, meta) {
            self.finding(path, why);
            return false;
        }
        ancestors.insert(id, path.to_path_buf());
        self.folders.insert(real_id(path, meta), path.to_path_buf());
        true
    }

    /// Pushes the visible entries of the folder at `path`, so that they pop in sorted order.
    fn list(&mut self, path: &Path, steps: &mut Vec<Step>) {
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => {
                self.finding(path, format!("cannot read: {e}: skipped"));
                return;
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name();
                    if !name.to_string_lossy().starts_with('.') {
                        names.push(name);
                    }
                }
                Err(e) => self.finding(path, format!("cannot read: {e}: skipped")),
            }
        }
        names.sort();
        steps.extend(names.into_iter().rev().map(|n| Step::Visit(path.join(n))));
    }
}

fn wanted(path: &Path, extensions: &[&str]) -> bool {
    extensions.is_empty()
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_filtered_and_hidden_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/.git")).expect("mkdir");
        std::fs::create_dir_all(root.join("a")).expect("mkdir");
        for f in [
            "b/z.yml",
            "b/a.yml",
            "a/x.YML",
            "a/readme.md",
            "b/.git/h.yml",
        ] {
            std::fs::write(root.join(f), "x").expect("write");
        }
        let (files, findings) = files(&[root.to_path_buf()], &["yml"]);
        let names: Vec<_> = files
            .iter()
            .map(|p| p.strip_prefix(root).expect("under root").to_path_buf())
            .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("a/x.YML"),
                PathBuf::from("b/a.yml"),
                PathBuf::from("b/z.yml")
            ]
        );
        assert!(findings.is_empty());
    }

    #[test]
    fn missing_and_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (files, findings) = files(
            &[dir.path().join("nope"), dir.path().to_path_buf()],
            &["yml"],
        );
        assert!(files.is_empty());
        assert_eq!(findings.len(), 2);
        assert!(findings[0].message.contains("no such file"));
        assert!(findings[1].message.contains("no file to import"));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_reported_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("rules")).expect("mkdir");
        std::fs::write(root.join("rules/r.yml"), "x").expect("write");
        std::os::unix::fs::symlink(root, root.join("rules/loop")).expect("symlink");
        let (files, findings) = files(&[root.to_path_buf()], &["yml"]);
        assert_eq!(files.len(), 1);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("loop"), "{}", findings[0]);
    }

    #[cfg(unix)]
    #[test]
    fn links_to_files_and_folders_and_paths_given_twice_are_read_once() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("rules");
        std::fs::create_dir_all(root.join("a")).expect("mkdir");
        std::fs::write(root.join("a/r.yml"), "x").expect("write");
        symlink(root.join("a"), root.join("b")).expect("folder link");
        symlink(root.join("a/r.yml"), root.join("c.yml")).expect("file link");
        std::fs::hard_link(root.join("a/r.yml"), root.join("d.yml")).expect("hard link");
        let (files, findings) = files(&[root.clone(), root.join("a/r.yml")], &["yml"]);
        assert_eq!(files, [root.join("a/r.yml")]);
        let messages: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        let kept = root.join("a/r.yml").display().to_string();
        assert!(
            messages[0].contains("a second path to the folder"),
            "{messages:?}"
        );
        assert!(messages[0].starts_with(&root.join("b").display().to_string()));
        for m in &messages[1..] {
            assert!(m.contains(&format!("the same file as {kept}")), "{m}");
        }
    }

    /// Links that branch without looping: level i holds two links to level i + 1, so the
    /// file at the bottom has 2^20 paths. It is read once, in well under a second.
    #[cfg(unix)]
    #[test]
    fn branching_links_read_each_file_once_and_fast() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("temp dir");
        let levels = 20;
        for i in 0..=levels {
            std::fs::create_dir(dir.path().join(format!("d{i}"))).expect("mkdir");
        }
        for i in 0..levels {
            let here = dir.path().join(format!("d{i}"));
            let next = dir.path().join(format!("d{}", i + 1));
            symlink(&next, here.join("a")).expect("link a");
            symlink(&next, here.join("b")).expect("link b");
        }
        std::fs::write(dir.path().join(format!("d{levels}/r.yml")), "x").expect("write");
        let started = std::time::Instant::now();
        let (files, findings) = files(&[dir.path().join("d0")], &["yml"]);
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        assert_eq!(files.len(), 1);
        assert!(files[0].ends_with("a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/r.yml"));
        // One second path per level.
        assert_eq!(findings.len(), levels, "{findings:?}");
        assert!(
            findings
                .iter()
                .all(|f| f.message.contains("a second path to the folder"))
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn system_folders_are_never_walked_even_through_a_link() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::symlink("/proc/self", dir.path().join("p")).expect("link");
        std::os::unix::fs::symlink("/dev", dir.path().join("d")).expect("link");
        std::fs::write(dir.path().join("r.yml"), "x").expect("write");
        let (files, findings) = files(&[dir.path().to_path_buf(), PathBuf::from("/sys")], &["yml"]);
        assert_eq!(files, [dir.path().join("r.yml")]);
        assert_eq!(findings.len(), 3, "{findings:?}");
        assert!(
            findings
                .iter()
                .all(|f| f.message.contains("a system folder")),
            "{findings:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_given_or_found_is_refused_without_opening_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("pipe.yml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let (files, findings) = files(
            &[
                fifo.clone(),
                dir.path().to_path_buf(),
                PathBuf::from("/dev/null"),
            ],
            &["yml"],
        );
        assert!(files.is_empty());
        let messages: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                format!(
                    "{}: is a FIFO (named pipe), not a file: skipped",
                    fifo.display()
                ),
                format!(
                    "{}: is a FIFO (named pipe), not a file: skipped",
                    fifo.display()
                ),
                format!(
                    "{}: the folder holds no file to import",
                    dir.path().display()
                ),
                "/dev/null: is a character device, not a file: skipped".to_string(),
            ]
        );
    }
}
