//! The aggregate of a run: counters, time span, timeline, endpoints, first
//! locators. A `Summary` of any part of the input merges with any other
//! part; an empty summary with the same settings is the identity and `merge`
//! is associative and commutative, so results cannot depend on how the input
//! was split across chunks, files, threads or machines.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// Hash maps keyed per record: foldhash (seeded per process) is several
/// times cheaper than SipHash on short keys.
type HashMap<K, V> = foldhash::HashMap<K, V>;

use serde::{Deserialize, Serialize};

use crate::classify::{Class, Verdict, Violation};
use crate::exchange::{endpoint_push, Exchange, Locator};
use crate::input::SkipReason;
use crate::redact::{self, Redact};
use crate::spill::{self, Runs};

/// Settings that change what a summary holds; summaries merge only when
/// these are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// How many first locators each finding keeps.
    pub samples: usize,
    /// Timeline bucket width in milliseconds.
    pub bucket_ms: i64,
    /// Whether secrets are redacted before they are stored.
    pub redact: bool,
    /// Most buckets the timeline holds (`--max-buckets`): a longer span
    /// coarsens the buckets up the [`LADDER`].
    #[serde(default = "default_max_buckets")]
    pub max_buckets: u32,
}

/// Default `--max-buckets`.
pub const MAX_BUCKETS: u32 = 20_000;

/// Largest `--max-buckets`: a report walks every bucket of the span.
pub const MAX_BUCKETS_LIMIT: u32 = 1_000_000;

fn default_max_buckets() -> u32 {
    MAX_BUCKETS
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            samples: 5,
            bucket_ms: 60_000,
            redact: true,
            max_buckets: MAX_BUCKETS,
        }
    }
}

/// The bucket widths a timeline coarsens through, as multiples of
/// `--bucket`: with the default 1 minute, 1m, 5m, 15m, 30m, 1h, 2h, 6h, 12h,
/// 1d, then doubling. Each width is a whole multiple of the one before, and
/// buckets start at multiples of their width from the epoch, so a timeline
/// coarsened to a width holds the same counts whichever order its records
/// came in and however the input was split.
pub const LADDER: [i64; 9] = [1, 5, 15, 30, 60, 120, 360, 720, 1440];

/// The widths of the ladder over `base` ms, finest first, up to the largest
/// that fits an `i64`.
pub fn ladder(base: i64) -> impl Iterator<Item = i64> {
    let top = base.checked_mul(LADDER[LADDER.len() - 1]);
    LADDER
        .iter()
        .map_while(move |&m| base.checked_mul(m))
        .chain(std::iter::successors(
            top.and_then(|t| t.checked_mul(2)),
            |w| w.checked_mul(2),
        ))
}

/// The start of the bucket of `width` ms that holds `t`.
fn bucket_start(t: i64, width: i64) -> i64 {
    t.div_euclid(width) * width
}

/// How many buckets of `width` ms the span from `first` to `last` touches.
pub fn bucket_count(first: i64, last: i64, width: i64) -> i128 {
    i128::from(last.div_euclid(width)) - i128::from(first.div_euclid(width)) + 1
}

/// The finest width of the ladder over `base` that is a multiple of every
/// width in `at_least` and holds the span `span` in at most `max` buckets;
/// the coarsest width of the ladder when none does (an absurd span), and
/// `None` when no width of the ladder is a multiple of those in `at_least`.
pub fn timeline_width(
    base: i64,
    max: u32,
    span: Option<(i64, i64)>,
    at_least: &[i64],
) -> Option<i64> {
    let mut last = None;
    for w in ladder(base).filter(|w| at_least.iter().all(|&e| e > 0 && w % e == 0)) {
        last = Some(w);
        if span.is_none_or(|(f, l)| bucket_count(f, l, w) <= i128::from(max.max(2))) {
            return Some(w);
        }
    }
    last
}

impl Settings {
    fn redact_mode(&self) -> Redact {
        if self.redact {
            Redact::On
        } else {
            Redact::Off
        }
    }
}

/// One sampled record: where it is and its request id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Sample {
    /// Where.
    pub loc: Locator,
    /// Request id, when the record had one.
    pub request_id: Option<String>,
    /// The start of the body, redacted (see `crate::row::body_excerpt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

/// The first few samples in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Examples(pub Vec<Sample>);

impl Examples {
    /// Whether a record at `loc` would be kept (so its sample is worth building).
    fn wants(&self, loc: Locator, limit: usize) -> bool {
        self.0.len() < limit || self.0.last().is_some_and(|l| loc < l.loc)
    }

    /// Offers a sample; kept when it is among the first `limit`.
    fn offer(&mut self, s: Sample, limit: usize) {
        if !self.wants(s.loc, limit) {
            return;
        }
        let v = &mut self.0;
        let at = v.partition_point(|l| l.loc < s.loc);
        if v.get(at).is_some_and(|l| l.loc == s.loc) {
            return;
        }
        v.insert(at, s);
        v.truncate(limit);
    }

    fn merge(&mut self, other: Examples, limit: usize) {
        for s in other.0 {
            self.offer(s, limit);
        }
    }

    /// The locators alone.
    pub fn locators(&self) -> impl Iterator<Item = &Locator> {
        self.0.iter().map(|s| &s.loc)
    }
}

/// A sampled record's body excerpt, redacted by `red` (which knows the
/// record's own secrets) before it is cut.
fn excerpt(ex: &Exchange<'_>, red: &dyn Fn(&str) -> String) -> Option<String> {
    let body = ex.body.text()?;
    Some(crate::row::body_excerpt(&body, red)).filter(|e| !e.is_empty())
}

/// A count with its first samples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// The first few, in input order.
    pub examples: Examples,
}

impl Tally {
    fn add(&mut self, loc: Locator, ex: &Exchange<'_>, limit: usize, red: &dyn Fn(&str) -> String) {
        self.count += 1;
        if self.examples.wants(loc, limit) {
            self.examples.offer(
                Sample {
                    loc,
                    // Request ids are traffic text too: a bearer value or a
                    // JWT sent as an "id" is redacted like any other.
                    request_id: ex.request_id.as_deref().map(red),
                    excerpt: excerpt(ex, red),
                },
                limit,
            );
        }
    }

    fn merge(&mut self, other: Tally, limit: usize) {
        self.count += other.count;
        self.examples.merge(other.examples, limit);
    }
}

/// Per (status, class, code): count, first and last seen, samples, clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeStat {
    /// Count and samples.
    pub tally: Tally,
    /// Earliest timestamp (epoch ms).
    pub first_ms: Option<i64>,
    /// Latest timestamp.
    pub last_ms: Option<i64>,
    /// Responses per client credential fingerprint, while in memory (the
    /// summary's client table holds them; see [`Summary::client_rows`]).
    #[serde(skip)]
    pub clients: BTreeMap<String, u64>,
}

impl CodeStat {
    /// Adds `other` (its clients too).
    fn combine(&mut self, other: CodeStat, limit: usize) {
        self.tally.merge(other.tally, limit);
        self.first_ms = min_opt(self.first_ms, other.first_ms, i64::min);
        self.last_ms = min_opt(self.last_ms, other.last_ms, i64::max);
        for (c, n) in other.clients {
            *self.clients.entry(c).or_default() += n;
        }
    }
}

/// A skip reason's count, with the detail of its first occurrences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipTally {
    /// How many records were skipped for this reason.
    pub count: u64,
    /// The first few, with what was wrong.
    pub first: Vec<(Locator, String)>,
}

