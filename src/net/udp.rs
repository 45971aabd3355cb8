//! A UDP socket: datagrams in within the UI's queue limit, datagrams out
//! through a bounded send queue, host names resolved off the poll loop.

use super::conn::{
    Core, Resolved, SEND_QUEUE_CAP, canonical, ledger_dropped, ledger_written, new_socket, now,
    purge_queue, spawn_resolver,
};
use super::impair::DatagramSends;
use super::jobs::{MAX_DATAGRAM, Tag};
use super::worker::Kind;
use super::{
    Command, Detail, Event, HostPort, INFLIGHT_HIGH, JobId, NetError, NetErrorKind, Op, Target,
    inflight_cost,
};
use crate::codec::{FrameBatch, Framer};
use mio::net::UdpSocket;
use mio::{Interest, Token};
use socket2::Type;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

const UDP: Token = Token(2);
/// Datagrams per round.
const DATAGRAMS_PER_ROUND: usize = 1024;
/// Kernel buffers asked for (the OS may grant less).
const SOCKET_BUFFER: usize = 4 << 20;

/// A datagram waiting for its destination's name to resolve.
type Waiting = (Vec<u8>, Tag);

#[derive(Default)]
pub(super) struct Udp {
    socket: Option<UdpSocket>,
    readable: bool,
    /// Whether the poll watches for room to write: only while datagrams
    /// wait, since every datagram sent would otherwise wake the poll.
    watch_writable: bool,
    /// Sends queue without writing (a job's round, flushed at its end).
    deferred: bool,
    out: VecDeque<(SocketAddr, Vec<u8>, Tag)>,
    /// Bytes waiting in all: in `out` and held by `shaped`.
    out_bytes: usize,
    /// Sends split or joined on purpose, not yet due.
    shaped: DatagramSends<SocketAddr, Tag>,
    resolved: HashMap<HostPort, SocketAddr>,
    /// Names being resolved, and the sends waiting for them.
    resolving: HashMap<HostPort, (Resolved, VecDeque<Waiting>)>,
}

impl Udp {
    /// Joins or leaves a multicast group, saying which (or why not).
    fn membership(&mut self, core: &mut Core, m: super::Membership, leave: bool) {
        let Some(sock) = &self.socket else {
            return;
        };
        match super::multicast::apply(socket2::SockRef::from(sock), &m, leave) {
            Ok(via) => core.emit(Event::Membership {
                at: now(),
                group: m,
                via,
                joined: !leave,
            }),
            Err(e) => core.error(e),
        }
    }
}

