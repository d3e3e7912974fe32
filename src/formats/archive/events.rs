//! The plist event stream (XML or binary) with byte positions for error messages.
//!
//! XML is read by this crate's own [`xml::Scanner`] (the hot path: see its notes); binary
//! plists by this crate's own [`BinaryEvents`] (Core Foundation's rules: see
//! `formats::bplist`). Neither builds a value tree, so a 100 MB archive becomes the model in
//! one pass without a second copy.
//!
//! A binary plist is a graph: its events repeat a shared object at every reference, so a
//! few hundred bytes of arrays that share their children would expand exponentially. Every
//! event, XML or binary, is therefore charged to the load's `decoded-bytes` budget (about
//! what it costs in memory) before its value is built, and every string or data value is
//! held to the `string-bytes` limit.

use super::ReadError;
use super::xml::{Open, Scanner};
use crate::formats::archive::bplist::{self, BinaryEvents, Item, Obj};
use crate::formats::release::Release;
use crate::registry::{Budget, Date, Integer, LimitExceeded, Limits};
use std::borrow::Cow;

/// One plist event. Text borrows from the input where it can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event<'a> {
    StartArray,
    StartDict,
    /// The end of the innermost array or dict.
    End,
    /// A dict key (`<key>`; in a binary plist, the keys of a dict).
    Key(Cow<'a, str>),
    Bool(bool),
    Data(Vec<u8>),
    Date(Date),
    /// Negative values signed, others unsigned, 64 bits wide.
    Integer(Integer),
    Real(f64),
    String(Cow<'a, str>),
    /// A keyed archive's object reference (binary plists only).
    Uid(u64),
    /// A binary plist's null object (`0x00`), which CF reads as `kCFNull`.
    Null,
}

impl Event<'_> {
    /// The event in a phrase for error messages: "found a dict".
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Event::StartArray => "an array",
            Event::StartDict => "a dict",
            Event::End => "the end of a collection",
            Event::Key(_) => "a key",
            Event::Bool(_) => "a boolean",
            Event::Data(_) => "data",
            Event::Date(_) => "a date",
            Event::Integer(_) => "an integer",
            Event::Real(_) => "a real",
            Event::String(_) => "a string",
            Event::Uid(_) => "a UID",
            Event::Null => "null",
        }
    }
}

enum Inner<'a> {
    Xml(Scanner<'a>),
    Binary(BinaryEvents<'a>),
    /// A binary plist whose header or trailer is broken: the error, given once.
    Broken(Option<ReadError>),
}

/// What one event costs the `decoded-bytes` budget besides its string or data bytes: about
/// the size of the value it becomes.
const EVENT_COST: u64 = 32;

/// Events of one plist, XML or binary (told by the `bplist0` magic).
pub(crate) struct Events<'a> {
    inner: Inner<'a>,
    len: usize,
    /// Offset of the last event, for errors raised by the model builder.
    last: u64,
    budget: Budget,
    /// What the events charged to `budget` (a chunk's share of the load's).
    charged: u64,
    max_string: usize,
    /// XML events from this offset on may belong to the next chunk (`usize::MAX`: none).
    stop: usize,
    /// In a chunk: the places where a later chunk may begin, as [`Events::xml_chunk`] got them.
    cuts: Cuts,
    /// Set by the model builder while it waits for the next child of an entry: the only
    /// place a chunk may end.
    pub(crate) at_child: bool,
    stopped: Option<Stop>,
}

/// The places where later chunks may begin: (offset of an entry `<dict>`, the elements open
/// around it), in file order; the first is cut number `first`, the next one `next`.
#[derive(Default)]
pub(crate) struct Cuts {
    pub(crate) first: usize,
    pub(crate) list: Vec<(usize, Vec<Open>)>,
    next: usize,
}

impl Cuts {
    pub(crate) fn new(first: usize, list: Vec<(usize, Vec<Open>)>) -> Self {
        Cuts {
            first,
            list,
            next: 0,
        }
    }

    fn next_offset(&self) -> usize {
        self.list.get(self.next).map_or(usize::MAX, |c| c.0)
    }
}

/// Where a chunk's events stopped: at cut number `cut`, the first event of the chunk that
/// begins there (which they do not give).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stop {
    pub(crate) at: usize,
    pub(crate) cut: usize,
}

impl<'a> Events<'a> {
    /// Events of a plist, charged to `budget`, strings held to `limits.max_string_bytes`.
    pub(crate) fn new(bytes: &'a [u8], limits: &Limits, budget: &Budget) -> Self {
        let inner = if bplist::is_bplist(bytes) {
            match BinaryEvents::new(bytes) {
                Ok(events) => Inner::Binary(events),
                Err(e) => Inner::Broken(Some(e)),
            }
        } else {
            Inner::Xml(Scanner::new(bytes))
        };
        Self::with(inner, bytes.len(), limits, budget)
    }

