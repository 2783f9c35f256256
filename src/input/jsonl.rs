//! JSON-lines input: one object per line, mapped to an exchange by a shape
//! (which fields hold status, body, time, method and URL). The shape is
//! detected from the first lines or given with `--field NAME=PATH`.

use std::borrow::Cow;

use super::{har, SkipReason};
use crate::exchange::{epoch_to_ms, parse_time_str, Body, Exchange};
use crate::rawjson::{
    as_array, as_f64, as_object, as_status, as_str, first_byte, PathKey, Raw, RawObject, Tree,
};

/// The fields of an exchange a shape maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// HTTP status.
    Status,
    /// Response body.
    Body,
    /// Request time.
    Time,
    /// Request method.
    Method,
    /// Request URL or path.
    Url,
}

impl Field {
    /// Parses a `--field` name.
    pub fn from_name(s: &str) -> Option<Field> {
        Some(match s {
            "status" => Field::Status,
            "body" => Field::Body,
            "time" => Field::Time,
            "method" => Field::Method,
            "url" | "path" => Field::Url,
            _ => return None,
        })
    }
}

// Candidate paths, most specific first. Every known log shape's fields are
// here, so a line of any of them maps without knowing which it is; the
// detected shape only moves its own status path to the front.
const STATUS: &[&str] = &[
    "status",
    "status_code",
    "statusCode",
    "http_status",
    "response.status",
    "response.status_code",
    "response.statusCode",
    "res.statusCode",
    "res.status",
    "err.response.status",
    "error.response.status",
    "DownstreamStatus",
    "response_code",
    "httpRequest.status",
    "EdgeResponseStatus",
    "response_status",
    "http.response.status_code",
    "http.status_code",
    "OriginStatus",
    "responseStatus.code",
];
const BODY: &[&str] = &[
    "body",
    "response_body",
    "response.body",
    "response.data",
    "res.body",
    "err.response.data",
    "error.response.data",
    "http.response.body.content",
    "http.response.body",
    "resp_body",
    "responseStatus",
];
const BODY_BASE64: &[&str] = &[
    "response.body_base64",
    "body_base64",
    "response_body_base64",
];
const CONTENT_ENCODING: &[&str] = &["response.content_encoding", "content_encoding"];
const CONTENT_TYPE: &[&str] = &[
    "response.headers.content-type",
    "response.headers.Content-Type",
    "err.response.headers.content-type",
    "res.headers.content-type",
    "http.response.mime_type",
    "content_type",
    "response.content_type",
];
const TIME: &[&str] = &[
    "StartUTC",
    "start_time",
    "EdgeStartTimestamp",
    "startedDateTime",
    "stageTimestamp",
    "requestReceivedTimestamp",
    "time",
    "ts",
    "timestamp",
    "@timestamp",
    "time_iso8601",
    "time_local",
    "date",
];
const METHOD: &[&str] = &[
    "method",
    "request.method",
    "req.method",
    "err.config.method",
    "error.config.method",
    "RequestMethod",
    "http.request.method",
    "httpRequest.requestMethod",
    "ClientRequestMethod",
    "request_method",
    "http_method",
    "request",
    "verb",
];
const URL: &[&str] = &[
    "url",
    "uri",
    "request.url",
    "request.uri",
    "req.url",
    "err.config.url",
    "error.config.url",
    "url.full",
    "httpRequest.requestUrl",
    "ClientRequestURI",
    "RequestPath",
    "x-envoy-origin-path",
    "path",
    "url.path",
    "request_uri",
    "http_path",
    "request",
    "requestURI",
];

const HOST: &[&str] = &[
    "host",
    "request.host",
    "req.headers.host",
    "RequestHost",
    "ClientRequestHost",
    ":authority",
    "url.domain",
    "http.request.host",
    "authority",
];
const REQUEST_ID: &[&str] = &[
    "request_id",
    "requestId",
    "req_id",
    "x-request-id",
    "x_request_id",
    "http.request.id",
    "trace.id",
    "RayID",
    "request-id",
    "request.headers.X-Request-Id",
    "request.headers.x-request-id",
    "response.headers.x-request-id",
    "err.response.headers.x-request-id",
    "downstream_X-Request-Id",
    "request_X-Request-Id",
    "correlation_id",
    "reqId",
    "req.id",
    "auditID",
];
/// Duration fields and their unit in milliseconds; `duration` alone is
/// seconds when fractional (Caddy) and milliseconds when whole (Envoy), and
/// always milliseconds in the `lograge` shape.
const DURATION: [(&str, f64); 12] = [
    ("duration_ms", 1.0),
    ("elapsed_ms", 1.0),
    ("latency_ms", 1.0),
    ("response_time_ms", 1.0),
    ("res.responseTime", 1.0),
    ("responseTime", 1.0),
    ("time_taken_ms", 1.0),
    ("Duration", 1e-6),
    ("event.duration", 1e-6),
    ("request_time", 1e3),
    ("httpRequest.latency", 1e3),
    ("duration", 0.0),
];
const DURATION_PATHS: [&str; DURATION.len()] = firsts(DURATION);

