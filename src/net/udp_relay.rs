//! A UDP relay: one socket where clients send, and for each client a
//! socket of its own toward the target, so the target's answers find their
//! way back to the client they belong to. Both directions are logged (the
//! target's side as [`Event::Target`]); either can be held; the user can
//! add datagrams toward either side. A client silent for a while is
//! forgotten and its socket closed.

use super::conn::{Core, canonical, ledger_dropped, ledger_written, new_socket, now, purge_queue};
use super::impair::{DatagramShaper, Flipped, Impair};
use super::jobs::Tag;
use super::worker::{KIND_HIGH, Kind};
use super::{Command, Detail, Event, NetError, NetErrorKind, Op, Target};
use mio::net::UdpSocket;
use mio::{Interest, Token};
use socket2::Type;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

const LISTEN: Token = Token(4);
/// Datagrams read per socket per round.
const PER_ROUND: usize = 256;
/// Datagrams waiting on one socket (held, or the socket full) beyond which
/// the other side is not read: UDP then drops in the kernel, not here.
const QUEUE_CAP: usize = 4096;
/// Clients at most; the one silent longest makes way for a new one.
const MAX_LINKS: usize = 1024;
/// A client silent this long is forgotten (its socket toward the target
/// is closed).
const IDLE: Duration = Duration::from_secs(120);
const BUF: usize = 65_536;
/// What the relay passes on: written without a `Sent` (it is logged as
/// received already).
const PASSED_ON: Tag = Tag {
    job: None,
    quiet: true,
};

/// One client and its socket toward the target.
struct Link {
    client: SocketAddr,
    up: UdpSocket,
    /// Datagrams waiting to go to the target.
    to_target: VecDeque<(Vec<u8>, Tag)>,
    last: Instant,
    readable: bool,
    /// The relay's impairment of each direction of this link.
    up_shaper: Option<DatagramShaper>,
    down_shaper: Option<DatagramShaper>,
}

#[derive(Default)]
pub(super) struct UdpRelay {
    socket: Option<UdpSocket>,
    readable: bool,
    target: Option<SocketAddr>,
    /// Datagrams waiting to go to clients.
    to_clients: VecDeque<(SocketAddr, Vec<u8>, Tag)>,
    links: Vec<Option<Link>>,
    by_client: HashMap<SocketAddr, usize>,
    hold_to_target: bool,
    hold_to_client: bool,
    buf: Vec<u8>,
    shapers_made: u64,
    /// The core's impairment as last seen (the poll timeout has no core).
    impairment_copy: super::impair::Impairment,
}

/// The unspecified address of `a`'s family, to bind a socket toward it.
fn any_like(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

impl Kind for UdpRelay {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        self.buf = vec![0; BUF];
        self.target = Some(super::relay::resolve_target(core)?);
        let local = core.spec.local;
        let ctx = Op::BindUdp(local);
        let sock =
            new_socket(local, Type::DGRAM).map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        let refused = core.spec.options.before_bind(&sock, local.is_ipv6(), true);
        core.refused_options(refused);
        sock.bind(&local.into())
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        sock.set_nonblocking(true)
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        let mut u = UdpSocket::from_std(sock.into());
        let bound = u
            .local_addr()
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        core.poll
            .registry()
            .register(&mut u, LISTEN, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| NetError::from_io(&e, ctx))?;
        self.socket = Some(u);
        self.readable = true;
        core.emit(Event::Opened {
            at: now(),
            local: bound,
        });
        Ok(())
    }

    fn on_event(&mut self, core: &mut Core, token: Token, ev: &mio::event::Event) {
        if token == LISTEN {
            if ev.is_readable() || ev.is_error() {
                self.readable = true;
            }
            if ev.is_writable() {
                self.flush_clients(core);
            }
            return;
        }
        let idx = token.0.wrapping_sub(KIND_HIGH);
        if let Some(Some(l)) = self.links.get_mut(idx) {
            if ev.is_readable() || ev.is_error() {
                l.readable = true;
            }
            if ev.is_writable() {
                self.flush_link(core, idx);
            }
        }
    }

    fn backlog(&self, _core: &Core, _to: &Target) -> usize {
        let up: usize = self.links.iter().flatten().map(|l| l.to_target.len()).sum();
        (up + self.to_clients.len()) * 1024
    }

    fn job_send(
        &mut self,
        core: &mut Core,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        self.inject(core, to, bytes, tag)
    }

    fn purge_job(&mut self, core: &mut Core, id: super::JobId) {
        let ledger = &mut core.ledger;
        purge_queue(&mut self.to_clients, id, ledger, |(_, d, t)| (d, *t));
        for l in self.links.iter_mut().flatten() {
            purge_queue(&mut l.to_target, id, ledger, |(d, t)| (d, *t));
        }
    }

    fn handle(&mut self, core: &mut Core, cmd: Command) {
        match cmd {
            Command::Send { to, bytes } => {
                if let Err(e) = self.inject(core, &to, bytes, Tag::default()) {
                    core.error(e);
                }
            }
            Command::SetImpairment(m) => core.impairment = m,
            Command::Hold { toward_target, on } => {
                if toward_target {
                    self.hold_to_target = on;
                } else {
                    self.hold_to_client = on;
                }
                if !on {
                    self.flush_all(core);
                }
            }
            _ => {}
        }
    }

    fn read(&mut self, core: &mut Core) {
        self.read_clients(core);
        for idx in 0..self.links.len() {
            self.read_link(core, idx);
        }
    }

    fn do_work(&mut self, core: &mut Core) {
        self.release_shaped(core);
    }

    fn timeout(&self) -> Option<Duration> {
        self.shaped_due(&self.impairment_copy)
            .map(|t| t.saturating_duration_since(Instant::now()))
    }

    fn pending_reads(&self) -> bool {
        (self.readable && self.can_read_clients())
            || self
                .links
                .iter()
                .flatten()
                .any(|l| l.readable && self.can_read_target())
    }
}

