//! Every writer a run owns: the report, `--csv`, `--timeline-csv` and
//! `--show`, opened once by the configuration stage and closed by one
//! checked [`Outputs::finish`].
//!
//! The rules they keep:
//! - A file output is written to a temporary file beside its target and
//!   renamed into place only by `finish`, so an interrupted or failed run
//!   never leaves a truncated file that looks complete; dropping an output
//!   without `finish` removes the temporary file.
//! - Every write error is kept, with the path it happened on, and `finish`
//!   returns it: nothing is dropped with an unchecked error.
//! - Standard output is line-buffered on a terminal and block-buffered
//!   otherwise. When its reader goes away (`| head`), later writes are
//!   dropped and the run is told, so that it can stop early when nothing
//!   else depends on it (see [`Control`]).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, LineWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use crate::cli::ShowClass;
use crate::report::csv::RowWriter;
use crate::row::Row;

/// How an output names itself in an error line.
pub const STDOUT_NAME: &str = "<stdout>";

/// Flags shared by the reader, the workers, the outputs and the signal
/// handler.
#[derive(Debug, Default)]
pub struct Control {
    /// The reader stops at the next read when this is set.
    pub stop: AtomicBool,
    /// Standard output's reader went away.
    pub pipe_closed: AtomicBool,
    /// A closed pipe may stop the run (no `--fail-on`, no file output
    /// that would be left incomplete).
    pub stop_on_closed_pipe: AtomicBool,
    /// The signal that stopped the run (SIGINT 2, SIGTERM 15), 0 for none.
    pub signal: AtomicI32,
    /// A write to an output failed; the run stops and exits 2.
    pub failed: AtomicBool,
}

impl Control {
    /// Asks the reader to stop.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the reader was asked to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::Relaxed) {
            0 => None,
            s => Some(s),
        }
    }

    fn pipe_closed(&self) {
        self.pipe_closed.store(true, Ordering::Relaxed);
        if self.stop_on_closed_pipe.load(Ordering::Relaxed) {
            self.request_stop();
        }
    }

    fn write_failed(&self) {
        self.failed.store(true, Ordering::Relaxed);
        self.request_stop();
    }
}

/// Temporary files not yet renamed into place, for the signal handler's
/// last resort (a run that does not stop in time after a signal).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary file not yet renamed into place.
pub fn remove_pending() {
    if let Ok(mut p) = PENDING.lock() {
        for path in p.drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn forget_pending(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.retain(|q| q != path);
    }
}

/// A write failure on one output.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {}", crate::error::io_message(error))]
pub struct WriteError {
    /// The path, or `<stdout>`.
    pub name: String,
    /// The cause (printed in the message, so not a `source`).
    pub error: io::Error,
}

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output (`-`).
    Stdout,
    /// A file, written atomically.
    File(PathBuf),
}

impl Target {
    /// `-` is standard output.
    pub fn parse(s: &std::ffi::OsStr) -> Target {
        if s == "-" {
            Target::Stdout
        } else {
            Target::File(PathBuf::from(s))
        }
    }

    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Target::Stdout => STDOUT_NAME.to_string(),
            Target::File(p) => p.display().to_string(),
        }
    }
}

enum Inner {
    Stdout(Box<dyn Write + Send>),
    File {
        w: BufWriter<File>,
        /// The temporary file renamed onto `target` by `finish`; `None` when
        /// the target is not a regular file (a device, a FIFO), which is
        /// written in place.
        temp: Option<PathBuf>,
        target: PathBuf,
    },
}

enum State {
    Ok,
    /// Standard output's reader went away; later writes are dropped.
    Closed,
    /// A write failed; later writes are dropped.
    Failed,
}

/// One output: a checked writer that remembers its first error.
pub struct Output {
    name: String,
    inner: Option<Inner>,
    state: State,
    first_error: Option<io::Error>,
    control: Arc<Control>,
}

