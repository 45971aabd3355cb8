//! Bad networks on purpose: what a relay does to the bytes it passes on,
//! per direction. Delay with jitter, a bandwidth cap, cutting into pieces
//! (分包), holding pieces to write them as one (粘包), corrupting bytes and
//! cutting the connection after so many bytes.
//!
//! The settings ([`Impairment`]) are plain data, parsed from the relay
//! spec's options or the session's form. A [`StreamShaper`] applies one
//! direction's settings to one TCP connection: bytes go in as they are
//! read from the other side, and come out as timed pieces for the worker
//! to write. Nothing here touches a socket or the clock: the caller passes
//! the time, so every effect can be tested exactly.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

/// Cut what passes into pieces of `min..=max` bytes, `gap` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub min: usize,
    pub max: usize,
    pub gap: Duration,
}

/// After `after` bytes in a direction, end the connection: a close (FIN)
/// or, with `reset`, a reset (RST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub after: u64,
    pub reset: bool,
}

/// What one direction of a relay does to what passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Impair {
    pub delay: Duration,
    /// The delay varies by up to this much either way.
    pub jitter: Duration,
    /// Bytes per second at most.
    pub rate: Option<u64>,
    pub slice: Option<Slice>,
    /// Pieces that arrive within this window are written as one.
    pub merge: Option<Duration>,
    /// Datagrams only (the UDP relay): shares in parts per million.
    pub loss: u32,
    pub dup: u32,
    pub reorder: u32,
    /// The share of bytes that get one bit flipped, parts per million.
    pub corrupt: u32,
    pub cut: Option<Cut>,
    /// Datagrams only: a jitter never lets one overtake another (a
    /// stream always keeps its order).
    pub keep_order: bool,
}

impl Impair {
    /// Whether it changes anything.
    pub fn is_none(&self) -> bool {
        // Keeping order changes nothing by itself.
        Impair {
            keep_order: false,
            ..*self
        } == Impair::default()
    }

    /// Sets one option (`delay`, `jitter`, `rate`, `slice`, `merge`,
    /// `loss`, `dup`, `reorder`, `corrupt`, `cut`) from its text; an empty
    /// text turns it off. The error names the option and what it takes.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ImpairError> {
        let v = value.trim();
        let off = v.is_empty();
        let bad = |allowed: &'static str| ImpairError {
            option: key.trim().to_string(),
            value: v.to_string(),
            allowed,
        };
        match key.trim() {
            "delay" => {
                self.delay = if off {
                    Duration::ZERO
                } else {
                    duration(v, MAX_DELAY).ok_or_else(|| bad(DELAY_RANGE))?
                }
            }
            "jitter" => {
                self.jitter = if off {
                    Duration::ZERO
                } else {
                    duration(v, MAX_DELAY).ok_or_else(|| bad(DELAY_RANGE))?
                }
            }
            "rate" => {
                self.rate = if off {
                    None
                } else {
                    Some(rate(v).ok_or_else(|| bad(RATE_RANGE))?)
                }
            }
            "slice" => {
                self.slice = if off {
                    None
                } else {
                    Some(slice(v).ok_or_else(|| bad(SLICE_RANGE))?)
                }
            }
            "merge" => {
                self.merge = if off {
                    None
                } else {
                    Some(
                        duration(v, MAX_DELAY)
                            .filter(|d| !d.is_zero())
                            .ok_or_else(|| bad(MERGE_RANGE))?,
                    )
                }
            }
            "loss" => self.loss = share(v, off).ok_or_else(|| bad(SHARE_RANGE))?,
            "dup" => self.dup = share(v, off).ok_or_else(|| bad(SHARE_RANGE))?,
            "reorder" => self.reorder = share(v, off).ok_or_else(|| bad(SHARE_RANGE))?,
            "corrupt" => self.corrupt = share(v, off).ok_or_else(|| bad(SHARE_RANGE))?,
            "order" => {
                self.keep_order = match v {
                    "" | "any" => false,
                    "keep" => true,
                    _ => return Err(bad(ORDER_RANGE)),
                }
            }
            "cut" => {
                self.cut = if off {
                    None
                } else {
                    Some(cut(v).ok_or_else(|| bad(CUT_RANGE))?)
                }
            }
            _ => {
                return Err(ImpairError {
                    option: key.trim().to_string(),
                    value: v.to_string(),
                    allowed: UNKNOWN,
                });
            }
        }
        Ok(())
    }

    /// The option's value as the spec syntax writes it ("" when off).
    pub fn text(&self, key: &str) -> String {
        let pct = |ppm: u32| {
            if ppm == 0 {
                String::new()
            } else {
                format!("{}%", trim_float(f64::from(ppm) / 10_000.0))
            }
        };
        match key {
            "delay" => ms_text(self.delay),
            "jitter" => ms_text(self.jitter),
            "rate" => self.rate.map(|r| format!("{r}B/s")).unwrap_or_default(),
            "slice" => self.slice.map(|s| s.to_string()).unwrap_or_default(),
            "merge" => self.merge.map(ms_text).unwrap_or_default(),
            "loss" => pct(self.loss),
            "dup" => pct(self.dup),
            "reorder" => pct(self.reorder),
            "corrupt" => pct(self.corrupt),
            "order" => String::from(if self.keep_order { "keep" } else { "" }),
            "cut" => self
                .cut
                .map(|c| {
                    if c.reset {
                        format!("{}:reset", c.after)
                    } else {
                        c.after.to_string()
                    }
                })
                .unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// The options, in the order the form shows them.
pub const OPTIONS: [&str; 11] = [
    "delay", "jitter", "order", "rate", "slice", "merge", "loss", "dup", "reorder", "corrupt",
    "cut",
];

/// The options that only datagrams take.
pub fn datagram_only(key: &str) -> bool {
    matches!(key, "order" | "loss" | "dup" | "reorder")
}

/// The options that only a stream takes.
pub fn stream_only(key: &str) -> bool {
    matches!(key, "slice" | "merge" | "cut")
}

impl fmt::Display for Slice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)?;
        } else {
            write!(f, "{}-{}", self.min, self.max)?;
        }
        if !self.gap.is_zero() {
            write!(f, "/{}", ms_text(self.gap))?;
        }
        Ok(())
    }
}

/// Both directions of a relay: `up` is client to target, `down` target to
/// client; `on` switches all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Impairment {
    pub on: bool,
    pub up: Impair,
    pub down: Impair,
}

impl Impairment {
    /// The settings of one direction, if impairment is on and it does
    /// anything.
    pub fn toward(&self, target: bool) -> Option<&Impair> {
        let d = if target { &self.up } else { &self.down };
        (self.on && !d.is_none()).then_some(d)
    }

