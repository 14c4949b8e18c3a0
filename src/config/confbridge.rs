//! confbridge.conf (app_confbridge, apps/confbridge/conf_config_parser.c).
//!
//! Every section is typed by its `type=` line: `bridge`, `user` or `menu` (`[general]` holds
//! nothing in Asterisk 20). The file is read with the config framework (aco): an unknown
//! option or a section without a valid `type` makes Asterisk reject the whole file, so those
//! are warnings here. `default_bridge`, `default_user` and `sample_user_menu`-style names are
//! ordinary sections; the built-in `default_bridge`/`default_user` exist even without them.
//! A menu maps DTMF sequences (`^[0-9A-D*#]+$`) to comma-separated actions.

use super::values::{self, is_known};
use super::{ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};

const FILE: &str = "confbridge.conf";

const BRIDGE: &[&str] = &[
    "type",
    "template",
    "binaural_active",
    "enable_events",
    "internal_sample_rate",
    "jitterbuffer",
    "language",
    "max_members",
    "maximum_sample_rate",
    "mixing_interval",
    "record_command",
    "record_conference",
    "record_file",
    "record_file_append",
    "record_file_timestamp",
    "record_options",
    "regcontext",
    "remb_behavior",
    "remb_estimated_bitrate",
    "remb_send_interval",
    "video_mode",
    "video_update_discard",
];

const USER: &[&str] = &[
    "type",
    "template",
    "admin",
    "announce_join_leave",
    "announce_join_leave_review",
    "announce_only_user",
    "announce_user_count",
    "announce_user_count_all",
    "announcement",
    "answer_channel",
    "denoise",
    "dsp_drop_silence",
    "dsp_silence_threshold",
    "dsp_talking_threshold",
    "dtmf_passthrough",
    "echo_events",
    "end_marked",
    "end_marked_any",
    "hear_own_join_sound",
    "jitterbuffer",
    "marked",
    "music_on_hold_class",
    "music_on_hold_when_empty",
    "pin",
    "quiet",
    "send_events",
    "startmuted",
    "talk_detection_events",
    "text_messaging",
    "timeout",
    "wait_marked",
];

/// Menu actions; the last three take `(arguments)`.
pub const MENU_ACTIONS: &[&str] = &[
    "toggle_mute",
    "toggle_binaural",
    "no_op",
    "increase_listening_volume",
    "decrease_listening_volume",
    "increase_talking_volume",
    "reset_listening_volume",
    "reset_talking_volume",
    "decrease_talking_volume",
    "admin_toggle_conference_lock",
    "admin_toggle_mute_participants",
    "participant_count",
    "admin_kick_last",
    "leave_conference",
    "set_as_single_video_src",
    "release_as_single_video_src",
    "dialplan_exec",
    "playback_and_continue",
    "playback",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    Bridge,
    User,
    Menu,
}

/// One DTMF mapping of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuEntry {
    pub dtmf: String,
    /// Actions in order, as written (`playback(file)` keeps its argument).
    pub actions: Vec<String>,
    pub span: Span,
}

/// A `type=bridge|user|menu` section.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: Spanned<String>,
    pub kind: Spanned<ProfileKind>,
    /// Options other than `type`, in order (for bridges and users).
    pub options: Vec<Variable>,
    /// For menus.
    pub entries: Vec<MenuEntry>,
}

impl Profile {
    /// The last value of an option.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.options
            .iter()
            .rev()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Default)]