impl Output {
    /// Opens `target`: standard output, or a temporary file beside the path.
    pub fn open(target: &Target, control: Arc<Control>) -> Result<Output, WriteError> {
        let name = target.name();
        let inner = match target {
            Target::Stdout => {
                let out = io::stdout();
                let w: Box<dyn Write + Send> = if out.is_terminal() {
                    Box::new(LineWriter::new(out))
                } else {
                    Box::new(BufWriter::with_capacity(64 * 1024, out))
                };
                Inner::Stdout(w)
            }
            Target::File(path) => {
                let (temp, file) = open_file(path).map_err(|source| WriteError {
                    name: name.clone(),
                    error: source,
                })?;
                Inner::File {
                    w: BufWriter::with_capacity(64 * 1024, file),
                    temp,
                    target: path.clone(),
                }
            }
        };
        Ok(Output {
            name,
            inner: Some(inner),
            state: State::Ok,
            first_error: None,
            control,
        })
    }

    /// The path, or `<stdout>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Keeps a write error and stops writing: later writes are dropped, the
    /// run is told (it stops), and `finish` returns the error. The writer
    /// above (a CSV writer, a report) sees success, so that nothing it does
    /// on failure can hide or replace the first error.
    fn note(&mut self, e: io::Error) {
        let on_stdout = matches!(self.inner, Some(Inner::Stdout(_)));
        if on_stdout && e.kind() == io::ErrorKind::BrokenPipe {
            self.state = State::Closed;
            self.control.pipe_closed();
            return;
        }
        self.state = State::Failed;
        self.control.write_failed();
        self.first_error.get_or_insert(e);
    }

    /// The first write error, naming the output; the output is dropped
    /// (a temporary file is removed).
    pub fn into_error(mut self) -> Option<WriteError> {
        self.first_error.take().map(|error| WriteError {
            name: self.name.clone(),
            error,
        })
    }

    /// Flushes, closes and (for a file) renames the output into place.
    /// Returns the first write error, naming the output.
    pub fn finish(mut self) -> Result<(), WriteError> {
        let res = match self.inner.as_mut() {
            Some(Inner::Stdout(w)) => w.flush(),
            Some(Inner::File { w, temp, .. }) => w.flush().and_then(|()| {
                // Data must be on disk before the rename makes it visible.
                if temp.is_some() {
                    w.get_ref().sync_all()
                } else {
                    Ok(())
                }
            }),
            None => Ok(()),
        };
        if let Err(e) = res {
            self.note(e);
        }
        if let Some(e) = self.first_error.take() {
            return Err(WriteError {
                name: self.name.clone(),
                error: e,
            });
        }
        if let Some(Inner::File {
            w,
            temp: Some(temp),
            target,
        }) = self.inner.take()
        {
            drop(w);
            keep_mode(&temp, &target);
            let renamed = std::fs::rename(&temp, &target);
            forget_pending(&temp);
            if let Err(source) = renamed {
                let _ = std::fs::remove_file(&temp);
                return Err(WriteError {
                    name: self.name.clone(),
                    error: source,
                });
            }
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !matches!(self.state, State::Ok) {
            return Ok(buf.len());
        }
        let res = match self.inner.as_mut() {
            Some(Inner::Stdout(w)) => w.write(buf),
            Some(Inner::File { w, .. }) => w.write(buf),
            None => Ok(buf.len()),
        };
        match res {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.note(e);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if !matches!(self.state, State::Ok) {
            return Ok(());
        }
        let res = match self.inner.as_mut() {
            Some(Inner::Stdout(w)) => w.flush(),
            Some(Inner::File { w, .. }) => w.flush(),
            None => Ok(()),
        };
        if let Err(e) = res {
            self.note(e);
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(Inner::File {
            temp: Some(temp), ..
        }) = self.inner.take()
        {
            let _ = std::fs::remove_file(&temp);
            forget_pending(&temp);
        }
    }
}

/// Opens a file target: a temporary file beside it when it is (or will be)
/// a regular file, the target itself otherwise (`/dev/stdout`, a FIFO).
fn open_file(path: &Path) -> io::Result<(Option<PathBuf>, File)> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            let f = std::fs::OpenOptions::new().write(true).open(path)?;
            Ok((None, f))
        }
        _ => temp_beside(path).map(|(t, f)| (Some(t), f)),
    }
}

