//! Filters that narrow an audit to an incident: time window, status,
//! code, class, host, path prefix, endpoint glob. They apply before
//! aggregation; what they leave out is counted as excluded, not skipped.

use crate::classify::{Class, Verdict};
use crate::error::Error;
use crate::exchange::{endpoint, format_time, parse_time_str, Exchange};

/// A time bound as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// An absolute instant (epoch ms).
    At(i64),
    /// A time of day (ms since midnight UTC) on the capture's own date.
    TimeOfDay(i64),
    /// Relative to now (`-2h`): now plus this many ms (negative).
    FromNow(i64),
}

impl TimeSpec {
    /// Parses RFC 3339, `HH:MM[:SS]`, or `-N{s,m,h,d}`.
    pub fn parse(s: &str) -> Result<TimeSpec, String> {
        let s = s.trim();
        if let Some(rel) = s.strip_prefix('-') {
            return parse_duration_ms(rel).map(|d| TimeSpec::FromNow(-d));
        }
        if let Ok(t) = chrono::NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
            .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
        {
            let ms = chrono::Timelike::num_seconds_from_midnight(&t) as i64 * 1000
                + (chrono::Timelike::nanosecond(&t) / 1_000_000) as i64;
            return Ok(TimeSpec::TimeOfDay(ms));
        }
        let bad = || {
            format!("`{s}` is not a time (RFC 3339 such as 2024-06-11T10:20:00Z, HH:MM[:SS], -2h, or @EPOCH_SECONDS)")
        };
        if let Some(epoch) = s.strip_prefix('@') {
            // Explicit epoch seconds: a bare number is refused below, since
            // `10.20` is far more often a typo for 10:20 than a date in 1970.
            return epoch
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && (0.0..=253_402_300_799.0).contains(n))
                .map(|n| TimeSpec::At((n * 1000.0).round() as i64))
                .ok_or_else(bad);
        }
        // A date comes first: four digits and a dash.
        let b = s.as_bytes();
        if b.len() < 10 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
            return Err(bad());
        }
        parse_time_str(s).map(TimeSpec::At).ok_or_else(bad)
    }

    fn resolve(self, capture_day_ms: Option<i64>, now_ms: i64) -> Result<i64, Error> {
        match self {
            TimeSpec::At(t) => Ok(t),
            TimeSpec::FromNow(d) => Ok(now_ms + d),
            TimeSpec::TimeOfDay(t) => capture_day_ms.map(|d| d + t).ok_or_else(|| {
                Error::Usage(
                    "a bare time of day (HH:MM) takes its date from the first timestamp of the inputs, and none was found \
                     (inputs that can be read only once, such as standard input or a FIFO, are not looked at twice): \
                     give a full RFC 3339 time"
                        .into(),
                )
            }),
        }
    }
}

/// Parses `10s`, `5m`, `1h`, `2d`, `500ms` into milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 10s, 5m, 1h"))?;
    let mult = match unit {
        "ms" => 1,
        "s" | "" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (ms, s, m, h, d)")),
    };
    if n <= 0 {
        return Err(format!("`{s}` must be positive"));
    }
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too long"))
}

/// A status pattern: `404`, `5xx`, `4xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPat {
    /// One status.
    Exact(u16),
    /// A hundred: `5xx` is `Range(5)`.
    Range(u16),
}

impl StatusPat {
    /// Parses `404` or `5xx`.
    pub fn parse(s: &str) -> Result<StatusPat, String> {
        let s = s.trim().to_ascii_lowercase();
        if let Some(h) = s.strip_suffix("xx") {
            if let Ok(d) = h.parse::<u16>() {
                if (1..=9).contains(&d) {
                    return Ok(StatusPat::Range(d));
                }
            }
        }
        s.parse::<u16>()
            .ok()
            .filter(|n| *n <= 999)
            .map(StatusPat::Exact)
            .ok_or_else(|| format!("`{s}` is not a status (404) or a range (5xx)"))
    }

    fn matches(self, status: u16) -> bool {
        match self {
            StatusPat::Exact(s) => s == status,
            StatusPat::Range(h) => status / 100 == h,
        }
    }

    fn describe(self) -> String {
        match self {
            StatusPat::Exact(s) => s.to_string(),
            StatusPat::Range(h) => format!("{h}xx"),
        }
    }
}

/// The filters given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Lower time bound as given.
    pub since: Option<TimeSpec>,
    /// Upper time bound as given.
    pub until: Option<TimeSpec>,
    /// Statuses kept (any of).
    pub statuses: Vec<StatusPat>,
    /// Error codes kept (any of).
    pub codes: Vec<String>,
    /// Classes kept (any of).
    pub classes: Vec<Class>,
    /// Hosts kept (any of; exact, case-insensitive).
    pub hosts: Vec<String>,
    /// Path prefix.
    pub path_prefix: Option<String>,
    /// Glob on the endpoint template (`/v1/record/*`).
    pub endpoint: Option<String>,
    /// `since` resolved to an instant by `resolve`.
    pub since_ms: Option<i64>,
    /// `until` resolved to an instant by `resolve`.
    pub until_ms: Option<i64>,
}

impl Filter {
    /// Whether any filter is set.
    pub fn is_active(&self) -> bool {
        self.since.is_some()
            || self.until.is_some()
            || !self.statuses.is_empty()
            || !self.codes.is_empty()
            || !self.classes.is_empty()
            || !self.hosts.is_empty()
            || self.path_prefix.is_some()
            || self.endpoint.is_some()
    }

    /// Whether a bare time of day needs the capture's date.
    pub fn needs_capture_day(&self) -> bool {
        matches!(self.since, Some(TimeSpec::TimeOfDay(_)))
            || matches!(self.until, Some(TimeSpec::TimeOfDay(_)))
    }

