//! Parsing of MITRE's STIX 2.0 and 2.1 bundles into [`AttackData`].
//!
//! One typed, borrowing pass: every object is read into [`RawObject`], which names only the fields
//! the model keeps; serde skips the rest (forward compatible with new fields and object types).
//! Bulky fields that most objects do not need (descriptions, external references) are kept as raw
//! JSON slices and decoded only for the object kinds that keep them.

#![allow(
    clippy::indexing_slicing,
    reason = "per-kind counters indexed by Kind::slot() and tactic positions the loader assigned"
)]

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::data::AttackData;
use crate::error::LoadError;
use crate::model::{
    Analytic, AnalyticSource, Asset, Campaign, DataComponent, DataSource, DetectionStrategy, Group,
    Kind, LogSource, Meta, Mitigation, ObjectRef, RelKind, Relationship, Software, SoftwareKind,
    Tactic, Technique,
};
use crate::text::Text;

#[derive(Deserialize)]
struct RawBundle<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    spec_version: Option<Text<'a>>,
    #[serde(borrow)]
    objects: Option<Objects<'a>>,
}

/// Bytes of bundle per object, a little under what MITRE's bundles have (enterprise 18.1:
/// 2,047; enterprise 15.1: 1,710; mobile 18.1: 1,941; ICS 18.1: 1,912), so that the estimate
/// errs on the large side: capacity never used is never touched, so it costs no memory.
const BYTES_PER_OBJECT: usize = 1_600;

thread_local! {
    /// Objects expected in the bundle being parsed ([`parse_bundle`] sets it from the file's
    /// size). A `Vec` grown by doubling would hold the 16,384- and 32,768-object buffers at
    /// once (12 + 23 MB for the enterprise bundle) when it needs 17 MB: the first load's peak.
    static EXPECTED_OBJECTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The `objects` array, read into a vector sized from the bundle's size (an estimate: a
/// bundle denser in objects grows the vector as usual).
struct Objects<'a>(Vec<RawObject<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Objects<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectsVisitor<'a>(std::marker::PhantomData<RawObject<'a>>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for ObjectsVisitor<'a> {
            type Value = Objects<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of STIX objects")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut objects = Vec::with_capacity(EXPECTED_OBJECTS.with(std::cell::Cell::get));
                while let Some(object) = seq.next_element()? {
                    objects.push(object);
                }
                Ok(Objects(objects))
            }
        }
        deserializer.deserialize_seq(ObjectsVisitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct RawObject<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    spec_version: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    description: Option<&'a RawValue>,
    #[serde(borrow)]
    external_references: Option<&'a RawValue>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    x_mitre_deprecated: bool,
    #[serde(borrow)]
    x_mitre_version: Option<Text<'a>>,
    #[serde(borrow)]
    x_mitre_attack_spec_version: Option<Text<'a>>,
    #[serde(borrow)]
    created: Option<Text<'a>>,
    #[serde(borrow)]
    modified: Option<Text<'a>>,
    #[serde(borrow, default)]
    kill_chain_phases: Vec<RawPhase<'a>>,
    #[serde(borrow, default)]
    x_mitre_platforms: Vec<Text<'a>>,
    #[serde(default)]
    x_mitre_is_subtechnique: bool,
    #[serde(borrow, default)]
    x_mitre_data_sources: Vec<Text<'a>>,
    #[serde(borrow)]
    x_mitre_detection: Option<&'a RawValue>,
    #[serde(borrow, default)]
    aliases: Vec<Text<'a>>,
    #[serde(borrow, default)]
    x_mitre_aliases: Vec<Text<'a>>,
    #[serde(borrow)]
    first_seen: Option<Text<'a>>,
    #[serde(borrow)]
    last_seen: Option<Text<'a>>,
    #[serde(borrow)]
    x_mitre_shortname: Option<Text<'a>>,
    #[serde(borrow, default)]
    tactic_refs: Vec<Text<'a>>,
    #[serde(borrow)]
    x_mitre_data_source_ref: Option<Text<'a>>,
    #[serde(borrow, default)]
    x_mitre_log_sources: Vec<RawLogSource<'a>>,
    #[serde(borrow, default)]
    x_mitre_analytic_refs: Vec<Text<'a>>,
    #[serde(borrow, default)]
    x_mitre_log_source_references: Vec<RawLogSourceRef<'a>>,
    #[serde(borrow, default)]
    x_mitre_sectors: Vec<Text<'a>>,
    #[serde(borrow)]
    relationship_type: Option<Text<'a>>,
    #[serde(borrow)]
    source_ref: Option<Text<'a>>,
    #[serde(borrow)]
    target_ref: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawPhase<'a> {
    #[serde(borrow)]
    kill_chain_name: Text<'a>,
    #[serde(borrow)]
    phase_name: Text<'a>,
}

#[derive(Deserialize)]
struct RawLogSource<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow, default)]
    channel: Text<'a>,
}

