//! `ioreg`-style selection: plane, class, name, key, root subtrees, depth.
//!
//! Mirrors `ioreg.c` (IOKitTools-125) `compare`, `scan` and `search`:
//! - Filters (`-c`, `-k`, `-n`) are ANDed; an entry with no filter given never "matches"
//!   (so `-r` with no filter selects nothing, exactly as `ioreg -r` prints nothing).
//! - `-c CLASS` matches when the entry's class is CLASS or a subclass (as far as the
//!   `ClassTable` knows the chain), or — like `ioreg` without
//!   `-y` — when the entry's `IOUserClasses` array property holds CLASS (DriverKit services).
//! - `-n NAME` compares the name in the plane; when NAME contains `@` it compares
//!   `name@location` (`name@` for an entry with no location).
//! - `-k KEY` matches entries having a top-level property KEY.
//! - Without `-r` the whole plane is selected (every root, `-d` applied); the filters only
//!   mark entries ([`Selected::is_match`]). `ioreg` prints properties for an entry when `-l`
//!   is given or it matched (`Selected::shows_properties`); so does `ioscope dump` in every
//!   format (`ioreg -a -c` writes the same). With no filter at all, `ioscope dump` writes every
//!   entry's properties, as if `-l` were given, because a dump is meant to be complete.
//! - `-t` keeps the path down to each match with `-r`; without `-r` it changes nothing (the
//!   whole tree is printed anyway), as in `ioreg`.
//! - `--all-planes` (no `ioreg` equivalent) selects in every plane, one after the other.
//! - With `-r` each matching entry roots a subtree; an entry inside an already selected
//!   subtree (within its `-d` limit) is not selected again, one below the limit is.
//! - `-d DEPTH` shows DEPTH levels counting the top as 1 (`-d 1` is the top alone);
//!   `-d 0` means no limit, as in `ioreg` (`atoi` gives 0).
//! - Every child of an entry is followed, so an entry with several parents is written (with
//!   its subtree) under each of them, as `ioreg` prints it. The appearances a selection would
//!   write are counted first (linear in the links) and refused above
//!   [`Selection::max_appearances`], so a file built to nest shared children gets a clear
//!   error, not an hour of output. Readers refuse cycles, so no walk loops.

use crate::registry::{EntryId, Plane, Registry, Value};

/// What part of a registry to write, with `ioreg`'s flags.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `-p PLANE` (default: IOService, or the registry's first plane).
    pub plane: Option<String>,
    /// `-c CLASS` (subclasses count when the chain is known).
    pub class: Option<String>,
    /// `-n NAME` (may include `@location`).
    pub name: Option<String>,
    /// `-k KEY`.
    pub key: Option<String>,
    /// `-r`: root the output at matching entries.
    pub root_subtrees: bool,
    /// `-d DEPTH`.
    pub depth: Option<usize>,
    /// The most appearances (an entry under each of its parents counts each time) one walk
    /// may write; `None`: the `appearances` limit in force (`--limit appearances=N`).
    pub max_appearances: Option<u64>,
    /// `--all-planes`: every plane, one after the other (JSON and text).
    pub all_planes: bool,
    /// `-l`: properties for every entry even when `-c`/`-n`/`-k` select some. Without a
    /// filter every entry's properties are written anyway (a dump is meant to be complete).
    pub list: bool,
    /// `-t`: with `-r`, keep the path from the plane's top down to each match.
    pub tree: bool,
    /// `-c` compares class names ignoring ASCII case (the CLI's fallback when no entry has the
    /// class as typed).
    pub class_ignore_case: bool,
    /// `--annotate`: the plist writer adds ioscope's own `ioscope:` keys (format, plane, load
    /// report, exact bytes, value annotations) so that a read back is lossless; without it
    /// the archive holds exactly the keys `ioreg -a` writes.
    pub annotate: bool,
    /// The one subtree to write, at this entry (the explorer's `x` on a selected entry);
    /// `None`: the plane's tops, or the matches of `-r`.
    pub entry: Option<EntryId>,
}

impl Selection {
    /// Whether `-c`, `-n` or `-k` is given.
    pub fn has_filter(&self) -> bool {
        self.class.is_some() || self.name.is_some() || self.key.is_some()
    }

