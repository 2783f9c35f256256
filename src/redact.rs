//! Secrets in traffic never reach a report unless asked for. Text from
//! traffic (messages, codes, paths, hosts, request ids, excerpts) passes
//! four layers before it is stored or written:
//!
//! 1. **The record's own credentials.** The `Authorization` value, API key,
//!    cookie values and sensitive query values a record carried are
//!    replaced wherever they appear in that record's text (an error message
//!    that echoes the token back).
//! 2. **Known token formats**, kept as data in [`FORMATS`]: vendor prefixes
//!    (Stripe, GitHub, Slack, AWS, Google, OpenAI, SendGrid, npm, ...), PEM
//!    private keys, JWT/JWS/JWE (by a header that decodes to JSON, whatever
//!    its first characters), URL userinfo and connection-string passwords.
//! 3. **Sensitive names** in every spelling: `token=`, `api_key:`,
//!    `"password": "several words"`, `accessToken`, `db_password`,
//!    `PHPSESSID`, cookies, auth schemes (`Bearer`, `Basic`, `SSWS`, `Bot`,
//!    Digest `response=`), percent- and entity-encoded separators.
//! 4. **Random-looking tokens**: 20 or more characters of mixed case with
//!    digits or few vowels. Single-case tokens (UUIDs, hex ids, ULIDs,
//!    `req_8f3k2j`) stay readable.
//!
//! A secret becomes `[redacted:FINGERPRINT]`, where the fingerprint is 12 hex
//! digits of an HMAC-SHA-256, stable across runs and `--jobs`, so rows can
//! be grouped by client. A short or guessable secret (a PIN, `admin:admin`)
//! becomes `[redacted]` with no fingerprint, since a fingerprint would let
//! anyone confirm a guess, unless a team key is set in
//! `TAPE_AUDIT_FINGERPRINT_KEY`: keyed fingerprints cannot be checked
//! without the key, and runs with the same key still agree.
//!
//! Redaction is idempotent (markers are never redacted again) and never
//! splits a character.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use base64::Engine;
use hmac::{Hmac, Mac};
use regex::{Captures, Regex, RegexSet};
use sha2::Sha256;

/// Whether (and how) to redact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redact {
    /// Replace secrets by fingerprints (the default).
    On,
    /// Show secrets as they are (`--unsafe-show-secrets`).
    Off,
}

/// The environment variable holding a team's fingerprint key.
pub const KEY_VAR: &str = "TAPE_AUDIT_FINGERPRINT_KEY";

fn key() -> &'static Option<Vec<u8>> {
    static K: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    K.get_or_init(|| {
        std::env::var_os(KEY_VAR)
            .map(|v| v.as_encoded_bytes().to_vec())
            .filter(|v| !v.is_empty())
    })
}

/// The secret a credential carries: without an auth scheme, and for Basic
/// the decoded `user:password`.
fn core(secret: &str) -> Cow<'_, str> {
    let s = secret.trim();
    let s = strip_scheme(s);
    Cow::Borrowed(s.trim())
}

/// Whether a secret is too short or too plain for an unkeyed fingerprint:
/// one that a dictionary or a brute force over a few billion guesses
/// would find.
fn guessable(secret: &str) -> bool {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|d| d.contains(':'));
    // Basic credentials: judge the password.
    let s = match &decoded {
        Some(d) => d.split_once(':').map_or(d.as_str(), |(_, p)| p),
        None => secret,
    };
    let n = s.chars().count();
    let classes = [
        s.bytes().any(|b| b.is_ascii_lowercase()),
        s.bytes().any(|b| b.is_ascii_uppercase()),
        s.bytes().any(|b| b.is_ascii_digit()),
        s.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    n < 12 || (n < 20 && classes < 3)
}

/// A stable fingerprint of a secret: 12 hex digits of an HMAC-SHA-256 (keyed
/// by `TAPE_AUDIT_FINGERPRINT_KEY` when set). `None` for a guessable secret
/// without a team key: its fingerprint would confirm a guess.
pub fn fingerprint(secret: &str) -> Option<String> {
    let s = core(secret);
    let keyed = key();
    if keyed.is_none() && guessable(&s) {
        return None;
    }
    // The keyed state is set up once; each fingerprint clones it.
    static MAC: OnceLock<Hmac<Sha256>> = OnceLock::new();
    let mut mac = MAC
        .get_or_init(|| {
            let k: &[u8] = key().as_deref().unwrap_or(b"tape-audit fingerprint v2");
            Hmac::<Sha256>::new_from_slice(k).expect("HMAC takes any key length")
        })
        .clone();
    mac.update(s.as_bytes());
    let digest = mac.finalize().into_bytes();
    Some(digest[..6].iter().map(|b| format!("{b:02x}")).collect())
}

/// The client column for a credential: its fingerprint, or `weak` for a
/// guessable one.
pub fn client(secret: &str) -> String {
    fingerprint(secret).unwrap_or_else(|| "weak".to_string())
}

