//! `--baseline OLD.json`: what changed since an earlier JSON report. Codes,
//! endpoints and violation kinds are compared by their share of responses,
//! so captures of different lengths compare fairly.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Report, SCHEMA};
use crate::aggregate::MAX_RECORDS;
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
    /// Absent in no report this tool wrote; when absent, the endpoint list
    /// is taken to be cut.
    #[serde(default)]
    error_responses: Option<u64>,
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
    /// When the baseline's endpoint list was cut to its `--top` (reports
    /// before every endpoint was listed): the smallest error count it
    /// lists, or 0 when it lists none. Endpoints it does not list had at
    /// most this many errors, how many is unknown.
    endpoints_cut_at: Option<u64>,
}

/// What `--baseline` expects, for errors about files that are not it.
fn not_a_report(name: &str, what: &str) -> Error {
    Error::Usage(format!(
        "{name}: not a tape-audit JSON report (expected the JSON of `tape-audit ... --format json`, schema {SCHEMA}{what})"
    ))
}

impl Baseline {
    /// Reads an earlier `--format json` report.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Baseline::parse(&text, &name)
    }

    /// Reads the text of an earlier `--format json` report, named `name` in
    /// errors. Refuses anything else (a JSON-lines log, a partial) saying
    /// what it expects, and a report whose counts cannot be, naming the
    /// field: every count at most the responses, which are at most
    /// [`MAX_RECORDS`], so no sum here can overflow.
    pub fn parse(text: &str, name: &str) -> Result<Baseline, Error> {
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
        let value = match values.next() {
            Some(Ok(v)) => v,
            Some(Err(_)) | None => return Err(not_a_report(name, "")),
        };
        if values.next().is_some() {
            return Err(not_a_report(name, "; this holds several JSON values"));
        }
        let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        if schema == crate::partial::SCHEMA {
            return Err(Error::Usage(format!(
                "{name}: a tape-audit partial, not a report: make the report with `tape-audit merge {name} --format json`"
            )));
        }
        if !schema.starts_with("tape-audit/report/") {
            let what = if schema.is_empty() {
                String::new()
            } else {
                format!("; this has schema `{schema}`")
            };
            return Err(not_a_report(name, &what));
        }
        let old = OldReport::deserialize(&value)
            .map_err(|e| Error::Usage(format!("{name}: not a valid {schema} report: {e}")))?;
        let responses = old.totals.responses;
        let bad = |field: String, n: u64, bound: u64, what: &str| {
            Error::Usage(format!(
                "{name}: {field}: {n} is more than {what} ({bound})"
            ))
        };
        if responses > MAX_RECORDS {
            return Err(bad(
                "totals.responses".into(),
                responses,
                MAX_RECORDS,
                "any capture holds",
            ));
        }
        let error_responses = old.totals.error_responses;
        if let Some(e) = error_responses.filter(|&e| e > responses) {
            return Err(bad(
                "totals.error_responses".into(),
                e,
                responses,
                "totals.responses",
            ));
        }
        let mut keys = BTreeMap::new();
        let mut sum = 0u64;
        for (i, c) in old.codes.iter().enumerate() {
            sum = sum.saturating_add(c.count);
            if sum > responses {
                return Err(bad(
                    format!("codes[{i}].count"),
                    sum,
                    responses,
                    "totals.responses (adding up the codes)",
                ));
            }
            if c.class != Class::Ok.name() {
                *keys
                    .entry((
                        "code",
                        code_key(c.status, c.error_code.as_deref(), &c.class),
                    ))
                    .or_default() += c.count;
            }
        }
        let mut sum = 0u64;
        let errors = error_responses.unwrap_or(responses);
        for (i, e) in old.endpoints.iter().enumerate() {
            sum = sum.saturating_add(e.errors);
            if sum > errors {
                return Err(bad(
                    format!("endpoints[{i}].errors"),
                    sum,
                    errors,
                    "totals.error_responses (adding up the endpoints)",
                ));
            }
            // Summed per template: a report keyed by host lists a template
            // once per host.
            *keys.entry(("endpoint", e.endpoint.clone())).or_default() += e.errors;
        }
        // Every error response is at exactly one endpoint, so a list whose
        // errors add up to fewer than the report's error responses was cut.
        let endpoints_cut_at = (error_responses != Some(sum))
            .then(|| old.endpoints.iter().map(|e| e.errors).min().unwrap_or(0));
        for (k, n) in old.violations.into_iter().filter(|(_, n)| *n > 0) {
            if n > responses {
                return Err(bad(
                    format!("violations.{k}"),
                    n,
                    responses,
                    "totals.responses",
                ));
            }
            keys.insert(("violation", k), n);
        }
        // A baseline made with --unsafe-show-secrets holds raw keys: redact
        // them on load (idempotent on redacted ones), so that a normal run
        // never prints them again. Keys that become one add up.
        let mut redacted: BTreeMap<(&'static str, String), u64> = BTreeMap::new();
        let mut changed = false;
        for ((kind, key), n) in keys {
            let r = crate::redact::text(&key, crate::redact::Redact::On);
            changed |= matches!(r, std::borrow::Cow::Owned(_));
            *redacted.entry((kind, r.into_owned())).or_default() += n;
        }
        if changed {
            eprintln!(
                "tape-audit: warning: {}: the baseline holds secrets (made with --unsafe-show-secrets?): they are redacted before comparing",
                crate::sanitize::terminal(name)
            );
        }
        Ok(Baseline {
            path: name.to_string(),
            old: Keyed {
                responses,
                keys: redacted,
            },
            endpoints_cut_at,
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
            *keys.entry(("endpoint", e.endpoint.clone())).or_default() += e.errors;
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
            // Compare only what both sides can know. A report lists every
            // endpoint with errors, but baselines written before it did list
            // only the top few: an endpoint such a list leaves out had at
            // most `endpoints_cut_at` errors then, but whether it had none
            // (new) or as many (unchanged) is unknown, so it is neither new
            // nor changed. Codes and violation kinds were always listed in
            // full.
            if k.0 == "endpoint"
                && self.endpoints_cut_at.is_some()
                && !self.old.keys.contains_key(k)
            {
                continue;
            }
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
