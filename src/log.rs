//! The log: a bounded store of records (raw bytes + time, direction, peer)
//! and the line index that lets the UI show only the visible rows.
//!
//! Records keep raw bytes; text, hex and encodings are views computed at
//! display time, so switching the view re-renders the whole history.

// Records hold what peers sent: no indexing that can panic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use crate::codec;
use crate::codec::text::{FrameRows, TextShape, line_rows, plain_rows, printable_ascii};
use crate::net::{CloseReason, NetError};
use encoding_rs::Encoding;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A session event worth a line in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A TCP server is listening here.
    Listening {
        local: SocketAddr,
    },
    /// A UDP socket is bound here.
    Bound {
        local: SocketAddr,
    },
    Connecting {
        remote: SocketAddr,
    },
    /// A multicast group joined or left, on an interface (empty: the
    /// system's choice).
    Membership {
        group: std::net::IpAddr,
        via: String,
        joined: bool,
    },
    /// Socket options as read back: the session's socket, or a connection's.
    Options {
        peer: Option<SocketAddr>,
        read: crate::net::ReadBack,
    },
    /// A TCP client will connect again after `millis`.
    Reconnecting {
        attempt: u32,
        millis: u64,
    },
    Connected {
        local: SocketAddr,
        peer: SocketAddr,
    },
    Accepted {
        peer: SocketAddr,
    },
    /// A relay linked client `peer` to its target, from `local`.
    Linked {
        peer: SocketAddr,
        local: SocketAddr,
        target: SocketAddr,
    },
    Disconnected {
        peer: SocketAddr,
        reason: CloseReason,
    },
    /// A peer closed its sending side (FIN received); a relay passed it on.
    ReadShut {
        peer: SocketAddr,
        then: crate::net::FinThen,
    },
    /// The write side of a connection was shut down (FIN sent).
    WriteShut {
        peer: SocketAddr,
    },
    /// A relay's impairment from now on (at open, and at each change).
    Impairment(Box<crate::net::impair::Impairment>),
    /// A relay's impairment held bytes toward `peer` this long.
    Held {
        peer: SocketAddr,
        toward_target: bool,
        bytes: usize,
        after: std::time::Duration,
    },
    /// A relay's impairment dropped a datagram toward `peer`.
    Dropped {
        peer: SocketAddr,
        toward_target: bool,
        bytes: usize,
    },
    /// A relay's impairment flipped bits in bytes toward `peer`.
    Corrupted {
        peer: SocketAddr,
        toward_target: bool,
        flipped: Vec<crate::net::impair::Flipped>,
        total: usize,
    },
    Error(NetError),
    Closed {
        error: Option<NetError>,
    },
    /// A line from the app itself (e.g. a send that could not be encoded).
    Message(String),
    /// A capture to file ended (with the error that stopped it).
    CaptureEnded {
        path: String,
        written: u64,
        error: Option<NetError>,
    },
    /// Framing news: a partial frame follows, or an oversize header.
    Framing {
        peer: SocketAddr,
        note: crate::net::FrameNote,
    },
    /// A send job ended (periodic send, sequence, file, generator).
    JobEnded {
        slot: JobSlot,
        /// For a file: its name.
        what: String,
        tally: crate::net::JobTally,
        end: crate::net::JobEnd,
    },
}

/// Which of the sending toolkit's jobs: one of each may run at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobSlot {
    Periodic,
    Sequence,
    File,
    Generator,
}

/// The bytes of a received record: its own, or its part of one read shared
/// with the other frames cut from it (one allocation per read, not one per
/// frame).
#[derive(Clone)]
pub struct Payload {
    buf: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl Payload {
    /// `range` of `buf`; an empty payload for a range outside it.
    pub fn shared(buf: &Arc<Vec<u8>>, range: std::ops::Range<usize>) -> Payload {
        let ok = range.start <= range.end && range.end <= buf.len();
        Payload {
            buf: buf.clone(),
            start: if ok { range.start } else { 0 },
            end: if ok { range.end } else { 0 },
        }
    }
}

impl Payload {
    /// The whole buffer, when the payload is all of it and no one else
    /// holds it.
    fn into_buffer(self) -> Option<Vec<u8>> {
        let whole = self.start == 0 && self.end == self.buf.len();
        whole.then(|| Arc::try_unwrap(self.buf).ok()).flatten()
    }
}

impl From<Vec<u8>> for Payload {
    fn from(v: Vec<u8>) -> Payload {
        let end = v.len();
        Payload {
            buf: Arc::new(v),
            start: 0,
            end,
        }
    }
}

impl std::ops::Deref for Payload {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Payload {}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self[..].fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Rx(Payload),
    Tx(Vec<u8>),
    Note(Note),
}

/// The last bytes of the previous read from the same TCP connection. A TCP
/// stream can cut a character in two; with these, a record can show the
/// character it completes instead of stray continuation bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeadIn {
    len: u8,
    bytes: [u8; LEAD_IN],
}

/// Bytes of the previous read kept: enough for a UTF-8 character's start,
/// and for a double-byte encoding to find where its characters begin (see
/// [`dbcs_carry`]).
const LEAD_IN: usize = 32;

impl LeadIn {
    /// The (up to) last [`LEAD_IN`] bytes of `payload`.
    pub fn tail_of(payload: &[u8]) -> LeadIn {
        let n = payload.len().min(LEAD_IN);
        let mut bytes = [0; LEAD_IN];
        let tail = payload.get(payload.len() - n..).unwrap_or_default();
        for (to, from) in bytes.iter_mut().zip(tail) {
            *to = *from;
        }
        LeadIn {
            len: n as u8,
            bytes,
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        self.bytes
            .get(..usize::from(self.len))
            .unwrap_or(&self.bytes)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Increases by one per record ever pushed; survives dropping.
    pub seq: u64,
    pub at: SystemTime,
    pub peer: Option<SocketAddr>,
    pub body: Body,
    /// The previous read's tail, for received TCP data (empty otherwise).
    pub lead_in: LeadIn,
    /// Whether the payload is known to be plain ASCII text, and where its
    /// lines break (found by the worker while the bytes were hot); the
    /// default says nothing is known.
    pub shape: TextShape,
    /// A relay's target side: received from the target (for `peer`'s
    /// link), or sent toward it; a note about that side.
    pub target: bool,
}

impl Record {
    pub fn payload(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Rx(b) => Some(b),
            Body::Tx(b) => Some(b),
            Body::Note(_) => None,
        }
    }

    /// The buffer of a payload no one else holds, as it came.
    fn into_buffer(self) -> Option<Vec<u8>> {
        match self.body {
            Body::Rx(p) => p.into_buffer(),
            Body::Tx(_) | Body::Note(_) => None,
        }
    }

    /// What the record counts against the byte cap.
    fn cost(&self) -> usize {
        RECORD_OVERHEAD + self.payload().map_or(64, <[u8]>::len) + self.shape.extra_bytes()
    }
}

/// Bookkeeping per record, counted against the cap with the payload.
pub const RECORD_OVERHEAD: usize = std::mem::size_of::<Record>() + 16;
/// Bookkeeping per frame of a [`Run`] (its span and row count).
const FRAME_OVERHEAD: usize = std::mem::size_of::<std::ops::Range<usize>>() + 4;
/// Default byte cap of the log.
pub const DEFAULT_CAP_BYTES: usize = 64 << 20;

/// The frames cut from one read, kept together: one entry in the store for
/// hundreds of records, so a flood of small frames costs the UI thread per
/// read, not per frame. Each frame is still a record of its own to
/// everything that looks at the log ([`LogStore::get`]).
#[derive(Debug, Clone)]
struct Run {
    /// The first frame's sequence number.
    seq: u64,
    at: SystemTime,
    peer: Option<SocketAddr>,
    data: Arc<Vec<u8>>,
    /// Each frame's bytes in `data` (never empty: a run has a frame).
    spans: Vec<std::ops::Range<usize>>,
    rows: FrameRows,
    /// The previous read's tail for the first frame; each later frame
    /// continues the one before it, unless they are datagrams.
    lead_in: LeadIn,
    datagrams: bool,
    target: bool,
}

impl Run {
    fn len(&self) -> usize {
        self.spans.len()
    }

    fn payload(&self, k: usize) -> &[u8] {
        self.spans
            .get(k)
            .and_then(|r| self.data.get(r.clone()))
            .unwrap_or_default()
    }

    /// What frame `k` continues: the end of the frame before it.
    fn lead_in(&self, k: usize) -> &[u8] {
        match k.checked_sub(1) {
            _ if self.datagrams => &[],
            None => self.lead_in.as_slice(),
            Some(prev) => {
                let p = self.payload(prev);
                p.get(p.len().saturating_sub(LEAD_IN)..).unwrap_or_default()
            }
        }
    }

