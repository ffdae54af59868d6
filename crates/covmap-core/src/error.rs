//! Errors raised while loading an ATT&CK bundle.

use std::path::PathBuf;

/// Why an ATT&CK STIX bundle could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON, or a known field has the wrong type.
    #[error("{}:{line}:{column}: invalid STIX JSON: {message}", path.display())]
    Json {
        /// The file that failed.
        path: PathBuf,
        /// 1-based line of the failure.
        line: usize,
        /// 1-based column of the failure; 0 when the input ended at the start of a line
        /// (an empty file, or one cut after a newline).
        column: usize,
        /// What the JSON parser reported.
        message: String,
    },
    /// The JSON is well formed but is not a STIX bundle.
    #[error(
        "{}: not a STIX bundle ({found}); expected an object with \"type\": \"bundle\" and an \"objects\" array, such as MITRE's enterprise-attack.json",
        path.display()
    )]
    NotABundle {
        /// The file that failed.
        path: PathBuf,
        /// What was found instead.
        found: String,
    },
    /// The bundle holds STIX objects but no active ATT&CK matrix.
    #[error(
        "{}: the bundle has no active x-mitre-matrix object, so its tactics are unknown; is this an ATT&CK bundle?",
        path.display()
    )]
    NoMatrix {
        /// The file that failed.
        path: PathBuf,
    },
    /// The ATT&CK release built into covmap does not decode to the bundle it was made from
    /// (a build fault, never the user's).
    #[error(
        "the built-in ATT&CK bundle {file_name} is damaged: {message}; rebuild covmap (`just builtin-attack` remakes the data), or pass --attack PATH"
    )]
    Builtin {
        /// The built-in bundle's file name (`enterprise-attack-18.1.json`).
        file_name: String,
        /// What is wrong.
        message: String,
    },
    /// The bundle contradicts itself (duplicate ids, cycles).
    #[error("{}: inconsistent ATT&CK bundle: {message}", path.display())]
    Inconsistent {
        /// The file that failed.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl LoadError {
    /// Wraps a `serde_json` error with the file it came from.
    pub(crate) fn json(path: PathBuf, err: &serde_json::Error) -> Self {
        LoadError::Json {
            path,
            line: err.line(),
            // serde_json says column 0 when the input ended at a line break; point at the line.
            column: err.column().max(1),
            message: json_message(err),
        }
    }
}

/// A serde_json error's message without the " at line L column C" it appends, for messages
/// that report the position themselves (`file:line:column: message`).
pub fn json_message(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    }
}
