//! SQL_ESC and SQL_ESC_BACKSLASHES: double single quotes, or backslashes, for use inside
//! an SQL string (funcs/func_odbc.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "SQL_ESC",
    synopsis: "Escapes single ticks for use in SQL statements.",
    syntax: "SQL_ESC(string)",
    provided_by: "func_odbc",
    description: "Used in SQL templates to escape data which may contain single ticks ' which are otherwise used to delimit data. Example: SELECT foo FROM bar WHERE baz='${SQL_ESC(${ARG1})}'",
    read: Some(esc_quotes),
    write: None,
};

pub static BACKSLASHES: Function = Function {
    name: "SQL_ESC_BACKSLASHES",
    synopsis: "Escapes backslashes for use in SQL statements.",
    syntax: "SQL_ESC_BACKSLASHES(string)",
    provided_by: "func_odbc",
    description: "Used in SQL templates to escape data which may contain backslashes \\ which are otherwise used to escape data. Example: SELECT foo FROM bar WHERE baz='${SQL_ESC(${SQL_ESC_BACKSLASHES(${ARG1})})}'",
    read: Some(esc_backslashes),
    write: None,
};

fn esc_quotes(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(args.replace('\'', "''"))
}

fn esc_backslashes(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(args.replace('\\', "\\\\"))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn escaping() {
        let (mut c, p) = test_env();
        c.vars.set("S", Some("O'Brien \\ x"));
        assert_eq!(sub(&mut c, &p, "${SQL_ESC(${S})}"), "O''Brien \\ x");
        assert_eq!(
            sub(&mut c, &p, "${SQL_ESC_BACKSLASHES(${S})}"),
            "O'Brien \\\\ x"
        );
    }
}
