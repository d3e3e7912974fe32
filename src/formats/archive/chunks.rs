//! A large `ioreg -a` XML archive read on several threads (issue 22).
//!
//! A real archive is one root dict whose `IORegistryEntryChildren` arrays nest the entry
//! dicts, one tab of indentation per level. The file is cut into chunks of a few MB at entry
//! `<dict>` lines ([`next_cut`]: the first child of an entry, or one after a sibling; the
//! indentation tells how many entries are open around it). Threads take the chunks in
//! order, each scanning and building its own; the calling thread reads the first chunk,
//! straight into the registry that will be the result, then stitches each chunk as soon as
//! it and those before it are read ([`Stitcher`]): the chunk's entries are appended, the
//! entries left open at a cut get the keys the next chunks read of them (`ioreg` writes
//! keys sorted, so an entry's ID and name come after its children), and the classes a chunk
//! named are interned in the order one thread would have interned them.
//!
//! A cut is a guess until the chunk before it gets there: it ends there only if an entry
//! `<dict>` begins exactly at the cut, inside the elements the next chunk assumed, while its
//! builder waits for the next child of an entry (`Events::xml_chunk`). Otherwise it reads
//! on to the next cut and the chunk that began at the wrong one is left out.
//!
//! The chunked read is only a faster way to the same result: anything a chunk cannot decide
//! alone (an error, a warning, a limit only the chunks together pass, a key both sides of a
//! cut set, an `ioscope:format` key past the first cut, a panicking thread…) gives `None`:
//! the caller then reads the file on one thread, which gives the exact error or result.
//! `tests` compare the two on every corpus archive, at many chunk sizes and thread counts.

use super::events::{Cuts, Events, Stop};
use super::xml::entry_stack;
use super::{Builder, Closed, Deferred, Frame, Marks, OUTER, Place, Scratch, Who};
use crate::formats::release::Release;
use crate::formats::{ReadError, ValueMode};
use crate::registry::{Budget, ClassId, EntryId, Limits, Properties, Registry, Text, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

/// XML archives from this size on are read in chunks. Measured on 2 busy cores (best of 8,
/// ms, one thread / chunks): 1.8 MB 5.1 / 5.0, 3.9 MB 10.7 / 9.4, 8 MB 20.0 / 15.5,
/// 16 MB 30.4 / 19.3, 104 MB 196 / 112.
pub(super) const CHUNKED_AT_LEAST: usize = 4 << 20;

/// How many chunks a file of `len` bytes is cut into for `threads` threads: chunks of about
/// [`CHUNK_BYTES`], at least [`CHUNKS_PER_THREAD`] per thread. A thread that finishes early
/// takes another: chunks of equal bytes hold unequal work (entries, nesting), and on a busy
/// machine threads get unequal shares of the cores.
pub(super) fn chunks_for(len: usize, threads: usize) -> usize {
    (len / CHUNK_BYTES).max(threads * CHUNKS_PER_THREAD)
}

const CHUNK_BYTES: usize = 3 << 20;
const CHUNKS_PER_THREAD: usize = 4;

/// Where a chunk after the first begins: an entry `<dict>`, `levels` entry dicts open around it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Cut {
    at: usize,
    levels: usize,
}

/// How the file is cut.
#[derive(Debug)]
struct Plan {
    /// The root dict is inside a `<plist>` element.
    plist: bool,
    /// An `ioscope:format` key comes before the first cut: the chunks after it read the
    /// archive as ioscope's (checked when they are stitched).
    ours: bool,
    /// The starts of the chunks after the first, in file order.
    cuts: Vec<Cut>,
}

impl Plan {
    /// The cuts from number `first` on, each with the elements open around it.
    fn cuts_from(&self, first: usize) -> Cuts {
        let list = (self.cuts[first..].iter())
            .map(|c| (c.at, entry_stack(self.plist, c.levels)))
            .collect();
        Cuts::new(first, list)
    }
}

const CHILDREN_KEY: &[u8] = b"<key>IORegistryEntryChildren</key>";

