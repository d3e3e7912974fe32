//! Core Foundation property values in a neutral form, and the rules that turn them into
//! [`Value`]s.
//!
//! `IORegistryEntryCreateCFProperties` hands back a CFDictionary. The macOS backend only
//! mirrors each CF object into a [`CfValue`] (one raw accessor call per CF type); every decision
//! about widths, signs, key spelling and unknown types lives here, where Linux tests reach it.

use crate::registry::{Date, Integer, Properties, Text, Value};

/// One CF object, mirrored without interpretation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CfValue {
    /// CFDictionary, in `CFDictionaryGetKeysAndValues` order. Keys are CF objects too.
    Dictionary(Vec<(CfValue, CfValue)>),
    /// CFArray.
    Array(Vec<CfValue>),
    /// CFSet (an OSSet in the kernel), in `CFSetGetValues` order.
    Set(Vec<CfValue>),
    /// CFString, as UTF-8.
    String(String),
    /// CFNumber with the type it was created with.
    Number(CfNumber),
    /// CFBoolean.
    Boolean(bool),
    /// CFData.
    Data(Vec<u8>),
    /// CFDate as `CFAbsoluteTime` (seconds since 2001-01-01 00:00:00 UTC).
    Date(f64),
    /// Any other CF type: its type name (`CFCopyTypeIDDescription`) and `CFCopyDescription`.
    Unknown {
        type_name: String,
        description: String,
    },
}

/// A CFNumber: its `CFNumberGetType` and its value as read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CfNumber {
    pub number_type: CfNumberType,
    pub value: CfNumberValue,
}

/// A CFNumber's value: integers are read as `kCFNumberSInt64Type`, floats as `kCFNumberFloat64Type`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CfNumberValue {
    Integer(i64),
    Float(f64),
}

/// `CFNumberType` (CFNumber.h). Every integer type CF has is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CfNumberType(pub u32);

impl CfNumberType {
    pub(crate) const SINT8: Self = Self(1);
    pub(crate) const SINT16: Self = Self(2);
    pub(crate) const SINT32: Self = Self(3);
    pub(crate) const SINT64: Self = Self(4);
    pub(crate) const CHAR: Self = Self(7);
    pub(crate) const SHORT: Self = Self(8);
    pub(crate) const INT: Self = Self(9);
    pub(crate) const LONG: Self = Self(10);
    pub(crate) const LONG_LONG: Self = Self(11);
    pub(crate) const CF_INDEX: Self = Self(14);
    pub(crate) const NS_INTEGER: Self = Self(15);

    /// Bit width of an integer type; `None` for floating types and unknown codes.
    /// `long`, `CFIndex` and `NSInteger` are 64-bit on every macOS target (LP64).
    pub(crate) fn integer_width(self) -> Option<u8> {
        match self {
            Self::SINT8 | Self::CHAR => Some(8),
            Self::SINT16 | Self::SHORT => Some(16),
            Self::SINT32 | Self::INT => Some(32),
            Self::SINT64 | Self::LONG | Self::LONG_LONG | Self::CF_INDEX | Self::NS_INTEGER => {
                Some(64)
            }
            _ => None,
        }
    }
}

/// The floating types: the backend asks CF (`CFNumberIsFloatType`) and reads them as `f64`;
/// only the tests build them.
#[cfg(test)]
impl CfNumberType {
    pub(crate) const FLOAT32: Self = Self(5);
    pub(crate) const FLOAT64: Self = Self(6);
    pub(crate) const FLOAT: Self = Self(12);
    pub(crate) const DOUBLE: Self = Self(13);
    pub(crate) const CG_FLOAT: Self = Self(16);

    /// Whether `CFNumberIsFloatType` would say so.
    pub(crate) fn is_float(self) -> bool {
        matches!(
            self,
            Self::FLOAT32 | Self::FLOAT64 | Self::FLOAT | Self::DOUBLE | Self::CG_FLOAT
        )
    }
}

