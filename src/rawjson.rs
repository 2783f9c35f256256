//! Borrowed, lazy JSON objects: a list of keys with their raw values, so a
//! reader looks at the few fields it needs without building a tree.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::jsonscan;

/// A JSON object's members, values left unparsed.
#[derive(Debug, Default, Clone)]
pub struct RawObject<'a> {
    /// Keys (unescaped) and raw values, in document order.
    members: Vec<Member<'a>>,
    /// One bit per key: a path (`PathKey`) whose bits it does not meet
    /// cannot be in the object, and is not looked for.
    mask: Mask,
    /// Where the last member of each of 32 hash slots is (its index plus
    /// one; 0: none, `FULL`: look through the members): a lookup goes
    /// straight to its member instead of comparing hashes one by one.
    slots: [u8; 32],
    /// In debug builds, the keys and paths a filtered tree declared for
    /// this object: looking up any other panics (it would find nothing).
    #[cfg(debug_assertions)]
    declared: Option<Declared>,
}

/// The exact keys and paths a filtered `Tree` level declares (debug builds).
#[cfg(debug_assertions)]
type Declared = std::sync::Arc<std::collections::BTreeSet<String>>;

/// A 256-bit filter of key hashes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Mask([u64; 4]);

impl Mask {
    /// Whether the filter has the bit of hash `h`.
    #[inline(always)]
    fn has(&self, h: u64) -> bool {
        let bit = h >> 56;
        self.0[(bit >> 6) as usize] >> (bit & 63) & 1 == 1
    }

    #[inline(always)]
    fn add_hash(&mut self, h: u64) {
        let bit = h >> 56;
        self.0[(bit >> 6) as usize] |= 1 << (bit & 63);
    }

    /// Whether the two filters share a bit.
    #[inline(always)]
    fn meets(&self, other: &Mask) -> bool {
        (self.0[0] & other.0[0])
            | (self.0[1] & other.0[1])
            | (self.0[2] & other.0[2])
            | (self.0[3] & other.0[3])
            != 0
    }
}

/// A slot index that stands for "look through the members".
const FULL: u8 = u8::MAX;

/// The slot of a key hash in `RawObject::slots` (bits other than `Mask`'s).
#[inline(always)]
fn slot_of(hash: u64) -> usize {
    (hash >> 50) as usize & 31
}

/// A hash of a key, eight bytes at a time: members are compared by hash
/// before their text.
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let n = key.len();
    let word = |i: usize| u64::from_le_bytes(key[i..i + 8].try_into().expect("8 bytes"));
    let half = |i: usize| {
        u64::from(u32::from_le_bytes(
            key[i..i + 4].try_into().expect("4 bytes"),
        ))
    };
    let mut h = n as u64;
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            h = mix(h, word(i));
            i += 8;
        }
        // The last word overlaps the one before when `n` is not a multiple of 8.
        mix(h, word(n - 8))
    } else if n >= 4 {
        mix(h, half(0) << 32 | half(n - 4))
    } else if n > 0 {
        let b = |i: usize| u64::from(key[i]);
        mix(h, b(0) << 16 | b(n / 2) << 8 | b(n - 1))
    } else {
        h
    }
}

/// A dotted path prepared for many lookups: its hashes are computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathKey {
    /// The dotted path.
    pub path: String,
    hash: u64,
    /// Each dot's index with the hash of the prefix before it.
    heads: Vec<(usize, u64)>,
    /// The bits of `hash` and of every head's hash: an object whose filter
    /// has none of them holds neither the path nor any prefix of it.
    bits: Mask,
}

impl PathKey {
    /// Prepares `path`.
    pub fn new(path: &str) -> PathKey {
        let hash = key_hash(path.as_bytes());
        let heads = path
            .match_indices('.')
            .map(|(i, _)| (i, key_hash(&path.as_bytes()[..i])))
            .collect::<Vec<_>>();
        let mut bits = Mask::default();
        bits.add_hash(hash);
        for &(_, h) in &heads {
            bits.add_hash(h);
        }
        PathKey {
            path: path.to_string(),
            hash,
            heads,
            bits,
        }
    }
}

