//! The poll loop behind a [`Session`](super::Session).

use super::{
    CloseReason, Command, Detail, Event, HostPort, INFLIGHT_HIGH, NetError, NetErrorKind, Op,
    OpenSpec, Protocol, Shared, Target, Wake, inflight_cost,
};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Socket, Type};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

pub(super) const WAKER: Token = Token(0);
const LISTENER: Token = Token(1);
const UDP: Token = Token(2);
const CONNECTING: Token = Token(3);
const FIRST_CONN: usize = 16;

/// Size of one read: one TCP read or the largest UDP datagram.
const READ_BUF: usize = 64 * 1024;
/// Reads per socket per round, so one flooding peer cannot starve the others
/// or the command queue.
const READS_PER_ROUND: usize = 16;
/// Datagrams per round.
const DATAGRAMS_PER_ROUND: usize = 1024;
/// Bytes queued for a peer that does not read, beyond which sends are refused.
const SEND_QUEUE_CAP: usize = 64 << 20;
/// Kernel buffers asked for (the OS may grant less).
const SOCKET_BUFFER: usize = 4 << 20;
const LISTEN_BACKLOG: i32 = 4096;

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    /// Readable and not yet drained to WouldBlock.
    readable: bool,
    out: VecDeque<(Vec<u8>, usize)>,
    out_bytes: usize,
}

/// A name being resolved for UDP sends, and the sends waiting for it.
type UdpResolving = (Receiver<io::Result<Vec<SocketAddr>>>, Vec<Vec<u8>>);

