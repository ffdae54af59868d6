//! The one rule every file covmap writes goes through: never write over an input, and only ever
//! replace a regular file.
//!
//! Paths are compared as the operating system will resolve them when the file is written:
//! `..`, `.` and symlinks resolved, and components that do not exist yet taken as the folders
//! `create_dir_all` would make (so `-o nonexistent/../inventory.yaml` is the inventory). An
//! existing output is also compared by (device, inode), which catches hard links. An output
//! inside a folder an import reads is refused too: the next run would read it as input.

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Result, bail};

/// Everything a command reads: files, and folders whose whole content is read.
#[derive(Debug, Default, Clone)]
pub(crate) struct Inputs {
    /// Files read, as given.
    files: Vec<PathBuf>,
    /// Folders read (rule repositories, `atomics/`), as given.
    folders: Vec<PathBuf>,
}

impl Inputs {
    /// No input yet.
    pub(crate) fn new() -> Inputs {
        Inputs::default()
    }

    /// Adds a file the command reads.
    pub(crate) fn file(&mut self, path: &Path) -> &mut Inputs {
        self.files.push(path.to_path_buf());
        self
    }

    /// Adds a file the command may read: the ATT&CK bundle, which the built-in release has none of.
    pub(crate) fn maybe_file(&mut self, path: Option<&Path>) -> &mut Inputs {
        if let Some(path) = path {
            self.file(path);
        }
        self
    }

    /// Adds files the command reads.
    pub(crate) fn files<'a>(
        &mut self,
        paths: impl IntoIterator<Item = &'a PathBuf>,
    ) -> &mut Inputs {
        for path in paths {
            self.file(path);
        }
        self
    }

    /// Adds a path an import reads: a folder (all of it) or a file.
    pub(crate) fn path(&mut self, path: &Path) -> &mut Inputs {
        if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            self.folders.push(path.to_path_buf());
        } else {
            self.files.push(path.to_path_buf());
        }
        self
    }

    /// Adds the inventories, every `import:` path of every capability, every threat profile
    /// file and the bundle of a loaded inventory.
    pub(crate) fn loaded(&mut self, loaded: &crate::inventory::Loaded) -> &mut Inputs {
        for source in &loaded.sources {
            self.file(&source.path);
        }
        for capability in &loaded.parsed.inventory.capabilities {
            for spec in &capability.imports {
                for path in &spec.paths {
                    self.path(path);
                }
            }
        }
        // a threat profile is read on every load: no output may replace it.
        for profile in &loaded.parsed.inventory.scope.threats.profiles {
            self.file(&profile.path);
        }
        self.maybe_file(loaded.bundle.as_deref());
        self
    }
}

/// Where an output file will really be written: `path` resolved (see the module comment).
pub(crate) fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut resolved = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            // `resolved` has no symlink left in it, so its lexical parent is the real one; a
            // missing folder is one `create_dir_all` makes, and `..` leaves it again.
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if let Ok(real) = fs::canonicalize(&resolved) {
                    resolved = real;
                } else if let Ok(target) = fs::read_link(&resolved) {
                    // A dangling symlink: writing creates its target.
                    resolved.pop();
                    resolved = resolve_lexical(&resolved.join(target));
                }
            }
            other => resolved.push(other.as_os_str()),
        }
    }
    resolved
}

/// `.` and `..` removed without touching the file system.
fn resolve_lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// What a non-regular file is, for messages.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

/// (device, inode) of an existing file, following symlinks.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// `shown (really resolved)` when they differ, else `shown`.
fn named(shown: &Path, resolved: &Path) -> String {
    if shown == resolved || std::path::absolute(shown).ok().as_deref() == Some(resolved) {
        shown.display().to_string()
    } else {
        format!("{} (that is {})", shown.display(), resolved.display())
    }
}

/// Checks that `path` may be written as an output file and returns where to write it (the
/// resolved path, so that a symlink to a regular file is written through, not replaced).
/// Refuses, before anything is written: an input (same resolved path, or same device and
/// inode), a path inside a folder an input reads, and anything that exists and is not a
/// regular file (directory, FIFO, socket, device, or a symlink to one).
pub(crate) fn output_file(path: &Path, inputs: &Inputs) -> Result<PathBuf> {
    if path.as_os_str().is_empty() {
        bail!("the output path is empty");
    }
    let resolved = resolve(path);
    if let Ok(meta) = fs::metadata(&resolved)
        && !meta.is_file()
    {
        let link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        bail!(
            "{} is {}{}; covmap only ever replaces regular files\n  hint: choose a file path{}",
            named(path, &resolved),
            if link { "a symlink to " } else { "" },
            kind_of(&meta),
            if path == Path::new("/dev/stdout") || resolved == Path::new("/dev/null") {
                "; `-o -` writes a single file to stdout"
            } else {
                ""
            }
        );
    }
    let id = identity(&resolved);
    for input in &inputs.files {
        let input_resolved = resolve(input);
        if input_resolved == resolved || (id.is_some() && identity(&input_resolved) == id) {
            bail!(
                "{} is one of the inputs; covmap never overwrites its inputs\n  hint: this run reads it as {}; choose another output path",
                named(path, &resolved),
                input.display()
            );
        }
    }
    refuse_inside_folders(path, &resolved, inputs)?;
    Ok(resolved)
}

