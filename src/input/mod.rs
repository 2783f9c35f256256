//! Inputs: files, directories and standard input; gzip and zstd detected by
//! their magic bytes; HAR or JSON lines detected from content. Readers cut
//! each input into `Work` units that workers turn into exchanges. Nothing
//! here classifies.

mod doc;
mod fillbuf;
pub mod har;
pub mod jsonl;
pub mod lines;
pub mod skip;
pub mod transcode;
pub mod window;

pub use skip::SkipReason;

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
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
            Source::File(p) | Source::Walked(p) => display_path(p),
        }
    }

    /// The file path, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File(p) | Source::Walked(p) => Some(p),
        }
    }

    /// Whether the input can be read twice: a regular file (not standard
    /// input or a FIFO).
    pub fn can_reread(&self) -> bool {
        self.path()
            .and_then(|p| std::fs::metadata(p).ok())
            .is_some_and(|m| m.is_file())
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

/// Command-line inputs expanded into sources.
#[derive(Debug, Default)]
pub struct Expanded {
    /// What to read, in the order found (callers sort by name).
    pub sources: Vec<Source>,
    /// Paths that could not be walked, each naming the path.
    pub errors: Vec<crate::error::Error>,
    /// Inputs given or reached more than once (read once), each a line.
    pub warnings: Vec<String>,
}

/// Expands command-line inputs: directories are walked recursively in name
/// order, skipping hidden entries. A directory or an entry that cannot be
/// read is an error for that path; the rest goes on. A file given or
/// reached twice (the same path, a directory and a file in it, two links
/// to one file) is read once, with a warning.
pub fn expand(args: &[std::ffi::OsString]) -> (Vec<Source>, Vec<crate::error::Error>, Vec<String>) {
    let e = expand_inputs(args, &Globs::default());
    (e.sources, e.errors, e.warnings)
}

/// `-g/--glob` patterns, with ripgrep's semantics: they choose the files a
/// directory walk reads (files named on the command line are always read).
/// A glob without a `/` matches a file or directory name at any depth; one
/// with a `/` matches the path below the walked directory (a leading `/`
/// is dropped). `!GLOB` excludes, and an excluded directory is not walked.
/// When several globs match, the last one given decides; when at least one
/// glob includes, a file that no glob matches is left out.
#[derive(Debug, Clone, Default)]
pub struct Globs {
    set: globset::GlobSet,
    /// Per glob: whether it excludes.
    negated: Vec<bool>,
    /// Per glob: whether it matches directories only (a trailing `/`).
    dir_only: Vec<bool>,
    /// Whether any glob includes.
    any_include: bool,
}

impl Globs {
    /// Builds the globs; the error names the one that does not parse.
    pub fn new(patterns: &[String]) -> Result<Globs, String> {
        let mut b = globset::GlobSetBuilder::new();
        let mut g = Globs::default();
        for p in patterns {
            let (neg, body) = match p.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, p.as_str()),
            };
            let (dir_only, body) = match body.strip_suffix('/') {
                Some(rest) => (true, rest),
                None => (false, body),
            };
            let body = body.strip_prefix('/').unwrap_or(body);
            if body.is_empty() {
                return Err(format!("--glob `{p}`: an empty glob"));
            }
            let full = if body.contains('/') {
                body.to_string()
            } else {
                format!("**/{body}")
            };
            let glob = globset::GlobBuilder::new(&full)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("--glob `{p}`: {}", e.kind()))?;
            b.add(glob);
            g.negated.push(neg);
            g.dir_only.push(dir_only);
            g.any_include |= !neg;
        }
        g.set = b.build().map_err(|e| format!("--glob: {}", e.kind()))?;
        Ok(g)
    }

    /// Whether no glob was given.
    pub fn is_empty(&self) -> bool {
        self.negated.is_empty()
    }

    /// The last matching glob's verdict on `rel` (true: include).
    fn verdict(&self, rel: &Path, is_dir: bool) -> Option<bool> {
        self.set
            .matches(rel)
            .into_iter()
            .filter(|&i| is_dir || !self.dir_only[i])
            .max()
            .map(|i| !self.negated[i])
    }

    /// Whether a walked file (its path below the walked directory) is read.
    pub fn keeps_file(&self, rel: &Path) -> bool {
        self.verdict(rel, false).unwrap_or(!self.any_include)
    }

    /// Whether a walked directory is walked into.
    pub fn enters_dir(&self, rel: &Path) -> bool {
        self.verdict(rel, true) != Some(false)
    }
}

/// `expand`, as one value, with `--glob` choosing the walked files.
pub fn expand_inputs(args: &[std::ffi::OsString], globs: &Globs) -> Expanded {
    let mut found = Vec::new();
    let mut out = Expanded::default();
    for a in args {
        if a == "-" {
            found.push(Source::Stdin);
            continue;
        }
        let p = PathBuf::from(a);
        if p.is_dir() {
            walk(&p, globs, &mut found, &mut out.errors);
        } else {
            found.push(Source::File(p));
        }
    }
    // The first place a file is found keeps it; a later one only warns (and
    // a file named on the command line is read even when a walk found it).
    let mut seen: std::collections::HashMap<FileId, usize> = std::collections::HashMap::new();
    for src in found {
        let Some(id) = file_id(&src) else {
            out.sources.push(src);
            continue;
        };
        match seen.get(&id) {
            Some(&i) => {
                let first = &out.sources[i];
                let same = if first.name() == src.name() {
                    "given more than once".to_string()
                } else {
                    format!("the same file as {}", first.name())
                };
                out.warnings
                    .push(format!("{}: {same}: read once", src.name()));
                if let (Source::Walked(_), Source::File(p)) = (first, &src) {
                    out.sources[i] = Source::File(p.clone());
                }
            }
            None => {
                seen.insert(id, out.sources.len());
                out.sources.push(src);
            }
        }
    }
    out
}