#[derive(Deserialize)]
struct RawLogSourceRef<'a> {
    #[serde(borrow)]
    x_mitre_data_component_ref: Text<'a>,
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    channel: Text<'a>,
}

#[derive(Deserialize)]
struct RawExternalRef<'a> {
    #[serde(borrow)]
    source_name: Text<'a>,
    #[serde(borrow)]
    external_id: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
}

/// Parses a bundle's bytes. `path` only names the file in errors and, for STIX 2.0 bundles that
/// carry no version, supplies it from names like `enterprise-attack-15.1.json`.
pub(crate) fn parse_bundle(bytes: &[u8], path: &Path) -> Result<AttackData, LoadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        // Tell "not JSON" apart from "JSON, but not a bundle".
        return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
            Err(err) => LoadError::json(path.to_path_buf(), &err),
            Ok(_) => LoadError::NotABundle {
                path: path.to_path_buf(),
                found: describe_json_start(first),
            },
        });
    }
    EXPECTED_OBJECTS.with(|n| n.set(bytes.len() / BYTES_PER_OBJECT));
    let bundle: Result<RawBundle<'_>, _> = serde_json::from_slice(bytes);
    EXPECTED_OBJECTS.with(|n| n.set(0));
    let bundle = bundle.map_err(|err| LoadError::json(path.to_path_buf(), &err))?;
    if bundle.kind.as_ref().map(Text::as_str) != Some("bundle") {
        let found = match bundle.kind {
            Some(kind) => format!("an object of type \"{}\"", kind.as_str()),
            None => "a JSON object without a \"type\" field".to_string(),
        };
        return Err(LoadError::NotABundle {
            path: path.to_path_buf(),
            found,
        });
    }
    let Some(Objects(objects)) = bundle.objects else {
        return Err(LoadError::NotABundle {
            path: path.to_path_buf(),
            found: "a bundle without an \"objects\" array".to_string(),
        });
    };
    Builder::new(
        path,
        &objects,
        bundle.spec_version.as_ref().map(Text::as_str),
    )?
    .build(&objects)
}

fn describe_json_start(first: Option<u8>) -> String {
    match first {
        Some(b'[') => "a JSON array".to_string(),
        Some(b'"') => "a JSON string".to_string(),
        None => "an empty file".to_string(),
        Some(_) => "a JSON scalar".to_string(),
    }
}

