//! Reading a large dump on several threads (issue 22), to the very model the one-thread
//! reader builds.
//!
//! A real dump is one tree under Root, so it can be cut before any tree line (`+-o`): the
//! line's column gives its depth, whatever came before. The file is cut into a few chunks
//! per thread at tree lines near equal byte offsets; the threads count the chunks' lines (so
//! line numbers stay the file's), then take the chunks in file order and read each with the
//! one-thread [`Reader`],
//! which looks one line past the chunk's end as it would in the whole file and stops
//! before the next chunk's first line. A later chunk starts with blank nodes in place of
//! the entries open above its first line (`Reader::open_placeholders`). The pieces are
//! then stitched in file order, each as soon as it and the chunks before it are read: a
//! chunk's placeholders become the entries the chunks before it left open, its classes are
//! interned after theirs, its counts, clipped lines and warnings are added after theirs, and
//! its entries go into the registry through the one-thread reader's flush, node by node
//! (`tree::Flusher`: the ID merging sees the same nodes in the same order), while the
//! chunks after it are still being read. Each chunk's thread asks for the mapped pages
//! behind it to be released (`formats::load_file`); the reading thread, whose hook that
//! is, calls it.
//!
//! The chunked read is only a shortcut: whenever a chunk meets anything the chunks before
//! it could change (a plane header, text before its first tree line, a class chain, a
//! first line deeper than what the chunks before left open, a value that runs over the cut),
//! fails in any way (an error, a panic, a thread that cannot start) or the chunks together
//! cross a limit (entries, classes), the result is thrown away and the one-thread reader
//! reads the file: its result and its error are the reference.

use super::tree::{Flusher, Later, PlaneGuess};
use super::{MAX_WARNINGS, Piece, Reader, lines};
use crate::formats::parallel::read_threads;
use crate::formats::release::Release;
use crate::formats::{Limits, ReadError, ValueMode};
use crate::registry::{ClassId, Registry};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// Files smaller than this are read on one thread (two threads gain nothing measurable
/// below it: the threads' start and the stitch cost about what they save).
const PARALLEL_AT_LEAST: usize = 4 << 20;
/// No chunk is smaller than this.
const MIN_CHUNK: usize = 2 << 20;
/// Chunks per thread: the threads take them in file order, so the first chunks are read
/// (and their entries flushed on the reading thread) while the last ones are still being
/// read, and a thread that finishes early takes more.
const CHUNKS_PER_THREAD: usize = 4;
/// Set (to anything) to print each chunk's read time and the stitch time on stderr.
const TIMES_VAR: &str = "IOSCOPE_CHUNK_TIMES";

/// Why the chunked read gave the file back to the one-thread reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// Indented with tabs or a margin: tree lines cannot be told from the raw bytes.
    NotPlain,
    /// Too small, or no tree line to cut at.
    OneChunk,
    /// A thread could not start, or panicked.
    Thread,
    /// A chunk failed (a read error or a limit, or what only the first chunk may hold).
    Chunk,
    /// A chunk read past its end (a value that runs over the cut).
    Overran,
    /// Something before a chunk's first tree line, or a class chain in a later chunk.
    Unusual,
    /// A chunk's first line is deeper than the entries open above it.
    Detached,
    /// The chunks together crossed a limit.
    Limit,
}

/// The chunked read of `bytes` when the file is large enough and several threads may read
/// it; `None` when the one-thread reader should read it (also when the chunked read gave
/// up). `release` and `values` as in [`super::read_releasing`], `release` called on this
/// thread.
pub(super) fn read(
    bytes: &[u8],
    limits: &Limits,
    release: Option<Release<'_>>,
    values: ValueMode,
) -> Option<Registry> {
    if bytes.len() < PARALLEL_AT_LEAST {
        return None;
    }
    let threads = read_threads();
    if threads < 2 {
        return None;
    }
    read_in_chunks(bytes, limits, threads, MIN_CHUNK, release, values)
        .ok()
        .map(|(registry, _)| registry)
}