/// What makes two sources the same input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    Stdin,
    /// Device and inode.
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path, where inodes are not at hand.
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

/// The identity of a source's file; `None` when it cannot be told (a path
/// that does not exist reports its own error when opened).
fn file_id(src: &Source) -> Option<FileId> {
    let p = match src {
        Source::Stdin => return Some(FileId::Stdin),
        Source::File(p) | Source::Walked(p) => p,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(p).ok()?;
        Some(FileId::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(p).ok().map(FileId::Path)
    }
}

fn walk(dir: &Path, globs: &Globs, out: &mut Vec<Source>, errors: &mut Vec<crate::error::Error>) {
    let rel = |p: &Path| p.strip_prefix(dir).unwrap_or(p).to_path_buf();
    let entries = walkdir::WalkDir::new(dir)
        .min_depth(1)
        // Symbolic links to directories are not followed (they can loop);
        // links to files are read, and a dangling one reports its error.
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !e.file_name().as_encoded_bytes().starts_with(b".")
                && (!e.file_type().is_dir() || globs.enters_dir(&rel(e.path())))
        });
    for e in entries {
        let e = match e {
            Ok(e) => e,
            Err(err) => {
                let path = err.path().unwrap_or(dir).to_path_buf();
                let io = err
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("cannot be walked"));
                errors.push(crate::error::Error::io(&path, io));
                continue;
            }
        };
        let ft = e.file_type();
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() && std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        if !globs.keeps_file(&rel(e.path())) {
            continue;
        }
        out.push(Source::Walked(e.into_path()));
    }
}

/// A path as shown in reports and messages: as is when it is UTF-8; else
/// each byte that is not UTF-8 as `\xNN` (and `\` doubled), so that two
/// different names never show the same. A UTF-8 name that holds `\x` or
/// `\\` itself is escaped the same way, for the same reason.
pub fn display_path(p: &Path) -> String {
    let os = p.as_os_str();
    if let Some(s) = os.to_str() {
        if !s.contains("\\x") && !s.contains("\\\\") {
            return s.to_string();
        }
    }
    let bytes = os.as_encoded_bytes();
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
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
    /// Whether the inner reader reached its end.
    pub eof: bool,
}

impl<R: Read> Latch<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Latch<R> {
        Latch {
            inner,
            offset: 0,
            error: None,
            eof: false,
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
                    self.eof |= n == 0 && !buf.is_empty();
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
/// `counter` sees the raw bytes read (for progress). A zstd input is
/// decoded with the window limit of the `ReadOptions` that `read_source`
/// is then called with (`zstd_window_mib`).
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
    let raw_bytes = Arc::new(AtomicU64::new(0));
    // A small buffer: the readers ask for large blocks, which then go
    // straight from the file into them instead of through this buffer.
    let mut r = BufReader::with_capacity(
        64 << 10,
        Counting {
            inner: raw,
            counter,
            total: raw_bytes.clone(),
        },
    );
    let head = r.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        let dec = flate2::bufread::MultiGzDecoder::new(r);
        (
            Box::new(Decompressed {
                dec,
                raw: raw_bytes,
                buffered: |d: &flate2::bufread::MultiGzDecoder<_>| d.get_ref().buffer().len(),
            }),
            Some(Compression::Gzip),
        )
    } else if is_zstd(head) {
        let window = zstd_frame_window(head);
        (
            Box::new(Decompressed {
                dec: LazyZstd::Pending(Some(r), window),
                raw: raw_bytes,
                buffered: LazyZstd::buffered,
            }),
            Some(Compression::Zstd),
        )
    } else {
        (Box::new(r), None)
    })
}

/// Whether a stream starts with a zstd frame or a skippable frame (which
/// `pzstd` and some archivers put first).
fn is_zstd(head: &[u8]) -> bool {
    head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || (head.len() >= 4 && (0x50..=0x5f).contains(&head[0]) && head[1..4] == [0x2a, 0x4d, 0x18])
}

/// The window size the first zstd frame in `head` asks for, when its header
/// is there (after any skippable frames that fit).
fn zstd_frame_window(head: &[u8]) -> Option<u64> {
    let mut i = 0usize;
    loop {
        let h = head.get(i..i + 4)?;
        if (0x50..=0x5f).contains(&h[0]) && h[1..4] == [0x2a, 0x4d, 0x18] {
            let size = u32::from_le_bytes(head.get(i + 4..i + 8)?.try_into().ok()?);
            i = i.checked_add(8 + size as usize)?;
            continue;
        }
        if h != [0x28, 0xb5, 0x2f, 0xfd] {
            return None;
        }
        let fhd = *head.get(i + 4)?;
        let single_segment = fhd & 0x20 != 0;
        if !single_segment {
            let wd = *head.get(i + 5)?;
            let log = 10 + u64::from(wd >> 3);
            let base = 1u64 << log;
            return Some(base + (base / 8) * u64::from(wd & 7));
        }
        // A single segment: the window is the content size.
        let dict_len = [0usize, 1, 2, 4][usize::from(fhd & 3)];
        let at = i + 5 + dict_len;
        return Some(match fhd >> 6 {
            0 => u64::from(*head.get(at)?),
            1 => u64::from(u16::from_le_bytes(head.get(at..at + 2)?.try_into().ok()?)) + 256,
            2 => u64::from(u32::from_le_bytes(head.get(at..at + 4)?.try_into().ok()?)),
            _ => u64::from_le_bytes(head.get(at..at + 8)?.try_into().ok()?),
        });
    }
}

