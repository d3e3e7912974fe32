//! Leak hunting on real dumps: `diff` against a copy with known edits reports exactly those
//! edits, `classes` and `clients` agree with counts made here from the dump's own lines.

use crate::common::{ioscope_bin, json, run, shared_corpus};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Command;

const DUMP: &str = "hackintosh-macmini8-1-smbios_15.x-24G720_ioreg-l.txt";

/// A tree line's depth (`+-o` at column 2 × depth) and registry ID.
fn tree_line(line: &str) -> Option<(usize, u64)> {
    let col = line.find("+-o ")?;
    let at = line.find(", id 0x")?;
    let hex: String = line[at + 7..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    Some((col / 2, u64::from_str_radix(&hex, 16).ok()?))
}

#[test]
fn a_dump_compared_with_itself_is_the_same() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let f = dir.join(DUMP);
    let out = run(&["diff", f.to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_missing_file_is_trouble() {
    let out = run(&["diff", "/nonexistent/a.txt", "/nonexistent/b.txt"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/a.txt"), "{err}");
}

#[test]
fn diff_reports_exactly_the_edits_made_to_a_copy() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join(DUMP)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let ids: Vec<Option<(usize, u64)>> = lines.iter().map(|l| tree_line(l)).collect();
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for (_, id) in ids.iter().flatten() {
        *seen.entry(*id).or_default() += 1;
    }
    // A subtree to remove: deep enough, with at least two entries below, none of them
    // printed anywhere else (no entry with several parents inside).
    let subtree_end = |i: usize| {
        let d = ids[i].unwrap().0;
        (i + 1..lines.len())
            .find(|&j| ids[j].is_some_and(|(dj, _)| dj <= d))
            .unwrap_or(lines.len())
    };
    let (cut, cut_end) = (0..lines.len())
        .filter(|&i| ids[i].is_some_and(|(d, _)| d >= 4))
        .map(|i| (i, subtree_end(i)))
        .find(|&(i, end)| {
            let inside: Vec<u64> = (i..end).filter_map(|j| ids[j].map(|x| x.1)).collect();
            inside.len() >= 3 && inside.iter().all(|id| seen[id] == 1)
        })
        .expect("a removable subtree");
    let removed_id = ids[cut].unwrap().1;
    let removed_size = (cut..cut_end).filter(|&j| ids[j].is_some()).count();
    // A retain count to change and a property to change, on entries outside that subtree
    // and printed once.
    let once =
        |i: usize| ids[i].is_some_and(|(_, id)| seen[&id] == 1) && !(cut..cut_end).contains(&i);
    let retain_at = (0..lines.len())
        .find(|&i| once(i) && lines[i].contains(", retain "))
        .unwrap();
    let owner = |j: usize| (0..=j).rev().find(|&i| ids[i].is_some()).unwrap();
    let prop_at = (0..lines.len())
        .find(|&j| lines[j].contains("\"IOProbeScore\" = ") && once(owner(j)))
        .unwrap();
    let volatile_at = (0..lines.len())
        .find(|&j| lines[j].contains("\"HIDIdleTime\" = "))
        .unwrap();

    let mut edited: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if (cut..cut_end).contains(&i) {
            continue;
        }
        let line = if i == retain_at {
            let (head, tail) = line.rsplit_once(", retain ").unwrap();
            let n: u32 = tail.trim_end_matches('>').parse().unwrap();
            format!("{head}, retain {}>", n + 7)
        } else if i == prop_at {
            let (head, _) = line.split_once(" = ").unwrap();
            format!("{head} = 424242")
        } else if i == volatile_at {
            let (head, _) = line.split_once(" = ").unwrap();
            format!("{head} = 1")
        } else {
            (*line).to_owned()
        };
        edited.push(line);
    }
    let tmp = tempfile::tempdir().unwrap();
    let after = tmp.path().join("after.txt");
    std::fs::write(&after, edited.join("\n") + "\n").unwrap();
    let before = dir.join(DUMP);
    let out = run(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let d = json(&out);
    let hex = |id: u64| format!("{id:#x}");
    assert_eq!(d["added"], serde_json::json!([]));
    let removed = d["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["id"], hex(removed_id));
    assert_eq!(removed[0]["subtree"], removed_size);
    let changed = d["changed"].as_array().unwrap();
    let by_id: BTreeMap<String, &serde_json::Value> = changed
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c))
        .collect();
    let retain_id = hex(ids[retain_at].unwrap().1);
    let prop_id = hex(ids[owner(prop_at)].unwrap().1);
    let expected: BTreeSet<&String> = [&retain_id, &prop_id].into_iter().collect();
    assert_eq!(
        by_id.keys().collect::<BTreeSet<_>>(),
        expected,
        "{changed:?}"
    );
    let r = &by_id[&retain_id]["retain"];
    assert_eq!(r[1].as_u64().unwrap(), r[0].as_u64().unwrap() + 7);
    let props = by_id[&prop_id]["properties"].as_array().unwrap();
    assert_eq!(props.len(), 1, "{props:?}");
    assert_eq!(props[0]["key"], "IOProbeScore");
    assert_eq!(props[0]["after"], 424242);
    // The volatile key shows with --all.
    let all = run(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--format",
        "json",
        "--all",
    ]);
    let text = String::from_utf8_lossy(&all.stdout);
    assert!(text.contains("HIDIdleTime"), "{text}");
    // Classes whose count moved: the removed subtree's.
    assert!(!d["classes"].as_array().unwrap().is_empty());
}

use std::collections::BTreeSet;

#[test]
fn classes_count_unique_entries_and_the_kernels_diagnostics() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let f = dir.join("macpro6-1_10.11.1-15B42_ioreg-lw0.txt");
    let text = std::fs::read_to_string(&f).unwrap();
    // Independently: distinct IDs per class on the tree lines.
    let mut per_class: BTreeMap<String, HashSet<u64>> = BTreeMap::new();
    for line in text.lines() {
        let (Some((_, id)), Some(at)) = (tree_line(line), line.find("<class ")) else {
            continue;
        };
        let class = line[at + 7..].split(',').next().unwrap().to_owned();
        per_class.entry(class).or_default().insert(id);
    }
    // The kernel's counts: the root's IOKitDiagnostics → Classes.
    let diag = text
        .split("\"IOKitDiagnostics\" = {")
        .nth(1)
        .and_then(|t| t.split("\"Classes\"={").nth(1))
        .unwrap();
    let mut kernel: BTreeMap<String, u64> = BTreeMap::new();
    for pair in diag.split('}').next().unwrap().split(',') {
        let (k, v) = pair.split_once('=').unwrap();
        kernel.insert(k.trim_matches('"').to_owned(), v.parse().unwrap());
    }
    let out = run(&["classes", f.to_str().unwrap(), "--format", "json"]);
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    let mut checked = 0;
    for row in rows {
        let class = row["class"].as_str().unwrap();
        let want = per_class.get(class).map_or(0, HashSet::len);
        assert_eq!(row["instances"], want, "{class}");
        assert_eq!(
            row["kernel"],
            kernel.get(class).copied().unwrap_or(0),
            "{class}"
        );
        checked += 1;
    }
    assert!(checked >= kernel.len());
    for class in per_class.keys() {
        assert!(rows.iter().any(|r| r["class"] == class.as_str()), "{class}");
    }
    // ioclasscount's form for named classes.
    let out = run(&[
        "classes",
        f.to_str().unwrap(),
        "IOUSBHostDevice",
        "NoSuchClass",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let want = kernel.get("IOUSBHostDevice").copied().unwrap_or(0);
    assert_eq!(text, format!("IOUSBHostDevice = {want}\nNoSuchClass = 0\n"));
}

#[test]
fn clients_count_each_user_client_once_per_process() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let f = dir.join("macpro6-1_10.11.1-15B42_ioreg-lw0.txt");
    let text = std::fs::read_to_string(&f).unwrap();
    // Independently: the IOUserClientCreator of each distinct entry (an entry printed under
    // several parents carries it in each block).
    let mut current: Option<u64> = None;
    let mut per: BTreeMap<String, HashSet<u64>> = BTreeMap::new();
    for line in text.lines() {
        if let Some((_, id)) = tree_line(line) {
            current = Some(id);
        } else if let Some(at) = line.find("\"IOUserClientCreator\" = \"") {
            let creator = line[at + 25..].trim_end_matches('"').to_owned();
            per.entry(creator).or_default().insert(current.unwrap());
        }
    }
    let out = run(&["clients", f.to_str().unwrap(), "--format", "json"]);
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), per.len());
    for row in rows {
        let key = format!(
            "pid {}, {}",
            row["pid"].as_u64().unwrap(),
            row["process"].as_str().unwrap()
        );
        assert_eq!(row["clients"], per[&key].len(), "{key}");
        let by_class: u64 = row["classes"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(by_class, row["clients"].as_u64().unwrap());
    }
    // Sorted by count.
    let counts: Vec<u64> = rows
        .iter()
        .map(|r| r["clients"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
}

/// A demo recording with a device unplugged on the way replays on any OS: `diff --at` of its
/// first and last moments equals `diff` of dumps of those moments.
#[test]
fn a_recording_replays_and_diffs_between_moments() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("session.ioscope");
    let rec_s = rec.to_str().unwrap();
    let out = run(&[
        "record",
        "-o",
        rec_s,
        "--demo-hotplug",
        "--interval",
        "500ms",
        "--duration",
        "10s",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = json(&run(&["stats", rec_s]));
    assert_eq!(stats["reader"], "recording");
    let last = "10.5";
    let between = run(&["diff", rec_s, "--at", "0", "--at", last, "--format", "json"]);
    assert_eq!(
        between.status.code(),
        Some(1),
        "the unplug changed the registry"
    );
    let between = json(&between);
    let dump_at = |t: &str, name: &str| {
        let path = dir.path().join(name);
        let out = run(&[
            "dump",
            rec_s,
            "--at",
            t,
            "--format",
            "json",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    };
    let (a, b) = (dump_at("0", "a.json"), dump_at(last, "b.json"));
    let dumps = json(&run(&[
        "diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--format",
        "json",
    ]));
    for key in ["added", "removed", "changed", "classes"] {
        assert_eq!(between[key], dumps[key], "{key}");
    }
    assert!(
        !between["removed"].as_array().unwrap().is_empty()
            || !between["added"].as_array().unwrap().is_empty()
    );
    // A time outside the file's kind is refused in one line.
    let bad = run(&["stats", rec_s, "--at", "yesterday"]);
    assert!(!bad.status.success());
    assert_eq!(String::from_utf8_lossy(&bad.stderr).lines().count(), 1);
}

/// A filter that selects nothing on either side is trouble, never "the same"; a closed
/// stdout is no trouble.
#[test]
fn diff_says_when_its_filter_selects_nothing_and_ends_quietly_on_a_closed_pipe() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let (a, b) = (
        dir.join("macpro6-1_10.11.1-15B42_ioreg-lw0.txt"),
        dir.join("imacpro1-1_10.13.2-17C2120_ioreg-lw0.txt"),
    );
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let none = run(&["diff", a, b, "-q", "-c", "NoSuchClassAnywhere"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no entry on either side"));
    let some = run(&["diff", a, b, "-q", "-c", "IOSurfaceRootUserClient"]);
    assert_eq!(some.status.code(), Some(1));
    // `ioscope diff A B | head -1`: the reader goes away; diff ends with 0 and says nothing.
    let mut child = Command::new(ioscope_bin())
        .args(["diff", a, b])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
