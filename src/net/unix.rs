//! Unix domain sockets: a stream server and client over the shared
//! connection table, and a datagram socket. A path is shown as
//! `unix:PATH`; peers without a path of their own are numbered. A socket
//! file left by a program that is gone (stale) is reported, and removed
//! only when the user asks ([`OpenSpec::remove_stale`]).
//!
//! [`OpenSpec::remove_stale`]: super::OpenSpec::remove_stale

use super::conn::{Core, ledger_dropped, ledger_written, now, purge_queue};
use super::impair::DatagramSends;
use super::jobs::Tag;
use super::names::{name_of, stand_in};
use super::worker::Kind;
use super::{Command, Detail, Event, NetError, NetErrorKind, Op, Target};
use mio::net::{UnixDatagram, UnixListener, UnixStream};
use mio::{Interest, Token};
use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LISTENER: Token = Token(5);
const DGRAM: Token = Token(6);
const PER_ROUND: usize = 256;
const QUEUE_CAP: usize = 4096;
/// The largest datagram NetPal reads here, and so the largest a join makes.
const DGRAM_MAX: usize = 65_536;

/// How a path is named in the log.
pub fn path_name(p: &Path) -> String {
    format!("unix:{}", p.display())
}

/// The path a `unix:` name stands for.
fn path_of_name(name: &str) -> Option<PathBuf> {
    name.strip_prefix("unix:")
        .filter(|p| p.starts_with('/') || p.starts_with('.') || !p.starts_with('('))
        .map(PathBuf::from)
}

fn our_path(core: &Core) -> Result<PathBuf, NetError> {
    core.spec
        .unix_path
        .clone()
        .ok_or_else(|| NetError::new(NetErrorKind::InvalidAddress, Op::Start, Detail::NoRemote))
}

/// Makes room to bind `path`: nothing there is fine; a socket file nobody
/// serves is stale, and removed only when `remove_stale`; anything else
/// stays and is reported.
fn clear_stale(path: &Path, dgram: bool, remove_stale: bool, op: &Op) -> Result<(), NetError> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let err = |detail| NetError::new(NetErrorKind::AddrInUse, op.clone(), detail);
    if !meta.file_type().is_socket() {
        return Err(err(Detail::NotASocket));
    }
    // Someone answers: the path is in use.
    let alive = if dgram {
        std::os::unix::net::UnixDatagram::unbound()
            .and_then(|s| s.connect(path))
            .is_ok()
    } else {
        std::os::unix::net::UnixStream::connect(path).is_ok()
    };
    if alive {
        return Err(err(Detail::InUseByAnother));
    }
    if !remove_stale {
        return Err(err(Detail::StaleSocket));
    }
    std::fs::remove_file(path).map_err(|e| NetError::from_io(&e, op.clone()))
}

/// A Unix stream server: listens on a path; its clients go into the
/// connection table, numbered when they have no path of their own.
#[derive(Default)]
pub(super) struct UnixServer {
    listener: Option<UnixListener>,
    path: Option<PathBuf>,
    accept_pending: bool,
    accepted: u64,
}

impl Kind for UnixServer {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        let path = our_path(core)?;
        let op = Op::ListenUnix(path.display().to_string());
        clear_stale(&path, false, core.spec.remove_stale, &op)?;
        let mut l = UnixListener::bind(&path).map_err(|e| NetError::from_io(&e, op.clone()))?;
        self.path = Some(path.clone());
        core.poll
            .registry()
            .register(&mut l, LISTENER, Interest::READABLE)
            .map_err(|e| NetError::from_io(&e, op))?;
        self.listener = Some(l);
        self.accept_pending = true;
        core.emit(Event::Opened {
            at: now(),
            local: stand_in(&path_name(&path)),
        });
        Ok(())
    }

    fn on_event(&mut self, _core: &mut Core, token: Token, _ev: &mio::event::Event) {
        if token == LISTENER {
            self.accept_pending = true;
        }
    }

    fn handle(&mut self, core: &mut Core, cmd: Command) {
        core.conns_command(cmd);
    }

    fn do_work(&mut self, core: &mut Core) {
        while self.accept_pending {
            let Some(l) = &self.listener else {
                return;
            };
            match l.accept() {
                Ok((stream, addr)) => {
                    self.accepted += 1;
                    let name = match addr.as_pathname() {
                        Some(p) => path_name(p),
                        None => format!(
                            "{}#{}",
                            path_name(self.path.as_deref().unwrap_or(Path::new("?"))),
                            self.accepted
                        ),
                    };
                    let peer = stand_in(&name);
                    if core.add_conn(stream, peer).is_some() {
                        core.emit(Event::Accepted { at: now(), peer });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.accept_pending = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.accept_pending = false;
                    core.error(NetError::from_io(&e, Op::Accept));
                }
            }
        }
    }

    fn timeout(&self) -> Option<Duration> {
        self.accept_pending.then_some(Duration::ZERO)
    }
}

