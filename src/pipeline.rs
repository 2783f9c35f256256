//! Wires the data flow: the reader cuts inputs into work units on the
//! calling thread, `jobs` worker threads parse, classify, filter and
//! aggregate them into per-worker summaries, which are merged. Per-record
//! rows, when asked for, reach the row sink in input order.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use indicatif::ProgressBar;

use crate::aggregate::{Settings, Summary};
use crate::catalog::Catalog;
use crate::classify::classify;
use crate::filter::Filter;
use crate::input::{self, InputInfo, ReadOptions, Record, Source, Work};
use crate::outputs::Control;
use crate::redact::Redact;
use crate::row::Row;
use crate::scope::{Rule, Scope, Split};

/// Everything a run found.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// The merged aggregate: until [`Audit::finish`], of the hosts known
    /// to be in scope; after it, what the report is made of.
    pub summary: Summary,
    /// Per input, in the order read.
    pub inputs: Vec<InputInfo>,
    /// Per host whose scope is not decided yet, its records (see
    /// [`crate::scope::Split`]); empty after [`Audit::finish`].
    pub pending: BTreeMap<String, Summary>,
    /// The scope, once decided.
    pub scope: Option<Scope>,
}

impl Audit {
    /// Decides the host scope (see [`crate::scope`]).
    pub fn finish(&mut self, rule: &Rule) -> &Scope {
        let split = Split::of(
            std::mem::take(&mut self.summary),
            std::mem::take(&mut self.pending),
            rule,
        );
        let (summary, scope) = split.finish(rule);
        self.summary = summary;
        self.scope.insert(scope)
    }

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
    /// Which hosts count.
    pub rule: &'a Rule,
    /// What summaries hold.
    pub settings: Settings,
    /// Worker threads.
    pub jobs: usize,
    /// Each row also carries its record as a HAR entry, built on the
    /// worker (`--extract-har`).
    pub extract: bool,
}

/// Classifies every record of a work unit into `sum`, collecting rows when
/// `rows` is given (with their HAR entries when `job.extract`); returns how
/// many records the unit held.
pub fn process(
    work: &Work,
    job: &Job<'_>,
    names: &[String],
    sum: &mut Split,
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
                    sum.main.add_excluded(loc);
                    return;
                }
                if !sum.add(loc, &ex, &v, job.rule) {
                    return;
                }
                if let Some(rows) = rows.as_deref_mut() {
                    if Row::wanted(v.class) {
                        let name = names.get(loc.file as usize).map_or("", String::as_str);
                        let mut row = Row::build(name, kind, loc.index, &ex, &v, job.catalog, mode);
                        if job.extract {
                            let raw = crate::extract::raw_entry(work, loc);
                            row.har_entry = Some(crate::extract::entry(raw, &ex, &v, &row, mode));
                        }
                        rows.push(row);
                    }
                }
            }
            Record::Skipped(reason, detail) => sum.main.add_skipped(loc, reason, &detail),
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

/// Receives rows in input order.
pub type RowSink<'a> = dyn FnMut(&[Row]) + Send + 'a;

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A thread the run needs could not be started (a low process limit).
    #[error("no worker thread could be started: {} (is a process or thread limit, ulimit -u, too low?)", crate::error::io_message(.0))]
    NoThreads(std::io::Error),
}