    /// The `-l`/`-t` options a JSON or plist writer selects with: properties for every entry
    /// with `-l` or without a filter, else only for matches (as `ioreg -a -c` writes them).
    pub fn options(&self) -> SelectOptions {
        SelectOptions {
            list: self.list || !self.has_filter(),
            tree: self.tree,
        }
    }
}

/// Options of `ioreg` that `ioscope dump` does not expose as [`Selection`] fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectOptions {
    /// `-l`: properties for every entry, not only for matches.
    pub list: bool,
    /// `-t`: with `-r`, keep the path from the plane's top down to each match.
    pub tree: bool,
}

impl Default for SelectOptions {
    fn default() -> Self {
        SelectOptions {
            list: true,
            tree: false,
        }
    }
}

/// Why a selection cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("no plane named {name:?} (this registry has: {})", .available.join(", "))]
    UnknownPlane {
        name: String,
        available: Vec<String>,
    },
    #[error("the registry has no planes")]
    NoPlanes,
    #[error(
        "plane {plane}: writing every entry under every parent would take {count} appearances, \
         more than the limit of {limit} (raise it with --limit appearances=N)"
    )]
    TooManyAppearances {
        plane: String,
        count: u64,
        limit: u64,
    },
}

impl From<SelectError> for std::io::Error {
    fn from(e: SelectError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
    }
}

/// One tree to write: a plane root without `-r`, a matching entry with `-r`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Top {
    pub entry: EntryId,
    /// With `-r -t`: the entries from the plane's top down to `entry`'s parent, top first.
    /// A writer prints them (without their siblings) above `entry`.
    pub ancestors: Vec<EntryId>,
}

/// The result of `select`: the plane and the trees to write.
#[derive(Debug, Clone)]
pub struct Selected<'r> {
    pub registry: &'r Registry,
    pub plane: &'r Plane,
    /// The trees to write, in plane order.
    pub tops: Vec<Top>,
    /// `-r` was given (`ioreg` prints an empty line after each tree).
    pub subtrees: bool,
    /// Levels shown below a top (`-d DEPTH` minus one); `None` = no limit.
    pub levels_below: Option<usize>,
    filter: Filter<'r>,
    list: bool,
}

#[derive(Debug, Clone, Default)]
struct Filter<'r> {
    class: Option<&'r str>,
    class_ignore_case: bool,
    name: Option<&'r str>,
    key: Option<&'r str>,
}

/// Selects with the selection's own `-l`/`-t` ([`Selection::options`]).
pub(crate) fn select<'r>(
    registry: &'r Registry,
    selection: &'r Selection,
) -> Result<Selected<'r>, SelectError> {
    select_with(registry, selection, selection.options())
}

/// Selects with explicit `-l`/`-t` options.
pub(crate) fn select_with<'r>(
    registry: &'r Registry,
    selection: &'r Selection,
    options: SelectOptions,
) -> Result<Selected<'r>, SelectError> {
    let plane = pick_plane(registry, selection.plane.as_deref())?;
    select_in(registry, plane, selection, options)
}

/// The planes a selection writes: every plane with `all_planes`, else the one
/// [`pick_plane`] picks.
pub fn planes<'r>(
    registry: &'r Registry,
    selection: &Selection,
) -> Result<Vec<&'r Plane>, SelectError> {
    if selection.all_planes {
        if registry.planes().is_empty() {
            return Err(SelectError::NoPlanes);
        }
        return Ok(registry.planes().iter().collect());
    }
    Ok(vec![pick_plane(registry, selection.plane.as_deref())?])
}

/// Selects in one given plane.
pub fn select_in<'r>(
    registry: &'r Registry,
    plane: &'r Plane,
    selection: &'r Selection,
    options: SelectOptions,
) -> Result<Selected<'r>, SelectError> {
    let limit = selection
        .max_appearances
        .unwrap_or_else(|| crate::registry::Limits::configured().max_appearances);
    let count = plane.appearances();
    if count > limit {
        return Err(SelectError::TooManyAppearances {
            plane: plane.name().to_owned(),
            count,
            limit,
        });
    }
    let levels_below = match selection.depth {
        None | Some(0) => None,
        Some(d) => Some(d - 1),
    };
    let mut selected = Selected {
        registry,
        plane,
        tops: Vec::new(),
        subtrees: selection.root_subtrees,
        levels_below,
        filter: Filter {
            class: selection.class.as_deref(),
            class_ignore_case: selection.class_ignore_case,
            name: selection.name.as_deref(),
            key: selection.key.as_deref(),
        },
        list: options.list,
    };
    selected.tops = if let Some(entry) = selection.entry.filter(|&e| plane.contains(e)) {
        vec![Top {
            entry,
            ancestors: Vec::new(),
        }]
    } else if selection.root_subtrees {
        selected.search(options.tree)
    } else {
        tops_of(registry, plane)
            .map(|entry| Top {
                entry,
                ancestors: Vec::new(),
            })
            .collect()
    };
    Ok(selected)
}