impl Drop for UnixServer {
    fn drop(&mut self) {
        // The socket file is ours: it goes with the session.
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A Unix stream client: one connection; the session ends with it.
#[derive(Default)]
pub(super) struct UnixClient;

impl Kind for UnixClient {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        core.ends_with = Some(super::tcp_client::session_end);
        let path = core.spec.unix_remote.clone().ok_or_else(|| {
            NetError::new(
                NetErrorKind::InvalidAddress,
                Op::SendNowhere,
                Detail::NoRemote,
            )
        })?;
        let op = Op::ConnectTo(path_name(&path));
        let stream = UnixStream::connect(&path).map_err(|e| NetError::from_io(&e, op.clone()))?;
        if let Some(e) = stream
            .take_error()
            .map_err(|e| NetError::from_io(&e, op.clone()))?
        {
            return Err(NetError::from_io(&e, op));
        }
        let peer = stand_in(&path_name(&path));
        let local = match stream
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(Path::to_path_buf))
        {
            Some(p) => stand_in(&path_name(&p)),
            None => stand_in("unix:(this client)"),
        };
        if core.add_conn(stream, peer).is_some() {
            core.emit(Event::Connected {
                at: now(),
                local,
                peer,
            });
        }
        Ok(())
    }

    fn on_event(&mut self, _core: &mut Core, _token: Token, _ev: &mio::event::Event) {}

    fn handle(&mut self, core: &mut Core, cmd: Command) {
        core.conns_command(cmd);
    }
}

/// A Unix datagram socket bound to a path: datagrams from peers that have
/// a path can be answered; sends go to the remote path or to a peer heard.
#[derive(Default)]
pub(super) struct UnixDgram {
    socket: Option<UnixDatagram>,
    path: Option<PathBuf>,
    readable: bool,
    out: VecDeque<(PathBuf, Vec<u8>, Tag)>,
    /// Sends split or joined on purpose, not yet due.
    shaped: DatagramSends<PathBuf, Tag>,
    buf: Vec<u8>,
}