/// The default largest zstd window accepted, in MiB (`--zstd-window-mib`).
pub const DEFAULT_ZSTD_WINDOW_MIB: u32 = 32;

/// The zstd window limit in force, set by `read_source` from its options
/// (`open` builds the decoder before it sees them).
static ZSTD_WINDOW_MIB: AtomicU32 = AtomicU32::new(DEFAULT_ZSTD_WINDOW_MIB);

fn set_zstd_window_mib(mib: u32) {
    let mib = if mib == 0 {
        DEFAULT_ZSTD_WINDOW_MIB
    } else {
        mib
    };
    ZSTD_WINDOW_MIB.store(mib, Ordering::Relaxed);
}

/// A zstd frame asks for a larger window than allowed.
#[derive(Debug)]
struct ZstdWindow {
    /// What the first frame asks for, when known.
    needed: Option<u64>,
    limit_mib: u32,
}

impl std::fmt::Display for ZstdWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.needed {
            Some(n) if n > u64::from(self.limit_mib) << 20 => write!(
                f,
                "zstd frame needs a {} MiB window, above the {} MiB limit (raise it with --zstd-window-mib)",
                n.div_ceil(1 << 20),
                self.limit_mib
            ),
            _ => write!(
                f,
                "zstd frame needs a window above the {} MiB limit (raise it with --zstd-window-mib)",
                self.limit_mib
            ),
        }
    }
}

impl std::error::Error for ZstdWindow {}

/// The message of a zstd window error, if `e` is one.
fn zstd_window_error(e: &io::Error) -> Option<String> {
    e.get_ref()
        .and_then(|x| x.downcast_ref::<ZstdWindow>())
        .map(ToString::to_string)
}

/// A zstd decoder made on first read, when the window limit is known.
enum LazyZstd<R: BufRead> {
    Pending(Option<R>, Option<u64>),
    Ready(zstd::Decoder<'static, R>, Option<u64>),
    Failed,
}

impl<R: BufRead + BufferLen> LazyZstd<R> {
    fn buffered(&self) -> usize {
        match self {
            LazyZstd::Pending(Some(r), _) => r.buffer_len(),
            LazyZstd::Ready(d, _) => d.get_ref().buffer_len(),
            _ => 0,
        }
    }
}

/// How many bytes a buffered reader holds read but not consumed.
trait BufferLen {
    fn buffer_len(&self) -> usize;
}

impl<R: Read> BufferLen for BufReader<R> {
    fn buffer_len(&self) -> usize {
        self.buffer().len()
    }
}

impl<R: BufRead + BufferLen> Read for LazyZstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let LazyZstd::Pending(r, needed) = self {
            let needed = *needed;
            let r = r.take().expect("a pending decoder has its reader");
            let mib = ZSTD_WINDOW_MIB.load(Ordering::Relaxed).max(1);
            // The smallest power of two at least `mib` MiB, as a log.
            let log = (20 + (32 - (mib - 1).leading_zeros())).clamp(10, 31);
            let mut dec = match zstd::Decoder::with_buffer(r) {
                Ok(d) => d,
                Err(e) => {
                    *self = LazyZstd::Failed;
                    return Err(e);
                }
            };
            dec.window_log_max(log)?;
            if needed.is_some_and(|n| n > u64::from(mib) << 20) {
                *self = LazyZstd::Failed;
                return Err(io::Error::other(ZstdWindow {
                    needed,
                    limit_mib: mib,
                }));
            }
            *self = LazyZstd::Ready(dec, needed);
        }
        match self {
            LazyZstd::Ready(dec, needed) => dec.read(buf).map_err(|e| {
                if e.to_string().contains("too much memory") {
                    io::Error::other(ZstdWindow {
                        needed: *needed,
                        limit_mib: ZSTD_WINDOW_MIB.load(Ordering::Relaxed),
                    })
                } else {
                    e
                }
            }),
            _ => Ok(0),
        }
    }
}

/// A decoder whose errors say where in the compressed input they happened.
struct Decompressed<D> {
    dec: D,
    /// Raw (compressed) bytes read from the file so far.
    raw: Arc<AtomicU64>,
    /// Of those, how many the decoder has not consumed yet.
    buffered: fn(&D) -> usize,
}

impl<D: Read> Read for Decompressed<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.dec.read(buf).map_err(|e| {
            if zstd_window_error(&e).is_some() || e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            let at = self
                .raw
                .load(Ordering::Relaxed)
                .saturating_sub((self.buffered)(&self.dec) as u64);
            io::Error::new(
                e.kind(),
                format!("{} (at compressed byte {at})", crate::error::io_message(&e)),
            )
        })
    }
}

struct Counting<R, F> {
    inner: R,
    counter: F,
    total: Arc<AtomicU64>,
}

impl<R: Read, F: FnMut(usize)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.counter)(n);
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// How many bytes of an input are looked at first to detect its format.
const SNIFF: usize = 64 << 10;

/// Reads the start of a stream (up to `SNIFF` bytes, fewer at its end).
pub fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    read_head_upto(r, SNIFF)
}

/// Reads the start of a stream for format detection: at least `SNIFF`
/// bytes, and more while the first line is not complete and the root
/// object's members have not shown what the input is, up to `max` bytes
/// (the longest record read), so that a first line of any length is judged
/// whole.
pub fn read_head_upto(r: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let max = max.max(SNIFF);
    let mut head = Vec::new();
    let mut target = SNIFF;
    loop {
        let old = head.len();
        let n = r
            .take((target - old) as u64)
            .read_to_end(&mut head)
            .inspect_err(|_| head.truncate(old))?;
        if n == 0 || head.len() < target || head.len() >= max {
            return Ok(head);
        }
        let t = trim_ws(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head));
        if memchr::memchr(b'\n', t).is_some() || scan_root(t) != Root::Undecided {
            return Ok(head);
        }
        target = (target * 2).min(max);
    }
}

