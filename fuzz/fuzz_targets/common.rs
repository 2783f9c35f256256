//! Shared helpers and invariants for the fuzz targets.
#![allow(dead_code)]

use std::io::Read;
use std::sync::OnceLock;

use tape_audit::aggregate::{Settings, Summary};
use tape_audit::catalog::Catalog;
use tape_audit::classify::{classify, Class, Verdict};
use tape_audit::exchange::{Body, Exchange};
use tape_audit::filter::Filter;
use tape_audit::input::{InputInfo, ReadOptions, Work};
use tape_audit::pipeline::{self, Audit, Job};
use tape_audit::report::{self, Report, ReportOptions};

/// The builtin catalog, parsed once.
pub fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

/// Classifies and checks the verdict against the contract.
pub fn classify_checked<'a>(ex: &'a Exchange<'_>) -> Verdict<'a> {
    let cat = catalog();
    let v = classify(ex, cat);
    let status = ex.status.unwrap_or(0);
    assert_eq!(v.status, status);
    assert_eq!(
        v.violation.is_some(),
        v.class == Class::EnvelopeViolation,
        "{v:?}"
    );
    match status {
        0 => assert_eq!(v.class, Class::NoResponse),
        1..=399 => {
            assert!(
                matches!(v.class, Class::Ok | Class::ErrorOnSuccess),
                "{v:?}"
            );
            if v.class == Class::ErrorOnSuccess {
                assert!(
                    !matches!(ex.body, Body::Missing),
                    "error_on_success without a body"
                );
                if let Body::Text(t) = &ex.body {
                    assert!(t.contains("error_code"));
                }
            }
        }
        _ => {
            assert!(v.class.is_error(), "{v:?}");
            assert_eq!(
                v.class == Class::BodyMissing,
                matches!(ex.body, Body::Missing),
                "{v:?}"
            );
            assert_eq!(v.undocumented_status, !cat.mentions_status(status));
            if let Some(c) = &v.code {
                assert!(!c.trim().is_empty(), "{v:?}");
            }
            match v.class {
                Class::Documented | Class::StatusMismatch | Class::UndocumentedCode => {
                    let code = v.code.as_deref().expect("a valid envelope has a code");
                    assert!(v.message.is_some(), "{v:?}");
                    let documented = cat.get(status, code).is_some();
                    let elsewhere = !cat.statuses_of(code).is_empty();
                    match v.class {
                        Class::Documented => assert!(documented),
                        Class::StatusMismatch => assert!(!documented && elsewhere),
                        _ => assert!(!documented && !elsewhere),
                    }
                }
                _ => {}
            }
        }
    }
    v
}

