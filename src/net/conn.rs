//! What every session kind shares: its poll, events to the UI with flow
//! control and wake batching, and the table of TCP connections with their
//! reads and write queues.

use super::capture::{Capture, CaptureSpec};
use super::impair::{
    BothWays, Impair, Impairment, Random, SendShape, Shaped, StreamShaper, split_in_time,
};
use super::jobs::{Ledger, Tag};
use super::stream::Stream;
use super::{
    CloseReason, Command, Detail, Event, FrameNote, HostPort, INFLIGHT_HIGH, JobId, NetError,
    NetErrorKind, Op, OpenSpec, Shared, Target, Wake,
};
use crate::codec::text::{FrameRows, PlainScan};
use crate::codec::{CompiledRule, FrameBatch, FrameOut, Framer, Framing};
use crossbeam_channel::{Receiver, Sender};
use mio::net::TcpStream;
use mio::{Interest, Poll, Token};
use socket2::{Domain, SockRef, Socket, Type};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;
use std::time::{Duration, Instant};

/// Tokens from here up are connections (slot = token - FIRST_CONN); those
/// below are the waker and a kind's own sockets.
pub(super) const FIRST_CONN: usize = 16;

use super::READ_BUF;
/// Reads per socket per round, so one flooding peer cannot starve the others
/// or the command queue.
const READS_PER_ROUND: usize = 16;
/// Bytes queued for a peer that does not read, beyond which sends are refused.
pub(super) const SEND_QUEUE_CAP: usize = 64 << 20;
/// What a relay forwards: written quietly (the read was the record).
const FORWARDED: Tag = Tag {
    job: None,
    quiet: true,
};
/// How often connections' health (RTT, windows, queues) is read.
const HEALTH_EVERY: Duration = Duration::from_secs(1);

/// Corrupted bytes named in one log line (the count says the rest).
const FLIPS_SHOWN: usize = 8;
/// How often what impairments did is reported.
const IMPAIR_REPORT_EVERY: Duration = Duration::from_millis(250);

/// A relay reads one side of a link only while less than this waits to be
/// written to the other, and an echoing connection only while less than
/// this of its echo waits: a slow reader holds its sender back, through
/// TCP, memory stays bounded, and nothing is dropped.
const READ_WINDOW: usize = 4 << 20;

/// One TCP connection and what is waiting to be written to it.
struct Conn {
    stream: Stream,
    peer: SocketAddr,
    /// Readable and not yet drained to WouldBlock.
    readable: bool,
    out: VecDeque<Out>,
    out_bytes: usize,
    /// Cuts what arrives into frames (none: each read is a record).
    framer: Option<Framer>,
    /// When data last arrived (for the idle framing).
    last_data: Instant,
    /// The user shut the write side down: a FIN goes out once the queue
    /// is written (`shut` once it has), and nothing more may be sent.
    shut_write: bool,
    shut: bool,
    /// A relay's link: the slot of the connection on the other side.
    partner: Option<usize>,
    /// A relay's connection toward its target (`peer` is then the client
    /// it serves, `target` the address it connects to).
    upstream: bool,
    target: Option<SocketAddr>,
    /// Still connecting, until this deadline.
    connecting: Option<Instant>,
    /// The peer has closed its side (EOF): nothing more to read.
    eof: bool,
    /// A relay's impairment of what is written to this connection.
    shaper: Option<StreamShaper>,
    /// Sends held to be joined: whose, the bytes, how many sends.
    joining: Option<(Tag, Vec<u8>, u32)>,
    /// The earliest the next split piece may go (keeps the gap between
    /// one send's last piece and the next send's first).
    split_next: Option<Instant>,
    /// The health last told for this connection.
    health: Option<super::health::TcpHealth>,
}

/// Bytes waiting to be written, how many of them are, and whose they are.
struct Out {
    data: Vec<u8>,
    off: usize,
    tag: Tag,
    /// A piece of a split send goes no sooner than this.
    at: Option<Instant>,
}

/// Counts a write of `n` bytes of a job's entry in the job's ledger.
pub(super) fn ledger_written(ledger: &mut Ledger, tag: Tag, n: usize) {
    if let Some(id) = tag.job {
        ledger.entry(id).or_default().written += n as u64;
    }
}

/// Counts `n` bytes of a job's entry that will never be written.
pub(super) fn ledger_dropped(ledger: &mut Ledger, tag: Tag, n: usize) {
    if let Some(id) = tag.job {
        ledger.entry(id).or_default().dropped += n as u64;
    }
}

/// Takes a stopped job's entries out of a queue of whole datagrams, and
/// counts their bytes as dropped. `entry` gives an entry's bytes and tag.
pub(super) fn purge_queue<T>(
    queue: &mut std::collections::VecDeque<T>,
    id: JobId,
    ledger: &mut Ledger,
    entry: impl Fn(&T) -> (&[u8], Tag),
) -> usize {
    let mut gone = 0;
    queue.retain(|e| {
        let (data, tag) = entry(e);
        let keep = tag.job != Some(id);
        if !keep {
            gone += data.len();
        }
        keep
    });
    ledger_dropped(
        ledger,
        Tag {
            job: Some(id),
            quiet: true,
        },
        gone,
    );
    gone
}

/// How a session ends when its connection closes, for kinds whose session
/// is that one connection.
pub(super) type EndsWith = fn(SocketAddr, CloseReason) -> Option<NetError>;

/// The state every kind works on; the kind itself holds only its own sockets.
pub(super) struct Core {
    pub(super) poll: Poll,
    pub(super) waker: Arc<mio::Waker>,
    pub(super) spec: OpenSpec,
    events: Sender<Event>,
    wake: Wake,
    shared: Arc<Shared>,
    need_wake: bool,

    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    by_peer: HashMap<SocketAddr, usize>,
    /// One read's worth, reused for every read.
    pub(super) buf: Vec<u8>,
    /// Set when the session must end after this round.
    pub(super) finished: Option<Option<NetError>>,
    /// Set when a closing connection ends the session (TCP client).
    pub(super) ends_with: Option<EndsWith>,
    /// What the write queues did with each running job's bytes.
    pub(super) ledger: Ledger,
    /// A capture to file in progress.
    capture: Option<Capture>,
    /// Auto-reply rules, with the UI's index of each.
    pub(super) replies: Vec<(usize, CompiledRule)>,
    /// Answers waiting for their time: when, to whom, what.
    reply_queue: Vec<(Instant, SocketAddr, Vec<u8>)>,
    /// Connections whose peers closed their side (FIN) while something was
    /// still owed to them; each closes once that is written.
    after_fin: Vec<usize>,
    /// Bytes send tools wrote to each peer without a `Sent`, not yet told.
    tool_tx: HashMap<SocketAddr, u64>,
    /// The options of a connection have been read back once (not for each
    /// of thousands of clients).
    pub(super) options_shown: bool,
    /// Options the system refused have been reported (once a session).
    options_refused: bool,
    /// Events now come from a relay's target side (see [`Event::Target`]).
    leg_target: bool,
    /// A relay holds what goes toward the target, and toward the clients.
    hold_to_target: bool,
    hold_to_client: bool,
    /// A relay's bad network on purpose, and what it has done since the
    /// last report (toward the target, toward the clients).
    pub(super) impairment: Impairment,
    pub(super) impaired: BothWays,
    impaired_told: Option<Instant>,
    /// When connections' health is next read.
    health_next: Option<Instant>,
    /// Connections an impairment cuts once what they hold is written:
    /// the slot, reset or close, after how many bytes.
    cuts: Vec<(usize, bool, u64)>,
    /// Seeds each shaper's random source.
    shapers_made: u64,
    /// How the session's own sends are written (split, joined).
    pub(super) send_shape: SendShape,
    split_random: Random,
}