/// The paths of a list of paths with units.
const fn firsts<const N: usize>(list: [(&'static str, f64); N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = list[i].0;
        i += 1;
    }
    out
}
const CREDENTIAL: &[&str] = &[
    "headers.Authorization",
    "headers.authorization",
    "request.headers.Authorization",
    "request.headers.authorization",
    "req.headers.authorization",
    "err.config.headers.Authorization",
    "http.request.headers.authorization",
    "request_Authorization",
];
/// Request headers that carry credentials besides `CREDENTIAL` (cookies,
/// API keys), in the shapes' spellings: their values are redacted wherever
/// the record's text echoes them.
const SECRET_HEADERS: &[&str] = &[
    "headers.Cookie",
    "headers.cookie",
    "headers.X-Api-Key",
    "headers.x-api-key",
    "request.headers.Cookie",
    "request.headers.cookie",
    "request.headers.X-Api-Key",
    "request.headers.x-api-key",
    "req.headers.cookie",
    "req.headers.x-api-key",
    "err.config.headers.Cookie",
    "err.config.headers.X-Api-Key",
    "http.request.headers.cookie",
    "http.request.headers.x-api-key",
    "request_Cookie",
    "request_X-Api-Key",
];

/// Top-level keys `Shape::map` reads by name: a HAR entry's `request` and
/// `response`, and HTTP clients' error objects.
const PROBES: &[&str] = &[
    "request",
    "response",
    "startedDateTime",
    "err",
    "error",
    "exception",
];

/// What a shape reads, one list of candidate paths per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Status,
    Body,
    BodyBase64,
    ContentEncoding,
    ContentType,
    Time,
    Method,
    Url,
    Host,
    RequestId,
    Credential,
    SecretHeaders,
    Duration,
    Probe,
}

/// Every key a shape may read, in one place: each slot's candidate paths,
/// most specific first. The path tree each line is parsed with is built
/// from these lists (and `--field` paths, which replace a slot's list), so
/// the parser keeps exactly the members `map` can look up; in debug builds
/// a lookup of any other key panics (`RawObject::check_declared`).
const KEYS: [(Slot, &[&str]); 14] = [
    (Slot::Status, STATUS),
    (Slot::Body, BODY),
    (Slot::BodyBase64, BODY_BASE64),
    (Slot::ContentEncoding, CONTENT_ENCODING),
    (Slot::ContentType, CONTENT_TYPE),
    (Slot::Time, TIME),
    (Slot::Method, METHOD),
    (Slot::Url, URL),
    (Slot::Host, HOST),
    (Slot::RequestId, REQUEST_ID),
    (Slot::Credential, CREDENTIAL),
    (Slot::SecretHeaders, SECRET_HEADERS),
    (Slot::Duration, &DURATION_PATHS),
    (Slot::Probe, PROBES),
];

// Each slot sits at its own index in `KEYS`.
const _: () = {
    let mut i = 0;
    while i < KEYS.len() {
        assert!(KEYS[i].0 as usize == i);
        i += 1;
    }
};

fn duration_of(obj: &RawObject<'_>, list: &[Cand], bare_in_ms: bool) -> Option<f64> {
    // The duration slot is never replaced, so its paths are `DURATION`'s.
    list.iter().zip(DURATION).find_map(|(cand, (_, unit))| {
        let v = obj.find(cand)?;
        let n = match first_byte(v) {
            // "0.011213s", "12ms": a number with a unit suffix.
            b'"' => {
                let s = as_str(v)?;
                let s = s.trim();
                if let Some(ms) = s.strip_suffix("ms") {
                    return ms.trim().parse::<f64>().ok();
                }
                return s
                    .strip_suffix('s')
                    .unwrap_or(s)
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .map(|x| x * 1e3);
            }
            b'[' | b'{' | b'n' | b't' | b'f' => return None,
            _ => as_f64(v)?,
        };
        let unit = if unit == 0.0 {
            if bare_in_ms || n.fract() == 0.0 {
                1.0
            } else {
                1e3
            }
        } else {
            unit
        };
        Some(n * unit)
    })
}