/// The plane's top entries for a writer: its roots, with the synthetic "unattached entries"
/// node replaced by the entries it holds (written as the tops they are in the source).
fn tops_of<'r>(registry: &'r Registry, plane: &'r Plane) -> impl Iterator<Item = EntryId> + 'r {
    plane.roots().iter().flat_map(move |r| {
        if registry.entry(*r).synthetic {
            plane.children(*r)
        } else {
            std::slice::from_ref(r)
        }
        .iter()
        .copied()
    })
}

/// The named plane, or IOService, or the first plane.
pub fn pick_plane<'r>(
    registry: &'r Registry,
    name: Option<&str>,
) -> Result<&'r Plane, SelectError> {
    let planes = registry.planes();
    match name {
        Some(n) => registry.plane(n).ok_or_else(|| SelectError::UnknownPlane {
            name: n.to_owned(),
            available: planes.iter().map(|p| p.name().to_owned()).collect(),
        }),
        None => registry
            .plane("IOService")
            .or_else(|| planes.first())
            .ok_or(SelectError::NoPlanes),
    }
}

impl<'r> Selected<'r> {
    /// Whether the entry passes every given filter (false when no filter is given).
    pub fn is_match(&self, id: EntryId) -> bool {
        let f = &self.filter;
        if f.class.is_none() && f.name.is_none() && f.key.is_none() {
            return false;
        }
        f.class.is_none_or(|c| self.class_matches(id, c))
            && f.key
                .is_none_or(|k| self.registry.entry(id).property(k).is_some())
            && f.name.is_none_or(|n| self.name_matches(id, n))
    }

    /// Whether any entry of the plane passes the filters (false when no filter is given).
    pub fn any_match(&self) -> bool {
        self.registry
            .entries()
            .any(|(id, _)| self.plane.contains(id) && self.is_match(id))
    }

    /// Whether a writer includes this entry's properties (`-l`, or a match).
    pub(crate) fn shows_properties(&self, id: EntryId) -> bool {
        self.list || self.is_match(id)
    }

