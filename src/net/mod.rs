//! Socket workers. Each open session runs one thread with one poll loop
//! (mio) that serves its listener, all its connections or its UDP socket.
//! The UI talks to it with [`Command`]s and hears back through [`Event`]s;
//! this module knows nothing of egui, only a wake-up hook.

// Fed by peers: no indexing that can panic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod capture;
mod conn;
mod error;
pub mod health;
#[cfg(target_os = "linux")]
mod icmp;
pub mod impair;
pub mod interfaces;
mod jobs;
pub mod multicast;
pub mod names;
pub mod options;
pub mod ports;
mod relay;
pub mod spec;
mod stream;
mod tcp_client;
mod tcp_server;
mod udp;
mod udp_relay;
#[cfg(unix)]
mod unix;
mod worker;

pub use capture::{CaptureSpec, peer_path};
pub use error::{Detail, NetError, NetErrorKind, Op, kind_of};
pub use jobs::{MAX_DATAGRAM, check_datagram_size};
pub use multicast::Membership;
pub use names::{humanize, peer_text};
pub use options::{ReadBack, SocketOptions};
pub use spec::{HostPort, OpenSpec, Protocol, SpecError, parse_host_port, parse_ip, parse_port};

use crate::codec::text::{FrameRows, TextShape};
use crossbeam_channel::{Receiver, Sender};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// Called by a worker after it has queued events, e.g. `move || ctx.request_repaint()`.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Where a send goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every connected peer (TCP server clients, or a TCP client's server).
    All,
    /// These peers (TCP connections, or UDP destinations).
    Peers(Vec<SocketAddr>),
    /// A host and port, resolved by the worker (UDP remote).
    Host(HostPort),
    /// A relay's target side: the connections toward the target of the
    /// clients the inner target names.
    Upstream(Box<Target>),
}

/// What the UI asks a worker to do.
#[derive(Debug, Clone)]
pub enum Command {
    Send {
        to: Target,
        bytes: Vec<u8>,
    },
    /// Close these TCP connections (TCP server).
    Disconnect(Vec<SocketAddr>),
    /// Shut the write side of these TCP connections down (a FIN once what
    /// is queued is written); they keep receiving.
    ShutdownWrite(Vec<SocketAddr>),
    /// Reset these TCP connections: close with a RST (SO_LINGER 0).
    Reset(Vec<SocketAddr>),
    /// Turn echo (everything received goes back to its sender) on or off.
    SetEcho(bool),
    /// Cut received bytes differently from now on (what each connection
    /// holds of an unfinished frame is handed on as partial first).
    SetFraming(crate::codec::Framing),
    /// Start a send job on the worker (periodic send, sequence, file,
    /// traffic generator). The id is the caller's, to match its events.
    StartJob {
        id: JobId,
        to: Target,
        job: JobSpec,
    },
    /// Stop a job; what it queued and has not begun to write is dropped.
    StopJob(JobId),
    /// Start capturing to a file (a capture already running ends first),
    /// or with None stop.
    Capture(Option<CaptureSpec>),
    /// Answer matching frames: each rule with the index the UI knows it
    /// by; the first rule that matches a frame answers it.
    SetReplies(Vec<(usize, crate::codec::CompiledRule)>),
    /// A relay holds what arrives for one direction (it is shown, and
    /// waits in order) or lets it flow again: `toward_target` names the
    /// direction client -> target, else target -> client.
    Hold {
        toward_target: bool,
        on: bool,
    },
    /// A relay's bad network on purpose: what it does to each direction
    /// from now on (what is already held keeps its time).
    SetImpairment(impair::Impairment),
    /// How the session's own sends are written from now on: split into
    /// pieces, joined several into one (a stream's 分包 and 粘包).
    SetSendShape(impair::SendShape),
    /// Join a multicast group (UDP).
    Join(Membership),
    /// Leave a multicast group (UDP).
    Leave(Membership),
    /// Close everything and end the worker.
    Close,
}

