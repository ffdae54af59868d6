//! Inventories built as values (no YAML parser involved), the synthetic and real ATT&CK bundles,
//! and the worked example of docs/scoring.md.

use std::path::PathBuf;
use std::sync::OnceLock;

use covmap_assess::diagnostic::Location;
use covmap_assess::inventory::{
    Capability, Confidence, Cost, CoverageEntry, Exclusion, Function, Inventory, InventoryFile,
    Level, NamedLevel, Scope, Status, Threats,
};
use covmap_core::{Attack, Kind};

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `fixtures/attack/mini-attack-2.1.json`, loaded once.
pub(crate) fn mini() -> &'static Attack {
    static CELL: OnceLock<Attack> = OnceLock::new();
    CELL.get_or_init(|| {
        Attack::load(&repo_root().join("fixtures/attack/mini-attack-2.1.json"))
            .expect("mini fixture loads")
    })
}

/// `path` under `../shared`, or `None` (with a notice) when it is missing; a failure when
/// `CI=true`.
pub(crate) fn shared(path: &str) -> Option<PathBuf> {
    let full = repo_root().join("../shared").join(path);
    if full.exists() {
        return Some(full);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        full.display()
    );
    #[allow(clippy::print_stderr)] // a skipped test must say so
    {
        eprintln!("skipped: real-data test needs {}", full.display());
    }
    None
}

/// The real enterprise 18.1 bundle from `../shared`, loaded once; `None` (with a notice) when
/// it is missing, a failure when `CI=true`.
pub(crate) fn enterprise_18() -> Option<&'static Attack> {
    static CELL: OnceLock<Option<Attack>> = OnceLock::new();
    CELL.get_or_init(|| {
        let path = shared("data/attack/enterprise-attack-18.1.json")?;
        Some(Attack::load(&path).expect("real bundle loads"))
    })
    .as_ref()
}

/// Position of a technique in `Attack::techniques()`.
pub(crate) fn tech(attack: &Attack, id: &str) -> u32 {
    attack
        .technique(id)
        .unwrap_or_else(|| panic!("{id} is in the bundle"))
        .meta
        .key
        .index
}

/// Position of a group, campaign or software.
pub(crate) fn actor(attack: &Attack, id: &str, kind: Kind) -> u32 {
    let key = attack
        .lookup(id)
        .unwrap_or_else(|| panic!("{id} is in the bundle"));
    assert_eq!(key.kind, kind, "{id}");
    key.index
}

/// A location in `file`.
pub(crate) fn loc(file: &str, line: usize) -> Location {
    Location {
        path: std::path::Path::new(file).into(),
        line,
        column: 9,
    }
}

/// A named level.
pub(crate) fn named(level: NamedLevel) -> Level {
    Level::Named(level)
}

/// An entry with no confidence, no platforms and no `include_subtechniques`.
pub(crate) fn entry(
    attack: &Attack,
    ids: &[&str],
    function: Function,
    level: Level,
    at: Location,
) -> CoverageEntry {
    CoverageEntry {
        techniques: ids.iter().map(|id| tech(attack, id)).collect(),
        function,
        level,
        confidence: None,
        evidence: None,
        tested_on: None,
        include_subtechniques: false,
        parent_level_by_choice: false,
        platforms: None,
        location: at,
    }
}

/// The same entry with a confidence.
pub(crate) fn with_confidence(mut e: CoverageEntry, confidence: Confidence) -> CoverageEntry {
    e.confidence = Some(confidence);
    if confidence == Confidence::Tested {
        e.evidence = Some("purple team exercise".to_string());
    }
    e
}

/// A capability.
pub(crate) fn capability(
    id: &str,
    name: &str,
    status: Status,
    platforms: &[&str],
    coverage: Vec<CoverageEntry>,
    at: Location,
) -> Capability {
    Capability {
        id: id.to_string(),
        name: name.to_string(),
        vendor: None,
        status,
        system: None,
        platforms: platforms.iter().map(ToString::to_string).collect(),
        cost: None,
        owner: None,
        tags: Vec::new(),
        coverage,
        imports: Vec::new(),
        location: at,
    }
}

/// An inventory of one file with these scope platforms and capabilities.
pub(crate) fn inventory(platforms: &[&str], capabilities: Vec<Capability>) -> Inventory {
    Inventory {
        files: vec![InventoryFile {
            path: PathBuf::from("inventory.yaml"),
            sha256: "0".repeat(64),
        }],
        organization: Some("Test Org".to_string()),
        scope: Scope {
            platforms: platforms.iter().map(ToString::to_string).collect(),
            exclusions: Vec::new(),
            threats: Threats::default(),
        },
        capabilities,
        ..Inventory::default()
    }
}

/// Asserts two floats agree to 1e-9.
#[track_caller]
pub(crate) fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

