//! Report inputs for the tests: inventories parsed and assessed with covmap-assess, against the
//! synthetic bundle in fixtures/ or the real enterprise 18.1 bundle in `../shared` (skipped with
//! a notice when it is missing, a failure with `CI=true`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use covmap_assess::compare::{Candidate, Comparison, Replacement, Scenarios, compare_all};
use covmap_assess::gaps::{Gap, GapOptions, gaps};
use covmap_assess::inventory::{Capability, Status};
use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::plan::{Plan, PlanOptions};
use covmap_assess::score::{AssessOptions, Assessment, assess};
use covmap_assess::threats::{ThreatCoverage, ThreatOptions, threat_coverage};
use covmap_core::Attack;
use covmap_report::ReportInput;

/// The date every test report shows.
pub(crate) const DATE: &str = "2026-11-22";

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Everything a [`ReportInput`] borrows.
#[derive(Debug)]
pub(crate) struct Owned {
    pub(crate) assessment: Assessment,
    pub(crate) gaps: Vec<Gap>,
    pub(crate) threats: Vec<ThreatCoverage>,
    pub(crate) comparison: Option<Comparison>,
    /// `covmap plan`'s default plan, as `assess -o` shows it.
    pub(crate) plan: Option<Plan>,
}

impl Owned {
    /// The report input, dated [`DATE`].
    pub(crate) fn input(&self) -> ReportInput<'_> {
        ReportInput {
            assessment: &self.assessment,
            gaps: &self.gaps,
            threats: &self.threats,
            comparison: self.comparison.as_ref(),
            plan: self.plan.as_ref(),
            telemetry: None,
            date: Some(DATE),
            baseline: None,
        }
    }
}

/// Parses `files` (paths relative to the repository root) and `candidate_files` against
/// `attack`, assesses the deployed capabilities, and compares each candidate file, and each
/// `candidate` capability of the inventory, with them, as `covmap compare` does; `replace` are
/// swaps (a counted capability id, the label of a candidate: a file or capability id), as
/// `--replace OLD=NEW`.
pub(crate) fn build(
    attack: &Attack,
    files: &[&str],
    candidate_files: &[&str],
    replace: &[(&str, &str)],
) -> Owned {
    let root = repo_root();
    let sources: Vec<SourceFile> = files
        .iter()
        .chain(candidate_files)
        .map(|f| {
            let bytes = std::fs::read(root.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            SourceFile::new(*f, bytes)
        })
        .collect();
    let parsed = parse_inventories(&sources, attack, &ValidationContext::default());
    assert!(
        !parsed.has_errors(),
        "{files:?} must be valid: {:#?}",
        parsed.diagnostics
    );
    let mut inventory = parsed.inventory;
    let from = |c: &Capability, f: &str| *c.location.path == *Path::new(f);
    let mut groups: Vec<(String, Vec<Capability>)> = candidate_files
        .iter()
        .map(|f| {
            let caps: Vec<Capability> = inventory
                .capabilities
                .iter()
                .filter(|c| from(c, f))
                .cloned()
                .collect();
            ((*f).to_string(), caps)
        })
        .collect();
    inventory
        .capabilities
        .retain(|c| !candidate_files.iter().any(|f| from(c, f)));
    groups.extend(
        inventory
            .capabilities
            .iter()
            .filter(|c| c.status == Status::Candidate)
            .map(|c| (c.id.clone(), vec![c.clone()])),
    );
    let options = AssessOptions::default();
    let assessment = assess(attack, &inventory, &options);
    let plan = covmap_assess::plan::plan(attack, &inventory, &PlanOptions::default()).ok();
    let gaps = gaps(attack, &assessment, &GapOptions::default()).expect("gaps");
    let threats = threat_coverage(attack, &assessment, &ThreatOptions::default()).expect("threats");
    let comparison = (!groups.is_empty()).then(|| {
        let candidates: Vec<Candidate<'_>> = groups
            .iter()
            .map(|(label, caps)| Candidate {
                label,
                capabilities: caps,
            })
            .collect();
        let replacements: Vec<Replacement<'_>> = replace
            .iter()
            .map(|(old, new)| Replacement {
                old,
                new: *candidates
                    .iter()
                    .find(|c| c.label == *new)
                    .expect("a candidate to swap in"),
            })
            .collect();
        compare_all(
            attack,
            &inventory,
            &options,
            &Scenarios {
                candidates: &candidates,
                without: &[],
                replacements: &replacements,
            },
        )
    });
    Owned {
        assessment,
        gaps,
        threats,
        comparison,
        plan,
    }
}

/// `fixtures/attack/mini-attack-2.1.json`, loaded once.
pub(crate) fn mini() -> &'static Attack {
    static CELL: OnceLock<Attack> = OnceLock::new();
    CELL.get_or_init(|| {
        Attack::load(&repo_root().join("fixtures/attack/mini-attack-2.1.json"))
            .expect("mini fixture loads")
    })
}

/// `fixtures/inventory/good/full.yaml` (every key of the format, threats, a planned
/// capability) against the synthetic bundle.
pub(crate) fn full() -> &'static Owned {
    static CELL: OnceLock<Owned> = OnceLock::new();
    CELL.get_or_init(|| build(mini(), &["fixtures/inventory/good/full.yaml"], &[], &[]))
}

/// `fixtures/report/hostile.yaml`: script and formula payloads in every free-text field.
pub(crate) fn hostile() -> &'static Owned {
    static CELL: OnceLock<Owned> = OnceLock::new();
    CELL.get_or_init(|| {
        build(
            mini(),
            &["fixtures/report/hostile.yaml"],
            &[],
            &[("xss", "candidate-x")],
        )
    })
}

/// The real enterprise 18.1 bundle from `../shared`, loaded once; `None` (with a notice) when
/// it is missing, a failure when `CI=true`.
pub(crate) fn enterprise_18() -> Option<&'static Attack> {
    static CELL: OnceLock<Option<Attack>> = OnceLock::new();
    CELL.get_or_init(|| {
        let path = repo_root().join("../shared/data/attack/enterprise-attack-18.1.json");
        if path.is_file() {
            return Some(Attack::load(&path).expect("real bundle loads"));
        }
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the real ATT&CK bundle {} is missing",
            path.display()
        );
        #[allow(clippy::print_stderr)] // a skipped test must say so
        {
            eprintln!("skipped: real-data test needs {}", path.display());
        }
        None
    })
    .as_ref()
}

/// Example 01 (Northwind Logistics) against enterprise 18.1, with example 02's two candidate
/// products compared.
pub(crate) fn example_01() -> Option<&'static Owned> {
    static CELL: OnceLock<Option<Owned>> = OnceLock::new();
    CELL.get_or_init(|| {
        enterprise_18().map(|attack| {
            build(
                attack,
                &["examples/01-midsize-company/inventory.yaml"],
                &[
                    "examples/02-compare-candidates/candidate-edr.yaml",
                    "examples/02-compare-candidates/candidate-ndr.yaml",
                ],
                &[("ndr", "examples/02-compare-candidates/candidate-ndr.yaml")],
            )
        })
    })
    .as_ref()
}