    /// A relay spec option: `delay=200ms` (both directions), `up.delay=`
    /// (client to target) or `down.delay=` (target to client). `Ok(false)`:
    /// not an impairment option.
    pub fn parse_option(&mut self, key: &str, value: &str) -> Result<bool, ImpairError> {
        let key = key.trim();
        let (dirs, name): (&[bool], &str) = match key.split_once('.') {
            Some(("up", n)) => (&[true], n),
            Some(("down", n)) => (&[false], n),
            Some(_) => return Ok(false),
            None => (&[true, false], key),
        };
        if !OPTIONS.contains(&name) {
            return Ok(false);
        }
        for up in dirs {
            let d = if *up { &mut self.up } else { &mut self.down };
            d.set(name, value)?;
        }
        self.on = true;
        Ok(true)
    }
}

/// An option with a value it does not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpairError {
    pub option: String,
    pub value: String,
    /// What the option takes, in words.
    pub allowed: &'static str,
}

impl fmt::Display for ImpairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.allowed == UNKNOWN {
            write!(f, "{}: {UNKNOWN}", self.option)
        } else {
            write!(
                f,
                "{}={}: {} takes {}",
                self.option, self.value, self.option, self.allowed
            )
        }
    }
}

const MAX_DELAY: Duration = Duration::from_secs(60);
const DELAY_RANGE: &str = "a time from 0 to 60 s (200ms, 1.5s)";
const MERGE_RANGE: &str = "a time from 1 ms to 60 s (50ms)";
const RATE_RANGE: &str = "a rate from 1 B/s (500B/s, 64kB/s, 1MB/s, 2MiB/s)";
const SLICE_RANGE: &str = "N[-M][/GAP]: pieces of 1 to 1048576 bytes (1/20ms, 5-50/10ms)";
const SHARE_RANGE: &str = "a share from 0% to 100% (5%, 0.1%)";
const ORDER_RANGE: &str = "keep, or nothing (jitter may then reorder datagrams)";
const CUT_RANGE: &str = "a byte count from 1, then :reset or :close (4096, 4096:reset)";
const UNKNOWN: &str = "not an impairment option (delay, jitter, rate, slice, merge, loss, dup, reorder, corrupt, cut)";
/// The largest piece a slice makes.
const MAX_SLICE: usize = 1 << 20;

/// `200ms`, `1.5s`, `2m`; a bare number is milliseconds.
fn duration(s: &str, max: Duration) -> Option<Duration> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num.parse().ok()?;
    let secs = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => v / 1000.0,
        "s" => v,
        "m" | "min" => v * 60.0,
        "us" | "µs" => v / 1e6,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::from_secs_f64(secs))
        .filter(|d| *d <= max)
}

/// `500B/s`, `64kB/s`, `1MB/s`, `2MiB/s`; a bare number is bytes a second.
fn rate(s: &str) -> Option<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num.parse().ok()?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b/s" | "bps" => 1.0,
        "kb/s" => 1e3,
        "mb/s" => 1e6,
        "gb/s" => 1e9,
        "kib/s" => 1024.0,
        "mib/s" => 1024.0 * 1024.0,
        "gib/s" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let b = (v * scale).round();
    (b.is_finite() && (1.0..1e15).contains(&b)).then_some(b as u64)
}

/// How a session's own sends are written: each cut into pieces (分包)
/// with a gap between them, and `join` sends written as one (粘包).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendShape {
    pub split: Option<Slice>,
    /// Hold sends until this many have come, then write them as one.
    pub join: Option<u32>,
}

impl SendShape {
    pub fn is_none(&self) -> bool {
        *self == SendShape::default()
    }
}

/// The most sends a join holds.
pub const MAX_JOIN: u32 = 1000;

/// `N[-M][/GAP]`: pieces of N bytes (or N to M), GAP apart.
pub fn parse_slice(s: &str) -> Option<Slice> {
    slice(s)
}

/// `N[-M][/GAP]`.
fn slice(s: &str) -> Option<Slice> {
    let (sizes, gap) = match s.split_once('/') {
        Some((a, g)) => (a, duration(g, MAX_DELAY)?),
        None => (s, Duration::ZERO),
    };
    let size = |t: &str| {
        t.trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_SLICE).contains(n))
    };
    let (min, max) = match sizes.split_once('-') {
        Some((a, b)) => (size(a)?, size(b)?),
        None => {
            let n = size(sizes)?;
            (n, n)
        }
    };
    (min <= max).then_some(Slice { min, max, gap })
}

/// `5%`, `0.1%`, or a share `0.05`, in parts per million; empty is none.
fn share(s: &str, off: bool) -> Option<u32> {
    if off {
        return Some(0);
    }
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => t.parse::<f64>().ok()?,
    };
    (v.is_finite() && (0.0..=1.0).contains(&v)).then(|| (v * 1e6).round() as u32)
}

/// `4096`, `4096:reset`, `4096:close`.
fn cut(s: &str) -> Option<Cut> {
    let (n, how) = match s.split_once(':') {
        Some((n, h)) => (n, h.trim()),
        None => (s, "close"),
    };
    let after = n.trim().parse::<u64>().ok().filter(|n| *n >= 1)?;
    let reset = match how {
        "reset" | "rst" => true,
        "close" | "fin" => false,
        _ => return None,
    };
    Some(Cut { after, reset })
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn ms_text(d: Duration) -> String {
    if d.is_zero() {
        return String::new();
    }
    let ms = d.as_secs_f64() * 1000.0;
    format!("{}ms", trim_float(ms))
}

/// A small, seeded random source (SplitMix64): the same seed makes the
/// same effects, so a test run can be repeated.
#[derive(Debug, Clone)]
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// True with a probability of `ppm` parts per million.
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        ppm > 0 && self.next_u64() % 1_000_000 < u64::from(ppm)
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo + 1) as u64;
        lo + (self.next_u64() % span) as usize
    }
}

/// Cuts `data` into pieces as `sl` says, the first at `start` and each
/// next a gap later; returns the pieces with their times, and the time the
/// next send's first piece may go at the earliest (a gap after the last).
pub fn split_in_time(
    random: &mut Random,
    sl: Slice,
    start: Instant,
    data: &[u8],
) -> (Vec<(Instant, Vec<u8>)>, Instant) {
    let mut at = start;
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if !pieces.is_empty() {
            at += sl.gap;
        }
        let n = random.between(sl.min, sl.max).min(rest.len());
        let (piece, more) = rest.split_at(n);
        rest = more;
        pieces.push((at, piece.to_vec()));
    }
    (pieces, at + sl.gap)
}

/// A datagram a session sends: where to, the bytes, whose.
pub type Outgoing<A, T> = (A, Vec<u8>, T);

/// A datagram session's own sends (UDP, Unix datagram), split and joined
/// as its [`SendShape`] says: each piece is a datagram of its own, a join
/// one datagram. Generic over the address and the sender's tag; the
/// caller passes the time.
#[derive(Debug)]
pub struct DatagramSends<A, T> {
    /// Sends held to go as one: where to, whose, the bytes, how many.
    joining: Option<(A, T, Vec<u8>, u32)>,
    /// Pieces of split sends, in time order, going no sooner than their time.
    pieces: VecDeque<(Instant, Outgoing<A, T>)>,
    /// The earliest the next split piece may go (keeps the gap between
    /// one send's last piece and the next send's first).
    split_next: Option<Instant>,
    random: Random,
}

