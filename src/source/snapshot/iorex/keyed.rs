//! A small NSKeyedArchiver decoder over [`Bplist`].
//!
//! A keyed archive is a plist dictionary: `$objects` (a flat table; entry 0 is `$null`),
//! `$top` (named roots) and `$archiver`. Objects refer to each other with `CF$UID` numbers,
//! indices into `$objects`. An archived instance is a dictionary of fields plus `$class`, a
//! reference to `{ $classname, $classes }`. Foundation collections store their members as
//! `NS.objects` (and `NS.keys`) arrays of references.
//!
//! Nothing here follows references recursively, so reference cycles cannot loop: callers
//! walk the graph themselves, one level at a time.
//!
//! Objects can be shared: a few bytes can make every entry refer to the same huge string,
//! array or property list. So everything handed out (fields, members, string and data bytes)
//! is charged to a budget proportional to the file's size; a real document spends a small
//! fraction of it, a hostile one gets an error instead of exhausting memory or time.

use super::super::ReadError;
use super::bplist::{Bplist, Obj, Refs};
use crate::registry::Text;
use std::cell::Cell;

/// Items (fields, members, bytes) the archive may hand out per byte of the file.
const BUDGET_PER_BYTE: u64 = 8;
/// Budget every archive gets, however small.
const BUDGET_FLOOR: u64 = 1 << 20;

/// An opened keyed archive.
pub(crate) struct Archive<'a> {
    plist: Bplist<'a>,
    objects: Refs<'a>,
    top: Vec<(Text, Obj<'a>)>,
    /// Byte offset of the top dictionary, for messages about the archive as a whole.
    at: u64,
    /// What may still be handed out (see the module notes), and the starting amount.
    budget: Cell<u64>,
    limit: u64,
}

/// One archived instance: its `$objects` number, byte offset, class name and fields.
pub(crate) struct Instance<'a> {
    pub uid: u64,
    pub at: u64,
    pub class: Text,
    fields: Vec<(Text, Obj<'a>)>,
}

impl<'a> Instance<'a> {
    /// A field's value: inline (integers, booleans) or a `CF$UID` reference.
    pub(crate) fn get(&self, key: &str) -> Option<Obj<'a>> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// An error about this instance: `object 12 (RexRegistryEntry): …` at its byte offset.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> ReadError {
        ReadError::byte(
            self.at,
            format!("object {} ({}): {message}", self.uid, self.class),
        )
    }
}

impl<'a> Archive<'a> {
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Self, ReadError> {
        let plist = Bplist::open(bytes)?;
        let (top, at) = plist.object(plist.top())?;
        let top = dict_entries(&plist, top, at, "expected the archive's top dictionary")?;
        let find = |key: &str| top.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        if let Some(archiver) = find("$archiver")
            && !archiver.is_str("NSKeyedArchiver")
        {
            return Err(ReadError::byte(at, "expected $archiver NSKeyedArchiver"));
        }
        let objects = match find("$objects") {
            Some(Obj::Array(refs)) => refs,
            _ => return Err(ReadError::byte(at, "expected $objects array")),
        };
        let top = match find("$top") {
            Some(obj @ Obj::Dict { .. }) => {
                dict_entries(&plist, obj, at, "expected $top dictionary")?
            }
            _ => return Err(ReadError::byte(at, "expected $top dictionary")),
        };
        let limit = (bytes.len() as u64)
            .saturating_mul(BUDGET_PER_BYTE)
            .saturating_add(BUDGET_FLOOR);
        Ok(Archive {
            plist,
            objects,
            top,
            at,
            budget: Cell::new(limit),
            limit,
        })
    }

    /// Spends `n` of the budget on something found at byte `at`.
    pub(crate) fn charge(&self, n: usize, at: u64) -> Result<(), ReadError> {
        let left = self.budget.get();
        match left.checked_sub(n as u64) {
            Some(rest) => {
                self.budget.set(rest);
                Ok(())
            }
            None => Err(ReadError::byte(
                at,
                format!(
                    "expected objects that expand to at most {} items and bytes, \
                     found shared objects referenced too often",
                    self.limit
                ),
            )),
        }
    }

    /// The `CF$UID` stored under `key` in `$top`.
    pub(crate) fn top(&self, key: &str) -> Result<u64, ReadError> {
        match self.top.iter().find(|(k, _)| k == key) {
            Some((_, Obj::Uid(uid))) => Ok(*uid),
            _ => Err(ReadError::byte(
                self.at,
                format!("expected a CF$UID for '{key}' in $top"),
            )),
        }
    }

