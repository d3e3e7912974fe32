//! ioscope recordings (`ioscope record`), read and written here.
//!
//! A recording is a registry over time: a full snapshot at the start, then one frame per
//! sample (`--interval`) saying what was published, terminated or changed since the sample
//! before (registry IDs, with the sample's time), and carrying the whole registry again
//! whenever something changed, so any moment can be read without replaying from the start.
//!
//! Encoding (version 1):
//! - 8 bytes of magic, `\x89IOSREC\n` (no plist, text dump or JSON starts so), then the
//!   version as a little-endian u16;
//! - frames, each a little-endian u32 length then that many bytes: one zstd frame holding
//!   one CBOR item (RFC 8949, `ciborium`). The first frame is the [`Header`], every other a
//!   `Frame`. A registry inside a frame is ioscope's JSON export of every plane
//!   (`docs/json-schema.md`), so a recording replays with the same reader as a JSON dump.
//!
//! Frames are compressed one by one so that a reader can skip to a moment without
//! decompressing the frames before it, and a recording cut short (the recorder killed) is
//! read up to its last whole frame.

use super::{Limits, ReadError};
use crate::registry::Registry;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

/// The first bytes of a recording.
pub(crate) const MAGIC: &[u8; 8] = b"\x89IOSREC\n";
/// The encoding version this build writes and reads.
pub const VERSION: u16 = 1;

/// What the recording is of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub version: u16,
    /// `live` or `demo`.
    pub source: String,
    /// When the first sample was taken, in milliseconds since the Unix epoch.
    pub start_unix_ms: u64,
    pub interval_ms: u64,
}

/// One sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Frame {
    /// Milliseconds since the first sample.
    pub t_ms: u64,
    /// Registry IDs published since the sample before.
    pub published: Vec<u64>,
    /// Registry IDs terminated since the sample before.
    pub terminated: Vec<u64>,
    /// Registry IDs whose retain count, state or properties changed.
    pub changed: Vec<u64>,
    /// The whole registry (JSON export, every plane) when anything changed; absent when the
    /// registry is the one of the frame before.
    #[serde(with = "serde_bytes", default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<Vec<u8>>,
}

/// Whether bytes are a recording.
pub fn is_recording(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Writes a recording sample by sample.
pub struct Recorder<W: Write> {
    out: W,
    last: Option<Sample>,
    frames: usize,
}

/// What a frame is compared with: per registry ID, the entry as it was.
struct Sample {
    entries: HashMap<u64, crate::registry::Entry>,
}

impl Sample {
    fn of(r: &Registry) -> Sample {
        Sample {
            entries: r
                .entries()
                .filter_map(|(_, e)| Some((e.id?, e.clone())))
                .collect(),
        }
    }
}

impl<W: Write> Recorder<W> {
    /// Starts a recording: magic, version, header.
    pub fn new(mut out: W, header: &Header) -> io::Result<Self> {
        out.write_all(MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        let mut r = Recorder {
            out,
            last: None,
            frames: 0,
        };
        r.item(header)?;
        Ok(r)
    }

    /// Adds the sample taken `t_ms` after the first; returns whether anything changed.
    pub fn sample(&mut self, t_ms: u64, registry: &Registry) -> io::Result<bool> {
        let now = Sample::of(registry);
        let (published, terminated, changed) = match &self.last {
            None => (Vec::new(), Vec::new(), Vec::new()),
            Some(before) => compare(before, &now),
        };
        let first = self.last.is_none();
        let any = first || !(published.is_empty() && terminated.is_empty() && changed.is_empty());
        let json = if any {
            let mut bytes = Vec::new();
            let all = crate::formats::Selection {
                all_planes: true,
                ..crate::formats::Selection::default()
            };
            crate::formats::write(registry, &all, crate::formats::DumpFormat::Json, &mut bytes)?;
            Some(bytes)
        } else {
            None
        };
        self.item(&Frame {
            t_ms,
            published,
            terminated,
            changed,
            registry: json,
        })?;
        self.last = Some(now);
        self.frames += 1;
        Ok(any)
    }

    /// Frames written so far (samples).
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Flushes and gives the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn item<T: Serialize>(&mut self, item: &T) -> io::Result<()> {
        let mut cbor = Vec::new();
        ciborium::into_writer(item, &mut cbor).map_err(io::Error::other)?;
        let packed = ruzstd::encoding::compress_to_vec(
            cbor.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let len = u32::try_from(packed.len()).map_err(io::Error::other)?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&packed)?;
        self.out.flush()
    }
}

fn compare(before: &Sample, now: &Sample) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let ids = |s: &Sample| s.entries.keys().copied().collect::<HashSet<u64>>();
    let (b, n) = (ids(before), ids(now));
    let mut published: Vec<u64> = n.difference(&b).copied().collect();
    let mut terminated: Vec<u64> = b.difference(&n).copied().collect();
    let mut changed: Vec<u64> = n
        .intersection(&b)
        .copied()
        .filter(|id| {
            let (x, y) = (&before.entries[id], &now.entries[id]);
            x.retain != y.retain || x.state != y.state || x.properties != y.properties
        })
        .collect();
    published.sort_unstable();
    terminated.sort_unstable();
    changed.sort_unstable();
    (published, terminated, changed)
}

/// A recording read back: the header and the frames, each kept compressed until asked for.
#[derive(Debug, Clone)]
pub struct Recording {
    pub header: Header,
    /// (time, offset of the compressed frame, its length, whether it holds a registry).
    frames: Vec<FrameIndex>,
    bytes: Vec<u8>,
    limits: Limits,
    /// The file ended inside a frame: what came before it is read.
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy)]
struct FrameIndex {
    t_ms: u64,
    at: usize,
    len: usize,
    has_registry: bool,
}

