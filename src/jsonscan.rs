//! A validating JSON scanner. It accepts exactly what `serde_json` accepts
//! (RFC 8259: no trailing commas, no comments, strict numbers, no control
//! characters or unknown escapes in strings; nesting of any depth, without
//! recursion) and reports where each value ends, without building anything.
//!
//! Strings are most of the bytes of traffic logs (escaped response bodies),
//! so they are scanned 64 bytes at a time: one pass yields bit masks of
//! quotes, backslashes and control characters, and the escaped positions are
//! worked out from the backslash mask with integer arithmetic, however dense
//! the escapes are. The masks come from AVX2 where the CPU has it (detected
//! at run time), else from SSE2 (every x86_64) or plain code elsewhere. The
//! plain code is compiled on every target, so tests compare all three.
//!
//! Every public function is total: any bytes, any start index (past the
//! end included), any piece size give an answer, never a panic.

/// Deepest nesting of objects scanned member by member (`object`), which
/// recurse; values that are only skipped may nest to any depth.
pub const MAX_DEPTH: u32 = 128;

/// Where the text stopped being JSON (a byte offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid(pub usize);

/// A scan result: the end of what was scanned.
pub type Scan<T> = Result<T, Invalid>;

/// Skips JSON whitespace from `i`.
#[inline]
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            break;
        }
        i += 1;
    }
    i
}

/// Whether `text` is exactly one JSON value, with optional whitespace around.
pub fn is_json(text: &[u8]) -> bool {
    let i = skip_ws(text, 0);
    matches!(value(text, i), Ok(end) if skip_ws(text, end) == text.len())
}

/// Validates the value at `i` (no leading whitespace) and returns its end.
/// Nested arrays and objects are walked with an explicit stack.
pub fn value(b: &[u8], i: usize) -> Scan<usize> {
    match b.get(i) {
        Some(b'{' | b'[') => container(b, i),
        _ => scalar(b, i),
    }
}

fn scalar(b: &[u8], i: usize) -> Scan<usize> {
    match b.get(i) {
        Some(b'"') => string(b, i).map(|(end, _)| end),
        Some(b't') => literal(b, i, b"true"),
        Some(b'f') => literal(b, i, b"false"),
        Some(b'n') => literal(b, i, b"null"),
        Some(b'-' | b'0'..=b'9') => number(b, i),
        _ => Err(Invalid(i)),
    }
}

/// Open containers, one bit each (1: object), 64 inline, more on the heap.
#[derive(Default)]
struct Stack {
    low: u64,
    high: Vec<u64>,
    depth: usize,
}

impl Stack {
    fn push(&mut self, object: bool) {
        let d = self.depth;
        let word = if d < 64 {
            &mut self.low
        } else {
            let k = d / 64 - 1;
            if self.high.len() <= k {
                self.high.push(0);
            }
            &mut self.high[k]
        };
        let bit = 1u64 << (d % 64);
        if object {
            *word |= bit;
        } else {
            *word &= !bit;
        }
        self.depth += 1;
    }

    fn top_is_object(&self) -> bool {
        let d = self.depth - 1;
        let word = if d < 64 {
            self.low
        } else {
            self.high[d / 64 - 1]
        };
        word >> (d % 64) & 1 == 1
    }
}

/// Skips the array or object at `i` and everything inside it.
fn container(b: &[u8], mut i: usize) -> Scan<usize> {
    let mut stack = Stack::default();
    // Invariant at the top of the loop: `i` is at the start of a value.
    loop {
        match b.get(i) {
            Some(&open @ (b'{' | b'[')) => {
                let object = open == b'{';
                stack.push(object);
                i = skip_ws(b, i + 1);
                // `}` and `]` are two past `{` and `[`.
                if b.get(i) == Some(&(open + 2)) {
                    i += 1;
                    stack.depth -= 1;
                } else {
                    if object {
                        i = key(b, i)?;
                    }
                    continue;
                }
            }
            _ => i = scalar(b, i)?,
        }
        // After a value: close containers or move to the next member.
        loop {
            if stack.depth == 0 {
                return Ok(i);
            }
            i = skip_ws(b, i);
            let object = stack.top_is_object();
            match b.get(i) {
                Some(b',') if object => {
                    i = key(b, skip_ws(b, i + 1))?;
                    break;
                }
                Some(b',') => {
                    i = skip_ws(b, i + 1);
                    break;
                }
                Some(b'}') if object => {
                    i += 1;
                    stack.depth -= 1;
                }
                Some(b']') if !object => {
                    i += 1;
                    stack.depth -= 1;
                }
                _ => return Err(Invalid(i)),
            }
        }
    }
}

