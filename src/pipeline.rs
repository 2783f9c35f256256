//! Wires the data flow: readers cut inputs into work units on the calling
//! thread, `jobs` workers (a rayon pool) parse, classify, filter and
//! aggregate them into per-worker summaries, which are merged. Per-record
//! rows, when asked for, reach the row sink in input order. With one job
//! everything runs inline.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::ProgressBar;

use crate::aggregate::{Settings, Summary};
use crate::catalog::Catalog;
use crate::classify::classify;
use crate::filter::Filter;
use crate::input::{self, InputInfo, ReadOptions, Record, Source, Work};
use crate::redact::Redact;
use crate::row::Row;

/// Everything a run found.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// The merged aggregate.
    pub summary: Summary,
    /// Per input, in the order read.
    pub inputs: Vec<InputInfo>,
}

impl Audit {
    /// Errors that stopped reading an input, as `name: message` lines.
    pub fn errors(&self) -> Vec<String> {
        self.inputs
            .iter()
            .filter_map(|i| i.error.as_ref().map(|e| format!("{}: {e}", i.name)))
            .collect()
    }
}

/// What a run needs besides its inputs.
pub struct Job<'a> {
    /// Catalog to classify against.
    pub catalog: &'a Catalog,
    /// How to read inputs.
    pub read: &'a ReadOptions,
    /// Which records count.
    pub filter: &'a Filter,
    /// What summaries hold.
    pub settings: Settings,
    /// Worker threads.
    pub jobs: usize,
    /// Whether per-record rows are wanted.
    pub rows: bool,
}

/// Receives rows in input order.
pub type RowSink<'a> = dyn FnMut(Vec<Row>) + Send + 'a;

/// Classifies every record of a work unit into `sum`, collecting rows when
/// `rows` is given; returns how many records the unit held.
pub fn process(
    work: &Work,
    job: &Job<'_>,
    names: &[String],
    sum: &mut Summary,
    mut rows: Option<&mut Vec<Row>>,
) -> u64 {
    let mut n = 0;
    let kind = work.kind();
    let mode = if job.settings.redact {
        Redact::On
    } else {
        Redact::Off
    };
    work.for_each(|loc, rec| {
        n += 1;
        match rec {
            Record::Exchange(ex) => {
                let v = classify(&ex, job.catalog);
                if !job.filter.keeps(&ex, &v) {
                    sum.add_excluded(loc);
                    return;
                }
                sum.add(loc, &ex, &v);
                if let Some(rows) = rows.as_deref_mut() {
                    if Row::wanted(v.class) {
                        let name = names.get(loc.file as usize).map_or("", String::as_str);
                        rows.push(Row::build(
                            name,
                            kind,
                            loc.index,
                            &ex,
                            &v,
                            job.catalog,
                            mode,
                        ));
                    }
                }
            }
            Record::Skipped(reason, detail) => sum.add_skipped(loc, reason, &detail),
        }
    });
    n
}

/// Records done so far, shown beside the byte count of the progress bar.
struct Counter {
    records: AtomicU64,
    start: Instant,
}

