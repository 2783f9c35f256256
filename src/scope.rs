//! Which hosts the contract is audited on, and per-host counts.
//!
//! A browser capture holds the API's traffic among bundles, fonts, CDNs,
//! analytics and trackers; their 404 pages are no finding about the API.
//! The scope says which hosts count:
//!
//! - `--all-hosts`: every host ([`Rule::All`]).
//! - `--api HOST[,HOST]`: only those, exact or `*.suffix` ([`Rule::Api`]);
//!   the rest are counted as excluded.
//! - by default ([`Rule::Default`]): when the inputs hold more than one
//!   host, the catalog's API hosts plus every host that sent at least one
//!   error envelope; when none of them is such a host, nothing is left out.
//!
//! Records without a host (server access logs that log only the path) are
//! never left out.
//!
//! The default scope depends on the whole input (a host's envelope may come
//! last), so it is decided at the end, from per-host aggregates: [`Split`]
//! folds records of hosts already known to be in scope into its main
//! summary and keeps one summary per host not yet known (`pending`). A host
//! is known once it matches the catalog or sends an envelope; its pending
//! summary then joins the main one. [`Split::finish`] decides the rest:
//! their records join the main summary, or are counted as excluded. Splits
//! merge like summaries, so the result does not depend on how the input was
//! split across threads, chunks or partials. The cost is one summary per
//! host that has not sent an envelope (the third-party hosts of a browser
//! capture); an API log holds one host and costs nothing more.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::aggregate::Summary;
use crate::classify::{Class, Verdict};
use crate::exchange::{Exchange, Locator};
use crate::redact::{self, Redact};
use crate::spill::{self, Runs};

/// Responses of one host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStat {
    /// Records of the host that got a class (in scope or not).
    pub responses: u64,
    /// Those with an error status (400 and up).
    pub errors: u64,
    /// Those whose body is a valid error envelope (`documented`,
    /// `status_mismatch`, `undocumented_code`).
    pub envelopes: u64,
    /// Those left out by the scope.
    pub excluded: u64,
}

/// Whether a class means the body was a valid error envelope.
pub fn is_envelope(c: Class) -> bool {
    matches!(
        c,
        Class::Documented | Class::StatusMismatch | Class::UndocumentedCode
    )
}

/// Responses per host (the host lowercased and redacted, as stored): in
/// memory, and in sorted runs past the memory budget (see [`spill`]), so a
/// capture with a million hosts holds a bounded table. Serialized as a map
/// in key order.
#[derive(Clone, Default)]
pub struct Hosts {
    mem: BTreeMap<String, HostStat>,
    runs: Runs<String, HostStat>,
}

fn add_host(a: &mut HostStat, b: HostStat, _: usize) {
    a.responses += b.responses;
    a.errors += b.errors;
    a.envelopes += b.envelopes;
    a.excluded += b.excluded;
}

impl Hosts {
    fn count(&mut self, host: &str, v: &Verdict<'_>, excluded: bool) {
        let one = HostStat {
            responses: 1,
            errors: u64::from(v.class.is_error()),
            envelopes: u64::from(is_envelope(v.class)),
            excluded: u64::from(excluded),
        };
        match self.mem.get_mut(host) {
            Some(s) => add_host(s, one, 0),
            None => self.insert(host.to_string(), one),
        }
    }

    fn insert(&mut self, host: String, st: HostStat) {
        add_host(self.mem.entry(host).or_default(), st, 0);
        if self.mem.len() > spill::budget() {
            let items: Vec<(String, HostStat)> =
                std::mem::take(&mut self.mem).into_iter().collect();
            if let Err(back) = self.runs.spill(items, add_host, 0) {
                self.mem.extend(back);
            }
        }
    }

    /// Whether no host was counted.
    pub fn is_empty(&self) -> bool {
        self.mem.is_empty() && self.runs.is_empty()
    }

    /// Whether `host` is in the part of the table held in memory.
    fn in_memory(&self, host: &str) -> bool {
        self.mem.contains_key(host)
    }

    /// Every host, in key order.
    pub fn rows(&self) -> spill::Merged<String, HostStat> {
        let mem = self.mem.iter().map(|(k, v)| (k.clone(), *v)).collect();
        self.runs.merged(mem, add_host, 0)
    }