pub(super) fn now() -> SystemTime {
    SystemTime::now()
}

impl Core {
    pub(super) fn new(
        poll: Poll,
        waker: Arc<mio::Waker>,
        spec: OpenSpec,
        events: Sender<Event>,
        wake: Wake,
        shared: Arc<Shared>,
    ) -> Self {
        let impairment = spec.impairment;
        let send_shape = spec.send_shape;
        Core {
            poll,
            waker,
            spec,
            events,
            wake,
            shared,
            need_wake: false,
            conns: Vec::new(),
            free: Vec::new(),
            by_peer: HashMap::new(),
            buf: vec![0; READ_BUF],
            finished: None,
            ends_with: None,
            ledger: Ledger::new(),
            capture: None,
            replies: Vec::new(),
            reply_queue: Vec::new(),
            after_fin: Vec::new(),
            tool_tx: HashMap::new(),
            options_shown: false,
            options_refused: false,
            leg_target: false,
            hold_to_target: false,
            hold_to_client: false,
            impairment,
            impaired: BothWays::default(),
            impaired_told: None,
            health_next: None,
            cuts: Vec::new(),
            shapers_made: 0,
            send_shape,
            split_random: Random::new(0x5eed),
        }
    }

    pub(super) fn emit(&mut self, ev: Event) {
        let ev = if self.leg_target {
            Event::Target(Box::new(ev))
        } else {
            ev
        };
        if let Some(c) = &mut self.capture
            && !c.event(&ev)
        {
            self.end_capture(None);
        }
        let cost = ev.inflight_cost();
        if cost > 0 {
            self.shared.inflight.fetch_add(cost, Ordering::SeqCst);
        }
        // The receiver only goes away when the session handle is dropped,
        // and then a Close command ends this loop.
        let _ = self.events.send(ev);
        self.need_wake = true;
    }

    /// Starts capturing (ending a capture already running), or stops.
    pub(super) fn set_capture(&mut self, spec: Option<CaptureSpec>) {
        if self.capture.is_some() {
            self.end_capture(None);
        }
        let Some(spec) = spec else {
            return;
        };
        match Capture::start(spec) {
            Ok(c) => self.capture = Some(c),
            Err(e) => self.emit(Event::CaptureEnded {
                at: now(),
                written: 0,
                error: Some(e),
            }),
        }
    }

    /// Ends the capture: flushed and closed, or stopped by `error`.
    pub(super) fn end_capture(&mut self, error: Option<NetError>) {
        let Some(c) = self.capture.take() else {
            return;
        };
        let (written, failed) = c.finish();
        let error = error.or(failed);
        self.emit(Event::CaptureEnded {
            at: now(),
            written,
            error,
        });
    }

    /// Queues the answer of the first rule that matches a record.
    pub(super) fn check_replies(&mut self, peer: SocketAddr, frame: &[u8]) {
        // A relay forwards; it does not answer on its own.
        if self.replies.is_empty() || self.is_relay() {
            return;
        }
        let hit = self
            .replies
            .iter()
            .find_map(|(i, r)| r.answer(frame).map(|b| (*i, r.delay, b)));
        if let Some((rule, delay, bytes)) = hit {
            self.reply_queue.push((Instant::now() + delay, peer, bytes));
            self.emit(Event::Replied {
                at: now(),
                rule,
                peer,
            });
        }
    }

