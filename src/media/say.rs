//! The sound files Asterisk's main/say.c plays for SayDigits, SayNumber and SayAlpha, as
//! lists of names (without extension) for [`super::sound::SoundPaths::find`]. Asterisk plays
//! them one after the other and skips the ones that do not exist.
//!
//! * Digits (all languages): `digits/0`..`digits/9`, `digits/star`, `digits/pound`,
//!   `digits/minus`; other characters are skipped.
//! * Numbers, English (and every language without its own rules): `digits/minus`, then
//!   `digits/0`..`digits/19`, tens `digits/20`..`digits/90`, hundreds as `digits/N` +
//!   `digits/hundred`, then groups followed by `digits/thousand`, `digits/million`,
//!   `digits/billion`. No "and".
//! * Numbers, Russian (language starting with `ru`): units, tens and whole hundreds
//!   (`digits/100`..`digits/900`) as single files; the gender option (`f`, `n`...) turns 1 and 2
//!   into `digits/1f`, `digits/2f`; thousands are said in the feminine with `digits/thousand`
//!   (ending 1), `digits/thousands-i` (2-4) or `digits/thousands`; millions with
//!   `digits/million`, `digits/million-a`, `digits/millions`, where the ending is the last two
//!   digits below 20, else the last digit. 0 is `digits/0`; a billion or more says nothing.
//! * Letters (SayAlpha, SayAlphaCase): `letters/a`..`letters/z`, digits, and names for
//!   `* # ! @ $ - . = + / space`; with a case option an upper/lower-case letter is preceded by
//!   `uppercase`/`lowercase`; a character with no file falls back to `letters/ascii<code>`.

/// SayDigits: the files for each character of `s`.
pub fn say_digits(s: &str) -> Vec<String> {
    s.chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(format!("digits/{c}")),
            '*' => Some("digits/star".to_string()),
            '#' => Some("digits/pound".to_string()),
            '-' => Some("digits/minus".to_string()),
            _ => None,
        })
        .collect()
}

/// SayNumber(`n`, `options`) in `language`.
pub fn say_number(n: i64, language: &str, options: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let lang = language.to_ascii_lowercase();
    if lang.starts_with("ru") {
        number_ru(n, options, &mut out);
    } else {
        number_en(n, &mut out);
    }
    out
}

fn number_en(n: i64, out: &mut Vec<String>) {
    if n == 0 {
        out.push("digits/0".into());
        return;
    }
    let mut num = n;
    if num < 0 {
        out.push("digits/minus".into());
        num = num.checked_neg().unwrap_or(0);
    }
    if num > i32::MAX as i64 {
        return;
    }
    for (size, word) in [
        (1_000_000_000, "digits/billion"),
        (1_000_000, "digits/million"),
        (1_000, "digits/thousand"),
    ] {
        if num >= size {
            number_en(num / size, out);
            out.push(word.into());
            num %= size;
        }
    }
    if num >= 100 {
        out.push(format!("digits/{}", num / 100));
        out.push("digits/hundred".into());
        num %= 100;
    }
    if num >= 20 {
        out.push(format!("digits/{}", num / 10 * 10));
        num %= 10;
    }
    if num > 0 {
        out.push(format!("digits/{num}"));
    }
}

/// The number whose form decides the Russian ending: below 20 itself, else the last two
/// digits if below 20, else the last digit.
fn ru_ending(n: i64) -> i64 {
    if n < 20 {
        n
    } else if n < 100 {
        ru_ending(n % 10)
    } else if n < 1000 {
        ru_ending(n % 100)
    } else {
        0
    }
}

fn number_ru(n: i64, options: Option<&str>, out: &mut Vec<String>) {
    if n == 0 {
        out.push("digits/0".into());
        return;
    }
    let gender = options.filter(|o| o.chars().count() == 1);
    let mut num = n;
    while num != 0 {
        if num < 0 {
            out.push("digits/minus".into());
            num = if num > i32::MIN as i64 { -num } else { 0 };
        } else if num < 20 {
            match gender {
                Some(g) if num < 3 => out.push(format!("digits/{num}{g}")),
                _ => out.push(format!("digits/{num}")),
            }
            num = 0;
        } else if num < 100 {
            out.push(format!("digits/{}", num - num % 10));
            num %= 10;
        } else if num < 1000 {
            out.push(format!("digits/{}", num - num % 100));
            num %= 100;
        } else if num < 1_000_000 {
            let e = ru_ending(num / 1000);
            number_ru(num / 1000, if e < 3 { Some("f") } else { None }, out);
            out.push(
                match e {
                    1 => "digits/thousand",
                    2..=4 => "digits/thousands-i",
                    _ => "digits/thousands",
                }
                .into(),
            );
            num %= 1000;
        } else if num < 1_000_000_000 {
            let e = ru_ending(num / 1_000_000);
            number_ru(num / 1_000_000, None, out);
            out.push(
                match e {
                    1 => "digits/million",
                    2..=4 => "digits/million-a",
                    _ => "digits/millions",
                }
                .into(),
            );
            num %= 1_000_000;
        } else {
            // Too big: Asterisk stops here.
            return;
        }
    }
}

