//! Mergeable partial reports: the full aggregate state of a run as one JSON
//! document (`tape-audit/partial/v2`), so runs on many machines combine into
//! the report one run over all the input would give.
//!
//! Merging orders inputs by name, so the result does not depend on the
//! order partials are given in; every bounded list in the summary keeps the
//! first items by (input, position), which no grouping can change.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aggregate::{timeline_span_fits, Settings, Summary, MAX_RECORDS};
use crate::catalog::Catalog;
use crate::error::Error;
use crate::input::InputInfo;
use crate::pipeline::Audit;
use crate::sanitize::terminal;
use crate::scope::Split;

/// The partial document's schema name and version.
pub const SCHEMA: &str = "tape-audit/partial/v2";

/// The options that change results; partials merge only when these agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Summary settings (samples, bucket, redaction).
    pub settings: Settings,
    /// Filters in force, in words.
    pub filters: Vec<String>,
    /// `--input-format`, when forced.
    pub input_format: Option<String>,
    /// `--field` overrides, as NAME=PATH.
    pub fields: Vec<String>,
    /// `--max-record-mib`.
    pub max_record_mib: u32,
    /// The host scope rule; absent in partials older than host scopes
    /// (which hold no per-host state, so every host counts).
    #[serde(default)]
    pub scope: Option<crate::scope::Rule>,
}

/// Which catalog a partial was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogId {
    /// Where it came from.
    pub source: String,
    /// SHA-256 of its entries.
    pub fingerprint: String,
}

