//! covmap's importers: the coverage teams already keep, turned into inventory capabilities.
//!
//! Each format module reads one kind of artefact: [`navigator`] (ATT&CK Navigator layers) and
//! [`ctid`] (CTID Mappings Explorer JSON and security-stack-mappings YAML), [`dettect`]
//! (DeTT&CT technique administration files), [`sigma`] (Sigma rules), [`splunk`] (Splunk
//! security_content detections) and [`elastic`] (Elastic detection-rules). Two formats say
//! which logs are collected instead, and give telemetry: [`sysmon`] (Sysmon configurations)
//! and DeTT&CT data-source administration files ([`dettect::parse_data_sources`]); see
//! [`telemetry`].
//!
//! Pipeline: paths -> [`walk::files`] (folders recursively, sorted, each real file once, symlink
//! loops, system folders and special files reported) ->
//! each file's text -> the format's `parse(text, path, options, &mut Imported)` -> an
//! [`Imported`]: format-neutral [`ImportedCapability`]s whose entries keep the technique ID as
//! the source wrote it, a function, a level and the [`Evidence`]; a [`Summary`] of counts; and a
//! [`Finding`] for every skipped or malformed file or item (one bad file never stops an import).
//! Then [`resolve::resolve`] checks the IDs against a loaded [`covmap_core::Attack`]: revoked
//! IDs become their replacement (listed), deprecated and unknown ones are dropped (findings).
//!
//! ```no_run
//! use covmap_import::navigator::{self, NavigatorOptions};
//! let attack = covmap_core::Attack::load("enterprise-attack-18.1.json".as_ref())?;
//! let mut imported = navigator::import(&["layer.json".into()], &NavigatorOptions::default());
//! let resolution = covmap_import::resolve::resolve(&mut imported, &attack);
//! println!("{} techniques, {} remapped", imported.summary.techniques.len(), resolution.remapped.len());
//! # Ok::<(), covmap_core::LoadError>(())
//! ```
//!
//! [`request::Request`] runs all of this for one import as a user asks for it (options checked
//! against the format; `auto` recognises each file's format with [`detect`]), and
//! [`write::inventory_yaml`] writes the outcome as an inventory; [`expand::expand`] does the same
//! for the `import:` entries of an inventory's capabilities when it is loaded. [`atomic`] reads
//! Atomic Red Team tests for test readiness.
//!
//! YAML is read only through covmap-assess's `yaml` module ([`covmap_assess::yaml::from_str`]),
//! JSON with serde_json, TOML with the `toml` crate. The crate never prints and never exits;
//! it reads the files it is given, and nothing else.

// No panics on user-controlled data: unwrap, expect, panic! and unchecked indexing are refused
// outside tests; the few modules that index their own arrays say why they may.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod atomic;
pub mod ctid;
pub mod detect;
pub mod dettect;
pub mod elastic;
pub mod expand;
pub mod model;
pub mod navigator;
pub mod platform;
pub mod profile;
pub mod request;
pub mod resolve;
pub mod rules;
pub mod sigma;
pub mod splunk;
pub mod sysmon;
pub mod telemetry;
pub mod text;
pub mod walk;
pub mod write;

use std::path::{Path, PathBuf};

pub use model::{
    Evidence, Finding, Imported, ImportedCapability, ImportedEntry, ImportedSource,
    ImportedTelemetry, ParentOnly, Summary,
};

/// A file read for an import: its path and text.
pub(crate) type Text = (PathBuf, String);

/// Reads the files under `paths` with one of `extensions`; unreadable and non-UTF-8 files
/// become findings of the returned (otherwise empty) [`Imported`].
pub(crate) fn read_files(paths: &[PathBuf], extensions: &[&str]) -> (Vec<Text>, Imported) {
    let (files, findings) = walk::files(paths, extensions);
    let mut imported = Imported {
        findings,
        ..Imported::default()
    };
    let mut texts = Vec::with_capacity(files.len());
    for path in files {
        // Regular files only, opened without blocking (the walk checked; this checks again).
        match covmap_core::input::read_regular(&path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
                // An empty file holds no rule; saying so beats importing "nothing" silently.
                imported.skip_file(Finding::file(&path, "the file is empty: skipped"));
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                // Asked for a coverage format, a Sysmon configuration is skipped with that
                // reason, not misread (`sysmon` and `auto`, which read `.xml`, take it).
                Ok(text) => match detect::not_importable(&path, &text) {
                    Some(why) if !extensions.contains(&"xml") => {
                        imported.skip_file(Finding::file(&path, why));
                    }
                    _ => texts.push((path, text)),
                },
                Err(e) => {
                    let valid = e.utf8_error().valid_up_to();
                    let prefix = std::str::from_utf8(e.as_bytes().get(..valid).unwrap_or_default())
                        .unwrap_or_default();
                    let (line, column) = text::LineIndex::new(prefix).position(valid);
                    imported.skip_file(Finding::at(
                        &path,
                        line,
                        column,
                        "not UTF-8 text: skipped (save it as UTF-8)",
                    ));
                }
            },
            Err(e) => {
                // A hint on later lines goes after the verdict.
                let message = e.to_string();
                let (first, hint) = message.split_once('\n').unwrap_or((&message, ""));
                let hint = if hint.is_empty() {
                    String::new()
                } else {
                    format!("\n{hint}")
                };
                imported.skip_file(Finding::file(
                    &path,
                    format!("cannot read: {first}: skipped{hint}"),
                ));
            }
        }
    }
    (texts, imported)
}

/// Reads the files under `paths` with one of `extensions` and hands them to `import_texts`
/// (with `paths` as the roots); findings end sorted.
pub(crate) fn import_files(
    paths: &[PathBuf],
    extensions: &[&str],
    import_texts: impl FnOnce(&[PathBuf], &[Text], &mut Imported),
) -> Imported {
    let (texts, mut imported) = read_files(paths, extensions);
    import_texts(paths, &texts, &mut imported);
    imported.sort_findings();
    imported
}

/// Hands every text to `parse`, one file after the other.
pub(crate) fn each_text(texts: &[Text], mut parse: impl FnMut(&str, &Path)) {
    for (path, text) in texts {
        parse(text, path);
    }
}
