//! XML 1.0 character classes (names, legal characters, whitespace) and entity references.
//!
//! quick-xml tokenises but does not check names or characters; these checks let the parser
//! reject `<1a>` or a stray control character at its exact position instead of passing it on.

/// XML whitespace: space, tab, carriage return and line feed (not the Unicode spaces).
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A character XML 1.0 allows in a document (`Char` in the specification).
pub fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// `NameStartChar` of XML 1.0 (fifth edition).
pub fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// `NameChar` of XML 1.0 (fifth edition).
pub fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Check an element or attribute name; on failure, the byte index of the offending character
/// (0 for an empty name).
pub fn check_name(name: &str) -> Result<(), usize> {
    // The common case, an ASCII name, without decoding characters.
    let ascii_name_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.');
    if let Some((&first, rest)) = name.as_bytes().split_first() {
        if (first.is_ascii_alphabetic() || first == b'_' || first == b':')
            && rest.iter().all(|&b| ascii_name_char(b))
        {
            return Ok(());
        }
    }
    let mut chars = name.char_indices();
    match chars.next() {
        Some((_, c)) if is_name_start(c) => {}
        _ => return Err(0),
    }
    match chars.find(|&(_, c)| !is_name_char(c)) {
        Some((i, _)) => Err(i),
        None => Ok(()),
    }
}

/// True for a valid XML name, which is what the writer can emit and read back.
pub fn is_name(name: &str) -> bool {
    check_name(name).is_ok()
}

/// The character an entity reference stands for, given what is between `&` and `;`: the five
/// predefined entities and decimal or hexadecimal character references. `None` for anything
/// else, including references to characters XML does not allow.
pub fn resolve_entity(name: &str) -> Option<char> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let n = if let Some(hex) = name.strip_prefix("#x") {
                parse_digits(hex, 16)?
            } else {
                parse_digits(name.strip_prefix('#')?, 10)?
            };
            char::from_u32(n)?
        }
    };
    is_xml_char(c).then_some(c)
}

/// Digits only (no sign, no spaces, not empty), without overflowing.
fn parse_digits(s: &str, radix: u32) -> Option<u32> {
    if s.is_empty() || !s.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(s, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_name("bond"));
        assert!(is_name("x:y-z.1_é"));
        assert_eq!(check_name(""), Err(0));
        assert_eq!(check_name("1a"), Err(0));
        assert_eq!(check_name("a b"), Err(1));
        assert_eq!(check_name("éa\"b"), Err(3));
        // The ASCII shortcut agrees with the character classes on every one- and two-byte name.
        for a in 0u8..0x80 {
            for b in 0u8..0x80 {
                let name = String::from_utf8(vec![a, b]).unwrap();
                let slow = is_name_start(a as char) && is_name_char(b as char);
                assert_eq!(is_name(&name), slow, "{name:?}");
            }
            assert_eq!(is_name(&(a as char).to_string()), is_name_start(a as char));
        }
    }

    #[test]
    fn entities() {
        assert_eq!(resolve_entity("amp"), Some('&'));
        assert_eq!(resolve_entity("#60"), Some('<'));
        assert_eq!(resolve_entity("#x3C"), Some('<'));
        assert_eq!(resolve_entity("#X3C"), None);
        assert_eq!(resolve_entity("#0"), None);
        assert_eq!(resolve_entity("#x"), None);
        assert_eq!(resolve_entity("#-1"), None);
        assert_eq!(resolve_entity("#99999999999999999999"), None);
        assert_eq!(resolve_entity("#xD800"), None);
        assert_eq!(resolve_entity("nbsp"), None);
    }
}
