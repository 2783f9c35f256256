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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<'a> {
    /// The body was not captured (no `content.text`, no body field).
    Missing,
    /// The body text (already decoded from base64 where the capture said so).
    Text(Cow<'a, str>),
}

/// One HTTP exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        }
    }
}

/// Parses a timestamp string: RFC 3339 (also with a space for `T`, a numeric
/// offset without colon, or no offset meaning UTC) or a number of epoch
/// seconds, milliseconds, microseconds or nanoseconds.
pub fn parse_time_str(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s.parse::<f64>().ok().and_then(epoch_to_ms);
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

/// Interprets a number as epoch time, choosing the unit by magnitude.
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
    Some(ms as i64)
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
        assert_eq!(
            parse_time_str("2024-06-10 07:15:02"),
            parse_time_str("2024-06-10T07:15:02Z")
        );
    }
}
