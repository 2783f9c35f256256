//! The catalog of documented errors: which (status, error_code) pairs the API's
//! docs promise. It knows nothing of inputs; it only answers lookups.
//!
//! The default catalog is the Tape errors page itself (`spec/tape-errors.md`,
//! embedded in the binary) plus a small errata file (`spec/tape-errata.toml`)
//! for what the page gets wrong. A user's `--spec` may be such a Markdown page,
//! or a JSON or TOML catalog of the same content.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The Tape errors page, shipped verbatim.
pub const DEFAULT_PAGE: &str = include_str!("../spec/tape-errors.md");
/// Corrections to the page taken from other pages of the same docs.
pub const DEFAULT_ERRATA: &str = include_str!("../spec/tape-errata.toml");

/// One documented (status, error_code) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// HTTP status the code is documented under.
    pub status: u16,
    /// The `error_code` string.
    pub error_code: String,
    /// What the docs say the error means.
    #[serde(default)]
    pub description: String,
    /// When this spelling is an alias: the code it stands in for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<String>,
    /// Where the alias comes from, or any other remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The on-disk shape of a JSON or TOML catalog.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    errors: Vec<Entry>,
    /// The API's hosts (`api.example.com`, `*.example.com`): the default
    /// host scope of an audit (see `crate::scope`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    hosts: Vec<String>,
}

/// The API host of the embedded catalog (the Tape docs: the API is served
/// under `https://api.tapeapp.com/v1/...`).
pub const BUILTIN_HOSTS: &[&str] = &["api.tapeapp.com"];

