//! Reports: one document model built from a run's summary, written by one
//! writer per format. Writers read the model; they never recompute.

pub mod json;
pub mod table;

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Serialize as DeriveSerialize;

use crate::aggregate::{Examples, Tally};
use crate::catalog::{Catalog, Lookup};
use crate::classify::{Class, Violation};
use crate::exchange::{format_time, Locator};
use crate::input::{Compression, InputInfo};
use crate::pipeline::Audit;

/// The JSON report's schema name and version.
pub const SCHEMA: &str = "tape-audit/report/v1";

/// A map that keeps the order it was built in.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A position in an input, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The input's name.
    pub file: String,
    /// `entry`, `line` or `value`.
    pub kind: &'static str,
    /// The index or line number.
    pub index: u64,
}

impl Serialize for Place {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("file", &self.file)?;
        m.serialize_entry(self.kind, &self.index)?;
        m.end()
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.file, self.kind, self.index)
    }
}

/// The whole report, as written by every format.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Report {
    /// `tape-audit/report/v1`.
    pub schema: &'static str,
    /// Tool version.
    pub version: &'static str,
    /// The catalog audited against.
    pub catalog: CatalogInfo,
    /// Per input.
    pub inputs: Vec<InputRow>,
    /// Totals over all inputs.
    pub totals: Totals,
    /// First and last timestamp seen.
    pub time_span: Option<TimeSpan>,
    /// Count per class, every class present.
    pub classes: Ordered<u64>,
    /// Count per envelope violation kind, every kind present.
    pub violations: Ordered<u64>,
    /// Per (status, error_code, class).
    pub codes: Vec<CodeRow>,
    /// Error statuses the catalog never mentions.
    pub undocumented_statuses: Vec<StatusRow>,
    /// Findings that do not change the class.
    pub findings: Findings,
    /// For each documented code with alias spellings: which spelling traffic used.
    pub spellings: Vec<SpellingRow>,
    /// First locators of each violation kind.
    pub violation_examples: Ordered<Vec<Place>>,
    /// Records that could not be read, by reason.
    pub skipped: Vec<SkipRow>,
    /// Errors that stopped reading an input.
    pub errors: Vec<String>,
}

/// Which catalog was used.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct CatalogInfo {
    /// Where it came from.
    pub source: String,
    /// Documented pairs (aliases included).
    pub entries: usize,
}

/// One input's totals.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct InputRow {
    /// Name as given.
    pub path: String,
    /// `har`, `jsonl`, `json`, or null when it could not be read.
    pub format: Option<&'static str>,
    /// `gzip`, `zstd` or null.
    pub compression: Option<&'static str>,
    /// JSON-lines shape used.
    pub shape: Option<String>,
    /// Records read.
    pub records: u64,
    /// Records classified.
    pub responses: u64,
    /// Records skipped.
    pub skipped: u64,
    /// The error that stopped reading, if any.
    pub error: Option<String>,
}

/// Totals over all inputs.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Totals {
    /// Every HAR entry, non-blank log line or JSON value read.
    pub records: u64,
    /// Records that carried an exchange and got a class.
    pub responses: u64,
    /// Responses with status 400 or more.
    pub error_responses: u64,
    /// Records that could not be read.
    pub skipped: u64,
}

/// The span of timestamps seen.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct TimeSpan {
    /// Earliest, RFC 3339 UTC.
    pub first: String,
    /// Latest, RFC 3339 UTC.
    pub last: String,
}

/// One (status, error_code, class) row.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct CodeRow {
    /// HTTP status (0: no response).
    pub status: u16,
    /// The code, or null.
    pub error_code: Option<String>,
    /// The class.
    pub class: &'static str,
    /// How many responses.
    pub count: u64,
    /// Statuses the code is documented under (empty when undocumented).
    pub documented_statuses: Vec<u16>,
    /// A documented code this one nearly matches.
    pub suggestion: Option<String>,
    /// The catalog's description of the pair or code.
    pub description: Option<String>,
    /// When the code is an alias spelling: the spelling it stands in for.
    pub alias_of: Option<String>,
    /// First locators.
    pub examples: Vec<Place>,
}

/// An undocumented error status.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct StatusRow {
    /// The status.
    pub status: u16,
    /// How many responses.
    pub count: u64,
    /// First locators.
    pub examples: Vec<Place>,
}

/// A count with its first locators.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Finding {
    /// How many.
    pub count: u64,
    /// First locators.
    pub examples: Vec<Place>,
}

/// Findings beside the class.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Findings {
    /// Envelopes whose numeric `status_code` differs from the HTTP status.
    pub body_status_code_mismatch: Finding,
    /// JSON error bodies sent with a non-JSON Content-Type.
    pub json_body_with_non_json_content_type: Finding,
}

/// Spellings of one documented code seen in traffic.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct SpellingRow {
    /// The status.
    pub status: u16,
    /// The spelling in the errors table.
    pub documented: String,
    /// Count per spelling (the documented one first), zeros included.
    pub seen: Ordered<u64>,
}

/// A skip reason.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct SkipRow {
    /// Short reason key (`not_json`, `malformed_entry`, `truncated` ...).
    pub reason: String,
    /// How many records.
    pub count: u64,
    /// First occurrences with detail.
    pub first: Vec<SkipPlace>,
}

/// A skipped record's place and detail.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct SkipPlace {
    /// Where.
    #[serde(flatten)]
    pub place: PlaceWrap,
    /// What was wrong.
    pub detail: String,
}

/// Wrapper so a `Place` flattens into its parent object.
#[derive(Debug, Clone)]
pub struct PlaceWrap(pub Place);

