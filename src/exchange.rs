//! The normalized record every reader produces and the classifier consumes:
//! one HTTP exchange, borrowed from the input where possible.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Where a record sits in its input: a HAR entry index or a log line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Locator {
    /// Index of the input in the run's input list.
    pub file: u32,
    /// HAR entry index (0-based) or line number (1-based).
    pub index: u64,
}

/// What kind of position a locator's index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocatorKind {
    /// `log.entries[index]` of a HAR file.
    Entry,
    /// A 1-based line of a log file.
    Line,
    /// The n-th (1-based) JSON value of a JSON document stream.
    Value,
}

impl LocatorKind {
    /// The word used before the index in text reports.
    pub fn word(self) -> &'static str {
        match self {
            LocatorKind::Entry => "entry",
            LocatorKind::Line => "line",
            LocatorKind::Value => "value",
        }
    }
}

/// The response body as captured.
#[derive(Debug, Clone)]
pub enum Body<'a> {
    /// The body was not captured (no `content.text`, no body field).
    Missing,
    /// The body text (already decoded from base64 where the capture said so).
    Text(Cow<'a, str>),
    /// A JSON string whose content is the body text, not yet unescaped
    /// (most success bodies are never looked at, so never unescaped).
    Escaped(crate::rawjson::Raw<'a>),
}

/// Bodies are equal when they hold the same text, however it is stored.
impl PartialEq for Body<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Body<'_> {
    /// The body text, unescaped when needed; `None` when not captured.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Body::Missing => None,
            Body::Text(t) => Some(Cow::Borrowed(t)),
            Body::Escaped(v) => crate::rawjson::as_str(*v).or(Some(Cow::Borrowed(v.get()))),
        }
    }

    /// Whether the body may contain the key `error_code` (no false
    /// negatives): an escaped body is also a candidate when it has `\u`
    /// escapes, which could spell the key.
    pub fn may_mention_code(&self) -> bool {
        match self {
            Body::Missing => false,
            Body::Text(t) => mentions_error_code(t.as_bytes()),
            Body::Escaped(v) => {
                let raw = v.get().as_bytes();
                static ESCAPE: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
                    std::sync::OnceLock::new();
                mentions_error_code(raw)
                    || ESCAPE
                        .get_or_init(|| memchr::memmem::Finder::new("\\u"))
                        .find(raw)
                        .is_some()
            }
        }
    }
}

/// Whether `bytes` contain `error_code`: only such a body can carry an error
/// code, so the rest are never parsed.
pub fn mentions_error_code(bytes: &[u8]) -> bool {
    static KEY: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| memchr::memmem::Finder::new("error_code"))
        .find(bytes)
        .is_some()
}

/// A remembered answer about an exchange, filled on first use.
#[derive(Debug, Clone, Default)]
pub struct Memo(std::cell::Cell<Option<bool>>);

/// One HTTP exchange.
#[derive(Debug, Clone)]
pub struct Exchange<'a> {
    /// HTTP status; `None` or `Some(0)` when no response was received.
    pub status: Option<u16>,
    /// The response body.
    pub body: Body<'a>,
    /// The response's Content-Type, when known.
    pub content_type: Option<Cow<'a, str>>,
    /// When the request started, in milliseconds since the Unix epoch (UTC).
    pub time_ms: Option<i64>,
    /// Request method.
    pub method: Option<Cow<'a, str>>,
    /// Request URL or path.
    pub url: Option<Cow<'a, str>>,
    /// Host, when the record names it apart from the URL.
    pub host: Option<Cow<'a, str>>,
    /// Request id (`x-request-id` and the like).
    pub request_id: Option<Cow<'a, str>>,
    /// Duration in milliseconds.
    pub duration_ms: Option<f64>,
    /// The credential the request carried (Authorization, API key); only
    /// ever reported as a fingerprint.
    pub credential: Option<Cow<'a, str>>,
    /// The values of the request's other credential-bearing headers, as
    /// the reader found them (the `Cookie` header, an API key beside an
    /// `Authorization`): never reported, only redacted wherever they appear
    /// in the record's own text (redaction layer 1). Filled, like
    /// `credential`, only for records that may be notable.
    pub secrets: Box<[Cow<'a, str>]>,
    /// Whether the body mentions `error_code`, once asked
    /// (`body_mentions_code`): a success body is searched once, not by the
    /// reader and again by the classifier. Leave it at its default, and set
    /// `body` before asking: the answer is not recomputed when `body`
    /// changes afterwards.
    pub mentions_code: Memo,
}

