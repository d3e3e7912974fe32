//! The registry is a graph: entries with several parents, read from real dumps and checked
//! against an independent reading of the same bytes (the tree lines' own indentation, the
//! `.ioreg` documents' own `parentsInPlanes`), then carried through an `ioreg -a` archive.

use crate::common::{Counted, file_name, provenance, shared_corpus};
use ioscope::formats::Limits;
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::registry::Registry;
use std::collections::BTreeMap;

/// From a text dump's tree lines alone: for each registry ID, the IDs of the entries it is
/// printed under (a parent is the nearest line above at one level less; `+-o` sits at column
/// 2 × depth), oldest first: a text dump does not record the kernel's parent order, and the
/// kernel's first parent (the one the entry was attached to when created) is the oldest.
fn parents_by_indentation(bytes: &[u8]) -> BTreeMap<u64, Vec<u64>> {
    let mut open: Vec<u64> = Vec::new();
    let mut parents: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for line in bytes.split(|&b| b == b'\n') {
        let Some(col) = memchr::memmem::find(line, b"+-o ") else {
            continue;
        };
        let Some(at) = memchr::memmem::find(line, b", id 0x") else {
            open.clear();
            continue;
        };
        let hex: String = line[at + 7..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .map(|&b| b as char)
            .collect();
        let id = u64::from_str_radix(&hex, 16).unwrap();
        let depth = col / 2;
        open.truncate(depth);
        if let Some(&p) = open.last() {
            let list = parents.entry(id).or_default();
            if !list.contains(&p) {
                list.push(p);
            }
        }
        open.push(id);
    }
    for list in parents.values_mut() {
        list.sort_unstable();
    }
    parents
}

/// The model's parents of every entry of `plane`, by registry ID.
fn model_parents(r: &Registry, plane: &str) -> BTreeMap<u64, Vec<u64>> {
    let p = r.plane(plane).unwrap();
    p.walk()
        .filter_map(|(e, _)| {
            let id = r.entry(e).id?;
            let ps: Vec<u64> = p.parents(e).filter_map(|q| r.entry(q).id).collect();
            (!ps.is_empty()).then_some((id, ps))
        })
        .collect()
}

#[test]
fn text_dumps_give_each_entry_every_parent_oldest_first() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut multi = 0;
    for row in provenance(&dir) {
        let name = file_name(&row.path);
        if row.counted != Counted::TreeLines {
            continue;
        }
        let bytes = std::fs::read(&row.path).unwrap();
        let expected = parents_by_indentation(&bytes);
        if expected.is_empty() {
            continue; // No IDs (before 10.6): nothing can be merged.
        }
        let r = formats::read_bytes(&bytes, &Limits::default()).unwrap();
        let plane = r.planes()[0].name().to_owned();
        let got = model_parents(&r, &plane);
        assert_eq!(got, expected, "{name}");
        multi += expected.values().filter(|p| p.len() > 1).count();

        // Through an `ioreg -a` archive: written under every parent, merged again by ID.
        let sel = Selection {
            plane: Some(plane.clone()),
            ..Selection::default()
        };
        let mut xml = Vec::new();
        formats::write(&r, &sel, DumpFormat::Plist, &mut xml).unwrap();
        let back = formats::read_bytes(&xml, &Limits::default()).unwrap();
        let back_plane = back.planes()[0].name().to_owned();
        assert_eq!(
            model_parents(&back, &back_plane),
            expected,
            "{name} via plist"
        );
        assert_eq!(back.entry_count(), r.entry_count(), "{name} via plist");
    }
    // IOHIDSystem, IONetworkStack, their user clients, IOHIDInterface …
    assert!(multi >= 30, "only {multi} entries with several parents");
}

