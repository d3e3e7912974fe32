//! The flattened list of visible tree rows, kept up to date by splicing.
//!
//! Expanding a node inserts its visible descendants right after it; collapsing drains
//! them. Nothing else is recomputed, so the cost of a key press follows the rows that
//! change and the rows on screen, never the size of the registry. Each row carries
//! what drawing needs (depth, last-sibling flag, guide bits, child count), so the UI
//! reads only the window it shows.
//!
//! The registry is a graph: an entry with several parents appears under each of them. Its
//! first appearance (under its first parent) is an ordinary row; later ones are marked rows
//! ([`Row::later`]) that start collapsed and open only by hand (`*` does not open them), each
//! on its own, so expanding everything stays linear in the entries however a document nests
//! shared children.

use crate::registry::{EntryId, Plane};
use std::collections::HashSet;

/// One visible line of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub id: EntryId,
    pub depth: u16,
    /// The last visible child of its parent (draws `└─` instead of `├─`).
    pub last: bool,
    /// Visible children (under the filter, if any).
    pub children: u32,
    /// Bit `l` set: the ancestor at depth `l` has later siblings, so a `│` guide is drawn there.
    /// Levels past 63 draw no guide.
    pub guides: u64,
    /// The entry this row sits under (`None` for a root).
    pub parent: Option<EntryId>,
    /// A later appearance: the entry's first parent is another entry.
    pub later: bool,
}

/// Expansion state and the visible rows of one plane.
#[derive(Debug, Clone, Default)]
pub struct TreeView {
    rows: Vec<Row>,
    /// Indexed by entry index.
    expanded: Vec<bool>,
    /// When filtering, only these entries (indexed by entry index) are shown.
    keep: Option<Vec<bool>>,
    /// Later appearances opened by hand, as (parent, entry) links.
    later_open: HashSet<(EntryId, EntryId)>,
}

fn bit(depth: u16) -> u64 {
    if depth < 64 { 1u64 << depth } else { 0 }
}

