//! Threat profiles (`scope.threats.profiles`): files a CTI team already keeps, read when the
//! inventory is loaded into [`ThreatProfile::uses`], each profile then weighted as one threat.
//!
//! | format | a technique's use | direct |
//! |---|---|---|
//! | `navigator` (one layer) | its score normalised by the layer's gradient, `(score - min) / (max - min)` (no gradient: 0-100, the Navigator's default), above `max` clamped to 1 (a finding); **1** when it has no score but a comment, colour or metadata | yes |
//! | `dettect` (group administration) | **1** for each technique of an enabled group; the techniques of its software (ATT&CK `uses` of each `software_id`) count the software factor (`scoring.threat_software_factor`) | groups' own: yes; software-only: no |
//! | `ctid` (KEV mapping) | **1** for the technique of every threat row (`exploitation_technique`, `primary_impact`, `secondary_impact`, `uncategorized`; VERIS `related_to` too): "exploited in the wild" | yes |
//! | `csv` (`technique,weight`) | the weight (a number, or a percentage `12%`); when any weight is above 1, every weight is divided by the largest (a finding names it): counts and scores from a report become shares | yes |
//!
//! Left out, counted in the summary line: Navigator techniques that are disabled (`enabled:
//! false`: the analyst switched them off), scored at or below the gradient's minimum, or that
//! carry nothing (no score, comment, colour or metadata: the Navigator saves expanded parents
//! that way); disabled DeTT&CT groups; CSV rows of weight 0; CTID rows marked non-mappable.
//! A technique listed several times counts once, at its largest use.
//!
//! IDs resolve as everywhere (docs/inventory.md): revoked ones become their replacement,
//! deprecated and unknown ones are left out; each is a finding with the file, line and column
//! where the format tells, in one `threat-profile-findings` warning per profile. A profile that
//! cannot be used at all (missing or unreadable file, format not recognised, malformed content,
//! no technique left) is a `threat-profile-failed` error at the inventory entry.
//!
//! `auto` recognises `.csv` files as CSV, `.json` files with `mapping_objects` as CTID and
//! Navigator layers as Navigator ([`crate::detect`]), `.yaml`/`.yml` files with a top-level
//! `file_type` as DeTT&CT.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use covmap_assess::diagnostic::{Code, Diagnostic, Severity};
use covmap_assess::inventory::{ImportFormat, Inventory, ProfileFormat, ProfileUse, ThreatProfile};
use covmap_assess::yaml::Located;
use covmap_core::{Attack, Kind, ObjectRef};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::ctid::Meaning;
use crate::model::Finding;
use crate::text::{LineIndex, is_technique_id};

/// How many findings a `threat-profile-findings` warning names before counting the rest.
const NAMED_FINDINGS: usize = 8;

/// What reading the profiles of an inventory found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilesRead {
    /// Errors (`threat-profile-failed`) and warnings (`threat-profile-findings`), at the
    /// inventory entry of each profile.
    pub diagnostics: Vec<Diagnostic>,
    /// One line per profile read: what it weights and what was left out by rule (no finding:
    /// these are the documented rules, shown so that no assumption is silent).
    pub summaries: Vec<String>,
}

/// Reads every profile of `inventory.scope.threats.profiles` into its `uses` (and its
/// `format`, when `auto`, into the one recognised). `software_factor` is what a DeTT&CT
/// group's software-only technique counts (`scoring.threat_software_factor`). A profile that
/// cannot be used keeps no use, with an error.
pub fn read_profiles(
    inventory: &mut Inventory,
    attack: &Attack,
    software_factor: f64,
) -> ProfilesRead {
    let mut read = ProfilesRead::default();
    for profile in &mut inventory.scope.threats.profiles {
        match read_profile(&profile.path, profile.format, attack, software_factor) {
            Ok(reading) => {
                profile.format = reading.format;
                profile.uses = reading.uses;
                read.summaries.push(summary(profile, &reading.notes));
                if let Some(d) = findings_warning(profile, &reading.findings) {
                    read.diagnostics.push(d);
                }
            }
            Err(failure) => {
                profile.uses.clear();
                read.diagnostics.push(
                    Diagnostic::new(
                        Severity::Error,
                        Code::ThreatProfileFailed,
                        profile.location.clone(),
                        format!(
                            "threat profile `{}` cannot be used: {}",
                            profile.name, failure.finding
                        ),
                    )
                    .hint(failure.hint),
                );
            }
        }
    }
    read
}