/// What the catalog says of a (status, error_code) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'c> {
    /// The pair is documented (possibly through an alias).
    Documented(&'c Entry),
    /// The code is documented, but only under these other statuses.
    OtherStatus(&'c [u16]),
    /// The code is not documented at all; a near miss when one exists.
    Unknown(Option<&'c str>),
}

/// The documented errors, indexed for lookups.
#[derive(Debug, Clone)]
pub struct Catalog {
    entries: Vec<Entry>,
    /// Where the catalog came from, for the report.
    source: String,
    /// Per code: entry index per documented status.
    by_code: HashMap<String, Vec<(u16, usize)>>,
    statuses_by_code: HashMap<String, Vec<u16>>,
    statuses: Vec<u16>,
    /// The API's host patterns, as declared.
    hosts: Vec<String>,
}

impl Catalog {
    /// Builds a catalog from entries; later duplicates of a pair are ignored.
    pub fn new(source: impl Into<String>, entries: Vec<Entry>) -> Catalog {
        let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
        let mut by_code: HashMap<String, Vec<(u16, usize)>> = HashMap::new();
        let mut statuses_by_code: HashMap<String, Vec<u16>> = HashMap::new();
        for e in entries {
            let pairs = by_code.entry(e.error_code.clone()).or_default();
            if pairs.iter().any(|(s, _)| *s == e.status) {
                continue;
            }
            pairs.push((e.status, kept.len()));
            let st = statuses_by_code.entry(e.error_code.clone()).or_default();
            if !st.contains(&e.status) {
                st.push(e.status);
                st.sort_unstable();
            }
            kept.push(e);
        }
        let mut statuses: Vec<u16> = kept.iter().map(|e| e.status).collect();
        statuses.sort_unstable();
        statuses.dedup();
        Catalog {
            entries: kept,
            source: source.into(),
            by_code,
            statuses_by_code,
            statuses,
            hosts: Vec::new(),
        }
    }

    /// The same catalog declaring these API hosts (exact or `*.suffix`).
    pub fn with_hosts(mut self, hosts: Vec<String>) -> Catalog {
        self.hosts = hosts;
        self
    }

    /// The API hosts the catalog declares (may be none).
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The embedded default: the Tape errors page plus its errata.
    pub fn builtin() -> Catalog {
        let mut entries = parse_markdown(DEFAULT_PAGE, "tape-errors.md")
            .expect("the embedded errors page parses");
        entries.extend(
            parse_toml(DEFAULT_ERRATA, "tape-errata.toml").expect("the embedded errata parse"),
        );
        Catalog::new("builtin: Tape errors page + errata", entries)
            .with_hosts(BUILTIN_HOSTS.iter().map(|h| h.to_string()).collect())
    }

    /// Loads and merges catalog files, each parsed by its content.
    pub fn from_files(paths: &[impl AsRef<Path>]) -> Result<Catalog, Error> {
        let mut entries = Vec::new();
        let mut names = Vec::new();
        let mut hosts: Vec<String> = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            let name = p.display().to_string();
            entries.extend(parse_any(&text, &name)?);
            for h in parse_hosts(&text, &name)? {
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
            names.push(name);
        }
        Ok(Catalog::new(names.join(", "), entries).with_hosts(hosts))
    }

    /// All entries, aliases included, in the order given.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Where the catalog came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The entry for a documented pair.
    pub fn get(&self, status: u16, code: &str) -> Option<&Entry> {
        self.by_code
            .get(code)?
            .iter()
            .find(|(s, _)| *s == status)
            .map(|&(_, i)| &self.entries[i])
    }

    /// Whether any entry documents this status.
    pub fn mentions_status(&self, status: u16) -> bool {
        self.statuses.binary_search(&status).is_ok()
    }

    /// Classifies a (status, code) pair against the catalog.
    pub fn lookup(&self, status: u16, code: &str) -> Lookup<'_> {
        if let Some(e) = self.get(status, code) {
            return Lookup::Documented(e);
        }
        if let Some(st) = self.statuses_by_code.get(code) {
            return Lookup::OtherStatus(st);
        }
        Lookup::Unknown(self.near_miss(code))
    }

    /// The documented statuses of a code, empty when undocumented.
    pub fn statuses_of(&self, code: &str) -> &[u16] {
        self.statuses_by_code
            .get(code)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The documented code closest to `code`: the same after folding case
    /// and separators, or within a small edit distance.
    pub fn near_miss(&self, code: &str) -> Option<&str> {
        let folded = fold(code);
        let mut best: Option<(usize, &str)> = None;
        for e in &self.entries {
            let cand = e.error_code.as_str();
            let d = if fold(cand) == folded {
                0
            } else {
                strsim::levenshtein(&folded, &fold(cand))
            };
            let limit = if folded.len() <= 4 { 1 } else { 2 };
            if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, cand));
            }
        }
        best.map(|(_, c)| c)
    }

    /// The canonical spelling and its aliases, for every code that has aliases.
    pub fn alias_groups(&self) -> BTreeMap<(u16, String), Vec<String>> {
        let mut groups: BTreeMap<(u16, String), Vec<String>> = BTreeMap::new();
        for e in &self.entries {
            if let Some(canon) = &e.alias_of {
                groups
                    .entry((e.status, canon.clone()))
                    .or_default()
                    .push(e.error_code.clone());
            }
        }
        groups
    }

    /// The catalog as a JSON document that `--spec` reads back.
    pub fn to_json(&self) -> String {
        let file = CatalogFile {
            errors: self.entries.clone(),
            hosts: self.hosts.clone(),
        };
        serde_json::to_string_pretty(&file).expect("a catalog serializes")
    }
}

fn fold(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '-' | ' ' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Parses a catalog file by its content: JSON when it opens with `{`, a
/// Markdown page when it has a table, TOML otherwise.
pub fn parse_any(text: &str, name: &str) -> Result<Vec<Entry>, Error> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') {
        return parse_json(t, name);
    }
    if t.lines().any(|l| l.trim_start().starts_with('|')) {
        return parse_markdown(text, name);
    }
    parse_toml(text, name)
}

