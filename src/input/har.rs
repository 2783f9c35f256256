//! HAR input: a streaming scanner that finds `log.entries` and cuts the
//! document into entries without parsing them, and a lenient parser that
//! turns one entry into an `Exchange` on a worker thread.
//!
//! The scanner holds only the bytes of the entries not yet handed out, so
//! memory stays bounded whatever the file size, and a capture cut short still
//! yields every complete entry before the cut.

use std::borrow::Cow;
use std::io::Read;

use base64::Engine;

use super::SkipReason;
use crate::exchange::{parse_time_str, Body, Exchange};
use crate::jsonscan;
use crate::rawjson::{
    as_array, as_f64, as_status, as_str, first_byte, member_key, Raw, RawObject, Tree,
};

/// Bytes read from the input at a time.
const READ_SIZE: usize = 1 << 20;
/// A batch handed to a worker is flushed past this many bytes...
const BATCH_BYTES: usize = 1 << 20;
/// ...or this many entries (by default; the hidden environment variable
/// `TAPE_AUDIT_HAR_BATCH` sets it, for tests that want many small batches).
const BATCH_ENTRIES: usize = 512;

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

/// Streams `log.entries` out of a HAR document.
pub struct Scanner<R> {
    r: R,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Stream offset of the next unread byte.
    pos: u64,
    /// Data before this stream offset may be dropped.
    keep: u64,
    eof: bool,
    /// Entries per batch (`batch_entries()`).
    batch: usize,
    /// A read error met (kind and message), for later messages.
    io_error: Option<(std::io::ErrorKind, String)>,
}

type Res<T> = Result<T, ScanError>;

impl<R: Read> Scanner<R> {
    /// Wraps a reader positioned at the start of the document.
    pub fn new(r: R) -> Scanner<R> {
        Scanner {
            r,
            buf: Vec::with_capacity(READ_SIZE * 2),
            base: 0,
            pos: 0,
            keep: 0,
            eof: false,
            batch: batch_entries(),
            io_error: None,
        }
    }