    /// Turns the time bounds into instants. `first_ms` is the first
    /// timestamp of the capture (its UTC date anchors bare times of day).
    pub fn resolve(&mut self, first_ms: Option<i64>, now_ms: i64) -> Result<(), Error> {
        let day = first_ms.map(|t| t.div_euclid(86_400_000) * 86_400_000);
        self.since_ms = self.since.map(|s| s.resolve(day, now_ms)).transpose()?;
        self.until_ms = self.until.map(|s| s.resolve(day, now_ms)).transpose()?;
        Ok(())
    }

    /// Whether a classified exchange passes every filter.
    pub fn keeps(&self, ex: &Exchange<'_>, v: &Verdict<'_>) -> bool {
        if self.since_ms.is_some() || self.until_ms.is_some() {
            let Some(t) = ex.time_ms else { return false };
            if self.since_ms.is_some_and(|s| t < s) || self.until_ms.is_some_and(|u| t >= u) {
                return false;
            }
        }
        if !self.statuses.is_empty() && !self.statuses.iter().any(|p| p.matches(v.status)) {
            return false;
        }
        if !self.codes.is_empty()
            && !v
                .code
                .as_deref()
                .is_some_and(|c| self.codes.iter().any(|w| w == c))
        {
            return false;
        }
        if !self.classes.is_empty() && !self.classes.contains(&v.class) {
            return false;
        }
        if self.hosts.is_empty() && self.path_prefix.is_none() && self.endpoint.is_none() {
            return true;
        }
        let (host, path) = ex.host_and_path();
        if !self.hosts.is_empty()
            && !host.is_some_and(|h| self.hosts.iter().any(|w| w.eq_ignore_ascii_case(h)))
        {
            return false;
        }
        if let Some(p) = &self.path_prefix {
            if !path.is_some_and(|x| x.starts_with(p.as_str())) {
                return false;
            }
        }
        if let Some(g) = &self.endpoint {
            if !path.is_some_and(|x| glob(g.as_bytes(), endpoint(x).as_bytes())) {
                return false;
            }
        }
        true
    }

    /// The filters in force, for the report.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = self.since_ms {
            out.push(format!("since {}", format_time(s)));
        }
        if let Some(u) = self.until_ms {
            out.push(format!("until {}", format_time(u)));
        }
        if !self.statuses.is_empty() {
            let v: Vec<String> = self.statuses.iter().map(|s| s.describe()).collect();
            out.push(format!("status {}", v.join(",")));
        }
        if !self.codes.is_empty() {
            out.push(format!("code {}", self.codes.join(",")));
        }
        if !self.classes.is_empty() {
            let v: Vec<&str> = self.classes.iter().map(|c| c.name()).collect();
            out.push(format!("class {}", v.join(",")));
        }
        if !self.hosts.is_empty() {
            out.push(format!("host {}", self.hosts.join(",")));
        }
        if let Some(p) = &self.path_prefix {
            out.push(format!("path prefix {p}"));
        }
        if let Some(g) = &self.endpoint {
            out.push(format!("endpoint {g}"));
        }
        out
    }
}

/// Matches `*` (any run, including `/`) and `?` (one byte).
pub fn glob(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            back = Some((p, i));
            p += 1;
        } else if let Some((bp, bi)) = back {
            p = bp + 1;
            i = bi + 1;
            back = Some((bp, bi + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(
            TimeSpec::parse("09:30").unwrap(),
            TimeSpec::TimeOfDay(9 * 3_600_000 + 30 * 60_000)
        );
        assert_eq!(
            TimeSpec::parse("-2h").unwrap(),
            TimeSpec::FromNow(-7_200_000)
        );
        assert!(matches!(
            TimeSpec::parse("2024-06-11T09:00:00Z").unwrap(),
            TimeSpec::At(_)
        ));
        assert!(TimeSpec::parse("soon").is_err());
        // A typo for 10:20, not epoch seconds; epochs are explicit.
        assert!(TimeSpec::parse("10.20").is_err());
        assert!(TimeSpec::parse("1718100000").is_err());
        assert_eq!(
            TimeSpec::parse("@1718100000").unwrap(),
            TimeSpec::At(1_718_100_000_000)
        );
        assert_eq!(TimeSpec::parse("@1.5").unwrap(), TimeSpec::At(1500));
        assert!(TimeSpec::parse("@1e300").is_err());
        assert!(TimeSpec::parse("@-5").is_err());
        assert_eq!(parse_duration_ms("5m").unwrap(), 300_000);
        assert!(parse_duration_ms("5y").is_err());
        assert_eq!(StatusPat::parse("5xx").unwrap(), StatusPat::Range(5));
        assert_eq!(StatusPat::parse("429").unwrap(), StatusPat::Exact(429));
        assert!(StatusPat::parse("abc").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob(b"/v1/record/*", b"/v1/record/{id}"));
        assert!(glob(b"*/filter", b"/v1/record/app/{id}/filter"));
        assert!(!glob(b"/v1/app/*", b"/v1/record/{id}"));
        assert!(glob(b"/v?/x", b"/v1/x"));
    }

    #[test]
    fn time_of_day_uses_capture_date() {
        let mut f = Filter {
            since: Some(TimeSpec::parse("09:10").unwrap()),
            ..Filter::default()
        };
        let first = parse_time_str("2024-06-11T08:59:59Z").unwrap();
        f.resolve(Some(first), 0).unwrap();
        assert_eq!(f.describe(), ["since 2024-06-11T09:10:00.000Z"]);
        assert!(f.resolve(None, 0).is_err());
    }
}