    /// Adds another table's counts.
    pub fn merge(&mut self, other: Hosts) {
        let Hosts { mem, runs } = other;
        for (h, o) in mem {
            self.insert(h, o);
        }
        self.runs.absorb(runs, add_host, 0);
    }

    /// Counts every response as excluded.
    fn exclude_all(&mut self) {
        self.mem
            .values_mut()
            .for_each(|st| st.excluded = st.responses);
        self.runs.map_values(|st| st.excluded = st.responses);
    }

    /// Checks a table read from a partial: every count of a host at most
    /// its responses, and all responses at most `records`.
    pub fn validate(&self, records: u64) -> Result<(), String> {
        let mut total = 0u64;
        for (h, s) in self.rows() {
            for (n, what) in [
                (s.errors, "errors"),
                (s.envelopes, "envelopes"),
                (s.excluded, "excluded"),
            ] {
                if n > s.responses {
                    return Err(format!(
                        "hosts.{h:?}.{what}: {n} is more than its responses ({})",
                        s.responses
                    ));
                }
            }
            total = total
                .checked_add(s.responses)
                .filter(|&t| t <= records)
                .ok_or_else(|| format!("hosts: more responses than the records ({records})"))?;
        }
        Ok(())
    }

    /// This table with its hosts redacted (for a partial made with
    /// `--unsafe-show-secrets`); hosts that become one are added up.
    pub fn redacted(self) -> Hosts {
        let mut out = Hosts::default();
        for (h, s) in self.rows() {
            out.insert(redact::text(&h, Redact::On).into_owned(), s);
        }
        out
    }
}

impl std::fmt::Debug for Hosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hosts({} in memory)", self.mem.len())
    }
}

impl PartialEq for Hosts {
    fn eq(&self, o: &Self) -> bool {
        self.rows().eq(o.rows())
    }
}
impl Eq for Hosts {}

/// A map of host to counts, in key order, written while the runs are read.
impl Serialize for Hosts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.rows())
    }
}

/// Read as it is serialized, each host added (and spilled past the budget)
/// as it is read.
impl<'de> Deserialize<'de> for Hosts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Hosts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of hosts to their counts")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Hosts, A::Error> {
                let mut t = Hosts::default();
                while let Some((k, v)) = m.next_entry::<String, HostStat>()? {
                    t.insert(k, v);
                }
                Ok(t)
            }
        }
        d.deserialize_map(V)
    }
}

/// Distinct hosts, other than the catalog's API hosts, whose scope the
/// default rule may keep undecided (each with its own pending summary)
/// before it gives up and audits every host, unless the hidden environment
/// variable `TAPE_AUDIT_MAX_PENDING_HOSTS` says otherwise (the tests lower
/// it).
pub const DEFAULT_MAX_PENDING_HOSTS: usize = 256;

/// See [`DEFAULT_MAX_PENDING_HOSTS`].
pub fn max_pending_hosts() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("TAPE_AUDIT_MAX_PENDING_HOSTS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n >= 1)
            .unwrap_or(DEFAULT_MAX_PENDING_HOSTS)
    })
}

/// A host pattern of `--api` or a catalog: an exact host, or `*.suffix`
/// for any host under the suffix. Both ignore ASCII case and a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Pattern {
    /// `api.tapeapp.com`.
    Exact(String),
    /// `*.tapeapp.com`: stored as `.tapeapp.com`.
    Suffix(String),
}

impl Pattern {
    /// Parses `HOST` or `*.SUFFIX`.
    pub fn parse(s: &str) -> Result<Pattern, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = |why: &str| Err(format!("`{s}` is not a host or `*.suffix`: {why}"));
        if t.is_empty() {
            return bad("empty");
        }
        if t.contains(['/', '@', '?', '#']) || t.chars().any(char::is_whitespace) {
            return bad("give the host alone, without a scheme, a path or a user");
        }
        if let Some(rest) = t.strip_prefix("*.") {
            if rest.is_empty() || rest.contains('*') {
                return bad("`*` may only start it, as in `*.example.com`");
            }
            return Ok(Pattern::Suffix(format!(".{rest}")));
        }
        if t.contains('*') {
            return bad("`*` may only start it, as in `*.example.com`");
        }
        Ok(Pattern::Exact(t))
    }

    /// Whether a (lowercased) host matches.
    pub fn matches(&self, host: &str) -> bool {
        self.matches_bare(without_port(host))
    }

    /// [`Pattern::matches`] for a host whose port is removed.
    fn matches_bare(&self, h: &str) -> bool {
        match self {
            Pattern::Exact(e) => h == without_port(e),
            Pattern::Suffix(s) => h.len() > s.len() && h.ends_with(s.as_str()),
        }
    }
}

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Pattern, String> {
        Pattern::parse(&s)
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.to_string()
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pattern::Exact(e) => f.write_str(e),
            Pattern::Suffix(s) => write!(f, "*{s}"),
        }
    }
}

