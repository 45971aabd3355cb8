//! Framing (粘包/分包): cutting a byte stream into the messages its sender
//! meant, whatever the reads it arrived in. Pure: the worker feeds each
//! connection's reads to its own [`Framer`] and reports what comes out.

use crate::codec::text::PlainScan;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// What a frame that claims more than the maximum does to the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Oversize {
    /// Skip bytes until a header makes sense again.
    #[default]
    Resync,
    /// Close the connection.
    Close,
}

/// How a stream is cut into frames.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Framing {
    /// Each read (or datagram) is a record.
    #[default]
    None,
    /// A frame ends with `delim`, which stays in the frame when `keep`.
    Delimiter { delim: Vec<u8>, keep: bool },
    /// Every frame is `len` bytes.
    Fixed { len: usize },
    /// A length field of `width` bytes (1, 2 or 4) at `offset` bytes into
    /// the frame; the length counts the whole frame (`includes_header`) or
    /// only what follows the field. A frame longer than `max` is refused.
    LengthPrefix {
        width: u8,
        big_endian: bool,
        offset: usize,
        includes_header: bool,
        max: usize,
        on_oversize: Oversize,
    },
    /// A frame ends after `gap_ms` without data (the worker's timer ends it).
    Idle { gap_ms: u64 },
}

/// The most bytes a framer holds while it waits for a frame's end; a frame
/// that grows past it is handed on cut, so memory stays bounded whatever
/// the peer sends.
pub const MAX_PENDING: usize = 16 << 20;

/// What a framer hands on, in order; frames are ranges of
/// [`FrameBatch::data`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameOut {
    /// A whole frame.
    Frame(Range<usize>),
    /// Bytes that are not a whole frame: what was left at the end of the
    /// stream, or a frame cut at [`MAX_PENDING`].
    Partial(Range<usize>),
    /// A header claimed `claimed` bytes, more than the maximum; the
    /// stream is resynchronised or closed, as chosen.
    Oversize { claimed: u64, max: usize },
}

/// The frames of one or more pushes: their bytes back to back in one
/// buffer (one allocation for many small frames), and what each piece is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameBatch {
    pub data: Vec<u8>,
    pub outs: Vec<FrameOut>,
    /// Where the line feeds of `data` are, when the framer looked for
    /// them all (a delimiter that ends with one).
    pub scan: Option<PlainScan>,
}

impl FrameBatch {
    pub fn is_empty(&self) -> bool {
        self.outs.is_empty()
    }

    fn add(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.data.len();
        self.data.extend_from_slice(bytes);
        start..self.data.len()
    }

    fn frame(&mut self, bytes: &[u8]) {
        let r = self.add(bytes);
        self.outs.push(FrameOut::Frame(r));
    }

    /// `bytes` as a frame or a partial one, moved in when nothing else
    /// is held (no copy of a large held frame).
    fn take(&mut self, bytes: Vec<u8>, whole: bool) {
        let r = if self.data.is_empty() {
            self.data = bytes;
            0..self.data.len()
        } else {
            self.add(&bytes)
        };
        self.outs.push(if whole {
            FrameOut::Frame(r)
        } else {
            FrameOut::Partial(r)
        });
    }
}

impl Framing {
    pub fn is_none(&self) -> bool {
        matches!(self, Framing::None)
    }

    /// The idle gap after which a frame ends, for the worker's timer.
    pub fn idle_gap(&self) -> Option<std::time::Duration> {
        match self {
            Framing::Idle { gap_ms } => Some(std::time::Duration::from_millis(*gap_ms)),
            _ => None,
        }
    }