    fn record(&self, k: usize) -> Record {
        let span = self.spans.get(k).cloned().unwrap_or(0..0);
        Record {
            seq: self.seq + k as u64,
            at: self.at,
            peer: self.peer,
            body: Body::Rx(Payload::shared(&self.data, span)),
            lead_in: LeadIn::tail_of(self.lead_in(k)),
            shape: self.rows.shape(k),
            target: self.target,
        }
    }

    fn cost(&self) -> usize {
        let bytes: usize = self.spans.iter().map(ExactSizeIterator::len).sum();
        RECORD_OVERHEAD + bytes + self.len() * FRAME_OVERHEAD
    }
}

/// What the store keeps: a record, or the frames of one read.
#[derive(Debug, Clone)]
enum Entry {
    One(Record),
    Run(Run),
}

impl Entry {
    fn seq(&self) -> u64 {
        match self {
            Entry::One(r) => r.seq,
            Entry::Run(r) => r.seq,
        }
    }

    fn len(&self) -> usize {
        match self {
            Entry::One(_) => 1,
            Entry::Run(r) => r.len(),
        }
    }

    fn cost(&self) -> usize {
        match self {
            Entry::One(r) => r.cost(),
            Entry::Run(r) => r.cost(),
        }
    }

    fn payload_bytes(&self) -> u64 {
        match self {
            Entry::One(r) => r.payload().map_or(0, |p| p.len() as u64),
            Entry::Run(r) => r.spans.iter().map(|s| s.len() as u64).sum(),
        }
    }

    fn record(&self, k: usize) -> Option<std::borrow::Cow<'_, Record>> {
        match self {
            Entry::One(r) => (k == 0).then_some(std::borrow::Cow::Borrowed(r)),
            Entry::Run(r) => (k < r.len()).then(|| std::borrow::Cow::Owned(r.record(k))),
        }
    }
}

/// A bounded record store that drops the oldest records when over its cap.
pub struct LogStore {
    entries: VecDeque<Entry>,
    /// Records kept (a run counts each of its frames).
    len: usize,
    /// Runs among the entries (none: record `i` is entry `i`).
    runs: usize,
    bytes: usize,
    cap: usize,
    next_seq: u64,
    dropped_records: u64,
    dropped_bytes: u64,
    /// Records pushed now are about a relay's target side.
    target_side: bool,
    /// Where the read buffers of dropped records go back to the worker.
    recycler: Option<crate::net::Recycler>,
}

impl Default for LogStore {
    fn default() -> Self {
        Self::new(DEFAULT_CAP_BYTES)
    }
}

impl LogStore {
    pub fn new(cap_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            len: 0,
            runs: 0,
            bytes: 0,
            cap: cap_bytes.max(RECORD_OVERHEAD * 2),
            next_seq: 0,
            dropped_records: 0,
            dropped_bytes: 0,
            target_side: false,
            recycler: None,
        }
    }

    /// Marks the records pushed from now on as a relay's target side (or
    /// not); see [`Record::target`].
    pub fn set_target_side(&mut self, on: bool) {
        self.target_side = on;
    }

    pub fn push(&mut self, at: SystemTime, peer: Option<SocketAddr>, body: Body) {
        self.push_after(at, peer, body, LeadIn::default());
    }

    /// Pushes received bytes that continue a stream (see [`push_after`]),
    /// with what the worker found out about them as text.
    ///
    /// [`push_after`]: LogStore::push_after
    pub fn push_received(
        &mut self,
        at: SystemTime,
        peer: Option<SocketAddr>,
        bytes: impl Into<Payload>,
        lead_in: LeadIn,
        shape: TextShape,
    ) {
        self.push_record(at, peer, Body::Rx(bytes.into()), lead_in, shape);
    }

    /// Pushes the frames cut from one read, `spans` of `data` with their
    /// row counts, as one record each. The first continues a stream whose
    /// previous read ended with `lead_in`, and each later one the frame
    /// before it, unless they are `datagrams`. Returns the tail the last
    /// frame leaves for what follows.
    #[allow(clippy::too_many_arguments)]
    pub fn push_frames(
        &mut self,
        at: SystemTime,
        peer: Option<SocketAddr>,
        data: Arc<Vec<u8>>,
        spans: Vec<std::ops::Range<usize>>,
        rows: FrameRows,
        lead_in: LeadIn,
        datagrams: bool,
    ) -> LeadIn {
        // Spans outside the data would be empty records: keep them as
        // such, but never index past the buffer.
        let spans: Vec<_> = spans
            .into_iter()
            .map(|r| {
                if r.start <= r.end && r.end <= data.len() {
                    r
                } else {
                    0..0
                }
            })
            .collect();
        let run = Run {
            seq: self.next_seq,
            at,
            peer,
            data,
            spans,
            rows,
            lead_in,
            datagrams,
            target: self.target_side,
        };
        let n = run.len();
        let tail = if datagrams || n == 0 {
            LeadIn::default()
        } else {
            LeadIn::tail_of(run.payload(n - 1))
        };
        match n {
            0 => return lead_in,
            1 => {
                let rec = run.record(0);
                self.push_entry(Entry::One(rec));
            }
            _ => {
                self.runs += 1;
                self.push_entry(Entry::Run(run));
            }
        }
        tail
    }

    /// Pushes a record that continues a stream whose previous read ended with `lead_in`.
    pub fn push_after(
        &mut self,
        at: SystemTime,
        peer: Option<SocketAddr>,
        body: Body,
        lead_in: LeadIn,
    ) {
        self.push_record(at, peer, body, lead_in, TextShape::default());
    }

    fn push_record(
        &mut self,
        at: SystemTime,
        peer: Option<SocketAddr>,
        body: Body,
        lead_in: LeadIn,
        shape: TextShape,
    ) {
        let rec = Record {
            seq: self.next_seq,
            at,
            peer,
            body,
            lead_in,
            shape,
            target: self.target_side,
        };
        self.push_entry(Entry::One(rec));
    }

    fn push_entry(&mut self, e: Entry) {
        self.next_seq += e.len() as u64;
        self.len += e.len();
        self.bytes += e.cost();
        self.entries.push_back(e);
        self.shrink_to(self.cap);
    }

    pub fn set_cap(&mut self, cap_bytes: usize) {
        self.cap = cap_bytes.max(RECORD_OVERHEAD * 2);
        self.shrink_to(self.cap);
    }

    /// Drops the oldest records until at most `bytes` are counted (the
    /// newest record, or frames of one read, always stay), e.g. to keep
    /// all logs under a total cap.
    pub fn shrink_to(&mut self, bytes: usize) {
        while self.bytes > bytes && self.entries.len() > 1 {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some(old) = self.entries.pop_front() {
            self.bytes -= old.cost();
            self.len -= old.len();
            self.dropped_records += old.len() as u64;
            self.dropped_bytes += old.payload_bytes();
            match old {
                Entry::One(rec) => {
                    if let Some(r) = &self.recycler
                        && let Some(buf) = rec.into_buffer()
                    {
                        r.give(buf);
                    }
                }
                Entry::Run(run) => {
                    self.runs -= 1;
                    // Frames cut in place hold the read's buffer.
                    if let Some(r) = &self.recycler
                        && let Ok(buf) = Arc::try_unwrap(run.data)
                    {
                        r.give(buf);
                    }
                }
            }
        }
    }

    /// Gives the read buffers of dropped records back to `recycler`.
    pub fn set_recycler(&mut self, recycler: Option<crate::net::Recycler>) {
        self.recycler = recycler;
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.len = 0;
        self.runs = 0;
        self.bytes = 0;
        self.dropped_records = 0;
        self.dropped_bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes counted against the cap.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Records dropped to stay under the cap since the last clear.
    pub fn dropped_records(&self) -> u64 {
        self.dropped_records
    }

    /// Payload bytes in the dropped records.
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// The entry holding record `i`, and the record's place in it.
    #[inline]
    fn locate(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.len {
            return None;
        }
        if self.runs == 0 {
            return Some((i, 0));
        }
        let seq = self.first_seq() + i as u64;
        let e = self
            .entries
            .partition_point(|e| e.seq() + e.len() as u64 <= seq);
        let entry = self.entries.get(e)?;
        Some((e, (seq - entry.seq()) as usize))
    }

    /// Record `i` (0 is the oldest kept): borrowed when it is kept as one,
    /// made up when it is a frame of a read kept whole.
    pub fn get(&self, i: usize) -> Option<std::borrow::Cow<'_, Record>> {
        let (e, k) = self.locate(i)?;
        self.entries.get(e)?.record(k)
    }

    /// The payload of record `i`, if it has one.
    #[inline]
    pub fn payload(&self, i: usize) -> Option<&[u8]> {
        let (e, k) = self.locate(i)?;
        match self.entries.get(e)? {
            Entry::One(r) => r.payload(),
            Entry::Run(r) => Some(r.payload(k)),
        }
    }

    /// When record `i` was logged.
    pub fn at(&self, i: usize) -> Option<SystemTime> {
        let (e, _) = self.locate(i)?;
        match self.entries.get(e)? {
            Entry::One(r) => Some(r.at),
            Entry::Run(r) => Some(r.at),
        }
    }

    /// Every record kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = std::borrow::Cow<'_, Record>> {
        self.entries
            .iter()
            .flat_map(|e| (0..e.len()).filter_map(move |k| e.record(k)))
    }

    /// Sequence number of the oldest record kept (or the next one when empty).
    pub fn first_seq(&self) -> u64 {
        self.entries.front().map_or(self.next_seq, Entry::seq)
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

// ---- display layout ----------------------------------------------------------

/// How payloads are shown.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum ViewMode {
    #[default]
    Text,
    Hex,
    Both,
}