/// Names a send job within its session.
pub type JobId = u64;

/// A send that runs on the worker over time.
#[derive(Debug, Clone)]
pub enum JobSpec {
    /// The same bytes every `interval`: the N-th send is due at start + N x
    /// interval. `count` None: until stopped.
    Repeat {
        bytes: Vec<u8>,
        interval: Duration,
        count: Option<u64>,
    },
    /// Items in order, each followed by its delay; once, or round and round.
    Sequence {
        items: Vec<(Vec<u8>, Duration)>,
        looped: bool,
    },
    /// A file, read and sent `chunk` bytes at a time (for UDP, one datagram
    /// each), `gap` apart (zero: as fast as the socket takes it).
    File {
        path: PathBuf,
        chunk: usize,
        gap: Duration,
    },
    /// The same bytes back to back, or at `rate`, until `count` items or
    /// `duration` (None and None: until stopped).
    Generate {
        bytes: Vec<u8>,
        rate: Option<Rate>,
        count: Option<u64>,
        duration: Option<Duration>,
    },
    /// Payloads from a channel (headless stdin), in order, taken only
    /// while the socket keeps up: the producer blocks on a full channel,
    /// so nothing is refused and nothing piles up. Whoever sends into the
    /// channel wakes the worker ([`CommandSender::wake`]); the job ends
    /// when the channel closes.
    Stream { items: Receiver<Vec<u8>> },
}

/// A generator's pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    BytesPerSec(u64),
    PacketsPerSec(u64),
}

/// What a framer says about a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameNote {
    /// The next record is not a whole frame: what was left when the
    /// stream ended, or a frame cut at the framer's limit.
    Partial { bytes: usize },
    /// A header claimed `claimed` bytes, more than `max`; the stream is
    /// resynchronised, or closed when `closing`.
    Oversize {
        claimed: u64,
        max: usize,
        closing: bool,
    },
}

/// What a send job did, as its worker measured it. A job's average rate is
/// computed here and nowhere else, so the log, the panel and the terminal
/// give one figure for one send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobTally {
    pub items: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl JobTally {
    /// Shorter than this, a duration says nothing about speed: the figure
    /// would be the clock's resolution, not the send's.
    pub const SHORTEST_TIMED: Duration = Duration::from_millis(10);

    /// Items and bytes per second over the whole job; `None` when it was
    /// too quick to time.
    pub fn per_sec(&self) -> Option<(f64, f64)> {
        if self.elapsed < Self::SHORTEST_TIMED {
            return None;
        }
        let secs = self.elapsed.as_secs_f64();
        Some((self.items as f64 / secs, self.bytes as f64 / secs))
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// Everything was handed to the operating system.
    Done,
    /// The user stopped it.
    Stopped,
    Failed(NetError),
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed its side (EOF).
    PeerClosed,
    /// The peer reset the connection.
    Reset,
    /// We closed it on the user's request.
    ByUser,
    /// We reset it (RST) on the user's request.
    ResetByUser,
    /// A frame's header claimed more than the maximum, and closing was
    /// chosen for that.
    BadFrame,
    /// The other side of a relay's link ended, so this one was closed too.
    LinkEnded,
    /// An impairment's cut ended it after so many bytes (closed, or reset).
    Cut { after: u64, reset: bool },
    /// Any other error.
    Error(NetError),
}

/// What NetPal does when a TCP peer closes its sending side (a FIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinThen {
    /// A relay passes the close on to the other side of the link, which
    /// may still answer.
    PassedOn,
    /// What the peer's last frames asked for (an answer, an echo, queued
    /// sends) is written, then the connection closes (the default).
    CloseWhenAnswered,
    /// The connection stays open for sending until NetPal closes it,
    /// shuts its own side down, or the peer resets it.
    KeptOpen,
}

