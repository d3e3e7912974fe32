//! [`EntryProperties`]: an entry's properties, held decoded or left in the file a reader
//! read them from and decoded on first use.
//!
//! A large dump's property values are most of its model (issue 22: 56 bytes a key/value
//! pair, for 655k pairs in a 100 MB archive of real entries). A reader that may leave them
//! in place still parses every value while it loads — so the load report, the limits and
//! every error are what they were — then drops them and records where they lie: a
//! [`Span`] of the source and how many properties it holds. The loader attaches the source
//! ([`PropertySource`], in `formats`), and the first read of the list decodes the span
//! again with the same code, once (the result is kept). Bulk readers that visit every entry
//! once (the search index, writers) use [`EntryProperties::with`], which does not keep
//! what it decodes.
//!
//! A source that can no longer give the bytes it gave the reader (the file shrank or was
//! written to since) yields no properties and says why ([`EntryProperties::unavailable`]):
//! never other values than those the load read.

use super::{Properties, Text, Value};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Where a reader left an entry's properties: bytes `start..end` of its source without the
/// bytes `hole_start..hole_end` (an entry's children, inside its dict; empty when
/// `hole_start == hole_end`), and reader-defined `flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u64,
    pub end: u64,
    pub hole_start: u64,
    pub hole_end: u64,
    pub flags: u32,
}

impl Span {
    /// Bytes `start..end`, with no hole.
    pub fn new(start: u64, end: u64) -> Self {
        Span {
            start,
            end,
            hole_start: end,
            hole_end: end,
            flags: 0,
        }
    }
}

/// Why properties left in a source could not be decoded again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// A source that gives back the properties at a [`Span`] (implemented by `formats`).
pub trait PropertySource: Send + Sync + fmt::Debug {
    /// The properties at `span`, decoded exactly as the reader that recorded it read them.
    fn decode(&self, span: &Span) -> Result<Properties, Unavailable>;
}

/// One entry's properties, in their original order: decoded, or left in a source.
///
/// Dereferences to the list (decoding it on first use); [`len`](Self::len) and
/// [`is_empty`](Self::is_empty) never decode.
pub struct EntryProperties(Repr);

enum Repr {
    Loaded(Properties),
    /// Recorded by a reader; the source is attached by [`super::Registry::attach_properties`].
    Pending {
        span: Span,
        len: u32,
    },
    Lazy(Box<Lazy>),
}

struct Lazy {
    span: Span,
    len: u32,
    source: Arc<dyn PropertySource>,
    decoded: OnceLock<Result<Properties, Unavailable>>,
}

/// What a list that cannot be decoded reads as.
static NONE: Properties = Vec::new();

impl EntryProperties {
    /// `len` properties at `span` of the source a reader is reading.
    pub fn pending(span: Span, len: usize) -> Self {
        EntryProperties(Repr::Pending {
            span,
            len: u32::try_from(len).unwrap_or(u32::MAX),
        })
    }

    /// How many properties there are (without decoding them).
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Loaded(list) => list.len(),
            Repr::Pending { len, .. } => *len as usize,
            Repr::Lazy(lazy) => lazy.len as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the list is still in its source (not decoded, or decoded and kept).
    pub fn is_deferred(&self) -> bool {
        !matches!(self.0, Repr::Loaded(_))
    }

    /// Why the properties could not be decoded from their source, if they could not (trying
    /// to decode them, and keeping the result, if that was not done yet).
    pub fn unavailable(&self) -> Option<&Unavailable> {
        match &self.0 {
            Repr::Lazy(lazy) => lazy.get().err(),
            Repr::Pending { .. } => None,
            Repr::Loaded(_) => None,
        }
    }

    /// Calls `f` with the list, decoding it for the call only when it is not kept yet (for
    /// readers that visit every entry once: they leave the model as small as they found it).
    /// An error when the list cannot be decoded from its source.
    pub fn with<R>(&self, f: impl FnOnce(&Properties) -> R) -> Result<R, Unavailable> {
        match &self.0 {
            Repr::Lazy(lazy) => match lazy.decoded.get() {
                Some(Ok(kept)) => Ok(f(kept)),
                Some(Err(e)) => Err(e.clone()),
                None => match lazy.source.decode(&lazy.span) {
                    Ok(list) => Ok(f(&list)),
                    Err(e) => Err(counted(e)),
                },
            },
            _ => Ok(f(self)),
        }
    }

