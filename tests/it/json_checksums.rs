//! The JSON dump of every corpus file is byte for byte what it was before the reader speed-ups
//! of issue 22: `tests/it/json_checksums.txt` holds the sha256 of `ioscope dump FILE --format
//! json` (with `--all-planes` where the format allows) per corpus file name, as
//! `scripts/json-checksums` wrote it with the reader before that work. Names and hashes only,
//! never corpus content. After a deliberate change of a reader or of the JSON writer, rewrite
//! the list with `scripts/json-checksums > tests/it/json_checksums.txt` and say why.

use crate::common::{file_name, run, shared_corpus};
use sha2::{Digest, Sha256};

const LIST: &str = include_str!("json_checksums.txt");

/// The JSON dump of `path`, every plane where the format allows (an `ioreg -a` archive holds
/// one and refuses `--all-planes`), as the script makes it.
fn json_dump(path: &str) -> Vec<u8> {
    let all = run(&["dump", path, "--format", "json", "--all-planes"]);
    if all.status.success() {
        return all.stdout;
    }
    let one = run(&["dump", path, "--format", "json"]);
    assert!(
        one.status.success(),
        "{path}: {}",
        String::from_utf8_lossy(&one.stderr)
    );
    one.stdout
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn json_dump_of_every_corpus_file_is_unchanged() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let listed: Vec<(&str, &str)> = LIST.lines().filter_map(|l| l.split_once("  ")).collect();
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .map(|p| file_name(&p).to_owned())
        .collect();
    present.sort();
    let mut names: Vec<&str> = listed.iter().map(|(_, n)| *n).collect();
    names.sort();
    assert_eq!(names, present, "the list names every corpus file, no other");
    let mut failures = Vec::new();
    for (want, name) in listed {
        let path = dir.join(name);
        let got = hex(&Sha256::digest(json_dump(&path.to_string_lossy())));
        if got != want {
            failures.push(format!("{name}: JSON dump sha256 {got}, was {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
