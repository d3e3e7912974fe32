//! The one table of limits that bound what any input may cost.
//!
//! A dump is something people download and open without reading it, so every reader
//! charges what it builds to these limits *before* it allocates, and stops with an error
//! that names the limit and how to raise it. Each limit has a name (used by
//! `--limit NAME=N` and `IOSCOPE_LIMITS="NAME=N,…"`), a default and a one-line meaning;
//! [`TABLE`] is the single place they are written down (the README lists the same).

use std::fmt;
use std::sync::OnceLock;

/// One row of the limits table.
#[derive(Debug, Clone, Copy)]
pub struct LimitSpec {
    /// The name given to `--limit` and `IOSCOPE_LIMITS`.
    pub name: &'static str,
    pub default: u64,
    /// What it bounds, in one line.
    pub doc: &'static str,
}

/// Every limit: name, default, meaning. The order is that of the fields of [`Limits`].
pub const TABLE: [LimitSpec; 8] = [
    LimitSpec {
        name: "entries",
        default: 2_000_000,
        doc: "registry entries one load may create (a real Mac has a few thousand)",
    },
    LimitSpec {
        name: "planes",
        default: 256,
        doc: "planes one load may create (a real Mac has about ten)",
    },
    LimitSpec {
        name: "classes",
        default: 1_000_000,
        doc: "distinct class names one load may intern",
    },
    LimitSpec {
        name: "depth",
        default: 512,
        doc: "nesting depth of the tree, of values and of class chains",
    },
    LimitSpec {
        name: "string-bytes",
        default: 16 << 20,
        doc: "bytes of one string, name, key, data value or text line",
    },
    LimitSpec {
        name: "decoded-bytes",
        default: 1 << 30,
        doc: "bytes of values decoded by one load, shared objects charged at every reference \
              (at the default, also at most 64 per byte of the input + 64 MiB)",
    },
    LimitSpec {
        name: "input-bytes",
        default: 1 << 30,
        doc: "bytes read from a pipe, FIFO or device (regular files are read to their size)",
    },
    LimitSpec {
        name: "appearances",
        default: 10_000_000,
        doc: "entry appearances one walk or dump may write (shared entries count each time)",
    },
];

/// The limits in force for one load (or one walk). `Limits::default()` is [`TABLE`]'s defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `entries`: most entries one load may create.
    pub max_entries: usize,
    /// `planes`: most planes one load may create.
    pub max_planes: usize,
    /// `classes`: most distinct class names.
    pub max_classes: usize,
    /// `depth`: deepest nesting of values, of the tree and of class chains.
    pub max_depth: usize,
    /// `string-bytes`: longest single string, name, key or data value.
    pub max_string_bytes: usize,
    /// `decoded-bytes`: total bytes of decoded values, charged per reference.
    pub max_decoded_bytes: u64,
    /// `input-bytes`: most bytes read from a non-regular file.
    pub max_input_bytes: u64,
    /// `appearances`: most entry appearances one walk may write.
    pub max_appearances: u64,
}

impl Default for Limits {
    fn default() -> Self {
        let d = |i: usize| TABLE[i].default;
        let n = |i: usize| usize::try_from(d(i)).unwrap_or(usize::MAX);
        Limits {
            max_entries: n(0),
            max_planes: n(1),
            max_classes: n(2),
            max_depth: n(3),
            max_string_bytes: n(4),
            max_decoded_bytes: d(5),
            max_input_bytes: d(6),
            max_appearances: d(7),
        }
    }
}

/// A `NAME=N` that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitSpecError {
    #[error("expected NAME=N, found `{0}`")]
    Syntax(String),
    #[error("unknown limit `{0}` (known: {known})", known = names())]
    Unknown(String),
    #[error("limit `{name}`: expected a whole number, found `{value}`")]
    Number { name: String, value: String },
}

