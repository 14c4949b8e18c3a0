//! SORT: `key:value,...` sorted by value, keys returned (funcs/func_cut.c).

use super::util::scan_float;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "SORT",
    synopsis: "Sorts a list of key/vals into a list of keys, based upon the vals.",
    syntax: "SORT(key1:val1,key2:val2[,...])",
    provided_by: "func_cut",
    description: "Takes a comma-separated list of keys and values, each separated by a colon, and returns a comma-separated list of the keys, sorted by their values. Values will be evaluated as floating-point numbers.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let mut items: Vec<(&str, f32)> = args
        .split(',')
        .filter_map(|p| {
            let (k, v) = p.split_once(':')?;
            Some((k, scan_float(v).map(|(f, _)| f as f32).unwrap_or(0.0)))
        })
        .collect();
    items.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
    Some(items.iter().map(|i| i.0).collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn sorting() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${SORT(a:3,b:1.5,c:2)}"), "b,c,a");
        assert_eq!(sub(&mut c, &p, "${SORT(a:3,junk,c:2)}"), "c,a");
        assert_eq!(sub(&mut c, &p, "${SORT()}"), "");
    }
}
