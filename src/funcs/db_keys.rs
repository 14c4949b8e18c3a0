//! DB_KEYS and DB_KEYCOUNT: the keys at one level of the AstDB tree, and how many
//! (funcs/func_db.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "DB_KEYS",
    synopsis: "Obtain a list of keys within the Asterisk database.",
    syntax: "DB_KEYS([prefix])",
    provided_by: "func_db",
    description: "This function will return a comma-separated list of keys existing at the prefix specified within the Asterisk database. If no argument is provided, then a list of key families will be returned.",
    read: Some(keys_read),
    write: None,
};

pub static KEYCOUNT: Function = Function {
    name: "DB_KEYCOUNT",
    synopsis: "Obtain the number of keys at a prefix within the Asterisk database.",
    syntax: "DB_KEYCOUNT([prefix])",
    provided_by: "func_db",
    description: "This function will return the number of keys that exist at the prefix specified within the Asterisk database. If no argument is provided, then the number of all key families will be returned.",
    read: Some(keycount_read),
    write: None,
};

/// The distinct next path components under `prefix`, in key order.
fn components(pbx: &Pbx, prefix: &str) -> Vec<String> {
    let p = prefix.trim_matches('/');
    let mut out: Vec<String> = Vec::new();
    for (key, _) in pbx.astdb.tree(p, "") {
        let rest = if p.is_empty() {
            key.get(1..).unwrap_or("")
        } else {
            let r = key.get(p.len() + 1..).unwrap_or("");
            r.strip_prefix('/').unwrap_or(r)
        };
        let cur = rest.split('/').next().unwrap_or("");
        if out.last().is_some_and(|l| l.eq_ignore_ascii_case(cur)) {
            continue;
        }
        out.push(cur.to_string());
    }
    out
}

fn keys_read(_chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let keys: Vec<String> = components(pbx, args)
        .into_iter()
        .map(|k| k.replace(',', "\\,"))
        .collect();
    Some(keys.join(","))
}

fn keycount_read(_chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    Some(components(pbx, args).len().to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn keys() {
        let (mut c, p) = test_env();
        p.astdb.put("fam", "a", "1");
        p.astdb.put("fam", "b/x", "2");
        p.astdb.put("fam", "b/y", "3");
        p.astdb.put("fam", "c,d", "4");
        p.astdb.put("other", "z", "5");
        assert_eq!(sub(&mut c, &p, "${DB_KEYS(fam)}"), "a,b,c\\,d");
        assert_eq!(sub(&mut c, &p, "${DB_KEYS(/fam/b/)}"), "x,y");
        assert_eq!(sub(&mut c, &p, "${DB_KEYS()}"), "fam,other");
        assert_eq!(sub(&mut c, &p, "${DB_KEYCOUNT(fam)}"), "3");
        assert_eq!(
            sub(&mut c, &p, "${DB_KEYS(none)}|${DB_KEYCOUNT(none)}"),
            "|0"
        );
    }
}
