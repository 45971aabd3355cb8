//! A TCP server: one listener, and its clients in the shared connection table.

use super::conn::{Core, canonical, new_socket, now};
use super::worker::Kind;
use super::{Command, Event, NetError, Op};
use mio::net::TcpListener;
use mio::{Interest, Token};
use socket2::Type;
use std::io;
use std::time::{Duration, Instant};

const LISTENER: Token = Token(1);
const LISTEN_BACKLOG: i32 = 4096;

#[derive(Default)]
pub(super) struct TcpServer {
    listener: Option<TcpListener>,
    accept_pending: bool,
    accept_retry: Option<Instant>,
    last_accept_error: Option<Instant>,
}

impl Kind for TcpServer {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        let local = core.spec.local;
        let ctx = Op::Listen(local);
        let sock =
            new_socket(local, Type::STREAM).map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        // Reopening right after closing must work (TIME_WAIT).
        // On Windows SO_REUSEADDR would let another program steal the port.
        #[cfg(unix)]
        if core.spec.options.reuse_addr.is_none() {
            sock.set_reuse_address(true)
                .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        }
        let refused = core.spec.options.before_bind(&sock, local.is_ipv6(), false);
        core.refused_options(refused);
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
        core.poll
            .registry()
            .register(&mut l, LISTENER, Interest::READABLE)
            .map_err(|e| NetError::from_io(&e, ctx.clone()))?;
        let read = super::options::read_back(socket2::SockRef::from(&l), false, false);
        self.listener = Some(l);
        self.accept_pending = true;
        core.emit(Event::Opened {
            at: now(),
            local: bound,
        });
        core.emit(Event::Options {
            at: now(),
            peer: None,
            read,
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
        self.accept_due(core, |_, _| {});
    }

    fn timeout(&self) -> Option<Duration> {
        if self.accept_pending && self.accept_retry.is_none() {
            return Some(Duration::ZERO);
        }
        self.accept_retry
            .map(|t| t.saturating_duration_since(Instant::now()))
    }
}

impl TcpServer {
    /// Accepts when clients wait, handing each new connection's slot to
    /// `on_new`.
    pub(super) fn accept_due(&mut self, core: &mut Core, on_new: impl FnMut(&mut Core, usize)) {
        if self.accept_pending && self.accept_retry.is_none_or(|t| Instant::now() >= t) {
            self.accept(core, on_new);
        }
    }

    /// Accepts until WouldBlock: the listener is edge-triggered.
    fn accept(&mut self, core: &mut Core, mut on_new: impl FnMut(&mut Core, usize)) {
        self.accept_retry = None;
        loop {
            let Some(l) = &self.listener else {
                self.accept_pending = false;
                return;
            };
            match l.accept() {
                Ok((stream, peer)) => {
                    let peer = canonical(peer);
                    core.conn_options(&stream, peer);
                    if let Some(idx) = core.add_conn(stream, peer) {
                        core.emit(Event::Accepted { at: now(), peer });
                        on_new(core, idx);
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
                        core.error(NetError::from_io(&e, Op::Accept));
                    }
                    return;
                }
            }
        }
    }
}
