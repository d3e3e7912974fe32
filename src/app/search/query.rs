//! What a search query asks for: terms with an optional qualifier (`class:`, `name:`, `key:`,
//! `value:`, `id:`) and quotes for an exact match.
//!
//! A term starts at a word that begins with a qualifier; other words join the term before
//! them, so `magic keyboard` is one term and `class:IOUSBHostDevice name:iPhone` two (an
//! entry must match both). Quotes around a term's text (`name:"XHC1"`, `"usb"`) ask for
//! the whole field, not a part of it; a quoted text may hold spaces and colons.

/// The field a term looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// No qualifier: name, class, registry ID, property keys and values, then a fuzzy
    /// subsequence of the name and class.
    Any,
    Name,
    Class,
    Key,
    Value,
    Id,
}

impl Field {
    fn from_prefix(word: &str) -> Option<(Field, &str)> {
        const QUALIFIERS: [(&str, Field); 5] = [
            ("name:", Field::Name),
            ("class:", Field::Class),
            ("key:", Field::Key),
            ("value:", Field::Value),
            ("id:", Field::Id),
        ];
        QUALIFIERS.iter().find_map(|(p, f)| {
            let head = word.get(..p.len())?;
            head.eq_ignore_ascii_case(p).then(|| (*f, &word[p.len()..]))
        })
    }
}

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub field: Field,
    /// The text as typed (without qualifier and quotes).
    pub text: String,
    /// ASCII-lowercased `text`, compared with the index's lowercased fields.
    pub needle: String,
    /// Quoted: the whole field must equal the text.
    pub exact: bool,
}

impl Term {
    fn new(field: Field, raw: &str) -> Term {
        let raw = raw.trim();
        let quoted = raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"');
        // An opening quote not yet closed (the user is typing) searches for what follows it.
        let text = if quoted {
            &raw[1..raw.len() - 1]
        } else {
            raw.strip_prefix('"').unwrap_or(raw)
        };
        Term {
            field,
            text: text.to_string(),
            needle: text.to_ascii_lowercase(),
            exact: quoted,
        }
    }
}

/// A parsed query: every term must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query {
    pub terms: Vec<Term>,
}

impl Query {
    pub(crate) fn parse(input: &str) -> Query {
        let mut terms: Vec<(Field, String)> = Vec::new();
        let mut in_quote = false;
        for word in input.split(' ') {
            let start = if in_quote {
                None
            } else {
                Field::from_prefix(word)
            };
            match (start, terms.last_mut()) {
                (Some((field, rest)), _) => terms.push((field, rest.to_string())),
                (None, Some((_, text))) => {
                    text.push(' ');
                    text.push_str(word);
                }
                (None, None) => terms.push((Field::Any, word.to_string())),
            }
            in_quote ^= word.matches('"').count() % 2 == 1;
        }
        Query {
            terms: terms
                .iter()
                .map(|(f, t)| Term::new(*f, t))
                .filter(|t| !t.text.is_empty() || t.exact)
                .collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every entry matching `self` also matches `older`, so that only the older
    /// matches need checking: each older term is kept, in place, with text that only grew,
    /// and none asked for an exact value (`"ab"` → `"ab"c` is not narrower) or an ID
    /// (`id:1` → `id:10` is another number).
    pub(crate) fn narrows(&self, older: &Query) -> bool {
        older.terms.len() <= self.terms.len()
            && older.terms.iter().zip(&self.terms).all(|(o, n)| {
                o.field == n.field
                    && !o.exact
                    && o.field != Field::Id
                    && n.needle.starts_with(&o.needle)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<(Field, &'static str, bool)> {
        Query::parse(q)
            .terms
            .into_iter()
            .map(|t| (t.field, &*t.text.leak(), t.exact))
            .collect()
    }

    #[test]
    fn qualifiers_start_terms_and_other_words_join_them() {
        assert_eq!(
            terms("magic keyboard"),
            [(Field::Any, "magic keyboard", false)]
        );
        assert_eq!(
            terms("class:IOUSBHostDevice name:iPhone"),
            [
                (Field::Class, "IOUSBHostDevice", false),
                (Field::Name, "iPhone", false)
            ]
        );
        assert_eq!(
            terms("usb key:IOPower value:on"),
            [
                (Field::Any, "usb", false),
                (Field::Key, "IOPower", false),
                (Field::Value, "on", false)
            ]
        );
        assert_eq!(terms("ID:0x100"), [(Field::Id, "0x100", false)]);
        assert_eq!(terms("name:"), []);
        assert_eq!(terms("  "), []);
    }

    #[test]
    fn quotes_ask_for_the_whole_field() {
        assert_eq!(terms("name:\"XHC1\""), [(Field::Name, "XHC1", true)]);
        assert_eq!(
            terms("\"Magic Keyboard\""),
            [(Field::Any, "Magic Keyboard", true)]
        );
        // A qualifier inside quotes is text; an open quote searches what follows it.
        assert_eq!(
            terms("value:\"a name:b\""),
            [(Field::Value, "a name:b", true)]
        );
        assert_eq!(terms("\"usb"), [(Field::Any, "usb", false)]);
    }

    #[test]
    fn only_a_grown_query_narrows() {
        let q = Query::parse;
        assert!(q("usb").narrows(&q("us")));
        assert!(q("usb name:x").narrows(&q("usb")));
        assert!(q("class:usbh").narrows(&q("class:usb")));
        assert!(
            !q("name:").narrows(&q("na")),
            "plain text became a qualifier"
        );
        assert!(!q("a name:b").narrows(&q("a n")));
        assert!(!q("id:10").narrows(&q("id:1")));
        assert!(!q("\"ab\"c").narrows(&q("\"ab\"")));
        assert!(q("\"ab\"").narrows(&q("\"ab")));
    }
}