/// `host` without a trailing `:port` (an IPv6 literal keeps its brackets).
/// Runs once per record: a host that does not end in a digit returns at
/// once.
fn without_port(host: &str) -> &str {
    let b = host.as_bytes();
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits == b.len() || b[b.len() - digits - 1] != b':' {
        return host;
    }
    let h = &host[..b.len() - digits - 1];
    if !h.contains(':') || h.ends_with(']') {
        h
    } else {
        host
    }
}

/// How the scope is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "hosts", rename_all = "snake_case")]
pub enum Rule {
    /// `--all-hosts`.
    All,
    /// `--api`.
    Api(Vec<Pattern>),
    /// The catalog's API hosts plus hosts that sent an envelope.
    Default(Vec<Pattern>),
    /// The hosts a first pass under [`Rule::Default`] decided on (stored
    /// keys, compared as they are); empty for every host.
    Decided(Vec<String>),
}

impl Rule {
    /// The rule in words, for partials (which merge only under one rule).
    pub fn describe(&self) -> String {
        let list = |p: &[Pattern]| {
            p.iter()
                .map(Pattern::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Rule::All => "all hosts".to_string(),
            Rule::Api(p) => format!("--api {}", list(p)),
            Rule::Default(p) if p.is_empty() => "default (hosts that sent an envelope)".into(),
            Rule::Default(p) => format!("default ({} and hosts that sent an envelope)", list(p)),
            Rule::Decided(h) if h.is_empty() => "all hosts".to_string(),
            Rule::Decided(h) => format!("hosts {}", h.join(",")),
        }
    }

    /// The rule of an audit: `--all-hosts`, `--api`, or the catalog's hosts.
    pub fn of(all_hosts: bool, api: &[String], catalog: &[String]) -> Result<Rule, String> {
        if all_hosts {
            return Ok(Rule::All);
        }
        if !api.is_empty() {
            let p = api
                .iter()
                .map(|h| Pattern::parse(h))
                .collect::<Result<_, _>>();
            return p.map(Rule::Api).map_err(|e| format!("--api: {e}"));
        }
        catalog
            .iter()
            .map(|h| Pattern::parse(h))
            .collect::<Result<_, _>>()
            .map(Rule::Default)
    }

    /// Under a rule fixed before the run (`--api`, decided), whether a
    /// host's records count.
    fn fixed_keeps(&self, key: &str) -> bool {
        match self {
            Rule::Api(p) => Rule::matches(p, key),
            Rule::Decided(h) => h.is_empty() || h.iter().any(|h| h == key),
            Rule::All | Rule::Default(_) => true,
        }
    }

    fn matches(p: &[Pattern], host: &str) -> bool {
        let h = without_port(host);
        p.iter().any(|p| p.matches_bare(h))
    }
}

/// The scope a report was made with, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// The hosts audited; empty when every host is.
    pub hosts: Vec<String>,
    /// Why these hosts, in words.
    pub reason: String,
    /// Records left out by the scope.
    pub excluded_records: u64,
    /// Hosts left out.
    pub excluded_hosts: u64,
}

impl Scope {
    /// `scope: api.tapeapp.com (…); 212 records from 14 other hosts excluded`.
    pub fn line(&self) -> String {
        let hosts = if self.hosts.is_empty() {
            "all hosts".to_string()
        } else {
            self.hosts.join(", ")
        };
        let mut s = format!("scope: {hosts} ({})", self.reason);
        if self.excluded_records > 0 {
            s.push_str(&format!(
                "; {} from {} excluded (--all-hosts audits them)",
                crate::report::count(self.excluded_records, "record", "records"),
                crate::report::count(self.excluded_hosts, "other host", "other hosts"),
            ));
        }
        s
    }
}