/// "Red Canary (navigator, weight 1): 17 techniques, 11 direct; left out: 1 disabled".
fn summary(profile: &ThreatProfile, notes: &[String]) -> String {
    let direct = profile.uses.iter().filter(|u| u.direct).count();
    let mut line = format!(
        "threat profile `{}` ({}, weight {}): {} technique{}",
        profile.name,
        profile.format.as_str(),
        profile.weight,
        profile.uses.len(),
        if profile.uses.len() == 1 { "" } else { "s" },
    );
    if direct < profile.uses.len() {
        let _ = write!(
            line,
            ", {direct} direct, {} through software only",
            profile.uses.len() - direct
        );
    }
    if !notes.is_empty() {
        line.push_str("; ");
        line.push_str(&notes.join("; "));
    }
    line
}

fn findings_warning(profile: &ThreatProfile, findings: &[Finding]) -> Option<Diagnostic> {
    if findings.is_empty() {
        return None;
    }
    let mut d = Diagnostic::new(
        Severity::Warning,
        Code::ThreatProfileFindings,
        profile.location.clone(),
        format!(
            "threat profile `{}` read with {} finding{}",
            profile.name,
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        ),
    );
    for finding in findings.iter().take(NAMED_FINDINGS) {
        d = d.hint(finding.to_string());
    }
    if findings.len() > NAMED_FINDINGS {
        d = d.hint(format!("and {} more", findings.len() - NAMED_FINDINGS));
    }
    Some(d)
}

/// One profile file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The format it was read as (never `auto`).
    pub format: ProfileFormat,
    /// Its uses, sorted by technique position, one per technique.
    pub uses: Vec<ProfileUse>,
    /// Problems: unknown, deprecated and revoked IDs, clamped or rescaled values.
    pub findings: Vec<Finding>,
    /// What the format's rules left out, counted.
    pub notes: Vec<String>,
}

/// Why a profile cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What is wrong, with the file (and line and column when known).
    pub finding: Finding,
    /// What to do.
    pub hint: String,
}

fn fail(finding: Finding, hint: &str) -> Failure {
    Failure {
        finding,
        hint: hint.to_string(),
    }
}

/// A use as the file writes it, before its ID is resolved.
#[derive(Debug)]
struct RawUse {
    id: String,
    value: f64,
    direct: bool,
    position: Option<(usize, usize)>,
}

