//! CI gate: [`check`] tests an [`Assessment`] against thresholds and a baseline assessment, and
//! says every reason it fails.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::score::{Assessment, round6};

/// Scores are rounded to 6 decimals; comparisons allow for that.
const EPSILON: f64 = 1e-9;

/// What to check. Scores and drops are in [0, 1], like the scores themselves.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions<'a> {
    /// Fail when `overall` is below this.
    pub min_overall: Option<f64>,
    /// Fail for each tactic with leaves in scope whose `score` is below this.
    pub min_tactic: Option<f64>,
    /// An earlier assessment (for instance the `assessment.json` of the main branch).
    pub baseline: Option<&'a Assessment>,
    /// With a baseline: fail when `overall` dropped by more than this (default 0: any drop).
    pub max_drop: Option<f64>,
}

/// One reason a check fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// The overall score is below the minimum.
    OverallBelow {
        /// The overall score.
        overall: f64,
        /// The minimum asked for.
        min: f64,
    },
    /// A tactic's score is below the minimum.
    TacticBelow {
        /// Tactic ID.
        id: String,
        /// Tactic shortname.
        shortname: String,
        /// Tactic name.
        name: String,
        /// Its score.
        score: f64,
        /// The minimum asked for.
        min: f64,
    },
    /// The overall score dropped versus the baseline by more than allowed.
    OverallDropped {
        /// The baseline's overall score.
        baseline: f64,
        /// The overall score now.
        overall: f64,
        /// `baseline - overall`.
        drop: f64,
        /// The largest drop allowed.
        max_drop: f64,
        /// How many leaves dropped (listed in [`CheckResult::dropped`]).
        techniques: usize,
    },
}

/// A score as people read it: a percentage with one decimal (`42.6%`).
pub fn pct(score: f64) -> String {
    format!("{:.1}%", score * 100.0)
}

/// A score and the threshold it is compared with, as percentages with one decimal, or more
/// (up to four: scores have six decimals) where one decimal would show them equal (`5.71%` below `5.72%`, never `5.7%`
/// below `5.7%`); equal values show with one decimal.
pub fn pct_pair(score: f64, threshold: f64) -> (String, String) {
    let show = |x: f64, d: usize| format!("{:.*}%", d, x * 100.0);
    for d in 1..=4 {
        let (a, b) = (show(score, d), show(threshold, d));
        if a != b {
            return (a, b);
        }
    }
    // Equal at the scores' precision: equal.
    (show(score, 1), show(threshold, 1))
}

/// A drop of a score in percentage points, one decimal (`3.2 points`).
fn pts(drop: f64) -> String {
    format!("{:.1} points", drop * 100.0)
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::OverallBelow { overall, min } => {
                let (overall, min) = pct_pair(*overall, *min);
                write!(f, "overall coverage {overall} is below the minimum {min}")
            }
            Failure::TacticBelow {
                id,
                name,
                score,
                min,
                ..
            } => {
                let (score, min) = pct_pair(*score, *min);
                write!(
                    f,
                    "tactic {id} {name}: coverage {score} is below the minimum {min}"
                )
            }
            Failure::OverallDropped {
                baseline,
                overall,
                drop,
                max_drop,
                techniques,
            } => write!(
                f,
                "overall coverage dropped by {} ({} -> {}), more than the {} allowed; \
                 {techniques} techniques and sub-techniques dropped",
                pts(*drop),
                pct(*baseline),
                pct(*overall),
                pts(*max_drop)
            ),
        }
    }
}

/// A leaf whose score is lower than in the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniqueDrop {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Score in the baseline.
    pub before: f64,
    /// Score now.
    pub after: f64,
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// No failure.
    pub passed: bool,
    /// Every reason to fail, in the order: overall, tactics (matrix order), baseline.
    pub failures: Vec<Failure>,
    /// With a baseline: leaves in scope in both whose score dropped, largest drop first, then
    /// by ID. Listed whether or not the check fails.
    pub dropped: Vec<TechniqueDrop>,
    /// With a baseline: leaves in scope in the baseline that are out of scope now (or gone),
    /// sorted by ID. They no longer weigh on the mean, so they are listed for review.
    pub left_scope: Vec<String>,
}

/// Checks an assessment.
pub fn check(assessment: &Assessment, options: &CheckOptions<'_>) -> CheckResult {
    let mut failures = Vec::new();
    if let Some(min) = options.min_overall
        && assessment.overall + EPSILON < min
    {
        failures.push(Failure::OverallBelow {
            overall: assessment.overall,
            min,
        });
    }
    if let Some(min) = options.min_tactic {
        for tactic in &assessment.tactics {
            if tactic.leaves > 0 && tactic.score + EPSILON < min {
                failures.push(Failure::TacticBelow {
                    id: tactic.id.clone(),
                    shortname: tactic.shortname.clone(),
                    name: tactic.name.clone(),
                    score: tactic.score,
                    min,
                });
            }
        }
    }
    let mut dropped = Vec::new();
    let mut left_scope = Vec::new();
    if let Some(baseline) = options.baseline {
        for before in baseline.leaves_in_scope() {
            match assessment.technique(&before.id) {
                Some(now) if now.in_scope && now.leaf => {
                    if now.score + EPSILON < before.score {
                        dropped.push(TechniqueDrop {
                            id: now.id.clone(),
                            name: now.name.clone(),
                            before: before.score,
                            after: now.score,
                        });
                    }
                }
                _ => left_scope.push(before.id.clone()),
            }
        }
        dropped.sort_by(|a, b| {
            (b.before - b.after)
                .total_cmp(&(a.before - a.after))
                .then_with(|| a.id.cmp(&b.id))
        });
        let max_drop = options.max_drop.unwrap_or(0.0);
        let drop = round6(baseline.overall - assessment.overall);
        if drop > max_drop + EPSILON {
            failures.push(Failure::OverallDropped {
                baseline: baseline.overall,
                overall: assessment.overall,
                drop,
                max_drop,
                techniques: dropped.len(),
            });
        }
    }
    CheckResult {
        passed: failures.is_empty(),
        failures,
        dropped,
        left_scope,
    }
}