/// What a worker reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The session's socket is bound (server, UDP) at this real address.
    Opened { at: SystemTime, local: SocketAddr },
    /// What a socket's options are now, read back after they were set:
    /// the session's own socket (`peer` None), or its first connection.
    Options {
        at: SystemTime,
        peer: Option<SocketAddr>,
        read: ReadBack,
    },
    /// A UDP session joined (`joined`) or left a multicast group, on this
    /// interface (empty: the system's choice).
    Membership {
        at: SystemTime,
        group: Membership,
        via: String,
        joined: bool,
    },
    /// A TCP client is trying this address.
    Connecting { at: SystemTime, remote: SocketAddr },
    /// A TCP client will connect again after `after` (its `attempt`-th
    /// try since it was last connected).
    Reconnecting {
        at: SystemTime,
        attempt: u32,
        after: Duration,
    },
    /// A TCP client is connected.
    Connected {
        at: SystemTime,
        local: SocketAddr,
        peer: SocketAddr,
    },
    /// A relay's client `peer` is linked to the target, through a
    /// connection of the relay's from `local`.
    Linked {
        at: SystemTime,
        peer: SocketAddr,
        local: SocketAddr,
        target: SocketAddr,
    },
    /// A TCP server accepted a client.
    Accepted { at: SystemTime, peer: SocketAddr },
    /// Bytes from a peer: one read of a TCP stream, or one whole UDP datagram.
    Received {
        at: SystemTime,
        peer: SocketAddr,
        bytes: Vec<u8>,
        /// Whether the bytes are plain ASCII text and where its lines break,
        /// found by the worker while the bytes were in its cache, so the UI
        /// can count rows without reading them again.
        shape: TextShape,
    },
    /// Records the framing cut from a peer's stream (or a datagram):
    /// their bytes are `spans` of `data`, shared by the frames of one read,
    /// with the rows each takes.
    Frames {
        at: SystemTime,
        peer: SocketAddr,
        data: Arc<Vec<u8>>,
        spans: Vec<std::ops::Range<usize>>,
        /// Each frame's rows in the log, as far as the worker counted them.
        rows: FrameRows,
    },
    /// Bytes fully handed to the operating system for this peer.
    Sent {
        at: SystemTime,
        peer: SocketAddr,
        bytes: Vec<u8>,
    },
    /// Framing news about a peer's stream: bytes that are not a whole
    /// frame (the `Received` with them follows), or an oversize header.
    Framing {
        at: SystemTime,
        peer: SocketAddr,
        note: FrameNote,
    },
    /// The write side of a TCP connection is shut down (FIN sent); it
    /// still receives.
    WriteShut { at: SystemTime, peer: SocketAddr },
    /// A peer closed its sending side (a FIN came) and still reads; `then`
    /// says what NetPal does about it.
    ReadShut {
        at: SystemTime,
        peer: SocketAddr,
        then: FinThen,
    },
    /// A send tool (a file, the generator) wrote this many more bytes to
    /// a connection without a `Sent` per piece: they count in the peer's
    /// row (the session's own counters take them from `JobProgress`).
    PeerTx { peer: SocketAddr, bytes: u64 },
    /// What a relay's impairments did since the last report, per
    /// direction (`toward_target`: client to target).
    Impaired {
        toward_target: bool,
        counts: impair::ImpairCounts,
    },
    /// An impairment held `bytes` toward `peer` for `after` (a delay,
    /// jitter, merge or reorder) and now passes them on.
    Held {
        at: SystemTime,
        peer: SocketAddr,
        toward_target: bool,
        bytes: usize,
        after: Duration,
    },
    /// An impairment dropped a datagram of `bytes` toward `peer` (lost
    /// on purpose, or past what a direction holds).
    Dropped {
        at: SystemTime,
        peer: SocketAddr,
        toward_target: bool,
        bytes: usize,
    },
    /// An impairment flipped a bit in bytes passed toward `peer` (the
    /// first few, with how many there were in all).
    Corrupted {
        at: SystemTime,
        peer: SocketAddr,
        toward_target: bool,
        flipped: Vec<impair::Flipped>,
        total: usize,
    },
    /// How a TCP connection is doing now (told when it changed, at most
    /// once a second).
    Health {
        peer: SocketAddr,
        health: health::TcpHealth,
    },
    /// A TCP connection ended.
    Disconnected {
        at: SystemTime,
        peer: SocketAddr,
        reason: CloseReason,
    },
    /// How far a send job has got: items issued, bytes handed to the
    /// operating system (of `total`, for a file), and whether it waits
    /// for the peer to read.
    JobProgress {
        id: JobId,
        items: u64,
        bytes: u64,
        total: Option<u64>,
        stalled: bool,
    },
    /// A send job has ended; `bytes` were handed to the operating system.
    JobEnded {
        id: JobId,
        at: SystemTime,
        items: u64,
        bytes: u64,
        elapsed: Duration,
        end: JobEnd,
    },
    /// Auto-reply rule `rule` answered a frame from `peer`.
    Replied {
        at: SystemTime,
        rule: usize,
        peer: SocketAddr,
    },
    /// A capture to file ended: stopped, with the session, or because a
    /// write failed (`error`); `written` bytes are in the file(s).
    CaptureEnded {
        at: SystemTime,
        written: u64,
        error: Option<NetError>,
    },
    /// Something failed, but the session goes on (e.g. one send).
    Error { at: SystemTime, error: NetError },
    /// The session has ended; `error` says why when it was not the user.
    Closed {
        at: SystemTime,
        error: Option<NetError>,
    },
    /// A relay's target side: the event happened on the connection toward
    /// the target that serves a client (the inner event names the client
    /// as its peer).
    Target(Box<Event>),
}