impl Kind for Udp {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        let local = core.spec.local;
        let ctx = Op::BindUdp(local);
        let sock =
            new_socket(local, Type::DGRAM).map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        // NetPal's defaults, unless the user chose: large buffers (a burst
        // of datagrams must not be dropped), broadcast allowed.
        let mut opts = core.spec.options;
        opts.recv_buf = opts.recv_buf.or(Some(SOCKET_BUFFER as u32));
        opts.send_buf = opts.send_buf.or(Some(SOCKET_BUFFER as u32));
        opts.broadcast = opts.broadcast.or(Some(true));
        let mut refused = opts.before_bind(&sock, local.is_ipv6(), true);
        // Only what the user asked for is worth a word.
        refused.retain(|e| {
            !matches!(e.op, Op::SetOption("SO_RCVBUF" | "SO_SNDBUF"))
                || core.spec.options.recv_buf.is_some()
                || core.spec.options.send_buf.is_some()
        });
        core.refused_options(refused);
        // Hear only the groups this session joined, not every group any
        // program on the machine joined (Linux's default).
        #[cfg(target_os = "linux")]
        {
            let _ = if local.is_ipv6() {
                sock.set_multicast_all_v6(false)
            } else {
                sock.set_multicast_all_v4(false)
            };
        }
        sock.bind(&local.into())
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        sock.set_nonblocking(true)
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        let mut u = UdpSocket::from_std(sock.into());
        // The network's answers to sends (port unreachable...) are queued
        // and reported with the send's destination.
        #[cfg(target_os = "linux")]
        super::icmp::enable(&u, local.is_ipv6());
        let bound = u
            .local_addr()
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        core.poll
            .registry()
            .register(&mut u, UDP, Interest::READABLE)
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        let read = super::options::read_back(socket2::SockRef::from(&u), false, true);
        self.socket = Some(u);
        self.readable = true;
        core.emit(Event::Opened {
            at: now(),
            local: bound,
        });
        core.emit(Event::Options {
            at: now(),
            peer: None,
            read,
        });
        for m in core.spec.joins.clone() {
            self.membership(core, m, false);
        }
        Ok(())
    }

    fn on_event(&mut self, core: &mut Core, token: Token, ev: &mio::event::Event) {
        if token != UDP {
            return;
        }
        if ev.is_readable() || ev.is_error() {
            self.readable = true;
        }
        if ev.is_writable() {
            self.flush(core);
        }
    }

    fn handle(&mut self, core: &mut Core, cmd: Command) {
        match cmd {
            Command::Send { to, bytes } => {
                if let Err(e) = self.send_to_target(core, &to, bytes, Tag::default()) {
                    core.error(e);
                }
            }
            Command::SetSendShape(shape) => {
                core.send_shape = shape;
                // Sends held for a join go now, in the new shape.
                let now_i = Instant::now();
                let go = self.shaped.release_join(now_i, &core.send_shape, |_| true);
                self.out.extend(go);
                self.flush(core);
            }
            Command::Join(m) => self.membership(core, m, false),
            Command::Leave(m) => self.membership(core, m, true),
            // No connections to disconnect; Close and SetEcho are the loop's.
            _ => {}
        }
    }

    fn backlog(&self, _core: &Core, _to: &Target) -> usize {
        self.out_bytes
    }

    fn job_send(
        &mut self,
        core: &mut Core,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        // Queued only: the job flushes after its round, so the datagrams
        // go out together (one system call for many, on Linux).
        self.deferred = true;
        let r = self.send_to_target(core, to, bytes, tag);
        self.deferred = false;
        r
    }

    fn flush_queued(&mut self, core: &mut Core) {
        self.flush(core);
    }

    fn purge_job(&mut self, core: &mut Core, id: JobId) {
        let ledger = &mut core.ledger;
        let mut gone = purge_queue(&mut self.out, id, ledger, |(_, d, t)| (d, *t));
        for (_, waiting) in self.resolving.values_mut() {
            gone += purge_queue(waiting, id, ledger, |(d, t)| (d, *t));
        }
        for (_, d, tag) in self.shaped.purge(|t| t.job == Some(id)) {
            ledger_dropped(ledger, tag, d.len());
            gone += d.len();
        }
        self.out_bytes -= gone;
    }

    fn release_joined(&mut self, core: &mut Core, id: JobId) {
        let now_i = Instant::now();
        let go = self
            .shaped
            .release_join(now_i, &core.send_shape, |t| t.job == Some(id));
        if !go.is_empty() {
            self.out.extend(go);
            self.flush(core);
        }
    }

    fn do_work(&mut self, core: &mut Core) {
        self.poll_resolvers(core);
        let due = self.shaped.take_due(Instant::now());
        if !due.is_empty() {
            self.out.extend(due);
            self.flush(core);
        }
    }

    fn timeout(&self) -> Option<Duration> {
        self.shaped.poll_wait(Instant::now())
    }

    fn read(&mut self, core: &mut Core) {
        if !self.readable {
            return;
        }
        let mut got = Vec::new();
        let mut errors = Vec::new();
        if let Some(u) = &self.socket {
            let queued = core.inflight();
            let mut cost = 0;
            for _ in 0..DATAGRAMS_PER_ROUND {
                // Stay within the queue limit, as for TCP.
                if queued + cost >= INFLIGHT_HIGH {
                    break;
                }
                match u.recv_from(&mut core.buf) {
                    Ok((n, peer)) => {
                        let bytes = core.buf.get(..n).unwrap_or_default();
                        cost += inflight_cost(bytes);
                        got.push((canonical(peer), bytes.to_vec()));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.readable = false;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // An ICMP answer to an earlier send ("port
                        // unreachable"); the socket is still fine. On Linux
                        // the queued answer names the send's destination.
                        #[cfg(target_os = "linux")]
                        {
                            let said = super::icmp::drain(u, 16);
                            if !said.is_empty() {
                                errors.extend(said);
                                continue;
                            }
                        }
                        errors.push(NetError::from_io(&e, Op::UdpReceive));
                        if errors.len() > 4 {
                            // A socket that keeps failing waits for its next
                            // event instead of spinning on errors.
                            self.readable = false;
                            break;
                        }
                    }
                }
            }
        }
        for (peer, bytes) in got {
            core.capture_raw(peer, &bytes);
            if core.spec.framing.is_none() {
                self.record(core, peer, bytes);
            } else {
                self.framed(core, peer, bytes);
            }
        }
        for e in errors {
            core.error(e);
        }
    }

    fn pending_reads(&self) -> bool {
        self.readable
    }
}

