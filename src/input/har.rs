//! HAR input: a streaming scanner that finds `log.entries` and cuts the
//! document into entries without parsing them, and a lenient parser that
//! turns one entry into an `Exchange` on a worker thread.
//!
//! The scanner holds only the bytes of the entries not yet handed out, so
//! memory stays bounded whatever the file size, and a capture cut short still
//! yields every complete entry before the cut. Members other than
//! `log.entries` are passed over without being kept, whatever their size.
//! An entry larger than the record limit (`--max-record-mib`) is never held
//! whole: it is read again member by member, keeping only what the audit
//! reads (`ENTRY_READS`), and its response body only when that fits in the
//! limit (see `Scanner::oversized_entry`).

use std::borrow::Cow;
use std::io::Read;

use base64::Engine;

use super::window::Window;
use super::SkipReason;
use crate::exchange::{parse_time_str, Body, Exchange};
use crate::jsonscan;
use crate::rawjson::{as_f64, as_status, as_str, first_byte, member_key, Raw, RawObject, Tree};

/// Bytes read from the input at a time.
const READ_SIZE: usize = 1 << 20;
/// A batch handed to a worker is flushed past this many bytes...
pub(super) const BATCH_BYTES: u64 = 1 << 20;
/// ...or this many entries (by default; the hidden environment variable
/// `TAPE_AUDIT_HAR_BATCH` sets it, for tests that want many small batches).
const BATCH_ENTRIES: usize = 512;
/// A batch of at least a quarter of `BATCH_BYTES` is also flushed when the
/// entry just read ends less than this many bytes before the end of what
/// was read: the window then hands out its buffer and keeps only those
/// bytes, instead of growing (and copying) to hold a batch across reads.
const BATCH_TAIL: u64 = 64 << 10;
/// Members larger than the limit that a note names, at most.
const NOTED_MEMBERS: usize = 5;

fn batch_entries() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| super::env_size("TAPE_AUDIT_HAR_BATCH").unwrap_or(BATCH_ENTRIES))
}

/// A run of complete entries, copied out of the stream.
pub struct Batch {
    /// Index of the first entry in `log.entries`.
    pub first_index: u64,
    /// The bytes holding the entries.
    pub data: Vec<u8>,
    /// Each entry's byte range in `data`.
    pub ranges: Vec<(usize, usize)>,
}

/// What the scanner hands out.
pub enum Found {
    /// A run of complete records.
    Records(Batch),
    /// A record larger than the limit, passed over unread: its index and
    /// what it was.
    TooLarge {
        /// The record's index (entry index, or value number).
        index: u64,
        /// What was too large, for a person (no traffic text).
        detail: String,
    },
}

/// Why the scanner stopped before the end of the document.
#[derive(Debug)]
pub struct ScanError {
    /// Offset in the (decompressed) stream.
    pub offset: u64,
    /// What is wrong, for a person.
    pub msg: String,
    /// When the input ended inside an entry: that entry's index.
    pub cut_entry: Option<u64>,
    /// The read error that stopped the scan, if one did (`msg` then says
    /// only `read error`).
    pub source: Option<std::io::Error>,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(e) => write!(f, "{}: {}", self.msg, crate::error::io_message(e))?,
            None => f.write_str(&self.msg)?,
        }
        write!(f, " at byte {}", self.offset)
    }
}

/// Outcome of scanning a whole document.
pub struct ScanEnd {
    /// Entries found.
    pub entries: u64,
    /// Whether a `log.entries` array was found at all.
    pub found_entries: bool,
    /// How many `log.entries` arrays the document has (more than one when
    /// `log` or `entries` is a duplicate key).
    pub arrays: u32,
}

/// How `skip_value` treats the bytes of the value it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hold {
    /// Kept in the window (from where the caller said to keep), up to the
    /// stream offset given: a value that goes on past it stops the skip
    /// there (`Skip::Over`).
    Keep(u64),
    /// Kept up to the stream offset given; past it, dropped as they are
    /// passed, to the value's end (`Skip::Passed`).
    KeepOrPass(u64),
    /// Dropped as they are passed.
    Drop,
}

/// Where `skip_value` stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Skip {
    /// At the value's end (this stream offset); the value is held whole
    /// unless it was skipped with `Hold::Drop`.
    End(u64),
    /// The value goes on past the offset of `Hold::Keep`: the scan stopped
    /// there, somewhere inside it.
    Over,
    /// At the value's end (this stream offset), but it went on past the
    /// offset of `Hold::KeepOrPass`: it was not kept.
    Passed(u64),
}

/// Streams `log.entries` out of a HAR document (and the values out of a
/// JSON document, `super::doc`).
pub struct Scanner<R> {
    pub(super) w: Window<R>,
    /// Stream offset of the next unread byte.
    pub(super) pos: u64,
    /// Entries per batch (`batch_entries()`).
    pub(super) batch: usize,
    /// The largest record handed out whole, in bytes.
    pub(super) limit: u64,
    /// Entries larger than the limit counted by their status, their
    /// response bodies not judged.
    unjudged: u64,
    /// Members other than entries larger than the limit: the first few
    /// (path, bytes), and how many there were.
    big_members: (Vec<(String, u64)>, u64),
}

pub(super) type Res<T> = Result<T, ScanError>;

impl<R: Read> Scanner<R> {
    /// Wraps a reader positioned at the start of the document; records of
    /// any size are handed out whole.
    pub fn new(r: R) -> Scanner<R> {
        Scanner::with_limit(r, u64::MAX)
    }

    /// Wraps a reader; a record longer than `limit` bytes is never held
    /// whole (see `Found::TooLarge`).
    pub fn with_limit(r: R, limit: u64) -> Scanner<R> {
        Scanner {
            w: Window::new(r, READ_SIZE),
            pos: 0,
            batch: batch_entries(),
            limit: limit.max(1),
            unjudged: 0,
            big_members: (Vec::new(), 0),
        }
    }

    /// The most bytes the scanner held at once.
    pub fn peak(&self) -> usize {
        self.w.peak()
    }

    /// Scans the document, calling `emit` for each batch of entries (an
    /// entry too large to read is left out: see `scan`).
    pub fn run(&mut self, mut emit: impl FnMut(Batch)) -> Res<ScanEnd> {
        self.scan(&mut |f| {
            if let Found::Records(b) = f {
                emit(b)
            }
        })
    }

