//! `merge` on arbitrary bytes: `partial::parse` (schema and
//! `Partial::validate`), `partial::merge` of what loads (alone and with
//! itself), and every report of the merge. Beyond "no panic, no overflow":
//! errors are one line naming the file; a merge of valid partials is a
//! valid partial; the JSON report of any merge reads back as a baseline
//! that finds no change against that report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tape_audit::catalog::Catalog;
use tape_audit::partial;
use tape_audit::report::baseline::Baseline;
use tape_audit::report::{self, Report, ReportOptions};

fn one_line_naming(e: &impl std::fmt::Display, name: &str) {
    let msg = e.to_string();
    assert!(msg.starts_with(name), "{msg}");
    assert!(!msg.contains("panicked"), "{msg}");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parts = match partial::parse(&text, "fuzz.json") {
        Ok(parts) => parts,
        Err(e) => return one_line_naming(&e, "fuzz.json"),
    };
    for (_, p) in &parts {
        assert_eq!(p.validate(), Ok(()), "parse returned an invalid partial");
    }
    let twice: Vec<_> = parts.iter().chain(parts.iter()).cloned().collect();
    for parts in [parts, twice] {
        let merged = match partial::merge(parts) {
            Ok(m) => m,
            Err(e) => return one_line_naming(&e, "fuzz.json"),
        };
        assert_eq!(
            merged.validate(),
            Ok(()),
            "a merge of valid partials is valid"
        );
        let audit = merged.into_audit();
        let cat = Catalog::builtin();
        let opts = ReportOptions {
            filters: Vec::new(),
            top: 3,
            max_skipped_share: 0.5,
        };
        let mut r = Report::build(&audit, &cat, &opts);
        let json = serde_json::to_string(&r).expect("a report serializes");
        let b = Baseline::parse(&json, "report.json").expect("a report is a baseline");
        let d = b.compare(&r, 0.5);
        assert!(
            d.new.is_empty() && d.gone.is_empty() && d.changed.is_empty(),
            "a report differs from itself: {d:?}"
        );
        r.baseline = Some(d);
        let mut out = Vec::new();
        report::table::write(&r, 3, report::table::Style::new(true), &mut out).unwrap();
        report::markdown::write(&r, 3, &mut out).unwrap();
        report::json::write(&r, &mut out).unwrap();
        report::csv::write_timeline(&audit.summary, Box::new(std::io::sink())).unwrap();
    }
});
