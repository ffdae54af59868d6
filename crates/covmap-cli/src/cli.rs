//! Command-line definitions (clap). The `///` comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The help heading of the options every command takes: listed after a command's own options,
/// so that `covmap CMD --help` starts with what is particular to CMD.
const GLOBAL: &str = "Global options";

/// Score how much of MITRE ATT&CK your defences cover.
#[derive(Debug, Parser)]
#[command(name = "covmap", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    /// Threads covmap may use: 1 runs every step on one thread; the outputs are the same
    /// bytes either way [default: 2 where a step splits].
    #[arg(long, global = true, help_heading = GLOBAL, env = "COVMAP_JOBS", value_name = "N")]
    pub(crate) jobs: Option<usize>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the ATT&CK bundle comes from; shared by every command.
#[derive(Debug, Clone, Args)]
pub(crate) struct SourceArgs {
    /// ATT&CK STIX bundle to use (JSON). Default: the newest bundle of --domain downloaded
    /// with `covmap attack fetch`, else the release built into covmap.
    #[arg(long, global = true, help_heading = GLOBAL, env = "COVMAP_ATTACK", value_name = "PATH")]
    pub(crate) attack: Option<PathBuf>,
    /// ATT&CK domain when no --attack file is given [default: the inventory's `attack.domain`,
    /// else enterprise].
    #[arg(long, global = true, help_heading = GLOBAL, value_enum)]
    pub(crate) domain: Option<Domain>,
    /// ATT&CK release to use when no --attack file is given (e.g. 18.1): a downloaded one, or
    /// the one built into covmap.
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "VERSION")]
    pub(crate) attack_version: Option<String>,
    /// Never download: `covmap attack fetch` is refused. (Other commands never download;
    /// without a bundle they use the release built into covmap.)
    #[arg(long, global = true, help_heading = GLOBAL, env = "COVMAP_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) offline: bool,
    /// Directory for downloaded bundles and parsed-model caches
    /// [default: the platform cache directory, e.g. ~/.cache/covmap].
    #[arg(long, global = true, help_heading = GLOBAL, env = "COVMAP_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Parse the bundle every time instead of using the parsed-model cache.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub(crate) no_cache: bool,
}

impl SourceArgs {
    /// The domain's short name: `--domain`, else enterprise.
    pub(crate) fn domain_name(&self) -> &'static str {
        self.domain.unwrap_or(Domain::Enterprise).name()
    }
}

/// An ATT&CK domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Domain {
    /// Enterprise ATT&CK.
    Enterprise,
    /// Mobile ATT&CK.
    Mobile,
    /// ATT&CK for ICS.
    Ics,
}

impl Domain {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise",
            Domain::Mobile => "mobile",
            Domain::Ics => "ics",
        }
    }
}

/// Output format of data commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// Aligned text for people.
    #[default]
    Table,
    /// JSON, in the stable shapes documented in docs/cli.md.
    Json,
    /// CSV (RFC 4180) for spreadsheets.
    Csv,
}

/// Inventory files and which capability statuses count.
#[derive(Debug, Clone, Args)]
pub(crate) struct InventoryArgs {
    /// Inventory files (YAML); several files merge (one per team, say).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Also count capabilities with these statuses as current coverage (deployed always counts;
    /// retired never does).
    #[arg(long, value_enum, value_name = "STATUS")]
    pub(crate) include: Vec<ExtraStatus>,
}