/// Everything the line layout depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub mode: ViewMode,
    pub encoding: &'static Encoding,
    /// Columns per line when wrapping; `None` = no wrap (long lines are still
    /// cut at [`MAX_LINE_CHARS`] so one line never gets huge).
    pub wrap_cols: Option<usize>,
    /// Which wording record headers use (the UI's language). Wrapped headers
    /// take as many rows as their words need, so a change re-lays them out.
    pub labels: u8,
    /// Which records are shown; the others take no rows.
    pub filter: Filter,
}

/// Which records the log shows (a view: the records are all kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Filter {
    pub hide_rx: bool,
    pub hide_tx: bool,
    /// Session events: connects, closes, errors, notes.
    pub hide_events: bool,
    /// Only this peer's records (and events that name no peer).
    pub peer: Option<SocketAddr>,
}

impl Filter {
    pub fn shows(&self, rec: &Record) -> bool {
        let kind = match rec.body {
            Body::Rx(_) => !self.hide_rx,
            Body::Tx(_) => !self.hide_tx,
            Body::Note(_) => !self.hide_events,
        };
        kind && (self.peer.is_none() || rec.peer.is_none() || rec.peer == self.peer)
    }

    pub fn is_all(&self) -> bool {
        *self == Filter::default()
    }
}

/// Rows a record's header takes under a view (at least one); given by the
/// UI, which words the headers.
pub type HeaderRows = fn(&Record, &View) -> usize;

/// `text` in pieces of at most `cols` display columns, broken after a
/// space or beside a wide (CJK) character, so an address, a number or a
/// word is never cut; only a word longer than a whole line is.
pub fn split_words(text: &str, cols: usize) -> Vec<&str> {
    let cols = cols.max(2);
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 0;
    // The last place a piece may end: its byte offset, and the columns
    // up to it.
    let mut brk: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        let w = char_cols(c);
        if w == 2 && i > start {
            brk = Some((i, used));
        }
        while used + w > cols && i > start {
            match brk.filter(|(at, _)| *at > start) {
                Some((at, upto)) => {
                    out.push(&text[start..at]);
                    start = at;
                    used -= upto;
                }
                None => {
                    out.push(&text[start..i]);
                    start = i;
                    used = 0;
                }
            }
            brk = None;
        }
        used += w;
        if c == ' ' || w == 2 {
            brk = Some((i + c.len_utf8(), used));
        }
    }
    if start < text.len() || out.is_empty() {
        out.push(&text[start..]);
    }
    out
}

/// Longest display line without wrapping.
pub const MAX_LINE_CHARS: usize = 512;

/// Local wall-clock time with milliseconds.
pub fn clock(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Local> = t.into();
    dt.format("%H:%M:%S%.3f").to_string()
}

/// Display columns of `text` (wide characters take two).
pub fn text_width(text: &str) -> usize {
    text.chars().map(char_cols).sum()
}

fn char_cols(c: char) -> usize {
    // East Asian wide characters take two columns in a monospace layout.
    let u = c as u32;
    if (0x1100..=0x115F).contains(&u)
        || (0x2E80..=0xA4CF).contains(&u)
        || (0xAC00..=0xD7A3).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u)
        || (0x1F300..=0x1FAFF).contains(&u)
        || (0x20000..=0x3FFFD).contains(&u)
    {
        2
    } else {
        1
    }
}

/// Lays out decoded text in lines of at most `max_cols` columns: `\n` breaks a
/// line, CR LF is one break, a lone CR shows as `\r`, a tab as four spaces,
/// other control characters as `\xNN`. Pushes the lines to `out` when given;
/// returns how many there are either way (the two always agree).
fn wrap_text(decoded: &str, max_cols: usize, mut out: Option<&mut Vec<String>>) -> usize {
    let mut count = 0;
    let mut cur = String::new();
    let mut cols = 0;
    let mut chars = decoded.chars().peekable();
    let mut esc = [0u8; 4];
    while let Some(c) = chars.next() {
        let token: &str = match c {
            '\n' => {
                count += 1;
                if let Some(o) = out.as_deref_mut() {
                    o.push(std::mem::take(&mut cur));
                }
                cols = 0;
                continue;
            }
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\r' => "\\r",
            '\t' => "    ",
            c if (c as u32) < 0x20 || c as u32 == 0x7F => {
                let b = c as u8;
                let hex = |n: u8| codec::hex::hex_digit(n) as u8;
                esc = [b'\\', b'x', hex(b >> 4), hex(b)];
                std::str::from_utf8(&esc).unwrap_or("?")
            }
            _ => c.encode_utf8(&mut esc),
        };
        let w = if token.len() == 1 || token.starts_with('\\') || token == "    " {
            token.len()
        } else {
            char_cols(c)
        };
        if cols + w > max_cols && cols > 0 {
            count += 1;
            if let Some(o) = out.as_deref_mut() {
                o.push(std::mem::take(&mut cur));
            }
            cols = 0;
        }
        if out.is_some() {
            cur.push_str(token);
        }
        cols += w;
    }
    if let Some(o) = out {
        o.push(cur);
    }
    count + 1
}

/// Rows of printable ASCII text without decoding (the common case under
/// load). `shape`, when given, is what is known of the bytes already.
fn ascii_rows(payload: &[u8], max_cols: usize, shape: Option<&TextShape>) -> Option<usize> {
    match shape {
        // Counted by the worker at this very width.
        Some(TextShape {
            ascii: true,
            rows: Some((cols, rows)),
            ..
        }) if *cols as usize == max_cols => return Some(*rows as usize),
        Some(TextShape {
            ascii: true,
            breaks: Some(breaks),
            ..
        }) => return Some(rows_between(breaks, payload.len(), max_cols)),
        Some(TextShape { ascii: true, .. }) => {}
        _ if printable_ascii(payload) => {}
        _ => return None,
    }
    Some(plain_rows(payload, max_cols))
}

/// Rows of plain text of `len` bytes whose line feeds are at `breaks`,
/// without reading the text (a final line feed ends the last line).
fn rows_between(breaks: &[u32], len: usize, max_cols: usize) -> usize {
    let end = match breaks.last() {
        Some(&b) if b as usize + 1 == len => len - 1,
        _ => len,
    };
    let mut rows = 0;
    let mut start = 0;
    for &b in breaks {
        let b = b as usize;
        if b >= end {
            break;
        }
        rows += line_rows(b - start, max_cols);
        start = b + 1;
    }
    rows + line_rows(end - start, max_cols)
}

/// Bytes per hex line for a view.
pub fn hex_bytes_per_line(view: &View) -> usize {
    match view.wrap_cols {
        Some(cols) => ((cols / 3) / 4 * 4).clamp(4, 64),
        None => 32,
    }
}

/// The bytes of `tail` that begin a UTF-8 character which `payload` completes
/// (UTF-8 resynchronises at every lead byte, so three bytes of context are
/// always enough). None when the tail ends on a character boundary, or when
/// the payload does not continue it.
fn utf8_carry<'a>(tail: &'a [u8], payload: &[u8]) -> Option<&'a [u8]> {
    for (i, &b) in tail.iter().enumerate().rev() {
        if b & 0xC0 == 0x80 {
            continue;
        }
        let need = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return None,
        };
        let have = tail.len() - i;
        if have >= need {
            return None;
        }
        let missing = need - have;
        let continues = payload
            .get(..missing)
            .is_some_and(|p| p.iter().all(|&c| c & 0xC0 == 0x80));
        return continues.then(|| tail.get(i..)).flatten();
    }
    None
}