/// Checks that `dir` may receive a report set and returns it resolved: not an existing
/// non-directory, and not inside (or equal to) a folder an import reads. Each file of the set
/// still goes through [`output_file`].
pub(crate) fn output_dir(dir: &Path, inputs: &Inputs) -> Result<PathBuf> {
    if dir.as_os_str().is_empty() {
        bail!("the output directory is empty");
    }
    let resolved = resolve(dir);
    if let Ok(meta) = fs::metadata(&resolved)
        && !meta.is_dir()
    {
        bail!(
            "{} is {}, not a directory; a report set is written into a directory\n  hint: choose a directory path",
            named(dir, &resolved),
            if meta.is_file() {
                "a file"
            } else {
                kind_of(&meta)
            }
        );
    }
    refuse_inside_folders(dir, &resolved, inputs)?;
    Ok(resolved)
}

fn refuse_inside_folders(shown: &Path, resolved: &Path, inputs: &Inputs) -> Result<()> {
    for folder in &inputs.folders {
        let folder_resolved = resolve(folder);
        if resolved.starts_with(&folder_resolved) {
            bail!(
                "{} is inside the input folder {}; an import reads all of it, so the next run would read covmap's output as input\n  hint: write outside the folders you import",
                named(shown, resolved),
                folder.display()
            );
        }
    }
    Ok(())
}

/// `-o -`: the output goes to stdout.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Refuses `-o -` for a command that writes several files.
pub(crate) fn refuse_stdout_set(dir: &Path, command: &str) -> Result<()> {
    if is_stdout(dir) {
        bail!(
            "`{command} -o -`: a report set is several files and cannot go to stdout\n  hint: pass a directory to -o; for one Navigator layer on stdout use `covmap export navigator INVENTORY -o -`"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_through_a_missing_folder_is_the_file_itself() {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("inventory.yaml");
        fs::write(&inventory, "x").unwrap();
        let mut inputs = Inputs::new();
        inputs.file(&inventory);
        for tricky in [
            "x/../inventory.yaml",
            "nonexistent/a/../../inventory.yaml",
            "./inventory.yaml",
        ] {
            let err = output_file(&dir.path().join(tricky), &inputs).unwrap_err();
            assert!(
                err.to_string().contains("is one of the inputs"),
                "{tricky}: {err}"
            );
        }
        assert!(output_file(&dir.path().join("x/../other.yaml"), &inputs).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_and_hard_links_to_an_input_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("inventory.yaml");
        fs::write(&inventory, "x").unwrap();
        std::os::unix::fs::symlink(&inventory, dir.path().join("link")).unwrap();
        fs::hard_link(&inventory, dir.path().join("hard")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("here")).unwrap();
        let mut inputs = Inputs::new();
        inputs.file(&inventory);
        for name in [
            "link",
            "hard",
            "here/inventory.yaml",
            "here/here/inventory.yaml",
            "here/./here/inventory.yaml",
        ] {
            let err = output_file(&dir.path().join(name), &inputs).unwrap_err();
            assert!(
                err.to_string().contains("is one of the inputs"),
                "{name}: {err}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn dev_null_and_other_devices_are_refused_without_writing() {
        // Only the check runs here: nothing is ever written, so this is safe even as root.
        for device in ["/dev/null", "/dev/zero"] {
            let err = output_file(Path::new(device), &Inputs::new()).unwrap_err();
            assert!(
                err.to_string().contains("character device"),
                "{device}: {err}"
            );
        }
        let err = output_dir(Path::new("/dev/null"), &Inputs::new()).unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
    }

    #[test]
    fn an_output_inside_an_imported_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        fs::create_dir_all(rules.join("sub")).unwrap();
        let mut inputs = Inputs::new();
        inputs.path(&rules);
        let err = output_file(&rules.join("sub/../new.yaml"), &inputs).unwrap_err();
        assert!(err.to_string().contains("inside the input folder"), "{err}");
        let err = output_dir(&rules.join("reports"), &inputs).unwrap_err();
        assert!(err.to_string().contains("inside the input folder"), "{err}");
        assert!(output_file(&rules.join("../beside.yaml"), &inputs).is_ok());
        assert!(output_dir(&dir.path().join("rules-reports"), &inputs).is_ok());
    }
}