impl Default for Exchange<'_> {
    fn default() -> Self {
        Exchange {
            status: None,
            body: Body::Missing,
            content_type: None,
            time_ms: None,
            method: None,
            url: None,
            host: None,
            request_id: None,
            duration_ms: None,
            credential: None,
            secrets: Box::default(),
            mentions_code: Memo::default(),
        }
    }
}

impl Exchange<'_> {
    /// Whether the exchange can get a class other than `ok`: no status, an
    /// error status, or a body that mentions `error_code`. Readers fill the
    /// fields only reported for such records (request id, credential,
    /// duration, Content-Type) only when this holds.
    pub fn may_be_notable(&self) -> bool {
        self.status.is_none_or(|s| s == 0 || s >= 400) || self.body_mentions_code()
    }

    /// Whether the body may contain the key `error_code` (no false
    /// negatives), searched for once per exchange.
    pub fn body_mentions_code(&self) -> bool {
        if let Some(m) = self.mentions_code.0.get() {
            return m;
        }
        let m = self.body.may_mention_code();
        self.mentions_code.0.set(Some(m));
        m
    }

    /// The host and the path (query and fragment dropped) of the request.
    pub fn host_and_path(&self) -> (Option<&str>, Option<&str>) {
        let (host, path) = match self.url.as_deref() {
            Some(u) => split_url(u),
            None => (None, None),
        };
        // A full URL names the host the request went to; a separate host
        // field may be the logging machine's name. Userinfo in a host field
        // (`admin:pw@internal`) is dropped like a URL's.
        // The field is looked at only when the URL names no host.
        let host = host.or_else(|| {
            self.host
                .as_deref()
                .map(|h| h.rsplit_once('@').map_or(h, |(_, h)| h))
        });
        (host, path)
    }
}

/// Splits a URL or request target into host and path; the query string and
/// fragment are dropped. Only a scheme at the start (`https://`) or a
/// scheme-relative `//` names a host: a URL inside the query
/// (`/go?next=https://evil.example/a`) does not. Userinfo is dropped, even
/// when its password holds an unencoded `/`, `?` or `#`.
pub fn split_url(url: &str) -> (Option<&str>, Option<&str>) {
    let b = url.as_bytes();
    let scheme_len = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
        .filter(|&i| i > 0 && b[0].is_ascii_alphabetic() && b[i..].starts_with(b"://"))
        .map(|i| i + 3)
        .or_else(|| b.starts_with(b"//").then_some(2));
    let (host, rest) = match scheme_len {
        Some(start) => {
            let after = &url[start..];
            let end = authority_end(after);
            let authority = &after[..end];
            // Drop userinfo: it may hold credentials.
            let authority = match memchr::memrchr(b'@', authority.as_bytes()) {
                Some(at) => &authority[at + 1..],
                None => authority,
            };
            (Some(authority).filter(|h| !h.is_empty()), &after[end..])
        }
        None => (None, url),
    };
    let end = memchr::memchr2(b'?', b'#', rest.as_bytes()).unwrap_or(rest.len());
    let path = &rest[..end];
    (host, Some(if path.is_empty() { "/" } else { path }))
}

/// Where the authority of `after` (the URL past `scheme://`) ends: at the
/// first `/`, `?` or `#`, unless an `@` follows within the same run of
/// non-space text and the part before it looks like `user:password`
/// (a colon not followed by a port): then just past that `@`'s host.
fn authority_end(after: &str) -> usize {
    let plain = after
        .bytes()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    // Userinfo needs a colon before `plain` (see below): without one, the
    // rest of the URL need not be looked at.
    if memchr::memchr(b':', &after.as_bytes()[..plain]).is_none() {
        return plain;
    }
    let word = after
        .bytes()
        .position(|c| c.is_ascii_whitespace())
        .unwrap_or(after.len());
    if let Some(at) = after[..word].rfind('@') {
        if at > plain {
            let userinfo = &after[..at];
            if let Some(colon) = userinfo.find(':') {
                let port_like = userinfo[colon + 1..]
                    .split(['/', '?', '#'])
                    .next()
                    .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
                if colon < plain && !port_like {
                    let host = &after[at + 1..];
                    return at
                        + 1
                        + host
                            .bytes()
                            .position(|c| matches!(c, b'/' | b'?' | b'#'))
                            .unwrap_or(host.len());
                }
            }
        }
    }
    plain
}

/// Templates a path so that requests to the same route group together:
/// segments that look like ids (numbers, UUIDs, long hex or opaque tokens)
/// become `{id}`.
pub fn endpoint(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    endpoint_into(path, &mut out);
    out
}