    /// What the input's note should say about what was passed over: members
    /// larger than the limit that are not entries, and entries larger than
    /// the limit counted by their status alone.
    pub fn note(&self) -> Option<String> {
        let limit = super::limit_text(self.limit);
        let mut parts = Vec::new();
        let (shown, all) = &self.big_members;
        if *all > 0 {
            let mut names: Vec<String> = shown
                .iter()
                .map(|(p, n)| format!("`{p}` ({n} bytes)"))
                .collect();
            if *all > shown.len() as u64 {
                names.push(format!("{} more", *all - shown.len() as u64));
            }
            parts.push(format!(
                "{} larger than the {limit} record limit passed over unread (not entries)",
                names.join(", ")
            ));
        }
        if self.unjudged > 0 {
            parts.push(format!(
                "{} larger than the {limit} record limit counted by status without judging the body",
                super::count_text(self.unjudged, "entry", "entries")
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// Scans the document, calling `out` for each batch of entries and for
    /// each entry too large to read.
    pub fn scan(&mut self, out: &mut dyn FnMut(Found)) -> Res<ScanEnd> {
        let mut end = ScanEnd {
            entries: 0,
            found_entries: false,
            arrays: 0,
        };
        self.skip_ws()?;
        if self.peek()? == Some(0xEF) {
            self.expect_bytes(b"\xEF\xBB\xBF")?;
            self.skip_ws()?;
        }
        self.skip_jsonp_prefix()?;
        self.expect(b'{', "'{' (a HAR document is a JSON object)")?;
        // A duplicate `log` or `log.entries` key: JSON parsers keep the last
        // one, but a stream has handed out the first one's entries before it
        // meets the second. So every `entries` array is read, in document
        // order, numbered on from the one before (entry N of the second array
        // of a 3-entry first one is index 3 + N): every entry in the file is
        // accounted for, and the caller notes the duplicate.
        self.members(|s, key| {
            if key == "log" {
                s.expect(b'{', "an object for `log`")?;
                s.members(|s, key| {
                    if key == "entries" {
                        end.found_entries = true;
                        end.arrays += 1;
                        end.entries += s.entries(end.entries, out)?;
                        Ok(())
                    } else {
                        s.pass_member(&format!("log.{key}"))
                    }
                })
            } else {
                s.pass_member(key)
            }
        })?;
        Ok(end)
    }

    /// Passes over a member's value without keeping it; one larger than the
    /// limit is named in the note.
    fn pass_member(&mut self, path: &str) -> Res<()> {
        let start = self.pos;
        self.w.keep_from(start);
        if let Skip::End(e) = self.skip_value(Hold::Drop)? {
            if e - start > self.limit {
                let (shown, all) = &mut self.big_members;
                *all += 1;
                if shown.len() < NOTED_MEMBERS {
                    // A key is traffic text: redacted (then cut) like any.
                    let name = crate::redact::text(path, crate::redact::Redact::On);
                    shown.push((crate::aggregate::cut(&name, 64), e - start));
                }
            }
        }
        self.w.shrink();
        Ok(())
    }

    /// Reads one `entries` array, numbering its entries from `base`;
    /// returns how many it holds.
    fn entries(&mut self, base: u64, out: &mut dyn FnMut(Found)) -> Res<u64> {
        self.expect(b'[', "an array for `log.entries`")?;
        let mut index = base;
        let mut pending = Pending::new(index);
        self.w.keep_from(self.pos);
        self.skip_ws()?;
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(0);
        }
        loop {
            self.skip_ws()?;
            let start = self.pos;
            if pending.ranges.is_empty() {
                pending = Pending::new(index);
                pending.start = start;
                self.w.keep_from(start);
            }
            match self.skip_value(Hold::Keep(start.saturating_add(self.limit))) {
                Ok(Skip::End(end)) => {
                    pending.ranges.push((start, end));
                    let held = end - pending.start;
                    if held >= BATCH_BYTES
                        || pending.ranges.len() >= self.batch
                        || (held >= BATCH_BYTES / 4 && self.w.end() - end < BATCH_TAIL)
                    {
                        self.flush(&mut pending, out);
                    }
                }
                Ok(_) => {
                    self.flush(&mut pending, out);
                    self.pos = start;
                    let r = self.oversized_entry(index, out);
                    self.w.shrink();
                    if let Err(mut e) = r {
                        if e.cut_entry.is_none() && self.w.eof() && self.pos >= self.w.end() {
                            e.cut_entry = Some(index);
                        }
                        return Err(e);
                    }
                }
                Err(mut e) => {
                    self.flush(&mut pending, out);
                    if e.cut_entry.is_none() && self.w.eof() && self.pos >= self.w.end() {
                        e.cut_entry = Some(index);
                    }
                    return Err(e);
                }
            }
            index += 1;
            self.skip_ws()?;
            match self.next_byte()? {
                Some(b',') => continue,
                Some(b']') => break,
                Some(c) => {
                    self.flush(&mut pending, out);
                    return Err(self.unexpected(c, "',' or ']' after an entry"));
                }
                None => {
                    self.flush(&mut pending, out);
                    return Err(self.truncated());
                }
            }
        }
        self.flush(&mut pending, out);
        self.w.keep_from(self.pos);
        Ok(index - base)
    }

    /// Hands out the pending records as one batch: it takes the window up
    /// to its last record (the bytes before its first record come along
    /// unused); only what follows is copied, into the next buffer.
    pub(super) fn flush(&mut self, pending: &mut Pending, out: &mut dyn FnMut(Found)) {
        let Some(&(_, last)) = pending.ranges.last() else {
            return;
        };
        let (base, data) = self.w.take(last);
        let ranges = pending
            .ranges
            .iter()
            .map(|&(a, b)| ((a - base) as usize, (b - base) as usize))
            .collect();
        pending.ranges.clear();
        out(Found::Records(Batch {
            first_index: pending.first_index,
            data,
            ranges,
        }));
    }

    /// Reads an entry larger than the limit, from its start, without
    /// holding it whole: the members the audit reads (`ENTRY_READS`) are
    /// copied into a compact entry, everything else is passed over. The
    /// response body is kept only when it fits in the limit. Then:
    /// - when everything read fits, the compact entry is judged as usual;
    /// - when only the body does not fit, an entry whose status is below 400
    ///   (or that has no response) is counted by its status, its body not
    ///   judged (and the note counts it); an error status is `too_large`;
    /// - when a member read other than the body does not fit (headers or
    ///   a URL larger than the limit), the entry is `too_large`.
    fn oversized_entry(&mut self, index: u64, out: &mut dyn FnMut(Found)) -> Res<()> {
        let start = self.pos;
        let limit = super::limit_text(self.limit);
        if self.peek()? != Some(b'{') {
            self.w.keep_from(start);
            let end = match self.skip_value(Hold::Drop)? {
                Skip::End(e) | Skip::Passed(e) => e,
                Skip::Over => self.pos,
            };
            out(Found::TooLarge {
                index,
                detail: format!(
                    "entry of {} bytes (not an object), over the {limit} limit",
                    end - start
                ),
            });
            return Ok(());
        }
        let mut c = Compact {
            out: Vec::new(),
            limit: self.limit,
            body: None,
            unfit: None,
        };
        self.compact_object(ENTRY_READS, "", &mut c)?;
        if let Some((path, n)) = c.unfit {
            out(Found::TooLarge {
                index,
                detail: format!("`{path}` of {n} bytes, over the {limit} limit"),
            });
            return Ok(());
        }
        if let Some(body) = c.body {
            let status = std::str::from_utf8(&c.out)
                .ok()
                .and_then(|t| parse_entry(t).ok())
                .and_then(|ex| ex.status);
            if let Some(s) = status.filter(|&s| s >= 400) {
                out(Found::TooLarge {
                    index,
                    detail: format!("status {s}: a {body}-byte body, over the {limit} limit"),
                });
                return Ok(());
            }
            self.unjudged += 1;
        }
        let len = c.out.len();
        out(Found::Records(Batch {
            first_index: index,
            data: c.out,
            ranges: vec![(0, len)],
        }));
        Ok(())
    }

    /// Copies the members of the object at `pos` that `reads` names into
    /// `c.out` (as an object), passing over the others.
    fn compact_object(&mut self, reads: &[(&str, Reads)], path: &str, c: &mut Compact) -> Res<()> {
        self.expect(b'{', "'{'")?;
        c.out.push(b'{');
        let mut first = true;
        self.members(|s, key| {
            match reads.iter().find(|(k, _)| *k == key) {
                None => {
                    s.w.keep_from(s.pos);
                    s.skip_value(Hold::Drop)?;
                }
                Some((name, rule)) => {
                    let mark = c.out.len();
                    if !first {
                        c.out.push(b',');
                    }
                    c.out.push(b'"');
                    c.out.extend_from_slice(name.as_bytes());
                    c.out.extend_from_slice(b"\":");
                    let here = if path.is_empty() {
                        name.to_string()
                    } else {
                        format!("{path}.{name}")
                    };
                    let kept = match rule {
                        Reads::Object(sub) if s.peek()? == Some(b'{') => {
                            s.compact_object(sub, &here, c)?;
                            true
                        }
                        _ => s.compact_leaf(*rule == Reads::Body, &here, c)?,
                    };
                    if kept {
                        first = false;
                    } else {
                        c.out.truncate(mark);
                    }
                }
            }
            Ok(())
        })?;
        c.out.push(b'}');
        Ok(())
    }

    /// Copies the value at `pos` into `c.out` when it fits in the limit;
    /// returns whether it did (if not, the body or the member is noted).
    fn compact_leaf(&mut self, body: bool, path: &str, c: &mut Compact) -> Res<bool> {
        let start = self.pos;
        self.w.keep_from(start);
        let room = c.limit.saturating_sub(c.out.len() as u64);
        match self.skip_value(Hold::KeepOrPass(start.saturating_add(room)))? {
            Skip::End(e) => {
                c.out.extend_from_slice(self.w.slice(start, e));
                self.w.keep_from(e);
                Ok(true)
            }
            Skip::Passed(e) => {
                if body {
                    c.body = Some(e - start);
                } else if c.unfit.is_none() {
                    c.unfit = Some((path.to_string(), e - start));
                }
                Ok(false)
            }
            Skip::Over => unreachable!("KeepOrPass never stops inside a value"),
        }
    }

    /// Walks an object's members (after its `{`), up to and including `}`.
    pub(super) fn members(&mut self, mut each: impl FnMut(&mut Self, &str) -> Res<()>) -> Res<()> {
        self.skip_ws()?;
        if self.peek()? == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws()?;
            let key = self.string()?;
            self.skip_ws()?;
            self.expect(b':', "':' after an object key")?;
            self.skip_ws()?;
            each(self, &key)?;
            self.skip_ws()?;
            match self.next_byte()? {
                Some(b',') => continue,
                Some(b'}') => return Ok(()),
                Some(c) => return Err(self.unexpected(c, "',' or '}'")),
                None => return Err(self.truncated()),
            }
        }
    }

    /// Reads a string token (an object key, at most the limit long) and
    /// unescapes it.
    fn string(&mut self) -> Res<String> {
        match self.peek()? {
            Some(b'"') => {}
            Some(c) => return Err(self.unexpected(c, "a string key")),
            None => return Err(self.truncated()),
        }
        let start = self.pos;
        self.w.keep_from(start);
        let end = match self.skip_value(Hold::Keep(start.saturating_add(self.limit)))? {
            Skip::End(e) => e,
            _ => {
                return Err(ScanError {
                    offset: start,
                    msg: format!(
                        "an object key longer than the {} record limit",
                        super::limit_text(self.limit)
                    ),
                    cut_entry: None,
                    source: None,
                })
            }
        };
        serde_json::from_slice::<String>(self.w.slice(start, end)).map_err(|e| ScanError {
            offset: start,
            msg: format!("invalid string: {e}"),
            cut_entry: None,
            source: None,
        })
    }

    /// Skips one JSON value (without validating scalars) from `pos`.
    pub(super) fn skip_value(&mut self, mut hold: Hold) -> Res<Skip> {
        let first = match self.peek()? {
            Some(c) => c,
            None => return Err(self.truncated()),
        };
        if matches!(first, b'{' | b'[') {
            return self.skip_container(hold);
        }
        let scalar = first != b'"';
        let mut in_str = false;
        let mut passed = false;
        loop {
            let (done, n) = scan_scalar(self.w.from(self.pos), scalar, &mut in_str);
            self.pos += n as u64;
            if done {
                return Ok(ended(self.pos, passed, hold));
            }
            // A string needs at least its closing quote more; a scalar may
            // end with the input.
            let over = |stop: u64, pos: u64| pos > stop || (pos == stop && !scalar);
            match hold {
                Hold::Keep(stop) if over(stop, self.pos) => return Ok(Skip::Over),
                Hold::KeepOrPass(stop) if over(stop, self.pos) => {
                    passed = true;
                    hold = Hold::Drop;
                }
                _ => {}
            }
            if hold == Hold::Drop {
                self.w.keep_from(self.pos);
            }
            if !self.fill()? {
                if scalar {
                    return Ok(ended(self.pos, passed, hold));
                }
                return Err(self.truncated());
            }
        }
    }

    /// Skips the array or object at `pos`, 64 bytes at a time.
    fn skip_container(&mut self, mut hold: Hold) -> Res<Skip> {
        let mut skip = jsonscan::SkipContainer::default();
        let mut passed = false;
        loop {
            let eof = self.w.eof();
            let mut i = 0;
            if let Some(end) = skip.feed(self.w.from(self.pos), &mut i, eof) {
                self.pos += end as u64;
                return Ok(ended(self.pos, passed, hold));
            }
            self.pos += i as u64;
            if eof {
                self.pos = self.w.end();
                return Err(self.truncated());
            }
            // The closing bracket is still to come.
            match hold {
                Hold::Keep(stop) if self.pos >= stop => return Ok(Skip::Over),
                Hold::KeepOrPass(stop) if self.pos >= stop => {
                    passed = true;
                    hold = Hold::Drop;
                }
                _ => {}
            }
            if hold == Hold::Drop {
                self.w.keep_from(self.pos);
            }
            self.fill()?;
        }
    }

    /// Reads more input (see `Window::fill`); false at its end.
    fn fill(&mut self) -> Res<bool> {
        let at = self.w.end();
        self.w.fill().map_err(|e| ScanError {
            offset: at,
            msg: "read error".into(),
            cut_entry: None,
            source: Some(e),
        })
    }

    pub(super) fn peek(&mut self) -> Res<Option<u8>> {
        loop {
            if let Some(c) = self.w.byte(self.pos) {
                return Ok(Some(c));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    pub(super) fn next_byte(&mut self) -> Res<Option<u8>> {
        let b = self.peek()?;
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    pub(super) fn skip_ws(&mut self) -> Res<()> {
        while let Some(c) = self.peek()? {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
        Ok(())
    }

    pub(super) fn expect(&mut self, want: u8, what: &str) -> Res<()> {
        match self.next_byte()? {
            Some(c) if c == want => Ok(()),
            Some(c) => {
                self.pos -= 1;
                Err(self.unexpected(c, what))
            }
            None => Err(self.truncated()),
        }
    }

    pub(super) fn expect_bytes(&mut self, want: &[u8]) -> Res<()> {
        for &b in want {
            self.expect(b, "a UTF-8 byte-order mark")?;
        }
        Ok(())
    }

    /// Skips a JSONP wrapper such as `onInputData(` (HAR Viewer's "HARP").
    fn skip_jsonp_prefix(&mut self) -> Res<()> {
        let Some(c) = self.peek()? else {
            return Err(ScanError {
                offset: 0,
                msg: "empty input".into(),
                cut_entry: None,
                source: None,
            });
        };
        if !(c.is_ascii_alphabetic() || c == b'_' || c == b'$') {
            return Ok(());
        }
        for _ in 0..256 {
            match self.next_byte()? {
                Some(b'(') => return self.skip_ws(),
                Some(c) if c.is_ascii_alphanumeric() || b"_$. \t".contains(&c) => {}
                _ => break,
            }
        }
        Err(ScanError {
            offset: self.pos.saturating_sub(1),
            msg: "not a HAR document (expected '{')".into(),
            cut_entry: None,
            source: None,
        })
    }

    pub(super) fn unexpected(&self, c: u8, what: &str) -> ScanError {
        let shown = if c.is_ascii_graphic() {
            format!("'{}'", c as char)
        } else {
            format!("byte 0x{c:02x}")
        };
        ScanError {
            offset: self.pos,
            msg: format!("expected {what}, found {shown}"),
            cut_entry: None,
            source: None,
        }
    }

    pub(super) fn truncated(&self) -> ScanError {
        if let Some(e) = self.w.io_error() {
            return ScanError {
                offset: self.w.end(),
                msg: "read error".into(),
                cut_entry: None,
                source: Some(e),
            };
        }
        ScanError {
            offset: self.w.end(),
            msg: "truncated: the input ends in the middle of the document".into(),
            cut_entry: None,
            source: None,
        }
    }
}

/// How a skip that found the value's end at `at` ends: a value that ends
/// past the stop of `hold` (found whole in what was read) is over it too.
fn ended(at: u64, passed: bool, hold: Hold) -> Skip {
    match hold {
        _ if passed => Skip::Passed(at),
        Hold::Keep(stop) if at > stop => Skip::Over,
        Hold::KeepOrPass(stop) if at > stop => Skip::Passed(at),
        _ => Skip::End(at),
    }
}

/// Scans a scalar or a string (`in_str` carries a string across calls) at
/// the start of `b`: whether it ended in `b`, and how many bytes it took
/// (up to its end, or up to a backslash whose escaped byte is not there).
fn scan_scalar(b: &[u8], scalar: bool, in_str: &mut bool) -> (bool, usize) {
    let mut i = 0;
    while i < b.len() {
        if *in_str {
            match memchr::memchr2(b'"', b'\\', &b[i..]) {
                None => return (false, b.len()),
                Some(k) => {
                    i += k;
                    if b[i] == b'\\' {
                        if i + 1 >= b.len() {
                            return (false, i); // need the escaped byte
                        }
                        i += 2;
                        continue;
                    }
                    *in_str = false;
                    return (true, i + 1);
                }
            }
        }
        if scalar {
            if matches!(b[i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                return (true, i);
            }
            i += 1;
            continue;
        }
        // The opening quote.
        i += 1;
        *in_str = true;
    }
    (false, i)
}

/// Records cut out but not yet handed out.
pub(super) struct Pending {
    /// The index of the first one.
    pub(super) first_index: u64,
    /// Stream offset where the first one starts.
    pub(super) start: u64,
    /// Their stream ranges.
    pub(super) ranges: Vec<(u64, u64)>,
}

impl Pending {
    pub(super) fn new(first_index: u64) -> Pending {
        Pending {
            first_index,
            start: 0,
            ranges: Vec::new(),
        }
    }
}

/// What the compact copy of an entry larger than the limit keeps of each
/// member `parse_entry` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// The value, when it fits.
    Leaf,
    /// The response body (`response.content.text`): when it does not fit,
    /// the entry may still be counted by its status.
    Body,
    /// An object, read member by member.
    Object(&'static [(&'static str, Reads)]),
}

/// Every member of an entry that `parse_entry` reads (keep the two in
/// step: `compact_entries_read_the_same` checks it).
const ENTRY_READS: &[(&str, Reads)] = &[
    ("startedDateTime", Reads::Leaf),
    ("time", Reads::Leaf),
    (
        "request",
        Reads::Object(&[
            ("method", Reads::Leaf),
            ("url", Reads::Leaf),
            ("headers", Reads::Leaf),
        ]),
    ),
    (
        "response",
        Reads::Object(&[
            ("status", Reads::Leaf),
            ("headers", Reads::Leaf),
            (
                "content",
                Reads::Object(&[
                    ("mimeType", Reads::Leaf),
                    ("encoding", Reads::Leaf),
                    ("text", Reads::Body),
                ]),
            ),
        ]),
    ),
];

/// The compact copy of an entry larger than the limit, being built.
struct Compact {
    out: Vec<u8>,
    limit: u64,
    /// The size of the response body, when it did not fit.
    body: Option<u64>,
    /// The first member read (other than the body) that did not fit.
    unfit: Option<(String, u64)>,
}

/// Why an entry could not be read: a short reason key and a detail.
pub type EntryError = (SkipReason, String);

/// Parses one HAR entry leniently into an exchange.
pub fn parse_entry(text: &str) -> Result<Exchange<'_>, EntryError> {
    let t = text.trim_start();
    if !t.starts_with('{') {
        return Err((
            SkipReason::EntryNotObject,
            "the entry is not a JSON object".into(),
        ));
    }
    let e = RawObject::parse_tree(t, entry_tree()).ok_or_else(|| {
        let at = jsonscan_error_at(t);
        (
            SkipReason::InvalidJson,
            format!("invalid JSON at byte {at} of the entry"),
        )
    })?;
    let request = part(&e, "request")?;
    let response = part(&e, "response")?;
    let mut ex = Exchange {
        time_ms: e
            .get("startedDateTime")
            .and_then(as_str)
            .and_then(|s| parse_time_str(&s)),
        ..Exchange::default()
    };
    ex.duration_ms = e.get("time").and_then(as_f64).filter(|t| *t >= 0.0);
    if let Some(req) = &request {
        ex.method = req.get("method").and_then(as_str);
        ex.url = req.get("url").and_then(as_str);
    }
    let Some(resp) = response else {
        read_identity(&mut ex, request.as_deref(), None, Vec::new());
        return Ok(ex);
    };
    let resp_headers = resp.get("headers");
    ex.status = match resp.get("status") {
        None => None,
        Some(v) if first_byte(v) == b'n' => None,
        Some(v) => match as_status(v) {
            Some(s) => Some(s),
            // Some exporters write -1 for "no status".
            None if as_f64(v).is_some_and(|n| n < 0.0) => Some(0),
            None => {
                return Err((
                    SkipReason::MalformedEntry,
                    format!("response.status is not a status code: {}", v.get()),
                ))
            }
        },
    };
    if let Some(c) = part(&resp, "content")? {
        ex.content_type = c.get("mimeType").and_then(as_str).filter(|s| !s.is_empty());
        if let Some(raw) = c.get("text").filter(|v| first_byte(*v) != b'n') {
            let base64 = c
                .get("encoding")
                .and_then(as_str)
                .is_some_and(|enc| enc.eq_ignore_ascii_case("base64"));
            // A success body is only ever looked at for an `error_code`
            // (error_on_success).
            let success = ex.status.is_some_and(|s| (1..400).contains(&s));
            ex.body = if success
                && !base64
                && first_byte(raw) == b'"'
                && memchr::memchr(b'\\', raw.get().as_bytes()).is_some()
            {
                // Unescaped only if the classifier asks for its text.
                Body::Escaped(raw)
            } else {
                let Some(text) = as_str(raw) else {
                    return Err((
                        SkipReason::MalformedEntry,
                        "response.content.text is not a string".into(),
                    ));
                };
                Body::Text(if base64 {
                    let bytes = decode_base64_bytes(&text).ok_or_else(|| {
                        (
                            SkipReason::MalformedEntry,
                            "response.content.text is not valid base64".to_string(),
                        )
                    })?;
                    // Some exporters keep the body as sent, compressed: a
                    // gzip stream is inflated (bounded) so that the body can
                    // be read.
                    let bytes = match bytes.starts_with(&[0x1f, 0x8b]) {
                        true => inflate_gzip(&bytes).unwrap_or(bytes),
                        false => bytes,
                    };
                    // Images and other binaries without an `error_code` are
                    // not turned into text.
                    if success && !crate::exchange::mentions_error_code(&bytes) {
                        Cow::Borrowed("")
                    } else {
                        Cow::Owned(bytes_to_text(bytes))
                    }
                } else {
                    text
                })
            };
        }
    }
    // The response's header list is read once, and only when needed.
    let mut resp_pairs = None;
    if ex.content_type.is_none() {
        let pairs = header_pairs(resp_headers);
        ex.content_type = find_header(&pairs, &["content-type"]);
        resp_pairs = Some(pairs);
    }
    // Request ids and credentials are reported only for records that are
    // not `ok`: skip the header lists of plain successes.
    if ex.may_be_notable() {
        let pairs = resp_pairs.unwrap_or_else(|| header_pairs(resp_headers));
        read_identity(&mut ex, request.as_deref(), Some(&resp), pairs);
    }
    Ok(ex)
}

/// Reads an entry's request id, credential and own secrets (layer 1: the
/// values of its credential-bearing headers and its cookie lists) from its
/// request and, when it has one, its response.
fn read_identity<'a>(
    ex: &mut Exchange<'a>,
    request: Option<&RawObject<'a>>,
    response: Option<&RawObject<'a>>,
    resp_pairs: Headers<'a>,
) {
    let req_pairs = header_pairs(request.and_then(|r| r.get("headers")));
    ex.request_id = find_header(&req_pairs, REQUEST_ID_HEADERS)
        .or_else(|| find_header(&resp_pairs, REQUEST_ID_HEADERS));
    ex.credential = find_header(&req_pairs, CREDENTIAL_HEADERS);
    let mut secrets = secret_headers(&req_pairs, ex.credential.as_deref());
    secrets.extend(secret_headers(&resp_pairs, None));
    secrets.extend(cookie_items(request.and_then(|r| r.get("cookies"))));
    secrets.extend(cookie_items(response.and_then(|r| r.get("cookies"))));
    ex.secrets = secrets.into();
}

/// The values of credential-bearing headers (`Cookie`, `Set-Cookie`, API
/// keys, tokens: a credential header or a sensitive name) other than
/// `credential`, for redacting their echoes (layer 1).
fn secret_headers<'a>(
    pairs: &[(Cow<'a, str>, Raw<'a>)],
    credential: Option<&str>,
) -> Vec<Cow<'a, str>> {
    pairs
        .iter()
        .filter(|(name, _)| {
            CREDENTIAL_HEADERS
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h))
                || crate::redact::sensitive_name(name)
        })
        .filter_map(|(_, v)| as_str(*v))
        .filter(|v| !v.is_empty() && Some(v.as_ref()) != credential)
        .collect()
}

