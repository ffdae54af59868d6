//! Writing report sets (`assess -o`, `compare -o`, `report`) and `export navigator`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use covmap_assess::compare::Comparison;
use covmap_assess::gaps::{GapOptions, gaps};
use covmap_assess::onboarding::TelemetryReport;
use covmap_assess::plan::Plan;
use covmap_assess::saved::{SavedError, read_assessment_json};
use covmap_assess::score::Assessment;
use covmap_assess::threats::{ThreatOptions, threat_coverage};
use covmap_core::Attack;
use covmap_report::{OutputKind, RenderOptions, ReportInput, Subtechniques, View};

use crate::assess_cmd::assessed;
use crate::bundle;
use crate::cli::{
    FunctionArg, InventoryArgs, OutputArg, ReportArgs, SourceArgs, SubtechniquesArg, ViewArg,
};
use crate::guard::{self, Inputs};
use crate::{manifest, output};

/// Threat gaps listed per threat in the reports.
const THREAT_GAPS: usize = 10;

/// The render options the command line asks for.
fn render_options(args: &ReportArgs) -> RenderOptions {
    RenderOptions {
        subtechniques: match args.subtechniques {
            SubtechniquesArg::None => Subtechniques::None,
            SubtechniquesArg::All => Subtechniques::All,
            SubtechniquesArg::Gaps => Subtechniques::Gaps,
        },
        palette: args.palette,
        view: match args.view {
            ViewArg::Score => View::Score,
            ViewArg::Weighted => View::Weighted,
            ViewArg::Visibility => View::Visibility,
        },
        layer_per_function: args.layer_per_function,
        top_gaps: args.top_gaps,
        cell_scores: args.cell_scores,
    }
}

/// The output kinds `--outputs` names; all of them by default.
fn kinds(args: &ReportArgs) -> Vec<OutputKind> {
    if args.outputs.is_empty() {
        return OutputKind::ALL.to_vec();
    }
    args.outputs
        .iter()
        .map(|o| match o {
            OutputArg::Svg => OutputKind::Svg,
            OutputArg::Png => OutputKind::Png,
            OutputArg::Csv => OutputKind::Csv,
            OutputArg::Xlsx => OutputKind::Xlsx,
            OutputArg::Layer => OutputKind::Layer,
            OutputArg::Html => OutputKind::Html,
            OutputArg::Md => OutputKind::Md,
        })
        .collect()
}

/// The date reports show: `--date` (`none`: no date), else `SOURCE_DATE_EPOCH` (reproducible
/// builds' convention), else today in the system's time zone. A report for management states
/// when it was made; tests and reproducible builds pin the date with either setting.
fn report_date(args: &ReportArgs) -> Result<Option<String>> {
    report_date_from(
        args.date.as_deref(),
        std::env::var_os("SOURCE_DATE_EPOCH").as_deref(),
        || jiff::Zoned::now().date(),
    )
}

/// [`report_date`] with its inputs explicit (testable without the clock or the environment);
/// the clock is read only when neither setting gives the date.
fn report_date_from(
    option: Option<&str>,
    epoch: Option<&std::ffi::OsStr>,
    today: impl FnOnce() -> jiff::civil::Date,
) -> Result<Option<String>> {
    if let Some(date) = option {
        if date.trim().eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let parsed: jiff::civil::Date = date.trim().parse().map_err(|err| {
            anyhow::anyhow!("--date {date:?} is not a date ({err})\n  hint: write it as YYYY-MM-DD, e.g. 2026-11-22, or `none` for no date")
        })?;
        return Ok(Some(parsed.to_string()));
    }
    let Some(epoch) = epoch else {
        return Ok(Some(today().to_string()));
    };
    let text = epoch.to_string_lossy();
    let seconds: i64 = text.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "SOURCE_DATE_EPOCH={text:?} is not a number of seconds since 1970-01-01\n  hint: unset it or pass --date YYYY-MM-DD"
        )
    })?;
    let timestamp = jiff::Timestamp::from_second(seconds)
        .map_err(|err| anyhow::anyhow!("SOURCE_DATE_EPOCH={seconds} is out of range ({err})"))?;
    Ok(Some(timestamp.strftime("%Y-%m-%d").to_string()))
}

