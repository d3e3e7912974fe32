//! The searchable text of every entry: its label (`name@location`), class and registry ID,
//! and every property's key and value as the properties pane shows them (data as `ioreg`
//! prints it: `"wlan-pcie,bcm4378"` when it is text, hex otherwise).
//!
//! Text is ASCII-lowercased so that byte offsets in the index are offsets in what is shown.
//! Keys and values live in two buffers, each property a segment ended by NUL, so that a hit
//! names the property it lies in. Each value is indexed up to [`VALUE_CAP`] bytes, far more
//! than a pane shows.

use crate::app::props;
use crate::registry::{EntryId, EntryProperties, Plane, Registry, Value};
use std::ops::Range;
use std::sync::Arc;

/// Most bytes of one property's value text that are indexed.
pub(crate) const VALUE_CAP: usize = 64 * 1024;
/// Most characters of a label or class matched as a fuzzy subsequence (substrings are
/// matched over the whole text).
const FUZZY_CAP: usize = 512;
/// Separates nested keys within one property's key segment.
pub(crate) const KEY_SEP: char = '\u{1f}';

/// Property segments of many entries in one buffer.
#[derive(Debug, Default)]
struct Segments {
    text: String,
    /// End (exclusive, before its NUL) of each property's segment, all entries in a row.
    ends: Vec<usize>,
}

impl Segments {
    fn push(&mut self, text: &str) {
        self.text.push_str(cut(text, VALUE_CAP));
        self.ends.push(self.text.len());
        self.text.push('\0');
    }

    /// Start of property `p`'s segment.
    fn start(&self, p: usize) -> usize {
        if p == 0 { 0 } else { self.ends[p - 1] + 1 }
    }

    /// The text of properties `props`, NUL-separated.
    fn span(&self, props: &Range<usize>) -> &str {
        if props.is_empty() {
            return "";
        }
        &self.text[self.start(props.start)..self.ends[props.end - 1]]
    }

    /// The property (of `props`) whose segment holds byte `at` of [`Self::span`].
    fn property_at(&self, props: &Range<usize>, at: usize) -> usize {
        let abs = self.start(props.start) + at;
        props.start + self.ends[props.clone()].partition_point(|&end| end < abs)
    }
}

/// Every entry's properties as search text: the part of the index that no plane changes,
/// and the costly one — a registry whose values are left in their file
/// (`EntryProperties`) decodes every entry for it, so the explorer builds it on a thread of
/// its own as soon as such a registry opens (`app::state::SearchText`).
#[derive(Debug, Default)]
pub(crate) struct PropertyText {
    /// Each entry's properties: a range of segments in `keys` and `values`.
    props: Vec<Range<usize>>,
    keys: Segments,
    values: Segments,
}

impl PropertyText {
    /// The text of `lists`, one per entry in id order; each decoded for the visit only.
    pub(crate) fn build<'a>(lists: impl Iterator<Item = &'a EntryProperties>) -> Self {
        let mut text = PropertyText {
            props: Vec::with_capacity(lists.size_hint().0),
            ..PropertyText::default()
        };
        let mut key = String::new();
        let mut value = String::new();
        for list in lists {
            let first = text.keys.ends.len();
            // A list its source cannot give back is indexed as none (the pane says why).
            let _ = list.with(|list| {
                for (k, v) in list {
                    key.clear();
                    key.push_str(&k.to_string_lossy());
                    nested_keys(v, &mut key, VALUE_CAP);
                    key.make_ascii_lowercase();
                    text.keys.push(&key);
                    value.clear();
                    props::search_text(v, &mut value, VALUE_CAP);
                    value.make_ascii_lowercase();
                    text.values.push(&value);
                }
            });
            text.props.push(first..text.keys.ends.len());
        }
        text
    }
}

/// The searchable text of every entry of a registry, with names as one plane shows them.
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Label (`name@location`) and class as shown, for fuzzy matching and highlighting.
    labels: Vec<String>,
    classes: Vec<String>,
    /// The same, ASCII-lowercased.
    labels_lc: Vec<String>,
    classes_lc: Vec<String>,
    ids: Vec<Option<u64>>,
    text: Arc<PropertyText>,
    /// Pre-order position of each entry in the plane (`u32::MAX`: not in it), so that
    /// matches of one rank are visited in the order the tree shows them.
    order: Vec<u32>,
}