fn names() -> String {
    TABLE.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

impl Limits {
    /// The value of the limit called `name` (a [`TABLE`] name).
    pub(crate) fn get(&self, name: &str) -> Option<u64> {
        let v = match name {
            "entries" => self.max_entries as u64,
            "planes" => self.max_planes as u64,
            "classes" => self.max_classes as u64,
            "depth" => self.max_depth as u64,
            "string-bytes" => self.max_string_bytes as u64,
            "decoded-bytes" => self.max_decoded_bytes,
            "input-bytes" => self.max_input_bytes,
            "appearances" => self.max_appearances,
            _ => return None,
        };
        Some(v)
    }

    /// Sets the limit called `name`; false for an unknown name.
    pub(crate) fn set(&mut self, name: &str, value: u64) -> bool {
        let n = usize::try_from(value).unwrap_or(usize::MAX);
        match name {
            "entries" => self.max_entries = n,
            "planes" => self.max_planes = n,
            "classes" => self.max_classes = n,
            "depth" => self.max_depth = n,
            "string-bytes" => self.max_string_bytes = n,
            "decoded-bytes" => self.max_decoded_bytes = value,
            "input-bytes" => self.max_input_bytes = value,
            "appearances" => self.max_appearances = value,
            _ => return false,
        }
        true
    }

    /// Applies one `NAME=N` (`N` may use `_` separators and a `k`, `M` or `G` suffix:
    /// powers of 1024 for the byte limits, of 1000 for counts).
    pub fn apply(&mut self, spec: &str) -> Result<(), LimitSpecError> {
        let (name, value) = spec
            .split_once('=')
            .ok_or_else(|| LimitSpecError::Syntax(spec.to_owned()))?;
        let (name, value) = (name.trim(), value.trim());
        if self.get(name).is_none() {
            return Err(LimitSpecError::Unknown(name.to_owned()));
        }
        let n =
            parse_number(value, name.ends_with("bytes")).ok_or_else(|| LimitSpecError::Number {
                name: name.to_owned(),
                value: value.to_owned(),
            })?;
        self.set(name, n);
        Ok(())
    }

    /// Applies a comma-separated list of `NAME=N` (the form of `IOSCOPE_LIMITS`); empty
    /// items are skipped.
    pub fn apply_list(&mut self, list: &str) -> Result<(), LimitSpecError> {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .try_for_each(|s| self.apply(s))
    }

    /// The limits set for this process (by the command line, from `--limit` and
    /// `IOSCOPE_LIMITS`), or the defaults if none were set.
    pub fn configured() -> Limits {
        CONFIGURED.get().copied().unwrap_or_default()
    }

    /// Sets the limits [`Limits::configured`] gives for the rest of the process; false if
    /// they were set already (the first setting stays).
    pub fn configure(limits: Limits) -> bool {
        CONFIGURED.set(limits).is_ok()
    }
}

static CONFIGURED: OnceLock<Limits> = OnceLock::new();

/// The table for `--help`: how to set a limit, then one line per limit (name, default, meaning).
pub fn help_text() -> String {
    let mut s = String::from(
        "Set a limit on what an input may cost, e.g. `--limit entries=5000000` (repeatable; N may \
         end in k, M or G). `IOSCOPE_LIMITS=\"entries=5000000,depth=1000\"` does the same; \
         `--limit` wins. A load that runs into a limit stops with an error naming it.\n",
    );
    for spec in TABLE {
        s.push_str(&format!(
            "\n  {:<14} default {:<11} {}",
            spec.name, spec.default, spec.doc
        ));
    }
    s
}

/// Bytes of values one byte of input may decode to (shared objects charged at every
/// reference), unless `decoded-bytes` is raised: real dumps use a small fraction of it.
pub(crate) const DECODED_PER_INPUT_BYTE: u64 = 64;
/// What any input may decode to, however small it is (unless `decoded-bytes` is lower).
pub(crate) const DECODED_FLOOR: u64 = 64 << 20;

fn parse_number(s: &str, bytes: bool) -> Option<u64> {
    let s = s.replace('_', "");
    let (digits, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s.as_str(), ' '),
    };
    let base: u64 = if bytes { 1024 } else { 1000 };
    let scale = match unit {
        ' ' => 1,
        'k' | 'K' => base,
        'M' => base.pow(2),
        'G' => base.pow(3),
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(scale)
}

/// A limit an input ran into: its error text names the limit, its value and how to raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The [`TABLE`] name.
    pub name: &'static str,
    pub limit: u64,
}

impl LimitExceeded {
    pub(crate) fn new(name: &'static str, limit: impl TryInto<u64>) -> Self {
        LimitExceeded {
            name,
            limit: limit.try_into().unwrap_or(u64::MAX),
        }
    }
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name;
        write!(
            f,
            "over the `{name}` limit ({}); raise it with `--limit {name}=N` or IOSCOPE_LIMITS=\"{name}=N\"",
            self.limit
        )
    }
}