/// A named log shape: how to recognise it and where its status lives.
struct Known {
    name: &'static str,
    status: &'static str,
    also: &'static [&'static str],
    /// A bare `duration` is milliseconds, whole or not.
    duration_in_ms: bool,
}

const KNOWN: &[Known] = &[
    Known {
        name: "caddy",
        status: "status",
        also: &["request.uri", "ts"],
        duration_in_ms: false,
    },
    Known {
        name: "k8s_audit",
        status: "responseStatus.code",
        also: &["requestURI", "verb"],
        duration_in_ms: false,
    },
    Known {
        name: "traefik",
        status: "DownstreamStatus",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "envoy",
        status: "response_code",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "gcp",
        status: "httpRequest.status",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "cloudflare",
        status: "EdgeResponseStatus",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "fastly",
        status: "response_status",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "ecs",
        status: "http.response.status_code",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "pino",
        status: "res.statusCode",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "pino",
        status: "err.response.status",
        also: &[],
        duration_in_ms: false,
    },
    // Rails lograge (GitLab's production_json.log): one line per request
    // with its controller and action; `duration` is milliseconds.
    Known {
        name: "lograge",
        status: "status",
        also: &["controller", "action", "duration"],
        duration_in_ms: true,
    },
    // GitLab's api_json.log (Grape): the route template and queue time.
    Known {
        name: "lograge",
        status: "status",
        also: &["route", "queue_duration", "duration"],
        duration_in_ms: true,
    },
    Known {
        name: "nested",
        status: "response.status",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "nested",
        status: "response.status_code",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "flat",
        status: "status",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "flat",
        status: "status_code",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "flat",
        status: "statusCode",
        also: &[],
        duration_in_ms: false,
    },
    Known {
        name: "flat",
        status: "http_status",
        also: &[],
        duration_in_ms: false,
    },
];

/// How lines map to exchanges.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The shape's name, as reported (`caddy`, `flat`, `har_entry`, `custom` ...).
    pub name: String,
    /// Each slot's candidate paths, at the slot's index (`KEYS`).
    paths: [Vec<Cand>; KEYS.len()],
    /// Whether body paths came from `--field` (then base64 bodies are not looked for).
    custom_body: bool,
    /// Lines are whole HAR entries.
    har_entry: bool,
    /// A bare `duration` is milliseconds, whole or not (lograge).
    duration_in_ms: bool,
    /// The nested objects the paths go through, parsed with their line.
    tree: Tree,
}

/// A candidate path.
type Cand = PathKey;

impl Shape {
    /// The shape with every known path, named `name`.
    fn generic(name: &str) -> Shape {
        Shape {
            name: name.to_string(),
            paths: KEYS.map(|(_, list)| list.iter().map(|p| Cand::new(p)).collect()),
            custom_body: false,
            har_entry: false,
            duration_in_ms: false,
            tree: Tree::default(),
        }
    }

    /// A slot's candidate paths.
    fn list(&self, slot: Slot) -> &[Cand] {
        &self.paths[slot as usize]
    }

    /// Computes the tree of nested objects from every slot's paths.
    fn with_tree(mut self) -> Shape {
        self.tree = Tree::from_paths(self.paths.iter().flatten().map(|c| c.path.as_str()));
        self
    }