fn strip_scheme(s: &str) -> &str {
    for scheme in ["bearer ", "basic ", "token ", "apikey ", "ssws ", "bot "] {
        // `get` returns None when the cut is not on a character boundary.
        if let (Some(head), Some(rest)) = (s.get(..scheme.len()), s.get(scheme.len()..)) {
            if !rest.is_empty() && head.eq_ignore_ascii_case(scheme) {
                return rest.trim_start();
            }
        }
    }
    s
}

/// The marker that replaces a secret.
pub fn marker(secret: &str) -> String {
    match fingerprint(secret) {
        Some(f) => format!("[redacted:{f}]"),
        None => "[redacted]".to_string(),
    }
}

/// One known token format: a name (for tests and docs), a pattern, the
/// capture group holding the secret (0: the whole match), and an optional
/// check that a candidate really is one.
pub struct Format {
    /// What it is.
    pub name: &'static str,
    /// The pattern.
    pub pattern: &'static str,
    /// The group to replace.
    pub group: usize,
    /// A check on the whole match: `None` rejects it, `Some(i)` keeps the
    /// secret from byte `i` of the match on (formats with a check use
    /// group 0, or return 0).
    pub check: Option<fn(&str) -> Option<usize>>,
}

const fn fmt(name: &'static str, pattern: &'static str, group: usize) -> Format {
    Format {
        name,
        pattern,
        group,
        check: None,
    }
}

/// The known token formats (layer 2). Add a line to teach the redactor a new one.
pub const FORMATS: &[Format] = &[
    fmt(
        "pem private key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z)",
        0,
    ),
    Format {
        name: "jwt, jws or jwe",
        pattern: r"\b[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?",
        group: 0,
        check: Some(jose_header),
    },
    fmt(
        "stripe-style live/test key",
        r"[a-z]{2,8}_(?:live|test|prod)_[A-Za-z0-9_]{6,}",
        0,
    ),
    fmt("stripe webhook secret", r"whsec_[A-Za-z0-9+/=]{16,}", 0),
    fmt(
        "github token",
        r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}",
        0,
    ),
    fmt(
        "github fine-grained token",
        r"github_pat_[A-Za-z0-9_]{20,}",
        0,
    ),
    fmt("gitlab token", r"glpat-[A-Za-z0-9_-]{20,}", 0),
    fmt("slack token", r"xox[abeoprs]-[A-Za-z0-9-]{10,}", 0),
    fmt(
        "slack webhook path",
        r"/services/(T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{12,})",
        1,
    ),
    fmt(
        "aws access key id",
        r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        0,
    ),
    fmt("google api key", r"AIza[0-9A-Za-z_-]{30,}", 0),
    fmt("google oauth token", r"ya29\.[0-9A-Za-z_-]{20,}", 0),
    fmt(
        "openai or anthropic key",
        r"sk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}",
        0,
    ),
    fmt(
        "sendgrid key",
        r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
        0,
    ),
    fmt("npm token", r"npm_[A-Za-z0-9]{30,}", 0),
    fmt("pypi token", r"pypi-[A-Za-z0-9_-]{40,}", 0),
    fmt("twilio api key", r"SK[0-9a-fA-F]{32}\b", 0),
    fmt("mailgun key", r"key-[0-9a-zA-Z]{32}\b", 0),
    fmt("digitalocean token", r"do[por]_v1_[a-f0-9]{64}\b", 0),
    fmt("shopify token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", 0),
    fmt("square token", r"sq0(?:atp|csp)-[0-9A-Za-z_-]{22,}", 0),
    fmt("hashicorp vault token", r"hv[sbr]\.[A-Za-z0-9_-]{24,}", 0),
    fmt("databricks token", r"dapi[a-f0-9]{32}\b", 0),
    fmt("atlassian token", r"ATATT[A-Za-z0-9_=-]{20,}", 0),
    fmt("linear key", r"lin_api_[A-Za-z0-9]{32,}", 0),
    fmt(
        "discord bot token",
        r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}",
        0,
    ),
    fmt(
        "telegram bot token",
        r"(?:bot)?[0-9]{6,12}:[A-Za-z0-9_-]{30,}",
        0,
    ),
    Format {
        name: "token in a path after a keyword (/reset/<token>)",
        pattern: r"(?i)/(?:reset|reset[-_]password|password[-_]reset|tokens?|verify|verification|confirm|confirmation|invite|invitation|activate|activation|magic|magic[-_]link|unsubscribe|share|shared|auth|sso|otp|keys?|secrets?|api[-_]?keys?|sessions?|download)/([A-Za-z0-9_-]{6,})",
        group: 1,
        check: Some(token_segment),
    },
    fmt(
        "url userinfo password",
        r"(?i)(?:\b[a-z][a-z0-9+.-]*:)?//[^\s/?#@:]+:([^\s@]+)@",
        1,
    ),
    Format {
        name: "user:password@host",
        pattern: r"\b([A-Za-z0-9._%+-]+):([^\s@/:]{3,})@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*",
        group: 2,
        check: Some(not_mailto),
    },
    fmt(
        "digest response",
        r#"(?i)digest\s[^\n]*?\bresponse\s*=\s*\\?"?([0-9a-f]{16,})"#,
        1,
    ),
];