/// Records, responses, skips and exclusions of one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTotals {
    /// Records read (HAR entries, non-blank lines, JSON values).
    pub records: u64,
    /// Records that carried an exchange, passed the filters and got a class.
    pub responses: u64,
    /// Records that could not be read.
    pub skipped: u64,
    /// Records left out by filters.
    pub excluded: u64,
    /// Skipped records that were log events, not responses (`no_status`):
    /// read fine, so not counted as damage.
    pub events: u64,
}

/// Key of the per-(status, code, class) table. `code` is empty when no code
/// could be read (an empty code is a violation and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CodeKey {
    /// HTTP status (0 for no response).
    pub status: u16,
    /// Class of the responses counted.
    pub class: Class,
    /// The `error_code`, or empty.
    pub code: String,
}

/// Responses per class at one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointStat {
    /// Responses per class, indexed by `Class as usize`.
    pub classes: [u64; 8],
}

fn add_endpoint(a: &mut EndpointStat, b: EndpointStat, _: usize) {
    for (x, y) in a.classes.iter_mut().zip(b.classes) {
        *x += y;
    }
}

fn add_code(a: &mut CodeStat, b: CodeStat, limit: usize) {
    a.combine(b, limit);
}

fn add_count(a: &mut u64, b: u64, _: usize) {
    *a += b;
}

/// Key of the client table: the code's key and the client's fingerprint.
pub type ClientKey = (CodeKey, String);

/// The (status, class, code) table and its clients: in memory per (status,
/// class) then per code, and in sorted runs on disk once it outgrows
/// [`spill::budget`] entries (codes, or clients, apart).
#[derive(Clone)]
pub struct CodeTable {
    /// Samples kept per row (`settings.samples`; unlimited while a
    /// partial is read, whose rows are merged into a summary that has it).
    limit: usize,
    mem: HashMap<(u16, Class), HashMap<String, CodeStat>>,
    /// Codes in `mem`.
    entries: usize,
    /// Clients in `mem`.
    clients: usize,
    runs: Runs<CodeKey, CodeStat>,
    client_runs: Runs<ClientKey, u64>,
}

impl Default for CodeTable {
    fn default() -> Self {
        CodeTable {
            limit: usize::MAX,
            mem: HashMap::default(),
            entries: 0,
            clients: 0,
            runs: Runs::default(),
            client_runs: Runs::default(),
        }
    }
}

impl std::fmt::Debug for CodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CodeTable({} codes, {} clients in memory{})",
            self.entries,
            self.clients,
            if self.runs.is_empty() && self.client_runs.is_empty() {
                ""
            } else {
                ", and runs"
            }
        )
    }
}

impl CodeTable {
    /// Adds one row (its clients included), spilling past the budget.
    fn insert(&mut self, k: CodeKey, stat: CodeStat, limit: usize) {
        let clients = stat.clients.len();
        let group = self.mem.entry((k.status, k.class)).or_default();
        match group.get_mut(k.code.as_str()) {
            Some(m) => {
                let before = m.clients.len();
                m.combine(stat, limit);
                self.clients += m.clients.len() - before;
            }
            None => {
                group.insert(k.code, stat);
                self.entries += 1;
                self.clients += clients;
            }
        }
        self.fit(limit);
    }

    /// Adds one client count.
    fn insert_client(&mut self, (k, client): ClientKey, n: u64, limit: usize) {
        let stat = self
            .mem
            .entry((k.status, k.class))
            .or_default()
            .entry(k.code)
            .or_insert_with(|| {
                self.entries += 1;
                CodeStat::default()
            });
        let c = stat.clients.entry(client).or_insert_with(|| {
            self.clients += 1;
            0
        });
        *c += n;
        self.fit(limit);
    }

    /// Spills what outgrew the budget.
    fn fit(&mut self, limit: usize) {
        if self.entries > spill::budget() {
            self.spill_codes(limit);
        } else if self.clients > spill::budget() {
            self.spill_clients(limit);
        }
    }

    fn spill_clients(&mut self, limit: usize) {
        let mut items = Vec::with_capacity(self.clients);
        for (&(status, class), group) in &mut self.mem {
            for (code, stat) in group.iter_mut() {
                let key = CodeKey {
                    status,
                    class,
                    code: code.clone(),
                };
                items.extend(
                    std::mem::take(&mut stat.clients)
                        .into_iter()
                        .map(|(c, n)| ((key.clone(), c), n)),
                );
            }
        }
        self.clients = 0;
        if let Err(back) = self.client_runs.spill(items, add_count, limit) {
            // Kept in memory: exact, if not bounded.
            for ((k, c), n) in back {
                if let Some(stat) = self
                    .mem
                    .get_mut(&(k.status, k.class))
                    .and_then(|g| g.get_mut(&k.code))
                {
                    stat.clients.insert(c, n);
                    self.clients += 1;
                }
            }
        }
    }

    fn spill_codes(&mut self, limit: usize) {
        self.spill_clients(limit);
        if self.clients > 0 {
            return;
        }
        let items: Vec<(CodeKey, CodeStat)> = self.drain().collect();
        self.entries = 0;
        if let Err(back) = self.runs.spill(items, add_code, limit) {
            for (k, stat) in back {
                self.mem
                    .entry((k.status, k.class))
                    .or_default()
                    .insert(k.code, stat);
                self.entries += 1;
            }
        }
    }

    fn drain(&mut self) -> impl Iterator<Item = (CodeKey, CodeStat)> {
        std::mem::take(&mut self.mem)
            .into_iter()
            .flat_map(|((status, class), group)| {
                group.into_iter().map(move |(code, stat)| {
                    (
                        CodeKey {
                            status,
                            class,
                            code,
                        },
                        stat,
                    )
                })
            })
    }

    /// Every row, in key order, without its clients.
    fn rows(&self, limit: usize) -> spill::Merged<CodeKey, CodeStat> {
        let mem = self
            .mem
            .iter()
            .flat_map(|(&(status, class), group)| {
                group.iter().map(move |(code, stat)| {
                    (
                        CodeKey {
                            status,
                            class,
                            code: code.clone(),
                        },
                        CodeStat {
                            clients: BTreeMap::new(),
                            ..stat.clone()
                        },
                    )
                })
            })
            .collect();
        self.runs.merged(mem, add_code, limit)
    }

    /// Every (code, client) count, in key order.
    fn client_rows(&self) -> spill::Merged<ClientKey, u64> {
        let mut mem = Vec::with_capacity(self.clients);
        for (&(status, class), group) in &self.mem {
            for (code, stat) in group {
                for (c, &n) in &stat.clients {
                    let key = CodeKey {
                        status,
                        class,
                        code: code.clone(),
                    };
                    mem.push(((key, c.clone()), n));
                }
            }
        }
        self.client_runs.merged(mem, add_count, 0)
    }

    /// Adds `other`.
    fn merge(&mut self, mut other: CodeTable, limit: usize) {
        let runs = std::mem::take(&mut other.runs);
        let client_runs = std::mem::take(&mut other.client_runs);
        for (k, stat) in other.drain() {
            self.insert(k, stat, limit);
        }
        self.runs.absorb(runs, add_code, limit);
        self.client_runs.absorb(client_runs, add_count, limit);
    }

    /// Applies `f` to every row's stat (keys unchanged).
    fn for_each_stat(&mut self, mut f: impl FnMut(&mut CodeStat)) {
        for group in self.mem.values_mut() {
            group.values_mut().for_each(&mut f);
        }
        self.runs.map_values(f);
    }
}