    /// Answers whose time has come.
    pub(super) fn due_replies(&mut self) -> Vec<(SocketAddr, Vec<u8>)> {
        if self.reply_queue.is_empty() {
            return Vec::new();
        }
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) =
            self.reply_queue.drain(..).partition(|(at, ..)| *at <= now);
        self.reply_queue = later;
        due.into_iter().map(|(_, p, b)| (p, b)).collect()
    }

    /// When the next delayed answer is due.
    pub(super) fn next_reply(&self) -> Option<Instant> {
        self.reply_queue.iter().map(|(at, ..)| *at).min()
    }

    /// Bytes just read from `peer`, for a raw capture.
    pub(super) fn capture_raw(&mut self, peer: SocketAddr, bytes: &[u8]) {
        if let Some(c) = &mut self.capture
            && !c.raw(peer, bytes)
        {
            self.end_capture(None);
        }
    }

    /// Hands what the capture gathered this round to its writer, so the
    /// file keeps up with the session.
    pub(super) fn flush_capture(&mut self) {
        if let Some(c) = &mut self.capture
            && !c.hand_over()
        {
            self.end_capture(None);
        }
    }

    /// Reports options the system refused, the first time it happens (the
    /// same refusal would follow for every connection).
    pub(super) fn refused_options(&mut self, errors: Vec<NetError>) {
        if errors.is_empty() || self.options_refused {
            return;
        }
        self.options_refused = true;
        for e in errors {
            self.error(e);
        }
    }

    /// Sets a new connection's options (and reads them back for the
    /// first one); `peer` names it.
    pub(super) fn conn_options(&mut self, stream: &TcpStream, peer: SocketAddr) {
        let refused = self.spec.options.on_connection(SockRef::from(stream));
        self.refused_options(refused);
        self.show_options(SockRef::from(stream), peer);
    }

    /// Reads a connection's options back, for the first one only.
    fn show_options(&mut self, sock: SockRef<'_>, peer: SocketAddr) {
        if !self.options_shown {
            self.options_shown = true;
            let read = super::options::read_back(sock, true, false);
            self.emit(Event::Options {
                at: now(),
                peer: Some(peer),
                read,
            });
        }
    }

    /// Wakes the UI once for all events of a round.
    pub(super) fn flush_wake(&mut self) {
        if self.need_wake {
            self.need_wake = false;
            (self.wake)();
        }
    }

    pub(super) fn error(&mut self, error: NetError) {
        self.emit(Event::Error { at: now(), error });
    }

    /// Reports the end of the session; the last event.
    pub(super) fn closed(&mut self, error: Option<NetError>) {
        self.emit(Event::Closed { at: now(), error });
        self.flush_wake();
    }

    /// Received bytes queued for the UI and not yet taken.
    pub(super) fn inflight(&self) -> usize {
        self.shared.inflight.load(Ordering::SeqCst)
    }

    pub(super) fn can_read_now(&self) -> bool {
        self.inflight() < INFLIGHT_HIGH
    }

    /// Flow control: pause reading while the UI has not taken enough of what
    /// we gave it. The handle wakes us when it has.
    pub(super) fn can_read(&mut self) -> bool {
        if self.can_read_now() {
            return true;
        }
        self.shared.paused.store(true, Ordering::SeqCst);
        if self.can_read_now() {
            self.shared.paused.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    // ---- connections ----------------------------------------------------------

    fn is_relay(&self) -> bool {
        self.spec.protocol == super::Protocol::Relay
    }

    /// Runs `f` with events marked as the relay's target side when
    /// connection `idx` is a target-side one.
    fn in_leg<R>(&mut self, idx: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let upstream = matches!(self.conns.get(idx), Some(Some(c)) if c.upstream);
        let before = std::mem::replace(&mut self.leg_target, upstream);
        let r = f(self);
        self.leg_target = before;
        r
    }

    /// Whether connection `idx` may be read now: not at its end, and for a
    /// relay's link, the other side is connected and keeps up; with echo
    /// on, the peer keeps up with reading its echo.
    fn may_read(&self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get(idx) else {
            return false;
        };
        if !c.readable || c.eof || c.connecting.is_some() {
            return false;
        }
        match c
            .partner
            .and_then(|p| self.conns.get(p))
            .and_then(Option::as_ref)
        {
            Some(p) => {
                p.connecting.is_none()
                    && p.out_bytes + p.shaper.as_ref().map_or(0, StreamShaper::pending)
                        < READ_WINDOW
            }
            None => !self.spec.echo || c.out_bytes < READ_WINDOW,
        }
    }

    /// Whether any connection is open.
    pub(super) fn has_conns(&self) -> bool {
        self.conns.iter().any(Option::is_some)
    }

    /// Some connection has reads left from an earlier round.
    pub(super) fn conns_readable(&self) -> bool {
        (0..self.conns.len()).any(|i| self.may_read(i))
    }

    /// A readiness event for the connection in slot `idx`.
    pub(super) fn conn_event(&mut self, idx: usize, ev: &mio::event::Event) {
        if let Some(Some(c)) = self.conns.get_mut(idx) {
            if c.connecting.is_some() {
                if ev.is_writable() || ev.is_error() || ev.is_write_closed() {
                    self.check_link(idx);
                }
                return;
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                c.readable = true;
            }
            if ev.is_writable() {
                self.flush_conn(idx);
            }
        }
    }

    // ---- relay links ------------------------------------------------------------

    /// Links the client in slot `client` to a new connection toward
    /// `target`; the client is read once that connection stands. A
    /// connect that fails closes the client, saying why.
    pub(super) fn link(&mut self, client: usize, target: SocketAddr) {
        let Some(Some(c)) = self.conns.get(client) else {
            return;
        };
        let peer = c.peer;
        let opts = self.spec.options;
        let stream = match connecting_stream(target, None, &opts) {
            Ok((s, refused)) => {
                self.refused_options(refused);
                s
            }
            Err(e) => {
                let err = NetError::from_io(&e, Op::Connect(target));
                self.remove_conn(client, CloseReason::Error(err));
                return;
            }
        };
        let deadline = Instant::now() + self.spec.connect_timeout;
        let Some(up) = self.insert_conn(stream.into(), peer, false) else {
            self.remove_conn(client, CloseReason::LinkEnded);
            return;
        };
        if let Some(Some(u)) = self.conns.get_mut(up) {
            u.upstream = true;
            u.target = Some(target);
            u.partner = Some(client);
            u.connecting = Some(deadline);
        }
        if let Some(Some(c)) = self.conns.get_mut(client) {
            c.partner = Some(up);
        }
    }

    /// A target-side connection has news about its connect.
    fn check_link(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get(idx) else {
            return;
        };
        let target = c.target.unwrap_or(c.peer);
        let failure = match c.stream.take_error() {
            Ok(Some(e)) | Err(e) => Some(e),
            Ok(None) => match c.stream.connected() {
                Ok(true) => None,
                Ok(false) => return,
                Err(e) => Some(e),
            },
        };
        match failure {
            Some(e) => self.link_failed(idx, NetError::from_io(&e, Op::Connect(target))),
            None => {
                let local = c.stream.tcp().and_then(|s| s.local_addr().ok());
                let refused = self.spec.options.on_connection(c.stream.sock_ref());
                let read = (!self.options_shown)
                    .then(|| super::options::read_back(c.stream.sock_ref(), true, false));
                let peer = c.peer;
                self.refused_options(refused);
                if let Some(read) = read {
                    self.options_shown = true;
                    self.in_leg(idx, |core| {
                        core.emit(Event::Options {
                            at: now(),
                            peer: Some(peer),
                            read,
                        })
                    });
                }
                if let Some(Some(c)) = self.conns.get_mut(idx) {
                    c.connecting = None;
                }
                if let Some(local) = local {
                    self.emit(Event::Linked {
                        at: now(),
                        peer,
                        local,
                        target,
                    });
                }
                self.flush_conn(idx);
            }
        }
    }

    /// The target could not be reached for a link: its client is closed
    /// with the reason.
    fn link_failed(&mut self, idx: usize, err: NetError) {
        let Some(c) = self.discard_conn(idx) else {
            return;
        };
        if let Some(client) = c.partner {
            if let Some(Some(cl)) = self.conns.get_mut(client) {
                cl.partner = None;
            }
            self.remove_conn(client, CloseReason::Error(err));
        }
    }

    /// Takes a connection out of the table without a word (a connect
    /// that never stood).
    fn discard_conn(&mut self, idx: usize) -> Option<Conn> {
        let mut c = self.conns.get_mut(idx).and_then(Option::take)?;
        let _ = self.poll.registry().deregister(&mut c.stream);
        self.free.push(idx);
        Some(c)
    }

    /// When the next target-side connect times out.
    pub(super) fn link_deadline(&self) -> Option<Instant> {
        self.conns
            .iter()
            .flatten()
            .filter_map(|c| c.connecting)
            .min()
    }

    /// Gives up the target-side connects whose time is up.
    pub(super) fn check_link_deadlines(&mut self) {
        let now = Instant::now();
        let secs = self.spec.connect_timeout.as_secs();
        for idx in 0..self.conns.len() {
            let late = matches!(self.conns.get(idx), Some(Some(c)) if c.connecting.is_some_and(|d| d <= now));
            if !late {
                continue;
            }
            let target = self
                .conns
                .get(idx)
                .and_then(Option::as_ref)
                .and_then(|c| c.target);
            if let Some(target) = target {
                let err = NetError::new(
                    NetErrorKind::TimedOut,
                    Op::Connect(target),
                    Detail::NoAnswer { secs },
                );
                self.link_failed(idx, err);
            }
        }
    }

    /// A linked connection's peer has closed its side: the close is passed
    /// on (a FIN once what is queued is written), and the link ends once
    /// both sides have closed.
    fn link_eof(&mut self, idx: usize) {
        self.flush_framer(idx);
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.eof = true;
        c.readable = false;
        let partner = c.partner;
        let peer = c.peer;
        self.in_leg(idx, |core| {
            core.emit(Event::ReadShut {
                at: now(),
                peer,
                then: super::FinThen::PassedOn,
            })
        });
        if let Some(p) = partner {
            if let Some(Some(pc)) = self.conns.get_mut(p) {
                pc.shut_write = true;
            }
            self.flush_conn(p);
        }
        self.finish_link(idx);
    }

    /// A peer (not a relay's) has closed its side: a FIN only says it will
    /// send no more, and it may be waiting for an answer (`nc -N`, an
    /// HTTP/1.0 client). What its frames before the FIN and the partial
    /// frame at it asked for (an auto-reply, even a delayed one, an echo,
    /// what was queued) still goes out; the connection closes once it is
    /// written, at once when nothing waits. Kept open instead when the user
    /// chose so: until they close it or shut their side down, or the peer
    /// resets it.
    fn peer_fin(&mut self, idx: usize) {
        self.flush_framer(idx);
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        c.eof = true;
        c.readable = false;
        let peer = c.peer;
        let then = if self.spec.keep_half_open {
            // The user asked to go on sending to a peer that stopped.
            super::FinThen::KeptOpen
        } else if self.owes_answer(idx) {
            self.after_fin.push(idx);
            super::FinThen::CloseWhenAnswered
        } else {
            self.remove_conn(idx, CloseReason::PeerClosed);
            return;
        };
        self.emit(Event::ReadShut {
            at: now(),
            peer,
            then,
        });
    }

    /// Whether connection `idx` is one whose peer closed its side (FIN),
    /// outside a relay's link.
    fn half_closed_by_peer(&self, idx: usize) -> bool {
        matches!(self.conns.get(idx), Some(Some(c)) if c.eof && c.partner.is_none())
    }

    /// Whether something still waits to go to connection `idx`: bytes
    /// queued on it, or an auto-reply not yet due.
    fn owes_answer(&self, idx: usize) -> bool {
        let Some(Some(c)) = self.conns.get(idx) else {
            return false;
        };
        !c.out.is_empty() || self.reply_queue.iter().any(|(_, p, _)| *p == c.peer)
    }

    /// Notes bytes a send tool wrote to `peer` without a `Sent` event.
    pub(super) fn count_tool_tx(&mut self, peer: SocketAddr, n: usize) {
        *self.tool_tx.entry(peer).or_default() += n as u64;
    }

    /// Tells the UI what send tools wrote to each peer since the last time
    /// (with a job's progress, and at its end).
    pub(super) fn report_tool_tx(&mut self) {
        if self.tool_tx.is_empty() {
            return;
        }
        let written: Vec<(SocketAddr, u64)> = self.tool_tx.drain().collect();
        for (peer, bytes) in written {
            self.emit(Event::PeerTx { peer, bytes });
        }
    }

    /// Closes the connections whose peers closed their side, once what
    /// was owed to them is written (called after each round's sends).
    pub(super) fn close_answered(&mut self) {
        if self.after_fin.is_empty() {
            return;
        }
        let waiting = std::mem::take(&mut self.after_fin);
        for idx in waiting {
            // A slot reused by a newer connection is not this one.
            if !self.half_closed_by_peer(idx) {
                continue;
            }
            if self.owes_answer(idx) {
                self.after_fin.push(idx);
            } else {
                self.remove_conn(idx, CloseReason::PeerClosed);
            }
        }
    }

    /// Ends a link whose sides have both closed and been told so.
    fn finish_link(&mut self, idx: usize) {
        let done = |c: &Conn| c.eof && c.shut;
        let Some(Some(c)) = self.conns.get(idx) else {
            return;
        };
        let Some(p) = c.partner else {
            return;
        };
        let both = done(c) && matches!(self.conns.get(p), Some(Some(pc)) if done(pc));
        if both {
            self.remove_conn(idx, CloseReason::PeerClosed);
        }
    }

    /// Shuts every connection down, at the end of the session.
    pub(super) fn close_conns(&mut self) {
        for c in self.conns.iter_mut().flatten() {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
        self.conns.clear();
    }

    pub(super) fn add_conn(
        &mut self,
        stream: impl Into<Stream>,
        peer: SocketAddr,
    ) -> Option<usize> {
        self.insert_conn(stream.into(), peer, true)
    }

    /// A connection in the table; `by_peer` makes it one that commands
    /// can name by its peer (a relay's target side is reached through its
    /// client instead).
    fn insert_conn(
        &mut self,
        mut stream: Stream,
        peer: SocketAddr,
        by_peer: bool,
    ) -> Option<usize> {
        let idx = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            Token(FIRST_CONN + idx),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            self.free.push(idx);
            self.error(NetError::from_io(&e, Op::Read(peer)));
            return None;
        }
        let slot = self.conns.get_mut(idx)?;
        *slot = Some(Conn {
            stream,
            peer,
            readable: true,
            out: VecDeque::new(),
            out_bytes: 0,
            framer: framer_for(&self.spec.framing),
            last_data: Instant::now(),
            shut_write: false,
            shut: false,
            partner: None,
            upstream: false,
            target: None,
            connecting: None,
            eof: false,
            shaper: None,
            joining: None,
            split_next: None,
            health: None,
        });
        if by_peer {
            self.by_peer.insert(peer, idx);
        }
        Some(idx)
    }

    /// Reads what a closing connection still holds, so a peer's last words
    /// are reported even when a failed write is what noticed the close.
    fn drain_reads(&mut self, idx: usize) {
        let mut got = Vec::new();
        if let Some(Some(c)) = self.conns.get_mut(idx)
            && c.connecting.is_none()
            && !c.eof
        {
            let key = capture_key(c);
            for _ in 0..64 {
                match c.stream.read(&mut self.buf) {
                    Ok(0) => break,
                    Ok(n) => got.push((key, self.buf.get(..n).unwrap_or_default().to_vec())),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        for (peer, bytes) in got {
            self.capture_raw(peer, &bytes);
            self.deliver(idx, bytes);
        }
    }

    /// Hands on bytes read from connection `idx`: as they came, or cut
    /// into frames; with echo, each record goes back to its sender.
    /// Returns true when the framing asks for the connection to close.
    fn deliver(&mut self, idx: usize, bytes: Vec<u8>) -> bool {
        self.forward(idx, &bytes);
        self.in_leg(idx, |core| core.deliver_here(idx, bytes))
    }

    /// A relay passes what one side of a link sent on to the other side:
    /// at once, or through the impairment of that direction.
    fn forward(&mut self, idx: usize, bytes: &[u8]) {
        let Some(p) = self
            .conns
            .get(idx)
            .and_then(Option::as_ref)
            .and_then(|c| c.partner)
        else {
            return;
        };
        let Some(Some(pc)) = self.conns.get(p) else {
            return;
        };
        let toward_target = pc.upstream;
        let cfg = self.impairment.toward(toward_target).copied();
        // What a shaper still holds goes first, whatever the settings now.
        if cfg.is_some() || pc.shaper.as_ref().is_some_and(|s| s.pending() > 0) {
            self.shape(p, toward_target, bytes.to_vec(), cfg.unwrap_or_default());
            return;
        }
        if let Err(e) = self.queue_tagged(p, bytes.to_vec(), FORWARDED) {
            self.in_leg(p, |core| core.error(e));
        }
    }

    /// Passes bytes toward connection `p` through its direction's shaper.
    fn shape(&mut self, p: usize, toward_target: bool, bytes: Vec<u8>, cfg: Impair) {
        let seed = self.shapers_made;
        let Some(Some(c)) = self.conns.get_mut(p) else {
            return;
        };
        let shaper = c.shaper.get_or_insert_with(|| StreamShaper::new(seed));
        self.shapers_made += 1;
        let flipped = shaper.push(Instant::now(), bytes, &cfg);
        let peer = c.target.unwrap_or(c.peer);
        if !flipped.is_empty() {
            let total = flipped.len();
            let first: Vec<_> = flipped.into_iter().take(FLIPS_SHOWN).collect();
            self.emit(Event::Corrupted {
                at: now(),
                peer,
                toward_target,
                flipped: first,
                total,
            });
        }
        self.release_conn(p, Instant::now());
    }

    /// Writes what connection `p`'s shaper lets out by `now`.
    fn release_conn(&mut self, p: usize, at: Instant) {
        let Some(Some(c)) = self.conns.get_mut(p) else {
            return;
        };
        let toward_target = c.upstream;
        let cfg = self
            .impairment
            .toward(toward_target)
            .copied()
            .unwrap_or_default();
        let Some(shaper) = c.shaper.as_mut() else {
            return;
        };
        let out = shaper.take_due(at, &cfg);
        let counts = shaper.take_counts();
        self.impaired.side(toward_target).add(&counts);
        for piece in out {
            match piece {
                Shaped::Bytes(b) => {
                    if let Err(e) = self.queue_tagged(p, b, FORWARDED) {
                        self.in_leg(p, |core| core.error(e));
                    }
                }
                Shaped::Held { after, bytes } => {
                    let peer = self
                        .conns
                        .get(p)
                        .and_then(Option::as_ref)
                        .map(|c| c.target.unwrap_or(c.peer));
                    if let Some(peer) = peer {
                        self.emit(Event::Held {
                            at: now(),
                            peer,
                            toward_target,
                            bytes,
                            after,
                        });
                    }
                }
                Shaped::Cut { reset } => {
                    let after = cfg.cut.map_or(0, |c| c.after);
                    self.cuts.push((p, reset, after));
                }
            }
        }
    }

    /// When a relay's shaper next lets something out.
    pub(super) fn shaped_due(&self) -> Option<Instant> {
        // What the effects did is told at most every so often, but told.
        let report = (self.impaired != BothWays::default()).then(|| {
            self.impaired_told
                .map_or_else(Instant::now, |t| t + IMPAIR_REPORT_EVERY)
        });
        // Nothing else to look for in a session that never shaped a stream
        // (this runs every round, over every connection).
        if self.shapers_made == 0 {
            return report;
        }
        // A cut waits for its connection's queue to be written: look again
        // soon (a written queue wakes no one).
        if !self.cuts.is_empty() {
            return Some(Instant::now() + Duration::from_millis(1));
        }
        let pieces = self
            .conns
            .iter()
            .flatten()
            .filter_map(|c| {
                let s = c.shaper.as_ref()?;
                let cfg = self
                    .impairment
                    .toward(c.upstream)
                    .copied()
                    .unwrap_or_default();
                s.next_due(&cfg)
            })
            .min();
        [pieces, report].into_iter().flatten().min()
    }

    /// Lets out what relays' shapers hold that is due, carries out cuts
    /// whose bytes are written, and reports what impairments did.
    pub(super) fn release_shaped(&mut self) {
        if self.shapers_made == 0 {
            return;
        }
        let now_i = Instant::now();
        let due: Vec<usize> = self
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.as_ref().is_some_and(|c| c.shaper.is_some()))
            .map(|(i, _)| i)
            .collect();
        for p in due {
            self.release_conn(p, now_i);
        }
        let cuts = std::mem::take(&mut self.cuts);
        for (p, reset, after) in cuts {
            match self.conns.get(p) {
                Some(Some(c)) if c.out_bytes > 0 => self.cuts.push((p, reset, after)),
                Some(Some(c)) => {
                    if reset {
                        let _ = c.stream.sock_ref().set_linger(Some(Duration::ZERO));
                    }
                    self.remove_conn(p, CloseReason::Cut { after, reset });
                }
                _ => {}
            }
        }
        self.report_impaired(now_i);
    }

    /// Tells the UI what impairments did (`impaired`, which a UDP relay's
    /// shapers add to too), at most every [`IMPAIR_REPORT_EVERY`].
    pub(super) fn report_impaired(&mut self, now_i: Instant) {
        let quiet = self
            .impaired_told
            .is_some_and(|t| now_i.duration_since(t) < IMPAIR_REPORT_EVERY);
        if !quiet && self.impaired != BothWays::default() {
            let both = std::mem::take(&mut self.impaired);
            for (toward_target, counts) in [(true, both.to_target), (false, both.to_client)] {
                if !counts.is_zero() {
                    self.emit(Event::Impaired {
                        toward_target,
                        counts,
                    });
                }
            }
            self.impaired_told = Some(now_i);
        }
    }

    fn deliver_here(&mut self, idx: usize, bytes: Vec<u8>) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        let peer = c.peer;
        let Some(framer) = c.framer.as_mut() else {
            self.record(idx, peer, bytes);
            return false;
        };
        c.last_data = Instant::now();
        let (mut first, mut rest) = (FrameBatch::default(), FrameBatch::default());
        // Frames whole in the read are cut in place, in its buffer; when
        // they are copies, the buffer can take the next read.
        if let Some(unused) = framer.push_owned(bytes, &mut first, &mut rest) {
            self.shared.spare.give.give(unused);
        }
        let closing = framer.wants_close();
        self.frames_out(idx, peer, first, closing);
        self.frames_out(idx, peer, rest, closing);
        closing
    }

    /// Reports what a framer handed on.
    fn frames_out(&mut self, idx: usize, peer: SocketAddr, batch: FrameBatch, closing: bool) {
        let echo = self.spec.echo && !self.is_relay();
        self.each_frame(peer, batch, closing, |core, b| {
            if echo {
                core.queue_conn(idx, b.to_vec());
            }
        });
    }

    /// Reports what a framer handed on for `peer`: the frames of one read
    /// in one event sharing one buffer, a note before a partial frame and
    /// for an oversize header. Each frame goes to the reply rules, then to
    /// `echo` (TCP and UDP differ only in how a frame is echoed).
    pub(super) fn each_frame(
        &mut self,
        peer: SocketAddr,
        batch: FrameBatch,
        closing: bool,
        mut echo: impl FnMut(&mut Core, &[u8]),
    ) {
        if batch.is_empty() {
            return;
        }
        let at = now();
        let data = Arc::new(batch.data);
        let scan = batch.scan;
        let mut spans = Vec::with_capacity(batch.outs.len());
        let answers = !self.replies.is_empty();
        for out in batch.outs {
            let r = match out {
                FrameOut::Frame(r) => r,
                FrameOut::Partial(r) => {
                    self.emit_frames(at, peer, &data, std::mem::take(&mut spans), scan.as_ref());
                    self.emit(Event::Framing {
                        at,
                        peer,
                        note: FrameNote::Partial { bytes: r.len() },
                    });
                    r
                }
                FrameOut::Oversize { claimed, max } => {
                    self.emit_frames(at, peer, &data, std::mem::take(&mut spans), scan.as_ref());
                    self.emit(Event::Framing {
                        at,
                        peer,
                        note: FrameNote::Oversize {
                            claimed,
                            max,
                            closing,
                        },
                    });
                    continue;
                }
            };
            let frame = data.get(r.clone()).unwrap_or_default();
            if answers {
                self.check_replies(peer, frame);
            }
            echo(self, frame);
            spans.push(r);
        }
        self.emit_frames(at, peer, &data, spans, scan.as_ref());
    }

    /// One event for frames of `data`, with the rows each takes.
    fn emit_frames(
        &mut self,
        at: SystemTime,
        peer: SocketAddr,
        data: &Arc<Vec<u8>>,
        spans: Vec<std::ops::Range<usize>>,
        scan: Option<&PlainScan>,
    ) {
        if spans.is_empty() {
            return;
        }
        // Rows counted for the log's width while the bytes are hot.
        let rows = FrameRows::of_scanned(data, &spans, self.shared.wrap_cols(), scan);
        self.emit(Event::Frames {
            at,
            peer,
            data: data.clone(),
            spans,
            rows,
        });
    }

    /// One record from connection `idx`, echoed back if asked.
    fn record(&mut self, idx: usize, peer: SocketAddr, bytes: Vec<u8>) {
        self.check_replies(peer, &bytes);
        let echo = (self.spec.echo && !self.is_relay()).then(|| bytes.clone());
        self.emit(self.received(peer, bytes));
        if let Some(b) = echo {
            self.queue_conn(idx, b);
        }
    }

    /// A `Received` event for bytes just read, their rows counted for the
    /// log's width.
    pub(super) fn received(&self, peer: SocketAddr, bytes: Vec<u8>) -> Event {
        Event::received_at(now(), peer, bytes, self.shared.wrap_cols())
    }

    /// Hands on what connection `idx`'s framer still holds.
    fn flush_framer(&mut self, idx: usize) {
        self.in_leg(idx, |core| core.flush_framer_here(idx));
    }

    fn flush_framer_here(&mut self, idx: usize) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let peer = c.peer;
        let Some(framer) = c.framer.as_mut() else {
            return;
        };
        let mut batch = FrameBatch::default();
        framer.flush(&mut batch);
        self.frames_out(idx, peer, batch, false);
    }

    /// Cuts what arrives from now on with `framing`; what each connection
    /// held of an unfinished frame is handed on first.
    pub(super) fn set_framing(&mut self, framing: Framing) {
        for idx in 0..self.conns.len() {
            self.flush_framer(idx);
            if let Some(Some(c)) = self.conns.get_mut(idx) {
                c.framer = framer_for(&framing);
            }
        }
        self.spec.framing = framing;
    }

    /// When connections' health is next read (while there are any).
    pub(super) fn health_due(&self) -> Option<Instant> {
        self.has_conns()
            .then(|| self.health_next.unwrap_or_else(Instant::now))
    }

    /// Reads each connection's health once a second, and tells what
    /// changed (an idle connection's figures stay, and cost no event).
    pub(super) fn check_health(&mut self) {
        let now_i = Instant::now();
        if !self.has_conns() || self.health_next.is_some_and(|t| t > now_i) {
            return;
        }
        self.health_next = Some(now_i + HEALTH_EVERY);
        let mut news = Vec::new();
        for c in self.conns.iter_mut().flatten() {
            // A relay's target side is told through its client's row.
            if c.upstream || c.connecting.is_some() {
                continue;
            }
            let Some(h) = super::health::read(c.stream.sock_ref()) else {
                continue;
            };
            if c.health != Some(h) {
                c.health = Some(h);
                news.push((c.peer, h));
            }
        }
        for (peer, health) in news {
            self.emit(Event::Health { peer, health });
        }
    }

    /// When the idle framing must next end a frame, if it holds one.
    pub(super) fn idle_due(&self) -> Option<Instant> {
        let gap = self.spec.framing.idle_gap()?;
        self.conns
            .iter()
            .flatten()
            .filter(|c| c.framer.as_ref().is_some_and(|f| f.pending() > 0))
            .map(|c| c.last_data + gap)
            .min()
    }

    /// Ends the frames whose connections have been silent for the gap.
    pub(super) fn flush_idle(&mut self) {
        let Some(gap) = self.spec.framing.idle_gap() else {
            return;
        };
        let now = Instant::now();
        for idx in 0..self.conns.len() {
            let due = self
                .conns
                .get(idx)
                .and_then(Option::as_ref)
                .is_some_and(|c| {
                    c.framer.as_ref().is_some_and(|f| f.pending() > 0) && c.last_data + gap <= now
                });
            if due {
                self.flush_framer(idx);
            }
        }
    }

    fn remove_conn(&mut self, idx: usize, reason: CloseReason) {
        let partner = self.in_leg(idx, |core| core.remove_conn_here(idx, reason.clone()));
        if let Some(p) = partner {
            self.unlink(p, idx, &reason);
        }
    }

    /// Closes the other side of a link whose side `gone` has closed: with
    /// a RST when that one was reset, else with a FIN.
    fn unlink(&mut self, idx: usize, gone: usize, reason: &CloseReason) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if c.partner != Some(gone) {
            return;
        }
        c.partner = None;
        if c.connecting.is_some() {
            // Nobody is waiting for this connect any more.
            self.discard_conn(idx);
            return;
        }
        let failed = if matches!(
            reason,
            CloseReason::Reset | CloseReason::ResetByUser | CloseReason::Cut { reset: true, .. }
        ) {
            c.stream
                .sock_ref()
                .set_linger(Some(Duration::ZERO))
                .err()
                .map(|e| NetError::from_io(&e, Op::Send(c.peer)))
        } else {
            None
        };
        let own = if c.eof {
            CloseReason::PeerClosed
        } else {
            CloseReason::LinkEnded
        };
        if let Some(e) = failed {
            self.in_leg(idx, |core| core.error(e));
        }
        self.remove_conn(idx, own);
    }

    /// Closes connection `idx`; returns the other side of its link.
    fn remove_conn_here(&mut self, idx: usize, reason: CloseReason) -> Option<usize> {
        if reason != CloseReason::ByUser && reason != CloseReason::BadFrame {
            self.drain_reads(idx);
        }
        // An unfinished frame is shown as such before the close.
        self.flush_framer(idx);
        let mut c = self.conns.get_mut(idx)?.take()?;
        let _ = self.poll.registry().deregister(&mut c.stream);
        // (A link's other side is closed by the drop below: with a FIN, or
        // a RST when the reset is being passed on.)
        if matches!(reason, CloseReason::ByUser | CloseReason::BadFrame) {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
        if self.by_peer.get(&c.peer) == Some(&idx) {
            self.by_peer.remove(&c.peer);
        }
        self.free.push(idx);
        for o in &c.out {
            ledger_dropped(&mut self.ledger, o.tag, o.data.len() - o.off);
        }
        // Sends held for a join go nowhere now: their job is told so.
        if let Some((tag, held, _)) = &c.joining {
            ledger_dropped(&mut self.ledger, *tag, held.len());
        }
        self.emit(Event::Disconnected {
            at: now(),
            peer: c.peer,
            reason: reason.clone(),
        });
        if c.out_bytes > 0 {
            self.error(NetError::new(
                NetErrorKind::BrokenPipe,
                Op::Send(c.peer),
                Detail::Unsent { bytes: c.out_bytes },
            ));
        }
        if let Some(ends_with) = self.ends_with {
            self.finished = Some(ends_with(c.peer, reason));
        }
        c.partner
    }

    /// Reads every readable connection up to READS_PER_ROUND times, while
    /// the UI keeps up.
    pub(super) fn read_conns(&mut self) {
        for idx in 0..self.conns.len() {
            if !self.can_read_now() {
                return;
            }
            let mut outcome = None;
            let mut got: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
            if !self.may_read(idx) {
                continue;
            }
            let linked;
            {
                let Some(Some(c)) = self.conns.get_mut(idx) else {
                    continue;
                };
                linked = c.partner.is_some();
                let key = capture_key(c);
                for _ in 0..READS_PER_ROUND {
                    match c.stream.read(&mut self.buf) {
                        Ok(0) => {
                            outcome = Some(CloseReason::PeerClosed);
                            break;
                        }
                        // A whole buffer is handed on as it is, and
                        // another (given back by the log) takes its place.
                        Ok(n) if n == self.buf.len() => {
                            let next = self.shared.read_buffer();
                            got.push((key, std::mem::replace(&mut self.buf, next)));
                        }
                        Ok(n) => got.push((key, self.buf.get(..n).unwrap_or_default().to_vec())),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            c.readable = false;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            outcome = Some(match e.kind() {
                                io::ErrorKind::ConnectionReset
                                | io::ErrorKind::ConnectionAborted => CloseReason::Reset,
                                _ => CloseReason::Error(NetError::from_io(&e, Op::Read(c.peer))),
                            });
                            break;
                        }
                    }
                }
            }
            for (peer, bytes) in got {
                self.capture_raw(peer, &bytes);
                if self.deliver(idx, bytes) {
                    outcome = Some(CloseReason::BadFrame);
                    break;
                }
            }
            match outcome {
                // A link passes a close on, and keeps the other way open.
                Some(CloseReason::PeerClosed) if linked => self.link_eof(idx),
                Some(CloseReason::PeerClosed) => self.peer_fin(idx),
                Some(reason) => self.remove_conn(idx, reason),
                None => {}
            }
        }
    }

    fn flush_conn(&mut self, idx: usize) {
        self.in_leg(idx, |core| core.flush_conn_here(idx));
    }

    /// Whether what waits for connection `idx` is held back (a relay's
    /// paused direction, or a connect not yet done).
    fn held(&self, c: &Conn) -> bool {
        c.connecting.is_some()
            || (c.partner.is_some()
                && if c.upstream {
                    self.hold_to_target
                } else {
                    self.hold_to_client
                })
    }

    fn flush_conn_here(&mut self, idx: usize) {
        let mut sent = Vec::new();
        let mut failed = None;
        let held = matches!(self.conns.get(idx), Some(Some(c)) if self.held(c));
        if held {
            return;
        }
        {
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                return;
            };
            while let Some(o) = c.out.front_mut() {
                // A piece of a split send waits for its time.
                if o.at.is_some_and(|t| t > Instant::now()) {
                    break;
                }
                match c.stream.write(o.data.get(o.off..).unwrap_or_default()) {
                    Ok(n) => {
                        o.off += n;
                        c.out_bytes -= n;
                        ledger_written(&mut self.ledger, o.tag, n);
                        if o.tag.quiet && o.tag.job.is_some() && !c.upstream {
                            *self.tool_tx.entry(c.peer).or_default() += n as u64;
                        }
                        if o.off == o.data.len()
                            && let Some(o) = c.out.pop_front()
                            && !o.tag.quiet
                        {
                            sent.push((c.peer, o.data));
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failed = Some(match e.kind() {
                            io::ErrorKind::ConnectionReset
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::BrokenPipe => CloseReason::Reset,
                            _ => CloseReason::Error(NetError::from_io(&e, Op::Send(c.peer))),
                        });
                        break;
                    }
                }
            }
        }
        for (peer, bytes) in sent {
            self.emit(Event::Sent {
                at: now(),
                peer,
                bytes,
            });
        }
        if let Some(reason) = failed {
            self.remove_conn(idx, reason);
            return;
        }
        // A shut-down write side sends its FIN once all is written.
        let mut shut = None;
        if let Some(Some(c)) = self.conns.get_mut(idx)
            && c.shut_write
            && !c.shut
            && c.out.is_empty()
        {
            c.shut = true;
            shut = Some((c.peer, c.stream.shutdown(std::net::Shutdown::Write)));
        }
        match shut {
            Some((peer, Ok(()))) => {
                self.emit(Event::WriteShut { at: now(), peer });
                self.finish_link(idx);
                // Both sides have now closed a connection kept open after
                // its peer's FIN: it is over.
                if self.half_closed_by_peer(idx) {
                    self.remove_conn(idx, CloseReason::PeerClosed);
                }
            }
            Some((peer, Err(e))) => self.error(NetError::from_io(&e, Op::Send(peer))),
            None => {}
        }
    }

    fn queue_conn(&mut self, idx: usize, bytes: Vec<u8>) {
        if let Err(e) = self.queue_tagged(idx, bytes, Tag::default()) {
            self.error(e);
        }
    }

    fn queue_tagged(&mut self, idx: usize, bytes: Vec<u8>, tag: Tag) -> Result<(), NetError> {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return Ok(());
        };
        if c.shut_write {
            return Err(NetError::new(
                NetErrorKind::BrokenPipe,
                Op::Send(c.peer),
                Detail::WriteShut,
            ));
        }
        if c.out_bytes + bytes.len() > SEND_QUEUE_CAP {
            let (peer, queued) = (c.peer, c.out_bytes);
            return Err(NetError::new(
                NetErrorKind::SendQueueFull,
                Op::Send(peer),
                Detail::PeerNotReading { queued },
            ));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        // A session's own sends, split or joined as asked (a relay's
        // forwarding is shaped by its impairment instead).
        if !self.send_shape.is_none() && c.partner.is_none() && !c.upstream {
            return self.queue_shaped(idx, bytes, tag);
        }
        c.out_bytes += bytes.len();
        c.out.push_back(Out {
            data: bytes,
            off: 0,
            tag,
            at: None,
        });
        self.flush_conn(idx);
        Ok(())
    }

    /// Queues a send the way the session's send shape says: held until
    /// `join` sends of the same source have come, then written as one;
    /// each write cut into pieces written a gap apart.
    fn queue_shaped(&mut self, idx: usize, bytes: Vec<u8>, tag: Tag) -> Result<(), NetError> {
        let shape = self.send_shape;
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return Ok(());
        };
        let mut ready = Vec::new();
        match shape.join.filter(|k| *k > 1) {
            Some(k) => {
                // Sends of another source are not joined with these.
                if c.joining.as_ref().is_some_and(|(t, ..)| *t != tag)
                    && let Some((t, held, _)) = c.joining.take()
                {
                    ready.push((held, t));
                }
                let (_, held, n) = c.joining.get_or_insert_with(|| (tag, Vec::new(), 0));
                held.extend_from_slice(&bytes);
                *n += 1;
                if *n >= k
                    && let Some((t, held, _)) = c.joining.take()
                {
                    ready.push((held, t));
                }
            }
            None => {
                // Held before join was turned off: they go first.
                if let Some((t, held, _)) = c.joining.take() {
                    ready.push((held, t));
                }
                ready.push((bytes, tag));
            }
        }
        self.push_pieces(idx, ready);
        Ok(())
    }

    /// Puts whole writes in connection `idx`'s queue: as they are, or cut
    /// into pieces a gap apart when sends are split.
    fn push_pieces(&mut self, idx: usize, ready: Vec<(Vec<u8>, Tag)>) {
        let split = self.send_shape.split;
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let now_i = Instant::now();
        for (data, tag) in ready {
            match split {
                Some(sl) => {
                    let start = c.split_next.map_or(now_i, |t| t.max(now_i));
                    let (pieces, next) = split_in_time(&mut self.split_random, sl, start, &data);
                    for (at, piece) in pieces {
                        c.out_bytes += piece.len();
                        c.out.push_back(Out {
                            data: piece,
                            off: 0,
                            tag,
                            at: Some(at),
                        });
                    }
                    c.split_next = Some(next);
                }
                None => {
                    c.out_bytes += data.len();
                    c.out.push_back(Out {
                        data,
                        off: 0,
                        tag,
                        at: None,
                    });
                }
            }
        }
        self.flush_conn(idx);
    }

    /// A job that has handed over all it will send lets its held join go,
    /// so it ends rather than waiting for sends that will not come.
    pub(super) fn release_joined(&mut self, job: JobId) {
        self.release_joins(|t| t.job == Some(job));
    }

    /// Writes the sends held for a join whose source `whose` accepts.
    fn release_joins(&mut self, whose: impl Fn(&Tag) -> bool) {
        let idxs: Vec<usize> = self
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.as_ref()
                    .and_then(|c| c.joining.as_ref())
                    .is_some_and(|(t, ..)| whose(t))
            })
            .map(|(i, _)| i)
            .collect();
        for idx in idxs {
            let held = match self.conns.get_mut(idx) {
                Some(Some(c)) => c.joining.take(),
                _ => None,
            };
            if let Some((tag, bytes, _)) = held {
                self.push_pieces(idx, vec![(bytes, tag)]);
            }
        }
    }

    /// When the next piece of a split send is due.
    pub(super) fn split_due(&self) -> Option<Instant> {
        // Nothing to look for unless sends are split (this runs every round).
        self.send_shape.split?;
        self.conns
            .iter()
            .flatten()
            .filter_map(|c| c.out.front().and_then(|o| o.at))
            .min()
    }

    /// Writes the pieces of split sends that are due.
    pub(super) fn flush_split(&mut self) {
        if self.send_shape.split.is_none() {
            return;
        }
        let now_i = Instant::now();
        let due: Vec<usize> = self
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.as_ref()
                    .and_then(|c| c.out.front())
                    .and_then(|o| o.at)
                    .is_some_and(|t| t <= now_i)
            })
            .map(|(i, _)| i)
            .collect();
        for idx in due {
            self.flush_conn(idx);
        }
    }

    /// Bytes waiting toward the connections `to` names (the longest queue).
    pub(super) fn conns_backlog(&self, to: &Target) -> usize {
        self.target_conns(to)
            .into_iter()
            .filter_map(|i| self.conns.get(i).and_then(|c| c.as_ref()))
            .map(|c| c.out_bytes)
            .max()
            .unwrap_or(0)
    }

    /// Queues a job's item for every connection `to` names; returns the
    /// bytes queued in all.
    pub(super) fn conns_job_send(
        &mut self,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        let idxs = self.target_conns(to);
        if idxs.is_empty() {
            return Err(NetError::new(
                NetErrorKind::NoPeer,
                Op::SendNowhere,
                Detail::NotConnected,
            ));
        }
        let mut total = 0;
        let last = idxs.len() - 1;
        let mut bytes = Some(bytes);
        for (k, idx) in idxs.into_iter().enumerate() {
            let b = if k == last {
                bytes.take().unwrap_or_default()
            } else {
                bytes.clone().unwrap_or_default()
            };
            total += b.len();
            self.queue_tagged(idx, b, tag)?;
        }
        Ok(total)
    }

    /// Drops a job's queued entries that no write has begun on.
    pub(super) fn purge_job(&mut self, id: JobId) {
        for c in self.conns.iter_mut().flatten() {
            let before = c.out_bytes;
            c.out.retain(|o| !(o.tag.job == Some(id) && o.off == 0));
            c.out_bytes = c.out.iter().map(|o| o.data.len() - o.off).sum();
            let gone = before - c.out_bytes;
            ledger_dropped(
                &mut self.ledger,
                Tag {
                    job: Some(id),
                    quiet: true,
                },
                gone,
            );
        }
    }

    /// Carries out a send or disconnect on the connection table (both TCP
    /// kinds); a TCP client's one connection is its "all".
    pub(super) fn conns_command(&mut self, cmd: Command) {
        match cmd {
            Command::Send { to, bytes } => self.send_conns(to, bytes),
            Command::Disconnect(peers) => {
                for p in peers {
                    if let Some(&idx) = self.by_peer.get(&p) {
                        self.remove_conn(idx, CloseReason::ByUser);
                    }
                }
            }
            Command::ShutdownWrite(peers) => {
                for p in peers {
                    if let Some(&idx) = self.by_peer.get(&p) {
                        if let Some(Some(c)) = self.conns.get_mut(idx) {
                            c.shut_write = true;
                        }
                        // At once when nothing waits to be written.
                        self.flush_conn(idx);
                    }
                }
            }
            Command::Reset(peers) => {
                for p in peers {
                    if let Some(&idx) = self.by_peer.get(&p) {
                        // Linger on, with no time: the close sends a RST
                        // and drops what is unsent.
                        if let Some(Some(c)) = self.conns.get(idx)
                            && let Err(e) = c.stream.sock_ref().set_linger(Some(Duration::ZERO))
                        {
                            self.error(NetError::from_io(&e, Op::Send(p)));
                        }
                        self.remove_conn(idx, CloseReason::ResetByUser);
                    }
                }
            }
            Command::SetImpairment(m) => self.impairment = m,
            Command::SetSendShape(s) => {
                self.send_shape = s;
                // Sends held for a join go now, in the new shape.
                self.release_joins(|_| true);
            }
            Command::Hold { toward_target, on } => {
                if toward_target {
                    self.hold_to_target = on;
                } else {
                    self.hold_to_client = on;
                }
                if !on {
                    for idx in 0..self.conns.len() {
                        let side = matches!(self.conns.get(idx), Some(Some(c)) if c.upstream == toward_target);
                        if side {
                            self.flush_conn(idx);
                        }
                    }
                }
            }
            Command::SetEcho(_)
            | Command::Join(_)
            | Command::Leave(_)
            | Command::Close
            | Command::SetFraming(_)
            | Command::Capture(_)
            | Command::SetReplies(_)
            | Command::StartJob { .. }
            | Command::StopJob(_) => {}
        }
    }

    fn send_conns(&mut self, to: Target, bytes: Vec<u8>) {
        let idxs = self.target_conns(&to);
        if idxs.is_empty() {
            self.error(NetError::new(
                NetErrorKind::NoPeer,
                Op::SendNowhere,
                Detail::NotConnected,
            ));
        }
        for idx in idxs {
            self.queue_conn(idx, bytes.clone());
        }
    }

    /// The slots of the connections `to` names.
    fn target_conns(&self, to: &Target) -> Vec<usize> {
        match to {
            Target::All => self
                .conns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.as_ref().filter(|c| !c.upstream).map(|_| i))
                .collect(),
            Target::Upstream(clients) => self
                .target_conns(clients)
                .into_iter()
                .filter_map(|i| self.conns.get(i)?.as_ref()?.partner)
                .collect(),
            Target::Peers(p) => p
                .iter()
                .filter_map(|a| self.by_peer.get(a).copied())
                .collect(),
            Target::Host(hp) => self
                .conns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    c.as_ref()
                        .filter(|c| !c.upstream && HostPort::from(c.peer) == *hp)
                        .map(|_| i)
                })
                .collect(),
        }
    }
}