/// What a format's parser returns: the uses written, techniques already resolved (DeTT&CT
/// software), findings and notes.
#[derive(Debug, Default)]
struct Parsed {
    written: Vec<RawUse>,
    /// CSV: weights above 1 make every weight a share of the largest (of the techniques kept).
    rescale: bool,
    resolved: Vec<ProfileUse>,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

/// Reads one profile file as `format` (`auto`: recognised) against `attack`.
pub fn read_profile(
    path: &Path,
    format: ProfileFormat,
    attack: &Attack,
    software_factor: f64,
) -> Result<Reading, Failure> {
    if path.is_dir() {
        return Err(fail(
            Finding::file(path, "is a folder, not a file"),
            "name one profile file; list several profiles for several files",
        ));
    }
    let bytes = covmap_core::input::read_regular(path).map_err(|e| {
        let message = e.to_string();
        let first = message.lines().next().unwrap_or_default().to_string();
        fail(
            Finding::file(path, format!("cannot read: {first}")),
            "paths are relative to the inventory file; check the path",
        )
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix =
                std::str::from_utf8(e.as_bytes().get(..valid).unwrap_or_default()).unwrap_or("");
            let (line, column) = LineIndex::new(prefix).position(valid);
            return Err(fail(
                Finding::at(path, line, column, "not UTF-8 text"),
                "save the file as UTF-8",
            ));
        }
    };
    parse_profile(path, &text, format, attack, software_factor)
}

/// Reads a profile's text (read from `path`, which findings name) as `format` (`auto`:
/// recognised) against `attack`: [`read_profile`] without the file system.
pub fn parse_profile(
    path: &Path,
    text: &str,
    format: ProfileFormat,
    attack: &Attack,
    software_factor: f64,
) -> Result<Reading, Failure> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(fail(
            Finding::file(path, "the file is empty"),
            "write the profile, or remove it from `scope.threats.profiles`",
        ));
    }
    let format = match format {
        ProfileFormat::Auto => recognise(path, text).ok_or_else(|| {
            fail(
                Finding::file(path, "not a threat profile format covmap recognises"),
                "write the entry's `format:` (navigator, dettect, ctid or csv); auto recognises .csv files, Navigator layers, CTID mappings and DeTT&CT group administration files",
            )
        })?,
        known => known,
    };
    let parsed = match format {
        ProfileFormat::Navigator => navigator(text, path)?,
        ProfileFormat::Dettect => dettect(text, path, attack, software_factor)?,
        ProfileFormat::Ctid => ctid(text, path)?,
        ProfileFormat::Csv | ProfileFormat::Auto => csv(text, path)?,
    };
    let Parsed {
        written,
        rescale,
        resolved,
        mut findings,
        notes,
    } = parsed;
    let mut uses: BTreeMap<u32, (f64, bool)> = BTreeMap::new();
    let mut add = |technique: u32, value: f64, direct: bool| {
        let entry = uses.entry(technique).or_insert((value, direct));
        entry.0 = entry.0.max(value);
        entry.1 |= direct;
    };
    for u in &resolved {
        add(u.technique, u.value, u.direct);
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    // The largest use kept, and where it is written.
    let mut largest: Option<(f64, Option<(usize, usize)>)> = None;
    for u in written {
        let (technique, message) = resolve(attack, &u.id);
        if let Some(message) = message
            && reported.insert(u.id.to_ascii_uppercase())
        {
            findings.push(Finding::maybe_at(path, u.position, message));
        }
        if let Some(technique) = technique {
            if largest.is_none_or(|(l, _)| u.value > l) {
                largest = Some((u.value, u.position));
            }
            add(technique, u.value, u.direct);
        }
    }
    if rescale
        && let Some((max, position)) = largest
        && max > 1.0
    {
        for (value, _) in uses.values_mut() {
            *value /= max;
        }
        findings.push(Finding::maybe_at(
            path,
            position,
            format!("weights above 1 (the largest is {max}): every weight is divided by {max}"),
        ));
    }
    let uses: Vec<ProfileUse> = uses
        .into_iter()
        .filter(|(_, (value, _))| *value > 0.0)
        .map(|(technique, (value, direct))| ProfileUse {
            technique,
            value: round6(value.min(1.0)),
            direct,
        })
        .collect();
    if uses.is_empty() {
        let why = findings
            .first()
            .map_or_else(String::new, |f| format!(" ({f})"));
        return Err(fail(
            Finding::file(
                path,
                format!(
                    "no technique of {} ATT&CK {} to weight{why}",
                    attack.domain_short(),
                    attack.version().unwrap_or("?")
                ),
            ),
            "a profile weights the techniques it lists: check the file, or remove the profile",
        ));
    }
    findings.sort_by_key(|f| (f.line, f.column));
    Ok(Reading {
        format,
        uses,
        findings,
        notes,
    })
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// The format of a profile file from its extension and content.
pub fn recognise(path: &Path, text: &str) -> Option<ProfileFormat> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if extension == "csv" {
        return Some(ProfileFormat::Csv);
    }
    match crate::detect::detect(path, text)? {
        ImportFormat::Navigator => Some(ProfileFormat::Navigator),
        ImportFormat::Ctid if extension == "json" => Some(ProfileFormat::Ctid),
        ImportFormat::Dettect => Some(ProfileFormat::Dettect),
        _ => None,
    }
}

/// The technique an ID scores as, and the finding about it, if any.
fn resolve(attack: &Attack, written: &str) -> (Option<u32>, Option<String>) {
    let release = format!(
        "{} ATT&CK {}",
        attack.domain_short(),
        attack.version().unwrap_or("?")
    );
    let Some(key) = attack.lookup(written).filter(|k| k.kind == Kind::Technique) else {
        return (
            None,
            Some(format!(
                "`{written}` is not a technique of {release}: left out"
            )),
        );
    };
    let meta = attack.meta(key);
    if meta.is_active() {
        return (Some(key.index), None);
    }
    if meta.revoked
        && let Some(to) = attack.replacement(key)
        && to.kind == Kind::Technique
        && attack.meta(to).is_active()
    {
        return (
            Some(to.index),
            Some(format!(
                "`{written}` is revoked in {release}: weighted as its replacement `{}`",
                attack.meta(to).id()
            )),
        );
    }
    (
        None,
        Some(format!(
            "`{written}` is deprecated (or revoked without an active replacement) in {release}: left out"
        )),
    )
}

/// "1 row describes", "3 rows describe".
fn describes(rows: usize) -> String {
    if rows == 1 {
        "1 row describes".to_string()
    } else {
        format!("{rows} rows describe")
    }
}

