//! The `telemetry:` section: log sources checked against the names the loaded bundle uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use covmap_core::Attack;

use super::{FileRef, Ids, Run, closest};
use crate::diagnostic::Code;
use crate::inventory::{
    CollectedSource, Scope, Status, Telemetry, TelemetryFormat, TelemetryImport,
};
use crate::schema::{RawLogSource, RawTelemetry, RawTelemetryImport};
use crate::telemetry::{normalise, split_channel};
use crate::yaml::{self, NodeId, Spanned};

/// Known channels of a log source named in the bundle.
#[derive(Debug, Default)]
struct KnownSource {
    /// The bundle's spelling of the name.
    name: String,
    /// Normalised channels the bundle names for it, whole and split into event codes.
    channels: BTreeSet<String>,
    /// The channels as the bundle writes them, for hints.
    written: BTreeSet<String>,
    /// Whether channels are checked (not for data-component names, which have none).
    check_channels: bool,
}

/// The log-source names of a bundle: those its active analytics and data components read
/// (ATT&CK 18+), or, for a bundle without analytics, the names of its data components (alone
/// and as `Data Source: Component`), which is how DeTT&CT and older bundles name telemetry.
#[derive(Debug, Default)]
pub(super) struct LogSourceCatalog {
    /// Normalised name -> what the bundle says of it.
    names: BTreeMap<String, KnownSource>,
    /// Whether the bundle has analytics (the hint of an unknown name depends on it).
    analytics: bool,
}

impl LogSourceCatalog {
    pub(super) fn new(attack: &Attack) -> LogSourceCatalog {
        let mut catalog = LogSourceCatalog::default();
        for analytic in attack.analytics().iter().filter(|a| a.meta.is_active()) {
            catalog.analytics = true;
            for source in &analytic.log_sources {
                catalog.add(&source.name, Some(&source.channel));
            }
        }
        let components = attack
            .data_components()
            .iter()
            .filter(|c| c.meta.is_active());
        for component in components {
            for source in &component.log_sources {
                catalog.add(&source.name, Some(&source.channel));
            }
            if !catalog.analytics {
                catalog.add(&component.meta.name, None);
                if let Some(source) = component
                    .data_source
                    .and_then(|d| attack.data_sources().get(d as usize))
                {
                    catalog.add(
                        &format!("{}: {}", source.meta.name, component.meta.name),
                        None,
                    );
                }
            }
        }
        catalog
    }

    fn add(&mut self, name: &str, channel: Option<&str>) {
        let known = self
            .names
            .entry(normalise(name))
            .or_insert_with(|| KnownSource {
                name: name.trim().to_string(),
                ..KnownSource::default()
            });
        if let Some(channel) = channel {
            known.check_channels = true;
            known.channels.insert(normalise(channel));
            known.written.insert(channel.trim().to_string());
            known.channels.extend(split_channel(channel));
        }
    }

    /// Whether the bundle names `channel` (or each of its event codes) for `known`.
    fn knows_channel(known: &KnownSource, channel: &str) -> bool {
        !known.check_channels
            || known.channels.contains(&normalise(channel))
            || split_channel(channel)
                .iter()
                .all(|part| known.channels.contains(part))
    }
}

/// A few of the channels the bundle names for a source, for a hint.
fn some_channels(known: &KnownSource) -> String {
    const SHOWN: usize = 6;
    let list: Vec<String> = known
        .written
        .iter()
        .take(SHOWN)
        .map(|c| format!("`{c}`"))
        .collect();
    let more = known.written.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("{} and {more} more", list.join(", "))
    } else {
        list.join(", ")
    }
}