impl<A, T> Default for DatagramSends<A, T> {
    fn default() -> Self {
        DatagramSends {
            joining: None,
            pieces: VecDeque::new(),
            split_next: None,
            random: Random::new(0x5eed),
        }
    }
}

impl<A: Clone + PartialEq, T: Copy + PartialEq> DatagramSends<A, T> {
    /// Nothing held: a send may go straight out when nothing is shaped.
    pub fn is_idle(&self) -> bool {
        self.joining.is_none() && self.pieces.is_empty()
    }

    /// Bytes held (for a join, or as pieces not yet due).
    pub fn held_bytes(&self) -> usize {
        self.joining.as_ref().map_or(0, |j| j.2.len())
            + self.pieces.iter().map(|(_, d)| d.1.len()).sum::<usize>()
    }

    /// Takes a send at `now`; returns the datagrams that go now, in order.
    /// A join never passes `max` bytes, nor mixes destinations or senders.
    pub fn push(
        &mut self,
        now: Instant,
        shape: &SendShape,
        send: Outgoing<A, T>,
        max: usize,
    ) -> Vec<Outgoing<A, T>> {
        let (to, bytes, tag) = send;
        let mut ready = Vec::new();
        match shape.join.filter(|k| *k > 1) {
            Some(k) => {
                if self.joining.as_ref().is_some_and(|(t, g, held, _)| {
                    *t != to || *g != tag || held.len() + bytes.len() > max
                }) && let Some((t, g, held, _)) = self.joining.take()
                {
                    ready.push((t, held, g));
                }
                let (_, _, held, n) = self.joining.get_or_insert_with(|| (to, tag, Vec::new(), 0));
                held.extend_from_slice(&bytes);
                *n += 1;
                if *n >= k
                    && let Some((t, g, held, _)) = self.joining.take()
                {
                    ready.push((t, held, g));
                }
            }
            None => {
                // Held before join was turned off: they go first.
                if let Some((t, g, held, _)) = self.joining.take() {
                    ready.push((t, held, g));
                }
                ready.push((to, bytes, tag));
            }
        }
        self.place(now, shape, ready)
    }

    /// Lets a held join go when `whose` accepts its sender (a job that
    /// has ended, a change of shape); returns what goes now.
    pub fn release_join(
        &mut self,
        now: Instant,
        shape: &SendShape,
        whose: impl Fn(&T) -> bool,
    ) -> Vec<Outgoing<A, T>> {
        match self.joining.take() {
            Some((t, g, held, _)) if whose(&g) => self.place(now, shape, vec![(t, held, g)]),
            other => {
                self.joining = other;
                Vec::new()
            }
        }
    }

    /// Whole datagrams into pieces a gap apart (with a split), behind
    /// pieces still waiting; returns what is due now.
    fn place(
        &mut self,
        now: Instant,
        shape: &SendShape,
        ready: Vec<Outgoing<A, T>>,
    ) -> Vec<Outgoing<A, T>> {
        let mut out = Vec::new();
        for (to, data, tag) in ready {
            let Some(sl) = shape.split else {
                match self.pieces.back().map(|(at, _)| *at) {
                    Some(at) => self.pieces.push_back((at, (to, data, tag))),
                    None => out.push((to, data, tag)),
                }
                continue;
            };
            let at = self.split_next.map_or(now, |t| t.max(now));
            if data.is_empty() {
                // An empty datagram is one piece, empty.
                self.pieces.push_back((at, (to, data, tag)));
                continue;
            }
            let (pieces, next) = split_in_time(&mut self.random, sl, at, &data);
            for (at, piece) in pieces {
                self.pieces.push_back((at, (to.clone(), piece, tag)));
            }
            self.split_next = Some(next);
        }
        out.extend(self.take_due(now));
        out
    }

    /// The pieces due at `now`, in order.
    pub fn take_due(&mut self, now: Instant) -> Vec<Outgoing<A, T>> {
        let mut out = Vec::new();
        while self.pieces.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, d)) = self.pieces.pop_front() {
                out.push(d);
            }
        }
        out
    }

    /// When the next piece is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.pieces.front().map(|(at, _)| *at)
    }

    /// How long a poll may sleep for the next piece: whole milliseconds
    /// (the poll's unit), rounded up so the wake is never early.
    pub fn poll_wait(&self, now: Instant) -> Option<Duration> {
        let left = self.next_due()?.saturating_duration_since(now);
        Some(Duration::from_millis(
            left.as_nanos().div_ceil(1_000_000) as u64
        ))
    }

    /// Takes out what `whose` accepts (a stopped job's sends).
    pub fn purge(&mut self, whose: impl Fn(&T) -> bool) -> Vec<Outgoing<A, T>> {
        let mut gone = Vec::new();
        match self.joining.take() {
            Some((t, g, held, _)) if whose(&g) => gone.push((t, held, g)),
            other => self.joining = other,
        }
        let (keep, out): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.pieces)
            .into_iter()
            .partition(|(_, d)| !whose(&d.2));
        self.pieces = keep;
        gone.extend(out.into_iter().map(|(_, d)| d));
        gone
    }
}

/// What the impairments of a direction have done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImpairCounts {
    /// Pieces held back by a delay.
    pub delayed: u64,
    /// Pieces a slice made.
    pub pieces: u64,
    /// Writes that joined several pieces.
    pub merged: u64,
    /// Bytes held back by the rate cap (waited for their turn).
    pub paced: u64,
    pub corrupted: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub cut: u64,
}

impl ImpairCounts {
    pub fn add(&mut self, o: &ImpairCounts) {
        self.delayed += o.delayed;
        self.pieces += o.pieces;
        self.merged += o.merged;
        self.paced += o.paced;
        self.corrupted += o.corrupted;
        self.dropped += o.dropped;
        self.duplicated += o.duplicated;
        self.reordered += o.reordered;
        self.cut += o.cut;
    }

    pub fn is_zero(&self) -> bool {
        *self == ImpairCounts::default()
    }
}

/// What impairments did in each direction of a relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BothWays {
    pub to_target: ImpairCounts,
    pub to_client: ImpairCounts,
}

impl BothWays {
    pub fn side(&mut self, toward_target: bool) -> &mut ImpairCounts {
        if toward_target {
            &mut self.to_target
        } else {
            &mut self.to_client
        }
    }
}

/// What a shaper hands the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shaped {
    /// Write these bytes now.
    Bytes(Vec<u8>),
    /// The bytes that follow (`bytes` of them in all, maybe in several
    /// pieces) were held `after` by a delay, jitter or merge.
    Held { after: Duration, bytes: usize },
    /// End the connection now, once what came before is written.
    Cut { reset: bool },
}

