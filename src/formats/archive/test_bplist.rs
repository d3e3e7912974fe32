//! Test support: binary plists assembled byte by byte, for inputs the `plist` crate's
//! writer would never produce (shared references, absurd sizes, broken trailers).

/// A binary plist from encoded objects: offsets 4 bytes, references `ref_size` bytes,
/// `top` the index of the top object.
pub(crate) fn raw_bplist(objects: &[Vec<u8>], top: u64, ref_size: u8) -> Vec<u8> {
    let mut out = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for o in objects {
        offsets.push(out.len() as u32);
        out.extend_from_slice(o);
    }
    let table = out.len() as u64;
    for o in offsets {
        out.extend_from_slice(&o.to_be_bytes());
    }
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(&[4, ref_size]);
    out.extend_from_slice(&(objects.len() as u64).to_be_bytes());
    out.extend_from_slice(&top.to_be_bytes());
    out.extend_from_slice(&table.to_be_bytes());
    out
}
