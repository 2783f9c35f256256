//! Making untrusted text from traffic safe to show: control characters,
//! ANSI escapes and bidi overrides are escaped before they reach a terminal.

use std::borrow::Cow;

/// Whether a character could act on a terminal or reorder what it shows.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
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
    }
}
