//! JSON-lines parsing: `parse_line`, `Shape::detect`/`map`,
//! `parse_text_access`, then the lines through `pipeline::process`, whole and
//! one line per work unit (the merged summaries must agree).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tape_audit::input::jsonl::{self, Field, Shape};
use tape_audit::input::{InputInfo, Work};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::unless_known(|| run(data));
});

fn run(data: &[u8]) {
    let custom = [
        (Field::Status, "a.s".to_string()),
        (Field::Body, "b".to_string()),
        (Field::Time, "t.x.y".to_string()),
    ];
    let fields: &[(Field, String)] = if data.len().is_multiple_of(3) {
        &custom
    } else {
        &[]
    };
    let shape = Shape::detect(data, fields);
    for line in data.split(|&b| b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        match jsonl::parse_line(text) {
            Ok(obj) => {
                if let Ok(Some(ex)) = shape.map(&obj, text) {
                    common::classify_checked(&ex);
                }
                let _ = obj.path("a.b.c");
            }
            Err(reason) => {
                assert!(!reason.name().is_empty());
                if let Some(ex) = jsonl::parse_text_access(text) {
                    common::classify_checked(&ex);
                }
            }
        }
    }

    let shape = Arc::new(shape);
    let read = common::read_options(64 << 20);
    let whole = vec![Work::Lines {
        file: 0,
        first_line: 1,
        data: data.to_vec(),
        shape: shape.clone(),
    }];
    let mut per_line = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        per_line.push(Work::Lines {
            file: 0,
            first_line: i as u64 + 1,
            data: line.to_vec(),
            shape: shape.clone(),
        });
    }
    let a = common::process_all(&whole, &read);
    if data.len() <= 16 << 10 {
        let b = common::process_split_merged(&per_line, &read);
        assert_eq!(a, b, "one work unit and one per line disagree");
    }
    common::check_report(
        a,
        InputInfo {
            name: "fuzz-input".into(),
            ..InputInfo::default()
        },
    );
}
