//! The generic `.conf` reader: Asterisk's main/config.c behaviour on top of `grammar/conf.pest`.
//!
//! It produces a [`ConfFile`]: the categories in file order (templates kept, marked), every
//! variable with its [`Span`], and the diagnostics Asterisk would log while reading (each with
//! file:line). Includes are followed relative to the config directory, as Asterisk does, with
//! globs, `#tryinclude` tolerance and the include depth limit.

use crate::diag::{Diagnostic, Span};
use pest::iterators::Pair;
use pest::Parser;
use pest_derive::Parser;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser)]
#[grammar = "../grammar/conf.pest"]
pub struct ConfParser;

/// Lines longer than this are skipped by Asterisk (its fgets buffer is 8192 bytes).
pub const MAX_LINE: usize = 8191;
/// `MAX_INCLUDE_LEVEL` in config.c.
pub const MAX_INCLUDE_LEVEL: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    /// Written with `=>`.
    pub object: bool,
    /// Copied from a template or base category.
    pub inherited: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub name: String,
    /// `(!)`: a template, skipped by the modules that read the file.
    pub template: bool,
    /// The templates/categories it inherits from, in order.
    pub bases: Vec<String>,
    pub vars: Vec<Variable>,
    pub span: Span,
}

impl Category {
    /// The last value of `name` (case-insensitive), as `ast_variable_retrieve` finds the first
    /// while chan_sip-style readers let later lines override earlier ones; callers choose.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.vars
            .iter()
            .rev()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }
    pub fn first(&self, name: &str) -> Option<&Variable> {
        self.vars.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Variable> + 'a {
        self.vars
            .iter()
            .filter(move |v| v.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncludeKind {
    Include,
    TryInclude,
    Exec,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeRecord {
    pub kind: IncludeKind,
    pub target: String,
    pub span: Span,
    /// Files the target expanded to (empty when missing, or for `#exec`).
    pub resolved: Vec<PathBuf>,
}

/// One config "file" as a module of Asterisk sees it: the top file and all it includes.
#[derive(Clone, Debug, Default)]
pub struct ConfFile {
    pub path: PathBuf,
    pub categories: Vec<Category>,
    pub includes: Vec<IncludeRecord>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, top file first.
    pub files: Vec<PathBuf>,
    /// True when Asterisk would refuse the file (CONFIG_STATUS_FILEINVALID): a parse error.
    pub invalid: bool,
    /// True when the top file does not exist.
    pub missing: bool,
}

impl ConfFile {
    /// Non-template categories, in file order.
    pub fn sections(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| !c.template)
    }
    /// The first non-template category called `name` (case-insensitive, like `ast_category_get`).
    pub fn section(&self, name: &str) -> Option<&Category> {
        self.sections().find(|c| c.name.eq_ignore_ascii_case(name))
    }
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
    }
}

/// Options for [`load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// asterisk.conf `execincludes`: whether `#exec` may run. zvezda never runs it; when the
    /// option is on it says so as an error, when off it warns as Asterisk does.
    pub exec_includes: bool,
}

/// A logical line handed to the syntactic layer.
struct LogicalLine {
    text: String,
    line: u32,
}

/// Split text into logical lines with comments removed, the way config.c does.
/// Returns the lines and, when a block comment never ends, the line where it began.
fn logical_lines(src: &str) -> (Vec<LogicalLine>, Option<u32>, Vec<u32>) {
    if !src.contains(";--") {
        return logical_lines_fast(src);
    }
    logical_lines_pest(src)
}

/// The same result as the `file` rule for text without block comments, where every physical
/// line stands alone: a line with no ';' is its own text, others go through the `line` rule.
/// (A property test checks this path against the grammar.)
fn logical_lines_fast(src: &str) -> (Vec<LogicalLine>, Option<u32>, Vec<u32>) {
    let mut out = Vec::new();
    let mut too_long = Vec::new();
    for (i, l) in src.split('\n').enumerate() {
        let line = i as u32 + 1;
        if l.len() > MAX_LINE {
            too_long.push(line);
            continue;
        }
        if !l.contains(';') {
            out.push(LogicalLine {
                text: l.to_string(),
                line,
            });
            continue;
        }
        let mut text = String::with_capacity(l.len());
        if let Ok(mut p) = ConfParser::parse(Rule::line, l) {
            for piece in p.next().map(|p| p.into_inner()).into_iter().flatten() {
                match piece.as_rule() {
                    Rule::text => text.push_str(piece.as_str()),
                    Rule::escaped_semi => text.push(';'),
                    _ => {}
                }
            }
        }
        out.push(LogicalLine { text, line });
    }
    (out, None, too_long)
}

