//! Interned class names and the class hierarchy.
//!
//! The superclass of a class is the same wherever the class appears (IOKit asks
//! `IOObjectCopySuperclassForClass` by name), so the chain is stored once per
//! class rather than once per entry.

use std::collections::HashMap;

/// An interned class name in a [`ClassTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

#[derive(Debug, Clone, Default)]
pub struct ClassTable {
    names: Vec<Box<str>>,
    superclass: Vec<Option<ClassId>>,
    index: HashMap<Box<str>, ClassId>,
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
        self.index.insert(name.into(), id);
        id
    }

    pub fn get(&self, name: &str) -> Option<ClassId> {
        self.index.get(name).copied()
    }

    pub fn name(&self, id: ClassId) -> &str {
        &self.names[id.0 as usize]
    }

    pub fn superclass(&self, id: ClassId) -> Option<ClassId> {
        self.superclass[id.0 as usize]
    }

    /// Records that `class`'s superclass is `superclass`. Ignored if it would make a cycle.
    pub fn set_superclass(&mut self, class: ClassId, superclass: ClassId) {
        if self.chain(superclass).any(|c| c == class) {
            return;
        }
        self.superclass[class.0 as usize] = Some(superclass);
    }

    /// Interns a chain given base first (`IORegistryEntry`, `IOService`, …, leaf), as
    /// `ioreg -i` and `IOObjectInheritance` write it, links each class to its
    /// superclass and returns the leaf.
    pub fn intern_chain<'a>(
        &mut self,
        base_first: impl IntoIterator<Item = &'a str>,
    ) -> Option<ClassId> {
        let mut parent: Option<ClassId> = None;
        for name in base_first {
            let id = self.intern(name);
            if let Some(p) = parent {
                self.set_superclass(id, p);
            }
            parent = Some(id);
        }
        parent
    }

    /// The class and its known superclasses, leaf first.
    pub fn chain(&self, id: ClassId) -> impl Iterator<Item = ClassId> + '_ {
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
    pub fn conforms_to(&self, id: ClassId, ancestor: &str) -> bool {
        self.chain(id).any(|c| self.name(c) == ancestor)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
