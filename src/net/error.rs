//! Network errors in words a user understands.

use std::fmt;
use std::io;

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

/// An error with its kind and the operating system's own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    pub kind: NetErrorKind,
    /// What was being done, e.g. "bind 0.0.0.0:8080".
    pub context: String,
    /// The system's message (English), for detail.
    pub detail: String,
}

impl NetError {
    pub fn new(kind: NetErrorKind, context: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind,
            context: context.into(),
            detail: detail.into(),
        }
    }

    pub fn from_io(err: &io::Error, context: impl Into<String>) -> Self {
        Self::new(kind_of(err), context, err.to_string())
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?} ({})", self.context, self.kind, self.detail)
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
        assert_eq!(NetError::from_io(&e, "bind").kind, NetErrorKind::AddrInUse);
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(kind_of(&e), NetErrorKind::ConnectionRefused);
        let e = io::Error::from_raw_os_error(24);
        if cfg!(unix) {
            assert_eq!(kind_of(&e), NetErrorKind::TooManyOpenFiles);
        }
    }
}