impl CatalogId {
    /// Identifies a catalog by the hash of its entries.
    pub fn of(cat: &Catalog) -> CatalogId {
        let digest = Sha256::digest(cat.to_json().as_bytes());
        CatalogId {
            source: cat.source().to_string(),
            fingerprint: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// The aggregate state of a run (or of merged runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    /// `tape-audit/partial/v2`; checked as soon as it is read (see
    /// [`schema_field`]).
    #[serde(deserialize_with = "schema_field")]
    pub schema: String,
    /// Tool version that wrote it.
    pub version: String,
    /// The catalog.
    pub catalog: CatalogId,
    /// Result-affecting options.
    pub options: Options,
    /// Inputs, in the order their indices refer to.
    pub inputs: Vec<InputInfo>,
    /// The aggregate of the hosts known to be in scope.
    pub summary: Summary,
    /// Per host whose scope is decided only when the whole input is known,
    /// its aggregate (see `crate::scope`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, Summary>,
}

thread_local! {
    /// The schema of the partial being read, when it is not [`SCHEMA`].
    static OTHER_SCHEMA: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Reads the `schema` field and refuses another schema right there: the
/// fields after it may have another shape in another version (v1's `codes`
/// was grouped by status), and the error should name the version, not the
/// first field that fails to parse.
fn schema_field<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s != SCHEMA {
        let msg = format!("schema `{s}` is not {SCHEMA}");
        OTHER_SCHEMA.with_borrow_mut(|o| *o = Some(s));
        return Err(serde::de::Error::custom(msg));
    }
    Ok(s)
}

/// The error for a partial of another schema.
fn other_schema(name: &str, schema: &str) -> Error {
    let schema = terminal(&crate::aggregate::cut(schema, 80)).into_owned();
    Error::Usage(if schema.starts_with("tape-audit/partial/") {
        format!(
            "{name}: a {schema} report; this build reads {SCHEMA} (make the partials again with this version)"
        )
    } else {
        format!("{name}: not a tape-audit partial (its schema is `{schema}`; `--format partial` writes one)")
    })
}

impl Partial {
    /// The partial of a finished run.
    pub fn of(audit: &Audit, cat: &Catalog, options: Options) -> Partial {
        Partial {
            schema: SCHEMA.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            catalog: CatalogId::of(cat),
            options,
            inputs: audit.inputs.clone(),
            summary: audit.summary.clone(),
            pending: audit.pending.clone(),
        }
    }

    /// Checks a partial read from an untrusted file: its schema, that its
    /// summary was built with its own options' settings, and
    /// [`Summary::validate`]. The error is `field: what is wrong`, the field
    /// as a path in the partial's JSON (`options.settings.bucket_ms: must
    /// be at least 1`).
    pub fn validate(&self) -> Result<(), String> {
        if self.schema != SCHEMA {
            return Err(format!("schema: `{}` is not {SCHEMA}", self.schema));
        }
        if self.options.settings.bucket_ms < 1 {
            return Err("options.settings.bucket_ms: must be at least 1".to_string());
        }
        if self.summary.settings != self.options.settings {
            return Err("summary.settings: differ from options.settings".to_string());
        }
        if u32::try_from(self.inputs.len()).is_err() {
            return Err(format!("inputs: {} inputs is too many", self.inputs.len()));
        }
        if self
            .pending
            .values()
            .any(|s| s.settings != self.options.settings)
        {
            return Err("pending: settings differ from options.settings".to_string());
        }
        self.summary
            .validate(self.inputs.len())
            .map_err(|e| format!("summary.{e}"))?;
        self.split_ref().validate(self.inputs.len())
    }

    fn split_ref(&self) -> crate::scope::Split {
        crate::scope::Split::of(
            Summary::new(self.options.settings),
            self.pending.clone(),
            &crate::scope::Rule::All,
        )
    }

    /// The run this partial stands for, ready for a report.
    pub fn into_audit(self) -> Audit {
        Audit {
            summary: self.summary,
            inputs: self.inputs,
            pending: self.pending,
            scope: None,
        }
    }
}

/// Merges partials. Refuses partials that fail [`Partial::validate`],
/// partials whose records add up to more than [`MAX_RECORDS`], and partials
/// made with another catalog or other result-affecting options, naming the
/// partial and what is wrong.
///
/// Every counter of a valid partial is at most its records, so with the
/// records of all partials checked to add up to at most [`MAX_RECORDS`],
/// none of the additions in [`Summary::merge`] (nor the sums the report
/// makes of them) can overflow.
pub fn merge(parts: Vec<(String, Partial)>) -> Result<Partial, Error> {
    let Some((first_name, first)) = parts.first() else {
        return Err(Error::Usage("merge needs at least one partial".into()));
    };
    let mut records = 0u64;
    for (name, p) in &parts {
        p.validate()
            .map_err(|e| Error::Usage(format!("{name}: {e}")))?;
        let own = p.summary.records() + p.pending.values().map(Summary::records).sum::<u64>();
        records = records
            .checked_add(own)
            .filter(|&n| n <= MAX_RECORDS)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{name}: summary.files: with the partials before it, more than {MAX_RECORDS} records"
                ))
            })?;
    }
    let timeline = common_timeline(&parts)?;
    for (name, p) in &parts[1..] {
        if p.catalog.fingerprint != first.catalog.fingerprint {
            return Err(Error::Usage(format!(
                "{name}: made with another catalog ({}) than {first_name} ({})",
                p.catalog.source, first.catalog.source
            )));
        }
        if let Some(what) = differs(&first.options, &p.options) {
            return Err(Error::Usage(format!(
                "{name}: {what} differs from {first_name}"
            )));
        }
    }
    // Every run numbers its inputs in name order, so renumbering each
    // partial into the merged name order keeps its locators' order, and the
    // first few of each list stay the first few of the whole.
    let mut all: Vec<(&str, usize, usize)> = Vec::new();
    for (i, (_, p)) in parts.iter().enumerate() {
        all.extend(
            p.inputs
                .iter()
                .enumerate()
                .map(|(j, info)| (info.name.as_str(), i, j)),
        );
    }
    all.sort();
    for w in all.windows(2) {
        if w[0].0 == w[1].0 && w[0].0 != "<stdin>" {
            eprintln!(
                "tape-audit: warning: {} is in both {} and {}: its records are counted twice",
                terminal(w[0].0),
                terminal(&parts[w[0].1].0),
                terminal(&parts[w[1].1].0)
            );
        }
    }
    let mut global: Vec<Vec<u32>> = parts.iter().map(|(_, p)| vec![0; p.inputs.len()]).collect();
    for (g, &(_, i, j)) in all.iter().enumerate() {
        global[i][j] = g as u32;
    }
    let inputs: Vec<InputInfo> = all
        .iter()
        .map(|&(_, i, j)| parts[i].1.inputs[j].clone())
        .collect();
    let (catalog, mut options) = (first.catalog.clone(), first.options.clone());
    let (base, max_buckets, width) = timeline;
    options.settings.bucket_ms = base;
    options.settings.max_buckets = max_buckets;
    let mut summary = Split::new(options.settings);
    summary.main.timeline_ms = width;
    for (i, (name, p)) in parts.into_iter().enumerate() {
        let rule = p.options.scope.clone().unwrap_or(crate::scope::Rule::All);
        let mut s = Split::of(p.summary, p.pending, &rule);
        s.main.settings.max_buckets = max_buckets;
        s.main.rebase_timeline(base, width);
        // A host's pending records keep the finest width that holds their
        // own span (as in the direct run); joining the main summary later
        // coarsens it as the direct run would.
        for part in s.pending.values_mut() {
            part.settings.max_buckets = max_buckets;
            let own = part.first_ms.zip(part.last_ms);
            let w = crate::aggregate::timeline_width(base, max_buckets, own, &[part.timeline_ms])
                .unwrap_or(part.timeline_ms);
            part.rebase_timeline(base, w);
        }
        let map = &global[i];
        s.remap_files(|f| map.get(f as usize).copied().unwrap_or(f));
        summary.merge(s);
        if !timeline_span_fits(&summary.main.timeline)
            || summary
                .pending
                .values()
                .any(|p| !timeline_span_fits(&p.timeline))
        {
            return Err(Error::Usage(format!(
                "{name}: summary.timeline: with the partials before it, the first and last buckets are too far apart"
            )));
        }
    }
    Ok(Partial {
        schema: SCHEMA.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        catalog,
        options,
        inputs,
        summary: summary.main,
        pending: summary.pending,
    })
}