/// The text of one JSON value that the scanner has validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    /// Wraps text the scanner has validated as one JSON value.
    pub(crate) fn new(text: &'a str) -> Raw<'a> {
        Raw(text)
    }

    /// The value's JSON text.
    pub fn get(self) -> &'a str {
        self.0
    }
}

impl<'a> From<&'a RawValue> for Raw<'a> {
    fn from(v: &'a RawValue) -> Raw<'a> {
        Raw(v.get())
    }
}

/// One member of an object: key, raw value and, when the value is an
/// object the caller asked to descend into (`Tree`), its members.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    /// The key, unescaped.
    pub key: Cow<'a, str>,
    /// `key_hash` of the key.
    pub hash: u64,
    /// The value's text.
    pub value: Raw<'a>,
    /// The value's members, parsed in the same pass.
    pub child: Option<Box<RawObject<'a>>>,
}

/// Which nested objects to parse in the same pass as their parent: a key
/// and the tree below it. Built from dotted paths (`Tree::from_paths`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    kids: Vec<(u64, String, Tree)>,
    /// The kids' hash bits: most keys are ruled out without a search.
    mask: Mask,
    /// When set, only members whose key hash meets `keep` are recorded (the
    /// rest are validated and skipped): the keys a reader may look up.
    filter: bool,
    keep: KeepMask,
    /// In debug builds, the exact keys and paths `keep` stands for.
    #[cfg(debug_assertions)]
    declared: Option<Declared>,
}

/// A 1024-bit filter of key hashes (bits other than `Mask`'s): the keys a
/// reader wants are a hundred or more, too many for 256 bits to rule much
/// out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct KeepMask([u64; 16]);

impl KeepMask {
    #[inline(always)]
    fn has(&self, h: u64) -> bool {
        let bit = (h >> 40) & 1023;
        self.0[(bit >> 6) as usize] >> (bit & 63) & 1 == 1
    }

    fn add_hash(&mut self, h: u64) {
        let bit = (h >> 40) & 1023;
        self.0[(bit >> 6) as usize] |= 1 << (bit & 63);
    }
}

impl Tree {
    /// The tree that descends along every way a dotted path can be read:
    /// each prefix before a dot is a key whose object holds the rest.
    ///
    /// Objects parsed with it hold only the members the paths can reach:
    /// looking up any other key or path would find nothing, so in debug
    /// builds it panics instead.
    pub fn from_paths<'p>(paths: impl IntoIterator<Item = &'p str>) -> Tree {
        let mut t = Tree::filtered();
        for p in paths {
            t.add(p);
        }
        t
    }

    fn filtered() -> Tree {
        Tree {
            filter: true,
            ..Tree::default()
        }
    }

    fn add(&mut self, path: &str) {
        self.declare(path);
        for (i, _) in path.match_indices('.') {
            let (head, rest) = (&path[..i], &path[i + 1..]);
            let pos = match self.kids.iter().position(|(_, k, _)| k == head) {
                Some(p) => p,
                None => {
                    let h = key_hash(head.as_bytes());
                    self.mask.add_hash(h);
                    self.kids.push((h, head.to_string(), Tree::filtered()));
                    self.kids.len() - 1
                }
            };
            self.declare(head);
            self.kids[pos].2.add(rest);
        }
    }

    /// Records members named `key` (a whole path, or the head of one).
    fn declare(&mut self, key: &str) {
        self.keep.add_hash(key_hash(key.as_bytes()));
        #[cfg(debug_assertions)]
        std::sync::Arc::make_mut(self.declared.get_or_insert_with(Default::default))
            .insert(key.to_string());
    }

    /// Whether a member with this key hash is recorded.
    #[inline(always)]
    fn keeps(&self, hash: u64) -> bool {
        !self.filter || self.keep.has(hash)
    }

    /// A tree with the given keys to descend into, each with its own tree.
    pub fn with(kids: Vec<(&str, Tree)>) -> Tree {
        let kids: Vec<_> = kids
            .into_iter()
            .map(|(k, t)| (key_hash(k.as_bytes()), k.to_string(), t))
            .collect();
        let mut mask = Mask::default();
        for (h, _, _) in &kids {
            mask.add_hash(*h);
        }
        Tree {
            kids,
            mask,
            filter: false,
            keep: KeepMask::default(),
            #[cfg(debug_assertions)]
            declared: None,
        }
    }

    #[inline]
    fn kid(&self, key: &str, hash: u64) -> Option<&Tree> {
        if !self.mask.has(hash) {
            return None;
        }
        self.kids
            .iter()
            .find(|(h, k, _)| *h == hash && same_key(k, key))
            .map(|(_, _, t)| t)
    }
}