impl UdpRelay {
    fn can_read_clients(&self) -> bool {
        self.links
            .iter()
            .flatten()
            .all(|l| l.to_target.len() < QUEUE_CAP)
    }

    fn can_read_target(&self) -> bool {
        self.to_clients.len() < QUEUE_CAP
    }

    /// The link of `client`, made when it first sends.
    fn link_of(&mut self, core: &mut Core, client: SocketAddr) -> Option<usize> {
        if let Some(&i) = self.by_client.get(&client) {
            return Some(i);
        }
        let target = self.target?;
        if self.by_client.len() >= MAX_LINKS {
            let oldest = self
                .links
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.as_ref().map(|l| (i, l.last)))
                .min_by_key(|(_, t)| *t)
                .map(|(i, _)| i);
            if let Some(i) = oldest {
                self.forget(core, i);
            }
        }
        let opened = (|| -> io::Result<UdpSocket> {
            let sock = new_socket(any_like(target), Type::DGRAM)?;
            sock.set_nonblocking(true)?;
            sock.bind(&any_like(target).into())?;
            sock.connect(&target.into())?;
            Ok(UdpSocket::from_std(sock.into()))
        })();
        let mut up = match opened {
            Ok(u) => u,
            Err(e) => {
                core.error(NetError::from_io(&e, Op::Connect(target)));
                return None;
            }
        };
        let idx = match self.links.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.links.push(None);
                self.links.len() - 1
            }
        };
        if let Err(e) = core.poll.registry().register(
            &mut up,
            Token(KIND_HIGH + idx),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            core.error(NetError::from_io(&e, Op::Connect(target)));
            return None;
        }
        let local = up.local_addr().ok();
        let slot = self.links.get_mut(idx)?;
        *slot = Some(Link {
            client,
            up,
            to_target: VecDeque::new(),
            last: Instant::now(),
            readable: true,
            up_shaper: None,
            down_shaper: None,
        });
        self.by_client.insert(client, idx);
        core.emit(Event::Accepted {
            at: now(),
            peer: client,
        });
        if let Some(local) = local {
            core.emit(Event::Linked {
                at: now(),
                peer: client,
                local,
                target,
            });
        }
        Some(idx)
    }

    /// Closes a client's link (silent too long, or making way).
    fn forget(&mut self, core: &mut Core, idx: usize) {
        let Some(mut l) = self.links.get_mut(idx).and_then(Option::take) else {
            return;
        };
        let _ = core.poll.registry().deregister(&mut l.up);
        self.by_client.remove(&l.client);
        core.emit(Event::Disconnected {
            at: now(),
            peer: l.client,
            reason: super::CloseReason::LinkEnded,
        });
    }

    fn read_clients(&mut self, core: &mut Core) {
        // Silent links go first, so their slots are free for new clients.
        let stale: Vec<usize> = self
            .links
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.as_ref().filter(|l| l.last.elapsed() >= IDLE).map(|_| i))
            .collect();
        for i in stale {
            self.forget(core, i);
        }
        for _ in 0..PER_ROUND {
            if !self.readable || !core.can_read() || !self.can_read_clients() {
                return;
            }
            let Some(sock) = &self.socket else {
                return;
            };
            let (n, from) = match sock.recv_from(&mut self.buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // An ICMP error for an earlier send: not fatal.
                Err(e) => {
                    core.error(NetError::from_io(&e, Op::UdpReceive));
                    continue;
                }
            };
            let client = canonical(from);
            let bytes = self.buf.get(..n).unwrap_or_default().to_vec();
            let Some(idx) = self.link_of(core, client) else {
                continue;
            };
            core.capture_raw(client, &bytes);
            if let Some(Some(l)) = self.links.get_mut(idx) {
                l.last = Instant::now();
            }
            self.pass_on(core, idx, true, bytes.clone());
            core.emit(Event::received(now(), client, bytes));
        }
    }

    fn read_link(&mut self, core: &mut Core, idx: usize) {
        for _ in 0..PER_ROUND {
            if !core.can_read() || !self.can_read_target() {
                return;
            }
            let Some(Some(l)) = self.links.get_mut(idx) else {
                return;
            };
            if !l.readable {
                return;
            }
            let n = match l.up.recv(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    l.readable = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // The target's port is closed (ICMP): said, not fatal.
                    let target = self.target.unwrap_or(l.client);
                    let err = NetError::from_io(&e, Op::Send(target));
                    core.emit(Event::Target(Box::new(Event::Error {
                        at: now(),
                        error: err,
                    })));
                    continue;
                }
            };
            l.last = Instant::now();
            let client = l.client;
            let bytes = self.buf.get(..n).unwrap_or_default().to_vec();
            if let Some(t) = self.target {
                core.capture_raw(t, &bytes);
            }
            self.pass_on(core, idx, false, bytes.clone());
            core.emit(Event::Target(Box::new(Event::received(
                now(),
                client,
                bytes,
            ))));
        }
    }

    /// Sends what waits toward the target on link `idx`, unless held.
    fn flush_link(&mut self, core: &mut Core, idx: usize) {
        if self.hold_to_target {
            return;
        }
        let Some(Some(l)) = self.links.get_mut(idx) else {
            return;
        };
        while let Some((d, tag)) = l.to_target.front() {
            match l.up.send(d) {
                Ok(n) => {
                    ledger_written(&mut core.ledger, *tag, n);
                    if let Some((d, tag)) = l.to_target.pop_front()
                        && !tag.quiet
                    {
                        core.emit(Event::Target(Box::new(Event::Sent {
                            at: now(),
                            peer: l.client,
                            bytes: d,
                        })));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    ledger_dropped(&mut core.ledger, *tag, d.len());
                    l.to_target.pop_front();
                    let target = self.target.unwrap_or(l.client);
                    core.emit(Event::Target(Box::new(Event::Error {
                        at: now(),
                        error: NetError::from_io(&e, Op::Send(target)),
                    })));
                    return;
                }
            }
        }
    }

    /// Sends what waits toward the clients, unless held.
    fn flush_clients(&mut self, core: &mut Core) {
        if self.hold_to_client {
            return;
        }
        let Some(sock) = &self.socket else {
            return;
        };
        while let Some((to, d, tag)) = self.to_clients.front() {
            match sock.send_to(d, *to) {
                Ok(n) => {
                    ledger_written(&mut core.ledger, *tag, n);
                    if let Some((to, d, tag)) = self.to_clients.pop_front()
                        && !tag.quiet
                    {
                        core.emit(Event::Sent {
                            at: now(),
                            peer: to,
                            bytes: d,
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let to = *to;
                    ledger_dropped(&mut core.ledger, *tag, d.len());
                    self.to_clients.pop_front();
                    core.error(NetError::from_io(&e, Op::Send(to)));
                }
            }
        }
    }

    fn flush_all(&mut self, core: &mut Core) {
        self.flush_clients(core);
        for idx in 0..self.links.len() {
            self.flush_link(core, idx);
        }
    }

    /// Datagrams the user adds: toward clients (from the relay's socket),
    /// or toward the target (from a client's link). Returns the bytes.
    fn inject(
        &mut self,
        core: &mut Core,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        let clients = |t: &Target, links: &Vec<Option<Link>>| -> Vec<SocketAddr> {
            match t {
                Target::Peers(p) => p.clone(),
                _ => links.iter().flatten().map(|l| l.client).collect(),
            }
        };
        let (list, upstream) = match to {
            Target::Upstream(inner) => (clients(inner, &self.links), true),
            other => (clients(other, &self.links), false),
        };
        if list.is_empty() {
            return Err(NetError::new(
                NetErrorKind::NoPeer,
                Op::SendNowhere,
                Detail::NotConnected,
            ));
        }
        let mut n = 0;
        for c in list {
            if upstream {
                let Some(&idx) = self.by_client.get(&c) else {
                    continue;
                };
                if let Some(Some(l)) = self.links.get_mut(idx) {
                    l.to_target.push_back((bytes.clone(), tag));
                    n += bytes.len();
                }
                self.flush_link(core, idx);
            } else {
                self.to_clients.push_back((c, bytes.clone(), tag));
                n += bytes.len();
            }
        }
        self.flush_clients(core);
        Ok(n)
    }
}

impl UdpRelay {
    /// Passes a datagram on toward the target (`up`) or the client of link
    /// `idx`: at once, or through that direction's impairment.
    fn pass_on(&mut self, core: &mut Core, idx: usize, up: bool, d: Vec<u8>) {
        self.impairment_copy = core.impairment;
        let cfg = core.impairment.toward(up).copied();
        let seed = self.shapers_made;
        let target = self.target;
        let Some(Some(l)) = self.links.get_mut(idx) else {
            return;
        };
        let client = l.client;
        let shaper = if up {
            &mut l.up_shaper
        } else {
            &mut l.down_shaper
        };
        let shaped = cfg.is_some() || shaper.as_ref().is_some_and(|s| s.pending() > 0);
        if !shaped {
            if up {
                l.to_target.push_back((d, PASSED_ON));
                self.flush_link(core, idx);
            } else {
                self.to_clients.push_back((client, d, PASSED_ON));
                self.flush_clients(core);
            }
            return;
        }
        let s = shaper.get_or_insert_with(|| DatagramShaper::new(seed));
        self.shapers_made += 1;
        let bytes = d.len();
        let dropped_before = s.dropped();
        let flipped: Vec<Flipped> = s.push(Instant::now(), d, &cfg.unwrap_or_default());
        let peer = if up { target.unwrap_or(client) } else { client };
        // Each datagram lost on purpose is in the log, as each one read is.
        for _ in dropped_before..s.dropped() {
            core.emit(Event::Dropped {
                at: now(),
                peer,
                toward_target: up,
                bytes,
            });
        }
        if !flipped.is_empty() {
            let total = flipped.len();
            core.emit(Event::Corrupted {
                at: now(),
                peer,
                toward_target: up,
                flipped: flipped.into_iter().take(8).collect(),
                total,
            });
        }
        self.release_link(core, idx, Instant::now());
    }

    /// Moves what link `idx`'s shapers let out by `at` to the send queues.
    fn release_link(&mut self, core: &mut Core, idx: usize, at: Instant) {
        let cfg = |up: bool| core.impairment.toward(up).copied().unwrap_or_default();
        let (up_cfg, down_cfg): (Impair, Impair) = (cfg(true), cfg(false));
        let Some(Some(l)) = self.links.get_mut(idx) else {
            return;
        };
        let client = l.client;
        let target = self.target.unwrap_or(client);
        let mut held = Vec::new();
        if let Some(s) = l.up_shaper.as_mut() {
            for d in s.take_due(at, &up_cfg) {
                if let Some(after) = d.held {
                    held.push((target, true, d.bytes.len(), after));
                }
                l.to_target.push_back((d.bytes, PASSED_ON));
            }
            core.impaired.side(true).add(&s.take_counts());
        }
        if let Some(s) = l.down_shaper.as_mut() {
            for d in s.take_due(at, &down_cfg) {
                if let Some(after) = d.held {
                    held.push((client, false, d.bytes.len(), after));
                }
                self.to_clients.push_back((client, d.bytes, PASSED_ON));
            }
            core.impaired.side(false).add(&s.take_counts());
        }
        for (peer, toward_target, bytes, after) in held {
            core.emit(Event::Held {
                at: now(),
                peer,
                toward_target,
                bytes,
                after,
            });
        }
        self.flush_link(core, idx);
        self.flush_clients(core);
    }

    /// Lets out what is due on every link, and reports what the
    /// impairments did (at most every 250 ms).
    fn release_shaped(&mut self, core: &mut Core) {
        self.impairment_copy = core.impairment;
        if self.shapers_made == 0 {
            return;
        }
        let now_i = Instant::now();
        for idx in 0..self.links.len() {
            self.release_link(core, idx, now_i);
        }
        core.report_impaired(now_i);
    }

    /// When a shaper next lets something out (the core wakes for its
    /// report of what they did).
    fn shaped_due(&self, m: &super::impair::Impairment) -> Option<Instant> {
        if self.shapers_made == 0 {
            return None;
        }
        let cfg = |up: bool| m.toward(up).copied().unwrap_or_default();
        let (up, down) = (cfg(true), cfg(false));
        self.links
            .iter()
            .flatten()
            .flat_map(|l| {
                [
                    l.up_shaper.as_ref().and_then(|s| s.next_due(&up)),
                    l.down_shaper.as_ref().and_then(|s| s.next_due(&down)),
                ]
            })
            .flatten()
            .min()
    }
}