/// Scans `"key":` at `i` and returns where the member's value starts.
fn key(b: &[u8], i: usize) -> Scan<usize> {
    if b.get(i) != Some(&b'"') {
        return Err(Invalid(i));
    }
    let (end, _) = string(b, i)?;
    let i = skip_ws(b, end);
    if b.get(i) != Some(&b':') {
        return Err(Invalid(i));
    }
    Ok(skip_ws(b, i + 1))
}

/// A member found by `object`: the key's span inside its quotes, whether
/// the key has escapes, where the value starts and the object's depth.
#[derive(Debug, Clone, Copy)]
pub struct MemberAt {
    /// Key text span (without the quotes).
    pub key: (usize, usize),
    /// Whether the key holds escapes (and needs unescaping).
    pub escaped: bool,
    /// Index of the value's first byte.
    pub value: usize,
    /// Depth of the object holding the member.
    pub depth: u32,
}

/// Scans the object at `i` (`Invalid(i)` unless `b[i] == b'{'`). For each
/// member `on_member` returns `Some(end)` when it scanned the value itself
/// (into a nested object, say), or `None` to have it validated and skipped.
pub fn object(
    b: &[u8],
    i: usize,
    depth: u32,
    mut on_member: impl FnMut(MemberAt) -> Scan<Option<usize>>,
) -> Scan<usize> {
    if depth > MAX_DEPTH || b.get(i) != Some(&b'{') {
        return Err(Invalid(i));
    }
    let mut i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Ok(i + 1);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(Invalid(i));
        }
        let (key_end, escaped) = string(b, i)?;
        let key = (i + 1, key_end - 1);
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return Err(Invalid(i));
        }
        let start = skip_ws(b, i + 1);
        let member = MemberAt {
            key,
            escaped,
            value: start,
            depth,
        };
        let end = match on_member(member)? {
            Some(end) => end,
            None => value(b, start)?,
        };
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Ok(i + 1),
            _ => return Err(Invalid(i)),
        }
    }
}

/// Scans the array at `i` (`Invalid(i)` unless `b[i] == b'['`). For each
/// item `on_item` gets the index of its first byte and returns `Some(end)`
/// when it scanned the item itself, or `None` to have it validated and
/// skipped.
pub fn array(
    b: &[u8],
    i: usize,
    depth: u32,
    mut on_item: impl FnMut(usize) -> Scan<Option<usize>>,
) -> Scan<usize> {
    if depth > MAX_DEPTH || b.get(i) != Some(&b'[') {
        return Err(Invalid(i));
    }
    let mut i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    loop {
        let end = match on_item(i)? {
            Some(end) => end,
            None => value(b, i)?,
        };
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return Ok(i + 1),
            _ => return Err(Invalid(i)),
        }
    }
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Scan<usize> {
    match b.get(i..i + word.len()) {
        Some(w) if w == word => Ok(i + word.len()),
        _ => Err(Invalid(i)),
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
pub fn number(b: &[u8], i: usize) -> Scan<usize> {
    let digits = |mut j: usize| {
        let s = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        (j, j > s)
    };
    let mut j = i + usize::from(b.get(i) == Some(&b'-'));
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j).0,
        _ => return Err(Invalid(j)),
    }
    if b.get(j) == Some(&b'.') {
        let (k, any) = digits(j + 1);
        if !any {
            return Err(Invalid(k));
        }
        j = k;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let (k, any) = digits(j);
        if !any {
            return Err(Invalid(k));
        }
        j = k;
    }
    Ok(j)
}

const EVEN: u64 = 0x5555_5555_5555_5555;

