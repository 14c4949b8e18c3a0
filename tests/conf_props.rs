//! Property tests for the `.conf` grammar (`grammar/conf.pest` and `conf::parse_str`):
//! any input loads without a panic with diagnostics inside the text, generated well-formed
//! configs read back exactly (sections, keys, values, line numbers), and `\;` is a `;`.

use proptest::prelude::*;
use std::path::Path;
use zvezda::config::conf::{parse_str, ConfFile};

fn parse(text: &str) -> ConfFile {
    parse_str(
        Path::new("/nonexistent-zvezda-confdir"),
        Path::new("/etc/asterisk/props.conf"),
        text,
    )
}

/// Every diagnostic and every value is placed inside the text: 1..=lines+1.
fn check_places(text: &str) -> Result<(), TestCaseError> {
    let c = parse(text);
    let lines = text.matches('\n').count() as u32 + 1;
    for d in &c.diagnostics {
        prop_assert!(
            (1..=lines + 1).contains(&d.span.line),
            "diagnostic outside the text ({lines} lines): {d}"
        );
        prop_assert_eq!(d.span.file.as_path(), Path::new("/etc/asterisk/props.conf"));
    }
    for cat in &c.categories {
        prop_assert!((1..=lines).contains(&cat.span.line), "{cat:?}");
        for v in &cat.vars {
            prop_assert!((1..=lines).contains(&v.span.line), "{v:?}");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- well-formed configs

/// What follows a header or an assignment on its line.
#[derive(Clone, Debug)]
enum Trail {
    None,
    /// `; text`
    Line(String),
    /// `;-- text --;`
    Block(String),
    /// `;-- text` then lines, then `--;` on a line of its own.
    Multi(String, Vec<String>),
}

/// A line (or lines) between the assignments that carries no setting.
#[derive(Clone, Debug)]
enum Filler {
    Blank(String),
    Comment(String),
    Block(Vec<String>),
}

#[derive(Clone, Debug)]
struct Assign {
    lead: String,
    key: String,
    ws1: String,
    object: bool,
    ws2: String,
    value: String,
    ws3: String,
    trail: Trail,
}

#[derive(Clone, Debug)]
struct Section {
    lead: String,
    name: String,
    trail: Trail,
    items: Vec<(Vec<Filler>, Assign)>,
}

#[derive(Clone, Debug)]
struct Conf {
    head: Vec<Filler>,
    sections: Vec<Section>,
    /// Per physical line, cycled: CRLF or LF.
    crlf: Vec<bool>,
    final_newline: bool,
}

/// (name, line, [(key, value, object, line)])
type Expected = Vec<(String, u32, Vec<(String, String, bool, u32)>)>;

fn ws() -> impl Strategy<Value = String> {
    "[ \t]{0,3}"
}

/// Comment text: no ';', '-' or '\' (they would end, open or escape comments).
fn comment_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 =\\[\\]()#,.>+]{0,12}"
}

fn trail() -> impl Strategy<Value = Trail> {
    prop_oneof![
        2 => Just(Trail::None),
        2 => comment_text().prop_map(Trail::Line),
        1 => comment_text().prop_map(Trail::Block),
        1 => (comment_text(), prop::collection::vec(comment_text(), 0..3))
            .prop_map(|(a, b)| Trail::Multi(a, b)),
    ]
}

fn filler() -> impl Strategy<Value = Filler> {
    prop_oneof![
        ws().prop_map(Filler::Blank),
        comment_text().prop_map(Filler::Comment),
        prop::collection::vec(comment_text(), 0..4).prop_map(Filler::Block),
    ]
}

fn assign() -> impl Strategy<Value = Assign> {
    (
        ws(),
        "[a-zA-Z][a-zA-Z0-9_.]{0,8}",
        ws(),
        any::<bool>(),
        ws(),
        // Stripped values: no surrounding blanks, no ';', no leading '>'.
        "([a-zA-Z0-9_,.()/@:${}]([a-zA-Z0-9_ ,.()/@:${}=]{0,10}[a-zA-Z0-9_,.()/@:${}])?)?",
        ws(),
        trail(),
    )
        .prop_map(|(lead, key, ws1, object, ws2, value, ws3, trail)| Assign {
            lead,
            key,
            ws1,
            object,
            ws2,
            value,
            ws3,
            trail,
        })
}

fn section() -> impl Strategy<Value = Section> {
    (
        ws(),
        "[a-zA-Z0-9_.-]{1,10}",
        trail(),
        prop::collection::vec((prop::collection::vec(filler(), 0..3), assign()), 0..6),
    )
        .prop_map(|(lead, name, trail, items)| Section {
            lead,
            name,
            trail,
            items,
        })
}

fn conf() -> impl Strategy<Value = Conf> {
    (
        prop::collection::vec(filler(), 0..3),
        prop::collection::vec(section(), 0..5),
        prop::collection::vec(any::<bool>(), 1..5),
        any::<bool>(),
    )
        .prop_map(|(head, sections, crlf, final_newline)| Conf {
            head,
            sections,
            crlf,
            final_newline,
        })
}

/// Physical lines, without their line ends.
struct Writer {
    lines: Vec<String>,
}

impl Writer {
    /// The 1-based number of the line the next `push` starts.
    fn next_line(&self) -> u32 {
        self.lines.len() as u32 + 1
    }
    /// Push `first` with its trailing comment (which may take more lines).
    fn push(&mut self, first: String, trail: &Trail) {
        match trail {
            Trail::None => self.lines.push(first),
            Trail::Line(t) => self.lines.push(format!("{first};{t}")),
            Trail::Block(t) => self.lines.push(format!("{first};-- {t} --;")),
            Trail::Multi(t, more) => {
                self.lines.push(format!("{first};-- {t}"));
                self.lines.extend(more.iter().cloned());
                self.lines.push("--;".to_string());
            }
        }
    }
    fn filler(&mut self, f: &Filler) {
        match f {
            Filler::Blank(w) => self.lines.push(w.clone()),
            Filler::Comment(t) => self.lines.push(format!(";{t}")),
            Filler::Block(ls) => self.push(String::new(), &Trail::Multi(String::new(), ls.clone())),
        }
    }
}

fn render(c: &Conf) -> (String, Expected) {
    let mut w = Writer { lines: Vec::new() };
    let mut expected = Vec::new();
    for f in &c.head {
        w.filler(f);
    }
    for s in &c.sections {
        let line = w.next_line();
        w.push(format!("{}[{}]", s.lead, s.name), &s.trail);
        let mut vars = Vec::new();
        for (fillers, a) in &s.items {
            for f in fillers {
                w.filler(f);
            }
            let line = w.next_line();
            let op = if a.object { "=>" } else { "=" };
            w.push(
                format!(
                    "{}{}{}{op}{}{}{}",
                    a.lead, a.key, a.ws1, a.ws2, a.value, a.ws3
                ),
                &a.trail,
            );
            vars.push((a.key.clone(), a.value.clone(), a.object, line));
        }
        expected.push((s.name.clone(), line, vars));
    }
    let mut text = String::new();
    let n = w.lines.len();
    for (i, l) in w.lines.iter().enumerate() {
        text.push_str(l);
        if i + 1 < n || c.final_newline {
            text.push_str(if c.crlf[i % c.crlf.len()] {
                "\r\n"
            } else {
                "\n"
            });
        }
    }
    (text, expected)
}

fn actual(c: &ConfFile) -> Expected {
    c.categories
        .iter()
        .map(|cat| {
            (
                cat.name.clone(),
                cat.span.line,
                cat.vars
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone(), v.object, v.span.line))
                    .collect(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_places(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        check_places(&text)?;
    }

    /// Text made of the characters the grammar cares about, so that sections, options,
    /// directives, comments and escapes all turn up. No '/', so `#include` stays in the
    /// (missing) config folder.
    #[test]
    fn conf_like_strings_never_panic(text in "([\\[\\]()!+,;=>#\\\\a-c \t\r\n-]|;--|--;|include |\\[a\\]\\(!\\)|\r\n){0,80}") {
        check_places(&text)?;
    }

    #[test]
    fn well_formed_configs_read_back_exactly(c in conf()) {
        let (text, expected) = render(&c);
        let parsed = parse(&text);
        prop_assert!(parsed.diagnostics.is_empty(), "{:?}\n---\n{}", parsed.diagnostics, text);
        prop_assert!(!parsed.invalid);
        prop_assert_eq!(actual(&parsed), expected, "\n---\n{}", text);
    }

    #[test]
    fn escaped_semicolon_round_trips(
        parts in prop::collection::vec("[a-zA-Z0-9_(),]{1,6}", 1..5),
        lead in ws(),
        tail in comment_text(),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let written = parts.join("\\;");
        let text = format!("[s]{nl}{lead}k ={lead}{written} ;{tail}{nl}other = x\\;{nl}");
        let parsed = parse(&text);
        let s = parsed.section("s").unwrap();
        prop_assert_eq!(&s.vars[0].value, &parts.join(";"));
        prop_assert_eq!(s.vars[0].span.line, 2);
        prop_assert_eq!(&s.vars[1].value, "x;");
        prop_assert_eq!(s.vars[1].span.line, 3);
        prop_assert!(parsed.diagnostics.is_empty());
    }
}