/// A serde_json error without its " at line L column C": the finding gives the position in
/// the file (serde's is relative to the part of the file being read).
fn plain(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_string(),
        None => text,
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

// ---------------------------------------------------------------------------------------------
// Navigator

#[derive(Deserialize)]
struct RawLayer<'a> {
    domain: Option<String>,
    #[serde(borrow)]
    techniques: Option<&'a RawValue>,
    gradient: Option<RawGradient>,
}

#[derive(Deserialize)]
struct RawGradient {
    #[serde(rename = "minValue")]
    min: Option<f64>,
    #[serde(rename = "maxValue")]
    max: Option<f64>,
}

#[derive(Deserialize)]
struct RawTechnique {
    #[serde(rename = "techniqueID")]
    technique_id: String,
    score: Option<f64>,
    enabled: Option<bool>,
    comment: Option<String>,
    color: Option<String>,
    #[serde(default)]
    metadata: Vec<serde_json::Value>,
}

fn json_error(path: &Path, e: &serde_json::Error, what: &str) -> Failure {
    fail(
        Finding::at(
            path,
            e.line().max(1),
            e.column().max(1),
            format!("not {what}: {}", plain(e)),
        ),
        "correct the file (it must be valid JSON), or name its `format:`",
    )
}

/// The one layer of a file (an object, or an array of one), read.
fn one_layer<'t>(
    text: &'t str,
    path: &Path,
    lines: &LineIndex<'_>,
) -> Result<RawLayer<'t>, Failure> {
    let value: &RawValue =
        serde_json::from_str(text).map_err(|e| json_error(path, &e, "valid JSON"))?;
    let layer: &RawValue = if value.get().trim_start().starts_with('[') {
        let layers: Vec<&RawValue> = serde_json::from_str(value.get())
            .map_err(|e| json_error(path, &e, "a list of layers"))?;
        match layers.as_slice() {
            [one] => one,
            _ => {
                return Err(fail(
                    Finding::file(
                        path,
                        format!(
                            "{} layers in one file: a profile is one layer",
                            layers.len()
                        ),
                    ),
                    "save each layer to its own file and list each as a profile",
                ));
            }
        }
    } else {
        value
    };
    let raw: RawLayer<'_> = serde_json::from_str(layer.get()).map_err(|e| {
        fail(
            Finding::maybe_at(
                path,
                lines.position_of(layer.get()),
                format!("not a Navigator layer: {}", plain(&e)),
            ),
            "a Navigator layer is a JSON object with a `techniques` list",
        )
    })?;
    Ok(raw)
}

fn navigator(text: &str, path: &Path) -> Result<Parsed, Failure> {
    let lines = LineIndex::new(text);
    let raw = one_layer(text, path, &lines)?;
    let Some(techniques) = raw.techniques else {
        return Err(fail(
            Finding::file(path, "not a Navigator layer (no `techniques`)"),
            "a Navigator layer is a JSON object with a `techniques` list",
        ));
    };
    let items: Vec<&RawValue> = serde_json::from_str(techniques.get()).map_err(|e| {
        fail(
            Finding::maybe_at(
                path,
                lines.position_of(techniques.get()),
                format!("`techniques` is not a list: {}", plain(&e)),
            ),
            "correct the layer",
        )
    })?;
    let mut parsed = Parsed::default();
    if let Some(domain) = raw.domain.as_deref()
        && (domain.contains("mobile") || domain.contains("ics"))
    {
        parsed.findings.push(Finding::file(
            path,
            format!("layer domain `{domain}`: IDs are checked against the loaded bundle"),
        ));
    }
    let (min, max) = raw.gradient.map_or((None, None), |g| (g.min, g.max));
    let (min, max) = (min.unwrap_or(0.0), max.unwrap_or(100.0));
    let (mut disabled, mut at_min, mut bare) = (0, 0, 0);
    let mut unscored = 0;
    for (n, item) in items.into_iter().enumerate() {
        let position = lines.position_of(item.get());
        let t: RawTechnique = serde_json::from_str(item.get()).map_err(|e| {
            fail(
                Finding::maybe_at(
                    path,
                    position,
                    format!("technique {}: {}", n + 1, plain(&e)),
                ),
                "each technique needs a `techniqueID`; a score is a number",
            )
        })?;
        let id = t.technique_id.trim().to_string();
        if t.enabled == Some(false) {
            disabled += 1;
            continue;
        }
        let value = match t.score {
            None => {
                let annotated = t.comment.as_ref().is_some_and(|c| !c.is_empty())
                    || t.color.as_ref().is_some_and(|c| !c.is_empty())
                    || !t.metadata.is_empty();
                if !annotated {
                    bare += 1;
                    continue;
                }
                unscored += 1;
                1.0
            }
            Some(score) => {
                if !score.is_finite() || !min.is_finite() || !max.is_finite() || max <= min {
                    return Err(fail(
                        Finding::maybe_at(
                            path,
                            position,
                            format!(
                                "{id}: score {score} cannot be normalised by the gradient [{min}, {max}]"
                            ),
                        ),
                        "give the layer a `gradient` with minValue below maxValue, and finite scores",
                    ));
                }
                let value = (score - min) / (max - min);
                if value <= 0.0 {
                    at_min += 1;
                    continue;
                }
                if value > 1.0 {
                    parsed.findings.push(Finding::maybe_at(
                        path,
                        position,
                        format!("{id}: score {score} is above the gradient's maximum {max}: use 1"),
                    ));
                }
                value.min(1.0)
            }
        };
        parsed.written.push(RawUse {
            id,
            value,
            direct: true,
            position,
        });
    }
    parsed.notes = navigator_notes(unscored, disabled, at_min, bare, min);
    Ok(parsed)
}