/// The start of a double-byte character (GBK/GB18030, Big5, Shift_JIS,
/// EUC-KR) that the previous read `tail` ended in, when `payload` goes on
/// with the rest of it. The tail is read from its last byte below 0x30,
/// which no multi-byte sequence of these encodings contains, so characters
/// are counted from a sure boundary; a tail with none says nothing.
fn dbcs_carry<'a>(enc: &'static Encoding, tail: &'a [u8], payload: &[u8]) -> Option<&'a [u8]> {
    let gb = enc == encoding_rs::GBK || enc == encoding_rs::GB18030;
    let sjis = enc == encoding_rs::SHIFT_JIS;
    let double = gb || sjis || enc == encoding_rs::BIG5 || enc == encoding_rs::EUC_KR;
    if !double || payload.is_empty() {
        return None;
    }
    let start = tail.iter().rposition(|&b| b < 0x30)? + 1;
    let is_lead = |b: u8| {
        if sjis {
            matches!(b, 0x81..=0x9F | 0xE0..=0xFC)
        } else {
            matches!(b, 0x81..=0xFE)
        }
    };
    // The length of the character starting at `i`, reading `next` as the
    // bytes after the tail.
    let byte_at = |i: usize| tail.get(i).or_else(|| payload.get(i - tail.len())).copied();
    let mut i = start;
    while let Some(&b) = tail.get(i) {
        let len = if !is_lead(b) {
            1
        } else if gb && byte_at(i + 1).is_some_and(|c| (0x30..=0x39).contains(&c)) {
            4
        } else {
            2
        };
        if i + len > tail.len() {
            return tail.get(i..);
        }
        i += len;
    }
    None
}

/// Columns a row of text has in `view`, when it shows text.
pub fn text_cols(view: &View) -> Option<usize> {
    matches!(view.mode, ViewMode::Text | ViewMode::Both)
        .then(|| view.wrap_cols.unwrap_or(MAX_LINE_CHARS).max(8))
}

fn layout_payload(payload: &[u8], view: &View, out: Option<&mut Vec<String>>) -> usize {
    layout_after(&[], payload, &TextShape::default(), view, out)
}

/// Lays out `payload`; in text views a character that `lead_in` (the end of
/// the previous read of the same stream) began is shown whole at the start.
fn layout_after(
    lead_in: &[u8],
    payload: &[u8],
    shape: &TextShape,
    view: &View,
    mut out: Option<&mut Vec<String>>,
) -> usize {
    let mut rows = 0;
    if let Some(cols) = text_cols(view) {
        // A UTF-8 character the previous read began is carried in front,
        // when the record is read as UTF-8 (chosen, or found by Auto).
        let carried = utf8_carry(lead_in, payload).and_then(|carry| {
            let joined = [carry, payload].concat();
            let utf8 = view.encoding == encoding_rs::UTF_8
                || codec::text::resolve(view.encoding, &joined) == encoding_rs::UTF_8;
            utf8.then_some((encoding_rs::UTF_8, joined))
        });
        // Or a double-byte character (GBK, Big5...) cut the same way.
        let carried = carried.or_else(|| {
            let enc = codec::text::resolve(view.encoding, payload);
            dbcs_carry(enc, lead_in, payload).map(|c| (enc, [c, payload].concat()))
        });
        let enc = match &carried {
            Some((enc, _)) => *enc,
            None => codec::text::resolve(view.encoding, payload),
        };
        let carried = carried.map(|(_, joined)| joined);
        let text_len = payload.len();
        let payload = carried.as_deref().unwrap_or(payload);
        let fast = if out.is_none() && enc.is_ascii_compatible() {
            // A carried character is never ASCII, so the shape describes
            // the text only when nothing was carried.
            ascii_rows(payload, cols, (payload.len() == text_len).then_some(shape))
        } else {
            None
        };
        rows += match fast {
            Some(n) => n,
            None => {
                let mut text = String::new();
                codec::text::decode_into(payload, enc, &mut text);
                // A trailing line break ends the last line rather than opening an empty one.
                let text = text.strip_suffix('\n').unwrap_or(&text);
                wrap_text(text, cols, out.as_deref_mut())
            }
        };
    }
    if matches!(view.mode, ViewMode::Hex | ViewMode::Both) {
        let per = hex_bytes_per_line(view);
        if payload.is_empty() && view.mode == ViewMode::Hex {
            rows += 1;
            if let Some(o) = out.as_deref_mut() {
                o.push(String::new());
            }
        }
        rows += payload.len().div_ceil(per);
        if let Some(o) = out {
            for chunk in payload.chunks(per) {
                o.push(codec::format_hex(chunk));
            }
        }
    }
    rows
}

/// The payload lines of a record under `view` (the header line is not included).
pub fn payload_lines(payload: &[u8], view: &View) -> Vec<String> {
    let mut out = Vec::new();
    layout_payload(payload, view, Some(&mut out));
    out
}

/// How many lines [`payload_lines`] gives, without building them.
pub fn payload_line_count(payload: &[u8], view: &View) -> usize {
    layout_payload(payload, view, None)
}

/// The payload lines of a record, using the tail of the previous read of its
/// stream (see [`LeadIn`]).
pub fn record_lines(rec: &Record, view: &View) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = rec.payload() {
        layout_after(rec.lead_in.as_slice(), p, &rec.shape, view, Some(&mut out));
    }
    out
}

/// Payload lines `first..first + count` of a record (fewer at its end): what
/// the screen shows of a large record, without laying out the rest. Text
/// that is all printable ASCII is cut straight from the bytes.
pub fn record_lines_window(rec: &Record, view: &View, first: usize, count: usize) -> Vec<String> {
    let Some(p) = rec.payload() else {
        return Vec::new();
    };
    let plain = view.mode == ViewMode::Text
        && codec::text::resolve(view.encoding, p).is_ascii_compatible()
        && utf8_carry(rec.lead_in.as_slice(), p).is_none()
        && dbcs_carry(
            codec::text::resolve(view.encoding, p),
            rec.lead_in.as_slice(),
            p,
        )
        .is_none()
        && (rec.shape.ascii || printable_ascii(p));
    if !plain {
        let mut all = record_lines(rec, view);
        let end = first.saturating_add(count).min(all.len());
        return all.drain(first.min(end)..end).collect();
    }
    let cols = view.wrap_cols.unwrap_or(MAX_LINE_CHARS).max(8);
    let text = p.strip_suffix(b"\n").unwrap_or(p);
    let mut out = Vec::with_capacity(count.min(256));
    let mut row = 0;
    for line in text.split(|&b| b == b'\n') {
        let rows = line.len().div_ceil(cols).max(1);
        if row + rows <= first {
            row += rows;
            continue;
        }
        for k in 0..rows {
            if row + k < first {
                continue;
            }
            if out.len() == count {
                return out;
            }
            let piece = line
                .get((k * cols).min(line.len())..((k + 1) * cols).min(line.len()))
                .unwrap_or_default();
            // Printable ASCII: every byte is its own character.
            out.push(piece.iter().map(|&b| b as char).collect());
        }
        row += rows;
        if out.len() == count {
            break;
        }
    }
    out
}

/// Display rows of a record: one header row plus its payload lines.
pub fn record_rows(rec: &Record, view: &View) -> usize {
    1 + rec.payload().map_or(0, |p| {
        layout_after(rec.lead_in.as_slice(), p, &rec.shape, view, None)
    })
}

/// Row bookkeeping for one view.
struct Rows {
    view: View,
    first_seq: u64,
    /// Absolute row where each indexed record ends (exclusive).
    ends: VecDeque<u64>,
    /// Absolute row where the first indexed record starts.
    base: u64,
}

impl Rows {
    fn new(view: View, store: &LogStore) -> Rows {
        Rows {
            view,
            first_seq: store.first_seq(),
            ends: VecDeque::new(),
            base: 0,
        }
    }