/// The key a host is counted under: lowercased and redacted.
fn host_key(host: &str, mode: Redact) -> Cow<'_, str> {
    let lower: Cow<'_, str> = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    match redact::text(&lower, mode) {
        Cow::Borrowed(_) => lower,
        Cow::Owned(o) => Cow::Owned(o),
    }
}

/// A summary split by whether each host is known to be in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Records of hosts in scope (and of records without a host), plus the
    /// per-host table of those hosts.
    pub main: Summary,
    /// Under the default rule: per host not yet known to be in scope, its
    /// records (always classified responses).
    pub pending: BTreeMap<String, Summary>,
    /// Under the default rule, the hosts other than the catalog's known to
    /// be in scope (they sent an envelope): their records go to `main`.
    known: BTreeSet<String>,
    /// Under the default rule, more than [`max_pending_hosts`] distinct
    /// hosts other than the catalog's were seen: every host is audited.
    /// The number of distinct hosts only grows, so once set it stays set
    /// whatever comes after, and the same inputs set it however they are
    /// split or ordered.
    wide: bool,
    /// The last host [`Split::add`] decided on, for the records of the same
    /// host that follow (a memo, not part of the value).
    last: LastHost,
}

/// A host as read, its key, and whether its records go to `main`. Only
/// decisions that never change are remembered: a host once in `main` stays
/// there (what put it there, a match, a known envelope or a wide scope,
/// only grows), and a fixed rule decides by the host alone.
#[derive(Debug, Clone, Default)]
struct LastHost(Option<(String, String, bool)>);

impl PartialEq for LastHost {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for LastHost {}

impl LastHost {
    fn remember(&mut self, host: &str, key: &str, main: bool) {
        let (h, k, m) = self.0.get_or_insert_with(Default::default);
        h.clear();
        h.push_str(host);
        k.clear();
        k.push_str(key);
        *m = main;
    }
}

impl Split {
    /// An empty split.
    pub fn new(settings: crate::aggregate::Settings) -> Split {
        Split {
            main: Summary::new(settings),
            pending: BTreeMap::new(),
            known: BTreeSet::new(),
            wide: false,
            last: LastHost::default(),
        }
    }

    /// The split of a summary and its pending hosts (from a partial, or an
    /// audit), built under `rule`: which hosts are known to be in scope, and
    /// whether there are too many hosts to keep pending, is read from them.
    pub fn of(main: Summary, pending: BTreeMap<String, Summary>, rule: &Rule) -> Split {
        let mut s = Split {
            main,
            pending,
            known: BTreeSet::new(),
            wide: false,
            last: LastHost::default(),
        };
        if let Rule::Default(p) = rule {
            let cap = max_pending_hosts();
            let mut known = BTreeSet::new();
            for (h, _) in s.main.hosts.rows() {
                if !Rule::matches(p, &h) {
                    known.insert(h);
                    if known.len() + s.pending.len() > cap {
                        break;
                    }
                }
            }
            s.known = known;
            if s.over_cap() {
                s.widen();
            }
        }
        s
    }

    fn over_cap(&self) -> bool {
        self.known.len() + self.pending.len() > max_pending_hosts()
    }

    /// Gives up keeping hosts pending: every host's records join `main`.
    fn widen(&mut self) {
        self.wide = true;
        self.known.clear();
        for (_, s) in std::mem::take(&mut self.pending) {
            self.main.merge(s);
        }
    }