/// What the members of an object at the start of the input show.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Root {
    /// A `log` member holding an object, wherever it sits among the
    /// members (HAR allows `_`-prefixed custom members before it).
    Har,
    /// A `schema` member naming one of this tool's own outputs.
    TapeAudit(String),
    /// The object ends, or stops being JSON, without either.
    Neither,
    /// The head ends inside the object before either showed.
    Undecided,
}

/// Walks the members of the object that `t` opens, without building
/// anything, until a HAR `log` object or a tape-audit `schema` shows up.
fn scan_root(t: &[u8]) -> Root {
    members(t, 0, &mut |t, key, i| {
        let c = t[i];
        if key == "log" && c == b'{' {
            // A HAR's `log` holds `version`, `creator`, `entries`...; a
            // structured log's `log` member (`{"level": ...}`) does not.
            let har = members(t, i, &mut |_, key, _| {
                matches!(key, "entries" | "version" | "creator" | "pages" | "browser")
                    .then_some(Root::Har)
            });
            return match har {
                Root::Har | Root::Undecided => Some(har),
                _ => None,
            };
        }
        if key == "schema" && c == b'"' {
            let end = crate::jsonscan::value(t, i).ok()?;
            let s = serde_json::from_slice::<String>(&t[i..end]).ok()?;
            if s.starts_with("tape-audit/report/") || s.starts_with("tape-audit/partial/") {
                return Some(Root::TapeAudit(s));
            }
        }
        None
    })
}

/// Calls `each(t, key, value_start)` for the members of the object at
/// `t[at]` until it answers; `Neither` when the object ends (or stops being
/// JSON) first, `Undecided` when `t` ends first.
/// What `members` asks about each member: the text, the key and where the value starts.
type MemberFn<'f> = dyn FnMut(&[u8], &str, usize) -> Option<Root> + 'f;

fn members(t: &[u8], at: usize, each: &mut MemberFn<'_>) -> Root {
    use crate::jsonscan::{skip_ws, value, Invalid};
    if t.get(at) != Some(&b'{') {
        return Root::Neither;
    }
    // A value cut by the end of the head is undecided, not invalid.
    let end_of = |i: usize| match value(t, i) {
        Ok(e) => Ok(e),
        Err(Invalid(at)) if at + 1 >= t.len() => Err(Root::Undecided),
        Err(_) => Err(Root::Neither),
    };
    let mut i = skip_ws(t, at + 1);
    if t.get(i) == Some(&b'}') {
        return Root::Neither;
    }
    loop {
        i = skip_ws(t, i);
        match t.get(i) {
            None => return Root::Undecided,
            Some(b'"') => {}
            Some(_) => return Root::Neither,
        }
        let kend = match end_of(i) {
            Ok(e) => e,
            Err(r) => return r,
        };
        let Ok(key) = serde_json::from_slice::<std::borrow::Cow<str>>(&t[i..kend]) else {
            return Root::Neither;
        };
        i = skip_ws(t, kend);
        match t.get(i) {
            None => return Root::Undecided,
            Some(b':') => i = skip_ws(t, i + 1),
            Some(_) => return Root::Neither,
        }
        if i >= t.len() {
            return Root::Undecided;
        }
        if let Some(r) = each(t, &key, i) {
            return r;
        }
        let vend = match end_of(i) {
            Ok(e) => e,
            Err(r) => return r,
        };
        i = skip_ws(t, vend);
        match t.get(i) {
            None => return Root::Undecided,
            Some(b',') => i += 1,
            Some(_) => return Root::Neither,
        }
    }
}

/// Detects the format from the first bytes of a (decompressed) stream.
pub fn sniff(head: &[u8]) -> Format {
    sniff_head(head, false)
}

/// `sniff`, told whether the head was cut at the longest record read
/// before its first line ended (then that line is a record too long to
/// read, not the start of a document).
fn sniff_head(head: &[u8], cut_at_max: bool) -> Format {
    let t = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let t = trim_ws(t);
    match t.first() {
        Some(b'{') => {}
        Some(b'[') => return Format::JsonDoc,
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            // A JSONP-wrapped HAR: `callback({"log": ...})`.
            let open = t.iter().take(128).position(|&b| b == b'(');
            if let Some(i) = open {
                let inner = trim_ws(&t[i + 1..]);
                if inner.starts_with(b"{")
                    && (first_key(inner) == Some("log".into()) || scan_root(inner) == Root::Har)
                {
                    return Format::Har;
                }
            }
            return Format::Jsonl;
        }
        _ => return Format::Jsonl,
    }
    let line = match memchr::memchr(b'\n', t) {
        Some(i) => &t[..i],
        None => t,
    };
    if scan_root(t) == Root::Har {
        return Format::Har;
    }
    // A `log` member first is taken for a HAR (a broken one reports where
    // it breaks), unless the first line is a whole object without HAR
    // members: a structured log line with a `log` field (`{"log": {"level":
    // ...}}`, Docker's `{"log": "text"}`).
    if first_key(t).as_deref() == Some("log")
        && serde_json::from_slice::<serde::de::IgnoredAny>(trim_ws(line)).is_err()
    {
        return Format::Har;
    }
    if cut_at_max && memchr::memchr(b'\n', t).is_none() {
        return Format::Jsonl;
    }
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

