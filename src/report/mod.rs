//! Reports: one document model built from a run's summary, written by one
//! writer per format (terminal table, JSON, Markdown, CSV). Writers read the
//! model; they never recompute.

pub mod baseline;
pub mod csv;
pub mod gate;
pub mod html;
pub mod json;
pub mod markdown;
pub mod show;
pub mod table;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Serialize as DeriveSerialize;

use crate::aggregate::{split_timeline_key, Examples, Summary, Tally};
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

impl<V: Copy + Default> Ordered<V> {
    /// The value of a key, or the default.
    pub fn get(&self, key: &str) -> V {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(V::default, |(_, v)| *v)
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
    /// The record's request id, when known.
    pub request_id: Option<String>,
    /// The start of its body, redacted, when captured.
    pub excerpt: Option<String>,
}

impl Serialize for Place {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &self.file)?;
        m.serialize_entry(self.kind, &self.index)?;
        if let Some(r) = &self.request_id {
            m.serialize_entry("request_id", r)?;
        }
        if let Some(e) = &self.excerpt {
            m.serialize_entry("excerpt", e)?;
        }
        m.end()
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.file, self.kind, self.index)?;
        if let Some(r) = &self.request_id {
            write!(f, " (request {r})")?;
        }
        Ok(())
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
    /// Filters in force and what they left out.
    pub filters: Filters,
    /// Which hosts were audited and why (absent when no record names a
    /// host and no scope was asked for).
    pub scope: Option<crate::scope::Scope>,
    /// Per host: responses, errors, error envelopes, whether in scope;
    /// the `--max-hosts` with the most responses, the most first.
    pub hosts: Vec<HostRow>,
    /// The hosts left out, when there were more.
    pub hosts_fold: Option<Fold>,
    /// Totals over all inputs.
    pub totals: Totals,
    /// First and last timestamp seen.
    pub time_span: Option<TimeSpan>,
    /// Count per class, every class present.
    pub classes: Ordered<u64>,
    /// Count per envelope violation kind, every kind present.
    pub violations: Ordered<u64>,
    /// Per (status, error_code, class): the `--max-codes` most frequent,
    /// in (status, class, code) order.
    pub codes: Vec<CodeRow>,
    /// The code rows left out, when there were more.
    pub codes_fold: Option<Fold>,
    /// Error statuses the catalog never mentions.
    pub undocumented_statuses: Vec<StatusRow>,
    /// Findings that do not change the class.
    pub findings: Findings,
    /// For each documented code with alias spellings: which spelling traffic used.
    pub spellings: Vec<SpellingRow>,
    /// First locators of each violation kind.
    pub violation_examples: Ordered<Vec<Place>>,
    /// Every endpoint with error responses, the most first (the table and
    /// Markdown writers show the first `--top`).
    pub endpoints: Vec<EndpointRow>,
    /// The endpoints with errors left out (beyond `--max-endpoints`).
    pub endpoints_fold: Option<Fold>,
    /// Responses and errors over time.
    pub timeline: Timeline,
    /// Which documented codes occurred.
    pub coverage: Coverage,
    /// Differences from `--baseline`, when given.
    pub baseline: Option<baseline::Diff>,
    /// The `--fail-on` conditions and which held; absent without `--fail-on`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<gate::Gate>,
    /// Records that could not be read, by reason.
    pub skipped: Vec<SkipRow>,
    /// Why this report should not be read as a clean bill of health.
    pub warnings: Vec<String>,
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
    /// Records excluded by filters.
    pub excluded: u64,
    /// The error that stopped reading, if any.
    pub error: Option<String>,
    /// Why a file found in a directory was left out.
    pub note: Option<String>,
    /// Why this input's part of the report is thin (nothing read, mostly unreadable).
    pub warning: Option<String>,
}

/// Filters in force.
#[derive(Debug, Clone, Default, DeriveSerialize)]
pub struct Filters {
    /// Each filter, in words.
    pub in_force: Vec<String>,
    /// Records they left out.
    pub excluded: u64,
}