    /// A pending list's span and length (the readers' tests check what they recorded).
    #[cfg(test)]
    pub(crate) fn pending_span(&self) -> Option<(Span, usize)> {
        match &self.0 {
            Repr::Pending { span, len } => Some((*span, *len as usize)),
            _ => None,
        }
    }

    /// Attaches `source` to a pending list.
    fn attach(&mut self, source: &Arc<dyn PropertySource>) {
        if let Repr::Pending { span, len } = self.0 {
            self.0 = Repr::Lazy(Box::new(Lazy {
                span,
                len,
                source: Arc::clone(source),
                decoded: OnceLock::new(),
            }));
        }
    }
}

impl Lazy {
    fn get(&self) -> Result<&Properties, &Unavailable> {
        self.decoded
            .get_or_init(|| self.source.decode(&self.span).map_err(counted))
            .as_ref()
    }
}

/// How many lists this process could not decode from their source (see [`unavailable_reads`]).
static UNAVAILABLE: AtomicUsize = AtomicUsize::new(0);

fn counted(e: Unavailable) -> Unavailable {
    UNAVAILABLE.fetch_add(1, Ordering::Relaxed);
    e
}

/// How many times this process found properties it could not decode from their source
/// (they then read as none): a command that printed or wrote properties checks it, so that
/// a file changed on disk behind it never makes it silently wrong.
pub fn unavailable_reads() -> usize {
    UNAVAILABLE.load(Ordering::Relaxed)
}

impl std::ops::Deref for EntryProperties {
    type Target = Properties;

    fn deref(&self) -> &Properties {
        match &self.0 {
            Repr::Loaded(list) => list,
            Repr::Pending { .. } => &NONE,
            Repr::Lazy(lazy) => lazy.get().unwrap_or(&NONE),
        }
    }
}

impl std::ops::DerefMut for EntryProperties {
    /// Decodes the list for good: a changed list no longer comes from its source.
    fn deref_mut(&mut self) -> &mut Properties {
        if self.is_deferred() {
            let list = (**self).clone();
            self.0 = Repr::Loaded(list);
        }
        match &mut self.0 {
            Repr::Loaded(list) => list,
            _ => unreachable!("decoded above"),
        }
    }
}

impl Default for EntryProperties {
    fn default() -> Self {
        EntryProperties(Repr::Loaded(Vec::new()))
    }
}

impl From<Properties> for EntryProperties {
    fn from(list: Properties) -> Self {
        EntryProperties(Repr::Loaded(list))
    }
}

impl From<EntryProperties> for Properties {
    fn from(p: EntryProperties) -> Self {
        match p.0 {
            Repr::Loaded(list) => list,
            Repr::Pending { .. } => Vec::new(),
            Repr::Lazy(lazy) => match lazy.decoded.into_inner() {
                Some(kept) => kept.unwrap_or_default(),
                None => lazy.source.decode(&lazy.span).unwrap_or_default(),
            },
        }
    }
}

impl FromIterator<(Text, Value)> for EntryProperties {
    fn from_iter<I: IntoIterator<Item = (Text, Value)>>(iter: I) -> Self {
        EntryProperties(Repr::Loaded(iter.into_iter().collect()))
    }
}

impl<'a> IntoIterator for &'a EntryProperties {
    type Item = &'a (Text, Value);
    type IntoIter = std::slice::Iter<'a, (Text, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Clone for EntryProperties {
    fn clone(&self) -> Self {
        EntryProperties(match &self.0 {
            Repr::Loaded(list) => Repr::Loaded(list.clone()),
            Repr::Pending { span, len } => Repr::Pending {
                span: *span,
                len: *len,
            },
            Repr::Lazy(lazy) => Repr::Lazy(Box::new(Lazy {
                span: lazy.span,
                len: lazy.len,
                source: Arc::clone(&lazy.source),
                decoded: lazy.decoded.clone(),
            })),
        })
    }
}

impl PartialEq for EntryProperties {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.unavailable() == other.unavailable() && **self == **other
    }
}

