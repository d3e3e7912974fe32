//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// `../shared/corpus` beside the repository, when present (tests using it skip cleanly otherwise).
#[allow(dead_code)]
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// The built `ioscope` binary.
#[allow(dead_code)]
pub fn ioscope_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ioscope"))
}

/// How PROVENANCE.md counted a file's entries.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// `N lines containing '+-o '` (text dumps).
    TreeLines,
    /// `N RexRegistryEntry objects` (IORegistryExplorer documents).
    RexEntries,
}

/// One row of PROVENANCE.md's table.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct Provenance {
    pub path: PathBuf,
    pub entries: usize,
    pub counted: Counted,
}

/// Every file PROVENANCE.md lists, with its independent entry count.
#[allow(dead_code)]
pub fn provenance(dir: &Path) -> Vec<Provenance> {
    let text = std::fs::read_to_string(dir.join("PROVENANCE.md")).expect("PROVENANCE.md");
    let mut out = Vec::new();
    for row in text.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let Some(file) = cells
            .get(1)
            .and_then(|c| c.strip_prefix('`')?.strip_suffix('`'))
        else {
            continue;
        };
        let count = |marker: &str| {
            let head = row.split(marker).next().filter(|_| row.contains(marker))?;
            head.rsplit(' ').next()?.parse::<usize>().ok()
        };
        // A plist count of 0 comes first for `.ioreg` documents: the Rex count wins.
        let (entries, counted) = match count(" RexRegistryEntry objects") {
            Some(n) => (n, Counted::RexEntries),
            None => match count(" lines containing '+-o '") {
                Some(n) => (n, Counted::TreeLines),
                None => panic!("{file}: no entry count in PROVENANCE.md"),
            },
        };
        out.push(Provenance {
            path: dir.join(file),
            entries,
            counted,
        });
    }
    out
}

/// A file's name, for messages.
#[allow(dead_code)]
pub fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
}

/// The corpus file whose name starts with `prefix`.
#[allow(dead_code)]
pub fn corpus_file(dir: &Path, prefix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| file_name(p).starts_with(prefix))
        .unwrap_or_else(|| panic!("{prefix}* in the corpus"))
}

/// Entries (debug form), each plane's walk (index, depth), each entry's class chain, and the
/// reader's report: everything observable about a registry, as comparable data (the class
/// table's hash map is left out, its order is not stable; the chains stand for it).
pub type Fingerprint = (
    Vec<String>,
    Vec<Vec<(u32, usize)>>,
    Vec<Vec<String>>,
    String,
);

pub fn fingerprint(r: &ioscope::registry::Registry) -> Fingerprint {
    let entries = r.entries().map(|(_, e)| format!("{e:?}")).collect();
    let planes = r
        .planes()
        .iter()
        .map(|p| p.walk().map(|(id, d)| (id.0, d)).collect())
        .collect();
    let chains = r
        .entries()
        .map(|(id, _)| r.class_chain(id).iter().map(|s| s.to_string()).collect())
        .collect();
    (entries, planes, chains, format!("{:?}", r.report))
}

/// A two-entry `ioreg` text dump, for tests that need a file and not its content.
pub const TWO_ENTRY_DUMP: &str = "+-o Root  <class IORegistryEntry, id 0x100000100, retain 10>\n  \
                                  +-o Child  <class IOService, id 0x100000200, retain 5>\n";

/// `contents` written to `name` in a fresh temporary directory (removed when the guard drops).
pub fn temp_file(name: &str, contents: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write the temporary file");
    (dir, path)
}

/// Runs the built `ioscope` with `args`.
#[allow(dead_code)]
pub fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(ioscope_bin())
        .args(args)
        .output()
        .unwrap()
}

/// The command's stdout as JSON (a parse error shows both streams).
#[allow(dead_code)]
pub fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The archive with every dict's keys sorted, as `ioreg -a` writes them (an entry's ID and
/// name after its children).
pub fn sorted_like_ioreg(bytes: &[u8]) -> Vec<u8> {
    fn sort(v: &mut plist::Value) {
        match v {
            plist::Value::Dictionary(d) => {
                d.sort_keys();
                for (_, v) in d.iter_mut() {
                    sort(v);
                }
            }
            plist::Value::Array(items) => items.iter_mut().for_each(sort),
            _ => {}
        }
    }
    let mut value = plist::Value::from_reader_xml(bytes).unwrap();
    sort(&mut value);
    let mut out = Vec::new();
    value.to_writer_xml(&mut out).unwrap();
    out
}

/// Every dump in the corpus directory (not its PROVENANCE.md), in name order.
pub fn corpus_dumps(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .collect();
    paths.sort();
    paths
}