fn logical_lines_pest(src: &str) -> (Vec<LogicalLine>, Option<u32>, Vec<u32>) {
    let mut out = Vec::new();
    let mut unterminated = None;
    let mut too_long = Vec::new();
    let parsed = match ConfParser::parse(Rule::file, src) {
        Ok(mut p) => p.next().expect("file rule"),
        Err(_) => {
            // The lexical grammar accepts any input; this is unreachable, but never panic.
            for (i, l) in src.split('\n').enumerate() {
                out.push(LogicalLine {
                    text: l.to_string(),
                    line: i as u32 + 1,
                });
            }
            return (out, None, too_long);
        }
    };
    let mut lineno: u32 = 1;
    let mut cur = String::new();
    let mut cur_line = 1u32;
    let mut cur_active = true;
    for line in parsed.into_inner() {
        if line.as_rule() != Rule::line {
            continue; // EOI
        }
        // Only a real physical line counts toward the limit; a `file`-level line that holds a
        // multi-line block comment is several physical lines.
        let raw = line.as_str();
        if raw.len() > MAX_LINE && !raw.contains('\n') {
            too_long.push(lineno);
            // Asterisk skips the whole physical line. A block comment inside it would still
            // count for its newlines; keep the line counter right.
            lineno += 1;
            cur.clear();
            cur_line = lineno;
            continue;
        }
        for piece in line.into_inner() {
            match piece.as_rule() {
                Rule::text if cur_active => {
                    cur.push_str(piece.as_str());
                }
                Rule::escaped_semi if cur_active => {
                    cur.push(';');
                }
                Rule::line_comment => {}
                Rule::block_comment => {
                    let newlines = piece.as_str().matches('\n').count() as u32;
                    if newlines > 0 {
                        // The text before the comment is a line of its own; what follows the
                        // end of the comment starts a new logical line on the closing line.
                        out.push(LogicalLine {
                            text: std::mem::take(&mut cur),
                            line: cur_line,
                        });
                        lineno += newlines;
                        cur_line = lineno;
                    }
                }
                Rule::unterminated_block => {
                    unterminated = Some(lineno);
                    let newlines = piece.as_str().matches('\n').count() as u32;
                    lineno += newlines;
                    cur_active = false;
                }
                _ => {}
            }
        }
        out.push(LogicalLine {
            text: std::mem::take(&mut cur),
            line: cur_line,
        });
        lineno += 1;
        cur_line = lineno;
    }
    (out, unterminated, too_long)
}

/// `ast_strip`: remove leading and trailing whitespace (isspace, so '\r' too).
fn strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b')
}

/// The parsed form of one logical line.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    Section {
        name: String,
        opts: Option<Vec<String>>,
        unclosed_opts: bool,
    },
    UnclosedSection,
    Directive {
        name: String,
        arg: Option<String>,
    },
    Assign {
        name: String,
        value: String,
        object: bool,
        append: bool,
    },
    NoEquals,
}

/// Parse one stripped logical line with the `entry` rule. Plain `name = value` lines take a
/// direct path that gives the same result as the `assignment` rule (checked by a property test).
pub fn parse_entry(text: &str) -> Entry {
    if !text.starts_with(['[', '#', '\\']) {
        return match text.find('=') {
            None => Entry::NoEquals,
            Some(i) => {
                let (mut name, append) = match text[..i].strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (&text[..i], false),
                };
                let mut rest = &text[i + 1..];
                let object = !append && rest.starts_with('>');
                if object {
                    rest = &rest[1..];
                }
                name = strip(name);
                Entry::Assign {
                    name: name.to_string(),
                    value: strip(rest).to_string(),
                    object,
                    append,
                }
            }
        };
    }
    parse_entry_pest(text)
}