    /// Events of an XML plist, calling `release(offset)` every few MB for the bytes behind
    /// the reader (a memory-mapped file drops those pages: `formats::load_file`).
    pub(crate) fn xml_releasing(
        bytes: &'a [u8],
        release: Release<'a>,
        limits: &Limits,
        budget: &Budget,
    ) -> Self {
        let inner = Inner::Xml(Scanner::releasing(bytes, release));
        Self::with(inner, bytes.len(), limits, budget)
    }

    /// Events of one chunk of an XML plist: from byte `at`, inside the elements `open`, up
    /// to the first of `cuts` where the builder waits for a child entry and an entry `<dict>`
    /// begins inside the elements the cut names (then every call is an error and
    /// [`Events::stopped`] says where; the builder unwinds, leaving its entries open). A cut
    /// that is not such a place (a guess that was wrong) is read through, to the next.
    pub(crate) fn xml_chunk(
        bytes: &'a [u8],
        (at, open): (usize, Vec<Open>),
        cuts: Cuts,
        release: Release<'a>,
        limits: &Limits,
        budget: &Budget,
    ) -> Self {
        let scanner = if at == 0 {
            Scanner::releasing(bytes, release)
        } else {
            Scanner::resume(bytes, at, open, release)
        };
        let mut events = Self::with(Inner::Xml(scanner), bytes.len(), limits, budget);
        events.stop = cuts.next_offset();
        events.cuts = cuts;
        events
    }

    /// Events of XML bytes that begin inside the elements `open` (outermost first): the keys
    /// and end of an entry dict, read again from where a reader left them
    /// (`archive::decode_properties`).
    pub(crate) fn xml_inside(
        bytes: &'a [u8],
        open: Vec<Open>,
        limits: &Limits,
        budget: &Budget,
    ) -> Self {
        let inner = Inner::Xml(Scanner::resume(bytes, 0, open, &|_| {}));
        Self::with(inner, bytes.len(), limits, budget)
    }

    /// Where a chunk's events stopped, if they did.
    pub(crate) fn stopped(&self) -> Option<&Stop> {
        self.stopped.as_ref()
    }

    /// Charges `n` more to the budget: what the other chunks of a load charged to theirs.
    pub(crate) fn charge_more(&mut self, n: u64) -> Result<(), LimitExceeded> {
        self.budget.charge(n)
    }

    /// What the events charged to the budget.
    pub(crate) fn charged(&self) -> u64 {
        self.charged
    }

    /// At or past the next cut: the error every call gives from there on if the chunk ends
    /// there (the builder unwinds; the chunk's reader reads [`Events::stopped`], never this
    /// message); `None` if it does not (the next cut is further on).
    #[cold]
    fn at_cut(
        &mut self,
        at: usize,
        event: &Result<Option<Event<'a>>, ReadError>,
    ) -> Option<ReadError> {
        let stop = || Some(ReadError::byte(at as u64, "the chunk ends here"));
        if self.stopped.is_some() {
            return stop();
        }
        let Inner::Xml(scanner) = &self.inner else {
            return None;
        };
        loop {
            let Some((cut, around)) = self.cuts.list.get(self.cuts.next) else {
                self.stop = usize::MAX;
                return None;
            };
            let open = scanner.open_elements();
            let here = at == *cut
                && self.at_child
                && matches!(event, Ok(Some(Event::StartDict)))
                && open.len() == around.len() + 1
                && open.starts_with(around)
                && open.last() == Some(&Open::Dict);
            if here {
                let cut = self.cuts.first + self.cuts.next;
                self.stopped = Some(Stop { at, cut });
                return stop();
            }
            self.cuts.next += 1;
            self.stop = self.cuts.next_offset();
            if at < self.stop {
                return None;
            }
        }
    }

    fn with(inner: Inner<'a>, len: usize, limits: &Limits, budget: &Budget) -> Self {
        Events {
            inner,
            len,
            last: 0,
            budget: budget.clone(),
            charged: 0,
            max_string: limits.max_string_bytes,
            stop: usize::MAX,
            cuts: Cuts::default(),
            at_child: false,
            stopped: None,
        }
    }