/// Creates `.NAME.tape-audit-XXXXXX.tmp` in the target's directory.
fn temp_beside(path: &Path) -> io::Result<(PathBuf, File)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{stem}.tape-audit-"))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let (file, temp) = tmp.keep().map_err(|e| e.error)?;
    if let Ok(mut p) = PENDING.lock() {
        p.push(temp.clone());
    }
    Ok((temp, file))
}

/// A new file gets the mode an ordinary `create` would give it (0644 less
/// nothing: the temporary file starts at 0600); a replaced file keeps its mode.
fn keep_mode(temp: &Path, target: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(target)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o644);
        let _ = std::fs::set_permissions(temp, std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (temp, target);
}

/// The per-record outputs (`--csv`, `--show`), fed rows in input order by
/// the pipeline's writer thread.
pub struct RowOutputs {
    csv: Option<RowWriter<Output>>,
    show: Option<(Vec<ShowClass>, Output)>,
    har: Option<crate::extract::HarWriter>,
}

impl RowOutputs {
    /// Whether any per-record output is open.
    pub fn wanted(&self) -> bool {
        self.csv.is_some() || self.show.is_some() || self.har.is_some()
    }

    /// Whether rows must carry their records as HAR entries (`--extract-har`).
    pub fn extracts(&self) -> bool {
        self.har.is_some()
    }

    /// Writes a batch of rows to each output. Errors are kept by the
    /// outputs and returned by `finish`.
    pub fn write(&mut self, rows: &[Row]) {
        if let Some(w) = self.csv.as_mut() {
            let _ = w.write(rows);
        }
        if let Some((classes, out)) = self.show.as_mut() {
            for r in rows.iter().filter(|r| shows(classes, r.class)) {
                let _ = writeln!(out, "{}", crate::report::show::line(r));
            }
        }
        if let Some(w) = self.har.as_mut() {
            w.write(rows);
        }
    }
}

fn shows(classes: &[ShowClass], class: &str) -> bool {
    classes.iter().any(|c| match c {
        ShowClass::All => true,
        ShowClass::One(c) => c.name() == class,
    })
}

/// Every output of a run.
pub struct Outputs {
    /// Per-record outputs.
    pub rows: RowOutputs,
    /// `--timeline-csv`.
    pub timeline: Option<Output>,
    /// `--html`.
    pub html: Option<Output>,
    /// The report, unless standard output carries something else.
    pub report: Option<Output>,
}

/// What to open.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// `--csv`.
    pub csv: Option<Target>,
    /// `--timeline-csv`.
    pub timeline: Option<Target>,
    /// `--html`.
    pub html: Option<Target>,
    /// `--show` classes (empty: no `--show`).
    pub show: Vec<ShowClass>,
    /// `--extract-har`.
    pub extract: Option<Target>,
    /// `--unsafe-show-secrets`: the extract is not sanitized.
    pub show_secrets: bool,
}

impl Plan {
    /// Whether standard output carries something other than the report.
    pub fn stdout_taken(&self) -> bool {
        !self.show.is_empty()
            || self.csv == Some(Target::Stdout)
            || self.timeline == Some(Target::Stdout)
            || self.html == Some(Target::Stdout)
            || self.extract == Some(Target::Stdout)
    }

    /// The file targets, with the flag that names each.
    pub fn files(&self) -> Vec<(&'static str, &Path)> {
        let mut v = Vec::new();
        for (flag, t) in [
            ("--csv", &self.csv),
            ("--timeline-csv", &self.timeline),
            ("--html", &self.html),
            ("--extract-har", &self.extract),
        ] {
            if let Some(Target::File(p)) = t {
                v.push((flag, p.as_path()));
            }
        }
        v
    }
}