    /// Scans the document, calling `emit` for each batch of entries.
    pub fn run(&mut self, mut emit: impl FnMut(Batch)) -> Res<ScanEnd> {
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
                        end.entries += s.entries(end.entries, &mut emit)?;
                        Ok(())
                    } else {
                        s.skip_value().map(|_| ())
                    }
                })
            } else {
                s.skip_value().map(|_| ())
            }
        })?;
        Ok(end)
    }

    /// Reads one `entries` array, numbering its entries from `base`;
    /// returns how many it holds.
    fn entries(&mut self, base: u64, emit: &mut impl FnMut(Batch)) -> Res<u64> {
        self.expect(b'[', "an array for `log.entries`")?;
        let mut index = base;
        let mut batch_start = self.pos;
        let mut first_index = 0u64;
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        self.keep = self.pos;
        let mut flush = |s: &mut Self, ranges: &mut Vec<(u64, u64)>, first: u64| {
            if ranges.is_empty() {
                return;
            }
            // The batch takes the buffer up to its last entry (the bytes
            // before its first entry come along unused); only what follows
            // is copied, into the next buffer.
            let last = ranges[ranges.len() - 1].1;
            let cut = (last - s.base) as usize;
            let mut next = super::block_buffer(READ_SIZE * 2);
            next.extend_from_slice(&s.buf[cut..]);
            let mut data = std::mem::replace(&mut s.buf, next);
            data.truncate(cut);
            let base = s.base;
            s.base = last;
            s.keep = s.keep.max(last);
            let rs = ranges
                .iter()
                .map(|&(a, b)| ((a - base) as usize, (b - base) as usize))
                .collect();
            ranges.clear();
            emit(Batch {
                first_index: first,
                data,
                ranges: rs,
            });
        };
        self.skip_ws()?;
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(0);
        }
        loop {
            self.skip_ws()?;
            let start = self.pos;
            if ranges.is_empty() {
                batch_start = start;
                first_index = index;
                self.keep = start;
            }
            let end = match self.skip_value() {
                Ok(e) => e,
                Err(mut e) => {
                    flush(self, &mut ranges, first_index);
                    if e.cut_entry.is_none() && self.eof && self.avail() == 0 {
                        e.cut_entry = Some(index);
                    }
                    return Err(e);
                }
            };
            ranges.push((start, end));
            index += 1;
            if (end - batch_start) as usize >= BATCH_BYTES || ranges.len() >= self.batch {
                flush(self, &mut ranges, first_index);
                self.keep = end;
            }
            self.skip_ws()?;
            match self.next_byte()? {
                Some(b',') => continue,
                Some(b']') => break,
                Some(c) => {
                    flush(self, &mut ranges, first_index);
                    return Err(self.unexpected(c, "',' or ']' after an entry"));
                }
                None => {
                    flush(self, &mut ranges, first_index);
                    return Err(self.truncated());
                }
            }
        }
        flush(self, &mut ranges, first_index);
        self.keep = self.pos;
        Ok(index - base)
    }

    /// Walks an object's members (after its `{`), up to and including `}`.
    fn members(&mut self, mut each: impl FnMut(&mut Self, &str) -> Res<()>) -> Res<()> {
        self.skip_ws()?;
        if self.peek()? == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws()?;
            self.keep = self.pos;
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

    /// Reads a string token and unescapes it.
    fn string(&mut self) -> Res<String> {
        match self.peek()? {
            Some(b'"') => {}
            Some(c) => return Err(self.unexpected(c, "a string key")),
            None => return Err(self.truncated()),
        }
        let start = self.pos;
        let end = self.skip_value()?;
        let raw = &self.buf[(start - self.base) as usize..(end - self.base) as usize];
        serde_json::from_slice::<String>(raw).map_err(|e| ScanError {
            offset: start,
            msg: format!("invalid string: {e}"),
            cut_entry: None,
            source: None,
        })
    }

    /// Skips one JSON value (without validating scalars), returning the
    /// stream offset just past it.
    fn skip_value(&mut self) -> Res<u64> {
        let mut depth: u32 = 0;
        let mut in_str = false;
        let mut i = (self.pos - self.base) as usize;
        let first = loop {
            if i < self.buf.len() {
                break self.buf[i];
            }
            if !self.fill()? {
                return Err(self.truncated());
            }
            i = (self.pos - self.base) as usize;
        };
        if matches!(first, b'{' | b'[') {
            return self.skip_container(i);
        }
        let scalar = first != b'"';
        loop {
            // Indices are relative to buf, which `fill` may shift: keep the
            // stream offset in `self.pos` and recompute after each fill.
            let buf = &self.buf;
            let mut done = None;
            while i < buf.len() {
                if in_str {
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        None => {
                            i = buf.len();
                            break;
                        }
                        Some(k) => {
                            i += k;
                            if buf[i] == b'\\' {
                                if i + 1 >= buf.len() {
                                    break; // need the escaped byte
                                }
                                i += 2;
                                continue;
                            }
                            i += 1;
                            in_str = false;
                            if depth == 0 {
                                done = Some(i);
                                break;
                            }
                        }
                    }
                    continue;
                }
                let c = buf[i];
                if scalar {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                        done = Some(i);
                        break;
                    }
                    i += 1;
                    continue;
                }
                i += 1;
                match c {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            done = Some(i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if let Some(end) = done {
                let end = self.base + end as u64;
                self.pos = end;
                return Ok(end);
            }
            let consumed = self.base + i as u64;
            self.pos = consumed;
            if !self.fill()? {
                if scalar {
                    return Ok(self.pos);
                }
                return Err(self.truncated());
            }
            i = (consumed - self.base) as usize;
        }
    }

    /// Skips the array or object starting at `buf[i]`, 64 bytes at a time.
    fn skip_container(&mut self, mut i: usize) -> Res<u64> {
        let mut skip = jsonscan::SkipContainer::default();
        loop {
            if let Some(end) = skip.feed(&self.buf, &mut i, self.eof) {
                let end = self.base + end as u64;
                self.pos = end;
                return Ok(end);
            }
            if self.eof {
                self.pos = self.base + self.buf.len() as u64;
                return Err(self.truncated());
            }
            // Indices are relative to buf, which `fill` may shift.
            let consumed = self.base + i as u64;
            self.pos = consumed;
            self.fill()?;
            i = (consumed - self.base) as usize;
        }
    }

    fn avail(&self) -> usize {
        self.buf.len() - (self.pos - self.base) as usize
    }

    /// Reads more input, dropping what is no longer needed. Returns false at
    /// the end of the input.
    fn fill(&mut self) -> Res<bool> {
        if self.eof {
            return Ok(false);
        }
        let drop = (self.keep.min(self.pos) - self.base) as usize;
        if drop > 0 && drop >= self.buf.len() / 2 {
            self.buf.drain(..drop);
            self.base += drop as u64;
        }
        let old = self.buf.len();
        // read_to_end appends without zeroing the buffer first.
        let n = match (&mut self.r)
            .take(READ_SIZE as u64)
            .read_to_end(&mut self.buf)
        {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(old);
                self.io_error = Some((e.kind(), crate::error::io_message(&e)));
                return Err(ScanError {
                    offset: self.base + old as u64,
                    msg: "read error".into(),
                    cut_entry: None,
                    source: Some(e),
                });
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    fn peek(&mut self) -> Res<Option<u8>> {
        loop {
            let i = (self.pos - self.base) as usize;
            if i < self.buf.len() {
                return Ok(Some(self.buf[i]));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn next_byte(&mut self) -> Res<Option<u8>> {
        let b = self.peek()?;
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    fn skip_ws(&mut self) -> Res<()> {
        while let Some(c) = self.peek()? {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn expect(&mut self, want: u8, what: &str) -> Res<()> {
        match self.next_byte()? {
            Some(c) if c == want => Ok(()),
            Some(c) => {
                self.pos -= 1;
                Err(self.unexpected(c, what))
            }
            None => Err(self.truncated()),
        }
    }

    fn expect_bytes(&mut self, want: &[u8]) -> Res<()> {
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

    fn unexpected(&self, c: u8, what: &str) -> ScanError {
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

    fn truncated(&self) -> ScanError {
        if let Some((kind, msg)) = &self.io_error {
            return ScanError {
                offset: self.base + self.buf.len() as u64,
                msg: "read error".into(),
                cut_entry: None,
                source: Some(std::io::Error::new(*kind, msg.clone())),
            };
        }
        ScanError {
            offset: self.base + self.buf.len() as u64,
            msg: "truncated: the input ends in the middle of the document".into(),
            cut_entry: None,
            source: None,
        }
    }
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
    let req_headers = request.as_ref().and_then(|r| r.get("headers"));
    if let Some(req) = &request {
        ex.method = req.get("method").and_then(as_str);
        ex.url = req.get("url").and_then(as_str);
    }
    let Some(resp) = response else {
        let req_pairs = header_pairs(req_headers);
        ex.request_id = find_header(&req_pairs, REQUEST_ID_HEADERS);
        ex.credential = find_header(&req_pairs, CREDENTIAL_HEADERS);
        ex.secrets = secret_headers(&req_pairs, ex.credential.as_deref()).into();
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
        if let Some(text) = c.get("text").filter(|v| first_byte(*v) != b'n') {
            let Some(text) = as_str(text) else {
                return Err((
                    SkipReason::MalformedEntry,
                    "response.content.text is not a string".into(),
                ));
            };
            let base64 = c
                .get("encoding")
                .and_then(as_str)
                .is_some_and(|enc| enc.eq_ignore_ascii_case("base64"));
            ex.body = Body::Text(if base64 {
                let bytes = decode_base64_bytes(&text).ok_or_else(|| {
                    (
                        SkipReason::MalformedEntry,
                        "response.content.text is not valid base64".to_string(),
                    )
                })?;
                // Some exporters keep the body as sent, compressed: a gzip
                // stream is inflated (bounded) so that the body can be read.
                let bytes = match bytes.starts_with(&[0x1f, 0x8b]) {
                    true => inflate_gzip(&bytes).unwrap_or(bytes),
                    false => bytes,
                };
                // A success body is only ever looked at for an `error_code`
                // (error_on_success): images and other binaries without
                // one are not turned into text.
                let success = ex.status.is_some_and(|s| (1..400).contains(&s));
                if success && !crate::exchange::mentions_error_code(&bytes) {
                    Cow::Borrowed("")
                } else {
                    Cow::Owned(bytes_to_text(bytes))
                }
            } else {
                text
            });
        }
    }
    if ex.content_type.is_none() {
        ex.content_type = header(resp_headers, &["content-type"]);
    }
    // Request ids and credentials are reported only for records that are
    // not `ok`: skip the header lists of plain successes.
    if ex.may_be_notable() {
        let req_pairs = header_pairs(req_headers);
        ex.request_id = find_header(&req_pairs, REQUEST_ID_HEADERS)
            .or_else(|| header(resp_headers, REQUEST_ID_HEADERS));
        ex.credential = find_header(&req_pairs, CREDENTIAL_HEADERS);
        let mut secrets = secret_headers(&req_pairs, ex.credential.as_deref());
        secrets.extend(secret_headers(&header_pairs(resp_headers), None));
        ex.secrets = secrets.into();
    }
    Ok(ex)
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

/// The value of the first header (case-insensitive) among `names`, from a
/// raw HAR header list; a list that is not an array of objects has none.
fn header<'a>(raw: Option<Raw<'a>>, names: &[&str]) -> Option<Cow<'a, str>> {
    find_header(&header_pairs(raw), names)
}

/// The (name, value) pairs of a raw HAR header list; items that are not
/// objects with a string name are left out.
fn header_pairs(raw: Option<Raw<'_>>) -> Vec<(Cow<'_, str>, Raw<'_>)> {
    let Some(items) = raw.and_then(as_array) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|h| {
            let text = h.get();
            let b = text.as_bytes();
            let (mut name, mut value) = (None, None);
            if b.first() != Some(&b'{') {
                return None;
            }
            jsonscan::object(b, 0, 1, |m| {
                let end = jsonscan::value(b, m.value)?;
                let v = Raw::new(&text[m.value..end]);
                // Keys may be escaped (`"na\u006de"`).
                match member_key(text, &m).as_ref() {
                    "name" => name = Some(v),
                    "value" => value = Some(v),
                    _ => {}
                }
                Ok(Some(end))
            })
            .ok()?;
            Some((as_str(name?)?, value?))
        })
        .collect()
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