/// Cuts near `chunks` equal parts; `None` when no cut is found.
fn plan(bytes: &[u8], chunks: usize) -> Option<Plan> {
    let finder = memchr::memmem::Finder::new(b"<dict>\n");
    let mut cuts: Vec<Cut> = Vec::new();
    for i in 1..chunks {
        let target = bytes.len() / chunks * i;
        let from = cuts.last().map_or(0, |c| c.at + 1).max(target);
        let Some(cut) = next_cut(bytes, from, &finder) else {
            break;
        };
        cuts.push(cut);
    }
    let first = cuts.first()?.at;
    let head = &bytes[..first];
    let root = memchr::memmem::find(head, b"<dict")?;
    Some(Plan {
        plist: memchr::memmem::find(&head[..root], b"<plist").is_some(),
        ours: memchr::memmem::find(&head[..top_keys_end(head)], b"<key>ioscope:format</key>")
            .is_some(),
        cuts,
    })
}

/// Where the top dict's keys before its children end (`ioscope:format`, when there is one,
/// is the first key of the top dict: `write`).
fn top_keys_end(head: &[u8]) -> usize {
    memchr::memmem::find(head, CHILDREN_KEY).unwrap_or(head.len())
}

/// How far back [`next_cut`] looks for the array that holds a dict after a sibling.
const LOOK_BACK: usize = 64 << 10;

/// The first cut at or after `from`: a `<dict>` line indented by an even number of tabs
/// (two per entry level) that is the first child of an entry (after the lines
/// `<key>IORegistryEntryChildren</key>` and `<array>`, one tab less), or follows a sibling
/// (`</dict>`, as deep) in an array that, as far back as [`LOOK_BACK`], is an entry's
/// children. A guess all the same: the chunk before a cut tells whether it is one.
fn next_cut(bytes: &[u8], mut from: usize, finder: &memchr::memmem::Finder<'_>) -> Option<Cut> {
    while let Some(n) = finder.find(&bytes[from..]) {
        let dict = from + n;
        from = dict + 1;
        let line = memchr::memrchr(b'\n', &bytes[..dict]).map_or(0, |n| n + 1);
        let tabs = dict - line;
        if tabs < 2 || !tabs.is_multiple_of(2) || !bytes[line..dict].iter().all(|&c| c == b'\t') {
            continue;
        }
        let cut = Cut {
            at: dict,
            levels: tabs / 2,
        };
        let (above, above_tabs) = line_before(bytes, line)?;
        if above_tabs == tabs && above == b"</dict>" {
            if in_children(bytes, line, tabs) {
                return Some(cut);
            }
        } else if above_tabs + 1 == tabs && above == b"<array>" {
            let (key, key_tabs) = line_before(bytes, line - above.len() - above_tabs - 1)?;
            if key_tabs + 1 == tabs && key == CHILDREN_KEY {
                return Some(cut);
            }
        }
    }
    None
}

/// The line that ends just before the line starting at `line`: its text after its tabs, and
/// how many tabs.
fn line_before(bytes: &[u8], line: usize) -> Option<(&[u8], usize)> {
    let end = line.checked_sub(1)?;
    let start = memchr::memrchr(b'\n', &bytes[..end]).map_or(0, |n| n + 1);
    let text = &bytes[start..end];
    let tabs = text.iter().take_while(|&&c| c == b'\t').count();
    Some((&text[tabs..], tabs))
}

/// Whether the line at `line` (a dict `tabs` deep) lies, as far back as [`LOOK_BACK`], in an
/// entry's children: the first line above it that is less deep is `<array>` after
/// `<key>IORegistryEntryChildren</key>` (or there is none that near).
fn in_children(bytes: &[u8], mut line: usize, tabs: usize) -> bool {
    let stop = line.saturating_sub(LOOK_BACK);
    while line > stop {
        let Some((text, depth)) = line_before(bytes, line) else {
            return false;
        };
        let start = line - 1 - text.len() - depth;
        if depth < tabs {
            return depth + 1 == tabs
                && text == b"<array>"
                && line_before(bytes, start)
                    .is_some_and(|(key, d)| d + 1 == tabs && key == CHILDREN_KEY);
        }
        line = start;
    }
    true
}