/// A reader that hands out at most `chunk` bytes per read, to put buffer
/// boundaries everywhere.
pub struct Chunked<'a> {
    pub data: &'a [u8],
    pub chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A chunk size derived from the input length (so seed files stay valid
/// inputs while still meeting odd read sizes). Tiny reads only for small
/// inputs: the HAR scanner grows its buffer by 1 MiB per read.
pub fn chunk_for(data: &[u8]) -> usize {
    match data.len() {
        0..=1024 => [usize::MAX, 1, 2, 3, 17, 4096][data.len() % 6],
        1025..=65536 => [usize::MAX, 61, 509, 4096][data.len() % 4],
        _ => usize::MAX,
    }
}

pub fn read_options(max_record: usize) -> ReadOptions {
    ReadOptions {
        max_record,
        ..ReadOptions::default()
    }
}

/// Runs work units through `pipeline::process` into one summary.
pub fn process_all(works: &[Work], read: &ReadOptions) -> Summary {
    let filter = Filter::default();
    let job = Job {
        catalog: catalog(),
        read,
        filter: &filter,
        settings: Settings::default(),
        jobs: 1,
        extract: false,
    };
    let names = vec!["fuzz-input".to_string()];
    let mut sum = Summary::new(Settings::default());
    for w in works {
        let mut rows = Vec::new();
        let n = pipeline::process(w, &job, &names, &mut sum, Some(&mut rows));
        assert!(rows.len() as u64 <= n);
    }
    sum
}

/// Same as `process_all`, but each unit into its own summary, merged in
/// reverse order: must equal the sequential summary.
pub fn process_split_merged(works: &[Work], read: &ReadOptions) -> Summary {
    let mut parts: Vec<Summary> = works
        .iter()
        .map(|w| process_all(std::slice::from_ref(w), read))
        .collect();
    let mut acc = Summary::new(Settings::default());
    while let Some(p) = parts.pop() {
        acc.merge(p);
    }
    acc
}

/// Builds the report of a summary, writes it as JSON, reads it back and
/// checks the accounting.
pub fn check_report(summary: Summary, info: InputInfo) {
    let audit = Audit {
        summary,
        inputs: vec![info],
    };
    let rep = Report::build(
        &audit,
        catalog(),
        &ReportOptions {
            filters: Vec::new(),
            top: 10,
            max_skipped_share: 0.5,
        },
    );
    let mut out = Vec::new();
    report::json::write(&rep, &mut out).expect("writes to a Vec");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("the JSON report is valid JSON");
    let n = |p: &str| v.pointer(p).and_then(serde_json::Value::as_u64).expect(p);
    assert_eq!(
        n("/totals/records"),
        n("/totals/responses") + n("/totals/skipped") + n("/totals/excluded")
    );
    let sum = |p: &str| -> u64 {
        v.pointer(p)
            .and_then(serde_json::Value::as_object)
            .expect(p)
            .values()
            .map(|x| x.as_u64().expect("a count"))
            .sum()
    };
    assert_eq!(sum("/classes"), n("/totals/responses"));
    assert_eq!(sum("/violations"), n("/classes/envelope_violation"));
    // The text and Markdown writers must not panic either.
    let mut sink = Vec::new();
    let _ = report::markdown::write(&rep, 10, &mut sink);
    let _ = report::table::write(&rep, 10, report::table::Style::new(false), &mut sink);
}

/// `Chunked` over owned bytes (for APIs that take a `'static` reader).
pub struct OwnedChunked {
    pub data: Vec<u8>,
    pub pos: usize,
    pub chunk: usize,
}

impl Read for OwnedChunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.data[self.pos..];
        let n = buf.len().min(self.chunk).min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// Panics of bugs already reported (and kept in tests/fuzz_regressions/):
/// (source file suffix, message fragment). Inputs that hit one are dropped
/// so fuzzing goes on past them; set TAPE_FUZZ_ALL_PANICS=1 to see them.
const KNOWN: &[(&str, &str)] = &[
    // Fixed in 57e5c5c; while open, this entry let the runs go on:
    // ("src/redact.rs", "is not a char boundary"),
    // (redact::strip_scheme sliced `&s[..scheme.len()]` inside a multi-byte
    // char; tests/fuzz_regressions/*-redact-*.)
];

thread_local! {
    static HIT_KNOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`; `None` when it panicked with a known bug. Any other panic
/// reaches libFuzzer's hook (which aborts and saves the input).
pub fn unless_known<R>(f: impl FnOnce() -> R) -> Option<R> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("TAPE_FUZZ_ALL_PANICS").is_some() {
        return Some(f());
    }
    HOOK.call_once(|| {
        let next = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map_or("", |l| l.file());
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if KNOWN
                .iter()
                .any(|(f, m)| file.ends_with(f) && msg.contains(m))
            {
                HIT_KNOWN.with(|h| h.set(true));
                return;
            }
            next(info)
        }));
    });
    HIT_KNOWN.with(|h| h.set(false));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    match r {
        Ok(v) => Some(v),
        Err(p) if HIT_KNOWN.with(|h| h.get()) => {
            drop(p);
            None
        }
        Err(p) => std::panic::resume_unwind(p),
    }
}