/// The `hosts` list of a JSON or TOML catalog (a Markdown page declares
/// none), each checked to be a host or `*.suffix`.
pub fn parse_hosts(text: &str, name: &str) -> Result<Vec<String>, Error> {
    #[derive(Deserialize)]
    struct HostsOnly {
        #[serde(default)]
        hosts: Vec<String>,
    }
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let hosts = if t.starts_with('{') {
        serde_json::from_str::<HostsOnly>(t)
            .map(|h| h.hosts)
            .unwrap_or_default()
    } else if t.lines().any(|l| l.trim_start().starts_with('|')) {
        Vec::new()
    } else {
        toml::from_str::<HostsOnly>(text)
            .map(|h| h.hosts)
            .unwrap_or_default()
    };
    for h in &hosts {
        crate::scope::Pattern::parse(h).map_err(|msg| Error::Spec {
            path: name.into(),
            line: 0,
            msg: format!("hosts: {msg}"),
        })?;
    }
    Ok(hosts)
}

/// Parses a JSON catalog: `{"errors": [{"status": 400, "error_code": ...}]}`.
pub fn parse_json(text: &str, name: &str) -> Result<Vec<Entry>, Error> {
    let file: CatalogFile = serde_json::from_str(text).map_err(|e| Error::Spec {
        path: name.into(),
        line: e.line(),
        msg: strip_serde_position(&e.to_string()),
    })?;
    validate(file.errors, name)
}

/// Parses a TOML catalog: `[[errors]]` tables with the same keys as JSON.
pub fn parse_toml(text: &str, name: &str) -> Result<Vec<Entry>, Error> {
    let file: CatalogFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        Error::Spec {
            path: name.into(),
            line,
            // One line: the parser's message may span several.
            msg: e
                .message()
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("; "),
        }
    })?;
    validate(file.errors, name)
}

fn strip_serde_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn validate(entries: Vec<Entry>, name: &str) -> Result<Vec<Entry>, Error> {
    for (i, e) in entries.iter().enumerate() {
        let bad = if !(100..=599).contains(&e.status) {
            Some(format!(
                "status {} is not an HTTP status (100 to 599)",
                e.status
            ))
        } else if e.error_code.trim().is_empty() {
            Some("empty error_code".to_string())
        } else {
            None
        };
        if let Some(msg) = bad {
            return Err(Error::Spec {
                path: name.into(),
                line: 0,
                msg: format!("entry {}: {msg}", i + 1),
            });
        }
    }
    Ok(entries)
}

/// Parses every Markdown table whose header has a status column and an
/// error_code column. Backticks around cells are stripped; a front-matter
/// block and prose are ignored.
pub fn parse_markdown(text: &str, name: &str) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    let mut header: Option<Columns> = None;
    let mut saw_table = false;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim();
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let cells = split_row(line);
        if cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue; // the |---|---| separator
        }
        let Some(cols) = &header else {
            header = Columns::from_header(&cells);
            if header.is_some() {
                saw_table = true;
            }
            continue;
        };
        let cell = |i: Option<usize>| -> String {
            i.and_then(|i| cells.get(i))
                .map(|c| unquote(c))
                .unwrap_or_default()
        };
        let status_text = cell(Some(cols.status));
        let status: u16 = status_text.parse().map_err(|_| Error::Spec {
            path: name.into(),
            line: lineno,
            msg: format!("status `{status_text}` is not a number"),
        })?;
        let code = cell(Some(cols.code));
        let alias = cell(cols.alias_of);
        let note = cell(cols.note);
        entries.push(Entry {
            status,
            error_code: code,
            description: cell(cols.description),
            alias_of: (!alias.is_empty()).then_some(alias),
            note: (!note.is_empty()).then_some(note),
        });
        validate(entries[entries.len() - 1..].to_vec(), name).map_err(|e| match e {
            Error::Spec { path, msg, .. } => Error::Spec {
                path,
                line: lineno,
                msg: msg.trim_start_matches("entry 1: ").to_string(),
            },
            other => other,
        })?;
    }
    if !saw_table {
        return Err(Error::Spec {
            path: name.into(),
            line: 0,
            msg: "no table with a status column and an error_code column".into(),
        });
    }
    Ok(entries)
}

