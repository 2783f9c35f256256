//! The classification contract: one class per exchange, judged against the
//! catalog. Pure: no I/O, no counters.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::exchange::{Body, Exchange};
use crate::rawjson::{as_f64, as_str, RawObject};

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in contract order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The stable snake_case name used in every report.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            /// The value for a name, if any.
            pub fn from_name(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }
        }
    };
}

named_enum! {
    /// The one class every response gets.
    Class {
        /// No status, or status 0: the request got no response.
        NoResponse => "no_response",
        /// Status below 400 and no error envelope.
        Ok => "ok",
        /// Status below 400 but the body carries `error_code`.
        ErrorOnSuccess => "error_on_success",
        /// Error status, body not captured.
        BodyMissing => "body_missing",
        /// Error status, body is not a valid envelope.
        EnvelopeViolation => "envelope_violation",
        /// Valid envelope, (status, code) documented.
        Documented => "documented",
        /// Valid envelope, code documented only under another status.
        StatusMismatch => "status_mismatch",
        /// Valid envelope, code not in the catalog.
        UndocumentedCode => "undocumented_code",
    }
}

named_enum! {
    /// The first envelope rule an error body breaks.
    Violation {
        /// The body is empty or whitespace.
        EmptyBody => "empty_body",
        /// The body is not JSON.
        NotJson => "not_json",
        /// The body is JSON but not an object.
        NotObject => "not_object",
        /// No `error_code` property.
        MissingErrorCode => "missing_error_code",
        /// `error_code` is not a string.
        ErrorCodeNotString => "error_code_not_string",
        /// `error_code` is an empty string.
        EmptyErrorCode => "empty_error_code",
        /// No `error_message` property.
        MissingErrorMessage => "missing_error_message",
        /// `error_message` is not a string.
        ErrorMessageNotString => "error_message_not_string",
    }
}

impl Class {
    /// Whether a response of this class had an error status (400 and up).
    pub fn is_error(self) -> bool {
        !matches!(self, Class::NoResponse | Class::Ok | Class::ErrorOnSuccess)
    }
}

/// The classifier's judgement of one exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<'a> {
    /// The class.
    pub class: Class,
    /// The broken rule, for `envelope_violation`.
    pub violation: Option<Violation>,
    /// The status (0 when none).
    pub status: u16,
    /// The `error_code` whenever one could be read as a string.
    pub code: Option<Cow<'a, str>>,
    /// The `error_message` when it is a string.
    pub message: Option<Cow<'a, str>>,
    /// An error status the catalog never mentions (e.g. 502).
    pub undocumented_status: bool,
    /// A numeric `status_code` property in the body that differs from the status.
    pub body_status_code: Option<i64>,
    /// A JSON error body sent with a Content-Type that is not JSON.
    pub json_with_non_json_type: bool,
}

/// Classifies one exchange.
pub fn classify<'a>(ex: &'a Exchange<'_>, cat: &Catalog) -> Verdict<'a> {
    let status = ex.status.unwrap_or(0);
    let mut v = Verdict {
        class: Class::Ok,
        violation: None,
        status,
        code: None,
        message: None,
        undocumented_status: false,
        body_status_code: None,
        json_with_non_json_type: false,
    };
    if status == 0 {
        v.class = Class::NoResponse;
        return v;
    }
    if status < 400 {
        // Only a body that mentions the key can carry it: skip the parse
        // for the vast majority of success bodies.
        if ex.body_mentions_code() {
            if let Some(t) = ex.body.text() {
                if let Some(obj) = RawObject::parse(t.trim_start_matches('\u{feff}')) {
                    if let Some(c) = obj.get("error_code") {
                        v.class = Class::ErrorOnSuccess;
                        v.code = as_str(c).map(|c| Cow::Owned(c.into_owned()));
                        v.message = obj
                            .get("error_message")
                            .and_then(as_str)
                            .map(|m| Cow::Owned(m.into_owned()));
                    }
                }
            }
        }
        return v;
    }
    v.undocumented_status = !cat.mentions_status(status);
    match &ex.body {
        Body::Missing => {
            v.class = Class::BodyMissing;
            v
        }
        Body::Text(t) => judge_body(t, ex, cat, v),
        Body::Escaped(_) => {
            let owned = ex.body.text().unwrap_or_default().into_owned();
            let j = judge_body(&owned, ex, cat, v.clone());
            Verdict {
                code: j.code.map(|c| Cow::Owned(c.into_owned())),
                message: j.message.map(|m| Cow::Owned(m.into_owned())),
                ..j
            }
        }
    }
}

/// Judges an error response's body text.
fn judge_body<'a>(
    body: &'a str,
    ex: &Exchange<'_>,
    cat: &Catalog,
    mut v: Verdict<'a>,
) -> Verdict<'a> {
    let status = v.status;
    let text = body.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let envelope = check_envelope(text, &mut v);
    if let Some(obj) = &envelope {
        if let Some(sc) = obj.get("status_code").and_then(as_f64) {
            if sc.fract() == 0.0 && sc != f64::from(status) {
                v.body_status_code = Some(sc as i64);
            }
        }
        if let Some(ct) = &ex.content_type {
            v.json_with_non_json_type = !is_json_type(ct);
        }
    }
    if v.violation.is_some() {
        v.class = Class::EnvelopeViolation;
        return v;
    }
    let code = v.code.as_deref().unwrap_or_default();
    // No near-miss search here: suggestions are for reports, not per record.
    v.class = if cat.get(status, code).is_some() {
        Class::Documented
    } else if !cat.statuses_of(code).is_empty() {
        Class::StatusMismatch
    } else {
        Class::UndocumentedCode
    };
    v
}