/// Totals over all inputs.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Totals {
    /// Every HAR entry, non-blank log line or JSON value read.
    pub records: u64,
    /// Records that carried an exchange, passed the filters and got a class.
    pub responses: u64,
    /// Responses with status 400 or more.
    pub error_responses: u64,
    /// Records that could not be read.
    pub skipped: u64,
    /// Records left out by filters (`records = responses + skipped + excluded`).
    pub excluded: u64,
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
    /// Earliest timestamp (not for `ok` rows).
    pub first_seen: Option<String>,
    /// Latest timestamp.
    pub last_seen: Option<String>,
    /// First locators, with request ids.
    pub examples: Vec<Place>,
    /// Distinct client credential fingerprints (exact).
    pub distinct_clients: u64,
    /// Responses per client credential fingerprint, the most first (at most
    /// `--max-clients`).
    pub clients: Ordered<u64>,
    /// The clients left out of `clients`, when there were more.
    pub clients_fold: Option<Fold>,
}

/// What a list left out: `2,000,000 distinct codes; the 50 most frequent
/// are listed; 1,999,950 others account for 612,000 responses`.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Fold {
    /// Distinct values in the whole table (exact).
    pub distinct: u64,
    /// Values listed.
    pub listed: u64,
    /// Values left out.
    pub others: u64,
    /// Responses of the values left out (exact).
    pub responses: u64,
    /// The same in words.
    pub statement: String,
}

impl Fold {
    fn new(
        distinct: u64,
        listed: u64,
        responses: u64,
        what: &str,
        order: &str,
        unit: (&str, &str),
    ) -> Fold {
        let others = distinct - listed;
        Fold {
            distinct,
            listed,
            others,
            responses,
            statement: format!(
                "{} distinct {what}; the {} {order} are listed; {} {} for {} {}",
                thousands(distinct),
                thousands(listed),
                thousands(others),
                if others == 1 {
                    "other accounts"
                } else {
                    "others account"
                },
                thousands(responses),
                if responses == 1 { unit.0 } else { unit.1 },
            ),
        }
    }
}

/// Limits on what a report lists (`--max-codes`, `--max-endpoints`,
/// `--max-clients`); what is left out is counted in a [`Fold`].
pub const DEFAULT_MAX_CODES: usize = 200;
/// Default `--max-endpoints`.
pub const DEFAULT_MAX_ENDPOINTS: usize = 1000;
/// Default `--max-hosts`.
pub const DEFAULT_MAX_HOSTS: usize = 1000;
/// Default `--max-clients`.
pub const DEFAULT_MAX_CLIENTS: usize = 10;
/// Default `--collapse`.
pub const DEFAULT_COLLAPSE: u64 = 50;

/// A code row picked for the report, with its top clients.
struct Picked {
    /// The most frequent rows, in (status, class, code) order.
    rows: Vec<(
        crate::aggregate::CodeKey,
        crate::aggregate::CodeStat,
        Clients,
    )>,
    /// Responses per code the catalog knows, over every row (for spellings).
    by_code: std::collections::HashMap<String, u64>,
    /// Documented (status, code) pairs seen.
    documented: std::collections::HashSet<(u16, String)>,
    /// What was left out.
    fold: Option<Fold>,
}

#[derive(Default)]
struct Clients {
    distinct: u64,
    top: Vec<(String, u64)>,
    fold: Option<Fold>,
}

/// Keeps the `max` greatest items by `rank` (ties broken by the smaller
/// key, which `rank` orders last among equals), from a stream.
struct TopK<R: Ord, T> {
    max: usize,
    heap: std::collections::BinaryHeap<Ranked<R, T>>,
}

struct Ranked<R, T>(R, T);
impl<R: Ord, T> PartialEq for Ranked<R, T> {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl<R: Ord, T> Eq for Ranked<R, T> {}
impl<R: Ord, T> PartialOrd for Ranked<R, T> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<R: Ord, T> Ord for Ranked<R, T> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.cmp(&o.0)
    }
}