/// The escaped positions of a 64-byte block, given its backslash mask and
/// whether its first byte is escaped by the block before (`carry`, 0 or 1).
/// Updates `carry` for the next block. An escaped position is the byte after
/// an odd-length run of backslashes counted from the run's start.
#[inline(always)]
fn escaped_bits(bs: u64, carry: &mut u64) -> u64 {
    let bs = bs & !*carry;
    let follows = (bs << 1) | *carry;
    let odd_starts = bs & !EVEN & !follows;
    let (runs_from_even, overflow) = odd_starts.overflowing_add(bs);
    *carry = u64::from(overflow);
    (EVEN ^ (runs_from_even << 1)) & follows
}

/// The bit masks a 64-byte block yields, one bit per byte. The scanning
/// loops are compiled once per implementation; the widest the CPU has is
/// chosen at run time (`has_avx2`).
///
/// # Safety
///
/// An implementation may use instructions beyond the target's baseline:
/// its functions, and the loops generic over it, may only be called on a
/// CPU that has them (`Base` needs nothing; `Avx2` needs AVX2).
trait Masks {
    /// Quotes, backslashes and control characters (< 0x20).
    ///
    /// # Safety
    ///
    /// The CPU has the implementation's instructions.
    unsafe fn masks(block: &[u8; 64]) -> (u64, u64, u64);
    /// Quotes, backslashes, openers (`{` `[`) and closers (`}` `]`).
    ///
    /// # Safety
    ///
    /// As for `masks`.
    unsafe fn structure_masks(block: &[u8; 64]) -> (u64, u64, u64, u64);
}

/// Plain code, one byte at a time: what non-x86_64 targets run, and the
/// reference the SIMD masks are tested against everywhere.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
struct Portable;

impl Masks for Portable {
    #[inline(always)]
    unsafe fn masks(block: &[u8; 64]) -> (u64, u64, u64) {
        let (mut q, mut bs, mut c) = (0u64, 0u64, 0u64);
        for (k, &x) in block.iter().enumerate() {
            q |= u64::from(x == b'"') << k;
            bs |= u64::from(x == b'\\') << k;
            c |= u64::from(x < 0x20) << k;
        }
        (q, bs, c)
    }

    #[inline(always)]
    unsafe fn structure_masks(block: &[u8; 64]) -> (u64, u64, u64, u64) {
        let (mut q, mut bs, mut o, mut c) = (0u64, 0u64, 0u64, 0u64);
        for (k, &x) in block.iter().enumerate() {
            q |= u64::from(x == b'"') << k;
            bs |= u64::from(x == b'\\') << k;
            o |= u64::from(x | 0x20 == b'{') << k;
            c |= u64::from(x | 0x20 == b'}') << k;
        }
        (q, bs, o, c)
    }
}

/// SSE2, part of every x86_64.
#[cfg(target_arch = "x86_64")]
struct Sse2;

/// What runs without AVX2: SSE2 on x86_64, plain code elsewhere.
#[cfg(target_arch = "x86_64")]
type Base = Sse2;
#[cfg(not(target_arch = "x86_64"))]
type Base = Portable;

#[cfg(target_arch = "x86_64")]
impl Masks for Sse2 {
    #[inline(always)]
    #[allow(unused_unsafe)]
    unsafe fn masks(block: &[u8; 64]) -> (u64, u64, u64) {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; the loads read 16
        // bytes at offsets 0..48 of a 64-byte array.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let bslash = _mm_set1_epi8(b'\\' as i8);
            let ctl = _mm_set1_epi8(0x1f);
            let (mut q, mut bs, mut c) = (0u64, 0u64, 0u64);
            for k in 0..4 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                let bits = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
                q |= bits(_mm_cmpeq_epi8(v, quote));
                bs |= bits(_mm_cmpeq_epi8(v, bslash));
                c |= bits(_mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
            }
            (q, bs, c)
        }
    }

    #[inline(always)]
    #[allow(unused_unsafe)]
    unsafe fn structure_masks(block: &[u8; 64]) -> (u64, u64, u64, u64) {
        use std::arch::x86_64::*;
        // SAFETY: as in `masks`.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let bslash = _mm_set1_epi8(b'\\' as i8);
            let lower = _mm_set1_epi8(0x20);
            let open = _mm_set1_epi8(b'{' as i8);
            let close = _mm_set1_epi8(b'}' as i8);
            let (mut q, mut bs, mut o, mut c) = (0u64, 0u64, 0u64, 0u64);
            for k in 0..4 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
                let bits = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
                // `[` and `]` are `{` and `}` without the 0x20 bit.
                let folded = _mm_or_si128(v, lower);
                q |= bits(_mm_cmpeq_epi8(v, quote));
                bs |= bits(_mm_cmpeq_epi8(v, bslash));
                o |= bits(_mm_cmpeq_epi8(folded, open));
                c |= bits(_mm_cmpeq_epi8(folded, close));
            }
            (q, bs, o, c)
        }
    }
}

