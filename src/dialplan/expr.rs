//! Dialplan expressions: the text between `$[` and `]`, evaluated as Asterisk's
//! `ast_expr2` (the bison grammar `main/ast_expr2.y` with its flex scanner
//! `main/ast_expr2.fl`) does it.
//!
//! What this reproduces, and where the quirks live:
//!
//! * **Scanner.** Tokens are split at whitespace and at operator characters
//!   (`| & = != < > <= >= + - * / % ! : :: ? ( ) , =~ ~~`, with `||`, `&&`, `==` as
//!   synonyms). A token is a run of `[A-Za-z0-9.';\\_^#@]`, bytes >= 0x80 and
//!   `$` followed by anything but `{`. A run that is wholly `[0-9]+(\.[0-9]+)?`
//!   is a *numeric string*, anything else a *string*. `"..."` is one string token
//!   and keeps its quotes (`$["a"]` is `"a"`). Characters no rule matches (`[`,
//!   `{`, a lone `~` or `"`, control characters) are dropped. A leftover `${...}`
//!   is kept as one token, including the scanner's habit of taking the rest of
//!   the input when the reference is followed directly by an operator.
//! * **Grammar.** Lowest to highest: `? ::` (ternary, `c ? a :: b`), `|`, `&`,
//!   comparisons, `+ -`, `* / %`, unary `!` and `-`, then `:` `=~` `~~`, then
//!   parentheses and calls `NAME(arg, ...)`. Everything is left associative.
//!   Operands are always all evaluated (there is no short circuit).
//! * **Values.** Numbers are x87 80-bit `long double`s, done here in software
//!   with IEEE rounding so that `1 / 3` prints as Asterisk prints it
//!   (`0.333333333333333333`); results print with `%.18Lg`. Numeric strings
//!   keep their text until an operator needs the number (`$[007]` is `007`,
//!   `$[007 | 1]` is `7`). Comparisons are numeric unless either side is a
//!   string, then byte-wise (`strcoll` in Asterisk's `C.UTF-8` locale).
//! * **Regex.** `:` (match must start at the beginning) and `=~` (anywhere) use
//!   POSIX extended regular expressions with glibc's rules: leftmost-longest
//!   match, first group chosen the way glibc's `regexec` chooses it. The result
//!   is the first group's text if it took part, else the match length in bytes;
//!   without a match, `0` (no groups) or the empty string; a pattern that does
//!   not compile gives the empty string. Back-references (`\1`) are not
//!   supported and count as a pattern that does not compile.
//! * **Functions.** The built-ins of `ast_expr2`: `COS SIN TAN ACOS ASIN ATAN
//!   ATAN2 POW SQRT FLOOR CEIL ROUND RINT TRUNC EXP EXP2 EXP10 LOG LOG2 LOG10
//!   REMAINDER ABS`. Anything else is `0`, as Asterisk gives for a name that is
//!   not a built-in and not a dialplan function (dialplan functions called
//!   inside `$[...]` are not available here). The rounding functions, `SQRT`,
//!   `REMAINDER`, `ABS` and integral powers are exact; the transcendental ones
//!   and fractional powers go through `f64` and may differ from glibc's
//!   `long double` ones in the last two or three of the 18 printed digits. A
//!   string argument reads garbage in Asterisk (a tiny number); it is 0 here.
//! * **Errors.** A syntax error gives an [`ExprError`] whose message is the
//!   warning Asterisk logs (`ast_yyerror():  syntax error: syntax error,
//!   unexpected '|', expecting $end; Input:` ...), token names and caret column
//!   as Asterisk has them. (What Asterisk substitutes then depends on how far
//!   bison got: `""` when nothing was parsed, `"0"` mid-expression, the value
//!   so far after a complete one as in `1 2`.) Run-time problems (division by
//!   zero, non-numeric operands) are not errors: they give Asterisk's values
//!   (`1 / 0` is `2147483647`, `abc + 1` is `1`) without its log lines.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use self::f80::F80;

/// A syntax error in an expression. Asterisk logs `message` as a WARNING.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// The text of Asterisk's warning, input and caret lines included.
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

/// Evaluates the text between `$[` and `]` (variables already substituted), as Asterisk does.
pub fn evaluate(expr: &str) -> Result<String, ExprError> {
    // Asterisk hands the scanner a C string.
    let expr = match expr.find('\0') {
        Some(i) => &expr[..i],
        None => expr,
    };
    let mut parser = Parser::new(expr);
    match parser.parse_start() {
        Ok(v) => Ok(v.into_string()),
        Err(e) => Err(ExprError {
            message: e.render(expr),
        }),
    }
}

// ---------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Or,
    And,
    Eq,
    Gt,
    Lt,
    Ge,
    Le,
    Ne,
    Plus,
    Minus,
    Mult,
    Div,
    Mod,
    Compl,
    Colon,
    EqTilde,
    TildeTilde,
    Cond,
    ColonColon,
    Comma,
    Lp,
    Rp,
}

impl Op {
    /// The name Asterisk's error messages use for the token.
    fn describe(self) -> &'static str {
        match self {
            Op::Or => "'|'",
            Op::And => "'&'",
            Op::Eq => "'='",
            Op::Gt => "'>'",
            Op::Lt => "'<'",
            Op::Ge => "'>='",
            Op::Le => "'<='",
            Op::Ne => "'!='",
            Op::Plus => "'+'",
            Op::Minus => "'-'",
            Op::Mult => "'*'",
            Op::Div => "'/'",
            Op::Mod => "'%'",
            Op::Compl => "'!'",
            Op::Colon => "':'",
            // Asterisk's token-name substitution matches TOK_EQ inside TOK_EQTILDE.
            Op::EqTilde => "'='TILDE",
            Op::TildeTilde => "TOK_TILDETILDE",
            Op::Cond => "'?'",
            Op::ColonColon => "'::'",
            Op::Comma => "','",
            Op::Lp => "'('",
            Op::Rp => "')'",
        }
    }

    /// Binding strength as a binary operator (`None`: not one).
    fn binary_prec(self) -> Option<u8> {
        Some(match self {
            Op::Cond => 1,
            Op::Or => 2,
            Op::And => 3,
            Op::Eq | Op::Gt | Op::Lt | Op::Ge | Op::Le | Op::Ne => 4,
            Op::Plus | Op::Minus => 5,
            Op::Mult | Op::Div | Op::Mod => 6,
            Op::Colon | Op::EqTilde | Op::TildeTilde => 8,
            _ => return None,
        })
    }
}

/// Operand of unary `!` and `-`: only `:`, `=~` and `~~` bind tighter.
const UNARY_OPERAND_PREC: u8 = 8;

enum Tok<'a> {
    Op(Op),
    Val(Val<'a>),
    End,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'.' | b'\'' | b';' | b'\\' | b'_' | b'^' | b'#' | b'@')
        || b >= 0x80
}

/// Characters that end the text after a `${...}` reference.
fn is_trail_delim(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'\t'
            | b'\r'
            | b' '
            | b'\n'
            | b'$'
            | b'('
            | b')'
            | b':'
            | b'?'
            | b'%'
            | b'/'
            | b'+'
            | b'='
            | b'*'
            | b'<'
            | b'>'
            | b'!'
            | b'|'
            | b'&'
    )
}