/// Resolves `hp` on a short-lived thread that wakes the poll loop when done.
fn spawn_resolver(
    hp: &HostPort,
    waker: Arc<mio::Waker>,
) -> Result<Receiver<io::Result<Vec<SocketAddr>>>, NetError> {
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

enum ClientState {
    Idle,
    Resolving(Receiver<io::Result<Vec<SocketAddr>>>),
    Connecting {
        stream: TcpStream,
        addr: SocketAddr,
        rest: Vec<SocketAddr>,
        last_error: Option<NetError>,
    },
    Connected,
}

pub(super) struct Worker {
    poll: Poll,
    waker: Arc<mio::Waker>,
    spec: OpenSpec,
    commands: Receiver<Command>,
    events: Sender<Event>,
    wake: Wake,
    shared: Arc<Shared>,
    need_wake: bool,

    listener: Option<TcpListener>,
    accept_pending: bool,
    accept_retry: Option<Instant>,
    last_accept_error: Option<Instant>,

    udp: Option<UdpSocket>,
    udp_readable: bool,
    udp_out: VecDeque<(SocketAddr, Vec<u8>)>,
    udp_out_bytes: usize,
    resolved: HashMap<HostPort, SocketAddr>,
    udp_resolving: HashMap<HostPort, UdpResolving>,

    client: ClientState,
    deadline: Option<Instant>,

    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    by_peer: HashMap<SocketAddr, usize>,
    buf: Vec<u8>,
    /// Set when the session must end after this round.
    finished: Option<Option<NetError>>,
}

fn now() -> SystemTime {
    SystemTime::now()
}

impl Worker {
    pub(super) fn new(
        poll: Poll,
        waker: Arc<mio::Waker>,
        spec: OpenSpec,
        commands: Receiver<Command>,
        events: Sender<Event>,
        wake: Wake,
        shared: Arc<Shared>,
    ) -> Self {
        Worker {
            poll,
            waker,
            spec,
            commands,
            events,
            wake,
            shared,
            need_wake: false,
            listener: None,
            accept_pending: false,
            accept_retry: None,
            last_accept_error: None,
            udp: None,
            udp_readable: false,
            udp_out: VecDeque::new(),
            udp_out_bytes: 0,
            resolved: HashMap::new(),
            udp_resolving: HashMap::new(),
            client: ClientState::Idle,
            deadline: None,
            conns: Vec::new(),
            free: Vec::new(),
            by_peer: HashMap::new(),
            buf: vec![0; READ_BUF],
            finished: None,
        }
    }

    fn emit(&mut self, ev: Event) {
        if let Event::Received { bytes, .. } = &ev {
            self.shared
                .inflight
                .fetch_add(inflight_cost(bytes), Ordering::SeqCst);
        }
        // The receiver only goes away when the session handle is dropped,
        // and then a Close command ends this loop.
        let _ = self.events.send(ev);
        self.need_wake = true;
    }

    fn flush_wake(&mut self) {
        if self.need_wake {
            self.need_wake = false;
            (self.wake)();
        }
    }

    fn error(&mut self, error: NetError) {
        self.emit(Event::Error { at: now(), error });
    }

    pub(super) fn run(mut self) {
        if let Err(e) = self.start() {
            self.emit(Event::Closed {
                at: now(),
                error: Some(e),
            });
            self.flush_wake();
            return;
        }
        self.flush_wake();
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self.timeout();
            if let Err(e) = self.poll.poll(&mut events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                self.finish(Some(NetError::from_io(&e, Op::Start)));
                return;
            }
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    LISTENER => self.accept_pending = true,
                    UDP => {
                        if ev.is_readable() || ev.is_error() {
                            self.udp_readable = true;
                        }
                        if ev.is_writable() {
                            self.flush_udp();
                        }
                    }
                    CONNECTING => self.check_connect(),
                    Token(t) => {
                        let idx = t - FIRST_CONN;
                        if let Some(Some(c)) = self.conns.get_mut(idx) {
                            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                                c.readable = true;
                            }
                            if ev.is_writable() {
                                self.flush_conn(idx);
                            }
                        }
                    }
                }
            }
            loop {
                match self.commands.try_recv() {
                    Ok(Command::Close) | Err(TryRecvError::Disconnected) => {
                        self.finish(None);
                        return;
                    }
                    Ok(cmd) => self.handle(cmd),
                    Err(TryRecvError::Empty) => break,
                }
            }
            self.poll_resolver();
            self.poll_udp_resolvers();
            self.check_deadline();
            if self.accept_pending && self.accept_retry.is_none_or(|t| Instant::now() >= t) {
                self.accept();
            }
            if self.can_read() {
                self.read_conns();
                self.read_udp();
            }
            if let Some(err) = self.finished.take() {
                self.finish(err);
                return;
            }
            self.flush_wake();
        }
    }

    /// How long the poll may sleep: forever when idle (no busy loop).
    fn timeout(&mut self) -> Option<Duration> {
        if self.finished.is_some() {
            return Some(Duration::ZERO);
        }
        // With reads pending but the UI behind, `can_read` marks us paused so
        // the UI wakes us when it has caught up.
        let pending = self.udp_readable || self.conns.iter().flatten().any(|c| c.readable);
        let has_work = pending && self.can_read();
        if has_work || (self.accept_pending && self.accept_retry.is_none()) {
            return Some(Duration::ZERO);
        }
        let mut until: Option<Instant> = self.deadline;
        if let Some(t) = self.accept_retry {
            until = Some(until.map_or(t, |u| u.min(t)));
        }
        if matches!(self.client, ClientState::Resolving(_)) {
            // The resolver wakes us; this is only a safety net.
            let t = Instant::now() + Duration::from_millis(200);
            until = Some(until.map_or(t, |u| u.min(t)));
        }
        until.map(|t| t.saturating_duration_since(Instant::now()))
    }

    fn can_read_now(&self) -> bool {
        self.shared.inflight.load(Ordering::SeqCst) < INFLIGHT_HIGH
    }

    /// Flow control: pause reading while the UI has not taken enough of what
    /// we gave it. The handle wakes us when it has.
    fn can_read(&mut self) -> bool {
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

    fn finish(&mut self, error: Option<NetError>) {
        for c in self.conns.iter_mut().flatten() {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
        self.conns.clear();
        self.listener = None;
        self.udp = None;
        self.client = ClientState::Idle;
        self.emit(Event::Closed { at: now(), error });
        self.flush_wake();
    }

    // ---- opening ------------------------------------------------------------

    fn start(&mut self) -> Result<(), NetError> {
        match self.spec.protocol {
            Protocol::TcpServer => {
                let local = self.spec.local;
                let ctx = Op::Listen(local);
                let sock = new_socket(local, Type::STREAM)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                // Reopening right after closing must work (TIME_WAIT).
                // On Windows SO_REUSEADDR would let another program steal the port.
                #[cfg(unix)]
                sock.set_reuse_address(true)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                sock.bind(&local.into())
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                sock.listen(LISTEN_BACKLOG)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                sock.set_nonblocking(true)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                let mut l = TcpListener::from_std(sock.into());
                let bound = l
                    .local_addr()
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                self.poll
                    .registry()
                    .register(&mut l, LISTENER, Interest::READABLE)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                self.listener = Some(l);
                self.accept_pending = true;
                self.emit(Event::Opened {
                    at: now(),
                    local: bound,
                });
            }
            Protocol::Udp => {
                let local = self.spec.local;
                let ctx = Op::BindUdp(local);
                let sock = new_socket(local, Type::DGRAM)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                let _ = sock.set_recv_buffer_size(SOCKET_BUFFER);
                let _ = sock.set_send_buffer_size(SOCKET_BUFFER);
                let _ = sock.set_broadcast(true);
                sock.bind(&local.into())
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                sock.set_nonblocking(true)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                let mut u = UdpSocket::from_std(sock.into());
                let bound = u
                    .local_addr()
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                self.poll
                    .registry()
                    .register(&mut u, UDP, Interest::READABLE | Interest::WRITABLE)
                    .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
                self.udp = Some(u);
                self.udp_readable = true;
                self.emit(Event::Opened {
                    at: now(),
                    local: bound,
                });
            }
            Protocol::TcpClient => {
                let remote = self.spec.remote.clone().ok_or_else(|| {
                    NetError::new(
                        NetErrorKind::InvalidAddress,
                        Op::SendNowhere,
                        Detail::NoRemote,
                    )
                })?;
                match remote.ip() {
                    Some(ip) => self.connect_next(vec![SocketAddr::new(ip, remote.port)], None),
                    None => {
                        let rx = spawn_resolver(&remote, self.waker.clone())?;
                        self.client = ClientState::Resolving(rx);
                        self.deadline = Some(Instant::now() + self.spec.connect_timeout);
                    }
                }
            }
        }
        Ok(())
    }

    /// The remote as the user gave it, for error messages.
    fn remote_text(&self) -> String {
        self.spec
            .remote
            .as_ref()
            .map(|r| r.to_string())
            .unwrap_or_default()
    }

    fn poll_resolver(&mut self) {
        let ClientState::Resolving(rx) = &self.client else {
            return;
        };
        let Ok(result) = rx.try_recv() else {
            return;
        };
        let host = self.remote_text();
        match result {
            Ok(addrs) if !addrs.is_empty() => self.connect_next(addrs, None),
            Ok(_) => self.fail_client(NetError::new(
                NetErrorKind::DnsFailure,
                Op::Resolve(host.clone()),
                Detail::NoAddress,
            )),
            Err(e) => self.fail_client(NetError::new(
                NetErrorKind::DnsFailure,
                Op::Resolve(host),
                Detail::Os(e.to_string()),
            )),
        }
    }

    fn fail_client(&mut self, err: NetError) {
        self.client = ClientState::Idle;
        self.deadline = None;
        self.finished = Some(Some(err));
    }

    /// Starts a non-blocking connect to the first of `addrs`.
    fn connect_next(&mut self, mut addrs: Vec<SocketAddr>, last_error: Option<NetError>) {
        if addrs.is_empty() {
            let err = last_error.unwrap_or_else(|| {
                NetError::new(
                    NetErrorKind::DnsFailure,
                    Op::ConnectTo(self.remote_text()),
                    Detail::NoAddress,
                )
            });
            self.fail_client(err);
            return;
        }
        let addr = addrs.remove(0);
        let ctx = Op::Connect(addr);
        let started = (|| -> io::Result<TcpStream> {
            let sock = new_socket(addr, Type::STREAM)?;
            sock.set_nonblocking(true)?;
            let local = self.spec.local;
            if local.port() != 0 || !local.ip().is_unspecified() {
                let bind = match (local.ip(), addr) {
                    (IpAddr::V4(ip), SocketAddr::V6(_)) if ip.is_unspecified() => {
                        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), local.port())
                    }
                    (IpAddr::V6(ip), SocketAddr::V4(_)) if ip.is_unspecified() => {
                        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), local.port())
                    }
                    _ => local,
                };
                #[cfg(unix)]
                sock.set_reuse_address(true)?;
                sock.bind(&bind.into())?;
            }
            match sock.connect(&addr.into()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                #[cfg(unix)]
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) => return Err(e),
            }
            let mut stream = TcpStream::from_std(sock.into());
            self.poll.registry().register(
                &mut stream,
                CONNECTING,
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(stream)
        })();
        match started {
            Ok(stream) => {
                // Each address gets the whole timeout: a black-holed first
                // address (often IPv6) must not use up the time of the others.
                self.deadline = Some(Instant::now() + self.spec.connect_timeout);
                self.emit(Event::Connecting {
                    at: now(),
                    remote: addr,
                });
                self.client = ClientState::Connecting {
                    stream,
                    addr,
                    rest: addrs,
                    last_error,
                };
            }
            Err(e) => self.connect_next(addrs, Some(NetError::from_io(&e, ctx))),
        }
    }

    fn check_connect(&mut self) {
        let ClientState::Connecting { stream, addr, .. } = &self.client else {
            return;
        };
        let addr = *addr;
        let failure = match stream.take_error() {
            Ok(Some(e)) | Err(e) => Some(e),
            Ok(None) => match stream.peer_addr() {
                Ok(_) => None,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return, // still connecting
                Err(e) => Some(e),
            },
        };
        let state = std::mem::replace(&mut self.client, ClientState::Idle);
        let ClientState::Connecting {
            mut stream,
            rest,
            last_error,
            ..
        } = state
        else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut stream);
        if let Some(e) = failure {
            let err = NetError::from_io(&e, Op::Connect(addr));
            let _ = last_error;
            self.connect_next(rest, Some(err));
            return;
        }
        self.deadline = None;
        let _ = stream.set_nodelay(true);
        let local = stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        self.client = ClientState::Connected;
        if self.add_conn(stream, addr).is_some() {
            self.emit(Event::Connected {
                at: now(),
                local,
                peer: addr,
            });
        }
    }

    fn check_deadline(&mut self) {
        let Some(deadline) = self.deadline else {
            return;
        };
        if Instant::now() < deadline {
            return;
        }
        self.deadline = None;
        let secs = self.spec.connect_timeout.as_secs();
        match std::mem::replace(&mut self.client, ClientState::Idle) {
            ClientState::Connecting {
                mut stream,
                addr,
                rest,
                ..
            } => {
                let _ = self.poll.registry().deregister(&mut stream);
                let err = NetError::new(
                    NetErrorKind::TimedOut,
                    Op::Connect(addr),
                    Detail::NoAnswer { secs },
                );
                self.connect_next(rest, Some(err));
            }
            ClientState::Resolving(_) => {
                let host = self.remote_text();
                self.fail_client(NetError::new(
                    NetErrorKind::DnsFailure,
                    Op::Resolve(host),
                    Detail::NoAnswer { secs },
                ));
            }
            other => self.client = other,
        }
    }

    // ---- connections ----------------------------------------------------------

    fn add_conn(&mut self, mut stream: TcpStream, peer: SocketAddr) -> Option<usize> {
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
        self.conns[idx] = Some(Conn {
            stream,
            peer,
            readable: true,
            out: VecDeque::new(),
            out_bytes: 0,
        });
        self.by_peer.insert(peer, idx);
        Some(idx)
    }

    /// Reads what a closing connection still holds, so a peer's last words
    /// are reported even when a failed write is what noticed the close.
    fn drain_reads(&mut self, idx: usize) {
        let mut got = Vec::new();
        if let Some(Some(c)) = self.conns.get_mut(idx) {
            for _ in 0..64 {
                match c.stream.read(&mut self.buf) {
                    Ok(0) => break,
                    Ok(n) => got.push((c.peer, self.buf[..n].to_vec())),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        for (peer, bytes) in got {
            self.emit(Event::Received {
                at: now(),
                peer,
                bytes,
            });
        }
    }

    fn remove_conn(&mut self, idx: usize, reason: CloseReason) {
        if reason != CloseReason::ByUser {
            self.drain_reads(idx);
        }
        let Some(slot) = self.conns.get_mut(idx) else {
            return;
        };
        let Some(mut c) = slot.take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut c.stream);
        if reason == CloseReason::ByUser {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
        self.by_peer.remove(&c.peer);
        self.free.push(idx);
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
        if self.spec.protocol == Protocol::TcpClient {
            // A client session ends with its connection.
            let err = match reason {
                CloseReason::Reset => Some(NetError::new(
                    NetErrorKind::ConnectionReset,
                    Op::Read(c.peer),
                    Detail::ResetByPeer,
                )),
                CloseReason::Error(e) => Some(e),
                CloseReason::PeerClosed | CloseReason::ByUser => None,
            };
            self.finished = Some(err);
        }
    }

    fn accept(&mut self) {
        self.accept_retry = None;
        loop {
            let Some(l) = &self.listener else {
                self.accept_pending = false;
                return;
            };
            match l.accept() {
                Ok((stream, peer)) => {
                    let peer = canonical(peer);
                    let _ = stream.set_nodelay(true);
                    if self.add_conn(stream, peer).is_some() {
                        self.emit(Event::Accepted { at: now(), peer });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.accept_pending = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    // Out of descriptors or similar: retry shortly, report once a second.
                    self.accept_retry = Some(Instant::now() + Duration::from_millis(100));
                    let report = self
                        .last_accept_error
                        .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
                    if report {
                        self.last_accept_error = Some(Instant::now());
                        self.error(NetError::from_io(&e, Op::Accept));
                    }
                    return;
                }
            }
        }
    }

    fn read_conns(&mut self) {
        for idx in 0..self.conns.len() {
            if !self.can_read_now() {
                return;
            }
            let mut outcome = None;
            let mut got: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
            {
                let Some(Some(c)) = self.conns.get_mut(idx) else {
                    continue;
                };
                if !c.readable {
                    continue;
                }
                for _ in 0..READS_PER_ROUND {
                    match c.stream.read(&mut self.buf) {
                        Ok(0) => {
                            outcome = Some(CloseReason::PeerClosed);
                            break;
                        }
                        Ok(n) => got.push((c.peer, self.buf[..n].to_vec())),
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
                let echo = self.spec.echo.then(|| bytes.clone());
                self.emit(Event::Received {
                    at: now(),
                    peer,
                    bytes,
                });
                if let Some(b) = echo {
                    self.queue_conn(idx, b);
                }
            }
            if let Some(reason) = outcome {
                self.remove_conn(idx, reason);
            }
        }
    }

    fn flush_conn(&mut self, idx: usize) {
        let mut sent = Vec::new();
        let mut failed = None;
        {
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                return;
            };
            while let Some((data, off)) = c.out.front_mut() {
                match c.stream.write(&data[*off..]) {
                    Ok(n) => {
                        *off += n;
                        c.out_bytes -= n;
                        if *off == data.len()
                            && let Some((data, _)) = c.out.pop_front()
                        {
                            sent.push((c.peer, data));
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
        }
    }

    fn queue_conn(&mut self, idx: usize, bytes: Vec<u8>) {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        if c.out_bytes + bytes.len() > SEND_QUEUE_CAP {
            let peer = c.peer;
            self.error(NetError::new(
                NetErrorKind::SendQueueFull,
                Op::Send(peer),
                Detail::PeerNotReading {
                    queued: c_out(self, idx),
                },
            ));
            return;
        }
        if bytes.is_empty() {
            return;
        }
        c.out_bytes += bytes.len();
        c.out.push_back((bytes, 0));
        self.flush_conn(idx);
    }

    // ---- UDP ------------------------------------------------------------------

    fn read_udp(&mut self) {
        if !self.udp_readable {
            return;
        }
        let mut got = Vec::new();
        let mut errors = Vec::new();
        if let Some(u) = &self.udp {
            let queued = self.shared.inflight.load(Ordering::SeqCst);
            let mut cost = 0;
            for _ in 0..DATAGRAMS_PER_ROUND {
                // Stay within the queue limit, as for TCP.
                if queued + cost >= INFLIGHT_HIGH {
                    break;
                }
                match u.recv_from(&mut self.buf) {
                    Ok((n, peer)) => {
                        cost += inflight_cost(&self.buf[..n]);
                        got.push((canonical(peer), self.buf[..n].to_vec()));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.udp_readable = false;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // Windows reports an ICMP "port unreachable" from an
                        // earlier send this way; the socket is still fine.
                        errors.push(NetError::from_io(&e, Op::UdpReceive));
                        if errors.len() > 4 {
                            break;
                        }
                    }
                }
            }
        }
        for (peer, bytes) in got {
            let echo = self.spec.echo.then(|| bytes.clone());
            self.emit(Event::Received {
                at: now(),
                peer,
                bytes,
            });
            if let Some(b) = echo {
                self.send_udp(peer, b);
            }
        }
        for e in errors {
            self.error(e);
        }
    }

    /// Sends to a host name or IP. Names are resolved on a helper thread
    /// (the poll loop never blocks on DNS); sends wait for the answer.
    fn send_udp_host(&mut self, hp: HostPort, bytes: Vec<u8>) {
        if let Some(ip) = hp.ip() {
            self.send_udp(SocketAddr::new(ip, hp.port), bytes);
            return;
        }
        if let Some(a) = self.resolved.get(&hp) {
            let a = *a;
            self.send_udp(a, bytes);
            return;
        }
        if let Some((_, waiting)) = self.udp_resolving.get_mut(&hp) {
            waiting.push(bytes);
            return;
        }
        match spawn_resolver(&hp, self.waker.clone()) {
            Ok(rx) => {
                self.udp_resolving.insert(hp, (rx, vec![bytes]));
            }
            Err(e) => self.error(e),
        }
    }

    fn poll_udp_resolvers(&mut self) {
        if self.udp_resolving.is_empty() {
            return;
        }
        let done: Vec<(HostPort, io::Result<Vec<SocketAddr>>)> = self
            .udp_resolving
            .iter()
            .filter_map(|(hp, (rx, _))| rx.try_recv().ok().map(|r| (hp.clone(), r)))
            .collect();
        for (hp, result) in done {
            let Some((_, waiting)) = self.udp_resolving.remove(&hp) else {
                continue;
            };
            let ctx = Op::Resolve(hp.to_string());
            let local_v4 = self.spec.local.is_ipv4();
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
            match pick {
                Ok(a) => {
                    self.resolved.insert(hp, a);
                    for bytes in waiting {
                        self.send_udp(a, bytes);
                    }
                }
                Err(e) => self.error(e),
            }
        }
    }

    fn send_udp(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        // An IPv6 (dual-stack) socket reaches IPv4 peers through mapped
        // addresses; Windows and macOS refuse a plain IPv4 one.
        let to = match (self.spec.local, to) {
            (SocketAddr::V6(_), SocketAddr::V4(v4)) => {
                SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
            }
            _ => to,
        };
        if bytes.len() > 65507 {
            self.error(NetError::new(
                NetErrorKind::Other,
                Op::Send(to),
                Detail::TooBigForUdp { len: bytes.len() },
            ));
            return;
        }
        if self.udp_out_bytes + bytes.len() > SEND_QUEUE_CAP {
            self.error(NetError::new(
                NetErrorKind::SendQueueFull,
                Op::Send(to),
                Detail::QueueFull,
            ));
            return;
        }
        self.udp_out_bytes += bytes.len();
        self.udp_out.push_back((to, bytes));
        self.flush_udp();
    }

    fn flush_udp(&mut self) {
        let mut sent = Vec::new();
        let mut errors = Vec::new();
        if let Some(u) = &self.udp {
            while let Some((to, data)) = self.udp_out.front() {
                match u.send_to(data, *to) {
                    Ok(_) => {
                        if let Some((to, data)) = self.udp_out.pop_front() {
                            self.udp_out_bytes -= data.len();
                            sent.push((canonical(to), data));
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        errors.push(NetError::from_io(&e, Op::Send(canonical(*to))));
                        if let Some((_, data)) = self.udp_out.pop_front() {
                            self.udp_out_bytes -= data.len();
                        }
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
        for e in errors {
            self.error(e);
        }
    }

    // ---- commands -------------------------------------------------------------

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Close => {}
            Command::SetEcho(on) => self.spec.echo = on,
            Command::Disconnect(peers) => {
                for p in peers {
                    if let Some(&idx) = self.by_peer.get(&p) {
                        self.remove_conn(idx, CloseReason::ByUser);
                    }
                }
            }
            Command::Send { to, bytes } => {
                if self.udp.is_some() {
                    match to {
                        Target::Peers(p) if !p.is_empty() => {
                            for d in p {
                                self.send_udp(d, bytes.clone());
                            }
                        }
                        Target::Host(hp) => self.send_udp_host(hp, bytes),
                        Target::All if self.spec.remote.is_some() => {
                            if let Some(hp) = self.spec.remote.clone() {
                                self.send_udp_host(hp, bytes);
                            }
                        }
                        _ => self.error(NetError::new(
                            NetErrorKind::NoPeer,
                            Op::SendNowhere,
                            Detail::NoRemote,
                        )),
                    }
                    return;
                }
                let idxs: Vec<usize> = match to {
                    Target::All => self
                        .conns
                        .iter()
                        .enumerate()
                        .filter_map(|(i, c)| c.as_ref().map(|_| i))
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
                                .filter(|c| HostPort::from(c.peer) == hp)
                                .map(|_| i)
                        })
                        .collect(),
                };
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
        }
    }
}

fn c_out(w: &Worker, idx: usize) -> usize {
    w.conns
        .get(idx)
        .and_then(|c| c.as_ref())
        .map_or(0, |c| c.out_bytes)
}

/// IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d`; users know
/// them as `a.b.c.d`.
fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}

/// A socket for `addr`'s family; `::` accepts IPv4 too (dual stack).
fn new_socket(addr: SocketAddr, ty: Type) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), ty, None)?;
    if let SocketAddr::V6(v6) = addr
        && v6.ip().is_unspecified()
    {
        let _ = sock.set_only_v6(false);
    }
    Ok(sock)
}