/// AVX2: 32 bytes per compare. Only used inside functions compiled with
/// the feature, called after `is_x86_feature_detected!("avx2")`.
#[cfg(target_arch = "x86_64")]
struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Masks for Avx2 {
    #[inline(always)]
    #[allow(unused_unsafe)]
    unsafe fn masks(block: &[u8; 64]) -> (u64, u64, u64) {
        use std::arch::x86_64::*;
        // SAFETY: only reached from `#[target_feature(enable = "avx2")]`
        // functions that run after the CPU was found to have AVX2; the
        // loads read 32 bytes at offsets 0 and 32 of a 64-byte array.
        unsafe {
            let quote = _mm256_set1_epi8(b'"' as i8);
            let bslash = _mm256_set1_epi8(b'\\' as i8);
            let ctl = _mm256_set1_epi8(0x1f);
            let (mut q, mut bs, mut c) = (0u64, 0u64, 0u64);
            for k in 0..2 {
                let v = _mm256_loadu_si256(block.as_ptr().add(32 * k).cast::<__m256i>());
                let bits = |m: __m256i| u64::from(_mm256_movemask_epi8(m) as u32) << (32 * k);
                q |= bits(_mm256_cmpeq_epi8(v, quote));
                bs |= bits(_mm256_cmpeq_epi8(v, bslash));
                c |= bits(_mm256_cmpeq_epi8(_mm256_min_epu8(v, ctl), v));
            }
            (q, bs, c)
        }
    }

    #[inline(always)]
    #[allow(unused_unsafe)]
    unsafe fn structure_masks(block: &[u8; 64]) -> (u64, u64, u64, u64) {
        use std::arch::x86_64::*;
        // SAFETY: as in `masks`.
        unsafe {
            let quote = _mm256_set1_epi8(b'"' as i8);
            let bslash = _mm256_set1_epi8(b'\\' as i8);
            let lower = _mm256_set1_epi8(0x20);
            let open = _mm256_set1_epi8(b'{' as i8);
            let close = _mm256_set1_epi8(b'}' as i8);
            let (mut q, mut bs, mut o, mut c) = (0u64, 0u64, 0u64, 0u64);
            for k in 0..2 {
                let v = _mm256_loadu_si256(block.as_ptr().add(32 * k).cast::<__m256i>());
                let bits = |m: __m256i| u64::from(_mm256_movemask_epi8(m) as u32) << (32 * k);
                let folded = _mm256_or_si256(v, lower);
                q |= bits(_mm256_cmpeq_epi8(v, quote));
                bs |= bits(_mm256_cmpeq_epi8(v, bslash));
                o |= bits(_mm256_cmpeq_epi8(folded, open));
                c |= bits(_mm256_cmpeq_epi8(folded, close));
            }
            (q, bs, o, c)
        }
    }
}

/// Whether the AVX2 loops can run here (checked once, then cached by std).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// For 16 bytes: the quote mask, and the mask of backslashes and control
/// characters (which need the full scan).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unused_unsafe)]
fn head_masks(head: &[u8; 16]) -> (u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: as in `masks`; the load reads the 16-byte array.
    unsafe {
        let v = _mm_loadu_si128(head.as_ptr().cast::<__m128i>());
        let q = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))) as u32;
        let bs = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        let ctl = _mm_set1_epi8(0x1f);
        let c = _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v);
        (q, _mm_movemask_epi8(_mm_or_si128(bs, c)) as u32)
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn head_masks(head: &[u8; 16]) -> (u32, u32) {
    head_masks_portable(head)
}

