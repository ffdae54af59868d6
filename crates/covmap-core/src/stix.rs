//! Parsing of MITRE's STIX 2.0 and 2.1 bundles into [`AttackData`].
//!
//! One typed, borrowing pass that streams: each element of the `objects` array is read into
//! [`RawObject`], which names only the fields the model keeps (serde skips the rest: forward
//! compatible with new fields and object types), and turned into its model form at once, so
//! the objects are never all held together (the first load's peak memory is the file, the
//! model and one object). References that may point forward (relationships, a data
//! component's data source, a strategy's analytics, an analytic's data components, matrix
//! tactics) are kept as borrowed ids and resolved once the array ends. Bulky fields that most
//! objects do not need (descriptions, external references) are kept as raw JSON slices and
//! decoded only for the object kinds that keep them.

#![allow(
    clippy::indexing_slicing,
    reason = "per-kind counters indexed by Kind::slot() and tactic positions the loader assigned"
)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::data::AttackData;
use crate::error::LoadError;
use crate::model::{
    Analytic, AnalyticSource, Asset, Campaign, DataComponent, DataSource, DetectionStrategy, Group,
    Kind, LogSource, Meta, Mitigation, ObjectRef, RelKind, Relationship, Software, SoftwareKind,
    Tactic, Technique,
};
use crate::text::Text;

/// The bundle's top-level fields (read by [`BundleVisitor`] as a derived `Deserialize` for a
/// struct of three optional fields would: same errors, unknown fields skipped).
#[derive(Deserialize)]
#[serde(field_identifier)]
enum BundleField {
    #[serde(rename = "type")]
    Type,
    #[serde(rename = "spec_version")]
    SpecVersion,
    #[serde(rename = "objects")]
    Objects,
    #[serde(other)]
    Other,
}

/// What the bundle says besides its objects, which went into the [`Builder`].
struct BundleHead<'a> {
    kind: Option<Text<'a>>,
    spec_version: Option<Text<'a>>,
    /// Whether there was an `objects` array (`null` counts as none).
    has_objects: bool,
}

/// Reads the bundle, streaming its `objects` into the builder.
struct BundleVisitor<'b, 'a>(&'b mut Builder<'a>);

impl<'de> Visitor<'de> for BundleVisitor<'_, 'de> {
    type Value = BundleHead<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct RawBundle")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind: Option<Option<Text<'de>>> = None;
        let mut spec_version: Option<Option<Text<'de>>> = None;
        let mut objects: Option<bool> = None;
        while let Some(field) = map.next_key::<BundleField>()? {
            match field {
                BundleField::Type => {
                    if kind.is_some() {
                        return Err(de::Error::duplicate_field("type"));
                    }
                    kind = Some(map.next_value()?);
                }
                BundleField::SpecVersion => {
                    if spec_version.is_some() {
                        return Err(de::Error::duplicate_field("spec_version"));
                    }
                    spec_version = Some(map.next_value()?);
                }
                BundleField::Objects => {
                    if objects.is_some() {
                        return Err(de::Error::duplicate_field("objects"));
                    }
                    objects = Some(map.next_value_seed(OptionalObjects(&mut *self.0))?);
                }
                BundleField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(BundleHead {
            kind: kind.flatten(),
            spec_version: spec_version.flatten(),
            has_objects: objects.unwrap_or(false),
        })
    }
}

/// The `objects` field: `null` or an array, streamed into the builder; `true` for an array.
struct OptionalObjects<'b, 'a>(&'b mut Builder<'a>);

impl<'de> DeserializeSeed<'de> for OptionalObjects<'_, 'de> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalObjects<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_seq(ObjectsVisitor(self.0))?;
        Ok(true)
    }
}

/// The `objects` array: each object goes into the builder as soon as it is read.
struct ObjectsVisitor<'b, 'a>(&'b mut Builder<'a>);

