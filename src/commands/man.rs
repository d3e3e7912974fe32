//! `ioscope man`: one page with the top-level command, every subcommand and the explorer's
//! keys (generated from [`KEYMAP`], the table that dispatches them), so that the page names no
//! other page that cannot be generated.

use clap_mangen::Man;
use ioscope::app::keymap::{Context, KEYMAP, key_label};
use std::io;

/// The whole page as roff.
pub fn render(cmd: clap::Command) -> io::Result<Vec<u8>> {
    let cmd = cmd.disable_help_subcommand(true);
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    commands(&cmd, &mut out);
    keys(&mut out);
    examples(&mut out);
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// Roff text: backslashes doubled, a leading `.` or `'` protected.
fn roff(text: &str) -> String {
    let text = text.replace('\\', "\\\\").replace('-', "\\-");
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}")
    } else {
        text
    }
}

/// COMMANDS: each subcommand's usage, description and arguments.
fn commands(cmd: &clap::Command, out: &mut Vec<u8>) {
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in cmd.get_subcommands() {
        let mut sub = sub.clone().bin_name(format!("ioscope {}", sub.get_name()));
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        push(out, &format!(".TP\n\\fB{}\\fR\n", roff(usage)));
        let about = sub
            .get_long_about()
            .or(sub.get_about())
            .map(|s| s.to_string())
            .unwrap_or_default();
        for para in about.split("\n\n") {
            push(out, &format!("{}\n.br\n", roff(para.trim())));
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let mut name = String::new();
            if let Some(s) = arg.get_short() {
                name.push_str(&format!("-{s}"));
            }
            if let Some(l) = arg.get_long() {
                if !name.is_empty() {
                    name.push_str(", ");
                }
                name.push_str(&format!("--{l}"));
            }
            let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
            if name.is_empty() {
                name = format!("<{}>", id.to_uppercase());
            } else if takes_value {
                let value = arg
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map_or_else(|| id.to_uppercase(), |v| v.to_string());
                name.push_str(&format!(" {value}"));
            }
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|s| s.to_string())
                .unwrap_or_default();
            push(
                out,
                &format!(".RS\n.TP\n\\fB{}\\fR\n{}\n.RE\n", roff(&name), roff(&help)),
            );
        }
        if let Some(after) = sub.get_after_help() {
            push(
                out,
                &format!(".RS\n.PP\n{}\n.RE\n", roff(&after.to_string())),
            );
        }
    }
}

/// KEYS: every binding of the explorer's keymap, by context.
fn keys(out: &mut Vec<u8>) {
    out.extend_from_slice(
        b".SH KEYS\nThe explorer's keys (the same table drives the \\fB?\\fR help screen).\n",
    );
    for context in [Context::Main, Context::Prompt, Context::List, Context::Help] {
        push(out, &format!(".SS {}\n", roff(context.title())));
        for binding in KEYMAP.iter().filter(|b| b.context == context) {
            let keys: Vec<String> = binding.keys.iter().map(key_label).collect();
            push(
                out,
                &format!(
                    ".TP\n\\fB{}\\fR\n{}\n",
                    roff(&keys.join(", ")),
                    roff(binding.help)
                ),
            );
        }
    }
}

fn push(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// EXAMPLES: the top-level `--help` examples.
fn examples(out: &mut Vec<u8>) {
    out.extend_from_slice(b".SH EXAMPLES\n");
    for line in super::EXAMPLES.lines().skip(1) {
        push(out, &format!("{}\n.br\n", roff(line.trim())));
    }
}
