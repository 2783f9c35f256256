//! Inputs: files, directories and standard input; gzip and zstd detected by
//! their magic bytes; HAR or JSON lines detected from content. Readers cut
//! each input into `Work` units that workers turn into exchanges. Nothing
//! here classifies.

pub mod har;
pub mod jsonl;

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::value::RawValue;

use crate::exchange::{Exchange, Locator, LocatorKind};
use jsonl::{Field, Shape};

/// One input as given on the command line (or found in a directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file path named on the command line.
    File(PathBuf),
    /// A file found by walking a directory: left out when it holds no
    /// HAR or JSON lines at all (a README beside the logs).
    Walked(PathBuf),
}

impl Source {
    /// The name used in reports and messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::File(p) | Source::Walked(p) => p.display().to_string(),
        }
    }

    /// The file path, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File(p) | Source::Walked(p) => Some(p),
        }
    }
}

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A HAR document (`log.entries`).
    Har,
    /// JSON lines, one object per line.
    Jsonl,
    /// A JSON document (pretty-printed object, array of objects, or
    /// concatenated objects) holding log records.
    JsonDoc,
}

impl Format {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Har => "har",
            Format::Jsonl => "jsonl",
            Format::JsonDoc => "json",
        }
    }

    /// What a locator's index counts in this format.
    pub fn locator_kind(self) -> LocatorKind {
        match self {
            Format::Har => LocatorKind::Entry,
            Format::Jsonl => LocatorKind::Line,
            Format::JsonDoc => LocatorKind::Value,
        }
    }
}

/// Expands command-line inputs: directories are walked recursively in name
/// order, skipping hidden entries. A directory that cannot be read is an
/// error for that path; the rest goes on.
pub fn expand(args: &[String]) -> (Vec<Source>, Vec<crate::error::Error>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Source::Stdin);
            continue;
        }
        let p = PathBuf::from(a);
        if p.is_dir() {
            walk(&p, &mut out, &mut errors);
        } else {
            out.push(Source::File(p));
        }
    }
    (out, errors)
}

fn walk(dir: &Path, out: &mut Vec<Source>, errors: &mut Vec<crate::error::Error>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(crate::error::Error::io(dir, e));
            return;
        }
    };
    let mut names: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        // Symbolic links to directories are not followed (they can loop);
        // links to files are read, and a dangling one reports its error.
        let is_link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if p.is_dir() {
            if !is_link {
                walk(&p, out, errors);
            }
        } else {
            out.push(Source::Walked(p));
        }
    }
}

/// Reads through to the inner reader until it fails, then records the
/// error and reports the end of input, so that everything read before a
/// failure (a truncated gzip stream, a disk error) is still audited.
pub struct Latch<R> {
    inner: R,
    /// Bytes delivered so far.
    pub offset: u64,
    /// The error that ended the stream, if any.
    pub error: Option<io::Error>,
}

impl<R: Read> Latch<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Latch<R> {
        Latch {
            inner,
            offset: 0,
            error: None,
        }
    }
}

impl<R: Read> Read for Latch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    return Ok(0);
                }
            }
        }
    }
}

/// Compression detected on an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// gzip (one or more members).
    Gzip,
    /// Zstandard.
    Zstd,
}

/// Opens a source, undoing gzip or zstd compression found by magic bytes.
/// `counter` sees the raw bytes read (for progress).
pub fn open(
    src: &Source,
    counter: impl FnMut(usize) + Send + 'static,
) -> io::Result<(Box<dyn Read + Send>, Option<Compression>)> {
    let raw: Box<dyn Read + Send> = match src {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(p) | Source::Walked(p) => {
            let f = std::fs::File::open(p)?;
            if f.metadata()?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "is a directory",
                ));
            }
            Box::new(f)
        }
    };
    // A small buffer: the readers ask for large blocks, which then go
    // straight from the file into them instead of through this buffer.
    let mut r = BufReader::with_capacity(
        64 << 10,
        Counting {
            inner: raw,
            counter,
        },
    );
    let head = r.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        (
            Box::new(flate2::bufread::MultiGzDecoder::new(r)),
            Some(Compression::Gzip),
        )
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        (
            Box::new(zstd::Decoder::with_buffer(r)?),
            Some(Compression::Zstd),
        )
    } else {
        (Box::new(r), None)
    })
}