impl<R: Ord, T> TopK<R, T> {
    fn new(max: usize) -> Self {
        TopK {
            max,
            heap: std::collections::BinaryHeap::new(),
        }
    }

    /// Offers an item; `rank` is smaller for better items.
    fn offer(&mut self, rank: R, item: T) {
        if self.heap.len() < self.max {
            self.heap.push(Ranked(rank, item));
        } else if self.heap.peek().is_some_and(|w| rank < w.0) {
            self.heap.pop();
            self.heap.push(Ranked(rank, item));
        }
    }

    /// The items kept, best first.
    fn into_sorted(self) -> Vec<(R, T)> {
        let mut v: Vec<(R, T)> = self.heap.into_iter().map(|Ranked(r, t)| (r, t)).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

/// The code rows a report lists: the `max_codes` most frequent (ties by
/// key), each with its `max_clients` most frequent clients, read from the
/// summary's exact tables in one streaming pass.
fn pick_codes(s: &Summary, cat: &Catalog, opts: &ReportOptions) -> Picked {
    let mut top = TopK::new(opts.max_codes.max(1));
    let mut clients = s.client_rows().peekable();
    let mut by_code = std::collections::HashMap::new();
    let mut documented = std::collections::HashSet::new();
    let (mut distinct, mut responses) = (0u64, 0u64);
    for (k, st) in s.code_rows() {
        distinct += 1;
        responses += st.tally.count;
        if !k.code.is_empty() && !cat.statuses_of(&k.code).is_empty() {
            *by_code.entry(k.code.clone()).or_insert(0u64) += st.tally.count;
            if k.class == Class::Documented {
                documented.insert((k.status, k.code.clone()));
            }
        }
        let mut mine = TopK::new(opts.max_clients.max(1));
        let (mut n, mut sum) = (0u64, 0u64);
        while let Some(((ck, c), m)) = clients.next_if(|((ck, _), _)| *ck <= k) {
            if ck == k {
                n += 1;
                sum += m;
                mine.offer((std::cmp::Reverse(m), c), ());
            }
        }
        let count = st.tally.count;
        // Cheap test first: most rows of a big table never make the list.
        if top.heap.len() < top.max
            || top.heap.peek().is_some_and(
                |w: &Ranked<(std::cmp::Reverse<u64>, crate::aggregate::CodeKey), _>| {
                    (std::cmp::Reverse(count), &k) < (w.0 .0, &w.0 .1)
                },
            )
        {
            let listed: Vec<(String, u64)> = mine
                .into_sorted()
                .into_iter()
                .map(|((std::cmp::Reverse(m), c), ())| (c, m))
                .collect();
            let shown: u64 = listed.iter().map(|x| x.1).sum();
            let fold = (n > listed.len() as u64).then(|| {
                Fold::new(
                    n,
                    listed.len() as u64,
                    sum - shown,
                    "clients",
                    "most frequent",
                    ("response", "responses"),
                )
            });
            let c = Clients {
                distinct: n,
                top: listed,
                fold,
            };
            top.offer((std::cmp::Reverse(count), k.clone()), (st, c));
        }
    }
    let mut rows: Vec<_> = top
        .into_sorted()
        .into_iter()
        .map(|((_, k), (st, c))| (k, st, c))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let listed = rows.len() as u64;
    let shown: u64 = rows.iter().map(|r| r.1.tally.count).sum();
    let fold = (distinct > listed).then(|| {
        Fold::new(
            distinct,
            listed,
            responses - shown,
            "(status, error_code, class) rows",
            "most frequent",
            ("response", "responses"),
        )
    });
    Picked {
        rows,
        by_code,
        documented,
        fold,
    }
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

/// One host's traffic.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct HostRow {
    /// The host (as in the traffic, lowercased, redacted).
    pub host: String,
    /// Its records that got a class.
    pub responses: u64,
    /// Those with an error status.
    pub errors: u64,
    /// Those whose body is a valid error envelope.
    pub envelopes: u64,
    /// Whether its records are audited (not left out by the scope).
    pub in_scope: bool,
}

/// One endpoint template.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct EndpointRow {
    /// The host, when the records named one.
    pub host: Option<String>,
    /// Path template.
    pub endpoint: String,
    /// All responses.
    pub responses: u64,
    /// Responses with status 400 or more.
    pub errors: u64,
    /// Classes with a non-zero count.
    pub classes: Ordered<u64>,
}

/// One timeline bucket.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct BucketRow {
    /// Bucket start, RFC 3339 UTC.
    pub start: String,
    /// Bucket start, epoch ms.
    #[serde(skip)]
    pub start_ms: i64,
    /// Responses.
    pub responses: u64,
    /// Error responses (status 400 or more).
    pub errors: u64,
    /// Responses that are not `ok`, per class (indexed by `Class as
    /// usize`): the split the HTML chart stacks. Not in the JSON report,
    /// whose timeline CSV has it per code.
    #[serde(skip)]
    pub by_class: [u64; 8],
}

