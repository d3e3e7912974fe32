//! Mirrors a `CFTypeRef` into a [`CfValue`]: one accessor per CF type, no interpretation (the
//! conversion rules live in the neutral `cf_value` module, tested on Linux).

use crate::kernel::cf_value::{CfNumber, CfNumberType, CfNumberValue, CfValue};
use core_foundation::base::TCFType;
use core_foundation::string::CFString;
use core_foundation_sys::array::{CFArrayGetCount, CFArrayGetTypeID, CFArrayGetValueAtIndex};
use core_foundation_sys::base::{
    CFCopyDescription, CFCopyTypeIDDescription, CFGetTypeID, CFIndex, CFTypeRef,
};
use core_foundation_sys::data::{CFDataGetBytePtr, CFDataGetLength, CFDataGetTypeID};
use core_foundation_sys::date::{CFDateGetAbsoluteTime, CFDateGetTypeID};
use core_foundation_sys::dictionary::{
    CFDictionaryGetCount, CFDictionaryGetKeysAndValues, CFDictionaryGetTypeID,
};
use core_foundation_sys::number::{
    CFBooleanGetTypeID, CFBooleanGetValue, CFNumberGetType, CFNumberGetTypeID, CFNumberGetValue,
    CFNumberIsFloatType, kCFNumberFloat64Type, kCFNumberSInt64Type,
};
use core_foundation_sys::set::{CFSetGetCount, CFSetGetTypeID, CFSetGetValues};
use core_foundation_sys::string::{CFStringGetTypeID, CFStringRef};
use std::ffi::c_void;

/// Containers nested deeper than this are cut (IOKit never sends them; a guard, not a rule).
const MAX_DEPTH: usize = 64;

/// Mirrors `obj` (borrowed: the caller keeps its reference).
///
/// # Safety
/// `obj` must be NULL or a valid CF object that stays alive for the call.
pub(crate) unsafe fn to_cf_value(obj: CFTypeRef) -> CfValue {
    // SAFETY: forwarded from the caller.
    unsafe { mirror(obj, 0) }
}

unsafe fn mirror(obj: CFTypeRef, depth: usize) -> CfValue {
    if obj.is_null() {
        return unknown("NULL", "NULL".to_string());
    }
    if depth > MAX_DEPTH {
        return unknown("nested", "(nested too deeply)".to_string());
    }
    // SAFETY: obj is a live CF object (caller contract); each branch uses the accessors of the
    // type CFGetTypeID reported, and borrows child objects only while the parent is alive.
    unsafe {
        let id = CFGetTypeID(obj);
        if id == CFDictionaryGetTypeID() {
            let n = CFDictionaryGetCount(obj as _).max(0) as usize;
            let mut keys: Vec<*const c_void> = vec![std::ptr::null(); n];
            let mut values: Vec<*const c_void> = vec![std::ptr::null(); n];
            CFDictionaryGetKeysAndValues(obj as _, keys.as_mut_ptr(), values.as_mut_ptr());
            let pairs = keys
                .iter()
                .zip(&values)
                .map(|(&k, &v)| (mirror(k, depth + 1), mirror(v, depth + 1)))
                .collect();
            CfValue::Dictionary(pairs)
        } else if id == CFArrayGetTypeID() {
            let n: CFIndex = CFArrayGetCount(obj as _);
            let items = (0..n.max(0))
                .map(|i| mirror(CFArrayGetValueAtIndex(obj as _, i), depth + 1))
                .collect();
            CfValue::Array(items)
        } else if id == CFSetGetTypeID() {
            let n = CFSetGetCount(obj as _).max(0) as usize;
            let mut values: Vec<*const c_void> = vec![std::ptr::null(); n];
            CFSetGetValues(obj as _, values.as_mut_ptr());
            CfValue::Set(values.iter().map(|&v| mirror(v, depth + 1)).collect())
        } else if id == CFStringGetTypeID() {
            CfValue::String(CFString::wrap_under_get_rule(obj as CFStringRef).to_string())
        } else if id == CFNumberGetTypeID() {
            CfValue::Number(number(obj))
        } else if id == CFBooleanGetTypeID() {
            CfValue::Boolean(CFBooleanGetValue(obj as _))
        } else if id == CFDataGetTypeID() {
            let len = CFDataGetLength(obj as _).max(0) as usize;
            let ptr = CFDataGetBytePtr(obj as _);
            let bytes = if ptr.is_null() || len == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(ptr, len).to_vec()
            };
            CfValue::Data(bytes)
        } else if id == CFDateGetTypeID() {
            CfValue::Date(CFDateGetAbsoluteTime(obj as _))
        } else {
            let type_name = owned_string(CFCopyTypeIDDescription(id));
            unknown_owned(type_name, owned_string(CFCopyDescription(obj)))
        }
    }
}

/// # Safety
/// `obj` must be a live CFNumber.
unsafe fn number(obj: CFTypeRef) -> CfNumber {
    // SAFETY: obj is a CFNumber (checked by the caller); the out-pointers match the requested types.
    unsafe {
        let number_type = CfNumberType(CFNumberGetType(obj as _) as u32);
        let value = if CFNumberIsFloatType(obj as _) != 0 {
            let mut f: f64 = 0.0;
            CFNumberGetValue(obj as _, kCFNumberFloat64Type, (&raw mut f).cast());
            CfNumberValue::Float(f)
        } else {
            let mut i: i64 = 0;
            CFNumberGetValue(obj as _, kCFNumberSInt64Type, (&raw mut i).cast());
            CfNumberValue::Integer(i)
        };
        CfNumber { number_type, value }
    }
}

/// Takes a string returned under the create rule (released here), `""` for NULL.
///
/// # Safety
/// `s` must be NULL or a CFString the caller owns.
unsafe fn owned_string(s: CFStringRef) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: we own this reference; the wrapper releases it on drop.
    unsafe { CFString::wrap_under_create_rule(s) }.to_string()
}

fn unknown(type_name: &str, description: String) -> CfValue {
    unknown_owned(type_name.to_string(), description)
}

fn unknown_owned(type_name: String, description: String) -> CfValue {
    CfValue::Unknown {
        type_name,
        description,
    }
}