    /// Reads the command-line form: `none`, `line` (LF, kept), `crlf`,
    /// `delim:HEX[,strip]`, `fixed:N`, `len:W[be|le][,off=N][,incl][,max=N][,close]`,
    /// `idle:50ms`.
    pub fn parse(s: &str) -> Result<Framing, String> {
        let s = s.trim();
        // `line,strip` as well as `delim:0A,strip`.
        let (kind, rest) = s
            .split_once(':')
            .or_else(|| s.split_once(','))
            .unwrap_or((s, ""));
        let opts: Vec<&str> = rest.split(',').filter(|o| !o.is_empty()).collect();
        let bad = |what: &str| format!("'{s}': {what}");
        match kind.to_ascii_lowercase().as_str() {
            "none" => Ok(Framing::None),
            "line" | "lf" => Ok(Framing::Delimiter {
                delim: b"\n".to_vec(),
                keep: !opts.contains(&"strip"),
            }),
            "crlf" => Ok(Framing::Delimiter {
                delim: b"\r\n".to_vec(),
                keep: !opts.contains(&"strip"),
            }),
            "delim" => {
                let hex = opts
                    .first()
                    .ok_or_else(|| bad("delim:HEX, e.g. delim:0D0A"))?;
                let delim = super::parse_hex(hex).map_err(|e| bad(&e.to_string()))?;
                if delim.is_empty() {
                    return Err(bad("the delimiter is empty"));
                }
                Ok(Framing::Delimiter {
                    delim,
                    keep: !opts.get(1..).unwrap_or_default().contains(&"strip"),
                })
            }
            "fixed" => {
                let len: usize = rest
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PENDING).contains(n))
                    .ok_or_else(|| bad("fixed:N with N from 1 to 16777216"))?;
                Ok(Framing::Fixed { len })
            }
            "len" => {
                let spec = opts.first().copied().unwrap_or("2be");
                let (width, order) = spec.split_at(1.min(spec.len()));
                let width: u8 = width
                    .parse()
                    .ok()
                    .filter(|w| matches!(w, 1 | 2 | 4))
                    .ok_or_else(|| bad("a length of 1, 2 or 4 bytes (len:2be)"))?;
                let big_endian = match order {
                    "" | "be" => true,
                    "le" => false,
                    _ => return Err(bad("be or le after the width (len:2le)")),
                };
                let mut f = Framing::LengthPrefix {
                    width,
                    big_endian,
                    offset: 0,
                    includes_header: false,
                    max: 1 << 20,
                    on_oversize: Oversize::Resync,
                };
                if let Framing::LengthPrefix {
                    offset,
                    includes_header,
                    max,
                    on_oversize,
                    ..
                } = &mut f
                {
                    for o in opts.get(1..).unwrap_or_default() {
                        let num = |v: &str| v.parse::<usize>().map_err(|_| bad(o));
                        match o.split_once('=') {
                            Some(("off", v)) => *offset = num(v)?,
                            Some(("max", v)) => *max = num(v)?.clamp(1, MAX_PENDING),
                            None if *o == "incl" => *includes_header = true,
                            None if *o == "close" => *on_oversize = Oversize::Close,
                            _ => return Err(bad(&format!("unknown option '{o}'"))),
                        }
                    }
                }
                Ok(f)
            }
            "idle" => {
                let ms = parse_ms(rest)
                    .filter(|ms| (1..=3_600_000).contains(ms))
                    .ok_or_else(|| bad("idle:TIME, e.g. idle:50ms"))?;
                Ok(Framing::Idle { gap_ms: ms })
            }
            _ => Err(bad(
                "one of none, line, crlf, delim:HEX, fixed:N, len:2be, idle:50ms",
            )),
        }
    }
}

/// Cuts one connection's stream into frames.
#[derive(Debug, Clone)]
pub struct Framer {
    framing: Framing,
    /// The delimiter's searcher, built once.
    finder: Option<memchr::memmem::Finder<'static>>,
    pending: Vec<u8>,
    /// Where the delimiter search resumes (bytes before it hold none).
    searched: usize,
    /// Skipping bytes after an oversize header, until one makes sense.
    resyncing: bool,
    /// The stream is to be closed (an oversize frame with `Close`).
    closed: bool,
}

impl Framer {
    pub fn new(framing: Framing) -> Framer {
        let finder = match &framing {
            Framing::Delimiter { delim, .. } if !delim.is_empty() => {
                Some(memchr::memmem::Finder::new(delim).into_owned())
            }
            _ => None,
        };
        Framer {
            framing,
            finder,
            pending: Vec::new(),
            searched: 0,
            resyncing: false,
            closed: false,
        }
    }

    /// Bytes held for a frame not yet complete.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Whether the stream must be closed (oversize frame, `Close` chosen).
    pub fn wants_close(&self) -> bool {
        self.closed
    }

