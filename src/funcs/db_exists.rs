//! DB_EXISTS: 1 when the AstDB key exists (its value is left in `DB_RESULT`), else 0
//! (funcs/func_db.c).

use super::db::family_key;
use super::util::setvar;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "DB_EXISTS",
    synopsis: "Check to see if a key exists in the Asterisk database.",
    syntax: "DB_EXISTS(family/key)",
    provided_by: "func_db",
    description: "This function will check to see if a key exists in the Asterisk database. If it exists, the function will return \"1\". If not, it will return \"0\". Checking for existence of a database key will also set the variable DB_RESULT to the key's value if it exists.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let (family, key) = family_key(args, "DB_EXISTS")?;
    match pbx.astdb.get(&family, &key) {
        Some(v) => {
            setvar(chan, pbx, "DB_RESULT", &v);
            Some("1".into())
        }
        None => Some("0".into()),
    }
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn exists() {
        let (mut c, p) = test_env();
        p.astdb.put("blacklist", "5551234", "spam");
        assert_eq!(
            sub(&mut c, &p, "${DB_EXISTS(blacklist/5551234)} ${DB_RESULT}"),
            "1 spam"
        );
        assert_eq!(
            sub(&mut c, &p, "${DB_EXISTS(blacklist/1)} ${DB_RESULT}"),
            "0 spam"
        );
    }
}