/// Test hook: the chunked read on `threads` threads, with chunks of at least `min_chunk`
/// bytes, and the one-thread read when it gives up. Also says how many chunks were read, or
/// why not.
#[cfg(test)]
pub(crate) fn read_chunked(
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    min_chunk: usize,
    release: Option<Release<'_>>,
) -> (Result<Registry, ReadError>, Result<usize, Fallback>) {
    match read_in_chunks(bytes, limits, threads, min_chunk, release, ValueMode::Keep) {
        Ok((registry, chunks)) => (Ok(registry), Ok(chunks)),
        Err(why) => (Reader::new(bytes, limits).run(), Err(why)),
    }
}

/// A chunk's read time and its thread's CPU time, in ms.
type Times = (f64, f64);

/// A dump that starts so makes every chunk's thread after the first panic (test).
#[cfg(test)]
pub(crate) const PANIC_IN_LATER_CHUNKS: &[u8] = b"+-o PanicInLaterChunks ";

/// One chunk: where it starts and where the next begins, and the lines before it.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    start: usize,
    stop: usize,
    lines_before: usize,
}

/// The registry and the number of chunks read.
pub(super) fn read_in_chunks(
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    min_chunk: usize,
    release: Option<Release<'_>>,
    values: ValueMode,
) -> Result<(Registry, usize), Fallback> {
    let timed = std::env::var_os(TIMES_VAR).is_some();
    let t0 = Instant::now();
    let end = lines::Lines::new(bytes, false)
        .plain_line_end()
        .ok_or(Fallback::NotPlain)?;
    let wanted = (threads * CHUNKS_PER_THREAD).min(bytes.len() / min_chunk.max(1));
    let starts = cut_points(bytes, end, wanted);
    if let Some(release) = release {
        // Finding the cuts touched a page at each (a large folio of the page cache maps
        // whole, up to 2 MB each): the counting and the reading will come back to them.
        release(bytes.len());
    }
    if starts.len() < 2 {
        return Err(Fallback::OneChunk);
    }
    let threads = threads.min(starts.len());
    let chunks = number_lines(bytes, end, &starts, threads, release)?;
    let t1 = Instant::now();
    let (registry, times) = read_and_stitch(bytes, limits, &chunks, threads, release, values)?;
    if timed {
        let each: Vec<String> = times
            .chunks
            .iter()
            .map(|(wall, cpu)| format!("{wall:.1}/{cpu:.1}"))
            .collect();
        eprintln!(
            "text chunks: {} of ~{:.1} MB; cut and count {:.1} ms, read {:.1} ms (each, \
             wall/thread CPU: {}); stitched and flushed meanwhile {:.1} ms, the last chunk {:.1} ms, \
             then {:.1} ms",
            chunks.len(),
            bytes.len() as f64 / chunks.len() as f64 / 1e6,
            (t1 - t0).as_secs_f64() * 1e3,
            (times.read_all - t1).as_secs_f64() * 1e3,
            each.join(" "),
            times.flushed_meanwhile * 1e3,
            times.flushed_last * 1e3,
            times.read_all.elapsed().as_secs_f64() * 1e3,
        );
    }
    Ok((registry, chunks.len()))
}

/// Where the chunks start: 0, then the first tree line after each of `wanted - 1` equally
/// spaced offsets (fewer where none is found).
fn cut_points(bytes: &[u8], end: u8, wanted: usize) -> Vec<usize> {
    let mut starts = vec![0];
    for k in 1..wanted {
        let target = bytes.len() / wanted * k;
        let from = target.max(starts[starts.len() - 1] + 1);
        if let Some(at) = next_tree_line(bytes, from, end) {
            starts.push(at);
        }
    }
    starts.dedup();
    starts
}

/// The start of the first tree line that starts after `from`.
fn next_tree_line(bytes: &[u8], from: usize, end: u8) -> Option<usize> {
    let mut pos = from;
    loop {
        let start = pos + memchr::memchr(end, bytes.get(pos..)?)? + 1;
        if start >= bytes.len() {
            return None;
        }
        if lines::tree_line(&bytes[start..]).is_some() {
            return Some(start);
        }
        pos = start;
    }
}