    /// Counts a classified exchange that passed the filters; false when a
    /// rule fixed before the run (`--api`, a decided scope) leaves it out,
    /// so its row is not written either.
    pub fn add(&mut self, loc: Locator, ex: &Exchange<'_>, v: &Verdict<'_>, rule: &Rule) -> bool {
        let at = ex.host_and_path();
        let Some(host) = at.0 else {
            self.main.add_at(loc, ex, v, at);
            return true;
        };
        if let Some((h, key, main)) = &self.last.0 {
            if h == host {
                self.main.hosts.count(key, v, !main);
                if *main {
                    self.main.add_at(loc, ex, v, at);
                } else {
                    self.main.add_excluded(loc);
                }
                return *main;
            }
        }
        let mode = if self.main.settings.redact {
            Redact::On
        } else {
            Redact::Off
        };
        // A host seen before is its own key (keys are lowercase and
        // redacted, and redacting a key again changes nothing): most
        // records skip the redactor.
        let key = if self.main.hosts.in_memory(host) || self.pending.contains_key(host) {
            Cow::Borrowed(host)
        } else {
            host_key(host, mode)
        };
        match rule {
            Rule::All => {
                self.last.remember(host, &key, true);
                self.main.hosts.count(&key, v, false);
                self.main.add_at(loc, ex, v, at);
            }
            Rule::Api(_) | Rule::Decided(_) => {
                let keep = rule.fixed_keeps(&key);
                self.last.remember(host, &key, keep);
                self.main.hosts.count(&key, v, !keep);
                if !keep {
                    self.main.add_excluded(loc);
                    return false;
                }
                self.main.add_at(loc, ex, v, at);
            }
            Rule::Default(p) => {
                let pending = self.pending.contains_key(key.as_ref());
                if !self.wide
                    && !pending
                    && !self.known.contains(key.as_ref())
                    && !Rule::matches(p, &key)
                    && self.known.len() + self.pending.len() >= max_pending_hosts()
                {
                    // One more host to keep pending than the cap allows.
                    self.widen();
                }
                if !pending
                    && (self.wide || self.known.contains(key.as_ref()) || Rule::matches(p, &key))
                {
                    self.last.remember(host, &key, true);
                    self.main.hosts.count(&key, v, false);
                    self.main.add_at(loc, ex, v, at);
                    return true;
                }
                let settings = self.main.settings;
                let part = match self.pending.get_mut(key.as_ref()) {
                    Some(s) => s,
                    None => self
                        .pending
                        .entry(key.to_string())
                        .or_insert_with(|| Summary::new(settings)),
                };
                part.hosts.count(&key, v, false);
                part.add_at(loc, ex, v, at);
                if is_envelope(v.class) {
                    self.promote(&key);
                }
            }
        }
        true
    }

    /// Moves a host's pending records into the main summary: it is known
    /// to be in scope.
    fn promote(&mut self, host: &str) {
        if let Some(s) = self.pending.remove(host) {
            self.main.merge(s);
            self.known.insert(host.to_string());
        }
    }

    /// Folds another split (built under the same rule) into this one.
    pub fn merge(&mut self, other: Split) {
        let Split {
            main,
            pending,
            known,
            wide,
            last: _,
        } = other;
        self.main.merge(main);
        if wide && !self.wide {
            self.widen();
        }
        if self.wide {
            for (_, s) in pending {
                self.main.merge(s);
            }
            return;
        }
        self.known.extend(known);
        for (h, s) in pending {
            match self.pending.get_mut(&h) {
                Some(mine) => mine.merge(s),
                None => {
                    self.pending.insert(h, s);
                }
            }
        }
        // A host the other side knew to be in scope is in scope here too.
        let known: Vec<String> = self
            .pending
            .keys()
            .filter(|h| self.known.contains(*h))
            .cloned()
            .collect();
        for h in known {
            self.promote(&h);
        }
        // Together the two sides may hold more hosts than either alone.
        if self.over_cap() {
            self.widen();
        }
    }

    /// Renumbers the inputs (for merging partials).
    pub fn remap_files(&mut self, map: impl Fn(u32) -> u32 + Copy) {
        self.main.remap_files(map);
        self.pending.values_mut().for_each(|s| s.remap_files(map));
    }