static EMPTY_TREE: Tree = Tree {
    kids: Vec::new(),
    mask: Mask([0; 4]),
    filter: false,
    keep: KeepMask([0; 16]),
    #[cfg(debug_assertions)]
    declared: None,
};

/// Key equality without a library call for the usual short keys (the
/// hashes already matched, so this almost always says yes).
#[inline(always)]
pub(crate) fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    match n {
        0..=7 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// The key of a member the scanner found in `text`, unescaped when needed.
#[inline(always)]
pub(crate) fn member_key<'a>(text: &'a str, m: &jsonscan::MemberAt) -> Cow<'a, str> {
    let inner = &text[m.key.0..m.key.1];
    if m.escaped {
        // A lone surrogate has no UTF-8 form: such a key matches nothing.
        Cow::Owned(unescape(inner, inner.find('\\').unwrap_or(0)).unwrap_or_default())
    } else {
        Cow::Borrowed(inner)
    }
}

/// Scans the object at `start` of `text`, descending into the members that
/// `tree` names. Returns the object and where it ends.
fn scan_object<'a>(
    text: &'a str,
    start: usize,
    depth: u32,
    tree: &Tree,
) -> Result<(RawObject<'a>, usize), jsonscan::Invalid> {
    let b = text.as_bytes();
    let mut obj = RawObject {
        members: Vec::with_capacity(16),
        mask: Mask::default(),
        slots: [0; 32],
        #[cfg(debug_assertions)]
        declared: if tree.filter {
            Some(tree.declared.clone().unwrap_or_default())
        } else {
            None
        },
    };
    let end = jsonscan::object(b, start, depth, |m| {
        let key = member_key(text, &m);
        let hash = key_hash(key.as_bytes());
        if !tree.keeps(hash) {
            return Ok(None);
        }
        let (end, child) = match tree.kid(&key, hash) {
            Some(sub) if b.get(m.value) == Some(&b'{') => {
                let (child, end) = scan_object(text, m.value, m.depth + 1, sub)?;
                (end, Some(Box::new(child)))
            }
            _ => (jsonscan::value(b, m.value)?, None),
        };
        obj.push(Member {
            key,
            hash,
            value: Raw(&text[m.value..end]),
            child,
        });
        Ok(Some(end))
    })?;
    Ok((obj, end))
}

