//! Test readiness: the Atomic Red Team tests that would turn an inventory's untested coverage
//! claims into evidence (`covmap tests FILE... --atomics DIR`).
//!
//! Atomic Red Team keeps one YAML file per technique (`atomics/T1003.001/T1003.001.yaml`):
//! `attack_technique`, and `atomic_tests`, each with a `name`, an `auto_generated_guid`,
//! `supported_platforms` and an `executor`. Its platform names map to ATT&CK's:
//!
//! | Atomic Red Team | ATT&CK |
//! |---|---|
//! | windows, linux, macos | Windows, Linux, macOS |
//! | office-365, google-workspace | Office Suite |
//! | azure-ad | Identity Provider |
//! | iaas, iaas:aws, iaas:azure, iaas:gcp | IaaS |
//! | containers | Containers |
//! | saas | SaaS |
//! | esxi | ESXi |
//!
//! A leaf counts as claimed when an entry of a counted capability covers it (the leaf itself,
//! or its parent with `include_subtechniques`) with a confidence other than `tested` (an entry
//! without one has `scoring.default_confidence`). Its tests are those whose platforms meet
//! the platforms the claims apply on (the entry's, else the capability's, within the scope's
//! and the leaf's). Leaves out of scope (`scope.exclude`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use covmap_assess::inventory::{Confidence, Function, Inventory, Status};
use covmap_assess::yaml::Located;
use covmap_core::Attack;
use serde::{Deserialize, Serialize};

use crate::model::Finding;
use crate::text::is_technique_id;

/// One Atomic Red Team test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtomicTest {
    /// The technique it exercises (upper case).
    pub technique: String,
    /// Its name.
    pub name: String,
    /// `auto_generated_guid`, the id `Invoke-AtomicTest -TestGuids` takes.
    pub guid: Option<String>,
    /// ATT&CK platforms it runs on (sorted).
    pub platforms: Vec<String>,
    /// Executor (`powershell`, `sh`, `manual`...).
    pub executor: Option<String>,
    /// Its file.
    pub path: PathBuf,
    /// 1-based line of its `name`.
    pub line: usize,
}

/// The tests of an `atomics/` folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Atomics {
    /// Tests by technique ID (upper case), in file order.
    pub tests: BTreeMap<String, Vec<AtomicTest>>,
    /// Files read.
    pub files_read: usize,
    /// Files skipped and platforms not recognised.
    pub findings: Vec<Finding>,
}

#[derive(Deserialize)]
struct RawFile {
    attack_technique: Option<String>,
    #[serde(default)]
    atomic_tests: Vec<Located<RawTest>>,
}

#[derive(Deserialize)]
struct RawTest {
    name: Option<String>,
    auto_generated_guid: Option<String>,
    #[serde(default)]
    supported_platforms: Vec<String>,
    executor: Option<RawExecutor>,
}

#[derive(Deserialize)]
struct RawExecutor {
    name: Option<String>,
}

/// The ATT&CK platform of an Atomic Red Team platform name (module table).
pub fn art_platform(name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    let platform = match name.as_str() {
        "windows" => "Windows",
        "linux" => "Linux",
        "macos" => "macOS",
        "office-365" | "google-workspace" => "Office Suite",
        "azure-ad" => "Identity Provider",
        "containers" => "Containers",
        "saas" => "SaaS",
        "esxi" => "ESXi",
        _ if name == "iaas" || name.starts_with("iaas:") => "IaaS",
        _ => return None,
    };
    Some(platform)
}

/// Reads the technique files (`.yaml`, `.yml`) under `dir`. Files that are not technique
/// files (an index) and malformed ones are findings.
pub fn load(dir: &Path) -> Atomics {
    let (texts, imported) = crate::read_files(&[dir.to_path_buf()], &["yaml", "yml"]);
    let mut atomics = Atomics {
        findings: imported.findings,
        ..Atomics::default()
    };
    let mut unknown_platforms: BTreeSet<String> = BTreeSet::new();
    for (path, text) in &texts {
        let file: RawFile = match covmap_assess::yaml::from_str(text) {
            Ok(file) => file,
            Err(e) => {
                atomics
                    .findings
                    .push(Finding::yaml(path, &e).with_suffix(": skipped"));
                continue;
            }
        };
        let Some(technique) = file
            .attack_technique
            .map(|t| t.trim().to_ascii_uppercase())
            .filter(|t| is_technique_id(t))
        else {
            atomics.findings.push(Finding::file(
                path,
                "no `attack_technique` with a technique ID: not an Atomic Red Team technique file, skipped",
            ));
            continue;
        };
        atomics.files_read += 1;
        for test in file.atomic_tests {
            let (line, raw) = (test.line, test.value);
            let mut platforms = BTreeSet::new();
            for name in &raw.supported_platforms {
                match art_platform(name) {
                    Some(p) => {
                        platforms.insert(p.to_string());
                    }
                    None => {
                        if unknown_platforms.insert(name.to_ascii_lowercase()) {
                            atomics.findings.push(Finding::at(
                                path,
                                line,
                                test.column,
                                format!("platform `{name}` is not one covmap knows: ignored"),
                            ));
                        }
                    }
                }
            }
            atomics
                .tests
                .entry(technique.clone())
                .or_default()
                .push(AtomicTest {
                    technique: technique.clone(),
                    name: raw.name.unwrap_or_default(),
                    guid: raw.auto_generated_guid,
                    platforms: platforms.into_iter().collect(),
                    executor: raw.executor.and_then(|e| e.name),
                    path: path.clone(),
                    line,
                });
        }
    }
    atomics.findings.sort();
    atomics
}

