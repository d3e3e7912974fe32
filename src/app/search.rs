//! Incremental fuzzy search over names, classes, registry IDs, property keys and values.
//!
//! Each entry gets a short *head* (`name@location Class 0xID decimal-id`) matched fuzzily
//! with nucleo, and a lower-cased *property text* (`key=value …`, bounded) matched as a
//! substring, because a fuzzy subsequence over hundreds of property characters would
//! match almost anything. Typing more characters only narrows: the new query is
//! checked against the previous matches, not the whole registry.

use crate::registry::{EntryId, Plane, Registry, Value};
use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::fmt::Write;

/// Longest property text kept per entry for matching.
const PROPS_BUDGET: usize = 2048;

/// The searchable text of every entry of a registry.
#[derive(Debug, Default)]
pub struct SearchIndex {
    heads: Vec<String>,
    props: Vec<String>,
    /// Pre-order position of each entry in the plane (`u32::MAX`: not in it), so that
    /// matches are visited in the order the tree shows them.
    order: Vec<u32>,
}

impl SearchIndex {
    /// Builds the text of every entry, using each entry's names in `plane`.
    pub fn build(registry: &Registry, plane: &Plane) -> Self {
        let mut heads = Vec::with_capacity(registry.len());
        let mut props = Vec::with_capacity(registry.len());
        for (id, entry) in registry.entries() {
            let mut head = registry.label_in(plane, id);
            if let Some(class) = registry.class_name(id) {
                head.push(' ');
                head.push_str(class);
            }
            if let Some(rid) = entry.id {
                let _ = write!(head, " {rid:#x} {rid}");
            }
            heads.push(head);
            let mut text = String::new();
            for (k, v) in &entry.properties {
                if text.len() > PROPS_BUDGET {
                    break;
                }
                let _ = write!(text, "{}=", k.to_string_lossy());
                value_text(v, &mut text);
                text.push(' ');
            }
            text.make_ascii_lowercase();
            props.push(text);
        }
        let mut order = vec![u32::MAX; registry.len()];
        for (n, (id, _)) in plane.walk().enumerate() {
            if let Some(slot) = order.get_mut(id.index()) {
                *slot = n as u32;
            }
        }
        SearchIndex {
            heads,
            props,
            order,
        }
    }

    /// The entry's pre-order position in the plane.
    pub fn order(&self, id: EntryId) -> u32 {
        self.order.get(id.index()).copied().unwrap_or(u32::MAX)
    }

    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }
}

fn value_text(v: &Value, out: &mut String) {
    if out.len() > PROPS_BUDGET {
        return;
    }
    match v {
        Value::String(t) => out.push_str(&t.to_string_lossy()),
        Value::Integer(i) => {
            let _ = write!(out, "{} {:#x}", i.value(), i.ioreg_bits());
        }
        Value::Bool(b) => out.push_str(if *b { "yes" } else { "no" }),
        Value::Raw { text, .. } => out.push_str(&text.to_string_lossy()),
        Value::Real(r) => {
            let _ = write!(out, "{r}");
        }
        Value::Dict(kv) => {
            for (k, v) in kv {
                let _ = write!(out, "{}=", k.to_string_lossy());
                value_text(v, out);
                out.push(' ');
            }
        }
        Value::Array(items) | Value::Set(items) => {
            for v in items {
                value_text(v, out);
                out.push(' ');
            }
        }
        Value::Data(_) | Value::Date(_) => {}
    }
}

/// The current query and its matches.
pub struct Search {
    pub query: String,
    /// The last accepted query: `/` opens an empty prompt, and ↑ there recalls this.
    pub previous: String,
    /// The query the matches were computed for.
    matched_query: String,
    /// Matching entries of the current plane, in tree order.
    matches: Vec<EntryId>,
    is_match: Vec<bool>,
    matcher: Matcher,
    buf: Vec<char>,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            query: String::new(),
            previous: String::new(),
            matched_query: String::new(),
            matches: Vec::new(),
            is_match: Vec::new(),
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("query", &self.query)
            .field("matches", &self.matches.len())
            .finish()
    }
}

impl Search {
    pub fn matches(&self) -> &[EntryId] {
        &self.matches
    }

    pub fn is_match(&self, id: EntryId) -> bool {
        self.is_match.get(id.index()).copied().unwrap_or(false)
    }

    pub fn is_active(&self) -> bool {
        !self.matched_query.is_empty()
    }

    /// Forgets the matches (new registry or plane).
    pub fn reset_matches(&mut self) {
        self.matched_query.clear();
        self.matches.clear();
        self.is_match.clear();
    }

