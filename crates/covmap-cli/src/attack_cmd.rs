//! `covmap attack ...`: exploring the ATT&CK knowledge base.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use covmap_core::diff::{Named, VersionDiff};
use covmap_core::{
    Attack, AttackObject, Kind, Meta, NameMatch, Object, ObjectRef, Route, Technique,
};
use serde_json::{Value, json};

use crate::cli::{AttackCommand, Format, SourceArgs};
use crate::{bundle, output};

/// Runs one `covmap attack` subcommand.
pub(crate) fn run(command: AttackCommand, source: &SourceArgs) -> Result<()> {
    match command {
        AttackCommand::Fetch { release, attack } => {
            // clap shares a global's value with every command, so COVMAP_ATTACK reaches here
            // too: the environment applies to all commands and is no request to refuse.
            let from_env = |path: &std::path::Path| {
                std::env::var_os("COVMAP_ATTACK").is_some_and(|v| std::path::Path::new(&v) == path)
            };
            if let Some(path) = attack.filter(|p| !from_env(p)) {
                bail!(
                    "`covmap attack fetch` takes no --attack: it downloads a bundle, while --attack ({}) names one to use instead\n  hint: drop --attack to download into the cache, or use the file directly: `covmap --attack {} attack info`",
                    path.display(),
                    path.display()
                );
            }
            if source.offline {
                bail!(
                    "`covmap attack fetch` downloads from the network, but --offline (or COVMAP_OFFLINE) forbids it"
                );
            }
            let dir = bundle::bundle_dir(source)?;
            let path = crate::fetch::fetch(&dir, source.domain_name(), release.as_deref())?;
            output::text(&format!("{}\n", path.display()))
        }
        AttackCommand::Diff { old, new, format } => {
            let old = bundle::load_path(&old, source)?;
            let new = bundle::load_path(&new, source)?;
            if old.domain() != new.domain() {
                bail!(
                    "cannot diff different domains: {} and {}",
                    old.domain(),
                    new.domain()
                );
            }
            print_diff(&covmap_core::diff::diff(&old, &new), format)
        }
        AttackCommand::Info { format } => {
            let from = bundle::locate(source)?;
            let attack = bundle::load_source(&from, source)?;
            info(&attack, &from, format)
        }
        AttackCommand::Techniques {
            tactic,
            platform,
            subtechniques,
            format,
        } => {
            let attack = bundle::load(source)?;
            techniques(
                &attack,
                tactic.as_deref(),
                platform.as_deref(),
                subtechniques,
                format,
            )
        }
        AttackCommand::Show { id, format } => {
            let attack = bundle::load(source)?;
            show(&attack, &id, format)
        }
        AttackCommand::Group { name_or_id, format } => {
            let attack = bundle::load(source)?;
            group(&attack, &name_or_id, format)
        }
        AttackCommand::Compare { groups, format } => {
            let attack = bundle::load(source)?;
            compare_groups(&attack, &groups, format)
        }
        AttackCommand::Match {
            techniques,
            top,
            format,
        } => {
            let attack = bundle::load(source)?;
            match_groups(&attack, &techniques, top, format)
        }
    }
}

fn label(attack: &Attack) -> String {
    format!(
        "{} {}",
        attack.domain(),
        attack.version().unwrap_or("(unknown version)")
    )
}