impl PartialEq for CodeTable {
    fn eq(&self, o: &Self) -> bool {
        self.rows(self.limit).eq(o.rows(o.limit)) && self.client_rows().eq(o.client_rows())
    }
}
impl Eq for CodeTable {}

/// Serialized as its rows and its clients, each a list in key order,
/// written while the runs are read (a partial never sits whole in memory).
impl Serialize for CodeTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("CodeTable", 2)?;
        st.serialize_field(
            "rows",
            &Stream(std::cell::RefCell::new(Some(self.rows(self.limit)))),
        )?;
        st.serialize_field(
            "clients",
            &Stream(std::cell::RefCell::new(Some(self.client_rows()))),
        )?;
        st.end()
    }
}

/// Read as it is serialized, each row added (and spilled past the budget)
/// as it is read.
impl<'de> Deserialize<'de> for CodeTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CodeTable;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with rows and clients")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<CodeTable, A::Error> {
                let mut t = CodeTable::default();
                while let Some(key) = m.next_key::<String>()? {
                    match key.as_str() {
                        "rows" => m.next_value_seed(each(&mut |(k, v): (CodeKey, CodeStat)| {
                            t.insert(k, v, usize::MAX)
                        }))?,
                        "clients" => m.next_value_seed(each(&mut |(k, n): (ClientKey, u64)| {
                            t.insert_client(k, n, usize::MAX)
                        }))?,
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(t)
            }
        }
        d.deserialize_map(V)
    }
}

/// The endpoint table: in memory, and in sorted runs past the budget.
#[derive(Clone, Default)]
pub struct EndpointTable {
    mem: HashMap<String, EndpointStat>,
    runs: Runs<String, EndpointStat>,
}

impl std::fmt::Debug for EndpointTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EndpointTable({} in memory)", self.mem.len())
    }
}

impl EndpointTable {
    fn insert(&mut self, k: String, st: EndpointStat) {
        match self.mem.get_mut(k.as_str()) {
            Some(m) => add_endpoint(m, st, 0),
            None => {
                self.mem.insert(k, st);
                self.fit();
            }
        }
    }

    fn fit(&mut self) {
        if self.mem.len() > spill::budget() {
            let items: Vec<(String, EndpointStat)> =
                std::mem::take(&mut self.mem).into_iter().collect();
            if let Err(back) = self.runs.spill(items, add_endpoint, 0) {
                self.mem.extend(back);
            }
        }
    }

    /// Every endpoint, in key order.
    pub fn rows(&self) -> spill::Merged<String, EndpointStat> {
        let mem = self.mem.iter().map(|(k, v)| (k.clone(), *v)).collect();
        self.runs.merged(mem, add_endpoint, 0)
    }

    fn merge(&mut self, mut other: EndpointTable) {
        let runs = std::mem::take(&mut other.runs);
        for (k, st) in other.mem {
            self.insert(k, st);
        }
        self.runs.absorb(runs, add_endpoint, 0);
    }
}

/// The placeholder of a path position that holds many values.
pub const VARIABLE: &str = "{*}";

/// `path` with segment `i` replaced by [`VARIABLE`].
fn masked(segments: &[&str], i: usize) -> String {
    let mut out = String::new();
    for (j, s) in segments.iter().enumerate() {
        if j > 0 {
            out.push('/');
        }
        out.push_str(if j == i { VARIABLE } else { s });
    }
    out
}

/// Whether segment `s` may become a variable (not empty, not an id already).
fn maskable(s: &str) -> bool {
    !s.is_empty() && s != "{id}" && s != VARIABLE
}

impl EndpointTable {
    /// The table with adaptive templates, as log-template miners make them:
    /// a path position that holds at least `min` distinct values among
    /// endpoints alike in every other position (`/search/red-shoes`,
    /// `/search/blue-hat`, ... under `/search/`) becomes [`VARIABLE`]
    /// (`/search/{*}`), and endpoints that become one add up. Decided from
    /// this (final, exact) table alone, in two streaming passes over it, so
    /// the templates do not depend on arrival order or on the split; the
    /// counts per masked path spill past the budget like any table. `min`
    /// 0 changes nothing.
    pub fn templated(&self, min: u64) -> EndpointTable {
        if min == 0 {
            return self.clone();
        }
        // Pass 1: how many endpoints each masked path stands for (each
        // endpoint is one distinct value at the masked position).
        let mut counts: HashMap<String, u64> = HashMap::default();
        let mut runs: Runs<String, u64> = Runs::default();
        for (ep, _) in self.rows() {
            let segs: Vec<&str> = ep.split('/').collect();
            for (i, s) in segs.iter().enumerate() {
                if maskable(s) {
                    *counts.entry(masked(&segs, i)).or_insert(0) += 1;
                }
            }
            if counts.len() > spill::budget() {
                let items: Vec<(String, u64)> = std::mem::take(&mut counts).into_iter().collect();
                if let Err(back) = runs.spill(items, add_count, 0) {
                    counts.extend(back);
                }
            }
        }
        let variable: std::collections::HashSet<String> = runs
            .merged(counts.into_iter().collect(), add_count, 0)
            .filter(|&(_, n)| n >= min)
            .map(|(m, _)| m)
            .collect();
        if variable.is_empty() {
            return self.clone();
        }
        // Pass 2: every endpoint under its template.
        let mut out = EndpointTable::default();
        for (ep, st) in self.rows() {
            let segs: Vec<&str> = ep.split('/').collect();
            let mut t = String::with_capacity(ep.len());
            for (i, s) in segs.iter().enumerate() {
                if i > 0 {
                    t.push('/');
                }
                if maskable(s) && variable.contains(&masked(&segs, i)) {
                    t.push_str(VARIABLE);
                } else {
                    t.push_str(s);
                }
            }
            out.insert(t, st);
        }
        out
    }
}

impl PartialEq for EndpointTable {
    fn eq(&self, o: &Self) -> bool {
        self.rows().eq(o.rows())
    }
}
impl Eq for EndpointTable {}

impl Serialize for EndpointTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stream(std::cell::RefCell::new(Some(self.rows()))).serialize(s)
    }
}

impl<'de> Deserialize<'de> for EndpointTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut t = EndpointTable::default();
        serde::de::DeserializeSeed::deserialize(
            each(&mut |(k, v): (String, EndpointStat)| t.insert(k, v)),
            d,
        )?;
        Ok(t)
    }
}

/// An iterator serialized as a list, read once.
struct Stream<I>(std::cell::RefCell<Option<I>>);

impl<I: Iterator> Serialize for Stream<I>
where
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.borrow_mut().take() {
            Some(it) => s.collect_seq(it),
            None => s.collect_seq(std::iter::empty::<I::Item>()),
        }
    }
}

/// Reads a list, handing each element to a function.
struct Each<'a, T, F>(&'a mut F, std::marker::PhantomData<T>);

fn each<T, F: FnMut(T)>(f: &mut F) -> Each<'_, T, F> {
    Each(f, std::marker::PhantomData)
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> serde::de::DeserializeSeed<'de> for Each<'_, T, F> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        struct V<'a, F, T>(&'a mut F, std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, F: FnMut(T)> serde::de::Visitor<'de> for V<'_, F, T> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
                while let Some(x) = a.next_element::<T>()? {
                    (self.0)(x);
                }
                Ok(())
            }
        }
        d.deserialize_seq(V(self.0, std::marker::PhantomData))
    }
}

