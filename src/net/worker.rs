//! The poll loop behind a [`Session`](super::Session). It is the same for
//! every kind of session; what differs is a [`Kind`], one per file.

use super::conn::{Core, FIRST_CONN};
use super::jobs::{Jobs, Tag};
use super::relay::Relay;
use super::tcp_client::TcpClient;
use super::tcp_server::TcpServer;
use super::udp::Udp;
use super::udp_relay::UdpRelay;
use super::{Command, Event, JobId, NetError, Op, OpenSpec, Protocol, Shared, Target, Wake};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use mio::{Events, Poll, Token};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) const WAKER: Token = Token(0);
/// Tokens from here up belong to a kind's own many sockets (a UDP relay's
/// links); those from `FIRST_CONN` below it are the connection table's.
pub(super) const KIND_HIGH: usize = 1 << 30;

/// One kind of session: its own sockets (tokens below `FIRST_CONN`) and
/// commands. Connections, events and flow control are the [`Core`]'s.
pub(super) trait Kind {
    /// Opens the kind's sockets or starts connecting; an error ends the
    /// session before it began.
    fn start(&mut self, core: &mut Core) -> Result<(), NetError>;
    /// A readiness event for one of the kind's own tokens.
    fn on_event(&mut self, core: &mut Core, token: Token, ev: &mio::event::Event);
    /// A command other than Close and SetEcho, which the loop takes itself.
    fn handle(&mut self, core: &mut Core, cmd: Command);
    /// Once a round, after commands: resolvers, deadlines, accepts.
    fn do_work(&mut self, _core: &mut Core) {}
    /// Last in a round, after reads and writes: for what they may have
    /// ended (a connection closed by its peer).
    fn end_of_round(&mut self, _core: &mut Core) {}
    /// Reads the kind's own sockets; called only while the UI keeps up.
    fn read(&mut self, _core: &mut Core) {}
    /// The kind's own sockets have reads left from an earlier round.
    fn pending_reads(&self) -> bool {
        false
    }
    /// How long the poll may sleep for the kind's own timers; None: until
    /// an event.
    fn timeout(&self) -> Option<Duration> {
        None
    }
    /// Bytes waiting to be written toward `to` (a job waits while there
    /// are many).
    fn backlog(&self, core: &Core, to: &Target) -> usize {
        core.conns_backlog(to)
    }
    /// Queues one item of a job; returns the bytes queued (for all peers).
    fn job_send(
        &mut self,
        core: &mut Core,
        to: &Target,
        bytes: Vec<u8>,
        tag: Tag,
    ) -> Result<usize, NetError> {
        core.conns_job_send(to, bytes, tag)
    }
    /// Drops what a stopped job left in the kind's own queues.
    fn purge_job(&mut self, _core: &mut Core, _id: JobId) {}
    /// A job that has handed over all it will send lets its sends held
    /// for a join go, so it ends rather than waiting for more.
    fn release_joined(&mut self, core: &mut Core, id: JobId) {
        core.release_joined(id);
    }
    /// Writes what [`Kind::job_send`] queued without writing at once.
    fn flush_queued(&mut self, _core: &mut Core) {}
}