impl Kind for UnixDgram {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        self.buf = vec![0; DGRAM_MAX];
        let path = our_path(core)?;
        let op = Op::BindUnix(path.display().to_string());
        clear_stale(&path, true, core.spec.remove_stale, &op)?;
        let mut s = UnixDatagram::bind(&path).map_err(|e| NetError::from_io(&e, op.clone()))?;
        self.path = Some(path.clone());
        core.poll
            .registry()
            .register(&mut s, DGRAM, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| NetError::from_io(&e, op))?;
        self.socket = Some(s);
        self.readable = true;
        core.emit(Event::Opened {
            at: now(),
            local: stand_in(&path_name(&path)),
        });
        Ok(())
    }

    fn on_event(&mut self, core: &mut Core, token: Token, ev: &mio::event::Event) {
        if token != DGRAM {
            return;
        }
        if ev.is_readable() {
            self.readable = true;
        }
        if ev.is_writable() {
            self.flush(core);
        }
    }

    fn handle(&mut self, core: &mut Core, cmd: Command) {
        match cmd {
            Command::Send { to, bytes } => {
                if let Err(e) = self.queue(core, &to, bytes, Tag::default()) {
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
            _ => {}
        }
    }

    fn do_work(&mut self, core: &mut Core) {
        let due = self.shaped.take_due(Instant::now());
        if !due.is_empty() {
            self.out.extend(due);
            self.flush(core);
        }
    }

    fn timeout(&self) -> Option<Duration> {
        self.shaped.poll_wait(Instant::now())
    }

    fn backlog(&self, _core: &Core, _to: &Target) -> usize {
        self.out.iter().map(|(_, d, _)| d.len()).sum::<usize>() + self.shaped.held_bytes()
    }

    fn release_joined(&mut self, core: &mut Core, id: super::JobId) {
        let now_i = Instant::now();
        let go = self
            .shaped
            .release_join(now_i, &core.send_shape, |t| t.job == Some(id));
        if !go.is_empty() {
            self.out.extend(go);
            self.flush(core);
        }
    }

    fn job_send(
        &mut self,
        core: &mut Core,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        self.queue(core, to, bytes, tag)
    }

    fn purge_job(&mut self, core: &mut Core, id: super::JobId) {
        purge_queue(&mut self.out, id, &mut core.ledger, |(_, d, t)| (d, *t));
        for (_, d, tag) in self.shaped.purge(|t| t.job == Some(id)) {
            ledger_dropped(&mut core.ledger, tag, d.len());
        }
    }

    fn read(&mut self, core: &mut Core) {
        for _ in 0..PER_ROUND {
            if !self.readable || !core.can_read() {
                return;
            }
            let Some(s) = &self.socket else {
                return;
            };
            match s.recv_from(&mut self.buf) {
                Ok((n, from)) => {
                    let name = match from.as_pathname() {
                        Some(p) => path_name(p),
                        None => "unix:(unnamed)".into(),
                    };
                    let peer = stand_in(&name);
                    let bytes = self.buf.get(..n).unwrap_or_default().to_vec();
                    core.capture_raw(peer, &bytes);
                    core.emit(core.received(peer, bytes));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.readable = false;
                    core.error(NetError::from_io(&e, Op::UdpReceive));
                }
            }
        }
    }

    fn pending_reads(&self) -> bool {
        self.readable
    }
}

impl UnixDgram {
    /// Queues a datagram for every path `to` names (the remote, or peers
    /// heard that have a path) and sends what it can; returns the bytes.
    fn queue(
        &mut self,
        core: &mut Core,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        let paths: Vec<PathBuf> = match to {
            Target::Peers(p) => p
                .iter()
                .filter_map(|a| name_of(a).and_then(|n| path_of_name(&n)))
                .collect(),
            _ => core.spec.unix_remote.clone().into_iter().collect(),
        };
        if paths.is_empty() {
            return Err(NetError::new(
                NetErrorKind::NoPeer,
                Op::SendNowhere,
                Detail::NoRemote,
            ));
        }
        if self.out.len() + paths.len() > QUEUE_CAP {
            return Err(NetError::new(
                NetErrorKind::SendQueueFull,
                Op::SendNowhere,
                Detail::QueueFull,
            ));
        }
        let n = bytes.len() * paths.len();
        let now_i = Instant::now();
        for p in paths {
            if core.send_shape.is_none() && self.shaped.is_idle() {
                self.out.push_back((p, bytes.clone(), tag));
            } else {
                let send = (p, bytes.clone(), tag);
                let go = self.shaped.push(now_i, &core.send_shape, send, DGRAM_MAX);
                self.out.extend(go);
            }
        }
        self.flush(core);
        Ok(n)
    }

    fn flush(&mut self, core: &mut Core) {
        let Some(s) = &self.socket else {
            return;
        };
        while let Some((to, d, tag)) = self.out.front() {
            match s.send_to(d, to) {
                Ok(n) => {
                    ledger_written(&mut core.ledger, *tag, n);
                    if let Some((to, d, tag)) = self.out.pop_front()
                        && !tag.quiet
                    {
                        core.emit(Event::Sent {
                            at: now(),
                            peer: stand_in(&path_name(&to)),
                            bytes: d,
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let op = Op::ConnectTo(path_name(to));
                    ledger_dropped(&mut core.ledger, *tag, d.len());
                    self.out.pop_front();
                    core.error(NetError::from_io(&e, op));
                }
            }
        }
    }
}

impl Drop for UnixDgram {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}