/// What a layer's rules did, counted for the summary line.
fn navigator_notes(
    unscored: usize,
    disabled: usize,
    at_min: usize,
    bare: usize,
    min: f64,
) -> Vec<String> {
    let mut notes = Vec::new();
    if unscored > 0 {
        notes.push(format!(
            "{} without a score use 1",
            plural(unscored, "technique")
        ));
    }
    let mut left = Vec::new();
    if disabled > 0 {
        left.push(format!("{disabled} disabled"));
    }
    if at_min > 0 {
        left.push(format!(
            "{at_min} scored at or below the gradient minimum {min}"
        ));
    }
    if bare > 0 {
        left.push(format!("{bare} with no score, comment, colour or metadata"));
    }
    if !left.is_empty() {
        notes.push(format!("left out: {}", left.join(", ")));
    }
    notes
}

// ---------------------------------------------------------------------------------------------
// DeTT&CT group administration

#[derive(Deserialize)]
struct RawGroupFile {
    file_type: Option<String>,
    domain: Option<String>,
    groups: Option<Vec<RawGroup>>,
}

#[derive(Deserialize)]
struct RawGroup {
    technique_id: Option<Vec<Located<String>>>,
    software_id: Option<Vec<Located<String>>>,
    enabled: Option<bool>,
}

/// Only a group administration file is a threat profile.
fn group_file_type(file_type: Option<&str>, path: &Path) -> Result<(), Failure> {
    match file_type.map(str::trim) {
        Some("group-administration") => Ok(()),
        Some("technique-administration") => Err(fail(
            Finding::file(
                path,
                "a DeTT&CT technique administration file: coverage, not a threat profile",
            ),
            "import it under a capability's `import:` (format dettect); a threat profile is a group administration file",
        )),
        Some(other) => Err(fail(
            Finding::file(
                path,
                format!("DeTT&CT `{other}` file, not a group administration file"),
            ),
            "a DeTT&CT threat profile is a `file_type: group-administration` file",
        )),
        None => Err(fail(
            Finding::file(path, "not a DeTT&CT file (no `file_type`)"),
            "a DeTT&CT threat profile is a `file_type: group-administration` file",
        )),
    }
}