    /// Drops what the store dropped and indexes new records, until done or
    /// past `deadline`. Returns true when every record of the store is indexed.
    fn catch_up(
        &mut self,
        store: &LogStore,
        deadline: Option<Instant>,
        header_rows: Option<HeaderRows>,
    ) -> bool {
        if store.first_seq() < self.first_seq {
            *self = Rows::new(self.view, store);
        }
        // What the store dropped goes at once (a flood drops hundreds of
        // thousands of frames a second).
        let dropped = store.first_seq().saturating_sub(self.first_seq);
        if dropped > 0 {
            let n = usize::try_from(dropped).map_or(self.ends.len(), |d| d.min(self.ends.len()));
            if let Some(&end) = n.checked_sub(1).and_then(|last| self.ends.get(last)) {
                self.base = end;
            }
            self.ends.drain(..n);
            self.first_seq = store.first_seq();
        }
        let indexed = self.first_seq + self.ends.len() as u64;
        let start = (indexed - store.first_seq()) as usize;
        let mut end = self.ends.back().copied().unwrap_or(self.base);
        let Some((first, mut k0)) = store.locate(start) else {
            return true;
        };
        let mut since_check = 0;
        for entry in store.entries.range(first..) {
            match entry {
                Entry::One(rec) => {
                    if self.view.filter.shows(rec) {
                        let header = header_rows.map_or(1, |f| f(rec, &self.view).max(1));
                        end += (record_rows(rec, &self.view) - 1 + header) as u64;
                    }
                    self.ends.push_back(end);
                }
                Entry::Run(run) => {
                    // The frames of a run differ only in their bytes: one
                    // record stands for each in turn.
                    let mut probe = run.record(k0);
                    let shows = self.view.filter.shows(&probe);
                    // Plain text counted by the worker at this width is
                    // not looked at again, unless it may finish a
                    // character the frame before began.
                    let counted = match self.view.mode {
                        ViewMode::Text | ViewMode::Both => text_cols(&self.view),
                        ViewMode::Hex => None,
                    }
                    .is_some_and(|c| {
                        run.rows.cols as usize == c
                            && codec::text::resolve(self.view.encoding, b"").is_ascii_compatible()
                    });
                    let hex_per = hex_bytes_per_line(&self.view);
                    let mut after_plain = run.lead_in(k0).is_ascii();
                    // A header shows the size of a frame, not its bytes:
                    // frames of one size (most of a flood) take the rows
                    // the last one took.
                    let mut last_header: Option<(usize, usize)> = None;
                    for (k, span) in run.spans.iter().enumerate().skip(k0) {
                        let known = run.rows.rows.get(k).copied().unwrap_or(0) as usize;
                        if shows {
                            let header = match last_header {
                                Some((len, rows)) if len == span.len() => rows,
                                _ => {
                                    if let Body::Rx(p) = &mut probe.body {
                                        p.start = span.start;
                                        p.end = span.end;
                                    }
                                    let rows =
                                        header_rows.map_or(1, |f| f(&probe, &self.view).max(1));
                                    last_header = Some((span.len(), rows));
                                    rows
                                }
                            };
                            let rows = if counted && known > 0 && after_plain {
                                known
                                    + match self.view.mode {
                                        ViewMode::Both => span.len().div_ceil(hex_per),
                                        _ => 0,
                                    }
                            } else {
                                let shape = run.rows.shape(k);
                                layout_after(
                                    run.lead_in(k),
                                    run.payload(k),
                                    &shape,
                                    &self.view,
                                    None,
                                )
                            };
                            end += (rows + header) as u64;
                        }
                        after_plain = known > 0 || run.datagrams;
                        self.ends.push_back(end);
                    }
                }
            }
            since_check += entry.len() - k0;
            k0 = 0;
            if since_check >= 4096 {
                since_check = 0;
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return false;
                }
            }
        }
        true
    }
}

/// Maps display rows to records for the records in a [`LogStore`], so the UI
/// lays out only the rows on screen. Kept in step incrementally: new records
/// are appended, dropped ones removed from the front. A view change (view
/// mode, encoding, wrap width) builds a new index over a few frames within a
/// time budget, while the old one stays on screen, so resizing the window
/// over a million records never stalls a frame.
#[derive(Default)]
pub struct LineIndex {
    active: Option<Rows>,
    pending: Option<Rows>,
    rebuilds: u64,
    header_rows: Option<HeaderRows>,
}

impl LineIndex {
    /// How many rows each record's header takes (one each when not set).
    pub fn set_header_rows(&mut self, f: HeaderRows) {
        self.header_rows = Some(f);
    }

    /// Brings the index in step with `store` under `view`, whatever it takes.
    pub fn sync(&mut self, store: &LogStore, view: &View) {
        while !self.sync_within(store, view, None) {}
    }

    /// Brings the index in step with `store`, spending at most until
    /// `deadline` on rebuilding for a changed view. Returns false while a
    /// rebuild is still under way (call again next frame); until then the
    /// index keeps the old view, which [`LineIndex::view`] reports.
    pub fn sync_within(
        &mut self,
        store: &LogStore,
        view: &View,
        deadline: Option<Instant>,
    ) -> bool {
        let Some(active) = self.active.as_mut() else {
            // The first index is built at once.
            let mut rows = Rows::new(*view, store);
            rows.catch_up(store, None, self.header_rows);
            self.active = Some(rows);
            return true;
        };
        active.catch_up(store, None, self.header_rows);
        if active.view == *view {
            self.pending = None;
            return true;
        }
        let pending = match &mut self.pending {
            Some(p) if p.view == *view => p,
            _ => self.pending.insert(Rows::new(*view, store)),
        };
        if pending.catch_up(store, deadline, self.header_rows) {
            self.active = self.pending.take();
            self.rebuilds += 1;
            return true;
        }
        false
    }

    /// The view the index currently describes (lay rows out with this one).
    pub fn view(&self) -> Option<View> {
        self.active.as_ref().map(|a| a.view)
    }

