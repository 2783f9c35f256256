//! Secrets in traffic never reach a report unless asked for: bearer and
//! basic credentials, JWTs, and values of sensitive-looking parameters are
//! replaced by a marker carrying a short stable fingerprint, so rows can be
//! grouped by client without revealing the secret.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;
use sha2::{Digest, Sha256};

/// Whether (and how) to redact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redact {
    /// Replace secrets by fingerprints (the default).
    On,
    /// Show secrets as they are (`--unsafe-show-secrets`).
    Off,
}

/// A short, stable fingerprint of a secret: the same secret gives the same
/// eight hex digits in every run; the secret cannot be read back from it.
pub fn fingerprint(secret: &str) -> String {
    let s = secret.trim();
    let s = strip_scheme(s);
    let digest = Sha256::new()
        .chain_update(b"tape-audit fingerprint\0")
        .chain_update(s.as_bytes())
        .finalize();
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

fn strip_scheme(s: &str) -> &str {
    for scheme in ["bearer ", "basic ", "token ", "apikey "] {
        // `get` returns None when the cut is not on a character boundary.
        if let (Some(head), Some(rest)) = (s.get(..scheme.len()), s.get(scheme.len()..)) {
            if !rest.is_empty() && head.eq_ignore_ascii_case(scheme) {
                return rest.trim_start();
            }
        }
    }
    s
}

fn marker(secret: &str) -> String {
    format!("[redacted:{}]", fingerprint(secret))
}

struct Patterns {
    scheme: Regex,
    jwt: Regex,
    param: Regex,
    quick: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        scheme: Regex::new(r"(?i)\b(bearer|basic|token|apikey)(\s+)([A-Za-z0-9\-._~+/]{6,}=*)")
            .expect("valid regex"),
        jwt: Regex::new(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
            .expect("valid regex"),
        param: Regex::new(concat!(
            r#"(?i)\b((?:access_|refresh_|id_|auth_|session_|csrf_|xsrf_)?token|api[_-]?key|apikey|x-api-key|key|secret|client_secret|password|passwd|pwd|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token|credential|session_?id|auth|authorization|cookie|set-cookie)"#,
            r#"(\\?["']?\s*[:=]\s*\\?["']?)([^\s&"',;}\\]+)"#
        ))
        .expect("valid regex"),
        // A cheap pre-check: most text has none of these and is left alone.
        quick: Regex::new(r"(?i)bearer|basic|token|apikey|eyJ|key|secret|passw|pwd|sig|credential|session|auth|cookie")
            .expect("valid regex"),
    })
}

/// Redacts secrets in free text (messages, URLs, log excerpts).
pub fn text(s: &str, mode: Redact) -> Cow<'_, str> {
    if mode == Redact::Off {
        return Cow::Borrowed(s);
    }
    let p = patterns();
    if !p.quick.is_match(s) {
        return Cow::Borrowed(s);
    }
    let mut out = Cow::Borrowed(s);
    if p.jwt.is_match(&out) {
        out = Cow::Owned(
            p.jwt
                .replace_all(&out, |c: &regex::Captures| marker(&c[0]))
                .into_owned(),
        );
    }
    if p.scheme.is_match(&out) {
        let r = p.scheme.replace_all(&out, |c: &regex::Captures| {
            if c[3].starts_with("[redacted:") {
                c[0].to_string()
            } else {
                format!("{}{}{}", &c[1], &c[2], marker(&c[3]))
            }
        });
        out = Cow::Owned(r.into_owned());
    }
    if p.param.is_match(&out) {
        let r = p.param.replace_all(&out, |c: &regex::Captures| {
            if c[3].starts_with("[redacted:")
                || c[3].eq_ignore_ascii_case("bearer")
                || c[3].eq_ignore_ascii_case("basic")
            {
                c[0].to_string()
            } else {
                format!("{}{}{}", &c[1], &c[2], marker(&c[3]))
            }
        });
        out = Cow::Owned(r.into_owned());
    }
    out
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
            assert!(r.contains("[redacted:"), "{r}");
            assert_eq!(text(c, Redact::Off), c.as_str());
        }
        assert_eq!(
            text(
                "https://x/v1/x?access_token=abc123secret&limit=5",
                Redact::On
            ),
            format!(
                "https://x/v1/x?access_token={}&limit=5",
                marker("abc123secret")
            )
        );
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "Record does not exist(124)!",
            "Invalid API key",
            "The bearer token is not valid.",
            "/v1/record/app/7",
            "Value for field 'status' is not a valid option",
        ] {
            assert_eq!(text(s, Redact::On), s);
        }
    }

    #[test]
    fn fingerprints_are_stable_and_scheme_free() {
        assert_eq!(fingerprint("Bearer abc"), fingerprint("abc"));
        assert_eq!(fingerprint("abc").len(), 8);
        assert_ne!(fingerprint("abc"), fingerprint("abd"));
        assert_eq!(fingerprint("abc"), fingerprint(" abc "));
        // A multi-byte character where a scheme would end must not panic.
        assert_eq!(fingerprint("bearer\u{e9}x").len(), 8);
        assert_eq!(fingerprint("toke\u{e9}n").len(), 8);
    }
}