/// `\n  hint: ...` for an unknown platform: what ATT&CK renamed it to (`Azure AD` is now
/// `Identity Provider`), else the closest platform when close enough to be a typo; or nothing.
fn platform_hint(query: &str, platforms: &[String]) -> String {
    if let Some(new) = covmap_core::renamed_platform(query) {
        let present: Vec<String> = new
            .iter()
            .filter(|n| platforms.iter().any(|p| p == *n))
            .map(|n| format!("`{n}`"))
            .collect();
        if !present.is_empty() {
            return format!(
                "\n  hint: ATT&CK renamed `{}`: it is now {}",
                query.trim(),
                present.join(" and ")
            );
        }
    }
    let word = query.trim().to_lowercase();
    platforms
        .iter()
        .map(|p| (strsim::jaro_winkler(&word, &p.to_lowercase()), p))
        .filter(|(similarity, _)| *similarity >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map_or_else(String::new, |(_, p)| {
            format!("\n  hint: did you mean `{p}`?")
        })
}

/// Finds what the user named among `kinds` (by ID of any kind, or by name or alias), or fails:
/// with "did you mean" hints when nothing matches, with the candidates when several objects
/// share the name (never a pick; docs/cli.md, "Names and aliases").
fn find(attack: &Attack, query: &str, kinds: &[Kind]) -> Result<ObjectRef> {
    match attack.resolve_query(query, kinds) {
        NameMatch::One(key) => return Ok(key),
        NameMatch::Ambiguous(keys) => {
            let head = format!(
                "\"{query}\" names {} ATT&CK objects in {}; covmap does not pick one:",
                keys.len(),
                label(attack)
            );
            let first = keys.first().map_or("ID", |k| attack.meta(*k).id());
            let hint = format!("name the one you mean by its ATT&CK ID, e.g. `{first}`");
            bail!(candidates(attack, query, &head, &keys, &hint))
        }
        NameMatch::None => {}
    }
    if kinds != Kind::NAMED {
        // A name of another kind: let the caller say what it is instead.
        match attack.resolve_name(query, &Kind::NAMED) {
            NameMatch::One(key) => return Ok(key),
            NameMatch::Ambiguous(keys) => {
                let wanted: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
                let head = format!(
                    "\"{query}\" is no {} in {}; it names:",
                    wanted.join(" or "),
                    label(attack)
                );
                let hint = "`covmap attack show ID` shows any of them";
                bail!(candidates(attack, query, &head, &keys, hint))
            }
            NameMatch::None => {}
        }
    }
    let hints = attack.suggest(query, 3);
    let mut message = format!("no ATT&CK object matches \"{query}\" in {}", label(attack));
    if hints.is_empty() {
        message.push_str(
            "\n  hint: `covmap attack techniques --subtechniques` lists every technique ID",
        );
    } else {
        let _ = write!(message, "\n  hint: did you mean {}?", hints.join(", "));
    }
    bail!(message)
}

/// An error listing the objects a name names: each with its ID, name, kind, how the name
/// matched it and whether it is withdrawn, then how to name one.
fn candidates(attack: &Attack, query: &str, head: &str, keys: &[ObjectRef], hint: &str) -> String {
    let mut message = head.to_string();
    for key in keys {
        let meta = attack.meta(*key);
        let mut notes = vec![key.kind.label()];
        let same = |name: &str| name.trim().to_lowercase() == query.trim().to_lowercase();
        let own = same(&meta.name)
            || matches!(attack.object(*key), Object::Tactic(t) if same(&t.shortname));
        if !own {
            notes.push("by alias");
        }
        if meta.revoked {
            notes.push("revoked");
        } else if meta.deprecated {
            notes.push("deprecated");
        }
        let _ = write!(message, "\n  {} ({})", line(meta), notes.join(", "));
    }
    let _ = write!(message, "\n  hint: {hint}");
    message
}

fn named(meta: &Meta) -> Value {
    json!({ "id": meta.id(), "name": meta.name })
}

fn line(meta: &Meta) -> String {
    format!("{} {}", meta.id(), meta.name)
}

fn info(attack: &Attack, from: &bundle::Source, format: Format) -> Result<()> {
    let source = from.describe();
    let counts = attack.counts();
    let tactic_order: Vec<Value> = attack
        .tactics()
        .map(|t| json!({ "id": t.meta.id(), "shortname": t.shortname, "name": t.meta.name }))
        .collect();
    let doc = json!({
        "domain": attack.domain(),
        "name": attack.name(),
        "version": attack.version(),
        "spec_version": attack.spec_version(),
        "attack_spec_version": attack.attack_spec_version(),
        "source": source,
        "source_kind": from.kind(),
        "tactics": counts.tactics,
        "techniques": counts.techniques,
        "subtechniques": counts.subtechniques,
        "groups": counts.groups,
        "software": counts.software,
        "mitigations": counts.mitigations,
        "campaigns": counts.campaigns,
        "data_sources": counts.data_sources,
        "data_components": counts.data_components,
        "detection_strategies": counts.detection_strategies,
        "analytics": counts.analytics,
        "assets": counts.assets,
        "revoked_techniques": counts.revoked_techniques,
        "deprecated_techniques": counts.deprecated_techniques,
        "relationships": counts.relationships,
        "tactic_order": tactic_order,
        "platforms": attack.platforms(),
    });
    if format == Format::Json {
        return output::json(&doc);
    }
    if format == Format::Csv {
        let rows: Vec<Vec<String>> = doc
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_array())
            .map(|(k, v)| {
                let text = match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                vec![k.clone(), text]
            })
            .collect();
        return output::csv(&["field", "value"], &rows);
    }
    let mut card = Card {
        title: format!(
            "{} {}",
            attack.name(),
            attack.version().unwrap_or("(unknown version)")
        ),
        fields: Vec::new(),
    };
    card.one("domain", attack.domain());
    card.one("STIX", attack.spec_version());
    card.one("source", from.label());
    for key in [
        "tactics",
        "techniques",
        "subtechniques",
        "groups",
        "software",
        "mitigations",
        "campaigns",
        "data_sources",
        "data_components",
        "detection_strategies",
        "analytics",
        "assets",
        "revoked_techniques",
        "deprecated_techniques",
        "relationships",
    ] {
        card.one(&key.replace('_', " "), doc[key].to_string());
    }
    card.field(
        "tactic order",
        attack
            .tactics()
            .map(|t| format!("{} {} ({})", t.meta.id(), t.meta.name, t.shortname))
            .collect(),
    );
    card.one("platforms", attack.platforms().join(", "));
    output::text(&card.render())
}

