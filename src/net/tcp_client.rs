//! A TCP client: resolve, try each address in turn, then one connection in
//! the shared table; the session ends with it.

use super::conn::{Core, EndsWith, Resolved, connecting_stream, now, spawn_resolver};
use super::worker::Kind;
use super::{CloseReason, Command, Detail, Event, NetError, NetErrorKind, Op};
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

const CONNECTING: Token = Token(3);

enum ClientState {
    Idle,
    Resolving(Resolved),
    Connecting {
        stream: TcpStream,
        addr: SocketAddr,
        rest: Vec<SocketAddr>,
        last_error: Option<NetError>,
    },
    Connected,
}

pub(super) struct TcpClient {
    state: ClientState,
    /// When resolving or the current connect attempt times out.
    deadline: Option<Instant>,
    /// With reconnect on: when to try again, and how many tries since the
    /// last connection stood.
    retry: Option<Instant>,
    attempt: u32,
}

/// The first wait before connecting again; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// How the session ends when its connection closes: with an error unless
/// the peer or the user closed it.
pub(super) fn session_end(peer: SocketAddr, reason: CloseReason) -> Option<NetError> {
    match reason {
        CloseReason::Reset => Some(NetError::new(
            NetErrorKind::ConnectionReset,
            Op::Read(peer),
            Detail::ResetByPeer,
        )),
        CloseReason::Error(e) => Some(e),
        CloseReason::PeerClosed
        | CloseReason::ByUser
        | CloseReason::ResetByUser
        | CloseReason::LinkEnded
        | CloseReason::Cut { .. }
        | CloseReason::BadFrame => None,
    }
}

impl Kind for TcpClient {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        // With reconnect, the session outlives its connections.
        core.ends_with = (!core.spec.reconnect).then_some(session_end as EndsWith);
        self.begin(core)
    }

    fn on_event(&mut self, core: &mut Core, token: Token, _ev: &mio::event::Event) {
        if token == CONNECTING {
            self.check_connect(core);
        }
    }

    fn handle(&mut self, core: &mut Core, cmd: Command) {
        core.conns_command(cmd);
    }

    fn do_work(&mut self, core: &mut Core) {
        self.poll_resolver(core);
        self.check_deadline(core);
        if self.retry.is_some_and(|t| Instant::now() >= t) {
            self.retry = None;
            if let Err(e) = self.begin(core) {
                self.fail(core, e);
            }
        }
    }

    fn end_of_round(&mut self, core: &mut Core) {
        if matches!(self.state, ClientState::Connected) && !core.has_conns() {
            // The connection ended (its reason is reported): try again
            // (without reconnect, the session has ended with it).
            self.state = ClientState::Idle;
            if core.spec.reconnect {
                self.schedule(core);
            }
        }
    }

    fn timeout(&self) -> Option<Duration> {
        let mut until = [self.deadline, self.retry].into_iter().flatten().min();
        if matches!(self.state, ClientState::Resolving(_)) {
            // The resolver wakes us; this is only a safety net.
            let t = Instant::now() + Duration::from_millis(200);
            until = Some(until.map_or(t, |u| u.min(t)));
        }
        until.map(|t| t.saturating_duration_since(Instant::now()))
    }
}

impl TcpClient {
    pub(super) fn new() -> Self {
        TcpClient {
            state: ClientState::Idle,
            deadline: None,
            retry: None,
            attempt: 0,
        }
    }

    /// Resolves the remote, or starts connecting to it.
    fn begin(&mut self, core: &mut Core) -> Result<(), NetError> {
        let remote = core.spec.remote.clone().ok_or_else(|| {
            NetError::new(
                NetErrorKind::InvalidAddress,
                Op::SendNowhere,
                Detail::NoRemote,
            )
        })?;
        match remote.addr() {
            Some(a) => self.connect_next(core, vec![a], None),
            None => {
                let rx = spawn_resolver(&remote, core.waker.clone())?;
                self.state = ClientState::Resolving(rx);
                self.deadline = Some(Instant::now() + core.spec.connect_timeout);
            }
        }
        Ok(())
    }

    /// With reconnect on, waits before the next try (longer after each);
    /// the caller has reported why.
    fn schedule(&mut self, core: &mut Core) {
        self.attempt = self.attempt.saturating_add(1);
        let doublings = self.attempt.saturating_sub(1).min(5);
        let after = (RETRY_FIRST * (1u32 << doublings)).min(RETRY_MAX);
        self.retry = Some(Instant::now() + after);
        core.emit(Event::Reconnecting {
            at: now(),
            attempt: self.attempt,
            after,
        });
    }

    /// The remote as the user gave it, for error messages.
    fn remote_text(core: &Core) -> String {
        core.spec
            .remote
            .as_ref()
            .map(|r| r.to_string())
            .unwrap_or_default()
    }

