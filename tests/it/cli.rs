//! The command line through the built binary: word order, `ioreg`-style selection and flags,
//! planes left out, `-o` safety, exits on a closed pipe, escaping, the JSON round trip,
//! completions and the man page.

use crate::common::{corpus_file, ioscope_bin, shared_corpus, temp_file};
use crate::fixture;
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::registry::{Registry, Text, Value};
use serde_json::Value as Json;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(ioscope_bin())
        .args(args)
        .output()
        .expect("run ioscope")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

/// The one stderr line of a failed run (exit status 1, nothing on stdout).
fn one_error(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err:?}");
    assert!(
        err.starts_with("ioscope: ") && !err.contains("panicked"),
        "{err}"
    );
    err
}

fn json(out: &Output) -> Json {
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Every ENTRY object in a JSON dump, in document order.
fn entries(doc: &Json) -> Vec<&Json> {
    fn walk<'a>(e: &'a Json, out: &mut Vec<&'a Json>) {
        out.push(e);
        for c in e["children"].as_array().into_iter().flatten() {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for plane in doc["planes"].as_array().unwrap() {
        for root in plane["roots"].as_array().unwrap() {
            walk(root, &mut out);
        }
    }
    out
}

fn chain_has(e: &Json, class: &str) -> bool {
    e["chain"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c.as_str() == Some(class))
}

fn write_registry(r: &Registry, dir: &Path, name: &str) -> String {
    let mut bytes = Vec::new();
    // Annotated: the fixture's exact bytes (control characters …) survive the archive.
    let annotated = Selection {
        annotate: true,
        ..Selection::default()
    };
    formats::write(r, &annotated, DumpFormat::Plist, &mut bytes).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Every plane, as JSON (a plist holds one plane).
fn write_all_planes(r: &Registry, dir: &Path, name: &str) -> String {
    let mut bytes = Vec::new();
    let all = Selection {
        all_planes: true,
        ..Selection::default()
    };
    formats::write(r, &all, DumpFormat::Json, &mut bytes).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

// ---------- word order ----------

#[test]
fn a_file_before_stats_or_dump_is_the_file_read() {
    let (_dir, path) = temp_file("two.txt", crate::common::TWO_ENTRY_DUMP);
    let p = path.to_str().unwrap();
    let before = json(&ok(&[p, "stats"]));
    let after = json(&ok(&["stats", p]));
    assert_eq!(before["reader"], "ioreg-text");
    assert_eq!(before["entries"], 2);
    assert_eq!(before["entries"], after["entries"]);
    let dumped = stdout(&ok(&[p, "dump", "--format", "text"]));
    assert!(dumped.contains("+-o Child"), "{dumped}");
    assert_eq!(
        dumped.lines().count(),
        2,
        "the file, not the demo: {dumped}"
    );

    let err = one_error(&[p, "stats", p]);
    assert!(err.contains("two files"), "{err}");
    let err = one_error(&[p, "explain", "0"]);
    assert!(err.contains("reads no file"), "{err}");
}

// ---------- selection ----------

/// `-c` without `-r` on a corpus dump: the whole tree, properties for the matches only.
#[test]
fn c_without_r_gives_properties_for_the_matches_only() {
    let Some(dir) = shared_corpus() else {
        eprintln!("skipped: no ../shared/corpus");
        return;
    };
    let file = corpus_file(&dir, "macmini1-1_10.4");
    let f = file.to_str().unwrap();
    let all = json(&ok(&["dump", f, "--format", "json"]));
    let selected = json(&ok(&["dump", f, "--format", "json", "-c", "IOUSBDevice"]));
    let (all, sel) = (entries(&all), entries(&selected));
    assert_eq!(all.len(), sel.len(), "without -r the whole tree is written");
    assert!(all.iter().all(|e| e.get("properties").is_some()));
    let with_props: Vec<_> = sel
        .iter()
        .filter(|e| e.get("properties").is_some())
        .collect();
    assert!(!with_props.is_empty());
    assert!(
        with_props.iter().all(|e| e["class"] == "IOUSBDevice"),
        "properties only for IOUSBDevice entries"
    );
    let matches = sel.iter().filter(|e| e["class"] == "IOUSBDevice").count();
    assert_eq!(with_props.len(), matches);

    // -l: every entry's properties again; -r: only the matching subtrees.
    let listed = json(&ok(&[
        "dump",
        f,
        "--format",
        "json",
        "-c",
        "IOUSBDevice",
        "-l",
    ]));
    assert!(
        entries(&listed)
            .iter()
            .all(|e| e.get("properties").is_some())
    );
    let rooted = json(&ok(&[
        "dump",
        f,
        "--format",
        "json",
        "-c",
        "IOUSBDevice",
        "-r",
    ]));
    let roots = rooted["planes"][0]["roots"].as_array().unwrap();
    assert_eq!(roots.len(), matches);
    assert!(roots.iter().all(|e| e["class"] == "IOUSBDevice"));

    // Text: property blocks only under the matching entries.
    let text = stdout(&ok(&["dump", f, "--format", "text", "-c", "IOUSBDevice"]));
    let blocks = text
        .lines()
        .filter(|l| l.trim_end().ends_with("| {") || l.trim() == "{")
        .count();
    assert_eq!(blocks, matches, "one property block per match");
}

#[test]
fn c_counts_subclasses_and_falls_back_to_ignoring_case() {
    // The demo knows every class chain: IOService matches its subclasses.
    let doc = json(&ok(&["dump", "--format", "json", "-c", "IOUSBHostDevice"]));
    let all = entries(&doc);
    let shown: Vec<_> = all
        .iter()
        .filter(|e| e.get("properties").is_some())
        .collect();
    assert!(!shown.is_empty() && shown.iter().all(|e| chain_has(e, "IOUSBHostDevice")));
    let doc = json(&ok(&["dump", "--format", "json", "-c", "IOService"]));
    let all = entries(&doc);
    let services = all.iter().filter(|e| chain_has(e, "IOService")).count();
    let shown = all.iter().filter(|e| e.get("properties").is_some()).count();
    assert_eq!(shown, services, "subclasses of IOService count");
    assert!(
        all.iter()
            .any(|e| e["class"] != "IOService" && chain_has(e, "IOService"))
    );

    let out = ok(&["dump", "--format", "json", "-c", "iousbhostdevice"]);
    assert!(stderr(&out).contains("ignoring case"), "{}", stderr(&out));
    let shown = entries(&json(&out))
        .iter()
        .filter(|e| e.get("properties").is_some())
        .count();
    assert!(shown > 0);

    let err = one_error(&["dump", "--format", "json", "-c", "NoSuchClassAnywhere"]);
    assert!(err.contains("NoSuchClassAnywhere"), "{err}");

    // -n/-k matching nothing is no error (as in ioreg), but it is said.
    let out = ok(&[
        "dump",
        "--format",
        "json",
        "-p",
        "IOService",
        "-n",
        "NoSuchName",
    ]);
    assert!(
        stderr(&out).contains("matches -n NoSuchName"),
        "{}",
        stderr(&out)
    );
    assert!(
        entries(&json(&out))
            .iter()
            .all(|e| e.get("properties").is_none())
    );
}

#[test]
fn ioreg_habits_are_accepted_with_their_meanings() {
    let (dir, _) = temp_file("x", "");
    let file = write_registry(&fixture::registry(), dir.path(), "f.plist");
    let f = file.as_str();
    // -a is the plist format.
    let a = ok(&["dump", f, "-a"]);
    let plist = ok(&["dump", f, "--format", "plist"]);
    assert!(a.stdout == plist.stdout, "-a is --format plist");
    // -x: hex numbers; -i: the class chain; -w: clipped lines ending in `$`.
    let hex = stdout(&ok(&["dump", f, "--format", "text", "-x"]));
    assert!(hex.contains("\"CurrentPowerState\"=0x2"), "{hex}");
    let chain = stdout(&ok(&["dump", f, "--format", "text", "-i"]));
    assert!(
        chain.contains("<class IORegistryEntry:IOService:"),
        "{chain}"
    );
    let clipped = stdout(&ok(&["dump", f, "--format", "text", "-w", "40"]));
    assert!(clipped.lines().all(|l| l.len() <= 40), "{clipped}");
    assert!(clipped.lines().any(|l| l.len() == 40 && l.ends_with('$')));
    let unclipped = stdout(&ok(&["dump", f, "--format", "text", "-w", "0"]));
    assert!(unclipped.lines().any(|l| l.len() > 40));
    // Text-only flags with another format are said to be ignored, not silently dropped.
    let out = ok(&[
        "dump",
        f,
        "--format",
        "json",
        "-p",
        "IOService",
        "-x",
        "-w",
        "80",
    ]);
    assert!(
        stderr(&out).contains("-w, -x apply to --format text only"),
        "{}",
        stderr(&out)
    );
    // -r -t: the path down to the match, without its siblings.
    let t = stdout(&ok(&[
        "dump", f, "--format", "text", "-n", "XHC1", "-r", "-t",
    ]));
    assert!(t.starts_with("+-o Root"), "{t}");
    assert!(t.contains("+-o XHC1"), "{t}");
}

// ---------- planes ----------

#[test]
fn planes_left_out_are_named_and_all_planes_writes_them() {
    let (dir, _) = temp_file("x", "");
    let file = write_all_planes(&fixture::registry(), dir.path(), "f.json");
    let f = file.as_str();
    let doc = json(&ok(&["dump", f, "--format", "json", "--all-planes"]));
    let names: Vec<&str> = doc["planes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.len() > 1, "{names:?}");
    let out = ok(&["dump", f, "--format", "json"]);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    for other in names.iter().filter(|n| **n != "IOService") {
        assert!(err.contains(other), "names {other}: {err}");
    }
    assert!(
        ok(&["dump", f, "--format", "json", "-p", "IOService"])
            .stderr
            .is_empty()
    );

    let text = stdout(&ok(&["dump", f, "--format", "text", "--all-planes"]));
    for name in &names {
        assert!(
            text.lines().any(|l| l == format!("{name}:")),
            "{name}: header"
        );
    }
    let err = one_error(&["dump", f, "--format", "plist", "--all-planes"]);
    assert!(err.contains("one plane"), "{err}");
}

#[test]
fn a_two_plane_corpus_dump_reads_back_whole_from_all_planes_text() {
    let Some(dir) = shared_corpus() else {
        eprintln!("skipped: no ../shared/corpus");
        return;
    };
    let file = corpus_file(&dir, "macmini1-1_10.4");
    let f = file.to_str().unwrap();
    let out = ok(&["dump", f, "--format", "text"]);
    assert!(stderr(&out).contains("IODeviceTree"), "{}", stderr(&out));
    let tmp = tempfile::tempdir().unwrap();
    let both = tmp.path().join("both.txt");
    ok(&[
        "dump",
        f,
        "--format",
        "text",
        "--all-planes",
        "-o",
        both.to_str().unwrap(),
    ]);
    let original = json(&ok(&["stats", f]));
    let again = json(&ok(&["stats", both.to_str().unwrap()]));
    assert_eq!(original["planes"], again["planes"]);
}

// ---------- -o ----------

#[cfg(unix)]
mod output {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn demo_dump_to(out: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["dump", "--format", "json", "-p", "IOUSB", "-o"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(extra);
        run(&args)
    }

    #[test]
    fn a_symlink_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.json");
        symlink("real.json", &link).unwrap();
        let out = demo_dump_to(&link, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let written = std::fs::read_to_string(&target).unwrap();
        assert!(written.starts_with("{\"planes\""), "{written}");
    }

    #[test]
    fn a_directory_fifo_or_device_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = demo_dump_to(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1);

        let fifo = dir.path().join("fifo");
        let made = Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let out = demo_dump_to(&fifo, &[]);
            assert_eq!(out.status.code(), Some(1));
            assert!(
                stderr(&out).contains("not a regular file"),
                "{}",
                stderr(&out)
            );
            assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo_like());
        }

        let out = demo_dump_to(Path::new("/dev/null"), &[]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    }

    trait FifoLike {
        fn is_fifo_like(&self) -> bool;
    }
    impl FifoLike for std::fs::FileType {
        fn is_fifo_like(&self) -> bool {
            use std::os::unix::fs::FileTypeExt;
            self.is_fifo()
        }
    }

    #[test]
    fn its_own_input_is_refused_unless_forced() {
        let (_dir, path) = temp_file("self.txt", crate::common::TWO_ENTRY_DUMP);
        let p = path.to_str().unwrap();
        let err = one_error(&["dump", p, "--format", "text", "-o", p]);
        assert!(err.contains("--force"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            crate::common::TWO_ENTRY_DUMP
        );
        // Another spelling of the same file is the same file.
        let other = path.parent().unwrap().join(".").join("self.txt");
        one_error(&["dump", p, "--format", "text", "-o", other.to_str().unwrap()]);
        ok(&["dump", p, "--format", "json", "-o", p, "--force"]);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("{\"planes\"")
        );
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.json");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(demo_dump_to(&kept, &[]).status.success());
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert!(std::fs::read_to_string(&kept).unwrap().starts_with('{'));

        let fresh = dir.path().join("fresh.json");
        let status = Command::new("sh")
            .arg("-c")
            .arg("umask 027; exec \"$0\" dump --format json -p IOUSB -o \"$1\"")
            .arg(ioscope_bin())
            .arg(&fresh)
            .status()
            .unwrap();
        assert!(status.success());
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "0666 minus umask 027");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 2, "no temporary file left behind");
    }
}

// ---------- exits ----------

/// A reader that closes the pipe at once: ioscope ends quietly with status 0.
fn closed_pipe_exit(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(ioscope_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

#[test]
fn a_closed_stdout_ends_quietly_with_status_0() {
    // The demo as text is far more than a pipe buffer: the write must fail.
    for args in [
        &["dump", "--format", "text", "--all-planes"][..],
        &["dump", "--format", "json", "--all-planes"],
        &["completions", "bash"],
        &["man"],
    ] {
        let (code, err) = closed_pipe_exit(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn an_os_error_is_printed_once_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = one_error(&["stats", dir.path().to_str().unwrap()]);
    assert!(err.contains(dir.path().to_str().unwrap()), "{err}");
    let words = "(os error";
    assert_eq!(err.matches(words).count(), 1, "{err}");
}

// ---------- escaping ----------

fn hostile_registry() -> Registry {
    let mut r = fixture::registry();
    let (id, _) = r.entries().nth(1).unwrap();
    let e = r.entry_mut(id);
    e.name = Text::from("evil\x1b]0;pwned\x07\u{9b}2J");
    e.properties.push((
        Text::from("key\x1b[31m"),
        Value::string("value\x1b[2J\u{9b}31m\u{202e}"),
    ));
    r
}

#[test]
fn text_dumps_escape_control_characters_unless_raw() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_registry(&hostile_registry(), dir.path(), "evil.plist");
    let escaped = ok(&["dump", &file, "--format", "text"]).stdout;
    assert!(!escaped.contains(&0x1b) && !escaped.contains(&0x07));
    assert!(!escaped.windows(2).any(|w| w == "\u{9b}".as_bytes()));
    let text = String::from_utf8(escaped).unwrap();
    assert!(text.contains("evil\\x1b]0;pwned\\x07\\x9b2J"), "{text}");
    assert!(text.contains("\"key\\x1b[31m\" = \"value\\x1b[2J\\x9b31m\\u{202e}\""));

    let raw = ok(&["dump", &file, "--format", "text", "--raw"]).stdout;
    let needle = "evil\x1b]0;pwned\x07\u{9b}2J".as_bytes();
    assert!(raw.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn json_escapes_every_c0_and_c1_control() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_registry(&hostile_registry(), dir.path(), "evil.plist");
    let out = ok(&["dump", &file, "--format", "json"]);
    assert!(!out.stdout.contains(&0x1b));
    assert!(!out.stdout.windows(2).any(|w| w == "\u{9b}".as_bytes()));
    let text = stdout(&out);
    assert!(
        text.contains("\\u009b2J") && text.contains("\\u001b"),
        "{text}"
    );
    let doc = json(&out);
    let names: Vec<&str> = entries(&doc)
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"evil\x1b]0;pwned\x07\u{9b}2J"),
        "exact after decoding"
    );
}

#[test]
fn stats_json_escapes_c1_controls() {
    let mut r = Registry::new();
    let root = r.add_entry(ioscope::registry::Entry::named("Root"));
    r.plane_mut("IO\u{9b}2JPlane").add_root(root);
    let dir = tempfile::tempdir().unwrap();
    let file = write_registry(&r, dir.path(), "c1.plist");
    let out = ok(&["stats", &file]);
    assert!(!out.stdout.windows(2).any(|w| w == "\u{9b}".as_bytes()));
    assert!(
        stdout(&out).contains("IO\\u009b2JPlane"),
        "{}",
        stdout(&out)
    );
    assert!(json(&out)["planes"].get("IO\u{9b}2JPlane").is_some());
}

#[test]
fn stderr_escapes_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("bad\x1b[31mname\u{9b}.txt");
    let err = one_error(&["stats", name.to_str().unwrap()]);
    assert!(!err.contains('\x1b') && !err.contains('\u{9b}'), "{err:?}");
    assert!(err.contains("bad\\x1b[31mname\\x9b.txt"), "{err}");
}

#[test]
fn usage_errors_escape_what_they_quote() {
    // clap strips ANSI sequences itself; a C1 CSI (U+009B) it would print raw.
    let out = run(&["dump", "--format", "bad\u{9b}31m\x1b]0;pwned\x07"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    assert!(!err.contains('\u{9b}'), "{err:?}");
    assert!(err.contains("bad\\x9b31m"), "{err}");
    let (code, err) = closed_pipe_exit(&["--help"]);
    assert_eq!(code, Some(0), "{err}");
}

// ---------- JSON round trip ----------

#[test]
fn the_json_export_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    ok(&["dump", "--format", "json", "--all-planes", "-o", a]);
    let demo = json(&ok(&["stats"]));
    let back = json(&ok(&["stats", a]));
    assert_eq!(back["reader"], "ioscope-json");
    assert_eq!(back["entries"], demo["entries"]);
    assert_eq!(back["planes"], demo["planes"]);
    assert_eq!(back["properties"], demo["properties"]);
    ok(&["dump", a, "--format", "json", "--all-planes", "-o", b]);
    assert!(
        std::fs::read(a).unwrap() == std::fs::read(b).unwrap(),
        "JSON → JSON is exact"
    );
    // And as another format: the plist of the JSON is the plist of the demo's IOService.
    let via_json = stdout(&ok(&["dump", a, "--format", "text", "-p", "IOService"]));
    let direct = stdout(&ok(&["dump", "--format", "text", "-p", "IOService"]));
    assert!(
        via_json == direct,
        "the text dump of the JSON is the demo's"
    );
}

#[test]
fn json_keeps_dates_before_year_1_and_dollar_keys() {
    let mut r = fixture::registry();
    let (id, _) = r.entries().next().unwrap();
    let props = &mut r.entry_mut(id).properties;
    props.push((
        Text::from("$data"),
        Value::Dict(vec![(Text::from("$int"), Value::string("not a tag"))]),
    ));
    props.push((
        Text::from("ancient"),
        Value::Date(ioscope::registry::Date(-70_000_000_000.0)),
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = write_registry(&r, dir.path(), "r.plist");
    let j = dir.path().join("r.json");
    let j = j.to_str().unwrap();
    ok(&["dump", &file, "--format", "json", "-o", j]);
    let text = std::fs::read_to_string(j).unwrap();
    assert!(
        text.contains("\"$$data\":{\"$$int\":\"not a tag\"}"),
        "{text}"
    );
    assert!(
        text.contains("\"ancient\":{\"$date\":-70000000000.0}"),
        "{text}"
    );
    let again = ok(&["dump", j, "--format", "json"]);
    assert_eq!(stdout(&again), text);
}

// ---------- completions and man ----------

#[test]
fn completions_offer_plane_names_for_p() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&ok(&["completions", shell]));
        for plane in [
            "IOService",
            "IODeviceTree",
            "IOPower",
            "IOUSB",
            "IOACPIPlane",
        ] {
            assert!(script.contains(plane), "{shell}: {plane}");
        }
    }
}

#[test]
fn the_man_page_documents_every_subcommand_and_the_keys() {
    let page = stdout(&ok(&["man"]));
    assert!(
        !page.contains("(1)"),
        "names no other page (ioscope-dump(1) …)"
    );
    for sub in ["dump", "stats", "explain", "completions"] {
        assert!(page.contains(&format!("ioscope {sub}")), "{sub}");
    }
    assert!(page.contains(".SH KEYS"));
    for binding in ioscope::app::keymap::KEYMAP {
        assert!(
            page.contains(&binding.help.replace('-', "\\-")),
            "{}",
            binding.help
        );
    }
    assert!(page.contains("\\-\\-all\\-planes"));
}