/// SayAlphaCase's case option: `a` (all), `l` (lower), `n` (none), `u` (upper).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Case {
    #[default]
    None,
    Upper,
    Lower,
    All,
}

impl Case {
    pub fn from_option(s: &str) -> Option<Case> {
        match s.trim().chars().next()?.to_ascii_lowercase() {
            'a' => Some(Case::All),
            'l' => Some(Case::Lower),
            'n' => Some(Case::None),
            'u' => Some(Case::Upper),
            _ => None,
        }
    }
}

/// SayAlpha / SayAlphaCase: `exists` tells whether a sound name can be played (in the
/// channel's language); names that cannot are replaced by `letters/ascii<code>` when that
/// exists, or skipped.
pub fn say_alpha(s: &str, case: Case, exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for c in s.chars() {
        let name = match c {
            '*' => "digits/star".to_string(),
            '#' => "digits/pound".to_string(),
            '!' => "letters/exclaimation-point".to_string(),
            '@' => "letters/at".to_string(),
            '$' => "letters/dollar".to_string(),
            '-' => "letters/dash".to_string(),
            '.' => "letters/dot".to_string(),
            '=' => "letters/equals".to_string(),
            '+' => "letters/plus".to_string(),
            '/' => "letters/slash".to_string(),
            ' ' => "letters/space".to_string(),
            '0'..='9' => format!("digits/{c}"),
            c if c.is_ascii() => {
                let marker = match case {
                    Case::Upper | Case::All if c.is_ascii_uppercase() => Some("uppercase"),
                    Case::Lower | Case::All if c.is_ascii_lowercase() => Some("lowercase"),
                    _ => None,
                };
                if let Some(m) = marker {
                    if exists(m) {
                        out.push(m.to_string());
                    }
                }
                format!("letters/{}", c.to_ascii_lowercase())
            }
            _ => continue,
        };
        if exists(&name) {
            out.push(name);
        } else if c.is_ascii() {
            let fallback = format!("letters/ascii{}", c as u32);
            if exists(&fallback) {
                out.push(fallback);
            }
        }
    }
    out
}

fn slavic_last(num: i64) -> i64 {
    let n = num.unsigned_abs() % 100;
    (if n >= 20 { n % 10 } else { n }) as i64
}