/// Responses and errors over time.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Timeline {
    /// Bucket width in seconds (`--bucket`, or coarser: see `note`).
    pub bucket_seconds: f64,
    /// `--bucket` in seconds.
    pub requested_bucket_seconds: f64,
    /// Why the buckets are wider than `--bucket`, when they are.
    pub note: Option<String>,
    /// Every bucket from the first to the last timestamp, empty ones included.
    pub buckets: Vec<BucketRow>,
    /// The bucket with the most error responses.
    pub peak: Option<BucketRow>,
    /// Responses without a timestamp (not in any bucket).
    pub untimed: u64,
}

/// Adjacent timeline buckets added up, for a chart or table that shows at
/// most a given number of points.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedBucket {
    /// Start of the first bucket, epoch ms.
    pub start_ms: i64,
    /// Responses.
    pub responses: u64,
    /// Error responses.
    pub errors: u64,
    /// Responses that are not `ok`, per class (`Class as usize`).
    pub by_class: [u64; 8],
}

impl Timeline {
    /// The buckets merged `k` at a time (the smallest `k` that leaves at
    /// most `max` points), every point from the first bucket to the last
    /// (empty ones included), and the merged width in ms.
    pub fn merged(&self, max: usize) -> (Vec<MergedBucket>, i64) {
        let b = ((self.bucket_seconds * 1000.0).round() as i64).max(1);
        let (Some(first), Some(last)) = (self.buckets.first(), self.buckets.last()) else {
            return (Vec::new(), b);
        };
        let slots = (last.start_ms - first.start_ms) / b + 1;
        let k = (slots as usize).div_ceil(max.max(1)).max(1) as i64;
        let width = b * k;
        let n = ((last.start_ms - first.start_ms) / width + 1) as usize;
        let mut out: Vec<MergedBucket> = (0..n)
            .map(|i| MergedBucket {
                start_ms: first.start_ms + i as i64 * width,
                responses: 0,
                errors: 0,
                by_class: [0; 8],
            })
            .collect();
        for row in &self.buckets {
            if let Some(m) = out.get_mut(((row.start_ms - first.start_ms) / width) as usize) {
                m.responses += row.responses;
                m.errors += row.errors;
                for (a, b) in m.by_class.iter_mut().zip(row.by_class) {
                    *a += b;
                }
            }
        }
        (out, width)
    }
}

/// Which documented codes occurred.
#[derive(Debug, Clone, DeriveSerialize)]
pub struct Coverage {
    /// Documented (status, code) pairs seen, as `status code`.
    pub seen: Vec<String>,
    /// Documented pairs never seen.
    pub never_seen: Vec<String>,
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

impl SkipRow {
    /// The first occurrence as `place: detail`, or empty.
    pub fn first_text(&self) -> String {
        self.first
            .first()
            .map(|p| format!("{}: {}", p.place, p.detail))
            .unwrap_or_default()
    }
}

/// A skipped record's place and detail.
#[derive(Debug, Clone)]
pub struct SkipPlace {
    /// Where.
    pub place: Place,
    /// What was wrong.
    pub detail: String,
}

impl Serialize for SkipPlace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &self.place.file)?;
        m.serialize_entry(self.place.kind, &self.place.index)?;
        m.serialize_entry("detail", &self.detail)?;
        m.end()
    }
}