/// `endpoint`, written into `out` (cleared first), to reuse its buffer.
pub fn endpoint_into(path: &str, out: &mut String) {
    out.clear();
    endpoint_push(path, out);
}

/// `endpoint`, appended to `out`. One pass: each segment is judged while
/// it is read, and written whole or as `{id}` at its end.
pub fn endpoint_push(path: &str, out: &mut String) {
    let mut start = 0;
    let mut seg = IdScan::default();
    for (i, &c) in path.as_bytes().iter().enumerate() {
        if c == b'/' {
            out.push_str(if seg.is_id() { "{id}" } else { &path[start..i] });
            out.push('/');
            start = i + 1;
            seg = IdScan::default();
        } else {
            seg.add(c);
        }
    }
    out.push_str(if seg.is_id() { "{id}" } else { &path[start..] });
}

/// What a path segment read so far looks like, byte by byte.
#[derive(Debug, Clone, Copy)]
struct IdScan {
    len: usize,
    digits: usize,
    /// Hex digits and dashes only, so far.
    hexish: bool,
    /// Letters, digits and `_-.~=` only, so far.
    token: bool,
}

impl Default for IdScan {
    fn default() -> IdScan {
        IdScan {
            len: 0,
            digits: 0,
            hexish: true,
            token: true,
        }
    }
}

impl IdScan {
    #[inline(always)]
    fn add(&mut self, c: u8) {
        self.len += 1;
        if c.is_ascii_digit() {
            self.digits += 1;
        } else {
            self.hexish &= c.is_ascii_hexdigit() || c == b'-';
            self.token &=
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'~' | b'=');
        }
    }

    /// Whether the segment is an id: all digits; hex (dashes allowed) of 8
    /// or more with a digit (UUIDs, hashes, object ids); or an opaque token
    /// of 16 or more letters, digits and `_-.~=` with at least two digits.
    #[inline(always)]
    fn is_id(&self) -> bool {
        self.len > 0
            && (self.digits == self.len
                || (self.hexish && self.len >= 8 && self.digits > 0)
                || (self.token && self.len >= 16 && self.digits >= 2))
    }
}

/// The common case, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, without a general
/// parser; anything else (offsets, leap seconds, odd forms) returns `None`
/// and goes to chrono.
fn utc_rfc3339_ms(b: &[u8]) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
        || !matches!(b[b.len() - 1], b'Z' | b'z')
    {
        return None;
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let frac_ms = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let n = num(20..20 + digits.len())?;
            let scale = 10i64.pow(digits.len() as u32);
            n * 1000 / scale
        }
        _ => return None,
    };
    // Records of a log share their date: the last valid date text and its
    // day number are remembered (per thread).
    thread_local! {
        static LAST_DATE: std::cell::Cell<([u8; 10], i64)> = const { std::cell::Cell::new(([0; 10], 0)) };
    }
    let date: [u8; 10] = b[..10].try_into().expect("at least 20 bytes");
    let (cached, cached_days) = LAST_DATE.get();
    let days = if cached == date {
        cached_days
    } else {
        let days = civil_days(&num)?;
        LAST_DATE.set((date, days));
        days
    };
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + frac_ms)
}

/// The days from 1970-01-01 to the date `YYYY-MM-DD` at the start of a
/// timestamp (`num` reads digits of it), when the date is valid.
fn civil_days(num: &dyn Fn(std::ops::Range<usize>) -> Option<i64>) -> Option<i64> {
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] {
        return None;
    }
    // Days from 1970-01-01 to the date (proleptic Gregorian calendar).
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// 10000-01-01T00:00:00Z in epoch milliseconds: record times are in
/// 1970..=9999, and anything else is no time at all (a corrupt field, an
/// epoch of `1e300`), not a time to print.
pub const TIME_END_MS: i64 = 253_402_300_800_000;

/// `ms` when it lies in 1970..=9999.
fn in_time_range(ms: i64) -> Option<i64> {
    (0..TIME_END_MS).contains(&ms).then_some(ms)
}

/// Parses a timestamp string: RFC 3339 (also with a space for `T`, a numeric
/// offset without colon, or no offset meaning UTC) or a number of epoch
/// seconds, milliseconds, microseconds or nanoseconds. Times outside
/// 1970..=9999 are `None`.
pub fn parse_time_str(s: &str) -> Option<i64> {
    parse_time_any(s).and_then(in_time_range)
}