impl Event {
    /// A `Received` event for bytes just read, with their text shape.
    pub fn received(at: SystemTime, peer: SocketAddr, bytes: Vec<u8>) -> Event {
        Event::received_at(at, peer, bytes, None)
    }

    /// [`Event::received`], its rows counted for a log `cols` wide.
    pub fn received_at(
        at: SystemTime,
        peer: SocketAddr,
        bytes: Vec<u8>,
        cols: Option<usize>,
    ) -> Event {
        let shape = TextShape::of_at(&bytes, cols);
        Event::Received {
            at,
            peer,
            bytes,
            shape,
        }
    }
}

/// What flow control counts per record besides its bytes.
const RECORD_COST: usize = 64;

/// Bytes a `Received` event for `bytes` counts for flow control.
fn inflight_cost(bytes: &[u8]) -> usize {
    bytes.len() + RECORD_COST
}

impl Event {
    /// Bytes a received-data event counts for flow control (payload +
    /// bookkeeping per record); zero for the others.
    pub fn inflight_cost(&self) -> usize {
        match self {
            Event::Received { bytes, .. } => inflight_cost(bytes),
            Event::Frames { spans, .. } => spans.iter().map(|r| r.len() + RECORD_COST).sum(),
            Event::Target(inner) => inner.inflight_cost(),
            _ => 0,
        }
    }

    /// The records a received-data event carries, in order.
    pub fn records(&self) -> Vec<&[u8]> {
        match self {
            Event::Received { bytes, .. } => vec![bytes],
            Event::Frames { data, spans, .. } => spans
                .iter()
                .map(|r| data.get(r.clone()).unwrap_or_default())
                .collect(),
            Event::Target(inner) => inner.records(),
            _ => Vec::new(),
        }
    }
}

