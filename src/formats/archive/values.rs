//! Property values from plist events: what an `ioreg -a` entry's properties and an
//! IORegistryExplorer document's embedded property lists are made of.

use super::events::{Event, Events};
use crate::formats::ReadError;
use crate::registry::{Budget, Limits, Properties, Text, Value};
use compact_str::CompactString;
use std::borrow::Cow;

/// Reads values, bounded in depth. Keeps stacks of the dict pairs and array items being
/// read: each collection takes its own off the top when it ends, into a vector of the exact
/// size (no growing, no shrinking: one allocation per collection).
pub(crate) struct Values {
    max_depth: usize,
    pairs: Vec<(Text, Value)>,
    items: Vec<Value>,
}

impl Values {
    pub(crate) fn new(max_depth: usize) -> Self {
        Values {
            max_depth,
            pairs: Vec::new(),
            items: Vec::new(),
        }
    }

    /// An error unless `depth` is within the limit.
    pub(crate) fn check_depth(&self, events: &Events<'_>, depth: usize) -> Result<(), ReadError> {
        if depth > self.max_depth {
            let e = crate::registry::LimitExceeded::new("depth", self.max_depth);
            return Err(events.error(format!("nested too deep: {e}")));
        }
        Ok(())
    }

    /// A value at `depth` whose first event, `ev`, has been read.
    pub(crate) fn value(
        &mut self,
        events: &mut Events<'_>,
        ev: Event<'_>,
        depth: usize,
    ) -> Result<Value, ReadError> {
        self.check_depth(events, depth)?;
        Ok(match ev {
            Event::StartArray => {
                let base = self.items.len();
                loop {
                    match events.expect("a value or the end of the array")? {
                        Event::End => break,
                        ev => {
                            let item = self.value(events, ev, depth + 1)?;
                            self.items.push(item);
                        }
                    }
                }
                Value::Array(self.items.drain(base..).collect())
            }
            Event::StartDict => Value::Dict(self.dict(events, depth + 1)?),
            Event::End => {
                return Err(events.error("expected a value, found the end of a collection"));
            }

            Event::Bool(b) => Value::Bool(b),
            Event::Data(d) => Value::Data(d.into_boxed_slice()),
            Event::Date(d) => Value::Date(d),
            Event::Integer(i) => Value::Integer(i),
            Event::Real(r) => Value::Real(r),
            // CF reads a `<key>` where a value belongs as a string (only a dict's keys must be
            // `<key>`s).
            Event::String(s) | Event::Key(s) => Value::String(text(s)),
            Event::Uid(u) => Value::Raw {
                text: Text::from(format!("UID({u})")),
                clipped: false,
            },
            // The model has no null: kept raw, as the text ioscope shows for it.
            Event::Null => Value::Raw {
                text: Text::from("null"),
                clipped: false,
            },
        })
    }

    /// Reads past a value at `depth` whose first event, `ev`, has been read, as [`Values::value`]
    /// reads it (the same checks and errors) without building it.
    pub(crate) fn skip(
        &mut self,
        events: &mut Events<'_>,
        ev: Event<'_>,
        depth: usize,
    ) -> Result<(), ReadError> {
        self.check_depth(events, depth)?;
        match ev {
            Event::StartArray => loop {
                match events.expect("a value or the end of the array")? {
                    Event::End => break,
                    ev => self.skip(events, ev, depth + 1)?,
                }
            },
            Event::StartDict => {
                let depth = depth + 1;
                loop {
                    match events.expect("a key or the end of the dict")? {
                        Event::End => break,
                        Event::Key(_) => {}
                        other => {
                            return Err(events.error(format!(
                                "expected a <key> in a dict, found {}",
                                other.name()
                            )));
                        }
                    }
                    let ev = events.expect("a value after a key")?;
                    self.skip(events, ev, depth)?;
                }
            }
            Event::End => {
                return Err(events.error("expected a value, found the end of a collection"));
            }
            _ => {}
        }
        Ok(())
    }

    /// The pairs of a dict whose start has been read, its values at `depth`.
    pub(crate) fn dict(
        &mut self,
        events: &mut Events<'_>,
        depth: usize,
    ) -> Result<Properties, ReadError> {
        let base = self.pairs.len();
        loop {
            let key = match events.expect("a key or the end of the dict")? {
                Event::End => break,
                Event::Key(k) => text(k),
                // CF refuses `<string>` (or anything but `<key>`) as a dict key.
                other => {
                    return Err(events.error(format!(
                        "expected a <key> in a dict, found {}",
                        other.name()
                    )));
                }
            };
            let ev = events.expect("a value after a key")?;
            let value = self.value(events, ev, depth)?;
            self.pairs.push((key, value));
        }
        Ok(self.pairs.drain(base..).collect())
    }
}

/// Text of a plist string: borrowed or not, it becomes a compact string (inline when short).
pub(crate) fn text(s: Cow<'_, str>) -> Text {
    Text::Utf8(CompactString::from(s))
}

/// An XML (or binary) property list whose root is a dict, as properties in their order:
/// the `properties` of an IORegistryExplorer entry. Errors name the byte in `plist`. Its
/// values are charged to `budget`: the document's own, so a plist embedded once and
/// referenced by every entry is paid for at every reference.
pub(crate) fn properties(
    plist: &[u8],
    limits: &Limits,
    budget: &Budget,
) -> Result<Properties, ReadError> {
    super::super::encoding::read_as_utf8(plist, &|_| {}, |plist| {
        properties_utf8(plist, limits, budget)
    })
}

fn properties_utf8(
    plist: &[u8],
    limits: &Limits,
    budget: &Budget,
) -> Result<Properties, ReadError> {
    let mut events = Events::new(plist, limits, budget);
    let mut values = Values::new(limits.max_depth);
    let props = match events.expect("a dict of properties")? {
        Event::StartDict => values.dict(&mut events, 1)?,
        other => {
            return Err(events.error(format!(
                "expected a dict of properties, found {}",
                other.name()
            )));
        }
    };
    if let Some(ev) = events.next()? {
        return Err(events.error(format!(
            "expected the end of the properties, found {}",
            ev.name()
        )));
    }
    Ok(props)
}