/// The answer of a resolver thread.
pub(super) type Resolved = Receiver<io::Result<Vec<SocketAddr>>>;

/// Resolves `hp` on a short-lived thread that wakes the poll loop when done.
pub(super) fn spawn_resolver(hp: &HostPort, waker: Arc<mio::Waker>) -> Result<Resolved, NetError> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let target = (hp.host.clone(), hp.port);
    std::thread::Builder::new()
        .name("netpal-resolve".into())
        .spawn(move || {
            let r = target.to_socket_addrs().map(|a| a.collect());
            let _ = tx.send(r);
            let _ = waker.wake();
        })
        .map_err(|e| NetError::from_io(&e, Op::Start))?;
    Ok(rx)
}

/// IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d`; users know
/// them as `a.b.c.d`.
pub(super) fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}

/// A socket for `addr`'s family; `::` accepts IPv4 too (dual stack).
pub(super) fn new_socket(addr: SocketAddr, ty: Type) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), ty, None)?;
    if let SocketAddr::V6(v6) = addr
        && v6.ip().is_unspecified()
    {
        let _ = sock.set_only_v6(false);
    }
    #[cfg(windows)]
    if ty == Type::DGRAM {
        no_icmp_resets(&sock);
    }
    Ok(sock)
}

/// On Windows, a UDP socket that sent to a port nobody listens on fails its
/// next receive with WSAECONNRESET (the ICMP "port unreachable"), and one
/// whose datagram outlived its TTL with WSAENETRESET; whatever else is
/// waiting to be read then waits behind an error. Both reports are turned
/// off: a UDP session goes on receiving from everyone else, as on Linux.
/// (Windows does not say which send an unconnected socket's ICMP answer was
/// for, so there is nothing more to tell the user.)
#[cfg(windows)]
fn no_icmp_resets(sock: &Socket) {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock::{SIO_UDP_CONNRESET, SIO_UDP_NETRESET, WSAIoctl};
    let off: u32 = 0;
    for code in [SIO_UDP_CONNRESET, SIO_UDP_NETRESET] {
        let mut returned = 0u32;
        // SAFETY: the socket is open for the call's length; the input is
        // a 4-byte BOOL, there is no output and no overlapped I/O.
        unsafe {
            WSAIoctl(
                sock.as_raw_socket() as usize,
                code,
                (&off as *const u32).cast(),
                std::mem::size_of::<u32>() as u32,
                std::ptr::null_mut(),
                0,
                &mut returned,
                std::ptr::null_mut(),
                None,
            );
        }
    }
}

/// Whose file a connection's raw bytes go to in a per-peer capture: its
/// peer's, or for a relay's target side, the target's.
fn capture_key(c: &Conn) -> SocketAddr {
    match (c.upstream, c.target) {
        (true, Some(t)) => t,
        _ => c.peer,
    }
}

/// A socket connecting to `addr` without blocking (bound first to `local`
/// when given); the caller registers it and learns the outcome when it
/// turns writable.
pub(super) fn connecting_stream(
    addr: SocketAddr,
    local: Option<SocketAddr>,
    opts: &super::SocketOptions,
) -> io::Result<(TcpStream, Vec<NetError>)> {
    let sock = new_socket(addr, Type::STREAM)?;
    sock.set_nonblocking(true)?;
    let refused = opts.before_bind(&sock, addr.is_ipv6(), false);
    if let Some(local) = local {
        #[cfg(unix)]
        sock.set_reuse_address(true)?;
        sock.bind(&local.into())?;
    }
    match sock.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok((TcpStream::from_std(sock.into()), refused))
}

/// A framer for `framing`, or none when each read is a record.
fn framer_for(framing: &Framing) -> Option<Framer> {
    (!framing.is_none()).then(|| Framer::new(framing.clone()))
}