impl<'a> RawObject<'a> {
    /// Parses `text` as an object; `None` when it is not JSON or not an object.
    pub fn parse(text: &'a str) -> Option<RawObject<'a>> {
        Self::parse_tree(text, &EMPTY_TREE)
    }

    /// `parse`, also parsing the nested objects `tree` names in the same pass.
    pub fn parse_tree(text: &'a str, tree: &Tree) -> Option<RawObject<'a>> {
        let b = text.as_bytes();
        let start = jsonscan::skip_ws(b, 0);
        if b.get(start) != Some(&b'{') {
            return None;
        }
        let (obj, end) = scan_object(text, start, 1, tree).ok()?;
        (jsonscan::skip_ws(b, end) == b.len()).then_some(obj)
    }

    /// The last member named `key` (the last one wins, as in most parsers).
    pub fn member(&self, key: &str) -> Option<&Member<'a>> {
        self.check_declared(key);
        self.member_hashed(key, key_hash(key.as_bytes()))
    }

    /// In debug builds, panics when the object was parsed with a filtered
    /// tree that did not declare `key`: the lookup would silently find
    /// nothing, whatever the line holds.
    #[inline(always)]
    fn check_declared(&self, key: &str) {
        #[cfg(debug_assertions)]
        if let Some(declared) = &self.declared {
            assert!(
                declared.contains(key),
                "`{key}` is looked up but not declared in the path tree: it would never be found"
            );
        }
        let _ = key;
    }

    /// Keys and raw values, in document order.
    pub fn members(&self) -> &[Member<'a>] {
        &self.members
    }

    /// Adds a member after the others.
    fn push(&mut self, m: Member<'a>) {
        self.mask.add_hash(m.hash);
        let slot = &mut self.slots[slot_of(m.hash)];
        // Past `FULL - 1` members an index does not fit: such slots are
        // looked through.
        *slot = if *slot == FULL {
            FULL
        } else {
            u8::try_from(self.members.len() + 1)
                .ok()
                .filter(|&i| i < FULL)
                .unwrap_or(FULL)
        };
        self.members.push(m);
    }

    /// The last member named `key`, whose hash is `hash`. The slot names
    /// the last member whose hash falls in it: that one is the answer when
    /// it has the key (a later member with the key would have taken the
    /// slot); when it has another key, the members are looked through.
    #[inline]
    fn member_hashed(&self, key: &str, hash: u64) -> Option<&Member<'a>> {
        match self.slots[slot_of(hash)] {
            0 => None,
            FULL => self.member_scan(key, hash),
            i => {
                let m = &self.members[usize::from(i) - 1];
                if m.hash == hash && same_key(&m.key, key) {
                    Some(m)
                } else {
                    self.member_scan(key, hash)
                }
            }
        }
    }