/// The `schema` of a tape-audit report or partial, when the input is one.
fn tape_audit_schema(head: &[u8]) -> Option<String> {
    let t = trim_ws(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
    match scan_root(t) {
        Root::TapeAudit(s) => Some(s),
        _ => None,
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
    /// Not readable: a reason and a detail.
    Skipped(SkipReason, String),
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
                let text = block_text(data);
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
                    f(
                        loc,
                        match line_text {
                            Some(t) => text_record(t, shape),
                            None => line_record(raw, shape),
                        },
                    );
                }
            }
            Work::Entries { file, batch } => {
                let text = block_text(&batch.data);
                for (i, &(a, b)) in batch.ranges.iter().enumerate() {
                    let loc = Locator {
                        file: *file,
                        index: batch.first_index + i as u64,
                    };
                    let entry = match text.and_then(|t| t.get(a..b)) {
                        Some(t) => Ok(t),
                        None => utf8(&batch.data[a..b]),
                    };
                    let rec = match entry {
                        Err(at) => Record::Skipped(
                            SkipReason::InvalidUtf8,
                            format!("invalid UTF-8 at byte {at} of the entry"),
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
                let text = block_text(&batch.data);
                for (i, &(a, b)) in batch.ranges.iter().enumerate() {
                    let loc = Locator {
                        file: *file,
                        index: batch.first_index + i as u64,
                    };
                    let rec = match text.and_then(|t| t.get(a..b)) {
                        Some(t) => text_record(t, shape),
                        None => line_record(&batch.data[a..b], shape),
                    };
                    f(loc, rec);
                }
            }
        }
    }
}

/// A whole work unit as text, when it is valid UTF-8 (almost always): one
/// pass over the block costs less than one per record, which for short
/// lines is mostly the checker's set-up. When it is not, each record is
/// checked on its own ([`utf8`]), so that only the bad ones are skipped.
fn block_text(data: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(data).ok()
}

/// A record's bytes as text, or the offset of its first invalid UTF-8
/// byte.
fn utf8(raw: &[u8]) -> Result<&str, usize> {
    simdutf8::basic::from_utf8(raw)
        .map_err(|_| std::str::from_utf8(raw).map_or_else(|e| e.valid_up_to(), |_| raw.len()))
}

fn line_record<'a>(raw: &'a [u8], shape: &Shape) -> Record<'a> {
    match utf8(raw) {
        Ok(text) => text_record(text, shape),
        Err(at) => Record::Skipped(
            SkipReason::InvalidUtf8,
            format!("invalid UTF-8 at byte {at}"),
        ),
    }
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
            SkipReason::NoStatus,
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
    /// Largest record (line, HAR entry, JSON value) read, in bytes; longer
    /// ones are skipped as `too_large` (0: no limit).
    pub max_record: usize,
    /// Largest zstd window accepted, in MiB (`--zstd-window-mib`); 0 means
    /// the default, `DEFAULT_ZSTD_WINDOW_MIB`.
    pub zstd_window_mib: u32,
}

impl ReadOptions {
    /// The record limit in bytes (`max_record`, none when 0).
    pub fn record_limit(&self) -> usize {
        if self.max_record == 0 {
            usize::MAX
        } else {
            self.max_record
        }
    }
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

/// How much of an input `HeadOnly` lets through.
pub const HEAD_ONLY_BYTES: u64 = 4 << 20;

/// A reader that ends after the first few MiB (for a quick look at an
/// input): past `HEAD_ONLY_BYTES` it reports the end, without reading on.
pub struct HeadOnly<R> {
    inner: R,
    left: u64,
}

impl<R: Read> HeadOnly<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> HeadOnly<R> {
        HeadOnly {
            inner,
            left: HEAD_ONLY_BYTES,
        }
    }
}

impl<R: Read> Read for HeadOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
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
    // Binary (a `.pyc`, an image): no log line holds a NUL byte.
    if memchr::memchr(0, head).is_some() {
        return false;
    }
    let text = String::from_utf8_lossy(head);
    let (mut lines, mut data) = (0usize, 0usize);
    for l in text.lines().filter(|l| !l.trim().is_empty()).take(50) {
        lines += 1;
        data += usize::from(jsonl::parse_line(l).is_ok() || jsonl::parse_text_access(l).is_some());
    }
    // A log may open with a few lines of text (a banner); source code may
    // hold a JSON-looking line (a docstring's example). Data is at least
    // one line in five of the head, and two lines when there are two.
    data >= lines.min(2) && data * 5 >= lines
}

/// Why a walked file that is neither HAR nor JSON lines was left out.
pub const NOT_DATA_NOTE: &str = "neither HAR nor JSON lines";
/// Why an empty walked file was left out.
pub const EMPTY_NOTE: &str = "empty";

/// Block buffers handed back by the workers (`recycle`), so that reading
/// reuses memory instead of faulting fresh pages in for every block.
static SPARE_BLOCKS: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// How many spare blocks are kept (a few MiB).
const SPARE_MAX: usize = 8;

/// The largest spare block kept, in bytes.
const SPARE_CAPACITY_MAX: usize = 4 * CHUNK;

/// An empty buffer of at least `capacity` bytes, reused when one is spare.
pub(crate) fn block_buffer(capacity: usize) -> Vec<u8> {
    let mut b = spare_buffer(capacity);
    b.clear();
    b
}