/// Received bytes queued but not yet taken by the UI above which the worker
/// stops reading (TCP then pushes back on the peer; nothing is lost).
pub const INFLIGHT_HIGH: usize = 64 << 20;
/// The most a worker queues for the UI: the pause threshold plus one round
/// of reads on one socket.
pub const QUEUE_LIMIT: usize = INFLIGHT_HIGH + 16 * (64 * 1024 + 64);
/// The UI wakes a paused worker when the queue drains below this.
const INFLIGHT_LOW: usize = 16 << 20;

/// Flow-control state shared by a worker and its handle.
#[derive(Default)]
struct Shared {
    inflight: AtomicUsize,
    paused: AtomicBool,
    spare: Spare,
    /// Columns a row of the log has (0: not known, or not text), so the
    /// worker counts the rows of what it reads.
    wrap_cols: AtomicUsize,
}

/// Size of one read: one TCP read or the largest UDP datagram.
pub const READ_BUF: usize = 64 * 1024;
/// Read buffers kept for reuse (16 MiB: what the log drops in a frame of a
/// flood of about 1 GB/s, which it drops all at once).
const SPARE_MAX: usize = 256;

/// Whole read buffers the log has let go of, back to the worker to read
/// into: a flood then reads straight into buffers the log keeps, without
/// a copy, and without the allocator's lock between the two threads.
struct Spare {
    give: Recycler,
    take: Receiver<Vec<u8>>,
}

impl Default for Spare {
    fn default() -> Self {
        let (give, take) = crossbeam_channel::bounded(SPARE_MAX);
        Spare {
            give: Recycler(give),
            take,
        }
    }
}

/// Gives a worker back the read buffers its records held.
#[derive(Clone)]
pub struct Recycler(Sender<Vec<u8>>);

impl Recycler {
    /// Keeps `buf` for a read if it is a whole read buffer and there is
    /// room; else it is freed as usual.
    pub fn give(&self, buf: Vec<u8>) {
        if buf.len() == READ_BUF {
            let _ = self.0.try_send(buf);
        }
    }
}

impl Shared {
    fn wrap_cols(&self) -> Option<usize> {
        Some(self.wrap_cols.load(Ordering::Relaxed)).filter(|&c| c > 0)
    }

    /// A buffer to read into: one given back, else a new one.
    fn read_buffer(&self) -> Vec<u8> {
        match self.spare.take.try_recv() {
            Ok(buf) if buf.len() == READ_BUF => buf,
            _ => vec![0; READ_BUF],
        }
    }
}

/// A running session: the UI's handle on one worker thread.
pub struct Session {
    commands: Sender<Command>,
    events: Receiver<Event>,
    waker: Arc<mio::Waker>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Session {
    /// Starts a worker for `spec`. Binding, resolving and connecting happen on
    /// the worker; their outcome arrives as events.
    pub fn open(spec: OpenSpec, wake: Wake) -> Result<Session, NetError> {
        Self::open_with(spec, Vec::new(), wake)
    }

    /// Like [`Session::open`], with settings (echo, framing, capture,
    /// auto-reply rules) that are in force before the first byte arrives.
    /// Commands in `setup` that are not settings are ignored.
    pub fn open_with(spec: OpenSpec, setup: Vec<Command>, wake: Wake) -> Result<Session, NetError> {
        let poll = mio::Poll::new().map_err(|e| NetError::from_io(&e, Op::Start))?;
        let waker = Arc::new(
            mio::Waker::new(poll.registry(), worker::WAKER)
                .map_err(|e| NetError::from_io(&e, Op::Start))?,
        );
        let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
        let (ev_tx, ev_rx) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared::default());
        let (guard_events, guard_wake) = (ev_tx.clone(), wake.clone());
        let mut w = worker::Worker::new(
            poll,
            waker.clone(),
            spec,
            cmd_rx,
            ev_tx,
            wake,
            shared.clone(),
        );
        w.setup = setup;
        let thread = std::thread::Builder::new()
            .name("netpal-session".into())
            .spawn(move || guarded(move || w.run(), &guard_events, &guard_wake))
            .map_err(|e| NetError::from_io(&e, Op::Start))?;
        Ok(Session {
            commands: cmd_tx,
            events: ev_rx,
            waker,
            shared,
            thread: Some(thread),
        })
    }