impl SearchIndex {
    /// Builds the text of every entry, using each entry's names in `plane`.
    #[cfg(test)]
    pub(crate) fn build(registry: &Registry, plane: &Plane) -> Self {
        Self::with_text(registry, plane, None)
    }

    /// [`Self::build`] with the property text already built (or being built: waited for),
    /// if it is.
    pub(crate) fn with_text(
        registry: &Registry,
        plane: &Plane,
        text: Option<Arc<PropertyText>>,
    ) -> Self {
        let n = registry.len();
        let mut index = SearchIndex {
            labels: Vec::with_capacity(n),
            classes: Vec::with_capacity(n),
            labels_lc: Vec::with_capacity(n),
            classes_lc: Vec::with_capacity(n),
            ids: Vec::with_capacity(n),
            ..SearchIndex::default()
        };
        for (id, entry) in registry.entries() {
            let label = registry.label_in(plane, id);
            let class = registry.class_name(id).unwrap_or("").to_string();
            index.labels_lc.push(label.to_ascii_lowercase());
            index.classes_lc.push(class.to_ascii_lowercase());
            index.labels.push(label);
            index.classes.push(class);
            index.ids.push(entry.id);
        }
        index.text = text.filter(|t| t.props.len() == n).unwrap_or_else(|| {
            Arc::new(PropertyText::build(
                registry.entries().map(|(_, e)| &e.properties),
            ))
        });
        index.order = vec![u32::MAX; n];
        for (i, (id, _)) in plane.walk().enumerate() {
            if let Some(slot) = index.order.get_mut(id.index()) {
                *slot = i as u32;
            }
        }
        index
    }

    /// The entry's pre-order position in the plane.
    pub(crate) fn order(&self, id: EntryId) -> u32 {
        self.order.get(id.index()).copied().unwrap_or(u32::MAX)
    }

    pub(crate) fn len(&self) -> usize {
        self.labels.len()
    }

    pub(crate) fn label(&self, id: EntryId) -> &str {
        &self.labels[id.index()]
    }

    pub(crate) fn class(&self, id: EntryId) -> &str {
        &self.classes[id.index()]
    }

    /// The label and class cut for fuzzy matching.
    pub(crate) fn fuzzy_fields(&self, id: EntryId) -> [&str; 2] {
        let i = id.index();
        [
            cut(&self.labels[i], FUZZY_CAP),
            cut(&self.classes[i], FUZZY_CAP),
        ]
    }

    pub(crate) fn label_lc(&self, id: EntryId) -> &str {
        &self.labels_lc[id.index()]
    }

    pub(crate) fn class_lc(&self, id: EntryId) -> &str {
        &self.classes_lc[id.index()]
    }

    pub(crate) fn registry_id(&self, id: EntryId) -> Option<u64> {
        self.ids[id.index()]
    }

    /// Every key segment of the entry (NUL-separated), and the property a byte of it is in.
    pub(crate) fn keys(&self, id: EntryId) -> &str {
        self.text.keys.span(&self.text.props[id.index()])
    }

    pub(crate) fn values(&self, id: EntryId) -> &str {
        self.text.values.span(&self.text.props[id.index()])
    }

    /// The property text, for the next plane's index.
    pub(crate) fn text(&self) -> Arc<PropertyText> {
        Arc::clone(&self.text)
    }

    /// Which of the entry's properties (0-based, file order) byte `at` of [`Self::keys`]
    /// or [`Self::values`] belongs to.
    pub(crate) fn property_at(&self, id: EntryId, in_keys: bool, at: usize) -> usize {
        let range = &self.text.props[id.index()];
        let seg = if in_keys {
            &self.text.keys
        } else {
            &self.text.values
        };
        seg.property_at(range, at) - range.start
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends the keys of dictionaries nested in `v`, each after [`KEY_SEP`], up to `cap` bytes.
fn nested_keys(v: &Value, out: &mut String, cap: usize) {
    match v {
        Value::Dict(kv) => {
            for (k, v) in kv {
                if out.len() >= cap {
                    return;
                }
                out.push(KEY_SEP);
                out.push_str(&k.to_string_lossy());
                nested_keys(v, out, cap);
            }
        }
        Value::Array(items) | Value::Set(items) => {
            for v in items {
                if out.len() >= cap {
                    return;
                }
                nested_keys(v, out, cap);
            }
        }
        _ => {}
    }
}