/// What a chunk after the first read, handed back from its thread.
struct Piece {
    /// `Ok` when the document ended in the chunk (the last one).
    result: Result<(), ReadError>,
    stop: Option<Stop>,
    at_cut: bool,
    charged: u64,
    registry: Registry,
    tops: Vec<EntryId>,
    links: Vec<(EntryId, EntryId)>,
    starts: Vec<u64>,
    name_overrides: Vec<(EntryId, Text)>,
    location_overrides: Vec<(EntryId, Option<Text>)>,
    equal: Vec<EntryId>,
    differ: usize,
    root_named_root: bool,
    warnings: Vec<String>,
    plane: Option<String>,
    report: Option<Value>,
    ours: bool,
    keyed: bool,
    raw: usize,
    /// Innermost first, their properties in `props`.
    open: Vec<Frame>,
    props: Properties,
    closed: Vec<Closed>,
    deferred: Deferred,
}

impl Piece {
    /// Where the chunk's reading ended (every byte before it is behind its thread).
    fn end(&self, len: usize) -> usize {
        self.stop.map_or(len, |s| s.at)
    }
}

/// Reads chunk `k` (≥ 1) of the plan.
fn read_piece(
    bytes: &[u8],
    limits: &Limits,
    plan: &Plan,
    k: usize,
    release: Release<'_>,
    values: ValueMode,
) -> Piece {
    let cut = plan.cuts[k - 1];
    let budget = Budget::decoded(limits, bytes.len());
    let open = entry_stack(plan.plist, cut.levels);
    let cuts = plan.cuts_from(k);
    let events = Events::xml_chunk(bytes, (cut.at, open), cuts, release, limits, &budget);
    let mut b = Builder::new(events, limits, values);
    b.ours = plan.ours;
    b.deferred = Some(Deferred::default());
    let result = b.resume(cut.levels);
    Piece {
        result,
        stop: b.events.stopped().copied(),
        at_cut: b.at_cut,
        charged: b.events.charged(),
        registry: b.registry,
        tops: b.tops,
        links: b.links,
        starts: b.starts,
        name_overrides: b.name_overrides,
        location_overrides: b.location_overrides,
        equal: b.quirk.equal,
        differ: b.quirk.differ,
        root_named_root: b.quirk.root_named_root,
        warnings: b.warnings,
        plane: b.plane,
        report: b.report,
        ours: b.ours,
        keyed: b.keyed,
        raw: b.raw,
        open: b.open,
        props: b.props,
        closed: b.closed,
        deferred: b.deferred.unwrap_or_default(),
    }
}