struct Columns {
    status: usize,
    code: usize,
    description: Option<usize>,
    alias_of: Option<usize>,
    note: Option<usize>,
}

impl Columns {
    fn from_header(cells: &[String]) -> Option<Columns> {
        let names: Vec<String> = cells.iter().map(|c| fold(&unquote(c))).collect();
        let find = |want: &[&str]| names.iter().position(|n| want.contains(&n.as_str()));
        Some(Columns {
            status: find(&["status", "status_code", "http_status", "http_status_code"])?,
            code: find(&["error_code", "code"])?,
            description: find(&["description", "meaning", "message"]),
            alias_of: find(&["alias_of"]),
            note: find(&["note", "notes"]),
        })
    }
}

/// Splits `| a | b \| c |` into cells, honouring escaped pipes.
fn split_row(line: &str) -> Vec<String> {
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    cells.push(cur.trim().to_string());
    cells
}

fn unquote(cell: &str) -> String {
    cell.trim().trim_matches('`').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_the_page_and_the_alias() {
        let c = Catalog::builtin();
        assert_eq!(c.entries().len(), 11);
        assert!(matches!(
            c.lookup(429, "too_many_requets"),
            Lookup::Documented(_)
        ));
        match c.lookup(429, "too_many_requests") {
            Lookup::Documented(e) => assert_eq!(e.alias_of.as_deref(), Some("too_many_requets")),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.lookup(409, "not_found"), Lookup::OtherStatus(&[404]));
        assert_eq!(c.lookup(404, "record_not_exists"), Lookup::Unknown(None));
        assert!(c.mentions_status(500));
        assert!(!c.mentions_status(502));
    }

    #[test]
    fn description_keeps_links_and_quotes() {
        let c = Catalog::builtin();
        let e = c.get(400, "validation_error").unwrap();
        assert!(e.description.contains("\"message\" property"));
    }

    #[test]
    fn near_misses() {
        let c = Catalog::builtin();
        assert_eq!(c.near_miss("NotFound"), Some("not_found"));
        assert_eq!(c.near_miss("Not-Found"), Some("not_found"));
        assert_eq!(c.near_miss("not_fund"), Some("not_found"));
        assert_eq!(c.near_miss("UNAUTHORIZED"), Some("unauthorized"));
        assert_eq!(c.near_miss("field_type_mismatch"), None);
    }

    #[test]
    fn markdown_errors_name_the_line() {
        let md = "# x\n\n| Status | error_code |\n|---|---|\n| 4o4 | `nf` |\n";
        let err = parse_markdown(md, "bad.md").unwrap_err().to_string();
        assert_eq!(err, "bad.md:5: status `4o4` is not a number");
        let err = parse_markdown("no table here", "x.md")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.md: no table"), "{err}");
    }

    #[test]
    fn markdown_escaped_pipes_and_extra_columns() {
        let md = "| Code | Status | Notes |\n|--|--|--|\n| `a\\|b` | 400 | x |\n";
        let e = parse_markdown(md, "m.md").unwrap();
        assert_eq!(e[0].error_code, "a|b");
        assert_eq!(e[0].status, 400);
        assert_eq!(e[0].note.as_deref(), Some("x"));
    }

    #[test]
    fn json_and_toml_errors_name_the_line() {
        let err = parse_json("{\"errors\": [\n{\"status\": \"x\"}]}", "c.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.json:2: "), "{err}");
        let err = parse_toml("[[errors]]\nstatus = 400\nerror_code = 3\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:3: "), "{err}");
        let err = parse_toml("[[errors]]\nstatus = 999\nerror_code = \"x\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an HTTP status"), "{err}");
    }

    #[test]
    fn json_round_trip() {
        let c = Catalog::builtin();
        let back = parse_any(&c.to_json(), "rt.json").unwrap();
        assert_eq!(back, c.entries());
    }
}
