//! Network errors in words a user understands.

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// What went wrong, as a user would name it. The UI translates these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetErrorKind {
    AddrInUse,
    PermissionDenied,
    AddrNotAvailable,
    ConnectionRefused,
    HostUnreachable,
    NetworkUnreachable,
    DnsFailure,
    TimedOut,
    ConnectionReset,
    ConnectionAborted,
    BrokenPipe,
    InvalidAddress,
    /// The peer does not read and the send queue is full.
    SendQueueFull,
    /// No peer to send to (not connected, no client selected, no remote).
    NoPeer,
    TooManyOpenFiles,
    Other,
}

/// What the worker was doing when an error happened. The UI words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Listening on this address (TCP server).
    Listen(SocketAddr),
    /// Binding this UDP address.
    BindUdp(SocketAddr),
    /// Connecting to this address.
    Connect(SocketAddr),
    /// Connecting to a host and port not yet resolved.
    ConnectTo(String),
    /// Resolving this host name (with its port).
    Resolve(String),
    /// Sending to this peer.
    Send(SocketAddr),
    /// Sending, with nobody to send to.
    SendNowhere,
    /// Reading from this peer.
    Read(SocketAddr),
    /// Accepting a client.
    Accept,
    /// Receiving UDP datagrams.
    UdpReceive,
    /// Starting the session (poll loop, threads).
    Start,
    /// Reading a file to send it.
    ReadFile(String),
    /// Writing a capture file.
    WriteFile(String),
    /// Setting this socket option.
    SetOption(&'static str),
    /// Listening on this Unix socket path.
    ListenUnix(String),
    /// Binding this Unix datagram socket path.
    BindUnix(String),
    /// Joining this multicast group.
    Join(std::net::IpAddr),
    /// Leaving this multicast group.
    Leave(std::net::IpAddr),
}

/// The detail of an error: the system's own message, or one of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// The operating system's message (in its own language).
    Os(String),
    NoAddress,
    NoAnswer {
        secs: u64,
    },
    /// This many bytes wait for a peer that does not read.
    PeerNotReading {
        queued: usize,
    },
    /// A datagram of this size cannot be sent.
    TooBigForUdp {
        len: usize,
    },
    QueueFull,
    NoRemote,
    NotConnected,
    /// This many bytes were queued when the connection closed.
    Unsent {
        bytes: usize,
    },
    ResetByPeer,
    /// The write side was shut down by the user.
    WriteShut,
    /// The session's worker failed (a bug in NetPal), with its message.
    Crashed(String),
    /// The system has no such option.
    NotOnThisSystem,
    /// A file that is not a socket is at the path.
    NotASocket,
    /// Another program serves the socket at the path.
    InUseByAnother,
    /// A socket file nobody serves is at the path (left by a program that
    /// is gone).
    StaleSocket,
    /// No interface has this name (or address).
    NoInterface(String),
    /// A group of the other IP version than the socket's.
    WrongFamily,
    /// The port is held by these processes (PID, name), on `local`: a
    /// listener, or a socket bound to it.
    HeldBy {
        port: u16,
        holders: Vec<(u32, Option<String>)>,
        local: std::net::SocketAddr,
        listening: bool,
    },
    /// The system lists a socket on the port but will not say whose (a
    /// process of another user), with that user's id where it is known.
    HeldByHidden {
        port: u16,
        local: std::net::SocketAddr,
        listening: bool,
        uid: Option<u32>,
    },
    /// A file became shorter while it was sent.
    FileShrank {
        expected: u64,
        got: u64,
    },
}

/// An error with its kind, what was being done, and the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    pub kind: NetErrorKind,
    pub op: Op,
    pub detail: Detail,
}

impl NetError {
    pub fn new(kind: NetErrorKind, op: Op, detail: Detail) -> Self {
        Self { kind, op, detail }
    }

    pub fn from_io(err: &io::Error, op: Op) -> Self {
        Self::new(kind_of(err), op, Detail::Os(err.to_string()))
    }

    /// Whether the error is about a send (shown by the send box too).
    pub fn is_about_sending(&self) -> bool {
        matches!(self.op, Op::Send(_) | Op::SendNowhere | Op::Resolve(_))
            || matches!(
                self.kind,
                NetErrorKind::NoPeer | NetErrorKind::SendQueueFull
            )
    }
}

impl fmt::Display for NetError {
    /// For logs and debugging only; the UI words errors through its strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {:?} ({:?})", self.kind, self.op, self.detail)
    }
}

impl std::error::Error for NetError {}

/// Maps an I/O error to the kind a user understands.
pub fn kind_of(err: &io::Error) -> NetErrorKind {
    use io::ErrorKind as K;
    match err.kind() {
        K::AddrInUse => NetErrorKind::AddrInUse,
        K::PermissionDenied => NetErrorKind::PermissionDenied,
        K::AddrNotAvailable => NetErrorKind::AddrNotAvailable,
        K::ConnectionRefused => NetErrorKind::ConnectionRefused,
        K::HostUnreachable => NetErrorKind::HostUnreachable,
        K::NetworkUnreachable => NetErrorKind::NetworkUnreachable,
        K::TimedOut => NetErrorKind::TimedOut,
        K::ConnectionReset => NetErrorKind::ConnectionReset,
        K::ConnectionAborted => NetErrorKind::ConnectionAborted,
        K::BrokenPipe => NetErrorKind::BrokenPipe,
        K::InvalidInput => NetErrorKind::InvalidAddress,
        _ => match err.raw_os_error() {
            // EMFILE / ENFILE on Unix, WSAEMFILE on Windows.
            Some(24) | Some(23) | Some(10024) => NetErrorKind::TooManyOpenFiles,
            _ => NetErrorKind::Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_user_kinds() {
        let e = io::Error::from(io::ErrorKind::AddrInUse);
        assert_eq!(
            NetError::from_io(&e, Op::Accept).kind,
            NetErrorKind::AddrInUse
        );
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(kind_of(&e), NetErrorKind::ConnectionRefused);
        let e = io::Error::from_raw_os_error(24);
        if cfg!(unix) {
            assert_eq!(kind_of(&e), NetErrorKind::TooManyOpenFiles);
        }
    }
}