    /// Takes bytes as they arrived and hands on what they complete.
    pub fn push(&mut self, data: &[u8], out: &mut FrameBatch) {
        if self.closed {
            return;
        }
        match &self.framing {
            Framing::None => {
                if !data.is_empty() {
                    out.frame(data);
                }
                return;
            }
            Framing::Idle { .. } => {
                self.pending.extend_from_slice(data);
            }
            _ => {
                // The common case of a read holding whole frames only is
                // cut straight from `data`, without copying into `pending`.
                if self.pending.is_empty() {
                    let used = self.cut(data, out, false, None);
                    self.pending
                        .extend_from_slice(data.get(used..).unwrap_or_default());
                    self.searched = 0;
                } else {
                    self.pending.extend_from_slice(data);
                    let pending = std::mem::take(&mut self.pending);
                    let used = self.cut(&pending, out, false, None);
                    self.pending = pending;
                    self.pending.drain(..used);
                    self.searched = self.searched.saturating_sub(used);
                }
            }
        }
        if self.pending.len() > MAX_PENDING {
            out.take(std::mem::take(&mut self.pending), false);
            self.searched = 0;
        }
    }

    /// Takes a read in its own buffer. The frames it holds whole are cut
    /// in place: `rest` gets them, its data becomes the buffer, and no byte
    /// is copied. A frame an earlier read began is completed into `first`
    /// (handed on before `rest`). Returns the buffer when it was not kept,
    /// to take another read.
    pub fn push_owned(
        &mut self,
        data: Vec<u8>,
        first: &mut FrameBatch,
        rest: &mut FrameBatch,
    ) -> Option<Vec<u8>> {
        let cuts = matches!(
            self.framing,
            Framing::Delimiter { .. } | Framing::Fixed { .. } | Framing::LengthPrefix { .. }
        );
        if self.closed || !cuts || !rest.data.is_empty() || !rest.outs.is_empty() {
            self.push(&data, first);
            return Some(data);
        }
        let mut from = 0;
        if !self.pending.is_empty() {
            match self.completes(&data) {
                Some(n) if n <= data.len() => {
                    self.push(data.get(..n).unwrap_or_default(), first);
                    from = n;
                }
                _ => {
                    self.push(&data, first);
                    return Some(data);
                }
            }
            if !self.pending.is_empty() || self.closed || self.resyncing {
                // Not a frame's end after all: on the copying way.
                self.push(data.get(from..).unwrap_or_default(), first);
                return Some(data);
            }
        }
        let before = rest.outs.len();
        // A delimiter that ends with a line feed ends where one is: one
        // pass finds them all, and the log's row counts use them too.
        let scan = match &self.framing {
            Framing::Delimiter { delim, .. } if delim.last() == Some(&b'\n') => {
                PlainScan::of(&data)
            }
            _ => None,
        };
        let lfs = scan.as_ref().map(|s| (&s.lfs[..], from));
        let used = self.cut(data.get(from..).unwrap_or_default(), rest, true, lfs);
        for out in rest.outs.iter_mut().skip(before) {
            if let FrameOut::Frame(r) | FrameOut::Partial(r) = out {
                *r = r.start + from..r.end + from;
            }
        }
        self.pending
            .extend_from_slice(data.get(from + used..).unwrap_or_default());
        self.searched = 0;
        if rest.outs.is_empty() {
            return Some(data);
        }
        rest.data = data;
        rest.scan = scan;
        if self.pending.len() > MAX_PENDING {
            rest.take(std::mem::take(&mut self.pending), false);
        }
        None
    }

    /// How many bytes of `data` end the frame held in `pending`, when that
    /// is quick to tell (else the read goes the copying way).
    fn completes(&self, data: &[u8]) -> Option<usize> {
        let held = &self.pending;
        match &self.framing {
            Framing::Delimiter { delim, .. } => {
                let dl = delim.len();
                // A delimiter begun at the end of what is held...
                for s in held.len().saturating_sub(dl.saturating_sub(1))..held.len() {
                    let (begun, rest) = delim.split_at_checked(held.len() - s)?;
                    if held.get(s..) == Some(begun) && data.starts_with(rest) {
                        return Some(rest.len());
                    }
                }
                // ...or one in the new bytes.
                self.finder.as_ref()?.find(data).map(|at| at + dl)
            }
            Framing::Fixed { len } => len.checked_sub(held.len()),
            Framing::LengthPrefix {
                width,
                big_endian,
                offset,
                includes_header,
                max,
                ..
            } => {
                let head = offset + *width as usize;
                let field = held.get(*offset..head)?;
                let claimed = read_len(field, *big_endian);
                let total = if *includes_header {
                    claimed
                } else {
                    claimed + head as u64
                };
                if total < head as u64 || total > *max as u64 {
                    return None;
                }
                (total as usize).checked_sub(held.len())
            }
            Framing::None | Framing::Idle { .. } => None,
        }
    }

