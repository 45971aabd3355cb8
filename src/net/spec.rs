//! Addresses and session specifications, and their stable text syntax
//! (`tcp-server:HOST:PORT`, `tcp-client:HOST:PORT[,from=IP:PORT]`,
//! `udp:HOST:PORT[,remote=HOST:PORT]`, `relay:HOST:PORT,to=HOST:PORT`,
//! IPv6 hosts in brackets).

use crate::codec::Framing;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

/// The kind of session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Protocol {
    TcpServer,
    #[default]
    TcpClient,
    Udp,
    /// Listens, and links each client to a connection of its own to a
    /// target, forwarding both ways (a man in the middle).
    Relay,
    /// The same for UDP: each client's datagrams go to the target from a
    /// socket of its own, and the answers come back to that client.
    UdpRelay,
    /// Unix domain sockets (absent on Windows): a stream server on a path,
    /// a stream client, a datagram socket.
    UnixServer,
    UnixClient,
    UnixDgram,
}

/// The keywords of the kinds this system offers, for messages.
fn offered_kinds() -> String {
    let names: Vec<&str> = Protocol::ALL.iter().map(|p| p.keyword()).collect();
    names.join(", ")
}

impl Protocol {
    /// The kinds this system offers.
    #[cfg(unix)]
    pub const ALL: &'static [Protocol] = &[
        Protocol::TcpServer,
        Protocol::TcpClient,
        Protocol::Udp,
        Protocol::Relay,
        Protocol::UdpRelay,
        Protocol::UnixServer,
        Protocol::UnixClient,
        Protocol::UnixDgram,
    ];
    #[cfg(not(unix))]
    pub const ALL: &'static [Protocol] = &[
        Protocol::TcpServer,
        Protocol::TcpClient,
        Protocol::Udp,
        Protocol::Relay,
        Protocol::UdpRelay,
    ];

    /// A Unix domain socket kind (addresses are paths).
    pub fn is_unix(self) -> bool {
        matches!(
            self,
            Protocol::UnixServer | Protocol::UnixClient | Protocol::UnixDgram
        )
    }

    /// Whether the kind carries datagrams (one send is one record).
    pub fn is_datagram(self) -> bool {
        matches!(
            self,
            Protocol::Udp | Protocol::UdpRelay | Protocol::UnixDgram
        )
    }

    /// A session whose sends can be split (分包) and joined (粘包): one
    /// with a byte stream of its own, or a datagram socket, whose pieces
    /// and joins are datagrams (not a relay, whose writes are what it
    /// forwards, shaped by its impairment instead).
    pub fn shapes_sends(self) -> bool {
        matches!(
            self,
            Protocol::TcpServer
                | Protocol::TcpClient
                | Protocol::UnixServer
                | Protocol::UnixClient
                | Protocol::Udp
                | Protocol::UnixDgram
        )
    }

    /// A relay (TCP or UDP): clients on one side, a target on the other.
    pub fn is_relay(self) -> bool {
        matches!(self, Protocol::Relay | Protocol::UdpRelay)
    }

    /// The keyword used in `--open` specs.
    pub fn keyword(self) -> &'static str {
        match self {
            Protocol::TcpServer => "tcp-server",
            Protocol::TcpClient => "tcp-client",
            Protocol::Udp => "udp",
            Protocol::Relay => "relay",
            Protocol::UdpRelay => "udp-relay",
            Protocol::UnixServer => "unix-server",
            Protocol::UnixClient => "unix-client",
            Protocol::UnixDgram => "unix-dgram",
        }
    }
}

/// A host name or IP literal with a port, as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }

    /// The IP address when the host is an IP literal (brackets allowed).
    pub fn ip(&self) -> Option<IpAddr> {
        parse_ip(&self.host)
    }

    /// The socket address when the host is an address literal, a
    /// link-local IPv6 one with its zone included (`fe80::1%eth0`).
    pub fn addr(&self) -> Option<SocketAddr> {
        socket_addr(&self.host, self.port)
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl From<SocketAddr> for HostPort {
    fn from(a: SocketAddr) -> Self {
        HostPort::new(a.ip().to_string(), a.port())
    }
}

/// Parses an IP literal, with or without IPv6 brackets.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.parse().ok()
}

