//! The secrets corpus of `testdata/secrets/`, shared by the tests that
//! check outputs for leaks.

use std::path::PathBuf;

/// (kind, secret) from `testdata/secrets/secrets.txt`.
pub fn secrets() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/secrets/secrets.txt");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, s) = l.split_once('\t').unwrap();
            (k.to_string(), s.replace("\\n", "\n"))
        })
        .collect()
}

/// The pieces of a secret that must not appear: the whole, and every
/// 12-character window of it (half a token is a leak too).
pub fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    let mut v = vec![secret.to_string()];
    if chars.len() > 12 {
        for w in chars.windows(12) {
            v.push(w.iter().collect());
        }
    }
    v
}