impl<'de> Visitor<'de> for ObjectsVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of STIX objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(object) = seq.next_element::<RawObject<'de>>()? {
            self.0.add(object);
        }
        Ok(())
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
    let mut builder = Builder::new(path);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    // As `serde_json::from_slice` does: the value, then nothing but whitespace.
    let head = de::Deserializer::deserialize_struct(
        &mut deserializer,
        "RawBundle",
        &["type", "spec_version", "objects"],
        BundleVisitor(&mut builder),
    )
    .and_then(|head| deserializer.end().map(|()| head))
    .map_err(|err| LoadError::json(path.to_path_buf(), &err))?;
    if head.kind.as_ref().map(Text::as_str) != Some("bundle") {
        let found = match head.kind {
            Some(kind) => format!("an object of type \"{}\"", kind.as_str()),
            None => "a JSON object without a \"type\" field".to_string(),
        };
        return Err(LoadError::NotABundle {
            path: path.to_path_buf(),
            found,
        });
    }
    if !head.has_objects {
        return Err(LoadError::NotABundle {
            path: path.to_path_buf(),
            found: "a bundle without an \"objects\" array".to_string(),
        });
    }
    builder.build(head.spec_version.as_ref().map(Text::as_str))
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

/// A relationship whose source or target had not been read yet when it was: resolved once
/// the whole bundle is.
struct PendingRelationship<'a> {
    id: Text<'a>,
    kind: RelKind,
    source: Text<'a>,
    target: Text<'a>,
}

/// The model under construction, fed one object at a time ([`Builder::add`]) in bundle order,
/// then finished ([`Builder::build`]). Objects of each kind are numbered in the order they
/// come, so an object's [`ObjectRef`] is known as soon as it is read.
struct Builder<'a> {
    path: &'a Path,
    data: AttackData,
    refs: HashMap<Cow<'a, str>, ObjectRef>,
    counts: [u32; Kind::ALL.len()],
    /// The first object's `spec_version`, for bundles that do not say theirs.
    object_spec_version: Option<Text<'a>>,
    /// The first STIX id seen twice: the bundle is refused once it has parsed (a JSON error
    /// further on is reported first, as it was when the whole array was read before).
    duplicate: Option<Text<'a>>,
    matrices: Vec<RawObject<'a>>,
    pending_relationships: Vec<PendingRelationship<'a>>,
    /// Per technique, its kill-chain phases.
    phases: Vec<Vec<RawPhase<'a>>>,
    /// Per data component, its data source's STIX id.
    component_sources: Vec<Option<Text<'a>>>,
    /// Per detection strategy, its analytics' STIX ids.
    strategy_analytics: Vec<Vec<Text<'a>>>,
    /// Per analytic, its log sources (data component STIX ids).
    analytic_sources: Vec<Vec<RawLogSourceRef<'a>>>,
}