/// Renders the report set of `assessment` (and `comparison`) into `dir`: every file is checked
/// against the inputs first, then each is written atomically, with the folder's manifest
/// (see [`crate::manifest`]). With `assessment_json`, also writes `assessment.json`.
#[allow(clippy::too_many_arguments)] // one per piece of the report
pub(crate) fn write_set(
    dir: &Path,
    attack: &Attack,
    assessment: &Assessment,
    comparison: Option<&Comparison>,
    plan: Option<&Plan>,
    telemetry: Option<&TelemetryReport>,
    args: &ReportArgs,
    inputs: &Inputs,
    assessment_json: bool,
) -> Result<()> {
    // The baseline of summary.md is an input too: never written over.
    let mut inputs = inputs.clone();
    let inputs = inputs.maybe_file(args.baseline.as_deref());
    // Checked before the rendering too: a refused folder costs no rendering time.
    guard::output_dir(dir, inputs)?;
    let date = report_date(args)?;
    let baseline = args.baseline.as_deref().map(read_assessment).transpose()?;
    let gaps = gaps(attack, assessment, &GapOptions::default())?;
    let threats = if assessment.has_threats() {
        threat_coverage(
            attack,
            assessment,
            &ThreatOptions {
                actor: None,
                top: Some(THREAT_GAPS),
            },
        )?
    } else {
        Vec::new()
    };
    let input = ReportInput {
        assessment,
        gaps: &gaps,
        threats: &threats,
        comparison,
        plan,
        telemetry,
        date: date.as_deref(),
        baseline: baseline.as_ref(),
    };
    let mut files = covmap_report::render(&input, &render_options(args), &kinds(args))?;
    if assessment_json {
        let mut bytes = Vec::new();
        assessment.write_pretty_json(&mut bytes)?;
        files.insert(
            0,
            covmap_report::OutputFile {
                name: "assessment.json".to_string(),
                bytes,
            },
        );
    }
    let set: Vec<manifest::SetFile<'_>> = files
        .iter()
        .map(|f| manifest::SetFile {
            name: &f.name,
            bytes: &f.bytes,
        })
        .collect();
    manifest::write_set(dir, &set, inputs)?;
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    crate::note!(
        "covmap: wrote {} files to {}: {}",
        files.len(),
        dir.display(),
        names.join(", ")
    );
    Ok(())
}

