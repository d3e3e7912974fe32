//! The chunked read gives what one thread gives, or steps aside: on every corpus dump's
//! archive (as ioscope writes it, and with its keys sorted as `ioreg -a` writes them), on a
//! generated registry, at several chunk sizes and thread counts, and on hostile files.

use super::super::read_xml_on_one_thread;
use super::super::tests::{fingerprint, plist};
use super::*;
use crate::formats::{self, DumpFormat, Selection};

/// One thread's read: the registry and the `$archiver` flag, or the error.
fn one_thread(bytes: &[u8], limits: &Limits) -> Result<(Registry, bool), ReadError> {
    read_xml_on_one_thread(bytes, limits, &|_| {}, ValueMode::Keep)
}

/// Where two registries differ (entries, classes, planes with their names and locations,
/// the load report), if they do: quicker than comparing their fingerprints, for big ones.
fn difference(a: &Registry, b: &Registry) -> Option<String> {
    if a.len() != b.len() || a.classes.len() != b.classes.len() {
        return Some(format!(
            "{} / {} entries, {} / {} classes",
            a.len(),
            b.len(),
            a.classes.len(),
            b.classes.len()
        ));
    }
    for (id, e) in a.entries() {
        if e != b.entry(id) || a.class_chain(id) != b.class_chain(id) {
            return Some(format!("entry {}: {e:?} / {:?}", id.0, b.entry(id)));
        }
    }
    if a.planes().len() != b.planes().len() {
        return Some("planes".into());
    }
    for (p, q) in a.planes().iter().zip(b.planes()) {
        let (walk, other) = (p.walk().collect::<Vec<_>>(), q.walk().collect::<Vec<_>>());
        if p.name() != q.name() || walk != other {
            return Some(format!("plane {}", p.name()));
        }
        for (id, _) in walk {
            if a.name_in(p, id) != b.name_in(q, id) || a.location_in(p, id) != b.location_in(q, id)
            {
                return Some(format!(
                    "plane {}: entry {}'s name or location",
                    p.name(),
                    id.0
                ));
            }
        }
    }
    let (r, s) = (format!("{:?}", a.report), format!("{:?}", b.report));
    (r != s).then(|| format!("report {r} / {s}"))
}

/// The chunked read against one thread's: `Ok(true)` when the chunks gave the same registry,
/// `Ok(false)` when they stepped aside, `Err` when they gave something else.
fn compare(bytes: &[u8], limits: &Limits, threads: usize, chunks: usize) -> Result<bool, String> {
    compare_with(&one_thread(bytes, limits), bytes, limits, threads, chunks)
}

/// [`compare`] against one thread's read.
fn compare_with(
    one: &Result<(Registry, bool), ReadError>,
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    chunks: usize,
) -> Result<bool, String> {
    let Some((chunked, keyed)) = read(bytes, limits, &|_| {}, threads, chunks, ValueMode::Keep)
    else {
        return Ok(false);
    };
    let why = match one {
        Ok((one, one_keyed)) => match difference(one, &chunked) {
            None if keyed == *one_keyed => return Ok(true),
            None => "the $archiver flag".to_owned(),
            Some(why) => why,
        },
        Err(e) => format!(
            "one thread fails ({e:?}), the chunks read {} entries",
            chunked.len()
        ),
    };
    Err(format!("{threads} threads, {chunks} chunks: {why}"))
}

/// What production does: the chunks, or one thread when they step aside.
fn chunks_or_one_thread(
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    chunks: usize,
) -> Result<(Registry, bool), ReadError> {
    match read(bytes, limits, &|_| {}, threads, chunks, ValueMode::Keep) {
        Some(read) => Ok(read),
        None => one_thread(bytes, limits),
    }
}

/// The same archive with every dict's keys sorted and written by the `plist` crate (tabs,
/// one element a line): the key order of a real `ioreg -a` archive, where an entry's
/// `IORegistryEntryID` and `IORegistryEntryName` come after its `IORegistryEntryChildren`.
pub(in crate::formats::archive) fn sorted_like_ioreg(bytes: &[u8]) -> Option<Vec<u8>> {
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
    let mut value = plist::Value::from_reader_xml(bytes).ok()?;
    sort(&mut value);
    let mut out = Vec::new();
    value.to_writer_xml(&mut out).ok()?;
    Some(out)
}

