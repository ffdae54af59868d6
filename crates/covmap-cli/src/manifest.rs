//! A report folder holds one coherent set: `.covmap-manifest.json` records the files covmap
//! wrote there and their SHA-256, so that the next run removes the files of earlier runs it
//! does not write again (a stale `chart-threats.svg` would otherwise sit beside a new report),
//! and never removes a file it did not write: a file whose content no longer matches the
//! recorded hash was changed by someone else and is kept.
//!
//! Order of a run, so that a kill at any point leaves every covmap file listed: (1) when an
//! earlier manifest lists files this run will replace or remove, a manifest listing both the
//! old and the new hashes is written first; (2) the files are written; (3) stale files are
//! removed; (4) the final manifest is written, last and atomically.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::guard::{self, Inputs};
use crate::output;

/// The manifest's file name in a report folder.
pub(crate) const NAME: &str = ".covmap-manifest.json";
/// The manifest format; a manifest of another format removes nothing.
const FORMAT: u32 = 1;
/// File names listed in a message before counting the rest.
const LISTED: usize = 10;

/// The manifest document.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// The format version.
    covmap_manifest: u32,
    /// One entry per file and content; a name appears twice only while a run is writing.
    files: Vec<Entry>,
}

/// A file covmap wrote.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The file name in the folder (never a path).
    name: String,
    /// SHA-256 of its content, lowercase hex.
    sha256: String,
}

/// One file of a report set.
pub(crate) struct SetFile<'a> {
    /// The file name.
    pub(crate) name: &'a str,
    /// Its content.
    pub(crate) bytes: &'a [u8],
}

/// SHA-256 in lowercase hex.
fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// A name the manifest may list: a plain file name in the folder, not the manifest.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name != NAME
        && !name.contains(['/', '\\', '\0'])
}

fn encode(entries: &BTreeSet<Entry>) -> Result<Vec<u8>> {
    let manifest = Manifest {
        covmap_manifest: FORMAT,
        files: entries.iter().cloned().collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// What the folder held before this run, according to its manifest.
enum Earlier {
    /// No manifest: an older covmap's folder, or files of the user's own.
    None,
    /// A manifest covmap cannot read (damaged, or another format): nothing is removed.
    Unreadable(String),
    /// The files an earlier run recorded.
    Listed(Vec<Entry>),
}

fn earlier(path: &Path) -> Earlier {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Earlier::None,
        Err(e) => return Earlier::Unreadable(e.to_string()),
    };
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(m) if m.covmap_manifest == FORMAT => Earlier::Listed(m.files),
        Ok(m) => Earlier::Unreadable(format!("manifest format {}", m.covmap_manifest)),
        Err(e) => Earlier::Unreadable(covmap_core::error::json_message(&e)),
    }
}