/// [`parse_entry`] through the grammar alone.
pub fn parse_entry_pest(text: &str) -> Entry {
    let pair = match ConfParser::parse(Rule::entry, text) {
        Ok(mut p) => p.next().and_then(|e| e.into_inner().next()),
        Err(_) => None,
    };
    let Some(pair) = pair else {
        return Entry::NoEquals;
    };
    match pair.as_rule() {
        Rule::section => section_entry(pair),
        Rule::unclosed_section => Entry::UnclosedSection,
        Rule::directive => {
            let mut name = String::new();
            let mut arg = None;
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::directive_name => name = p.as_str().to_string(),
                    Rule::directive_arg => {
                        let a = strip(p.as_str());
                        if !a.is_empty() {
                            arg = Some(a.to_string())
                        }
                    }
                    _ => {}
                }
            }
            Entry::Directive { name, arg }
        }
        Rule::assignment => {
            let mut name = String::new();
            let mut value = String::new();
            let mut object = false;
            let mut append = false;
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::var_name => {
                        let raw = p.as_str();
                        // A leading backslash escapes the first character (config.c).
                        let raw = raw.strip_prefix('\\').unwrap_or(raw);
                        name = strip(raw).to_string();
                    }
                    Rule::append_op => append = true,
                    Rule::object_op => object = true,
                    Rule::value => value = strip(p.as_str()).to_string(),
                    _ => {}
                }
            }
            Entry::Assign {
                name,
                value,
                object,
                append,
            }
        }
        _ => Entry::NoEquals,
    }
}

fn section_entry(pair: Pair<Rule>) -> Entry {
    let mut name = String::new();
    let mut opts = None;
    let mut unclosed_opts = false;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::section_name => name = p.as_str().to_string(),
            Rule::section_opts => {
                opts = Some(p.into_inner().map(|o| o.as_str().to_string()).collect());
            }
            Rule::section_opts_open => unclosed_opts = true,
            _ => {}
        }
    }
    Entry::Section {
        name,
        opts,
        unclosed_opts,
    }
}

/// Decode a file's bytes: UTF-8 where valid (BOM dropped), otherwise lossy, with a note.
fn decode(bytes: &[u8]) -> (String, Option<u32>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u32
                + 1;
            (String::from_utf8_lossy(bytes).into_owned(), Some(line))
        }
    }
}

struct Loader<'a> {
    confdir: PathBuf,
    opts: &'a LoadOptions,
    out: ConfFile,
    /// Interned paths, so every Span shares its file name.
    paths: HashMap<PathBuf, Arc<PathBuf>>,
}

