//! Wires the data flow: readers cut inputs into work units on the calling
//! thread, `jobs` workers parse and classify them into per-worker summaries,
//! and the summaries are merged. With one job everything runs inline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::ProgressBar;

use crate::aggregate::Summary;
use crate::catalog::Catalog;
use crate::classify::classify;
use crate::input::{self, InputInfo, ReadOptions, Record, Source, Work};

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

/// Classifies every record of a work unit into `sum`; returns how many
/// records it held.
pub fn process(work: &Work, cat: &Catalog, sum: &mut Summary) -> u64 {
    let mut n = 0;
    work.for_each(|loc, rec| {
        n += 1;
        match rec {
            Record::Exchange(ex) => {
                let v = classify(&ex, cat);
                sum.add(loc, &v, ex.time_ms);
            }
            Record::Skipped(reason, detail) => sum.add_skipped(loc, reason, detail),
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

/// Reads and audits all sources with `jobs` worker threads.
pub fn run(
    sources: &[Source],
    opts: &ReadOptions,
    cat: &Catalog,
    jobs: usize,
    progress: &ProgressBar,
) -> Audit {
    let jobs = jobs.max(1);
    let mut audit = Audit::default();
    let mut reader_sum = Summary::default();
    let counter = Counter::new();
    if jobs == 1 {
        let mut sum = Summary::default();
        read_all(
            sources,
            opts,
            progress,
            &mut audit.inputs,
            &mut reader_sum,
            &mut |w| {
                counter.add(process(&w, cat, &mut sum));
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
    let (tx, rx) = crossbeam_channel::bounded::<Work>(jobs * 2);
    let done = Mutex::new(Vec::new());
    pool.in_place_scope(|s| {
        for _ in 0..jobs {
            let rx = rx.clone();
            let done = &done;
            let counter = &counter;
            s.spawn(move |_| {
                let mut sum = Summary::default();
                for w in rx {
                    counter.add(process(&w, cat, &mut sum));
                }
                done.lock().expect("no worker panicked").push(sum);
            });
        }
        drop(rx);
        read_all(
            sources,
            opts,
            progress,
            &mut audit.inputs,
            &mut reader_sum,
            &mut |w| {
                // Workers only stop when the channel closes, so a send cannot fail.
                let _ = tx.send(w);
                counter.show(progress);
            },
        );
        drop(tx);
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
                    r,
                    opts,
                    &mut info,
                    send,
                    &mut |loc, reason, detail| reader_sum.add_skipped(loc, reason, detail),
                );
            }
        }
        // Every input appears in the per-file totals, even with no records.
        reader_sum.files.entry(file).or_default();
        infos.push(info);
    }
}