/// The last path segment of a match looks like a token: 8 or more
/// characters with a digit, or 16 or more.
fn token_segment(m: &str) -> Option<usize> {
    let seg = m.rsplit('/').next().unwrap_or("");
    tokenish(seg).then_some(0)
}

fn not_mailto(m: &str) -> Option<usize> {
    (!m.to_ascii_lowercase().starts_with("mailto:")).then_some(0)
}

/// Where a JOSE token (JWT, JWS, JWE) starts in a candidate: the first
/// offset (the start, or just after a `_` or `-` of the first segment, as in
/// `bad_key_eyJ...`) from which the first segment decodes (base64url) to a
/// JSON object naming `alg`, `typ` or `enc`, whatever its first characters.
fn jose_header(m: &str) -> Option<usize> {
    let parts = m.split('.').count();
    if parts != 3 && parts != 5 {
        return None;
    }
    let first = m.split('.').next()?;
    let starts =
        std::iter::once(0).chain(first.match_indices(['_', '-']).map(|(i, _)| i + 1).take(8));
    for at in starts {
        let seg = &first[at..];
        if seg.len() < 10 {
            break;
        }
        let Ok(h) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(seg) else {
            continue;
        };
        let t = h.trim_ascii_start();
        let names = |k: &[u8]| t.windows(k.len()).any(|w| w == k);
        if t.first() == Some(&b'{') && (names(b"\"alg\"") || names(b"\"typ\"") || names(b"\"enc\""))
        {
            return Some(at);
        }
    }
    None
}

struct Patterns {
    formats: Vec<Regex>,
    set: RegexSet,
    marker: Regex,
    scheme: Regex,
    cookie: Regex,
    cookie_pair: Regex,
    param: Regex,
    quoted: Regex,
    token: Regex,
    segment: Regex,
}

/// Names that hold secrets, as a suffix of any name (`db_password`,
/// `accessToken`, `PHPSESSID`).
const NAMES: &str = concat!(
    r"(?i)\b([A-Za-z0-9_.-]*?(?:token|secret|passw(?:or)?d|pwd|passphrase|credentials?|",
    r"api[_-]?key|apikey|access[_-]?key|private[_-]?key|session(?:[_-]?(?:id|key|token))?|",
    r"sessid|sid|auth(?:orization)?|signature|sig|x-amz-credential|cookie|key))",
);

const SEPARATOR: &str = r#"(\\?["']?\s*(?:[:=]|%3[dDaA]|&#0*61;|&#x0*3[dDaA];|&#0*58;|&equals;|&colon;)(?:\s|%20|\+)*)"#;

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let names = NAMES;
        // A bare value ends at a space, a separator or a bracket: `(` and
        // `)` end it too, so that `password=x (sessionToken: y)` is two
        // values, at the cost of cutting a password that holds a bracket.
        let value = r#"(?:\\?"([^"\\]*)\\?"|'([^']*)'|([^\s&"',;}\\<>()]+))"#;
        Patterns {
            formats: FORMATS
                .iter()
                .map(|f| Regex::new(f.pattern).expect("valid format pattern"))
                .collect(),
            set: RegexSet::new(FORMATS.iter().map(|f| f.pattern)).expect("valid format patterns"),
            marker: Regex::new(r"\[redacted(?::[0-9a-f]{6,16})?\]").expect("valid regex"),
            scheme: Regex::new(
                r"(?i)(?:^|[^A-Za-z0-9])(bearer|basic|token|apikey|api-key|ssws|bot|negotiate|ntlm|dpop|hawk)(?:\s*:)?(\s+|%20|\+)([A-Za-z0-9\-._~+/]{6,}=*)",
            )
            .expect("valid regex"),
            cookie: Regex::new(r"(?i)\b(?:set-)?cookie(?:\\?[\x22'])?\s*(?::|%3a|=)\s*([^\r\n\x22]*)")
                .expect("valid regex"),
            cookie_pair: Regex::new(r"([^\s=;,]+)=([^;,\s]*)").expect("valid regex"),
            param: Regex::new(&format!("{names}{SEPARATOR}{value}")).expect("valid regex"),
            quoted: Regex::new(r#"(?i)\b(token|password|secret|key|passphrase)\s+(?:'([^'\s]{4,})'|"([^"\s]{4,})")"#)
                .expect("valid regex"),
            token: Regex::new(r"[A-Za-z0-9+/_=-]{20,}").expect("valid regex"),
            segment: Regex::new(r"/([A-Za-z0-9+_=-]{16,})").expect("valid regex"),
        }
    })
}

/// The secret parts of a credential-bearing header's value, for layer 1:
/// the whole value, and for a cookie list (`theme=dark; sid=...`, or a
/// `Set-Cookie`) the value of each cookie whose name is sensitive or whose
/// value looks like a token; `theme=dark` leaves `dark` alone, so that the
/// word is not redacted elsewhere in the record's text.
pub fn header_secrets(value: &str) -> impl Iterator<Item = &str> {
    let whole = value.trim();
    let cookies = whole
        .split([';', ','])
        .filter_map(|part| part.split_once('='))
        .filter_map(move |(name, v)| {
            let (name, v) = (name.trim(), v.trim().trim_matches('"'));
            let attribute = matches!(
                name.to_ascii_lowercase().as_str(),
                "path" | "domain" | "expires" | "max-age" | "samesite" | "priority"
            );
            let secret = v.len() >= 4 && (sensitive_name(name) || tokenish(v));
            (!attribute && secret && v != whole).then_some(v)
        });
    std::iter::once(whole)
        .filter(|w| w.len() >= 4)
        .chain(cookies)
}

