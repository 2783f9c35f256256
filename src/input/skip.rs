//! Why a record could not be read: one closed set of reasons, each with the
//! stable name that reports, partials and baselines show.

use std::fmt;

/// Why a record was skipped. `name()` is the key reports use; it never
/// changes for an existing reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// The record is not valid UTF-8.
    InvalidUtf8,
    /// A log event without a response status (not an HTTP response).
    NoStatus,
    /// The input ends inside the record.
    Truncated,
    /// The record is longer than `--max-record-mib`.
    TooLarge,
    /// A HAR entry that is not a JSON object.
    EntryNotObject,
    /// A record that starts as JSON but is not valid JSON.
    InvalidJson,
    /// A HAR entry whose parts have the wrong types.
    MalformedEntry,
    /// A line that is JSON but not an object (an array, a string, a number).
    NotObject,
    /// A line that is not JSON at all.
    NotJson,
}

impl SkipReason {
    /// Every reason, in declaration order.
    pub const ALL: [SkipReason; 9] = [
        SkipReason::InvalidUtf8,
        SkipReason::NoStatus,
        SkipReason::Truncated,
        SkipReason::TooLarge,
        SkipReason::EntryNotObject,
        SkipReason::InvalidJson,
        SkipReason::MalformedEntry,
        SkipReason::NotObject,
        SkipReason::NotJson,
    ];

    /// The name used in reports (`invalid_json`, `no_status` ...).
    pub fn name(self) -> &'static str {
        match self {
            SkipReason::InvalidUtf8 => "invalid_utf8",
            SkipReason::NoStatus => "no_status",
            SkipReason::Truncated => "truncated",
            SkipReason::TooLarge => "too_large",
            SkipReason::EntryNotObject => "entry_not_object",
            SkipReason::InvalidJson => "invalid_json",
            SkipReason::MalformedEntry => "malformed_entry",
            SkipReason::NotObject => "not_object",
            SkipReason::NotJson => "not_json",
        }
    }

    /// The reason of a name, as `name()` gives it.
    pub fn from_name(s: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.name() == s)
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for SkipReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for SkipReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SkipReason, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        SkipReason::from_name(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown skip reason `{s}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in SkipReason::ALL {
            assert_eq!(SkipReason::from_name(r.name()), Some(r));
            let j = serde_json::to_string(&r).unwrap();
            assert_eq!(j, format!("\"{}\"", r.name()));
            assert_eq!(serde_json::from_str::<SkipReason>(&j).unwrap(), r);
        }
        assert_eq!(SkipReason::from_name("nope"), None);
    }
}
