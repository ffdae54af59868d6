//! `covmap telemetry`: what the collected logs make possible, quick wins, blind spots and the
//! log sources to onboard next (covmap_assess::onboarding does the work).

use std::fmt::Write as _;

use anyhow::Result;
use covmap_assess::inventory::Inventory;
use covmap_assess::onboarding::{TelemetryOptions, TelemetryReport, analyse};
use covmap_assess::score::{Assessment, weight_label};

use crate::assess_cmd::{assessed, options as assess_options};
use crate::cli::{Format, InventoryArgs, SourceArgs};
use crate::inventory::{Loaded, plural};
use crate::output::{self, percent};

/// Rows per list a table shows when `--top` is not given.
const TABLE_TOP: usize = 20;

/// The analysis of the loaded inventory (also for `assess -o`'s telemetry.csv, backlog.csv,
/// workbook sheet and report section): every onboarding step.
pub(crate) fn report(
    args: &InventoryArgs,
    loaded: &Loaded,
    assessment: &Assessment,
) -> TelemetryReport {
    let inventory = &loaded.parsed.inventory;
    analyse(
        &loaded.attack,
        inventory,
        assessment,
        &options(args, inventory),
    )
}

/// The analysis options of these arguments and inventory: every onboarding step.
pub(crate) fn options(args: &InventoryArgs, inventory: &Inventory) -> TelemetryOptions {
    TelemetryOptions {
        assess: assess_options(args),
        filtered_factor: inventory.scoring.filtered_factor(),
        onboarding_steps: None,
    }
}

/// Runs `covmap telemetry`.
pub(crate) fn run(
    args: &InventoryArgs,
    top: Option<usize>,
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    let (loaded, assessment) = assessed(args, source)?;
    let mut report = report(args, &loaded, &assessment);
    for note in &report.notes {
        crate::note!("covmap: {note}");
    }
    let limit = match (top, format) {
        (Some(n), _) => Some(n),
        (None, Format::Table) => Some(TABLE_TOP),
        (None, _) => None,
    };
    let shown = Shown::of(&report);
    if let Some(n) = limit {
        report.quick_wins.truncate(n);
        report.blind_spots.truncate(n);
        report.onboarding.truncate(n);
    }
    match format {
        Format::Json => output::json(&report),
        Format::Csv => {
            let (header, rows) = covmap_report::telemetry_rows(&report);
            output::csv(&header, &rows)
        }
        Format::Table => output::text(&table(&report, &shown, assessment.has_threats())),
    }
}

/// How many rows each list had before `--top`.
struct Shown {
    quick_wins: usize,
    blind_spots: usize,
    onboarding: usize,
}

impl Shown {
    fn of(report: &TelemetryReport) -> Shown {
        Shown {
            quick_wins: report.quick_wins.len(),
            blind_spots: report.blind_spots.len(),
            onboarding: report.onboarding.len(),
        }
    }
}

/// "(first N of M)" when a list was cut.
fn cut(shown: usize, total: usize) -> String {
    if shown < total {
        format!(", first {shown} shown (--top)")
    } else {
        String::new()
    }
}

fn points(x: f64) -> String {
    format!("{:+.2}", x * 100.0)
}

/// The table view: the summary, then quick wins, blind spots and onboarding.
#[allow(
    clippy::too_many_lines,
    reason = "one section after the other, as the table reads"
)]
fn table(report: &TelemetryReport, shown: &Shown, threats: bool) -> String {
    let mut out = String::new();
    let feasible = report.analytics.iter().filter(|a| a.feasible).count();
    let _ = writeln!(
        out,
        "Telemetry: {} ({} counted) on {}; {} in scope",
        plural(report.entries, "entry").replace("entrys", "entries"),
        report.counted,
        if report.platforms.is_empty() {
            "no platform".to_string()
        } else {
            report.platforms.join(", ")
        },
        plural(report.leaves, "leaf technique"),
    );
    let weighted = if threats {
        format!(", threat-weighted {}", percent(report.visibility_weighted))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "Visibility: {}{weighted} (mean visibility function of the leaves in scope, typed and derived)",
        percent(report.visibility)
    );
    let _ = writeln!(
        out,
        "Analytics: {feasible} of {} feasible on a platform in scope; {} collected feed them",
        report.analytics.len(),
        plural(report.log_sources.len(), "log source"),
    );

    let _ = writeln!(
        out,
        "\nQuick wins: {}, no detect coverage but a feasible analytic (you already collect what they need){}",
        shown.quick_wins,
        cut(report.quick_wins.len(), shown.quick_wins)
    );
    if !report.quick_wins.is_empty() {
        let rows: Vec<Vec<String>> = report
            .quick_wins
            .iter()
            .map(|q| {
                vec![
                    q.rank.to_string(),
                    q.id.clone(),
                    q.name.clone(),
                    weight_label(q.weight),
                    percent(q.visibility),
                    q.analytics.join(", "),
                    q.detection_strategies
                        .iter()
                        .map(|d| d.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        out.push_str(&output::render_table(
            &[
                "#",
                "technique",
                "name",
                "weight",
                "visibility",
                "feasible analytics",
                "strategies",
            ],
            &rows,
        ));
    }

    let _ = writeln!(
        out,
        "\nBlind spots: {}, no feasible analytic on any platform in scope{}",
        shown.blind_spots,
        cut(report.blind_spots.len(), shown.blind_spots)
    );
    if !report.blind_spots.is_empty() {
        let rows: Vec<Vec<String>> = report
            .blind_spots
            .iter()
            .map(|b| {
                let (closest, share, missing) = match &b.closest {
                    Some(c) => (
                        format!("{} ({})", c.analytic, c.platform),
                        percent(c.fraction),
                        c.missing
                            .iter()
                            .map(|m| format!("{} {}", m.name, m.channel))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    None => ("none in ATT&CK".to_string(), "-".to_string(), String::new()),
                };
                vec![
                    b.rank.to_string(),
                    b.id.clone(),
                    b.name.clone(),
                    weight_label(b.weight),
                    closest,
                    share,
                    missing,
                ]
            })
            .collect();
        out.push_str(&output::render_table(
            &[
                "#",
                "technique",
                "name",
                "weight",
                "closest analytic",
                "collected",
                "missing",
            ],
            &rows,
        ));
    }

    let _ = writeln!(
        out,
        "\nOnboarding: {}, greedy by the threat-weighted visibility each adds (collected in full where not collected yet){}",
        plural(shown.onboarding, "log source"),
        cut(report.onboarding.len(), shown.onboarding)
    );
    if !report.onboarding.is_empty() {
        let rows: Vec<Vec<String>> = report
            .onboarding
            .iter()
            .map(|s| {
                vec![
                    s.rank.to_string(),
                    s.name.clone(),
                    s.channel.clone(),
                    points(s.gain),
                    points(s.weighted_gain),
                    percent(s.cumulative_weighted),
                    s.analytics_gained.len().to_string(),
                    s.techniques.len().to_string(),
                ]
            })
            .collect();
        out.push_str(&output::render_table(
            &[
                "#",
                "log source",
                "channel",
                "gain (pts)",
                "weighted (pts)",
                "weighted after",
                "analytics gained",
                "techniques",
            ],
            &rows,
        ));
    }
    out
}