/// HAR's parsed cookie lists (`request.cookies`, `response.cookies`) as
/// `name=value` items, which layer 1 reads like a `Cookie` header (see
/// [`crate::redact::header_secrets`]): an exporter may list a cookie there
/// that no header of the entry carries (browsers leave `Cookie` out of the
/// headers for HttpOnly cookies, or a sanitizer removed the header only).
fn cookie_items<'a>(raw: Option<Raw<'a>>) -> impl Iterator<Item = Cow<'a, str>> {
    header_pairs(raw)
        .into_iter()
        .filter_map(|(name, v)| Some(Cow::Owned(format!("{name}={}", as_str(v)?))))
}

/// Headers that carry a request id, most common first.
pub const REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "x-correlation-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-cloud-trace-context",
    "cf-ray",
];
/// Headers that carry a credential.
pub const CREDENTIAL_HEADERS: &[&str] = &["authorization", "x-api-key", "api-key", "x-auth-token"];

/// A header list's (name, value) pairs, in order.
type Headers<'a> = Vec<(Cow<'a, str>, Raw<'a>)>;

/// The (name, value) pairs of a raw HAR header list; items that are not
/// objects with a string name are left out, and a list that is not an array
/// has none. One pass over the list: each item's members are read as the
/// array is walked.
fn header_pairs(raw: Option<Raw<'_>>) -> Headers<'_> {
    let mut pairs = Vec::new();
    let Some(raw) = raw else {
        return pairs;
    };
    let text = raw.get();
    let b = text.as_bytes();
    let walked = jsonscan::array(b, 0, 1, |i| {
        if b.get(i) != Some(&b'{') {
            return Ok(None);
        }
        let (mut name, mut value) = (None, None);
        let end = jsonscan::object(b, i, 2, |m| {
            // Keys may be escaped (`"na\u006de"`).
            let slot = match member_key(text, &m).as_ref() {
                "name" => &mut name,
                "value" => &mut value,
                _ => return Ok(None),
            };
            let end = jsonscan::value(b, m.value)?;
            *slot = Some(Raw::new(&text[m.value..end]));
            Ok(Some(end))
        })?;
        if let (Some(name), Some(value)) = (name.and_then(as_str), value) {
            pairs.push((name, value));
        }
        Ok(Some(end))
    });
    if walked.is_err() {
        pairs.clear();
    }
    pairs
}

/// The value of the first header among `names` (case-insensitive).
fn find_header<'a>(pairs: &[(Cow<'a, str>, Raw<'a>)], names: &[&str]) -> Option<Cow<'a, str>> {
    names.iter().find_map(|want| {
        pairs.iter().find_map(|(name, value)| {
            if name.eq_ignore_ascii_case(want) {
                as_str(*value).filter(|v| !v.is_empty())
            } else {
                None
            }
        })
    })
}

/// The nested objects a HAR entry is read through, parsed in one pass.
fn entry_tree() -> &'static Tree {
    static TREE: std::sync::OnceLock<Tree> = std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        Tree::with(vec![
            ("request", Tree::default()),
            ("response", Tree::with(vec![("content", Tree::default())])),
        ])
    })
}

