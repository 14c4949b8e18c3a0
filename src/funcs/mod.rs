//! Dialplan functions, one file each (Asterisk's `funcs/func_*.c`). Each file defines a
//! `pub static FUNC: Function` with its registered name, the documentation
//! `core show function` prints, and read/write code. `${NAME(args)}` calls [`read`];
//! `Set(NAME(args)=value)` calls [`write`]. Names are case-sensitive, as in Asterisk.

use crate::channel::Channel;
use crate::pbx::Pbx;
use std::collections::HashMap;
use std::sync::OnceLock;

pub mod array;
pub mod base64;
pub mod callerid;
pub mod channel;
pub mod csv_quote;
pub mod cut;
pub mod db;
pub mod db_delete;
pub mod db_exists;
pub mod db_keys;
pub mod delete;
pub mod devstate;
pub mod dialplan_exists;
pub mod env;
pub mod eval;
pub mod exists;
pub mod fieldnum;
pub mod fieldqty;
pub mod filter;
pub mod global;
pub mod group;
pub mod group_count;
pub mod group_list;
pub mod group_match_count;
pub mod hash;
pub mod r#if;
pub mod iftime;
pub mod inc;
pub mod isnull;
pub mod keypadhash;
pub mod len;
pub mod listfilter;
pub mod local;
pub mod math;
pub mod md5;
pub mod minmax;
pub mod passthru;
pub mod push;
pub mod quote;
pub mod rand;
pub mod regex_;
pub mod replace;
pub mod set;
pub mod sha1;
pub mod shift;
pub mod sort;
pub mod sprintf;
pub mod sql_esc;
pub mod stat;
pub mod strbetween;
pub mod strftime;
pub mod strptime;
pub mod strreplace;
pub mod timeout;
pub mod tolower;
pub mod toupper;
pub mod trim;
pub mod uri;
pub(crate) mod util;
pub mod valid_exten;
pub mod variable_exists;

pub type ReadFn = fn(&mut Channel, &Pbx, &str) -> Option<String>;
pub type WriteFn = fn(&mut Channel, &Pbx, &str, &str);

pub struct Function {
    pub name: &'static str,
    pub synopsis: &'static str,
    /// `STRFTIME([epoch][,timezone[,format]])`.
    pub syntax: &'static str,
    /// The Asterisk module it comes from (`func_strings`).
    pub provided_by: &'static str,
    pub description: &'static str,
    pub read: Option<ReadFn>,
    pub write: Option<WriteFn>,
}

/// Every function this build has.
pub static FUNCS: &[&Function] = &[
    &array::FUNC,
    &base64::DECODE,
    &base64::FUNC,
    &callerid::FUNC,
    &channel::FUNC,
    &csv_quote::FUNC,
    &cut::FUNC,
    &db::FUNC,
    &db_delete::FUNC,
    &db_exists::FUNC,
    &db_keys::FUNC,
    &db_keys::KEYCOUNT,
    &delete::FUNC,
    &devstate::FUNC,
    &dialplan_exists::FUNC,
    &env::FUNC,
    &eval::FUNC,
    &exists::FUNC,
    &fieldnum::FUNC,
    &fieldqty::FUNC,
    &filter::FUNC,
    &global::FUNC,
    &group::FUNC,
    &group_count::FUNC,
    &group_list::FUNC,
    &group_match_count::FUNC,
    &hash::FUNC,
    &hash::HASHKEYS,
    &r#if::FUNC,
    &iftime::FUNC,
    &inc::DEC,
    &inc::FUNC,
    &isnull::FUNC,
    &keypadhash::FUNC,
    &len::FUNC,
    &listfilter::FUNC,
    &local::FUNC,
    &math::FUNC,
    &md5::FUNC,
    &minmax::ABS,
    &minmax::FUNC,
    &minmax::MAX,
    &passthru::FUNC,
    &push::FUNC,
    &push::UNSHIFT,
    &quote::FUNC,
    &rand::FUNC,
    &regex_::FUNC,
    &replace::FUNC,
    &set::FUNC,
    &sha1::FUNC,
    &shift::FUNC,
    &shift::POP,
    &sort::FUNC,
    &sprintf::FUNC,
    &sql_esc::BACKSLASHES,
    &sql_esc::FUNC,
    &stat::FUNC,
    &strbetween::FUNC,
    &strftime::FUNC,
    &strptime::FUNC,
    &strreplace::FUNC,
    &timeout::FUNC,
    &tolower::FUNC,
    &toupper::FUNC,
    &trim::FUNC,
    &trim::LTRIM,
    &trim::RTRIM,
    &uri::DECODE,
    &uri::FUNC,
    &valid_exten::FUNC,
    &variable_exists::FUNC,
];

pub fn find(name: &str) -> Option<&'static Function> {
    static MAP: OnceLock<HashMap<&'static str, &'static Function>> = OnceLock::new();
    MAP.get_or_init(|| FUNCS.iter().map(|f| (f.name, *f)).collect())
        .get(name)
        .copied()
}

/// `NAME(args)` → ("NAME", "args"): the arguments run to the last `)`.
pub fn split_call(call: &str) -> (&str, &str) {
    match call.find('(') {
        Some(i) => {
            let rest = &call[i + 1..];
            let args = match rest.rfind(')') {
                Some(j) => &rest[..j],
                None => {
                    crate::logger::warning(
                        "pbx_functions.c",
                        &format!(
                            "Can't find trailing parenthesis for function '{}({}'?",
                            &call[..i],
                            rest
                        ),
                    );
                    rest
                }
            };
            (&call[..i], args)
        }
        None => (call, ""),
    }
}

/// `ast_func_read`: the value, or None (nothing is substituted) on an error.
pub fn read(chan: &mut Channel, pbx: &Pbx, call: &str) -> Option<String> {
    let (name, args) = split_call(call);
    match find(name) {
        Some(f) => match f.read {
            Some(r) => r(chan, pbx, args),
            None => {
                crate::logger::error(
                    "pbx_functions.c",
                    &format!("Function {name} cannot be read"),
                );
                None
            }
        },
        None => {
            crate::logger::error(
                "pbx_functions.c",
                &format!("Function {name} not registered"),
            );
            None
        }
    }
}

/// `ast_func_write`.
pub fn write(chan: &mut Channel, pbx: &Pbx, call: &str, value: &str) {
    let (name, args) = split_call(call);
    match find(name) {
        Some(f) => match f.write {
            Some(w) => w(chan, pbx, args, value),
            None => crate::logger::error(
                "pbx_functions.c",
                &format!("Function {name} cannot be written to"),
            ),
        },
        None => crate::logger::error(
            "pbx_functions.c",
            &format!("Function {name} not registered"),
        ),
    }
}
