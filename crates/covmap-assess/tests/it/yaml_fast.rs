//! The YAML fast path against yaml-rust2 on every YAML file of the repository and of the
//! shared corpora (`../shared/data/corpora`: Sigma rules, DeTT&CT files, Atomic Red Team
//! tests...): whatever it accepts must read as yaml-rust2 reads it.

use std::path::{Path, PathBuf};

use covmap_assess::yaml::check_fast_parse;

use crate::builder::repo_root;

/// Every `.yaml` / `.yml` file under `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| n != "target" && n != ".git")
                {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// (files, files the fast path accepted) under `dir`, each accepted one checked.
fn check_dir(dir: &Path) -> (usize, usize, Vec<PathBuf>) {
    let files = yaml_files(dir);
    let mut refused = Vec::new();
    let mut accepted = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if check_fast_parse(&text) {
            accepted += 1;
        } else {
            refused.push(path.clone());
        }
    }
    (files.len(), accepted, refused)
}

#[test]
fn the_repository_s_yaml_reads_as_yaml_rust2_reads_it() {
    let root = repo_root();
    let (files, accepted, _) = check_dir(&root.join("fixtures"));
    // covmap's own figures, kept to notice a change in what the fast path takes: the other
    // fixtures use block scalars, anchors, multi-line flow lists or are broken on purpose.
    assert_eq!((files, accepted), (129, 84));
    // The examples are hand-written and spread long technique lists over several lines,
    // which yaml-rust2 reads; only identity.yaml keeps each on one line.
    let (files, accepted, refused) = check_dir(&root.join("examples"));
    assert_eq!((files, accepted), (7, 1), "refused: {refused:?}");
}

#[test]
fn the_shared_corpora_read_as_yaml_rust2_reads_them() {
    let Some(corpora) = crate::builder::shared("data/corpora") else {
        return;
    };
    let (files, accepted, _) = check_dir(&corpora);
    // Sigma rules, Splunk detections, Atomic Red Team tests, CTID and DeTT&CT files: most
    // refused ones hold block scalars (`description: |`) or multi-line plain text.
    assert_eq!((files, accepted), (1025, 684));
}