/// A link-local IPv6 address with its zone (`fe80::1%eth0`, `fe80::1%2`,
/// brackets allowed): the address and its interface's index. Ok(None)
/// when `s` is not such an address; an error when the zone names no
/// interface.
pub fn parse_scoped(s: &str) -> Result<Option<(Ipv6Addr, u32)>, SpecError> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    let Some((a, zone)) = s.split_once('%') else {
        return Ok(None);
    };
    let Ok(ip) = a.parse::<Ipv6Addr>() else {
        return Ok(None);
    };
    match super::interfaces::index_of(zone) {
        Some(i) if i != 0 => Ok(Some((ip, i))),
        _ => Err(SpecError::NoInterface(zone.to_string())),
    }
}

/// An address literal (IPv4, IPv6, or IPv6 with its zone) and a port.
pub fn socket_addr(host: &str, port: u16) -> Option<SocketAddr> {
    if let Some(ip) = parse_ip(host) {
        return Some(SocketAddr::new(ip, port));
    }
    let (ip, scope) = parse_scoped(host).ok()??;
    Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope)))
}

/// A local address to bind to: an IP literal (a link-local IPv6 one with
/// its zone), or why not.
pub fn parse_local(host: &str, port: u16) -> Result<SocketAddr, SpecError> {
    parse_scoped(host)?;
    socket_addr(host, port).ok_or_else(|| SpecError::BadIp(host.to_string()))
}

/// Why an address or spec could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    MissingPort(String),
    BadPort(String),
    BadHost(String),
    BadIp(String),
    UnknownProtocol(String),
    /// A Unix-socket kind, on a system without Unix domain sockets.
    NoUnixSockets(String),
    UnknownOption(String),
    RemoteNotAllowed,
    FromNotAllowed,
    ToNotAllowed,
    /// An option the kind does not take (says which kinds do).
    NotForKind(&'static str),
    /// A connect timeout that is not 1 to 3600 seconds.
    BadTimeout(String),
    /// A socket option with a wrong value (says why).
    BadOption(String),
    /// A `join=` that is not a multicast group (says why).
    BadGroup(String),
    /// The zone of a link-local address names no interface.
    NoInterface(String),
    /// A relay without its target (`to=HOST:PORT`).
    NoTarget,
    /// A Unix socket kind without its path.
    NoPath,
    /// An impairment option with a value it does not take (says why).
    BadImpairment(String),
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::MissingPort(s) => write!(f, "'{s}' has no port (write HOST:PORT)"),
            SpecError::BadPort(s) => write!(f, "'{s}' is not a port (0-65535)"),
            SpecError::BadHost(s) => write!(
                f,
                "'{s}' is not a host name or IP address (IPv6 goes in brackets: [::1]:9000)"
            ),
            SpecError::BadIp(s) => write!(f, "'{s}' is not a local IP address"),
            SpecError::UnknownProtocol(s) => {
                write!(f, "unknown protocol '{s}' (use {})", offered_kinds())
            }
            SpecError::NoUnixSockets(s) => write!(
                f,
                "'{s}' is a Unix domain socket, which this system does not have (use {})",
                offered_kinds()
            ),
            SpecError::UnknownOption(s) => write!(
                f,
                "unknown option '{s}' (remote=HOST:PORT for udp, from=IP:PORT for tcp-client, to=HOST:PORT for relay; socket options nodelay, keepalive, reuseaddr, reuseport, rcvbuf, sndbuf, ttl, linger, broadcast)"
            ),
            SpecError::RemoteNotAllowed => write!(f, "remote= is only for udp"),
            SpecError::FromNotAllowed => write!(f, "from= is only for tcp-client"),
            SpecError::ToNotAllowed => write!(f, "to= is only for relay"),
            SpecError::NotForKind(why) => write!(f, "{why}"),
            SpecError::BadOption(why) => write!(f, "{why}"),
            SpecError::BadImpairment(why) => write!(f, "{why}"),
            SpecError::BadGroup(why) => write!(f, "join={why}"),
            SpecError::NoInterface(z) => write!(
                f,
                "no network interface '{z}' (after % comes the interface of a link-local address, e.g. fe80::1%eth0)"
            ),
            SpecError::BadTimeout(s) => {
                write!(
                    f,
                    "'{s}' is not a connect timeout (1 to 3600 seconds, e.g. timeout=5)"
                )
            }
            SpecError::NoTarget => write!(f, "a relay needs its target: to=HOST:PORT"),
            SpecError::NoPath => {
                write!(f, "a Unix socket needs its path: unix-server:/tmp/app.sock")
            }
        }
    }
}