fn techniques(
    attack: &Attack,
    tactic: Option<&str>,
    platform: Option<&str>,
    subtechniques: bool,
    format: Format,
) -> Result<()> {
    let mut list = attack.active_techniques();
    if let Some(query) = tactic {
        let Some(tactic) = attack.tactic(query) else {
            let valid: Vec<&str> = attack.tactics().map(|t| t.shortname.as_str()).collect();
            let close = attack.suggest_among(query, &[Kind::Tactic], 1);
            bail!(
                "no tactic \"{query}\" in {}{}\n  hint: valid tactics are {}",
                label(attack),
                close
                    .first()
                    .map_or_else(String::new, |c| format!("\n  hint: did you mean {c}?")),
                valid.join(", ")
            );
        };
        list.retain(|t| t.tactics.contains(&tactic.shortname));
    }
    if let Some(query) = platform {
        let platforms = attack.platforms();
        let Some(platform) = platforms.iter().find(|p| p.eq_ignore_ascii_case(query)) else {
            bail!(
                "no platform \"{query}\" in {}{}\n  hint: valid platforms are {}",
                label(attack),
                platform_hint(query, &platforms),
                platforms.join(", ")
            );
        };
        list.retain(|t| t.platforms.contains(platform));
    }
    if !subtechniques {
        list.retain(|t| !t.is_subtechnique);
    }
    if format == Format::Json {
        let doc: Vec<Value> = list.iter().map(|t| technique_summary(attack, t)).collect();
        return output::json(&doc);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            vec![
                t.meta.id().to_string(),
                t.meta.name.clone(),
                t.tactics.join(", "),
                t.platforms.join(", "),
            ]
        })
        .collect();
    output::rows(format, &["id", "name", "tactics", "platforms"], &rows)
}

fn technique_summary(attack: &Attack, t: &Technique) -> Value {
    json!({
        "id": t.meta.id(),
        "name": t.meta.name,
        "tactics": t.tactics,
        "platforms": t.platforms,
        "subtechnique": t.is_subtechnique,
        "parent": attack.parent(t).map(|p| p.meta.id()),
        "url": t.meta.url,
    })
}

fn route_json(attack: &Attack, route: &Route) -> Value {
    let software = |i: u32| named(&attack.software()[i as usize].meta);
    let campaign = |i: u32| named(&attack.campaigns()[i as usize].meta);
    match *route {
        Route::Direct => json!({ "via": "direct" }),
        Route::Software { software: s } => json!({ "via": "software", "software": software(s) }),
        Route::Campaign { campaign: c } => json!({ "via": "campaign", "campaign": campaign(c) }),
        Route::CampaignSoftware {
            campaign: c,
            software: s,
        } => {
            json!({ "via": "campaign-software", "campaign": campaign(c), "software": software(s) })
        }
    }
}

fn route_text(attack: &Attack, route: &Route) -> String {
    let software = |i: u32| line(&attack.software()[i as usize].meta);
    let campaign = |i: u32| line(&attack.campaigns()[i as usize].meta);
    match *route {
        Route::Direct => "direct".to_string(),
        Route::Software { software: s } => format!("software {}", software(s)),
        Route::Campaign { campaign: c } => format!("campaign {}", campaign(c)),
        Route::CampaignSoftware {
            campaign: c,
            software: s,
        } => format!("campaign {} via software {}", campaign(c), software(s)),
    }
}

fn route_short(attack: &Attack, route: &Route) -> String {
    let software = |i: u32| attack.software()[i as usize].meta.id().to_string();
    let campaign = |i: u32| attack.campaigns()[i as usize].meta.id().to_string();
    match *route {
        Route::Direct => "direct".to_string(),
        Route::Software { software: s } => software(s),
        Route::Campaign { campaign: c } => campaign(c),
        Route::CampaignSoftware {
            campaign: c,
            software: s,
        } => format!("{}/{}", campaign(c), software(s)),
    }
}

/// A titled list of fields, rendered as text for `--format table`.
struct Card {
    title: String,
    fields: Vec<(String, Vec<String>)>,
}

impl Card {
    fn field(&mut self, name: &str, values: Vec<String>) {
        self.fields.push((name.to_string(), values));
    }

    fn one(&mut self, name: &str, value: impl Into<String>) {
        self.fields.push((name.to_string(), vec![value.into()]));
    }

    fn render(&self) -> String {
        let mut out = format!("{}\n", self.title);
        let width = self.fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (name, values) in &self.fields {
            match values.as_slice() {
                [] => {
                    let _ = writeln!(out, "  {name:width$}  (none)");
                }
                [only] => {
                    let _ = writeln!(out, "  {name:width$}  {only}");
                }
                many => {
                    let _ = writeln!(out, "  {name:width$}  ({})", many.len());
                    for value in many {
                        let _ = writeln!(out, "  {:width$}    {value}", "");
                    }
                }
            }
        }
        out
    }
}