/// Reads an XML archive in `chunks` chunks on up to `threads` threads: the registry and
/// whether its top dict had a `$archiver` key, exactly as [`super::read_xml`] on one thread
/// gives them; `None` when the file cannot be cut, or the chunks cannot tell (the caller
/// then reads it on one thread). `release` is called on this thread only.
///
/// This thread reads the first chunk, then stitches each chunk as soon as it and those
/// before it are read (while the other threads read on), and reads chunks no thread has
/// taken yet when it has nothing to stitch. Each chunk read releases the bytes before its
/// end (which may release some a slower thread still reads: they fault back in, from the
/// page cache), so the mapped pages resident stay about a chunk per thread.
pub(super) fn read(
    bytes: &[u8],
    limits: &Limits,
    release: Release<'_>,
    threads: usize,
    chunks: usize,
    values: ValueMode,
) -> Option<(Registry, bool)> {
    let plan = plan(bytes, chunks)?;
    let plan = &plan;
    let next = AtomicUsize::new(1);
    // Chunk `k` (≥ 1) to read, or none left.
    let take = || Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&k| k <= plan.cuts.len());
    let (tx, rx) = std::sync::mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads.clamp(2, plan.cuts.len() + 1))
            .map(|_| {
                let (tx, take) = (tx.clone(), &take);
                scope.spawn(move || {
                    // The workers' releases reach the hook on this thread.
                    let release = |upto: usize| {
                        let _ = tx.send(Done::Release(upto));
                    };
                    while let Some(k) = take() {
                        let piece = read_piece(bytes, limits, plan, k, &release, values);
                        release(piece.end(bytes.len()));
                        let _ = tx.send(Done::Piece(k, Box::new(piece)));
                    }
                })
            })
            .collect();
        drop(tx);
        let mut read: Vec<Option<Piece>> = (0..plan.cuts.len()).map(|_| None).collect();
        let arrived = std::cell::RefCell::new(Vec::new());
        let receive = |done: Done| match done {
            Done::Release(upto) => release(upto),
            Done::Piece(k, piece) => arrived.borrow_mut().push((k, piece)),
        };
        let forward = |upto: usize| {
            release(upto);
            while let Ok(done) = rx.try_recv() {
                receive(done);
            }
        };
        let budget = Budget::decoded(limits, bytes.len());
        let cuts = plan.cuts_from(0);
        let events = Events::xml_chunk(bytes, (0, Vec::new()), cuts, &forward, limits, &budget);
        let mut first = Builder::new(events, limits, values);
        let result = first.document();
        release(first.events.stopped().map_or(bytes.len(), |s| s.at));
        let mut stitcher = Stitcher::new(first, result, plan, limits);
        while let Some(st) = &mut stitcher {
            while let Ok(done) = rx.try_recv() {
                receive(done);
            }
            for (k, piece) in arrived.borrow_mut().drain(..) {
                read[k - 1] = Some(*piece);
            }
            let Some(k) = st.wants() else {
                break;
            };
            if let Some(piece) = read[k].take() {
                if st.add(piece).is_none() {
                    stitcher = None;
                }
            } else if let Some(k) = take() {
                let piece = read_piece(bytes, limits, plan, k, &forward, values);
                release(piece.end(bytes.len()));
                read[k - 1] = Some(piece);
            } else {
                // Wait for a worker (a panicking one drops its sender: then all are gone).
                match rx.recv() {
                    Ok(done) => receive(done),
                    Err(_) => stitcher = None,
                }
            }
        }
        // No chunk is taken any more; every worker joined here (a panic is no result, not
        // the load's end).
        next.store(usize::MAX / 2, Ordering::Relaxed);
        while let Ok(done) = rx.recv() {
            if let Done::Release(upto) = done {
                release(upto);
            }
        }
        let panicked = workers.into_iter().any(|w| w.join().is_err());
        stitcher.filter(|_| !panicked)?.finish()
    })
}

/// What a worker hands this thread: bytes to release, or a chunk read.
enum Done {
    Release(usize),
    Piece(usize, Box<Piece>),
}

/// An entry dict open at a cut: its id, place, depth, and what the chunks so far read of it.
struct Pending {
    id: EntryId,
    place: Place,
    depth: usize,
    s: Scratch,
    props: Properties,
}

/// Whether the entries open when a chunk stopped at `cut` (between two children: `at_cut`)
/// are as many as the next chunk assumed, each one level deeper.
fn cut_checks_out(at_cut: bool, cut: Cut, open: &[Pending]) -> bool {
    at_cut && open.len() == cut.levels && open.iter().enumerate().all(|(i, p)| p.depth == i + 1)
}

/// The frames a chunk left open (innermost first, properties at the top of `props`), each
/// with its properties, outermost first.
fn frames(open: Vec<Frame>, props: &mut Properties) -> Vec<(Frame, Properties)> {
    let mut out: Vec<(Frame, Properties)> = open
        .into_iter()
        .map(|f| {
            let p = props.drain(f.base.min(props.len())..).collect();
            (f, p)
        })
        .collect();
    out.reverse();
    out
}

/// Joins the first chunk's builder and the other chunks, one at a time in file order, into
/// the registry one thread would have read; `None` where they cannot tell.
struct Stitcher<'a, 'p> {
    /// The first chunk's builder, which every chunk joins.
    g: Builder<'a>,
    plan: &'p Plan,
    limits: &'p Limits,
    /// The entry dicts open where the last chunk stopped, outermost first.
    pending: Vec<Pending>,
    /// Where the last chunk stopped (`None`: at the end of the document).
    stop: Option<Stop>,
    /// It stopped between two children.
    at_cut: bool,
}

