//! The streaming HAR scanner over arbitrary bytes (read in odd chunk sizes),
//! `parse_entry` and `classify` on every entry found, the batches through
//! `pipeline::process`. When the whole input is a JSON document with a
//! `log.entries` array, the scanner must find exactly those entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::value::RawValue;
use tape_audit::input::har::{self, Scanner};
use tape_audit::input::{InputInfo, Work};

#[path = "common.rs"]
mod common;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    log: Log<'a>,
}

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow)]
    entries: Vec<&'a RawValue>,
}

fuzz_target!(|data: &[u8]| {
    common::unless_known(|| run(data));
});

fn run(data: &[u8]) {
    let mut sc = Scanner::new(common::Chunked {
        data,
        chunk: common::chunk_for(data),
    });
    let mut batches = Vec::new();
    let res = sc.run(|b| batches.push(b));

    let mut texts: Vec<&[u8]> = Vec::new();
    let mut next = 0u64;
    for b in &batches {
        assert_eq!(b.first_index, next, "batches are consecutive");
        assert!(!b.ranges.is_empty());
        let mut prev_end = 0;
        for &(a, z) in &b.ranges {
            // An empty range is an element missing between commas (`[{},,{}]`).
            assert!(prev_end <= a && a <= z && z <= b.data.len(), "{a}..{z}");
            prev_end = z;
            texts.push(&b.data[a..z]);
        }
        next += b.ranges.len() as u64;
        for &(a, z) in &b.ranges {
            if let Ok(text) = std::str::from_utf8(&b.data[a..z]) {
                if let Ok(ex) = har::parse_entry(text) {
                    common::classify_checked(&ex);
                }
            }
        }
    }
    match &res {
        Ok(end) => {
            assert_eq!(end.entries, next, "entries counted = entries emitted");
            assert!(end.found_entries || next == 0);
        }
        Err(e) => {
            assert!(
                e.offset <= data.len() as u64,
                "offset {} past the end",
                e.offset
            );
            assert!(!e.msg.is_empty());
            if let Some(i) = e.cut_entry {
                assert_eq!(i, next, "the cut entry follows the complete ones");
            }
        }
    }

    // Oracle: a JSON document whose `log.entries` is an array.
    if let Ok(doc) = serde_json::from_slice::<Doc<'_>>(data) {
        let end = res
            .as_ref()
            .expect("the scanner reads a valid HAR document");
        assert!(end.found_entries);
        let want: Vec<&[u8]> = doc.log.entries.iter().map(|r| r.get().as_bytes()).collect();
        assert_eq!(
            texts, want,
            "the scanner's entries differ from serde_json's"
        );
    }

    let works: Vec<Work> = batches
        .into_iter()
        .map(|batch| Work::Entries { file: 0, batch })
        .collect();
    let read = common::read_options(64 << 20);
    let a = common::process_all(&works, &read);
    let b = common::process_split_merged(&works, &read);
    assert_eq!(a, b);
    common::check_report(
        a,
        InputInfo {
            name: "fuzz-input".into(),
            ..InputInfo::default()
        },
    );
}