    /// Parses a line (see `parse_line`), with the nested objects the
    /// shape's paths go through parsed in the same pass. Only the members
    /// `map` may read are kept.
    pub fn parse_line<'a>(&self, line: &'a str) -> Result<RawObject<'a>, SkipReason> {
        parse_line_in(line, &self.tree)
    }

    /// Detects the shape from sample lines, then applies `--field` overrides.
    pub fn detect(sample: &[u8], fields: &[(Field, String)]) -> Shape {
        let mut votes: Vec<(&str, usize, &str)> = Vec::new();
        for line in sample.split(|&b| b == b'\n').take(200) {
            let Some(obj) = std::str::from_utf8(line)
                .ok()
                .and_then(|l| parse_line(l).ok())
            else {
                continue;
            };
            let name_status = if is_har_entry(&obj) {
                Some(("har_entry", ""))
            } else {
                KNOWN.iter().find_map(|k| {
                    obj.path(k.status).and_then(log_status)?;
                    k.also
                        .iter()
                        .all(|p| obj.path(p).is_some())
                        .then_some((k.name, k.status))
                })
            };
            if let Some((name, status)) = name_status {
                match votes.iter_mut().find(|v| v.0 == name && v.2 == status) {
                    Some(v) => v.1 += 1,
                    None => votes.push((name, 1, status)),
                }
            }
        }
        // The most votes win; ties go to the shape seen first.
        let best = votes
            .iter()
            .enumerate()
            .max_by(|a, b| a.1 .1.cmp(&b.1 .1).then(b.0.cmp(&a.0)));
        let mut shape = match best {
            Some((_, &("har_entry", _, _))) => Shape {
                har_entry: true,
                ..Shape::generic("har_entry")
            },
            Some((_, &(name, _, status))) => {
                let mut s = Shape::generic(name);
                s.duration_in_ms = KNOWN
                    .iter()
                    .any(|k| k.name == name && k.status == status && k.duration_in_ms);
                let list = &mut s.paths[Slot::Status as usize];
                list.retain(|p| p.path != status);
                list.insert(0, Cand::new(status));
                s
            }
            None => Shape::generic("generic"),
        };
        if !fields.is_empty() {
            shape.har_entry = false;
            shape.name = format!("custom ({})", shape.name);
            for (f, path) in fields {
                let slot = match f {
                    Field::Status => Slot::Status,
                    Field::Body => {
                        shape.custom_body = true;
                        Slot::Body
                    }
                    Field::Time => Slot::Time,
                    Field::Method => Slot::Method,
                    Field::Url => Slot::Url,
                };
                shape.paths[slot as usize] = vec![Cand::new(path)];
            }
        }
        shape.with_tree()
    }

    /// Maps a parsed line to an exchange; `None` when the line carries no
    /// HTTP fields at all.
    pub fn map<'a>(
        &self,
        obj: &RawObject<'a>,
        raw: &'a str,
    ) -> Result<Option<Exchange<'a>>, har::EntryError> {
        let status = first(obj, self.list(Slot::Status), log_status);
        // A line is a whole HAR entry by its own look, whatever the vote
        // over the first lines said; a line with a status in any known
        // shape is that response. A status-less line with a `request`
        // object is an entry that got no response when it has HAR's
        // `startedDateTime` (or the file is one of HAR entries).
        let entry_without_response = status.is_none()
            && matches!(obj.get("request"), Some(v) if first_byte(v) == b'{')
            && (self.har_entry || obj.get("startedDateTime").is_some());
        if is_har_entry(obj) || entry_without_response {
            return har::parse_entry(raw).map(Some);
        }
        let method = first(obj, self.list(Slot::Method), |v| {
            let s = as_str(v)?;
            match memchr::memchr(b' ', s.as_bytes()).map(|i| &s[..i]) {
                Some(m) if is_method(m) => Some(Cow::Owned(m.to_string())),
                Some(_) => None,
                None if is_method(&s) => Some(if s.bytes().all(|b| b.is_ascii_uppercase()) {
                    s
                } else {
                    Cow::Owned(s.to_ascii_uppercase())
                }),
                // A Kubernetes audit event's verb.
                None => k8s_verb_method(&s).map(Cow::Borrowed),
            }
        });
        let url = first(obj, self.list(Slot::Url), |v| {
            let s = as_str(v)?;
            if s.is_empty() {
                return None;
            }
            if memchr::memchr(b' ', s.as_bytes()).is_none() {
                return Some(s);
            }
            // "GET /path HTTP/1.1": the target after a method.
            let mut words = s.split(' ');
            match (words.next(), words.next()) {
                (Some(m), Some(u)) if is_method(m) => Some(Cow::Owned(u.to_string())),
                _ => None,
            }
        });
        if status.is_none() && method.is_none() && url.is_none() {
            return Ok(None);
        }
        // A line about a request but without a status is an exchange only
        // when it records a failure (an HTTP client's error object, such as
        // axios' `err` with `config` and no `response`); otherwise it is a
        // log event (request started, auth checked) and not a response.
        if status.is_none() && !has_error_object(obj) {
            return Ok(None);
        }
        let mut ex = Exchange {
            status,
            method,
            url,
            time_ms: first(obj, self.list(Slot::Time), |v| match first_byte(v) {
                b'"' => parse_time_str(&as_str(v)?),
                _ => as_f64(v).and_then(epoch_to_ms),
            }),
            host: first(obj, self.list(Slot::Host), as_str),
            ..Exchange::default()
        };
        if let Some(v) = first(obj, self.list(Slot::Body), Some) {
            ex.body = body_of(v);
        } else if !self.custom_body {
            if let Some(b64) = first(obj, self.list(Slot::BodyBase64), as_str) {
                let gz = first(obj, self.list(Slot::ContentEncoding), as_str)
                    .is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
                ex.body = Body::Text(Cow::Owned(decode_body_base64(&b64, gz)));
            }
        }
        // The rest is only reported for records that are not `ok`.
        if ex.may_be_notable() {
            ex.content_type = first(obj, self.list(Slot::ContentType), as_str);
            ex.request_id = first(obj, self.list(Slot::RequestId), |v| match first_byte(v) {
                b'"' => as_str(v).filter(|s| !s.is_empty() && s != "-"),
                b'0'..=b'9' => Some(Cow::Borrowed(v.get())),
                // A header as Caddy logs it: an array of its values.
                b'[' => as_array(v)?
                    .into_iter()
                    .find_map(as_str)
                    .filter(|s| !s.is_empty()),
                _ => None,
            });
            ex.duration_ms = duration_of(obj, self.list(Slot::Duration), self.duration_in_ms);
            ex.credential = first(obj, self.list(Slot::Credential), |v| match first_byte(v) {
                b'[' => serde_json::from_str::<Vec<&str>>(v.get())
                    .ok()?
                    .first()
                    .map(|s| Cow::Borrowed(*s)),
                _ => as_str(v),
            });
            let mut secrets = Vec::new();
            for v in self
                .list(Slot::SecretHeaders)
                .iter()
                .filter_map(|p| obj.find(p))
            {
                match first_byte(v) {
                    // Caddy's header values are arrays.
                    b'[' => secrets.extend(as_array(v).into_iter().flatten().filter_map(as_str)),
                    _ => secrets.extend(as_str(v)),
                }
            }
            ex.secrets = secrets.into();
        }
        Ok(Some(ex))
    }
}