impl Counter {
    fn new() -> Counter {
        Counter {
            records: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    fn add(&self, n: u64) {
        self.records.fetch_add(n, Ordering::Relaxed);
    }

    fn show(&self, pb: &ProgressBar) {
        if pb.is_hidden() {
            return;
        }
        let n = self.records.load(Ordering::Relaxed);
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        pb.set_message(format!("{n} records, {:.0} records/s", n as f64 / secs));
    }
}

/// Reads and audits all sources.
pub fn run(
    sources: &[Source],
    job: &Job<'_>,
    progress: &ProgressBar,
    sink: &mut RowSink<'_>,
) -> Audit {
    let jobs = job.jobs.max(1);
    let names: Vec<String> = sources.iter().map(Source::name).collect();
    let mut audit = Audit::default();
    let mut reader_sum = Summary::new(job.settings);
    let counter = Counter::new();
    if jobs == 1 {
        let mut sum = Summary::new(job.settings);
        let mut rows = Vec::new();
        read_all(
            sources,
            job.read,
            progress,
            &mut audit.inputs,
            &mut reader_sum,
            &mut |w| {
                counter.add(process(
                    &w,
                    job,
                    &names,
                    &mut sum,
                    job.rows.then_some(&mut rows),
                ));
                if !rows.is_empty() {
                    sink(std::mem::take(&mut rows));
                }
                input::recycle(w);
                counter.show(progress);
            },
        );
        reader_sum.merge(sum);
        audit.summary = reader_sum;
        return audit;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("tape-audit-worker-{i}"))
        .build()
        .expect("a thread pool can be built");
    let (tx, rx) = crossbeam_channel::bounded::<(u64, Work)>(jobs * 2);
    let (row_tx, row_rx) = crossbeam_channel::unbounded::<(u64, Vec<Row>)>();
    let done = Mutex::new(Vec::new());
    std::thread::scope(|ts| {
        // Rows come back in any order; hand them on in input order.
        ts.spawn(move || {
            let mut next = 0u64;
            let mut waiting: BTreeMap<u64, Vec<Row>> = BTreeMap::new();
            for (seq, rows) in row_rx {
                waiting.insert(seq, rows);
                while let Some(rows) = waiting.remove(&next) {
                    if !rows.is_empty() {
                        sink(rows);
                    }
                    next += 1;
                }
            }
        });
        pool.in_place_scope(|s| {
            for _ in 0..jobs {
                let (rx, row_tx) = (rx.clone(), row_tx.clone());
                let (done, counter, names) = (&done, &counter, &names);
                s.spawn(move |_| {
                    let mut sum = Summary::new(job.settings);
                    for (seq, w) in rx {
                        let mut rows = Vec::new();
                        counter.add(process(
                            &w,
                            job,
                            names,
                            &mut sum,
                            job.rows.then_some(&mut rows),
                        ));
                        if job.rows {
                            // The row thread lives until every sender is gone.
                            let _ = row_tx.send((seq, rows));
                        }
                        input::recycle(w);
                    }
                    done.lock().expect("no worker panicked").push(sum);
                });
            }
            drop((rx, row_tx));
            let mut seq = 0u64;
            read_all(
                sources,
                job.read,
                progress,
                &mut audit.inputs,
                &mut reader_sum,
                &mut |w| {
                    // Workers only stop when the channel closes, so a send cannot fail.
                    let _ = tx.send((seq, w));
                    seq += 1;
                    counter.show(progress);
                },
            );
            drop(tx);
        });
    });
    for sum in done.into_inner().expect("no worker panicked") {
        reader_sum.merge(sum);
    }
    audit.summary = reader_sum;
    audit
}

fn read_all(
    sources: &[Source],
    opts: &ReadOptions,
    progress: &ProgressBar,
    infos: &mut Vec<InputInfo>,
    reader_sum: &mut Summary,
    send: &mut dyn FnMut(Work),
) {
    for (i, src) in sources.iter().enumerate() {
        let file = i as u32;
        let mut info = InputInfo {
            name: src.name(),
            ..InputInfo::default()
        };
        let pb = progress.clone();
        match input::open(src, move |n| pb.inc(n as u64)) {
            Err(e) => info.error = Some(crate::error::io_message(&e)),
            Ok((r, compression)) => {
                info.compression = compression;
                input::read_source(
                    file,
                    src,
                    r,
                    opts,
                    &mut info,
                    send,
                    &mut |loc, reason, detail| reader_sum.add_skipped(loc, reason, &detail),
                );
            }
        }
        // Every input appears in the per-file totals, even with no records.
        reader_sum.files.entry(file).or_default();
        infos.push(info);
    }
}

/// The timestamp of the first timed record at the start of a file input
/// (used to anchor a bare time of day to the capture's date).
pub fn first_time(src: &Source, opts: &ReadOptions) -> Option<i64> {
    // Only regular files can be read twice (not standard input or a FIFO).
    if !src
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .is_some_and(|m| m.is_file())
    {
        return None;
    }
    let (r, _) = input::open(src, |_| {}).ok()?;
    let mut first: Option<(crate::exchange::Locator, i64)> = None;
    let mut info = InputInfo::default();
    let head_only = input::HeadOnly(r);
    input::read_source(
        0,
        src,
        Box::new(head_only),
        opts,
        &mut info,
        &mut |w| {
            w.for_each(|loc, rec| {
                if let Record::Exchange(ex) = rec {
                    if let Some(t) = ex.time_ms {
                        if first.is_none_or(|(l, _)| loc < l) {
                            first = Some((loc, t));
                        }
                    }
                }
            })
        },
        &mut |_, _, _| {},
    );
    first.map(|(_, t)| t)
}
