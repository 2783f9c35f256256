//! Sorted runs on disk, for the aggregate's keyed tables (codes, clients,
//! endpoints): when a table outgrows its memory budget, its entries are
//! sorted by key and written to a temporary file (a *run*), and the table
//! starts again empty. Reading the table back is a streaming k-way merge of
//! its runs and what is still in memory, adding up entries with equal keys,
//! so the result is the exact table, in key order, whatever the split of the
//! input, and reading it holds one entry per run in memory (the way DuckDB
//! and ClickHouse spill a large GROUP BY).
//!
//! A run is immutable once written: tables share runs by reference count
//! when cloned, and a run's file is removed when the last reference goes.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::sync::{Arc, Mutex, OnceLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Entries a table holds in memory before it spills, unless the hidden
/// environment variable `TAPE_AUDIT_MEMORY_ENTRIES` says otherwise (the
/// tests lower it to spill small inputs).
pub const DEFAULT_BUDGET: usize = 16_384;

/// Runs of one level merged into one run of the next level: each entry is
/// rewritten once per level, so O(log(entries / budget)) times in all
/// (merging every run into one whenever there were too many rewrote the
/// whole table again and again, quadratic in its size), and a table keeps
/// fewer than `FAN_IN` runs per level.
const FAN_IN: usize = 16;

/// Entries a table holds in memory before it spills.
pub fn budget() -> usize {
    static B: OnceLock<usize> = OnceLock::new();
    *B.get_or_init(|| {
        std::env::var("TAPE_AUDIT_MEMORY_ENTRIES")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n >= 1)
            .unwrap_or(DEFAULT_BUDGET)
    })
}

static ERROR: Mutex<Option<String>> = Mutex::new(None);

/// Records the first failure to write or read a run. A failed write keeps
/// the entries in memory (the run stays exact, its memory unbounded); a
/// failed read leaves a table incomplete, and the run must fail: the caller
/// checks [`take_error`] before trusting a report.
fn fail(what: &str, e: impl std::fmt::Display) {
    let mut g = ERROR.lock().unwrap_or_else(|p| p.into_inner());
    if g.is_none() {
        *g = Some(format!("temporary file for the aggregate: {what}: {e}"));
    }
}

/// The first failure to write or read a temporary run, if any.
pub fn take_error() -> Option<String> {
    ERROR.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// One sorted run in a temporary file.
#[derive(Debug)]
struct Run {
    path: tempfile::TempPath,
    /// How many merges made it: 0 for a run spilled from memory.
    level: u32,
}

/// The runs of one table.
#[derive(Debug)]
pub struct Runs<K, V> {
    runs: Vec<Arc<Run>>,
    _types: std::marker::PhantomData<fn() -> (K, V)>,
}

impl<K, V> Clone for Runs<K, V> {
    fn clone(&self) -> Self {
        Runs {
            runs: self.runs.clone(),
            _types: std::marker::PhantomData,
        }
    }
}

impl<K, V> Default for Runs<K, V> {
    fn default() -> Self {
        Runs {
            runs: Vec::new(),
            _types: std::marker::PhantomData,
        }
    }
}

/// Adds `b` into `a`, entries with equal keys.
pub type Combine<V> = fn(&mut V, V, usize);

impl<K, V> Runs<K, V>
where
    K: Ord + Serialize + DeserializeOwned + 'static,
    V: Serialize + DeserializeOwned + 'static,
{
    /// Whether nothing was spilled.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Writes `items` (any order) as a new run. On failure the items are
    /// handed back, for the caller to keep in memory.
    pub fn spill(
        &mut self,
        mut items: Vec<(K, V)>,
        combine: Combine<V>,
        samples: usize,
    ) -> Result<(), Vec<(K, V)>> {
        if items.is_empty() {
            return Ok(());
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        match write_run(items.iter().map(|(k, v)| (k, v)), 0) {
            Ok(run) => self.runs.push(Arc::new(run)),
            Err(e) => {
                fail("write", e);
                return Err(items);
            }
        }
        self.compact(combine, samples);
        Ok(())
    }

    /// Takes the runs of `other`.
    pub fn absorb(&mut self, other: Runs<K, V>, combine: Combine<V>, samples: usize) {
        self.runs.extend(other.runs);
        self.compact(combine, samples);
    }

    /// Merges the runs of any level that holds `FAN_IN` of them into one
    /// run of the next level, until no level does.
    fn compact(&mut self, combine: Combine<V>, samples: usize) {
        loop {
            let mut per_level = std::collections::BTreeMap::<u32, usize>::new();
            for r in &self.runs {
                *per_level.entry(r.level).or_default() += 1;
            }
            let Some(level) = per_level
                .into_iter()
                .find(|&(_, n)| n >= FAN_IN)
                .map(|(l, _)| l)
            else {
                return;
            };
            let (these, rest): (Vec<_>, Vec<_>) =
                self.runs.drain(..).partition(|r| r.level == level);
            let merged = Merged::<K, V>::new(&these, Vec::new(), combine, samples);
            match write_run(merged, level + 1) {
                Ok(run) => {
                    self.runs = rest;
                    self.runs.push(Arc::new(run));
                }
                // Keep the runs as they are: still exact, more files open
                // while they are read.
                Err(e) => {
                    self.runs = these.into_iter().chain(rest).collect();
                    fail("write", e);
                    return;
                }
            }
        }
    }

    /// Every entry, in key order, equal keys added up: the runs merged with
    /// `mem` (any order).
    pub fn merged(
        &self,
        mut mem: Vec<(K, V)>,
        combine: Combine<V>,
        samples: usize,
    ) -> Merged<K, V> {
        mem.sort_by(|a, b| a.0.cmp(&b.0));
        Merged::new(&self.runs, mem, combine, samples)
    }

    /// The runs rewritten entry by entry through `f`, which must keep the
    /// keys (and so their order).
    pub fn map_values(&mut self, mut f: impl FnMut(&mut V)) {
        let mut out = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let items = read_run::<K, V>(run).map(|(k, mut v)| {
                f(&mut v);
                (k, v)
            });
            match write_run(items, run.level) {
                Ok(r) => out.push(Arc::new(r)),
                Err(e) => {
                    fail("write", e);
                    return;
                }
            }
        }
        self.runs = out;
    }
}

fn write_run<B: Serialize>(items: impl Iterator<Item = B>, level: u32) -> std::io::Result<Run> {
    let file = tempfile::Builder::new()
        .prefix(".tape-audit-run-")
        .tempfile()?;
    let (f, path) = file.into_parts();
    let mut w = BufWriter::with_capacity(1 << 18, f);
    for item in items {
        serde_json::to_writer(&mut w, &item)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(Run { path, level })
}

fn read_run<K: DeserializeOwned + 'static, V: DeserializeOwned + 'static>(
    run: &Run,
) -> Box<dyn Iterator<Item = (K, V)>> {
    match File::open(&run.path) {
        Ok(f) => {
            let de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, f));
            Box::new(de.into_iter::<(K, V)>().map_while(|r| match r {
                Ok(x) => Some(x),
                Err(e) => {
                    fail("read", e);
                    None
                }
            }))
        }
        Err(e) => {
            fail("open", e);
            Box::new(std::iter::empty())
        }
    }
}