/// An entry part that must be an object when present (`request`,
/// `response`, `content`); `null` counts as absent.
fn part<'o, 'a>(
    obj: &'o RawObject<'a>,
    key: &'static str,
) -> Result<Option<Cow<'o, RawObject<'a>>>, EntryError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if first_byte(v) == b'n' => Ok(None),
        Some(v) => match obj.object(key) {
            Some(o) => Ok(Some(o)),
            None => Err((
                SkipReason::MalformedEntry,
                format!("`{key}` is not an object: {}", excerpt(v.get())),
            )),
        },
    }
}

/// Where the scanner stopped reading `text` as JSON.
fn jsonscan_error_at(text: &str) -> usize {
    let b = text.as_bytes();
    match jsonscan::value(b, jsonscan::skip_ws(b, 0)) {
        Err(jsonscan::Invalid(at)) => at,
        Ok(end) => jsonscan::skip_ws(b, end),
    }
}

fn excerpt(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Largest body inflated from a gzip stream; more is cut (a bomb guard).
const MAX_INFLATED: u64 = 16 << 20;

/// Inflates a gzip stream (one or more members), at most 16 MiB of it;
/// `None` when it is not valid gzip or holds nothing.
pub fn inflate_gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let dec = flate2::read::MultiGzDecoder::new(bytes);
    dec.take(MAX_INFLATED).read_to_end(&mut out).ok()?;
    (!out.is_empty()).then_some(out)
}