    /// Hands on whatever is held, as a partial frame (at the end of the
    /// stream) or, for the idle framing, as the frame the silence ended.
    pub fn flush(&mut self, out: &mut FrameBatch) {
        self.searched = 0;
        self.resyncing = false;
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        out.take(bytes, matches!(self.framing, Framing::Idle { .. }));
    }

    /// Cuts whole frames from the front of `buf`; returns the bytes used.
    /// `in_place`: the frames are ranges of `buf`, which becomes the
    /// batch's data; else they are copied into it.
    /// `lfs`: where the line feeds are, counted from `base` bytes before
    /// `buf`, when they were found already.
    fn cut(
        &mut self,
        buf: &[u8],
        out: &mut FrameBatch,
        in_place: bool,
        lfs: Option<(&[usize], usize)>,
    ) -> usize {
        let emit = |out: &mut FrameBatch, r: Range<usize>| {
            if in_place {
                out.outs.push(FrameOut::Frame(r));
            } else {
                out.frame(buf.get(r).unwrap_or_default());
            }
        };
        match &self.framing {
            Framing::Delimiter { delim, keep } => {
                let (dl, keep) = (delim.len(), *keep);
                let Some(finder) = &self.finder else {
                    return 0;
                };
                let mut start = 0;
                if let Some((lfs, base)) = lfs.filter(|_| delim.last() == Some(&b'\n')) {
                    // Each delimiter ends at a line feed.
                    let first = lfs.partition_point(|&at| at < base);
                    out.outs.reserve(lfs.len().saturating_sub(first));
                    for at in lfs
                        .get(first..)
                        .unwrap_or_default()
                        .iter()
                        .map(|&at| at - base + 1)
                    {
                        match at.checked_sub(dl) {
                            // (A one-byte delimiter is the line feed itself.)
                            Some(end)
                                if end >= start
                                    && (dl == 1 || buf.get(end..at) == Some(&delim[..])) =>
                            {
                                emit(out, start..if keep { at } else { end });
                                start = at;
                            }
                            _ => {}
                        }
                    }
                    self.searched = buf.len();
                    return start;
                }
                let from = self.searched.saturating_sub(dl.saturating_sub(1));
                for at in finder.find_iter(buf.get(from..).unwrap_or_default()) {
                    let end = from + at;
                    if end < start {
                        continue;
                    }
                    emit(out, start..if keep { end + dl } else { end });
                    start = end + dl;
                }
                self.searched = buf.len();
                start
            }
            Framing::Fixed { len } => {
                let len = *len;
                let n = buf.len() / len * len;
                out.outs.reserve(n / len);
                for k in 0..n / len {
                    emit(out, k * len..(k + 1) * len);
                }
                n
            }
            &Framing::LengthPrefix {
                width,
                big_endian,
                offset,
                includes_header,
                max,
                on_oversize,
            } => {
                let head = offset + width as usize;
                let mut start = 0;
                while buf.len() - start >= head {
                    let Some(field) = buf.get(start + offset..start + head) else {
                        break;
                    };
                    let claimed = read_len(field, big_endian);
                    let total = if includes_header {
                        claimed
                    } else {
                        claimed + head as u64
                    };
                    if total < head as u64 || total > max as u64 {
                        if !self.resyncing {
                            out.outs.push(FrameOut::Oversize { claimed, max });
                        }
                        match on_oversize {
                            Oversize::Close => {
                                self.closed = true;
                                return buf.len();
                            }
                            Oversize::Resync => {
                                self.resyncing = true;
                                start += 1;
                                continue;
                            }
                        }
                    }
                    let total = total as usize;
                    if buf.len() - start < total {
                        break;
                    }
                    self.resyncing = false;
                    emit(out, start..start + total);
                    start += total;
                }
                start
            }
            Framing::None | Framing::Idle { .. } => 0,
        }
    }
}