struct Counting<R, F> {
    inner: R,
    counter: F,
}

impl<R: Read, F: FnMut(usize)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.counter)(n);
        Ok(n)
    }
}

/// How many bytes of an input are looked at to detect its format.
const SNIFF: usize = 64 << 10;

/// Reads the start of a stream (up to `SNIFF` bytes, fewer at its end).
pub fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = vec![0; SNIFF];
    let mut n = 0;
    while n < SNIFF {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    Ok(head)
}

/// Detects the format from the first bytes of a (decompressed) stream.
pub fn sniff(head: &[u8]) -> Format {
    let t = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let t = trim_ws(t);
    match t.first() {
        Some(b'{') => {}
        Some(b'[') => return Format::JsonDoc,
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            // A JSONP-wrapped HAR: `callback({"log": ...})`.
            let open = t.iter().take(128).position(|&b| b == b'(');
            if let Some(i) = open {
                if trim_ws(&t[i + 1..]).starts_with(b"{")
                    && first_key(trim_ws(&t[i + 1..])) == Some("log".into())
                {
                    return Format::Har;
                }
            }
            return Format::Jsonl;
        }
        _ => return Format::Jsonl,
    }
    if first_key(t).as_deref() == Some("log") {
        return Format::Har;
    }
    let line = match memchr::memchr(b'\n', t) {
        Some(i) => &t[..i],
        None => t,
    };
    let first_line = serde_json::from_slice::<&RawValue>(trim_ws(line));
    if first_line.is_ok() {
        return Format::Jsonl;
    }
    if memchr::memmem::find(t, b"\"entries\"").is_some()
        && memchr::memmem::find(t, b"\"log\"").is_some()
    {
        return Format::Har;
    }
    // A first line that is broken JSON (not merely unfinished, as the first
    // line of a pretty-printed document is) is a bad line of a log.
    match first_line {
        Err(e) if !e.is_eof() && memchr::memchr(b'\n', t).is_some() => Format::Jsonl,
        // A first line cut short, followed by lines that are objects on
        // their own, is a log whose first record is damaged; the lines of a
        // pretty-printed document do not stand alone.
        _ if next_lines_are_objects(t) => Format::Jsonl,
        _ => Format::JsonDoc,
    }
}

/// Whether the non-blank lines after the first (up to five) parse as JSON
/// objects each on its own.
fn next_lines_are_objects(t: &[u8]) -> bool {
    let mut lines = t
        .split(|&b| b == b'\n')
        .skip(1)
        .map(trim_ws)
        .filter(|l| !l.is_empty());
    // The head may end inside a line: never judge by the last one.
    let sample: Vec<&[u8]> = lines.by_ref().take(6).collect();
    let whole = &sample[..sample.len().saturating_sub(1)];
    !whole.is_empty()
        && whole.iter().all(|l| {
            l.starts_with(b"{") && serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok()
        })
}

fn trim_ws(mut t: &[u8]) -> &[u8] {
    while let Some((c, rest)) = t.split_first() {
        if !c.is_ascii_whitespace() {
            break;
        }
        t = rest;
    }
    t
}