/// `ast_say_counted_noun` (app_voicemail's "message(s)"): English adds `s` unless the count
/// is 1; Russian adds nothing for 1 (21, 31...), `x1` for 2-4, `x2` otherwise
/// (`vm-message`, `vm-messagex1`, `vm-messagex2`).
pub fn counted_noun(num: i64, noun: &str, language: &str) -> String {
    if language.to_ascii_lowercase().starts_with("ru") {
        let ending = match slavic_last(num) {
            1 => "",
            2..=4 => "x1",
            _ => "x2",
        };
        format!("{noun}{ending}")
    } else if num == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// `ast_say_counted_adjective` (app_voicemail's "new"/"old"): Russian adds the gender for
/// 1 (21, 31...) and `x` otherwise (`vm-newn`, `vm-newx`); other languages add nothing.
pub fn counted_adjective(num: i64, adjective: &str, language: &str, gender: &str) -> String {
    if language.to_ascii_lowercase().starts_with("ru") {
        let ending = if slavic_last(num) == 1 { gender } else { "x" };
        format!("{adjective}{ending}")
    } else {
        adjective.to_string()
    }
}

/// Every sound name the functions above can return for `language` (for the bundled prompts).
pub fn all_number_files(language: &str) -> Vec<String> {
    let mut v: Vec<String> = (0..=19).map(|n| format!("digits/{n}")).collect();
    v.extend((2..=9).map(|t| format!("digits/{}", t * 10)));
    v.push("digits/minus".into());
    if language.to_ascii_lowercase().starts_with("ru") {
        v.extend((1..=9).map(|h| format!("digits/{}", h * 100)));
        v.extend(["digits/1f", "digits/2f", "digits/1n", "digits/2n"].map(String::from));
        v.extend(
            [
                "digits/thousand",
                "digits/thousands-i",
                "digits/thousands",
                "digits/million",
                "digits/million-a",
                "digits/millions",
            ]
            .map(String::from),
        );
    } else {
        v.extend(
            [
                "digits/hundred",
                "digits/thousand",
                "digits/million",
                "digits/billion",
            ]
            .map(String::from),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| format!("digits/{s}")).collect()
    }

    #[test]
    fn digits() {
        assert_eq!(
            say_digits("1*0#-x9"),
            names(&["1", "star", "0", "pound", "minus", "9"])
        );
        assert!(say_digits("abc").is_empty());
    }

    #[test]
    fn english_numbers() {
        let en = |n| say_number(n, "en", None);
        assert_eq!(en(0), names(&["0"]));
        assert_eq!(en(7), names(&["7"]));
        assert_eq!(en(21), names(&["20", "1"]));
        assert_eq!(en(100), names(&["1", "hundred"]));
        assert_eq!(en(115), names(&["1", "hundred", "15"]));
        assert_eq!(en(1000), names(&["1", "thousand"]));
        assert_eq!(en(2001), names(&["2", "thousand", "1"]));
        assert_eq!(en(1_000_000), names(&["1", "million"]));
        assert_eq!(
            en(-342_015),
            names(&["minus", "3", "hundred", "40", "2", "thousand", "15"])
        );
        assert_eq!(en(2_000_000_000), names(&["2", "billion"]));
        // Languages without rules of their own use English (Asterisk's fallback).
        assert_eq!(say_number(40, "de", None), names(&["40"]));
    }

    #[test]
    fn russian_numbers() {
        let ru = |n| say_number(n, "ru", None);
        assert_eq!(ru(0), names(&["0"]));
        assert_eq!(ru(7), names(&["7"]));
        assert_eq!(ru(21), names(&["20", "1"]));
        assert_eq!(ru(100), names(&["100"]));
        assert_eq!(ru(115), names(&["100", "15"]));
        assert_eq!(ru(1000), names(&["1f", "thousand"]));
        assert_eq!(ru(2001), names(&["2f", "thousands-i", "1"]));
        assert_eq!(ru(5000), names(&["5", "thousands"]));
        assert_eq!(ru(11_000), names(&["11", "thousands"]));
        assert_eq!(ru(21_000), names(&["20", "1f", "thousand"]));
        assert_eq!(ru(344_000), names(&["300", "40", "4", "thousands-i"]));
        assert_eq!(ru(1_000_000), names(&["1", "million"]));
        assert_eq!(ru(3_000_000), names(&["3", "million-a"]));
        assert_eq!(
            ru(12_512_999),
            names(&["12", "millions", "500", "12", "thousands", "900", "90", "9"])
        );
        assert_eq!(ru(-42), names(&["minus", "40", "2"]));
        assert!(ru(1_000_000_000).is_empty());
        // The gender option for units; other languages ignore it.
        assert_eq!(say_number(2, "ru_RU", Some("f")), names(&["2f"]));
        assert_eq!(say_number(22, "ru", Some("n")), names(&["20", "2n"]));
        assert_eq!(say_number(3, "ru", Some("f")), names(&["3"]));
        assert_eq!(say_number(2, "en", Some("f")), names(&["2"]));
    }

    #[test]
    fn every_number_file_is_listed() {
        for lang in ["en", "ru"] {
            let all = all_number_files(lang);
            for n in (-1000..3000).chain([21_000, 1_234_567, 2_000_000, 5_000_000]) {
                for f in say_number(n, lang, None) {
                    assert!(all.contains(&f), "{lang} {n}: {f}");
                }
            }
        }
    }

    #[test]
    fn counted_words() {
        let ru: Vec<String> = [1, 2, 5, 11, 21, 24, 100]
            .iter()
            .map(|&n| counted_noun(n, "vm-message", "ru"))
            .collect();
        assert_eq!(
            ru,
            [
                "vm-message",
                "vm-messagex1",
                "vm-messagex2",
                "vm-messagex2",
                "vm-message",
                "vm-messagex1",
                "vm-messagex2"
            ]
        );
        assert_eq!(counted_noun(1, "vm-message", "en"), "vm-message");
        assert_eq!(counted_noun(0, "vm-message", "en"), "vm-messages");
        assert_eq!(counted_adjective(21, "vm-new", "ru", "n"), "vm-newn");
        assert_eq!(counted_adjective(3, "vm-new", "ru", "n"), "vm-newx");
        assert_eq!(counted_adjective(3, "vm-new", "en", "n"), "vm-new");
    }

    #[test]
    fn alpha() {
        let all = |_: &str| true;
        assert_eq!(
            say_alpha("Ab1 #", Case::None, &all),
            vec![
                "letters/a",
                "letters/b",
                "digits/1",
                "letters/space",
                "digits/pound"
            ]
        );
        assert_eq!(
            say_alpha("aB", Case::All, &all),
            vec!["lowercase", "letters/a", "uppercase", "letters/b"]
        );
        assert_eq!(
            say_alpha("aB", Case::Upper, &all),
            vec!["letters/a", "uppercase", "letters/b"]
        );
        // Missing letters fall back to letters/ascii<code>, or are skipped.
        let some = |n: &str| n == "letters/ascii38" || n == "letters/z";
        assert_eq!(
            say_alpha("&z%", Case::None, &some),
            vec!["letters/ascii38", "letters/z"]
        );
        assert_eq!(Case::from_option("u"), Some(Case::Upper));
        assert_eq!(Case::from_option("x"), None);
    }
}