/// Options of the report itself (not of the audit).
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// `--max-codes`: code rows listed; the rest are folded.
    pub max_codes: usize,
    /// `--max-endpoints`: endpoints listed in the model (JSON, HTML).
    pub max_endpoints: usize,
    /// `--max-hosts`: hosts listed in the model (JSON, HTML).
    pub max_hosts: usize,
    /// `--max-clients`: clients listed per code.
    pub max_clients: usize,
    /// `--collapse`: distinct values at a path position (under the same
    /// prefix and suffix) from which it becomes `{*}`; 0 never.
    pub collapse: u64,
    /// Filters in force, in words.
    pub filters: Vec<String>,
    /// `--top`: unused by the model, which lists every endpoint with errors
    /// (the table and Markdown writers take it as an argument and cut).
    pub top: usize,
    /// Fraction of skipped records above which the report warns.
    pub max_skipped_share: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            max_codes: DEFAULT_MAX_CODES,
            max_endpoints: DEFAULT_MAX_ENDPOINTS,
            max_hosts: DEFAULT_MAX_HOSTS,
            max_clients: DEFAULT_MAX_CLIENTS,
            collapse: DEFAULT_COLLAPSE,
            filters: Vec::new(),
            top: 10,
            max_skipped_share: 0.5,
        }
    }
}