/// A byte a corruption changed: where in the direction's stream, and
/// what it was and became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flipped {
    pub offset: u64,
    pub was: u8,
    pub now: u8,
}

/// When what arrived at `arrived` goes: after the delay, give or take the
/// jitter, never before it arrived; counted as delayed when either is set.
fn delayed(
    random: &mut Random,
    counts: &mut ImpairCounts,
    arrived: Instant,
    cfg: &Impair,
) -> Instant {
    let mut at = arrived + cfg.delay;
    if !cfg.jitter.is_zero() {
        let j = cfg.jitter.as_secs_f64() * (random.unit() * 2.0 - 1.0);
        at = if j >= 0.0 {
            at + Duration::from_secs_f64(j)
        } else {
            at.checked_sub(Duration::from_secs_f64(-j))
                .unwrap_or(arrived)
                .max(arrived)
        };
    }
    if !cfg.delay.is_zero() || !cfg.jitter.is_zero() {
        counts.delayed += 1;
    }
    at
}

/// A piece waiting for its time; a cap may let it out in parts (`off`:
/// how much of it has gone).
#[derive(Debug)]
struct Piece {
    at: Instant,
    bytes: Vec<u8>,
    off: usize,
    cut: Option<bool>,
    /// On the first piece of what a delay, jitter or merge held: when it
    /// arrived, and its bytes in all (told as it starts to go).
    held: Option<(Instant, usize)>,
}

impl Piece {
    fn left(&self) -> usize {
        self.bytes.len() - self.off
    }
}

/// Less than a byte of allowance lost to floating point is no reason to
/// wait again.
const EPSILON: f64 = 1e-6;

/// The most a cap lets out at a time: a fiftieth of a second's worth, so
/// a cap is smooth and close to its figure over any second.
fn burst(rate: u64) -> usize {
    (rate / 50).max(1) as usize
}

/// One direction of one TCP link: bytes in, timed pieces out, in order.
#[derive(Debug)]
pub struct StreamShaper {
    random: Random,
    /// Pieces in the order they go out (their times never go backwards).
    queue: VecDeque<Piece>,
    queued: usize,
    /// Pieces held to be written as one: since when, and the bytes.
    merging: Option<(Instant, Vec<u8>)>,
    /// Bytes that came in (for the cut and for offsets).
    passed: u64,
    cut_done: bool,
    /// The last piece's time: a later one never goes before it.
    last_at: Option<Instant>,
    /// The cap's allowance: bytes that may go now, as of `refilled`.
    allowance: f64,
    refilled: Option<Instant>,
    counts: ImpairCounts,
}

impl StreamShaper {
    pub fn new(seed: u64) -> StreamShaper {
        StreamShaper {
            random: Random::new(seed),
            queue: VecDeque::new(),
            queued: 0,
            merging: None,
            passed: 0,
            cut_done: false,
            last_at: None,
            allowance: 0.0,
            refilled: None,
            counts: ImpairCounts::default(),
        }
    }

    /// Bytes waiting in the shaper (a relay reads the other side only
    /// while this and the write queue are small).
    pub fn pending(&self) -> usize {
        self.queued + self.merging.as_ref().map_or(0, |(_, b)| b.len())
    }

    /// What the effects have done since the last call.
    pub fn take_counts(&mut self) -> ImpairCounts {
        std::mem::take(&mut self.counts)
    }

    /// Takes bytes read from the other side at `now`. Returns the bytes a
    /// corruption changed (for the log).
    pub fn push(&mut self, now: Instant, mut bytes: Vec<u8>, cfg: &Impair) -> Vec<Flipped> {
        if self.cut_done || bytes.is_empty() {
            return Vec::new();
        }
        // Cut: what goes past the count is never sent.
        let mut cut_now = None;
        if let Some(c) = cfg.cut {
            let left = c.after.saturating_sub(self.passed);
            if bytes.len() as u64 >= left {
                bytes.truncate(left as usize);
                cut_now = Some(c.reset);
                self.cut_done = true;
            }
        }
        let start = self.passed;
        self.passed += bytes.len() as u64;
        let mut flipped = Vec::new();
        if cfg.corrupt > 0 {
            for (i, b) in bytes.iter_mut().enumerate() {
                if self.random.chance_ppm(cfg.corrupt) {
                    let was = *b;
                    *b ^= 1 << self.random.between(0, 7);
                    flipped.push(Flipped {
                        offset: start + i as u64,
                        was,
                        now: *b,
                    });
                }
            }
            self.counts.corrupted += flipped.len() as u64;
        }
        // Merge: held until the window after the first held piece ends.
        if let Some(window) = cfg.merge {
            let (since, held) = self.merging.get_or_insert_with(|| (now, Vec::new()));
            if !held.is_empty() {
                self.counts.merged += 1;
            }
            held.extend_from_slice(&bytes);
            let due = *since + window;
            if (cut_now.is_some() || now >= due)
                && let Some((since, held)) = self.merging.take()
            {
                self.schedule(since, held, cut_now, cfg);
            }
            return flipped;
        }
        self.schedule(now, bytes, cut_now, cfg);
        flipped
    }

    /// Held pieces whose merge window has ended go on their way.
    fn release_merged(&mut self, now: Instant, cfg: &Impair) {
        let window = cfg.merge.unwrap_or(Duration::ZERO);
        if self
            .merging
            .as_ref()
            .is_some_and(|(since, _)| now >= *since + window)
            && let Some((since, held)) = self.merging.take()
        {
            self.schedule(since, held, None, cfg);
        }
    }

