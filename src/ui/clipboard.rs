//! Putting text on a clipboard for `y`. Always OSC 52 (the terminal's clipboard: works over
//! ssh, but many terminals refuse it by default), and where the machine has a local
//! clipboard tool on PATH, that too: `pbcopy` (macOS), `wl-copy` (Wayland), `xclip` or
//! `xsel` (X11). The tool is fed on stdin from a thread of its own, so a slow or stuck tool
//! never blocks the UI. The status line says which was used.
//!
//! (A clipboard crate such as `arboard` would link X11/Wayland libraries into every build
//! and own a clipboard thread; the tools users already have do the same job.)

use base64::Engine;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A local clipboard tool and the arguments that make it read stdin into the clipboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tool {
    pub name: &'static str,
    pub args: &'static [&'static str],
    pub path: PathBuf,
}

/// The tools to try, in order, for this session (`WAYLAND_DISPLAY` / `DISPLAY` say which
/// display server the X11 and Wayland tools would talk to).
fn candidates(wayland: bool, x11: bool) -> Vec<(&'static str, &'static [&'static str])> {
    let mut out: Vec<(&'static str, &'static [&'static str])> = Vec::new();
    if cfg!(target_os = "macos") {
        out.push(("pbcopy", &[]));
    }
    if wayland {
        out.push(("wl-copy", &[]));
    }
    if x11 {
        out.push(("xclip", &["-selection", "clipboard", "-in"]));
        out.push(("xsel", &["--clipboard", "--input"]));
    }
    out
}

/// The first executable called `name` in `path` (a `PATH` value).
fn find_in(path: &std::ffi::OsStr, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// The local clipboard tool for this environment, if any.
pub(crate) fn local_tool() -> Option<Tool> {
    let path = std::env::var_os("PATH")?;
    let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty());
    let x11 = std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty());
    candidates(wayland, x11)
        .into_iter()
        .find_map(|(name, args)| find_in(&path, name).map(|path| Tool { name, args, path }))
}

/// Starts `tool` and feeds it `text` on a thread; errors starting it come back at once.
fn feed(tool: &Tool, text: &str) -> io::Result<()> {
    let mut child = Command::new(&tool.path)
        .args(tool.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| io::Error::other("no stdin"))?;
    let text = text.to_owned();
    std::thread::Builder::new()
        .name("ioscope-clipboard".into())
        .spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
            drop(stdin);
            // Reaped here so that no zombie is left; xclip may stay until the selection
            // is taken over, which only holds this thread.
            let _ = child.wait();
        })?;
    Ok(())
}

/// The OSC 52 sequence that asks the terminal to put `text` on its clipboard. The text is
/// base64-encoded, so nothing in it can break out of the sequence.
pub(crate) fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

/// Copies `text` (OSC 52 to stdout, and the local tool when there is one) and returns the
/// status line saying where it went.
pub(crate) fn copy(text: &str, preview: &str) -> String {
    let mut out = io::stdout();
    let _ = out.write_all(osc52(text).as_bytes());
    let _ = out.flush();
    match local_tool() {
        Some(tool) => match feed(&tool, text) {
            Ok(()) => format!("copied with {} and OSC 52: {preview}", tool.name),
            Err(e) => format!(
                "{} failed ({e}); sent by OSC 52 only (the terminal may refuse it): {preview}",
                tool.name
            ),
        },
        None => format!(
            "sent by OSC 52 (no pbcopy/wl-copy/xclip/xsel here; the terminal may refuse it): {preview}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_and_cannot_be_broken_out_of() {
        let seq = osc52("a\x07\x1b]0;evil\x07b");
        assert!(seq.starts_with("\x1b]52;c;"));
        assert!(seq.ends_with('\x07'));
        let body = &seq[7..seq.len() - 1];
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
    }

    #[test]
    fn the_tools_follow_the_display_server() {
        let names = |w, x| -> Vec<&str> { candidates(w, x).into_iter().map(|c| c.0).collect() };
        let none: Vec<&str> = if cfg!(target_os = "macos") {
            vec!["pbcopy"]
        } else {
            vec![]
        };
        assert_eq!(names(false, false), none);
        assert!(names(true, false).contains(&"wl-copy"));
        assert!(!names(true, false).contains(&"xclip"));
        assert!(names(false, true).ends_with(&["xclip", "xsel"]));
    }

    #[cfg(unix)]
    #[test]
    fn a_tool_is_found_on_path_only_when_executable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let tool = dir.path().join("wl-copy");
        std::fs::write(&tool, "#!/bin/sh\ncat > \"$0.out\"\n").unwrap();
        let path = std::ffi::OsString::from(dir.path());
        assert_eq!(find_in(&path, "wl-copy"), None, "not executable yet");
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_in(&path, "wl-copy"), Some(tool.clone()));
        // Fed on stdin, without waiting for it.
        let t = Tool {
            name: "wl-copy",
            args: &[],
            path: tool.clone(),
        };
        feed(&t, "IOService:/AppleACPIPlatformExpert").unwrap();
        let out = dir.path().join("wl-copy.out");
        let start = std::time::Instant::now();
        while std::fs::read_to_string(&out).ok().as_deref()
            != Some("IOService:/AppleACPIPlatformExpert")
        {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "the tool got the text"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}