impl Serialize for PlaceWrap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Report {
    /// Builds the report of a run.
    pub fn build(audit: &Audit, cat: &Catalog) -> Report {
        let s = &audit.summary;
        let place = |l: &Locator| place_of(&audit.inputs, l);
        let places = |e: &Examples| e.0.iter().map(place).collect::<Vec<_>>();
        let finding = |t: &Tally| Finding {
            count: t.count,
            examples: places(&t.examples),
        };
        let inputs = audit
            .inputs
            .iter()
            .enumerate()
            .map(|(i, info)| {
                let t = s.files.get(&(i as u32)).copied().unwrap_or_default();
                InputRow {
                    path: info.name.clone(),
                    format: info.format.map(|f| f.name()),
                    compression: info.compression.map(|c| match c {
                        Compression::Gzip => "gzip",
                        Compression::Zstd => "zstd",
                    }),
                    shape: info.shape.clone(),
                    records: t.records,
                    responses: t.responses,
                    skipped: t.skipped,
                    error: info.error.clone(),
                }
            })
            .collect();
        let codes = s
            .codes()
            .into_iter()
            .map(|(k, t)| {
                let code = (!k.code.is_empty()).then(|| k.code.clone());
                let (mut suggestion, mut description, mut alias_of) = (None, None, None);
                if let Some(c) = &code {
                    match cat.lookup(k.status, c) {
                        Lookup::Documented(e) => {
                            description = Some(e.description.clone());
                            alias_of = e.alias_of.clone();
                        }
                        Lookup::OtherStatus(st) => {
                            description = cat.get(st[0], c).map(|e| e.description.clone());
                        }
                        Lookup::Unknown(near) => suggestion = near.map(str::to_string),
                    }
                }
                CodeRow {
                    status: k.status,
                    documented_statuses: code
                        .as_deref()
                        .map(|c| cat.statuses_of(c).to_vec())
                        .unwrap_or_default(),
                    error_code: code,
                    class: k.class.name(),
                    count: t.count,
                    suggestion,
                    description,
                    alias_of,
                    examples: places(&t.examples),
                }
            })
            .collect::<Vec<_>>();
        let spellings = cat
            .alias_groups()
            .into_iter()
            .map(|((status, canon), aliases)| {
                let count = |code: &str| {
                    codes
                        .iter()
                        .filter(|r| r.error_code.as_deref() == Some(code))
                        .map(|r| r.count)
                        .sum::<u64>()
                };
                let mut seen = vec![(canon.clone(), count(&canon))];
                seen.extend(aliases.iter().map(|a| (a.clone(), count(a))));
                SpellingRow {
                    status,
                    documented: canon,
                    seen: Ordered(seen),
                }
            })
            .collect();
        Report {
            schema: SCHEMA,
            version: env!("CARGO_PKG_VERSION"),
            catalog: CatalogInfo {
                source: cat.source().to_string(),
                entries: cat.entries().len(),
            },
            inputs,
            totals: Totals {
                records: s.records(),
                responses: s.responses(),
                error_responses: s.error_responses(),
                skipped: s.skipped_count(),
            },
            time_span: s.first_ms.zip(s.last_ms).map(|(a, b)| TimeSpan {
                first: format_time(a),
                last: format_time(b),
            }),
            classes: Ordered(
                Class::ALL
                    .iter()
                    .map(|&c| (c.name().to_string(), s.class(c)))
                    .collect(),
            ),
            violations: Ordered(
                Violation::ALL
                    .iter()
                    .map(|&v| (v.name().to_string(), s.violation(v).count))
                    .collect(),
            ),
            violation_examples: Ordered(
                Violation::ALL
                    .iter()
                    .filter(|&&v| s.violation(v).count > 0)
                    .map(|&v| (v.name().to_string(), places(&s.violation(v).examples)))
                    .collect(),
            ),
            codes,
            undocumented_statuses: s
                .undocumented_statuses
                .iter()
                .map(|(&status, t)| StatusRow {
                    status,
                    count: t.count,
                    examples: places(&t.examples),
                })
                .collect(),
            findings: Findings {
                body_status_code_mismatch: finding(&s.body_status_mismatch),
                json_body_with_non_json_content_type: finding(&s.json_with_non_json_type),
            },
            spellings,
            skipped: s
                .skipped
                .iter()
                .map(|(reason, t)| SkipRow {
                    reason: reason.clone(),
                    count: t.count,
                    first: t
                        .first
                        .iter()
                        .map(|(l, d)| SkipPlace {
                            place: PlaceWrap(place(l)),
                            detail: d.clone(),
                        })
                        .collect(),
                })
                .collect(),
            errors: audit.errors(),
        }
    }

    /// Count of a class by name.
    pub fn class(&self, c: Class) -> u64 {
        self.classes
            .0
            .iter()
            .find(|(k, _)| k == c.name())
            .map_or(0, |(_, n)| *n)
    }

    /// Rows of one class.
    pub fn rows_of(&self, c: Class) -> impl Iterator<Item = &CodeRow> {
        self.codes.iter().filter(move |r| r.class == c.name())
    }

    /// Counts of documented codes summed over statuses: (status, code) -> count.
    pub fn documented_counts(&self) -> BTreeMap<(u16, String), u64> {
        let mut m = BTreeMap::new();
        for r in self.rows_of(Class::Documented) {
            if let Some(c) = &r.error_code {
                *m.entry((r.status, c.clone())).or_default() += r.count;
            }
        }
        m
    }
}

fn place_of(inputs: &[InputInfo], l: &Locator) -> Place {
    let info = inputs.get(l.file as usize);
    Place {
        file: info.map_or_else(|| format!("#{}", l.file), |i| i.name.clone()),
        kind: info
            .and_then(|i| i.format)
            .map_or("record", |f| f.locator_kind().word()),
        index: l.index,
    }
}