fn dettect(
    text: &str,
    path: &Path,
    attack: &Attack,
    software_factor: f64,
) -> Result<Parsed, Failure> {
    let file: RawGroupFile = covmap_assess::yaml::from_str(text).map_err(|e| {
        fail(
            Finding::yaml(path, &e),
            "correct the file: a DeTT&CT group administration file lists `groups` with `technique_id` and `software_id` lists",
        )
    })?;
    group_file_type(file.file_type.as_deref(), path)?;
    let mut parsed = Parsed::default();
    if let Some(domain) = file.domain.as_deref().map(str::trim)
        && !domain.starts_with(attack.domain_short())
    {
        parsed.findings.push(Finding::file(
            path,
            format!(
                "domain `{domain}`: IDs are checked against the loaded {} bundle",
                attack.domain_short()
            ),
        ));
    }
    let (mut disabled, mut enabled) = (0, 0);
    let mut software_seen: BTreeSet<u32> = BTreeSet::new();
    for group in file.groups.unwrap_or_default() {
        if group.enabled == Some(false) {
            disabled += 1;
            continue;
        }
        enabled += 1;
        for id in group.technique_id.unwrap_or_default() {
            let written = id.value.trim().to_string();
            if !is_technique_id(&written) {
                parsed.findings.push(Finding::at(
                    path,
                    id.line,
                    id.column,
                    format!("`{written}` is not a technique ID: left out"),
                ));
                continue;
            }
            parsed.written.push(RawUse {
                id: written,
                value: 1.0,
                direct: true,
                position: Some((id.line, id.column)),
            });
        }
        for id in group.software_id.unwrap_or_default() {
            let written = id.value.trim();
            let Some(software) = software(attack, written, path, &id, &mut parsed.findings) else {
                continue;
            };
            if software_factor <= 0.0 || !software_seen.insert(software) {
                continue;
            }
            let key = ObjectRef {
                kind: Kind::Software,
                index: software,
            };
            for u in attack.techniques_used_by(key) {
                parsed.resolved.push(ProfileUse {
                    technique: u.technique,
                    value: software_factor.min(1.0),
                    direct: false,
                });
            }
        }
    }
    if enabled == 0 {
        return Err(fail(
            Finding::file(
                path,
                format!("no enabled group ({} disabled)", plural(disabled, "group")),
            ),
            "set `enabled: true` on the groups that make the profile",
        ));
    }
    if disabled > 0 {
        parsed.notes.push(format!(
            "left out: {} with `enabled: false`",
            plural(disabled, "group")
        ));
    }
    if software_factor <= 0.0 && !software_seen.is_empty() {
        parsed
            .notes
            .push("software techniques left out (scoring.threat_software_factor is 0)".to_string());
    }
    Ok(parsed)
}

/// A `software_id`, resolved (revoked to its replacement); `None` with a finding otherwise.
fn software(
    attack: &Attack,
    written: &str,
    path: &Path,
    at: &Located<String>,
    findings: &mut Vec<Finding>,
) -> Option<u32> {
    let release = format!(
        "{} ATT&CK {}",
        attack.domain_short(),
        attack.version().unwrap_or("?")
    );
    let mut finding = |message: String| {
        findings.push(Finding::at(path, at.line, at.column, message));
    };
    let Some(key) = attack.lookup(written).filter(|k| k.kind == Kind::Software) else {
        finding(format!(
            "`{written}` is not a software of {release}: its techniques are left out"
        ));
        return None;
    };
    let meta = attack.meta(key);
    if meta.is_active() {
        return Some(key.index);
    }
    if meta.revoked
        && let Some(to) = attack.replacement(key).filter(|t| t.kind == Kind::Software)
        && attack.meta(to).is_active()
    {
        finding(format!(
            "`{written}` is revoked in {release}: its replacement `{}` is used",
            attack.meta(to).id()
        ));
        return Some(to.index);
    }
    finding(format!(
        "`{written}` is deprecated in {release}: its techniques are left out"
    ));
    None
}

// ---------------------------------------------------------------------------------------------
// CTID known-exploited-vulnerabilities mappings

#[derive(Deserialize)]
struct RawExplorer<'a> {
    #[serde(borrow)]
    mapping_objects: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawRow {
    attack_object_id: Option<String>,
    mapping_type: Option<String>,
    status: Option<String>,
}

