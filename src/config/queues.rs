//! queues.conf (app_queue): `[general]` and one queue per other section.
//!
//! A queue's `strategy` is one of ringall (default), leastrecent, fewestcalls, random,
//! rrmemory (`roundrobin` is an alias), linear, wrandom, rrordered; an unknown strategy makes
//! app_queue fall back to ringall with a warning. `member =>
//! interface[,penalty[,membername[,state_interface[,ringinuse[,wrapuptime]]]]]` lines add static
//! members (`SIP/1001`, `Local/1001@agents`, `PJSIP/...`). Unknown options are ignored by
//! app_queue (with a warning for unknown queue parameters); reported here.

use super::values::{self, int_or_default, is_known, text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};

const FILE: &str = "queues.conf";
const GENERAL: &[&str] = &[
    "persistentmembers",
    "autofill",
    "monitor-type",
    "shared_lastcall",
    "negative_penalty_invalid",
    "log_membername_as_agent",
    "log-caller-id-name",
    "log_unpause_on_reason_change",
    "force_longest_waiting_caller",
    "realtime_rules",
    "log-restricted-caller-id",
    "updatecdr",
    "keepstats",
];
const QUEUE: &[&str] = &[
    "announce",
    "announce-frequency",
    "announce-holdtime",
    "announce-position",
    "announce-position-limit",
    "announce-position-only-up",
    "announce-round-seconds",
    "announce-to-first-user",
    "autofill",
    "autopause",
    "autopausebusy",
    "autopausedelay",
    "autopauseunavail",
    "context",
    "defaultrule",
    "joinempty",
    "leavewhenempty",
    "log-restricted-caller-id",
    "maxlen",
    "memberdelay",
    "membergosub",
    "membermacro",
    "min-announce-frequency",
    "monitor-format",
    "monitor-type",
    "music",
    "musicclass",
    "musiconhold",
    "penaltymemberslimit",
    "periodic-announce",
    "periodic-announce-frequency",
    "periodic-announce-startdelay",
    "queue-callerannounce",
    "queue-callswaiting",
    "queue-holdtime",
    "queue-minute",
    "queue-minutes",
    "queue-quantity1",
    "queue-quantity2",
    "queue-reporthold",
    "queue-seconds",
    "queue-thankyou",
    "queue-thereare",
    "queue-youarenext",
    "random-periodic-announce",
    "relative-periodic-announce",
    "reportholdtime",
    "retry",
    "ringinuse",
    "servicelevel",
    "setinterfacevar",
    "setqueueentryvar",
    "setqueuevar",
    "strategy",
    "timeout",
    "timeoutpriority",
    "timeoutrestart",
    "weight",
    "wrapuptime",
    "member",
    "sl",
    "sl2",
    "eventwhencalled",
    "eventmemberstatus",
    "monitor-join",
    "timeoutpriority",
];
pub const STRATEGIES: &[&str] = &[
    "ringall",
    "leastrecent",
    "fewestcalls",
    "random",
    "rrmemory",
    "roundrobin",
    "linear",
    "wrandom",
    "rrordered",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub interface: String,
    pub penalty: i64,
    pub membername: String,
    pub state_interface: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub name: Spanned<String>,
    /// `ringall` when not written or invalid.
    pub strategy: Option<Spanned<String>>,
    /// Seconds a member rings (default 15).
    pub timeout: Option<Spanned<i64>>,
    /// Seconds before trying all members again (default 5).
    pub retry: Option<Spanned<i64>>,
    pub wrapuptime: Option<Spanned<i64>>,
    /// 0 = unlimited.
    pub maxlen: Option<Spanned<i64>>,
    pub context: Option<Spanned<String>>,
    pub musicclass: Option<Spanned<String>>,
    pub members: Vec<Member>,
    pub options: Vec<Variable>,
}

impl Queue {
    pub fn strategy(&self) -> &str {
        self.strategy
            .as_ref()
            .map(|s| s.value.as_str())
            .unwrap_or("ringall")
    }
}