/// One decoded frame's summary, for the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub t_ms: u64,
    pub published: usize,
    pub terminated: usize,
    pub changed: usize,
}

impl Recording {
    /// Reads the frame index (every frame is decompressed once, registries are not parsed).
    pub fn read(bytes: &[u8], limits: &Limits) -> Result<Recording, ReadError> {
        if !is_recording(bytes) {
            return Err(ReadError::byte(
                0,
                "expected an ioscope recording (magic \\x89IOSREC)",
            ));
        }
        let version = bytes
            .get(8..10)
            .map(|v| u16::from_le_bytes([v[0], v[1]]))
            .ok_or_else(|| ReadError::byte(8, "expected the recording's version"))?;
        if version != VERSION {
            return Err(ReadError::byte(
                8,
                format!("recording version {version}: this ioscope reads version {VERSION}"),
            ));
        }
        let mut at = 10usize;
        let mut items: Vec<(usize, usize)> = Vec::new();
        let mut truncated = false;
        while at < bytes.len() {
            let Some(len) = bytes.get(at..at + 4) else {
                truncated = true;
                break;
            };
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            if bytes.len() - (at + 4) < len {
                truncated = true;
                break;
            }
            items.push((at + 4, len));
            at += 4 + len;
        }
        let rec = Recording {
            header: Header {
                version,
                source: String::new(),
                start_unix_ms: 0,
                interval_ms: 0,
            },
            frames: Vec::new(),
            bytes: bytes.to_vec(),
            limits: *limits,
            truncated,
        };
        let Some((&(h_at, h_len), rest)) = items.split_first() else {
            return Err(ReadError::byte(10, "expected the recording's header frame"));
        };
        let header: Header = rec.item(h_at, h_len)?;
        let mut frames = Vec::with_capacity(rest.len());
        for &(f_at, f_len) in rest {
            let f: Frame = rec.item(f_at, f_len)?;
            frames.push(FrameIndex {
                t_ms: f.t_ms,
                at: f_at,
                len: f_len,
                has_registry: f.registry.is_some(),
            });
        }
        if !frames.first().is_some_and(|f| f.has_registry) {
            return Err(ReadError::byte(
                10,
                "expected a first sample holding the whole registry",
            ));
        }
        Ok(Recording {
            header,
            frames,
            ..rec
        })
    }

    fn item<T: for<'de> Deserialize<'de>>(&self, at: usize, len: usize) -> Result<T, ReadError> {
        let packed = &self.bytes[at..at + len];
        let bad = |what: String| ReadError::byte(at as u64, what);
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(packed)
            .map_err(|e| bad(format!("expected a zstd frame: {e}")))?;
        let mut cbor = Vec::new();
        let cap = self.limits.max_decoded_bytes;
        let n = io::Read::read_to_end(&mut io::Read::take(&mut decoder, cap + 1), &mut cbor)
            .map_err(|e| bad(format!("expected a zstd frame: {e}")))?;
        if n as u64 > cap {
            return Err(bad(format!(
                "a frame decompresses to more than {cap} bytes (raise it with --limit decoded-bytes=N)"
            )));
        }
        ciborium::from_reader(cbor.as_slice())
            .map_err(|e| bad(format!("expected a CBOR frame: {e}")))
    }

    #[cfg(test)]
    /// How long the recording lasts, in milliseconds.
    pub(crate) fn duration_ms(&self) -> u64 {
        self.frames.last().map_or(0, |f| f.t_ms)
    }

    /// Every sample's time and what changed there.
    pub(crate) fn moments(&self) -> Result<Vec<Moment>, ReadError> {
        self.frames
            .iter()
            .map(|f| {
                let frame: Frame = self.item(f.at, f.len)?;
                Ok(Moment {
                    t_ms: frame.t_ms,
                    published: frame.published.len(),
                    terminated: frame.terminated.len(),
                    changed: frame.changed.len(),
                })
            })
            .collect()
    }