    /// How many times the whole index was rebuilt for a changed view.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds
    }

    /// Total display rows.
    pub fn rows(&self) -> usize {
        self.active.as_ref().map_or(0, |a| {
            (a.ends.back().copied().unwrap_or(a.base) - a.base) as usize
        })
    }

    /// The record (index into the store) and the line within it for a row.
    pub fn locate(&self, row: usize) -> Option<(usize, usize)> {
        let a = self.active.as_ref()?;
        let abs = a.base + row as u64;
        let i = a.ends.partition_point(|&e| e <= abs);
        let _end = *a.ends.get(i)?;
        let start = if i == 0 { a.base } else { *a.ends.get(i - 1)? };
        Some((i, (abs - start) as usize))
    }

    /// The first row of record `i`.
    pub fn first_row_of(&self, i: usize) -> Option<usize> {
        let a = self.active.as_ref()?;
        let start = if i == 0 { a.base } else { *a.ends.get(i - 1)? };
        Some((start - a.base) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx(bytes: &[u8]) -> Body {
        Body::Rx(bytes.to_vec().into())
    }

    fn text_view() -> View {
        View {
            mode: ViewMode::Text,
            encoding: encoding_rs::UTF_8,
            wrap_cols: Some(10),
            labels: 0,
            filter: Filter::default(),
        }
    }

    #[test]
    fn a_double_byte_character_cut_between_reads_is_carried() {
        let gbk = encoding_rs::GBK;
        // 你好 in GBK is C4 E3 BA C3: the first read ends after C4.
        assert_eq!(
            dbcs_carry(gbk, b"ab \xC4", b"\xE3\xBA\xC3"),
            Some(&b"\xC4"[..])
        );
        // Whole characters at the end: nothing to carry.
        assert_eq!(dbcs_carry(gbk, b"ab \xC4\xE3", b"\xBA\xC3"), None);
        // Counted from the space: C4 E3 is one character, BA starts the next.
        assert_eq!(
            dbcs_carry(gbk, b" \xC4\xE3\xBA", b"\xC3"),
            Some(&b"\xBA"[..])
        );
        // No sure boundary in the tail: nothing is claimed.
        assert_eq!(dbcs_carry(gbk, b"\xC4\xE3\xBA", b"\xC3"), None);
        // A four-byte GB18030 sequence (81 30 81 30) cut after two bytes.
        assert_eq!(
            dbcs_carry(encoding_rs::GB18030, b" \x81\x30", b"\x81\x30"),
            Some(&b"\x81\x30"[..])
        );
        // Big5 and Shift_JIS leads; UTF-8 is not double-byte.
        assert_eq!(
            dbcs_carry(encoding_rs::BIG5, b" \xA4", b"\xA4"),
            Some(&b"\xA4"[..])
        );
        assert_eq!(dbcs_carry(encoding_rs::SHIFT_JIS, b" \xB1", b"\x82"), None);
        assert_eq!(
            dbcs_carry(encoding_rs::SHIFT_JIS, b" \x82", b"\xA0"),
            Some(&b"\x82"[..])
        );
        assert_eq!(dbcs_carry(encoding_rs::UTF_8, b" \xC4", b"\xE3"), None);
        // UTF-8 of every length, cut after its first byte or two.
        assert_eq!(utf8_carry(b"caf\xC3", b"\xA9!"), Some(&b"\xC3"[..]));
        assert_eq!(utf8_carry(b"x\xE4", b"\xB8\xAD"), Some(&b"\xE4"[..]));
        assert_eq!(utf8_carry(b"x\xF0", b"\x9F\x98\x80"), Some(&b"\xF0"[..]));
        assert_eq!(
            utf8_carry(b"x\xF0\x9F", b"\x98\x80"),
            Some(&b"\xF0\x9F"[..])
        );
        // A whole character at the end, or a payload that does not go on
        // with one, carries nothing.
        assert_eq!(utf8_carry(b"caf\xC3\xA9", b"!"), None);
        assert_eq!(utf8_carry(b"x\xE4", b"!"), None);
        // Laid out, the second record starts with the whole character.
        let view = View {
            encoding: gbk,
            wrap_cols: None,
            ..text_view()
        };
        let first = b"say \xC4";
        let second = b"\xE3\xBA\xC3!";
        let mut out = Vec::new();
        layout_after(
            LeadIn::tail_of(first).as_slice(),
            second,
            &TextShape::default(),
            &view,
            Some(&mut out),
        );
        assert_eq!(out, vec!["你好!".to_string()]);
    }

    #[test]
    fn filtered_records_take_no_rows_and_are_skipped() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let mut store = LogStore::new(1 << 20);
        store.push(SystemTime::now(), Some(a), Body::Rx(b"one".to_vec().into()));
        store.push(SystemTime::now(), Some(b), Body::Rx(b"two".to_vec().into()));
        store.push(SystemTime::now(), Some(a), Body::Tx(b"three".to_vec()));
        store.push(
            SystemTime::now(),
            None,
            Body::Note(Note::Message("n".into())),
        );
        let mut idx = LineIndex::default();
        idx.sync_within(&store, &text_view(), None);
        assert_eq!(idx.rows(), 2 + 2 + 2 + 1);
        let only_a = View {
            filter: Filter {
                peer: Some(a),
                ..Filter::default()
            },
            ..text_view()
        };
        idx.sync_within(&store, &only_a, None);
        assert_eq!(idx.rows(), 2 + 2 + 1);
        assert_eq!(idx.locate(0), Some((0, 0)));
        assert_eq!(idx.locate(2), Some((2, 0)));
        assert_eq!(idx.locate(4), Some((3, 0)));
        let no_events_no_tx = View {
            filter: Filter {
                hide_tx: true,
                hide_events: true,
                ..Filter::default()
            },
            ..text_view()
        };
        idx.sync_within(&store, &no_events_no_tx, None);
        assert_eq!(idx.rows(), 4);
        assert_eq!(idx.locate(2), Some((1, 0)));
    }

    #[test]
    fn store_drops_oldest_over_cap_and_counts_what_it_dropped() {
        let cap = 10 * (RECORD_OVERHEAD + 100);
        let mut log = LogStore::new(cap);
        for i in 0..25u8 {
            log.push(SystemTime::now(), None, rx(&[i; 100]));
        }
        assert_eq!(log.len(), 10);
        assert!(log.bytes() <= cap);
        assert_eq!(log.dropped_records(), 15);
        assert_eq!(log.dropped_bytes(), 1500);
        // The newest are kept, in order.
        assert_eq!(log.payload(0).map(|p| p[0]), Some(15));
        assert_eq!(log.payload(9).map(|p| p[0]), Some(24));
        assert_eq!(log.first_seq(), 15);
        assert_eq!(log.next_seq(), 25);
        log.clear();
        assert_eq!((log.len(), log.dropped_records(), log.bytes()), (0, 0, 0));
    }

    #[test]
    fn the_cap_counts_a_record_as_its_bytes_and_its_bookkeeping() {
        let mut log = LogStore::new(1 << 20);
        log.push(SystemTime::now(), None, rx(&[7; 100]));
        let record = std::mem::size_of::<Record>();
        // At least what it really takes, so memory stays under the cap...
        assert!(log.bytes() >= 100 + record, "{}", log.bytes());
        // ...and not much more, so the cap keeps as many as fit.
        assert!(log.bytes() <= 100 + record + 64, "{}", log.bytes());
    }

    #[test]
    fn a_lower_cap_drops_the_oldest_at_once_and_is_reported() {
        let mut log = LogStore::new(100 * (RECORD_OVERHEAD + 100));
        assert!(log.is_empty());
        for i in 0..50u8 {
            log.push(SystemTime::now(), None, rx(&[i; 100]));
        }
        assert!(!log.is_empty());
        assert_eq!(log.len(), 50);
        let cap = 10 * (RECORD_OVERHEAD + 100);
        log.set_cap(cap);
        assert_eq!(log.cap(), cap);
        assert_eq!(log.len(), 10);
        assert_eq!(log.payload(0).map(|p| p[0]), Some(40));
        // The line feeds a text shape lists are counted too.
        let mut log = LogStore::new(1 << 20);
        let text = b"a\nb\nc\nd\n";
        let shape = TextShape::of(text);
        let extra = shape.extra_bytes();
        assert!(extra > 0);
        log.push_received(
            SystemTime::now(),
            None,
            text.to_vec(),
            LeadIn::default(),
            shape,
        );
        assert!(log.bytes() >= text.len() + std::mem::size_of::<Record>() + extra);
    }

    #[test]
    fn a_shared_payload_is_its_range_and_an_impossible_range_is_empty() {
        let buf = Arc::new(b"hello world".to_vec());
        assert_eq!(&Payload::shared(&buf, 6..11)[..], b"world");
        assert_eq!(&Payload::shared(&buf, 0..11)[..], b"hello world");
        assert!(Payload::shared(&buf, 6..12).is_empty());
        let backwards = std::ops::Range { start: 7, end: 6 };
        assert!(Payload::shared(&buf, backwards).is_empty());
        // Equal by content, wherever the bytes live.
        assert_eq!(
            Payload::shared(&buf, 0..5),
            Payload::from(b"hello".to_vec())
        );
        assert_ne!(
            Payload::shared(&buf, 0..5),
            Payload::from(b"world".to_vec())
        );
    }

    #[test]
    fn a_record_bigger_than_the_cap_is_still_kept_alone() {
        let mut log = LogStore::new(1000);
        log.push(SystemTime::now(), None, rx(&[1; 10]));
        log.push(SystemTime::now(), None, rx(&[2; 5000]));
        assert_eq!(log.len(), 1);
        assert_eq!(log.payload(0).map(<[u8]>::len), Some(5000));
    }

    #[test]
    fn payload_lines_wrap_split_and_show_hex() {
        let v = text_view();
        assert_eq!(payload_lines(b"hello\nworld\n", &v), ["hello", "world"]);
        assert_eq!(
            payload_lines(b"a\r\nb\rc\td\x00", &v),
            ["a", "b\\rc    d", "\\x00"]
        );
        assert_eq!(payload_lines(b"abcdefghijkl", &v), ["abcdefghij", "kl"]);
        // Wide characters count two columns.
        assert_eq!(
            payload_lines("你好世界再见啊".as_bytes(), &v),
            ["你好世界再", "见啊"]
        );
        let hex = View {
            mode: ViewMode::Hex,
            wrap_cols: Some(12),
            ..v
        };
        assert_eq!(payload_lines(b"Hello", &hex), ["48 65 6C 6C", "6F"]);
        let both = View {
            mode: ViewMode::Both,
            ..hex
        };
        assert_eq!(payload_lines(b"Hi", &both), ["Hi", "48 69"]);
    }

    #[test]
    fn line_counts_agree_with_the_lines_shown() {
        let samples: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"abc\n\ndef\n".to_vec(),
            b"a\r\nb\rc\td\x00e".to_vec(),
            "你好世界，混合 text 和 wide 字符".as_bytes().to_vec(),
            vec![0xFF, 0xFE, b'x', 0xC4, 0xE3],
            (0..=255u8).collect(),
            b"x".repeat(1000),
        ];
        for enc in [encoding_rs::UTF_8, encoding_rs::GBK, encoding_rs::UTF_16LE] {
            for mode in [ViewMode::Text, ViewMode::Hex, ViewMode::Both] {
                for wrap in [Some(8), Some(13), Some(80), None] {
                    let v = View {
                        mode,
                        encoding: enc,
                        wrap_cols: wrap,
                        labels: 0,
                        filter: Filter::default(),
                    };
                    for s in &samples {
                        assert_eq!(
                            payload_line_count(s, &v),
                            payload_lines(s, &v).len(),
                            "{s:?} {v:?}"
                        );
                        let cols = wrap.unwrap_or(MAX_LINE_CHARS);
                        let lines = if mode == ViewMode::Text {
                            payload_lines(s, &v)
                        } else {
                            vec![]
                        };
                        for line in lines {
                            let w: usize = line.chars().map(char_cols).sum();
                            assert!(
                                w <= cols.max(8) || line.chars().count() == 1,
                                "{line:?} wider than {cols}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_view_change_is_rebuilt_over_several_calls_keeping_the_old_view_meanwhile() {
        let mut log = LogStore::new(1 << 30);
        for i in 0..50_000u32 {
            log.push(SystemTime::now(), None, rx(format!("line {i}").as_bytes()));
        }
        let v = text_view();
        let mut idx = LineIndex::default();
        idx.sync(&log, &v);
        assert_eq!(idx.rows(), 100_000);
        let hex = View {
            mode: ViewMode::Both,
            ..v
        };
        // A deadline already past: one block of records per call.
        let mut calls = 0;
        while !idx.sync_within(&log, &hex, Some(Instant::now())) {
            calls += 1;
            assert_eq!(
                idx.view(),
                Some(v),
                "old view stays until the new one is whole"
            );
            let old: usize = log.iter().map(|r| record_rows(&r, &v)).sum();
            assert_eq!(idx.rows(), old, "rows still those of the old view");
            log.push(SystemTime::now(), None, rx(b"more"));
            assert!(calls < 1000);
        }
        assert!(calls > 1, "the rebuild was spread over calls");
        assert_eq!(idx.view(), Some(hex));
        assert_eq!(idx.rebuilds(), 1);
        let expect: usize = log.iter().map(|r| record_rows(&r, &hex)).sum();
        assert_eq!(idx.rows(), expect);
    }

    /// Frames of `data` at `spans`, pushed as the frames of one read.
    fn push_run(log: &mut LogStore, data: &[u8], spans: &[std::ops::Range<usize>]) -> LeadIn {
        let rows = FrameRows::of(data, spans, Some(10));
        log.push_frames(
            SystemTime::now(),
            "127.0.0.1:9".parse().ok(),
            Arc::new(data.to_vec()),
            spans.to_vec(),
            rows,
            LeadIn::default(),
            false,
        )
    }

    #[test]
    fn the_frames_of_one_read_are_records_one_by_one() {
        let v = text_view();
        let mut log = LogStore::new(1 << 20);
        log.push(SystemTime::now(), None, rx(b"before"));
        // "ab" and half of "你", then its last byte and "cd\n", then a line
        // longer than the 10 columns of the view.
        let data = b"ab\xE4\xBD\xA0cd\nxxxxxxxxxxxxxxx\n";
        let tail = push_run(&mut log, data, &[0..4, 4..8, 8..24]);
        assert_eq!(log.len(), 4);
        assert_eq!(log.next_seq(), 4);
        assert_eq!(tail, LeadIn::tail_of(b"xxxxxxxxxxxxxxx\n"));
        let payloads: Vec<_> = (0..4).map(|i| log.payload(i).map(<[u8]>::to_vec)).collect();
        assert_eq!(
            payloads,
            [
                Some(b"before".to_vec()),
                Some(b"ab\xE4\xBD".to_vec()),
                Some(b"\xA0cd\n".to_vec()),
                Some(b"xxxxxxxxxxxxxxx\n".to_vec()),
            ]
        );
        // Each has its own number; iterating gives the same records.
        let seqs: Vec<_> = log.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
        for (i, r) in log.iter().enumerate() {
            assert_eq!(Some(r.as_ref()), log.get(i).as_deref());
            assert_eq!(log.at(i), Some(r.at));
        }
        // A character cut between two frames shows whole in the second.
        assert_eq!(record_lines(&log.get(1).unwrap(), &v), ["ab\\xE4\\xBD"]);
        assert_eq!(record_lines(&log.get(2).unwrap(), &v), ["你cd"]);
        // The index counts each frame's rows, as if each were pushed alone.
        for view in [
            v,
            View {
                mode: ViewMode::Both,
                ..v
            },
            View {
                wrap_cols: Some(4),
                ..v
            },
        ] {
            let mut idx = LineIndex::default();
            idx.sync(&log, &view);
            let each: Vec<usize> = log.iter().map(|r| record_rows(&r, &view)).collect();
            assert_eq!(idx.rows(), each.iter().sum::<usize>(), "{view:?}");
            let mut row = 0;
            for (i, n) in each.iter().enumerate() {
                assert_eq!(idx.first_row_of(i), Some(row));
                assert_eq!(idx.locate(row + n - 1), Some((i, n - 1)));
                row += n;
            }
        }
        // Headers that take rows by size count each frame's own.
        fn by_size(rec: &Record, _: &View) -> usize {
            rec.payload().map_or(1, |p| 1 + p.len() % 5)
        }
        let mut idx = LineIndex::default();
        idx.set_header_rows(by_size);
        idx.sync(&log, &v);
        let each: usize = log
            .iter()
            .map(|r| record_rows(&r, &v) - 1 + by_size(&r, &v))
            .sum();
        assert_eq!(idx.rows(), each);
        // A double-byte character begun by one frame and ended by a
        // plain one is counted as shown.
        let gbk = View {
            encoding: encoding_rs::GBK,
            ..v
        };
        let mut log = LogStore::new(1 << 20);
        let cut = b"0123 56789ab\xC4cdefghijkl\n0123456789\n";
        push_run(&mut log, cut, &[0..13, 13..24, 24..35]);
        // Ten columns alone, eleven with the wide character.
        assert_eq!(
            record_lines(&log.get(1).unwrap(), &gbk),
            ["腸defghijk", "l"]
        );
        for view in [
            gbk,
            v,
            View {
                mode: ViewMode::Both,
                ..gbk
            },
        ] {
            let mut idx = LineIndex::default();
            idx.sync(&log, &view);
            let each: usize = log.iter().map(|r| record_rows(&r, &view)).sum();
            assert_eq!(idx.rows(), each, "{view:?}");
        }
        // Datagrams stand alone: no character carried from one to the next.
        let mut dgrams = LogStore::new(1 << 20);
        let spans = vec![0..4, 4..8];
        dgrams.push_frames(
            SystemTime::now(),
            None,
            Arc::new(data.to_vec()),
            spans,
            FrameRows::default(),
            LeadIn::default(),
            true,
        );
        assert_eq!(record_lines(&dgrams.get(1).unwrap(), &v), ["\\xA0cd"]);
    }

    #[test]
    fn the_frames_of_a_read_are_dropped_together_and_counted() {
        let line = b"0123456789\n";
        let data: Vec<u8> = line.repeat(100);
        let spans: Vec<_> = (0..100).map(|k| k * 11..(k + 1) * 11).collect();
        let mut one = LogStore::new(1 << 30);
        push_run(&mut one, &data, &spans);
        let run_cost = one.bytes();
        // Less than a record each: the bytes and a little bookkeeping.
        assert!(run_cost < 100 * (11 + RECORD_OVERHEAD), "{run_cost}");
        assert!(run_cost > 100 * 11, "{run_cost}");
        let mut log = LogStore::new(run_cost * 3 + run_cost / 2);
        for _ in 0..5 {
            push_run(&mut log, &data, &spans);
        }
        assert_eq!(log.len(), 300);
        assert_eq!(log.iter().count(), 300);
        assert_eq!(log.first_seq(), 200);
        assert_eq!(log.dropped_records(), 200);
        assert_eq!(log.dropped_bytes(), 2200);
        assert!(log.bytes() <= log.cap());
        assert_eq!(log.get(0).map(|r| r.seq), Some(200));
        assert_eq!(log.payload(299), Some(&line[..]));
        assert!(log.get(300).is_none() && log.payload(300).is_none());
        // The index follows whole runs dropped from the front.
        let v = text_view();
        let mut idx = LineIndex::default();
        idx.sync(&log, &v);
        push_run(&mut log, &data, &spans);
        idx.sync(&log, &v);
        let each: usize = log.iter().map(|r| record_rows(&r, &v)).sum();
        assert_eq!(idx.rows(), each);
        assert_eq!(idx.locate(0), Some((0, 0)));
        log.clear();
        assert!(log.is_empty() && log.get(0).is_none());
    }

    #[test]
    fn a_utf8_character_cut_between_reads_shows_whole_in_the_second() {
        let v = text_view();
        let mut log = LogStore::new(1 << 20);
        let first = b"ab\xE4\xBD".to_vec(); // "ab" + the first two bytes of "你"
        let second = b"\xA0cd".to_vec(); // the last byte of "你" + "cd"
        log.push(SystemTime::now(), None, Body::Rx(first.clone().into()));
        log.push_after(
            SystemTime::now(),
            None,
            Body::Rx(second.into()),
            LeadIn::tail_of(&first),
        );
        // The first read shows its bytes as they are; the second shows the character.
        assert_eq!(record_lines(&log.get(0).unwrap(), &v), ["ab\\xE4\\xBD"]);
        assert_eq!(record_lines(&log.get(1).unwrap(), &v), ["你cd"]);
        for r in log.iter() {
            assert_eq!(record_rows(&r, &v), 1 + record_lines(&r, &v).len());
        }
        // Hex shows each read's own bytes.
        let hex = View {
            mode: ViewMode::Hex,
            ..v
        };
        assert_eq!(record_lines(&log.get(1).unwrap(), &hex), ["A0 63 64"]);
        // A lead-in that the next read does not continue changes nothing.
        let r = Record {
            seq: 0,
            at: SystemTime::now(),
            peer: None,
            body: Body::Rx(b"xy".to_vec().into()),
            lead_in: LeadIn::tail_of(b"\xE4\xBD"),
            shape: TextShape::of(b"xy"),
            target: false,
        };
        assert_eq!(record_lines(&r, &v), ["xy"]);
        // Nor does a complete character, or another encoding.
        assert_eq!(utf8_carry("你".as_bytes(), b"\xA0"), None);
        let gbk = View {
            encoding: encoding_rs::GBK,
            ..v
        };
        assert_eq!(record_lines(&log.get(1).unwrap(), &gbk).len(), 1);
    }

    #[test]
    fn index_follows_appends_drops_and_view_changes() {
        let mut log = LogStore::new(4 * (RECORD_OVERHEAD + 3));
        let mut idx = LineIndex::default();
        let v = text_view();
        log.push(SystemTime::now(), None, rx(b"a\nb")); // 3 rows
        log.push(SystemTime::now(), None, rx(b"c")); // 2 rows
        idx.sync(&log, &v);
        assert_eq!(idx.rows(), 5);
        assert_eq!(idx.locate(0), Some((0, 0)));
        assert_eq!(idx.locate(2), Some((0, 2)));
        assert_eq!(idx.locate(3), Some((1, 0)));
        assert_eq!(idx.locate(5), None);
        for _ in 0..5 {
            log.push(SystemTime::now(), None, rx(b"d"));
        }
        idx.sync(&log, &v);
        assert_eq!(log.len(), 4);
        assert_eq!(idx.rows(), 8);
        assert_eq!(idx.locate(7), Some((3, 1)));
        assert_eq!(idx.first_row_of(3), Some(6));
        let hex = View {
            mode: ViewMode::Both,
            ..v
        };
        idx.sync(&log, &hex);
        assert_eq!(idx.rows(), 12);
        log.clear();
        idx.sync(&log, &hex);
        assert_eq!(idx.rows(), 0);
        log.push(SystemTime::now(), None, rx(b"e"));
        idx.sync(&log, &hex);
        assert_eq!(idx.rows(), 3);
    }

    #[test]
    fn notes_wrap_between_words_and_never_inside_an_address() {
        let t = "[17:32:02.089] Connected to 127.0.0.1:9100 from 127.0.0.1:42430";
        for cols in 16..70 {
            let pieces = split_words(t, cols);
            assert_eq!(pieces.concat(), t, "{cols}");
            for p in &pieces {
                assert!(text_width(p) <= cols, "{p:?} in {cols}");
            }
            // Every address is whole on one line.
            for addr in ["127.0.0.1:9100", "127.0.0.1:42430", "[17:32:02.089]"] {
                assert!(
                    pieces.iter().any(|p| p.contains(addr)),
                    "{addr} cut in {pieces:?}"
                );
            }
        }
        // A word longer than a line is all that is ever cut.
        assert_eq!(split_words("ab abcdefgh", 4), ["ab ", "abcd", "efgh"]);
        // Chinese breaks between characters, not inside a number.
        assert_eq!(
            split_words("监听于 127.0.0.1:9100", 16),
            ["监听于 ", "127.0.0.1:9100"]
        );
        assert_eq!(split_words("网络调试助手", 5), ["网络", "调试", "助手"]);
        assert_eq!(split_words("", 3), [""]);
    }

    #[test]
    fn wide_characters_take_two_columns() {
        // Each wide block: Hangul Jamo, CJK, Hangul, compatibility
        // ideographs, CJK forms, fullwidth forms and signs, emoji, and the
        // supplementary ideographs; Latin, accented and Cyrillic are narrow.
        for c in "\u{1100}\u{2E80}中\u{AC00}\u{F900}\u{FE30}Ａ\u{FFE0}😀\u{20000}".chars() {
            assert_eq!(char_cols(c), 2, "{c:?} U+{:04X}", c as u32);
        }
        for c in "aé Ж\u{2E7F}\u{FF61}".chars() {
            assert_eq!(char_cols(c), 1, "{c:?} U+{:04X}", c as u32);
        }
    }

    #[test]
    fn text_lines_wrap_at_exactly_the_width_and_escape_controls() {
        let lines = |text: &str, cols| {
            let mut out = Vec::new();
            let n = wrap_text(text, cols, Some(&mut out));
            assert_eq!(n, out.len(), "the count agrees with the lines");
            out
        };
        assert_eq!(lines("abcd", 4), ["abcd"]);
        assert_eq!(lines("abcde", 4), ["abcd", "e"]);
        assert_eq!(lines("\x1b[0m", 8), ["\\x1B[0m"]);
        assert_eq!(lines("a\tb\r\nc\rd", 20), ["a    b", "c\\rd"]);
    }

    #[test]
    fn plain_ascii_rows_are_counted_without_decoding_and_agree_with_the_layout() {
        let texts = [
            "short",
            "exactly8",
            "a line of twenty-one",
            "one\ntwo\n",
            "first line that wraps\nsecond\n\nfourth line wraps too\n",
            "no final line feed\nbut two lines",
            "\n\n\n",
            // Two rows of 8 exactly, and one column more.
            "0123456789abcdef\n0123456789abcdefg",
        ];
        for text in texts {
            for cols in [1, 3, 8, 10, 80] {
                // The layout leaves out a final line feed (it ends the
                // last line; it does not start an empty one).
                let want = wrap_text(text.strip_suffix('\n').unwrap_or(text), cols, None);
                // Without anything known, and with the worker's shape.
                assert_eq!(
                    ascii_rows(text.as_bytes(), cols, None),
                    Some(want),
                    "{text:?} at {cols}"
                );
                let shape = TextShape::of(text.as_bytes());
                assert_eq!(
                    ascii_rows(text.as_bytes(), cols, Some(&shape)),
                    Some(want),
                    "{text:?} at {cols}, shape {shape:?}"
                );
                // Rows the worker counted at this width, and at another
                // (the log has been resized since).
                for at in [cols, cols + 1] {
                    let shape = TextShape::of_at(text.as_bytes(), Some(at));
                    assert_eq!(shape.rows.map(|r| r.0 as usize), Some(at));
                    assert_eq!(
                        ascii_rows(text.as_bytes(), cols, Some(&shape)),
                        Some(want),
                        "{text:?} at {cols}, counted at {at}: {shape:?}"
                    );
                }
            }
        }
        // Anything else goes the decoding way.
        assert_eq!(ascii_rows("中文".as_bytes(), 10, None), None);
    }

    #[test]
    fn hex_lines_hold_whole_groups_of_four_bytes_that_fit_the_width() {
        let per = |cols| {
            hex_bytes_per_line(&View {
                mode: ViewMode::Hex,
                wrap_cols: cols,
                ..text_view()
            })
        };
        // Three columns a byte ("4F "): 40 columns take 13, so 12.
        assert_eq!(per(Some(40)), 12);
        assert_eq!(per(Some(100)), 32);
        assert_eq!(per(Some(5)), 4);
        assert_eq!(per(Some(1000)), 64);
        assert_eq!(per(None), 32);
    }

    #[test]
    fn a_filter_that_hides_nothing_says_so() {
        assert!(Filter::default().is_all());
        let f = Filter {
            hide_rx: true,
            ..Filter::default()
        };
        assert!(!f.is_all());
    }

    #[test]
    fn a_wrapped_header_takes_the_rows_it_needs() {
        fn long_notes(rec: &Record, _: &View) -> usize {
            if matches!(rec.body, Body::Note(_)) {
                3
            } else {
                1
            }
        }
        let mut log = LogStore::default();
        log.push(
            SystemTime::now(),
            None,
            Body::Note(Note::Message("x".into())),
        );
        log.push(SystemTime::now(), None, rx(b"hi"));
        let mut idx = LineIndex::default();
        idx.set_header_rows(long_notes);
        idx.sync(&log, &text_view());
        assert_eq!(idx.rows(), 3 + 2);
        assert_eq!(idx.locate(2), Some((0, 2)));
        assert_eq!(idx.locate(3), Some((1, 0)));
    }

    #[test]
    fn a_window_of_lines_matches_the_whole_layout() {
        let mut log = LogStore::default();
        let samples: [&[u8]; 5] = [
            b"short",
            b"a line that wraps over several rows\nand a second one\n\nafter an empty line\n",
            &[b'x'; 300],
            "非 ASCII 的文本，也要对得上".as_bytes(),
            b"tab\there and cr\r\n",
        ];
        for s in samples {
            log.push(SystemTime::now(), None, rx(s));
        }
        for mode in [ViewMode::Text, ViewMode::Hex, ViewMode::Both] {
            let v = View {
                mode,
                ..text_view()
            };
            for rec in log.iter() {
                let all = record_lines(&rec, &v);
                for first in 0..all.len() + 2 {
                    for count in [0, 1, 3, 100] {
                        let end = (first + count).min(all.len());
                        let want = &all[first.min(end)..end];
                        assert_eq!(record_lines_window(&rec, &v, first, count), want);
                    }
                }
            }
        }
    }

    #[test]
    fn a_shape_from_the_worker_lays_out_as_if_checked_here() {
        let samples: [&[u8]; 6] = [
            b"known ascii, wrapped over rows\nand a second line\n",
            b"no line feed at all, long enough to wrap a few times",
            b"\n\n\nonly breaks first",
            b"",
            b"\n",
            b"ends without one\nx",
        ];
        for text in samples {
            let mut log = LogStore::default();
            let shape = TextShape::of(text);
            assert!(shape.breaks.is_some());
            log.push_received(
                SystemTime::now(),
                None,
                text.to_vec(),
                LeadIn::default(),
                shape,
            );
            log.push(SystemTime::now(), None, rx(text));
            check_same(&log.get(0).unwrap(), &log.get(1).unwrap());
        }
    }

    fn check_same(known: &Record, checked: &Record) {
        for cols in [Some(8), Some(12), None] {
            let v = View {
                wrap_cols: cols,
                ..text_view()
            };
            assert_eq!(record_rows(known, &v), record_rows(checked, &v));
            assert_eq!(record_lines(known, &v), record_lines(checked, &v));
            assert_eq!(
                record_lines_window(known, &v, 1, 2),
                record_lines_window(checked, &v, 1, 2)
            );
        }
    }
}
