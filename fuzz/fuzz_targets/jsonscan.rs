//! The validating JSON scanner against serde_json: the same texts are JSON
//! (serde_json alone refuses nesting past 128, which the scanner reads), an
//! object's members hold the same raw values, strings unescape the same,
//! and the streaming container skipper ends where serde_json's value ends,
//! whatever the piece sizes.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;
use tape_audit::jsonscan;
use tape_audit::rawjson::{as_str, RawObject};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = jsonscan::is_json(data);
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => assert!(ours, "serde_json reads it, the scanner does not"),
        Err(e) => assert!(
            !ours || e.to_string().contains("recursion limit"),
            "the scanner reads what serde_json refuses: {e}"
        ),
    }
    if let Ok(map) = serde_json::from_str::<BTreeMap<String, &RawValue>>(text) {
        let obj = RawObject::parse(text).expect("an object serde_json reads");
        for (k, v) in &map {
            let raw = obj.get(k).expect("every key");
            assert_eq!(raw.get(), v.get());
            if v.get().starts_with('"') {
                let ours = as_str(raw).map(|c| c.into_owned());
                assert_eq!(ours, serde_json::from_str::<String>(v.get()).ok());
            }
        }
    }
    // The container skipper (no validation) on valid arrays and objects.
    let t = text.trim_start_matches([' ', '\n', '\r', '\t']);
    if ours && (t.starts_with('{') || t.starts_with('[')) {
        let whole = t.trim_end_matches([' ', '\n', '\r', '\t']).len();
        let piece = 1 + data.len() % 97;
        let end = jsonscan::container_end_in_pieces(t.as_bytes(), piece);
        assert_eq!(end, Some(whole));
    }
});