/// The first key of the object that `t` opens, if it can be read.
fn first_key(t: &[u8]) -> Option<String> {
    let rest = trim_ws(t.strip_prefix(b"{")?);
    if !rest.starts_with(b"\"") {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(rest).into_iter::<String>();
    // A StreamDeserializer stops after the string; anything may follow.
    match de.next() {
        Some(Ok(s)) => Some(s),
        _ => None,
    }
}

/// A unit of reading handed to a worker.
pub enum Work {
    /// Complete lines of a JSON-lines input.
    Lines {
        /// Input index.
        file: u32,
        /// Line number of the first line.
        first_line: u64,
        /// The bytes, ending at a line end (or at the end of the input).
        data: Vec<u8>,
        /// How lines map to exchanges.
        shape: Arc<Shape>,
    },
    /// Complete HAR entries.
    Entries {
        /// Input index.
        file: u32,
        /// The entries.
        batch: har::Batch,
    },
    /// Records of a JSON document, one value each.
    Values {
        /// Input index.
        file: u32,
        /// The values and their 1-based numbers.
        batch: har::Batch,
        /// How values map to exchanges.
        shape: Arc<Shape>,
    },
}

/// What a record turned out to be.
pub enum Record<'a> {
    /// An HTTP exchange.
    Exchange(Exchange<'a>),
    /// Not readable: a reason key and a detail.
    Skipped(&'static str, String),
}

impl Work {
    /// Bytes of input this unit holds.
    pub fn len(&self) -> usize {
        match self {
            Work::Lines { data, .. } => data.len(),
            Work::Entries { batch, .. } | Work::Values { batch, .. } => batch.data.len(),
        }
    }

    /// What a locator's index counts in this unit.
    pub fn kind(&self) -> LocatorKind {
        match self {
            Work::Lines { .. } => LocatorKind::Line,
            Work::Entries { .. } => LocatorKind::Entry,
            Work::Values { .. } => LocatorKind::Value,
        }
    }

    /// Whether the unit holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` for every record in the unit, in input order.
    pub fn for_each(&self, mut f: impl FnMut(Locator, Record<'_>)) {
        match self {
            Work::Lines {
                file,
                first_line,
                data,
                shape,
            } => {
                // One UTF-8 check for the whole block; lines of a block
                // that fails are checked one by one, to name the bad line.
                let text = simdutf8::basic::from_utf8(data).ok();
                let mut start = 0;
                let ends = memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len()));
                for (line, end) in (*first_line..).zip(ends) {
                    let raw = &data[start..end];
                    let line_text = text.map(|t| &t[start..end]);
                    start = end + 1;
                    let loc = Locator {
                        file: *file,
                        index: line,
                    };
                    if raw.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let rec = match line_text {
                        Some(t) => text_record(t, shape),
                        None => line_record(raw, shape),
                    };
                    f(loc, rec);
                }
            }
            Work::Entries { file, batch } => {
                // One UTF-8 check per batch, as for lines.
                let text = simdutf8::basic::from_utf8(&batch.data).ok();
                for (i, &(a, b)) in batch.ranges.iter().enumerate() {
                    let loc = Locator {
                        file: *file,
                        index: batch.first_index + i as u64,
                    };
                    let entry = match text.and_then(|t| t.get(a..b)) {
                        Some(t) => Ok(t),
                        None => std::str::from_utf8(&batch.data[a..b]),
                    };
                    let rec = match entry {
                        Err(e) => Record::Skipped(
                            "invalid_utf8",
                            format!("invalid UTF-8 at byte {} of the entry", e.valid_up_to()),
                        ),
                        Ok(text) => match har::parse_entry(text) {
                            Ok(ex) => Record::Exchange(ex),
                            Err((reason, detail)) => Record::Skipped(reason, detail),
                        },
                    };
                    f(loc, rec);
                }
            }
            Work::Values { file, batch, shape } => {
                for (i, &(a, b)) in batch.ranges.iter().enumerate() {
                    let loc = Locator {
                        file: *file,
                        index: batch.first_index + i as u64,
                    };
                    f(loc, line_record(&batch.data[a..b], shape));
                }
            }
        }
    }
}

fn line_record<'a>(raw: &'a [u8], shape: &Shape) -> Record<'a> {
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t,
        Err(e) => {
            return Record::Skipped(
                "invalid_utf8",
                format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            )
        }
    };
    text_record(text, shape)
}