/// Checks the envelope rules in contract order, filling `violation`, `code`
/// and `message`. Returns the object when the body is one.
fn check_envelope<'a>(text: &'a str, v: &mut Verdict<'a>) -> Option<RawObject<'a>> {
    if text.is_empty() {
        v.violation = Some(Violation::EmptyBody);
        return None;
    }
    if !text.starts_with('{') {
        v.violation = Some(
            if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
                Violation::NotObject
            } else {
                Violation::NotJson
            },
        );
        return None;
    }
    let Some(obj) = RawObject::parse(text) else {
        v.violation = Some(Violation::NotJson);
        return None;
    };
    let code = obj.get("error_code");
    let message = obj.get("error_message");
    v.code = code.and_then(as_str);
    v.message = message.and_then(as_str);
    v.violation = match (code, &v.code, message, &v.message) {
        (None, ..) => Some(Violation::MissingErrorCode),
        (Some(_), None, ..) => Some(Violation::ErrorCodeNotString),
        (_, Some(c), ..) if c.trim().is_empty() => Some(Violation::EmptyErrorCode),
        (_, _, None, _) => Some(Violation::MissingErrorMessage),
        (_, _, Some(_), None) => Some(Violation::ErrorMessageNotString),
        _ => None,
    };
    if matches!(v.code.as_deref(), Some(c) if c.trim().is_empty()) {
        v.code = None;
    }
    Some(obj)
}

/// Whether a Content-Type names JSON (`application/json`, `+json`, `text/json`).
pub fn is_json_type(ct: &str) -> bool {
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.ends_with("/json") || essence.ends_with("+json") || essence.ends_with("-json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(status: Option<u16>, body: Option<&str>) -> Exchange<'_> {
        Exchange {
            status,
            body: body.map_or(Body::Missing, |b| Body::Text(Cow::Borrowed(b))),
            ..Exchange::default()
        }
    }

    fn class_of(status: u16, body: &str) -> (Class, Option<Violation>) {
        let cat = Catalog::builtin();
        let e = ex(Some(status), Some(body));
        let v = classify(&e, &cat);
        (v.class, v.violation)
    }

    const OK_ENV: &str = r#"{"error_code":"not_found","error_message":"gone"}"#;

    #[test]
    fn each_class() {
        let cat = Catalog::builtin();
        assert_eq!(classify(&ex(None, None), &cat).class, Class::NoResponse);
        assert_eq!(
            classify(&ex(Some(0), Some("x")), &cat).class,
            Class::NoResponse
        );
        assert_eq!(classify(&ex(Some(200), Some("{}")), &cat).class, Class::Ok);
        assert_eq!(classify(&ex(Some(200), None), &cat).class, Class::Ok);
        assert_eq!(
            classify(&ex(Some(201), Some(OK_ENV)), &cat).class,
            Class::ErrorOnSuccess
        );
        assert_eq!(
            classify(&ex(Some(404), None), &cat).class,
            Class::BodyMissing
        );
        assert_eq!(class_of(404, OK_ENV).0, Class::Documented);
        assert_eq!(class_of(409, OK_ENV).0, Class::StatusMismatch);
        let e = ex(
            Some(404),
            Some(r#"{"error_code":"record_not_exists","error_message":"x"}"#),
        );
        let v = classify(&e, &cat);
        assert_eq!(v.class, Class::UndocumentedCode);
        assert_eq!(v.code.as_deref(), Some("record_not_exists"));
    }

    #[test]
    fn each_violation_in_order() {
        use Violation::*;
        let cases = [
            ("", EmptyBody),
            ("  \n", EmptyBody),
            ("<html>oops</html>", NotJson),
            ("{\"error_code\":", NotJson),
            ("[1,2]", NotObject),
            ("\"not_found\"", NotObject),
            ("{}", MissingErrorCode),
            ("{\"error_message\":\"m\"}", MissingErrorCode),
            (
                "{\"error_code\":404,\"error_message\":\"m\"}",
                ErrorCodeNotString,
            ),
            ("{\"error_code\":null}", ErrorCodeNotString),
            (
                "{\"error_code\":\"\",\"error_message\":\"m\"}",
                EmptyErrorCode,
            ),
            ("{\"error_code\":\"not_found\"}", MissingErrorMessage),
            (
                "{\"error_code\":\"not_found\",\"error_message\":null}",
                ErrorMessageNotString,
            ),
            (
                "{\"error_code\":\"not_found\",\"error_message\":{}}",
                ErrorMessageNotString,
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                class_of(404, body),
                (Class::EnvelopeViolation, Some(want)),
                "{body:?}"
            );
        }
    }

    #[test]
    fn code_kept_on_violation_and_findings() {
        let cat = Catalog::builtin();
        let e = ex(Some(500), Some(r#"{"error_code":"internal_server_error"}"#));
        let v = classify(&e, &cat);
        assert_eq!(v.code.as_deref(), Some("internal_server_error"));
        assert!(!v.undocumented_status);

        let body = r#"{"status_code":404,"error_code":"conflict_error","error_message":"x"}"#;
        let mut e = ex(Some(409), Some(body));
        e.content_type = Some("text/html; charset=utf-8".into());
        let v = classify(&e, &cat);
        assert_eq!(v.class, Class::Documented);
        assert_eq!(v.body_status_code, Some(404));
        assert!(v.json_with_non_json_type);

        let e = ex(Some(502), Some("<html>Bad gateway</html>"));
        assert!(classify(&e, &cat).undocumented_status);
    }

    #[test]
    fn json_types() {
        assert!(is_json_type("application/json; charset=utf-8"));
        assert!(is_json_type("application/problem+json"));
        assert!(!is_json_type("text/html"));
    }
}