impl EndpointStat {
    /// All responses.
    pub fn responses(&self) -> u64 {
        self.classes.iter().sum()
    }

    /// Responses with an error status.
    pub fn errors(&self) -> u64 {
        Class::ALL
            .iter()
            .filter(|c| c.is_error())
            .map(|&c| self.classes[c as usize])
            .sum()
    }
}

/// One timeline bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// All responses in the bucket.
    pub responses: u64,
    /// Responses that are not `ok`, per (status, class, code).
    pub by_key: BTreeMap<String, u64>,
}

/// Separator inside timeline keys (status, class, code); never in a class name.
const KEY_SEP: char = '\u{1f}';

/// Builds a timeline key.
pub fn timeline_key(status: u16, class: Class, code: &str) -> String {
    let mut k = String::new();
    push_timeline_key(&mut k, status, class, code);
    k
}

fn push_timeline_key(k: &mut String, status: u16, class: Class, code: &str) {
    use std::fmt::Write;
    let _ = write!(k, "{status}");
    k.push(KEY_SEP);
    k.push_str(class.name());
    k.push(KEY_SEP);
    k.push_str(code);
}

/// Splits a timeline key.
pub fn split_timeline_key(k: &str) -> Option<(u16, Class, &str)> {
    let mut it = k.splitn(3, KEY_SEP);
    let status = it.next()?.parse().ok()?;
    let class = Class::from_name(it.next()?)?;
    Some((status, class, it.next().unwrap_or("")))
}

/// The aggregate of any part of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// What the summary was built with.
    pub settings: Settings,
    /// Per input (by index in the run's input list).
    pub files: BTreeMap<u32, FileTotals>,
    /// Counts per class, indexed by `Class as usize`.
    pub classes: [u64; 8],
    /// Envelope violations by kind, indexed by `Violation as usize`.
    pub violations: [Tally; 8],
    /// Per (status, class, code), codes redacted, with their clients.
    codes: CodeTable,
    /// Error statuses the catalog never mentions.
    pub undocumented_statuses: BTreeMap<u16, Tally>,
    /// Bodies whose numeric `status_code` differs from the HTTP status.
    pub body_status_mismatch: Tally,
    /// JSON error bodies sent with a non-JSON Content-Type.
    pub json_with_non_json_type: Tally,
    /// Skipped records by reason.
    pub skipped: BTreeMap<String, SkipTally>,
    /// Responses per endpoint template.
    pub endpoints: EndpointTable,
    /// Width of the timeline's buckets (ms): `settings.bucket_ms`, or a
    /// coarser width of its [`ladder`] when the span needs more than
    /// `settings.max_buckets` buckets.
    pub timeline_ms: i64,
    /// Responses per time bucket (bucket start, epoch ms, a multiple of
    /// `timeline_ms`).
    pub timeline: BTreeMap<i64, Bucket>,
    /// Responses that had no timestamp.
    pub untimed: u64,
    /// Earliest timestamp seen (epoch ms).
    pub first_ms: Option<i64>,
    /// Latest timestamp seen.
    pub last_ms: Option<i64>,
    /// Responses per host (see [`crate::scope`]); filled by
    /// [`crate::scope::Split`], not by [`Summary::add`].
    #[serde(default)]
    pub hosts: crate::scope::Hosts,
}

impl Default for Summary {
    fn default() -> Self {
        Summary::new(Settings::default())
    }
}

/// Separates the host from the template in an endpoint key
/// (`host\u{1e}/v1/record/{id}`); never in a stored host.
pub const HOST_SEP: char = '\u{1e}';

/// Appends `host` (lowercased, the separator dropped) and the separator to
/// `ep`, before the template: endpoints are keyed by host, so two hosts'
/// `/` stay apart. A lowercase host is copied as it is (no per-char work).
fn push_host(ep: &mut String, host: &str) {
    if host
        .bytes()
        .any(|b| b.is_ascii_uppercase() || b == HOST_SEP as u8)
    {
        ep.extend(
            host.chars()
                .filter(|&c| c != HOST_SEP)
                .map(|c| c.to_ascii_lowercase()),
        );
    } else {
        ep.push_str(host);
    }
    ep.push(HOST_SEP);
}

/// Splits an endpoint key into its host (when the record named one) and
/// its template.
pub fn split_endpoint(key: &str) -> (Option<&str>, &str) {
    match key.split_once(HOST_SEP) {
        Some((h, t)) => (Some(h), t),
        None => (None, key),
    }
}

/// Longest skip detail kept, in characters.
pub const DETAIL_MAX: usize = 60;

/// `s` cut to `max` characters, with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    let t = s.trim();
    match t.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

impl Summary {
    /// An empty summary.
    pub fn new(settings: Settings) -> Summary {
        Summary {
            settings,
            files: BTreeMap::new(),
            classes: [0; 8],
            violations: Default::default(),
            codes: CodeTable {
                limit: settings.samples,
                ..CodeTable::default()
            },
            undocumented_statuses: BTreeMap::new(),
            body_status_mismatch: Tally::default(),
            json_with_non_json_type: Tally::default(),
            skipped: BTreeMap::new(),
            endpoints: EndpointTable::default(),
            timeline_ms: settings.bucket_ms,
            timeline: BTreeMap::new(),
            untimed: 0,
            first_ms: None,
            last_ms: None,
            hosts: Default::default(),
        }
    }

    fn file(&mut self, file: u32) -> &mut FileTotals {
        self.files.entry(file).or_default()
    }

    /// Counts a record that could not be read.
    pub fn add_skipped(&mut self, loc: Locator, reason: SkipReason, detail: &str) {
        let limit = self.settings.samples;
        let mode = self.settings.redact_mode();
        let f = self.file(loc.file);
        f.records += 1;
        f.skipped += 1;
        if reason == SkipReason::NoStatus {
            f.events += 1;
        }
        // Stored by name: reports and partials keep the strings they had.
        let name = reason.name();
        let t = match self.skipped.get_mut(name) {
            Some(t) => t,
            None => self.skipped.entry(name.to_string()).or_default(),
        };
        t.count += 1;
        if t.first.len() < limit || t.first.last().is_some_and(|(l, _)| loc < *l) {
            // Redact first, then cut: a cut token would escape the patterns.
            let detail = cut(&redact::text(detail, mode), DETAIL_MAX);
            insert_first(&mut t.first, (loc, detail), limit);
        }
    }

    /// Counts a record left out by a filter.
    pub fn add_excluded(&mut self, loc: Locator) {
        let f = self.file(loc.file);
        f.records += 1;
        f.excluded += 1;
    }

    /// Counts a classified exchange.
    pub fn add(&mut self, loc: Locator, ex: &Exchange<'_>, v: &Verdict<'_>) {
        self.add_at(loc, ex, v, ex.host_and_path());
    }