    /// Decides the scope of what is still pending and returns the summary
    /// the report is made of, with the scope and its reason.
    pub fn finish(self, rule: &Rule) -> (Summary, Scope) {
        let Split {
            mut main,
            pending,
            wide,
            ..
        } = self;
        let list = |p: &[Pattern]| p.iter().map(Pattern::to_string).collect::<Vec<_>>();
        let (hosts, reason) = match rule {
            Rule::All => (Vec::new(), "--all-hosts".to_string()),
            Rule::Api(p) => (list(p), "--api".to_string()),
            Rule::Decided(h) => (h.clone(), "decided by a first pass".to_string()),
            Rule::Default(p) if wide => {
                let what = if p.is_empty() {
                    "hosts"
                } else {
                    "hosts other than the catalog's API hosts"
                };
                (
                    Vec::new(),
                    format!(
                        "more than {} {what}, too many to scope: every host audited",
                        max_pending_hosts()
                    ),
                )
            }
            Rule::Default(p) => {
                let in_scope: Vec<String> = main.hosts.rows().map(|(h, _)| h).collect();
                let hosts_seen = in_scope.len() + pending.len();
                if hosts_seen == 0 {
                    (Vec::new(), "no record names a host".to_string())
                } else if hosts_seen == 1 {
                    (Vec::new(), "the inputs hold one host".to_string())
                } else if in_scope.is_empty() {
                    let why = if p.is_empty() {
                        format!("none of the {hosts_seen} hosts sent an error envelope")
                    } else {
                        format!(
                            "none of the {hosts_seen} hosts is an API host of the catalog ({}) or sent an error envelope",
                            list(p).join(", ")
                        )
                    };
                    (Vec::new(), why)
                } else {
                    let why = if p.is_empty() {
                        "default: the hosts that sent an error envelope"
                    } else {
                        "default: the catalog's API hosts and every host that sent an error envelope"
                    };
                    (in_scope, why.to_string())
                }
            }
        };
        let (mut excluded_records, mut excluded_hosts) = (0u64, 0u64);
        if hosts.is_empty() {
            for (_, s) in pending {
                main.merge(s);
            }
        } else {
            for (_, mut s) in pending {
                excluded_hosts += 1;
                for (&f, t) in &s.files {
                    // Pending records are classified responses: all of
                    // them become excluded records of their input.
                    let mine = main.files.entry(f).or_default();
                    mine.records += t.records;
                    mine.excluded += t.records;
                    excluded_records += t.records;
                }
                s.hosts.exclude_all();
                main.hosts.merge(s.hosts);
            }
        }
        if let Rule::Api(_) | Rule::Decided(_) = rule {
            for (_, st) in main.hosts.rows() {
                if st.excluded > 0 {
                    excluded_hosts += 1;
                    excluded_records += st.excluded;
                }
            }
        }
        (
            main,
            Scope {
                hosts,
                reason,
                excluded_records,
                excluded_hosts,
            },
        )
    }

    /// Checks a split read from a partial.
    pub fn validate(&self, inputs: usize) -> Result<(), String> {
        self.main.validate(inputs)?;
        for (h, s) in &self.pending {
            s.validate(inputs)
                .map_err(|e| format!("pending.{h:?}.{e}"))?;
            if s.skipped_count() > 0 || s.excluded() > 0 {
                return Err(format!("pending.{h:?}: holds skipped or excluded records"));
            }
            let rows: Vec<(String, HostStat)> = s.hosts.rows().take(2).collect();
            if rows.len() != 1 || rows[0].0 != *h {
                return Err(format!("pending.{h:?}.hosts: must hold that host alone"));
            }
            if rows.iter().any(|(_, st)| st.envelopes > 0) {
                return Err(format!(
                    "pending.{h:?}: sent an envelope, so is not pending"
                ));
            }
        }
        Ok(())
    }

    /// Records over the main and pending summaries.
    pub fn records(&self) -> u64 {
        self.main.records() + self.pending.values().map(Summary::records).sum::<u64>()
    }