    /// Queues a command for the worker and wakes it.
    pub fn command(&self, cmd: Command) {
        self.sender().command(cmd);
    }

    /// A handle that other threads can use to send commands.
    pub fn sender(&self) -> CommandSender {
        CommandSender {
            commands: self.commands.clone(),
            waker: self.waker.clone(),
        }
    }

    /// Tells the worker how many columns a row of the log has now (`None`
    /// when the log shows no text), for the rows it counts.
    pub fn set_wrap_cols(&self, cols: Option<usize>) {
        self.shared
            .wrap_cols
            .store(cols.unwrap_or(0), Ordering::Relaxed);
    }

    /// Where the log gives back the read buffers of records it drops.
    pub fn recycler(&self) -> Recycler {
        self.shared.spare.give.clone()
    }

    /// Takes the next event, if any, without blocking.
    pub fn try_event(&self) -> Option<Event> {
        let ev = self.events.try_recv().ok()?;
        Some(self.taken(ev))
    }

    /// Waits up to `timeout` for the next event.
    pub fn wait_event(&self, timeout: std::time::Duration) -> Option<Event> {
        let ev = self.events.recv_timeout(timeout).ok()?;
        Some(self.taken(ev))
    }

    /// The event channel, for callers that wait on it together with other
    /// channels (`crossbeam_channel::select!`). Every event taken from it
    /// directly must be passed through [`Session::taken`].
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// Flow-control bookkeeping for an event the caller has taken.
    pub fn taken(&self, ev: Event) -> Event {
        let cost = ev.inflight_cost();
        if cost > 0 {
            let left = self.shared.inflight.fetch_sub(cost, Ordering::SeqCst) - cost;
            if left < INFLIGHT_LOW && self.shared.paused.swap(false, Ordering::SeqCst) {
                let _ = self.waker.wake();
            }
        }
        ev
    }

    /// Whether events wait to be taken.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Tells the worker to close everything and end, without waiting for
    /// it: it closes its sockets on its own, moments later.
    pub fn close_detached(mut self) {
        let _ = self.commands.send(Command::Close);
        let _ = self.waker.wake();
        // Dropping the handle detaches the thread instead of joining it.
        self.thread = None;
    }

    /// Received bytes queued for the caller and not yet taken (with a small
    /// per-event overhead). The worker stops reading above [`QUEUE_LIMIT`].
    pub fn queued_bytes(&self) -> usize {
        self.shared.inflight.load(Ordering::SeqCst)
    }

