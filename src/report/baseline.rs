//! `--baseline OLD.json`: what changed since an earlier JSON report. Codes,
//! endpoints and violation kinds are compared by their share of responses,
//! so captures of different lengths compare fairly.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Report;
use crate::classify::Class;
use crate::error::Error;

/// One difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `code`, `endpoint` or `violation`.
    pub kind: &'static str,
    /// What changed: `404 record_not_exists (undocumented_code)`, an endpoint, a violation kind.
    pub key: String,
    /// Count in the baseline.
    pub before: u64,
    /// Count now.
    pub after: u64,
    /// Share of responses in the baseline.
    pub before_share: f64,
    /// Share of responses now.
    pub after_share: f64,
}

/// The differences from a baseline report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// The baseline file.
    pub path: String,
    /// Relative change in share above which a key counts as changed.
    pub threshold: f64,
    /// Keys seen now and not in the baseline.
    pub new: Vec<Change>,
    /// Keys in the baseline and not seen now.
    pub gone: Vec<Change>,
    /// Keys in both whose share changed by more than the threshold.
    pub changed: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct OldReport {
    schema: String,
    totals: OldTotals,
    #[serde(default)]
    codes: Vec<OldCode>,
    #[serde(default)]
    endpoints: Vec<OldEndpoint>,
    #[serde(default)]
    violations: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct OldTotals {
    responses: u64,
}

#[derive(Debug, Deserialize)]
struct OldCode {
    status: u16,
    error_code: Option<String>,
    class: String,
    count: u64,
}

#[derive(Debug, Deserialize)]
struct OldEndpoint {
    endpoint: String,
    errors: u64,
}

/// Counts per key of one report, and its responses.
struct Keyed {
    responses: u64,
    keys: BTreeMap<(&'static str, String), u64>,
}

fn code_key(status: u16, code: Option<&str>, class: &str) -> String {
    format!("{status} {} ({class})", code.unwrap_or("-"))
}

/// A loaded baseline.
pub struct Baseline {
    path: String,
    old: Keyed,
}

impl Baseline {
    /// Reads an earlier `--format json` report.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let old: OldReport = serde_json::from_str(&text).map_err(|e| Error::Spec {
            path: name.clone(),
            line: e.line(),
            msg: format!("not a tape-audit JSON report: {e}"),
        })?;
        if !old.schema.starts_with("tape-audit/report/") {
            return Err(Error::Usage(format!(
                "{name}: not a tape-audit JSON report (schema `{}`)",
                old.schema
            )));
        }
        let mut keys = BTreeMap::new();
        for c in old.codes.iter().filter(|c| c.class != Class::Ok.name()) {
            *keys
                .entry((
                    "code",
                    code_key(c.status, c.error_code.as_deref(), &c.class),
                ))
                .or_default() += c.count;
        }
        for e in &old.endpoints {
            keys.insert(("endpoint", e.endpoint.clone()), e.errors);
        }
        for (k, n) in old.violations.into_iter().filter(|(_, n)| *n > 0) {
            keys.insert(("violation", k), n);
        }
        Ok(Baseline {
            path: name,
            old: Keyed {
                responses: old.totals.responses,
                keys,
            },
        })
    }

    /// Compares a report with the baseline.
    pub fn compare(&self, r: &Report, threshold: f64) -> Diff {
        let mut keys = BTreeMap::new();
        for c in r.codes.iter().filter(|c| c.class != Class::Ok.name()) {
            *keys
                .entry(("code", code_key(c.status, c.error_code.as_deref(), c.class)))
                .or_default() += c.count;
        }
        for e in &r.endpoints {
            keys.insert(("endpoint", e.endpoint.clone()), e.errors);
        }
        for (k, n) in r.violations.0.iter().filter(|(_, n)| *n > 0) {
            keys.insert(("violation", k.clone()), *n);
        }
        let now = Keyed {
            responses: r.totals.responses,
            keys,
        };
        let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        let mut diff = Diff {
            path: self.path.clone(),
            threshold,
            new: Vec::new(),
            gone: Vec::new(),
            changed: Vec::new(),
        };
        let all: std::collections::BTreeSet<&(&'static str, String)> =
            self.old.keys.keys().chain(now.keys.keys()).collect();
        for k in all {
            let before = self.old.keys.get(k).copied().unwrap_or(0);
            let after = now.keys.get(k).copied().unwrap_or(0);
            let c = Change {
                kind: k.0,
                key: k.1.clone(),
                before,
                after,
                before_share: share(before, self.old.responses),
                after_share: share(after, now.responses),
            };
            match (before, after) {
                (0, 0) => {}
                (0, _) => diff.new.push(c),
                (_, 0) => diff.gone.push(c),
                _ if c.before_share > 0.0
                    && ((c.after_share - c.before_share) / c.before_share).abs() > threshold =>
                {
                    diff.changed.push(c)
                }
                _ => {}
            }
        }
        diff
    }
}