fn ctid(text: &str, path: &Path) -> Result<Parsed, Failure> {
    let explorer: RawExplorer<'_> =
        serde_json::from_str(text).map_err(|e| json_error(path, &e, "a CTID mapping"))?;
    let lines = LineIndex::new(text);
    let Some(rows) = explorer.mapping_objects else {
        return Err(fail(
            Finding::file(
                path,
                "not a CTID Mappings Explorer file (no `mapping_objects`)",
            ),
            "a CTID threat profile is a Mappings Explorer KEV file",
        ));
    };
    let rows: Vec<&RawValue> = serde_json::from_str(rows.get())
        .map_err(|e| json_error(path, &e, "a list of mapping objects"))?;
    let mut parsed = Parsed::default();
    let (mut non_mappable, mut defence, mut other) = (0, 0, 0);
    let mut first_other: Option<(Option<(usize, usize)>, String)> = None;
    for (n, raw) in rows.iter().enumerate() {
        let position = lines.position_of(raw.get());
        let row: RawRow = serde_json::from_str(raw.get()).map_err(|e| {
            fail(
                Finding::maybe_at(
                    path,
                    position,
                    format!("mapping_objects[{n}]: {}", plain(&e)),
                ),
                "correct the row",
            )
        })?;
        let technique = row.attack_object_id.as_deref().map(str::trim);
        match crate::ctid::meaning(
            row.mapping_type.as_deref(),
            row.status.as_deref(),
            technique,
            false,
        ) {
            Meaning::Threat(_) => parsed.written.push(RawUse {
                id: technique.unwrap_or_default().to_string(),
                value: 1.0,
                direct: true,
                position,
            }),
            Meaning::NonMappable => non_mappable += 1,
            Meaning::Score | Meaning::Control => defence += 1,
            Meaning::Unknown(_) | Meaning::Untyped => {
                other += 1;
                if first_other.is_none() {
                    first_other = Some((
                        position,
                        row.mapping_type.unwrap_or_else(|| "(none)".to_string()),
                    ));
                }
            }
        }
    }
    if parsed.written.is_empty() && defence > 0 {
        return Err(fail(
            Finding::file(
                path,
                format!("no threat row: {} what defences do", describes(defence)),
            ),
            "a defence mapping is coverage: import it under a capability's `import:` (format ctid); a CTID threat profile is a KEV mapping",
        ));
    }
    if defence > 0 {
        parsed.findings.push(Finding::file(
            path,
            format!(
                "{} what defences do, not threats: left out",
                describes(defence)
            ),
        ));
    }
    if let Some((position, kind)) = first_other {
        parsed.findings.push(Finding::maybe_at(
            path,
            position,
            format!(
                "{} of mapping_type `{kind}` (or another covmap does not know as threat data): left out",
                plural(other, "row")
            ),
        ));
    }
    if non_mappable > 0 {
        parsed.notes.push(format!(
            "left out: {} marked non-mappable",
            plural(non_mappable, "row")
        ));
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// CSV `technique,weight`

/// The fields of one CSV line (RFC 4180 quoting within the line), each with its 1-based
/// column.
fn csv_fields(line: &str) -> Result<Vec<(String, usize)>, usize> {
    let mut fields = Vec::new();
    let mut chars = line.chars().enumerate().peekable();
    let mut field = String::new();
    let mut start = 1;
    let mut quoted = false;
    let mut quote_at = 0;
    while let Some((i, c)) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek().is_some_and(|&(_, n)| n == '"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.trim().is_empty() {
            quoted = true;
            quote_at = i + 1;
            field.clear();
        } else if c == ',' {
            fields.push((std::mem::take(&mut field), start));
            start = i + 2;
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err(quote_at);
    }
    fields.push((field, start));
    Ok(fields)
}

/// A CSV weight: a number, or a percentage.
fn csv_weight(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, scale) = match text.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (text, 1.0),
    };
    number.parse::<f64>().ok().map(|n| n / scale)
}