    /// [`Summary::add`] with the exchange's `host_and_path`, for a caller
    /// that has it already (the URL is split once per record).
    pub fn add_at(
        &mut self,
        loc: Locator,
        ex: &Exchange<'_>,
        v: &Verdict<'_>,
        (host, path): (Option<&str>, Option<&str>),
    ) {
        let limit = self.settings.samples;
        let mode = self.settings.redact_mode();
        // Text is stored redacted, the record's own credentials included
        // (layer 1); those are gathered only when some text is stored.
        let own = std::cell::OnceCell::new();
        let red = |s: &str| -> String {
            if mode == Redact::Off {
                return s.to_string();
            }
            let own: Vec<&str> = own
                .get_or_init(|| redact::own_secrets(ex))
                .iter()
                .map(String::as_str)
                .collect();
            redact::text_with(s, mode, &own).into_owned()
        };
        let f = self.file(loc.file);
        f.records += 1;
        f.responses += 1;
        self.classes[v.class as usize] += 1;
        if let Some(viol) = v.violation {
            self.violations[viol as usize].add(loc, ex, limit, &red);
        }
        let code = v.code.as_deref().unwrap_or("");
        let table = &mut self.codes;
        let held = table.entries + table.clients;
        let group = table.mem.entry((v.status, v.class)).or_default();
        // Most groups hold a handful of codes (`ok` holds only the empty
        // one): a scan beats hashing the code for every response.
        let found = if group.len() <= 4 {
            group
                .iter_mut()
                .find(|(k, _)| crate::rawjson::same_key(k, code))
                .map(|(_, stat)| stat)
        } else {
            group.get_mut(code)
        };
        // Keys are stored redacted: a code found as it is needs no redaction.
        let clean = found.is_some();
        let stat = match found {
            Some(t) => t,
            None => match group.entry(red(code)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    table.entries += 1;
                    e.insert(CodeStat::default())
                }
            },
        };
        if v.class == Class::Ok {
            stat.tally.count += 1;
        } else {
            stat.tally.add(loc, ex, limit, &red);
            if let Some(t) = ex.time_ms {
                stat.first_ms = Some(stat.first_ms.map_or(t, |f| f.min(t)));
                stat.last_ms = Some(stat.last_ms.map_or(t, |l| l.max(t)));
            }
            if let Some(cred) = ex.credential.as_deref() {
                let n = stat.clients.entry(redact::client(cred)).or_insert_with(|| {
                    table.clients += 1;
                    0
                });
                *n += 1;
            }
        }
        // Only a new code or client can take the table past its budget.
        if self.codes.entries + self.codes.clients != held {
            self.codes.fit(limit);
        }
        if v.undocumented_status {
            self.undocumented_statuses
                .entry(v.status)
                .or_default()
                .add(loc, ex, limit, &red);
        }
        if v.body_status_code.is_some() {
            self.body_status_mismatch.add(loc, ex, limit, &red);
        }
        if v.json_with_non_json_type {
            self.json_with_non_json_type.add(loc, ex, limit, &red);
        }
        thread_local! {
            static EP: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        EP.with_borrow_mut(|ep| {
            // Written in place: the buffer keeps its capacity across records.
            ep.clear();
            if let Some(h) = host {
                push_host(ep, h);
            }
            match path {
                Some(p) => endpoint_push(p, ep),
                None => ep.push('-'),
            }
            match self.endpoints.mem.get_mut(ep.as_str()) {
                Some(e) => e.classes[v.class as usize] += 1,
                // Redact once, when an endpoint is first seen (the key is the
                // redacted form, so a secret in a path is looked up again here).
                None => {
                    let mut st = EndpointStat::default();
                    st.classes[v.class as usize] = 1;
                    self.endpoints.insert(red(ep), st);
                }
            }
        });
        match ex.time_ms {
            Some(t) => {
                let wider =
                    self.first_ms.is_none_or(|f| t < f) || self.last_ms.is_none_or(|l| t > l);
                self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
                self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
                let mut start = bucket_start(t, self.timeline_ms);
                // Records mostly come in time order: the last bucket is the
                // one. Every bucket came from a record inside the span, so a
                // record in one adds no bucket to the span: only a record in
                // a new bucket outside it can take the timeline past its
                // limit.
                let last = self.timeline.last_key_value().map(|(&k, _)| k);
                if wider && last != Some(start) {
                    self.fit_timeline();
                    // Fitting may have made the buckets wider.
                    start = bucket_start(t, self.timeline_ms);
                }
                let bucket = match self.timeline.last_entry() {
                    Some(e) if *e.key() == start => e.into_mut(),
                    _ => self.timeline.entry(start).or_default(),
                };
                bucket.responses += 1;
                if v.class != Class::Ok {
                    // Per code only for codes the catalog knows (a bounded
                    // set); any other code counts under its status and class.
                    let code = if !matches!(v.class, Class::Documented | Class::StatusMismatch) {
                        Cow::Borrowed("")
                    } else if clean {
                        Cow::Borrowed(code)
                    } else {
                        Cow::Owned(red(code))
                    };
                    thread_local! {
                        static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
                    }
                    KEY.with_borrow_mut(|key| {
                        key.clear();
                        push_timeline_key(key, v.status, v.class, &code);
                        match bucket.by_key.get_mut(key.as_str()) {
                            Some(n) => *n += 1,
                            None => {
                                bucket.by_key.insert(key.clone(), 1);
                            }
                        }
                    });
                }
            }
            None => self.untimed += 1,
        }
    }

    /// Folds another summary into this one. Both must share settings.
    pub fn merge(&mut self, other: Summary) {
        debug_assert_eq!(self.settings, other.settings);
        let limit = self.settings.samples;
        for (k, t) in other.files {
            let f = self.file(k);
            f.records += t.records;
            f.responses += t.responses;
            f.skipped += t.skipped;
            f.excluded += t.excluded;
            f.events += t.events;
        }
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        for (a, b) in self.violations.iter_mut().zip(other.violations) {
            a.merge(b, limit);
        }
        self.codes.merge(other.codes, limit);
        for (k, t) in other.undocumented_statuses {
            self.undocumented_statuses
                .entry(k)
                .or_default()
                .merge(t, limit);
        }
        self.body_status_mismatch
            .merge(other.body_status_mismatch, limit);
        self.json_with_non_json_type
            .merge(other.json_with_non_json_type, limit);
        for (k, t) in other.skipped {
            let mine = self.skipped.entry(k).or_default();
            mine.count += t.count;
            for item in t.first {
                insert_first(&mut mine.first, item, limit);
            }
        }
        self.endpoints.merge(other.endpoints);
        let mut other_timeline = other.timeline;
        if other.timeline_ms != self.timeline_ms {
            // Both widths are on the same ladder: the finer one divides the other.
            let w = self.timeline_ms.max(other.timeline_ms);
            self.coarsen_timeline(w);
            other_timeline = coarsened(other_timeline, w);
        }
        for (k, b) in other_timeline {
            add_bucket(self.timeline.entry(k).or_default(), b);
        }
        self.untimed += other.untimed;
        self.first_ms = min_opt(self.first_ms, other.first_ms, i64::min);
        self.last_ms = min_opt(self.last_ms, other.last_ms, i64::max);
        self.hosts.merge(other.hosts);
        self.fit_timeline();
    }

    /// Coarsens the timeline to the finest width of the ladder that holds
    /// the span seen in at most `settings.max_buckets` buckets.
    fn fit_timeline(&mut self) {
        let span = self.first_ms.zip(self.last_ms);
        if span.is_some_and(|(f, l)| {
            bucket_count(f, l, self.timeline_ms) > i128::from(self.settings.max_buckets.max(2))
        }) {
            let w = timeline_width(
                self.settings.bucket_ms,
                self.settings.max_buckets,
                span,
                &[self.timeline_ms],
            )
            .unwrap_or(self.timeline_ms);
            self.coarsen_timeline(w);
        }
    }

    /// Regroups the timeline into buckets of `width` ms, a multiple of the
    /// present width.
    pub fn coarsen_timeline(&mut self, width: i64) {
        if width != self.timeline_ms {
            self.timeline = coarsened(std::mem::take(&mut self.timeline), width);
            self.timeline_ms = width;
        }
    }

