//! Typed property values, as IOKit serialises them.

use super::Text;

/// One entry's properties, in their original order (CFDictionary order as dumped).
pub type Properties = Vec<(Text, Value)>;

/// A property value. Containers keep their original order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Dict(Vec<(Text, Value)>),
    Array(Vec<Value>),
    /// An OSSet (`[a,b]` in `ioreg` text; archives write sets as arrays).
    Set(Vec<Value>),
    String(Text),
    Integer(Integer),
    Bool(bool),
    Data(Box<[u8]>),
    Date(Date),
    Real(f64),
    /// A value that could not be typed, kept as the text that was read.
    /// `clipped` marks a value cut short by `ioreg`'s terminal width (a line ending in `$`).
    Raw {
        text: Text,
        clipped: bool,
    },
}

impl Value {
    /// Short type name for display (`dict`, `string`, `integer` …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Dict(_) => "dict",
            Value::Array(_) => "array",
            Value::Set(_) => "set",
            Value::String(_) => "string",
            Value::Integer(_) => "integer",
            Value::Bool(_) => "boolean",
            Value::Data(_) => "data",
            Value::Date(_) => "date",
            Value::Real(_) => "real",
            Value::Raw { .. } => "raw",
        }
    }

    pub fn string(s: &str) -> Self {
        Value::String(Text::from(s))
    }

    /// An unsigned 64-bit integer (the width `ioreg` text implies).
    pub fn u64(v: u64) -> Self {
        Value::Integer(Integer::unsigned(v, 64))
    }

    /// Number of values below this one that were kept raw (itself included).
    pub fn raw_count(&self) -> usize {
        match self {
            Value::Raw { .. } => 1,
            Value::Dict(kv) => kv.iter().map(|(_, v)| v.raw_count()).sum(),
            Value::Array(v) | Value::Set(v) => v.iter().map(Value::raw_count).sum(),
            _ => 0,
        }
    }
}

/// How an integer was written where it was read (`ioreg -x` prints hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IntRadix {
    #[default]
    Decimal,
    Hex,
}

/// An integer with its width and signedness, so that 64-bit and negative values print right.
///
/// `bits` holds the two's-complement bit pattern in the low `width` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Integer {
    pub bits: u64,
    /// 8, 16, 32 or 64.
    pub width: u8,
    pub signed: bool,
    pub radix: IntRadix,
}

impl Integer {
    pub fn unsigned(v: u64, width: u8) -> Self {
        Integer {
            bits: v,
            width,
            signed: false,
            radix: IntRadix::Decimal,
        }
    }

    pub fn signed(v: i64, width: u8) -> Self {
        let bits = if width >= 64 {
            v as u64
        } else {
            (v as u64) & ((1u64 << width) - 1)
        };
        Integer {
            bits,
            width,
            signed: true,
            radix: IntRadix::Decimal,
        }
    }

    /// The value as a mathematical integer (sign-extended when signed).
    pub fn value(&self) -> i128 {
        if self.signed && self.width < 64 {
            let shift = 64 - u32::from(self.width);
            i128::from(((self.bits << shift) as i64) >> shift)
        } else if self.signed {
            i128::from(self.bits as i64)
        } else {
            i128::from(self.bits)
        }
    }

    /// The value as `ioreg` prints it: unsigned decimal of the 64-bit pattern
    /// (`%qu`, so -1 prints as 18446744073709551615), or `0x%qx` in hex mode.
    pub(crate) fn ioreg_bits(&self) -> u64 {
        self.value() as i64 as u64
    }
}

/// A CFDate: seconds since 2001-01-01 00:00:00 UTC (the Core Foundation epoch).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Date(pub f64);

/// Seconds from the Unix epoch (1970-01-01) to the Core Foundation epoch (2001-01-01 UTC).
pub(crate) const CF_EPOCH_UNIX: i64 = 978_307_200;

/// A calendar time in UTC, proleptic Gregorian: the one conversion between CFDate seconds
/// and years, months and days (readers of `<date>` and `$date`, the writers, the explorer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl Civil {
    /// Whole seconds since 2001-01-01 UTC (fields are not range-checked: the readers check
    /// them as their format demands).
    pub(crate) fn cf_seconds(self) -> i64 {
        // Days from 1970-01-01 (H. Hinnant's `days_from_civil`).
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * (self.month + if self.month > 2 { -3 } else { 9 }) + 2) / 5 + self.day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + self.hour * 3_600 + self.minute * 60 + self.second - CF_EPOCH_UNIX
    }

    /// The calendar time of `secs` whole seconds since 2001-01-01 UTC.
    pub(crate) fn from_cf_seconds(secs: i64) -> Self {
        let unix = secs + CF_EPOCH_UNIX;
        let (days, rem) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
        // H. Hinnant's `civil_from_days`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Civil {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
        }
    }
}

/// An `IOUserClientCreator` value, `"pid 224, WindowServer"` → (224, `WindowServer`): the
/// process that opened a user client (IOUserClient sets it when the client is created).
pub(crate) fn parse_creator(text: &str) -> Option<(u32, String)> {
    let rest = text.strip_prefix("pid ")?;
    let (pid, name) = rest.split_once(',')?;
    Some((pid.trim().parse().ok()?, name.trim().to_owned()))
}