    /// The next event; `Ok(None)` at the end of the document.
    pub(crate) fn next(&mut self) -> Result<Option<Event<'a>>, ReadError> {
        match &mut self.inner {
            Inner::Xml(scanner) => {
                let event = scanner.next();
                let at = scanner.offset();
                self.last = at as u64;
                if at >= self.stop {
                    if let Some(stop) = self.at_cut(at, &event) {
                        return Err(stop);
                    }
                }
                self.xml_event(event)
            }
            Inner::Binary(r) => {
                let item = r.next();
                self.last = r.offset();
                let Some(item) = item? else {
                    return Ok(None);
                };
                // Charged before the value is built: a shared object costs at each reference.
                let bytes = match &item {
                    Item::Key(obj) | Item::Object(obj) => obj.decoded_len(),
                    _ => 0,
                };
                self.charge(bytes)?;
                Ok(Some(from_binary(item)))
            }
            Inner::Broken(e) => match e.take() {
                Some(e) => Err(e),
                None => Ok(None),
            },
        }
    }

    /// An XML event, charged.
    #[inline(always)]
    fn xml_event(
        &mut self,
        event: Result<Option<Event<'a>>, ReadError>,
    ) -> Result<Option<Event<'a>>, ReadError> {
        let Some(ev) = event? else {
            return Ok(None);
        };
        // XML cannot share: what an event holds was in the input, so it is charged after.
        let bytes = match &ev {
            Event::String(s) | Event::Key(s) => s.len(),
            Event::Data(d) => d.len(),
            _ => 0,
        };
        self.charge(bytes)?;
        Ok(Some(ev))
    }

    /// Charges an event holding `bytes` of text or data to the budget, and holds them to
    /// `string-bytes`.
    #[inline]
    fn charge(&mut self, bytes: usize) -> Result<(), ReadError> {
        if bytes > self.max_string {
            return Err(self.limit(LimitExceeded::new("string-bytes", self.max_string)));
        }
        let cost = EVENT_COST + bytes as u64;
        self.budget.charge(cost).map_err(|e| self.limit(e))?;
        self.charged += cost;
        Ok(())
    }

    fn limit(&self, e: LimitExceeded) -> ReadError {
        ReadError::byte(self.last, e.to_string())
    }

    /// The next event, which must exist: the end of input is an error saying what was expected.
    pub(crate) fn expect(&mut self, expected: &str) -> Result<Event<'a>, ReadError> {
        match self.next()? {
            Some(ev) => Ok(ev),
            None => Err(ReadError::byte(
                self.len as u64,
                format!("expected {expected}, found the end of the file"),
            )),
        }
    }

    /// Where the last event began (a byte offset).
    pub(crate) fn offset(&self) -> u64 {
        self.last
    }

    /// The whole XML document the events come from (`None` for a binary plist).
    pub(crate) fn xml_bytes(&self) -> Option<&'a [u8]> {
        match &self.inner {
            Inner::Xml(scanner) => Some(scanner.bytes()),
            _ => None,
        }
    }

    /// Where the last event ended (a byte offset; XML only, 0 for a binary plist).
    pub(crate) fn end_offset(&self) -> u64 {
        match &self.inner {
            Inner::Xml(scanner) => scanner.consumed() as u64,
            _ => 0,
        }
    }

    /// An error at the current position.
    pub(crate) fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError::byte(self.last, message)
    }
}

/// A binary plist object as an event.
fn from_binary(item: Item<'_>) -> Event<'_> {
    match item {
        Item::StartArray => Event::StartArray,
        Item::StartDict => Event::StartDict,
        Item::End => Event::End,
        Item::Key(k) => Event::Key(bplist::string(&k)),
        Item::Object(obj) => match obj {
            Obj::Null => Event::Null,
            Obj::Bool(b) => Event::Bool(b),
            Obj::Int(i) => Event::Integer(integer(i)),
            Obj::Real(r) => Event::Real(r),
            Obj::Date(secs) => Event::Date(Date(secs)),
            Obj::Data(d) => Event::Data(d.to_vec()),
            Obj::Ascii(_) | Obj::Utf16(_) => Event::String(bplist::string(&obj)),
            Obj::Uid(u) => Event::Uid(u),
            // Containers come as `Item::StartArray`/`StartDict`.
            Obj::Array(_) | Obj::Set(_) | Obj::Dict { .. } => Event::Null,
        },
    }
}

/// A plist integer in the model: negative → signed 64-bit, otherwise unsigned 64-bit. A
/// 16-byte integer keeps its low 64 bits, as CF does.
fn integer(i: i128) -> Integer {
    let low = i as u64;
    if i < 0 {
        Integer::signed(low as i64, 64)
    } else {
        Integer::unsigned(low, 64)
    }
}