    /// Takes `--bucket` `base` (a multiple of the present one) and timeline
    /// width `width` (a multiple of the present width), for merging
    /// partials made with different buckets.
    pub fn rebase_timeline(&mut self, base: i64, width: i64) {
        self.settings.bucket_ms = base;
        self.coarsen_timeline(width);
    }

    /// This summary with every piece of traffic text redacted, for a
    /// partial made with `--unsafe-show-secrets` that is merged or reported
    /// without it: codes, endpoints, timeline keys, skip details and
    /// request ids pass the redactor, and client credentials become
    /// fingerprints. Keys that become one are added up (by `merge`).
    pub fn redacted(self) -> Summary {
        if self.settings.redact {
            return self;
        }
        let mode = Redact::On;
        let red = |s: &str| redact::text(s, mode).into_owned();
        let tally = |mut t: Tally| {
            for e in &mut t.examples.0 {
                e.request_id = e.request_id.as_deref().map(red);
                // Cut before it was redacted (the partial showed secrets):
                // a cut token could slip past the patterns, so it goes.
                e.excerpt = None;
            }
            t
        };
        let settings = Settings {
            redact: true,
            ..self.settings
        };
        let width = self.timeline_ms;
        let new = || Summary {
            timeline_ms: width,
            ..Summary::new(settings)
        };
        let mut out = new();
        let mut part = new();
        part.files = self.files;
        part.classes = self.classes;
        part.violations = self.violations.map(tally);
        part.undocumented_statuses = self
            .undocumented_statuses
            .into_iter()
            .map(|(k, t)| (k, tally(t)))
            .collect();
        part.body_status_mismatch = tally(self.body_status_mismatch);
        part.json_with_non_json_type = tally(self.json_with_non_json_type);
        part.skipped = self
            .skipped
            .into_iter()
            .map(|(k, mut t)| {
                for (_, d) in &mut t.first {
                    *d = cut(&red(d), DETAIL_MAX);
                }
                (k, t)
            })
            .collect();
        part.untimed = self.untimed;
        part.first_ms = self.first_ms;
        part.last_ms = self.last_ms;
        part.hosts = self.hosts.redacted();
        out.merge(part);
        // Keyed tables, one entry at a time, so that keys that become one merge.
        let limit = settings.samples;
        for (k, st) in self.codes.rows(limit) {
            let key = CodeKey {
                code: red(&k.code),
                ..k
            };
            out.codes.insert(
                key,
                CodeStat {
                    tally: tally(st.tally),
                    ..st
                },
                limit,
            );
        }
        for ((k, c), n) in self.codes.client_rows() {
            let key = CodeKey {
                code: red(&k.code),
                ..k
            };
            out.codes.insert_client((key, redact::client(&c)), n, limit);
        }
        for (ep, st) in self.endpoints.rows() {
            out.endpoints.insert(red(&ep), st);
        }
        for (start, b) in self.timeline {
            let mut one = new();
            let bucket = one.timeline.entry(start).or_default();
            bucket.responses = b.responses;
            for (key, n) in b.by_key {
                let key = match split_timeline_key(&key) {
                    Some((status, class, code)) => timeline_key(status, class, &red(code)),
                    None => key,
                };
                *bucket.by_key.entry(key).or_default() += n;
            }
            out.merge(one);
        }
        out
    }

    /// Records read, over all inputs.
    pub fn records(&self) -> u64 {
        self.files.values().map(|f| f.records).sum()
    }

    /// Records that got a class.
    pub fn responses(&self) -> u64 {
        self.files.values().map(|f| f.responses).sum()
    }

    /// Records that could not be read.
    pub fn skipped_count(&self) -> u64 {
        self.files.values().map(|f| f.skipped).sum()
    }

    /// Records left out by filters.
    pub fn excluded(&self) -> u64 {
        self.files.values().map(|f| f.excluded).sum()
    }

    /// Responses with an error status (400 and up).
    pub fn error_responses(&self) -> u64 {
        Class::ALL
            .iter()
            .filter(|c| c.is_error())
            .map(|&c| self.classes[c as usize])
            .sum()
    }

    /// Count of one class.
    pub fn class(&self, c: Class) -> u64 {
        self.classes[c as usize]
    }

    /// Tally of one violation kind.
    pub fn violation(&self, v: Violation) -> &Tally {
        &self.violations[v as usize]
    }

    /// The (status, class, code) table, sorted by status, class, then code,
    /// read from memory and the spilled runs (its clients are in
    /// [`Summary::client_rows`]).
    pub fn code_rows(&self) -> impl Iterator<Item = (CodeKey, CodeStat)> {
        self.codes.rows(self.settings.samples)
    }

    /// Responses per (status, class, code) and client fingerprint, sorted by
    /// key.
    pub fn client_rows(&self) -> impl Iterator<Item = (ClientKey, u64)> {
        self.codes.client_rows()
    }

    /// The (status, class, code) table, collected (for tests and small runs).
    pub fn codes(&self) -> Vec<(CodeKey, CodeStat)> {
        let mut rows: Vec<(CodeKey, CodeStat)> = self.code_rows().collect();
        let mut clients = self.client_rows().peekable();
        for (k, st) in &mut rows {
            while let Some(((ck, c), n)) = clients.next_if(|((ck, _), _)| ck <= k) {
                if ck == *k {
                    st.clients.insert(c, n);
                }
            }
        }
        rows
    }

    /// Renumbers the inputs (for merging summaries of different runs).
    pub fn remap_files(&mut self, map: impl Fn(u32) -> u32) {
        let fix = |e: &mut Examples| e.0.iter_mut().for_each(|s| s.loc.file = map(s.loc.file));
        self.files = std::mem::take(&mut self.files)
            .into_iter()
            .map(|(k, v)| (map(k), v))
            .collect();
        self.violations
            .iter_mut()
            .for_each(|t| fix(&mut t.examples));
        let limit = self.settings.samples;
        self.codes.for_each_stat(|s| {
            fix(&mut s.tally.examples);
            s.tally.examples.0.sort();
            s.tally.examples.0.truncate(limit);
        });
        self.undocumented_statuses
            .values_mut()
            .for_each(|t| fix(&mut t.examples));
        fix(&mut self.body_status_mismatch.examples);
        fix(&mut self.json_with_non_json_type.examples);
        for t in self.skipped.values_mut() {
            t.first.iter_mut().for_each(|(l, _)| l.file = map(l.file));
            t.first.sort_by_key(|a| a.0);
        }
        let limit = self.settings.samples;
        let resort = |e: &mut Examples| {
            e.0.sort();
            e.0.truncate(limit);
        };
        self.violations
            .iter_mut()
            .for_each(|t| resort(&mut t.examples));
        self.undocumented_statuses
            .values_mut()
            .for_each(|t| resort(&mut t.examples));
        resort(&mut self.body_status_mismatch.examples);
        resort(&mut self.json_with_non_json_type.examples);
    }
}

/// Most records a summary read from a file may count. No capture comes near
/// it (2^53, about 9e15), every count stays exact as an `f64` share, and,
/// because each counter of a valid summary is bounded by its records (see
/// [`Summary::validate`]), sums of a few counters of summaries whose records
/// add up to at most this never overflow a `u64`.
pub const MAX_RECORDS: u64 = 1 << 53;