impl<'a, 'p> Stitcher<'a, 'p> {
    fn new(
        mut g: Builder<'a>,
        first: Result<(), ReadError>,
        plan: &'p Plan,
        limits: &'p Limits,
    ) -> Option<Self> {
        // The first chunk read the whole file when no cut was one (it checks them as it goes).
        let stop = match (first, g.events.stopped().copied()) {
            (Ok(()), None) => None,
            (Err(_), Some(stop)) => Some(stop),
            _ => return None,
        };
        let mut pending = Vec::new();
        for (f, props) in frames(std::mem::take(&mut g.open), &mut g.props) {
            let Who::Entry(id, place) = f.who else {
                return None;
            };
            pending.push(Pending {
                id,
                place,
                depth: f.depth,
                s: f.s,
                props,
            });
        }
        let at_cut = g.at_cut;
        Some(Stitcher {
            g,
            plan,
            limits,
            pending,
            stop,
            at_cut,
        })
    }

    /// The chunk to join next: the one that begins where the last one stopped (those whose
    /// start was no cut are left out: the chunk before read through them); `None` at the end.
    fn wants(&self) -> Option<usize> {
        self.stop.map(|s| s.cut)
    }

    /// Joins the chunk [`Stitcher::wants`].
    fn add(&mut self, mut piece: Piece) -> Option<()> {
        let k = self.wants()?;
        let cut = self.plan.cuts[k];
        if !cut_checks_out(self.at_cut, cut, &self.pending)
            || self.plan.ours != self.g.ours
            || piece.ours != self.g.ours
            || !piece.warnings.is_empty()
            || piece.keyed
        {
            return None;
        }
        self.g.events.charge_more(piece.charged).ok()?;
        let base = self.g.registry.len();
        let local = piece.registry.len();
        if base + local > self.limits.max_entries {
            return None;
        }
        let outer: Vec<EntryId> = self.pending.iter().map(|p| p.id).collect();
        let map_id = |e: EntryId| -> Option<EntryId> {
            if (e.0 as usize) < local {
                Some(EntryId((base + e.0 as usize) as u32))
            } else {
                outer.get((OUTER - e.0) as usize).copied()
            }
        };
        // Classes, overrides, evidence and the ends of outer entries, in file order.
        let deferred = std::mem::take(&mut piece.deferred);
        let mut classes = Interning::new(&deferred);
        let mut done = Marks::default();
        for closed in std::mem::take(&mut piece.closed) {
            splice(
                &mut self.g,
                &piece,
                &mut classes,
                done,
                closed.marks,
                self.limits,
                &map_id,
            )?;
            done = closed.marks;
            let mut p = self.pending.pop()?;
            if !p.s.merge(closed.s) {
                return None;
            }
            p.props.extend(closed.properties);
            let base = self.g.props.len();
            self.g.props.append(&mut p.props);
            self.g.apply(p.id, p.s, p.place, base).ok()?;
        }
        let all = Marks {
            requests: deferred.ends.len(),
            name_overrides: piece.name_overrides.len(),
            location_overrides: piece.location_overrides.len(),
            equal: piece.equal.len(),
        };
        splice(
            &mut self.g,
            &piece,
            &mut classes,
            done,
            all,
            self.limits,
            &map_id,
        )?;
        for i in 0..local {
            let mut e = std::mem::take(piece.registry.entry_mut(EntryId(i as u32)));
            if let Some(c) = e.class {
                e.class = Some(classes.global(c)?);
            }
            self.g.registry.add_entry(e);
        }
        for &(p, c) in &piece.links {
            self.g.links.push((map_id(p)?, map_id(c)?));
        }
        for &t in &piece.tops {
            self.g.tops.push(map_id(t)?);
        }
        self.g.starts.extend_from_slice(&piece.starts);
        self.g.quirk.differ += piece.differ;
        self.g.quirk.root_named_root |= piece.root_named_root;
        self.g.raw += piece.raw;
        if piece.plane.is_some() {
            self.g.plane = piece.plane.take();
        }
        if piece.report.is_some() {
            self.g.report = piece.report.take();
        }
        // What the chunk left open: the outer entries still open, then its own.
        for (level, (f, props)) in frames(std::mem::take(&mut piece.open), &mut piece.props)
            .into_iter()
            .enumerate()
        {
            match f.who {
                Who::Outer(l) => {
                    let p = self.pending.get_mut(l).filter(|_| l == level)?;
                    if !p.s.merge(f.s) {
                        return None;
                    }
                    p.props.extend(props);
                }
                Who::Entry(id, place) => {
                    if level != self.pending.len() {
                        return None;
                    }
                    let place = match place {
                        Place::Child(parent) => Place::Child(map_id(parent)?),
                        top => top,
                    };
                    self.pending.push(Pending {
                        id: map_id(id)?,
                        place,
                        depth: f.depth,
                        s: f.s,
                        props,
                    });
                }
            }
        }
        self.stop = match (&piece.result, piece.stop) {
            (Ok(()), None) => None,
            (Err(_), Some(next)) if next.cut > k => Some(next),
            _ => return None,
        };
        self.at_cut = piece.at_cut;
        Some(())
    }