/// Converts one CF value. Integers keep the width of their CFNumberType and are signed (CF has
/// no unsigned types; `ioreg` prints the 64-bit pattern, which [`Integer`] reproduces); an
/// integer of an unknown type is taken as 64-bit. Unknown CF types become [`Value::Raw`] with
/// their description.
pub(crate) fn to_value(value: CfValue) -> Value {
    match value {
        CfValue::Dictionary(pairs) => Value::Dict(to_properties(pairs)),
        CfValue::Array(items) => Value::Array(items.into_iter().map(to_value).collect()),
        CfValue::Set(items) => Value::Set(items.into_iter().map(to_value).collect()),
        CfValue::String(s) => Value::String(Text::from(s)),
        CfValue::Number(n) => number_to_value(n),
        CfValue::Boolean(b) => Value::Bool(b),
        CfValue::Data(bytes) => Value::Data(bytes.into_boxed_slice()),
        CfValue::Date(t) => Value::Date(Date(t)),
        CfValue::Unknown {
            type_name,
            description,
        } => Value::Raw {
            text: Text::from(unknown_text(type_name, description)),
            clipped: false,
        },
    }
}

/// What stands for a CF object of a type ioscope does not know: its `CFCopyDescription`, or
/// its type name when the description is empty.
fn unknown_text(type_name: String, description: String) -> String {
    if description.is_empty() {
        format!("<{type_name}>")
    } else {
        description
    }
}

/// Converts a property dictionary's pairs, keeping their order.
pub(crate) fn to_properties(pairs: Vec<(CfValue, CfValue)>) -> Properties {
    pairs
        .into_iter()
        .map(|(k, v)| (key_text(k), to_value(v)))
        .collect()
}

fn number_to_value(n: CfNumber) -> Value {
    match n.value {
        CfNumberValue::Float(f) => Value::Real(f),
        CfNumberValue::Integer(i) => {
            let width = n.number_type.integer_width().unwrap_or(64);
            Value::Integer(Integer::signed(i, width))
        }
    }
}

