//! HASH and HASHKEYS: associative arrays kept in channel variables named
//! `~HASH~<name>~<key>~`, as Asterisk keeps them (funcs/func_strings.c).

use super::util::{getvar, setvar};
use super::Function;
use crate::apps::standard_args;
use crate::channel::{var_base, Channel};
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "HASH",
    synopsis: "Implementation of a dialplan associative array",
    syntax: "HASH(hashname[,hashkey])",
    provided_by: "func_strings",
    description: "In two arguments mode, gets and sets values to corresponding keys within a named associative array. The single-argument mode will only work when assigned to from a function defined by func_odbc",
    read: Some(hash_read),
    write: Some(hash_write),
};

pub static HASHKEYS: Function = Function {
    name: "HASHKEYS",
    synopsis: "Retrieve the keys of the HASH() function.",
    syntax: "HASHKEYS(hashname)",
    provided_by: "func_strings",
    description: "Returns a comma-delimited list of the current keys of the associative array defined by the HASH() function. Note that if you iterate over the keys of the result, adding keys during iteration will cause the result of the HASHKEYS() function to change.",
    read: Some(hashkeys_read),
    write: None,
};

/// `~HASH~name~key~`, the inheritance underscores of the name kept in front.
fn hash_var(name: &str, key: &str) -> String {
    if let Some(n) = name.strip_prefix("__") {
        format!("__~HASH~{n}~{key}~")
    } else if let Some(n) = name.strip_prefix('_') {
        format!("_~HASH~{n}~{key}~")
    } else {
        format!("~HASH~{name}~{key}~")
    }
}

fn keys(chan: &Channel, name: &str) -> Vec<String> {
    let prefix = format!("~HASH~{name}~");
    chan.vars
        .iter()
        .filter_map(|(n, _)| {
            let n = var_base(n);
            let k = n.strip_prefix(&prefix)?;
            (k.len() > 1 && k.ends_with('~')).then(|| k[..k.len() - 1].to_string())
        })
        .collect()
}

fn hashkeys_read(chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(keys(chan, args).join(","))
}

fn hash_read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    match a.len() {
        2 => Some(getvar(chan, pbx, &format!("~HASH~{}~{}~", a[0], a[1])).unwrap_or_default()),
        1 => {
            let cols = keys(chan, &a[0]);
            let joined = cols.join(",");
            setvar(chan, pbx, "~ODBCFIELDS~", &joined);
            let mut vals = Vec::new();
            for col in standard_args(&joined) {
                let var = format!("~HASH~{}~{}~", a[0], col);
                match getvar(chan, pbx, &var) {
                    Some(v) => vals.push(v),
                    None => {
                        crate::logger::warning(
                            "func_strings.c",
                            &format!("No value found for '{var}'"),
                        );
                        return None;
                    }
                }
            }
            Some(vals.join(","))
        }
        _ => Some(String::new()),
    }
}

fn hash_write(chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    if !args.contains(',') {
        // One argument: the columns func_odbc left in ~ODBCFIELDS~.
        let Some(fields) = getvar(chan, pbx, "~ODBCFIELDS~") else {
            return;
        };
        let cols = standard_args(&fields);
        let vals = standard_args(value);
        for (i, col) in cols.iter().enumerate().take(100) {
            match vals.get(i) {
                Some(v) => setvar(chan, pbx, &hash_var(args, col), v),
                None => setvar(chan, pbx, &format!("~HASH~{args}~{col}~"), ""),
            }
        }
        return;
    }
    let a = standard_args(args);
    let key = a.get(1).map(String::as_str).unwrap_or("");
    setvar(chan, pbx, &hash_var(&a[0], key), value);
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn hashes() {
        let (mut c, p) = test_env();
        setvar(&mut c, &p, "HASH(h,a)", "1");
        setvar(&mut c, &p, "HASH(h,b)", "2");
        setvar(&mut c, &p, "HASH(other,a)", "x");
        assert_eq!(
            sub(&mut c, &p, "${HASH(h,a)}${HASH(h,b)}[${HASH(h,c)}]"),
            "12[]"
        );
        assert_eq!(c.vars.get("~HASH~h~a~"), Some("1"));
        // Newest first, as Asterisk's variable list is.
        assert_eq!(sub(&mut c, &p, "${HASHKEYS(h)}"), "b,a");
        assert_eq!(sub(&mut c, &p, "${HASH(h)}"), "2,1");
        assert_eq!(sub(&mut c, &p, "[${HASHKEYS(none)}]"), "[]");
        setvar(&mut c, &p, "HASH(__inh,k)", "v");
        assert!(c.vars.iter().any(|(n, _)| n == "__~HASH~inh~k~"));
        assert_eq!(sub(&mut c, &p, "${HASH(inh,k)}"), "v");
        // One argument: the columns of ~ODBCFIELDS~.
        c.vars.set("~ODBCFIELDS~", Some("x,y"));
        setvar(&mut c, &p, "HASH(row)", "10,20");
        assert_eq!(sub(&mut c, &p, "${HASH(row,x)}-${HASH(row,y)}"), "10-20");
    }
}