/// Whether epoch milliseconds are a time a run can record: no earlier than
/// the earliest date a timestamp parses to (year -262143, `chrono`'s
/// range), and anything later, because an absurd epoch number in a log
/// (`1e25`) is recorded as a time far in the future (up to `i64::MAX`) and
/// a partial of such a run must still merge. Reports subtract bucket starts,
/// so [`Summary::validate`] also checks that the timeline's span fits.
pub fn time_in_range(ms: i64) -> bool {
    ms >= chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis()
}

/// Checks that the timeline's last bucket start minus its first fits in an
/// `i64` (the report walks the buckets between them).
pub fn timeline_span_fits(timeline: &BTreeMap<i64, Bucket>) -> bool {
    match (timeline.keys().next(), timeline.keys().next_back()) {
        (Some(first), Some(last)) => last.checked_sub(*first).is_some(),
        _ => true,
    }
}

/// Adds counts, refusing a sum above [`MAX_RECORDS`].
fn checked_sum(counts: impl IntoIterator<Item = u64>, field: &str) -> Result<u64, String> {
    counts
        .into_iter()
        .try_fold(0u64, |a, b| a.checked_add(b).filter(|&s| s <= MAX_RECORDS))
        .ok_or_else(|| format!("{field}: counts add up to more than {MAX_RECORDS}"))
}

/// `Err("field: n is more than what (bound)")` unless `n <= bound`.
fn at_most(n: u64, bound: u64, field: &str, what: &str) -> Result<(), String> {
    if n <= bound {
        Ok(())
    } else {
        Err(format!("{field}: {n} is more than {what} ({bound})"))
    }
}

/// `Err` unless `n == want`.
fn equal(n: u64, want: u64, field: &str, what: &str) -> Result<(), String> {
    if n == want {
        Ok(())
    } else {
        Err(format!("{field}: {n} is not {what} ({want})"))
    }
}

fn check_file(file: u32, inputs: usize, field: &str) -> Result<(), String> {
    if (file as usize) < inputs {
        Ok(())
    } else {
        Err(format!(
            "{field}: input {file} is not in the input list ({inputs} inputs)"
        ))
    }
}

fn check_examples(e: &Examples, count: u64, inputs: usize, field: &str) -> Result<(), String> {
    at_most(
        e.0.len() as u64,
        count,
        &format!("{field}.examples"),
        "the count",
    )?;
    for s in &e.0 {
        check_file(s.loc.file, inputs, &format!("{field}.examples"))?;
    }
    Ok(())
}

fn check_span(first: Option<i64>, last: Option<i64>, field: &str) -> Result<(), String> {
    match (first, last) {
        (None, None) => Ok(()),
        (Some(f), Some(l)) => {
            for (t, name) in [(f, "first_ms"), (l, "last_ms")] {
                if !time_in_range(t) {
                    return Err(format!("{field}{name}: {t} is not a time (epoch ms)"));
                }
            }
            if f > l {
                return Err(format!("{field}first_ms: {f} is after last_ms ({l})"));
            }
            Ok(())
        }
        _ => Err(format!(
            "{field}first_ms: set without last_ms, or last_ms without first_ms"
        )),
    }
}

impl Summary {
    /// Checks a summary read from an untrusted file (a partial) before it is
    /// merged or reported: settings that arithmetic relies on (`bucket_ms`
    /// at least 1), input indices within `inputs`, times a timestamp can
    /// have, timeline keys that are bucket starts, and the invariants every
    /// summary a run builds keeps (`records = responses + skipped +
    /// excluded` per input; classes, codes, endpoints per class and the
    /// timeline plus `untimed` each add up to the responses; skip reasons to
    /// the skipped records; every other count at most the responses). Every
    /// sum is checked against [`MAX_RECORDS`], so every counter of a valid
    /// summary is at most [`MAX_RECORDS`] and merging valid summaries whose
    /// records add up to at most that cannot overflow.
    ///
    /// The error is `field: what is wrong`, the field as a path in the
    /// summary's JSON.
    pub fn validate(&self, inputs: usize) -> Result<(), String> {
        if self.settings.bucket_ms < 1 {
            return Err("settings.bucket_ms: must be at least 1".to_string());
        }
        if !(2..=MAX_BUCKETS_LIMIT).contains(&self.settings.max_buckets) {
            return Err(format!(
                "settings.max_buckets: must be 2 to {MAX_BUCKETS_LIMIT}"
            ));
        }
        let b = self.timeline_ms;
        let rungs: Vec<i64> = ladder(self.settings.bucket_ms).collect();
        if !rungs.contains(&b) {
            return Err(format!(
                "timeline_ms: {b} is not a width of the ladder over bucket_ms {}",
                self.settings.bucket_ms
            ));
        }
        for (&k, f) in &self.files {
            let field = format!("files.{k}");
            check_file(k, inputs, "files")?;
            let parts = checked_sum([f.responses, f.skipped, f.excluded], &field)?;
            equal(
                f.records,
                parts,
                &format!("{field}.records"),
                "responses + skipped + excluded",
            )?;
            at_most(f.events, f.skipped, &format!("{field}.events"), "skipped")?;
        }
        checked_sum(self.files.values().map(|f| f.records), "files")?;
        let responses = checked_sum(self.files.values().map(|f| f.responses), "files")?;
        let skipped = checked_sum(self.files.values().map(|f| f.skipped), "files")?;
        let classes = checked_sum(self.classes, "classes")?;
        equal(classes, responses, "classes", "the responses of files")?;

        let mut violations = 0u64;
        for (i, t) in self.violations.iter().enumerate() {
            let field = format!("violations.{i}");
            check_examples(&t.examples, t.count, inputs, &field)?;
            violations = checked_sum([violations, t.count], "violations")?;
        }
        at_most(violations, responses, "violations", "the responses")?;

        let mut codes = 0u64;
        let mut clients = self.codes.client_rows().peekable();
        for (k, stat) in self.codes.rows(usize::MAX) {
            let field = format!("codes.{} {} {:?}", k.status, k.class.name(), k.code);
            let n = stat.tally.count;
            codes = checked_sum([codes, n], "codes")?;
            check_examples(&stat.tally.examples, n, inputs, &format!("{field}.tally"))?;
            let mut sum = 0u64;
            while let Some(((ck, c), m)) = clients.next_if(|((ck, _), _)| *ck <= k) {
                if ck != k {
                    return Err(format!(
                        "codes.clients: {c:?} of {} {} {:?}, a code without a row",
                        ck.status,
                        ck.class.name(),
                        ck.code
                    ));
                }
                sum = checked_sum([sum, m], &field)?;
            }
            at_most(sum, n, &format!("{field}.clients"), "the count")?;
            check_span(stat.first_ms, stat.last_ms, &format!("{field}."))?;
        }
        if let Some(((ck, c), _)) = clients.next() {
            return Err(format!(
                "codes.clients: {c:?} of {} {} {:?}, a code without a row",
                ck.status,
                ck.class.name(),
                ck.code
            ));
        }
        equal(codes, responses, "codes", "the responses")?;

        let mut undocumented = 0u64;
        for (status, t) in &self.undocumented_statuses {
            let field = format!("undocumented_statuses.{status}");
            check_examples(&t.examples, t.count, inputs, &field)?;
            undocumented = checked_sum([undocumented, t.count], "undocumented_statuses")?;
        }
        at_most(
            undocumented,
            responses,
            "undocumented_statuses",
            "the responses",
        )?;
        for (t, field) in [
            (&self.body_status_mismatch, "body_status_mismatch"),
            (&self.json_with_non_json_type, "json_with_non_json_type"),
        ] {
            check_examples(&t.examples, t.count, inputs, field)?;
            at_most(
                t.count,
                responses,
                &format!("{field}.count"),
                "the responses",
            )?;
        }

        let mut reasons = 0u64;
        for (reason, t) in &self.skipped {
            let field = format!("skipped.{reason:?}");
            reasons = checked_sum([reasons, t.count], "skipped")?;
            at_most(
                t.first.len() as u64,
                t.count,
                &format!("{field}.first"),
                "the count",
            )?;
            for (loc, _) in &t.first {
                check_file(loc.file, inputs, &format!("{field}.first"))?;
            }
        }
        equal(reasons, skipped, "skipped", "the skipped records of files")?;

        let mut at = [0u64; 8];
        for (_, e) in self.endpoints.rows() {
            for (a, &b) in at.iter_mut().zip(&e.classes) {
                *a = checked_sum([*a, b], "endpoints")?;
            }
        }
        for (i, (&n, &at)) in self.classes.iter().zip(&at).enumerate() {
            equal(
                at,
                n,
                &format!("endpoints (class {i})"),
                "the count of the class",
            )?;
        }

        let mut timed = 0u64;
        for (&start, bucket) in &self.timeline {
            let field = format!("timeline.{start}");
            if !time_in_range(start) {
                return Err(format!("{field}: {start} is not a time (epoch ms)"));
            }
            if start.rem_euclid(b) != 0 {
                let name = if b == self.settings.bucket_ms {
                    "bucket_ms"
                } else {
                    "timeline_ms"
                };
                return Err(format!(
                    "{field}: not a bucket start (a multiple of {name} {b})"
                ));
            }
            timed = checked_sum([timed, bucket.responses], "timeline")?;
            let keyed = checked_sum(bucket.by_key.values().copied(), &field)?;
            at_most(
                keyed,
                bucket.responses,
                &format!("{field}.by_key"),
                "its responses",
            )?;
            for key in bucket.by_key.keys() {
                match split_timeline_key(key) {
                    Some((_, c, _)) if c != Class::Ok => {}
                    _ => {
                        return Err(format!(
                        "{field}.by_key: {key:?} is not a status, a class other than ok and a code"
                    ))
                    }
                }
            }
        }
        if !timeline_span_fits(&self.timeline) {
            return Err("timeline: its first and last buckets are too far apart".to_string());
        }
        if let (Some(&f), Some(&l)) = (
            self.timeline.keys().next(),
            self.timeline.keys().next_back(),
        ) {
            if Some(&b) != rungs.last()
                && bucket_count(f, l, b) > i128::from(self.settings.max_buckets)
            {
                return Err(format!(
                    "timeline: more than max_buckets ({}) buckets of {b} ms",
                    self.settings.max_buckets
                ));
            }
        }
        let timed = checked_sum([timed, self.untimed], "untimed")?;
        equal(timed, responses, "timeline", "the responses (with untimed)")?;
        check_span(self.first_ms, self.last_ms, "")?;
        self.hosts.validate(checked_sum(
            self.files.values().map(|f| f.records),
            "files",
        )?)?;
        Ok(())
    }
}

