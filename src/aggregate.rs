//! The aggregate of a run: counters, time span, first locators. A `Summary`
//! of any part of the input merges with any other part; `Default` is the
//! identity and `merge` is associative and commutative, so results cannot
//! depend on how the input was split across chunks, files or threads.

use std::collections::{BTreeMap, HashMap};

use crate::classify::{Class, Verdict, Violation};
use crate::exchange::Locator;

/// How many example locators each finding keeps (the first ones in input order).
pub const EXAMPLES: usize = 5;

/// The smallest `EXAMPLES` locators seen, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Examples(pub Vec<Locator>);

impl Examples {
    /// Offers a locator; kept when it is among the first few.
    pub fn offer(&mut self, loc: Locator) {
        let v = &mut self.0;
        if v.len() == EXAMPLES {
            if loc >= v[EXAMPLES - 1] {
                return;
            }
            v.pop();
        }
        let at = v.partition_point(|l| *l < loc);
        if v.get(at) != Some(&loc) {
            v.insert(at, loc);
        }
    }

    fn merge(&mut self, other: Examples) {
        for l in other.0 {
            self.offer(l);
        }
    }
}

/// A count with its first locators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// The first few, in input order.
    pub examples: Examples,
}

impl Tally {
    fn add(&mut self, loc: Locator) {
        self.count += 1;
        self.examples.offer(loc);
    }

    fn merge(&mut self, other: Tally) {
        self.count += other.count;
        self.examples.merge(other.examples);
    }
}

/// A skip reason's count, with the detail of its first occurrences.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipTally {
    /// How many records were skipped for this reason.
    pub count: u64,
    /// The first few, with what was wrong.
    pub first: Vec<(Locator, String)>,
}

/// Records, responses and skips of one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileTotals {
    /// Records read (HAR entries, non-blank lines, JSON values).
    pub records: u64,
    /// Records that carried an exchange and got a class.
    pub responses: u64,
    /// Records that could not be read.
    pub skipped: u64,
}

/// Key of the per-(status, code, class) table. `code` is empty when no code
/// could be read (an empty code is a violation and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeKey {
    /// HTTP status (0 for no response).
    pub status: u16,
    /// Class of the responses counted.
    pub class: Class,
    /// The `error_code`, or empty.
    pub code: String,
}

/// The aggregate of any part of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Per input (by index in the run's input list).
    pub files: BTreeMap<u32, FileTotals>,
    /// Counts per class, indexed by `Class as usize`.
    pub classes: [u64; 8],
    /// Envelope violations by kind, indexed by `Violation as usize`.
    pub violations: [Tally; 8],
    /// Counts per (status, class) then per code.
    codes: HashMap<(u16, Class), HashMap<String, Tally>>,
    /// Error statuses the catalog never mentions.
    pub undocumented_statuses: BTreeMap<u16, Tally>,
    /// Bodies whose numeric `status_code` differs from the HTTP status.
    pub body_status_mismatch: Tally,
    /// JSON error bodies sent with a non-JSON Content-Type.
    pub json_with_non_json_type: Tally,
    /// Skipped records by reason.
    pub skipped: BTreeMap<String, SkipTally>,
    /// Earliest and latest timestamp seen (epoch ms).
    pub first_ms: Option<i64>,
    /// Latest timestamp seen.
    pub last_ms: Option<i64>,
}

impl Summary {
    fn file(&mut self, file: u32) -> &mut FileTotals {
        self.files.entry(file).or_default()
    }

    /// Counts a record that could not be read.
    pub fn add_skipped(&mut self, loc: Locator, reason: &str, detail: String) {
        let f = self.file(loc.file);
        f.records += 1;
        f.skipped += 1;
        let t = match self.skipped.get_mut(reason) {
            Some(t) => t,
            None => self.skipped.entry(reason.to_string()).or_default(),
        };
        t.count += 1;
        if t.first.len() < EXAMPLES || loc < t.first[EXAMPLES - 1].0 {
            insert_first(&mut t.first, (loc, detail));
        }
    }

    /// Counts a classified exchange.
    pub fn add(&mut self, loc: Locator, v: &Verdict<'_>, time_ms: Option<i64>) {
        let f = self.file(loc.file);
        f.records += 1;
        f.responses += 1;
        self.classes[v.class as usize] += 1;
        if let Some(viol) = v.violation {
            self.violations[viol as usize].add(loc);
        }
        let group = self.codes.entry((v.status, v.class)).or_default();
        let code = v.code.as_deref().unwrap_or("");
        let tally = match group.get_mut(code) {
            Some(t) => t,
            None => group.entry(code.to_string()).or_default(),
        };
        if v.class == Class::Ok {
            tally.count += 1;
        } else {
            tally.add(loc);
        }
        if v.undocumented_status {
            self.undocumented_statuses
                .entry(v.status)
                .or_default()
                .add(loc);
        }
        if v.body_status_code.is_some() {
            self.body_status_mismatch.add(loc);
        }
        if v.json_with_non_json_type {
            self.json_with_non_json_type.add(loc);
        }
        if let Some(t) = time_ms {
            self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
            self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
        }
    }