/// How reports are rendered: `assess -o`, `compare -o` and `report`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReportArgs {
    /// Outputs to write into DIR, comma-separated [default: all of them].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub(crate) outputs: Vec<OutputArg>,
    /// Sub-techniques in the heatmap: none, all, or only the families with a gap.
    #[arg(long, value_enum, default_value_t = SubtechniquesArg::Gaps)]
    pub(crate) subtechniques: SubtechniquesArg,
    /// Colour scale of every output: heatmaps, report.html, coverage.xlsx, layer.json
    /// (cividis, viridis, blues and greys are colour-blind safe).
    #[arg(long, value_name = "NAME", default_value = "cividis", value_parser = parse_palette)]
    pub(crate) palette: covmap_report::Palette,
    /// Print each technique's score (a whole percent) in its heatmap cell.
    #[arg(long)]
    pub(crate) cell_scores: bool,
    /// What the heatmap colours: the score, the score of the techniques the selected threats
    /// use (the others dimmed), or the visibility (visibility entries and the collected
    /// telemetry).
    #[arg(long, value_enum, default_value_t = ViewArg::Score)]
    pub(crate) view: ViewArg,
    /// Also write one Navigator layer per function (layer-detect.json, ...).
    #[arg(long)]
    pub(crate) layer_per_function: bool,
    /// Date shown in the reports (YYYY-MM-DD), or `none` to show no date [default: from
    /// SOURCE_DATE_EPOCH, else today].
    #[arg(long, value_name = "YYYY-MM-DD|none")]
    pub(crate) date: Option<String>,
    /// Gaps listed in the HTML report.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub(crate) top_gaps: usize,
    /// An earlier assessment.json: summary.md shows the change against it.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
}

fn parse_palette(name: &str) -> Result<covmap_report::Palette, String> {
    covmap_report::Palette::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = covmap_report::Palette::ALL
            .iter()
            .map(|p| p.name())
            .collect();
        format!("unknown palette; choose one of {}", known.join(", "))
    })
}

/// An output kind of `--outputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    /// heatmap.svg and the charts.
    Svg,
    /// heatmap.png.
    Png,
    /// coverage.csv, gaps.csv, tactics.csv, capabilities.csv, gaps-by-mitigation.csv (and
    /// compare.csv; plan.csv, and telemetry.csv and backlog.csv with a `telemetry:` section).
    Csv,
    /// coverage.xlsx.
    Xlsx,
    /// layer.json, an ATT&CK Navigator layer.
    Layer,
    /// report.html, self-contained.
    Html,
    /// summary.md, the executive summary in Markdown.
    Md,
}

/// `covmap gaps --by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ByArg {
    /// ATT&CK mitigations.
    Mitigation,
    /// Data components (what to collect to detect the gaps).
    DataComponent,
    /// Tactics (a leaf of several tactics counts in each).
    Tactic,
    /// Log sources (name and channel, as ATT&CK 18's analytics name them) whose collection
    /// would raise the gaps' visibility, each on top of the inventory's `telemetry:`.
    LogSource,
}

impl ByArg {
    /// The roll-up of covmap_assess::gaps; `None` for log sources (covmap_assess::onboarding).
    pub(crate) fn by(self) -> Option<covmap_assess::gaps::By> {
        match self {
            ByArg::Mitigation => Some(covmap_assess::gaps::By::Mitigation),
            ByArg::DataComponent => Some(covmap_assess::gaps::By::DataComponent),
            ByArg::Tactic => Some(covmap_assess::gaps::By::Tactic),
            ByArg::LogSource => None,
        }
    }

    /// The name on the command line and in messages.
    pub(crate) fn name(self) -> &'static str {
        self.by()
            .map_or("log-source", covmap_assess::gaps::By::name)
    }
}

/// `--subtechniques`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SubtechniquesArg {
    /// Parents only.
    None,
    /// Every sub-technique.
    All,
    /// The families with a gap.
    Gaps,
}

/// `--view`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ViewArg {
    /// Coverage score.
    Score,
    /// Threat-weighted.
    Weighted,
    /// The `visibility` function's score (entries and collected telemetry).
    Visibility,
}

/// A function of `--function`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FunctionArg {
    /// Alerting.
    Detect,
    /// Preventing.
    Protect,
    /// Containing and recovering.
    Respond,
    /// Telemetry without alerting.
    Visibility,
}