pub(super) struct Worker {
    core: Core,
    /// Settings applied before the socket starts.
    pub(super) setup: Vec<Command>,
    commands: Receiver<Command>,
    jobs: Jobs,
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
            core: Core::new(poll, waker, spec, events, wake, shared),
            setup: Vec::new(),
            commands,
            jobs: Jobs::default(),
        }
    }

    pub(super) fn run(self) {
        match self.core.spec.protocol {
            Protocol::TcpServer => self.serve(TcpServer::default()),
            Protocol::TcpClient => self.serve(TcpClient::new()),
            Protocol::Udp => self.serve(Udp::default()),
            Protocol::Relay => self.serve(Relay::default()),
            Protocol::UdpRelay => self.serve(UdpRelay::default()),
            #[cfg(unix)]
            Protocol::UnixServer => self.serve(super::unix::UnixServer::default()),
            #[cfg(unix)]
            Protocol::UnixClient => self.serve(super::unix::UnixClient),
            #[cfg(unix)]
            Protocol::UnixDgram => self.serve(super::unix::UnixDgram::default()),
            #[cfg(not(unix))]
            Protocol::UnixServer | Protocol::UnixClient | Protocol::UnixDgram => {
                let mut core = self.core;
                core.closed(Some(NetError::new(
                    super::NetErrorKind::Other,
                    Op::Start,
                    super::Detail::NotOnThisSystem,
                )));
            }
        }
    }

    fn serve<K: Kind>(mut self, mut kind: K) {
        if let Some(c) = self.core.spec.capture.take() {
            self.core.set_capture(Some(c));
        }
        for cmd in std::mem::take(&mut self.setup) {
            // Only settings belong here (see `Session::open_with`).
            let _ = Self::configure(&mut self.core, cmd);
        }
        if let Err(e) = kind.start(&mut self.core) {
            // A port in use names its holder (read off the poll loop's
            // time: the session has not started).
            self.core.closed(Some(super::ports::name_holder(e)));
            return;
        }
        self.core.flush_wake();
        let error = self.rounds(&mut kind);
        // Every socket is closed before Closed is reported, so the port can
        // be opened again at once.
        self.core.close_conns();
        self.core.end_capture(None);
        drop(kind);
        self.core.closed(error);
    }

    /// Applies a setting; any other command is handed back.
    fn configure(core: &mut Core, cmd: Command) -> Option<Command> {
        match cmd {
            Command::SetEcho(on) => core.spec.echo = on,
            Command::SetFraming(f) => core.set_framing(f),
            Command::Capture(c) => core.set_capture(c),
            Command::SetReplies(r) => core.replies = r,
            cmd @ Command::Hold { .. } => core.conns_command(cmd),
            other => return Some(other),
        }
        None
    }

    /// Runs until Close or the session ends; returns why it ended.
    fn rounds<K: Kind>(&mut self, kind: &mut K) -> Option<NetError> {
        let core = &mut self.core;
        let jobs = &mut self.jobs;
        let mut events = Events::with_capacity(1024);
        let mut job_due: Option<Instant> = None;
        loop {
            let timeout = Self::timeout(core, kind, job_due);
            if let Err(e) = core.poll.poll(&mut events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Some(NetError::from_io(&e, Op::Start));
            }
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    Token(t) if t >= KIND_HIGH => kind.on_event(core, Token(t), ev),
                    Token(t) if t >= FIRST_CONN => core.conn_event(t - FIRST_CONN, ev),
                    t => kind.on_event(core, t, ev),
                }
            }
            loop {
                match self.commands.try_recv() {
                    Ok(Command::Close) | Err(TryRecvError::Disconnected) => return None,
                    Ok(
                        cmd @ (Command::SetEcho(_)
                        | Command::SetFraming(_)
                        | Command::Capture(_)
                        | Command::SetReplies(_)),
                    ) => {
                        let _ = Self::configure(core, cmd);
                    }
                    Ok(Command::StartJob { id, to, job }) => jobs.start(core, id, to, job),
                    Ok(Command::StopJob(id)) => jobs.stop(core, kind, id),
                    Ok(cmd) => kind.handle(core, cmd),
                    Err(TryRecvError::Empty) => break,
                }
            }
            kind.do_work(core);
            core.flush_idle();
            core.flush_split();
            core.check_health();
            job_due = if jobs.is_empty() {
                None
            } else {
                jobs.run(core, kind)
            };
            if core.can_read() {
                core.read_conns();
                kind.read(core);
            }
            let answers = core.due_replies();
            if !answers.is_empty() {
                for (peer, bytes) in answers {
                    let to = super::Target::Peers(vec![peer]);
                    if let Err(e) = kind.job_send(core, &to, bytes, Tag::default()) {
                        core.error(e);
                    }
                }
                kind.flush_queued(core);
            }
            kind.end_of_round(core);
            core.close_answered();
            core.flush_capture();
            if let Some(err) = core.finished.take() {
                return err;
            }
            core.flush_wake();
        }
    }

    /// How long the poll may sleep: forever when idle (no busy loop).
    fn timeout<K: Kind>(core: &mut Core, kind: &K, job_due: Option<Instant>) -> Option<Duration> {
        if core.finished.is_some() {
            return Some(Duration::ZERO);
        }
        // With reads pending but the UI behind, `can_read` marks us paused so
        // the UI wakes us when it has caught up.
        let pending = kind.pending_reads() || core.conns_readable();
        if pending && core.can_read() {
            return Some(Duration::ZERO);
        }
        let due = [
            job_due,
            core.idle_due(),
            core.next_reply(),
            core.shaped_due(),
            core.split_due(),
            core.health_due(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(due) = due else {
            return kind.timeout();
        };
        let left = due.saturating_duration_since(Instant::now());
        // The poll sleeps in whole milliseconds (rounded up); a job's
        // item less than a millisecond away is waited for exactly, so
        // periodic sends keep their time.
        let left = if left < Duration::from_millis(1) {
            std::thread::sleep(left);
            Duration::ZERO
        } else {
            Duration::from_millis(left.as_millis() as u64)
        };
        Some(kind.timeout().map_or(left, |t| t.min(left)))
    }
}
