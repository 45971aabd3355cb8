//! A TCP relay (a man in the middle): it listens, and links each client to
//! a connection of its own toward the target, passing bytes both ways.
//! Both directions are logged; either can be held, and the user can add
//! bytes to either. The links live in the shared connection table.

use super::conn::{Core, spawn_resolver};
use super::tcp_server::TcpServer;
use super::worker::Kind;
use super::{Command, Detail, NetError, NetErrorKind, Op};
use mio::Token;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Default)]
pub(super) struct Relay {
    server: TcpServer,
    /// Where every client is linked to, resolved once at the start.
    target: Option<SocketAddr>,
    /// When the next connect toward the target times out.
    link_due: Option<Instant>,
}

impl Kind for Relay {
    fn start(&mut self, core: &mut Core) -> Result<(), NetError> {
        let target = resolve_target(core)?;
        self.target = Some(target);
        self.server.start(core)
    }

    fn on_event(&mut self, core: &mut Core, token: Token, ev: &mio::event::Event) {
        self.server.on_event(core, token, ev);
    }

    fn handle(&mut self, core: &mut Core, cmd: Command) {
        core.conns_command(cmd);
    }

    fn do_work(&mut self, core: &mut Core) {
        core.release_shaped();
        if let Some(target) = self.target {
            self.server
                .accept_due(core, |core, client| core.link(client, target));
        }
        core.check_link_deadlines();
        self.link_due = core.link_deadline();
    }

    fn timeout(&self) -> Option<Duration> {
        let links = self
            .link_due
            .map(|t| t.saturating_duration_since(Instant::now()));
        match (self.server.timeout(), links) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A relay's target, resolved once at the start. Before the relay's socket
/// opens there is nothing else to serve, so a name's answer is waited for
/// here, within the connect timeout.
pub(super) fn resolve_target(core: &Core) -> Result<SocketAddr, NetError> {
    let to = core.spec.remote.clone().ok_or_else(|| {
        NetError::new(
            NetErrorKind::InvalidAddress,
            Op::SendNowhere,
            Detail::NoRemote,
        )
    })?;
    if let Some(a) = to.addr() {
        return Ok(a);
    }
    let rx = spawn_resolver(&to, core.waker.clone())?;
    let host = to.to_string();
    let dns = |detail| NetError::new(NetErrorKind::DnsFailure, Op::Resolve(host.clone()), detail);
    match rx.recv_timeout(core.spec.connect_timeout) {
        Ok(Ok(addrs)) => addrs
            .into_iter()
            .next()
            .ok_or_else(|| dns(Detail::NoAddress)),
        Ok(Err(e)) => Err(dns(Detail::Os(e.to_string()))),
        Err(_) => Err(dns(Detail::NoAnswer {
            secs: core.spec.connect_timeout.as_secs(),
        })),
    }
}