/// `[0-9]+(\.[0-9]+)?`, the scanner's number rule.
fn is_number_text(s: &[u8]) -> bool {
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if int == 0 {
        return false;
    }
    match &s[int..] {
        [] => true,
        [b'.', frac @ ..] => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

impl<'a> Lexer<'a> {
    /// The next token and the byte offset where it starts.
    fn next_token(&mut self) -> (Tok<'a>, usize) {
        let src = self.src;
        let b = src.as_bytes();
        loop {
            let start = self.pos;
            let Some(&c) = b.get(start) else {
                return (Tok::End, b.len());
            };
            let next = b.get(start + 1).copied();
            let op = |lx: &mut Self, op: Op, len: usize| {
                lx.pos = start + len;
                (Tok::Op(op), start)
            };
            return match (c, next) {
                (b' ' | b'\t' | b'\r' | b'\n', _) => {
                    self.pos += 1;
                    continue;
                }
                (b'|', Some(b'|')) => op(self, Op::Or, 2),
                (b'|', _) => op(self, Op::Or, 1),
                (b'&', Some(b'&')) => op(self, Op::And, 2),
                (b'&', _) => op(self, Op::And, 1),
                (b'=', Some(b'=')) => op(self, Op::Eq, 2),
                (b'=', Some(b'~')) => op(self, Op::EqTilde, 2),
                (b'=', _) => op(self, Op::Eq, 1),
                (b'~', Some(b'~')) => op(self, Op::TildeTilde, 2),
                (b'>', Some(b'=')) => op(self, Op::Ge, 2),
                (b'>', _) => op(self, Op::Gt, 1),
                (b'<', Some(b'=')) => op(self, Op::Le, 2),
                (b'<', _) => op(self, Op::Lt, 1),
                (b'!', Some(b'=')) => op(self, Op::Ne, 2),
                (b'!', _) => op(self, Op::Compl, 1),
                (b':', Some(b':')) => op(self, Op::ColonColon, 2),
                (b':', _) => op(self, Op::Colon, 1),
                (b'+', _) => op(self, Op::Plus, 1),
                (b',', _) => op(self, Op::Comma, 1),
                (b'-', _) => op(self, Op::Minus, 1),
                (b'*', _) => op(self, Op::Mult, 1),
                (b'/', _) => op(self, Op::Div, 1),
                (b'%', _) => op(self, Op::Mod, 1),
                (b'?', _) => op(self, Op::Cond, 1),
                (b'(', _) => op(self, Op::Lp, 1),
                (b')', _) => op(self, Op::Rp, 1),
                (b'"', _) => match b[start + 1..].iter().position(|&x| x == b'"') {
                    Some(len) => {
                        self.pos = start + len + 2;
                        (
                            Tok::Val(Val::Str(Cow::Borrowed(&src[start..self.pos]))),
                            start,
                        )
                    }
                    None => {
                        self.pos += 1;
                        continue;
                    }
                },
                (b'$', Some(b'{')) => self.variable(start, start + 2),
                (b'$', Some(_)) => self.word(start),
                (c, _) if is_token_byte(c) => self.word(start),
                _ => {
                    // No rule matches: flex echoes the character and goes on.
                    self.pos += 1;
                    continue;
                }
            };
        }
    }

    fn word(&mut self, start: usize) -> (Tok<'a>, usize) {
        let src = self.src;
        let b = src.as_bytes();
        let mut i = start;
        loop {
            match b.get(i) {
                Some(&c) if is_token_byte(c) => i += 1,
                Some(b'$') if b.get(i + 1).is_some_and(|&n| n != b'{') => i += 2,
                _ => break,
            }
        }
        // `i` is at an ASCII byte or the end, so it is a char boundary.
        if b.get(i) == Some(&b'$') && b.get(i + 1) == Some(&b'{') {
            return self.variable(start, i + 2);
        }
        self.pos = i;
        let text = &src[start..i];
        let val = if is_number_text(text.as_bytes()) {
            Val::NumStr(Cow::Borrowed(text))
        } else {
            Val::Str(Cow::Borrowed(text))
        };
        (Tok::Val(val), start)
    }

    /// A `${...}` reference that was left in the text: the scanner's `var` and
    /// `trail` states. `start` is where the token began, `q` is just past `${`.
    /// When the input ends inside the braces the token is lost (end of input).
    fn variable(&mut self, start: usize, mut q: usize) -> (Tok<'a>, usize) {
        let src = self.src;
        let b = src.as_bytes();
        let mut depth = 0i32;
        loop {
            let Some(j) = b[q..].iter().position(|&c| c == b'{' || c == b'}') else {
                // No brace left: flex drops the rest a character at a time, and
                // the error caret ends up after it; with nothing left it stays
                // at the token.
                self.pos = b.len();
                return (Tok::End, if q == b.len() { start } else { b.len() });
            };
            let j = q + j;
            q = j + 1;
            if b[j] == b'{' {
                depth += 1;
                continue;
            }
            depth -= 1;
            if depth >= 0 {
                continue;
            }
            // After the closing brace: everything up to a delimiter belongs to the token.
            let k = q + b[q..].iter().take_while(|&&c| !is_trail_delim(c)).count();
            if b.get(k) == Some(&b'$') && b.get(k + 1) == Some(&b'{') {
                q = k + 2;
                depth = 0;
                continue;
            }
            self.pos = k;
            let text = if k > q || k == b.len() {
                &src[start..k]
            } else {
                // A delimiter right after the brace: flex `unput`s it without
                // ending the token text, which then runs to the end of the input.
                &src[start..]
            };
            return (Tok::Val(Val::Str(Cow::Borrowed(text))), start);
        }
    }
}

// ---------------------------------------------------------------------------
// Parser (evaluates as it goes, like the bison actions)
// ---------------------------------------------------------------------------

/// What the parser would have accepted where it failed, for the message.
#[derive(Clone, Copy)]
enum Expect {
    Operand,
    End,
    ArgSep,
    Unlisted,
}

struct SyntaxError {
    at: usize,
    unexpected: &'static str,
    expect: Expect,
    exhausted: bool,
}

impl SyntaxError {
    fn render(&self, input: &str) -> String {
        let what = if self.exhausted {
            "memory exhausted".to_string()
        } else {
            let expecting = match self.expect {
                Expect::Operand => ", expecting '-' or '!' or '(' or '<token>'",
                Expect::End => ", expecting $end",
                Expect::ArgSep => ", expecting ',' or ')'",
                Expect::Unlisted => "",
            };
            format!("syntax error, unexpected {}{expecting}", self.unexpected)
        };
        format!(
            "ast_yyerror():  syntax error: {what}; Input:\n{input}\n{}^\n",
            " ".repeat(self.at)
        )
    }
}

/// Nesting (parentheses, unary operators, calls, `?` arms) beyond which the
/// parse gives up, as bison does when its stack is full.
const MAX_DEPTH: usize = 400;

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Tok<'a>,
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        let mut lexer = Lexer { src, pos: 0 };
        let (tok, at) = lexer.next_token();
        Parser {
            lexer,
            tok,
            at,
            depth: 0,
        }
    }

    fn bump(&mut self) -> Tok<'a> {
        let (t, at) = self.lexer.next_token();
        self.at = at;
        std::mem::replace(&mut self.tok, t)
    }

    fn error(&self, expect: Expect) -> SyntaxError {
        let unexpected = match &self.tok {
            Tok::Op(op) => op.describe(),
            Tok::Val(_) => "'<token>'",
            Tok::End => "$end",
        };
        SyntaxError {
            at: self.at,
            unexpected,
            expect,
            exhausted: false,
        }
    }

    fn at_op(&self, op: Op) -> bool {
        matches!(self.tok, Tok::Op(o) if o == op)
    }

    fn at_operand(&self) -> bool {
        matches!(
            self.tok,
            Tok::Val(_) | Tok::Op(Op::Minus | Op::Compl | Op::Lp)
        )
    }

    /// `start: expr | /* empty */ ;`
    fn parse_start(&mut self) -> Result<Val<'a>, SyntaxError> {
        if matches!(self.tok, Tok::End) {
            return Ok(Val::Str(Cow::Borrowed("")));
        }
        if !self.at_operand() {
            // Bison reduces the empty `start` first, then finds no $end.
            return Err(self.error(Expect::End));
        }
        let v = self.parse_expr(1)?;
        if !matches!(self.tok, Tok::End) {
            return Err(self.error(Expect::End));
        }
        Ok(v)
    }

    fn parse_expr(&mut self, min_prec: u8) -> Result<Val<'a>, SyntaxError> {
        let mut lhs = self.parse_operand()?;
        while let Some((op, prec)) = self.binary_op(min_prec) {
            self.bump();
            if op == Op::Cond {
                let yes = self.nested(|p| p.parse_expr(1))?;
                if !self.at_op(Op::ColonColon) {
                    return Err(self.error(Expect::Unlisted));
                }
                self.bump();
                let no = self.parse_expr(2)?;
                lhs = op_cond(lhs, yes, no);
            } else {
                let rhs = self.parse_expr(prec + 1)?;
                lhs = apply_binary(op, lhs, rhs);
            }
        }
        Ok(lhs)
    }

    /// The current token if it is a binary operator binding at least `min_prec`.
    fn binary_op(&self, min_prec: u8) -> Option<(Op, u8)> {
        match self.tok {
            Tok::Op(op) => op.binary_prec().filter(|&p| p >= min_prec).map(|p| (op, p)),
            _ => None,
        }
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, SyntaxError>,
    ) -> Result<T, SyntaxError> {
        if self.depth >= MAX_DEPTH {
            let mut e = self.error(Expect::Unlisted);
            e.exhausted = true;
            return Err(e);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn parse_operand(&mut self) -> Result<Val<'a>, SyntaxError> {
        match self.tok {
            Tok::Op(Op::Minus) => {
                self.bump();
                let v = self.nested(|p| p.parse_expr(UNARY_OPERAND_PREC))?;
                Ok(op_negate(v))
            }
            Tok::Op(Op::Compl) => {
                self.bump();
                let v = self.nested(|p| p.parse_expr(UNARY_OPERAND_PREC))?;
                Ok(op_compl(v))
            }
            Tok::Op(Op::Lp) => {
                self.bump();
                let v = self.nested(|p| p.parse_expr(1))?;
                if !self.at_op(Op::Rp) {
                    return Err(self.error(Expect::Unlisted));
                }
                self.bump();
                Ok(v)
            }
            Tok::Val(_) => {
                let Tok::Val(v) = self.bump() else {
                    unreachable!("current token was a value")
                };
                if !self.at_op(Op::Lp) {
                    return Ok(v);
                }
                self.bump();
                let args = self.nested(|p| p.parse_args())?;
                Ok(call_function(v.text(), args))
            }
            _ => Err(self.error(Expect::Operand)),
        }
    }

    /// `arglist ')'` after `NAME (`; empty arguments after a comma are allowed.
    fn parse_args(&mut self) -> Result<Vec<Val<'a>>, SyntaxError> {
        let mut args = vec![self.parse_expr(1)?];
        loop {
            match self.tok {
                Tok::Op(Op::Rp) => {
                    self.bump();
                    return Ok(args);
                }
                Tok::Op(Op::Comma) => {
                    self.bump();
                    if self.at_op(Op::Comma) || self.at_op(Op::Rp) {
                        args.push(Val::Str(Cow::Borrowed("")));
                    } else if self.at_operand() {
                        args.push(self.parse_expr(1)?);
                    } else {
                        return Err(self.error(Expect::ArgSep));
                    }
                }
                _ => return Err(self.error(Expect::ArgSep)),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// `struct val`: a number, a numeric string (digits, kept as text until an
/// operator needs the number) or a string.
#[derive(Debug)]
enum Val<'a> {
    Num(F80),
    NumStr(Cow<'a, str>),
    Str(Cow<'a, str>),
}

impl<'a> Val<'a> {
    fn num(x: F80) -> Self {
        Val::Num(x)
    }

    fn int(n: u64) -> Self {
        Val::Num(F80::from_u64(n))
    }

    /// `make_str`: digits and dots only make a numeric string.
    fn make_str(s: Cow<'a, str>) -> Self {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            Val::NumStr(s)
        } else {
            Val::Str(s)
        }
    }

    /// `to_number`: numeric strings become numbers; `false` for strings.
    fn coerce_number(&mut self) -> bool {
        match self {
            Val::Num(_) => true,
            Val::Str(_) => false,
            Val::NumStr(s) => match f80::parse_decimal(s) {
                Some(x) => {
                    *self = Val::Num(x);
                    true
                }
                None => {
                    // strtold over/underflowed; Asterisk leaves a NULL string
                    // behind (and usually crashes on it later).
                    *self = Val::Str(Cow::Borrowed(""));
                    false
                }
            },
        }
    }

    /// The number after `to_number`; zero where there is none.
    fn number(&self) -> F80 {
        match self {
            Val::Num(x) => *x,
            _ => F80::ZERO,
        }
    }

    /// `to_string`: numbers become strings (`%.18Lg`).
    fn make_text(&mut self) {
        if let Val::Num(x) = self {
            *self = Val::Str(Cow::Owned(format_number(*x)));
        }
    }

    /// The text of a string or numeric string; empty for a number.
    fn text(&self) -> &str {
        match self {
            Val::Num(_) => "",
            Val::NumStr(s) | Val::Str(s) => s,
        }
    }

    fn is_string(&self) -> bool {
        matches!(self, Val::Str(_))
    }

    fn is_zero_or_null(&mut self) -> bool {
        match self {
            Val::Num(x) => x.is_zero(),
            _ => self.text().is_empty() || (self.coerce_number() && self.number().is_zero()),
        }
    }

    /// `strip_quotes`: a value wrapped in `"` loses every `"` in it.
    fn strip_quotes(&mut self) {
        if let Val::NumStr(s) | Val::Str(s) = self {
            if s.starts_with('"') && s.ends_with('"') {
                *s = Cow::Owned(s.replace('"', ""));
            }
        }
    }

    fn into_cow(self) -> Cow<'a, str> {
        match self {
            Val::Num(x) => Cow::Owned(format_number(x)),
            Val::NumStr(s) | Val::Str(s) => s,
        }
    }

    fn into_string(self) -> String {
        self.into_cow().into_owned()
    }
}

/// `%.18Lg`.
fn format_number(x: F80) -> String {
    let mut s = String::with_capacity(8);
    x.write_g18(&mut s);
    s
}

fn truth(b: bool) -> Val<'static> {
    Val::int(u64::from(b))
}

fn apply_binary<'a>(op: Op, a: Val<'a>, b: Val<'a>) -> Val<'a> {
    match op {
        Op::Or => op_or(a, b),
        Op::And => op_and(a, b),
        Op::Eq | Op::Gt | Op::Lt | Op::Ge | Op::Le | Op::Ne => op_compare(op, a, b),
        Op::Plus => op_plus(a, b),
        Op::Minus => op_minus(a, b),
        Op::Mult => op_times(a, b),
        Op::Div => op_div(a, b),
        Op::Mod => op_rem(a, b),
        Op::Colon => op_regex(a, b, true),
        Op::EqTilde => op_regex(a, b, false),
        Op::TildeTilde => op_concat(a, b),
        Op::Compl | Op::Cond | Op::ColonColon | Op::Comma | Op::Lp | Op::Rp => {
            unreachable!("not a binary operator")
        }
    }
}

fn op_or<'a>(mut a: Val<'a>, b: Val<'a>) -> Val<'a> {
    if a.is_zero_or_null() {
        b
    } else {
        a
    }
}

fn op_and<'a>(mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    if a.is_zero_or_null() || b.is_zero_or_null() {
        Val::int(0)
    } else {
        a
    }
}

fn op_compare<'a>(op: Op, mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    let ord = if a.is_string() || b.is_string() {
        a.make_text();
        b.make_text();
        Some(a.text().as_bytes().cmp(b.text().as_bytes()))
    } else if let (Some(x), Some(y)) = (small_int(&a), small_int(&b)) {
        // The common case (`${COUNT} < 10`) without going through `long double`.
        Some(x.cmp(&y))
    } else {
        a.coerce_number();
        b.coerce_number();
        a.number().partial_cmp(&b.number())
    };
    let r = match op {
        Op::Eq => ord == Some(Ordering::Equal),
        Op::Ne => ord != Some(Ordering::Equal),
        Op::Gt => ord == Some(Ordering::Greater),
        Op::Lt => ord == Some(Ordering::Less),
        Op::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        Op::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        _ => unreachable!("not a comparison"),
    };
    truth(r)
}

/// A numeric string of at most 18 digits and no dot, as an integer.
fn small_int(v: &Val<'_>) -> Option<u64> {
    match v {
        Val::NumStr(s) if s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.bytes().fold(0, |acc, b| acc * 10 + u64::from(b - b'0')))
        }
        _ => None,
    }
}

fn op_cond<'a>(mut a: Val<'a>, yes: Val<'a>, no: Val<'a>) -> Val<'a> {
    let t = if a.is_string() {
        let s = a.text();
        !s.is_empty() && s != "\"\"" && s != "0"
    } else {
        a.coerce_number();
        !a.number().is_zero()
    };
    if t {
        yes
    } else {
        no
    }
}

fn op_plus<'a>(mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    if !a.coerce_number() {
        if b.coerce_number() {
            b
        } else {
            Val::int(0)
        }
    } else if !b.coerce_number() {
        a
    } else {
        Val::num(a.number() + b.number())
    }
}

fn op_minus<'a>(mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    if !a.coerce_number() {
        if b.coerce_number() {
            Val::num(F80::ZERO - b.number())
        } else {
            Val::int(0)
        }
    } else if !b.coerce_number() {
        a
    } else {
        Val::num(a.number() - b.number())
    }
}

fn op_negate(mut a: Val<'_>) -> Val<'_> {
    if a.coerce_number() {
        Val::num(-a.number())
    } else {
        Val::int(0)
    }
}

fn op_times<'a>(mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    if !a.coerce_number() || !b.coerce_number() {
        return Val::int(0);
    }
    Val::num(a.number() * b.number())
}