fn metas<'a, T: AttackObject + 'a>(items: impl IntoIterator<Item = &'a T>) -> Vec<&'a Meta> {
    items.into_iter().map(AttackObject::meta).collect()
}

#[allow(clippy::too_many_lines)] // one section per kind of object
fn show(attack: &Attack, query: &str, format: Format) -> Result<()> {
    if format == Format::Csv {
        bail!("`covmap attack show` prints one object: use --format table or --format json");
    }
    let key = find(attack, query, &Kind::NAMED)?;
    let meta = attack.meta(key);
    let mut doc = json!({
        "kind": key.kind.label(),
        "id": meta.id(),
        "name": meta.name,
        "stix_id": meta.stix_id,
        "url": meta.url,
        "description": meta.description,
        "version": meta.version,
        "created": meta.created,
        "modified": meta.modified,
        "revoked": meta.revoked,
        "deprecated": meta.deprecated,
    });
    let mut card = Card {
        title: format!("{} {} ({})", meta.id(), meta.name, key.kind.label()),
        fields: Vec::new(),
    };
    if meta.revoked {
        let replacement = attack.replacement(key).map(|r| attack.meta(r));
        doc["replaced_by"] = replacement.map_or(Value::Null, named);
        card.one(
            "status",
            match replacement {
                Some(r) => format!(
                    "REVOKED: replaced by {} (see `covmap attack show {}`)",
                    line(r),
                    r.id()
                ),
                None => "REVOKED: ATT&CK names no replacement".to_string(),
            },
        );
    } else if meta.deprecated {
        card.one(
            "status",
            "DEPRECATED: withdrawn from ATT&CK without replacement",
        );
    }
    let list_json = |items: &[&Meta]| Value::Array(items.iter().map(|m| named(m)).collect());
    let list_text = |items: &[&Meta]| items.iter().map(|m| line(m)).collect::<Vec<_>>();
    match attack.object(key) {
        Object::Technique(t) => {
            let parent = attack.parent(t);
            let subs = attack.subtechniques(t);
            let mitigations = attack.mitigations_of(t);
            let users = attack.users_of(t);
            let detection = attack.detection_of(t);
            let group_json: Vec<Value> = users
                .groups
                .iter()
                .map(|(g, routes)| {
                    let mut v = named(&attack.groups()[*g as usize].meta);
                    v["via"] = routes.iter().map(|r| route_json(attack, r)).collect();
                    v
                })
                .collect();
            let software: Vec<&Meta> = users
                .software
                .iter()
                .map(|&s| &attack.software()[s as usize].meta)
                .collect();
            let campaigns: Vec<&Meta> = users
                .campaigns
                .iter()
                .map(|&c| &attack.campaigns()[c as usize].meta)
                .collect();
            let strategies: Vec<Value> = detection
                .strategies
                .iter()
                .map(|&s| {
                    let strategy = &attack.detection_strategies()[s as usize];
                    let mut v = named(&strategy.meta);
                    v["url"] = json!(strategy.meta.url);
                    v["analytics"] = strategy
                        .analytics
                        .iter()
                        .map(|&a| {
                            let analytic = &attack.analytics()[a as usize];
                            json!({
                                "id": analytic.meta.id(),
                                "platforms": analytic.platforms,
                                "description": analytic.meta.description,
                                "log_sources": analytic.log_sources.iter().map(|l| json!({
                                    "data_component": named(&attack.data_components()[l.data_component as usize].meta),
                                    "name": l.name,
                                    "channel": l.channel,
                                })).collect::<Vec<_>>(),
                            })
                        })
                        .collect();
                    v
                })
                .collect();
            let components: Vec<&Meta> = detection
                .data_components
                .iter()
                .map(|&c| &attack.data_components()[c as usize].meta)
                .collect();
            doc["tactics"] = json!(t.tactics);
            doc["platforms"] = json!(t.platforms);
            doc["subtechnique"] = json!(t.is_subtechnique);
            doc["parent"] = parent.map_or(Value::Null, |p| named(&p.meta));
            doc["subtechniques"] = list_json(&metas(subs.iter().copied()));
            doc["mitigations"] = list_json(&metas(mitigations.iter().copied()));
            doc["groups"] = Value::Array(group_json);
            doc["software"] = list_json(&software);
            doc["campaigns"] = list_json(&campaigns);
            doc["detection"] = json!({
                "strategies": strategies,
                "data_components": list_json(&components),
                "data_sources": detection.data_sources,
                "text": detection.text,
            });
            if !attack.assets().is_empty() {
                let assets = metas(attack.assets_targeted_by(t));
                doc["assets"] = list_json(&assets);
                card.field("assets", list_text(&assets));
            }
            card.one("tactics", t.tactics.join(", "));
            card.one("platforms", t.platforms.join(", "));
            if let Some(p) = parent {
                card.one("parent", line(&p.meta));
            }
            if !t.is_subtechnique {
                card.field("sub-techniques", list_text(&metas(subs.iter().copied())));
            }
            card.field(
                "mitigations",
                list_text(&metas(mitigations.iter().copied())),
            );
            card.field(
                "groups",
                users
                    .groups
                    .iter()
                    .map(|(g, routes)| {
                        let via: Vec<String> =
                            routes.iter().map(|r| route_text(attack, r)).collect();
                        format!(
                            "{} [{}]",
                            line(&attack.groups()[*g as usize].meta),
                            via.join("; ")
                        )
                    })
                    .collect(),
            );
            card.field("software", list_text(&software));
            card.field("campaigns", list_text(&campaigns));
            let mut detect = Vec::new();
            for &s in &detection.strategies {
                let strategy = &attack.detection_strategies()[s as usize];
                detect.push(format!("strategy {}", line(&strategy.meta)));
                for &a in &strategy.analytics {
                    let analytic = &attack.analytics()[a as usize];
                    let sources: Vec<String> = analytic
                        .log_sources
                        .iter()
                        .map(|l| {
                            format!(
                                "{} ({} {})",
                                attack.data_components()[l.data_component as usize]
                                    .meta
                                    .name,
                                l.name,
                                l.channel
                            )
                            .trim_end()
                            .to_string()
                        })
                        .collect();
                    detect.push(format!(
                        "  analytic {} [{}]: {}",
                        analytic.meta.id(),
                        analytic.platforms.join(", "),
                        sources.join("; ")
                    ));
                }
            }
            if detection.strategies.is_empty() {
                detect.extend(
                    components
                        .iter()
                        .map(|c| format!("data component {}", c.name)),
                );
                detect.extend(
                    detection
                        .data_sources
                        .iter()
                        .map(|s| format!("data source {s}")),
                );
            }
            card.field("detection", detect);
        }
        Object::Tactic(tactic) => {
            let list = attack.techniques_in_tactic(&tactic.shortname);
            doc["shortname"] = json!(tactic.shortname);
            doc["techniques"] = list_json(&metas(list.iter().copied()));
            card.one("shortname", tactic.shortname.clone());
            card.field(
                "techniques",
                list_text(&metas(list.iter().copied().filter(|t| !t.is_subtechnique))),
            );
        }
        Object::Group(g) => {
            let used = attack.techniques_used_by(key);
            let software: Vec<&Meta> = attack
                .software_used_by(key)
                .iter()
                .map(|&s| &attack.software()[s as usize].meta)
                .collect();
            let campaigns: Vec<&Meta> = attack
                .campaigns_of(key)
                .iter()
                .map(|&c| &attack.campaigns()[c as usize].meta)
                .collect();
            doc["aliases"] = json!(g.aliases);
            doc["software"] = list_json(&software);
            doc["campaigns"] = list_json(&campaigns);
            doc["techniques"] = json!(used.len());
            card.one("aliases", g.aliases.join(", "));
            card.one(
                "techniques",
                format!(
                    "{} (list them with `covmap attack group {}`)",
                    used.len(),
                    meta.id()
                ),
            );
            card.field("software", list_text(&software));
            card.field("campaigns", list_text(&campaigns));
        }
        Object::Software(s) => {
            let used = attack.techniques_used_by(key);
            let techniques: Vec<&Meta> = used
                .iter()
                .map(|u| &attack.techniques()[u.technique as usize].meta)
                .collect();
            let groups: Vec<&Meta> = attack
                .groups()
                .iter()
                .filter(|g| {
                    g.meta.is_active() && attack.software_used_by(g.meta.key).contains(&key.index)
                })
                .map(|g| &g.meta)
                .collect();
            doc["type"] = json!(s.software_kind);
            doc["aliases"] = json!(s.aliases);
            doc["platforms"] = json!(s.platforms);
            doc["techniques"] = list_json(&techniques);
            doc["groups"] = list_json(&groups);
            card.one("type", format!("{:?}", s.software_kind).to_lowercase());
            card.one("aliases", s.aliases.join(", "));
            card.one("platforms", s.platforms.join(", "));
            card.field("techniques", list_text(&techniques));
            card.field("groups", list_text(&groups));
        }
        Object::Mitigation(m) => {
            let list = attack.mitigated_by(m);
            doc["techniques"] = list_json(&metas(list.iter().copied()));
            card.field("mitigates", list_text(&metas(list.iter().copied())));
        }
        Object::Campaign(c) => {
            let used = attack.techniques_used_by(key);
            let techniques: Vec<&Meta> = used
                .iter()
                .map(|u| &attack.techniques()[u.technique as usize].meta)
                .collect();
            let groups: Vec<&Meta> = attack
                .groups_of_campaign(key)
                .iter()
                .map(|&g| &attack.groups()[g as usize].meta)
                .collect();
            let software: Vec<&Meta> = attack
                .software_used_by(key)
                .iter()
                .map(|&s| &attack.software()[s as usize].meta)
                .collect();
            doc["aliases"] = json!(c.aliases);
            doc["first_seen"] = json!(c.first_seen);
            doc["last_seen"] = json!(c.last_seen);
            doc["groups"] = list_json(&groups);
            doc["software"] = list_json(&software);
            doc["techniques"] = list_json(&techniques);
            card.one("aliases", c.aliases.join(", "));
            card.one(
                "seen",
                format!(
                    "{} to {}",
                    c.first_seen.as_deref().unwrap_or("?"),
                    c.last_seen.as_deref().unwrap_or("?")
                ),
            );
            card.field("attributed to", list_text(&groups));
            card.field("software", list_text(&software));
            card.field("techniques", list_text(&techniques));
        }
        Object::DataComponent(dc) => {
            let sources: Vec<String> = dc
                .log_sources
                .iter()
                .map(|l| format!("{} {}", l.name, l.channel))
                .collect();
            doc["log_sources"] = json!(sources);
            card.field("log sources", sources);
        }
        Object::DetectionStrategy(_)
        | Object::Analytic(_)
        | Object::DataSource(_)
        | Object::Asset(_) => {}
    }
    if let Some(url) = &meta.url {
        card.one("url", url.clone());
    }
    if format == Format::Json {
        return output::json(&doc);
    }
    output::text(&card.render())
}

/// The group a query names (a revoked group's replacement, with a note), or an error.
fn find_group(attack: &Attack, query: &str) -> Result<ObjectRef> {
    let key = find(attack, query, &[Kind::Group])?;
    if key.kind != Kind::Group {
        bail!(
            "\"{query}\" is the {} {}, not a group\n  hint: use `covmap attack show {}`",
            key.kind.label(),
            line(attack.meta(key)),
            attack.meta(key).id()
        );
    }
    if let Some(replacement) = attack.replacement(key) {
        crate::note!(
            "covmap: {} is revoked; showing its replacement {}",
            line(attack.meta(key)),
            line(attack.meta(replacement))
        );
        return Ok(replacement);
    }
    Ok(key)
}

#[allow(clippy::too_many_lines)] // three output formats of one listing
fn group(attack: &Attack, query: &str, format: Format) -> Result<()> {
    let key = find_group(attack, query)?;
    let g = &attack.groups()[key.index as usize];
    let used = attack.techniques_used_by(key);
    let count =
        |pred: fn(&Route) -> bool| used.iter().filter(|u| u.routes.iter().any(pred)).count();
    match format {
        Format::Json => {
            let techniques: Vec<Value> = used
                .iter()
                .map(|u| {
                    let t = &attack.techniques()[u.technique as usize];
                    json!({
                        "id": t.meta.id(),
                        "name": t.meta.name,
                        "tactics": t.tactics,
                        "via": u.routes.iter().map(|r| route_json(attack, r)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            output::json(&json!({
                "group": { "id": g.meta.id(), "name": g.meta.name, "aliases": g.aliases },
                "summary": {
                    "techniques": used.len(),
                    "direct": count(|r| matches!(r, Route::Direct)),
                    "via_software": count(|r| matches!(r, Route::Software { .. })),
                    "via_campaign": count(|r| matches!(r, Route::Campaign { .. })),
                    "via_campaign_software": count(|r| matches!(r, Route::CampaignSoftware { .. })),
                },
                "software": attack.software_used_by(key).iter().map(|&s| named(&attack.software()[s as usize].meta)).collect::<Vec<_>>(),
                "campaigns": attack.campaigns_of(key).iter().map(|&c| named(&attack.campaigns()[c as usize].meta)).collect::<Vec<_>>(),
                "techniques": techniques,
            }))
        }
        Format::Table | Format::Csv => {
            let rows: Vec<Vec<String>> = used
                .iter()
                .map(|u| {
                    let t = &attack.techniques()[u.technique as usize];
                    let via: Vec<String> = if format == Format::Csv {
                        u.routes.iter().map(|r| route_text(attack, r)).collect()
                    } else {
                        u.routes.iter().map(|r| route_short(attack, r)).collect()
                    };
                    let separator = if format == Format::Csv { "; " } else { ", " };
                    vec![
                        t.meta.id().to_string(),
                        t.meta.name.clone(),
                        t.tactics.join(", "),
                        via.join(separator),
                    ]
                })
                .collect();
            if format == Format::Table {
                output::text(&format!(
                    "{} ({}): {} techniques; {} direct, {} via software, {} via campaigns, {} via campaign software\n",
                    line(&g.meta),
                    g.aliases.join(", "),
                    used.len(),
                    count(|r| matches!(r, Route::Direct)),
                    count(|r| matches!(r, Route::Software { .. })),
                    count(|r| matches!(r, Route::Campaign { .. })),
                    count(|r| matches!(r, Route::CampaignSoftware { .. })),
                ))?;
                let software: Vec<String> = attack
                    .software_used_by(key)
                    .iter()
                    .map(|&s| line(&attack.software()[s as usize].meta))
                    .collect();
                let campaigns: Vec<String> = attack
                    .campaigns_of(key)
                    .iter()
                    .map(|&c| line(&attack.campaigns()[c as usize].meta))
                    .collect();
                output::text(&format!(
                    "software: {}\ncampaigns: {}\nvia: direct = the group itself; Sxxxx = its software; Cxxxx = an attributed campaign; Cxxxx/Sxxxx = software used in that campaign\n",
                    if software.is_empty() {
                        "none".to_string()
                    } else {
                        software.join(", ")
                    },
                    if campaigns.is_empty() {
                        "none".to_string()
                    } else {
                        campaigns.join(", ")
                    },
                ))?;
            }
            output::rows(format, &["id", "name", "tactics", "via"], &rows)
        }
    }
}

#[allow(clippy::too_many_lines)] // one block per kind of change
fn print_diff(diff: &VersionDiff, format: Format) -> Result<()> {
    if format == Format::Json {
        return output::json(diff);
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut push = |change: &str, item: &Named, detail: String| {
        rows.push(vec![
            change.to_string(),
            item.id.clone(),
            item.name.clone(),
            detail,
        ]);
    };
    for t in &diff.tactics_added {
        push("tactic-added", t, String::new());
    }
    for t in &diff.tactics_removed {
        push("tactic-removed", t, String::new());
    }
    for t in &diff.added {
        push("added", t, String::new());
    }
    for t in &diff.removed {
        push("removed", t, String::new());
    }
    for r in &diff.revoked {
        let detail = r.replaced_by.as_ref().map_or_else(
            || "no replacement named".to_string(),
            |n| format!("replaced by {} {}", n.id, n.name),
        );
        push("revoked", &r.technique, detail);
    }
    for t in &diff.deprecated {
        push("deprecated", t, String::new());
    }
    for r in &diff.renamed {
        let item = Named {
            id: r.id.clone(),
            name: r.new_name.clone(),
        };
        push("renamed", &item, format!("was \"{}\"", r.old_name));
    }
    for r in &diff.reidentified {
        let item = Named {
            id: r.new_id.clone(),
            name: r.name.clone(),
        };
        push("id-changed", &item, format!("was {}", r.old_id));
    }
    let change_detail = |added: &[String], removed: &[String]| {
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("added {}", added.join(", ")));
        }
        if !removed.is_empty() {
            parts.push(format!("removed {}", removed.join(", ")));
        }
        parts.join("; ")
    };
    for c in &diff.tactics_changed {
        let item = Named {
            id: c.id.clone(),
            name: c.name.clone(),
        };
        push(
            "tactics-changed",
            &item,
            change_detail(&c.added, &c.removed),
        );
    }
    for c in &diff.platforms_changed {
        let item = Named {
            id: c.id.clone(),
            name: c.name.clone(),
        };
        push(
            "platforms-changed",
            &item,
            change_detail(&c.added, &c.removed),
        );
    }
    for (kind, changes) in [
        ("group", &diff.groups),
        ("software", &diff.software),
        ("campaign", &diff.campaigns),
        ("mitigation", &diff.mitigations),
    ] {
        for n in &changes.added {
            push(&format!("{kind}-added"), n, String::new());
        }
        for n in &changes.withdrawn {
            push(&format!("{kind}-withdrawn"), n, String::new());
        }
    }
    if format == Format::Table {
        output::text(&format!(
            "ATT&CK {}: {} -> {}\ntechniques: {} added, {} removed, {} revoked, {} deprecated, {} renamed, {} moved between tactics, {} with platform changes; tactics: {} added, {} removed\n",
            diff.domain,
            diff.old_version.as_deref().unwrap_or("?"),
            diff.new_version.as_deref().unwrap_or("?"),
            diff.added.len(),
            diff.removed.len(),
            diff.revoked.len(),
            diff.deprecated.len(),
            diff.renamed.len(),
            diff.tactics_changed.len(),
            diff.platforms_changed.len(),
            diff.tactics_added.len(),
            diff.tactics_removed.len(),
        ))?;
    }
    output::rows(format, &["change", "id", "name", "detail"], &rows)
}

// Adversary commonalities.

/// The name of an active technique by ID (empty when unknown).
fn technique_name<'a>(attack: &'a Attack, id: &str) -> &'a str {
    attack.technique(id).map_or("", |t| t.meta.name.as_str())
}

/// `covmap attack compare`.
fn compare_groups(attack: &Attack, queries: &[String], format: Format) -> Result<()> {
    let mut keys: Vec<ObjectRef> = Vec::new();
    for query in queries {
        let key = find_group(attack, query)?;
        if keys.contains(&key) {
            bail!(
                "\"{query}\" names {} again; each group is compared once\n  hint: name two or more different groups",
                line(attack.meta(key))
            );
        }
        keys.push(key);
    }
    let result = covmap_assess::adversary::compare_groups(attack, &keys);
    match format {
        Format::Json => output::json(&result),
        Format::Table => {
            let mut out = String::new();
            for g in &result.groups {
                let _ = writeln!(out, "{} {}: {} techniques", g.id, g.name, g.techniques);
            }
            let list = |ids: &[String]| {
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                }
            };
            let _ = writeln!(
                out,
                "\nshared by all ({}): {}",
                result.shared.len(),
                list(&result.shared)
            );
            for g in &result.groups {
                let only = result.unique.get(&g.id).map_or(&[][..], Vec::as_slice);
                let _ = writeln!(out, "unique to {} ({}): {}", g.id, only.len(), list(only));
            }
            out.push('\n');
            let rows: Vec<Vec<String>> = result
                .jaccard
                .iter()
                .map(|j| {
                    vec![
                        j.a.clone(),
                        j.b.clone(),
                        j.shared.to_string(),
                        format!("{:.3}", j.value),
                    ]
                })
                .collect();
            out.push_str(&output::render_table(
                &["a", "b", "shared", "jaccard"],
                &rows,
            ));
            out.push_str("techniques by every route of `covmap attack group` (direct, software, campaigns); jaccard = shared / either\n");
            output::text(&out)
        }
        Format::Csv => {
            // One row per technique any of them uses, a yes/empty column per group.
            let mut all: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
            let sets: Vec<std::collections::BTreeSet<String>> = keys
                .iter()
                .map(|&k| {
                    attack
                        .techniques_used_by(k)
                        .iter()
                        .map(|u| {
                            attack.techniques()[u.technique as usize]
                                .meta
                                .id()
                                .to_string()
                        })
                        .collect()
                })
                .collect();
            for set in &sets {
                all.extend(set.iter().map(String::as_str));
            }
            let mut header = vec!["id", "name", "groups"];
            header.extend(result.groups.iter().map(|g| g.id.as_str()));
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|id| {
                    let mut row = vec![
                        (*id).to_string(),
                        technique_name(attack, id).to_string(),
                        sets.iter().filter(|s| s.contains(*id)).count().to_string(),
                    ];
                    row.extend(
                        sets.iter()
                            .map(|s| if s.contains(*id) { "yes" } else { "" }.to_string()),
                    );
                    row
                })
                .collect();
            output::csv(&header, &rows)
        }
    }
}

/// `covmap attack match`.
fn match_groups(attack: &Attack, queries: &[String], top: usize, format: Format) -> Result<()> {
    let mut observed: Vec<String> = Vec::new();
    for query in queries {
        let mut key = find(attack, query, &[Kind::Technique])?;
        if key.kind != Kind::Technique {
            bail!(
                "\"{query}\" is the {} {}, not a technique\n  hint: `covmap attack techniques --subtechniques` lists every technique ID",
                key.kind.label(),
                line(attack.meta(key))
            );
        }
        if let Some(replacement) = attack.replacement(key) {
            crate::note!(
                "covmap: {} is revoked; matching its replacement {}",
                line(attack.meta(key)),
                line(attack.meta(replacement))
            );
            key = replacement;
        }
        let meta = attack.meta(key);
        if meta.deprecated {
            crate::note!(
                "covmap: {} is deprecated: no group uses it in this release",
                line(meta)
            );
        }
        let id = meta.id().to_string();
        if !observed.contains(&id) {
            observed.push(id);
        }
    }
    let list = covmap_assess::adversary::match_groups(attack, &observed, Some(top));
    match format {
        Format::Json => {
            observed.sort();
            output::json(&json!({ "observed": observed, "groups": list }))
        }
        Format::Table | Format::Csv => {
            let full = format == Format::Csv;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|m| {
                    vec![
                        m.rank.to_string(),
                        m.id.clone(),
                        m.name.clone(),
                        if full {
                            m.matched.to_string()
                        } else {
                            format!("{}/{}", m.matched, observed.len())
                        },
                        m.techniques.to_string(),
                        if full {
                            format!("{:.6}", m.jaccard)
                        } else {
                            format!("{:.3}", m.jaccard)
                        },
                        m.matched_techniques.join(if full { "; " } else { ", " }),
                    ]
                })
                .collect();
            output::rows(
                format,
                &[
                    "rank",
                    "id",
                    "name",
                    "matched",
                    "techniques",
                    "jaccard",
                    "matched_techniques",
                ],
                &rows,
            )?;
            if !full {
                crate::note!(
                    "{} observed; groups ranked by how many they use (every route of `covmap attack group`), then Jaccard similarity",
                    observed.len()
                );
            }
            Ok(())
        }
    }
}