/// The chunks, with the lines before each counted on as many threads, `threads` chunks at a
/// time. The count touches every page the chunks will read: `release` gives back the pages of
/// each round of chunks before the next one is counted, so the file is not all resident at
/// once (the readers fault them back in from the page cache). The threads count too fast for
/// this thread to release pages while they count: rounds are what keeps them in step.
fn number_lines(
    bytes: &[u8],
    end: u8,
    starts: &[usize],
    threads: usize,
    release: Option<Release<'_>>,
) -> Result<Vec<Chunk>, Fallback> {
    let stops: Vec<usize> = starts[1..]
        .iter()
        .copied()
        .chain(std::iter::once(bytes.len()))
        .collect();
    let count = |k: usize| memchr::memchr_iter(end, &bytes[starts[k]..stops[k]]).count();
    let count = &count;
    // The last chunk's lines are needed by no chunk after it.
    let counted = starts.len() - 1;
    let mut counts = vec![0; starts.len()];
    for first in (0..counted).step_by(threads.max(1)) {
        let round = first..(first + threads.max(1)).min(counted);
        std::thread::scope(|s| {
            let handles: Vec<_> = (round.start + 1..round.end)
                .map(|k| std::thread::Builder::new().spawn_scoped(s, move || count(k)))
                .collect();
            counts[round.start] = count(round.start);
            // Every thread is joined, whatever the others did.
            let mut ok = true;
            for (k, h) in (round.start + 1..round.end).zip(handles) {
                match h.map(|h| h.join()) {
                    Ok(Ok(n)) => counts[k] = n,
                    _ => ok = false,
                }
            }
            if ok { Ok(()) } else { Err(Fallback::Thread) }
        })?;
        if let Some(release) = release {
            release(stops[round.end - 1]);
        }
    }
    let mut before = 0;
    let mut chunks = Vec::with_capacity(starts.len());
    for ((&start, &stop), count) in starts.iter().zip(&stops).zip(counts) {
        chunks.push(Chunk {
            start,
            stop,
            lines_before: before,
        });
        before += count;
    }
    // The last chunk reads to the end of the file.
    if let Some(last) = chunks.last_mut() {
        last.stop = usize::MAX;
    }
    Ok(chunks)
}

/// Grows this thread's glibc arena to about `bytes` (at most one 64 MB heap) at once.
///
/// glibc gives each reader thread an arena of its own (what they need: see
/// `app::loader::one_malloc_arena`), whose heap grows with one `mprotect` per page a small
/// allocation needs: 21,500 calls for a 90 MB dump read on two threads, each taking the
/// process's memory-map lock that the other thread's page faults wait for. Blocks just
/// under the `mmap` threshold, allocated and freed, grow the heap a block at a time; freed,
/// the heap's pages are given back (`MADV_DONTNEED`) but it stays open for use without
/// `mprotect`: 1,000 calls, half the system time, the same peak memory (`ioscope stats`:
/// 29 MB of real text read in 89 ms instead of 101, the 90 MB dump in 215 instead of 231).
fn grow_arena(bytes: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const BLOCK: usize = 120 << 10;
        const HEAP: usize = 60 << 20;
        let blocks: Vec<Vec<u8>> = (0..bytes.min(HEAP) / BLOCK)
            .map(|_| Vec::with_capacity(BLOCK))
            .collect();
        drop(std::hint::black_box(blocks));
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = bytes;
}

/// The next chunk to take from `next`, of `n`.
fn take(next: &AtomicUsize, n: usize) -> Option<usize> {
    let k = next.fetch_add(1, Ordering::Relaxed);
    (k < n).then_some(k)
}

/// What a chunk's thread says to the reading thread.
enum Message {
    /// Release the pages before this offset (the hook is the reading thread's).
    Release(usize),
    /// Chunk `k` is read.
    Done(usize, Box<Result<(Piece, Times), ReadError>>),
}