impl TreeView {
    /// A view of `plane` with the roots visible and the entries in `expanded` expanded.
    pub(crate) fn new(plane: &Plane, entries: usize) -> Self {
        let mut view = TreeView {
            rows: Vec::new(),
            expanded: vec![false; entries],
            keep: None,
            later_open: HashSet::new(),
        };
        view.rebuild(plane);
        view
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn row(&self, index: usize) -> Option<&Row> {
        self.rows.get(index)
    }

    pub(crate) fn is_expanded(&self, id: EntryId) -> bool {
        self.expanded.get(id.index()).copied().unwrap_or(false)
    }

    /// Whether this row shows its children: the entry's expansion for a first appearance,
    /// the row's own for a later one.
    pub(crate) fn row_expanded(&self, row: &Row) -> bool {
        match (row.later, row.parent) {
            (true, Some(p)) => self.later_open.contains(&(p, row.id)),
            _ => self.is_expanded(row.id),
        }
    }

    fn kept(&self, id: EntryId) -> bool {
        self.keep
            .as_ref()
            .is_none_or(|k| k.get(id.index()).copied().unwrap_or(false))
    }

    /// The children of `id` shown in this view: all its children in the plane (an entry
    /// with several parents appears under each), restricted by the filter.
    pub(crate) fn visible_children<'a>(
        &'a self,
        plane: &'a Plane,
        id: EntryId,
    ) -> impl Iterator<Item = EntryId> + 'a {
        plane
            .children(id)
            .iter()
            .copied()
            .filter(move |&c| self.kept(c))
    }

    fn make_row(
        &self,
        plane: &Plane,
        (id, parent): (EntryId, Option<EntryId>),
        depth: u16,
        last: bool,
        guides: u64,
    ) -> Row {
        Row {
            id,
            depth,
            last,
            children: self.visible_children(plane, id).count() as u32,
            guides,
            parent,
            later: parent.is_some_and(|p| !plane.is_first_parent(p, id)),
        }
    }

    /// Appends `parent`'s visible descendants (those under expanded nodes) in pre-order.
    fn descendants(&self, plane: &Plane, parent: &Row, out: &mut Vec<Row>) {
        if !self.row_expanded(parent) || parent.children == 0 {
            return;
        }
        let guides = if parent.depth >= 1 && !parent.last {
            parent.guides | bit(parent.depth)
        } else {
            parent.guides
        };
        let kids: Vec<EntryId> = self.visible_children(plane, parent.id).collect();
        let n = kids.len();
        for (i, c) in kids.into_iter().enumerate() {
            let depth = parent.depth.saturating_add(1);
            let row = self.make_row(plane, (c, Some(parent.id)), depth, i + 1 == n, guides);
            out.push(row);
            self.descendants(plane, &row, out);
        }
    }

    /// Recomputes every row from the expansion state (plane switch, refresh, filter).
    pub(crate) fn rebuild(&mut self, plane: &Plane) {
        let mut rows = Vec::new();
        let roots: Vec<EntryId> = plane
            .roots()
            .iter()
            .copied()
            .filter(|&r| self.kept(r))
            .collect();
        let n = roots.len();
        for (i, r) in roots.into_iter().enumerate() {
            let row = self.make_row(plane, (r, None), 0, i + 1 == n, 0);
            rows.push(row);
            self.descendants(plane, &row, &mut rows);
        }
        self.rows = rows;
    }

    /// Opens or closes a row: the entry's flag for a first appearance, the row's own for a
    /// later one.
    fn set_row_expanded(&mut self, row: &Row, on: bool) {
        match (row.later, row.parent) {
            (true, Some(p)) => {
                if on {
                    self.later_open.insert((p, row.id));
                } else {
                    self.later_open.remove(&(p, row.id));
                }
            }
            _ => self.set_expanded(row.id, on),
        }
    }

    fn set_expanded(&mut self, id: EntryId, on: bool) {
        if id.index() >= self.expanded.len() {
            self.expanded.resize(id.index() + 1, false);
        }
        self.expanded[id.index()] = on;
    }

    /// One past the last row of the subtree shown under `index`.
    fn subtree_end(&self, index: usize) -> usize {
        let depth = self.rows[index].depth;
        self.rows[index + 1..]
            .iter()
            .position(|r| r.depth <= depth)
            .map_or(self.rows.len(), |p| index + 1 + p)
    }

    /// Expands the row at `index`, splicing its visible descendants in. Returns whether anything changed.
    pub(crate) fn expand(&mut self, plane: &Plane, index: usize) -> bool {
        let Some(&row) = self.rows.get(index) else {
            return false;
        };
        if row.children == 0 || self.row_expanded(&row) {
            return false;
        }
        self.set_row_expanded(&row, true);
        let mut new_rows = Vec::with_capacity(row.children as usize);
        self.descendants(plane, &row, &mut new_rows);
        self.rows.splice(index + 1..index + 1, new_rows);
        true
    }

    /// Collapses the row at `index`, draining its descendants. Returns whether anything changed.
    /// A leaf has nothing to collapse, even when `*` or the filter marked it expanded,
    /// so that `h` on it goes to the parent at the first press.
    pub(crate) fn collapse(&mut self, index: usize) -> bool {
        let Some(&row) = self.rows.get(index) else {
            return false;
        };
        if row.children == 0 || !self.row_expanded(&row) {
            return false;
        }
        self.set_row_expanded(&row, false);
        let end = self.subtree_end(index);
        self.rows.drain(index + 1..end);
        true
    }

    /// Expands the row at `index` and everything below it, except later appearances of
    /// shared entries (they open by hand), so the work is linear in the entries.
    pub(crate) fn expand_subtree(&mut self, plane: &Plane, index: usize) {
        let Some(&row) = self.rows.get(index) else {
            return;
        };
        self.set_row_expanded(&row, true);
        let mut stack: Vec<EntryId> = self
            .visible_children(plane, row.id)
            .filter(|&c| plane.is_first_parent(row.id, c))
            .collect();
        while let Some(id) = stack.pop() {
            self.set_expanded(id, true);
            stack.extend(
                self.visible_children(plane, id)
                    .filter(|&c| plane.is_first_parent(id, c)),
            );
        }
        let end = self.subtree_end(index);
        let mut new_rows = Vec::new();
        self.descendants(plane, &row, &mut new_rows);
        self.rows.splice(index + 1..end, new_rows);
    }

    /// Collapses everything: only the roots stay visible.
    pub(crate) fn collapse_all(&mut self, plane: &Plane) {
        self.expanded.iter_mut().for_each(|e| *e = false);
        self.later_open.clear();
        self.rebuild(plane);
    }

    /// The row of the nearest visible ancestor of the row at `index`.
    pub fn parent_row(&self, index: usize) -> Option<usize> {
        let depth = self.rows.get(index)?.depth;
        self.rows[..index].iter().rposition(|r| r.depth < depth)
    }

    /// The row showing `id`'s first appearance, if visible.
    pub(crate) fn row_of(&self, id: EntryId) -> Option<usize> {
        self.rows.iter().position(|r| r.id == id && !r.later)
    }

    /// Reveals `id`'s appearance under `parent` (expanding `parent`'s first appearance and
    /// its ancestors) and returns its row.
    pub(crate) fn reveal_under(
        &mut self,
        plane: &Plane,
        id: EntryId,
        parent: EntryId,
    ) -> Option<usize> {
        let p = self.reveal(plane, parent)?;
        self.expand(plane, p);
        let end = self.subtree_end(p);
        let depth = self.rows[p].depth + 1;
        (p + 1..end).find(|&i| self.rows[i].id == id && self.rows[i].depth == depth)
    }

    /// Expands the ancestors of `id` so that it is visible, and returns its row.
    pub(crate) fn reveal(&mut self, plane: &Plane, id: EntryId) -> Option<usize> {
        if !plane.contains(id) || !self.kept(id) {
            return None;
        }
        let mut chain = Vec::new();
        let mut cur = id;
        while let Some(p) = plane.parent(cur) {
            chain.push(p);
            cur = p;
            if chain.len() > plane.len() {
                return None;
            }
        }
        for &ancestor in chain.iter().rev() {
            let row = self.row_of(ancestor)?;
            self.expand(plane, row);
        }
        self.row_of(id)
    }

    /// The ids of the expanded entries (for keeping expansion across a refresh).
    pub(crate) fn expanded_ids(&self) -> impl Iterator<Item = EntryId> + '_ {
        self.expanded
            .iter()
            .enumerate()
            .filter(|(_, e)| **e)
            .map(|(i, _)| EntryId(i as u32))
    }

    /// Marks entries expanded without touching the rows (call [`Self::rebuild`] after).
    pub(crate) fn mark_expanded(&mut self, ids: impl IntoIterator<Item = EntryId>) {
        for id in ids {
            self.set_expanded(id, true);
        }
    }

    /// Shows only the entries set in `keep` (`None`: everything).
    pub(crate) fn set_filter(&mut self, plane: &Plane, keep: Option<Vec<bool>>) {
        self.keep = keep;
        self.rebuild(plane);
    }

    pub fn is_filtered(&self) -> bool {
        self.keep.is_some()
    }

    /// A copy of the expansion flags, to restore after filtering.
    pub(crate) fn expansion(&self) -> Vec<bool> {
        self.expanded.clone()
    }

    pub(crate) fn set_expansion(&mut self, expanded: Vec<bool>) {
        self.expanded = expanded;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Entry, Registry};

    /// Root → a → (a1, a2), b.
    fn reg() -> (Registry, [EntryId; 5]) {
        let mut r = Registry::new();
        let ids: Vec<EntryId> = ["Root", "a", "a1", "a2", "b"]
            .iter()
            .map(|n| r.add_entry(Entry::named(*n)))
            .collect();
        let p = r.plane_mut("IOService");
        p.add_root(ids[0]);
        p.add_child(ids[0], ids[1]);
        p.add_child(ids[1], ids[2]);
        p.add_child(ids[1], ids[3]);
        p.add_child(ids[0], ids[4]);
        (r, [ids[0], ids[1], ids[2], ids[3], ids[4]])
    }

    fn names(r: &Registry, v: &TreeView) -> Vec<String> {
        v.rows()
            .iter()
            .map(|row| r.entry(row.id).name.to_string())
            .collect()
    }

    #[test]
    fn expand_and_collapse_splice_rows() {
        let (r, [_, a, ..]) = reg();
        let p = r.plane("IOService").unwrap();
        let mut v = TreeView::new(p, r.len());
        assert_eq!(names(&r, &v), ["Root"]);
        assert!(v.expand(p, 0));
        assert_eq!(names(&r, &v), ["Root", "a", "b"]);
        assert!(v.expand(p, 1));
        assert_eq!(names(&r, &v), ["Root", "a", "a1", "a2", "b"]);
        assert!(v.row(3).unwrap().last);
        assert_eq!(v.row(1).unwrap().children, 2);
        assert!(v.collapse(1));
        assert_eq!(names(&r, &v), ["Root", "a", "b"]);
        assert!(!v.is_expanded(a));
        // Re-expanding the root keeps the children's expansion state.
        v.expand(p, 1);
        v.collapse(0);
        v.expand(p, 0);
        assert_eq!(names(&r, &v), ["Root", "a", "a1", "a2", "b"]);
    }

    #[test]
    fn guides_mark_ancestors_with_later_siblings() {
        let (r, _) = reg();
        let p = r.plane("IOService").unwrap();
        let mut v = TreeView::new(p, r.len());
        v.expand_subtree(p, 0);
        // a (depth 1) is not last (b follows), so a1 at depth 2 has the guide bit for level 1.
        assert_eq!(v.row(2).unwrap().guides, 1 << 1);
        assert_eq!(v.parent_row(3), Some(1));
    }

    #[test]
    fn reveal_and_filter() {
        let (r, [_, _, a1, a2, b]) = reg();
        let p = r.plane("IOService").unwrap();
        let mut v = TreeView::new(p, r.len());
        assert_eq!(v.reveal(p, a2), Some(3));
        let mut keep = vec![false; r.len()];
        for id in [EntryId(0), EntryId(1), a1] {
            keep[id.index()] = true;
        }
        v.set_filter(p, Some(keep));
        assert_eq!(names(&r, &v), ["Root", "a", "a1"]);
        assert_eq!(v.row_of(b), None);
        v.set_filter(p, None);
        assert_eq!(v.len(), 5);
        v.collapse_all(p);
        assert_eq!(v.len(), 1);
    }

    /// Root → a, b; a → s; b → s (s has two parents, a first); s → t.
    fn diamond() -> (Registry, [EntryId; 5]) {
        let mut r = Registry::new();
        let ids: Vec<EntryId> = ["Root", "a", "b", "s", "t"]
            .iter()
            .map(|n| r.add_entry(Entry::named(*n)))
            .collect();
        let p = r.plane_mut("IOService");
        p.add_root(ids[0]);
        for (parent, child) in [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)] {
            let _ = p.add_child(ids[parent], ids[child]);
        }
        (r, [ids[0], ids[1], ids[2], ids[3], ids[4]])
    }

    #[test]
    fn a_shared_entry_appears_under_every_parent_and_later_ones_open_by_hand() {
        let (r, [_, a, b, s, _]) = diamond();
        let p = r.plane("IOService").unwrap();
        let mut v = TreeView::new(p, r.len());
        v.expand_subtree(p, 0);
        // `*` opens the first appearance of s, not the later one under b.
        assert_eq!(names(&r, &v), ["Root", "a", "s", "t", "b", "s"]);
        let later: Vec<bool> = v.rows().iter().map(|row| row.later).collect();
        assert_eq!(later, [false, false, false, false, false, true]);
        assert_eq!(v.row(5).unwrap().parent, Some(b));
        assert!(!v.row_expanded(v.row(5).unwrap()));
        // Opening the later appearance by hand shows the same subtree, on its own.
        assert!(v.expand(p, 5));
        assert_eq!(names(&r, &v), ["Root", "a", "s", "t", "b", "s", "t"]);
        assert!(v.collapse(2));
        assert_eq!(names(&r, &v), ["Root", "a", "s", "b", "s", "t"]);
        // The first appearance is what search, `:` and reveal land on.
        assert_eq!(v.row_of(s), Some(2));
        assert_eq!(v.reveal_under(p, s, b), Some(4));
        assert_eq!(v.reveal_under(p, s, a), Some(2));
    }

    #[test]
    fn expanding_everything_stays_linear_when_children_are_shared() {
        // 30 levels of two entries each listing both entries of the next level: 2^30 paths.
        let mut r = Registry::new();
        let root = r.add_entry(Entry::named("Root"));
        let p = r.plane_mut("IOService");
        p.add_root(root);
        let mut level = vec![root];
        for depth in 0..30 {
            let next: Vec<EntryId> = (0..2)
                .map(|i| r.add_entry(Entry::named(format!("n{depth}-{i}").as_str())))
                .collect();
            let p = r.plane_mut("IOService");
            for &parent in &level {
                for &child in &next {
                    let _ = p.add_child(parent, child);
                }
            }
            level = next;
        }
        let p = r.plane("IOService").unwrap();
        let mut v = TreeView::new(p, r.len());
        v.expand_subtree(p, 0);
        // Each entry once as a first appearance, plus one closed row per further link.
        assert!(v.len() <= 1 + 2 * 30 * 2, "{} rows", v.len());
        assert_eq!(v.rows().iter().filter(|row| !row.later).count(), 61);
    }
}