impl Run<'_> {
    /// One telemetry entry, checked and resolved; `None` (with findings) when it cannot be
    /// kept.
    pub(super) fn telemetry<'d>(
        &mut self,
        file: &FileRef<'d>,
        node: NodeId,
        ids: &mut Ids,
        catalog: &LogSourceCatalog,
        scope: &Scope,
    ) -> Option<Telemetry> {
        let raw: RawTelemetry<'d> = self.read(file, node)?;
        let id = raw.id.value.trim().to_string();
        let mut keep = true;
        if id.is_empty() {
            let d = file
                .error(
                    raw.id.node,
                    Code::InvalidValue,
                    "telemetry `id` is empty".to_string(),
                )
                .hint("give the telemetry entry a short unique id, e.g. `sysmon-endpoints`");
            self.push(file, d);
            keep = false;
        } else if let Some(first) = ids.get(raw.id.value.trim()) {
            let d = file
                .error(
                    raw.id.node,
                    Code::DuplicateTelemetryId,
                    format!("telemetry id `{id}` is already used at {first}"),
                )
                .hint("telemetry ids must be unique across all inventory files: rename one of them, or merge the two entries")
                .related(first.clone(), format!("`{id}` is first used here"));
            self.push(file, d);
            keep = false;
        } else {
            ids.insert(raw.id.value.trim().to_string(), file.start(raw.id.node));
        }

        let platforms = self.telemetry_platforms(file, raw.platforms, &id, scope);

        let quality = match raw.quality {
            None => 1.0,
            Some(q) if q.value.is_finite() && (0.0..=1.0).contains(&q.value) => q.value,
            Some(q) => {
                let d = file
                    .error(
                        q.node,
                        Code::InvalidValue,
                        format!("telemetry `{id}` has `quality` {}, outside [0, 1]", q.value),
                    )
                    .hint("quality is a factor from 0 (useless) to 1 (complete, timely, retained); the default is 1");
                self.push(file, d);
                keep = false;
                1.0
            }
        };

        let mut log_sources = Vec::new();
        let mut written = 0;
        if let Some(d) = raw.log_sources
            && let Some(list) = self.read::<Vec<yaml::Deferred<RawLogSource<'_>>>>(file, d.node)
        {
            written += list.len();
            for item in list {
                let Some(source) = self.read::<RawLogSource<'_>>(file, item.node) else {
                    continue;
                };
                if let Some(collected) = self.log_source(file, &source, catalog) {
                    log_sources.push(collected);
                }
            }
        }
        let (imports, import_count) = self.telemetry_imports(file, raw.import);
        // Only an entry that writes nothing: sources and imports refused are reported already.
        if written == 0 && import_count == 0 && keep {
            let d = file
                .error(
                    raw.id.node,
                    Code::InvalidValue,
                    format!("telemetry `{id}` collects nothing: it has no `log_sources` and no `import`"),
                )
                .hint("list what it collects, e.g. `log_sources: [{name: \"WinEventLog:Security\"}]`, or import a Sysmon configuration");
            self.push(file, d);
            keep = false;
        }

        keep.then(|| Telemetry {
            name: raw
                .name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map_or_else(|| id.clone(), str::to_string),
            id,
            platforms,
            status: raw.status.map_or(Status::Deployed, |s| s.value),
            log_sources,
            quality,
            imports,
            location: file.start(node),
        })
    }

    /// A telemetry entry's platforms, resolved; empty (the scope's) when it lists none.
    fn telemetry_platforms(
        &mut self,
        file: &FileRef<'_>,
        platforms: Option<yaml::Deferred<Vec<Spanned<&str>>>>,
        id: &str,
        scope: &Scope,
    ) -> Vec<String> {
        let Some(d) = platforms else {
            return Vec::new();
        };
        let Some(list) = self.read::<Vec<Spanned<&str>>>(file, d.node) else {
            return Vec::new();
        };
        if list.is_empty() {
            let diag = file
                .error(
                    d.node,
                    Code::InvalidValue,
                    format!("telemetry `{id}` has an empty `platforms` list"),
                )
                .hint(
                    "list the platforms it is collected on, or remove the key to use the scope's",
                );
            self.push(file, diag);
            return Vec::new();
        }
        let resolved = self.platform_list(file, &list);
        if !resolved.is_empty() && !resolved.iter().any(|p| scope.platforms.contains(p)) {
            let diag = file
                .warning(
                    d.node,
                    Code::NoPlatformInScope,
                    format!(
                        "none of telemetry `{id}`'s platforms ({}) is in scope ({})",
                        resolved.join(", "),
                        scope.platforms.join(", ")
                    ),
                )
                .hint("add one of its platforms to `scope.platforms`, or correct the entry's `platforms`: as it is, it makes nothing visible");
            self.push(file, diag);
        }
        resolved
    }

    /// One log source: its name known to the bundle (in the bundle's spelling), its channels
    /// checked.
    fn log_source(
        &mut self,
        file: &FileRef<'_>,
        raw: &RawLogSource<'_>,
        catalog: &LogSourceCatalog,
    ) -> Option<CollectedSource> {
        let written = raw.name.value.trim();
        if written.is_empty() {
            let d = file
                .error(
                    raw.name.node,
                    Code::InvalidValue,
                    "log source `name` is empty".to_string(),
                )
                .hint("name the log source as ATT&CK's analytics do, e.g. `WinEventLog:Sysmon`");
            self.push(file, d);
            return None;
        }
        let Some(known) = catalog.names.get(&normalise(written)) else {
            let mut d = file.error(
                raw.name.node,
                Code::UnknownLogSource,
                format!("`{written}` is not a log source of {}", self.bundle_name()),
            );
            if let Some(best) = closest(written, catalog.names.values().map(|k| k.name.as_str())) {
                d = d.hint(format!("did you mean `{best}`?"));
            }
            let d = if catalog.analytics {
                d.hint("write the name as ATT&CK's analytics do (e.g. `WinEventLog:Security`, `auditd:SYSCALL`, `AWS:CloudTrail`): a log source no analytic reads makes nothing visible")
            } else {
                d.hint("this bundle has no analytics (ATT&CK before 18): name data components, e.g. `Process Creation` or `Process: Process Creation`")
            };
            self.push(file, d);
            return None;
        };
        let mut ok = true;
        let mut channels = Vec::new();
        if let Some(list) = &raw.channels {
            if list.value.is_empty() {
                let d = file
                    .error(
                        list.node,
                        Code::InvalidValue,
                        format!("log source `{}` has an empty `channels` list", known.name),
                    )
                    .hint("remove `channels` to collect every channel, or list the channels collected, e.g. `[\"EventCode=1\"]`");
                self.push(file, d);
                ok = false;
            }
            for channel in &list.value {
                let text = channel.value.trim();
                if text.is_empty() {
                    let d = file
                        .error(
                            channel.node,
                            Code::InvalidValue,
                            "empty channel".to_string(),
                        )
                        .hint("write the channel as ATT&CK's analytics do, e.g. `EventCode=4688`");
                    self.push(file, d);
                    ok = false;
                    continue;
                }
                if !LogSourceCatalog::knows_channel(known, text) {
                    let d = file
                        .warning(
                            channel.node,
                            Code::UnknownLogChannel,
                            format!(
                                "{} never names channel `{text}` for `{}`",
                                self.bundle_name(),
                                known.name
                            ),
                        )
                        .hint(format!(
                            "no analytic reads it, so it makes nothing visible; channels the bundle names for `{}`: {}",
                            known.name,
                            some_channels(known)
                        ));
                    self.push(file, d);
                }
                channels.push(text.to_string());
            }
        }
        ok.then(|| CollectedSource {
            name: known.name.clone(),
            channels,
            filtered: raw.filtered.unwrap_or(false),
            location: file.start(raw.name.node),
        })
    }

    /// A telemetry entry's `import:` files (paths resolved against the file's folder; whether
    /// they exist is for the importer to say), and how many entries are written.
    fn telemetry_imports(
        &mut self,
        file: &FileRef<'_>,
        import: Option<yaml::Deferred<Vec<yaml::Deferred<RawTelemetryImport<'_>>>>>,
    ) -> (Vec<TelemetryImport>, usize) {
        let Some(list) = import else {
            return (Vec::new(), 0);
        };
        let Some(entries) =
            self.read::<Vec<yaml::Deferred<RawTelemetryImport<'_>>>>(file, list.node)
        else {
            return (Vec::new(), 1);
        };
        let count = entries.len();
        let folder = file.path.parent().unwrap_or(Path::new(""));
        let mut imports = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(raw) = self.read::<RawTelemetryImport<'_>>(file, entry.node) else {
                continue;
            };
            let written = raw.path.value.trim();
            if written.is_empty() {
                let d = file
                    .error(
                        raw.path.node,
                        Code::InvalidValue,
                        "empty import `path`".to_string(),
                    )
                    .hint("name a Sysmon configuration or DeTT&CT data-source file, relative to this inventory file");
                self.push(file, d);
                continue;
            }
            imports.push(TelemetryImport {
                format: raw.format.map_or(TelemetryFormat::Auto, |f| f.value),
                path: folder.join(written),
                location: file.start(entry.node),
            });
        }
        (imports, count)
    }
}