impl Outputs {
    /// Opens every output of `plan`, so that a bad path fails before any
    /// input is read.
    pub fn open(plan: &Plan, control: &Arc<Control>) -> Result<Outputs, WriteError> {
        let open = |t: &Target| Output::open(t, control.clone());
        let csv = match &plan.csv {
            Some(t) => {
                let out = open(t)?;
                let name = out.name().to_string();
                Some(RowWriter::new(out).map_err(|e| WriteError {
                    name,
                    error: csv_io(e),
                })?)
            }
            None => None,
        };
        let show = if plan.show.is_empty() {
            None
        } else {
            Some((plan.show.clone(), open(&Target::Stdout)?))
        };
        let timeline = plan.timeline.as_ref().map(open).transpose()?;
        let html = plan.html.as_ref().map(open).transpose()?;
        let har = match &plan.extract {
            Some(t) => Some(crate::extract::HarWriter::new(open(t)?, !plan.show_secrets)),
            None => None,
        };
        let report = if plan.stdout_taken() {
            None
        } else {
            Some(open(&Target::Stdout)?)
        };
        Ok(Outputs {
            rows: RowOutputs { csv, show, har },
            timeline,
            html,
            report,
        })
    }

    /// Gives up every output of a run that stopped early: nothing is
    /// renamed into place (temporary files are removed) and the first write
    /// error, if one stopped the run, is returned.
    pub fn abandon(self) -> Option<WriteError> {
        let Outputs {
            rows,
            timeline,
            html,
            report,
        } = self;
        let mut outs: Vec<Output> = Vec::new();
        if let Some(w) = rows.csv {
            outs.extend(w.into_inner().ok());
        }
        outs.extend(rows.show.map(|(_, o)| o));
        outs.extend(rows.har.map(crate::extract::HarWriter::into_output));
        outs.extend(timeline);
        outs.extend(html);
        outs.extend(report);
        outs.into_iter().find_map(Output::into_error)
    }

    /// Flushes and closes every output, renaming files into place. Every
    /// output is finished even when one fails; the first failure is returned.
    pub fn finish(self) -> Result<(), WriteError> {
        let Outputs {
            rows,
            timeline,
            html,
            report,
        } = self;
        let mut outs: Vec<Output> = Vec::new();
        let mut first: Option<WriteError> = None;
        if let Some(w) = rows.csv {
            let name = w.get_ref().name().to_string();
            match w.into_inner() {
                Ok(o) => outs.push(o),
                Err(source) => {
                    first.get_or_insert(WriteError {
                        name,
                        error: source,
                    });
                }
            }
        }
        outs.extend(rows.show.map(|(_, o)| o));
        outs.extend(rows.har.map(crate::extract::HarWriter::finish));
        outs.extend(timeline);
        outs.extend(html);
        outs.extend(report);
        for o in outs {
            if let Err(e) = o.finish() {
                first.get_or_insert(e);
            }
        }
        match first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The I/O error inside a CSV error (or the CSV error as one).
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Starts the signal handler: SIGINT and SIGTERM ask the run to stop; if it
/// has not stopped two seconds later (a read blocked on a terminal or a
/// pipe), or at a second signal, temporary files are removed and the
/// process exits 130 or 143.
pub fn handle_signals(control: &Arc<Control>) {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let control = control.clone();
        let _ = std::thread::Builder::new()
            .name("tape-audit-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    if control.signal().is_some() {
                        remove_pending();
                        std::process::exit(128 + sig);
                    }
                    control.signal.store(sig, Ordering::Relaxed);
                    control.request_stop();
                    let _ = std::thread::Builder::new().spawn(move || {
                        std::thread::sleep(std::time::Duration::from_secs(2));
                        remove_pending();
                        eprintln!("tape-audit: interrupted; no output was written");
                        std::process::exit(128 + sig);
                    });
                }
            });
    }
    #[cfg(not(unix))]
    let _ = control;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let control = Arc::new(Control::default());
        let mut o = Output::open(&Target::File(path.clone()), control.clone()).unwrap();
        o.write_all(b"a,b\n").unwrap();
        assert!(!path.exists());
        o.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        let mut o = Output::open(&Target::File(path.clone()), control).unwrap();
        o.write_all(b"new").unwrap();
        drop(o);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"a,b\n",
            "a dropped output replaces nothing"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "and leaves no temporary file"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_device_is_an_error_naming_the_output() {
        let control = Arc::new(Control::default());
        let mut o = Output::open(&Target::File("/dev/full".into()), control.clone()).unwrap();
        let _ = o.write_all(b"x\n");
        let err = o.finish().unwrap_err();
        assert_eq!(err.to_string(), "/dev/full: No space left on device");
        assert!(control.failed.load(Ordering::Relaxed) && control.stopped());
    }
}