fn parse_time_any(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s.parse::<f64>().ok().and_then(epoch_to_ms);
    }
    if let Some(ms) = utc_rfc3339_ms(s.as_bytes()) {
        return Some(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%d/%b/%Y:%H:%M:%S %z",
    ] {
        if let Ok(t) = chrono::DateTime::parse_from_str(s, fmt) {
            return Some(t.timestamp_millis());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

/// Interprets a number as epoch time, choosing the unit by magnitude;
/// `None` outside 1970..=9999.
pub fn epoch_to_ms(n: f64) -> Option<i64> {
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let ms = if n < 1e11 {
        n * 1e3
    } else if n < 1e14 {
        n
    } else if n < 1e17 {
        n / 1e3
    } else {
        n / 1e6
    };
    if !(0.0..TIME_END_MS as f64).contains(&ms) {
        return None;
    }
    in_time_range(ms as i64)
}

/// Formats epoch milliseconds as RFC 3339 UTC with millisecond precision.
pub fn format_time(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_utc_times_agree_with_chrono() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 8_000_000_000) as i64 - 1_000_000_000;
            let frac = ["", ".5", ".123", ".123456", ".987654321", ".0"][i % 6];
            let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            let text = format!("{}{frac}Z", t.format("%Y-%m-%dT%H:%M:%S"));
            let want = chrono::DateTime::parse_from_rfc3339(&text)
                .unwrap()
                .timestamp_millis();
            assert_eq!(utc_rfc3339_ms(text.as_bytes()), Some(want), "{text}");
        }
        for odd in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-06-11T24:00:00Z",
            "2024-06-11T10:00:60Z",
            "2024-06-11T10:00:00.Z",
            "2024-06-11T10:00:00+00:00",
            "2024-06-11 10:00:00Z",
        ] {
            assert_eq!(utc_rfc3339_ms(odd.as_bytes()), None, "{odd}");
        }
        assert_eq!(
            parse_time_str("2024-02-29T23:59:59.999z"),
            Some(
                chrono::DateTime::parse_from_rfc3339("2024-02-29T23:59:59.999Z")
                    .unwrap()
                    .timestamp_millis()
            )
        );
    }

    #[test]
    fn remembered_dates_agree_with_chrono() {
        // Every 7 minutes over a week across a leap day, with times that
        // fail on a remembered date and dates that fail in between.
        let start = chrono::DateTime::parse_from_rfc3339("2024-02-26T00:00:00Z")
            .unwrap()
            .timestamp();
        for i in 0..1500 {
            let t = chrono::DateTime::from_timestamp(start + i * 420, 0).unwrap();
            let text = format!("{}.{:03}Z", t.format("%Y-%m-%dT%H:%M:%S"), i % 1000);
            let want = chrono::DateTime::parse_from_rfc3339(&text)
                .unwrap()
                .timestamp_millis();
            assert_eq!(utc_rfc3339_ms(text.as_bytes()), Some(want), "{text}");
            let date = &text[..10];
            for bad in [format!("{date}T24:00:00Z"), format!("{date}T10:00:00.Z")] {
                assert_eq!(utc_rfc3339_ms(bad.as_bytes()), None, "{bad}");
            }
            if i % 100 == 0 {
                assert_eq!(utc_rfc3339_ms(b"2023-02-29T00:00:00Z"), None);
                assert_eq!(utc_rfc3339_ms(b"2024-13-01T00:00:00Z"), None);
            }
        }
    }

    #[test]
    fn urls_split_at_the_right_places() {
        let cases = [
            (
                "https://api.tapeapp.com/v1/x?y=1",
                Some("api.tapeapp.com"),
                "/v1/x",
            ),
            ("/v1/go?next=https://evil.example/a", None, "/v1/go"),
            ("/v1/go?next=//evil.example/a", None, "/v1/go"),
            (
                "https://admin:pa/ss?w#rd@host.example/x",
                Some("host.example"),
                "/x",
            ),
            (
                "https://admin:pw@host.example/x",
                Some("host.example"),
                "/x",
            ),
            ("//bob:pw@h.example/x", Some("h.example"), "/x"),
            (
                "https://host.example:8080/@alice",
                Some("host.example:8080"),
                "/@alice",
            ),
            (
                "https://registry.example/@types/node",
                Some("registry.example"),
                "/@types/node",
            ),
            ("bob:pw@h/x", None, "bob:pw@h/x"),
            // An `@` and a colon past the authority are not userinfo.
            (
                "https://h.example/x?u=a:b@c.example",
                Some("h.example"),
                "/x",
            ),
            (
                "https://h.example:8443/x?to=a@b.example",
                Some("h.example:8443"),
                "/x",
            ),
            ("https://h.example", Some("h.example"), "/"),
        ];
        for (url, host, path) in cases {
            assert_eq!(split_url(url), (host, Some(path)), "{url}");
        }
    }

    /// The rule of `is_id`, written plainly over a whole segment.
    fn plain_is_id(seg: &str) -> bool {
        let b = seg.as_bytes();
        let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
        let rest = || b.iter().filter(|c| !c.is_ascii_digit());
        let hexish = rest().all(|&c| c.is_ascii_hexdigit() || c == b'-');
        let token = rest().all(|&c| c.is_ascii_alphanumeric() || b"_-.~=".contains(&c));
        !b.is_empty()
            && (digits == b.len()
                || (hexish && b.len() >= 8 && digits > 0)
                || (token && b.len() >= 16 && digits >= 2))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// The one-pass template equals splitting at `/` and judging each
        /// segment whole, on paths of ids, words, UTF-8 and empty segments.
        #[test]
        fn the_template_judges_each_segment_whole(
            segs in proptest::collection::vec(
                "[0-9]{0,20}|[0-9a-f-]{0,40}|[A-Za-z0-9_.~=-]{0,30}|[a-z]{1,8}|\\PC{0,6}",
                0..8,
            )
        ) {
            let path = segs.join("/");
            let want: Vec<&str> = path
                .split('/')
                .map(|s| if plain_is_id(s) { "{id}" } else { s })
                .collect();
            proptest::prop_assert_eq!(endpoint(&path), want.join("/"));
        }
    }

    #[test]
    fn endpoints() {
        assert_eq!(endpoint("/v1/record/123"), "/v1/record/{id}");
        assert_eq!(
            endpoint("/v1/record/app/7/filter"),
            "/v1/record/app/{id}/filter"
        );
        assert_eq!(endpoint("/v2/pet/9223372036854017000"), "/v2/pet/{id}");
        assert_eq!(
            endpoint("/u/3f2b8c1e-aa10-4c1b-9d1e-0c5e8e2a7b11/x"),
            "/u/{id}/x"
        );
        assert_eq!(endpoint("/o/507f1f77bcf86cd799439011"), "/o/{id}");
        assert_eq!(endpoint("/f/01J01Z9V6S4C1XK2A1N0R7M4QH"), "/f/{id}");
        assert_eq!(endpoint("/v1/workspace/apps"), "/v1/workspace/apps");
        assert_eq!(endpoint("/assets/image.webp"), "/assets/image.webp");
        assert_eq!(endpoint("/v1/add"), "/v1/add");
    }

    #[test]
    fn urls() {
        assert_eq!(
            split_url("https://u:p@api.tapeapp.com/v1/x?token=1#f"),
            (Some("api.tapeapp.com"), Some("/v1/x"))
        );
        assert_eq!(split_url("/v1/x?y"), (None, Some("/v1/x")));
        assert_eq!(split_url("http://h"), (Some("h"), Some("/")));
    }

    #[test]
    fn times() {
        let z = parse_time_str("2024-06-11T09:00:05.100200300Z").unwrap();
        assert_eq!(format_time(z), "2024-06-11T09:00:05.100Z");
        assert_eq!(
            parse_time_str("2021-11-12T16:59:45+0000"),
            parse_time_str("2021-11-12T16:59:45Z")
        );
        assert_eq!(
            parse_time_str("2025-08-03T14:32:00.02-04:00"),
            parse_time_str("2025-08-03T18:32:00.020Z")
        );
        assert_eq!(parse_time_str("1718003101123"), Some(1718003101123));
        assert_eq!(epoch_to_ms(1718003101.5), Some(1718003101500));
        assert_eq!(epoch_to_ms(1712790000100000000.0), Some(1712790000100));
        assert_eq!(parse_time_str("yesterday"), None);
        // Outside 1970..=9999: no time.
        assert_eq!(epoch_to_ms(1e300), None);
        assert_eq!(epoch_to_ms(-5.0), None);
        assert_eq!(epoch_to_ms(f64::MAX), None);
        assert_eq!(parse_time_str("1e300"), None);
        assert_eq!(parse_time_str("+10000-01-01T00:00:00Z"), None);
        assert_eq!(parse_time_str("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse_time_str("0001-01-01T00:00:00Z"), None);
        assert_eq!(
            parse_time_str("9999-12-31T23:59:59.999Z"),
            Some(TIME_END_MS - 1)
        );
        assert_eq!(
            parse_time_str("2024-06-10 07:15:02"),
            parse_time_str("2024-06-10T07:15:02Z")
        );
    }
}
