//! `--baseline` on arbitrary bytes: `Baseline::parse` and, for what loads,
//! `Baseline::compare` with an empty report. Beyond "no panic, no
//! overflow": errors name the file (the CLI escapes any newline a crafted
//! schema brings); against an empty report nothing is new and everything
//! the baseline counted is gone.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tape_audit::aggregate::Summary;
use tape_audit::catalog::Catalog;
use tape_audit::pipeline::Audit;
use tape_audit::report::baseline::Baseline;
use tape_audit::report::{Report, ReportOptions};

fn empty_report() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| {
        let audit = Audit {
            summary: Summary::default(),
            inputs: Vec::new(),
        };
        Report::build(&audit, &Catalog::builtin(), &ReportOptions::default())
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Baseline::parse(&text, "fuzz.json") {
        Ok(b) => {
            let r = empty_report();
            let d = b.compare(r, 0.5);
            assert!(
                d.new.is_empty() && d.changed.is_empty(),
                "nothing is new or changed in an empty report: {d:?}"
            );
            for c in d.gone.iter().chain(&d.changed) {
                assert!(c.before > 0 && c.before_share.is_finite(), "{c:?}");
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz.json: "), "{msg}");
        }
    }
});