/// A dictionary key as text. IOKit keys are strings; any other key is spelled as `ioreg`
/// would show the value, so it still reads sensibly.
fn key_text(key: CfValue) -> Text {
    match key {
        CfValue::String(s) => Text::from(s),
        CfValue::Number(CfNumber {
            value: CfNumberValue::Integer(i),
            ..
        }) => Text::from(i.to_string()),
        CfValue::Number(CfNumber {
            value: CfNumberValue::Float(f),
            ..
        }) => Text::from(f.to_string()),
        CfValue::Boolean(b) => Text::from(if b { "Yes" } else { "No" }),
        CfValue::Unknown {
            type_name,
            description,
        } => Text::from(unknown_text(type_name, description)),
        other => Text::from(format!("<{}>", to_value(other).type_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::IntRadix;

    fn int(t: CfNumberType, v: i64) -> CfValue {
        CfValue::Number(CfNumber {
            number_type: t,
            value: CfNumberValue::Integer(v),
        })
    }

    fn integer(v: Value) -> Integer {
        match v {
            Value::Integer(i) => i,
            other => panic!("not an integer: {other:?}"),
        }
    }

    #[test]
    fn integer_widths_follow_the_number_type() {
        for (t, w) in [
            (CfNumberType::SINT8, 8),
            (CfNumberType::CHAR, 8),
            (CfNumberType::SINT16, 16),
            (CfNumberType::SHORT, 16),
            (CfNumberType::SINT32, 32),
            (CfNumberType::INT, 32),
            (CfNumberType::SINT64, 64),
            (CfNumberType::LONG, 64),
            (CfNumberType::LONG_LONG, 64),
            (CfNumberType::CF_INDEX, 64),
            (CfNumberType::NS_INTEGER, 64),
        ] {
            let i = integer(to_value(int(t, 5)));
            assert_eq!((i.width, i.signed, i.value()), (w, true, 5), "{t:?}");
            assert_eq!(i.radix, IntRadix::Decimal);
        }
    }

    #[test]
    fn negative_numbers_keep_their_sign_and_ioreg_pattern() {
        let i = integer(to_value(int(CfNumberType::SINT32, -1)));
        assert_eq!(i.value(), -1);
        assert_eq!(i.bits, 0xffff_ffff);
        assert_eq!(i.ioreg_bits(), u64::MAX);
        let i = integer(to_value(int(CfNumberType::SINT64, i64::MIN)));
        assert_eq!(i.value(), i128::from(i64::MIN));
    }

    #[test]
    fn unknown_number_type_is_read_as_64_bit() {
        let i = integer(to_value(int(CfNumberType(17), 1 << 40)));
        assert_eq!((i.width, i.value()), (64, 1 << 40));
    }

    #[test]
    fn floats_become_reals() {
        for t in [
            CfNumberType::FLOAT32,
            CfNumberType::DOUBLE,
            CfNumberType::CG_FLOAT,
        ] {
            assert!(t.is_float() && t.integer_width().is_none());
            let v = CfValue::Number(CfNumber {
                number_type: t,
                value: CfNumberValue::Float(1.5),
            });
            assert_eq!(to_value(v), Value::Real(1.5));
        }
    }

    #[test]
    fn scalars_map_one_to_one() {
        assert_eq!(to_value(CfValue::Boolean(true)), Value::Bool(true));
        assert_eq!(
            to_value(CfValue::String("IOService".into())),
            Value::string("IOService")
        );
        assert_eq!(
            to_value(CfValue::Data(vec![0, 0xff])),
            Value::Data(vec![0, 0xff].into_boxed_slice())
        );
        assert_eq!(to_value(CfValue::Date(12.5)), Value::Date(Date(12.5)));
    }

    #[test]
    fn containers_keep_order_and_kind() {
        let dict = CfValue::Dictionary(vec![
            (CfValue::String("b".into()), CfValue::Boolean(false)),
            (
                CfValue::String("a".into()),
                CfValue::Set(vec![CfValue::Array(vec![int(CfNumberType::SINT8, 1)])]),
            ),
        ]);
        let Value::Dict(pairs) = to_value(dict) else {
            panic!("not a dict")
        };
        assert_eq!(pairs[0], (Text::from("b"), Value::Bool(false)));
        assert_eq!(pairs[1].0, Text::from("a"));
        let Value::Set(set) = &pairs[1].1 else {
            panic!("not a set")
        };
        let Value::Array(arr) = &set[0] else {
            panic!("not an array")
        };
        assert_eq!(integer(arr[0].clone()).width, 8);
    }

    #[test]
    fn unknown_types_are_kept_as_their_description() {
        let v = to_value(CfValue::Unknown {
            type_name: "CFURL".into(),
            description: "<CFURL 0x1> file:///".into(),
        });
        assert_eq!(
            v,
            Value::Raw {
                text: Text::from("<CFURL 0x1> file:///"),
                clipped: false
            }
        );
    }

    #[test]
    fn unknown_types_without_description_show_their_type_name() {
        let unknown = || CfValue::Unknown {
            type_name: "CFUUID".into(),
            description: String::new(),
        };
        let raw = Value::Raw {
            text: Text::from("<CFUUID>"),
            clipped: false,
        };
        assert_eq!(to_value(unknown()), raw);
        let nested = to_value(CfValue::Array(vec![CfValue::Dictionary(vec![(
            CfValue::String("k".into()),
            unknown(),
        )])]));
        let Value::Array(items) = nested else {
            panic!("not an array")
        };
        assert_eq!(items, vec![Value::Dict(vec![(Text::from("k"), raw)])]);
        let props = to_properties(vec![(unknown(), CfValue::Boolean(false))]);
        assert_eq!(props[0].0, Text::from("<CFUUID>"));
    }

    #[test]
    fn non_string_keys_are_spelled_out() {
        let props = to_properties(vec![
            (int(CfNumberType::SINT32, 7), CfValue::Boolean(true)),
            (CfValue::Boolean(true), CfValue::Boolean(true)),
            (CfValue::Data(vec![1]), CfValue::Boolean(true)),
        ]);
        let keys: Vec<_> = props.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["7", "Yes", "<data>"]);
    }
}