    /// Folds another summary into this one.
    pub fn merge(&mut self, other: Summary) {
        for (k, t) in other.files {
            let f = self.file(k);
            f.records += t.records;
            f.responses += t.responses;
            f.skipped += t.skipped;
        }
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        for (a, b) in self.violations.iter_mut().zip(other.violations) {
            a.merge(b);
        }
        for (k, group) in other.codes {
            let mine = self.codes.entry(k).or_default();
            for (code, t) in group {
                mine.entry(code).or_default().merge(t);
            }
        }
        for (k, t) in other.undocumented_statuses {
            self.undocumented_statuses.entry(k).or_default().merge(t);
        }
        self.body_status_mismatch.merge(other.body_status_mismatch);
        self.json_with_non_json_type
            .merge(other.json_with_non_json_type);
        for (k, t) in other.skipped {
            let mine = self.skipped.entry(k).or_default();
            mine.count += t.count;
            for item in t.first {
                insert_first(&mut mine.first, item);
            }
        }
        self.first_ms = min_opt(self.first_ms, other.first_ms, i64::min);
        self.last_ms = min_opt(self.last_ms, other.last_ms, i64::max);
    }

    /// Records read, over all inputs.
    pub fn records(&self) -> u64 {
        self.files.values().map(|f| f.records).sum()
    }

    /// Records that got a class.
    pub fn responses(&self) -> u64 {
        self.files.values().map(|f| f.responses).sum()
    }

    /// Records that could not be read.
    pub fn skipped_count(&self) -> u64 {
        self.files.values().map(|f| f.skipped).sum()
    }

    /// Responses with an error status (400 and up).
    pub fn error_responses(&self) -> u64 {
        Class::ALL
            .iter()
            .filter(|c| c.is_error())
            .map(|&c| self.classes[c as usize])
            .sum()
    }

    /// Count of one class.
    pub fn class(&self, c: Class) -> u64 {
        self.classes[c as usize]
    }

    /// Tally of one violation kind.
    pub fn violation(&self, v: Violation) -> &Tally {
        &self.violations[v as usize]
    }

    /// The (status, class, code) table, sorted by status, class, then code.
    pub fn codes(&self) -> Vec<(CodeKey, &Tally)> {
        let mut rows: Vec<(CodeKey, &Tally)> = self
            .codes
            .iter()
            .flat_map(|(&(status, class), group)| {
                group.iter().map(move |(code, t)| {
                    (
                        CodeKey {
                            status,
                            class,
                            code: code.clone(),
                        },
                        t,
                    )
                })
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }
}

fn insert_first(v: &mut Vec<(Locator, String)>, item: (Locator, String)) {
    if v.iter().any(|(l, _)| *l == item.0) {
        return;
    }
    let at = v.partition_point(|(l, _)| *l < item.0);
    if at >= EXAMPLES {
        return;
    }
    v.insert(at, item);
    v.truncate(EXAMPLES);
}

fn min_opt(a: Option<i64>, b: Option<i64>, f: fn(i64, i64) -> i64) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::classify::classify;
    use crate::exchange::{Body, Exchange};

    fn summary_of(items: &[(u64, u16, &str)]) -> Summary {
        let cat = Catalog::builtin();
        let mut s = Summary::default();
        for &(i, status, body) in items {
            let loc = Locator { file: 0, index: i };
            if status == 999 {
                s.add_skipped(loc, "not_json", format!("line {i}"));
                continue;
            }
            let ex = Exchange {
                status: Some(status),
                body: Body::Text(body.into()),
                time_ms: Some(i as i64 * 1000),
                ..Exchange::default()
            };
            s.add(loc, &classify(&ex, &cat), ex.time_ms);
        }
        s
    }

    #[test]
    fn merge_is_order_free() {
        let env = r#"{"error_code":"not_found","error_message":"x"}"#;
        let items: Vec<(u64, u16, &str)> = (0..40)
            .map(|i| match i % 5 {
                0 => (i, 404, env),
                1 => (i, 200, "{}"),
                2 => (i, 502, "<html>"),
                3 => (i, 999, ""),
                _ => (i, 409, env),
            })
            .collect();
        let whole = summary_of(&items);
        for split in [1, 7, 13, 39] {
            let (a, b) = items.split_at(split);
            let mut ab = summary_of(a);
            ab.merge(summary_of(b));
            let mut ba = summary_of(b);
            ba.merge(summary_of(a));
            assert_eq!(ab, whole);
            assert_eq!(ba, whole);
        }
        let mut id = Summary::default();
        id.merge(whole.clone());
        assert_eq!(id, whole);
        assert_eq!(whole.records(), whole.responses() + whole.skipped_count());
        assert_eq!(whole.class(Class::Documented), 8);
        assert_eq!(whole.violation(Violation::NotJson).count, 8);
        assert_eq!(
            whole.undocumented_statuses[&502].examples.0[0],
            Locator { file: 0, index: 2 }
        );
        assert_eq!(whole.skipped["not_json"].first.len(), EXAMPLES);
    }
}