/// `50ms`, `2s` or a bare number of milliseconds.
fn parse_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(n) = s.strip_suffix("ms") {
        n.trim().parse().ok()
    } else if let Some(n) = s.strip_suffix('s') {
        n.trim().parse::<u64>().ok()?.checked_mul(1000)
    } else {
        s.parse().ok()
    }
}

fn read_len(field: &[u8], big_endian: bool) -> u64 {
    let mut v = 0u64;
    if big_endian {
        for b in field {
            v = v << 8 | *b as u64;
        }
    } else {
        for b in field.iter().rev() {
            v = v << 8 | *b as u64;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a framer handed on, with each frame's bytes.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Out {
        Frame(Vec<u8>),
        Partial(Vec<u8>),
        Oversize { claimed: u64, max: usize },
    }

    fn owned(b: &FrameBatch) -> Vec<Out> {
        b.outs
            .iter()
            .map(|o| match o {
                FrameOut::Frame(r) => Out::Frame(b.data[r.clone()].to_vec()),
                FrameOut::Partial(r) => Out::Partial(b.data[r.clone()].to_vec()),
                FrameOut::Oversize { claimed, max } => Out::Oversize {
                    claimed: *claimed,
                    max: *max,
                },
            })
            .collect()
    }

    fn frames(framing: &Framing, pieces: &[&[u8]]) -> Vec<Out> {
        let mut f = Framer::new(framing.clone());
        let mut out = FrameBatch::default();
        for p in pieces {
            f.push(p, &mut out);
        }
        f.flush(&mut out);
        owned(&out)
    }

    /// The same, each piece handed over in its own buffer (frames cut in
    /// place where they can be).
    fn frames_owned(framing: &Framing, pieces: &[&[u8]]) -> Vec<Out> {
        let mut f = Framer::new(framing.clone());
        let mut all = Vec::new();
        for p in pieces {
            let (mut first, mut rest) = (FrameBatch::default(), FrameBatch::default());
            let back = f.push_owned(p.to_vec(), &mut first, &mut rest);
            // The buffer is kept exactly when frames were cut in place.
            assert_eq!(back.is_none(), !rest.outs.is_empty(), "{framing:?}");
            // Line feeds the framer found are those of the whole data.
            if let Some(scan) = &rest.scan {
                assert_eq!(Some(scan), PlainScan::of(&rest.data).as_ref());
            }
            all.extend(owned(&first));
            all.extend(owned(&rest));
        }
        let mut out = FrameBatch::default();
        f.flush(&mut out);
        all.extend(owned(&out));
        all
    }

    fn whole(b: &[u8]) -> Out {
        Out::Frame(b.to_vec())
    }

    /// A tiny deterministic generator, so a failure can be replayed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// Any split of the same stream gives the same frames: byte by byte,
    /// whole, and 200 random splits.
    fn same_frames_for_every_split(framing: &Framing, stream: &[u8]) -> Vec<Out> {
        let want = frames(framing, &[stream]);
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(frames(framing, &bytes), want, "byte by byte: {framing:?}");
        assert_eq!(frames_owned(framing, &bytes), want, "in place: {framing:?}");
        assert_eq!(
            frames_owned(framing, &[stream]),
            want,
            "in place: {framing:?}"
        );
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        for _ in 0..200 {
            let mut cuts: Vec<usize> = (0..(rng.next() % 8))
                .map(|_| (rng.next() as usize) % (stream.len() + 1))
                .collect();
            cuts.sort();
            let mut pieces = Vec::new();
            let mut last = 0;
            for c in cuts {
                pieces.push(&stream[last..c]);
                last = c;
            }
            pieces.push(&stream[last..]);
            assert_eq!(
                frames(framing, &pieces),
                want,
                "split into {} pieces: {framing:?}",
                pieces.len()
            );
            assert_eq!(
                frames_owned(framing, &pieces),
                want,
                "split into {} pieces, cut in place: {framing:?}",
                pieces.len()
            );
        }
        want
    }

    #[test]
    fn delimiters_keep_or_strip_and_leave_a_partial() {
        let crlf = Framing::Delimiter {
            delim: b"\r\n".to_vec(),
            keep: true,
        };
        let got = same_frames_for_every_split(&crlf, b"one\r\ntwo\r\nthree\r\nrest");
        assert_eq!(
            got,
            vec![
                whole(b"one\r\n"),
                whole(b"two\r\n"),
                whole(b"three\r\n"),
                Out::Partial(b"rest".to_vec())
            ]
        );
        let strip = Framing::Delimiter {
            delim: vec![0xFF, 0x00, 0xFF],
            keep: false,
        };
        let got = same_frames_for_every_split(&strip, b"a\xFF\x00\xFFbb\xFF\x00\xFF\xFF\x00\xFF");
        assert_eq!(got, vec![whole(b"a"), whole(b"bb"), whole(b"")]);
    }

    #[test]
    fn delimiters_ending_in_a_line_feed_are_found_among_the_line_feeds() {
        let lf = |d: &[u8], keep| Framing::Delimiter {
            delim: d.to_vec(),
            keep,
        };
        let got = same_frames_for_every_split(&lf(b"\n", true), b"a\n\nbb\nccc\nrest");
        assert_eq!(
            got,
            [
                whole(b"a\n"),
                whole(b"\n"),
                whole(b"bb\n"),
                whole(b"ccc\n"),
                Out::Partial(b"rest".to_vec())
            ]
        );
        // Delimiters that overlap are taken from the left, as a search does.
        let got = same_frames_for_every_split(&lf(b"\n\n", false), b"a\n\n\nb\n\n\n\nc");
        assert_eq!(
            got,
            [
                whole(b"a"),
                whole(b"\nb"),
                whole(b""),
                Out::Partial(b"c".to_vec())
            ]
        );
        // Binary bytes around them (no list of odd bytes is kept then).
        let binary: Vec<u8> = (0..8)
            .flat_map(|_| (0..=255u8).filter(|&b| b != b'\n').chain(*b"\r\n"))
            .collect();
        let got = same_frames_for_every_split(&lf(b"\r\n", true), &binary);
        assert_eq!(got.len(), 8);
        assert!(
            got.iter()
                .all(|o| matches!(o, Out::Frame(f) if f.len() == 257))
        );
    }

    #[test]
    fn fixed_length_frames() {
        let f = Framing::Fixed { len: 3 };
        let got = same_frames_for_every_split(&f, b"abcdefgh");
        assert_eq!(
            got,
            vec![whole(b"abc"), whole(b"def"), Out::Partial(b"gh".to_vec())]
        );
    }

    fn len_prefix(width: u8, big_endian: bool, offset: usize, incl: bool) -> Framing {
        Framing::LengthPrefix {
            width,
            big_endian,
            offset,
            includes_header: incl,
            max: 1000,
            on_oversize: Oversize::Resync,
        }
    }

    #[test]
    fn length_prefixes_in_every_width_order_and_offset() {
        // 2 bytes big endian, counting what follows.
        let stream = b"\x00\x03abc\x00\x00\x00\x01z";
        let got = same_frames_for_every_split(&len_prefix(2, true, 0, false), stream);
        assert_eq!(
            got,
            vec![
                whole(b"\x00\x03abc"),
                whole(b"\x00\x00"),
                whole(b"\x00\x01z")
            ]
        );
        // 4 bytes little endian after a 1-byte type, counting the whole frame.
        let stream = b"T\x07\x00\x00\x00xyT\x05\x00\x00\x00";
        let got = same_frames_for_every_split(&len_prefix(4, false, 1, true), stream);
        assert_eq!(
            got,
            vec![whole(b"T\x07\x00\x00\x00xy"), whole(b"T\x05\x00\x00\x00")]
        );
        // 2 bytes little endian, a length over 255 (low byte first).
        let mut long = vec![0x02, 0x01];
        long.extend(std::iter::repeat_n(b'L', 0x0102));
        let got = same_frames_for_every_split(&len_prefix(2, false, 0, false), &long);
        assert_eq!(got, vec![whole(&long)]);
        // 1 byte.
        let got = same_frames_for_every_split(&len_prefix(1, true, 0, false), b"\x02hi\x01");
        assert_eq!(got, vec![whole(b"\x02hi"), Out::Partial(b"\x01".to_vec())]);
    }

    #[test]
    fn an_oversize_header_is_reported_once_then_resynchronised_or_closed() {
        // A header claiming 4 GiB, then garbage, then a good frame.
        let mut stream = b"\xFF\xFF\xFF\xF0".to_vec();
        stream.extend_from_slice(b"\x00\x00\x00\x02ok");
        let resync = Framing::LengthPrefix {
            width: 4,
            big_endian: true,
            offset: 0,
            includes_header: false,
            max: 100,
            on_oversize: Oversize::Resync,
        };
        let got = frames(&resync, &[&stream]);
        assert_eq!(
            got[0],
            Out::Oversize {
                claimed: 0xFFFF_FFF0,
                max: 100
            }
        );
        assert_eq!(got.last(), Some(&whole(b"\x00\x00\x00\x02ok")));
        assert_eq!(
            got.iter()
                .filter(|f| matches!(f, Out::Oversize { .. }))
                .count(),
            1
        );
        let close = Framing::LengthPrefix {
            width: 4,
            big_endian: true,
            offset: 0,
            includes_header: false,
            max: 100,
            on_oversize: Oversize::Close,
        };
        let mut f = Framer::new(close);
        let mut out = FrameBatch::default();
        f.push(&stream, &mut out);
        assert!(f.wants_close());
        assert_eq!(out.outs.len(), 1);
    }

    #[test]
    fn a_frame_of_exactly_the_maximum_is_a_frame() {
        // The maximum counts the whole frame, header included: 6 bytes.
        let at_most = |max| Framing::LengthPrefix {
            width: 2,
            big_endian: true,
            offset: 0,
            includes_header: false,
            max,
            on_oversize: Oversize::Close,
        };
        let stream = b"\x00\x04abcd";
        assert_eq!(frames(&at_most(6), &[stream]), vec![whole(stream)]);
        assert_eq!(
            frames(&at_most(5), &[stream])[0],
            Out::Oversize { claimed: 4, max: 5 }
        );
    }

    #[test]
    fn idle_framing_holds_until_the_silence() {
        let f = Framing::Idle { gap_ms: 50 };
        let mut fr = Framer::new(f);
        let mut out = FrameBatch::default();
        fr.push(b"par", &mut out);
        fr.push(b"tial", &mut out);
        assert!(out.is_empty());
        fr.flush(&mut out);
        assert_eq!(owned(&out), vec![whole(b"partial")]);
    }

    #[test]
    fn a_frame_without_end_is_cut_at_the_limit() {
        let f = Framing::Delimiter {
            delim: b"\n".to_vec(),
            keep: true,
        };
        let mut fr = Framer::new(f);
        let mut out = FrameBatch::default();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..17 {
            fr.push(&chunk, &mut out);
        }
        assert!(matches!(&owned(&out)[..], [Out::Partial(b)] if b.len() == 17 << 20));
        assert_eq!(fr.pending(), 0);
    }

    #[test]
    fn command_line_forms() {
        assert_eq!(
            Framing::parse("crlf"),
            Ok(Framing::Delimiter {
                delim: b"\r\n".to_vec(),
                keep: true
            })
        );
        assert_eq!(
            Framing::parse("delim:0D0A,strip"),
            Ok(Framing::Delimiter {
                delim: b"\r\n".to_vec(),
                keep: false
            })
        );
        assert_eq!(
            Framing::parse("line,strip"),
            Ok(Framing::Delimiter {
                delim: b"\n".to_vec(),
                keep: false
            })
        );
        assert_eq!(Framing::parse("fixed:8"), Ok(Framing::Fixed { len: 8 }));
        assert_eq!(Framing::parse("none"), Ok(Framing::None));
        assert_eq!(
            Framing::parse("len:2be"),
            Ok(len_prefix(2, true, 0, false).with_max(1 << 20))
        );
        assert_eq!(
            Framing::parse("len:4le,off=2,incl,max=500,close"),
            Ok(Framing::LengthPrefix {
                width: 4,
                big_endian: false,
                offset: 2,
                includes_header: true,
                max: 500,
                on_oversize: Oversize::Close,
            })
        );
        assert_eq!(
            Framing::parse("idle:50ms"),
            Ok(Framing::Idle { gap_ms: 50 })
        );
        for bad in [
            "len:3be",
            "fixed:0",
            "delim:zz",
            "idle:0ms",
            "words",
            "len:2be,what",
        ] {
            assert!(Framing::parse(bad).is_err(), "{bad}");
        }
    }

    impl Framing {
        fn with_max(mut self, m: usize) -> Framing {
            if let Framing::LengthPrefix { max, .. } = &mut self {
                *max = m;
            }
            self
        }
    }
}