/// The `--bucket`, `--max-buckets` and timeline width the merged partials
/// share: the largest `--bucket` (every other one must divide it), the
/// smallest `--max-buckets`, and the finest width of the ladder that every
/// partial's width divides and that holds the merged span. Found from all
/// partials at once, so the order they come in changes nothing.
fn common_timeline(parts: &[(String, Partial)]) -> Result<(i64, u32, i64), Error> {
    let (big_name, big) = parts
        .iter()
        .max_by_key(|(_, p)| p.summary.settings.bucket_ms)
        .expect("at least one partial");
    let base = big.summary.settings.bucket_ms;
    let secs = |ms: i64| format!("{}s", ms as f64 / 1000.0);
    for (name, p) in parts {
        let b = p.summary.settings.bucket_ms;
        if base % b != 0 {
            return Err(Error::Usage(format!(
                "{name}: --bucket ({} here, {} in {big_name}) is not a whole fraction of the other: the timelines cannot be merged",
                secs(b),
                secs(base)
            )));
        }
    }
    let max_buckets = parts
        .iter()
        .map(|(_, p)| p.summary.settings.max_buckets)
        .min()
        .expect("at least one partial");
    let mut span: Option<(i64, i64)> = None;
    for (_, p) in parts {
        if let Some((f, l)) = p.summary.first_ms.zip(p.summary.last_ms) {
            span = Some(span.map_or((f, l), |(a, b)| (a.min(f), b.max(l))));
        }
    }
    let widths: Vec<i64> = parts.iter().map(|(_, p)| p.summary.timeline_ms).collect();
    let width = crate::aggregate::timeline_width(base, max_buckets, span, &widths).ok_or_else(|| {
        Error::Usage(format!(
            "the partials' timeline buckets ({}) have no common multiple among the bucket widths over --bucket {}: the timelines cannot be merged",
            widths.iter().map(|&w| secs(w)).collect::<Vec<_>>().join(", "),
            secs(base)
        ))
    })?;
    Ok((base, max_buckets, width))
}

fn scope(r: &Option<crate::scope::Rule>) -> String {
    r.as_ref()
        .map_or_else(|| "all hosts".to_string(), crate::scope::Rule::describe)
}