/// The secrets a record carried itself: its credential (with and without
/// the scheme), its other credential-bearing headers (cookie values, API
/// keys) and the values of sensitive query parameters and URL userinfo, so
/// that any echo of them in its text is redacted.
pub fn own_secrets(ex: &crate::exchange::Exchange<'_>) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(c) = ex.credential.as_deref() {
        v.push(c.trim().to_string());
    }
    for h in &ex.secrets {
        v.extend(header_secrets(h).map(str::to_string));
    }
    if let Some(url) = ex.url.as_deref() {
        if let Some((_, q)) = url.split_once('?') {
            let q = q.split('#').next().unwrap_or("");
            for pair in q.split('&') {
                if let Some((k, val)) = pair.split_once('=') {
                    if val.len() >= 4 && sensitive_name(k) {
                        v.push(val.to_string());
                    }
                }
            }
        }
    }
    v
}

/// Whether a parameter or field name is one that holds secrets.
pub fn sensitive_name(name: &str) -> bool {
    // Most names (`Content-Type`, `Date`) end in none of the words: an
    // ASCII name is only handed to the regex when it ends in one. Other
    // names always are (`(?i)` folds `K`, U+212A, to `k`).
    if name.is_ascii() && !ends_in_a_name_word(name) {
        return false;
    }
    name_regex().is_match(name)
}

/// [`NAMES`] at the end of a text.
fn name_regex() -> &'static Regex {
    static N: OnceLock<Regex> = OnceLock::new();
    N.get_or_init(|| Regex::new(&format!("{NAMES}$")).expect("valid regex"))
}

/// The words one of which ends every name [`NAMES`] matches at the end of
/// a text (`sessid` ends in `sid`, `x-amz-credential` in `credential`).
const NAME_LAST_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "credential",
    "credentials",
    "key",
    "session",
    "sessionid",
    "session_id",
    "session-id",
    "sid",
    "auth",
    "authorization",
    "signature",
    "sig",
    "cookie",
];

/// Whether an ASCII name ends in one of [`NAME_LAST_WORDS`], ignoring case.
fn ends_in_a_name_word(name: &str) -> bool {
    let b = name.as_bytes();
    NAME_LAST_WORDS
        .iter()
        .any(|w| b.len() >= w.len() && b[b.len() - w.len()..].eq_ignore_ascii_case(w.as_bytes()))
}

/// Redacts secrets in free text (messages, URLs, codes, paths, ids, excerpts).
pub fn text(s: &str, mode: Redact) -> Cow<'_, str> {
    text_with(s, mode, &[])
}

/// Redacts secrets in free text, including every occurrence of `own`: the
/// credentials the record itself carried.
pub fn text_with<'a>(s: &'a str, mode: Redact, own: &[&str]) -> Cow<'a, str> {
    if mode == Redact::Off || s.len() < 4 {
        return Cow::Borrowed(s);
    }
    // Until nothing changes: a match can hide the context of the next one
    // (`basic x==Bearer y`), and redacting twice must be redacting once.
    let mut out = once(s, own);
    for _ in 0..4 {
        match once(&out, own) {
            Cow::Borrowed(_) => break,
            Cow::Owned(o) => out = Cow::Owned(o),
        }
    }
    out
}

