//! Interned class names and the class hierarchy.
//!
//! The superclass of a class is the same wherever the class appears (IOKit asks
//! `IOObjectCopySuperclassForClass` by name), so the chain is stored once per
//! class rather than once per entry.

use super::LimitExceeded;
use std::collections::HashMap;

/// An interned class name in a [`ClassTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

/// The superclass links form a forest (each class has at most one superclass, set once), so
/// whether a new link would close a cycle is a union-find question: linking `class` under
/// `superclass` makes a cycle exactly when both already sit in one tree. That keeps
/// [`ClassTable::set_superclass`] near constant time, so a chain of 300,000 classes costs
/// linear time, not quadratic.
#[derive(Debug, Clone, Default)]
pub struct ClassTable {
    names: Vec<Box<str>>,
    superclass: Vec<Option<ClassId>>,
    index: HashMap<Box<str>, ClassId>,
    /// Union-find over the superclass forest: a representative of each class's tree.
    tree: Vec<u32>,
}

impl ClassTable {
    /// The id of a class name, interning it if new.
    pub fn intern(&mut self, name: &str) -> ClassId {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = ClassId(self.names.len() as u32);
        self.names.push(name.into());
        self.superclass.push(None);
        self.tree.push(id.0);
        self.index.insert(name.into(), id);
        id
    }

    /// [`ClassTable::intern`], refusing a new name once `max` classes are known (the
    /// `classes` limit), before anything is allocated for it.
    pub(crate) fn try_intern(&mut self, name: &str, max: usize) -> Result<ClassId, LimitExceeded> {
        if let Some(&id) = self.index.get(name) {
            return Ok(id);
        }
        if self.names.len() >= max {
            return Err(LimitExceeded::new("classes", max));
        }
        Ok(self.intern(name))
    }

    /// [`ClassTable::intern_chain`] under the `classes` limit `max`.
    pub(crate) fn try_intern_chain<'a>(
        &mut self,
        base_first: impl IntoIterator<Item = &'a str>,
        max: usize,
    ) -> Result<Option<ClassId>, LimitExceeded> {
        let mut parent: Option<ClassId> = None;
        for name in base_first {
            let id = self.try_intern(name, max)?;
            if let Some(p) = parent {
                self.set_superclass(id, p);
            }
            parent = Some(id);
        }
        Ok(parent)
    }

    pub(crate) fn get(&self, name: &str) -> Option<ClassId> {
        self.index.get(name).copied()
    }

    pub(crate) fn name(&self, id: ClassId) -> &str {
        &self.names[id.0 as usize]
    }

    pub(crate) fn superclass(&self, id: ClassId) -> Option<ClassId> {
        self.superclass[id.0 as usize]
    }

    /// Records that `class`'s superclass is `superclass`. A class's superclass is the same
    /// wherever it appears, so the first one recorded stays: a different one later is
    /// ignored, and so is one that would make a cycle. Near constant time (see [`ClassTable`]).
    pub(crate) fn set_superclass(&mut self, class: ClassId, superclass: ClassId) {
        if self.superclass[class.0 as usize].is_some() {
            return;
        }
        let (a, b) = (self.find(class.0), self.find(superclass.0));
        if a == b {
            return; // `superclass` is `class` or lies in its tree already: a cycle.
        }
        self.tree[a as usize] = b;
        self.superclass[class.0 as usize] = Some(superclass);
    }

    /// The representative of `i`'s tree, halving the path as it goes.
    fn find(&mut self, mut i: u32) -> u32 {
        while self.tree[i as usize] != i {
            let up = self.tree[self.tree[i as usize] as usize];
            self.tree[i as usize] = up;
            i = up;
        }
        i
    }

    /// Interns a chain given base first (`IORegistryEntry`, `IOService`, …, leaf), as
    /// `ioreg -i` and `IOObjectInheritance` write it, links each class to its
    /// superclass and returns the leaf.
    pub fn intern_chain<'a>(
        &mut self,
        base_first: impl IntoIterator<Item = &'a str>,
    ) -> Option<ClassId> {
        self.try_intern_chain(base_first, usize::MAX)
            .unwrap_or_default()
    }

    /// The class and its known superclasses, leaf first.
    pub(crate) fn chain(&self, id: ClassId) -> impl Iterator<Item = ClassId> + '_ {
        let mut next = Some(id);
        let mut steps = 0usize;
        std::iter::from_fn(move || {
            let cur = next?;
            steps += 1;
            next = if steps > self.names.len() {
                None
            } else {
                self.superclass(cur)
            };
            Some(cur)
        })
    }

    /// Whether `id` is `ancestor` or a subclass of it (as far as the chain is known).
    pub(crate) fn conforms_to(&self, id: ClassId, ancestor: &str) -> bool {
        self.chain(id).any(|c| self.name(c) == ancestor)
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 300,000-class chain, linked base first (`ioreg -i`) and leaf first, loads whole;
    /// with a cycle check that walks the chain each time this was quadratic (minutes).
    #[test]
    fn a_300k_class_chain_links_in_either_order() {
        let names: Vec<String> = (0..300_000).map(|i| format!("C{i}")).collect();
        let mut t = ClassTable::default();
        let leaf = t.intern_chain(names.iter().map(String::as_str)).unwrap();
        assert_eq!(t.chain(leaf).count(), 300_000);
        assert_eq!(t.name(t.chain(leaf).last().unwrap()), "C0");

        let mut t = ClassTable::default();
        let ids: Vec<ClassId> = names.iter().map(|n| t.intern(n)).collect();
        for w in ids.windows(2).rev() {
            t.set_superclass(w[1], w[0]);
        }
        assert_eq!(t.chain(ids[299_999]).count(), 300_000);
        // Closing the chain into a ring is refused at either end.
        t.set_superclass(ids[0], ids[299_999]);
        assert_eq!(t.superclass(ids[0]), None);
    }

    #[test]
    fn the_first_superclass_stays_and_cycles_are_refused() {
        let mut t = ClassTable::default();
        let [a, b, c] = ["A", "B", "C"].map(|n| t.intern(n));
        t.set_superclass(c, b);
        t.set_superclass(c, a);
        assert_eq!(t.superclass(c), Some(b));
        t.set_superclass(b, c);
        assert_eq!(t.superclass(b), None);
        t.set_superclass(a, a);
        assert_eq!(t.superclass(a), None);
        t.set_superclass(b, a);
        assert_eq!(
            t.chain(c).map(|x| t.name(x)).collect::<Vec<_>>(),
            ["C", "B", "A"]
        );
    }

    #[test]
    fn try_intern_stops_at_the_classes_limit() {
        let mut t = ClassTable::default();
        t.try_intern("A", 2).unwrap();
        t.try_intern("B", 2).unwrap();
        assert_eq!(t.try_intern("A", 2), Ok(ClassId(0)));
        let e = t.try_intern("C", 2).unwrap_err();
        assert_eq!(e, LimitExceeded::new("classes", 2u64));
        assert_eq!(t.len(), 2);
    }
}