/// A log line's status: a number (`404`, or `404.0`: a zero fraction), or a
/// string of three digits alone or before a space (`"404"`, `"404 Not
/// Found"`); `"0"` is no response. Anything else (`404.5`, `"40"`, `"abc"`)
/// is no status.
pub fn log_status(v: Raw<'_>) -> Option<u16> {
    match first_byte(v) {
        b'0'..=b'9' => as_status(v).or_else(|| {
            let n = as_f64(v)?;
            (n.fract() == 0.0 && (0.0..=999.0).contains(&n)).then_some(n as u16)
        }),
        b'"' => {
            let s = as_str(v)?;
            let t = s.trim().as_bytes();
            if t == b"0" {
                return Some(0);
            }
            let digits = t.get(..3)?;
            if !digits.iter().all(u8::is_ascii_digit) || !matches!(t.get(3), None | Some(b' ')) {
                return None;
            }
            std::str::from_utf8(digits).ok()?.parse().ok()
        }
        _ => None,
    }
}

/// The HTTP method of a Kubernetes API verb (`list`, `watch`, `create` ...).
fn k8s_verb_method(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "get" | "list" | "watch" => "GET",
        "create" => "POST",
        "update" => "PUT",
        "patch" => "PATCH",
        "delete" | "deletecollection" => "DELETE",
        _ => return None,
    })
}

fn has_error_object(obj: &RawObject<'_>) -> bool {
    ["err", "error", "exception"]
        .iter()
        .any(|k| obj.get(k).is_some_and(|v| first_byte(v) == b'{'))
}

fn is_method(s: &str) -> bool {
    const METHODS: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT",
    ];
    METHODS.iter().any(|m| m.eq_ignore_ascii_case(s))
}