/// A buffer of at least `capacity` bytes that still holds what it held
/// before (its length is how much of it was ever written): room to read
/// into without zeroing it first.
pub(crate) fn spare_buffer(capacity: usize) -> Vec<u8> {
    let spare = SPARE_BLOCKS.lock().ok().and_then(|mut s| s.pop());
    match spare {
        Some(mut b) => {
            if b.capacity() < capacity {
                b.clear();
                b.reserve(capacity);
            }
            b
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Gives the spare buffers `data` (tests of reads into room not zeroed).
#[cfg(test)]
pub(crate) fn give_spare(data: Vec<u8>) {
    if let Ok(mut spare) = SPARE_BLOCKS.lock() {
        spare.push(data);
    }
}

/// Hands a processed unit's buffer back for reuse.
pub fn recycle(work: Work) {
    let data = match work {
        Work::Lines { data, .. } => data,
        Work::Entries { batch, .. } | Work::Values { batch, .. } => batch.data,
    };
    // A buffer that a large record made grow is given back, not kept.
    if data.capacity() > SPARE_CAPACITY_MAX {
        return;
    }
    if let Ok(mut spare) = SPARE_BLOCKS.lock() {
        if spare.len() < SPARE_MAX {
            spare.push(data);
        }
    }
}

/// Bytes per JSON-lines chunk handed to a worker, by default.
const CHUNK: usize = 1 << 20;

/// Bytes per JSON-lines chunk: `CHUNK`, or the hidden environment variable
/// `TAPE_AUDIT_BLOCK_BYTES` (for tests that want many small work units).
fn block_bytes() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| env_size("TAPE_AUDIT_BLOCK_BYTES").unwrap_or(CHUNK))
}

/// A positive number from an environment variable.
pub(crate) fn env_size(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()?
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
}

/// How many bytes of a JSON-lines input the shape is detected from (fixed,
/// so that the shape does not depend on the block size).
const SHAPE_SAMPLE: u64 = 1 << 20;

/// Reads one input to its end, handing work to `send` and reporting
/// records that could not even be cut out (too long, truncated) to `skip`.
pub fn read_source(
    file: u32,
    src: &Source,
    r: Box<dyn Read + Send>,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, SkipReason, String),
) {
    set_zstd_window_mib(opts.zstd_window_mib);
    // The size at open, to tell a file that changes while it is read.
    let size_at_open = src
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut latch = Latch::new(r);
    {
        // UTF-16 and UTF-32 (by their byte-order mark) are read as UTF-8.
        let mut bom = Vec::with_capacity(4);
        let _ = (&mut latch).take(4).read_to_end(&mut bom);
        let prefixed = io::Cursor::new(bom).chain(&mut latch);
        let enc = transcode::Encoding::from_bom(prefixed.get_ref().0.get_ref());
        let mut stream: Box<dyn Read + '_> = match enc {
            Some(enc) => Box::new(transcode::ToUtf8::new(prefixed, enc)),
            None => Box::new(prefixed),
        };
        read_stream(file, src, &mut stream, opts, info, send, skip);
    }
    // A HAR document's reader stops at its closing brace: look past it
    // (a little) so that a file's size can be checked at its end.
    if size_at_open.is_some() && info.format.is_some() && info.error.is_none() && !latch.eof {
        let _ = io::copy(&mut (&mut latch).take(64 << 10), &mut io::sink());
    }
    if let Some(e) = latch.error.take() {
        let at = match info.compression {
            Some(_) => "decompressed byte",
            None => "byte",
        };
        info.error = Some(match zstd_window_error(&e) {
            Some(msg) => msg,
            None => ReadError {
                at,
                offset: latch.offset,
                cause: e,
            }
            .to_string(),
        });
    } else if latch.eof && info.compression.is_none() && info.error.is_none() {
        if let Some(size) = size_at_open {
            if size != latch.offset {
                let now = src
                    .path()
                    .and_then(|p| std::fs::metadata(p).ok())
                    .map_or(String::new(), |m| format!(", {} bytes now", m.len()));
                let note = format!(
                    "the file changed while it was read: {size} bytes at open, {} bytes read{now}",
                    latch.offset
                );
                info.note = Some(match info.note.take() {
                    Some(n) => format!("{n}; {note}"),
                    None => note,
                });
            }
        }
    }
}

/// A read error partway through an input; what was read before it counts.
#[derive(Debug, thiserror::Error)]
#[error(
    "read error at {at} {offset} (records before it are counted): {}",
    crate::error::io_message(cause)
)]
pub struct ReadError {
    /// What the offset counts (`byte`, `decompressed byte`).
    pub at: &'static str,
    /// Where the stream stopped.
    pub offset: u64,
    /// The cause (in the message; not a `source()`, which would repeat it).
    pub cause: io::Error,
}

fn read_stream(
    file: u32,
    src: &Source,
    r: &mut dyn Read,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, SkipReason, String),
) {
    // Reading never fails here: a latch below ends the stream at an error,
    // which is reported after.
    let head = read_head_upto(r, opts.max_record).unwrap_or_default();
    if head.is_empty() {
        // An empty file holds no records; that is not an error, and one
        // found in a directory is left out without a warning.
        if matches!(src, Source::Walked(_)) && info.error.is_none() {
            info.note = Some(EMPTY_NOTE.into());
        }
        return;
    }
    if opts.format.is_none() {
        if let Some(schema) = tape_audit_schema(&head) {
            info.note = Some(format!("a tape-audit output ({schema}), not traffic"));
            return;
        }
    }
    let cut_at_max = head.len() >= opts.max_record.max(SNIFF) && opts.max_record > 0;
    let format = opts.format.unwrap_or_else(|| sniff_head(&head, cut_at_max));
    if matches!(src, Source::Walked(_)) && opts.format.is_none() && !looks_like_data(&head, format)
    {
        info.note = Some(NOT_DATA_NOTE.into());
        return;
    }
    info.format = Some(format);
    let stream = io::Cursor::new(head).chain(r);
    match format {
        Format::Har => read_har(file, stream, opts, info, send, skip),
        Format::Jsonl => read_lines(file, stream, block_bytes(), opts, info, send, skip),
        Format::JsonDoc => read_doc(file, stream, opts, info, send, skip),
    }
}