/// Statuses `--include` can add to `deployed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExtraStatus {
    /// Bought or being rolled out.
    Planned,
    /// Under evaluation.
    Candidate,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check inventory files against ATT&CK: every finding with file:line:column and what to do.
    ///
    /// Exit code 0 when clean, 1 when there are warnings and --strict is given, 2 on errors.
    Validate {
        /// Inventory files (YAML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Treat warnings as failures (exit code 1).
        #[arg(long)]
        strict: bool,
        /// `table` renders findings for people on stderr; `json` prints them on stdout.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Score coverage: overall, threat-weighted, per tactic, by level, and the top gaps.
    Assess {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// Write the report set into DIR: assessment.json, heatmap.svg/.png, charts, CSV,
        /// coverage.xlsx, layer.json and report.html (see --outputs).
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
        #[command(flatten)]
        report: ReportArgs,
        /// `table`: a summary; `json`: the complete assessment document.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Render the report set again from a saved assessment.json (the ATT&CK release it names
    /// supplies mitigations and threat details).
    Report {
        /// An assessment.json written by `covmap assess -o`.
        #[arg(value_name = "ASSESSMENT")]
        assessment: PathBuf,
        /// Directory to write the reports into.
        #[arg(short = 'o', long = "output", value_name = "DIR", required = true)]
        output: PathBuf,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Write outputs for other tools.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Ranked gaps, with the mitigations and detections that would close them.
    Gaps {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// Show at most N gaps.
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Only gaps of this tactic (shortname, ID or name).
        #[arg(long)]
        tactic: Option<String>,
        /// Roll the gaps up: one row per ATT&CK mitigation, data component, tactic or log source,
        /// with the gaps it addresses and the sum of their priorities (--top then limits the
        /// rows).
        #[arg(long, value_enum, value_name = "WHAT")]
        by: Option<ByArg>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The next best actions under a budget: deploy a candidate, implement an ATT&CK mitigation
    /// (a what-if), test a claim; ranked greedily by threat-weighted gain per cost, with the
    /// coverage after each step.
    Plan {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// Stop when the next costed action would take the spending above AMOUNT (yearly, in
        /// the currency of the costs).
        #[arg(long, value_name = "AMOUNT")]
        budget: Option<f64>,
        /// The Atomic Red Team `atomics/` folder: adds test actions (claims raised to tested,
        /// cost 0) where a test exists on the claim's platforms.
        #[arg(long, value_name = "DIR")]
        atomics: Option<PathBuf>,
        /// Show at most N actions.
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// What the collected logs make possible: per log source the ATT&CK analytics it feeds and
    /// the techniques it makes visible; quick wins (techniques without detect coverage whose
    /// analytic is feasible with the logs already collected); blind spots (no feasible
    /// analytic); and the log sources to collect next, ranked greedily by the threat-weighted
    /// visibility each adds.
    ///
    /// Reads the inventory's `telemetry:` section against ATT&CK 18's analytics (an older
    /// bundle has none).
    Telemetry {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// At most N rows in each list (quick wins, blind spots, onboarding) [default: 20 in a
        /// table, all in JSON and CSV].
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// What candidate products would add, at what cost; what retiring a capability would lose.
    Compare {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// A candidate: the id of a capability with status candidate or planned, or an inventory
        /// file holding the product's capabilities. Repeat to compare several.
        #[arg(long = "candidate", value_name = "ID|FILE")]
        candidates: Vec<String>,
        /// A deployed capability to take out: shows what is lost, and the techniques only it
        /// covers. Repeat to take out several together.
        #[arg(long, value_name = "ID")]
        without: Vec<String>,
        /// A swap: retire the counted capability OLD and deploy NEW (a capability id or an
        /// inventory file) in one scenario; shows the scores after it and what it gains and
        /// loses. Repeat to evaluate several swaps, each on its own.
        #[arg(long = "replace", value_name = "OLD=NEW")]
        replace: Vec<String>,
        /// Also write the report set with the comparison into DIR (compare.csv,
        /// chart-compare.svg, heatmap-compare-N.svg per candidate, report.html, ...).
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
        #[command(flatten)]
        report: ReportArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// How well each selected threat's techniques are covered, and its largest gaps.
    Threats {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// One group, campaign or software (ID, name or alias) instead of the selected threats.
        #[arg(long, value_name = "NAME_OR_ID")]
        group: Option<String>,
        /// Uncovered techniques to list per threat.
        #[arg(long, value_name = "N", default_value_t = 10)]
        top: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A gate for CI: exit 1 when coverage is below a threshold or dropped against a baseline.
    Check {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// Minimum overall score, in [0, 1].
        #[arg(long, value_name = "X")]
        min_overall: Option<f64>,
        /// Minimum score of every tactic with techniques in scope, in [0, 1].
        #[arg(long, value_name = "X")]
        min_tactic: Option<f64>,
        /// An earlier assessment.json to compare against.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Largest allowed drop of the overall score against --baseline, in [0, 1].
        #[arg(long, value_name = "X", requires = "baseline")]
        max_drop: Option<f64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Turn Navigator layers, DeTT&CT files, Sigma / Elastic / Splunk rules or CTID mappings
    /// into an inventory (it passes `covmap validate`), with each entry's source as evidence.
    ///
    /// Prints a summary on stderr: files read and skipped, items, techniques, IDs remapped
    /// and unknown (file:line:column). Exit code 1 with --strict when there are findings.
    Import(ImportArgs),
    /// Atomic Red Team tests that would turn untested coverage claims into evidence, and
    /// covered techniques no atomic test exercises.
    Tests {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// The Atomic Red Team `atomics/` folder (one `TNNNN/TNNNN.yaml` per technique).
        #[arg(long, value_name = "DIR", required = true)]
        atomics: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the JSON Schema of the inventory format, for editors such as VS Code.
    Schema,
    /// Explore the ATT&CK knowledge base: info, techniques, show, group, diff, fetch.
    #[command(subcommand)]
    Attack(AttackCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) generated from these definitions.
    Man,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// An ATT&CK Navigator layer (format 4.5) of the assessment, to stdout or a file.
    Navigator {
        #[command(flatten)]
        inventory: InventoryArgs,
        /// Write the layer to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Score one function instead of the headline score.
        #[arg(long, value_enum)]
        function: Option<FunctionArg>,
        /// A layer of the threat weights alone: each leaf's score is its threat weight (the
        /// selected threats of `scope.threats`), not its coverage.
        #[arg(long, conflicts_with = "function")]
        threats: bool,
        /// Colour scale of the layer's gradient, the heatmap's (cividis is colour-blind safe).
        #[arg(long, value_name = "NAME", default_value = "cividis", value_parser = parse_palette)]
        palette: covmap_report::Palette,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AttackCommand {
    /// Domain, version and counts of the loaded ATT&CK bundle.
    Info {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List active techniques, optionally of one tactic or platform.
    Techniques {
        /// Only techniques of this tactic (shortname, ID or name: defense-evasion, TA0005).
        #[arg(long)]
        tactic: Option<String>,
        /// Only techniques that apply to this platform (Windows, Linux, IaaS, ...).
        #[arg(long)]
        platform: Option<String>,
        /// Include sub-techniques.
        #[arg(long)]
        subtechniques: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Details of a technique, tactic, group, software, mitigation or campaign.
    Show {
        /// ATT&CK ID (T1059.001, TA0002, G0016, S0002, M1036, C0024), name or alias.
        id: String,
        /// Output format (table or json).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The techniques a group uses, and through what: directly, via software, via campaigns.
    Group {
        /// Group ID, name or alias (G0016, APT29, Cozy Bear).
        name_or_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Techniques several groups share, those unique to each, and each pair's Jaccard
    /// similarity, by the same routes as `attack group`.
    Compare {
        /// Two or more groups: ID, name or alias (G0016, APT29, Cozy Bear).
        #[arg(required = true, num_args = 2.., value_name = "ID|NAME")]
        groups: Vec<String>,
        /// Output format (csv: one row per technique, a column per group).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The groups whose techniques best match observed ones (an incident's): ranked by how many
    /// they use, then Jaccard similarity.
    Match {
        /// Observed techniques: ATT&CK IDs or names (T1566.001 T1059.001 ...).
        #[arg(required = true, value_name = "TECHNIQUE")]
        techniques: Vec<String>,
        /// Show at most N groups.
        #[arg(long, value_name = "N", default_value_t = 10)]
        top: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// What changed between two ATT&CK releases of one domain.
    Diff {
        /// The older bundle.
        old: PathBuf,
        /// The newer bundle.
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Download an official ATT&CK bundle from MITRE into the cache.
    Fetch {
        /// Release to fetch (e.g. 18.1); default: the newest.
        #[arg(long = "version", value_name = "VERSION")]
        release: Option<String>,
        /// Not offered: fetch downloads a bundle, `--attack` names one to use instead. Declared
        /// (hidden) only so that the global `--attack` is not added to this command; given, it
        /// is refused with a hint.
        #[arg(long, hide = true, value_name = "PATH")]
        attack: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        super::Cli::command().debug_assert();
    }
}

/// A format of `covmap import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImportFormatArg {
    /// ATT&CK Navigator layers (JSON, formats 3.x and 4.x; one layer or an array).
    Navigator,
    /// DeTT&CT technique administration files (coverage) and data-source administration files
    /// (telemetry) (YAML).
    Dettect,
    /// Sigma rules (YAML, multi-document files included).
    Sigma,
    /// Elastic detection-rules (TOML).
    Elastic,
    /// Splunk security_content detections (YAML).
    Splunk,
    /// CTID Mappings Explorer JSON and security-stack-mappings YAML.
    Ctid,
    /// Sysmon configurations (XML): the event types collected, as telemetry.
    Sysmon,
    /// Each file's format recognised from its content.
    Auto,
}

/// A capability status of `--capability-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusArg {
    /// In service.
    Deployed,
    /// Bought or being rolled out.
    Planned,
    /// Under evaluation (what `covmap compare --candidate` compares).
    Candidate,
    /// Out of service.
    Retired,
}

/// A confidence of `--confidence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConfidenceArg {
    /// The vendor or the source says so.
    Claimed,
    /// Enabled as it should be.
    Configured,
    /// Exercised, and it worked.
    Tested,
}

/// `covmap import`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ImportArgs {
    /// The artefacts' format.
    #[arg(value_enum, value_name = "FORMAT")]
    pub(crate) format: ImportFormatArg,
    /// Files and folders (folders are read recursively, in sorted order).
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Write the inventory to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Capability id (one capability), or prefix of the capability ids.
    #[arg(long)]
    pub(crate) id: Option<String>,
    /// Capability name (one capability), or prefix of the names.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Statuses that count (sigma: stable,test by default; splunk: production) or Elastic
    /// maturities (production); comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub(crate) status: Option<Vec<String>>,
    /// Function of the entries [default: detect; DeTT&CT and CTID files say it themselves].
    #[arg(long, value_enum)]
    pub(crate) function: Option<FunctionArg>,
    /// Rules: `folder` (default), `product` or `none` (one capability); CTID: `capability`
    /// (default) or `group`.
    #[arg(long, value_name = "HOW")]
    pub(crate) group_by: Option<String>,
    /// One level for every entry: minimal, partial, significant or a number in [0, 1].
    #[arg(long)]
    pub(crate) level: Option<String>,
    /// How rule counts make levels (rules formats):
    /// `partial=2,significant=3,stable-is-partial=true,significant-needs-stable=true`.
    #[arg(long, value_name = "RULE")]
    pub(crate) level_rule: Option<String>,
    /// Confidence written on every entry whose source does not say [default: none written,
    /// so the inventory's default_confidence applies].
    #[arg(long, value_enum)]
    pub(crate) confidence: Option<ConfidenceArg>,
    /// Status written on every capability [default: none written: deployed]; `candidate`
    /// makes a product to weigh with `covmap compare --candidate FILE`.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub(crate) capability_status: Option<StatusArg>,
    /// Exit with code 1 (writing nothing) when the import has findings.
    #[arg(long)]
    pub(crate) strict: bool,
}