    fn poll_resolver(&mut self, core: &mut Core) {
        let ClientState::Resolving(rx) = &self.state else {
            return;
        };
        let Ok(result) = rx.try_recv() else {
            return;
        };
        let host = Self::remote_text(core);
        match result {
            Ok(addrs) if !addrs.is_empty() => self.connect_next(core, addrs, None),
            Ok(_) => self.fail(
                core,
                NetError::new(
                    NetErrorKind::DnsFailure,
                    Op::Resolve(host.clone()),
                    Detail::NoAddress,
                ),
            ),
            Err(e) => self.fail(
                core,
                NetError::new(
                    NetErrorKind::DnsFailure,
                    Op::Resolve(host),
                    Detail::Os(e.to_string()),
                ),
            ),
        }
    }

    /// A resolve or connect failed: the session ends, or with reconnect
    /// on, says why and tries again later.
    fn fail(&mut self, core: &mut Core, err: NetError) {
        self.state = ClientState::Idle;
        self.deadline = None;
        if core.spec.reconnect {
            core.error(err);
            self.schedule(core);
        } else {
            core.finished = Some(Some(err));
        }
    }

    /// Starts a non-blocking connect to the first of `addrs`.
    fn connect_next(
        &mut self,
        core: &mut Core,
        mut addrs: Vec<SocketAddr>,
        last_error: Option<NetError>,
    ) {
        if addrs.is_empty() {
            let err = last_error.unwrap_or_else(|| {
                NetError::new(
                    NetErrorKind::DnsFailure,
                    Op::ConnectTo(Self::remote_text(core)),
                    Detail::NoAddress,
                )
            });
            self.fail(core, err);
            return;
        }
        let addr = addrs.remove(0);
        let ctx = Op::Connect(addr);
        match start_connect(core, addr) {
            Ok(stream) => {
                // Each address gets the whole timeout: a black-holed first
                // address (often IPv6) must not use up the time of the others.
                self.deadline = Some(Instant::now() + core.spec.connect_timeout);
                core.emit(Event::Connecting {
                    at: now(),
                    remote: addr,
                });
                self.state = ClientState::Connecting {
                    stream,
                    addr,
                    rest: addrs,
                    last_error,
                };
            }
            Err(e) => self.connect_next(core, addrs, Some(NetError::from_io(&e, ctx))),
        }
    }

    fn check_connect(&mut self, core: &mut Core) {
        let ClientState::Connecting { stream, addr, .. } = &self.state else {
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
        let state = std::mem::replace(&mut self.state, ClientState::Idle);
        let ClientState::Connecting {
            mut stream,
            rest,
            last_error,
            ..
        } = state
        else {
            return;
        };
        let _ = core.poll.registry().deregister(&mut stream);
        if let Some(e) = failure {
            let err = NetError::from_io(&e, Op::Connect(addr));
            let _ = last_error;
            self.connect_next(core, rest, Some(err));
            return;
        }
        self.deadline = None;
        self.attempt = 0;
        core.conn_options(&stream, addr);
        let local = stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        self.state = ClientState::Connected;
        if core.add_conn(stream, addr).is_some() {
            core.emit(Event::Connected {
                at: now(),
                local,
                peer: addr,
            });
        } else {
            // The connection could not be watched (the error is reported):
            // the session ends instead of looking connected with nothing.
            core.finished = Some(None);
        }
    }

    fn check_deadline(&mut self, core: &mut Core) {
        let Some(deadline) = self.deadline else {
            return;
        };
        if Instant::now() < deadline {
            return;
        }
        self.deadline = None;
        let secs = core.spec.connect_timeout.as_secs();
        match std::mem::replace(&mut self.state, ClientState::Idle) {
            ClientState::Connecting {
                mut stream,
                addr,
                rest,
                ..
            } => {
                let _ = core.poll.registry().deregister(&mut stream);
                let err = NetError::new(
                    NetErrorKind::TimedOut,
                    Op::Connect(addr),
                    Detail::NoAnswer { secs },
                );
                self.connect_next(core, rest, Some(err));
            }
            ClientState::Resolving(_) => {
                let host = Self::remote_text(core);
                self.fail(
                    core,
                    NetError::new(
                        NetErrorKind::DnsFailure,
                        Op::Resolve(host),
                        Detail::NoAnswer { secs },
                    ),
                );
            }
            other => self.state = other,
        }
    }
}

/// A socket connecting to `addr` without blocking, bound to the session's
/// local address when the user gave one, and registered for the result.
fn start_connect(core: &mut Core, addr: SocketAddr) -> io::Result<TcpStream> {
    let local = core.spec.local;
    let bind =
        (local.port() != 0 || !local.ip().is_unspecified()).then(|| match (local.ip(), addr) {
            (IpAddr::V4(ip), SocketAddr::V6(_)) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), local.port())
            }
            (IpAddr::V6(ip), SocketAddr::V4(_)) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), local.port())
            }
            _ => local,
        });
    let (mut stream, refused) = connecting_stream(addr, bind, &core.spec.options)?;
    core.refused_options(refused);
    core.poll.registry().register(
        &mut stream,
        CONNECTING,
        Interest::READABLE | Interest::WRITABLE,
    )?;
    Ok(stream)
}