fn read_har(
    file: u32,
    stream: impl Read,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, SkipReason, String),
) {
    let mut sc = har::Scanner::with_limit(stream, opts.record_limit() as u64);
    let r = sc.scan(&mut |f| match f {
        har::Found::Records(batch) => send(Work::Entries { file, batch }),
        har::Found::TooLarge { index, detail } => {
            skip(Locator { file, index }, SkipReason::TooLarge, detail)
        }
    });
    let mut notes: Vec<String> = Vec::new();
    match r {
        Ok(end) if !end.found_entries => {
            info.error = Some("not a HAR file: no `log.entries` array".into())
        }
        Ok(end) if end.arrays > 1 => notes.push(format!(
            "{} `log.entries` arrays (a duplicate `log` or `entries` key): the entries of all are read, numbered on",
            end.arrays
        )),
        Ok(_) => {}
        Err(e) => {
            if let Some(index) = e.cut_entry {
                skip(
                    Locator { file, index },
                    SkipReason::Truncated,
                    format!("the input ends inside this entry, at byte {}", e.offset),
                );
            }
            info.error = Some(e.to_string());
        }
    }
    notes.extend(sc.note());
    if !notes.is_empty() {
        info.note = Some(notes.join("; "));
    }
}

/// Cuts JSON lines into blocks of about `chunk` bytes (whole lines); lines
/// longer than the record limit are `too_large` (see `lines`).
fn read_lines(
    file: u32,
    mut stream: impl Read,
    chunk: usize,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, SkipReason, String),
) {
    // The shape is detected from the same first bytes whatever the block
    // size, so that splitting an input differently never changes a report.
    let mut sample = Vec::new();
    if let Err(e) = (&mut stream).take(SHAPE_SAMPLE).read_to_end(&mut sample) {
        info.error = Some(format!("read error: {}", crate::error::io_message(&e)));
    }
    let detected = {
        let t = sample.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&sample);
        let end = if (sample.len() as u64) < SHAPE_SAMPLE {
            t.len()
        } else {
            memchr::memrchr(b'\n', t).map_or(t.len(), |i| i + 1)
        };
        Arc::new(Shape::detect(&t[..end], &opts.fields))
    };
    let mut stream = io::Cursor::new(sample).chain(stream);
    let limit = opts.record_limit();
    let mut chunker = lines::LineChunker::new(chunk, limit);
    let mut shape: Option<Arc<Shape>> = None;
    let r = chunker.run(&mut stream, &mut |piece| match piece {
        lines::Piece::Lines { first_line, data } => {
            let shape = shape
                .get_or_insert_with(|| {
                    info.shape = Some(detected.name.clone());
                    detected.clone()
                })
                .clone();
            send(Work::Lines {
                file,
                first_line,
                data,
                shape,
            });
        }
        lines::Piece::TooLong { line, len } => skip(
            Locator { file, index: line },
            SkipReason::TooLarge,
            format!(
                "line of {len} bytes, over the {} limit",
                limit_text(limit as u64)
            ),
        ),
    });
    if let Err(e) = r {
        info.error = Some(format!(
            "read error after line {}: {}",
            chunker.line().saturating_sub(1),
            crate::error::io_message(&e)
        ));
    }
}

/// Values sampled for a JSON document's shape: the first ones, up to this
/// many...
const DOC_SAMPLE_VALUES: usize = 200;

/// Reads a JSON document stream value by value (see `doc`); the shape is
/// detected from the first values (up to `DOC_SAMPLE_VALUES` of them, and
/// `SHAPE_SAMPLE` bytes), whose batches wait until it is known.
fn read_doc(
    file: u32,
    stream: impl Read,
    opts: &ReadOptions,
    info: &mut InputInfo,
    send: &mut dyn FnMut(Work),
    skip: &mut dyn FnMut(Locator, SkipReason, String),
) {
    let mut sc = har::Scanner::with_limit(stream, opts.record_limit() as u64);
    let mut waiting: Vec<har::Batch> = Vec::new();
    let mut samples = String::new();
    let mut sampled = 0usize;
    let mut shape: Option<Arc<Shape>> = None;
    let detect = |samples: &str, info: &mut InputInfo| {
        let s = Shape::detect(samples.as_bytes(), &opts.fields);
        info.shape = Some(s.name.clone());
        Arc::new(s)
    };
    let r = sc.values(&mut |f| match f {
        har::Found::Records(batch) => {
            if let Some(shape) = &shape {
                send(Work::Values {
                    file,
                    batch,
                    shape: shape.clone(),
                });
                return;
            }
            for &(a, b) in &batch.ranges {
                if sampled < DOC_SAMPLE_VALUES && (samples.len() as u64) < SHAPE_SAMPLE {
                    if sampled > 0 {
                        samples.push('\n');
                    }
                    samples.push_str(&compact(&batch.data[a..b]));
                    sampled += 1;
                }
            }
            waiting.push(batch);
            if sampled >= DOC_SAMPLE_VALUES || samples.len() as u64 >= SHAPE_SAMPLE {
                let s = detect(&samples, info);
                for batch in waiting.drain(..) {
                    send(Work::Values {
                        file,
                        batch,
                        shape: s.clone(),
                    });
                }
                shape = Some(s);
            }
        }
        har::Found::TooLarge { index, detail } => {
            skip(Locator { file, index }, SkipReason::TooLarge, detail)
        }
    });
    let shape = shape.unwrap_or_else(|| detect(&samples, info));
    for batch in waiting {
        send(Work::Values {
            file,
            batch,
            shape: shape.clone(),
        });
    }
    if let Err(e) = r {
        if let Some(index) = e.cut_entry {
            skip(
                Locator { file, index },
                SkipReason::Truncated,
                format!("the input ends inside this value, at byte {}", e.offset),
            );
        }
        info.error = Some(e.to_string());
    }
}