fn decode_string(raw: Option<&RawValue>) -> String {
    // A description that is not a string (never seen in MITRE data) is treated as absent.
    raw.and_then(|raw| serde_json::from_str::<Text<'_>>(raw.get()).ok())
        .map(Text::into_string)
        .unwrap_or_default()
}

fn texts(values: &[Text<'_>]) -> Vec<String> {
    values.iter().map(|t| t.as_str().to_owned()).collect()
}

fn opt(value: Option<&Text<'_>>) -> Option<String> {
    value.map(|t| t.as_str().to_owned())
}

/// Whether an external reference's `source_name` names an ATT&CK domain
/// (`mitre-attack`, `mitre-mobile-attack`, `mitre-ics-attack`, and any future one).
fn is_attack_source(source_name: &str) -> bool {
    source_name.starts_with("mitre-") && source_name.ends_with("attack")
}

struct Builder<'p> {
    path: &'p Path,
    refs: HashMap<&'p str, ObjectRef>,
    counts: [u32; Kind::ALL.len()],
    spec_version: String,
}

impl<'p> Builder<'p> {
    fn new<'a: 'p>(
        path: &'p Path,
        objects: &'p [RawObject<'a>],
        bundle_spec: Option<&str>,
    ) -> Result<Self, LoadError> {
        let mut refs = HashMap::with_capacity(objects.len());
        let mut counts = [0u32; Kind::ALL.len()];
        let mut spec_version = bundle_spec.map(str::to_owned);
        for object in objects {
            if spec_version.is_none() {
                spec_version = object.spec_version.as_ref().map(|s| s.as_str().to_owned());
            }
            let Some(kind) = Kind::from_stix_type(object.kind.as_str()) else {
                continue;
            };
            let index = counts[kind.slot()];
            counts[kind.slot()] += 1;
            if refs
                .insert(object.id.as_str(), ObjectRef { kind, index })
                .is_some()
            {
                return Err(LoadError::Inconsistent {
                    path: path.to_path_buf(),
                    message: format!("the STIX id {} appears twice", object.id.as_str()),
                });
            }
        }
        Ok(Builder {
            path,
            refs,
            counts,
            spec_version: spec_version.unwrap_or_else(|| "2.0".to_string()),
        })
    }

    fn meta(object: &RawObject<'_>, key: ObjectRef) -> Meta {
        let (attack_id, url) = Self::attack_reference(object);
        Meta {
            key,
            stix_id: object.id.as_str().to_owned(),
            attack_id,
            name: object
                .name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            description: decode_string(object.description),
            url,
            version: opt(object.x_mitre_version.as_ref()),
            created: opt(object.created.as_ref()),
            modified: opt(object.modified.as_ref()),
            revoked: object.revoked,
            deprecated: object.x_mitre_deprecated,
        }
    }

    fn attack_reference(object: &RawObject<'_>) -> (Option<String>, Option<String>) {
        let Some(raw) = object.external_references else {
            return (None, None);
        };
        let Ok(refs) = serde_json::from_str::<Vec<RawExternalRef<'_>>>(raw.get()) else {
            return (None, None);
        };
        refs.into_iter()
            .find(|r| is_attack_source(r.source_name.as_str()) && r.external_id.is_some())
            .map_or((None, None), |r| {
                (
                    r.external_id.map(|id| id.as_str().to_ascii_uppercase()),
                    r.url.map(Text::into_string),
                )
            })
    }

    fn resolve(&self, stix_id: &str, kind: Kind) -> Option<u32> {
        self.refs
            .get(stix_id)
            .filter(|r| r.kind == kind)
            .map(|r| r.index)
    }

    #[allow(clippy::too_many_lines)] // one arm per object kind reads best as one match
    fn build(self, objects: &[RawObject<'_>]) -> Result<AttackData, LoadError> {
        let mut data = AttackData {
            spec_version: self.spec_version.clone(),
            ..AttackData::default()
        };
        let mut matrices = Vec::new();
        let mut relationships = Vec::new();
        let mut phases: Vec<Vec<(&str, &str)>> = Vec::new();
        for object in objects {
            let kind_name = object.kind.as_str();
            match kind_name {
                "x-mitre-collection" => {
                    data.version = opt(object.x_mitre_version.as_ref());
                    data.name = opt(object.name.as_ref());
                    data.attack_spec_version = opt(object.x_mitre_attack_spec_version.as_ref());
                    continue;
                }
                "x-mitre-matrix" => {
                    matrices.push(object);
                    continue;
                }
                "relationship" => {
                    relationships.push(object);
                    continue;
                }
                _ => {}
            }
            let Some(key) = self.refs.get(object.id.as_str()).copied() else {
                continue;
            };
            if data.attack_spec_version.is_none() {
                data.attack_spec_version = opt(object.x_mitre_attack_spec_version.as_ref());
            }
            let meta = Self::meta(object, key);
            match key.kind {
                Kind::Tactic => data.tactics.push(Tactic {
                    meta,
                    shortname: opt(object.x_mitre_shortname.as_ref()).unwrap_or_default(),
                }),
                Kind::Technique => {
                    phases.push(
                        object
                            .kill_chain_phases
                            .iter()
                            .map(|p| (p.kill_chain_name.as_str(), p.phase_name.as_str()))
                            .collect(),
                    );
                    let detection = decode_string(object.x_mitre_detection);
                    data.techniques.push(Technique {
                        meta,
                        tactics: Vec::new(),
                        platforms: texts(&object.x_mitre_platforms),
                        is_subtechnique: object.x_mitre_is_subtechnique,
                        parent: None,
                        data_sources: texts(&object.x_mitre_data_sources),
                        detection: (!detection.trim().is_empty()).then_some(detection),
                    });
                }
                Kind::Mitigation => data.mitigations.push(Mitigation { meta }),
                Kind::Group => data.groups.push(Group {
                    meta,
                    aliases: texts(&object.aliases),
                }),
                Kind::Software => data.software.push(Software {
                    meta,
                    software_kind: if kind_name == "tool" {
                        SoftwareKind::Tool
                    } else {
                        SoftwareKind::Malware
                    },
                    aliases: texts(&object.x_mitre_aliases),
                    platforms: texts(&object.x_mitre_platforms),
                }),
                Kind::Campaign => data.campaigns.push(Campaign {
                    meta,
                    aliases: texts(&object.aliases),
                    first_seen: opt(object.first_seen.as_ref()),
                    last_seen: opt(object.last_seen.as_ref()),
                }),
                Kind::DataSource => data.data_sources.push(DataSource {
                    meta,
                    platforms: texts(&object.x_mitre_platforms),
                }),
                Kind::DataComponent => data.data_components.push(DataComponent {
                    meta,
                    data_source: object
                        .x_mitre_data_source_ref
                        .as_ref()
                        .and_then(|r| self.resolve(r.as_str(), Kind::DataSource)),
                    log_sources: object
                        .x_mitre_log_sources
                        .iter()
                        .map(|s| LogSource {
                            name: s.name.as_str().to_owned(),
                            channel: s.channel.as_str().to_owned(),
                        })
                        .collect(),
                }),
                Kind::DetectionStrategy => data.detection_strategies.push(DetectionStrategy {
                    meta,
                    analytics: object
                        .x_mitre_analytic_refs
                        .iter()
                        .filter_map(|r| self.resolve(r.as_str(), Kind::Analytic))
                        .collect(),
                }),
                Kind::Analytic => data.analytics.push(Analytic {
                    meta,
                    platforms: texts(&object.x_mitre_platforms),
                    log_sources: object
                        .x_mitre_log_source_references
                        .iter()
                        .filter_map(|s| {
                            let dc = self.resolve(
                                s.x_mitre_data_component_ref.as_str(),
                                Kind::DataComponent,
                            )?;
                            Some(AnalyticSource {
                                data_component: dc,
                                name: s.name.as_str().to_owned(),
                                channel: s.channel.as_str().to_owned(),
                            })
                        })
                        .collect(),
                }),
                Kind::Asset => data.assets.push(Asset {
                    meta,
                    platforms: texts(&object.x_mitre_platforms),
                    sectors: texts(&object.x_mitre_sectors),
                }),
            }
        }
        debug_assert_eq!(
            data.techniques.len(),
            self.counts[Kind::Technique.slot()] as usize
        );

        self.pick_matrix(&mut data, &matrices)?;
        Self::assign_tactics(&mut data, &phases);
        for object in relationships {
            self.push_relationship(&mut data, object)?;
        }
        data.relationships
            .sort_by_key(|r| (r.kind, r.source, r.target));
        data.relationships.dedup();
        if data.version.is_none() {
            data.version = version_from_file_name(self.path);
        }
        crate::data::link_parents(&mut data, self.path)?;
        Ok(data)
    }

    fn pick_matrix(
        &self,
        data: &mut AttackData,
        matrices: &[&RawObject<'_>],
    ) -> Result<(), LoadError> {
        // The mobile bundle also ships a deprecated matrix with another tactic list: skip it.
        let matrix = matrices
            .iter()
            .find(|m| !m.revoked && !m.x_mitre_deprecated)
            .ok_or_else(|| LoadError::NoMatrix {
                path: self.path.to_path_buf(),
            })?;
        let (domain, _) = Self::attack_reference(matrix);
        data.domain = domain.map_or_else(|| "unknown".to_string(), |d| d.to_ascii_lowercase());
        data.matrix_name = opt(matrix.name.as_ref()).unwrap_or_default();
        for tactic_ref in &matrix.tactic_refs {
            match self.resolve(tactic_ref.as_str(), Kind::Tactic) {
                Some(index) if !data.matrix.contains(&index) => data.matrix.push(index),
                Some(_) => {}
                None => data.warnings.push(format!(
                    "matrix lists tactic {} that is not in the bundle",
                    tactic_ref.as_str()
                )),
            }
        }
        Ok(())
    }

    /// Sets each technique's tactics from its kill-chain phases of the domain's kill chain, which
    /// is the chain whose phase names match the matrix tactics most often (`mitre-attack` for
    /// enterprise); phases of other chains (old PRE-ATT&CK ones) are ignored.
    fn assign_tactics(data: &mut AttackData, phases: &[Vec<(&str, &str)>]) {
        let order: HashMap<&str, usize> = data
            .matrix
            .iter()
            .enumerate()
            .map(|(pos, &t)| (data.tactics[t as usize].shortname.as_str(), pos))
            .collect();
        let mut chain_votes: HashMap<&str, usize> = HashMap::new();
        for (chain, phase) in phases.iter().flatten() {
            if order.contains_key(phase) {
                *chain_votes.entry(chain).or_default() += 1;
            }
        }
        let chain = chain_votes
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(chain, _)| chain.to_owned())
            .unwrap_or_default();
        for (technique, own) in data.techniques.iter_mut().zip(phases) {
            let mut tactics: Vec<&str> = own
                .iter()
                .filter(|(c, _)| *c == chain)
                .map(|(_, p)| *p)
                .collect();
            tactics.sort_by_key(|p| (order.get(p).copied().unwrap_or(usize::MAX), *p));
            tactics.dedup();
            technique.tactics = tactics.into_iter().map(str::to_owned).collect();
        }
        data.kill_chain = chain;
    }

    /// Adds a relationship between two kept objects. One that points to a kept kind of object
    /// missing from the bundle is an error: MITRE's bundles are self-contained (all four in
    /// ../shared have no such reference), so a missing object means a damaged or cut bundle,
    /// whose scores would be silently wrong.
    fn push_relationship(
        &self,
        data: &mut AttackData,
        object: &RawObject<'_>,
    ) -> Result<(), LoadError> {
        if object.revoked || object.x_mitre_deprecated {
            return Ok(());
        }
        let Some(kind) = object
            .relationship_type
            .as_ref()
            .and_then(|t| RelKind::from_stix(t.as_str()))
        else {
            return Ok(());
        };
        let (Some(source_id), Some(target_id)) = (&object.source_ref, &object.target_ref) else {
            return Ok(());
        };
        let source = self.refs.get(source_id.as_str()).copied();
        let target = self.refs.get(target_id.as_str()).copied();
        if let (Some(source), Some(target)) = (source, target) {
            data.relationships.push(Relationship {
                kind,
                source,
                target,
            });
        } else {
            let kept = |id: &str| {
                id.split("--")
                    .next()
                    .and_then(Kind::from_stix_type)
                    .is_some()
            };
            // Only references to kinds the model keeps can be missing; others were skipped on purpose.
            if kept(source_id.as_str()) && kept(target_id.as_str()) {
                let missing = if source.is_none() {
                    source_id
                } else {
                    target_id
                };
                return Err(LoadError::Inconsistent {
                    path: self.path.to_path_buf(),
                    message: format!(
                        "relationship {} points to {}, which is not in the bundle ({} -> {})\n  hint: \
                         the bundle is damaged or cut; fetch it again (`covmap attack fetch`)",
                        object.id.as_str(),
                        missing.as_str(),
                        source_id.as_str(),
                        target_id.as_str()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// `enterprise-attack-15.1.json` -> `15.1`: STIX 2.0 bundles carry no collection object.
fn version_from_file_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let candidate = stem.rsplit('-').next()?;
    let valid = !candidate.is_empty()
        && candidate.starts_with(|c: char| c.is_ascii_digit())
        && candidate.chars().all(|c| c.is_ascii_digit() || c == '.');
    valid.then(|| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_comes_from_the_file_name() {
        let v = |name: &str| version_from_file_name(Path::new(name));
        assert_eq!(v("enterprise-attack-15.1.json").as_deref(), Some("15.1"));
        assert_eq!(v("/x/ics-attack-8.json").as_deref(), Some("8"));
        assert_eq!(v("enterprise-attack.json"), None);
        assert_eq!(v("bundle-v2.json"), None);
    }

    #[test]
    fn attack_sources_are_recognised() {
        assert!(is_attack_source("mitre-attack"));
        assert!(is_attack_source("mitre-ics-attack"));
        assert!(is_attack_source("mitre-mobile-attack"));
        assert!(!is_attack_source("capec"));
        assert!(!is_attack_source("mitre-attack-citation"));
    }
}