    /// The entry's children in the plane, including those that have another first parent
    /// (see the module docs).
    pub(crate) fn children(&self, id: EntryId) -> impl Iterator<Item = EntryId> + '_ {
        self.plane.children(id).iter().copied()
    }

    /// Whether an entry `depth` levels below its top has its children written.
    pub(crate) fn expands(&self, depth: usize) -> bool {
        self.levels_below.is_none_or(|max| depth < max)
    }

    #[cfg(test)]
    /// The entries of one tree in pre-order with their depth below the top, `-d` applied.
    pub(crate) fn walk(&self, top: EntryId) -> impl Iterator<Item = (EntryId, usize)> + '_ {
        let mut stack = vec![(top, 0usize)];
        std::iter::from_fn(move || {
            let (id, depth) = stack.pop()?;
            if self.expands(depth) {
                let start = stack.len();
                stack.extend(self.children(id).map(|c| (c, depth + 1)));
                stack[start..].reverse();
            }
            Some((id, depth))
        })
    }

    #[cfg(test)]
    /// Every selected entry once per tree it appears in, in output order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = EntryId> + '_ {
        self.tops.iter().flat_map(|t| {
            t.ancestors
                .iter()
                .copied()
                .chain(self.walk(t.entry).map(|(id, _)| id))
        })
    }

    fn class_matches(&self, id: EntryId, class: &str) -> bool {
        let registry = self.registry;
        let entry = registry.entry(id);
        let fold = self.filter.class_ignore_case;
        let same = |name: &[u8]| {
            if fold {
                name.eq_ignore_ascii_case(class.as_bytes())
            } else {
                name == class.as_bytes()
            }
        };
        if let Some(Value::Array(names)) = entry.property("IOUserClasses") {
            return names
                .iter()
                .any(|v| matches!(v, Value::String(s) if same(s.as_bytes())));
        }
        let classes = &registry.classes;
        entry.class.is_some_and(|c| {
            if fold {
                classes.chain(c).any(|k| same(classes.name(k).as_bytes()))
            } else {
                classes.conforms_to(c, class)
            }
        })
    }

    fn name_matches(&self, id: EntryId, wanted: &str) -> bool {
        let name = self.registry.name_in(self.plane, id);
        if !wanted.contains('@') {
            return name == wanted;
        }
        let mut full = name.as_bytes().to_vec();
        full.push(b'@');
        if let Some(loc) = self.registry.location_in(self.plane, id) {
            full.extend_from_slice(loc.as_bytes());
        }
        full == wanted.as_bytes()
    }

    /// `ioreg.c` `search`: pre-order over the plane; a match roots a tree unless it lies
    /// within the depth limit of a tree already selected.
    fn search(&self, tree: bool) -> Vec<Top> {
        let mut tops = Vec::new();
        // (entry, depth, depth up to which entries are already covered by a selected tree)
        let mut stack: Vec<(EntryId, usize, usize)> = tops_of(self.registry, self.plane)
            .map(|r| (r, 0, 0))
            .collect();
        stack.reverse();
        let mut path: Vec<EntryId> = Vec::new();
        while let Some((id, depth, mut covered)) = stack.pop() {
            path.truncate(depth);
            if covered < depth + 1 && self.is_match(id) {
                covered = match self.levels_below {
                    Some(below) => depth + below + 1,
                    None => usize::MAX,
                };
                tops.push(Top {
                    entry: id,
                    ancestors: if tree { path.clone() } else { Vec::new() },
                });
            }
            path.push(id);
            let start = stack.len();
            stack.extend(self.children(id).map(|c| (c, depth + 1, covered)));
            stack[start..].reverse();
        }
        tops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Entry, Registry};

    /// Root ─ A(IOService) ─ B@1(IOUSBHostDevice) ─ C(IOUSBHostDevice); Root ─ D
    fn registry() -> (Registry, [EntryId; 5]) {
        let mut r = Registry::new();
        let root = r.add_entry(Entry::named("Root"));
        let a = r.add_entry(Entry::named("A"));
        let b = r.add_entry(Entry {
            location: Some("1".into()),
            ..Entry::named("B")
        });
        let c = r.add_entry(Entry::named("C"));
        let d = r.add_entry(Entry::named("D"));
        let usb = r
            .classes
            .intern_chain(["IORegistryEntry", "IOService", "IOUSBHostDevice"]);
        let service = r.classes.get("IOService");
        r.entry_mut(a).class = service;
        r.entry_mut(b).class = usb;
        r.entry_mut(c).class = usb;
        r.entry_mut(d).properties.push((
            "IOUserClasses".into(),
            Value::Array(vec![Value::string("MyDext")]),
        ));
        let p = r.plane_mut("IOService");
        p.add_root(root);
        p.add_child(root, a);
        p.add_child(a, b);
        p.add_child(b, c);
        p.add_child(root, d);
        (r, [root, a, b, c, d])
    }

    fn tops(sel: &Selected) -> Vec<EntryId> {
        sel.tops.iter().map(|t| t.entry).collect()
    }

    #[test]
    fn without_r_the_whole_plane_is_selected_and_depth_limits_it() {
        let (r, [root, a, b, c, d]) = registry();
        let s = Selection {
            class: Some("IOUSBHostDevice".into()),
            ..Selection::default()
        };
        let sel = select(&r, &s).unwrap();
        assert_eq!(tops(&sel), [root]);
        assert_eq!(sel.entries().collect::<Vec<_>>(), [root, a, b, c, d]);
        assert!(sel.is_match(b) && !sel.is_match(a));
        let s = Selection {
            depth: Some(2),
            ..Selection::default()
        };
        let sel = select(&r, &s).unwrap();
        assert_eq!(sel.entries().collect::<Vec<_>>(), [root, a, d]);
    }

    #[test]
    fn r_roots_subtrees_at_matches_and_skips_covered_ones() {
        let (r, [_, _, b, c, _]) = registry();
        let mut s = Selection {
            class: Some("IOUSBHostDevice".into()),
            root_subtrees: true,
            ..Selection::default()
        };
        assert_eq!(tops(&select(&r, &s).unwrap()), [b]);
        s.depth = Some(1);
        let sel = select(&r, &s).unwrap();
        assert_eq!(tops(&sel), [b, c]);
        assert_eq!(sel.entries().collect::<Vec<_>>(), [b, c]);
    }

    #[test]
    fn subclasses_and_user_classes_match_c() {
        let (r, [_, a, b, c, d]) = registry();
        let s = Selection {
            class: Some("IOService".into()),
            root_subtrees: true,
            depth: Some(1),
            ..Selection::default()
        };
        assert_eq!(tops(&select(&r, &s).unwrap()), [a, b, c]);
        let s = Selection {
            class: Some("MyDext".into()),
            root_subtrees: true,
            ..Selection::default()
        };
        assert_eq!(tops(&select(&r, &s).unwrap()), [d]);
    }

    #[test]
    fn name_with_at_compares_location_and_filters_are_anded() {
        let (r, [_, _, b, _, d]) = registry();
        let mut s = Selection {
            name: Some("B@1".into()),
            root_subtrees: true,
            ..Selection::default()
        };
        assert_eq!(tops(&select(&r, &s).unwrap()), [b]);
        s.name = Some("D@".into());
        assert_eq!(tops(&select(&r, &s).unwrap()), [d]);
        s.key = Some("IOUserClasses".into());
        s.name = Some("B".into());
        assert!(select(&r, &s).unwrap().tops.is_empty());
    }

    #[test]
    fn r_without_filters_selects_nothing_and_t_keeps_ancestors() {
        let (r, [root, a, b, _, _]) = registry();
        let s = Selection {
            root_subtrees: true,
            ..Selection::default()
        };
        assert!(select(&r, &s).unwrap().tops.is_empty());
        let s = Selection {
            name: Some("B".into()),
            root_subtrees: true,
            ..Selection::default()
        };
        let opts = SelectOptions {
            list: false,
            tree: true,
        };
        let sel = select_with(&r, &s, opts).unwrap();
        assert_eq!(sel.tops[0].ancestors, [root, a]);
        assert!(!sel.shows_properties(a) && sel.shows_properties(b));
    }

    #[test]
    fn a_filter_limits_properties_to_matches_unless_l() {
        let (r, [root, a, b, c, _]) = registry();
        let all = Selection::default();
        let sel = select(&r, &all).unwrap();
        assert!([root, a, b].iter().all(|&id| sel.shows_properties(id)));
        let mut s = Selection {
            class: Some("IOUSBHostDevice".into()),
            ..Selection::default()
        };
        let sel = select(&r, &s).unwrap();
        assert!(!sel.shows_properties(root) && !sel.shows_properties(a));
        assert!(sel.shows_properties(b) && sel.shows_properties(c));
        s.list = true;
        assert!(select(&r, &s).unwrap().shows_properties(a));
    }

    #[test]
    fn class_ignoring_case_follows_the_chain_and_user_classes() {
        let (r, [_, a, b, c, d]) = registry();
        let mut s = Selection {
            class: Some("iousbhostdevice".into()),
            root_subtrees: true,
            depth: Some(1),
            ..Selection::default()
        };
        let sel = select(&r, &s).unwrap();
        assert!(sel.tops.is_empty() && !sel.any_match());
        s.class_ignore_case = true;
        assert_eq!(tops(&select(&r, &s).unwrap()), [b, c]);
        s.class = Some("ioservice".into());
        assert_eq!(tops(&select(&r, &s).unwrap()), [a, b, c]);
        s.class = Some("mydext".into());
        assert_eq!(tops(&select(&r, &s).unwrap()), [d]);
    }

    #[test]
    fn all_planes_selects_every_plane() {
        let (mut r, [root, ..]) = registry();
        r.plane_mut("IODeviceTree").add_root(root);
        let s = Selection {
            all_planes: true,
            ..Selection::default()
        };
        let names: Vec<&str> = planes(&r, &s).unwrap().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["IOService", "IODeviceTree"]);
        assert_eq!(planes(&r, &Selection::default()).unwrap().len(), 1);
    }

    #[test]
    fn unknown_plane_is_an_error_naming_the_planes() {
        let (r, _) = registry();
        let s = Selection {
            plane: Some("IOUSB".into()),
            ..Selection::default()
        };
        let err = select(&r, &s).unwrap_err().to_string();
        assert!(err.contains("IOUSB") && err.contains("IOService"), "{err}");
        assert_eq!(
            select(&Registry::new(), &Selection::default()).unwrap_err(),
            SelectError::NoPlanes
        );
    }
}