/// The buckets of `t` regrouped into buckets of `width` ms.
fn coarsened(t: BTreeMap<i64, Bucket>, width: i64) -> BTreeMap<i64, Bucket> {
    let mut out: BTreeMap<i64, Bucket> = BTreeMap::new();
    for (start, b) in t {
        add_bucket(out.entry(bucket_start(start, width)).or_default(), b);
    }
    out
}

fn add_bucket(mine: &mut Bucket, b: Bucket) {
    mine.responses += b.responses;
    for (key, n) in b.by_key {
        *mine.by_key.entry(key).or_default() += n;
    }
}

fn insert_first(v: &mut Vec<(Locator, String)>, item: (Locator, String), limit: usize) {
    if v.iter().any(|(l, _)| *l == item.0) {
        return;
    }
    let at = v.partition_point(|(l, _)| *l < item.0);
    if at >= limit {
        return;
    }
    v.insert(at, item);
    v.truncate(limit);
}

fn min_opt(a: Option<i64>, b: Option<i64>, f: fn(i64, i64) -> i64) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::classify::classify;
    use crate::exchange::{Body, Exchange};

    fn summary_of(items: &[(u64, u16, &str)]) -> Summary {
        let cat = Catalog::builtin();
        let mut s = Summary::default();
        for &(i, status, body) in items {
            let loc = Locator {
                file: (i % 3) as u32,
                index: i,
            };
            if status == 999 {
                s.add_skipped(loc, SkipReason::NotJson, &format!("line {i}"));
                continue;
            }
            let url = format!("https://api.tapeapp.com/v1/record/{i}?token=secret{i}");
            let ex = Exchange {
                status: Some(status),
                body: Body::Text(body.into()),
                time_ms: Some(i as i64 * 17_000),
                url: Some(url.into()),
                request_id: Some(format!("req-{i}").into()),
                credential: Some(format!("Bearer key{}", i % 2).into()),
                ..Exchange::default()
            };
            s.add(loc, &ex, &classify(&ex, &cat));
        }
        s
    }

    fn items() -> Vec<(u64, u16, &'static str)> {
        let env = r#"{"error_code":"not_found","error_message":"x"}"#;
        (0..40)
            .map(|i| match i % 5 {
                0 => (i, 404, env),
                1 => (i, 200, "{}"),
                2 => (i, 502, "<html>"),
                3 => (i, 999, ""),
                _ => (i, 409, env),
            })
            .collect()
    }

    #[test]
    fn merge_is_order_free() {
        let items = items();
        let whole = summary_of(&items);
        for split in [1, 7, 13, 39] {
            let (a, b) = items.split_at(split);
            let mut ab = summary_of(a);
            ab.merge(summary_of(b));
            let mut ba = summary_of(b);
            ba.merge(summary_of(a));
            assert_eq!(ab, whole);
            assert_eq!(ba, whole);
        }
        let mut id = Summary::default();
        id.merge(whole.clone());
        assert_eq!(id, whole);
        assert_eq!(whole.records(), whole.responses() + whole.skipped_count());
        assert_eq!(whole.class(Class::Documented), 8);
        assert_eq!(whole.violation(Violation::NotJson).count, 8);
        assert_eq!(
            whole.undocumented_statuses[&502].examples.0[0].loc,
            Locator { file: 0, index: 12 }
        );
        assert_eq!(whole.skipped["not_json"].first.len(), 5);
        let ep = whole
            .endpoints
            .rows()
            .find(|(k, _)| k == "api.tapeapp.com\u{1e}/v1/record/{id}");
        assert_eq!(ep.map(|(_, e)| e.responses()), Some(32));
        let (_, nf) = whole
            .codes()
            .into_iter()
            .find(|(k, _)| k.code == "not_found" && k.status == 404)
            .unwrap();
        assert_eq!(nf.clients.values().sum::<u64>(), 8);
        assert_eq!(nf.tally.examples.0[0].request_id.as_deref(), Some("req-0"));
    }

    #[test]
    fn serde_round_trip() {
        let whole = summary_of(&items());
        let json = serde_json::to_string(&whole).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, whole);
    }

    #[test]
    fn timeline_keys() {
        let k = timeline_key(404, Class::Documented, "not_found");
        assert_eq!(
            split_timeline_key(&k),
            Some((404, Class::Documented, "not_found"))
        );
        let k = timeline_key(0, Class::NoResponse, "");
        assert_eq!(split_timeline_key(&k), Some((0, Class::NoResponse, "")));
    }
}