/// When every chunk was read and stitched, each chunk's times, and the time spent
/// stitching and flushing (in s) earlier chunks while later ones were still being read.
struct StitchTimes {
    read_all: Instant,
    chunks: Vec<Times>,
    flushed_meanwhile: f64,
    /// The last chunk's stitch and flush.
    flushed_last: f64,
}

/// Reads every chunk on its own thread, and stitches each one as soon as it and the chunks
/// before it are read (their entries go into the registry while later chunks are read).
///
/// A release hook frees everything before the offset it is given, so a later chunk's
/// request covers the chunks before it too: what they still read faults back in from the
/// page cache (the hook's contract: released bytes stay readable), at the cost of a few
/// pages each time, while every chunk's pages go behind it as with one thread.
fn read_and_stitch(
    bytes: &[u8],
    limits: &Limits,
    chunks: &[Chunk],
    threads: usize,
    release: Option<Release<'_>>,
    values: ValueMode,
) -> Result<(Registry, StitchTimes), Fallback> {
    let releasing = release.is_some();
    let mut stitch = Stitch::new(limits, chunks.len());
    let mut times = StitchTimes {
        read_all: Instant::now(),
        chunks: vec![(0.0, 0.0); chunks.len()],
        flushed_meanwhile: 0.0,
        flushed_last: 0.0,
    };
    // The next chunk to read; past the end once a chunk failed (the rest is not needed).
    let queue = AtomicUsize::new(0);
    let queue = &queue;
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<Message>();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                std::thread::Builder::new().spawn_scoped(s, move || {
                    let releaser = tx.clone();
                    let hook = move |upto: usize| {
                        let _ = releaser.send(Message::Release(upto));
                    };
                    let hook: Option<Release<'_>> = releasing.then_some(&hook);
                    grow_arena(bytes.len() / threads * 3);
                    while let Some(k) = take(queue, chunks.len()) {
                        let piece = read_piece(bytes, limits, k, chunks[k], hook, values);
                        let _ = tx.send(Message::Done(k, Box::new(piece)));
                    }
                })
            })
            .collect();
        drop(tx);
        // Pieces in file order: those that came before their turn wait here.
        let mut waiting: Vec<Option<Result<(Piece, Times), ReadError>>> =
            chunks.iter().map(|_| None).collect();
        let mut next = 0;
        let mut failed = None;
        for message in rx {
            match message {
                Message::Release(upto) => {
                    if let Some(release) = release {
                        release(upto);
                    }
                }
                Message::Done(k, piece) => {
                    waiting[k] = Some(*piece);
                    while failed.is_none() && next < chunks.len() {
                        let Some(piece) = waiting[next].take() else {
                            break;
                        };
                        let began = Instant::now();
                        let taken = match piece {
                            Ok((piece, t)) => {
                                times.chunks[next] = t;
                                stitch.take(piece, &chunks[next])
                            }
                            Err(_) => Err(Fallback::Chunk),
                        };
                        if let Err(why) = taken {
                            failed = Some(why);
                            queue.store(chunks.len(), Ordering::Relaxed);
                        }
                        next += 1;
                        let spent = began.elapsed().as_secs_f64();
                        if next < chunks.len() {
                            times.flushed_meanwhile += spent;
                        } else {
                            times.flushed_last = spent;
                        }
                    }
                }
            }
        }
        times.read_all = Instant::now();
        // Every thread is joined, whatever the others did: one that could not start or
        // panicked sent no piece.
        for h in handles {
            if !h.is_ok_and(|h| h.join().is_ok()) {
                failed = failed.or(Some(Fallback::Thread));
            }
        }
        if next < chunks.len() {
            failed = failed.or(Some(Fallback::Thread));
        }
        match failed {
            Some(why) => Err(why),
            None => Ok(()),
        }
    })?;
    Ok((stitch.finish()?, times))
}