    /// This split with its traffic text redacted (see [`Summary::redacted`]).
    pub fn redacted(self) -> Split {
        let mut out = Split::new(crate::aggregate::Settings {
            redact: true,
            ..self.main.settings
        });
        out.main = self.main.redacted();
        for (_, s) in self.pending {
            let s = s.redacted();
            let host = s.hosts.rows().next().map(|(h, _)| h).unwrap_or_default();
            let mut one = Split::new(out.main.settings);
            one.pending.insert(host, s);
            out.merge(one);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::classify::classify;
    use crate::exchange::Body;

    #[test]
    fn a_port_is_removed_only_after_a_host() {
        for (host, want) in [
            ("api.tapeapp.com", "api.tapeapp.com"),
            ("api.tapeapp.com:8443", "api.tapeapp.com"),
            ("api.tapeapp.com:", "api.tapeapp.com:"),
            ("api.tapeapp.com:84a3", "api.tapeapp.com:84a3"),
            ("[::1]:8080", "[::1]"),
            ("[::1]", "[::1]"),
            ("::1", "::1"),
            ("fe80::1:443", "fe80::1:443"),
            ("8080", "8080"),
            (":80", ""),
            ("", ""),
        ] {
            assert_eq!(without_port(host), want, "{host}");
        }
    }

    fn ex(url: &str, status: u16, body: &'static str) -> Exchange<'static> {
        Exchange {
            status: Some(status),
            body: Body::Text(body.into()),
            url: Some(url.to_string().into()),
            ..Exchange::default()
        }
    }

    fn records() -> Vec<Exchange<'static>> {
        let env = r#"{"error_code":"not_found","error_message":"x"}"#;
        vec![
            ex("https://cdn.example/a.png", 503, "<html>"),
            ex("https://api.tapeapp.com/v1/record/1", 404, env),
            ex("https://track.example/t", 404, "no"),
            ex("https://partner.example/x", 500, "<html>"),
            ex("https://cdn.example/b.png", 200, ""),
            ex("https://partner.example/y", 404, env),
            ex("/v1/local", 404, "x"),
        ]
    }

    fn split_of(items: &[Exchange<'static>], from: usize, rule: &Rule) -> Split {
        let cat = Catalog::builtin();
        let mut s = Split::new(Default::default());
        for (i, e) in items.iter().enumerate() {
            let loc = Locator {
                file: 0,
                index: (from + i) as u64,
            };
            let _ = s.add(loc, e, &classify(e, &cat), rule);
        }
        s
    }

    fn catalog_rule() -> Rule {
        Rule::Default(vec![Pattern::parse("api.tapeapp.com").unwrap()])
    }

    #[test]
    fn default_scope_keeps_api_and_envelope_hosts_whatever_the_split() {
        let items = records();
        let rule = catalog_rule();
        let (whole, scope) = split_of(&items, 0, &rule).finish(&rule);
        assert_eq!(scope.hosts, ["api.tapeapp.com", "partner.example"]);
        // cdn (2) and track (1) are left out; the partner's 500, sent
        // before its envelope, is kept.
        assert_eq!((scope.excluded_records, scope.excluded_hosts), (3, 2));
        assert_eq!(whole.responses(), 4);
        assert_eq!(whole.records(), 7);
        let cdn = whole
            .hosts
            .rows()
            .find(|(h, _)| h == "cdn.example")
            .unwrap();
        assert_eq!(cdn.1.excluded, 2);
        for at in 1..items.len() {
            let (a, b) = items.split_at(at);
            let mut ab = split_of(a, 0, &rule);
            ab.merge(split_of(b, at, &rule));
            let mut ba = split_of(b, at, &rule);
            ba.merge(split_of(a, 0, &rule));
            assert_eq!(ab.clone().finish(&rule), (whole.clone(), scope.clone()));
            assert_eq!(ba.finish(&rule), (whole.clone(), scope.clone()));
        }
    }

    #[test]
    fn nothing_excluded_without_an_api_or_envelope_host() {
        let items: Vec<_> = records()
            .into_iter()
            .filter(|e| !e.body.text().unwrap_or_default().contains("error_code"))
            .collect();
        let rule = catalog_rule();
        let (s, scope) = split_of(&items, 0, &rule).finish(&rule);
        assert!(scope.hosts.is_empty());
        assert_eq!(scope.excluded_records, 0);
        assert_eq!(s.responses(), items.len() as u64);
        assert!(
            scope.reason.contains("none of the 3 hosts"),
            "{}",
            scope.reason
        );
    }

    #[test]
    fn all_hosts_and_api() {
        let items = records();
        let (all, scope) = split_of(&items, 0, &Rule::All).finish(&Rule::All);
        assert_eq!(all.responses(), 7);
        assert_eq!(scope.excluded_records, 0);
        let rule = Rule::Api(vec![Pattern::parse("*.Example").unwrap()]);
        let (api, scope) = split_of(&items, 0, &rule).finish(&rule);
        // Hosts under example plus the record without a host.
        assert_eq!(api.responses(), 6);
        assert_eq!((scope.excluded_records, scope.excluded_hosts), (1, 1));
        assert_eq!(api.excluded(), 1);
    }

    #[test]
    fn patterns() {
        let p = Pattern::parse("API.tapeapp.com").unwrap();
        assert!(p.matches("api.tapeapp.com"));
        assert!(p.matches("api.tapeapp.com:443"));
        assert!(!p.matches("xapi.tapeapp.com"));
        let s = Pattern::parse("*.tapeapp.com").unwrap();
        assert!(s.matches("api.tapeapp.com"));
        assert!(!s.matches("tapeapp.com"));
        assert!(!s.matches("evil-tapeapp.com"));
        for bad in ["", "https://api.tapeapp.com", "api.*.com", "*.", "a b"] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(without_port("[::1]:8080"), "[::1]");
        assert_eq!(without_port("::1"), "::1");
    }
}