fn text_record<'a>(text: &'a str, shape: &Shape) -> Record<'a> {
    let text = text.strip_suffix('\r').unwrap_or(text);
    let obj = match shape.parse_line(text) {
        Ok(o) => o,
        Err(reason) => {
            return match jsonl::parse_text_access(text) {
                Some(ex) => Record::Exchange(ex),
                None => Record::Skipped(reason, excerpt(text)),
            }
        }
    };
    match shape.map(&obj, text) {
        Ok(Some(ex)) => Record::Exchange(ex),
        Ok(None) => Record::Skipped(
            "no_status",
            "no response status: a log event, not an HTTP response".to_string(),
        ),
        Err((reason, detail)) => Record::Skipped(reason, detail),
    }
}

/// The start of an unreadable line, for a message.
/// The start of an unreadable record, for its skip detail: long enough that
/// a token in it is whole when it is redacted (the aggregate redacts, then
/// cuts to its own length), bounded so that a huge record costs nothing.
fn excerpt(text: &str) -> String {
    crate::aggregate::cut(text, 1024)
}

/// Options for reading inputs.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
    /// `--field` overrides for JSON lines.
    pub fields: Vec<(Field, String)>,
    /// Largest record (line or HAR entry) read; longer ones are skipped.
    pub max_record: usize,
}

/// What reading one input found out about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputInfo {
    /// Name as given.
    pub name: String,
    /// Detected or forced format.
    pub format: Option<Format>,
    /// Detected compression.
    pub compression: Option<Compression>,
    /// The JSON-lines shape used.
    pub shape: Option<String>,
    /// A fatal error that stopped reading this input.
    pub error: Option<String>,
    /// Why a walked file was left out.
    pub note: Option<String>,
}

/// A reader that ends after the first few MiB (for a quick look at an input).
pub struct HeadOnly<R>(pub R);

impl<R: Read> Read for HeadOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&mut self.0).take(4 << 20).read(buf)
    }
}

/// Whether the start of an input holds anything this tool reads.
fn looks_like_data(head: &[u8], format: Format) -> bool {
    match format {
        Format::Har => return true,
        Format::JsonDoc => {
            let t = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
            let mut values =
                serde_json::Deserializer::from_slice(t).into_iter::<serde::de::IgnoredAny>();
            // Valid JSON, or valid up to where the head was cut.
            return !matches!(values.next(), Some(Err(e)) if !e.is_eof());
        }
        Format::Jsonl => {}
    }
    let text = String::from_utf8_lossy(head);
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .any(|l| jsonl::parse_line(l).is_ok() || jsonl::parse_text_access(l).is_some())
}

/// Block buffers handed back by the workers (`recycle`), so that reading
/// reuses memory instead of faulting fresh pages in for every block.
static SPARE_BLOCKS: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// How many spare blocks are kept (a few MiB).
const SPARE_MAX: usize = 8;

