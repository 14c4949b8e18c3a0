//! DBdeltree: delete a family or keytree from AstDB (funcs/func_db.c's companion app).

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "DBdeltree",
    synopsis: "Delete a family or keytree from the asterisk database.",
    provided_by: "app_db",
    syntax: "DBdeltree(family/keytree)",
    description: "This application will delete a family or keytree from the Asterisk database.",
    exec: Exec::Sync(exec),
};

fn exec(_chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        crate::logger::warning(
            "app_db.c",
            "DBdeltree requires an argument (family/keytree)",
        );
        return AppResult::Continue;
    }
    let (family, keytree) = data.split_once('/').unwrap_or((data, ""));
    if keytree.is_empty() {
        crate::verb!(3, "DBdeltree: family={family}");
    } else {
        crate::verb!(3, "DBdeltree: family={family}, keytree={keytree}");
    }
    if pbx.astdb.deltree(family, keytree) < 0 {
        crate::logger::verb(3, "DBdeltree: Error deleting key from database.");
    }
    AppResult::Continue
}