impl Udp {
    /// A datagram cut into frames: what a datagram leaves of an
    /// unfinished frame is partial (no frame spans two datagrams).
    fn framed(&mut self, core: &mut Core, peer: SocketAddr, bytes: Vec<u8>) {
        let mut framer = Framer::new(core.spec.framing.clone());
        let mut batch = FrameBatch::default();
        framer.push(&bytes, &mut batch);
        framer.flush(&mut batch);
        let echo = core.spec.echo;
        core.each_frame(peer, batch, false, |core, b| {
            if echo && let Err(e) = self.send(core, peer, b.to_vec(), Tag::default()) {
                core.error(e);
            }
        });
    }

    /// One record from `peer`: answered by a rule, echoed back if asked.
    fn record(&mut self, core: &mut Core, peer: SocketAddr, bytes: Vec<u8>) {
        core.check_replies(peer, &bytes);
        let echo = core.spec.echo.then(|| bytes.clone());
        core.emit(core.received(peer, bytes));
        if let Some(b) = echo
            && let Err(e) = self.send(core, peer, b, Tag::default())
        {
            core.error(e);
        }
    }

    /// Queues a datagram for every destination `to` names; returns the
    /// bytes queued in all. With a tag, a refused datagram is an error
    /// for the job rather than a note in the log.
    fn send_to_target(
        &mut self,
        core: &mut Core,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        match to {
            Target::Peers(p) if !p.is_empty() => {
                let n = bytes.len() * p.len();
                let Some((&last, rest)) = p.split_last() else {
                    return Ok(0);
                };
                for d in rest {
                    self.send(core, *d, bytes.clone(), tag)?;
                }
                self.send(core, last, bytes, tag)?;
                Ok(n)
            }
            Target::Host(hp) => {
                let n = bytes.len();
                match hp.addr() {
                    // The common case, without copying the name each time.
                    Some(a) => self.send(core, a, bytes, tag)?,
                    None => self.send_host(core, hp.clone(), bytes, tag)?,
                }
                Ok(n)
            }
            Target::All if core.spec.remote.is_some() => {
                let n = bytes.len();
                if let Some(hp) = core.spec.remote.clone() {
                    self.send_host(core, hp, bytes, tag)?;
                }
                Ok(n)
            }
            _ => Err(NetError::new(
                NetErrorKind::NoPeer,
                Op::SendNowhere,
                Detail::NoRemote,
            )),
        }
    }