fn is_har_entry(obj: &RawObject<'_>) -> bool {
    matches!(obj.get("request"), Some(v) if first_byte(v) == b'{')
        && matches!(obj.get("response"), Some(v) if as_object(v).is_some_and(|r| r.get("status").is_some() && r.get("content").is_some()))
}

/// The first candidate path that resolves to a usable value.
#[inline(always)]
fn first<'a, T>(
    obj: &RawObject<'a>,
    paths: &[Cand],
    f: impl Fn(Raw<'a>) -> Option<T>,
) -> Option<T> {
    paths.iter().find_map(|p| obj.find(p).and_then(&f))
}

/// A body field: a string holds the body text; an object or array is the body.
fn body_of(v: Raw<'_>) -> Body<'_> {
    match first_byte(v) {
        b'n' => Body::Missing,
        // Unescaped only if the classifier needs the text.
        b'"' if memchr::memchr(b'\\', v.get().as_bytes()).is_some() => Body::Escaped(v),
        b'"' => match as_str(v) {
            Some(s) => Body::Text(s),
            None => Body::Text(Cow::Borrowed(v.get())),
        },
        _ => Body::Text(Cow::Borrowed(v.get())),
    }
}

fn decode_body_base64(b64: &str, gzip: bool) -> String {
    let Some(bytes) = har::decode_base64_bytes(b64) else {
        return b64.to_string();
    };
    let out = match gzip {
        true => har::inflate_gzip(&bytes).unwrap_or(bytes),
        false => bytes,
    };
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses one line: a JSON object, possibly after a prefix such as a CRI
/// (`2024-… stdout F `) or syslog header. Returns the reason when it is not.
pub fn parse_line(line: &str) -> Result<RawObject<'_>, SkipReason> {
    parse_line_in(line, &Tree::default())
}

fn parse_line_in<'a>(line: &'a str, tree: &Tree) -> Result<RawObject<'a>, SkipReason> {
    let t = line.trim_start_matches('\u{feff}').trim();
    if let Some(obj) = RawObject::parse_tree(t, tree) {
        return Ok(obj);
    }
    if t.starts_with('{') {
        return Err(SkipReason::InvalidJson);
    }
    let scalar_or_array = t.starts_with('[')
        || t.starts_with('"')
        || t.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if scalar_or_array && serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok() {
        return Err(SkipReason::NotObject);
    }
    // A prefixed line: the JSON object starts at the first '{' and runs to
    // the end, after a log prefix (CRI, syslog, timestamps) that does not
    // look like code (`x = {...}`, `f({...})`).
    if t.ends_with('}') {
        if let Some(i) = t.find('{').filter(|&i| !t[..i].contains(['=', '(', ';'])) {
            if let Some(obj) = RawObject::parse_tree(&t[i..], tree) {
                return Ok(obj);
            }
        }
    }
    Err(SkipReason::NotJson)
}

