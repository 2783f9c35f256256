//! Catalog parsers on arbitrary UTF-8: no panic, and whatever parses is a
//! valid catalog that survives a JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tape_audit::catalog::{self, Catalog};

fuzz_target!(|text: &str| {
    let any = catalog::parse_any(text, "fuzz.md");
    let _ = catalog::parse_markdown(text, "fuzz.md");
    let _ = catalog::parse_json(text, "fuzz.json");
    let _ = catalog::parse_toml(text, "fuzz.toml");
    match any {
        Ok(entries) => {
            for e in &entries {
                assert!((100..=599).contains(&e.status), "{e:?}");
                assert!(!e.error_code.trim().is_empty(), "{e:?}");
            }
            let cat = Catalog::new("fuzz", entries);
            for e in cat.entries() {
                assert!(cat.get(e.status, &e.error_code).is_some());
                let _ = cat.near_miss(&e.error_code);
            }
            // What `catalog --format json` prints reads back as the same catalog.
            let json = cat.to_json();
            let back = catalog::parse_json(&json, "round-trip.json").expect("to_json reads back");
            assert_eq!(back, cat.entries());
        }
        Err(e) => {
            let msg = e.to_string();
            // (TOML messages may hold a newline; the CLI escapes it.)
            assert!(!msg.is_empty());
            assert!(msg.starts_with("fuzz.md"), "{msg}");
        }
    }
});