    /// Sends to a host name or IP. Names are resolved on a helper thread
    /// (the poll loop never blocks on DNS); sends wait for the answer.
    fn send_host(
        &mut self,
        core: &mut Core,
        hp: HostPort,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<(), NetError> {
        if let Some(a) = hp.addr() {
            return self.send(core, a, bytes, tag);
        }
        if let Some(a) = self.resolved.get(&hp) {
            let a = *a;
            return self.send(core, a, bytes, tag);
        }
        self.out_bytes += bytes.len();
        if let Some((_, waiting)) = self.resolving.get_mut(&hp) {
            waiting.push_back((bytes, tag));
            return Ok(());
        }
        match spawn_resolver(&hp, core.waker.clone()) {
            Ok(rx) => {
                self.resolving
                    .insert(hp, (rx, VecDeque::from([(bytes, tag)])));
                Ok(())
            }
            Err(e) => {
                self.out_bytes -= bytes.len();
                Err(e)
            }
        }
    }

    fn poll_resolvers(&mut self, core: &mut Core) {
        if self.resolving.is_empty() {
            return;
        }
        let done: Vec<(HostPort, io::Result<Vec<SocketAddr>>)> = self
            .resolving
            .iter()
            .filter_map(|(hp, (rx, _))| rx.try_recv().ok().map(|r| (hp.clone(), r)))
            .collect();
        for (hp, result) in done {
            let Some((_, waiting)) = self.resolving.remove(&hp) else {
                continue;
            };
            let ctx = Op::Resolve(hp.to_string());
            let local_v4 = core.spec.local.is_ipv4();
            let pick = match result {
                Ok(addrs) => addrs
                    .iter()
                    .find(|a| a.is_ipv4() == local_v4)
                    .or(addrs.first())
                    .copied()
                    .ok_or_else(|| {
                        NetError::new(NetErrorKind::DnsFailure, ctx.clone(), Detail::NoAddress)
                    }),
                Err(e) => Err(NetError::new(
                    NetErrorKind::DnsFailure,
                    ctx,
                    Detail::Os(e.to_string()),
                )),
            };
            for (bytes, _) in &waiting {
                self.out_bytes -= bytes.len();
            }
            match pick {
                Ok(a) => {
                    self.resolved.insert(hp, a);
                    for (bytes, tag) in waiting {
                        if let Err(e) = self.send(core, a, bytes, tag) {
                            core.error(e);
                        }
                    }
                }
                Err(e) => {
                    for (bytes, tag) in &waiting {
                        ledger_dropped(&mut core.ledger, *tag, bytes.len());
                    }
                    core.error(e);
                }
            }
        }
    }

    fn send(
        &mut self,
        core: &mut Core,
        to: SocketAddr,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<(), NetError> {
        // Errors name the peer as the user knows it (not IPv4-mapped).
        let shown = canonical(to);
        // An IPv6 (dual-stack) socket reaches IPv4 peers through mapped
        // addresses; Windows and macOS refuse a plain IPv4 one.
        let to = match (core.spec.local, to) {
            (SocketAddr::V6(_), SocketAddr::V4(v4)) => {
                SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
            }
            _ => to,
        };
        if bytes.len() > MAX_DATAGRAM {
            return Err(NetError::new(
                NetErrorKind::Other,
                Op::Send(shown),
                Detail::TooBigForUdp { len: bytes.len() },
            ));
        }
        if self.out_bytes + bytes.len() > SEND_QUEUE_CAP {
            return Err(NetError::new(
                NetErrorKind::SendQueueFull,
                Op::Send(shown),
                Detail::QueueFull,
            ));
        }
        self.out_bytes += bytes.len();
        if core.send_shape.is_none() && self.shaped.is_idle() {
            self.out.push_back((to, bytes, tag));
        } else {
            let now_i = Instant::now();
            let go = self
                .shaped
                .push(now_i, &core.send_shape, (to, bytes, tag), MAX_DATAGRAM);
            self.out.extend(go);
        }
        if !self.deferred {
            self.flush(core);
        }
        Ok(())
    }

    fn flush(&mut self, core: &mut Core) {
        let mut sent = Vec::new();
        let mut errors = Vec::new();
        if let Some(u) = &self.socket {
            while let Some((to, data, _)) = self.out.front() {
                #[cfg(target_os = "linux")]
                if self.out.len() > 1 {
                    match send_batch(u, &self.out) {
                        Ok(n) => {
                            for _ in 0..n {
                                if let Some((to, data, tag)) = self.out.pop_front() {
                                    self.out_bytes -= data.len();
                                    ledger_written(&mut core.ledger, tag, data.len());
                                    if !tag.quiet {
                                        sent.push((canonical(to), data));
                                    } else if tag.job.is_some() {
                                        core.count_tool_tx(canonical(to), data.len());
                                    }
                                }
                            }
                            continue;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        // Any other error: the single send below reports
                        // it against the datagram it concerns.
                        Err(_) => {}
                    }
                }
                match u.send_to(data, *to) {
                    Ok(_) => {
                        if let Some((to, data, tag)) = self.out.pop_front() {
                            self.out_bytes -= data.len();
                            ledger_written(&mut core.ledger, tag, data.len());
                            if !tag.quiet {
                                sent.push((canonical(to), data));
                            } else if tag.job.is_some() {
                                core.count_tool_tx(canonical(to), data.len());
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        errors.push(NetError::from_io(&e, Op::Send(canonical(*to))));
                        if let Some((_, data, tag)) = self.out.pop_front() {
                            self.out_bytes -= data.len();
                            ledger_dropped(&mut core.ledger, tag, data.len());
                        }
                    }
                }
            }
        }
        let waiting = !self.out.is_empty();
        if waiting != self.watch_writable
            && let Some(u) = &mut self.socket
        {
            let interest = if waiting {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            match core.poll.registry().reregister(u, UDP, interest) {
                Ok(()) => self.watch_writable = waiting,
                Err(e) => errors.push(NetError::from_io(&e, Op::UdpReceive)),
            }
        }
        for (peer, bytes) in sent {
            core.emit(Event::Sent {
                at: now(),
                peer,
                bytes,
            });
        }
        for e in errors {
            core.error(e);
        }
    }
}

/// Datagrams per `sendmmsg` call.
#[cfg(target_os = "linux")]
const BATCH: usize = 64;

/// Sends the first datagrams of `out` with one `sendmmsg` system call;
/// returns how many went.
#[cfg(target_os = "linux")]
fn send_batch(u: &UdpSocket, out: &VecDeque<(SocketAddr, Vec<u8>, Tag)>) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let n = out.len().min(BATCH);
    let addrs: Vec<socket2::SockAddr> = out
        .iter()
        .take(n)
        .map(|(to, _, _)| socket2::SockAddr::from(*to))
        .collect();
    let mut iovs: Vec<libc::iovec> = out
        .iter()
        .take(n)
        .map(|(_, data, _)| libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = addrs
        .iter()
        .zip(iovs.iter_mut())
        .map(|(addr, iov)| {
            // SAFETY: an all-zero msghdr is a valid empty header; the
            // fields set below point into `addrs` and `iovs`, which outlive
            // the call.
            let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
            h.msg_name = addr.as_ptr() as *mut libc::c_void;
            h.msg_namelen = addr.len();
            h.msg_iov = iov;
            h.msg_iovlen = 1;
            libc::mmsghdr {
                msg_hdr: h,
                msg_len: 0,
            }
        })
        .collect();
    // SAFETY: `msgs` holds `n` initialised headers whose pointers are valid
    // for the duration of the call; the socket is open for as long as `u`.
    let sent = unsafe {
        libc::sendmmsg(
            u.as_raw_fd(),
            msgs.as_mut_ptr(),
            msgs.len() as libc::c_uint,
            0,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}