/// The worked example of docs/scoring.md, as the YAML there would parse. Line numbers are
/// those of the YAML listing in the document.
#[allow(clippy::too_many_lines)] // one listing, entry by entry like the YAML it mirrors
pub(crate) fn worked_example() -> Inventory {
    use Function::{Detect, Protect, Visibility};
    use NamedLevel::{Minimal, Partial, Significant};
    let a = mini();
    let f = "inventory.yaml";
    let mut inv = inventory(
        &["Windows", "Linux"],
        vec![
            capability(
                "edr",
                "Endpoint Detection",
                Status::Deployed,
                &["Windows", "Linux"],
                vec![
                    with_confidence(
                        entry(a, &["T1059.001"], Detect, named(Significant), loc(f, 15)),
                        Confidence::Tested,
                    ),
                    with_confidence(
                        entry(a, &["T1059.001"], Detect, named(Partial), loc(f, 16)),
                        Confidence::Claimed,
                    ),
                    CoverageEntry {
                        include_subtechniques: true,
                        parent_level_by_choice: false,
                        ..entry(a, &["T1003"], Detect, named(Partial), loc(f, 17))
                    },
                    entry(a, &["T1053"], Detect, named(Minimal), loc(f, 18)),
                ],
                loc(f, 10),
            ),
            capability(
                "av",
                "Antivirus",
                Status::Deployed,
                &["Windows"],
                vec![
                    entry(a, &["T1059.001"], Protect, named(Partial), loc(f, 24)),
                    with_confidence(
                        entry(a, &["T1053"], Protect, named(Partial), loc(f, 25)),
                        Confidence::Tested,
                    ),
                ],
                loc(f, 19),
            ),
            capability(
                "siem",
                "SIEM analytics",
                Status::Deployed,
                &["Windows", "Linux"],
                vec![
                    entry(a, &["T1059.001"], Detect, named(Partial), loc(f, 31)),
                    entry(a, &["T1566"], Detect, named(Significant), loc(f, 32)),
                    CoverageEntry {
                        platforms: Some(vec!["Linux".to_string()]),
                        ..with_confidence(
                            entry(a, &["T1078"], Detect, Level::Value(0.6), loc(f, 33)),
                            Confidence::Claimed,
                        )
                    },
                    with_confidence(
                        entry(a, &["T1059.004"], Visibility, named(Partial), loc(f, 34)),
                        Confidence::Tested,
                    ),
                ],
                loc(f, 26),
            ),
            Capability {
                cost: Some(Cost {
                    annual: 24000.0,
                    currency: "EUR".to_string(),
                }),
                ..capability(
                    "ndr",
                    "Network Detection",
                    Status::Planned,
                    &["Windows", "Linux"],
                    vec![entry(
                        a,
                        &["T1566.001"],
                        Detect,
                        named(Significant),
                        loc(f, 41),
                    )],
                    loc(f, 35),
                )
            },
            capability(
                "old-av",
                "Retired antivirus",
                Status::Retired,
                // No platforms: the parser fills in the scope's.
                &["Linux", "Windows"],
                vec![with_confidence(
                    entry(a, &["T1059.004"], Detect, named(Significant), loc(f, 46)),
                    Confidence::Tested,
                )],
                loc(f, 42),
            ),
        ],
    );
    inv.organization = Some("Worked Example Ltd".to_string());
    inv.scope.exclusions = vec![Exclusion {
        technique: tech(a, "T1566.002"),
        reason: "no mail gateway in scope".to_string(),
        location: loc(f, 7),
    }];
    inv.scope.threats = Threats {
        groups: vec![
            actor(a, "G0016", Kind::Group),
            actor(a, "G0046", Kind::Group),
        ],
        campaigns: Vec::new(),
        software: Vec::new(),
        profiles: Vec::new(),
    };
    inv
}

/// The candidate of the worked example's comparison, from a separate file `edr-x.yaml`.
pub(crate) fn edr_x() -> Vec<Capability> {
    let a = mini();
    let f = "edr-x.yaml";
    vec![Capability {
        cost: Some(Cost {
            annual: 50000.0,
            currency: "EUR".to_string(),
        }),
        ..capability(
            "edr-x",
            "EDR X",
            Status::Candidate,
            &["Windows", "Linux"],
            vec![
                with_confidence(
                    entry(
                        a,
                        &["T1059.001"],
                        Function::Protect,
                        named(NamedLevel::Significant),
                        loc(f, 9),
                    ),
                    Confidence::Tested,
                ),
                entry(
                    a,
                    &["T1003.001"],
                    Function::Protect,
                    named(NamedLevel::Partial),
                    loc(f, 10),
                ),
            ],
            loc(f, 3),
        )
    }]
}