    /// The object numbered `uid` in `$objects`, with its byte offset.
    pub(crate) fn resolve(&self, uid: u64) -> Result<(Obj<'a>, u64), ReadError> {
        let index = usize::try_from(uid).ok();
        match index.and_then(|i| self.objects.get(i)) {
            Some(r) => self.plist.object(r),
            None => Err(ReadError::byte(
                self.at,
                format!(
                    "dangling CF$UID {uid}: the archive has {} objects",
                    self.objects.len()
                ),
            )),
        }
    }

    /// The instance numbered `uid`, with its class name.
    pub(crate) fn instance(&self, uid: u64) -> Result<Instance<'a>, ReadError> {
        let (obj, at) = self.resolve(uid)?;
        let what = format!("object {uid}: expected an archived instance");
        if let Obj::Dict { keys, .. } = obj {
            self.charge(keys.len(), at)?;
        }
        let fields = dict_entries(&self.plist, obj, at, &what)?;
        let class_uid = match fields.iter().find(|(k, _)| k == "$class") {
            Some((_, Obj::Uid(c))) => *c,
            _ => return Err(ReadError::byte(at, format!("{what} with a $class"))),
        };
        let (class_obj, class_at) = self.resolve(class_uid)?;
        if let Obj::Dict { keys, .. } = class_obj {
            self.charge(keys.len(), class_at)?;
        }
        let class_what = format!("object {class_uid}: expected a class description");
        let class_fields = dict_entries(&self.plist, class_obj, class_at, &class_what)?;
        let class = class_fields
            .iter()
            .find(|(k, _)| k == "$classname")
            .and_then(|(_, v)| v.text())
            .ok_or_else(|| ReadError::byte(class_at, format!("{class_what} with $classname")))?;
        Ok(Instance {
            uid,
            at,
            class,
            fields,
        })
    }

    /// An instance of `class` (exactly), else an error naming what was found.
    pub(crate) fn instance_of(&self, uid: u64, class: &str) -> Result<Instance<'a>, ReadError> {
        let (obj, at) = self.resolve(uid)?;
        if !matches!(obj, Obj::Dict { .. }) {
            return Err(ReadError::byte(
                at,
                format!("object {uid}: expected {class}, found {}", obj.kind()),
            ));
        }
        let inst = self.instance(uid)?;
        if inst.class != class {
            return Err(ReadError::byte(
                at,
                format!("object {uid}: expected {class}, found {}", inst.class),
            ));
        }
        Ok(inst)
    }

    /// The `CF$UID` in a field, or an error naming the field.
    pub(crate) fn uid_field(&self, inst: &Instance<'a>, key: &str) -> Result<u64, ReadError> {
        match inst.get(key) {
            Some(Obj::Uid(u)) => Ok(u),
            Some(other) => Err(inst.error(format!(
                "expected a CF$UID in '{key}', found {}",
                other.kind()
            ))),
            None => Err(inst.error(format!("expected field '{key}'"))),
        }
    }

    /// A string field: `None` for `$null` (uid 0) or a missing field. Accepts plain strings and
    /// `NSString`/`NSMutableString` instances (`NS.string`).
    pub(crate) fn string(&self, inst: &Instance<'a>, key: &str) -> Result<Option<Text>, ReadError> {
        let uid = match inst.get(key) {
            None | Some(Obj::Uid(0)) => return Ok(None),
            Some(Obj::Uid(u)) => u,
            Some(other) => {
                let text = other.text().ok_or_else(|| not_string(inst, key, &other))?;
                self.charge(1 + text.len(), inst.at)?;
                return Ok(Some(text));
            }
        };
        self.string_at(uid)
            .map_err(|e| inst.error(format!("field '{key}': {}", e.message)))
    }

    /// The string numbered `uid` (`None` for `$null`).
    pub(crate) fn string_at(&self, uid: u64) -> Result<Option<Text>, ReadError> {
        if uid == 0 {
            return Ok(None);
        }
        let (obj, at) = self.resolve(uid)?;
        if let Some(t) = obj.text() {
            self.charge(1 + t.len(), at)?;
            return Ok(Some(t));
        }
        let inst = self.instance(uid)?;
        // One level only: `NS.string` must hold the characters themselves.
        match inst.get("NS.string").and_then(|o| o.text()) {
            Some(t) => {
                self.charge(1 + t.len(), at)?;
                Ok(Some(t))
            }
            None => Err(ReadError::byte(
                at,
                format!("object {uid}: expected a string, found {}", inst.class),
            )),
        }
    }

    /// The members of the array (or set) referenced by a field, as `CF$UID`s.
    pub(crate) fn array(&self, inst: &Instance<'a>, key: &str) -> Result<Vec<u64>, ReadError> {
        self.array_at(self.uid_field(inst, key)?)
    }

    /// The members of the array (or set) numbered `uid`, as `CF$UID`s.
    pub(crate) fn array_at(&self, uid: u64) -> Result<Vec<u64>, ReadError> {
        let coll = self.instance(uid)?;
        if coll.get("NS.keys").is_some() {
            return Err(coll.error("expected an array, found a dictionary"));
        }
        self.uids(&coll, "NS.objects")
    }

    /// The pairs of the dictionary referenced by a field, as `CF$UID`s, in stored order.
    pub(crate) fn dict(
        &self,
        inst: &Instance<'a>,
        key: &str,
    ) -> Result<Vec<(u64, u64)>, ReadError> {
        let uid = self.uid_field(inst, key)?;
        let coll = self.instance(uid)?;
        let keys = self.uids(&coll, "NS.keys")?;
        let values = self.uids(&coll, "NS.objects")?;
        if keys.len() != values.len() {
            return Err(coll.error(format!(
                "expected as many NS.keys as NS.objects, found {} and {}",
                keys.len(),
                values.len()
            )));
        }
        Ok(keys.into_iter().zip(values).collect())
    }

    /// A collection's `NS.objects`/`NS.keys` member references.
    fn uids(&self, coll: &Instance<'a>, key: &str) -> Result<Vec<u64>, ReadError> {
        let refs = match coll.get(key) {
            Some(Obj::Array(r) | Obj::Set(r)) => r,
            _ => return Err(coll.error(format!("expected an {key} array"))),
        };
        self.charge(refs.len(), coll.at)?;
        refs.iter()
            .map(|r| match self.plist.object(r)? {
                (Obj::Uid(u), _) => Ok(u),
                (other, at) => Err(ReadError::byte(
                    at,
                    format!(
                        "object {} ({}): expected CF$UID members in {key}, found {}",
                        coll.uid,
                        coll.class,
                        other.kind()
                    ),
                )),
            })
            .collect()
    }

    /// Raw bytes in a field: plain data, or an `NSData` instance (`NS.bytes`/`NS.data`).
    /// `None` for `$null` or a missing field.
    pub(crate) fn data(
        &self,
        inst: &Instance<'a>,
        key: &str,
    ) -> Result<Option<&'a [u8]>, ReadError> {
        let uid = match inst.get(key) {
            None | Some(Obj::Uid(0)) => return Ok(None),
            Some(Obj::Uid(u)) => u,
            Some(Obj::Data(d)) => {
                self.charge(d.len(), inst.at)?;
                return Ok(Some(d));
            }
            Some(other) => {
                return Err(inst.error(format!("expected data in '{key}', found {}", other.kind())));
            }
        };
        if let (Obj::Data(d), at) = self.resolve(uid)? {
            self.charge(d.len(), at)?;
            return Ok(Some(d));
        }
        let holder = self.instance(uid)?;
        for k in ["NS.bytes", "NS.data"] {
            if let Some(Obj::Data(d)) = holder.get(k) {
                self.charge(d.len(), holder.at)?;
                return Ok(Some(d));
            }
        }
        Err(holder.error(format!("expected data in '{key}'")))
    }

    /// Byte offset in the file of a slice handed out by this archive.
    pub(crate) fn offset_of(&self, slice: &[u8]) -> u64 {
        self.plist.offset_of(slice)
    }
}

fn not_string(inst: &Instance<'_>, key: &str, found: &Obj<'_>) -> ReadError {
    inst.error(format!(
        "expected a string in '{key}', found {}",
        found.kind()
    ))
}

/// The entries of a plist dictionary whose keys are strings.
fn dict_entries<'a>(
    plist: &Bplist<'a>,
    obj: Obj<'a>,
    at: u64,
    what: &str,
) -> Result<Vec<(Text, Obj<'a>)>, ReadError> {
    let Obj::Dict { keys, values } = obj else {
        return Err(ReadError::byte(at, format!("{what}, found {}", obj.kind())));
    };
    let mut out = Vec::with_capacity(keys.len());
    for (k, v) in keys.iter().zip(values.iter()) {
        let (key, key_at) = plist.object(k)?;
        let key = key.text().ok_or_else(|| {
            ReadError::byte(
                key_at,
                format!("{what}: expected a string key, found {}", key.kind()),
            )
        })?;
        out.push((key, plist.object(v)?.0));
    }
    Ok(out)
}