    /// Puts bytes that arrived at `arrived` in the queue: delayed (never
    /// before a piece already queued, so the stream keeps its order) and
    /// sliced.
    fn schedule(&mut self, arrived: Instant, bytes: Vec<u8>, cut: Option<bool>, cfg: &Impair) {
        let bytes_len = bytes.len();
        let mut at = delayed(&mut self.random, &mut self.counts, arrived, cfg);
        if let Some(last) = self.last_at {
            at = at.max(last);
        }
        let pieces: Vec<Vec<u8>> = match cfg.slice {
            Some(s) if !bytes.is_empty() => {
                let mut out = Vec::new();
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let n = self.random.between(s.min, s.max).min(rest.len());
                    let (a, b) = rest.split_at(n);
                    out.push(a.to_vec());
                    rest = b;
                }
                self.counts.pieces += out.len() as u64;
                out
            }
            _ => vec![bytes],
        };
        let gap = cfg.slice.map_or(Duration::ZERO, |s| s.gap);
        let n = pieces.len();
        let holds = !cfg.delay.is_zero() || !cfg.jitter.is_zero() || cfg.merge.is_some();
        let mut held = holds.then_some((arrived, bytes_len));
        for (i, p) in pieces.into_iter().enumerate() {
            if i > 0 {
                at += gap;
            }
            self.queued += p.len();
            self.queue.push_back(Piece {
                at,
                bytes: p,
                off: 0,
                cut: if i + 1 == n { cut } else { None },
                held: held.take(),
            });
        }
        if n == 0
            && let Some(reset) = cut
        {
            self.queue.push_back(Piece {
                at,
                bytes: Vec::new(),
                off: 0,
                cut: Some(reset),
                held: None,
            });
        }
        self.last_at = Some(at);
    }

    /// When the next piece is due (for the worker's poll timeout).
    pub fn next_due(&self, cfg: &Impair) -> Option<Instant> {
        let merge = self
            .merging
            .as_ref()
            .map(|(since, _)| *since + cfg.merge.unwrap_or(Duration::ZERO));
        let head = self.queue.front().map(|p| {
            match (cfg.rate, self.refilled) {
                // Waiting for the cap's allowance to cover the next part.
                (Some(rate), Some(t)) if p.left() > 0 => {
                    let want = p.left().min(burst(rate)) as f64;
                    if self.allowance + EPSILON >= want {
                        p.at
                    } else {
                        // Rounded up, so the wait always earns the bytes.
                        let need = (want - self.allowance) / rate as f64;
                        let wait = Duration::from_nanos((need * 1e9).ceil() as u64 + 1);
                        p.at.max(t + wait)
                    }
                }
                _ => p.at,
            }
        });
        match (merge, head) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The pieces due at `now`, in order; a cap lets out only what its
    /// allowance covers (a piece larger than that goes in parts).
    pub fn take_due(&mut self, now: Instant, cfg: &Impair) -> Vec<Shaped> {
        self.release_merged(now, cfg);
        let mut out = Vec::new();
        if let Some(rate) = cfg.rate {
            let last = self.refilled.unwrap_or(now);
            self.allowance = (self.allowance
                + now.saturating_duration_since(last).as_secs_f64() * rate as f64)
                .min(burst(rate) as f64);
            self.refilled = Some(now);
        }
        while let Some(p) = self.queue.front_mut() {
            if p.at > now {
                break;
            }
            if cfg.rate.is_some() && p.left() > 0 {
                let can = (self.allowance + EPSILON).floor() as usize;
                if can == 0 {
                    break;
                }
                if p.left() > can {
                    // A part now, the rest when the allowance allows.
                    if let Some((since, bytes)) = p.held.take() {
                        let after = now.saturating_duration_since(since);
                        out.push(Shaped::Held { after, bytes });
                    }
                    let part = p.bytes.get(p.off..p.off + can).unwrap_or_default().to_vec();
                    p.off += can;
                    self.allowance -= can as f64;
                    self.queued -= can;
                    self.counts.paced += can as u64;
                    out.push(Shaped::Bytes(part));
                    break;
                }
                self.allowance -= p.left() as f64;
            }
            let Some(mut p) = self.queue.pop_front() else {
                break;
            };
            self.queued -= p.left();
            if let Some((since, bytes)) = p.held.take()
                && bytes > 0
            {
                let after = now.saturating_duration_since(since);
                out.push(Shaped::Held { after, bytes });
            }
            if p.left() > 0 {
                let bytes = if p.off == 0 {
                    p.bytes
                } else {
                    p.bytes.split_off(p.off)
                };
                out.push(Shaped::Bytes(bytes));
            }
            if let Some(reset) = p.cut {
                self.counts.cut += 1;
                out.push(Shaped::Cut { reset });
                self.queue.clear();
                self.queued = 0;
                break;
            }
        }
        if self.queue.is_empty() && self.merging.is_none() {
            self.last_at = None;
        }
        out
    }
}

/// How long a datagram picked to be reordered waits for the next one to go
/// before it; with none coming, it goes after this.
const REORDER_WAIT: Duration = Duration::from_millis(50);
/// Datagrams a shaper holds at most (in bytes); beyond, the next is dropped
/// as a full router queue drops it.
const MAX_HELD: usize = 4 << 20;

/// A datagram waiting for its time `at`; `since`: when it arrived, if a
/// delay, jitter or reorder holds it (so its going says for how long).
#[derive(Debug, Clone)]
struct Gram {
    at: Instant,
    d: Vec<u8>,
    since: Option<Instant>,
}

/// A datagram a shaper lets out, and how long an impairment held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub bytes: Vec<u8>,
    pub held: Option<Duration>,
}

/// One direction of a UDP relay's link: datagrams in, timed datagrams out.
/// Unlike a stream, datagrams may overtake each other: a jitter wider
/// than the gap between two reorders them, as a real path does.
#[derive(Debug)]
pub struct DatagramShaper {
    random: Random,
    /// In the order they go out (by time; equal times keep their order).
    queue: VecDeque<Gram>,
    queued: usize,
    /// A datagram held to go after the next one, and until when at most.
    held: Option<Gram>,
    /// The last datagram's time (kept order: none goes before it).
    last_at: Option<Instant>,
    allowance: f64,
    refilled: Option<Instant>,
    counts: ImpairCounts,
}

impl DatagramShaper {
    pub fn new(seed: u64) -> DatagramShaper {
        DatagramShaper {
            random: Random::new(seed),
            queue: VecDeque::new(),
            queued: 0,
            held: None,
            last_at: None,
            allowance: 0.0,
            refilled: None,
            counts: ImpairCounts::default(),
        }
    }