/// `head_masks` in plain code (compiled everywhere, tested against SSE2).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn head_masks_portable(head: &[u8; 16]) -> (u32, u32) {
    let (mut q, mut special) = (0u32, 0u32);
    for (k, &x) in head.iter().enumerate() {
        q |= u32::from(x == b'"') << k;
        special |= u32::from(x == b'\\' || x < 0x20) << k;
    }
    (q, special)
}

/// Bit k is the XOR of bits 0..=k: 1 from an opening quote up to (not
/// including) its closing quote.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Finds the end of an array or object arriving in pieces (a stream), 64
/// bytes at a time, without validating it: strings are followed (escapes
/// included) so that brackets inside them do not count.
#[derive(Debug, Default, Clone)]
pub struct SkipContainer {
    depth: u64,
    in_string: bool,
    carry: u64,
}

impl SkipContainer {
    /// Feeds `b` from `*i`, where the container starts (or where the last
    /// call stopped). Returns the index just past the container's end, or
    /// `None` with `*i` at the first byte not consumed: only whole 64-byte
    /// blocks are consumed unless `last` says no more bytes will come. A
    /// closing bracket with no container open ends it there as well (the
    /// text did not start with `[` or `{`: it is not validated).
    pub fn feed(&mut self, b: &[u8], i: &mut usize, last: bool) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            #[target_feature(enable = "avx2")]
            unsafe fn feed_avx2(
                s: &mut SkipContainer,
                b: &[u8],
                i: &mut usize,
                last: bool,
            ) -> Option<usize> {
                s.feed_with::<Avx2>(b, i, last)
            }
            // SAFETY: the CPU has AVX2.
            return unsafe { feed_avx2(self, b, i, last) };
        }
        // SAFETY: `Base` needs only the baseline instructions.
        unsafe { self.feed_with::<Base>(b, i, last) }
    }

    /// `feed` with the masks of `M`.
    ///
    /// # Safety
    ///
    /// The CPU has `M`'s instructions.
    #[inline(always)]
    unsafe fn feed_with<M: Masks>(&mut self, b: &[u8], i: &mut usize, last: bool) -> Option<usize> {
        loop {
            let mut tail = [b' '; 64];
            let block: &[u8; 64] = match b.get(*i..i.saturating_add(64)) {
                Some(s) => s.try_into().expect("64 bytes"),
                None if last && *i < b.len() => {
                    tail[..b.len() - *i].copy_from_slice(&b[*i..]);
                    &tail
                }
                None => return None,
            };
            // SAFETY: the caller vouches for `M`.
            let (q, bs, open, close) = unsafe { M::structure_masks(block) };
            let q = q & !escaped_bits(bs, &mut self.carry);
            let mut inside = prefix_xor(q);
            if self.in_string {
                inside = !inside;
            }
            self.in_string = inside >> 63 == 1;
            let open = open & !inside;
            let close = close & !inside;
            if u64::from(close.count_ones()) < self.depth {
                self.depth =
                    self.depth + u64::from(open.count_ones()) - u64::from(close.count_ones());
            } else {
                let mut all = open | close;
                while all != 0 {
                    let k = all.trailing_zeros();
                    all &= all - 1;
                    if open >> k & 1 == 1 {
                        self.depth += 1;
                    } else {
                        // A closer with nothing open (the text did not
                        // start with an opener) ends the scan too.
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(*i + k as usize + 1);
                        }
                    }
                }
            }
            *i += 64;
        }
    }
}

/// Where the array or object at the start of `text` ends, with the bytes
/// arriving `piece` at a time as from a stream (used by tests and fuzzing).
pub fn container_end_in_pieces(text: &[u8], piece: usize) -> Option<usize> {
    let mut skip = SkipContainer::default();
    let (mut i, mut have) = (0, 0usize);
    loop {
        have = have.saturating_add(piece.max(1)).min(text.len());
        let last = have == text.len();
        if let Some(end) = skip.feed(&text[..have], &mut i, last) {
            return Some(end);
        }
        if last {
            return None;
        }
    }
}

