//! Finding the files of an import: paths given, folders walked recursively.
//!
//! Folders are walked in sorted order (output must not depend on the file system's order),
//! following symbolic links so that a linked rule folder is read, with loops detected by walkdir
//! (a link to an ancestor is reported once, not followed). Hidden entries (`.git`) are skipped.

use std::path::{Path, PathBuf};

use crate::model::Finding;

/// The files to read under `paths` whose name ends with one of `extensions` (lowercase, no
/// dot; empty: every file), in order: each given path in turn, folders sorted. A path given
/// explicitly as a file is always kept, whatever its extension. Problems (missing paths, loops,
/// unreadable folders) are returned as findings.
pub fn files(paths: &[PathBuf], extensions: &[&str]) -> (Vec<PathBuf>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut findings = Vec::new();
    for root in paths {
        if root.is_file() {
            out.push(root.clone());
            continue;
        }
        if !root.is_dir() {
            findings.push(Finding::file(root, "no such file or folder: skipped"));
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        let before = out.len();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_file() && wanted(entry.path(), extensions) {
                        out.push(entry.into_path());
                    }
                }
                Err(e) => findings.push(walk_finding(root, &e)),
            }
        }
        if out.len() == before {
            findings.push(Finding::file(root, "the folder holds no file to import"));
        }
    }
    (out, findings)
}

fn wanted(path: &Path, extensions: &[&str]) -> bool {
    extensions.is_empty()
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn walk_finding(root: &Path, e: &walkdir::Error) -> Finding {
    let path = e.path().unwrap_or(root);
    match e.loop_ancestor() {
        Some(ancestor) => Finding::file(
            path,
            format!(
                "symbolic link loop back to {}: not followed",
                ancestor.display()
            ),
        ),
        None => Finding::file(path, format!("cannot read: {e}: skipped")),
    }
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
}
