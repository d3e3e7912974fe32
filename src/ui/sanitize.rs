//! Making untrusted text safe to draw: the one escaping rule lives in
//! [`crate::registry::escape`] (shared with `dump --format text`, JSON and stderr messages);
//! every string the UI draws from registry data goes through [`sanitize`].

pub use crate::registry::escape::for_terminal as sanitize;