/// `.ioreg` documents list each entry's parents per plane (`parentsInPlanes`); read the
/// keyed archive here with the `plist` crate, independently of ioscope's reader.
fn rex_parents(bytes: &[u8]) -> BTreeMap<(String, String), Vec<String>> {
    use plist::Value;
    let v: Value = plist::from_bytes(bytes).unwrap();
    let objects = v.as_dictionary().unwrap()["$objects"].as_array().unwrap();
    let deref = |v: &Value| -> Value {
        match v {
            Value::Uid(u) => objects[u.get() as usize].clone(),
            other => other.clone(),
        }
    };
    let string = |v: &Value| deref(v).as_string().map(str::to_owned);
    let items = |v: &Value| -> Vec<Value> {
        deref(v)
            .as_dictionary()
            .and_then(|d| d.get("NS.objects"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut out = BTreeMap::new();
    for obj in objects {
        let Some(d) = obj.as_dictionary() else {
            continue;
        };
        let (Some(parents), Some(name)) = (d.get("parentsInPlanes"), d.get("name")) else {
            continue;
        };
        let Some(name) = string(name) else { continue };
        let pd = deref(parents);
        let Some(pd) = pd.as_dictionary() else {
            continue;
        };
        let keys = pd.get("NS.keys").and_then(Value::as_array).cloned();
        let vals = pd.get("NS.objects").and_then(Value::as_array).cloned();
        for (k, v) in keys
            .unwrap_or_default()
            .iter()
            .zip(vals.unwrap_or_default())
        {
            let plane = string(k).unwrap_or_default();
            let names: Vec<String> = items(&v)
                .iter()
                .filter_map(|p| {
                    let pd = deref(p);
                    string(pd.as_dictionary()?.get("name")?)
                })
                .collect();
            if names.len() > 1 {
                out.insert((plane, name.clone()), names);
            }
        }
    }
    out
}

#[test]
fn iorex_documents_keep_every_parent_in_the_documents_order() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut checked = 0;
    for row in provenance(&dir) {
        if row.counted != Counted::RexEntries {
            continue;
        }
        let bytes = std::fs::read(&row.path).unwrap();
        let expected = rex_parents(&bytes);
        let r = formats::read_bytes(&bytes, &Limits::default()).unwrap();
        let mut got = BTreeMap::new();
        for plane in r.planes() {
            for (e, _) in plane.walk() {
                let names: Vec<String> = plane
                    .parents(e)
                    .map(|p| r.entry(p).name.to_string())
                    .collect();
                if names.len() > 1 {
                    got.insert(
                        (plane.name().to_owned(), r.entry(e).name.to_string()),
                        names,
                    );
                }
            }
        }
        assert_eq!(got, expected, "{}", file_name(&row.path));
        checked += expected.len();
    }
    assert!(
        checked >= 4,
        "only {checked} multi-parent entries in the documents"
    );
}

/// What the kernel says about parent order, from the `.ioreg` documents (which record it):
/// IONetworkStack's and IOHIDSystem's first parent is IOResources, and that is what a text
/// dump of the same kind of machine gives too (not the interface printed first).
#[test]
fn the_first_parent_of_ionetworkstack_is_ioresources_in_every_source() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let mut checked = 0;
    for row in provenance(&dir) {
        let bytes = std::fs::read(&row.path).unwrap();
        let r = formats::read_bytes(&bytes, &Limits::default()).unwrap();
        let Some(p) = r.plane("IOService") else {
            continue;
        };
        for (e, _) in p.walk() {
            let name = r.entry(e).name.to_string();
            if (name == "IONetworkStack" || name == "IOHIDSystem") && p.parents(e).count() > 1 {
                let first = p.parent(e).unwrap();
                let names: Vec<String> =
                    p.parents(e).map(|q| r.entry(q).name.to_string()).collect();
                if names.iter().any(|n| n == "IOResources") {
                    assert_eq!(
                        r.entry(first).name,
                        "IOResources",
                        "{}: {name} {names:?}",
                        file_name(&row.path)
                    );
                    assert_eq!(
                        r.path_in(p, e).unwrap(),
                        format!("IOService:/IOResources/{name}")
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked}");
}

/// Found by the roundtrip fuzz target: inside a subtree `ioreg` prints again under a second
/// parent, a line that lost its ID (clipped at the terminal width, as in the clipped corpus
/// dumps) is the entry printed there the first time, not a new one; so a dump of it reads
/// back as the same registry, in text and through an archive.
#[test]
fn an_entry_without_an_id_inside_a_repeated_subtree_is_matched_not_duplicated() {
    let text = "\
+-o Root  <class IORegistryEntry, id 0x100000100, retain 10>
  +-o A  <class IOService, id 0x100000101, registered, matched, active, busy 0 (0 ms), retain 5>
  | +-o X  <class IOService, id 0x100000103, registered, matched, active, busy 0 (0 ms), retain 5>
  |   +-o Y  <class IOSer$
  +-o B  <class IOService, id 0x100000102, registered, matched, active, busy 0 (0 ms), retain 5>
    +-o X  <class IOService, id 0x100000103, registered, matched, active, busy 0 (0 ms), retain 5>
      +-o Y  <class IOSer$
";
    let r = formats::read_bytes(text.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(r.entry_count(), 5, "Root, A, B, X, Y");
    let p = r.plane("IOService").unwrap();
    assert_eq!(p.appearances(), 7);
    let mut xml = Vec::new();
    let annotated = Selection {
        annotate: true,
        ..Selection::default()
    };
    formats::write(&r, &annotated, DumpFormat::Plist, &mut xml).unwrap();
    let mut back = formats::read_bytes(&xml, &Limits::default()).unwrap();
    assert_eq!(back.entry_count(), 5);
    // Which reader read the original is the one thing a plist does not restore.
    back.report.origin = r.report.origin;
    let mut again = Vec::new();
    formats::write(&back, &annotated, DumpFormat::Plist, &mut again).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&xml)
    );
}