impl std::error::Error for SpecError {}

/// Parses a port number (0-65535).
pub fn parse_port(s: &str) -> Result<u16, SpecError> {
    s.trim()
        .parse::<u16>()
        .map_err(|_| SpecError::BadPort(s.to_string()))
}

fn valid_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Checks a host as typed: an IP literal or a DNS name.
pub fn parse_host(s: &str) -> Result<String, SpecError> {
    let t = s.trim();
    if let Some(ip) = parse_ip(t) {
        return Ok(ip.to_string());
    }
    if parse_scoped(t)?.is_some() {
        // Kept as typed: the zone's name is what the user knows.
        let t = t
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(t);
        return Ok(t.to_string());
    }
    if valid_hostname(t) {
        Ok(t.to_string())
    } else {
        Err(SpecError::BadHost(s.to_string()))
    }
}

/// Parses `HOST:PORT` or `[V6]:PORT`.
pub fn parse_host_port(s: &str) -> Result<HostPort, SpecError> {
    let t = s.trim();
    let (host, port) = if let Some(rest) = t.strip_prefix('[') {
        let (h, p) = rest
            .split_once(']')
            .ok_or_else(|| SpecError::BadHost(s.to_string()))?;
        let p = p
            .strip_prefix(':')
            .ok_or_else(|| SpecError::MissingPort(s.to_string()))?;
        (h, p)
    } else {
        let (h, p) = t
            .rsplit_once(':')
            .ok_or_else(|| SpecError::MissingPort(s.to_string()))?;
        if h.contains(':') {
            // An unbracketed IPv6 address: the port is ambiguous.
            return Err(SpecError::BadHost(s.to_string()));
        }
        (h, p)
    };
    Ok(HostPort::new(parse_host(host)?, parse_port(port)?))
}

/// Parses a connect timeout in whole seconds (`5`, `5s`), 1 to 3600.
pub fn parse_timeout(s: &str) -> Result<Duration, SpecError> {
    let t = s.trim();
    let t = t.strip_suffix('s').unwrap_or(t);
    match t.trim().parse::<u64>() {
        Ok(n) if (1..=3600).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(SpecError::BadTimeout(s.to_string())),
    }
}

