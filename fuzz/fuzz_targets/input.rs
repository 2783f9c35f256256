//! The whole reading path on arbitrary bytes: gzip/zstd by magic bytes,
//! format sniffing, `read_source` (HAR scanner, JSON lines, JSON documents),
//! then every work unit through `pipeline::process` and the report.
#![no_main]

use std::io::Read;
use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use tape_audit::aggregate::{Settings, Summary};
use tape_audit::input::{self, InputInfo, Source};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::unless_known(|| run(data));
});

fn run(data: &[u8]) {
    let chunked = common::OwnedChunked {
        data: data.to_vec(),
        pos: 0,
        chunk: common::chunk_for(data),
    };
    // Bounded: a tiny compressed input may inflate to gigabytes.
    let r: Box<dyn Read + Send> = if data.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(chunked).take(4 << 20))
    } else {
        Box::new(chunked)
    };
    let src = if data.len().is_multiple_of(2) {
        Source::File(PathBuf::from("fuzz-input"))
    } else {
        Source::Walked(PathBuf::from("fuzz-input"))
    };
    let max_record = [64, 4096, 64 << 20][data.len() % 3];
    let read = common::read_options(max_record);
    let mut info = InputInfo {
        name: "fuzz-input".into(),
        ..InputInfo::default()
    };
    let mut works = Vec::new();
    let mut skipped = Summary::new(Settings::default());
    input::read_source(
        0,
        &src,
        r,
        &read,
        &mut info,
        &mut |w| works.push(w),
        &mut |loc, reason, detail| skipped.add_skipped(loc, reason, &detail),
    );
    if let Some(e) = &info.error {
        assert!(!e.contains('\n'), "an input error is one line: {e:?}");
        assert!(!e.contains("Os {") && !e.contains("kind:"), "{e:?}");
    }
    works.iter().for_each(|w| {
        w.for_each(|_, rec| {
            if let input::Record::Exchange(ex) = rec {
                common::classify_checked(&ex);
            }
        })
    });
    let mut sum = common::process_all(&works, &read);
    sum.merge(skipped);
    common::check_report(sum, info);
}