/// Reads chunk `k` (the first reads as the one-thread reader does; the others start with
/// placeholders for the entries open above them).
fn read_piece(
    bytes: &[u8],
    limits: &Limits,
    k: usize,
    chunk: Chunk,
    release: Option<Release<'_>>,
    values: ValueMode,
) -> Result<(Piece, Times), ReadError> {
    let began = Instant::now();
    let cpu = thread_cpu_ms();
    #[cfg(test)]
    if k > 0 && bytes.starts_with(PANIC_IN_LATER_CHUNKS) {
        panic!("a chunk's thread panics (test)");
    }
    let mut reader = Reader::new(bytes, limits);
    reader.lines = reader.lines.starting_at(chunk.start, chunk.lines_before);
    if let Some(release) = release {
        reader.lines = reader.lines.releasing(release);
    }
    reader.stop = chunk.stop;
    reader.chunk = k > 0;
    reader.values = values;
    // About one entry per 400 bytes of a `-l` dump: the chunk's nodes grow once or twice,
    // not from nothing.
    let span = chunk.stop.min(bytes.len()) - chunk.start;
    reader.piece.segment.nodes.reserve(span / 400);
    reader.read_lines()?;
    let times = (began.elapsed().as_secs_f64() * 1e3, thread_cpu_ms() - cpu);
    Ok((reader.into_piece(), times))
}

/// The CPU time this thread has used, in ms (for [`TIMES_VAR`]: a chunk's cost apart from
/// what other work on the machine takes from it).
fn thread_cpu_ms() -> f64 {
    #[cfg(unix)]
    {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `clock_gettime` writes the time into `t`, a valid timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0 {
            return t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6;
        }
    }
    0.0
}

/// The pieces joined so far, in file order, into the one-thread reader's state; their
/// entries flushed into its registry as soon as the plane they go in is known.
struct Stitch<'l> {
    limits: &'l Limits,
    chunks: usize,
    /// Chunk 0's state, with the chunks after it added.
    whole: Option<Piece>,
    /// Nodes of the segment so far (flushed or not).
    placed: usize,
    /// The segment's plane when no header names it.
    guess: PlaneGuess,
    /// Once the plane is known.
    flusher: Option<Flusher>,
    /// Nodes not flushed yet, in order.
    unflushed: Vec<Later>,
}

impl<'l> Stitch<'l> {
    fn new(limits: &'l Limits, chunks: usize) -> Self {
        Stitch {
            limits,
            chunks,
            whole: None,
            placed: 0,
            guess: PlaneGuess::default(),
            flusher: None,
            unflushed: Vec::new(),
        }
    }

    /// Adds the next chunk's piece and flushes what can be.
    fn take(&mut self, piece: Piece, chunk: &Chunk) -> Result<(), Fallback> {
        check_end(&piece, chunk)?;
        let later = match &mut self.whole {
            None => {
                // The first chunk's nodes, as a piece with nothing to map.
                let mut piece = piece;
                let nodes = std::mem::take(&mut piece.segment.nodes);
                self.whole = Some(piece);
                Later {
                    nodes,
                    placeholders: 0,
                    outer: Vec::new(),
                    base: 0,
                    classes: Vec::new(),
                }
            }
            Some(whole) => add(whole, piece, self.placed, self.limits)?,
        };
        self.placed += later.len();
        if self.flusher.is_none() {
            self.guess.see(later.links());
        }
        self.unflushed.push(later);
        self.flush(false)
    }