impl PartialEq<Properties> for EntryProperties {
    fn eq(&self, other: &Properties) -> bool {
        **self == *other
    }
}

impl fmt::Debug for EntryProperties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unavailable() {
            Some(e) => write!(f, "Unavailable({e:?})"),
            None => fmt::Debug::fmt(&**self, f),
        }
    }
}

impl super::Registry {
    /// Attaches `source` to every entry's pending properties (see [`EntryProperties`]).
    pub(crate) fn attach_properties(&mut self, source: Arc<dyn PropertySource>) {
        for e in self.entries_mut() {
            e.properties.attach(&source);
        }
        let deferred = self.entries().any(|(_, e)| e.properties.is_deferred());
        self.deferred = deferred;
    }

    /// Whether some entry's properties were left in their source when it was read (some may
    /// be decoded since): such a registry decodes on use what scans of every value would
    /// keep.
    pub fn has_deferred_properties(&self) -> bool {
        self.deferred
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes span `a..b` as `b - a` properties named by their offsets; fails past `limit`.
    #[derive(Debug, Default)]
    struct Numbers {
        calls: AtomicUsize,
        limit: u64,
    }

    impl PropertySource for Numbers {
        fn decode(&self, span: &Span) -> Result<Properties, Unavailable> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if span.end > self.limit {
                return Err(Unavailable("the file changed".into()));
            }
            Ok((span.start..span.end)
                .map(|i| (Text::from(i.to_string()), Value::u64(i)))
                .collect())
        }
    }

    fn lazy(source: &Arc<dyn PropertySource>, a: u64, b: u64) -> EntryProperties {
        let mut p = EntryProperties::pending(Span::new(a, b), (b - a) as usize);
        p.attach(source);
        p
    }

    #[test]
    fn decodes_once_on_first_read_and_counts_without_decoding() {
        let numbers = Arc::new(Numbers {
            limit: 100,
            ..Numbers::default()
        });
        let source: Arc<dyn PropertySource> = numbers.clone();
        let p = lazy(&source, 3, 6);
        assert_eq!(p.len(), 3);
        assert!(!p.is_empty());
        assert_eq!(numbers.calls.load(Ordering::Relaxed), 0);
        assert_eq!(p[1], (Text::from("4"), Value::u64(4)));
        assert_eq!(p.iter().count(), 3);
        assert_eq!(numbers.calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn with_does_not_keep_what_it_decodes() {
        let numbers = Arc::new(Numbers {
            limit: 100,
            ..Numbers::default()
        });
        let source: Arc<dyn PropertySource> = numbers.clone();
        let p = lazy(&source, 0, 2);
        assert_eq!(p.with(|l| l.len()), Ok(2));
        assert_eq!(p.with(|l| l.len()), Ok(2));
        assert_eq!(numbers.calls.load(Ordering::Relaxed), 2);
        let _ = &*p;
        assert_eq!(p.with(|l| l.len()), Ok(2));
        assert_eq!(numbers.calls.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_source_that_cannot_give_its_bytes_back_yields_nothing_and_says_why() {
        let source: Arc<dyn PropertySource> = Arc::new(Numbers {
            limit: 5,
            ..Numbers::default()
        });
        let p = lazy(&source, 3, 8);
        let before = unavailable_reads();
        assert!(p.with(|l| l.len()).is_err());
        assert!(p.iter().next().is_none());
        assert!(unavailable_reads() >= before + 2);
        assert_eq!(
            p.unavailable(),
            Some(&Unavailable("the file changed".into()))
        );
        // The count is what the load read.
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn changing_a_list_decodes_it_for_good_and_equality_compares_contents() {
        let source: Arc<dyn PropertySource> = Arc::new(Numbers {
            limit: 100,
            ..Numbers::default()
        });
        let mut p = lazy(&source, 0, 2);
        let eager: EntryProperties = (0..2u64)
            .map(|i| (Text::from(i.to_string()), Value::u64(i)))
            .collect();
        assert_eq!(p, eager);
        assert!(p.is_deferred());
        p.push(("x".into(), Value::Bool(true)));
        assert!(!p.is_deferred());
        assert_eq!(p.len(), 3);
        assert_ne!(p, eager);
    }
}