/// `a, b, c and 4 more`.
fn listed(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(LISTED).map(String::as_str).collect();
    let more = names.len().saturating_sub(LISTED);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Writes `files` into the report folder `dir` (as given) and keeps it coherent (see the
/// module comment). Every path is checked against `inputs` before anything is written.
pub(crate) fn write_set(dir: &Path, files: &[SetFile<'_>], inputs: &Inputs) -> Result<()> {
    let root = guard::output_dir(dir, inputs)?;
    // Refuse before writing anything, so that a refused run leaves the folder untouched.
    let mut targets = Vec::with_capacity(files.len());
    for file in files {
        if !plain_name(file.name) {
            bail!("internal error: report file name {:?}", file.name);
        }
        targets.push(guard::output_file(&dir.join(file.name), inputs)?);
    }
    let manifest_path = guard::output_file(&dir.join(NAME), inputs)?;
    let written: BTreeSet<&str> = files.iter().map(|f| f.name).collect();
    let mut new_entries: BTreeSet<Entry> = files
        .iter()
        .map(|f| Entry {
            name: f.name.to_string(),
            sha256: sha256(f.bytes),
        })
        .collect();

    let earlier = earlier(&manifest_path);
    let Sorted {
        stale,
        changed,
        still_ours,
        kept,
    } = match &earlier {
        Earlier::Listed(entries) => sort_earlier(&root, entries, &written, inputs),
        Earlier::Unreadable(why) => {
            crate::note!(
                "warning: {} is not a manifest this covmap reads ({why}); no file of an earlier run is removed",
                dir.join(NAME).display()
            );
            Sorted::default()
        }
        Earlier::None => Sorted::default(),
    };
    new_entries.extend(kept);

    // (1) Until the set is complete, the manifest lists the earlier files and the new ones.
    let union: BTreeSet<Entry> = still_ours.union(&new_entries).cloned().collect();
    if union != new_entries {
        output::write_atomic(&manifest_path, &encode(&union)?)?;
    }
    // (2) The files.
    for (file, target) in files.iter().zip(&targets) {
        output::write_atomic(target, file.bytes)?;
    }
    // (3) Stale files of earlier runs.
    let mut removed = Vec::new();
    for (path, entry) in stale {
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(entry.name),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                crate::note!(
                    "warning: cannot remove {}, a file of an earlier run: {e}",
                    path.display()
                );
                new_entries.insert(entry);
            }
        }
    }
    // (4) The manifest, last.
    output::write_atomic(&manifest_path, &encode(&new_entries)?)?;

    if !removed.is_empty() {
        crate::note!(
            "covmap: removed {} of an earlier run that this run does not write: {}",
            crate::inventory::plural(removed.len(), "file"),
            listed(&removed)
        );
    }
    if !changed.is_empty() {
        crate::note!(
            "covmap: kept {} an earlier run wrote but someone changed since: {}",
            crate::inventory::plural(changed.len(), "file"),
            listed(&changed)
        );
    }
    if matches!(earlier, Earlier::None) {
        let others = unlisted_files(&root, &written);
        if !others.is_empty() {
            crate::note!(
                "covmap: {} had no {NAME} (written by an older covmap, or files of your own): kept its {} not written by this run: {}",
                dir.display(),
                crate::inventory::plural(others.len(), "other file"),
                listed(&others)
            );
        }
    }
    Ok(())
}

/// The earlier run's files, sorted by what this run does with them.
#[derive(Default)]
struct Sorted {
    /// Still what covmap wrote and not written by this run: removed.
    stale: Vec<(PathBuf, Entry)>,
    /// Not written by this run and changed since covmap wrote them: kept (names).
    changed: Vec<String>,
    /// Every entry whose file is still what covmap wrote.
    still_ours: BTreeSet<Entry>,
    /// Still covmap's, not written by this run, but inputs of it: kept and listed again.
    kept: Vec<Entry>,
}

/// Sorts an earlier manifest's entries: files this run does not write are removed if they are
/// still what covmap wrote, kept otherwise.
fn sort_earlier(
    root: &Path,
    entries: &[Entry],
    written: &BTreeSet<&str>,
    inputs: &Inputs,
) -> Sorted {
    let mut sorted = Sorted::default();
    for entry in entries {
        if !plain_name(&entry.name) {
            continue;
        }
        let path = root.join(&entry.name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue; // gone already
        };
        let same = meta.is_file()
            && std::fs::read(&path).is_ok_and(|bytes| sha256(&bytes) == entry.sha256);
        if !same {
            if !written.contains(entry.name.as_str()) {
                sorted.changed.push(entry.name.clone());
            }
            continue;
        }
        sorted.still_ours.insert(entry.clone());
        if written.contains(entry.name.as_str()) {
            continue;
        }
        if guard::output_file(&path, inputs).is_err() {
            // An input of this run (`covmap report DIR/assessment.json -o DIR`).
            sorted.kept.push(entry.clone());
        } else {
            sorted.stale.push((path, entry.clone()));
        }
    }
    sorted.changed.sort();
    sorted.changed.dedup();
    sorted
}

/// Files in `dir` this run did not write (dot files left out), sorted.
fn unlisted_files(dir: &Path, written: &BTreeSet<&str>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !written.contains(n.as_str()))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outside_the_folder_are_never_listed() {
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", NAME] {
            assert!(!plain_name(bad), "{bad:?}");
        }
        assert!(plain_name("heatmap-compare-3.svg"));
    }

    #[test]
    fn sha256_is_the_standard_one() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