/// Reads an `assessment.json` written by `covmap assess -o`.
pub(crate) fn read_assessment(path: &Path) -> Result<Assessment> {
    if path.is_dir() {
        bail!(
            "{} is a directory; pass the assessment.json inside it",
            path.display()
        );
    }
    let bytes = covmap_core::input::read(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let assessment = read_assessment_json(&bytes).map_err(|err| {
        let hint = match err {
            SavedError::Json { .. } => "write one with `covmap assess INVENTORY -o DIR`",
            SavedError::OutOfRange { .. } => {
                "the file was edited or damaged; write it again with `covmap assess INVENTORY -o DIR`"
            }
            SavedError::Format { .. } => "run `covmap assess` again with this version of covmap",
        };
        // A JSON error starts with its line and column.
        let gap = if matches!(err, SavedError::Json { .. }) { "" } else { " " };
        anyhow::anyhow!("{}:{gap}{err}\n  hint: {hint}", path.display())
    })?;
    Ok(assessment)
}

/// `covmap report ASSESSMENT -o DIR`.
pub(crate) fn run_report(
    path: &Path,
    dir: &Path,
    args: &ReportArgs,
    source: &SourceArgs,
) -> Result<()> {
    guard::refuse_stdout_set(dir, "covmap report")?;
    guard::output_dir(dir, Inputs::new().file(path))?;
    let assessment = read_assessment(path)?;
    let mut source = source.clone();
    if source.attack.is_none() {
        if source.domain.is_none() {
            source.domain = match assessment.attack.domain.as_str() {
                "mobile" => Some(crate::cli::Domain::Mobile),
                "ics" => Some(crate::cli::Domain::Ics),
                _ => Some(crate::cli::Domain::Enterprise),
            };
        }
        // The release it was assessed against, when it is at hand; otherwise the default
        // (the warning below says so), as nothing downloads unless asked.
        if source.attack_version.is_none()
            && let Some(version) = &assessment.attack.version
            && bundle::available(&source, version)
        {
            source.attack_version = Some(version.clone());
        }
    }
    let bundle_source = bundle::locate(&source)?;
    let attack = bundle::load_source(&bundle_source, &source)?;
    if attack.domain_short() != assessment.attack.domain
        || attack.version() != assessment.attack.version.as_deref()
    {
        crate::note!(
            "warning: {} was assessed against {} ATT&CK {}, but the bundle loaded is {} {}: mitigations and threat details come from the loaded one",
            path.display(),
            assessment.attack.domain,
            assessment
                .attack
                .version
                .as_deref()
                .unwrap_or("(unknown version)"),
            attack.domain_short(),
            attack.version().unwrap_or("(unknown version)"),
        );
    }
    write_set(
        dir,
        &attack,
        &assessment,
        None,
        None,
        None,
        args,
        Inputs::new().file(path).maybe_file(bundle_source.path()),
        false,
    )
}

/// `covmap export navigator`.
pub(crate) fn run_export_navigator(
    args: &InventoryArgs,
    output_file: Option<&Path>,
    (function, palette): (Option<FunctionArg>, covmap_report::Palette),
    threats: bool,
    source: &SourceArgs,
) -> Result<()> {
    // `-o -` is stdout, as no `-o`.
    let output_file = output_file.filter(|p| !guard::is_stdout(p));
    if let Some(path) = output_file {
        // The inventories are known now; the bundle and imports once loaded (below).
        guard::output_file(path, Inputs::new().files(&args.files))?;
    }
    let (loaded, assessment) = assessed(args, source)?;
    let function = function.map(crate::import_cmd::function_of);
    // Dated as `assess -o` dates its layer.json (SOURCE_DATE_EPOCH, else today), so that the
    // two layers are the same file.
    let date = report_date_from(
        None,
        std::env::var_os("SOURCE_DATE_EPOCH").as_deref(),
        || jiff::Zoned::now().date(),
    )?;
    let input = ReportInput {
        assessment: &assessment,
        gaps: &[],
        threats: &[],
        comparison: None,
        plan: None,
        telemetry: None,
        date: date.as_deref(),
        baseline: None,
    };
    let mut layer = if threats {
        // Without selected threats every weight is 1, a layer that says nothing.
        if !assessment.has_threats() {
            bail!(
                "{} selects no threats (`scope.threats`), so there are no threat weights to export\n  hint: add groups, campaigns or software under `scope.threats`, or export the coverage layer without --threats",
                crate::inventory::files_label(&args.files)
            );
        }
        covmap_report::threat_layer_json(&assessment)?
    } else {
        covmap_report::layer_json(&input, function, palette)?
    };
    if !layer.ends_with('\n') {
        layer.push('\n');
    }
    match output_file {
        Some(path) => {
            let target = guard::output_file(path, Inputs::new().loaded(&loaded))?;
            output::write_atomic(&target, layer.as_bytes())?;
            crate::note!("covmap: wrote {}", path.display());
            Ok(())
        }
        None => output::document(&layer),
    }
}

#[cfg(test)]
mod tests {
    use super::report_date_from;
    use std::ffi::OsStr;

    #[test]
    fn the_date_is_the_option_else_the_epoch_else_today() {
        let today = jiff::civil::date(2026, 12, 6);
        let date = |option, epoch: Option<&str>| {
            report_date_from(option, epoch.map(OsStr::new), || today).map_err(|e| e.to_string())
        };
        assert_eq!(date(None, None), Ok(Some("2026-12-06".to_string())));
        // 1795305600 = 2026-11-22T00:00:00Z.
        assert_eq!(
            date(None, Some("1795305600")),
            Ok(Some("2026-11-22".to_string()))
        );
        assert_eq!(
            date(Some("2025-01-31"), Some("1795305600")),
            Ok(Some("2025-01-31".to_string()))
        );
        assert_eq!(date(Some("none"), Some("1795305600")), Ok(None));
        assert_eq!(date(Some(" None "), None), Ok(None));
        let err = date(Some("22/11/2026"), None).unwrap_err();
        assert!(err.contains("YYYY-MM-DD") && err.contains("none"), "{err}");
        assert!(date(None, Some("yesterday")).is_err());
    }
}