fn csv(text: &str, path: &Path) -> Result<Parsed, Failure> {
    let mut parsed = Parsed::default();
    let mut first = true;
    parsed.rescale = true;
    let mut zero = 0;
    for (n, line) in text.lines().enumerate() {
        let number = n + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = csv_fields(line).map_err(|column| {
            fail(
                Finding::at(
                    path,
                    number,
                    column,
                    "a quote that is not closed on its line",
                ),
                "close the quote: a field is one line",
            )
        })?;
        let (technique, column) = fields.first().map_or(("", 1), |(t, c)| (t.trim(), *c));
        let header = first;
        first = false;
        if !is_technique_id(technique) {
            if header {
                // `technique,weight` or any other header line.
                continue;
            }
            return Err(fail(
                Finding::at(
                    path,
                    number,
                    column,
                    format!("`{technique}` is not a technique ID"),
                ),
                "each line is `technique,weight`, e.g. `T1059.001,0.8` (a first header line is skipped)",
            ));
        }
        let weight = match fields.get(1) {
            None => 1.0,
            Some((w, _)) if w.trim().is_empty() => 1.0,
            Some((w, wcolumn)) => match csv_weight(w) {
                Some(v) if v.is_finite() && v >= 0.0 => v,
                _ => {
                    return Err(fail(
                        Finding::at(
                            path,
                            number,
                            *wcolumn,
                            format!(
                                "weight `{}` of {technique} is not a number at or above 0",
                                w.trim()
                            ),
                        ),
                        "write a number (`0.8`, `12`) or a percentage (`12%`); 0 leaves the technique out",
                    ));
                }
            },
        };
        if weight == 0.0 {
            zero += 1;
            continue;
        }
        parsed.written.push(RawUse {
            id: technique.to_string(),
            value: weight,
            direct: true,
            position: Some((number, column)),
        });
    }
    if zero > 0 {
        parsed.notes.push(format!(
            "left out: {} of weight 0",
            plural(zero, "technique")
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_split_with_quotes_and_columns() {
        assert_eq!(
            csv_fields("T1059,\"a, b\",3").expect("fields"),
            [
                ("T1059".to_string(), 1),
                ("a, b".to_string(), 7),
                ("3".to_string(), 14)
            ]
        );
        assert_eq!(csv_fields("\"T1\"\"x\"").expect("fields")[0].0, "T1\"x");
        assert_eq!(csv_fields("T1,\"open"), Err(4));
        assert_eq!(csv_weight("12.5%"), Some(0.125));
        assert_eq!(csv_weight(" 3 "), Some(3.0));
        assert_eq!(csv_weight("x"), None);
    }

    #[test]
    fn csv_weights_above_one_are_rescaled_visibly() {
        let parsed = csv(
            "technique,weight\n# a comment\nT1059.001,50\nT1003,100\nT1005,0\nT1006\n",
            Path::new("p.csv"),
        )
        .unwrap_or_else(|f| panic!("{f:?}"));
        let got: Vec<(&str, f64)> = parsed
            .written
            .iter()
            .map(|u| (u.id.as_str(), u.value))
            .collect();
        // Rescaled after resolution (an unknown ID's weight must not shrink the others).
        assert_eq!(got, [("T1059.001", 50.0), ("T1003", 100.0), ("T1006", 1.0)]);
        assert!(parsed.rescale);
        assert_eq!(parsed.notes, ["left out: 1 technique of weight 0"]);
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        let e = csv("T1059,0.5\nT1003,lots\n", Path::new("p.csv")).expect_err("bad weight");
        assert_eq!((e.finding.line, e.finding.column), (Some(2), Some(7)));
        let e = csv("T1059,0.5\nPowerShell,1\n", Path::new("p.csv")).expect_err("bad id");
        assert_eq!((e.finding.line, e.finding.column), (Some(2), Some(1)));
        let e = csv("T1059,-1\n", Path::new("p.csv")).expect_err("negative");
        assert!(e.finding.message.contains("not a number at or above 0"));
    }

    #[test]
    fn navigator_rules() {
        let parsed = navigator(
            r#"{"name": "x", "gradient": {"minValue": 10, "maxValue": 20},
               "techniques": [
                 {"techniqueID": "T1059.001", "score": 15},
                 {"techniqueID": "T1003", "score": 30},
                 {"techniqueID": "T1005", "score": 10},
                 {"techniqueID": "T1006", "score": 15, "enabled": false},
                 {"techniqueID": "T1053", "showSubtechniques": true},
                 {"techniqueID": "T1078", "color": "red"}
               ]}"#,
            Path::new("l.json"),
        )
        .unwrap_or_else(|f| panic!("{f:?}"));
        let got: Vec<(&str, f64)> = parsed
            .written
            .iter()
            .map(|u| (u.id.as_str(), u.value))
            .collect();
        assert_eq!(got, [("T1059.001", 0.5), ("T1003", 1.0), ("T1078", 1.0)]);
        assert_eq!(parsed.findings.len(), 1, "T1003 clamped");
        assert_eq!(parsed.findings[0].line, Some(4));
        assert_eq!(
            parsed.notes,
            [
                "1 technique without a score use 1",
                "left out: 1 disabled, 1 scored at or below the gradient minimum 10, 1 with no score, comment, colour or metadata"
            ]
        );
        let e = navigator(
            r#"{"gradient": {"minValue": 5, "maxValue": 5}, "techniques": [{"techniqueID": "T1", "score": 5}]}"#,
            Path::new("l.json"),
        )
        .expect_err("flat gradient");
        assert!(e.finding.message.contains("cannot be normalised"));
        let e = navigator(
            "[{\"techniques\": []}, {\"techniques\": []}]",
            Path::new("l.json"),
        )
        .expect_err("two layers");
        assert!(e.finding.message.contains("2 layers"));
    }

    #[test]
    fn recognised_formats() {
        let p = |name: &str, text: &str| recognise(Path::new(name), text);
        assert_eq!(p("a.csv", "x"), Some(ProfileFormat::Csv));
        assert_eq!(
            p("k.json", r#"{"metadata": {}, "mapping_objects": []}"#),
            Some(ProfileFormat::Ctid)
        );
        assert_eq!(
            p("l.json", r#"{"name": "x", "techniques": []}"#),
            Some(ProfileFormat::Navigator)
        );
        assert_eq!(
            p("g.yaml", "version: 1\nfile_type: group-administration\n"),
            Some(ProfileFormat::Dettect)
        );
        assert_eq!(p("r.yml", "title: x\nlogsource: {}\n"), None);
        assert_eq!(p("x.txt", "T1059,1"), None);
    }
}