impl<'a> Builder<'a> {
    fn new(path: &'a Path) -> Self {
        Builder {
            path,
            data: AttackData::default(),
            refs: HashMap::new(),
            counts: [0; Kind::ALL.len()],
            object_spec_version: None,
            duplicate: None,
            matrices: Vec::new(),
            pending_relationships: Vec::new(),
            phases: Vec::new(),
            component_sources: Vec::new(),
            strategy_analytics: Vec::new(),
            analytic_sources: Vec::new(),
        }
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

    /// Takes the next object of the bundle into the model.
    #[allow(clippy::too_many_lines)] // one arm per object kind reads best as one match
    fn add(&mut self, mut object: RawObject<'a>) {
        if self.duplicate.is_some() {
            // The bundle will be refused: only the parse goes on, for its errors.
            return;
        }
        if self.object_spec_version.is_none() {
            self.object_spec_version = object.spec_version.take();
        }
        match object.kind.as_str() {
            "x-mitre-collection" => {
                let data = &mut self.data;
                data.version = opt(object.x_mitre_version.as_ref());
                data.name = opt(object.name.as_ref());
                data.attack_spec_version = opt(object.x_mitre_attack_spec_version.as_ref());
                return;
            }
            "x-mitre-matrix" => {
                self.matrices.push(object);
                return;
            }
            "relationship" => {
                self.add_relationship(object);
                return;
            }
            _ => {}
        }
        let Some(kind) = Kind::from_stix_type(object.kind.as_str()) else {
            return;
        };
        let key = ObjectRef {
            kind,
            index: self.counts[kind.slot()],
        };
        match self.refs.entry(object.id.0.clone()) {
            Entry::Occupied(_) => {
                self.duplicate = Some(object.id);
                return;
            }
            Entry::Vacant(entry) => {
                entry.insert(key);
            }
        }
        self.counts[kind.slot()] += 1;
        let data = &mut self.data;
        if data.attack_spec_version.is_none() {
            data.attack_spec_version = opt(object.x_mitre_attack_spec_version.as_ref());
        }
        let meta = Self::meta(&object, key);
        match kind {
            Kind::Tactic => data.tactics.push(Tactic {
                meta,
                shortname: opt(object.x_mitre_shortname.as_ref()).unwrap_or_default(),
            }),
            Kind::Technique => {
                self.phases
                    .push(std::mem::take(&mut object.kill_chain_phases));
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
                software_kind: if object.kind.as_str() == "tool" {
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
            Kind::DataComponent => {
                self.component_sources
                    .push(object.x_mitre_data_source_ref.take());
                data.data_components.push(DataComponent {
                    meta,
                    data_source: None,
                    log_sources: object
                        .x_mitre_log_sources
                        .iter()
                        .map(|s| LogSource {
                            name: s.name.as_str().to_owned(),
                            channel: s.channel.as_str().to_owned(),
                        })
                        .collect(),
                });
            }
            Kind::DetectionStrategy => {
                self.strategy_analytics
                    .push(std::mem::take(&mut object.x_mitre_analytic_refs));
                data.detection_strategies.push(DetectionStrategy {
                    meta,
                    analytics: Vec::new(),
                });
            }
            Kind::Analytic => {
                self.analytic_sources
                    .push(std::mem::take(&mut object.x_mitre_log_source_references));
                data.analytics.push(Analytic {
                    meta,
                    platforms: texts(&object.x_mitre_platforms),
                    log_sources: Vec::new(),
                });
            }
            Kind::Asset => data.assets.push(Asset {
                meta,
                platforms: texts(&object.x_mitre_platforms),
                sectors: texts(&object.x_mitre_sectors),
            }),
        }
    }

    /// Keeps a relationship between two kept objects: resolved now when both were read
    /// already, else once the bundle is ([`Builder::resolve_pending`]).
    fn add_relationship(&mut self, object: RawObject<'a>) {
        if object.revoked || object.x_mitre_deprecated {
            return;
        }
        let Some(kind) = object
            .relationship_type
            .as_ref()
            .and_then(|t| RelKind::from_stix(t.as_str()))
        else {
            return;
        };
        let (Some(source), Some(target)) = (object.source_ref, object.target_ref) else {
            return;
        };
        let resolved = (
            self.refs.get(source.as_str()).copied(),
            self.refs.get(target.as_str()).copied(),
        );
        if let (Some(source), Some(target)) = resolved {
            self.data.relationships.push(Relationship {
                kind,
                source,
                target,
            });
        } else {
            self.pending_relationships.push(PendingRelationship {
                id: object.id,
                kind,
                source,
                target,
            });
        }
    }

    /// The model, once every object has been added; `bundle_spec` is the bundle's own
    /// `spec_version`.
    fn build(mut self, bundle_spec: Option<&str>) -> Result<AttackData, LoadError> {
        if let Some(id) = &self.duplicate {
            return Err(LoadError::Inconsistent {
                path: self.path.to_path_buf(),
                message: format!("the STIX id {} appears twice", id.as_str()),
            });
        }
        let mut data = std::mem::take(&mut self.data);
        bundle_spec
            .or(self.object_spec_version.as_ref().map(Text::as_str))
            .unwrap_or("2.0")
            .clone_into(&mut data.spec_version);
        debug_assert_eq!(
            data.techniques.len(),
            self.counts[Kind::Technique.slot()] as usize
        );
        for (component, source) in data.data_components.iter_mut().zip(&self.component_sources) {
            component.data_source = source
                .as_ref()
                .and_then(|r| self.resolve(r.as_str(), Kind::DataSource));
        }
        for (strategy, analytics) in data
            .detection_strategies
            .iter_mut()
            .zip(&self.strategy_analytics)
        {
            strategy.analytics = analytics
                .iter()
                .filter_map(|r| self.resolve(r.as_str(), Kind::Analytic))
                .collect();
        }
        for (analytic, sources) in data.analytics.iter_mut().zip(&self.analytic_sources) {
            analytic.log_sources = sources
                .iter()
                .filter_map(|s| {
                    let dc =
                        self.resolve(s.x_mitre_data_component_ref.as_str(), Kind::DataComponent)?;
                    Some(AnalyticSource {
                        data_component: dc,
                        name: s.name.as_str().to_owned(),
                        channel: s.channel.as_str().to_owned(),
                    })
                })
                .collect();
        }

        self.pick_matrix(&mut data)?;
        Self::assign_tactics(&mut data, &self.phases);
        self.resolve_pending(&mut data)?;
        data.relationships
            .sort_by_key(|r| (r.kind, r.source, r.target));
        data.relationships.dedup();
        if data.version.is_none() {
            data.version = version_from_file_name(self.path);
        }
        crate::data::link_parents(&mut data, self.path)?;
        Ok(data)
    }

    fn pick_matrix(&self, data: &mut AttackData) -> Result<(), LoadError> {
        // The mobile bundle also ships a deprecated matrix with another tactic list: skip it.
        let matrix = self
            .matrices
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
    fn assign_tactics(data: &mut AttackData, phases: &[Vec<RawPhase<'_>>]) {
        let order: HashMap<&str, usize> = data
            .matrix
            .iter()
            .enumerate()
            .map(|(pos, &t)| (data.tactics[t as usize].shortname.as_str(), pos))
            .collect();
        let mut chain_votes: HashMap<&str, usize> = HashMap::new();
        for phase in phases.iter().flatten() {
            if order.contains_key(phase.phase_name.as_str()) {
                *chain_votes
                    .entry(phase.kill_chain_name.as_str())
                    .or_default() += 1;
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
                .filter(|p| p.kill_chain_name.as_str() == chain)
                .map(|p| p.phase_name.as_str())
                .collect();
            tactics.sort_by_key(|p| (order.get(p).copied().unwrap_or(usize::MAX), *p));
            tactics.dedup();
            technique.tactics = tactics.into_iter().map(str::to_owned).collect();
        }
        data.kill_chain = chain;
    }

    /// Adds the relationships that pointed forward. One that points to a kept kind of object
    /// missing from the bundle is an error: MITRE's bundles are self-contained (all four in
    /// ../shared have no such reference), so a missing object means a damaged or cut bundle,
    /// whose scores would be silently wrong. The first such relationship in bundle order is
    /// reported (those resolved on the way could not fail).
    fn resolve_pending(&self, data: &mut AttackData) -> Result<(), LoadError> {
        for pending in &self.pending_relationships {
            let (source_id, target_id) = (&pending.source, &pending.target);
            let source = self.refs.get(source_id.as_str()).copied();
            let target = self.refs.get(target_id.as_str()).copied();
            if let (Some(source), Some(target)) = (source, target) {
                data.relationships.push(Relationship {
                    kind: pending.kind,
                    source,
                    target,
                });
                continue;
            }
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
                        pending.id.as_str(),
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