pub struct ConfbridgeConf {
    pub profiles: Vec<Profile>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

fn split_actions(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0u32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

impl ConfbridgeConf {
    pub fn profiles_of(&self, kind: ProfileKind) -> impl Iterator<Item = &Profile> {
        self.profiles.iter().filter(move |p| p.kind.value == kind)
    }

    pub fn profile(&self, name: &str, kind: ProfileKind) -> Option<&Profile> {
        self.profiles_of(kind)
            .find(|p| p.name.value.eq_ignore_ascii_case(name))
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = ConfbridgeConf::default();
        let mut diags = Vec::new();
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                for v in &cat.vars {
                    values::report_unknown(
                        "confbridge-unknown-option",
                        FILE,
                        &cat.name,
                        v,
                        true,
                        &mut diags,
                        &mut out.unknown,
                    );
                }
                continue;
            }
            let kind = match cat.get("type") {
                None => {
                    diags.push(Diagnostic::warning(
                        "confbridge-missing-type",
                        cat.span.clone(),
                        format!("[{}] has no type= (bridge, user or menu); Asterisk fails to load confbridge.conf", cat.name),
                    ));
                    continue;
                }
                Some(t) => {
                    match t.value.trim().to_ascii_lowercase().as_str() {
                        "bridge" => Spanned::new(ProfileKind::Bridge, t.span.clone()),
                        "user" => Spanned::new(ProfileKind::User, t.span.clone()),
                        "menu" => Spanned::new(ProfileKind::Menu, t.span.clone()),
                        _ => {
                            diags.push(Diagnostic::warning(
                            "confbridge-bad-type",
                            t.span.clone(),
                            format!("unknown type '{}' in [{}]; Asterisk fails to load confbridge.conf", t.value, cat.name),
                        ));
                            continue;
                        }
                    }
                }
            };
            let mut p = Profile {
                name: Spanned::new(cat.name.clone(), cat.span.clone()),
                kind,
                options: Vec::new(),
                entries: Vec::new(),
            };
            for v in cat
                .vars
                .iter()
                .filter(|v| !v.name.eq_ignore_ascii_case("type"))
            {
                let known = match p.kind.value {
                    ProfileKind::Bridge => is_known(BRIDGE, &["sound_"], &v.name),
                    ProfileKind::User => is_known(USER, &[], &v.name),
                    ProfileKind::Menu => {
                        if v.name.eq_ignore_ascii_case("template") {
                            true
                        } else if !v.name.is_empty()
                            && v.name
                                .chars()
                                .all(|c| c.is_ascii_digit() || "ABCD*#".contains(c))
                        {
                            let actions = split_actions(&v.value);
                            for a in &actions {
                                let base = a
                                    .split('(')
                                    .next()
                                    .unwrap_or("")
                                    .trim()
                                    .to_ascii_lowercase();
                                if !MENU_ACTIONS.contains(&base.as_str()) {
                                    diags.push(Diagnostic::warning(
                                        "confbridge-bad-menu-action",
                                        v.span.clone(),
                                        format!("unknown menu action '{}' for {} in [{}]; Asterisk fails to load the menu", a, v.name, cat.name),
                                    ));
                                }
                            }
                            p.entries.push(MenuEntry {
                                dtmf: v.name.clone(),
                                actions,
                                span: v.span.clone(),
                            });
                            continue;
                        } else {
                            false
                        }
                    }
                };
                if !known {
                    values::report_unknown(
                        "confbridge-unknown-option",
                        FILE,
                        &cat.name,
                        v,
                        true,
                        &mut diags,
                        &mut out.unknown,
                    );
                }
                p.options.push(v.clone());
            }
            out.profiles.push(p);
        }
        out.diagnostics = diags;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn profiles_and_menus() {
        let text = "[default_user]\ntype=user\nmarked=yes\nfoo=1\n[b]\ntype=bridge\nmax_members=10\nsound_join=beep\n[m]\ntype=menu\n*1=toggle_mute\n*2=playback(a,b),leave_conference\n9=dance\n[x]\nmarked=yes\n[y]\ntype=room\n";
        let c = ConfbridgeConf::from_conf(&conf("confbridge.conf", text));
        assert_eq!(c.profiles.len(), 3);
        let u = c.profile("default_user", ProfileKind::User).unwrap();
        assert_eq!(u.get("marked").unwrap().value, "yes");
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "confbridge-unknown-option" && d.span.line == 4));
        let b = c.profile("b", ProfileKind::Bridge).unwrap();
        assert_eq!(b.get("max_members").unwrap().span.line, 7);
        let m = c.profile("m", ProfileKind::Menu).unwrap();
        assert_eq!(m.entries.len(), 3);
        assert_eq!(
            m.entries[1].actions,
            vec!["playback(a,b)", "leave_conference"]
        );
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "confbridge-bad-menu-action" && d.span.line == 13));
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "confbridge-missing-type" && d.span.line == 14));
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "confbridge-bad-type" && d.span.line == 17));
        assert_eq!(c.unknown.len(), 1);
    }
}