    /// Recomputes the matches for `self.query` among the entries of `plane`. When the
    /// query only grew, only the previous matches are re-checked.
    pub fn update(&mut self, index: &SearchIndex, plane: &Plane) {
        let query = self.query.trim().to_string();
        if query.is_empty() {
            self.reset_matches();
            return;
        }
        let narrowing = !self.matched_query.is_empty() && query.starts_with(&self.matched_query);
        let atom = Atom::new(
            &query,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
            false,
        );
        let needle = query.to_lowercase();
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let check = |id: EntryId, matcher: &mut Matcher, buf: &mut Vec<char>| -> bool {
            let i = id.index();
            if i >= index.len() {
                return false;
            }
            finder.find(index.props[i].as_bytes()).is_some()
                || atom
                    .score(Utf32Str::new(&index.heads[i], buf), matcher)
                    .is_some()
        };
        let (matcher, buf) = (&mut self.matcher, &mut self.buf);
        let mut found: Vec<EntryId> = if narrowing {
            self.matches
                .iter()
                .copied()
                .filter(|&id| check(id, matcher, buf))
                .collect()
        } else {
            (0..index.len() as u32)
                .map(EntryId)
                .filter(|&id| plane.contains(id) && check(id, matcher, buf))
                .collect()
        };
        if !narrowing {
            found.sort_by_key(|&id| index.order(id));
        }
        self.is_match.clear();
        self.is_match.resize(index.len(), false);
        for id in &found {
            self.is_match[id.index()] = true;
        }
        self.matches = found;
        self.matched_query = query;
    }

    /// The match after (or before, `forward = false`) `current` in tree order, wrapping around.
    pub fn next_after(
        &self,
        index: &SearchIndex,
        current: Option<EntryId>,
        forward: bool,
    ) -> Option<EntryId> {
        if self.matches.is_empty() {
            return None;
        }
        let at = current.map_or(0, |c| index.order(c));
        let split = self.matches.partition_point(|&m| index.order(m) <= at);
        if forward {
            Some(*self.matches.get(split).unwrap_or(&self.matches[0]))
        } else {
            let before = self.matches[..split]
                .iter()
                .rev()
                .find(|&&m| Some(m) != current)
                .copied();
            before.or_else(|| self.matches.last().copied())
        }
    }

    /// The first match at or after `current` (for incremental search as you type).
    pub fn first_from(&self, index: &SearchIndex, current: Option<EntryId>) -> Option<EntryId> {
        let at = current.map_or(0, |c| index.order(c));
        let split = self.matches.partition_point(|&m| index.order(m) < at);
        self.matches.get(split).or(self.matches.first()).copied()
    }

    /// The entries to keep in filter mode: matches and all their ancestors in `plane`.
    pub fn filter_set(&self, plane: &Plane, entries: usize) -> Vec<bool> {
        let mut keep = vec![false; entries];
        for &id in &self.matches {
            let mut cur = Some(id);
            while let Some(c) = cur {
                if keep[c.index()] {
                    break;
                }
                keep[c.index()] = true;
                cur = plane.parent(c);
            }
        }
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Entry;

    fn reg() -> Registry {
        let mut r = Registry::new();
        let root = r.add_entry(Entry::named("Root"));
        let xhc = r.add_entry(Entry {
            id: Some(0x1000002a1),
            ..Entry::named("XHC1")
        });
        let kb = r.add_entry(Entry {
            properties: vec![("USB Product Name".into(), Value::string("Magic Keyboard"))],
            ..Entry::named("Keyboard")
        });
        let c = r.classes.intern("AppleUSBXHCI");
        r.entry_mut(xhc).class = Some(c);
        let p = r.plane_mut("IOService");
        p.add_root(root);
        p.add_child(root, xhc);
        p.add_child(xhc, kb);
        r
    }

    fn run(r: &Registry, s: &mut Search, q: &str) -> Vec<String> {
        let p = r.plane("IOService").unwrap();
        let index = SearchIndex::build(r, p);
        s.query = q.into();
        s.update(&index, p);
        s.matches()
            .iter()
            .map(|&id| r.entry(id).name.to_string())
            .collect()
    }

    #[test]
    fn matches_names_classes_ids_and_properties() {
        let r = reg();
        let mut s = Search::default();
        assert_eq!(run(&r, &mut s, "xhc"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "applusb"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "0x1000002a1"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "magic key"), ["Keyboard"]);
        assert_eq!(run(&r, &mut s, "zzz"), Vec::<String>::new());
        assert!(!s.is_active() || s.matches().is_empty());
    }

    #[test]
    fn narrowing_keeps_only_previous_matches_and_filter_adds_ancestors() {
        let r = reg();
        let mut s = Search::default();
        assert_eq!(run(&r, &mut s, "k").len(), 1);
        assert_eq!(run(&r, &mut s, "keyb"), ["Keyboard"]);
        let keep = s.filter_set(r.plane("IOService").unwrap(), r.len());
        assert_eq!(keep, [true, true, true]);
    }
}