fn once<'a>(s: &'a str, own: &[&str]) -> Cow<'a, str> {
    let p = patterns();
    let mut out = Cow::Borrowed(s);
    // Layer 1: the record's own credentials, wherever they appear.
    for secret in own {
        for form in [secret.trim(), strip_scheme(secret.trim())] {
            if form.len() >= 4 && out.contains(form) {
                out = Cow::Owned(replace_literal(&out, form, &p.marker));
            }
        }
    }
    // Layer 2: known formats, all found on the same text first, so that
    // one format inside another (`sk-...` within a vault token) cannot cut
    // the longer one short: the earliest, then the longest, wins.
    let hits = p.set.matches(&out);
    if hits.matched_any() {
        let spans = marker_spans(&out, &p.marker);
        let mut found: Vec<Range<usize>> = Vec::new();
        for i in hits.iter() {
            let f = &FORMATS[i];
            for c in p.formats[i].captures_iter(&out) {
                let (Some(whole), Some(g)) = (c.get(0), c.get(f.group)) else {
                    continue;
                };
                let r = match f.check {
                    None => g.range(),
                    Some(check) => match check(whole.as_str()) {
                        Some(at) => g.start() + at..g.end(),
                        None => continue,
                    },
                };
                if let Some(r) = outside_markers(&spans, r) {
                    if !r.is_empty() {
                        found.push(r);
                    }
                }
            }
        }
        found.sort_by(|x, y| x.start.cmp(&y.start).then(y.end.cmp(&x.end)));
        let mut replaced = String::with_capacity(out.len());
        let mut last = 0;
        for r in found {
            if r.start < last {
                continue;
            }
            replaced.push_str(&out[last..r.start]);
            replaced.push_str(&marker(&out[r.clone()]));
            last = r.end;
        }
        if last > 0 {
            replaced.push_str(&out[last..]);
            out = Cow::Owned(replaced);
        }
    }
    // Layer 3: sensitive names and auth schemes.
    if let Some(r) = replace(&out, &p.scheme, &p.marker, |c| {
        let v = c.get(3)?;
        let scheme = c[1].to_ascii_lowercase();
        let plain_word = matches!(scheme.as_str(), "token" | "bot" | "api-key" | "hawk")
            && !tokenish(v.as_str());
        (!plain_word).then_some(v.range())
    }) {
        out = Cow::Owned(r);
    }
    if let Some(r) = redact_cookies(&out, p) {
        out = Cow::Owned(r);
    }
    if let Some(r) = replace(&out, &p.param, &p.marker, |c| {
        let v = c.get(3).or_else(|| c.get(4)).or_else(|| c.get(5))?;
        let t = v.as_str();
        if t.is_empty() || t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("basic") {
            return None;
        }
        // `key` and `sig` alone name many ordinary things: only values
        // that look like tokens count there.
        let name = c[1].to_ascii_lowercase();
        if (name == "key" || name == "sig" || name == "auth") && !tokenish(t) && t.len() < 6 {
            return None;
        }
        Some(v.range())
    }) {
        out = Cow::Owned(r);
    }
    if let Some(r) = replace(&out, &p.quoted, &p.marker, |c| {
        c.get(2).or_else(|| c.get(3)).map(|m| m.range())
    }) {
        out = Cow::Owned(r);
    }
    // Layer 4: random-looking tokens, and random-looking path segments.
    if let Some(r) = replace(&out, &p.token, &p.marker, |c| {
        let m = c.get(0)?;
        random_looking(m.as_str()).then_some(m.range())
    }) {
        out = Cow::Owned(r);
    }
    if out.contains('/') {
        if let Some(r) = replace(&out, &p.segment, &p.marker, |c| {
            let m = c.get(1)?;
            random_part(m.as_str().as_bytes()).then_some(m.range())
        }) {
            out = Cow::Owned(r);
        }
    }
    out
}

/// Whether a value looks like a token rather than a word: a digit and at
/// least 8 characters, or 16 or more characters.
fn tokenish(v: &str) -> bool {
    (v.len() >= 8 && v.bytes().any(|b| b.is_ascii_digit())) || v.len() >= 16
}

/// Layer 4's rule: a token of 20 or more characters (not a path) with a
/// part of 16 or more between `_` and `-` that has upper and lower case and
/// either three digits, or a digit and few vowels, or few vowels and
/// frequent case changes: random text, not a camelCase identifier, and not
/// a prefixed single-case id (`req_01HX3K5M...`).
pub fn random_looking(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() < 20 || t.contains("://") || looks_like_path(t) {
        return false;
    }
    t.split(['_', '-'])
        .any(|part| part.len() >= 16 && random_part(part.as_bytes()))
}

/// A token that starts with `/` and has a segment that reads as a word
/// (`users`, `Users`, `v1`, `record-id`) is a path: its segments are judged
/// one by one instead.
fn looks_like_path(t: &str) -> bool {
    t.starts_with('/')
        && t.split('/').any(|seg| {
            let b = seg.as_bytes();
            let word = b.len() >= 2
                && b[0].is_ascii_alphabetic()
                && b[1..].iter().all(|c| c.is_ascii_lowercase());
            let lower = !b.is_empty()
                && b.iter().any(u8::is_ascii_lowercase)
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
            word || lower
        })
}