    /// The registry as it was `t_ms` after the start (the last sample at or before it).
    pub fn at(&self, t_ms: u64) -> Result<Registry, ReadError> {
        let last = self
            .frames
            .iter()
            .rposition(|f| f.t_ms <= t_ms && f.has_registry)
            .unwrap_or(0);
        let f = self.frames[last];
        let frame: Frame = self.item(f.at, f.len)?;
        let json = frame
            .registry
            .ok_or_else(|| ReadError::byte(f.at as u64, "expected a registry in this frame"))?;
        let mut registry = super::json::read(&json, &self.limits).map_err(|e| {
            ReadError::byte(f.at as u64, format!("the registry at {} ms: {e}", f.t_ms))
        })?;
        registry.report.origin = crate::registry::Origin::Recording;
        Ok(registry)
    }

    /// The registry at the end.
    pub(crate) fn last(&self) -> Result<Registry, ReadError> {
        self.at(u64::MAX)
    }

    /// `12.5` (seconds from the start) or an RFC 3339 time, as milliseconds from the start.
    pub fn parse_at(&self, text: &str) -> Result<u64, AtError> {
        if let Ok(secs) = text.trim().parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Ok((secs * 1000.0).round() as u64);
            }
            return Err(AtError::Negative(text.to_owned()));
        }
        let when = humantime::parse_rfc3339_weak(text.trim()).map_err(|e| AtError::Unreadable {
            text: text.to_owned(),
            reason: e,
        })?;
        let ms = when
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| AtError::Before1970(text.to_owned()))?
            .as_millis() as u64;
        ms.checked_sub(self.header.start_unix_ms)
            .ok_or_else(|| AtError::BeforeStart(text.to_owned()))
    }
}

/// Why [`Recording::parse_at`] could not read a time (each message starts with the text).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AtError {
    #[error("{0}: a time is seconds from the start, 0 or more")]
    Negative(String),
    #[error("{text}: expected seconds (12.5) or an RFC 3339 time: {reason}")]
    Unreadable {
        text: String,
        reason: humantime::TimestampError,
    },
    #[error("{0}: before 1970")]
    Before1970(String),
    #[error("{0}: before the recording started")]
    BeforeStart(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::session::LiveSession;

    fn header() -> Header {
        Header {
            version: VERSION,
            source: "demo".into(),
            start_unix_ms: 1_700_000_000_000,
            interval_ms: 1000,
        }
    }

    #[test]
    fn a_recording_replays_each_moment() {
        let mut session = crate::kernel::sim::demo_session();
        let first = session.walk(&mut |_| {}).unwrap();
        let mut rec = Recorder::new(Vec::new(), &header()).unwrap();
        assert!(rec.sample(0, &first).unwrap());
        assert!(!rec.sample(1000, &first).unwrap(), "nothing changed");
        // Unplug the demo's USB device: its services terminate.
        let mut second = first.clone();
        let gone = crate::kernel::sim::hotplug_target(&second).unwrap();
        let gone_id = second.entry(gone).id.unwrap();
        second.entry_mut(gone).retain = Some(99);
        assert!(rec.sample(2000, &second).unwrap());
        let bytes = rec.finish().unwrap();
        assert!(is_recording(&bytes));

        let r = Recording::read(&bytes, &Limits::default()).unwrap();
        assert_eq!(r.header, header());
        assert_eq!(r.duration_ms(), 2000);
        let moments = r.moments().unwrap();
        assert_eq!(moments.len(), 3);
        assert_eq!(moments[2].changed, 1);
        let at_start = r.at(1500).unwrap();
        let at_end = r.last().unwrap();
        let retain = |reg: &Registry| {
            let e = reg.find_by_id(gone_id).unwrap();
            reg.entry(e).retain
        };
        assert_eq!(retain(&at_end), Some(99));
        assert_ne!(retain(&at_start), Some(99));
        assert_eq!(at_start.entry_count(), first.entry_count());
        assert_eq!(r.parse_at("1.5"), Ok(1500));
        assert_eq!(r.parse_at("2023-11-14T22:13:21Z"), Ok(1000));
        assert!(r.parse_at("yesterday").is_err());
    }

    #[test]
    fn a_recording_cut_short_reads_up_to_its_last_whole_frame() {
        let mut session = crate::kernel::sim::demo_session();
        let reg = session.walk(&mut |_| {}).unwrap();
        let mut rec = Recorder::new(Vec::new(), &header()).unwrap();
        rec.sample(0, &reg).unwrap();
        rec.sample(1000, &reg).unwrap();
        let bytes = rec.finish().unwrap();
        let cut = &bytes[..bytes.len() - 3];
        let r = Recording::read(cut, &Limits::default()).unwrap();
        assert!(r.truncated);
        assert_eq!(r.duration_ms(), 0);
        assert!(Recording::read(&bytes[..12], &Limits::default()).is_err());
        assert!(Recording::read(b"\x89IOSREC\n\x02\x00", &Limits::default()).is_err());
    }
}