    /// Datagrams waiting in the shaper.
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.held.is_some())
    }

    /// Datagrams dropped since the counts were last taken.
    pub fn dropped(&self) -> u64 {
        self.counts.dropped
    }

    pub fn take_counts(&mut self) -> ImpairCounts {
        std::mem::take(&mut self.counts)
    }

    fn insert(&mut self, g: Gram) {
        let i = self.queue.partition_point(|q| q.at <= g.at);
        self.queued += g.d.len();
        self.queue.insert(i, g);
    }

    /// Takes a datagram that arrived at `now`; returns the bytes a
    /// corruption changed (offsets within the datagram).
    pub fn push(&mut self, now: Instant, mut d: Vec<u8>, cfg: &Impair) -> Vec<Flipped> {
        if self.random.chance_ppm(cfg.loss) {
            self.counts.dropped += 1;
            return Vec::new();
        }
        let mut flipped = Vec::new();
        if cfg.corrupt > 0 {
            for (i, b) in d.iter_mut().enumerate() {
                if self.random.chance_ppm(cfg.corrupt) {
                    let was = *b;
                    *b ^= 1 << self.random.between(0, 7);
                    flipped.push(Flipped {
                        offset: i as u64,
                        was,
                        now: *b,
                    });
                }
            }
            self.counts.corrupted += flipped.len() as u64;
        }
        let copies = if self.random.chance_ppm(cfg.dup) {
            self.counts.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            if self.queued + d.len() > MAX_HELD {
                self.counts.dropped += 1;
                continue;
            }
            let mut at = delayed(&mut self.random, &mut self.counts, now, cfg);
            if cfg.keep_order {
                at = self.last_at.map_or(at, |last| at.max(last));
                self.last_at = Some(at);
            }
            let delays = !cfg.delay.is_zero() || !cfg.jitter.is_zero();
            if self.held.is_none() && self.random.chance_ppm(cfg.reorder) {
                self.counts.reordered += 1;
                self.held = Some(Gram {
                    at: at + REORDER_WAIT,
                    d: d.clone(),
                    since: Some(now),
                });
                continue;
            }
            self.insert(Gram {
                at,
                d: d.clone(),
                since: delays.then_some(now),
            });
            // One held back goes right after this one: the two swapped.
            if let Some(mut h) = self.held.take() {
                h.at = at;
                self.insert(h);
            }
        }
        flipped
    }

    pub fn next_due(&self, cfg: &Impair) -> Option<Instant> {
        let held = self.held.as_ref().map(|g| g.at);
        let head = self.queue.front().map(|g| match (cfg.rate, self.refilled) {
            (Some(rate), Some(t)) => {
                let want = g.d.len().min(burst(rate).max(g.d.len())) as f64;
                if self.allowance + EPSILON >= want {
                    g.at
                } else {
                    let need = (want - self.allowance) / rate as f64;
                    g.at.max(t + Duration::from_nanos((need * 1e9).ceil() as u64 + 1))
                }
            }
            _ => g.at,
        });
        match (held, head) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The datagrams due at `now`, in order; a cap lets a datagram out
    /// only when its allowance covers it whole.
    pub fn take_due(&mut self, now: Instant, cfg: &Impair) -> Vec<Released> {
        if self.held.as_ref().is_some_and(|g| g.at <= now)
            && let Some(h) = self.held.take()
        {
            self.insert(h);
        }
        if let Some(rate) = cfg.rate {
            let last = self.refilled.unwrap_or(now);
            let cap = self
                .queue
                .front()
                .map_or(burst(rate), |g| burst(rate).max(g.d.len()));
            self.allowance = (self.allowance
                + now.saturating_duration_since(last).as_secs_f64() * rate as f64)
                .min(cap as f64);
            self.refilled = Some(now);
        }
        let mut out = Vec::new();
        while let Some(g) = self.queue.front() {
            if g.at > now {
                break;
            }
            if cfg.rate.is_some() {
                if self.allowance + EPSILON < g.d.len() as f64 {
                    break;
                }
                self.allowance -= g.d.len() as f64;
            }
            let Some(g) = self.queue.pop_front() else {
                break;
            };
            self.queued -= g.d.len();
            out.push(Released {
                held: g.since.map(|t| now.saturating_duration_since(t)),
                bytes: g.d,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_bytes(out: &[Shaped]) -> Vec<u8> {
        out.iter()
            .filter_map(|s| match s {
                Shaped::Bytes(b) => Some(b.clone()),
                Shaped::Cut { .. } | Shaped::Held { .. } => None,
            })
            .flatten()
            .collect()
    }

    /// Runs a stream of `chunks` through a shaper, arriving `step` apart,
    /// and takes everything out as time goes on; returns each output with
    /// its time (from the start).
    fn run(cfg: &Impair, chunks: &[Vec<u8>], step: Duration) -> Vec<(Duration, Shaped)> {
        run_told(cfg, chunks, step)
            .into_iter()
            .filter(|(_, s)| !matches!(s, Shaped::Held { .. }))
            .collect()
    }

    /// As [`run`], with what the shaper says of what it held.
    fn run_told(cfg: &Impair, chunks: &[Vec<u8>], step: Duration) -> Vec<(Duration, Shaped)> {
        let t0 = Instant::now();
        let mut s = StreamShaper::new(7);
        let mut out = Vec::new();
        let mut now = t0;
        for c in chunks {
            s.push(now, c.clone(), cfg);
            for o in s.take_due(now, cfg) {
                out.push((now - t0, o));
            }
            now += step;
        }
        // Then the clock runs on until nothing waits (bounded).
        for _ in 0..1_000_000 {
            let Some(due) = s.next_due(cfg) else { break };
            now = now.max(due);
            for o in s.take_due(now, cfg) {
                out.push((now - t0, o));
            }
        }
        assert_eq!(s.pending(), 0, "bytes left in the shaper");
        out
    }

    fn stream(seed: u64, n: usize) -> Vec<Vec<u8>> {
        let mut r = Random::new(seed);
        (0..n)
            .map(|i| {
                let len = r.between(0, 300);
                (0..len).map(|k| (i * 31 + k) as u8).collect()
            })
            .collect()
    }

    #[test]
    fn options_parse_and_bad_values_name_the_option_and_its_range() {
        let mut m = Impairment::default();
        for (k, v) in [
            ("delay", "200ms"),
            ("jitter", "20ms"),
            ("up.rate", "64kB/s"),
            ("down.slice", "1-4/20ms"),
            ("merge", "50ms"),
            ("loss", "5%"),
            ("dup", "1%"),
            ("reorder", "5%"),
            ("corrupt", "0.1%"),
            ("up.cut", "4096:reset"),
        ] {
            assert_eq!(m.parse_option(k, v), Ok(true), "{k}={v}");
        }
        assert!(m.on);
        assert_eq!(m.up.delay, Duration::from_millis(200));
        assert_eq!(m.down.jitter, Duration::from_millis(20));
        assert_eq!(m.up.rate, Some(64_000));
        assert_eq!(m.down.rate, None);
        assert_eq!(
            m.down.slice,
            Some(Slice {
                min: 1,
                max: 4,
                gap: Duration::from_millis(20)
            })
        );
        assert_eq!(m.up.loss, 50_000);
        assert_eq!(m.down.corrupt, 1_000);
        assert_eq!(
            m.up.cut,
            Some(Cut {
                after: 4096,
                reset: true
            })
        );
        assert_eq!(m.down.cut, None);
        // Written back as it was read.
        assert_eq!(m.down.text("slice"), "1-4/20ms");
        assert_eq!(m.up.text("cut"), "4096:reset");
        assert_eq!(m.up.text("loss"), "5%");
        assert_eq!(m.up.text("delay"), "200ms");
        // Not ours: left to the other options.
        assert_eq!(m.parse_option("ttl", "9"), Ok(false));
        assert_eq!(m.parse_option("side.delay", "9"), Ok(false));
        for (k, v, words) in [
            ("loss", "150%", "0% to 100%"),
            ("delay", "2h", "0 to 60 s"),
            ("slice", "0/5ms", "1 to 1048576 bytes"),
            ("slice", "9-3", "1 to 1048576"),
            ("rate", "fast", "1 B/s"),
            ("cut", "10:maybe", ":reset or :close"),
            ("merge", "0ms", "1 ms to 60 s"),
        ] {
            let e = m.parse_option(k, v).unwrap_err();
            let text = e.to_string();
            assert!(text.starts_with(&format!("{k}={v}")), "{text}");
            assert!(text.contains(words), "{text}");
        }
    }

    /// Any slicing and any merging of a stream delivers the same bytes in
    /// the same order.
    #[test]
    fn slices_and_merges_keep_every_byte_in_order() {
        let mut r = Random::new(99);
        for case in 0..300 {
            let chunks = stream(case, r.between(1, 40));
            let want: Vec<u8> = chunks.concat();
            let min = r.between(1, 64);
            let cfg = Impair {
                slice: r.chance(0.7).then(|| Slice {
                    min,
                    max: min + r.between(0, 64),
                    gap: Duration::from_millis(r.between(0, 5) as u64),
                }),
                merge: r
                    .chance(0.5)
                    .then(|| Duration::from_millis(r.between(1, 30) as u64)),
                delay: Duration::from_millis(r.between(0, 20) as u64),
                jitter: Duration::from_millis(r.between(0, 20) as u64),
                rate: r.chance(0.3).then(|| r.between(1000, 100_000) as u64),
                ..Impair::default()
            };
            let step = Duration::from_millis(r.between(0, 10) as u64);
            let out = run(&cfg, &chunks, step);
            assert_eq!(
                all_bytes(&out.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>()),
                want,
                "case {case}: {cfg:?}"
            );
            // Times never go backwards.
            assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "case {case}");
        }
    }

    #[test]
    fn a_slice_of_one_byte_every_20_ms_makes_five_writes_of_hello() {
        let cfg = Impair {
            slice: Some(Slice {
                min: 1,
                max: 1,
                gap: Duration::from_millis(20),
            }),
            ..Impair::default()
        };
        let out = run(&cfg, &[b"hello".to_vec()], Duration::ZERO);
        let pieces: Vec<(Duration, Vec<u8>)> = out
            .into_iter()
            .filter_map(|(t, s)| match s {
                Shaped::Bytes(b) => Some((t, b)),
                Shaped::Cut { .. } | Shaped::Held { .. } => None,
            })
            .collect();
        assert_eq!(pieces.len(), 5);
        for (i, (t, b)) in pieces.iter().enumerate() {
            assert_eq!(b, &[b"hello"[i]]);
            assert_eq!(*t, Duration::from_millis(20 * i as u64));
        }
    }

    #[test]
    fn merge_writes_what_arrives_within_its_window_as_one() {
        let cfg = Impair {
            merge: Some(Duration::from_millis(50)),
            ..Impair::default()
        };
        // Five messages 10 ms apart: one write of all five, at 50 ms.
        let msgs: Vec<Vec<u8>> = (0..5).map(|i| format!("m{i};").into_bytes()).collect();
        let out = run(&cfg, &msgs, Duration::from_millis(10));
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].0, Duration::from_millis(50));
        assert_eq!(all_bytes(&[out[0].1.clone()]), b"m0;m1;m2;m3;m4;");
    }

    #[test]
    fn a_delay_holds_each_piece_and_jitter_never_reorders_a_stream() {
        let cfg = Impair {
            delay: Duration::from_millis(200),
            ..Impair::default()
        };
        let out = run(
            &cfg,
            &[b"a".to_vec(), b"b".to_vec()],
            Duration::from_millis(5),
        );
        assert_eq!(out[0].0, Duration::from_millis(200));
        assert_eq!(out[1].0, Duration::from_millis(205));
        let cfg = Impair {
            delay: Duration::from_millis(50),
            jitter: Duration::from_millis(40),
            ..Impair::default()
        };
        let chunks: Vec<Vec<u8>> = (0..200u8).map(|i| vec![i]).collect();
        let out = run(&cfg, &chunks, Duration::from_millis(1));
        let got = all_bytes(&out.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>());
        assert_eq!(got, (0..200u8).collect::<Vec<_>>());
        for (t, _) in &out {
            assert!(
                *t >= Duration::from_millis(10),
                "{t:?} is earlier than delay - jitter"
            );
        }
    }

    #[test]
    fn a_cap_paces_the_bytes_to_its_rate() {
        let cfg = Impair {
            rate: Some(100_000),
            ..Impair::default()
        };
        // 500,000 bytes at once: the last goes out at about 5 s.
        let out = run(&cfg, &[vec![7u8; 500_000]], Duration::ZERO);
        let last = out.last().unwrap().0.as_secs_f64();
        assert!((last - 5.0).abs() < 0.05, "done at {last} s");
        // No second holds more than the cap and a fiftieth.
        let mut per_sec = [0usize; 6];
        for (t, s) in &out {
            if let Shaped::Bytes(b) = s {
                per_sec[t.as_secs() as usize] += b.len();
            }
        }
        for n in per_sec {
            assert!(n <= 100_000 + 2_000, "{per_sec:?}");
        }
    }

    #[test]
    fn a_cut_ends_the_stream_after_its_count_of_bytes() {
        let cfg = Impair {
            cut: Some(Cut {
                after: 4,
                reset: false,
            }),
            ..Impair::default()
        };
        let out = run(
            &cfg,
            &[b"ab".to_vec(), b"cdef".to_vec(), b"gh".to_vec()],
            Duration::ZERO,
        );
        let got: Vec<Shaped> = out.into_iter().map(|(_, s)| s).collect();
        assert_eq!(all_bytes(&got), b"abcd");
        assert_eq!(got.last(), Some(&Shaped::Cut { reset: false }));
    }

    #[test]
    fn corruption_flips_one_bit_of_about_its_share_of_the_bytes_and_says_where() {
        let cfg = Impair {
            corrupt: 10_000,
            ..Impair::default()
        };
        let mut s = StreamShaper::new(3);
        let data = vec![0u8; 100_000];
        let flipped = s.push(Instant::now(), data.clone(), &cfg);
        assert!((700..1300).contains(&flipped.len()), "{}", flipped.len());
        let out = all_bytes(&s.take_due(Instant::now(), &cfg));
        for f in &flipped {
            assert_eq!(f.was, 0);
            assert_eq!(f.now.count_ones(), 1);
            assert_eq!(out[f.offset as usize], f.now);
        }
        let changed = out.iter().filter(|b| **b != 0).count();
        assert_eq!(changed, flipped.len());
        // The same seed, the same bytes.
        let mut again = StreamShaper::new(3);
        assert_eq!(again.push(Instant::now(), data, &cfg), flipped);
    }

    /// Loss, duplication and reordering over a seeded source: the same
    /// seed gives the same effects, in about the shares asked for.
    #[test]
    fn datagram_effects_come_in_their_shares_and_repeat_with_the_seed() {
        let cfg = Impair {
            loss: 50_000,
            dup: 10_000,
            reorder: 50_000,
            ..Impair::default()
        };
        let go = |seed: u64| {
            let mut s = DatagramShaper::new(seed);
            let t0 = Instant::now();
            let mut out = Vec::new();
            for i in 0..10_000u32 {
                let now = t0 + Duration::from_millis(u64::from(i));
                s.push(now, i.to_le_bytes().to_vec(), &cfg);
                out.extend(s.take_due(now, &cfg));
            }
            let end = t0 + Duration::from_secs(60);
            out.extend(s.take_due(end, &cfg));
            assert_eq!(s.pending(), 0);
            (out, s.take_counts())
        };
        let (a, counts) = go(11);
        let (b, again) = go(11);
        assert_eq!(a, b, "the same seed, the same datagrams");
        assert_eq!(counts, again);
        assert!((400..600).contains(&counts.dropped), "{counts:?}");
        assert!((60..140).contains(&counts.duplicated), "{counts:?}");
        assert!((380..620).contains(&counts.reordered), "{counts:?}");
        assert_eq!(a.len() as u64, 10_000 - counts.dropped + counts.duplicated);
        // Reordered: some datagram comes after one sent later.
        let seq: Vec<u32> = a
            .iter()
            .map(|d| u32::from_le_bytes([d.bytes[0], d.bytes[1], d.bytes[2], d.bytes[3]]))
            .collect();
        let swapped = seq.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(swapped > 300, "{swapped}");
    }

    /// What a delay holds says how long it held it when it goes: once per
    /// chunk read, however many pieces a slice cuts it into.
    #[test]
    fn a_held_chunk_says_how_long_once_and_a_datagram_too() {
        let cfg = Impair {
            delay: Duration::from_millis(200),
            slice: parse_slice("2/10ms"),
            ..Impair::default()
        };
        let out = run_told(
            &cfg,
            &[b"hello".to_vec(), b"ab".to_vec()],
            Duration::from_millis(5),
        );
        let held: Vec<(Duration, Duration, usize)> = out
            .iter()
            .filter_map(|(t, s)| match s {
                Shaped::Held { after, bytes } => Some((*t, *after, *bytes)),
                _ => None,
            })
            .collect();
        assert_eq!(
            held,
            vec![
                (Duration::from_millis(200), Duration::from_millis(200), 5),
                (Duration::from_millis(220), Duration::from_millis(215), 2),
            ],
            "{out:?}"
        );
        // Nothing held, nothing said.
        let plain = Impair {
            slice: parse_slice("2"),
            ..Impair::default()
        };
        let out = run_told(&plain, &[b"hello".to_vec()], Duration::ZERO);
        assert!(out.iter().all(|(_, s)| !matches!(s, Shaped::Held { .. })));

        let mut d = DatagramShaper::new(1);
        let t0 = Instant::now();
        d.push(t0, b"x".to_vec(), &cfg);
        assert!(d.take_due(t0 + Duration::from_millis(199), &cfg).is_empty());
        let got = d.take_due(t0 + Duration::from_millis(201), &cfg);
        assert_eq!(
            got,
            vec![Released {
                bytes: b"x".to_vec(),
                held: Some(Duration::from_millis(201)),
            }]
        );
    }

    /// With order kept, a jitter wider than the gap between datagrams
    /// delays them but never lets one overtake another; without, it does.
    #[test]
    fn kept_order_stops_jitter_from_reordering_datagrams() {
        let go = |keep_order: bool| {
            let cfg = Impair {
                delay: Duration::from_millis(50),
                jitter: Duration::from_millis(40),
                keep_order,
                ..Impair::default()
            };
            let mut s = DatagramShaper::new(5);
            let t0 = Instant::now();
            let mut seq = Vec::new();
            for i in 0..200u8 {
                let now = t0 + Duration::from_millis(u64::from(i));
                s.push(now, vec![i], &cfg);
                seq.extend(s.take_due(now, &cfg).into_iter().map(|d| d.bytes[0]));
            }
            seq.extend(
                s.take_due(t0 + Duration::from_secs(5), &cfg)
                    .into_iter()
                    .map(|d| d.bytes[0]),
            );
            seq
        };
        let kept = go(true);
        assert_eq!(kept, (0..200u8).collect::<Vec<_>>());
        let free = go(false);
        assert_eq!(free.len(), 200);
        assert!(free.windows(2).any(|w| w[0] > w[1]), "never reordered");
        let mut m = Impairment::default();
        assert_eq!(m.parse_option("up.order", "keep"), Ok(true));
        assert!(m.up.keep_order && !m.down.keep_order);
        assert_eq!(m.up.text("order"), "keep");
        assert!(m.parse_option("order", "sorted").is_err());
    }

    /// A datagram session's sends: split pieces a gap apart, a join of K
    /// sends to one peer, never mixing peers nor passing the largest
    /// datagram; a job's held join goes when it ends, or is purged.
    #[test]
    fn datagram_sends_split_and_join_without_mixing_peers() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut d: DatagramSends<u8, u8> = DatagramSends::default();
        let split = SendShape {
            split: parse_slice("2/10ms"),
            join: None,
        };
        let now = d.push(t0, &split, (1, b"hello".to_vec(), 0), 100);
        assert_eq!(now, vec![(1, b"he".to_vec(), 0)]);
        assert_eq!(d.next_due(), Some(ms(10)));
        assert!(d.take_due(ms(9)).is_empty());
        assert_eq!(d.take_due(ms(10)), vec![(1, b"ll".to_vec(), 0)]);
        // The next send keeps the gap after the last piece.
        assert!(
            d.push(ms(12), &split, (1, b"ab".to_vec(), 0), 100)
                .is_empty()
        );
        assert_eq!(
            d.take_due(ms(30)),
            vec![(1, b"o".to_vec(), 0), (1, b"ab".to_vec(), 0)]
        );
        assert!(d.is_idle());

        let join = SendShape {
            split: None,
            join: Some(3),
        };
        assert!(d.push(t0, &join, (1, b"a;".to_vec(), 0), 100).is_empty());
        // Another peer's send does not join the first's.
        assert_eq!(
            d.push(t0, &join, (2, b"b;".to_vec(), 0), 100),
            vec![(1, b"a;".to_vec(), 0)]
        );
        assert!(d.push(t0, &join, (2, b"c;".to_vec(), 0), 100).is_empty());
        assert_eq!(
            d.push(t0, &join, (2, b"d;".to_vec(), 0), 100),
            vec![(2, b"b;c;d;".to_vec(), 0)]
        );
        // A join never grows past the largest datagram.
        assert!(d.push(t0, &join, (1, vec![b'x'; 60], 0), 100).is_empty());
        assert_eq!(
            d.push(t0, &join, (1, vec![b'y'; 60], 0), 100),
            vec![(1, vec![b'x'; 60], 0)]
        );
        assert_eq!(d.held_bytes(), 60);
        // Another sender's end lets nothing go; this one's does.
        assert!(d.release_join(t0, &join, |t| *t == 7).is_empty());
        assert_eq!(
            d.release_join(t0, &join, |t| *t == 0),
            vec![(1, vec![b'y'; 60], 0)]
        );
        // A stopped sender's held sends are taken out, others' kept.
        assert!(d.push(t0, &join, (1, b"k".to_vec(), 5), 100).is_empty());
        assert!(d.purge(|t| *t == 4).is_empty());
        assert_eq!(d.purge(|t| *t == 5), vec![(1, b"k".to_vec(), 5)]);
        assert!(d.is_idle());
    }
}