/// An empty buffer of at least `capacity` bytes, reused when one is spare.
pub(crate) fn block_buffer(capacity: usize) -> Vec<u8> {
    let spare = SPARE_BLOCKS.lock().ok().and_then(|mut s| s.pop());
    match spare {
        Some(mut b) => {
            b.clear();
            b.reserve(capacity);
            b
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Hands a processed unit's buffer back for reuse.
pub fn recycle(work: Work) {
    let data = match work {
        Work::Lines { data, .. } => data,
        Work::Entries { batch, .. } | Work::Values { batch, .. } => batch.data,
    };
    if let Ok(mut spare) = SPARE_BLOCKS.lock() {
        if spare.len() < SPARE_MAX {
            spare.push(data);
        }
    }
}

/// Bytes per JSON-lines chunk handed to a worker.
const CHUNK: usize = 1 << 20;

/// Reads one input to its end, handing work to `send` and reporting
/// records that could not even be cut out (too long, truncated) to `skip`.
pub fn read_source(
    file: u32,
    src: &Source,
    r: Box<dyn Read + Send>,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, &'static str, String),
) {
    let mut latch = Latch::new(r);
    read_latched(file, src, &mut latch, opts, info, send, skip);
    if let Some(e) = latch.error.take() {
        info.error = Some(format!(
            "read error at byte {} (records before it are counted): {}",
            latch.offset,
            crate::error::io_message(&e)
        ));
    }
}

fn read_latched(
    file: u32,
    src: &Source,
    mut r: &mut Latch<Box<dyn Read + Send>>,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, &'static str, String),
) {
    // A latch never fails: an error ends the stream and is reported after.
    let head = read_head(&mut r).unwrap_or_default();
    if head.is_empty() {
        if r.error.is_none() {
            info.error = Some("empty input".into());
        }
        return;
    }
    let format = opts.format.unwrap_or_else(|| sniff(&head));
    if matches!(src, Source::Walked(_)) && opts.format.is_none() && !looks_like_data(&head, format)
    {
        info.note = Some("neither HAR nor JSON lines".into());
        return;
    }
    info.format = Some(format);
    let stream = io::Cursor::new(head).chain(r);
    match format {
        Format::Har => read_har(file, stream, info, send, skip),
        Format::Jsonl => read_lines(file, stream, opts, info, send, skip),
        Format::JsonDoc => read_doc(file, stream, opts, info, send),
    }
}

fn read_har(
    file: u32,
    stream: impl Read,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, &'static str, String),
) {
    let mut sc = har::Scanner::new(stream);
    match sc.run(|batch| send(Work::Entries { file, batch })) {
        Ok(end) if !end.found_entries => {
            info.error = Some("not a HAR file: no `log.entries` array".into())
        }
        Ok(_) => {}
        Err(e) => {
            if let Some(index) = e.cut_entry {
                skip(
                    Locator { file, index },
                    "truncated",
                    format!("the input ends inside this entry, at byte {}", e.offset),
                );
            }
            info.error = Some(format!("{} at byte {}", e.msg, e.offset));
        }
    }
}

fn read_lines(
    file: u32,
    mut stream: impl Read,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, &'static str, String),
) {
    let mut shape: Option<Arc<Shape>> = None;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut line = 1u64;
    let mut first = true;
    // While a line longer than the limit is being skipped: where it started.
    let mut skipping: Option<u64> = None;
    let mut skipped_blank = true;
    loop {
        let old = buf.len();
        // read_to_end appends without zeroing the buffer first.
        let n = match (&mut stream).take(CHUNK as u64).read_to_end(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                buf.truncate(old);
                info.error = Some(format!(
                    "read error after line {line}: {}",
                    crate::error::io_message(&e)
                ));
                break;
            }
        };
        buf.truncate(old + n);
        let eof = n == 0;
        if first && !buf.is_empty() {
            first = false;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
        }
        if let Some(start) = skipping {
            let end = memchr::memchr(b'\n', &buf);
            let part = &buf[..end.unwrap_or(buf.len())];
            skipped_blank &= part.iter().all(u8::is_ascii_whitespace);
            if end.is_some() || eof {
                // A huge run of whitespace is a blank line, not a record.
                if !skipped_blank {
                    skip(
                        Locator { file, index: start },
                        "too_large",
                        format!("line longer than {} bytes", opts.max_record),
                    );
                }
                skipping = None;
                line = start + 1;
            }
            match end {
                Some(i) => {
                    buf.drain(..=i);
                }
                None => {
                    buf.clear();
                    if eof {
                        break;
                    }
                    continue;
                }
            }
        }
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None if buf.len() > opts.max_record => {
                    skipping = Some(line);
                    skipped_blank = buf.iter().all(u8::is_ascii_whitespace);
                    buf.clear();
                    continue;
                }
                None => continue,
            }
        };
        if cut > 0 {
            // The next block gets its full size at once, so that reading
            // into it does not grow it step by step.
            let mut rest = block_buffer(CHUNK + (buf.len() - cut).max(CHUNK));
            rest.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            let data = std::mem::replace(&mut buf, rest);
            let shape = shape
                .get_or_insert_with(|| {
                    let s = Shape::detect(&data, &opts.fields);
                    info.shape = Some(s.name.clone());
                    Arc::new(s)
                })
                .clone();
            let lines = memchr::memchr_iter(b'\n', &data).count() as u64;
            send(Work::Lines {
                file,
                first_line: line,
                data,
                shape,
            });
            line += lines;
        }
        if eof {
            break;
        }
    }
}