/// Scans the string at `i`: returns the index after the closing quote and
/// whether the string has escapes (`Invalid(i)` unless `b[i] == b'"'`).
#[inline]
pub fn string(b: &[u8], i: usize) -> Scan<(usize, bool)> {
    if b.get(i) != Some(&b'"') {
        return Err(Invalid(i));
    }
    let start = i + 1;
    // Short strings (keys, small values) end in their first bytes: look
    // for the closing quote before setting up a block.
    if let Some(head) = b.get(start..start + 16) {
        let (q, special) = head_masks(head.try_into().expect("16 bytes"));
        if q != 0 && q.trailing_zeros() <= special.trailing_zeros() {
            return Ok((start + q.trailing_zeros() as usize + 1, false));
        }
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        #[target_feature(enable = "avx2")]
        unsafe fn long_avx2(b: &[u8], start: usize) -> Scan<(usize, bool)> {
            long_string::<Avx2>(b, start)
        }
        // SAFETY: the CPU has AVX2.
        return unsafe { long_avx2(b, start) };
    }
    // SAFETY: `Base` needs only the baseline instructions.
    unsafe { long_string::<Base>(b, start) }
}

/// `string` past its first bytes, 64 bytes at a time from `start`.
///
/// # Safety
///
/// The CPU has `M`'s instructions.
#[inline(always)]
unsafe fn long_string<M: Masks>(b: &[u8], start: usize) -> Scan<(usize, bool)> {
    let mut pos = start;
    let mut carry = 0u64;
    let mut any_escape = false;
    loop {
        let mut tail = [b' '; 64];
        let block: &[u8; 64] = match b.get(pos..pos + 64) {
            Some(s) => s.try_into().expect("64 bytes"),
            None => {
                let rest = &b[pos.min(b.len())..];
                tail[..rest.len()].copy_from_slice(rest);
                &tail
            }
        };
        // SAFETY: the caller vouches for `M`.
        let (q, bs, ctl) = unsafe { M::masks(block) };
        let escaped = escaped_bits(bs, &mut carry);
        let closing = q & !escaped;
        let len = closing.trailing_zeros();
        let inside = if len == 64 {
            u64::MAX
        } else {
            (1u64 << len) - 1
        };
        if ctl & inside != 0 {
            return Err(Invalid(pos + (ctl & inside).trailing_zeros() as usize));
        }
        let esc = escaped & inside;
        if esc != 0 {
            any_escape = true;
            // `\"` and `\\` are valid; anything else must be /bfnrt or u+4 hex.
            let mut other = esc & !q & !bs;
            while other != 0 {
                let at = pos + other.trailing_zeros() as usize;
                other &= other - 1;
                match b.get(at) {
                    Some(b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                    Some(b'u') => match b.get(at + 1..at + 5) {
                        Some(h) if h.iter().all(u8::is_ascii_hexdigit) => {}
                        _ => return Err(Invalid(at)),
                    },
                    _ => return Err(Invalid(at)),
                }
            }
        }
        if len < 64 {
            let end = pos + len as usize;
            if end >= b.len() {
                return Err(Invalid(b.len()));
            }
            return Ok((end + 1, any_escape));
        }
        pos += 64;
        if pos >= b.len() {
            return Err(Invalid(b.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped_reference(block: &[u8], carry_in: bool) -> (u64, bool) {
        let mut out = 0u64;
        let mut esc = carry_in;
        for (k, &c) in block.iter().enumerate() {
            if esc {
                out |= 1 << k;
                esc = false;
            } else if c == b'\\' {
                esc = true;
            }
        }
        (out, esc)
    }

    #[test]
    fn array_hands_out_each_item_and_validates_the_rest() {
        let b = br#"[ 1, {"a": [2]} ,"x" ,[] ]"#;
        let mut starts = Vec::new();
        let end = array(b, 0, 1, |i| {
            starts.push(i);
            // Scan strings here; leave the rest to `array`.
            Ok(if b[i] == b'"' {
                Some(string(b, i)?.0)
            } else {
                None
            })
        });
        assert_eq!(end, Ok(b.len()));
        assert_eq!(starts, [2, 5, 17, 22]);
        assert_eq!(array(b"[]", 0, 1, |_| Ok(None)), Ok(2));
        for bad in [&b"[1,]"[..], b"[1 2]", b"[1", b"{}", b"[tru]"] {
            assert!(array(bad, 0, 1, |_| Ok(None)).is_err(), "{bad:?}");
        }
        assert!(array(b"[]", 0, MAX_DEPTH + 1, |_| Ok(None)).is_err());
    }

    #[test]
    fn escape_bits_match_a_byte_by_byte_walk() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let mut block = [b'a'; 64];
            let mut bs = 0u64;
            for (k, c) in block.iter_mut().enumerate() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if seed % 3 != 0 {
                    *c = b'\\';
                    bs |= 1 << k;
                }
            }
            for carry_in in [false, true] {
                let mut carry = u64::from(carry_in);
                let got = escaped_bits(bs, &mut carry);
                let (want, out) = escaped_reference(&block, carry_in);
                assert_eq!(got, want, "{bs:064b} carry {carry_in}");
                assert_eq!(carry == 1, out);
            }
        }
    }

    use proptest::prelude::*;

    /// Bytes weighted toward what the masks pick out: quotes, backslashes,
    /// brackets, controls, UTF-8.
    fn jsonish_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        let alphabet: &'static [u8] = b"a\"\\{}[]u0\n\x01\xc3\xa9 :,";
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(alphabet),
                1 => any::<u8>(),
            ],
            0..max,
        )
    }

    type Answers = (
        (u64, u64, u64),
        (u64, u64, u64, u64),
        Scan<(usize, bool)>,
        (Option<usize>, usize),
        (Option<usize>, usize),
    );

    /// The answers of one mask implementation over `text`: the masks of its
    /// first block, the string scan from 1, and where a container ends when
    /// fed whole and in pieces.
    ///
    /// # Safety
    ///
    /// The CPU has `M`'s instructions.
    unsafe fn answers<M: Masks>(text: &[u8], piece: usize) -> Answers {
        let block: [u8; 64] = std::array::from_fn(|k| text.get(k).copied().unwrap_or(b' '));
        let mut quoted = vec![b'"'];
        quoted.extend_from_slice(text);
        let mut bracketed = vec![b'['];
        bracketed.extend_from_slice(text);
        // SAFETY (all calls below): the caller vouches for `M`.
        let whole = {
            let mut i = 0;
            let end = unsafe { SkipContainer::default().feed_with::<M>(&bracketed, &mut i, true) };
            (end, i)
        };
        let pieces = {
            let (mut skip, mut i, mut have) = (SkipContainer::default(), 0, 0);
            loop {
                have = (have + piece).min(bracketed.len());
                let last = have == bracketed.len();
                let end = unsafe { skip.feed_with::<M>(&bracketed[..have], &mut i, last) };
                if end.is_some() || last {
                    break (end, i);
                }
            }
        };
        unsafe {
            (
                M::masks(&block),
                M::structure_masks(&block),
                long_string::<M>(&quoted, 1),
                whole,
                pieces,
            )
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Portable and SSE2 always agree (the plain code is compiled on
        /// every target); AVX2 agrees too where the CPU has it.
        #[test]
        fn mask_implementations_agree(text in jsonish_bytes(300), piece in 1usize..130) {
            // SAFETY: `Portable` and `Base` need only baseline instructions.
            let portable = unsafe { answers::<Portable>(&text, piece) };
            let base = unsafe { answers::<Base>(&text, piece) };
            prop_assert_eq!(&portable, &base);
            let head: [u8; 16] = std::array::from_fn(|k| text.get(k).copied().unwrap_or(b' '));
            prop_assert_eq!(head_masks_portable(&head), head_masks(&head));
            #[cfg(target_arch = "x86_64")]
            if has_avx2() {
                // SAFETY: the CPU has AVX2.
                let avx2 = unsafe { answers::<Avx2>(&text, piece) };
                prop_assert_eq!(&portable, &avx2);
            }
        }

        /// Every public function answers for any bytes, start and piece size.
        #[test]
        fn public_functions_are_total(
            text in prop_oneof![jsonish_bytes(200), proptest::collection::vec(any::<u8>(), 0..200)],
            at in prop_oneof![0usize..210, Just(usize::MAX), Just(usize::MAX - 1), Just(usize::MAX - 63)],
            piece in prop_oneof![0usize..130, Just(usize::MAX)],
            last in any::<bool>(),
        ) {
            let b = &text[..];
            let _ = skip_ws(b, at);
            let _ = is_json(b);
            let _ = value(b, at);
            let _ = number(b, at);
            let _ = string(b, at);
            let _ = object(b, at, 1, |_| Ok(None));
            let _ = object(b, at, MAX_DEPTH + 1, |_| Ok(None));
            let _ = container_end_in_pieces(b, piece);
            let mut i = at;
            let _ = SkipContainer::default().feed(b, &mut i, last);
            if let Some(end) = container_end_in_pieces(b, piece) {
                prop_assert!(end <= b.len());
            }
        }
    }

    /// The mask test above runs on every machine; say so when the AVX2 leg
    /// cannot.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_leg_runs_or_says_why_not() {
        if !has_avx2() {
            eprintln!("jsonscan: this CPU has no AVX2: only portable and SSE2 masks were compared");
        }
    }

    #[test]
    fn a_stray_closer_ends_the_scan_instead_of_underflowing() {
        assert_eq!(container_end_in_pieces(b"]", 1), Some(1));
        assert_eq!(container_end_in_pieces(b"  }", 2), Some(3));
        assert_eq!(container_end_in_pieces(b"", 1), None);
        assert_eq!(container_end_in_pieces(b"[", usize::MAX), None);
        assert_eq!(string(b"x", usize::MAX), Err(Invalid(usize::MAX)));
        assert_eq!(string(b"abc", 0), Err(Invalid(0)));
        assert_eq!(object(b"[]", 0, 1, |_| Ok(None)), Err(Invalid(0)));
        let mut i = usize::MAX;
        assert_eq!(SkipContainer::default().feed(b"[]", &mut i, true), None);
    }

    #[test]
    fn container_ends_in_any_piece_sizes() {
        let doc = format!(
            r#"{{"a":[1,{{"b":"x]}}\\\"}}{{"}}],"c":"{}","d":{{}}}}"#,
            "\\\\\\\"[{{".repeat(40)
        );
        let text = format!("{doc}, 7 ]");
        let want = serde_json::Deserializer::from_str(&text)
            .into_iter::<&serde_json::value::RawValue>()
            .next()
            .unwrap()
            .unwrap()
            .get()
            .len();
        for piece in [1, 7, 63, 64, 65, 200, 10_000] {
            let end = container_end_in_pieces(text.as_bytes(), piece);
            assert_eq!(end, Some(want), "piece {piece}");
        }
        let mut skip = SkipContainer::default();
        assert_eq!(skip.feed(b"[1,[2]", &mut 0, true), None);
    }

    #[test]
    fn agrees_with_serde_json() {
        let cases: &[&str] = &[
            r#"{}"#,
            r#"{"a":1}"#,
            r#"{"a":[1,2,{"b":null}],"c":"x\"y\\"}"#,
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"01"#,
            r#"-"#,
            r#"1."#,
            r#"1e"#,
            r#"1e+5"#,
            r#"-0.5E-3"#,
            r#""\u12""#,
            r#""\u12af""#,
            r#""\x""#,
            "\"a\tb\"",
            r#""unterminated"#,
            r#""ends in backslash\"#,
            r#"tru"#,
            r#"true false"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            "[\"\\/\\b\\f\\n\\r\\t\"]",
            "\"é ünïcödé ✓\"",
        ];
        for c in cases {
            let want = serde_json::from_str::<serde::de::IgnoredAny>(c).is_ok();
            assert_eq!(is_json(c.as_bytes()), want, "{c}");
        }
        let long = format!(r#"{{"body":"{}"}}"#, "x\\\"y".repeat(500));
        assert!(is_json(long.as_bytes()));
        for n in [1, 63, 64, 65, 128, 129, 5000] {
            let deep = "[".repeat(n) + &"]".repeat(n);
            assert!(is_json(deep.as_bytes()), "{n}");
            let objs = r#"{"a":"#.repeat(n) + "1" + &"}".repeat(n);
            assert!(is_json(objs.as_bytes()), "{n}");
            let mixed = r#"{"a":["#.repeat(n) + &"]}".repeat(n);
            assert!(is_json(mixed.as_bytes()), "{n}");
            let bad = r#"{"a":["#.repeat(n) + &"}]".repeat(n);
            assert!(!is_json(bad.as_bytes()), "{n}");
            let cut = "[".repeat(n) + &"]".repeat(n - 1);
            assert!(!is_json(cut.as_bytes()), "{n}");
        }
    }
}