/// A record limit for messages: `64 MiB`, or `1500-byte` when it is not
/// a whole number of MiB (`TAPE_AUDIT_MAX_RECORD_BYTES`).
pub(crate) fn limit_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes}-byte")
    }
}

/// `1 entry`, `2 entries`.
pub(crate) fn count_text(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The record limit in bytes for `--max-record-mib`: `mib` MiB, or the
/// hidden environment variable `TAPE_AUDIT_MAX_RECORD_BYTES` (in bytes,
/// for tests that want a small limit with small inputs).
pub fn max_record_bytes(mib: u32) -> usize {
    env_size("TAPE_AUDIT_MAX_RECORD_BYTES").unwrap_or(mib as usize * (1 << 20))
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

    /// An endless JSON-lines stream that counts the bytes taken from it.
    struct Endless {
        line: &'static [u8],
        at: usize,
        taken: Arc<AtomicU64>,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            for b in buf.iter_mut() {
                *b = self.line[self.at % self.line.len()];
                self.at += 1;
            }
            self.taken.fetch_add(buf.len() as u64, Ordering::Relaxed);
            Ok(buf.len())
        }
    }

    #[test]
    fn head_only_reads_only_the_head() {
        let taken = Arc::new(AtomicU64::new(0));
        let r = Endless {
            line: b"{\"status\":200,\"time\":\"2024-06-11T09:00:00Z\"}\n",
            at: 0,
            taken: taken.clone(),
        };
        let opts = ReadOptions {
            max_record: 1 << 20,
            ..ReadOptions::default()
        };
        let mut info = InputInfo::default();
        let mut records = 0u64;
        read_source(
            0,
            &Source::Stdin,
            Box::new(HeadOnly::new(r)),
            &opts,
            &mut info,
            &mut |w| w.for_each(|_, _| records += 1),
            &mut |_, _, _| {},
        );
        let n = taken.load(Ordering::Relaxed);
        assert!(n <= HEAD_ONLY_BYTES, "read {n} bytes");
        assert!(records > 1000, "{records}");
    }

    #[test]
    fn a_file_that_changes_size_gets_a_note() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.jsonl");
        std::fs::write(&p, b"{\"status\":500}\n").unwrap();
        let src = Source::File(p.clone());
        let opts = ReadOptions::default();
        let read = |bytes: &'static [u8]| {
            let mut info = InputInfo::default();
            read_source(
                0,
                &src,
                Box::new(bytes),
                &opts,
                &mut info,
                &mut |_| {},
                &mut |_, _, _| {},
            );
            info.note
        };
        // What was read is what the file holds: no note.
        assert_eq!(read(b"{\"status\":500}\n"), None);
        // More (or fewer) bytes than the file held at open.
        let note = read(b"{\"status\":500}\n{\"status\":501}\n").unwrap();
        assert!(note.contains("changed while it was read"), "{note}");
        let note = read(b"{}\n").unwrap();
        assert!(note.contains("15 bytes at open, 3 bytes read"), "{note}");
    }

    #[test]
    fn names_are_escaped_only_when_needed() {
        assert_eq!(display_path(Path::new("a/b.jsonl")), "a/b.jsonl");
        assert_eq!(display_path(Path::new("a\\b.jsonl")), "a\\b.jsonl");
        assert_eq!(display_path(Path::new("a\\xff.jsonl")), "a\\\\xff.jsonl");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let raw = Path::new(std::ffi::OsStr::from_bytes(b"a\xff.jsonl"));
            assert_eq!(display_path(raw), "a\\xff.jsonl");
        }
    }

    #[test]
    fn small_blocks_split_lines_the_same() {
        let data: String = (0..300)
            .map(|i| format!("{{\"status\":{},\"url\":\"/v1/r/{i}\"}}\n", 200 + i % 300))
            .collect();
        let opts = ReadOptions {
            max_record: 1 << 20,
            ..ReadOptions::default()
        };
        let cut = |chunk: usize| {
            let mut info = InputInfo::default();
            let mut units = 0;
            let mut seen = Vec::new();
            read_lines(
                0,
                data.as_bytes(),
                chunk,
                &opts,
                &mut info,
                &mut |w| {
                    units += 1;
                    w.for_each(|loc, rec| {
                        if let Record::Exchange(ex) = rec {
                            seen.push((loc.index, ex.status));
                        }
                    })
                },
                &mut |_, _, _| {},
            );
            (units, seen, info.shape)
        };
        let (one, whole, shape) = cut(CHUNK);
        let (many, split, shape2) = cut(256);
        assert_eq!(one, 1);
        assert!(many > 30, "{many} units");
        assert_eq!(whole, split);
        assert_eq!(shape, shape2);
        assert_eq!(whole.len(), 300);
    }

    #[test]
    fn root_members() {
        assert_eq!(
            sniff(b"{\"_c\":\"x\",\"log\":{\"version\":\"1.2\",\"entries\":[]}}"),
            Format::Har
        );
        assert_eq!(
            sniff(b"{\"_c\":{\"log\":{\"version\":1}},\"log\":{\"entries\":[]}}"),
            Format::Har
        );
        assert_eq!(
            sniff(b"{\"log\":{\"level\":\"info\"},\"status\":1}\n{\"log\":{\"level\":\"info\"},\"status\":1}\n"),
            Format::Jsonl
        );
        assert_eq!(
            tape_audit_schema(b"{\"schema\":\"tape-audit/report/v1\",\"x\":1}").as_deref(),
            Some("tape-audit/report/v1")
        );
        assert_eq!(tape_audit_schema(b"{\"schema\":\"other\"}"), None);
    }

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
