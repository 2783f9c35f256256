//! Borrowed, lazy JSON objects: a list of keys with their raw values, so a
//! reader looks at the few fields it needs without building a tree.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON object's members, values left unparsed.
#[derive(Debug, Default)]
pub struct RawObject<'a> {
    /// Keys (unescaped) and raw values, in document order.
    pub members: Vec<(Cow<'a, str>, &'a RawValue)>,
    /// One bit per key (`key_bit`): a path whose `path_mask` shares no bit
    /// with it cannot be in the object, and is not looked for.
    pub mask: Mask,
}

/// A 256-bit filter of key hashes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Mask([u64; 4]);

impl Mask {
    /// Every bit set: rules nothing out.
    pub const ALL: Mask = Mask([u64::MAX; 4]);

    /// Whether the two filters share a bit.
    pub fn meets(self, other: Mask) -> bool {
        self.0.iter().zip(other.0).any(|(a, b)| a & b != 0)
    }

    fn add(&mut self, other: Mask) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }
}

/// The filter bit of a key (FNV-1a, folded to 8 bits).
pub fn key_bit(key: &str) -> Mask {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    let bit = ((h ^ (h >> 29)) & 255) as usize;
    let mut m = Mask::default();
    m.0[bit / 64] = 1 << (bit % 64);
    m
}

/// The bits of every top-level key a dotted path could start with: the
/// whole path as one flat key, and each prefix before a dot.
pub fn path_mask(path: &str) -> Mask {
    let mut m = key_bit(path);
    for (i, _) in path.match_indices('.') {
        m.add(key_bit(&path[..i]));
    }
    m
}

struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
        }
        d.deserialize_str(V).map(Key)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut members = Vec::with_capacity(m.size_hint().unwrap_or(16));
                let mut mask = Mask::default();
                while let Some(Key(k)) = m.next_key::<Key<'de>>()? {
                    let v: &'de RawValue = m.next_value()?;
                    mask.add(key_bit(&k));
                    members.push((k, v));
                }
                Ok(RawObject { members, mask })
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> RawObject<'a> {
    /// Parses `text` as an object; `None` when it is not JSON or not an object.
    pub fn parse(text: &'a str) -> Option<RawObject<'a>> {
        serde_json::from_str(text).ok()
    }

    /// The last member named `key` (the last one wins, as in most parsers).
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
    }

    /// Resolves a dotted path. A literal key that contains dots wins over
    /// nesting (`"http.response.status_code"` as one flat key), then the path
    /// is split at each dot in turn and the rest looked up in the nested object.
    pub fn path(&self, path: &str) -> Option<&'a RawValue> {
        self.path_masked(path, Mask::ALL)
    }

    /// `path`, skipped at once when `mask` (from `path_mask`) rules it out.
    pub fn path_masked(&self, path: &str, mask: Mask) -> Option<&'a RawValue> {
        if !self.mask.meets(mask) {
            return None;
        }
        if let Some(v) = self.get(path) {
            return Some(v);
        }
        for (i, _) in path.match_indices('.') {
            let (head, rest) = (&path[..i], &path[i + 1..]);
            if let Some(v) = self.get(head) {
                if let Some(inner) = as_object(v) {
                    if let Some(found) = inner.path(rest) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }
}

/// The first non-whitespace byte of a raw value.
pub fn first_byte(v: &RawValue) -> u8 {
    v.get().as_bytes().first().copied().unwrap_or(b' ')
}

/// A raw value as an object, when it is one.
pub fn as_object(v: &RawValue) -> Option<RawObject<'_>> {
    if first_byte(v) == b'{' {
        RawObject::parse(v.get())
    } else {
        None
    }
}

/// A raw value as a string, when it is one (unescaped lazily).
pub fn as_str(v: &RawValue) -> Option<Cow<'_, str>> {
    if first_byte(v) != b'"' {
        return None;
    }
    let inner = &v.get()[1..v.get().len() - 1];
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(v.get()).ok().map(Cow::Owned)
}

/// A raw value as a number, when it is a JSON number.
pub fn as_f64(v: &RawValue) -> Option<f64> {
    match first_byte(v) {
        b'-' | b'0'..=b'9' => v.get().parse().ok(),
        _ => None,
    }
}

/// An HTTP status from a number or a numeric string (`"405"`).
pub fn as_status(v: &RawValue) -> Option<u16> {
    let n = match first_byte(v) {
        b'"' => as_str(v)?.trim().parse::<u32>().ok()?,
        b'0'..=b'9' => v.get().parse::<u32>().ok()?,
        _ => return None,
    };
    u16::try_from(n).ok().filter(|&s| s <= 999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_flat_and_nested() {
        let flat = RawObject::parse(r#"{"http.response.status_code":404}"#).unwrap();
        assert_eq!(flat.path("http.response.status_code").unwrap().get(), "404");
        let nested = RawObject::parse(r#"{"http":{"response":{"status_code":400}}}"#).unwrap();
        assert_eq!(
            nested.path("http.response.status_code").unwrap().get(),
            "400"
        );
        let mixed = RawObject::parse(r#"{"http":{"response.status_code":401}}"#).unwrap();
        assert_eq!(
            mixed.path("http.response.status_code").unwrap().get(),
            "401"
        );
        assert!(nested.path("http.request").is_none());
    }

    #[test]
    fn scalars() {
        let o = RawObject::parse(r#"{"a":"405","b":200,"c":"x\"y","d":null,"e":1e3}"#).unwrap();
        assert_eq!(as_status(o.get("a").unwrap()), Some(405));
        assert_eq!(as_status(o.get("b").unwrap()), Some(200));
        assert_eq!(as_str(o.get("c").unwrap()).unwrap(), "x\"y");
        assert_eq!(as_status(o.get("d").unwrap()), None);
        assert_eq!(as_status(o.get("e").unwrap()), None);
        assert!(RawObject::parse("[1]").is_none());
        assert!(RawObject::parse("{").is_none());
    }
}
