//! The CI gate: which `--fail-on` conditions held, and how often, so that
//! a red CI log says why.

use serde::Serialize;

use super::Report;
use crate::classify::Class;
use crate::cli::FailOn;

/// The outcome of `--fail-on`.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// Whether any condition held (the run exits 1).
    pub failed: bool,
    /// Every condition given, in the order given.
    pub conditions: Vec<Condition>,
}

/// One `--fail-on` condition.
#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    /// The `--fail-on` value (`undocumented`, `violations`...).
    pub name: String,
    /// How many responses (records for `skipped`, keys for `new`) meet it.
    pub count: u64,
    /// Whether it held (count above zero).
    pub held: bool,
    /// What was counted, for the message: `responses`, `records`, `keys`.
    pub unit: &'static str,
}

/// The `--fail-on` spelling of a condition.
pub fn name(f: FailOn) -> String {
    clap::ValueEnum::to_possible_value(&f)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

fn count(r: &Report, f: FailOn) -> (u64, &'static str) {
    match f {
        FailOn::Violations => (r.class(Class::EnvelopeViolation), "responses"),
        FailOn::Undocumented => (r.class(Class::UndocumentedCode), "responses"),
        FailOn::Mismatch => (r.class(Class::StatusMismatch), "responses"),
        FailOn::ErrorOnSuccess => (r.class(Class::ErrorOnSuccess), "responses"),
        FailOn::UndocumentedStatus => (
            r.undocumented_statuses.iter().map(|s| s.count).sum(),
            "responses",
        ),
        FailOn::Findings => (
            [
                FailOn::Violations,
                FailOn::Undocumented,
                FailOn::Mismatch,
                FailOn::ErrorOnSuccess,
            ]
            .iter()
            .map(|&g| count(r, g).0)
            .sum(),
            "responses",
        ),
        FailOn::AnyError => (r.totals.error_responses, "responses"),
        FailOn::Skipped => (r.totals.skipped, "records"),
        FailOn::New => (
            r.baseline.as_ref().map_or(0, |d| d.new.len() as u64),
            "keys",
        ),
    }
}

/// Judges the report against the conditions; `None` without `--fail-on`.
pub fn evaluate(r: &Report, on: &[FailOn]) -> Option<Gate> {
    if on.is_empty() {
        return None;
    }
    let mut seen = Vec::new();
    let conditions: Vec<Condition> = on
        .iter()
        .filter(|f| {
            let dup = seen.contains(*f);
            seen.push(**f);
            !dup
        })
        .map(|&f| {
            let (count, unit) = count(r, f);
            Condition {
                name: name(f),
                count,
                held: count > 0,
                unit,
            }
        })
        .collect();
    Some(Gate {
        failed: conditions.iter().any(|c| c.held),
        conditions,
    })
}

impl Gate {
    /// `--fail-on: undocumented (3 responses), violations (2 responses)`:
    /// the conditions that held, for standard error.
    pub fn message(&self) -> Option<String> {
        let held: Vec<String> = self
            .conditions
            .iter()
            .filter(|c| c.held)
            .map(|c| {
                let unit = if c.count == 1 {
                    c.unit.trim_end_matches('s')
                } else {
                    c.unit
                };
                format!("{} ({} {unit})", c.name, c.count)
            })
            .collect();
        (!held.is_empty()).then(|| format!("--fail-on: {}", held.join(", ")))
    }
}