struct Head<K, V> {
    key: K,
    val: V,
    src: usize,
}

impl<K: Ord, V> PartialEq for Head<K, V> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl<K: Ord, V> Eq for Head<K, V> {}
impl<K: Ord, V> PartialOrd for Head<K, V> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<K: Ord, V> Ord for Head<K, V> {
    /// Reversed, for a min-heap on (key, source).
    fn cmp(&self, o: &Self) -> Ordering {
        o.key.cmp(&self.key).then(o.src.cmp(&self.src))
    }
}

/// A streaming k-way merge of sorted sources, adding up equal keys.
pub struct Merged<K, V> {
    sources: Vec<Box<dyn Iterator<Item = (K, V)>>>,
    heap: BinaryHeap<Head<K, V>>,
    combine: Combine<V>,
    samples: usize,
}

impl<K: Ord + DeserializeOwned + 'static, V: DeserializeOwned + 'static> Merged<K, V> {
    fn new(runs: &[Arc<Run>], mem: Vec<(K, V)>, combine: Combine<V>, samples: usize) -> Self {
        let mut sources: Vec<Box<dyn Iterator<Item = (K, V)>>> =
            runs.iter().map(|r| read_run::<K, V>(r)).collect();
        sources.push(Box::new(mem.into_iter()));
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (src, s) in sources.iter_mut().enumerate() {
            if let Some((key, val)) = s.next() {
                heap.push(Head { key, val, src });
            }
        }
        Merged {
            sources,
            heap,
            combine,
            samples,
        }
    }

    fn refill(&mut self, src: usize) {
        if let Some((key, val)) = self.sources[src].next() {
            self.heap.push(Head { key, val, src });
        }
    }
}

impl<K: Ord + DeserializeOwned + 'static, V: DeserializeOwned + 'static> Iterator for Merged<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        let Head { key, mut val, src } = self.heap.pop()?;
        self.refill(src);
        while self.heap.peek().is_some_and(|h| h.key == key) {
            let h = self.heap.pop().expect("peeked");
            (self.combine)(&mut val, h.val, self.samples);
            self.refill(h.src);
        }
        Some((key, val))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: &mut u64, b: u64, _: usize) {
        *a += b;
    }

    #[test]
    fn runs_merge_to_the_exact_sorted_table() {
        let mut runs: Runs<String, u64> = Runs::default();
        let mut want = std::collections::BTreeMap::new();
        // Enough runs for merges into two levels on the way.
        for r in 0..(FAN_IN as u64 * FAN_IN as u64 + 5) {
            let items: Vec<(String, u64)> = (0..50)
                .map(|i| (format!("k{}", (i * 7 + r * 3) % 97), r + 1))
                .collect();
            for (k, v) in &items {
                *want.entry(k.clone()).or_insert(0) += v;
            }
            assert!(runs.spill(items, add, 0).is_ok());
        }
        for level in 0..3 {
            let n = runs.runs.iter().filter(|r| r.level == level).count();
            assert!(n < FAN_IN, "{n} runs at level {level}");
        }
        assert!(runs.runs.iter().any(|r| r.level == 2), "merged twice");
        assert!(runs.runs.len() < 3 * FAN_IN);
        let mem = vec![("k5".to_string(), 1000), ("zz".to_string(), 1)];
        for (k, v) in &mem {
            *want.entry(k.clone()).or_insert(0) += v;
        }
        let got: Vec<(String, u64)> = runs.merged(mem, add, 0).collect();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
        assert!(take_error().is_none());
    }
}