/// Reads a plain-text access-log line (Envoy's default format, the common
/// and combined log formats): the status is the number after the quoted
/// request line `"METHOD TARGET PROTOCOL"`, the time is in the first `[...]`.
pub fn parse_text_access(line: &str) -> Option<Exchange<'_>> {
    let mut rest = line;
    while let Some(q) = rest.find('"') {
        let after = &rest[q + 1..];
        let close = after.find('"')?;
        let request = &after[..close];
        let tail = &after[close + 1..];
        let mut parts = request.split(' ');
        if let (Some(m), Some(target), Some(proto)) = (parts.next(), parts.next(), parts.next()) {
            if is_method(m) && proto.starts_with("HTTP/") {
                let status_text = tail.trim_start().split(' ').next()?;
                let status: u16 = status_text.parse().ok().filter(|s| *s <= 999)?;
                let time_ms = line
                    .find('[')
                    .and_then(|a| line[a + 1..].find(']').map(|b| &line[a + 1..a + 1 + b]))
                    .and_then(parse_time_str);
                return Some(Exchange {
                    status: Some(status),
                    method: Some(Cow::Borrowed(m)),
                    url: Some(Cow::Borrowed(target)),
                    time_ms,
                    ..Exchange::default()
                });
            }
        }
        rest = &after[close + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_access_lines() {
        let l = r#"2025-12-31T19:00:00.31+01:00 stdout F [2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226"#;
        let e = parse_text_access(l).unwrap();
        assert_eq!(
            (e.status, e.method.as_deref(), e.url.as_deref()),
            (Some(204), Some("POST"), Some("/api/v1/locations"))
        );
        assert_eq!(e.time_ms, parse_time_str("2016-04-15T20:17:00.310Z"));
        let clf = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 404 2326 "-" "curl""#;
        let e = parse_text_access(clf).unwrap();
        assert_eq!(e.status, Some(404));
        assert!(e.time_ms.is_some());
        assert!(parse_text_access("DEBUG: \"quoted\" 200").is_none());
    }

    use super::*;

    fn map_line(line: &str) -> Exchange<'_> {
        let shape = Shape::detect(line.as_bytes(), &[]);
        let obj = shape.parse_line(line).unwrap();
        shape.map(&obj, line).unwrap().unwrap()
    }

    /// Request ids where Caddy (a header array), Kubernetes (`auditID`) and
    /// pino (`reqId`, `req.id`) put them.
    #[test]
    fn request_ids_of_caddy_k8s_and_pino() {
        let caddy = r#"{"ts":1.7e9,"status":500,"request":{"uri":"/v1/x","method":"GET","headers":{"X-Request-Id":["r-caddy"]}}}"#;
        assert_eq!(Shape::detect(caddy.as_bytes(), &[]).name, "caddy");
        assert_eq!(map_line(caddy).request_id.as_deref(), Some("r-caddy"));
        let k8s = r#"{"kind":"Event","auditID":"r-k8s","requestURI":"/api/v1/pods","verb":"get","responseStatus":{"code":403}}"#;
        assert_eq!(map_line(k8s).request_id.as_deref(), Some("r-k8s"));
        let pino =
            r#"{"reqId":"r-pino","res":{"statusCode":500},"req":{"method":"GET","url":"/x"}}"#;
        assert_eq!(map_line(pino).request_id.as_deref(), Some("r-pino"));
        let pino = r#"{"res":{"statusCode":500},"req":{"id":7,"method":"GET","url":"/x"}}"#;
        assert_eq!(map_line(pino).request_id.as_deref(), Some("7"));
    }

    /// Real GitLab lines (api_json.log and production_json.log, from
    /// `testdata/gitlab-lograge.jsonl`): `duration` is milliseconds even when
    /// fractional, and `correlation_id` is the request id.
    #[test]
    fn lograge_lines_of_gitlab() {
        let text = include_str!("../../testdata/gitlab-lograge.jsonl");
        let shape = Shape::detect(text.as_bytes(), &[]);
        assert_eq!(shape.name, "lograge");
        let lines: Vec<&str> = text.lines().collect();
        let obj = shape.parse_line(lines[1]).unwrap();
        let e = shape.map(&obj, lines[1]).unwrap().unwrap();
        assert_eq!(
            (e.status, e.method.as_deref(), e.url.as_deref()),
            (Some(404), Some("GET"), Some("/api/v4"))
        );
        assert_eq!(e.host.as_deref(), Some("localhost"));
        assert_eq!(e.request_id.as_deref(), Some("cEk9obejpWa"));
        assert_eq!(e.duration_ms, Some(74.52));
        let obj = shape.parse_line(lines[2]).unwrap();
        let e = shape.map(&obj, lines[2]).unwrap().unwrap();
        assert_eq!(
            (e.status, e.url.as_deref()),
            (Some(200), Some("/gitlab/gitlab-ce/issues/1234"))
        );
        // Without controller/action or route, a fractional bare `duration`
        // stays seconds (Caddy's unit).
        let l = r#"{"status":500,"path":"/x","duration":0.5}"#;
        assert_eq!(Shape::detect(l.as_bytes(), &[]).name, "flat");
        assert_eq!(map_line(l).duration_ms, Some(500.0));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "`undeclared` is looked up but not declared")]
    fn a_lookup_outside_the_declared_keys_panics_in_debug_builds() {
        let l = r#"{"status":404,"undeclared":1}"#;
        let shape = Shape::detect(l.as_bytes(), &[]);
        let obj = shape.parse_line(l).unwrap();
        // Every lookup `map` makes is declared.
        assert_eq!(shape.map(&obj, l).unwrap().unwrap().status, Some(404));
        obj.get("undeclared");
    }

    #[test]
    fn every_declared_key_is_kept() {
        // A line holding each slot's every path (as a flat key) keeps them all.
        let shape = Shape::generic("generic").with_tree();
        for (slot, list) in KEYS {
            for p in list {
                let l = format!(r#"{{"{p}":"x","other":1}}"#);
                let obj = shape.parse_line(&l).unwrap();
                assert_eq!(obj.path(p).map(Raw::get), Some(r#""x""#), "{slot:?} {p}");
                assert_eq!(obj.members().len(), 1, "{p}");
            }
        }
    }

    #[test]
    fn shapes() {
        let l = r#"{"level":"info","ts":1646155519.123,"request":{"method":"GET","host":"x","uri":"/a?b"},"status":401}"#;
        assert_eq!(Shape::detect(l.as_bytes(), &[]).name, "caddy");
        let e = map_line(l);
        assert_eq!(
            (e.status, e.method.as_deref(), e.url.as_deref()),
            (Some(401), Some("GET"), Some("/a?b"))
        );
        assert_eq!(e.time_ms, Some(1646155519123));

        let l = r#"{"status":"404","request":"GET /v1/x?y=1 HTTP/1.1","time_iso8601":"2024-01-01T00:00:00+00:00"}"#;
        let e = map_line(l);
        assert_eq!(
            (e.status, e.method.as_deref(), e.url.as_deref()),
            (Some(404), Some("GET"), Some("/v1/x?y=1"))
        );

        let l = r#"{"httpRequest":{"status":503,"requestUrl":"http://h/p","requestMethod":"GET"},"timestamp":"2024-01-01T00:00:00Z"}"#;
        assert_eq!(Shape::detect(l.as_bytes(), &[]).name, "gcp");
        assert_eq!(map_line(l).status, Some(503));

        let l =
            r#"{"status":404,"response":{"body":{"error_code":"not_found","error_message":"x"}}}"#;
        assert_eq!(
            map_line(l).body,
            Body::Text(r#"{"error_code":"not_found","error_message":"x"}"#.into())
        );
        let l = r#"{"status_code":400,"response_body":"{\"error_code\":\"invalid_json\"}"}"#;
        assert_eq!(
            map_line(l).body,
            Body::Text(r#"{"error_code":"invalid_json"}"#.into())
        );
    }

    #[test]
    fn prefixed_and_bad_lines() {
        assert!(parse_line(r#"2024-04-10T12:00:00.1Z stdout F {"response_code":404}"#).is_ok());
        assert_eq!(
            parse_line("DEBUG: plugin said hi").unwrap_err(),
            SkipReason::NotJson
        );
        assert_eq!(parse_line("[1,2]").unwrap_err(), SkipReason::NotObject);
        assert_eq!(parse_line(r#"{"a":"#).unwrap_err(), SkipReason::InvalidJson);
    }

    #[test]
    fn status_forms() {
        let st = |text: &str| log_status(Raw::new(text));
        assert_eq!(st("404"), Some(404));
        assert_eq!(st("404.0"), Some(404));
        assert_eq!(st("4.04e2"), Some(404));
        assert_eq!(st(r#""404""#), Some(404));
        assert_eq!(st(r#"" 404 ""#), Some(404));
        assert_eq!(st(r#""404 Not Found""#), Some(404));
        assert_eq!(st(r#""0""#), Some(0));
        assert_eq!(st("0"), Some(0));
        for bad in [
            "404.5",
            r#""40""#,
            r#""abc""#,
            r#""4040""#,
            r#""404x""#,
            "1000",
            "-1",
            "null",
            "true",
        ] {
            assert_eq!(st(bad), None, "{bad}");
        }
    }

    #[test]
    fn non_http_line() {
        let l = r#"{"time":"2024-01-01T00:00:00Z","level":"INFO","msg":"server started"}"#;
        let shape = Shape::detect(l.as_bytes(), &[]);
        assert!(shape
            .map(&shape.parse_line(l).unwrap(), l)
            .unwrap()
            .is_none());
    }

    #[test]
    fn custom_fields() {
        let l = r#"{"a":{"s":"429"},"b":"{\"error_code\":\"too_many_requests\",\"error_message\":\"slow\"}","status":200}"#;
        let shape = Shape::detect(
            l.as_bytes(),
            &[(Field::Status, "a.s".into()), (Field::Body, "b".into())],
        );
        assert!(shape.name.starts_with("custom"));
        let e = shape
            .map(&shape.parse_line(l).unwrap(), l)
            .unwrap()
            .unwrap();
        assert_eq!(e.status, Some(429));
    }
}
