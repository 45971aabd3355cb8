//! What is wrong with a form, a send or a tool's settings, and what an
//! export wrote, said in data: the session decides, and only the UI
//! (`ui::i18n`) puts it into words, in the user's language.

use crate::codec::{HexError, PayloadError};
use crate::net::multicast::JoinError;
use std::path::PathBuf;

/// A field of a session's forms that a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    LocalPort,
    LocalAddr,
    RemoteHost,
    RemotePort,
    SourcePort,
    ConnectTimeout,
    UnixPath,
    UnixServerPath,
    UnixRemotePath,
    Multicast,
    RecvBuf,
    SendBuf,
    Ttl,
    Linger,
    McastTtl,
    KeepaliveTimes,
    DelimiterHex,
    FrameLength,
    LengthOffset,
    MaxFrame,
    IdleMs,
    IntervalMs,
    Times,
    DatagramSize,
    DatagramGap,
    Rate,
    Split,
    Join,
}

/// Why something the user asked for cannot be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A problem with one field ("Remote port: not a port").
    In(Field, Box<Problem>),
    BadPort,
    BadHost,
    BadLocalAddr,
    /// No network interface of this name (a link-local address's zone).
    NoInterface(String),
    BadTimeout,
    PathNeeded,
    BadOptionValue,
    Empty,
    Hex(HexError),
    Join(JoinError),
    RemoteNeeded,
    /// A number outside `min..=max` (`u64::MAX`: no upper bound).
    BadNumber {
        field: Field,
        min: u64,
        max: u64,
    },
    BadSeconds,
    /// Not `N[-M][/GAP]` with pieces of 1 to 1048576 bytes.
    BadSlice,
    Payload(PayloadError),
    TooBigForUdp(usize),
    NothingToSend,
    SessionNotOpen,
    ChooseFileFirst,
    NoQuickCommands,
    NoClientSelected,
    /// Quick command `index` (named `name`, maybe empty) cannot be sent.
    Quick {
        name: String,
        index: usize,
        why: Box<Problem>,
    },
    /// A file could not be written or read: the system's words.
    File {
        path: PathBuf,
        error: String,
    },
    /// A thread could not be started: the system's words.
    System(String),
    /// A relay impairment's field (toward the target or the client).
    Impair {
        toward_target: bool,
        error: crate::net::impair::ImpairError,
    },
}

impl Problem {
    /// `problem` about `field`.
    pub fn at(field: Field, problem: Problem) -> Problem {
        Problem::In(field, Box::new(problem))
    }

    /// A number in `field` outside `min..=max`.
    pub fn number(field: Field, min: u64, max: u64) -> Problem {
        Problem::BadNumber { field, min, max }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub path: PathBuf,
    /// Records written, or lines for a text export.
    pub count: usize,
    pub lines: bool,
}