    /// The registry, once the last chunk is joined.
    fn finish(self) -> Option<(Registry, bool)> {
        if self.stop.is_some() || !self.pending.is_empty() || self.g.keyed {
            return None;
        }
        self.g.finish().ok().map(|registry| (registry, false))
    }
}

/// A chunk's classes interned into the registry's table, as one thread would have interned
/// them: request by request (each one's names base first, each linked to the one before,
/// as `ClassTable::try_intern_chain` does), with the chunk's ids mapped as they come.
struct Interning<'d> {
    deferred: &'d Deferred,
    global: Vec<Option<ClassId>>,
    /// Requests done, and where the next begins in `deferred.ids`.
    done: usize,
    from: usize,
}

impl<'d> Interning<'d> {
    fn new(deferred: &'d Deferred) -> Self {
        Interning {
            deferred,
            global: vec![None; deferred.classes.len()],
            done: 0,
            from: 0,
        }
    }

    /// Interns the requests before `upto`; `None` past the `classes` limit.
    fn to(&mut self, g: &mut Builder<'_>, upto: usize, max: usize) -> Option<()> {
        let d = self.deferred;
        let classes = &mut g.registry.classes;
        for &end in &d.ends[self.done..upto] {
            let mut parent = None;
            for &l in &d.ids[self.from..end as usize] {
                let id = match self.global[l as usize] {
                    Some(id) => id,
                    None => {
                        let id = classes.try_intern(d.classes.name(ClassId(l)), max).ok()?;
                        self.global[l as usize] = Some(id);
                        id
                    }
                };
                if let Some(p) = parent {
                    classes.set_superclass(id, p);
                }
                parent = Some(id);
            }
            self.from = end as usize;
        }
        self.done = upto;
        Some(())
    }

    fn global(&self, local: ClassId) -> Option<ClassId> {
        *self.global.get(local.0 as usize)?
    }
}

/// The part of a chunk's post-order work between two marks: its classes interned, its
/// overrides and `IOObjectClass` evidence moved to the registry's builder.
fn splice(
    g: &mut Builder<'_>,
    piece: &Piece,
    classes: &mut Interning<'_>,
    from: Marks,
    to: Marks,
    limits: &Limits,
    map_id: &dyn Fn(EntryId) -> Option<EntryId>,
) -> Option<()> {
    classes.to(g, to.requests, limits.max_classes)?;
    for (e, n) in &piece.name_overrides[from.name_overrides..to.name_overrides] {
        g.name_overrides.push((map_id(*e)?, n.clone()));
    }
    for (e, l) in &piece.location_overrides[from.location_overrides..to.location_overrides] {
        g.location_overrides.push((map_id(*e)?, l.clone()));
    }
    for e in &piece.equal[from.equal..to.equal] {
        g.quirk.equal.push(map_id(*e)?);
    }
    Some(())
}

#[cfg(test)]
pub(super) mod tests;