/// What Asterisk returns for a division by zero or by a string (`INT_MAX`).
const DIV_FAILED: u64 = 2_147_483_647;

fn op_div<'a>(mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    if !a.coerce_number() {
        return Val::int(0);
    }
    if !b.coerce_number() || b.number().is_zero() {
        return Val::int(DIV_FAILED);
    }
    Val::num(a.number() / b.number())
}

fn op_rem<'a>(mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    if !a.coerce_number() || !b.coerce_number() {
        return Val::int(0);
    }
    if b.number().is_zero() {
        // "div by zero": Asterisk hands back the divisor.
        return b;
    }
    Val::num(a.number().fmod(b.number()))
}

/// `!`: numbers by value, strings by `atoi` (with `""` and `"0"` false).
fn op_compl(a: Val<'_>) -> Val<'_> {
    let set = match &a {
        Val::Num(x) => !x.is_zero(),
        Val::NumStr(s) | Val::Str(s) => !s.is_empty() && &**s != "0" && atoi(s) != 0,
    };
    truth(!set)
}

/// C `atoi` as glibc does it: `(int) strtol(s, NULL, 10)`.
fn atoi(s: &str) -> i32 {
    let b = s.as_bytes();
    let mut i = b
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .count();
    let neg = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    for &c in b[i..].iter().take_while(|c| c.is_ascii_digit()) {
        let d = i64::from(c - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    v as i32
}

fn op_concat<'a>(mut a: Val<'a>, mut b: Val<'a>) -> Val<'a> {
    a.make_text();
    b.make_text();
    a.strip_quotes();
    b.strip_quotes();
    let mut s = a.into_cow().into_owned();
    s.push_str(b.text());
    Val::make_str(Cow::Owned(s))
}

/// `:` (`anchored`) and `=~`.
fn op_regex<'a>(mut a: Val<'a>, mut b: Val<'a>, anchored: bool) -> Val<'a> {
    a.make_text();
    b.make_text();
    a.strip_quotes();
    b.strip_quotes();
    let Ok(re) = posix::Regex::new(b.text()) else {
        // "regcomp() error"
        return Val::Str(Cow::Borrowed(""));
    };
    match re.search(a.text(), anchored) {
        Some(m) => match m.group1 {
            Some((s, e)) => {
                let text = match a.into_cow() {
                    Cow::Borrowed(t) => Cow::Borrowed(&t[s..e]),
                    Cow::Owned(t) => Cow::Owned(t[s..e].to_string()),
                };
                Val::make_str(text)
            }
            None => Val::int((m.end - m.start) as u64),
        },
        None if re.groups() == 0 => Val::int(0),
        None => Val::Str(Cow::Borrowed("")),
    }
}

// ---------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------

fn call_function<'a>(name: &str, mut args: Vec<Val<'a>>) -> Val<'a> {
    let upper = name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !upper {
        // "is not possibly a function name"
        return Val::int(0);
    }
    let argc = args.len();
    // Arguments that are not numbers read garbage in Asterisk; zero here.
    let mut x = |i: usize| -> F80 {
        let a: &mut Val<'a> = &mut args[i];
        a.coerce_number();
        a.number()
    };
    let unary: Option<fn(F80) -> F80> = match name {
        "COS" => Some(|v| v.via_f64(f64::cos)),
        "SIN" => Some(|v| v.via_f64(f64::sin)),
        "TAN" => Some(|v| v.via_f64(f64::tan)),
        "ACOS" => Some(|v| v.via_f64(f64::acos)),
        "ASIN" => Some(|v| v.via_f64(f64::asin)),
        "ATAN" => Some(|v| v.via_f64(f64::atan)),
        "SQRT" => Some(F80::sqrt),
        "FLOOR" => Some(|v| v.round_int(f80::RoundMode::Floor)),
        "CEIL" => Some(|v| v.round_int(f80::RoundMode::Ceil)),
        "ROUND" => Some(|v| v.round_int(f80::RoundMode::HalfAway)),
        "RINT" => Some(|v| v.round_int(f80::RoundMode::HalfEven)),
        "TRUNC" => Some(|v| v.round_int(f80::RoundMode::Trunc)),
        "EXP" => Some(F80::exp),
        "EXP2" => Some(|v| F80::from_u64(2).pow(v)),
        "EXP10" => Some(|v| F80::from_u64(10).pow(v)),
        "LOG" => Some(|v| v.log_with(f64::ln, std::f64::consts::LN_2)),
        "LOG2" => Some(|v| v.log_with(f64::log2, 1.0)),
        "LOG10" => Some(|v| v.log_with(f64::log10, std::f64::consts::LOG10_2)),
        "ABS" => Some(|v| {
            if v.partial_cmp(&F80::ZERO) == Some(Ordering::Less) {
                -v
            } else {
                v
            }
        }),
        _ => None,
    };
    if let Some(f) = unary {
        return if argc == 1 {
            Val::num(f(x(0)))
        } else {
            // "Wrong args to %s() function"
            Val::int(0)
        };
    }
    let binary: Option<fn(F80, F80) -> F80> = match name {
        "ATAN2" => Some(|y, x| F80::from_f64(y.to_f64().atan2(x.to_f64()))),
        "POW" => Some(F80::pow),
        "REMAINDER" => Some(F80::remainder),
        _ => None,
    };
    match binary {
        Some(f) if argc == 2 => {
            let a = x(0);
            let b = x(1);
            Val::num(f(a, b))
        }
        // Wrong argument count, or a dialplan function (not reachable from here).
        _ => Val::int(0),
    }
}

// ---------------------------------------------------------------------------
// x87 extended precision, in software
// ---------------------------------------------------------------------------

mod f80 {
    //! The 80-bit `long double` of x86: 64-bit significand, 15-bit exponent,
    //! round-to-nearest-even, subnormals. Only what the evaluator needs.

    use std::cmp::Ordering;
    use std::fmt;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Kind {
        Zero,
        Finite,
        Inf,
        Nan,
    }

    /// `man * 2^exp` for finite values; `man` has bit 63 set unless subnormal.
    #[derive(Clone, Copy, Debug)]
    pub struct F80 {
        neg: bool,
        kind: Kind,
        exp: i32,
        man: u64,
    }

    /// Exponent (of the significand's last bit) of subnormals and the smallest normal.
    const EXP_MIN: i32 = -16445;
    /// Exponent of the largest finite values.
    const EXP_MAX: i32 = 16320;

    #[derive(Clone, Copy)]
    pub enum RoundMode {
        Floor,
        Ceil,
        Trunc,
        HalfAway,
        HalfEven,
    }

    impl F80 {
        pub const ZERO: F80 = F80 {
            neg: false,
            kind: Kind::Zero,
            exp: 0,
            man: 0,
        };

        /// The x87 "default NaN" (sign set: glibc prints it as `-nan`).
        fn nan() -> F80 {
            F80 {
                neg: true,
                kind: Kind::Nan,
                exp: 0,
                man: 0,
            }
        }

        fn special(neg: bool, kind: Kind) -> F80 {
            F80 {
                neg,
                kind,
                exp: 0,
                man: 0,
            }
        }

        pub fn from_u64(n: u64) -> F80 {
            if n == 0 {
                return Self::ZERO;
            }
            let lz = n.leading_zeros();
            F80 {
                neg: false,
                kind: Kind::Finite,
                exp: -(lz as i32),
                man: n << lz,
            }
        }

        pub fn is_zero(self) -> bool {
            self.kind == Kind::Zero
        }

        /// Rounds `man * 2^exp` (plus something below its last bit if `sticky`)
        /// to the nearest representable value, ties to even. Callers keep at
        /// least two bits below the 64 that survive when `sticky` is set.
        fn pack(neg: bool, exp: i32, man: u128, sticky: bool) -> F80 {
            if man == 0 {
                return Self::special(neg, Kind::Zero);
            }
            let top = 127 - man.leading_zeros() as i32;
            let mut sh = top - 63;
            let mut e = exp + sh;
            if e < EXP_MIN {
                sh += EXP_MIN - e;
                e = EXP_MIN;
            }
            let mut m = if sh <= 0 {
                man << (-sh) as u32
            } else if sh > 128 {
                0
            } else if sh == 128 {
                let half = 1u128 << 127;
                u128::from(man > half || (man == half && sticky))
            } else {
                let kept = man >> sh;
                let rem = man & ((1u128 << sh) - 1);
                let half = 1u128 << (sh - 1);
                let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
                kept + u128::from(up)
            };
            if m >> 64 != 0 {
                m >>= 1;
                e += 1;
            }
            if m == 0 {
                return Self::special(neg, Kind::Zero);
            }
            if e > EXP_MAX {
                return Self::special(neg, Kind::Inf);
            }
            F80 {
                neg,
                kind: Kind::Finite,
                exp: e,
                man: m as u64,
            }
        }

        /// Significand with bit 63 set, and its exponent (finite values only).
        fn norm(self) -> (u64, i32) {
            let lz = self.man.leading_zeros();
            (self.man << lz, self.exp - lz as i32)
        }

        fn is_subnormal(self) -> bool {
            self.kind == Kind::Finite && self.man >> 63 == 0
        }

        fn plus(self, o: F80) -> F80 {
            match (self.kind, o.kind) {
                (Kind::Nan, _) => return self,
                (_, Kind::Nan) => return o,
                (Kind::Inf, Kind::Inf) => {
                    return if self.neg == o.neg { self } else { Self::nan() }
                }
                (Kind::Inf, _) => return self,
                (_, Kind::Inf) => return o,
                (Kind::Zero, Kind::Zero) => return Self::special(self.neg && o.neg, Kind::Zero),
                (Kind::Zero, _) => return o,
                (_, Kind::Zero) => return self,
                _ => {}
            }
            let (ma, ea) = self.norm();
            let (mb, eb) = o.norm();
            let a_big = ea > eb || (ea == eb && ma >= mb);
            let ((m1, e1, n1), (m2, e2, n2)) = if a_big {
                ((ma, ea, self.neg), (mb, eb, o.neg))
            } else {
                ((mb, eb, o.neg), (ma, ea, self.neg))
            };
            let d = (e1 - e2) as u32;
            let a = u128::from(m1) << 62;
            let bfull = u128::from(m2) << 62;
            let (b, sticky) = if d >= 127 {
                (0, true)
            } else {
                (bfull >> d, bfull & ((1u128 << d) - 1) != 0)
            };
            if n1 == n2 {
                Self::pack(n1, e1 - 62, a + b, sticky)
            } else {
                let s = a - b - u128::from(sticky);
                if s == 0 && !sticky {
                    return Self::ZERO;
                }
                Self::pack(n1, e1 - 62, s, sticky)
            }
        }

        fn times(self, o: F80) -> F80 {
            let neg = self.neg != o.neg;
            match (self.kind, o.kind) {
                (Kind::Nan, _) => return self,
                (_, Kind::Nan) => return o,
                (Kind::Inf, Kind::Zero) | (Kind::Zero, Kind::Inf) => return Self::nan(),
                (Kind::Inf, _) | (_, Kind::Inf) => return Self::special(neg, Kind::Inf),
                (Kind::Zero, _) | (_, Kind::Zero) => return Self::special(neg, Kind::Zero),
                _ => {}
            }
            let (ma, ea) = self.norm();
            let (mb, eb) = o.norm();
            Self::pack(neg, ea + eb, u128::from(ma) * u128::from(mb), false)
        }

        fn divide(self, o: F80) -> F80 {
            let neg = self.neg != o.neg;
            match (self.kind, o.kind) {
                (Kind::Nan, _) => return self,
                (_, Kind::Nan) => return o,
                (Kind::Inf, Kind::Inf) | (Kind::Zero, Kind::Zero) => return Self::nan(),
                (Kind::Inf, _) | (_, Kind::Zero) => return Self::special(neg, Kind::Inf),
                (_, Kind::Inf) | (Kind::Zero, _) => return Self::special(neg, Kind::Zero),
                _ => {}
            }
            let (ma, ea) = self.norm();
            let (mb, eb) = o.norm();
            let mb = u128::from(mb);
            let n = u128::from(ma) << 64;
            let (q1, r1) = (n / mb, n % mb);
            let n2 = r1 << 8;
            let (q2, r2) = (n2 / mb, n2 % mb);
            Self::pack(neg, ea - eb - 72, (q1 << 8) | q2, r2 != 0)
        }

        /// C `fmodl`: exact, with the sign of `self`.
        pub fn fmod(self, o: F80) -> F80 {
            match (self.kind, o.kind) {
                (Kind::Nan, _) => return self,
                (_, Kind::Nan) => return o,
                (Kind::Inf, _) | (_, Kind::Zero) => return Self::nan(),
                (Kind::Zero, _) | (_, Kind::Inf) => return self,
                _ => {}
            }
            let (ma, ea) = self.norm();
            let (mb, eb) = o.norm();
            if ea < eb || (ea == eb && ma < mb) {
                return self;
            }
            let m = u128::from(mb);
            let mut r = u128::from(ma) % m;
            let mut d = (ea - eb) as u32;
            while d > 0 && r != 0 {
                let k = d.min(64);
                r = (r << k) % m;
                d -= k;
            }
            Self::pack(self.neg, eb, r, false)
        }

        /// C `remainderl`: `self - n * o` with `n` the nearest integer (ties even).
        pub fn remainder(self, o: F80) -> F80 {
            match (self.kind, o.kind) {
                (Kind::Nan, _) => return self,
                (_, Kind::Nan) => return o,
                (Kind::Inf, _) | (_, Kind::Zero) => return Self::nan(),
                (Kind::Zero, _) | (_, Kind::Inf) => return self,
                _ => {}
            }
            let x = self.abs();
            let y = o.abs();
            let mut r = x.fmod(y + y);
            let mut odd = false;
            if r.partial_cmp(&y) != Some(Ordering::Less) {
                r = r - y;
                odd = true;
            }
            match (r + r).partial_cmp(&y) {
                Some(Ordering::Greater) => r = r - y,
                Some(Ordering::Equal) if odd => r = r - y,
                _ => {}
            }
            if r.is_zero() {
                return Self::special(self.neg, Kind::Zero);
            }
            if self.neg {
                -r
            } else {
                r
            }
        }

        fn abs(self) -> F80 {
            F80 { neg: false, ..self }
        }

        /// Correctly rounded square root.
        pub fn sqrt(self) -> F80 {
            match self.kind {
                Kind::Nan | Kind::Zero => return self,
                _ if self.neg => return Self::nan(),
                Kind::Inf => return self,
                Kind::Finite => {}
            }
            let (m, e) = self.norm();
            let k: i32 = if (e - 64).rem_euclid(2) == 0 { 64 } else { 63 };
            let n = u128::from(m) << k;
            let s = isqrt(n);
            let r = n - s * s;
            let s = s + u128::from(r > s);
            Self::pack(false, (e - k) / 2, s, false)
        }

        pub fn round_int(self, mode: RoundMode) -> F80 {
            if self.kind != Kind::Finite {
                return self;
            }
            let (m, e) = self.norm();
            if e >= 0 {
                return self;
            }
            let sh = (-e) as u32;
            let (int, frac_vs_half, frac_nonzero) = if sh > 64 {
                (0u64, Ordering::Less, true)
            } else if sh == 64 {
                (0, m.cmp(&(1u64 << 63)), true)
            } else {
                let frac = m & ((1u64 << sh) - 1);
                (m >> sh, frac.cmp(&(1u64 << (sh - 1))), frac != 0)
            };
            let up = match mode {
                RoundMode::Trunc => false,
                RoundMode::Floor => self.neg && frac_nonzero,
                RoundMode::Ceil => !self.neg && frac_nonzero,
                RoundMode::HalfAway => frac_vs_half != Ordering::Less,
                RoundMode::HalfEven => {
                    frac_vs_half == Ordering::Greater
                        || (frac_vs_half == Ordering::Equal && int & 1 == 1)
                }
            };
            Self::pack(self.neg, 0, u128::from(int) + u128::from(up), false)
        }

        /// `powl`. Integral powers are exact (correctly rounded); otherwise
        /// `x^y = x^n * x^f` with `n` integral and `|f| < 1`, the second factor
        /// from `f64`, so the range is `long double`'s and the precision
        /// about 16 digits.
        pub fn pow(self, y: F80) -> F80 {
            let one = Self::from_u64(1);
            if y.is_zero() {
                return one;
            }
            if self.kind != Kind::Finite || y.kind != Kind::Finite {
                return Self::from_f64(self.to_f64().powf(y.to_f64()));
            }
            let n = y.round_int(RoundMode::Trunc);
            let f = y - n;
            if f.is_zero() {
                return self.powi(n);
            }
            if self.neg {
                return Self::nan();
            }
            let half = Self::from_f64(0.5);
            if f == half || f == -half {
                let r = self.sqrt();
                let r = if f.neg { one / r } else { r };
                return self.powi(n) * r;
            }
            let xf = self.to_f64();
            let t = f.to_f64() * self.log2_abs() * std::f64::consts::LN_2;
            let frac = if t.abs() < 1e-5 {
                // exp(t) for tiny t: f64's pow would round it to 1.
                let t = Self::from_f64(t);
                one + t + t * t / Self::from_u64(2) + t * t * t / Self::from_u64(6)
            } else if xf.is_normal() {
                Self::from_f64(xf.powf(f.to_f64()))
            } else {
                Self::exp2_of(f.to_f64() * self.log2_abs())
            };
            self.powi(n) * frac
        }

        /// `self^n` for an integral `n`.
        fn powi(self, n: F80) -> F80 {
            let one = Self::from_u64(1);
            if n.is_zero() {
                return one;
            }
            let (nm, ne) = n.norm();
            // |n| as an integer, when it is below 2^40.
            let count = if (-63..0).contains(&ne) && nm >> (-ne) as u32 >> 40 == 0 {
                Some(nm >> (-ne) as u32)
            } else {
                None
            };
            let odd = count.is_some_and(|c| c & 1 == 1);
            let neg = self.neg && odd;
            let (m, e) = self.norm();
            let tz = m.trailing_zeros();
            let (m, e) = (m >> tz, i64::from(e) + i64::from(tz));
            let log2 = self.log2_abs() * n.to_f64();
            let Some(count) = count.filter(|_| log2.abs() < 20_000.0) else {
                // Far out of range either way (or |x| = 1).
                let mag = if m == 1 && e == 0 {
                    one
                } else if log2 > 0.0 {
                    Self::special(false, Kind::Inf)
                } else {
                    Self::ZERO
                };
                return if neg { -mag } else { mag };
            };
            let shift = (e * count as i64).clamp(-200_000, 200_000) as i32;
            let bits = u64::from(64 - m.leading_zeros()) * count;
            let mag = if m == 1 {
                Self::pack(false, if n.neg { -shift } else { shift }, 1, false)
            } else if bits <= 40_000 {
                let mut p = Big::from_u64(1);
                let mut base = Big::from_u64(m);
                let mut k = count;
                while k > 0 {
                    if k & 1 == 1 {
                        p = p.mul(&base);
                    }
                    k >>= 1;
                    if k > 0 {
                        base = base.mul(&base);
                    }
                }
                if n.neg {
                    big_quotient(&mut Big::from_u64(1), &mut p, -shift)
                } else {
                    big_quotient(&mut p, &mut Big::from_u64(1), shift)
                }
            } else {
                let mut r = one;
                let mut b = self.abs();
                let mut k = count;
                while k > 0 {
                    if k & 1 == 1 {
                        r = r * b;
                    }
                    b = b * b;
                    k >>= 1;
                }
                if n.neg {
                    one / r
                } else {
                    r
                }
            };
            if neg {
                -mag
            } else {
                mag
            }
        }

        /// `log2 |self|` as an `f64`, for any finite nonzero value.
        pub fn log2_abs(self) -> f64 {
            let (m, e) = self.norm();
            f64::from(e + 63) + (m as f64 / 9_223_372_036_854_775_808.0).log2()
        }

        /// `2^t` over the whole `long double` range.
        fn exp2_of(t: f64) -> F80 {
            if !t.is_finite() {
                return Self::from_f64(t.exp2());
            }
            let k = t.floor();
            let r = Self::from_f64((t - k).exp2());
            let k = k.clamp(-100_000.0, 100_000.0) as i32;
            match r.kind {
                Kind::Finite => {
                    let (m, e) = r.norm();
                    Self::pack(false, e + k, u128::from(m), false)
                }
                _ => r,
            }
        }

        /// A function of the value through `f64`.
        pub fn via_f64(self, f: fn(f64) -> f64) -> F80 {
            Self::from_f64(f(self.to_f64()))
        }

        /// A logarithm: `f` through `f64`, or `log2|x| * scale` where the
        /// value is out of `f64`'s range.
        pub fn log_with(self, f: fn(f64) -> f64, scale: f64) -> F80 {
            let x = self.to_f64();
            if self.kind == Kind::Finite && !self.neg && !x.is_normal() {
                return Self::from_f64(self.log2_abs() * scale);
            }
            Self::from_f64(f(x))
        }

        /// `expl`, over the whole `long double` range.
        pub fn exp(self) -> F80 {
            let x = self.to_f64();
            let r = x.exp();
            if r.is_normal() || !x.is_finite() {
                return Self::from_f64(r);
            }
            Self::exp2_of(x * std::f64::consts::LOG2_E)
        }

        pub fn from_f64(x: f64) -> F80 {
            let bits = x.to_bits();
            let neg = bits >> 63 == 1;
            let be = ((bits >> 52) & 0x7ff) as i32;
            let frac = bits & ((1u64 << 52) - 1);
            match be {
                0x7ff if frac == 0 => Self::special(neg, Kind::Inf),
                0x7ff => Self::special(neg, Kind::Nan),
                0 => Self::pack(neg, -1074, u128::from(frac), false),
                _ => Self::pack(neg, be - 1075, u128::from(frac | 1 << 52), false),
            }
        }

        pub fn to_f64(self) -> f64 {
            let sign = if self.neg { -1.0 } else { 1.0 };
            match self.kind {
                Kind::Zero => return sign * 0.0,
                Kind::Inf => return sign * f64::INFINITY,
                Kind::Nan => return f64::from_bits(f64::NAN.to_bits() | u64::from(self.neg) << 63),
                Kind::Finite => {}
            }
            let (m, e) = self.norm();
            let lead = e + 63;
            if lead > 1023 {
                return sign * f64::INFINITY;
            }
            let sh = if lead >= -1022 {
                11
            } else {
                11 + (-1022 - lead)
            };
            if sh > 65 {
                return sign * 0.0;
            }
            let m = u128::from(m);
            let kept = m >> sh;
            let rem = m & ((1u128 << sh) - 1);
            let half = 1u128 << (sh - 1);
            let kept = kept + u128::from(rem > half || (rem == half && kept & 1 == 1));
            sign * (kept as f64) * pow2(e + sh)
        }

        /// Appends the value as `printf("%.18Lg")` (glibc) prints it.
        pub fn write_g18(self, out: &mut String) {
            if self.neg {
                out.push('-');
            }
            match self.kind {
                Kind::Nan => out.push_str("nan"),
                Kind::Inf => out.push_str("inf"),
                Kind::Zero => out.push('0'),
                Kind::Finite => {
                    let (m, e) = self.norm();
                    let int = (-63..0).contains(&e) && m & ((1u64 << (-e) as u32) - 1) == 0;
                    match m.checked_shr((-e) as u32) {
                        Some(v) if int && v < 1_000_000_000_000_000_000 => push_u64(out, v),
                        _ => {
                            let mut digits = Vec::with_capacity(24);
                            let dexp = decimal_digits(m, e, &mut digits);
                            format_g(&digits, dexp, out);
                        }
                    }
                }
            }
        }
    }

    impl std::ops::Neg for F80 {
        type Output = F80;
        fn neg(self) -> F80 {
            F80 {
                neg: !self.neg,
                ..self
            }
        }
    }

    impl std::ops::Add for F80 {
        type Output = F80;
        fn add(self, o: F80) -> F80 {
            self.plus(o)
        }
    }

    impl std::ops::Sub for F80 {
        type Output = F80;
        fn sub(self, o: F80) -> F80 {
            self.plus(-o)
        }
    }

    impl std::ops::Mul for F80 {
        type Output = F80;
        fn mul(self, o: F80) -> F80 {
            self.times(o)
        }
    }

    impl std::ops::Div for F80 {
        type Output = F80;
        fn div(self, o: F80) -> F80 {
            self.divide(o)
        }
    }

    impl PartialEq for F80 {
        fn eq(&self, o: &F80) -> bool {
            self.partial_cmp(o) == Some(Ordering::Equal)
        }
    }

    impl PartialOrd for F80 {
        fn partial_cmp(&self, o: &F80) -> Option<Ordering> {
            if self.kind == Kind::Nan || o.kind == Kind::Nan {
                return None;
            }
            let sign = |x: &F80| match (x.kind, x.neg) {
                (Kind::Zero, _) => 0,
                (_, true) => -1,
                (_, false) => 1,
            };
            let (sa, sb) = (sign(self), sign(o));
            if sa != sb || sa == 0 {
                return Some(sa.cmp(&sb));
            }
            let mag = |x: &F80| match x.kind {
                Kind::Inf => (1, 0, 0),
                _ => {
                    let (m, e) = x.norm();
                    (0, e, m)
                }
            };
            let ord = mag(self).cmp(&mag(o));
            Some(if sa < 0 { ord.reverse() } else { ord })
        }
    }

    /// `%.18Lg`, glibc style.
    impl fmt::Display for F80 {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let mut out = String::with_capacity(24);
            self.write_g18(&mut out);
            f.write_str(&out)
        }
    }

    /// `2^k` as an `f64` (`k` within the `f64` range, subnormals included).
    fn pow2(k: i32) -> f64 {
        if k >= -1022 {
            f64::from_bits(((k + 1023) as u64) << 52)
        } else {
            f64::from_bits(1u64 << (k + 1074))
        }
    }

    fn isqrt(n: u128) -> u128 {
        let est = (n as f64).sqrt() as u128;
        let mut x = (est + 4096).min(u128::from(u64::MAX));
        loop {
            let y = (x + n / x) / 2;
            if y >= x {
                return x;
            }
            x = y;
        }
    }

    fn push_u64(out: &mut String, mut v: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        out.extend(buf[i..].iter().map(|&b| char::from(b)));
    }

    /// Significant digits `%.18Lg` keeps.
    const PREC: usize = 18;

    /// `%.18g` from decimal digits (`digits[0]`, nonzero, is at `10^dexp`;
    /// anything after the 19th only matters for being nonzero).
    fn format_g(digits: &[u8], mut dexp: i32, out: &mut String) {
        let mut d = [0u8; PREC];
        let n = digits.len().min(PREC);
        d[..n].copy_from_slice(&digits[..n]);
        if digits.len() > PREC {
            let next = digits[PREC];
            let rest = digits[PREC + 1..].iter().any(|&x| x != 0);
            let odd = d[PREC - 1] & 1 == 1;
            if next > 5 || (next == 5 && (rest || odd)) {
                // Round up; a carry out of the first digit makes it 1000...
                let mut i = PREC;
                loop {
                    if i == 0 {
                        d[0] = 1;
                        dexp += 1;
                        break;
                    }
                    i -= 1;
                    if d[i] == 9 {
                        d[i] = 0;
                    } else {
                        d[i] += 1;
                        break;
                    }
                }
            }
        }
        let mut len = PREC;
        while len > 1 && d[len - 1] == 0 {
            len -= 1;
        }
        let d = &d[..len];
        let digit = |x: u8| char::from(b'0' + x);
        if dexp < -4 || dexp >= PREC as i32 {
            out.push(digit(d[0]));
            if d.len() > 1 {
                out.push('.');
                out.extend(d[1..].iter().map(|&x| digit(x)));
            }
            out.push('e');
            out.push(if dexp < 0 { '-' } else { '+' });
            let a = dexp.unsigned_abs();
            if a < 10 {
                out.push('0');
            }
            push_u64(out, u64::from(a));
        } else if dexp >= 0 {
            let int_len = dexp as usize + 1;
            for i in 0..int_len {
                out.push(digit(d.get(i).copied().unwrap_or(0)));
            }
            if d.len() > int_len {
                out.push('.');
                out.extend(d[int_len..].iter().map(|&x| digit(x)));
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-dexp - 1) {
                out.push('0');
            }
            out.extend(d.iter().map(|&x| digit(x)));
        }
    }

    /// Significant decimal digits of `m * 2^e` into `out` (21 of them and a
    /// final 1 for anything nonzero beyond, or all of them), and the power of
    /// ten of the first.
    fn decimal_digits(m: u64, e: i32, out: &mut Vec<u8>) -> i32 {
        if !(-124..0).contains(&e) {
            let (d, dexp) = exact_decimal(m, e);
            out.extend_from_slice(&d);
            return dexp;
        }
        // Fixed point with `sh` fraction bits fits in a u128 times ten.
        let sh = (-e) as u32;
        let mask = (1u128 << sh) - 1;
        let int = (u128::from(m) >> sh) as u64;
        let mut frac = u128::from(m) & mask;
        let mut dexp = -1;
        if int > 0 {
            let mut buf = String::new();
            push_u64(&mut buf, int);
            out.extend(buf.bytes().map(|b| b - b'0'));
            dexp = out.len() as i32 - 1;
        }
        while frac != 0 && out.len() < 21 {
            frac *= 10;
            let d = (frac >> sh) as u8;
            frac &= mask;
            if out.is_empty() && d == 0 {
                dexp -= 1;
                continue;
            }
            out.push(d);
        }
        if frac != 0 {
            out.push(1);
        }
        dexp
    }

    /// All decimal digits of `m * 2^e`, and the power of ten of the first.
    fn exact_decimal(m: u64, e: i32) -> (Vec<u8>, i32) {
        let mut n = Big::from_u64(m);
        if e >= 0 {
            n.shift_left(e as u32);
            let d = n.to_decimal();
            let dexp = d.len() as i32 - 1;
            (d, dexp)
        } else {
            n.mul_pow5((-e) as u32);
            let d = n.to_decimal();
            let dexp = d.len() as i32 - 1 + e;
            (d, dexp)
        }
    }

    /// `strtold` on a numeric string (digits and dots): the longest
    /// `digits[.digits]` prefix. `None` where glibc reports `ERANGE`.
    pub fn parse_decimal(s: &str) -> Option<F80> {
        let b = s.as_bytes();
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut frac: &[u8] = &[];
        if b.get(int_len) == Some(&b'.') {
            let rest = &b[int_len + 1..];
            frac = &rest[..rest.iter().take_while(|c| c.is_ascii_digit()).count()];
        }
        let int = &b[..int_len];
        // Fast path: plain integers that fit.
        if frac.is_empty() && int_len <= 19 {
            let n = int
                .iter()
                .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'));
            return Some(F80::from_u64(n));
        }
        while let [rest @ .., b'0'] = frac {
            frac = rest;
        }
        let mut digits: Vec<u8> = int
            .iter()
            .chain(frac.iter())
            .skip_while(|&&c| c == b'0')
            .map(|&c| c - b'0')
            .collect();
        if digits.is_empty() {
            return Some(F80::ZERO);
        }
        let mut k = frac.len() as u32;
        if digits.len() > frac.len() + 4940 {
            // More than 4940 integer digits: beyond the largest long double.
            return None;
        }
        const KEEP: usize = 6000;
        if digits.len() > KEEP {
            // Far past the last bit that matters: keep a marker for "more".
            let more = digits[KEEP..].iter().any(|&d| d != 0);
            k -= (digits.len() - KEEP) as u32;
            digits.truncate(KEEP);
            if more {
                digits.push(1);
                k += 1;
            }
        }
        let x = if digits.len() <= 19 && k <= 19 {
            let n = digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d));
            let n = F80::from_u64(n);
            if k == 0 {
                n
            } else {
                n / F80::from_u64(10u64.pow(k))
            }
        } else {
            let mut num = Big::from_digits(&digits);
            let mut den = Big::from_u64(1);
            den.mul_pow5(k);
            // value = num / (5^k * 2^k)
            big_quotient(&mut num, &mut den, -(k as i32))
        };
        if x.kind == Kind::Inf || x.kind == Kind::Zero || x.is_subnormal() {
            return None;
        }
        Some(x)
    }

    /// Rounds `num / den * 2^exp2` to an `F80` (both positive; `num` nonzero).
    fn big_quotient(num: &mut Big, den: &mut Big, exp2: i32) -> F80 {
        // Scale so the quotient has 67 or 68 bits.
        let shift = 67 - (num.bits() as i64 - den.bits() as i64);
        let mut exp = exp2 as i64;
        if shift >= 0 {
            num.shift_left(shift as u32);
            exp -= shift;
        } else {
            den.shift_left((-shift) as u32);
            exp -= shift;
        }
        let exp = exp.clamp(-100_000, 100_000) as i32;
        let mut q: u128 = 0;
        den.shift_left(69);
        for i in (0..=69).rev() {
            if num.compare(den) != Ordering::Less {
                num.subtract(den);
                q |= 1u128 << i;
            }
            den.shr1();
        }
        F80::pack(false, exp, q, !num.is_zero())
    }

    /// Just enough unsigned bignum for exact decimal conversion.
    #[derive(Clone)]
    struct Big(Vec<u32>);

    impl Big {
        fn from_u64(n: u64) -> Big {
            let mut b = Big(vec![n as u32, (n >> 32) as u32]);
            b.trim();
            b
        }

        fn from_digits(d: &[u8]) -> Big {
            let mut b = Big(Vec::new());
            for chunk in d.chunks(9) {
                let mut v = 0u32;
                let mut scale = 1u32;
                for &x in chunk {
                    v = v * 10 + u32::from(x);
                    scale *= 10;
                }
                b.mul_add(scale, v);
            }
            b
        }

        fn trim(&mut self) {
            while self.0.last() == Some(&0) {
                self.0.pop();
            }
        }

        fn is_zero(&self) -> bool {
            self.0.is_empty()
        }

        fn bits(&self) -> u64 {
            match self.0.last() {
                None => 0,
                Some(&top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
            }
        }

        fn mul_add(&mut self, m: u32, a: u32) {
            let mut carry = u64::from(a);
            for limb in &mut self.0 {
                let v = u64::from(*limb) * u64::from(m) + carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry != 0 {
                self.0.push(carry as u32);
            }
        }

        fn mul(&self, o: &Big) -> Big {
            let mut r = vec![0u32; self.0.len() + o.0.len()];
            for (i, &a) in self.0.iter().enumerate() {
                let mut carry = 0u64;
                for (j, &b) in o.0.iter().enumerate() {
                    let v = u64::from(a) * u64::from(b) + u64::from(r[i + j]) + carry;
                    r[i + j] = v as u32;
                    carry = v >> 32;
                }
                r[i + o.0.len()] = carry as u32;
            }
            let mut r = Big(r);
            r.trim();
            r
        }

        fn mul_pow5(&mut self, mut k: u32) {
            while k >= 13 {
                self.mul_add(1_220_703_125, 0);
                k -= 13;
            }
            if k > 0 {
                self.mul_add(5u32.pow(k), 0);
            }
        }

        fn shift_left(&mut self, n: u32) {
            if self.is_zero() {
                return;
            }
            let words = (n / 32) as usize;
            let bits = n % 32;
            if bits != 0 {
                let mut carry = 0u32;
                for limb in &mut self.0 {
                    let v = *limb;
                    *limb = (v << bits) | carry;
                    carry = v >> (32 - bits);
                }
                if carry != 0 {
                    self.0.push(carry);
                }
            }
            self.0.splice(0..0, std::iter::repeat_n(0, words));
        }

        fn shr1(&mut self) {
            let mut carry = 0u32;
            for limb in self.0.iter_mut().rev() {
                let v = *limb;
                *limb = (v >> 1) | (carry << 31);
                carry = v & 1;
            }
            self.trim();
        }

        fn compare(&self, o: &Big) -> Ordering {
            self.0
                .len()
                .cmp(&o.0.len())
                .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
        }

        /// `self -= o`, with `self >= o`.
        fn subtract(&mut self, o: &Big) {
            let mut borrow = 0i64;
            for (i, limb) in self.0.iter_mut().enumerate() {
                let v = i64::from(*limb) - i64::from(o.0.get(i).copied().unwrap_or(0)) - borrow;
                if v < 0 {
                    *limb = (v + (1i64 << 32)) as u32;
                    borrow = 1;
                } else {
                    *limb = v as u32;
                    borrow = 0;
                }
            }
            self.trim();
        }

        fn to_decimal(&self) -> Vec<u8> {
            let mut n = self.clone();
            let mut chunks = Vec::new();
            while !n.is_zero() {
                let mut rem = 0u64;
                for limb in n.0.iter_mut().rev() {
                    let v = (rem << 32) | u64::from(*limb);
                    *limb = (v / 1_000_000_000) as u32;
                    rem = v % 1_000_000_000;
                }
                n.trim();
                chunks.push(rem as u32);
            }
            let mut out = Vec::with_capacity(chunks.len() * 9);
            for (i, &c) in chunks.iter().rev().enumerate() {
                let s = if i == 0 {
                    c.to_string()
                } else {
                    format!("{c:09}")
                };
                out.extend(s.bytes().map(|b| b - b'0'));
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------
// POSIX extended regular expressions, glibc flavour
// ---------------------------------------------------------------------------

mod posix {
    //! `regcomp(REG_EXTENDED)` / `regexec` with two match slots, as glibc does
    //! them in a UTF-8 locale: leftmost-longest overall match; the first group
    //! taken along the first path (alternatives and greedy loops in order) that
    //! produces that match, the way glibc's `set_regs` walks its NFA. That
    //! includes its quirks: repetitions are built by copying the repeated
    //! subtree, and only the original copy keeps the mark that stops an empty
    //! pass through an optional group from replacing an earlier non-empty one;
    //! and when the match can end without an anchor after its last character,
    //! paths ending through one do not count. Back-references are not
    //! supported (they compile to an error).

    const MAX_PROG: usize = 50_000;
    const MAX_NEST: usize = 200;
    /// Quantifiers applied one after another (`a***`).
    const MAX_STACKED: usize = 32;
    const MAX_DUP: u32 = 0x7fff;
    /// Bound on (positions x instructions) for working out the group.
    const MAX_GRID: usize = 1 << 22;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Assert {
        Bol,
        Eol,
        WordBoundary,
        NotWordBoundary,
        WordStart,
        WordEnd,
    }

    #[derive(Clone, Copy, Debug)]
    enum Class {
        Alpha,
        Digit,
        Alnum,
        Upper,
        Lower,
        Space,
        Blank,
        Cntrl,
        Print,
        Graph,
        Punct,
        Xdigit,
        Word,
    }

    fn is_word(c: char) -> bool {
        c.is_alphanumeric() || c == '_'
    }

    impl Class {
        fn from_name(s: &str) -> Option<Class> {
            Some(match s {
                "alpha" => Class::Alpha,
                "digit" => Class::Digit,
                "alnum" => Class::Alnum,
                "upper" => Class::Upper,
                "lower" => Class::Lower,
                "space" => Class::Space,
                "blank" => Class::Blank,
                "cntrl" => Class::Cntrl,
                "print" => Class::Print,
                "graph" => Class::Graph,
                "punct" => Class::Punct,
                "xdigit" => Class::Xdigit,
                _ => return None,
            })
        }

        fn matches(self, c: char) -> bool {
            match self {
                Class::Alpha => c.is_alphabetic(),
                Class::Digit => c.is_ascii_digit(),
                Class::Alnum => c.is_alphanumeric(),
                Class::Upper => c.is_uppercase(),
                Class::Lower => c.is_lowercase(),
                Class::Space => c.is_whitespace(),
                Class::Blank => {
                    c == ' '
                        || c == '\t'
                        || (c.is_whitespace()
                            && !c.is_control()
                            && !matches!(c, '\u{2028}' | '\u{2029}'))
                }
                Class::Cntrl => c.is_control(),
                Class::Print => !c.is_control(),
                Class::Graph => !c.is_control() && !c.is_whitespace(),
                Class::Punct => !c.is_control() && !c.is_whitespace() && !c.is_alphanumeric(),
                Class::Xdigit => c.is_ascii_hexdigit(),
                Class::Word => is_word(c),
            }
        }
    }

    #[derive(Debug, Default)]
    struct Set {
        negated: bool,
        ranges: Vec<(char, char)>,
        classes: Vec<Class>,
    }

    impl Set {
        fn matches(&self, c: char) -> bool {
            let hit = self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
                || self.classes.iter().any(|k| k.matches(c));
            hit != self.negated
        }
    }

    #[derive(Debug)]
    enum Node {
        Empty,
        Char(char),
        Any,
        Set(usize),
        Assert(Assert),
        Group(usize, Box<Node>),
        Concat(Vec<Node>),
        Alt(Vec<Node>),
        Repeat(Box<Node>, u32, Option<u32>),
    }

    #[derive(Clone, Copy, Debug)]
    enum Inst {
        Char(char),
        Any,
        Set(usize),
        Assert(Assert),
        Split(usize, usize),
        Jmp(usize),
        Open(usize),
        /// Group end; `true` inside something optional (`*`, `?`, `{0,n}`, extra copies).
        Close(usize, bool),
        Match,
    }

    pub type Error = &'static str;

    pub struct Regex {
        prog: Vec<Inst>,
        sets: Vec<Set>,
        ngroups: usize,
        /// For each instruction, the non-consuming instructions that lead to it.
        preds: Vec<Vec<usize>>,
    }

    pub struct Match {
        pub start: usize,
        pub end: usize,
        pub group1: Option<(usize, usize)>,
    }

    struct Parser<'p> {
        c: Vec<char>,
        i: usize,
        ngroups: usize,
        sets: &'p mut Vec<Set>,
        depth: usize,
    }

    impl Parser<'_> {
        fn peek(&self) -> Option<char> {
            self.c.get(self.i).copied()
        }

        fn alt(&mut self) -> Result<Node, Error> {
            let mut alts = vec![self.branch()?];
            while self.peek() == Some('|') {
                self.i += 1;
                alts.push(self.branch()?);
            }
            Ok(if alts.len() == 1 {
                alts.pop().unwrap_or(Node::Empty)
            } else {
                Node::Alt(alts)
            })
        }

        fn branch(&mut self) -> Result<Node, Error> {
            let mut items = Vec::new();
            loop {
                match self.peek() {
                    None | Some('|') => break,
                    Some(')') if self.depth > 0 => break,
                    _ => {}
                }
                let (mut node, repeatable) = self.atom()?;
                if repeatable {
                    let mut stacked = 0;
                    while let Some((min, max)) = self.quantifier()? {
                        stacked += 1;
                        if stacked > MAX_STACKED {
                            return Err("Regular expression too big");
                        }
                        node = Node::Repeat(Box::new(node), min, max);
                    }
                }
                items.push(node);
            }
            Ok(match items.len() {
                0 => Node::Empty,
                1 => items.pop().unwrap_or(Node::Empty),
                _ => Node::Concat(items),
            })
        }

        fn quantifier(&mut self) -> Result<Option<(u32, Option<u32>)>, Error> {
            let q = match self.peek() {
                Some('*') => (0, None),
                Some('+') => (1, None),
                Some('?') => (0, Some(1)),
                Some('{') => {
                    self.i += 1;
                    return self.interval().map(Some);
                }
                _ => return Ok(None),
            };
            self.i += 1;
            Ok(Some(q))
        }

        fn number(&mut self) -> Option<u32> {
            let start = self.i;
            let mut v: u32 = 0;
            while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
                v = v.saturating_mul(10).saturating_add(d);
                self.i += 1;
            }
            (self.i > start).then_some(v)
        }

        fn interval(&mut self) -> Result<(u32, Option<u32>), Error> {
            let min = self.number();
            let max = if self.peek() == Some(',') {
                self.i += 1;
                self.number()
            } else {
                match min {
                    Some(m) => Some(m),
                    None => return Err("Invalid content of \\{\\}"),
                }
            };
            if self.peek() != Some('}') {
                return Err(if self.peek().is_none() {
                    "Unmatched \\{"
                } else {
                    "Invalid content of \\{\\}"
                });
            }
            self.i += 1;
            let min = min.unwrap_or(0);
            if min > MAX_DUP || max.is_some_and(|m| m > MAX_DUP || m < min) {
                return Err("Invalid content of \\{\\}");
            }
            Ok((min, max))
        }

        /// One atom, and whether a quantifier may follow it.
        fn atom(&mut self) -> Result<(Node, bool), Error> {
            let Some(c) = self.peek() else {
                return Ok((Node::Empty, false));
            };
            self.i += 1;
            Ok(match c {
                '*' | '+' | '?' | '{' => return Err("Invalid preceding regular expression"),
                '(' => {
                    if self.depth >= MAX_NEST {
                        return Err("Memory exhausted");
                    }
                    self.ngroups += 1;
                    let g = self.ngroups;
                    self.depth += 1;
                    let inner = self.alt()?;
                    self.depth -= 1;
                    if self.peek() != Some(')') {
                        return Err("Unmatched ( or \\(");
                    }
                    self.i += 1;
                    (Node::Group(g, Box::new(inner)), true)
                }
                '.' => (Node::Any, true),
                '^' => (Node::Assert(Assert::Bol), false),
                '$' => (Node::Assert(Assert::Eol), false),
                '[' => (self.bracket()?, true),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err("Trailing backslash");
                    };
                    self.i += 1;
                    let mut class = |negated, class| {
                        self.sets.push(Set {
                            negated,
                            ranges: Vec::new(),
                            classes: vec![class],
                        });
                        (Node::Set(self.sets.len() - 1), true)
                    };
                    match e {
                        '1'..='9' => return Err("Invalid back reference"),
                        'w' => class(false, Class::Word),
                        'W' => class(true, Class::Word),
                        's' => class(false, Class::Space),
                        'S' => class(true, Class::Space),
                        'b' => (Node::Assert(Assert::WordBoundary), false),
                        'B' => (Node::Assert(Assert::NotWordBoundary), false),
                        '<' => (Node::Assert(Assert::WordStart), false),
                        '>' => (Node::Assert(Assert::WordEnd), false),
                        '`' => (Node::Assert(Assert::Bol), false),
                        '\'' => (Node::Assert(Assert::Eol), false),
                        other => (Node::Char(other), true),
                    }
                }
                other => (Node::Char(other), true),
            })
        }

        /// After `[`.
        fn bracket(&mut self) -> Result<Node, Error> {
            const UNMATCHED: Error = "Unmatched [, [^, [:, [., or [=";
            let mut set = Set::default();
            if self.peek() == Some('^') {
                set.negated = true;
                self.i += 1;
            }
            let mut first = true;
            loop {
                let c = self.peek().ok_or(UNMATCHED)?;
                if c == ']' && !first {
                    self.i += 1;
                    break;
                }
                first = false;
                let start = self.bracket_elem()?;
                let range_follows =
                    self.peek() == Some('-') && self.c.get(self.i + 1).is_some_and(|&n| n != ']');
                match start {
                    Elem::Class(k) => {
                        if range_follows {
                            return Err("Invalid range end");
                        }
                        set.classes.push(k);
                    }
                    Elem::Char(lo) if range_follows => {
                        self.i += 1;
                        let hi = match self.bracket_elem()? {
                            Elem::Char(hi) => hi,
                            Elem::Class(_) => return Err("Invalid range end"),
                        };
                        if hi < lo {
                            return Err("Invalid range end");
                        }
                        set.ranges.push((lo, hi));
                    }
                    Elem::Char(c) => set.ranges.push((c, c)),
                }
            }
            self.sets.push(set);
            Ok(Node::Set(self.sets.len() - 1))
        }

        fn bracket_elem(&mut self) -> Result<Elem, Error> {
            let c = self.peek().ok_or("Unmatched [, [^, [:, [., or [=")?;
            self.i += 1;
            if c != '[' {
                return Ok(Elem::Char(c));
            }
            let kind = match self.peek() {
                Some(k @ (':' | '.' | '=')) => k,
                _ => return Ok(Elem::Char('[')),
            };
            self.i += 1;
            let start = self.i;
            loop {
                match (self.peek(), self.c.get(self.i + 1)) {
                    (None, _) => return Err("Unmatched [, [^, [:, [., or [="),
                    (Some(k), Some(']')) if k == kind => break,
                    _ => self.i += 1,
                }
            }
            let name: String = self.c[start..self.i].iter().collect();
            self.i += 2;
            if kind == ':' {
                return Class::from_name(&name)
                    .map(Elem::Class)
                    .ok_or("Invalid character class name");
            }
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(Elem::Char(c)),
                _ => Err("Invalid collation character"),
            }
        }
    }

    enum Elem {
        Char(char),
        Class(Class),
    }

    struct Compiler {
        prog: Vec<Inst>,
    }

    impl Compiler {
        fn push(&mut self, i: Inst) -> Result<usize, Error> {
            if self.prog.len() >= MAX_PROG {
                return Err("Regular expression too big");
            }
            self.prog.push(i);
            Ok(self.prog.len() - 1)
        }

        /// Emits `n`. glibc builds repetitions by copying subtrees, and a copy
        /// loses the "optional group" marks of the original: `keep` says whether
        /// this is the original tree, `mark` whether `n`'s own group is the one
        /// its quantifier marks (the first optional copy, or the loop body).
        fn emit(&mut self, n: &Node, keep: bool, mark: bool) -> Result<(), Error> {
            match n {
                Node::Empty => {}
                Node::Char(c) => {
                    self.push(Inst::Char(*c))?;
                }
                Node::Any => {
                    self.push(Inst::Any)?;
                }
                Node::Set(i) => {
                    self.push(Inst::Set(*i))?;
                }
                Node::Assert(a) => {
                    self.push(Inst::Assert(*a))?;
                }
                Node::Group(g, inner) => {
                    self.push(Inst::Open(*g))?;
                    self.emit(inner, keep, false)?;
                    self.push(Inst::Close(*g, mark))?;
                }
                Node::Concat(v) => {
                    for x in v {
                        self.emit(x, keep, false)?;
                    }
                }
                Node::Alt(v) => {
                    let mut jumps = Vec::new();
                    for (i, x) in v.iter().enumerate() {
                        if i + 1 < v.len() {
                            let split = self.push(Inst::Split(0, 0))?;
                            self.emit(x, keep, false)?;
                            jumps.push(self.push(Inst::Jmp(0))?);
                            self.prog[split] = Inst::Split(split + 1, self.prog.len());
                        } else {
                            self.emit(x, keep, false)?;
                        }
                    }
                    let end = self.prog.len();
                    for j in jumps {
                        self.prog[j] = Inst::Jmp(end);
                    }
                }
                Node::Repeat(x, min, max) => {
                    // `x{n,m}` is `x x ... x` (n copies, the first the original)
                    // then `((x)? x)? ...` with the later copies outermost.
                    for i in 0..*min {
                        self.emit(x, keep && i == 0, false)?;
                    }
                    let first_keep = keep && *min == 0;
                    match max {
                        None => {
                            let l = self.push(Inst::Split(0, 0))?;
                            self.emit(x, first_keep, keep)?;
                            self.push(Inst::Jmp(l))?;
                            self.prog[l] = Inst::Split(l + 1, self.prog.len());
                        }
                        Some(max) => {
                            let k = (max - min) as usize;
                            let first = self.prog.len();
                            for _ in 0..k {
                                self.push(Inst::Split(0, 0))?;
                            }
                            for j in 1..=k {
                                self.emit(x, first_keep && j == 1, keep && j == 1)?;
                                // The split of nesting level j is at first + k - j.
                                let s = first + k - j;
                                self.prog[s] = Inst::Split(s + 1, self.prog.len());
                            }
                        }
                    }
                }
            }
            Ok(())
        }
    }

    /// Positions (char boundaries) of the haystack, with the char at each.
    struct Hay<'h> {
        s: &'h str,
    }

    impl Hay<'_> {
        fn char_at(&self, p: usize) -> Option<char> {
            self.s[p..].chars().next()
        }

        fn char_before(&self, p: usize) -> Option<char> {
            self.s[..p].chars().next_back()
        }

        fn holds(&self, a: Assert, p: usize) -> bool {
            let before = self.char_before(p).is_some_and(is_word);
            let after = self.char_at(p).is_some_and(is_word);
            match a {
                Assert::Bol => p == 0,
                Assert::Eol => p == self.s.len(),
                Assert::WordBoundary => before != after,
                Assert::NotWordBoundary => before == after,
                Assert::WordStart => !before && after,
                Assert::WordEnd => before && !after,
            }
        }
    }

    /// Threads of a breadth-first simulation: instruction and match start.
    struct Threads {
        list: Vec<(usize, usize)>,
        mark: Vec<u32>,
        generation: u32,
    }

    impl Threads {
        fn new(n: usize) -> Self {
            Threads {
                list: Vec::new(),
                mark: vec![0; n],
                generation: 1,
            }
        }

        fn clear(&mut self) {
            self.list.clear();
            self.generation += 1;
        }
    }

    impl Regex {
        pub fn new(pattern: &str) -> Result<Regex, Error> {
            let mut sets = Vec::new();
            let mut p = Parser {
                c: pattern.chars().collect(),
                i: 0,
                ngroups: 0,
                sets: &mut sets,
                depth: 0,
            };
            // At the top level an unmatched `)` is an ordinary character, so
            // this takes the whole pattern.
            let root = p.alt()?;
            let ngroups = p.ngroups;
            let mut c = Compiler { prog: Vec::new() };
            c.emit(&root, true, false)?;
            c.push(Inst::Match)?;
            let prog = c.prog;
            let mut preds = vec![Vec::new(); prog.len()];
            for (pc, inst) in prog.iter().enumerate() {
                match *inst {
                    Inst::Split(x, y) => {
                        preds[x].push(pc);
                        preds[y].push(pc);
                    }
                    Inst::Jmp(t) => preds[t].push(pc),
                    Inst::Open(_) | Inst::Close(..) | Inst::Assert(_) => preds[pc + 1].push(pc),
                    Inst::Char(_) | Inst::Any | Inst::Set(_) | Inst::Match => {}
                }
            }
            Ok(Regex {
                prog,
                sets,
                ngroups,
                preds,
            })
        }

        /// `re_nsub`.
        pub fn groups(&self) -> usize {
            self.ngroups
        }

        fn consumes(&self, pc: usize, c: char) -> bool {
            match self.prog[pc] {
                Inst::Char(x) => x == c,
                Inst::Any => true,
                Inst::Set(i) => self.sets[i].matches(c),
                _ => false,
            }
        }

        /// Adds `pc` and what it leads to without consuming input, at `p`.
        fn add(
            &self,
            t: &mut Threads,
            hay: &Hay<'_>,
            pc: usize,
            start: usize,
            p: usize,
            stack: &mut Vec<usize>,
        ) {
            stack.push(pc);
            while let Some(pc) = stack.pop() {
                if t.mark[pc] == t.generation {
                    continue;
                }
                t.mark[pc] = t.generation;
                match self.prog[pc] {
                    Inst::Jmp(x) => stack.push(x),
                    Inst::Split(x, y) => {
                        stack.push(y);
                        stack.push(x);
                    }
                    Inst::Open(_) | Inst::Close(..) => stack.push(pc + 1),
                    Inst::Assert(a) => {
                        if hay.holds(a, p) {
                            stack.push(pc + 1);
                        }
                    }
                    Inst::Char(_) | Inst::Any | Inst::Set(_) | Inst::Match => {
                        t.list.push((pc, start))
                    }
                }
            }
        }

        /// Leftmost-longest match; with `anchored` it must start at 0.
        pub fn search(&self, s: &str, anchored: bool) -> Option<Match> {
            let hay = Hay { s };
            let n = self.prog.len();
            let mut cur = Threads::new(n);
            let mut next = Threads::new(n);
            let mut stack = Vec::new();
            let mut best: Option<(usize, usize)> = None;
            let mut p = 0;
            loop {
                if best.is_none() && (!anchored || p == 0) {
                    self.add(&mut cur, &hay, 0, p, p, &mut stack);
                }
                if cur.list.is_empty() && (best.is_some() || anchored) {
                    break;
                }
                let c = hay.char_at(p);
                next.clear();
                for i in 0..cur.list.len() {
                    let (pc, start) = cur.list[i];
                    if best.is_some_and(|(bs, _)| start > bs) {
                        continue;
                    }
                    match self.prog[pc] {
                        Inst::Match => {
                            best = match best {
                                Some((bs, be)) if bs == start => Some((bs, be.max(p))),
                                _ => Some((start, p)),
                            };
                        }
                        _ => {
                            if let Some(c) = c {
                                if self.consumes(pc, c) {
                                    self.add(
                                        &mut next,
                                        &hay,
                                        pc + 1,
                                        start,
                                        p + c.len_utf8(),
                                        &mut stack,
                                    );
                                }
                            }
                        }
                    }
                }
                let Some(c) = c else { break };
                p += c.len_utf8();
                std::mem::swap(&mut cur, &mut next);
            }
            let (start, end) = best?;
            let group1 = if self.ngroups == 0 {
                None
            } else {
                self.group1(&hay, start, end)
            };
            Some(Match { start, end, group1 })
        }

        /// Whether the match over `positions` can finish without passing an
        /// anchor after its last character (from any way of getting there).
        fn plain_end(&self, hay: &Hay<'_>, positions: &[usize]) -> bool {
            let n = self.prog.len();
            let mut cur = Threads::new(n);
            let mut next = Threads::new(n);
            let mut stack = Vec::new();
            self.add(&mut cur, hay, 0, 0, positions[0], &mut stack);
            let mut entries = vec![0usize];
            for w in positions.windows(2) {
                let c = hay.char_at(w[0]).unwrap_or('\0');
                next.clear();
                entries.clear();
                for &(pc, _) in &cur.list {
                    if self.consumes(pc, c) {
                        entries.push(pc + 1);
                        self.add(&mut next, hay, pc + 1, 0, w[1], &mut stack);
                    }
                }
                std::mem::swap(&mut cur, &mut next);
            }
            // From the entries at the last position, without anchors.
            let mut seen = vec![false; n];
            stack.clear();
            stack.extend(entries);
            while let Some(pc) = stack.pop() {
                if std::mem::replace(&mut seen[pc], true) {
                    continue;
                }
                match self.prog[pc] {
                    Inst::Match => return true,
                    Inst::Jmp(x) => stack.push(x),
                    Inst::Split(x, y) => {
                        stack.push(x);
                        stack.push(y);
                    }
                    Inst::Open(_) | Inst::Close(..) => stack.push(pc + 1),
                    _ => {}
                }
            }
            false
        }

        /// The first group of the match `start..end`, picked as glibc's `set_regs` does.
        fn group1(&self, hay: &Hay<'_>, start: usize, end: usize) -> Option<(usize, usize)> {
            let n = self.prog.len();
            let positions: Vec<usize> = hay.s[start..end]
                .char_indices()
                .map(|(i, _)| start + i)
                .chain(std::iter::once(end))
                .collect();
            let np = positions.len();
            if np.saturating_mul(n) > MAX_GRID {
                return None;
            }
            // glibc ends the walk at the plain end node when it can be reached
            // without an anchor after the last character; then paths whose
            // last stretch goes through an anchor do not count.
            let plain_end = self.plain_end(hay, &positions);
            // viable[i * n + pc]: from `pc` at positions[i], the match can end at `end`.
            let mut viable = vec![false; np * n];
            let mut work = Vec::new();
            for i in (0..np).rev() {
                let p = positions[i];
                let row = i * n;
                work.clear();
                if i + 1 == np {
                    viable[row + n - 1] = true;
                    work.push(n - 1);
                } else {
                    let c = hay.char_at(p).unwrap_or('\0');
                    for pc in 0..n {
                        if self.consumes(pc, c) && viable[row + n + pc + 1] {
                            viable[row + pc] = true;
                            work.push(pc);
                        }
                    }
                }
                while let Some(t) = work.pop() {
                    for &q in &self.preds[t] {
                        if viable[row + q] {
                            continue;
                        }
                        if let Inst::Assert(a) = self.prog[q] {
                            if !hay.holds(a, p) || (plain_end && i + 1 == np) {
                                continue;
                            }
                        }
                        viable[row + q] = true;
                        work.push(q);
                    }
                }
            }
            if !viable[0] {
                return None;
            }
            // Walk: the first viable way at every fork; a loop entered again at
            // the same position is left (glibc's `eps_via_nodes` rule).
            let unset = (usize::MAX, usize::MAX);
            let mut regs = vec![unset; self.ngroups + 1];
            let mut prev = regs.clone();
            let mut seen = vec![0u32; n];
            let mut generation = 1u32;
            let (mut pc, mut i) = (0usize, 0usize);
            let mut steps = 0usize;
            let limit = np * n * 4 + 16;
            loop {
                steps += 1;
                if steps > limit {
                    return None;
                }
                let &p = positions.get(i)?;
                match self.prog[pc] {
                    Inst::Match => break,
                    Inst::Char(_) | Inst::Any | Inst::Set(_) => {
                        pc += 1;
                        i += 1;
                        generation += 1;
                        continue;
                    }
                    _ => {}
                }
                seen[pc] = generation;
                match self.prog[pc] {
                    Inst::Jmp(x) => pc = x,
                    Inst::Assert(_) => pc += 1,
                    Inst::Open(g) => {
                        regs[g] = (p, usize::MAX);
                        pc += 1;
                    }
                    Inst::Close(g, opt) => {
                        if regs[g].0 < p {
                            regs[g].1 = p;
                            prev.clone_from(&regs);
                        } else if opt && prev[g].0 != usize::MAX {
                            regs.clone_from(&prev);
                        } else {
                            regs[g].1 = p;
                        }
                        pc += 1;
                    }
                    Inst::Split(x, y) => {
                        let (vx, vy) = (viable[i * n + x], viable[i * n + y]);
                        pc = match (vx, vy) {
                            (true, true) if seen[x] == generation => y,
                            (true, _) => x,
                            (false, true) => y,
                            (false, false) => return None,
                        };
                    }
                    Inst::Char(_) | Inst::Any | Inst::Set(_) | Inst::Match => unreachable!(),
                }
            }
            match regs[1] {
                (s, e) if s != usize::MAX && e != usize::MAX && s <= e => Some((s, e)),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    fn ev(e: &str) -> String {
        match evaluate(e) {
            Ok(s) => s,
            Err(err) => panic!("{e:?}: {}", err.message),
        }
    }

    #[track_caller]
    fn check(cases: &[(&str, &str)]) {
        for (e, want) in cases {
            assert_eq!(ev(e), *want, "expression {e:?}");
        }
    }

    #[test]
    fn arithmetic() {
        check(&[
            ("2 + 3 * 4", "14"),
            ("(2 + 3) * 4", "20"),
            ("7 / 2", "3.5"),
            ("7 % 3", "1"),
            ("10 - 20", "-10"),
            ("1.5 + 1", "2.5"),
            ("-5 + 2", "-3"),
            ("2 * -3", "-6"),
            ("10 % 4", "2"),
            ("0 + 1", "1"),
            ("7 / 3", "2.33333333333333333"),
            ("1 / 3", "0.333333333333333333"),
            ("2 / 3", "0.666666666666666667"),
            ("0.1 + 0.2", "0.3"),
            ("125 / 60", "2.08333333333333333"),
            ("-7 % 3", "-1"),
            ("7.5 % 2", "1.5"),
            ("-0", "-0"),
            ("0 * -1", "-0"),
            ("1000000 * 1000000 * 1000000", "1e+18"),
            ("999999999999999999 + 0", "999999999999999999"),
            ("123456789012345678901", "123456789012345678901"),
            ("123456789012345678901 + 0", "1.23456789012345679e+20"),
            ("1 / 100000", "1e-05"),
            ("1 / 10000", "0.0001"),
            ("2.1+4.2", "6.3"),
            ("1/4", "0.25"),
            ("4 + 8 / 3", "6.66666666666666667"),
            ("-4 - -2", "-2"),
        ]);
    }

    #[test]
    fn division_by_zero_gives_int_max() {
        check(&[
            ("1 / 0", "2147483647"),
            ("1 / abc", "2147483647"),
            ("abc / 2", "0"),
            ("5 % 0", "0"),
        ]);
    }

    #[test]
    fn comparisons() {
        check(&[
            ("abc = abc", "1"),
            ("abc != abd", "1"),
            ("10 < 9", "0"),
            ("\"10\" < \"9\"", "1"),
            ("1 < 3", "1"),
            ("3 < 3", "0"),
            ("1 = 0", "0"),
            ("2 = 2", "1"),
            ("5 > 3", "1"),
            ("007 = 7", "1"),
            ("\"007\" = \"7\"", "0"),
            ("\"\" = \"\"", "1"),
            ("x = x", "1"),
            ("3 < 20", "1"),
            ("\"3\" < \"20\"", "0"),
            ("a < b", "1"),
            ("9 >= 10", "0"),
            ("10 >= 10", "1"),
            ("3 <= 4", "1"),
            ("3 == 3", "1"),
            ("abc = 1.50", "0"),
            ("(1 + 0.5) = 1.50", "1"),
        ]);
    }

    #[test]
    fn logic() {
        check(&[
            ("foo & 0", "0"),
            ("5 > 3 & 2 > 1", "1"),
            ("0 | 0", "0"),
            ("2 | 0", "2"),
            ("0 | 4", "4"),
            ("4 & 4", "4"),
            ("007 | 1", "7"),
            ("abc | x", "abc"),
            ("!0", "1"),
            ("!1", "0"),
            ("!abc", "1"),
            ("!\"1\"", "1"),
            ("!4 | !0", "1"),
            ("4 || 0", "4"),
            ("0 && 4", "0"),
        ]);
    }

    #[test]
    fn ternary() {
        check(&[
            ("1 ? yes :: no", "yes"),
            ("0 ? yes :: no", "no"),
            ("4 + (2 * 8) ? 3 :: 6", "3"),
            ("\"\" ? a :: b", "b"),
            ("abc ? a :: b", "a"),
            ("0 ? a :: 1 ? b :: c", "b"),
            ("1 ? 2 ? x :: y :: z", "x"),
            ("1 ? 007 :: 2", "007"),
        ]);
    }

    #[test]
    fn regex_operators() {
        check(&[
            ("12345 : 123", "3"),
            ("abc =~ b.", "2"),
            ("10 : \"1(.*)\"", "0"),
            ("abc123 =~ \"[a-z]+([0-9]+)\"", "123"),
            ("\"Something interesting\" =~ interesting", "11"),
            ("\"Something interesting\" : interesting", "0"),
            ("\"Something interesting\" : \"(Something)\"", "Something"),
            (
                "\"Something interesting\" =~ \"(interesting)\"",
                "interesting",
            ),
            ("\"011043567857575\" : \"011(..)\"", "04"),
            ("\"9011043567857575\" : \"011(..)\"", ""),
            ("\"9011043567857575\" =~ \"011(..)\"", "04"),
            ("\"Something interesting\" : \"\\(Something\\)\"", "0"),
            ("123 : \"(1|12)\"", "12"),
            ("abcd : \"(a|ab)(c|bcd)\"", "a"),
            ("aa : \"(a?)*\"", "a"),
            ("b : \"(a*)*\"", ""),
            ("abc : \"()\"", ""),
            ("aab : \"a*?b\"", "3"),
            ("aaaa : \"a{2}{2}\"", "4"),
            ("aaa : \"a{,2}\"", "2"),
            ("a : \"|a\"", "1"),
            ("abc : \"[\"", ""),
            ("\"a\nb\" : \"a.b\"", "3"),
            ("é : \".\"", "2"),
            ("éa : \"(.)\"", "é"),
            ("\"a b\" : \"a (b)\"", "b"),
            ("x001 : \"x(0.*)\"", "001"),
        ]);
    }

    /// Cases where glibc's POSIX rules differ from Perl-style engines.
    #[test]
    fn regex_glibc_semantics() {
        check(&[
            ("abc : \"(a|ab)(bc|c)\"", "a"),
            ("abc : \"(ab|a)(bc|c)\"", "ab"),
            ("abab : \"(a|ab)*\"", "ab"),
            ("c : \"(c?){0,2}\"", ""),
            ("c : \"(c?){1,2}\"", "c"),
            ("c : \"(c?)*\"", "c"),
            ("bbx : \"(.?){0,1}+\"", ""),
            ("\".c\" : \"(.**|a|b)$|[]a]|\\.[a-c]\"", "2"),
            ("\"c..\" : \"([[:alpha:]]\\b)|(\\.)|\\.|[^a]?[a-c]|^\"", "1"),
            ("a =~ \"(($|\\b)){0,1}\"", "0"),
            ("abc : \"[[:foo:]]\"", ""),
            ("ab : \"[b-a]\"", ""),
            ("ab : \")\"", "0"),
            ("\"a\\b\" : \"a[\\]\"", "2"),
            ("abc : \"\\w+\"", "3"),
            ("\"a b\" : \"a\\>\"", "1"),
        ]);
    }

    #[test]
    fn long_double_results() {
        check(&[
            ("SQRT(0 - 1)", "-nan"),
            ("LOG(0)", "-inf"),
            ("EXP2(-3600)", "1.95891508071863319e-1084"),
            ("EXP10(854)", "1e+854"),
            ("-EXP10(-0.0000000000000000862)", "-0.999999999999999802"),
            ("1 / 3 * 3", "1"),
            ("99999999999999999999 + 1", "1e+20"),
            ("0.1 * 3", "0.3"),
            ("7 % -3", "1"),
            ("ROUND(-2.5)", "-3"),
            ("RINT(3.5)", "4"),
            ("REMAINDER(14,4)", "-2"),
            ("ABS(-0)", "-0"),
            ("\"3\" + 4", "4"),
            ("5 - abc", "5"),
            ("abc - 5", "-5"),
            ("- abc", "0"),
            ("1 + 2 ~~ 3", "24"),
            ("!  - 1", "0"),
            ("- 1 : 1", "-1"),
        ]);
    }

    #[test]
    fn huge_and_tiny_numbers() {
        // Out of long double's range, strtold fails and the operand counts as a string.
        let big = format!("1{} + 1", "0".repeat(10_000));
        assert_eq!(ev(&big), "1");
        let tiny = format!("0.{}1 + 1", "0".repeat(7000));
        assert_eq!(ev(&tiny), "1");
        let subnormal = format!("0.{}1 + 0", "0".repeat(4940));
        assert_eq!(ev(&subnormal), "0");
        let long = format!("0.1{} + 0", "3".repeat(7000));
        assert_eq!(ev(&long), "0.133333333333333333");
        assert_eq!(ev(&format!("1{} + 0", "0".repeat(4932))), "1e+4932");
        assert_eq!(ev(&format!("1{}.5 + 0", "0".repeat(4931))), "1e+4931");
    }

    #[test]
    fn concatenation() {
        check(&[("1.5 ~~ 2", "1.52"), ("a ~~ \"b\" ~~ c", "abc")]);
    }

    #[test]
    fn functions() {
        check(&[
            ("SQRT(4)", "2"),
            ("SQRT(2)", "1.41421356237309505"),
            ("SQRT(2)*SQRT(2)", "2"),
            ("FLOOR(2.6)", "2"),
            ("CEIL(2.4)", "3"),
            ("ROUND(2.5)", "3"),
            ("RINT(2.5)", "2"),
            ("TRUNC(-2.6)", "-2"),
            ("REMAINDER(13,3)", "1"),
            ("POW(10.0,4.0)", "10000"),
            ("POW(2,-1)", "0.5"),
            ("POW(10, 23)", "1e+23"),
            ("EXP2(10)", "1024"),
            ("EXP10(3)", "1000"),
            ("LOG10(1000)", "3"),
            ("ABS(-3)", "3"),
            ("COS(0)", "1"),
            ("cos(0)", "0"),
            ("FMOD(7,3)", "0"),
            ("POW(2)", "0"),
            ("1 + 2 (3)", "1"),
        ]);
    }

    #[test]
    fn strings_and_tokens() {
        check(&[
            ("", ""),
            ("   ", ""),
            ("\"abc\"", "\"abc\""),
            ("007", "007"),
            ("(007)", "007"),
            ("1.50", "1.50"),
            ("abc + 1", "1"),
            ("\"abc", "abc"),
            ("a$+b", "a$+b"),
            ("${X}", "${X}"),
            ("${X} = ${X}", "0"),
            ("${X}|zzz", "${X}|zzz"),
            ("abc ${x", "abc"),
            ("${a}}", "${a}}"),
        ]);
    }

    #[test]
    fn syntax_errors() {
        let e = evaluate(" | 1").unwrap_err();
        assert_eq!(
            e.message,
            "ast_yyerror():  syntax error: syntax error, unexpected '|', expecting $end; Input:\n | 1\n ^\n"
        );
        let e = evaluate("1 +").unwrap_err();
        assert!(
            e.message.contains(
                "unexpected $end, expecting '-' or '!' or '(' or '<token>'; Input:\n1 +\n   ^\n"
            ),
            "{}",
            e.message
        );
        for bad in ["1 2", "(1", "COS()", "POW(,2)", "1 ? 2", "abc)", "1 ::"] {
            assert!(evaluate(bad).is_err(), "{bad:?} should be a syntax error");
        }
        assert_eq!(ev("POW(2,)"), "1");
        // Regex characters are operators to the scanner: patterns need quotes.
        for unquoted in ["abc123 =~ [a-z]+([0-9]+)", "10 : 1(.*)"] {
            let e = evaluate(unquoted).unwrap_err();
            assert!(e.message.contains("unexpected ')'"), "{}", e.message);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "(".repeat(100_000) + "1" + &")".repeat(100_000);
        assert!(evaluate(&deep)
            .unwrap_err()
            .message
            .contains("memory exhausted"));
        let neg = "-".repeat(100_000) + "1";
        assert!(evaluate(&neg).is_err());
        let re = format!("a : \"{}a{}\"", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(ev(&re), "");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "[ -~\\t\\né]{0,40}") {
            let _ = evaluate(&s);
        }

        #[test]
        fn never_panics_on_expression_like_input(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("1".to_string()),
                    proptest::strategy::Just("0".to_string()),
                    proptest::strategy::Just("2.5".to_string()),
                    proptest::strategy::Just("abc".to_string()),
                    proptest::strategy::Just("\"x(.)\"".to_string()),
                    proptest::strategy::Just("\"[a-\"".to_string()),
                    "[-+*/%|&=<>!:?(),~ ]{1,2}",
                    "[A-Z]{2,5}",
                    "[0-9]{1,25}",
                ],
                0..14,
            )
        ) {
            let _ = evaluate(&parts.join(" "));
        }
    }
}