    /// Flushes the nodes waiting, if their plane is known (`at_end`: it is now).
    fn flush(&mut self, at_end: bool) -> Result<(), Fallback> {
        let Some(whole) = &mut self.whole else {
            return Ok(());
        };
        if self.flusher.is_none() {
            let plane = match (&whole.segment.plane, self.guess.known()) {
                (Some(named), _) => named.clone(),
                (None, Some(guessed)) => guessed.to_owned(),
                (None, None) if at_end => self.guess.at_end().to_owned(),
                (None, None) => return Ok(()),
            };
            // About as many nodes in each chunk.
            let n = self.placed / self.unflushed.len().max(1) * self.chunks;
            self.flusher = Some(Flusher::new(
                plane,
                n,
                &mut whole.registry,
                &mut whole.by_id,
            ));
        }
        let Some(flusher) = &mut self.flusher else {
            return Ok(());
        };
        for later in self.unflushed.drain(..) {
            for node in later.into_nodes() {
                flusher
                    .add(
                        node,
                        &mut whole.registry,
                        &mut whole.by_id,
                        &mut whole.merged,
                    )
                    .map_err(|_| Fallback::Chunk)?;
            }
        }
        Ok(())
    }

    /// The registry, once every chunk is in.
    fn finish(mut self) -> Result<Registry, Fallback> {
        self.flush(true)?;
        let whole = self.whole.ok_or(Fallback::OneChunk)?;
        // The segment's nodes are flushed: what is left is the one-thread reader's end.
        Reader::resume(whole, self.limits)
            .finish()
            .map_err(|_| Fallback::Chunk)
    }
}

/// A chunk must stop exactly before the next chunk's first line (not inside it or after).
fn check_end(piece: &Piece, chunk: &Chunk) -> Result<(), Fallback> {
    let stopped = match piece.stopped_at {
        Some(at) => at == chunk.stop,
        None => chunk.stop == usize::MAX,
    };
    if stopped {
        Ok(())
    } else {
        Err(Fallback::Overran)
    }
}

/// Adds a later chunk's piece to the state of the chunks before it, whose segment holds
/// `placed` nodes; returns the chunk's nodes, to be flushed after those.
fn add(whole: &mut Piece, piece: Piece, placed: usize, limits: &Limits) -> Result<Later, Fallback> {
    let Piece {
        registry,
        segment,
        stack,
        total,
        style,
        numbers,
        properties,
        preamble,
        dropped_warnings,
        placeholders,
        chains,
        ..
    } = piece;
    if !preamble.is_empty() || chains || segment.plane.is_some() {
        return Err(Fallback::Unusual);
    }
    if placeholders > whole.stack.len() || segment.nodes.len() <= placeholders {
        return Err(Fallback::Detached);
    }
    whole.total += total;
    if whole.total > limits.max_entries {
        return Err(Fallback::Limit);
    }
    // Classes in the order this chunk met them, after those met before.
    let classes = &mut whole.registry.classes;
    let class_map = (0..registry.classes.len() as u32)
        .map(|i| classes.try_intern(registry.classes.name(ClassId(i)), limits.max_classes))
        .collect::<Result<Vec<ClassId>, _>>()
        .map_err(|_| Fallback::Limit)?;
    // Node `i` of the chunk: a placeholder is the entry open at that depth before it.
    let later = Later {
        outer: whole.stack[..placeholders].to_vec(),
        base: placed,
        nodes: segment.nodes,
        placeholders,
        classes: class_map,
    };
    whole.stack = stack.into_iter().map(|i| later.place(i)).collect();
    // The report: what the one-thread reader would have added after the chunks before.
    let report = registry.report;
    let into = &mut whole.registry.report;
    for warning in report.warnings {
        if into.warnings.len() < MAX_WARNINGS {
            into.warnings.push(warning);
        } else {
            whole.dropped_warnings += 1;
        }
    }
    whole.dropped_warnings += dropped_warnings;
    into.raw_values += report.raw_values;
    // `note_clipped` again line by line: the counts add up, the kept numbers stay bounded.
    let seen = into.clipped_lines + report.clipped_lines;
    for line in report.clipped_at {
        into.note_clipped(line);
    }
    into.clipped_lines = seen;
    if into.truncated.is_none() {
        into.truncated = report.truncated;
    }
    whole.numbers.hex += numbers.hex;
    whole.numbers.decimal += numbers.decimal;
    whole.properties |= properties;
    whole.style = whole.style.or(style);
    Ok(later)
}