fn differs(a: &Options, b: &Options) -> Option<String> {
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join("; ")
        }
    };
    let pairs = [
        (
            "--samples",
            a.settings.samples.to_string(),
            b.settings.samples.to_string(),
        ),
        (
            "--unsafe-show-secrets",
            (!a.settings.redact).to_string(),
            (!b.settings.redact).to_string(),
        ),
        ("the filters", list(&a.filters), list(&b.filters)),
        (
            "--input-format",
            a.input_format.clone().unwrap_or_else(|| "auto".into()),
            b.input_format.clone().unwrap_or_else(|| "auto".into()),
        ),
        ("--field", list(&a.fields), list(&b.fields)),
        ("the host scope", scope(&a.scope), scope(&b.scope)),
        (
            "--max-record-mib",
            a.max_record_mib.to_string(),
            b.max_record_mib.to_string(),
        ),
    ];
    pairs
        .into_iter()
        .find(|(_, x, y)| x != y)
        .map(|(name, x, y)| format!("{name} ({y} here, {x} there)"))
}

/// Reads partials from files, directories (every file in name order) or
/// `-` (a stream of concatenated partials on standard input).
pub fn load(args: &[String]) -> Result<Vec<(String, Partial)>, Error> {
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            parse_stream(std::io::stdin().lock(), "<stdin>", &mut out)?;
            continue;
        }
        let p = Path::new(a);
        let files: Vec<std::path::PathBuf> = if p.is_dir() {
            let mut v: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| Error::io(p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && !f
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            v.sort();
            v
        } else {
            vec![p.to_path_buf()]
        };
        for f in files {
            let file = std::fs::File::open(&f).map_err(|e| Error::io(&f, e))?;
            parse_stream(
                std::io::BufReader::with_capacity(1 << 16, file),
                &f.display().to_string(),
                &mut out,
            )?;
        }
    }
    Ok(out)
}

/// Reads the partials in `text` (one, or several concatenated), named after
/// `name`, each checked with [`Partial::validate`].
pub fn parse(text: &str, name: &str) -> Result<Vec<(String, Partial)>, Error> {
    let mut out = Vec::new();
    parse_stream(text.as_bytes(), name, &mut out)?;
    Ok(out)
}

/// Reads partials from a stream, one value at a time: a partial's keyed
/// tables spill to temporary runs as they are read (see `crate::spill`), so
/// a partial of any size loads in bounded memory.
fn parse_stream(
    reader: impl std::io::Read,
    name: &str,
    out: &mut Vec<(String, Partial)>,
) -> Result<(), Error> {
    let mut stream = serde_json::Deserializer::from_reader(reader).into_iter::<Partial>();
    let mut n = 0;
    OTHER_SCHEMA.with_borrow_mut(|o| *o = None);
    for p in stream.by_ref() {
        let p = p.map_err(|e| match OTHER_SCHEMA.with_borrow_mut(Option::take) {
            Some(schema) => other_schema(name, &schema),
            None => Error::Spec {
                path: name.to_string(),
                line: e.line(),
                msg: format!("not a tape-audit partial: {e}"),
            },
        })?;
        n += 1;
        let name = if n == 1 {
            name.to_string()
        } else {
            format!("{name} #{n}")
        };
        p.validate()
            .map_err(|e| Error::Usage(format!("{name}: {e}")))?;
        out.push((name, p));
    }
    if n == 0 {
        return Err(Error::Usage(format!("{name}: no partial found")));
    }
    Ok(())
}

/// Whether an input path belongs to shard `k` of `n` (1-based `k`): a
/// stable hash of the path as given, the same on every machine.
pub fn in_shard(path: &str, k: u32, n: u32) -> bool {
    let digest = Sha256::digest(path.as_bytes());
    let h = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
    h % u64::from(n) == u64::from(k - 1)
}

/// Parses `K/N` with 1 <= K <= N.
pub fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not K/N"))?;
    let (k, n): (u32, u32) = (
        k.trim()
            .parse()
            .map_err(|_| format!("`{k}` is not a number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a number"))?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k}/{n}: need 1 <= K <= N"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_paths() {
        let paths: Vec<String> = (0..200).map(|i| format!("logs/day-{i}.jsonl.gz")).collect();
        let mut seen = vec![0; paths.len()];
        for k in 1..=3 {
            for (i, p) in paths.iter().enumerate() {
                if in_shard(p, k, 3) {
                    seen[i] += 1;
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
        assert!(paths.iter().filter(|p| in_shard(p, 1, 3)).count() > 40);
        assert_eq!(parse_shard("2/5"), Ok((2, 5)));
        assert!(
            parse_shard("0/5").is_err() && parse_shard("6/5").is_err() && parse_shard("x").is_err()
        );
    }
}
