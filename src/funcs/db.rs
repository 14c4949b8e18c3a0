//! DB: read or write a key of the AstDB, `DB(family/key)` (funcs/func_db.c). A value read
//! is also left in `DB_RESULT`.

use super::util::setvar;
use super::Function;
use crate::apps::nonstandard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "DB",
    synopsis: "Read from or write to the Asterisk database.",
    syntax: "DB(family/key)",
    provided_by: "func_db",
    description: "This function will read from or write a value to the Asterisk database. On a read, this function returns the corresponding value from the database, or blank if it does not exist. Reading a database value will also set the variable DB_RESULT. If you wish to find out if an entry exists, use the DB_EXISTS function.",
    read: Some(read),
    write: Some(write),
};

/// `family/key` split at the first `/`; None (after the warning) when there is no key.
pub fn family_key(args: &str, what: &str) -> Option<(String, String)> {
    family_key_or(
        args,
        &format!("{what} requires an argument, DB(<family>/<key>)"),
    )
}

/// `family/key`, or the given warning.
fn family_key_or(args: &str, warning: &str) -> Option<(String, String)> {
    let a = if args.is_empty() {
        Vec::new()
    } else {
        nonstandard_args(args, '/', 2)
    };
    if a.len() < 2 {
        crate::logger::warning("func_db.c", warning);
        return None;
    }
    let mut it = a.into_iter();
    Some((it.next()?, it.next()?))
}

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let (family, key) = family_key(args, "DB")?;
    match pbx.astdb.get(&family, &key) {
        Some(v) => {
            setvar(chan, pbx, "DB_RESULT", &v);
            Some(v)
        }
        None => Some(String::new()),
    }
}

fn write(_chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    let Some((family, key)) =
        family_key_or(args, "DB requires an argument, DB(<family>/<key>)=value")
    else {
        return;
    };
    let key = &key;
    if key.is_empty() || key.starts_with('/') || key.ends_with('/') || key.contains("//") {
        crate::logger::warning("func_db.c", &format!("DB: key '{key}' seems malformed"));
    }
    if !pbx.astdb.put(&family, key, value) {
        crate::logger::warning("func_db.c", "DB: Error writing value to database.");
    }
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn read_write() {
        let (mut c, p) = test_env();
        setvar(&mut c, &p, "DB(zvtest/key1)", "v1");
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${DB(zvtest/key1)} ${DB_EXISTS(zvtest/key1)} ${DB_EXISTS(zvtest/nokey)} ${DB_DELETE(zvtest/key1)} ${DB_EXISTS(zvtest/key1)}"
            ),
            "v1 1 0 v1 0"
        );
        setvar(&mut c, &p, "DB(cid/sub/555)", "Ivan");
        assert_eq!(p.astdb.get("cid", "sub/555").as_deref(), Some("Ivan"));
        assert_eq!(
            sub(&mut c, &p, "${DB(cid/sub/555)}/${DB_RESULT}"),
            "Ivan/Ivan"
        );
        assert_eq!(sub(&mut c, &p, "[${DB(cid/none)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${DB(nokey)}]"), "[]");
    }
}