#[derive(Debug, Clone, Default)]
pub struct QueuesConf {
    pub general: Vec<Variable>,
    pub queues: Vec<Queue>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl QueuesConf {
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues
            .iter()
            .find(|q| q.name.value.eq_ignore_ascii_case(name))
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = QueuesConf::default();
        let mut d = Vec::new();
        let r = "queues-bad-value";
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                values::plain_section(
                    cat,
                    GENERAL,
                    "queues-unknown-option",
                    FILE,
                    &mut out.general,
                    &mut d,
                    &mut out.unknown,
                );
                continue;
            }
            let mut q = Queue {
                name: Spanned::new(cat.name.clone(), cat.span.clone()),
                strategy: None,
                timeout: None,
                retry: None,
                wrapuptime: None,
                maxlen: None,
                context: None,
                musicclass: None,
                members: Vec::new(),
                options: cat.vars.clone(),
            };
            for v in &cat.vars {
                match v.name.to_ascii_lowercase().as_str() {
                    "strategy" => {
                        q.strategy =
                            values::choice(v, STRATEGIES, r, "app_queue uses ringall", &mut d)
                    }
                    "timeout" => q.timeout = int_or_default(v, r, "15", &mut d),
                    "retry" => q.retry = int_or_default(v, r, "5", &mut d),
                    "wrapuptime" => q.wrapuptime = int_or_default(v, r, "0", &mut d),
                    "maxlen" => q.maxlen = int_or_default(v, r, "0", &mut d),
                    "context" => q.context = Some(text(v)),
                    "musicclass" | "musiconhold" | "music" => q.musicclass = Some(text(v)),
                    "member" => {
                        let parts: Vec<&str> = v.value.split(',').map(str::trim).collect();
                        if parts[0].is_empty() {
                            d.push(Diagnostic::warning(
                                "queues-bad-member",
                                v.span.clone(),
                                format!(
                                    "member line in [{}] has no interface; app_queue skips it",
                                    cat.name
                                ),
                            ));
                            continue;
                        }
                        let penalty = match parts.get(1).filter(|p| !p.is_empty()) {
                            Some(p) if values::is_int(p) => values::atoi(p).max(0),
                            Some(p) => {
                                d.push(Diagnostic::warning(
                                    r,
                                    v.span.clone(),
                                    format!(
                                        "member penalty '{}' is not a number; app_queue uses 0",
                                        p
                                    ),
                                ));
                                0
                            }
                            None => 0,
                        };
                        q.members.push(Member {
                            interface: parts[0].to_string(),
                            penalty,
                            membername: parts.get(2).map(|s| s.to_string()).unwrap_or_default(),
                            state_interface: parts
                                .get(3)
                                .map(|s| s.to_string())
                                .unwrap_or_default(),
                            span: v.span.clone(),
                        });
                    }
                    n if is_known(QUEUE, &[], n) => {}
                    _ => {
                        values::report_unknown(
                            "queues-unknown-option",
                            FILE,
                            &cat.name,
                            v,
                            false,
                            &mut d,
                            &mut out.unknown,
                        );
                    }
                }
            }
            out.queues.push(q);
        }
        out.diagnostics = d;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn queues_and_members() {
        let text = "[general]\npersistentmembers=yes\n[support]\nstrategy=roundrobin\ntimeout=abc\nmember => SIP/1001,2\nmember => Local/1002@agents,x,Bob\n[sales]\nstrategy=smart\nfoo=1\n";
        let q = QueuesConf::from_conf(&conf("queues.conf", text));
        let s = q.queue("support").unwrap();
        assert_eq!(s.strategy(), "roundrobin");
        assert!(s.timeout.is_none());
        assert!(q
            .diagnostics
            .iter()
            .any(|d| d.rule == "queues-bad-value" && d.span.line == 5));
        assert_eq!(s.members.len(), 2);
        assert_eq!(
            (s.members[0].interface.as_str(), s.members[0].penalty),
            ("SIP/1001", 2)
        );
        assert_eq!(s.members[1].membername, "Bob");
        assert!(q
            .diagnostics
            .iter()
            .any(|d| d.rule == "queues-bad-value" && d.span.line == 7));
        assert_eq!(q.queue("sales").unwrap().strategy(), "ringall");
        assert!(q
            .diagnostics
            .iter()
            .any(|d| d.rule == "queues-bad-value" && d.span.line == 9));
        assert!(q
            .diagnostics
            .iter()
            .any(|d| d.rule == "queues-unknown-option" && d.span.line == 10));
    }
}