/// Reads and audits all sources, on one path for any `jobs`: the calling
/// thread reads and cuts work units; `jobs` workers parse, classify and
/// aggregate them, each into its own summary returned when it is joined;
/// when rows are wanted, a writer thread hands them to `rows` in input
/// order. At most a bounded number of work units is in flight between the
/// reader and the writer, so a slow reader of the rows (`--show | less`)
/// holds the whole run back instead of filling memory.
///
/// The reader stops early when `control` asks it to (a signal, a failed
/// write, a closed pipe that may end the run); the input being read then
/// is marked as stopped and its error, if the cut caused one, dropped.
pub fn run(
    sources: &[Source],
    job: &Job<'_>,
    progress: &ProgressBar,
    control: &Arc<Control>,
    rows: Option<&mut RowSink<'_>>,
) -> Result<Audit, PipelineError> {
    let jobs = job.jobs.max(1);
    let names: Vec<String> = sources.iter().map(Source::name).collect();
    let mut audit = Audit::default();
    let mut reader_sum = Summary::new(job.settings);
    let counter = Counter::new();
    let want_rows = rows.is_some();
    // Work units dispatched but not yet written: bounds the reorder buffer
    // and the rows held for a slow reader. Each unit's rows take a few MB
    // (a 1 MiB block of error records), so two per worker: one being
    // worked on and one waiting to be written. Four per worker took
    // `--csv -` into a slow reader over 128 MiB on 5 M high-cardinality
    // records (`bench/stress`, `slow-csv-j2`).
    let in_flight = jobs * 2;
    let (work_tx, work_rx) = crossbeam_channel::bounded::<(u64, Work)>(jobs * 2);
    let (row_tx, row_rx) = crossbeam_channel::bounded::<(u64, Vec<Row>)>(in_flight);
    let (ticket_tx, ticket_rx) = crossbeam_channel::bounded::<()>(in_flight);
    let sums = std::thread::scope(|ts| {
        let mut workers = Vec::with_capacity(jobs);
        let mut spawn_error = None;
        for i in 0..jobs {
            let (rx, row_tx) = (work_rx.clone(), row_tx.clone());
            let (counter, names) = (&counter, &names);
            let spawned = std::thread::Builder::new()
                .name(format!("tape-audit-worker-{i}"))
                .spawn_scoped(ts, move || {
                    let mut sum = Split::new(job.settings);
                    for (seq, w) in rx {
                        let mut rows = Vec::new();
                        counter.add(process(
                            &w,
                            job,
                            names,
                            &mut sum,
                            want_rows.then_some(&mut rows),
                        ));
                        if want_rows {
                            // The writer lives until every sender is gone.
                            let _ = row_tx.send((seq, rows));
                        }
                        input::recycle(w);
                    }
                    sum
                });
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => {
                    spawn_error = Some(e);
                    break;
                }
            }
        }
        drop((work_rx, row_tx));
        if workers.is_empty() {
            return Err(PipelineError::NoThreads(
                spawn_error.unwrap_or_else(|| std::io::Error::other("unknown")),
            ));
        }
        let writer = rows.map(|sink| {
            std::thread::Builder::new()
                .name("tape-audit-rows".into())
                .spawn_scoped(ts, move || {
                    let mut next = 0u64;
                    let mut waiting: BTreeMap<u64, Vec<Row>> = BTreeMap::new();
                    for (seq, rows) in row_rx {
                        waiting.insert(seq, rows);
                        while let Some(rows) = waiting.remove(&next) {
                            if !rows.is_empty() {
                                sink(&rows);
                            }
                            next += 1;
                            let _ = ticket_rx.recv();
                        }
                    }
                })
        });
        let writer = match writer.transpose() {
            Ok(w) => w,
            // Dropping the work channel ends the workers; the scope joins them.
            Err(e) => return Err(PipelineError::NoThreads(e)),
        };
        let mut seq = 0u64;
        read_all(
            sources,
            job.read,
            progress,
            control,
            &mut audit.inputs,
            &mut reader_sum,
            &mut |w| {
                if want_rows {
                    // Blocks while `in_flight` units wait to be written.
                    let _ = ticket_tx.send(());
                }
                // Workers stop only when the channel closes, so this cannot fail.
                let _ = work_tx.send((seq, w));
                seq += 1;
                counter.show(progress);
            },
        );
        drop(work_tx);
        let sums: Vec<Split> = workers
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        if let Some(h) = writer {
            h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        Ok(sums)
    })?;
    let mut all = Split::of(reader_sum, BTreeMap::new(), job.rule);
    for sum in sums {
        all.merge(sum);
    }
    audit.summary = all.main;
    audit.pending = all.pending;
    Ok(audit)
}

/// A reader that ends (as at end of file) once the run is asked to stop.
struct Stoppable<R> {
    inner: R,
    control: Arc<Control>,
}

impl<R: Read> Read for Stoppable<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.control.stopped() {
            return Ok(0);
        }
        self.inner.read(buf)
    }
}

fn read_all(
    sources: &[Source],
    opts: &ReadOptions,
    progress: &ProgressBar,
    control: &Arc<Control>,
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
        if control.stopped() {
            break;
        }
        let pb = progress.clone();
        match input::open(src, move |n| pb.inc(n as u64)) {
            Err(e) => info.error = Some(crate::error::io_message(&e)),
            Ok((r, compression)) => {
                info.compression = compression;
                let r = Stoppable {
                    inner: r,
                    control: control.clone(),
                };
                input::read_source(
                    file,
                    src,
                    Box::new(r),
                    opts,
                    &mut info,
                    send,
                    &mut |loc, reason, detail| reader_sum.add_skipped(loc, reason, &detail),
                );
            }
        }
        if control.stopped() {
            // The cut, not the input, ended it.
            info.error = None;
            info.note = Some("not read to the end: the run was stopped".into());
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
    let head_only = input::HeadOnly::new(r);
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