impl Loader<'_> {
    fn intern(&mut self, p: &Path) -> Arc<PathBuf> {
        self.paths
            .entry(p.to_path_buf())
            .or_insert_with(|| Arc::new(p.to_path_buf()))
            .clone()
    }

    fn resolve(&self, name: &str) -> PathBuf {
        let p = Path::new(name);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.confdir.join(p)
        }
    }

    /// Load `name` (absolute, or relative to the config directory). `cat` is the index of the
    /// current category, carried into included files as config.c does. Returns whether any
    /// file was found.
    fn load_file(&mut self, name: &str, mut cat: Option<usize>, level: usize) -> bool {
        let full = self.resolve(name);
        let pattern = full.to_string_lossy().into_owned();
        let mut found_any = false;
        let mut files: Vec<PathBuf> = Vec::new();
        if pattern.contains(['*', '?', '[']) {
            if let Ok(paths) = glob::glob(&pattern) {
                files.extend(paths.flatten());
            }
            files.sort();
        } else {
            files.push(full);
        }
        for f in files {
            let meta = match std::fs::metadata(&f) {
                Ok(m) => m,
                Err(_) => continue,
            };
            if !meta.is_file() {
                let sp = Span::new(self.intern(&f), 0);
                self.out.diagnostics.push(Diagnostic::warning(
                    "conf-not-a-file",
                    sp,
                    format!("'{}' is not a regular file, ignoring", f.display()),
                ));
                continue;
            }
            let bytes = match std::fs::read(&f) {
                Ok(b) => b,
                Err(e) => {
                    let sp = Span::new(self.intern(&f), 0);
                    self.out.diagnostics.push(Diagnostic::error(
                        "conf-unreadable",
                        sp,
                        format!("cannot read '{}': {e}", f.display()),
                    ));
                    continue;
                }
            };
            found_any = true;
            self.out.files.push(f.clone());
            // One glob expansion shares config.c's `cat`: a file without a header continues
            // the section the previous file of the same glob ended in.
            cat = self.parse_text(&f, &bytes, cat, level);
        }
        found_any
    }

    fn parse_text(
        &mut self,
        path: &Path,
        bytes: &[u8],
        mut cat: Option<usize>,
        level: usize,
    ) -> Option<usize> {
        let file = self.intern(path);
        let (text, bad_utf8) = decode(bytes);
        if let Some(line) = bad_utf8 {
            self.out.diagnostics.push(Diagnostic::info(
                "conf-not-utf8",
                Span::new(file.clone(), line),
                "the file is not valid UTF-8 from this line on; bytes that are not UTF-8 are read as U+FFFD",
            ));
        }
        let (lines, unterminated, too_long) = logical_lines(&text);
        for l in too_long {
            self.out.diagnostics.push(Diagnostic::warning(
                "conf-line-too-long",
                Span::new(file.clone(), l),
                format!("line longer than {MAX_LINE} bytes: Asterisk skips it, and so does zvezda"),
            ));
        }
        for ll in lines {
            let t = strip(&ll.text);
            if t.is_empty() {
                continue;
            }
            let span = Span::new(file.clone(), ll.line);
            if !self.process_line(t, span, &mut cat, level) {
                // config.c stops reading the file at the first parse error and the whole
                // config is refused. Keep reading (so lint sees everything) but remember.
                self.out.invalid = true;
            }
        }
        if let Some(l) = unterminated {
            self.out.diagnostics.push(Diagnostic::warning(
                "conf-unterminated-comment",
                Span::new(file, l),
                "block comment ';--' is never closed with '--;': the rest of the file is a comment",
            ));
        }
        cat
    }

    fn find_category(&self, name: &str, templates_too: bool) -> Option<usize> {
        self.out
            .categories
            .iter()
            .position(|c| c.name == name && (templates_too || !c.template))
    }

    /// One logical line. Returns false on what config.c treats as a parse error.
    fn process_line(&mut self, t: &str, span: Span, cat: &mut Option<usize>, level: usize) -> bool {
        match parse_entry(t) {
            Entry::UnclosedSection => {
                self.out.diagnostics.push(Diagnostic::error(
                    "conf-section-unclosed",
                    span,
                    "section header has no closing ']': Asterisk refuses the whole file",
                ));
                false
            }
            Entry::Section {
                name,
                opts,
                unclosed_opts,
            } => {
                if unclosed_opts {
                    self.out.diagnostics.push(Diagnostic::error(
                        "conf-section-options-unclosed",
                        span,
                        format!("options of section [{name}] have no closing ')': Asterisk refuses the whole file"),
                    ));
                    return false;
                }
                let mut newcat = Category {
                    name: name.clone(),
                    template: false,
                    bases: vec![],
                    vars: vec![],
                    span: span.clone(),
                };
                let mut append_to: Option<usize> = None;
                for opt in opts.unwrap_or_default() {
                    if opt == "!" {
                        newcat.template = true;
                    } else if let Some(_filter) = opt.strip_prefix('+') {
                        match self
                            .find_category(&name, false)
                            .or_else(|| self.find_category(&name, true))
                        {
                            Some(i) => append_to = Some(i),
                            None => {
                                self.out.diagnostics.push(Diagnostic::error(
                                    "conf-append-missing",
                                    span,
                                    format!("[{name}](+) adds to a section that does not exist yet: Asterisk refuses the whole file"),
                                ));
                                return false;
                            }
                        }
                    } else {
                        match self.find_category(&opt, true) {
                            Some(i) => {
                                let base = &self.out.categories[i];
                                let vars: Vec<Variable> = base
                                    .vars
                                    .iter()
                                    .map(|v| Variable {
                                        inherited: true,
                                        ..v.clone()
                                    })
                                    .collect();
                                newcat.vars.extend(vars);
                                newcat.bases.push(opt);
                            }
                            None => {
                                self.out.diagnostics.push(Diagnostic::error(
                                    "conf-template-missing",
                                    span,
                                    format!("[{name}] inherits from '{opt}', which is not defined above it: Asterisk refuses the whole file"),
                                ));
                                return false;
                            }
                        }
                    }
                }
                if let Some(i) = append_to {
                    let c = &mut self.out.categories[i];
                    c.template |= newcat.template;
                    c.vars.extend(newcat.vars);
                    *cat = Some(i);
                } else {
                    self.out.categories.push(newcat);
                    *cat = Some(self.out.categories.len() - 1);
                }
                true
            }
            Entry::Directive { name, arg } => self.directive(&name, arg, span, *cat, level),
            Entry::Assign {
                name,
                value,
                object,
                append,
            } => {
                let Some(ci) = *cat else {
                    self.out.diagnostics.push(Diagnostic::error(
                        "conf-no-section",
                        span,
                        "setting before any [section]: Asterisk refuses the whole file",
                    ));
                    return false;
                };
                if name.is_empty() {
                    self.out.diagnostics.push(Diagnostic::warning(
                        "conf-no-name",
                        span,
                        "no variable name before '=': Asterisk ignores this line",
                    ));
                    return true;
                }
                let c = &mut self.out.categories[ci];
                if append {
                    if let Some(v) = c.vars.iter_mut().rev().find(|v| v.name == name) {
                        v.value.push_str(&value);
                        v.value = v.value.trim().to_string();
                        return true;
                    }
                }
                c.vars.push(Variable {
                    name,
                    value,
                    object,
                    inherited: false,
                    span,
                });
                true
            }
            Entry::NoEquals => {
                if cat.is_none() {
                    self.out.diagnostics.push(Diagnostic::error(
                        "conf-no-section",
                        span,
                        "text before any [section]: Asterisk refuses the whole file",
                    ));
                    return false;
                }
                self.out.diagnostics.push(Diagnostic::warning(
                    "conf-no-equals",
                    span,
                    format!(
                        "no '=' in this line ('{}'): Asterisk ignores it",
                        shorten(t, 40)
                    ),
                ));
                true
            }
        }
    }

    fn directive(
        &mut self,
        name: &str,
        arg: Option<String>,
        span: Span,
        cat: Option<usize>,
        level: usize,
    ) -> bool {
        let kind = match name.to_ascii_lowercase().as_str() {
            "include" => IncludeKind::Include,
            "tryinclude" => IncludeKind::TryInclude,
            "exec" => IncludeKind::Exec,
            _ => {
                self.out.diagnostics.push(Diagnostic::warning(
                    "conf-unknown-directive",
                    span,
                    format!("unknown directive '#{name}': Asterisk ignores it"),
                ));
                return true;
            }
        };
        let Some(arg) = arg else {
            self.out.diagnostics.push(Diagnostic::warning(
                "conf-directive-no-argument",
                span,
                format!("'#{name}' needs an argument: Asterisk ignores it"),
            ));
            return true;
        };
        let target = dequote(&arg).to_string();
        if kind == IncludeKind::Exec {
            let msg = if self.opts.exec_includes {
                format!("#exec {target}: zvezda never runs programs while reading its config; put the output in a file and #include it")
            } else {
                format!("#exec {target} is ignored: execincludes is off in asterisk.conf (Asterisk ignores it too)")
            };
            let d = if self.opts.exec_includes {
                Diagnostic::error("conf-exec", span.clone(), msg)
            } else {
                Diagnostic::warning("conf-exec", span.clone(), msg)
            };
            self.out.diagnostics.push(d);
            self.out.includes.push(IncludeRecord {
                kind,
                target,
                span,
                resolved: vec![],
            });
            return true;
        }
        if level + 1 > MAX_INCLUDE_LEVEL {
            self.out.diagnostics.push(Diagnostic::error(
                "conf-include-depth",
                span,
                format!("maximum include level ({MAX_INCLUDE_LEVEL}) exceeded at '{target}' (an include loop?)"),
            ));
            return false;
        }
        let before = self.out.files.len();
        let found = self.load_file(&target, cat, level + 1);
        let resolved = self.out.files[before..].to_vec();
        self.out.includes.push(IncludeRecord {
            kind: kind.clone(),
            target: target.clone(),
            span: span.clone(),
            resolved,
        });
        if !found && kind == IncludeKind::Include {
            self.out.diagnostics.push(Diagnostic::error(
                "conf-include-missing",
                span,
                format!("#include '{target}' does not exist: Asterisk refuses the whole file (use #tryinclude for an optional file)"),
            ));
            return false;
        }
        true
    }
}

