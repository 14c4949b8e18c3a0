//! STAT: facts about a file: `e` exists, `s` size, `f` regular file, `d` directory, `M`
//! modified, `A` (Asterisk gives the modification time here too), `C` changed, `m` mode in
//! octal (funcs/func_env.c). "0" when the file cannot be found.

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::os::unix::fs::MetadataExt;

pub static FUNC: Function = Function {
    name: "STAT",
    synopsis: "Does a check on the specified file.",
    syntax: "STAT(flag,filename)",
    provided_by: "func_env",
    description: "Flag may be one of the following: d - Checks if the file is a directory. e - Checks if the file exists. f - Checks if the file is a regular file. m - Returns the file mode (in octal) s - Returns the size (in bytes) of the file A - Returns the epoch at which the file was last accessed. C - Returns the epoch at which the inode was last changed. M - Returns the epoch at which the file was last modified.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let Some((action, file)) = args.split_once(',') else {
        return Some("0".into());
    };
    let Ok(md) = std::fs::metadata(file) else {
        return Some("0".into());
    };
    let v = match action.bytes().next() {
        Some(b'e') => "1".to_string(),
        Some(b's') => (md.size() as u32).to_string(),
        Some(b'f') => u8::from(md.is_file()).to_string(),
        Some(b'd') => u8::from(md.is_dir()).to_string(),
        Some(b'M' | b'A') => (md.mtime() as i32).to_string(),
        Some(b'C') => (md.ctime() as i32).to_string(),
        Some(b'm') => format!("{:o}", md.mode()),
        _ => "0".to_string(),
    };
    Some(v)
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.txt");
        std::fs::write(&f, "hello").unwrap();
        let (mut c, p) = test_env();
        let d = dir.path().display();
        let f = f.display();
        assert_eq!(sub(&mut c, &p, &format!("${{STAT(e,{f})}}${{STAT(s,{f})}}${{STAT(f,{f})}}${{STAT(d,{f})}}${{STAT(d,{d})}}")), "15101");
        assert_eq!(sub(&mut c, &p, &format!("${{STAT(e,{d}/nope)}}")), "0");
        assert!(sub(&mut c, &p, &format!("${{STAT(m,{f})}}")).starts_with("100"));
    }
}
