//! Extension patterns: `_` prefix, `X` `Z` `N`, `[...]` sets and ranges, `.` and `!`,
//! `-` as fluff. This is `ast_extension_match` (E_MATCH).

/// Does `pattern` (an extension name as written, `_` for patterns) match the dialled `number`?
pub fn matches(pattern: &str, number: &str) -> bool {
    let Some(p) = pattern.strip_prefix('_') else {
        // Literal extensions compare with the '-' fluff removed on both sides.
        let a = pattern.bytes().filter(|&c| c != b'-');
        let b = number.bytes().filter(|&c| c != b'-');
        return a.eq(b);
    };
    match_from(p.as_bytes(), number.as_bytes())
}

/// How far a number goes along a pattern (without its `_`): it fails on an element, or
/// reaches `.`/`!` or runs out with pattern left (more digits could follow), or both end
/// (`Done(true)`) or the pattern ends first (`Done(false)`).
enum Walk {
    Mismatch,
    Open,
    Done(bool),
}

fn walk(p: &[u8], n: &[u8]) -> Walk {
    let (mut i, mut j) = (0usize, 0usize);
    while i < p.len() {
        let c = p[i];
        match c {
            b'-' => {
                i += 1;
                continue;
            }
            b'.' | b'!' => return Walk::Open,
            _ => {}
        }
        let Some(&d) = n.get(j) else {
            return Walk::Open;
        };
        match elem_matches(p, i, d) {
            Some((true, next)) => i = next,
            _ => return Walk::Mismatch,
        }
        j += 1;
    }
    Walk::Done(j == n.len())
}

/// The literal extension and number without the `-` fluff.
fn unfluffed(pattern: &str, number: &str) -> (Vec<u8>, Vec<u8>) {
    (
        pattern.bytes().filter(|&c| c != b'-').collect(),
        number.bytes().filter(|&c| c != b'-').collect(),
    )
}

/// `E_MATCHMORE`: could `number` match `pattern` with more digits (not as it is)?
pub fn match_more(pattern: &str, number: &str) -> bool {
    let Some(p) = pattern.strip_prefix('_') else {
        let (a, b) = unfluffed(pattern, number);
        return a.len() > b.len() && a.starts_with(&b);
    };
    matches!(walk(p.as_bytes(), number.as_bytes()), Walk::Open)
}

/// `E_CANMATCH`: does `number` match `pattern`, or could it with more digits?
pub fn can_match(pattern: &str, number: &str) -> bool {
    let Some(p) = pattern.strip_prefix('_') else {
        let (a, b) = unfluffed(pattern, number);
        return a.starts_with(&b);
    };
    matches!(
        walk(p.as_bytes(), number.as_bytes()),
        Walk::Open | Walk::Done(true)
    )
}

fn match_from(p: &[u8], n: &[u8]) -> bool {
    let (mut i, mut j) = (0usize, 0usize);
    while i < p.len() {
        let c = p[i];
        match c {
            b'-' => {
                i += 1;
                continue;
            }
            b'.' => return j < n.len(),
            b'!' => return true,
            _ => {}
        }
        let Some(&d) = n.get(j) else { return false };
        match elem_matches(p, i, d) {
            Some((true, next)) => i = next,
            _ => return false,
        }
        j += 1;
    }
    j == n.len()
}

/// Does pattern element `p[i]` (`X`, `Z`, `N`, `[...]` or a literal) take `d`? With the index
/// after the element; None for an unterminated `[`.
fn elem_matches(p: &[u8], i: usize, d: u8) -> Option<(bool, usize)> {
    let c = p[i];
    Some(match c.to_ascii_uppercase() {
        b'X' => (d.is_ascii_digit(), i + 1),
        b'Z' => ((b'1'..=b'9').contains(&d), i + 1),
        b'N' => ((b'2'..=b'9').contains(&d), i + 1),
        b'[' => {
            let end = p[i + 1..].iter().position(|&b| b == b']')? + i + 1;
            (in_set(&p[i + 1..end], d), end + 1)
        }
        _ => (c == d, i + 1),
    })
}

/// Is `d` in a `[...]` set's body (`1-3`, `a-c`, single characters)?
pub fn in_set(set: &[u8], d: u8) -> bool {
    let mut k = 0;
    while k < set.len() {
        if k + 2 < set.len() && set[k + 1] == b'-' {
            if set[k] <= d && d <= set[k + 2] {
                return true;
            }
            k += 3;
        } else {
            if set[k] == d {
                return true;
            }
            k += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn match_more_as_asterisk() {
        use super::match_more;
        assert!(match_more("_X.", "1"));
        assert!(match_more("_1XX", "1"));
        assert!(!match_more("_1XX", "123"));
        assert!(!match_more("1", "1"));
        assert!(match_more("12", "1"));
        assert!(!match_more("_2XX", "1"));
        assert!(match_more("_1!", "1"));
    }

    use super::matches;

    #[test]
    fn patterns() {
        assert!(matches("_X.", "1002"));
        assert!(!matches("_X.", "1"));
        assert!(matches("_XXXX", "1002"));
        assert!(!matches("_XXXX", "10020"));
        assert!(matches("_1001", "1001"));
        assert!(matches("_NXX-XXXX", "5551234"));
        assert!(matches("_[1-3]X", "25"));
        assert!(!matches("_[1-3]X", "45"));
        assert!(matches("_[a-c]", "b"));
        assert!(matches("_9!", "9"));
        assert!(matches("555-1234", "5551234"));
        assert!(!matches("_Z", "0"));
        assert!(matches("s", "s"));
    }

    #[test]
    fn can_match_with_more_digits() {
        use super::can_match;
        assert!(can_match("_X.", "5"));
        assert!(can_match("_X.", "55"));
        assert!(can_match("_XXXX", "10"));
        assert!(!can_match("_XXXX", "10a"));
        assert!(!can_match("_XXXX", "10000"));
        assert!(can_match("1001", "10"));
        assert!(!can_match("1001", "11"));
        assert!(!can_match("_X.", "*99"));
        assert!(can_match("_9!", "9"));
    }
}
