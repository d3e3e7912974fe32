//! Telling a memory map, now and then, which bytes a reader has left behind.
//!
//! `formats::load_file` maps a large dump and drops the mapped pages behind the reader, so
//! the file is never resident whole beside the model it becomes (the memory goal). Readers
//! hold a [`Releaser`] and report their position to it as they advance.

/// Told that the bytes before an offset are no longer needed. They must stay readable all
/// the same (a value still held may be read again); only their memory may be given back.
pub(crate) type Release<'a> = &'a dyn Fn(usize);

/// How far a reader moves between two calls of its release hook.
const STEP: usize = 4 << 20;
/// How much of what was read last is kept out of the release (what a reader may still look
/// back at): releasing it would only make it fault back in.
const MARGIN: usize = 1 << 20;

/// Calls a [`Release`] hook every few MB as a reader's position advances.
pub(crate) struct Releaser<'a> {
    hook: Option<Release<'a>>,
    /// The position that makes the next call (one comparison per step of the reader).
    next: usize,
}

impl Default for Releaser<'_> {
    fn default() -> Self {
        Releaser {
            hook: None,
            next: usize::MAX,
        }
    }
}

impl<'a> Releaser<'a> {
    pub(crate) fn new(hook: Release<'a>) -> Self {
        Releaser {
            hook: Some(hook),
            next: STEP + MARGIN,
        }
    }

    /// The reader is at `pos`: releases what lies well behind it, every [`STEP`] bytes.
    #[inline]
    pub(crate) fn advanced(&mut self, pos: usize) {
        if pos >= self.next {
            self.release(pos);
        }
    }

    #[cold]
    fn release(&mut self, pos: usize) {
        if let Some(hook) = self.hook {
            let upto = pos - MARGIN;
            self.next = upto.saturating_add(STEP + MARGIN);
            hook(upto);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn releases_every_step_and_keeps_a_margin() {
        let calls = RefCell::new(Vec::new());
        let hook = |upto: usize| calls.borrow_mut().push(upto);
        let mut r = Releaser::new(&hook);
        for pos in (0..=20 << 20).step_by(4096) {
            r.advanced(pos);
        }
        let calls = calls.into_inner();
        assert_eq!(calls.len(), 4, "{calls:?}");
        assert_eq!(calls[0], STEP);
        assert!(calls.windows(2).all(|w| w[1] - w[0] == STEP), "{calls:?}");
    }
}