impl Report {
    /// Builds the report of a run.
    pub fn build(audit: &Audit, cat: &Catalog, opts: &ReportOptions) -> Report {
        let s = &audit.summary;
        let place = |l: &Locator, rid: Option<&String>| place_of(&audit.inputs, l, rid.cloned());
        let places = |e: &Examples| {
            e.0.iter()
                .map(|x| Place {
                    excerpt: x.excerpt.clone(),
                    ..place(&x.loc, x.request_id.as_ref())
                })
                .collect::<Vec<_>>()
        };
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
                    excluded: t.excluded,
                    error: info.error.clone(),
                    note: info.note.clone(),
                    warning: input_warning(&t, info, opts.max_skipped_share),
                }
            })
            .collect();
        let picked = pick_codes(s, cat, opts);
        let (endpoints, endpoints_fold) = endpoints(s, opts.max_endpoints, opts.collapse);
        let (hosts, hosts_fold) = hosts(s, opts.max_hosts);
        let codes = picked
            .rows
            .into_iter()
            .map(|(k, t, clients)| {
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
                    count: t.tally.count,
                    suggestion,
                    description,
                    alias_of,
                    first_seen: t.first_ms.map(format_time),
                    last_seen: t.last_ms.map(format_time),
                    examples: places(&t.tally.examples),
                    distinct_clients: clients.distinct,
                    clients: Ordered(clients.top),
                    clients_fold: clients.fold,
                }
            })
            .collect::<Vec<_>>();
        let spellings = cat
            .alias_groups()
            .into_iter()
            .map(|((status, canon), aliases)| {
                let count = |code: &str| picked.by_code.get(code).copied().unwrap_or(0);
                let mut seen = vec![(canon.clone(), count(&canon))];
                seen.extend(aliases.iter().map(|a| (a.clone(), count(a))));
                SpellingRow {
                    status,
                    documented: canon,
                    seen: Ordered(seen),
                }
            })
            .collect();
        let coverage = {
            let mut seen = Vec::new();
            let mut never_seen = Vec::new();
            for e in cat.entries() {
                let hit = picked
                    .documented
                    .contains(&(e.status, e.error_code.clone()));
                let name = format!("{} {}", e.status, e.error_code);
                if hit {
                    seen.push(name)
                } else {
                    never_seen.push(name)
                }
            }
            Coverage { seen, never_seen }
        };
        let totals = Totals {
            records: s.records(),
            responses: s.responses(),
            error_responses: s.error_responses(),
            skipped: s.skipped_count(),
            excluded: s.excluded(),
        };
        let mut warnings = Vec::new();
        // Log events without a status were read fine; they are not damage.
        let unreadable = totals.skipped - s.skipped.get("no_status").map_or(0, |t| t.count);
        // Records with a status: a request that never got one says nothing
        // about the contract either.
        let answered = totals.responses - s.class(Class::NoResponse);
        if totals.records == 0 {
            warnings.push(
                "no records were read: this audit says nothing about the traffic".to_string(),
            );
        } else if totals.responses == 0 && totals.excluded > 0 {
            let by_scope = audit.scope.as_ref().map_or(0, |sc| sc.excluded_records);
            warnings.push(if by_scope == 0 {
                "the filters left out every record".to_string()
            } else if by_scope == totals.excluded {
                "the host scope left out every record (no audited host is in the inputs: see Hosts)"
                    .to_string()
            } else {
                "the filters and the host scope left out every record".to_string()
            });
        } else if answered == 0 && totals.excluded == 0 {
            warnings.push(format!(
                "none of the {} records read is an HTTP response with a status{}: this audit says nothing about the error contract",
                totals.records,
                top_reasons(s)
            ));
        } else if unreadable as f64 > opts.max_skipped_share * totals.records as f64 {
            warnings.push(format!(
                "{} of {} records ({:.0}%) could not be read: the classes describe only the rest",
                unreadable,
                totals.records,
                100.0 * unreadable as f64 / totals.records as f64
            ));
        }
        Report {
            schema: SCHEMA,
            version: env!("CARGO_PKG_VERSION"),
            catalog: CatalogInfo {
                source: cat.source().to_string(),
                entries: cat.entries().len(),
            },
            inputs,
            filters: Filters {
                in_force: opts.filters.clone(),
                excluded: totals
                    .excluded
                    .saturating_sub(audit.scope.as_ref().map_or(0, |sc| sc.excluded_records)),
            },
            scope: audit
                .scope
                .clone()
                .filter(|sc| !s.hosts.is_empty() || !sc.hosts.is_empty()),
            hosts,
            hosts_fold,
            time_span: s.first_ms.zip(s.last_ms).map(|(a, b)| TimeSpan {
                first: format_time(a),
                last: format_time(b),
            }),
            totals,
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
            codes_fold: picked.fold,
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
            endpoints,
            endpoints_fold,
            timeline: timeline(s),
            coverage,
            baseline: None,
            gate: None,
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
                            place: place(l, None),
                            detail: d.clone(),
                        })
                        .collect(),
                })
                .collect(),
            warnings,
            errors: audit.errors(),
        }
    }

    /// Count of a class.
    pub fn class(&self, c: Class) -> u64 {
        self.classes.get(c.name())
    }

    /// Rows of one class.
    pub fn rows_of(&self, c: Class) -> impl Iterator<Item = &CodeRow> {
        self.codes.iter().filter(move |r| r.class == c.name())
    }
}