/// Strip one pair of surrounding `"..."` or `<...>`.
fn dequote(s: &str) -> &str {
    if s.len() >= 2 {
        if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            return inner;
        }
        if let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
            return inner;
        }
    }
    s
}

pub fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// Load `name` from the config directory `confdir` as Asterisk would (`name` may be absolute).
pub fn load(confdir: &Path, name: &str, opts: &LoadOptions) -> ConfFile {
    let mut l = Loader {
        confdir: confdir.to_path_buf(),
        opts,
        out: ConfFile::default(),
        paths: HashMap::new(),
    };
    l.out.path = l.resolve(name);
    if !l.load_file(name, None, 1) {
        l.out.missing = true;
    }
    l.out
}

/// Parse text that is not on disk (tests, fuzzing). Includes resolve against `confdir`.
pub fn parse_str(confdir: &Path, virtual_path: &Path, text: &str) -> ConfFile {
    let opts = LoadOptions::default();
    let mut l = Loader {
        confdir: confdir.to_path_buf(),
        opts: &opts,
        out: ConfFile::default(),
        paths: HashMap::new(),
    };
    l.out.path = virtual_path.to_path_buf();
    l.out.files.push(virtual_path.to_path_buf());
    l.parse_text(virtual_path, text.as_bytes(), None, 1);
    l.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ConfFile {
        parse_str(
            Path::new("/nonexistent"),
            Path::new("/etc/asterisk/test.conf"),
            text,
        )
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_entry_equals_grammar(line in "[ a-z=+>;\\\\\\[\\]#(),!\t]{0,24}") {
            let t = strip(&line);
            prop_assume!(!t.is_empty());
            prop_assert_eq!(parse_entry(t), parse_entry_pest(t));
        }

        #[test]
        fn fast_lines_equal_grammar(text in "([a-z =;\\\\\\-\r]{0,12}\n){0,8}") {
            prop_assume!(!text.contains(";--"));
            let (a, _, _) = logical_lines_fast(&text);
            let (b, _, _) = logical_lines_pest(&text);
            let a: Vec<_> = a.iter().map(|l| (l.text.clone(), l.line)).collect();
            let b: Vec<_> = b.iter().map(|l| (l.text.clone(), l.line)).collect();
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn sections_and_values() {
        let c = p("[general]\nfoo = bar ; comment\nexten => 1,1,NoOp(a\\;b)\n");
        let g = c.section("general").unwrap();
        assert_eq!(g.vars.len(), 2);
        assert_eq!(g.vars[0].value, "bar");
        assert!(!g.vars[0].object);
        assert_eq!(g.vars[1].value, "1,1,NoOp(a;b)");
        assert!(g.vars[1].object);
        assert_eq!(g.vars[1].span.line, 3);
    }

    #[test]
    fn block_comments_nest_and_span_lines() {
        let c =
            p("[a]\nx=1 ;-- one ;-- two --; still --; y=2\nz=3 ;-- start\nmiddle\nend --; w=4\n");
        let a = c.section("a").unwrap();
        let names: Vec<_> = a
            .vars
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str(), v.span.line))
            .collect();
        // Same-line comment joins the pieces: "x=1  y=2" is one assignment.
        assert_eq!(names[0], ("x", "1  y=2", 2));
        assert_eq!(names[1], ("z", "3", 3));
        assert_eq!(names[2], ("w", "4", 5));
    }

    #[test]
    fn long_block_comment_is_not_a_long_line() {
        let body = "x".repeat(100);
        let mut text = String::from("[a]\n;-- start\n");
        for _ in 0..200 {
            text.push_str(&body);
            text.push('\n');
        }
        text.push_str("--; y=2\n");
        let c = p(&text);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let y = &c.section("a").unwrap().vars[0];
        assert_eq!((y.name.as_str(), y.span.line), ("y", 203));
    }

    #[test]
    fn triple_dash_is_a_line_comment() {
        let c = p("[a]\nx=1 ;--- not a block\ny=2\n");
        assert_eq!(c.section("a").unwrap().vars.len(), 2);
    }

    #[test]
    fn unterminated_block_swallows_rest() {
        let c = p("[a]\nx=1\n;-- open\ny=2\n");
        assert_eq!(c.section("a").unwrap().vars.len(), 1);
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "conf-unterminated-comment" && d.span.line == 3));
    }

    #[test]
    fn templates_inherit_and_append() {
        let c = p("[tpl](!)\ntype=friend\nhost=dynamic\n[1001](tpl)\nsecret=x\n[1001](+)\ncontext=c\n[t2](!,tpl)\n");
        assert!(c.section("tpl").is_none());
        let s = c.section("1001").unwrap();
        assert_eq!(s.bases, vec!["tpl"]);
        let vals: Vec<_> = s
            .vars
            .iter()
            .map(|v| (v.name.as_str(), v.inherited))
            .collect();
        assert_eq!(
            vals,
            vec![
                ("type", true),
                ("host", true),
                ("secret", false),
                ("context", false)
            ]
        );
        assert!(c
            .categories
            .iter()
            .any(|c| c.name == "t2" && c.template && c.vars.len() == 2));
    }

    #[test]
    fn space_before_options_ignores_them() {
        let c = p("[tpl] (!)\nx=1\n");
        assert!(c.section("tpl").is_some());
    }

    #[test]
    fn errors_have_lines() {
        let c = p("x=1\n[a\n[b](nosuch)\n[c](+)\n[d](!\n");
        let rules: Vec<_> = c
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.span.line))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("conf-no-section", 1),
                ("conf-section-unclosed", 2),
                ("conf-template-missing", 3),
                ("conf-append-missing", 4),
                ("conf-section-options-unclosed", 5)
            ]
        );
        assert!(c.invalid);
    }

    #[test]
    fn no_equals_and_plus_equals() {
        let c = p("[a]\njunk line\nallow=ulaw\nallow+=,alaw\n");
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "conf-no-equals" && d.span.line == 2));
        assert_eq!(c.section("a").unwrap().vars[0].value, "ulaw,alaw");
    }

    #[test]
    fn crlf_and_escaped_first_char() {
        let c = p("[a]\r\nx = 1\r\n\\=y = 2\r\n");
        let a = c.section("a").unwrap();
        assert_eq!(a.vars[0].value, "1");
        assert_eq!(a.vars[1].name, "=y");
    }

    #[test]
    fn includes_relative_to_confdir_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("main.conf"), "[a]\nx=1\n#include \"inc.conf\"\ny=2\n#include d/*.conf\n#tryinclude nope.conf\n#include <missing.conf>\n").unwrap();
        std::fs::write(dir.path().join("inc.conf"), "z=3\n[b]\nq=4\n").unwrap();
        std::fs::write(dir.path().join("d/1.conf"), "[c]\nr=5\n").unwrap();
        std::fs::write(dir.path().join("d/2.conf"), "s=6\n").unwrap();
        let c = load(dir.path(), "main.conf", &LoadOptions::default());
        let a = c.section("a").unwrap();
        let names: Vec<_> = a.vars.iter().map(|v| v.name.as_str()).collect();
        // The included file continues [a]; after it, the includer's category is still [a].
        assert_eq!(names, vec!["x", "z", "y"]);
        assert_eq!(c.section("b").unwrap().vars[0].name, "q");
        let cvars: Vec<_> = c
            .section("c")
            .unwrap()
            .vars
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(cvars, vec!["r", "s"]);
        let err = c
            .diagnostics
            .iter()
            .find(|d| d.rule == "conf-include-missing")
            .unwrap();
        assert_eq!(err.span.line, 7);
        assert!(err.span.file.ends_with("main.conf"));
        assert_eq!(c.files.len(), 4);
    }

    #[test]
    fn include_loop_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.conf"), "[a]\n#include a.conf\n").unwrap();
        let c = load(dir.path(), "a.conf", &LoadOptions::default());
        assert!(c.diagnostics.iter().any(|d| d.rule == "conf-include-depth"));
    }

    #[test]
    fn non_utf8_is_tolerated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.conf"),
            b"[a]\ncallerid=\"\xc8\xe2\xe0\xed\" <100>\nx=1\n",
        )
        .unwrap();
        let c = load(dir.path(), "a.conf", &LoadOptions::default());
        assert_eq!(c.section("a").unwrap().vars.len(), 2);
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "conf-not-utf8" && d.span.line == 2));
    }
}