impl std::error::Error for LimitExceeded {}

/// A running total charged against one limit (`decoded-bytes` for a whole load, say):
/// [`Budget::charge`] fails before the total passes the limit. Clones share one total, so
/// every reader of one load (an `.ioreg` document and each property list embedded in it)
/// spends from the same budget.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    name: &'static str,
    limit: u64,
    spent: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Budget {
    pub(crate) fn new(name: &'static str, limit: u64) -> Self {
        Budget {
            name,
            limit,
            spent: std::rc::Rc::new(std::cell::Cell::new(0)),
        }
    }

    /// The `decoded-bytes` budget of one load of `input_len` bytes. At its default the limit
    /// is also held to [`DECODED_PER_INPUT_BYTE`] per byte of the input plus
    /// [`DECODED_FLOOR`], so a few hundred hostile bytes cannot spend a gigabyte; a limit
    /// raised with `--limit` is used as it is.
    pub(crate) fn decoded(limits: &Limits, input_len: usize) -> Self {
        let set = limits.max_decoded_bytes;
        let limit = if set > TABLE[5].default {
            set
        } else {
            let proportional = (input_len as u64)
                .saturating_mul(DECODED_PER_INPUT_BYTE)
                .saturating_add(DECODED_FLOOR);
            set.min(proportional)
        };
        Budget::new("decoded-bytes", limit)
    }

    /// Spends `n`; an error (and nothing spent) if that would pass the limit.
    pub(crate) fn charge(&self, n: u64) -> Result<(), LimitExceeded> {
        let total = self.spent.get().saturating_add(n);
        if total > self.limit {
            return Err(LimitExceeded::new(self.name, self.limit));
        }
        self.spent.set(total);
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn spent(&self) -> u64 {
        self.spent.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_name_gets_and_sets_its_own_field() {
        for (i, spec) in TABLE.iter().enumerate() {
            let mut l = Limits::default();
            assert_eq!(l.get(spec.name), Some(spec.default), "{}", spec.name);
            assert!(l.set(spec.name, 7 + i as u64));
            assert_eq!(l.get(spec.name), Some(7 + i as u64));
            for other in TABLE.iter().filter(|o| o.name != spec.name) {
                assert_eq!(l.get(other.name), Some(other.default), "{}", other.name);
            }
        }
    }

    #[test]
    fn lists_parse_with_units_and_refuse_what_is_wrong() {
        let mut l = Limits::default();
        l.apply_list("entries=3k, string-bytes=2M,,depth=1_000")
            .unwrap();
        assert_eq!(l.max_entries, 3000);
        assert_eq!(l.max_string_bytes, 2 << 20);
        assert_eq!(l.max_depth, 1000);
        assert!(matches!(
            l.apply("nope=1"),
            Err(LimitSpecError::Unknown(n)) if n == "nope"
        ));
        assert!(matches!(l.apply("entries"), Err(LimitSpecError::Syntax(_))));
        assert!(matches!(
            l.apply("entries=lots"),
            Err(LimitSpecError::Number { .. })
        ));
    }

    #[test]
    fn the_default_decoded_budget_follows_the_input_size_and_a_raised_one_does_not() {
        let l = Limits::default();
        assert_eq!(Budget::decoded(&l, 1000).limit, 64_000 + (64 << 20));
        assert_eq!(Budget::decoded(&l, 1 << 30).limit, 1 << 30);
        let low = Limits {
            max_decoded_bytes: 100,
            ..Limits::default()
        };
        assert_eq!(Budget::decoded(&low, 1000).limit, 100);
        let high = Limits {
            max_decoded_bytes: 4 << 30,
            ..Limits::default()
        };
        assert_eq!(Budget::decoded(&high, 1000).limit, 4 << 30);
    }

    #[test]
    fn a_budget_stops_before_the_limit_and_names_it() {
        let b = Budget::new("decoded-bytes", 10);
        b.clone().charge(6).unwrap();
        let e = b.charge(5).unwrap_err();
        assert_eq!(b.spent(), 6);
        let text = e.to_string();
        assert!(text.contains("`decoded-bytes` limit (10)"), "{text}");
        assert!(text.contains("--limit decoded-bytes=N"), "{text}");
        assert!(text.contains("IOSCOPE_LIMITS"), "{text}");
    }
}
