//! Making untrusted text from traffic safe to show: control characters,
//! ANSI escapes, bidi controls and invisible characters are escaped before
//! they reach a terminal, a CSV cell or a JSON string.

use std::borrow::Cow;

/// Whether a character could act on a terminal, reorder what it shows, or
/// hide itself: C0, DEL and C1 controls; bidi marks, embeddings, overrides
/// and isolates; zero-width and other invisible format characters; line and
/// paragraph separators; tag characters and variation selectors; Hangul
/// fillers.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{205f}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e007f}'
                | '\u{e0100}'..='\u{e01ef}'
        )
}

/// Escapes control, bidi and zero-width characters as `\u{..}` (`\n`, `\t`
/// and `\r` as themselves escaped), leaving all other text untouched.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(terminal("not_found"), "not_found");
        assert_eq!(terminal("a\x1b]0;pwned\x07b"), "a\\u{1b}]0;pwned\\u{7}b");
        assert_eq!(terminal("x\u{202e}y\n"), "x\\u{202e}y\\n");
        for c in [
            '\u{61c}',
            '\u{2028}',
            '\u{2029}',
            '\u{2060}',
            '\u{2064}',
            '\u{180e}',
            '\u{e0041}',
            '\u{ad}',
            '\u{fff9}',
            '\u{fffb}',
            '\u{34f}',
            '\u{3164}',
            '\u{fe0f}',
            '\u{9b}',
            '\u{7f}',
        ] {
            let s = format!("a{c}b");
            assert_eq!(
                terminal(&s),
                format!("a\\u{{{:x}}}b", c as u32),
                "{:x}",
                c as u32
            );
        }
        // Ordinary text, accents and CJK stay.
        assert_eq!(terminal("Café 東京 ok"), "Café 東京 ok");
    }
}