/// An untested claim of a capability on a leaf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// Capability id.
    pub capability: String,
    /// Its function.
    pub function: Function,
    /// Its confidence (the default when the entry gives none).
    pub confidence: Confidence,
    /// Where it applies on the leaf (ATT&CK spelling, sorted).
    pub platforms: Vec<String>,
}

/// A covered leaf and the tests that would exercise its untested claims.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeafReadiness {
    /// Technique ID.
    pub technique: String,
    /// Technique name.
    pub name: String,
    /// Its untested claims (empty: every claim is tested).
    pub claims: Vec<Claim>,
    /// Whether a claim on it is tested.
    pub tested: bool,
    /// Atomic tests on the claims' platforms.
    pub tests: Vec<AtomicTest>,
    /// Atomic tests of the technique on none of those platforms.
    pub other_platform_tests: usize,
}

/// Test readiness of an inventory.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Readiness {
    /// Covered leaves with an untested claim and an atomic test on its platforms, by ID.
    pub testable: Vec<LeafReadiness>,
    /// Covered leaves with an untested claim but no atomic test on its platforms, by ID.
    pub untestable: Vec<LeafReadiness>,
    /// Covered leaves whose every claim is tested.
    pub tested: usize,
}

/// The readiness of `inventory`'s capabilities with a status in `counted`.
pub fn readiness(
    inventory: &Inventory,
    attack: &Attack,
    atomics: &Atomics,
    counted: &[Status],
) -> Readiness {
    let techniques = attack.techniques();
    let excluded: BTreeSet<u32> = inventory
        .scope
        .exclusions
        .iter()
        .map(|e| e.technique)
        .collect();
    let default_confidence = inventory.scoring.default_confidence();
    // Leaf index -> (claims, tested).
    let mut leaves: BTreeMap<u32, (Vec<Claim>, bool)> = BTreeMap::new();
    for capability in inventory
        .capabilities
        .iter()
        .filter(|c| counted.contains(&c.status))
    {
        for entry in &capability.coverage {
            let confidence = entry.confidence.unwrap_or(default_confidence);
            let platforms = entry.platforms.as_ref().unwrap_or(&capability.platforms);
            for &index in &entry.techniques {
                let Some(technique) = techniques.get(index as usize) else {
                    continue;
                };
                let subs = attack.subtechniques(technique);
                let targets: Vec<u32> = if subs.is_empty() {
                    vec![index]
                } else if entry.include_subtechniques {
                    subs.iter().map(|s| s.meta.key.index).collect()
                } else {
                    Vec::new()
                };
                for leaf in targets {
                    let Some(leaf_technique) = techniques.get(leaf as usize) else {
                        continue;
                    };
                    let parent = attack.parent(leaf_technique).map(|p| p.meta.key.index);
                    if excluded.contains(&leaf) || parent.is_some_and(|p| excluded.contains(&p)) {
                        continue;
                    }
                    let on: Vec<String> = leaf_technique
                        .platforms
                        .iter()
                        .filter(|p| platforms.contains(p) && inventory.scope.platforms.contains(p))
                        .cloned()
                        .collect();
                    if on.is_empty() {
                        continue;
                    }
                    let slot = leaves.entry(leaf).or_default();
                    if confidence == Confidence::Tested {
                        slot.1 = true;
                    } else {
                        slot.0.push(Claim {
                            capability: capability.id.clone(),
                            function: entry.function,
                            confidence,
                            platforms: on,
                        });
                    }
                }
            }
        }
    }
    let mut out = Readiness::default();
    for (leaf, (claims, tested)) in leaves {
        if claims.is_empty() {
            out.tested += 1;
            continue;
        }
        let Some(technique) = techniques.get(leaf as usize) else {
            continue;
        };
        let id = technique.meta.id().to_string();
        let wanted: BTreeSet<&str> = claims
            .iter()
            .flat_map(|c| c.platforms.iter().map(String::as_str))
            .collect();
        let all = atomics.tests.get(&id).map_or(&[][..], Vec::as_slice);
        let tests: Vec<AtomicTest> = all
            .iter()
            .filter(|t| t.platforms.iter().any(|p| wanted.contains(p.as_str())))
            .cloned()
            .collect();
        let readiness = LeafReadiness {
            name: technique.meta.name.clone(),
            technique: id,
            claims,
            tested,
            other_platform_tests: all.len() - tests.len(),
            tests,
        };
        if readiness.tests.is_empty() {
            out.untestable.push(readiness);
        } else {
            out.testable.push(readiness);
        }
    }
    out.testable.sort_by(|a, b| a.technique.cmp(&b.technique));
    out.untestable.sort_by(|a, b| a.technique.cmp(&b.technique));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        assert_eq!(art_platform("windows"), Some("Windows"));
        assert_eq!(art_platform("iaas:gcp"), Some("IaaS"));
        assert_eq!(art_platform("Azure-AD"), Some("Identity Provider"));
        assert_eq!(art_platform("google-workspace"), Some("Office Suite"));
        assert_eq!(art_platform("amiga"), None);
    }
}