    /// True once the worker thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Stops the worker, closes its sockets and waits for its thread.
    pub fn close(&mut self) {
        let _ = self.commands.send(Command::Close);
        let _ = self.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs a worker so that a bug in it ends only its own session: a panic is
/// caught (its sockets were closed while unwinding) and reported as the
/// session's end, and the UI and the other sessions go on.
fn guarded(run: impl FnOnce(), events: &Sender<Event>, wake: &Wake) {
    let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) else {
        return;
    };
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let _ = events.send(Event::Closed {
        at: SystemTime::now(),
        error: Some(NetError::new(
            NetErrorKind::Other,
            Op::Start,
            Detail::Crashed(what),
        )),
    });
    wake();
}

/// Sends commands to a session from any thread.
#[derive(Clone)]
pub struct CommandSender {
    commands: Sender<Command>,
    waker: Arc<mio::Waker>,
}

impl CommandSender {
    /// Wakes the worker (after feeding a [`JobSpec::Stream`]).
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    /// Queues a command and wakes the worker. Returns false once the session has ended.
    pub fn command(&self, cmd: Command) -> bool {
        let ok = self.commands.send(cmd).is_ok();
        if ok {
            let _ = self.waker.wake();
        }
        ok
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_gives_back_whole_read_buffers_no_one_else_holds() {
        use crate::log::{LeadIn, LogStore, Payload};
        let shared = Shared::default();
        let mut log = LogStore::new(READ_BUF + 1024);
        log.set_recycler(Some(shared.spare.give.clone()));
        let push = |log: &mut LogStore, p: Payload| {
            log.push_received(
                SystemTime::now(),
                None,
                p,
                LeadIn::default(),
                Default::default(),
            );
        };
        // A whole buffer, dropped for the next one: the worker reads into
        // it again.
        push(&mut log, vec![7u8; READ_BUF].into());
        push(&mut log, vec![8u8; READ_BUF].into());
        assert_eq!(log.len(), 1);
        let again = shared.read_buffer();
        assert_eq!(again.len(), READ_BUF);
        assert!(again.iter().all(|&b| b == 7), "not the dropped buffer");
        // One still held elsewhere (an export, say) is left alone, as is a
        // short read's.
        let held = std::sync::Arc::new(vec![9u8; READ_BUF]);
        push(&mut log, Payload::shared(&held, 0..READ_BUF));
        assert!(shared.read_buffer().iter().all(|&b| b == 8));
        push(&mut log, vec![1u8; 100].into());
        push(&mut log, vec![2u8; READ_BUF].into());
        assert!(shared.spare.take.is_empty());
        // Nor is a buffer the payload is only a part of (a frame of a
        // read), even when nothing else holds it.
        let part = std::sync::Arc::new(vec![3u8; READ_BUF]);
        push(&mut log, Payload::shared(&part, 0..100));
        drop(part);
        push(&mut log, vec![4u8; READ_BUF].into());
        push(&mut log, vec![5u8; READ_BUF].into());
        // The whole ones went back (the 2s, then the 4s), the part did not.
        assert!(shared.read_buffer().iter().all(|&b| b == 2));
        assert!(shared.read_buffer().iter().all(|&b| b == 4));
        assert!(shared.spare.take.is_empty());
        // Frames cut in place in a read's buffer give it back together.
        let read = std::sync::Arc::new(vec![6u8; READ_BUF]);
        let spans = vec![0..100, 100..READ_BUF];
        log.push_frames(
            SystemTime::now(),
            None,
            read,
            spans,
            Default::default(),
            LeadIn::default(),
            false,
        );
        push(&mut log, vec![1u8; 100].into());
        assert_eq!(log.len(), 3);
        push(&mut log, vec![1u8; READ_BUF].into());
        // (The 5s went back when the frames came in.)
        assert!(shared.read_buffer().iter().all(|&b| b == 5));
        assert!(shared.read_buffer().iter().all(|&b| b == 6));
        assert!(held.iter().all(|&b| b == 9));
        // Nothing given back: a new, zeroed buffer.
        assert!(shared.read_buffer().iter().all(|&b| b == 0));
    }

    #[test]
    fn a_worker_that_panics_ends_its_session_with_the_reason() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let woken = Arc::new(AtomicBool::new(false));
        let w = woken.clone();
        let wake: Wake = Arc::new(move || w.store(true, Ordering::SeqCst));
        let t = std::thread::spawn(move || {
            guarded(|| panic!("a bug"), &tx, &wake);
        });
        assert!(t.join().is_ok(), "the panic does not leave the thread");
        let Ok(Event::Closed { error: Some(e), .. }) = rx.try_recv() else {
            panic!("no Closed event");
        };
        assert_eq!(e.detail, Detail::Crashed("a bug".into()));
        assert!(woken.load(Ordering::SeqCst), "the UI is woken to show it");
        // A worker that ends well says nothing more.
        let (tx, rx) = crossbeam_channel::unbounded();
        guarded(|| {}, &tx, &(Arc::new(|| {}) as Wake));
        assert!(rx.try_recv().is_err());
    }
}
