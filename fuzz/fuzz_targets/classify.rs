//! The classifier on an arbitrary status, Content-Type and body.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use tape_audit::exchange::{Body, Exchange};

#[path = "common.rs"]
mod common;

const TYPES: &[&str] = &[
    "application/json",
    "application/problem+json; charset=utf-8",
    "text/html",
    "",
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let raw_status = u16::from_le_bytes([data[0], data[1]]);
    // Mostly plausible statuses, sometimes anything.
    let status = match data[2] % 4 {
        0 => None,
        1 => Some(raw_status),
        _ => Some(raw_status % 600),
    };
    let flags = data[3];
    let rest = &data[4..];
    let (ct, body) = if flags & 0x10 != 0 {
        let n = (flags as usize & 0x0f).min(rest.len());
        (
            Some(String::from_utf8_lossy(&rest[..n]).into_owned()),
            &rest[n..],
        )
    } else {
        (
            TYPES.get(flags as usize & 0x07).map(|s| s.to_string()),
            rest,
        )
    };
    let body = if flags & 0x80 != 0 {
        Body::Missing
    } else {
        Body::Text(String::from_utf8_lossy(body))
    };
    let ex = Exchange {
        status,
        body,
        content_type: ct.map(Cow::Owned),
        ..Exchange::default()
    };
    let v = common::classify_checked(&ex);
    let _ = v.class.name();
});