/// ` (9 no_status, 1 not_json)`: the most common skip reasons, for a warning.
fn top_reasons(s: &Summary) -> String {
    let mut v: Vec<(&String, u64)> = s.skipped.iter().map(|(r, t)| (r, t.count)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut parts: Vec<String> = v.iter().take(3).map(|(r, n)| format!("{n} {r}")).collect();
    let na = s.class(Class::NoResponse);
    if na > 0 {
        parts.insert(0, format!("{na} without a response"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// The warning for one input: it held no records, or mostly unreadable ones.
fn input_warning(t: &crate::aggregate::FileTotals, info: &InputInfo, share: f64) -> Option<String> {
    // An error says it already; an input left out (a note, no format) is
    // not expected to hold records.
    if info.error.is_some() || (info.note.is_some() && info.format.is_none()) {
        return None;
    }
    let unreadable = t.skipped - t.events;
    if t.records == 0 {
        Some("no records".to_string())
    } else if unreadable as f64 > share * t.records as f64 {
        Some(format!(
            "{unreadable} of {} records could not be read",
            t.records
        ))
    } else {
        None
    }
}

/// The `max` hosts with the most responses (ties by name), the most
/// first, and what was left out, read in one pass over the (possibly
/// spilled) table.
fn hosts(s: &Summary, max: usize) -> (Vec<HostRow>, Option<Fold>) {
    let mut top = TopK::new(max.max(1));
    let (mut distinct, mut responses) = (0u64, 0u64);
    for (h, st) in s.hosts.rows() {
        distinct += 1;
        responses += st.responses;
        top.offer((std::cmp::Reverse(st.responses), h), st);
    }
    let rows: Vec<HostRow> = top
        .into_sorted()
        .into_iter()
        .map(|((_, h), st)| HostRow {
            host: h,
            responses: st.responses,
            errors: st.errors,
            envelopes: st.envelopes,
            in_scope: st.excluded < st.responses || st.responses == 0,
        })
        .collect();
    let listed = rows.len() as u64;
    let shown: u64 = rows.iter().map(|r| r.responses).sum();
    let fold = (distinct > listed).then(|| {
        Fold::new(
            distinct,
            listed,
            responses - shown,
            "hosts",
            "with the most responses",
            ("response", "responses"),
        )
    });
    (rows, fold)
}

impl Report {
    /// Whether endpoints are shown with their host: more than one host is
    /// audited.
    pub fn endpoints_by_host(&self) -> bool {
        self.hosts.iter().filter(|h| h.in_scope).count() > 1
    }
}

impl EndpointRow {
    /// The endpoint as shown: `host/template` when `with_host`.
    pub fn label(&self, with_host: bool) -> String {
        match (&self.host, with_host) {
            (Some(h), true) => format!("{h}{}", self.endpoint),
            _ => self.endpoint.clone(),
        }
    }
}

/// The `max` endpoints with the most errors (ties by name), the most
/// first, and what was left out: the JSON report and `--baseline` take the
/// list; the writers that show a few cut it further.
fn endpoints(s: &Summary, max: usize, collapse: u64) -> (Vec<EndpointRow>, Option<Fold>) {
    let mut top = TopK::new(max.max(1));
    let (mut distinct, mut errors) = (0u64, 0u64);
    for (ep, st) in s.endpoints.templated(collapse).rows() {
        let e = st.errors();
        if e == 0 {
            continue;
        }
        distinct += 1;
        errors += e;
        if top.heap.len() < top.max
            || top
                .heap
                .peek()
                .is_some_and(|w: &Ranked<(std::cmp::Reverse<u64>, String), _>| {
                    (std::cmp::Reverse(e), &ep) < (w.0 .0, &w.0 .1)
                })
        {
            top.offer((std::cmp::Reverse(e), ep), st);
        }
    }
    let rows: Vec<EndpointRow> = top
        .into_sorted()
        .into_iter()
        .map(|((_, ep), st)| EndpointRow {
            host: crate::aggregate::split_endpoint(&ep).0.map(str::to_string),
            endpoint: crate::aggregate::split_endpoint(&ep).1.to_string(),
            responses: st.responses(),
            errors: st.errors(),
            classes: Ordered(
                Class::ALL
                    .iter()
                    .filter(|&&c| st.classes[c as usize] > 0)
                    .map(|&c| (c.name().to_string(), st.classes[c as usize]))
                    .collect(),
            ),
        })
        .collect();
    let listed = rows.len() as u64;
    let shown: u64 = rows.iter().map(|r| r.errors).sum();
    let fold = (distinct > listed).then(|| {
        Fold::new(
            distinct,
            listed,
            errors - shown,
            "endpoints with errors",
            "with the most errors",
            ("error response", "error responses"),
        )
    });
    (rows, fold)
}

/// `90 s`, `15 min`, `6 h`, `2 d`: a bucket width in words.
pub fn duration_words(ms: i64) -> String {
    for (unit, name) in [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min")] {
        if ms >= unit && ms % unit == 0 {
            return format!("{} {name}", ms / unit);
        }
    }
    format!("{} s", ms as f64 / 1000.0)
}

/// `1,234,567`: a count with thousands separators.
pub fn thousands(n: impl Into<u128>) -> String {
    let digits = n.into().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn timeline(s: &Summary) -> Timeline {
    let b = s.timeline_ms;
    let base = s.settings.bucket_ms;
    let note = (b != base).then(|| {
        let need = s
            .first_ms
            .zip(s.last_ms)
            .map_or(0, |(f, l)| crate::aggregate::bucket_count(f, l, base).max(0) as u128);
        format!(
            "buckets coarsened from {} to {}: the span needs {} buckets of {}, more than --max-buckets {}",
            duration_words(base),
            duration_words(b),
            thousands(need),
            duration_words(base),
            thousands(s.settings.max_buckets)
        )
    });
    let row = |start_ms: i64, bucket: Option<&crate::aggregate::Bucket>| {
        let mut by_class = [0u64; 8];
        for (k, n) in bucket.iter().flat_map(|x| &x.by_key) {
            if let Some((_, c, _)) = split_timeline_key(k) {
                by_class[c as usize] += n;
            }
        }
        BucketRow {
            start: format_time(start_ms),
            start_ms,
            responses: bucket.map_or(0, |x| x.responses),
            errors: Class::ALL
                .iter()
                .filter(|c| c.is_error())
                .map(|&c| by_class[c as usize])
                .sum(),
            by_class,
        }
    };
    let buckets: Vec<BucketRow> = match (s.timeline.keys().next(), s.timeline.keys().next_back()) {
        // At most `max_buckets` (or a few at the coarsest width).
        (Some(&first), Some(&last)) => (0..=(last - first) / b)
            .map(|i| first + i * b)
            .map(|t| row(t, s.timeline.get(&t)))
            .collect(),
        _ => s.timeline.iter().map(|(&t, x)| row(t, Some(x))).collect(),
    };
    let peak = buckets
        .iter()
        .filter(|x| x.errors > 0)
        .max_by(|a, b| a.errors.cmp(&b.errors).then(b.start_ms.cmp(&a.start_ms)))
        .cloned();
    Timeline {
        bucket_seconds: b as f64 / 1000.0,
        requested_bucket_seconds: base as f64 / 1000.0,
        note,
        buckets,
        peak,
        untimed: s.untimed,
    }
}

fn place_of(inputs: &[InputInfo], l: &Locator, request_id: Option<String>) -> Place {
    let info = inputs.get(l.file as usize);
    Place {
        file: info.map_or_else(|| format!("#{}", l.file), |i| i.name.clone()),
        kind: info
            .and_then(|i| i.format)
            .map_or("record", |f| f.locator_kind().word()),
        index: l.index,
        request_id,
        excerpt: None,
    }
}

/// Inputs left out (found in a directory, not traffic), counted per
/// reason, the most common first.
pub fn left_out_reasons(r: &Report) -> Vec<(String, u64)> {
    let mut by: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for i in &r.inputs {
        if let (Some(note), None) = (&i.note, i.format) {
            *by.entry(note.as_str()).or_default() += 1;
        }
    }
    let mut v: Vec<(String, u64)> = by.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// `1 record`, `2 records`: a count and its noun, singular or plural.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `21 responses (18 errors, 1 without a response)`: the responses of a
/// report in words; requests that got no response are not called responses.
pub fn responses_phrase(r: &Report, errors_word: (&str, &str)) -> String {
    let t = &r.totals;
    let none = r.class(Class::NoResponse);
    let answered = t.responses.saturating_sub(none);
    if answered == 0 && none > 0 {
        return format!("{} without a response", count(none, "request", "requests"));
    }
    let mut inner = count(t.error_responses, errors_word.0, errors_word.1);
    if none > 0 {
        inner.push_str(&format!(", {none} without a response"));
    }
    format!("{} ({inner})", count(t.responses, "response", "responses"))
}