/// Decodes base64 (standard or URL-safe alphabet, padding optional,
/// whitespace ignored) into text, replacing invalid UTF-8.
pub fn decode_base64(text: &str) -> Option<String> {
    decode_base64_bytes(text).map(bytes_to_text)
}

/// Bytes as text, invalid UTF-8 replaced.
fn bytes_to_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Decodes base64 (standard or URL-safe alphabet, padding optional,
/// whitespace ignored) into bytes.
pub fn decode_base64_bytes(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    const CFG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CFG);
    const URL: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CFG);
    let compact: Cow<str> = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(text)
    };
    STD.decode(compact.as_bytes())
        .or_else(|_| URL.decode(compact.as_bytes()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(doc: &[u8]) -> (Vec<String>, Result<u64, ScanError>) {
        let mut s = Scanner::new(doc);
        let mut out = Vec::new();
        let r = s.run(|b| {
            for (a, z) in b.ranges {
                out.push(String::from_utf8_lossy(&b.data[a..z]).into_owned());
            }
        });
        (out, r.map(|e| e.entries))
    }

    #[test]
    fn finds_entries_anywhere_in_log() {
        let doc = br#"{"log":{"version":"1.2","pages":[{"id":"p]}"}],"entries":[{"a":"x\"}"},{"b":[1,{}]}],"comment":"}"}}"#;
        let (out, r) = scan(doc);
        assert_eq!(r.unwrap(), 2);
        assert_eq!(out, vec![r#"{"a":"x\"}"}"#, r#"{"b":[1,{}]}"#]);
    }

    #[test]
    fn bom_and_jsonp() {
        let (out, r) = scan(b"\xEF\xBB\xBF{\"log\":{\"entries\":[{}]}}");
        assert_eq!((out.len(), r.unwrap()), (1, 1));
        let (out, r) = scan(b"onInputData({\"log\":{\"entries\":[{},{}]}});");
        assert_eq!((out.len(), r.unwrap()), (2, 2));
    }

    #[test]
    fn truncation_keeps_complete_entries() {
        let doc = br#"{"log":{"entries":[{"a":1},{"b":2},{"c":"cut here"#;
        let (out, r) = scan(doc);
        assert_eq!(out.len(), 2);
        let e = r.unwrap_err();
        assert_eq!(e.offset, doc.len() as u64);
        assert_eq!(e.cut_entry, Some(2));
        let (out, r) = scan(br#"{"log":{"entries":[{"a":1}"#);
        assert_eq!(out.len(), 1);
        assert!(r.unwrap_err().msg.contains("truncated"));
    }

    #[test]
    fn duplicate_log_and_entries_read_all() {
        let mut s = Scanner::new(
            &br#"{"log":{"entries":[{"a":1},{"b":2}],"entries":[{"c":3}]},"log":{"entries":[{"d":4}]}}"#[..],
        );
        let mut firsts = Vec::new();
        let end = s
            .run(|b| firsts.push((b.first_index, b.ranges.len())))
            .unwrap();
        assert_eq!((end.entries, end.arrays), (4, 3));
        let total: usize = firsts.iter().map(|f| f.1).sum();
        assert_eq!(total, 4);
        assert_eq!(firsts.last().unwrap().0, 3);
    }

    #[test]
    fn small_batches() {
        let entries: Vec<String> = (0..10).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
        let doc = format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(","));
        let mut s = Scanner::new(doc.as_bytes());
        s.batch = 3;
        let mut got = Vec::new();
        let end = s
            .run(|b| {
                got.push(b.first_index);
                assert!(b.ranges.len() <= 3);
            })
            .unwrap();
        assert_eq!(end.entries, 10);
        assert_eq!(got, [0, 3, 6, 9]);
    }

    #[test]
    fn entries_not_an_array() {
        let (_, r) = scan(br#"{"log":{"entries":{}}}"#);
        assert!(r.unwrap_err().msg.contains("an array for `log.entries`"));
        let (_, r) = scan(b"[1,2]");
        assert!(r.unwrap_err().msg.contains("JSON object"), "{}", "");
    }

    #[test]
    fn big_entries_across_reads() {
        let body = "x".repeat(3 * READ_SIZE + 17);
        let doc = format!(r#"{{"log":{{"entries":[{{"t":"{body}"}},{{}}]}}}}"#);
        let (out, r) = scan(doc.as_bytes());
        assert_eq!(r.unwrap(), 2);
        assert_eq!(out[0].len(), body.len() + 8);
    }

    /// What a scanner with `limit` finds in `doc`: entries (index, text)
    /// and too-large ones (index, detail), the note and the peak held.
    fn scan_limited(doc: &[u8], limit: u64) -> (Vec<(u64, String)>, Option<String>, usize) {
        let mut s = Scanner::with_limit(doc, limit);
        let mut got = Vec::new();
        s.scan(&mut |f| match f {
            Found::Records(b) => {
                for (i, &(a, z)) in b.ranges.iter().enumerate() {
                    let t = String::from_utf8_lossy(&b.data[a..z]).into_owned();
                    got.push((b.first_index + i as u64, t));
                }
            }
            Found::TooLarge { index, detail } => got.push((index, format!("!{detail}"))),
        })
        .unwrap();
        (got, s.note(), s.peak())
    }

    fn har(entries: &[String]) -> String {
        format!(
            r#"{{"log":{{"version":"1.2","entries":[{}]}}}}"#,
            entries.join(",")
        )
    }

    fn entry(status: u16, body: &str, extra: &str) -> String {
        format!(
            r#"{{"startedDateTime":"2024-01-01T00:00:00Z","time":5,"request":{{"method":"GET","url":"https://x/v1/y","headers":[{{"name":"X-Request-Id","value":"r-{status}"}}]{extra}}},"response":{{"status":{status},"headers":[],"content":{{"size":1,"mimeType":"application/json","text":"{body}"}}}},"timings":{{"wait":1}}}}"#
        )
    }

    #[test]
    fn batches_end_where_a_read_ends() {
        // 8 MiB of 3 KiB entries: batches are cut before the window has to
        // grow past a read, so the window holds little more than one read.
        let body = "b".repeat(3000);
        let entries: Vec<String> = (0..2800).map(|_| entry(200, &body, "")).collect();
        let doc = har(&entries);
        let mut s = Scanner::new(doc.as_bytes());
        let (mut sizes, mut n) = (Vec::new(), 0u64);
        let end = s
            .run(|b| {
                assert_eq!(b.first_index, n);
                n += b.ranges.len() as u64;
                sizes.push(b.ranges.last().unwrap().1 - b.ranges[0].0);
            })
            .unwrap();
        assert_eq!((end.entries, n), (2800, 2800));
        let small = sizes[..sizes.len() - 1]
            .iter()
            .filter(|&&b| (b as u64) < BATCH_BYTES / 4)
            .count();
        assert_eq!(small, 0, "{sizes:?}");
        assert!(
            s.peak() < READ_SIZE + (BATCH_TAIL as usize) + 2 * entries[0].len(),
            "{}",
            s.peak()
        );
    }

    #[test]
    fn an_entry_over_the_limit_is_never_held_whole() {
        let big = "A".repeat(6 * READ_SIZE);
        let doc = har(&[
            entry(200, "ok", ""),
            entry(200, &big, ""),
            entry(503, &big, ""),
            entry(
                500,
                r#"{\"error_code\":\"x\"}"#,
                &format!(r#","postData":{{"text":"{big}"}}"#),
            ),
            entry(404, "no", ""),
        ]);
        let (got, note, peak) = scan_limited(doc.as_bytes(), READ_SIZE as u64);
        assert!(peak < 4 * READ_SIZE, "held {peak} bytes");
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        // The ok entry is kept without its body, and read the same otherwise.
        let ok = parse_entry(&got[1].1).unwrap();
        let small = entry(200, "", "");
        let want = parse_entry(&small).unwrap();
        assert_eq!((ok.status, ok.body.clone()), (Some(200), Body::Missing));
        assert_eq!(
            (ok.url, ok.method, ok.time_ms, ok.duration_ms),
            (want.url, want.method, want.time_ms, want.duration_ms)
        );
        // The error status whose body does not fit is too large.
        assert_eq!(
            got[2].1,
            format!(
                "!status 503: a {}-byte body, over the 1 MiB limit",
                big.len() + 2
            )
        );
        // An entry too large for a member the audit does not read is judged
        // whole, that member left out.
        let e = parse_entry(&got[3].1).unwrap();
        assert_eq!(e.status, Some(500));
        assert!(e.body.text().unwrap().contains("error_code"));
        assert!(!got[3].1.contains("postData"));
        assert!(got[4].1.starts_with('{'));
        let note = note.unwrap();
        assert!(
            note.contains("1 entry larger than the 1 MiB record limit counted by status"),
            "{note}"
        );
    }

    #[test]
    fn an_entry_whose_headers_do_not_fit_is_too_large() {
        let big = "h".repeat(3 * READ_SIZE);
        let e = format!(
            r#"{{"request":{{"headers":[{{"name":"x","value":"{big}"}}]}},"response":{{"status":200}}}}"#
        );
        let (got, _, _) = scan_limited(har(&[e]).as_bytes(), READ_SIZE as u64);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].1.starts_with("!`request.headers` of "),
            "{}",
            got[0].1
        );
    }

    #[test]
    fn compact_entries_read_the_same() {
        // An entry of every member parse_entry reads, made too large by a
        // member it does not read, gives the same exchange once compacted.
        let full = r#"{"startedDateTime":"2024-06-11T09:00:00.123Z","time":12.5,"request":{"method":"POST","url":"https://api.x/v1/r/1","headers":[{"name":"Authorization","value":"Bearer abc123def456"},{"name":"X-Request-Id","value":"req-1"}],"cookies":[]},"response":{"status":409,"headers":[{"name":"Content-Type","value":"application/json"},{"name":"X-Request-Id","value":"resp-1"}],"content":{"size":40,"mimeType":"application/json","encoding":"base64","text":"eyJlcnJvcl9jb2RlIjoiY29uZmxpY3QiLCJlcnJvcl9tZXNzYWdlIjoieCJ9"}},"cache":{}}"#;
        let padded = full.replacen(
            r#""cookies":[]"#,
            &format!(
                r#""cookies":[],"postData":{{"text":"{}"}}"#,
                "p".repeat(4000)
            ),
            1,
        );
        let (got, _, _) = scan_limited(har(&[padded]).as_bytes(), 1000);
        let compact = parse_entry(&got[0].1).unwrap();
        let whole = parse_entry(full).unwrap();
        assert_eq!(format!("{compact:?}"), format!("{whole:?}"));
    }

    #[test]
    fn members_other_than_entries_are_not_kept() {
        let pages = format!(
            "[{}]",
            vec![r#"{"id":"page_1","title":"a page"}"#; 200_000].join(",")
        );
        let doc = format!(
            r#"{{"log":{{"pages":{pages},"entries":[{{}}],"_x":{pages}}},"_y":"{}"}}"#,
            "y".repeat(5 * READ_SIZE)
        );
        assert!(pages.len() > 6 * READ_SIZE);
        let (got, note, peak) = scan_limited(doc.as_bytes(), READ_SIZE as u64);
        assert_eq!(got.len(), 1);
        assert!(peak < 3 * READ_SIZE, "held {peak} bytes");
        let note = note.unwrap();
        assert!(
            note.starts_with(&format!("`log.pages` ({} bytes), `log._x`", pages.len())),
            "{note}"
        );
        assert!(note.contains("`_y`"), "{note}");
        // Without a limit nothing is named, and still nothing kept.
        let (got, note, peak) = scan_limited(doc.as_bytes(), u64::MAX);
        assert_eq!((got.len(), note), (1, None));
        assert!(peak < 3 * READ_SIZE, "held {peak} bytes");
    }

    #[test]
    fn header_keys_with_escapes() {
        let e = parse_entry(
            r#"{"request":{"method":"GET","url":"https://x/y","headers":[
                {"na\u006de":"X-Request-Id","value":"r-1"},
                {"name":"Authorization","val\u0075e":"Bearer abcdef123456"}]},
            "response":{"status":500,"content":{"text":"oops","mimeType":"text/plain"}}}"#,
        )
        .unwrap();
        assert_eq!(e.request_id.as_deref(), Some("r-1"));
        assert_eq!(e.credential.as_deref(), Some("Bearer abcdef123456"));
    }

    #[test]
    fn lenient_entry() {
        let e = parse_entry(
            r#"{"startedDateTime":"2024-01-01T00:00:00Z","request":{"method":"GET","url":"https://x/y"},
            "response":{"status":404,"headers":[{"name":"Content-Type","value":"text/plain"}],
            "content":{"encoding":"base64","text":"eyJhIjoxfQ=="},"_x":1}}"#,
        )
        .unwrap();
        assert_eq!(e.status, Some(404));
        assert_eq!(e.body, Body::Text(Cow::Borrowed("{\"a\":1}")));
        assert_eq!(e.content_type.as_deref(), Some("text/plain"));
        let e =
            parse_entry(r#"{"response":{"status":0,"_error":"net::ERR","content":{}}}"#).unwrap();
        assert_eq!((e.status, e.body), (Some(0), Body::Missing));
        let e = parse_entry(r#"{"request":{}}"#).unwrap();
        assert_eq!(e.status, None);
        assert_eq!(
            parse_entry(r#"{"response":{"status":"abc"}}"#)
                .unwrap_err()
                .0,
            SkipReason::MalformedEntry
        );
        assert_eq!(parse_entry("[]").unwrap_err().0, SkipReason::EntryNotObject);
    }
}