fn random_part(b: &[u8]) -> bool {
    let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = b.iter().filter(|c| c.is_ascii_lowercase()).count();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if upper == 0 || lower == 0 {
        return false;
    }
    let letters = upper + lower;
    let vowels = b
        .iter()
        .filter(|c| matches!(c.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u'))
        .count();
    let vowel_share = vowels as f64 / letters as f64;
    let pairs = b
        .windows(2)
        .filter(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic())
        .count()
        .max(1);
    let flips = b
        .windows(2)
        .filter(|w| {
            w[0].is_ascii_alphabetic()
                && w[1].is_ascii_alphabetic()
                && w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase()
        })
        .count();
    let flip_share = flips as f64 / pairs as f64;
    digits >= 3 || (digits >= 1 && vowel_share < 0.3) || (vowel_share < 0.25 && flip_share >= 0.3)
}

/// Spans of markers already in `s`: never redacted again.
fn marker_spans(s: &str, marker: &Regex) -> Vec<Range<usize>> {
    if !s.contains("[redacted") {
        return Vec::new();
    }
    marker.find_iter(s).map(|m| m.range()).collect()
}

/// `r` cut short before the first marker inside it; `None` when it starts
/// inside a marker.
fn outside_markers(spans: &[Range<usize>], mut r: Range<usize>) -> Option<Range<usize>> {
    for m in spans {
        if m.start <= r.start && r.start < m.end {
            return None;
        }
        if r.start < m.start && m.start < r.end {
            r.end = m.start;
        }
    }
    Some(r)
}

fn overlaps(spans: &[Range<usize>], r: &Range<usize>) -> bool {
    spans.iter().any(|m| m.start < r.end && r.start < m.end)
}

/// Replaces, in every match of `re`, the part `pick` chooses by its
/// marker; `None` when nothing changed.
fn replace<'t>(
    s: &'t str,
    re: &Regex,
    marker: &Regex,
    pick: impl Fn(&Captures<'t>) -> Option<Range<usize>>,
) -> Option<String> {
    let spans = marker_spans(s, marker);
    let mut out = String::new();
    let mut last = 0;
    for c in re.captures_iter(s) {
        let Some(r) = pick(&c) else { continue };
        let Some(r) = outside_markers(&spans, r) else {
            continue;
        };
        if r.is_empty() || r.start < last {
            continue;
        }
        out.push_str(&s[last..r.start]);
        out.push_str(&self::marker(&s[r.clone()]));
        last = r.end;
    }
    if last == 0 && out.is_empty() {
        return None;
    }
    out.push_str(&s[last..]);
    Some(out)
}

fn replace_literal(s: &str, secret: &str, marker: &Regex) -> String {
    let spans = marker_spans(s, marker);
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, _) in s.match_indices(secret) {
        let r = i..i + secret.len();
        if i < last || overlaps(&spans, &r) {
            continue;
        }
        out.push_str(&s[last..i]);
        out.push_str(&self::marker(secret));
        last = r.end;
    }
    out.push_str(&s[last..]);
    out
}

/// `Cookie: a=1; sid=...`: every cookie's value, not only the first.
fn redact_cookies(s: &str, p: &Patterns) -> Option<String> {
    if !s
        .as_bytes()
        .windows(6)
        .any(|w| w.eq_ignore_ascii_case(b"cookie"))
    {
        return None;
    }
    let spans = marker_spans(s, &p.marker);
    let mut out = String::new();
    let mut last = 0;
    for c in p.cookie.captures_iter(s) {
        let Some(list) = c.get(1) else { continue };
        for pair in p.cookie_pair.captures_iter(list.as_str()) {
            let Some(v) = pair.get(2) else { continue };
            let r = list.start() + v.start()..list.start() + v.end();
            if r.is_empty() || r.start < last || overlaps(&spans, &r) {
                continue;
            }
            let low = pair[1].to_ascii_lowercase();
            // Attributes of Set-Cookie are not secrets.
            if matches!(
                low.as_str(),
                "path" | "domain" | "expires" | "max-age" | "samesite" | "priority"
            ) {
                continue;
            }
            out.push_str(&s[last..r.start]);
            out.push_str(&marker(v.as_str()));
            last = r.end;
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&s[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

    #[test]
    fn redacts_every_kind() {
        let cases = [
            format!("Authorization: Bearer {JWT}"),
            "Bearer tk_live_9f8e7d6c5b4a".to_string(),
            "Basic dXNlcjpwYXNzd29yZA==".to_string(),
            "https://api.tapeapp.com/v1/x?access_token=abc123secret&limit=5".to_string(),
            "GET /v1/x?api_key=AKIA1234567890&key=zzz999 failed".to_string(),
            r#"{"password":"hunter2hunter2"}"#.to_string(),
            "token expired: token=sk_9f8e7d6c".to_string(),
            format!("jwt {JWT} rejected"),
            "X-Amz-Signature=0a1b2c3d4e5f".to_string(),
        ];
        let secrets = [
            "eyJhbGciOiJIUzI1NiJ9",
            "tk_live_9f8e7d6c5b4a",
            "dXNlcjpwYXNzd29yZA",
            "abc123secret",
            "AKIA1234567890",
            "zzz999",
            "hunter2hunter2",
            "sk_9f8e7d6c",
            "0a1b2c3d4e5f",
        ];
        for c in &cases {
            let r = text(c, Redact::On);
            for s in secrets {
                assert!(!r.contains(s), "{s} leaked from {c:?} as {r:?}");
            }
            assert!(r.contains("[redacted"), "{r}");
            assert_eq!(text(c, Redact::Off), c.as_str());
        }
        assert_eq!(
            text(
                "https://x/v1/x?access_token=abc123secret99&limit=5",
                Redact::On
            ),
            format!(
                "https://x/v1/x?access_token={}&limit=5",
                marker("abc123secret99")
            )
        );
    }

    #[test]
    fn secrets_without_a_name() {
        let cases = [
            (
                "key tpk_live_9f8e7d6c5b4a3f2e exceeded",
                "tpk_live_9f8e7d6c5b4a3f2e",
            ),
            (
                "Invalid API Key provided: sk_live_51H8aBcDeFgHiJkLmN",
                "sk_live_51H8aBcDeFgHiJkLmN",
            ),
            (
                "bad ghp_0123456789abcdefghijABCDEFGHIJ012345",
                "ghp_0123456789abcdefghij",
            ),
            (
                "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp in use",
                "xoxb-1234567890",
            ),
            ("access AKIAIOSFODNN7EXAMPLE denied", "AKIAIOSFODNN7EXAMPLE"),
            (
                "secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "wJalrXUtnFEMI/K7MDENG",
            ),
            (
                "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
                "AIzaSyD-9tSrke72",
            ),
            ("sk-proj-AbCdEf0123456789GhIjKl", "sk-proj-AbCdEf0123456789"),
            (
                "SG.abcdefghijklmnop1234.qrstuvwxyzABCDEF5678GH",
                "SG.abcdefghijklmnop",
            ),
            ("npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghij"),
            ("postgres://app:s3cretPw@db.internal:5432/x", "s3cretPw"),
            ("mongodb+srv://u:hunter2@cluster0.example.net", "hunter2"),
            ("https://admin:pa/ss?w#rd@host/x", "pa/ss?w#rd"),
            ("//bob:pw1234@h/x", "pw1234"),
            ("bob:pw1234@h.example/x", "pw1234"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
                "MIIEowIBAAKCAQEA",
            ),
        ];
        for (c, secret) in cases {
            let r = text(c, Redact::On);
            assert!(!r.contains(secret), "{secret} leaked from {c:?} as {r:?}");
            assert_eq!(text(&r, Redact::On), r, "idempotent on {c:?}");
        }
        // A JWT whose header does not start with eyJ (whitespace first).
        let header =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b" {\"alg\":\"HS256\"}");
        let jwt = format!("{header}.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2hlcmU");
        let r = text(&format!("token {jwt} bad"), Redact::On).into_owned();
        assert!(!r.contains(&header), "{r}");
    }

    /// The alternatives of the word group that ends `NAMES`, split at its
    /// top-level `|` (`token`, `passw(?:or)?d`, ...).
    fn name_words() -> Vec<String> {
        let group = &NAMES[NAMES.find("(?:").expect("a word group") + 3..NAMES.len() - 2];
        let (mut words, mut word, mut depth) = (Vec::new(), String::new(), 0);
        for c in group.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                '|' if depth == 0 => {
                    words.push(std::mem::take(&mut word));
                    continue;
                }
                _ => {}
            }
            word.push(c);
        }
        words.push(word);
        words
    }

    #[test]
    fn the_word_group_of_names_is_split_whole() {
        let words = name_words();
        assert_eq!(words.first().map(String::as_str), Some("token"));
        assert_eq!(words.last().map(String::as_str), Some("key"));
        assert!(words.iter().any(|w| w == "passw(?:or)?d"), "{words:?}");
    }

    /// A text matching one of the alternatives of `NAMES`, each as likely.
    fn a_name_word() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        proptest::strategy::Union::new(name_words().into_iter().map(|w| {
            proptest::string::string_regex(&format!("(?i){w}"))
                .expect("a word proptest can generate")
                .boxed()
        }))
    }

    proptest::proptest! {
        // Optional parts make some forms rare (`session_id` is one in
        // about 450): enough cases that each comes up.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// The suffix check in front of the name regex never turns away a
        /// name the regex matches. The names end in a word made from the
        /// alternatives of `NAMES` itself, so that a word added to it is
        /// tried here too; beside them, any short printable text.
        #[test]
        fn the_name_prefilter_keeps_every_name_the_regex_matches(
            word in a_name_word(),
            prefix in "[A-Za-z0-9_.-]{0,4}|[ -~]{0,4}",
            other in "[ -~]{0,12}",
        ) {
            for name in [format!("{prefix}{word}"), word.clone(), other] {
                let matched = name_regex().is_match(&name);
                if matched && name.is_ascii() {
                    proptest::prop_assert!(ends_in_a_name_word(&name), "{name:?}");
                }
                proptest::prop_assert_eq!(sensitive_name(&name), matched, "{:?}", name);
            }
        }
    }

    #[test]
    fn a_non_ascii_name_is_judged_by_the_regex() {
        // `(?i)` folds the Kelvin sign to `k`: the prefilter must not see it.
        assert!(sensitive_name("api_\u{212a}ey"));
        assert!(!sensitive_name("content-type"));
        assert!(sensitive_name("X-Session-Id"));
        assert!(sensitive_name("PHPSESSID"));
    }

    #[test]
    fn names_in_every_form() {
        let cases = [
            ("session=abcdef0123", "abcdef0123"),
            ("db_password=pa55word!", "pa55word!"),
            ("aws_secret_access_key: abcd1234efgh", "abcd1234efgh"),
            ("accessToken=zz99yy88xx", "zz99yy88xx"),
            (r#"{"refreshToken": "r-1234-5678"}"#, "r-1234-5678"),
            (
                r#""password": "correct horse battery staple""#,
                "horse battery",
            ),
            (r#"\"password\":\"two words\""#, "two words"),
            ("Cookie: a=1; sid=s3ss10n; theme=dark", "s3ss10n"),
            ("PHPSESSID=abc123def456", "abc123def456"),
            ("JSESSIONID=ABCDEF0123456789", "ABCDEF0123456789"),
            ("token 'tk-4567-abcd'", "tk-4567-abcd"),
            ("Authorization: SSWS 00QCjAl4MlV-WPXM", "00QCjAl4MlV-WPXM"),
            (
                "Authorization: Bot MTk4NjIyNDgzNDcxOTI1MjQ4",
                "MTk4NjIyNDgzNDcxOTI1MjQ4",
            ),
            ("Bearer: abcdef123456", "abcdef123456"),
            ("password%3Dp4ssw0rd%26x", "p4ssw0rd"),
            ("Authorization%3A%20Bearer%20abcdef123456", "abcdef123456"),
            ("password&#61;p4ssw0rd", "p4ssw0rd"),
            (
                r#"Digest username="u", response="6629fae49393a05397450978507c4ef1""#,
                "6629fae49393a05397450978507c4ef1",
            ),
            ("passphrase: open-sesame-42", "open-sesame-42"),
            ("credentials=c0ffee-cafe", "c0ffee-cafe"),
        ];
        for (c, secret) in cases {
            let r = text(c, Redact::On);
            assert!(!r.contains(secret), "{secret} leaked from {c:?} as {r:?}");
            assert_eq!(text(&r, Redact::On), r, "idempotent on {c:?}");
        }
    }

    #[test]
    fn secrets_in_paths() {
        for (p, secret) in [
            ("/v1/reset/aB3xK9qZ", "aB3xK9qZ"),
            ("/app;jsessionid=1A2B3C4D5E6F/x", "1A2B3C4D5E6F"),
            (
                "/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
                "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
            ),
            (
                "/services/T0ABCDEFG/B0ABCDEFG/abcdefghijklmnopqrstuvwx",
                "abcdefghijklmnopqrstuvwx",
            ),
            (
                "/v1/keys/sk_live_abcdefghijklmnop",
                "sk_live_abcdefghijklmnop",
            ),
        ] {
            let r = text(p, Redact::On);
            assert!(!r.contains(secret), "{secret} leaked from {p} as {r}");
        }
        for p in [
            "/v1/share/settings",
            "/v1/auth/callback",
            "/v1/record/app/7/filter",
        ] {
            assert_eq!(text(p, Redact::On), p);
        }
    }

    #[test]
    fn own_credentials_are_found_anywhere() {
        let r = text_with(
            "key Qx7 is not valid: Qx7-plain-looking",
            Redact::On,
            &["Bearer Qx7-plain-looking"],
        );
        assert!(!r.contains("Qx7-plain-looking"), "{r}");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "Record does not exist(124)!",
            "Invalid API key",
            "The bearer token is not valid.",
            "/v1/record/app/7/filter",
            "Value for field 'status' is not a valid option",
            "request 550e8400-e29b-41d4-a716-446655440000 failed",
            "req_01HX3K5M7N9P2Q4R6S8T0V1W2X",
            "trace Root=1-5759e988-bd862e3fe1be46a994272793",
            "getUserProfileByIdHandler failed",
            "ValidationErrorInRequestBody",
            "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "Bot protection blocked the request",
            "the token expired",
            "mailto:someone@example.com",
            "see https://api.tapeapp.com/v1/record/12",
        ] {
            assert_eq!(text(s, Redact::On), s);
        }
    }

    #[test]
    fn fingerprints_are_stable_and_scheme_free() {
        let long = "tk_live_0123456789abcdefGHIJ";
        assert_eq!(fingerprint(&format!("Bearer {long}")), fingerprint(long));
        assert_eq!(fingerprint(long).unwrap().len(), 12);
        assert_ne!(
            fingerprint(long),
            fingerprint("tk_live_0123456789abcdefGHIK")
        );
        assert_eq!(fingerprint(long), fingerprint(&format!(" {long} ")));
        // Guessable secrets get no fingerprint (without a team key).
        assert_eq!(fingerprint("1234"), None);
        let admin = base64::engine::general_purpose::STANDARD.encode("admin:admin");
        assert_eq!(fingerprint(&format!("Basic {admin}")), None);
        assert_eq!(marker("1234"), "[redacted]");
        // A multi-byte character where a scheme would end must not panic.
        let _ = fingerprint("bearer\u{e9}x");
        let _ = fingerprint("toke\u{e9}n");
    }

    #[test]
    fn header_secrets_are_the_values_that_hold_secrets() {
        let got: Vec<&str> =
            header_secrets("theme=dark; sid=q7w2e9r4t1y8u3i6; lang=en; pref=abc12345xyz").collect();
        // `dark` and `en` are not secrets; a sensitive name or a token-like value is.
        assert_eq!(
            got,
            [
                "theme=dark; sid=q7w2e9r4t1y8u3i6; lang=en; pref=abc12345xyz",
                "q7w2e9r4t1y8u3i6",
                "abc12345xyz"
            ]
        );
        let set: Vec<&str> =
            header_secrets("session=\"zz9xx8yy7ww6\"; Path=/; Max-Age=3600000; HttpOnly").collect();
        assert!(set.contains(&"zz9xx8yy7ww6"), "{set:?}");
        assert!(!set.iter().any(|s| *s == "3600000" || *s == "/"), "{set:?}");
        // An API key is a value alone, base64 padding included.
        assert_eq!(
            header_secrets(" c2VjcmV0LWtleQ== ").collect::<Vec<_>>(),
            ["c2VjcmV0LWtleQ=="]
        );
        assert_eq!(header_secrets("a=1").count(), 0);
    }
}
