//! DB_DELETE: delete an AstDB key, returning the value it had (also left in
//! `DB_RESULT`) (funcs/func_db.c).

use super::db::family_key;
use super::util::setvar;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "DB_DELETE",
    synopsis: "Return a value from the database and delete it.",
    syntax: "DB_DELETE(family/key)",
    provided_by: "func_db",
    description: "This function will retrieve a value from the Asterisk database and then remove that key from the database. DB_RESULT will be set to the key's value if it exists.",
    read: Some(read),
    write: Some(write),
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let (family, key) = family_key(args, "DB_DELETE")?;
    let v = match pbx.astdb.get(&family, &key) {
        Some(v) => {
            pbx.astdb.del(&family, &key);
            v
        }
        None => String::new(),
    };
    setvar(chan, pbx, "DB_RESULT", &v);
    Some(v)
}

/// `Set(DB_DELETE(family/key)=)`: the same, the value thrown away.
fn write(chan: &mut Channel, pbx: &Pbx, args: &str, _value: &str) {
    let _ = read(chan, pbx, args);
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn delete() {
        let (mut c, p) = test_env();
        p.astdb.put("f", "k", "old");
        assert_eq!(sub(&mut c, &p, "${DB_DELETE(f/k)}|${DB_RESULT}"), "old|old");
        assert_eq!(p.astdb.get("f", "k"), None);
        assert_eq!(sub(&mut c, &p, "[${DB_DELETE(f/k)}]|${DB_RESULT}"), "[]|");
        p.astdb.put("f", "w", "x");
        setvar(&mut c, &p, "DB_DELETE(f/w)", "");
        assert_eq!(p.astdb.get("f", "w"), None);
    }
}