/// Everything a worker needs to open a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSpec {
    pub protocol: Protocol,
    /// Where to bind. For a TCP client, `0.0.0.0:0` means "let the OS choose".
    pub local: SocketAddr,
    /// TCP client: whom to connect to. UDP: the default send target.
    pub remote: Option<HostPort>,
    pub connect_timeout: Duration,
    /// A TCP client connects again when its connection ends or a connect
    /// fails, waiting longer after each failure (1 s, doubling to 30 s).
    pub reconnect: bool,
    /// Socket options asked for.
    pub options: super::SocketOptions,
    /// Multicast groups a UDP session joins once bound.
    pub joins: Vec<super::Membership>,
    /// Unix domain sockets: the session's own path (server, datagram) and
    /// the path it talks to (client, datagram remote).
    pub unix_path: Option<std::path::PathBuf>,
    pub unix_remote: Option<std::path::PathBuf>,
    /// A stale socket file at `unix_path` may be removed (the user said so).
    pub remove_stale: bool,
    /// Send everything received straight back to its sender.
    pub echo: bool,
    /// After a TCP peer's FIN, keep the connection open for sending
    /// (`--peer-fin keep`) instead of closing it once what it asked for is
    /// written.
    pub keep_half_open: bool,
    /// How received bytes are cut into records (per connection; per
    /// datagram for UDP).
    pub framing: Framing,
    /// Capture to file from the first byte.
    pub capture: Option<super::CaptureSpec>,
    /// A relay's bad network on purpose (delay, loss, slicing...).
    pub impairment: super::impair::Impairment,
    /// How the session's own sends are written (split, joined).
    pub send_shape: super::impair::SendShape,
}

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl OpenSpec {
    pub fn tcp_server(local: SocketAddr) -> Self {
        Self {
            protocol: Protocol::TcpServer,
            local,
            remote: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            reconnect: false,
            options: super::SocketOptions::default(),
            joins: Vec::new(),
            unix_path: None,
            unix_remote: None,
            remove_stale: false,
            echo: false,
            keep_half_open: false,
            framing: Framing::None,
            capture: None,
            impairment: super::impair::Impairment::default(),
            send_shape: super::impair::SendShape::default(),
        }
    }

    pub fn tcp_client(remote: HostPort) -> Self {
        Self {
            protocol: Protocol::TcpClient,
            local: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            remote: Some(remote),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            reconnect: false,
            options: super::SocketOptions::default(),
            joins: Vec::new(),
            unix_path: None,
            unix_remote: None,
            remove_stale: false,
            echo: false,
            keep_half_open: false,
            framing: Framing::None,
            capture: None,
            impairment: super::impair::Impairment::default(),
            send_shape: super::impair::SendShape::default(),
        }
    }

    pub fn udp(local: SocketAddr, remote: Option<HostPort>) -> Self {
        Self {
            protocol: Protocol::Udp,
            local,
            remote,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            reconnect: false,
            options: super::SocketOptions::default(),
            joins: Vec::new(),
            unix_path: None,
            unix_remote: None,
            remove_stale: false,
            echo: false,
            keep_half_open: false,
            framing: Framing::None,
            capture: None,
            impairment: super::impair::Impairment::default(),
            send_shape: super::impair::SendShape::default(),
        }
    }

    /// A relay listening at `local`, linking each client to `target`.
    pub fn relay(local: SocketAddr, target: HostPort) -> Self {
        Self {
            protocol: Protocol::Relay,
            remote: Some(target),
            ..Self::tcp_server(local)
        }
    }

    /// A UDP relay at `local`, toward `target`.
    pub fn udp_relay(local: SocketAddr, target: HostPort) -> Self {
        Self {
            protocol: Protocol::UdpRelay,
            ..Self::relay(local, target)
        }
    }

    /// Parses the `--open` syntax.
    pub fn parse(spec: &str) -> Result<OpenSpec, SpecError> {
        let (proto, rest) = spec
            .split_once(':')
            .ok_or_else(|| SpecError::UnknownProtocol(spec.to_string()))?;
        let named = |p: &Protocol| p.keyword().eq_ignore_ascii_case(proto.trim());
        let Some(protocol) = Protocol::ALL.iter().copied().find(named) else {
            let unix = [
                Protocol::UnixServer,
                Protocol::UnixClient,
                Protocol::UnixDgram,
            ];
            return Err(if unix.iter().any(named) {
                SpecError::NoUnixSockets(proto.trim().to_string())
            } else {
                SpecError::UnknownProtocol(proto.to_string())
            });
        };
        if protocol.is_unix() {
            return Self::parse_unix(protocol, rest);
        }
        let mut parts = rest.split(',');
        let addr = parts.next().unwrap_or_default();
        let mut remote = None;
        let mut from = None;
        let mut timeout = None;
        let mut reconnect = false;
        let mut options = super::SocketOptions::default();
        let mut joins = Vec::new();
        let mut impairment = super::impair::Impairment::default();
        let connects = matches!(protocol, Protocol::TcpClient | Protocol::Relay);
        for opt in parts {
            if opt.trim() == "reconnect" {
                if protocol != Protocol::TcpClient {
                    return Err(SpecError::NotForKind("reconnect is only for tcp-client"));
                }
                reconnect = true;
                continue;
            }
            match opt.split_once('=') {
                Some((k, v)) if k.trim() == "join" => {
                    if protocol != Protocol::Udp {
                        return Err(SpecError::NotForKind("join= is only for udp"));
                    }
                    let m = super::Membership::parse(v)
                        .map_err(|e| SpecError::BadGroup(format!("{v}: {e}")))?;
                    joins.push(m);
                }
                Some((k, v)) if k.trim() == "timeout" => {
                    if !connects {
                        return Err(SpecError::NotForKind(
                            "timeout= is only for tcp-client and relay",
                        ));
                    }
                    timeout = Some(parse_timeout(v)?);
                }
                Some((k, v)) if k.trim() == "from" => {
                    if protocol != Protocol::TcpClient {
                        return Err(SpecError::FromNotAllowed);
                    }
                    let hp = parse_host_port(v)?;
                    from = Some(parse_local(&hp.host, hp.port)?);
                }
                Some((k, v)) if k.trim() == "remote" => {
                    if protocol != Protocol::Udp {
                        return Err(SpecError::RemoteNotAllowed);
                    }
                    remote = Some(parse_host_port(v)?);
                }
                Some((k, v)) if k.trim() == "to" => {
                    if !protocol.is_relay() {
                        return Err(SpecError::ToNotAllowed);
                    }
                    remote = Some(parse_host_port(v)?);
                }
                Some((k, v))
                    if protocol.is_relay()
                        && impairment
                            .parse_option(k, v)
                            .map_err(|e| SpecError::BadImpairment(e.to_string()))? =>
                {
                    let name = k.trim().rsplit('.').next().unwrap_or_default();
                    let udp = protocol == Protocol::UdpRelay;
                    if udp && super::impair::stream_only(name) {
                        return Err(SpecError::NotForKind(
                            "slice=, merge= and cut= are only for relay (TCP)",
                        ));
                    }
                    if !udp && super::impair::datagram_only(name) {
                        return Err(SpecError::NotForKind(
                            "loss=, dup= and reorder= are only for udp-relay",
                        ));
                    }
                }
                Some((k, v)) => {
                    if !options.parse_key(k, v).map_err(SpecError::BadOption)? {
                        return Err(SpecError::UnknownOption(opt.to_string()));
                    }
                }
                None => return Err(SpecError::UnknownOption(opt.to_string())),
            }
        }
        let hp = parse_host_port(addr)?;
        let mut spec = Self::for_protocol(protocol, hp, from, remote)?;
        if let Some(t) = timeout {
            spec.connect_timeout = t;
        }
        spec.reconnect = reconnect;
        spec.options = options;
        spec.joins = joins;
        spec.impairment = impairment;
        Ok(spec)
    }

    /// `unix-server:PATH[,remove-stale]`, `unix-client:PATH`,
    /// `unix-dgram:PATH[,remote=PATH][,remove-stale]`.
    fn parse_unix(protocol: Protocol, rest: &str) -> Result<OpenSpec, SpecError> {
        let mut parts = rest.split(',');
        let path = parts.next().unwrap_or_default().trim();
        if path.is_empty() {
            return Err(SpecError::NoPath);
        }
        let mut spec = OpenSpec {
            protocol,
            ..OpenSpec::tcp_server(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0))
        };
        if protocol == Protocol::UnixClient {
            spec.unix_remote = Some(path.into());
        } else {
            spec.unix_path = Some(path.into());
        }
        for opt in parts {
            match opt.trim().split_once('=') {
                None if opt.trim() == "remove-stale" && protocol != Protocol::UnixClient => {
                    spec.remove_stale = true;
                }
                Some(("remote", p)) if protocol == Protocol::UnixDgram && !p.trim().is_empty() => {
                    spec.unix_remote = Some(p.trim().into());
                }
                _ => return Err(SpecError::UnknownOption(opt.to_string())),
            }
        }
        Ok(spec)
    }

    fn for_protocol(
        protocol: Protocol,
        hp: HostPort,
        from: Option<SocketAddr>,
        remote: Option<HostPort>,
    ) -> Result<OpenSpec, SpecError> {
        match protocol {
            Protocol::TcpClient => {
                let mut spec = OpenSpec::tcp_client(hp);
                if let Some(from) = from {
                    spec.local = from;
                }
                Ok(spec)
            }
            Protocol::TcpServer | Protocol::Udp | Protocol::Relay | Protocol::UdpRelay => {
                let local = parse_local(&hp.host, hp.port)?;
                Ok(match protocol {
                    Protocol::Udp => OpenSpec::udp(local, remote),
                    Protocol::Relay => OpenSpec::relay(local, remote.ok_or(SpecError::NoTarget)?),
                    Protocol::UdpRelay => {
                        OpenSpec::udp_relay(local, remote.ok_or(SpecError::NoTarget)?)
                    }
                    _ => OpenSpec::tcp_server(local),
                })
            }
            // Parsed by `parse_unix`.
            Protocol::UnixServer | Protocol::UnixClient | Protocol::UnixDgram => {
                Err(SpecError::NoPath)
            }
        }
    }
}