/// Largest JSON document read whole (pretty-printed logs are small).
const MAX_DOC: u64 = 1 << 30;

fn read_doc(
    file: u32,
    stream: impl Read,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
) {
    let mut data = Vec::new();
    if let Err(e) = stream.take(MAX_DOC).read_to_end(&mut data) {
        info.error = Some(format!("read error: {}", crate::error::io_message(&e)));
        return;
    }
    let text = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&data);
    let base = text.as_ptr() as usize - data.as_ptr() as usize;
    let mut ranges = Vec::new();
    let offset_of = |v: &RawValue| v.get().as_ptr() as usize - data.as_ptr() as usize;
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
    for v in stream.by_ref() {
        match v {
            Ok(v) if v.get().starts_with('[') => {
                match serde_json::from_str::<Vec<&RawValue>>(v.get()) {
                    Ok(items) => ranges.extend(
                        items
                            .iter()
                            .map(|i| (offset_of(i), offset_of(i) + i.get().len())),
                    ),
                    Err(e) => {
                        info.error = Some(format!("invalid JSON at byte {}: {e}", offset_of(v)));
                        break;
                    }
                }
            }
            Ok(v) => ranges.push((offset_of(v), offset_of(v) + v.get().len())),
            Err(e) => {
                info.error = Some(format!(
                    "invalid JSON at byte {}: {}",
                    base + stream.byte_offset(),
                    e
                ));
                break;
            }
        }
    }
    let samples = ranges
        .iter()
        .take(200)
        .map(|&(a, b)| compact(&data[a..b]))
        .collect::<Vec<_>>()
        .join("\n");
    let shape = Shape::detect(samples.as_bytes(), &opts.fields);
    info.shape = Some(shape.name.clone());
    send(Work::Values {
        file,
        batch: har::Batch {
            first_index: 1,
            data,
            ranges,
        },
        shape: Arc::new(shape),
    });
}

/// A JSON value on one line, for shape detection.
fn compact(raw: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(raw)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"{\"log\":{\"entries\":[]}}"), Format::Har);
        assert_eq!(sniff(b"\xEF\xBB\xBF{\n  \"log\": {"), Format::Har);
        assert_eq!(sniff(b"onInputData({\"log\":{}})"), Format::Har);
        assert_eq!(
            sniff(b"{\"status\":200}\n{\"status\":404}\n"),
            Format::Jsonl
        );
        assert_eq!(sniff(b"{\n  \"httpRequest\": {\n"), Format::JsonDoc);
        assert_eq!(sniff(b"[{\"status\":1}]"), Format::JsonDoc);
        assert_eq!(
            sniff(b"{\"status\":404,\"body\":{\"error_co\n{\"status\":200}\n{\"status\":201}\n{\"status\":202}\n"),
            Format::Jsonl
        );
        assert_eq!(
            sniff(b"{\n  \"a\": {\"b\": 1},\n  \"c\": 2\n}\n"),
            Format::JsonDoc
        );
        assert_eq!(
            sniff(b"2024-01-01T00:00:00Z stdout F {\"a\":1}\n"),
            Format::Jsonl
        );
    }
}