pub(in crate::formats::archive) fn write_archive(registry: &Registry, annotate: bool) -> Vec<u8> {
    let selection = Selection {
        annotate,
        ..Selection::default()
    };
    let mut bytes = Vec::new();
    formats::write(registry, &selection, DumpFormat::Plist, &mut bytes).unwrap();
    bytes
}

/// (threads, chunks) tried on every archive: a chunk per thread, and more chunks than
/// threads down to a few KB each.
fn splits(len: usize) -> Vec<(usize, usize)> {
    let tiny = (len / 4096).clamp(8, 600);
    vec![(2, 2), (3, tiny / 3), (7, tiny)]
}

/// Every split of an archive: failures, and how many splits the chunks read.
fn check_all(name: &str, bytes: &[u8], failures: &mut Vec<String>) -> usize {
    let mut read = 0;
    let one = one_thread(bytes, &Limits::default());
    for (threads, chunks) in splits(bytes.len()) {
        match compare_with(&one, bytes, &Limits::default(), threads, chunks) {
            Ok(used) => read += usize::from(used),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    read
}

/// Every corpus dump, written as ioscope writes an archive and with its keys sorted as `ioreg -a` writes them (children before ID and name): the chunks
/// give one thread's registry at every split, and do read them (they do not just step aside).
#[test]
fn every_corpus_archive_reads_the_same_in_chunks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(listing) = std::fs::read_dir(&dir) else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut failures = Vec::new();
    let mut paths: Vec<_> = listing.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let archives: Vec<(String, Vec<u8>)> = if formats::detect(&bytes)
            == formats::Format::Archive
            && !super::super::bplist::is_bplist(&bytes)
        {
            // An `ioreg -a` XML archive of the corpus, as it is.
            vec![(name.clone(), bytes)]
        } else {
            let registry = formats::read_bytes(&bytes, &Limits::default()).expect("loads");
            let plain = write_archive(&registry, false);
            let sorted = sorted_like_ioreg(&plain).expect("the plist crate reads it");
            // (`--annotate` archives: `archive::tests::reading_in_chunks_reads_the_same`.)
            vec![
                (format!("{name} as written"), plain),
                (format!("{name} sorted like ioreg -a"), sorted),
            ]
        };
        for (label, archive) in archives {
            let read = check_all(&label, &archive, &mut failures);
            // Every archive with entries below its root's children is cut, at every split
            // (an `-r` archive, an array of subtrees, is not).
            let all = splits(archive.len()).len();
            if plan(&archive, 2).is_some() && read != all {
                failures.push(format!("{label}: the chunks read {read} splits of {all}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A generated registry (the simulator's `synthetic`), as written and sorted like `ioreg -a`.
#[test]
fn a_generated_archive_reads_the_same_in_chunks() {
    let registry = crate::kernel::sim::generate::synthetic(3000, 7);
    let plain = write_archive(&registry, false);
    let sorted = sorted_like_ioreg(&plain).unwrap();
    let mut failures = Vec::new();
    for (name, bytes) in [("generated", &plain), ("generated, sorted", &sorted)] {
        let read = check_all(name, bytes, &mut failures);
        assert_eq!(read, splits(bytes.len()).len(), "{name}: every split reads");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A limit only the chunks together cross (each chunk stays below it): the chunks step
/// aside and the error is one thread's, at the same byte.
#[test]
fn a_limit_crossed_only_by_the_sum_of_chunks_is_one_threads_error() {
    let registry = crate::kernel::sim::generate::synthetic(2000, 3);
    let bytes = sorted_like_ioreg(&write_archive(&registry, false)).unwrap();
    let entries = one_thread(&bytes, &Limits::default()).unwrap().0.len();
    // What the whole file charges to `decoded-bytes`.
    let charged = {
        let limits = Limits::default();
        let budget = Budget::decoded(&limits, bytes.len());
        let mut events = Events::new(&bytes, &limits, &budget);
        while events.next().unwrap().is_some() {}
        events.charged()
    };
    let limits = [
        Limits {
            max_entries: entries - 1,
            ..Limits::default()
        },
        Limits {
            max_decoded_bytes: charged * 2 / 3,
            ..Limits::default()
        },
        Limits {
            max_decoded_bytes: charged - 1,
            ..Limits::default()
        },
    ];
    for limits in limits {
        let one = one_thread(&bytes, &limits).expect_err("one thread passes the limit");
        for (threads, chunks) in [(2, 2), (3, 3), (7, 7), (3, 40)] {
            assert!(
                read(&bytes, &limits, &|_| {}, threads, chunks, ValueMode::Keep).is_none(),
                "{chunks} chunks step aside"
            );
            let got = chunks_or_one_thread(&bytes, &limits, threads, chunks).unwrap_err();
            assert_eq!(got, one);
        }
    }
}

/// A truncated archive: the last chunk does not end the document, the chunks step aside,
/// and the error is one thread's.
#[test]
fn a_truncated_archive_is_one_threads_error() {
    let registry = crate::kernel::sim::generate::synthetic(1500, 5);
    let bytes = sorted_like_ioreg(&write_archive(&registry, false)).unwrap();
    for cut in [bytes.len() - 20, bytes.len() * 3 / 4, bytes.len() / 2 + 7] {
        let short = &bytes[..cut];
        let one = one_thread(short, &Limits::default()).expect_err("truncated");
        for (threads, chunks) in [(2, 2), (3, 5), (7, 30)] {
            assert!(
                read(
                    short,
                    &Limits::default(),
                    &|_| {},
                    threads,
                    chunks,
                    ValueMode::Keep
                )
                .is_none()
            );
            assert_eq!(
                chunks_or_one_thread(short, &Limits::default(), threads, chunks).unwrap_err(),
                one
            );
        }
    }
}

/// An entry as `ioreg -a` writes it at `tabs` tabs: class, children, then ID and name.
fn entry(tabs: usize, name: &str, id: u64, extra: &str, children: &[String]) -> String {
    let t = "\t".repeat(tabs);
    let mut s =
        format!("{t}<dict>\n{t}\t<key>IOObjectClass</key>\n{t}\t<string>C{name}</string>\n");
    s += extra;
    if !children.is_empty() {
        s += &format!("{t}\t<key>IORegistryEntryChildren</key>\n{t}\t<array>\n");
        for c in children {
            s += c;
        }
        s += &format!("{t}\t</array>\n");
    }
    s += &format!(
        "{t}\t<key>IORegistryEntryID</key>\n{t}\t<integer>{id}</integer>\n{t}\t<key>IORegistryEntryName</key>\n{t}\t<string>{name}</string>\n{t}</dict>\n"
    );
    s
}

/// A root with `n` entries below one platform entry, each with two children; `extra(i)` adds
/// keys to entry `i` (before its children).
fn tree(n: usize, extra: impl Fn(usize) -> String) -> Vec<u8> {
    plist(tree_body(n, extra).trim_end()).into_bytes()
}

fn tree_body(n: usize, extra: impl Fn(usize) -> String) -> String {
    let kids: Vec<String> = (0..n)
        .map(|i| {
            let leaves: Vec<String> = (0..2)
                .map(|j| {
                    entry(
                        6,
                        &format!("leaf{i}-{j}"),
                        10_000 + 2 * i as u64 + j as u64,
                        "",
                        &[],
                    )
                })
                .collect();
            entry(4, &format!("e{i}"), 100 + i as u64, &extra(i), &leaves)
        })
        .collect();
    let platform = entry(2, "platform", 2, "", &kids);
    entry(0, "Root", 1, "", &[platform])
}

/// Entries whose ID and name come after their children (as `ioreg -a` sorts them) get them
/// from the chunk after the cut; the chunks read the tree, the same as one thread, at every
/// split.
#[test]
fn fields_after_the_children_reach_entries_cut_open() {
    let bytes = tree(60, |_| String::new());
    let mut failures = Vec::new();
    let mut read = 0;
    let one = one_thread(&bytes, &Limits::default());
    for chunks in 2..40 {
        for threads in [2, 3, 7] {
            match compare_with(&one, &bytes, &Limits::default(), threads, chunks) {
                Ok(used) => read += usize::from(used),
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(read, 38 * 3, "every split reads");
}

/// What looks like a cut inside a value (a CDATA section of a `<string>`, a comment in a
/// `<data>`): the chunk before it does not end there but reads on to the next cut, and the
/// chunk that began there is left out; the values are text, as one thread reads them.
#[test]
fn a_cut_inside_a_string_or_data_value_is_refused() {
    let t = "\t".repeat(5);
    let fake = format!("{t}<key>IORegistryEntryChildren</key>\n{t}<array>\n{t}\t<dict>\n");
    let dict_in_fake = fake.len() - "<dict>\n".len();
    for (open, close) in [
        ("<string><![CDATA[\n", "]]></string>"),
        ("<data>AAAA<!--\n", "--></data>"),
    ] {
        let bytes = tree(40, |i| {
            format!("{t}<key>odd{i}</key>\n{t}{open}{fake}{close}\n")
        });
        let fakes: Vec<usize> = memchr::memmem::find_iter(&bytes, open.as_bytes())
            .map(|m| m + open.len() + dict_in_fake)
            .collect();
        assert_eq!(fakes.len(), 40);
        let one = one_thread(&bytes, &Limits::default()).unwrap();
        let mut refused = 0;
        for chunks in 2..60 {
            let fake_cut =
                plan(&bytes, chunks).is_some_and(|p| p.cuts.iter().any(|c| fakes.contains(&c.at)));
            let got = chunks_or_one_thread(&bytes, &Limits::default(), 3, chunks).unwrap();
            assert_eq!(fingerprint(&got.0), fingerprint(&one.0));
            if fake_cut {
                // The chunk before it reads through it, to the next cut.
                assert_eq!(compare(&bytes, &Limits::default(), 3, chunks), Ok(true));
                refused += 1;
            }
        }
        assert!(refused > 0, "some plans cut inside a value");
    }
}

/// A key both sides of a cut set (a second `IORegistryEntryName` after the children: one
/// thread keeps it as a property, with a warning), and a warning inside a chunk: the chunks
/// step aside, one thread's registry and warnings stand.
#[test]
fn repeated_keys_across_a_cut_and_warnings_are_one_threads() {
    let twice = tree(30, |i| {
        let t = "\t".repeat(5);
        if i % 3 == 0 {
            format!("{t}<key>IORegistryEntryName</key>\n{t}<string>first{i}</string>\n")
        } else {
            format!("{t}<key>IOServiceState</key>\n{t}<string>not a number</string>\n")
        }
    });
    let one = one_thread(&twice, &Limits::default()).unwrap();
    assert!(!one.0.report.warnings.is_empty());
    for chunks in 2..30 {
        assert!(compare(&twice, &Limits::default(), 2, chunks).is_ok());
        let got = chunks_or_one_thread(&twice, &Limits::default(), 2, chunks).unwrap();
        assert_eq!(fingerprint(&got.0), fingerprint(&one.0));
    }
}

/// A file the planner cannot cut (no indentation) has no plan; one whose guessed cuts are
/// none (an array root: `-r`) is read through by the first chunk, the same as one thread.
#[test]
fn files_without_entry_cuts_are_left_to_one_thread() {
    let flat: Vec<u8> = tree(20, |_| String::new())
        .into_iter()
        .filter(|&c| c != b'\t')
        .collect();
    assert!(plan(&flat, 4).is_none());
    let array = plist(&format!(
        "<array>\n{}</array>",
        tree_body(20, |_| String::new())
    ));
    assert!(plan(array.as_bytes(), 4).is_some());
    for chunks in 2..10 {
        assert!(compare(array.as_bytes(), &Limits::default(), 2, chunks).is_ok());
    }
}