impl OpenSpec {
    /// `,timeout=N` when the connect timeout is not the default.
    fn fmt_connect(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.connect_timeout != DEFAULT_CONNECT_TIMEOUT {
            write!(f, ",timeout={}", self.connect_timeout.as_secs())?;
        }
        Ok(())
    }
}

impl fmt::Display for OpenSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_kind(f)?;
        for k in self.options.spec_keys() {
            write!(f, ",{k}")?;
        }
        Ok(())
    }
}

impl OpenSpec {
    fn fmt_kind(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.protocol {
            Protocol::TcpClient => {
                match &self.remote {
                    Some(r) => write!(f, "tcp-client:{r}")?,
                    None => write!(f, "tcp-client:?")?,
                }
                if self.local.port() != 0 || !self.local.ip().is_unspecified() {
                    write!(f, ",from={}", self.local)?;
                }
                self.fmt_connect(f)?;
                if self.reconnect {
                    write!(f, ",reconnect")?;
                }
                Ok(())
            }
            Protocol::TcpServer => write!(f, "tcp-server:{}", self.local),
            Protocol::UnixServer | Protocol::UnixClient | Protocol::UnixDgram => {
                let own = if self.protocol == Protocol::UnixClient {
                    &self.unix_remote
                } else {
                    &self.unix_path
                };
                let p = own.as_ref().map(|p| p.display().to_string());
                write!(f, "{}:{}", self.protocol.keyword(), p.unwrap_or_default())?;
                if self.protocol == Protocol::UnixDgram
                    && let Some(r) = &self.unix_remote
                {
                    write!(f, ",remote={}", r.display())?;
                }
                if self.remove_stale {
                    write!(f, ",remove-stale")?;
                }
                Ok(())
            }
            Protocol::Relay | Protocol::UdpRelay => {
                write!(f, "{}:{}", self.protocol.keyword(), self.local)?;
                match &self.remote {
                    Some(r) => write!(f, ",to={r}")?,
                    None => write!(f, ",to=?")?,
                }
                self.fmt_connect(f)
            }
            Protocol::Udp => {
                write!(f, "udp:{}", self.local)?;
                if let Some(r) = &self.remote {
                    write!(f, ",remote={r}")?;
                }
                for m in &self.joins {
                    write!(f, ",join={m}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports() {
        assert_eq!(
            parse_host_port("127.0.0.1:80"),
            Ok(HostPort::new("127.0.0.1", 80))
        );
        assert_eq!(
            parse_host_port("[::1]:9000"),
            Ok(HostPort::new("::1", 9000))
        );
        assert_eq!(
            parse_host_port("example.com:1"),
            Ok(HostPort::new("example.com", 1))
        );
        assert!(parse_host_port("::1:9000").is_err());
        assert!(parse_host_port("host").is_err());
        assert!(parse_host_port("host:70000").is_err());
        assert!(parse_host_port("bad host:1").is_err());
        assert_eq!(HostPort::new("::1", 5).to_string(), "[::1]:5");
    }

    #[test]
    fn open_specs_parse_and_print_back() {
        for s in [
            "tcp-server:0.0.0.0:8080",
            "tcp-client:127.0.0.1:13008",
            "tcp-client:localhost:80",
            "udp:[::1]:9000",
            "udp:0.0.0.0:8080,remote=127.0.0.1:9000",
            "udp:127.0.0.1:0,remote=[::1]:7",
            "tcp-client:127.0.0.1:80,from=127.0.0.1:5000",
            "tcp-client:[::1]:80,from=0.0.0.0:5000",
            "relay:127.0.0.1:9000,to=127.0.0.1:9001",
            "relay:[::]:9000,to=example.com:80",
            "relay:127.0.0.1:9000,to=127.0.0.1:9001,timeout=3",
            "udp-relay:127.0.0.1:9000,to=127.0.0.1:9001",
            #[cfg(unix)]
            "unix-server:/tmp/app.sock",
            #[cfg(unix)]
            "unix-server:/tmp/app.sock,remove-stale",
            #[cfg(unix)]
            "unix-client:/tmp/app.sock",
            #[cfg(unix)]
            "unix-dgram:/tmp/me.sock,remote=/tmp/app.sock",
            "tcp-client:127.0.0.1:80,timeout=2,reconnect",
            "tcp-client:127.0.0.1:80,from=127.0.0.1:5000,reconnect",
            "tcp-server:127.0.0.1:9000,nodelay=0,keepalive=30/5,rcvbuf=65536,ttl=9,linger=0",
            "udp:0.0.0.0:9000,reuseport=1,broadcast=0",
            "udp:0.0.0.0:9000,join=239.1.2.3@lo,join=239.1.2.4,mttl=4,mloop=0",
            "udp:[::]:9000,join=ff12::7@2",
        ] {
            let spec = OpenSpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(spec.to_string(), s);
        }
        let u = OpenSpec::parse("udp:[::1]:9000").unwrap();
        assert_eq!(u.local, "[::1]:9000".parse().unwrap());
        let c = OpenSpec::parse("tcp-client:127.0.0.1:80,from=127.0.0.1:5000").unwrap();
        assert_eq!(c.local, "127.0.0.1:5000".parse().unwrap());
    }

    #[test]
    fn link_local_addresses_carry_their_zone() {
        // The loopback interface is there on every system that runs this.
        let lo = if cfg!(target_os = "linux") { "lo" } else { "1" };
        let spec = format!("tcp-client:[fe80::1%{lo}]:80");
        let c = OpenSpec::parse(&spec).unwrap();
        assert_eq!(c.to_string(), spec, "the zone is kept as typed");
        let Some(SocketAddr::V6(a)) = c.remote.as_ref().and_then(HostPort::addr) else {
            panic!("no address");
        };
        assert_ne!(a.scope_id(), 0);
        let s = OpenSpec::parse(&format!("udp:[fe80::1%{lo}]:0")).unwrap();
        assert!(matches!(s.local, SocketAddr::V6(v6) if v6.scope_id() != 0));
        assert_eq!(
            OpenSpec::parse("tcp-client:[fe80::1%nosuch0]:80"),
            Err(SpecError::NoInterface("nosuch0".into()))
        );
        assert_eq!(
            OpenSpec::parse("tcp-server:[fe80::1%nosuch0]:80"),
            Err(SpecError::NoInterface("nosuch0".into()))
        );
    }

    /// Where there are no Unix domain sockets (Windows), a spec for one
    /// says so instead of calling the kind unknown.
    #[test]
    fn unix_kinds_exist_only_where_the_system_has_them() {
        for spec in [
            "unix-server:/tmp/app.sock",
            "unix-client:/tmp/app.sock",
            "unix-dgram:/tmp/me.sock",
        ] {
            let got = OpenSpec::parse(spec);
            if cfg!(unix) {
                assert!(got.is_ok(), "{spec}: {got:?}");
            } else {
                let e = got.expect_err(spec);
                assert!(matches!(e, SpecError::NoUnixSockets(_)), "{spec}: {e:?}");
                assert!(e.to_string().contains("which this system does not have"));
            }
        }
        let e = OpenSpec::parse("sctp:127.0.0.1:9").unwrap_err();
        assert_eq!(
            e.to_string(),
            if cfg!(unix) {
                "unknown protocol 'sctp' (use tcp-server, tcp-client, udp, relay, udp-relay, unix-server, unix-client, unix-dgram)"
            } else {
                "unknown protocol 'sctp' (use tcp-server, tcp-client, udp, relay, udp-relay)"
            }
        );
    }

    #[test]
    fn bad_specs_are_rejected() {
        for s in [
            "tcp:1.2.3.4:5",
            "tcp-server:localhost:80",
            "tcp-server:1.2.3.4",
            "tcp-client:1.2.3.4:5,remote=1.2.3.4:6",
            "tcp-server:1.2.3.4:5,from=1.2.3.4:6",
            "udp:1.2.3.4:5,from=1.2.3.4:6",
            "tcp-client:1.2.3.4:5,from=localhost:6",
            "udp:1.2.3.4:5,foo=1",
            "relay:1.2.3.4:5",
            "relay:localhost:5,to=1.2.3.4:6",
            "tcp-server:1.2.3.4:5,to=1.2.3.4:6",
            "relay:1.2.3.4:5,remote=1.2.3.4:6",
            "tcp-server:1.2.3.4:5,timeout=3",
            "udp:1.2.3.4:5,reconnect",
            "relay:1.2.3.4:5,to=1.2.3.4:6,reconnect",
            "tcp-client:1.2.3.4:5,timeout=0",
            "tcp-client:1.2.3.4:5,timeout=soon",
            "tcp-server:1.2.3.4:5,ttl=999",
            "udp:1.2.3.4:5,broadcast=maybe",
            "udp:1.2.3.4:5,justaword",
            "udp:0.0.0.0:5,join=10.0.0.1",
            "tcp-server:0.0.0.0:5,join=239.1.2.3",
            "unix-server:",
            "unix-client:/tmp/a.sock,remote=/tmp/b.sock",
            "unix-client:/tmp/a.sock,remove-stale",
            "unix-server:/tmp/a.sock,nodelay=0",
            "udp:1.2.3.4:99999",
            "",
        ] {
            assert!(OpenSpec::parse(s).is_err(), "{s}");
        }
    }
}