    #[cold]
    fn member_scan(&self, key: &str, hash: u64) -> Option<&Member<'a>> {
        self.members
            .iter()
            .rev()
            .find(|m| m.hash == hash && same_key(&m.key, key))
    }

    /// The value of the last member named `key`.
    pub fn get(&self, key: &str) -> Option<Raw<'a>> {
        self.member(key).map(|m| m.value)
    }

    /// The members of the object under `key`: parsed already when the tree
    /// asked for it, else parsed now.
    pub fn object(&self, key: &str) -> Option<Cow<'_, RawObject<'a>>> {
        let m = self.member(key)?;
        match &m.child {
            Some(c) => Some(Cow::Borrowed(c.as_ref())),
            None => as_object(m.value).map(Cow::Owned),
        }
    }

    /// Resolves a dotted path. A literal key that contains dots wins over
    /// nesting (`"http.response.status_code"` as one flat key), then the path
    /// is split at each dot in turn and the rest looked up in the nested object.
    pub fn path(&self, path: &str) -> Option<Raw<'a>> {
        self.check_declared(path);
        let heads = path
            .match_indices('.')
            .map(|(i, _)| (i, key_hash(&path.as_bytes()[..i])));
        self.resolve(path, key_hash(path.as_bytes()), heads)
    }

    /// `path` with the hashes prepared once (candidate paths of a shape).
    /// Most candidates are absent from a line: the filter rules them out
    /// here, inlined into the caller's loop, without a call.
    #[inline(always)]
    pub fn find(&self, k: &PathKey) -> Option<Raw<'a>> {
        self.check_declared(&k.path);
        if !self.mask.meets(&k.bits) {
            return None;
        }
        self.resolve(&k.path, k.hash, k.heads.iter().copied())
    }

    /// Looks `path` up, given its hash and each dot's index with the hash
    /// of the part before it; the key filter rules out most absent keys
    /// without a search.
    #[inline(never)]
    fn resolve(
        &self,
        path: &str,
        hash: u64,
        heads: impl Iterator<Item = (usize, u64)>,
    ) -> Option<Raw<'a>> {
        if self.mask.has(hash) {
            if let Some(m) = self.member_hashed(path, hash) {
                return Some(m.value);
            }
        }
        for (i, h) in heads {
            if !self.mask.has(h) {
                continue;
            }
            let Some(m) = self.member_hashed(&path[..i], h) else {
                continue;
            };
            let rest = &path[i + 1..];
            let found = match &m.child {
                Some(c) => c.path(rest),
                None => as_object(m.value).and_then(|o| o.path(rest)),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// The first non-whitespace byte of a raw value.
pub fn first_byte(v: Raw<'_>) -> u8 {
    v.get().as_bytes().first().copied().unwrap_or(b' ')
}

/// A raw value as an object, when it is one.
pub fn as_object(v: Raw<'_>) -> Option<RawObject<'_>> {
    if first_byte(v) == b'{' {
        RawObject::parse(v.get())
    } else {
        None
    }
}

/// The elements of a raw value, when it is an array.
pub fn as_array(v: Raw<'_>) -> Option<Vec<Raw<'_>>> {
    let text = v.get();
    let b = text.as_bytes();
    let mut items = Vec::new();
    jsonscan::array(b, 0, 1, |i| {
        let end = jsonscan::value(b, i)?;
        items.push(Raw(&text[i..end]));
        Ok(Some(end))
    })
    .ok()?;
    Some(items)
}

/// A raw value as a string, when it is one (unescaped lazily).
pub fn as_str(v: Raw<'_>) -> Option<Cow<'_, str>> {
    if first_byte(v) != b'"' {
        return None;
    }
    let inner = &v.get()[1..v.get().len() - 1];
    match memchr::memchr(b'\\', inner.as_bytes()) {
        None => Some(Cow::Borrowed(inner)),
        Some(first) => unescape(inner, first).map(Cow::Owned),
    }
}

/// Unescapes the inside of a string literal the scanner has validated,
/// whose first backslash is at `first`. `None` for a lone surrogate, which
/// has no UTF-8 form (as in `serde_json`).
fn unescape(inner: &str, first: usize) -> Option<String> {
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    out.push_str(&inner[..first]);
    let mut i = first;
    let hex = |i: usize| u32::from_str_radix(inner.get(i..i + 4)?, 16).ok();
    while i < b.len() {
        // `b[i]` is a backslash; the escape is valid (the scanner checked).
        let c = b.get(i + 1).copied()?;
        i += 2;
        let ch = match c {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => {
                let hi = hex(i)?;
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    let lo = match inner.get(i..i + 2) {
                        Some("\\u") => hex(i + 2)?,
                        _ => return None,
                    };
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                char::from_u32(code)?
            }
            other => char::from(other),
        };
        out.push(ch);
        let next = memchr::memchr(b'\\', &b[i..]).map_or(b.len(), |k| i + k);
        out.push_str(&inner[i..next]);
        i = next;
    }
    Some(out)
}

/// A raw value as a number, when it is a JSON number.
pub fn as_f64(v: Raw<'_>) -> Option<f64> {
    match first_byte(v) {
        b'-' | b'0'..=b'9' => v.get().parse().ok(),
        _ => None,
    }
}

/// An HTTP status from a number or a numeric string (`"405"`).
pub fn as_status(v: Raw<'_>) -> Option<u16> {
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
    fn unescapes_like_serde_json() {
        for lit in [
            r#""plain""#,
            r#""a\"b\\c\/d\n\t\r\b\f""#,
            r#""\u00e9\u2713 \ud83d\ude00 end""#,
            r#""\ud83d""#,
            r#""\ude00x""#,
            r#""\ud83d\u0041""#,
            r#""é\"✓""#,
        ] {
            let doc = format!(r#"{{"k":{lit}}}"#);
            let o = RawObject::parse(&doc).unwrap();
            let ours = as_str(o.get("k").unwrap()).map(|c| c.into_owned());
            let theirs = serde_json::from_str::<String>(lit).ok();
            assert_eq!(ours, theirs, "{lit}");
        }
    }

    #[test]
    fn a_path_tree_keeps_only_what_its_paths_reach() {
        let text = r#"{"a":1,"b.c":2,"b":{"c":3,"d":4,"e":5},"x":{"y":6},"z":[7]}"#;
        let tree = Tree::from_paths(["b.c", "b.d", "z", "x"]);
        let obj = RawObject::parse_tree(text, &tree).unwrap();
        // A flat key with dots wins over nesting; nested paths still resolve.
        assert_eq!(obj.path("b.c").map(Raw::get), Some("2"));
        assert_eq!(obj.path("b.d").map(Raw::get), Some("4"));
        assert_eq!(obj.get("z").map(Raw::get), Some("[7]"));
        // A declared key holding an object is kept whole.
        let x = obj.object("x").unwrap();
        assert_eq!(x.get("y").map(Raw::get), Some("6"));
        // Keys no path reaches are not recorded (in release builds the
        // lookup finds nothing; in debug builds it panics, see below).
        #[cfg(not(debug_assertions))]
        {
            assert_eq!(obj.get("a"), None);
            assert_eq!(obj.path("b.e"), None);
        }
        assert!(obj.members().iter().all(|m| m.key != "a"));
        // Invalid JSON in a dropped member still fails the whole object.
        assert!(RawObject::parse_tree(r#"{"a":01,"z":1}"#, &tree).is_none());
        // Trees built by hand, and the default, keep everything.
        let all = RawObject::parse_tree(text, &Tree::default()).unwrap();
        assert_eq!(all.get("a").map(Raw::get), Some("1"));
        let with = Tree::with(vec![("b", Tree::default())]);
        let obj = RawObject::parse_tree(text, &with).unwrap();
        assert_eq!(obj.path("b.e").map(Raw::get), Some("5"));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "`a` is looked up but not declared")]
    fn an_undeclared_key_panics_in_debug_builds() {
        let tree = Tree::from_paths(["b.c"]);
        let obj = RawObject::parse_tree(r#"{"a":1,"b":{"c":2}}"#, &tree).unwrap();
        assert_eq!(obj.path("b.c").map(Raw::get), Some("2"));
        obj.get("a");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "`d` is looked up but not declared")]
    fn an_undeclared_nested_key_panics_in_debug_builds() {
        let tree = Tree::from_paths(["b.c"]);
        let obj = RawObject::parse_tree(r#"{"b":{"c":2,"d":3}}"#, &tree).unwrap();
        obj.object("b").unwrap().get("d");
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// A lookup finds the last member with the key, as a scan from the
        /// end would, whatever the keys share (slots, duplicates) and
        /// however many members there are (past the slot index's 254).
        #[test]
        fn a_lookup_finds_the_last_member_with_the_key(
            keys in proptest::collection::vec(0u16..400, 0..600),
            probes in proptest::collection::vec(0u16..420, 1..40),
        ) {
            let name = |k: u16| format!("k{k}");
            let text = format!(
                "{{{}}}",
                keys.iter()
                    .enumerate()
                    .map(|(i, &k)| format!("\"{}\":{i}", name(k)))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let obj = RawObject::parse(&text).unwrap();
            for p in probes.iter().copied().chain(keys.iter().copied().take(20)) {
                let want = keys.iter().rposition(|&k| k == p).map(|i| i.to_string());
                let got = obj.get(&name(p)).map(|v| v.get().to_string());
                proptest::prop_assert_eq!(got, want, "key {}", name(p));
            }
        }
    }
}
