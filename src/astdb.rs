//! AstDB: Asterisk's key/value store, in the same SQLite file and schema Asterisk uses
//! (`<astdbdir>/astdb.sqlite3`, table `astdb(key, value)`, keys `/family/key`), so an
//! existing Asterisk database keeps working after the swap.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

pub struct AstDb {
    conn: Mutex<Connection>,
}

/// `/family` or `/family/keytree`, as Asterisk builds a prefix (a `family/keytree` family
/// works too).
fn prefix(family: &str, keytree: &str) -> String {
    let mut p = String::new();
    if !family.is_empty() {
        p.push('/');
        p.push_str(family.trim_matches('/'));
        if !keytree.is_empty() {
            p.push('/');
            p.push_str(keytree.trim_matches('/'));
        }
    }
    p
}

impl AstDb {
    /// Open (creating if needed) `<dir>/astdb.sqlite3`.
    pub fn open(dir: &Path) -> rusqlite::Result<AstDb> {
        let _ = std::fs::create_dir_all(dir);
        Self::with(Connection::open(dir.join("astdb.sqlite3"))?)
    }

    /// An in-memory database (tests, and when the folder cannot be written).
    pub fn memory() -> AstDb {
        Self::with(Connection::open_in_memory().expect("sqlite in memory")).expect("schema")
    }

    fn with(conn: Connection) -> rusqlite::Result<AstDb> {
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS astdb(key TEXT, value TEXT, PRIMARY KEY(key));",
        )?;
        Ok(AstDb {
            conn: Mutex::new(conn),
        })
    }

    fn key(family: &str, key: &str) -> String {
        format!("/{}/{}", family, key)
    }

    pub fn put(&self, family: &str, key: &str, value: &str) -> bool {
        let c = self.conn.lock().unwrap();
        c.execute(
            "INSERT OR REPLACE INTO astdb (key, value) VALUES (?1, ?2)",
            params![Self::key(family, key), value],
        )
        .is_ok()
    }

    pub fn get(&self, family: &str, key: &str) -> Option<String> {
        let c = self.conn.lock().unwrap();
        c.query_row(
            "SELECT value FROM astdb WHERE key=?1",
            params![Self::key(family, key)],
            |r| r.get(0),
        )
        .optional()
        .ok()
        .flatten()
    }

    pub fn del(&self, family: &str, key: &str) -> bool {
        let c = self.conn.lock().unwrap();
        matches!(
            c.execute(
                "DELETE FROM astdb WHERE key=?1",
                params![Self::key(family, key)]
            ),
            Ok(n) if n > 0
        )
    }

    /// Delete a family or a keytree in it; the number of entries removed, -1 on failure.
    pub fn deltree(&self, family: &str, keytree: &str) -> i64 {
        let c = self.conn.lock().unwrap();
        let p = prefix(family, keytree);
        let r = if p.is_empty() {
            c.execute("DELETE FROM astdb", [])
        } else {
            c.execute(
                "DELETE FROM astdb WHERE key || '/' LIKE ?1 || '/' || '%'",
                params![p],
            )
        };
        r.map(|n| n as i64).unwrap_or(-1)
    }

    /// Every entry under a family/keytree (all when both are empty), ordered by key.
    pub fn tree(&self, family: &str, keytree: &str) -> Vec<(String, String)> {
        let c = self.conn.lock().unwrap();
        let p = prefix(family, keytree);
        let mut out = Vec::new();
        let sql = if p.is_empty() {
            "SELECT key, value FROM astdb WHERE ?1 = ?1 ORDER BY key"
        } else {
            "SELECT key, value FROM astdb WHERE key || '/' LIKE ?1 || '/' || '%' ORDER BY key"
        };
        if let Ok(mut st) = c.prepare(sql) {
            if let Ok(rows) = st.query_map(params![p], |r| Ok((r.get(0)?, r.get(1)?))) {
                out.extend(rows.flatten());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_del_tree() {
        let dir = tempfile::tempdir().unwrap();
        let db = AstDb::open(dir.path()).unwrap();
        assert!(db.put("cidname", "5551234", "Ivan"));
        assert!(db.put("cidname", "5559999", "Olga"));
        assert!(db.put("other", "k", "v"));
        assert_eq!(db.get("cidname", "5551234").as_deref(), Some("Ivan"));
        assert_eq!(db.tree("cidname", "").len(), 2);
        assert_eq!(db.tree("", "").len(), 3);
        assert!(db.del("cidname", "5551234"));
        assert!(!db.del("cidname", "5551234"));
        assert_eq!(db.deltree("cidname", ""), 1);
        assert_eq!(db.get("other", "k").as_deref(), Some("v"));
        drop(db);
        // The file is Asterisk's: reopened, the data is there.
        let db = AstDb::open(dir.path()).unwrap();
        assert_eq!(db.get("other", "k").as_deref(), Some("v"));
    }
}
