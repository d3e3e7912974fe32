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
//! key, array or property list. So everything handed out (fields, members, keys, string and
//! data bytes) is charged to the load's `decoded-bytes` budget at every reference, before it
//! is built, and each string to the `string-bytes` limit; a real document spends a small
//! fraction of them, a hostile one gets an error instead of exhausting memory or time.

use super::super::ReadError;
use crate::formats::archive::bplist::{Bplist, Obj, Refs};
use crate::registry::{Budget, LimitExceeded, Limits, Text};

/// What one field, member or key costs the budget besides its bytes (about its size).
const ITEM_COST: u64 = 16;

/// An opened keyed archive.
pub(crate) struct Archive<'a> {
    plist: Bplist<'a>,
    objects: Refs<'a>,
    top: Vec<(Text, Obj<'a>)>,
    /// Byte offset of the top dictionary, for messages about the archive as a whole.
    at: u64,
    /// The load's `decoded-bytes` budget (see the module notes).
    budget: Budget,
    max_string: usize,
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
    pub(crate) fn open(
        bytes: &'a [u8],
        limits: &Limits,
        budget: &Budget,
    ) -> Result<Self, ReadError> {
        let plist = Bplist::open(bytes)?;
        let mut archive = Archive {
            plist,
            objects: Refs::empty(),
            top: Vec::new(),
            at: 0,
            budget: budget.clone(),
            max_string: limits.max_string_bytes,
        };
        let (top, at) = plist.object(plist.top())?;
        archive.at = at;
        let top = archive.dict_entries(top, at, "expected the archive's top dictionary")?;
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
                archive.dict_entries(obj, at, "expected $top dictionary")?
            }
            _ => return Err(ReadError::byte(at, "expected $top dictionary")),
        };
        archive.objects = objects;
        archive.top = top;
        Ok(archive)
    }

    /// Spends `items` items and `bytes` bytes of the budget on something found at byte `at`.
    fn spend(&self, items: usize, bytes: usize, at: u64) -> Result<(), ReadError> {
        let cost = (items as u64)
            .saturating_mul(ITEM_COST)
            .saturating_add(bytes as u64);
        self.budget
            .charge(cost)
            .map_err(|e| ReadError::byte(at, e.to_string()))
    }

    /// Spends `n` items of the budget on something found at byte `at`.
    pub(crate) fn charge(&self, n: usize, at: u64) -> Result<(), ReadError> {
        self.spend(n, 0, at)
    }

    /// The text of a string object found at byte `at`, charged (and held to `string-bytes`)
    /// before it is built; `None` if it is not a string.
    fn text_of(&self, obj: &Obj<'_>, at: u64) -> Result<Option<Text>, ReadError> {
        if !matches!(obj, Obj::Ascii(_) | Obj::Utf16(_)) {
            return Ok(None);
        }
        let len = obj.decoded_len();
        if len > self.max_string {
            let e = LimitExceeded::new("string-bytes", self.max_string);
            return Err(ReadError::byte(at, e.to_string()));
        }
        self.spend(1, len, at)?;
        Ok(obj.text())
    }

    /// Data bytes found at byte `at`, charged (and held to `string-bytes`).
    fn data_of(&self, d: &'a [u8], at: u64) -> Result<&'a [u8], ReadError> {
        if d.len() > self.max_string {
            let e = LimitExceeded::new("string-bytes", self.max_string);
            return Err(ReadError::byte(at, e.to_string()));
        }
        self.spend(1, d.len(), at)?;
        Ok(d)
    }

    /// The entries of a plist dictionary whose keys are strings, each key charged.
    fn dict_entries(
        &self,
        obj: Obj<'a>,
        at: u64,
        what: &str,
    ) -> Result<Vec<(Text, Obj<'a>)>, ReadError> {
        let Obj::Dict { keys, values } = obj else {
            return Err(ReadError::byte(at, format!("{what}, found {}", obj.kind())));
        };
        self.charge(keys.len(), at)?;
        let mut out = Vec::with_capacity(keys.len());
        for (k, v) in keys.slots().zip(values.slots()) {
            let (key, key_at) = self.plist.object_at(k)?;
            let key = self.text_of(&key, key_at)?.ok_or_else(|| {
                ReadError::byte(
                    key_at,
                    format!("{what}: expected a string key, found {}", key.kind()),
                )
            })?;
            out.push((key, self.plist.object_at(v)?.0));
        }
        Ok(out)
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
        match index.and_then(|i| self.objects.at(i)) {
            Some(r) => self.plist.object_at(r),
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
        let fields = self.dict_entries(obj, at, &what)?;
        let class_uid = match fields.iter().find(|(k, _)| k == "$class") {
            Some((_, Obj::Uid(c))) => *c,
            _ => return Err(ReadError::byte(at, format!("{what} with a $class"))),
        };
        let (class_obj, class_at) = self.resolve(class_uid)?;
        let class_what = format!("object {class_uid}: expected a class description");
        let class_fields = self.dict_entries(class_obj, class_at, &class_what)?;
        let class = match class_fields.iter().find(|(k, _)| k == "$classname") {
            Some((_, v)) => self.text_of(v, class_at)?,
            None => None,
        }
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
                let text = self.text_of(&other, inst.at)?;
                return text.map(Some).ok_or_else(|| not_string(inst, key, &other));
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
        if let Some(t) = self.text_of(&obj, at)? {
            return Ok(Some(t));
        }
        let inst = self.instance(uid)?;
        // One level only: `NS.string` must hold the characters themselves.
        let text = match inst.get("NS.string") {
            Some(o) => self.text_of(&o, at)?,
            None => None,
        };
        match text {
            Some(t) => Ok(Some(t)),
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
        refs.slots()
            .map(|r| match self.plist.object_at(r)? {
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
            Some(Obj::Data(d)) => return self.data_of(d, inst.at).map(Some),
            Some(other) => {
                return Err(inst.error(format!("expected data in '{key}', found {}", other.kind())));
            }
        };
        if let (Obj::Data(d), at) = self.resolve(uid)? {
            return self.data_of(d, at).map(Some);
        }
        let holder = self.instance(uid)?;
        for k in ["NS.bytes", "NS.data"] {
            if let Some(Obj::Data(d)) = holder.get(k) {
                return self.data_of(d, holder.at).map(Some);
            }
        }
        Err(holder.error(format!("expected data in '{key}'")))
    }

    /// The load's budget (the document's embedded property lists spend from it too).
    pub(crate) fn budget(&self) -> &Budget {
        &self.budget
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
