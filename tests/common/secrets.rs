//! The secrets corpus of `testdata/secrets/`, shared by the tests that
//! check outputs for leaks.
// Each test crate that includes this file uses part of it.
#![allow(dead_code)]

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

/// Finds the secrets of the corpus, or 12-character pieces of them, in a
/// text in one pass over it (a lookup of each 12-character window), however
/// many secrets there are: outputs of the whole corpus are megabytes.
pub struct Finder {
    /// Piece -> index of its secret.
    windows: std::collections::HashMap<String, usize>,
    /// Secrets of 12 characters or fewer, looked for whole.
    short: Vec<usize>,
    /// (kind, secret).
    pub secrets: Vec<(String, String)>,
}

impl Finder {
    /// A finder of `secrets` (kind, secret).
    pub fn new(secrets: Vec<(String, String)>) -> Finder {
        let mut windows = std::collections::HashMap::new();
        let mut short = Vec::new();
        for (i, (_, s)) in secrets.iter().enumerate() {
            if s.chars().count() <= 12 {
                short.push(i);
            } else {
                for p in pieces(s).into_iter().skip(1) {
                    windows.entry(p).or_insert(i);
                }
            }
        }
        Finder {
            windows,
            short,
            secrets,
        }
    }

    /// Each secret found in `text`: (index of the secret, byte offset, length).
    pub fn find(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        let mut seen = vec![false; self.secrets.len()];
        for &i in &self.short {
            if let Some(at) = text.find(self.secrets[i].1.as_str()) {
                seen[i] = true;
                found.push((i, at, self.secrets[i].1.len()));
            }
        }
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for (k, &at) in starts.iter().enumerate() {
            if k + 12 > starts.len() {
                break;
            }
            let end = starts.get(k + 12).copied().unwrap_or(text.len());
            if let Some(&i) = self.windows.get(&text[at..end]) {
                if !seen[i] {
                    seen[i] = true;
                    found.push((i, at, end - at));
                }
            }
        }
        found
    }
}
