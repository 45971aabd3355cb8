//! One session: what a user sets and sees about one connection (its form,
//! the worker handle, log, line index, peers, counters, send state), and
//! how the worker's events change it. The workspace ([`crate::app`]) holds
//! many of these; nothing here knows about tabs or other sessions.

// It applies what workers report about peers: no indexing that can panic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod events;
pub mod export;
mod find;
mod framing;
mod impair;
mod options;
mod peers;
mod problem;
mod rates;
mod repair;
mod send;
mod tools;

pub use find::{Find, FindMode};
pub use framing::{FramingForm, FramingMode};
pub use impair::ImpairForm;
pub use options::{OptionsForm, Tri};
pub use peers::{MAX_UDP_PEERS, PeerInfo, PeerList};
pub use problem::{Exported, Field, Problem};
pub use rates::{RateHistory, RateSample};
pub use repair::{PortField, Repair};
pub use send::{
    HISTORY_LEN, HistoryItem, JobResult, JobSlot, JobView, QuickCommand, QuickFile, RateUnit,
    SendTools,
};

use crate::codec::{self, Checksum, LineEnd, SendFormat};
use crate::log::{Body, LeadIn, LineIndex, LogStore, Note, ViewMode};
use crate::net::{
    self, Command, HostPort, JobEnd, JobId, NetError, OpenSpec, Protocol, Session as NetSession,
    Target, Wake,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

/// Names a session for as long as the workspace keeps it (also across restarts).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct SessionId(pub u64);

/// What survives a restart for one session. Sockets and buffers are runtime
/// state, not here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    /// The name the user gave the tab; empty for the automatic title.
    pub name: String,
    pub protocol: Protocol,
    pub local_ip: String,
    pub local_port: String,
    pub remote_host: String,
    pub remote_port: String,
    /// A TCP client's own port (empty: the system chooses).
    pub source_port: String,
    /// How long a connect may take, in seconds (TCP client, relay).
    pub connect_timeout: String,
    /// A TCP client connects again when its connection ends or a connect
    /// fails, waiting longer each time.
    pub reconnect: bool,
    /// Socket options, set before the session opens.
    pub options: OptionsForm,
    /// Unix domain sockets: the session's own path (server, datagram) and
    /// the path it talks to (client, datagram remote).
    pub unix_path: String,
    pub unix_remote: String,
    /// Multicast groups a UDP session joins (`GROUP[@IFACE]`), and the
    /// form to add one.
    pub joins: Vec<String>,
    pub mcast_group: String,
    pub mcast_iface: String,
    pub view: ViewMode,
    pub encoding: String,
    /// Not saved: a log scrolled up once still follows at the next start.
    #[serde(skip, default = "following")]
    pub auto_scroll: bool,
    pub wrap: bool,
    pub send_hex: bool,
    /// In text mode, `\r \n \t \\ \0 \xHH` are escapes.
    pub escapes: bool,
    pub append: LineEnd,
    pub checksum: Checksum,
    /// The checksum covers the payload from this byte on.
    pub checksum_from: u32,
    pub send_to_all: bool,
    /// A relay's send box sends toward the target (as the clients), else
    /// toward the clients (as the target).
    pub relay_to_target: bool,
    /// Everything received goes straight back to its sender.
    pub echo: bool,
    /// After a TCP peer's FIN, keep its connection open for sending
    /// instead of closing it once what it asked for is written.
    pub keep_half_open: bool,
    pub log_cap_mib: u32,
    /// Periodic send, quick commands, history, file send, generator.
    pub tools: SendTools,
    /// How received bytes are cut into records.
    pub framing: FramingForm,
    /// A relay's bad network on purpose.
    pub impair: ImpairForm,
    /// Received records are counted, not logged (for speed tests).
    pub count_only: bool,
    /// Capture to file: where, one file per peer, as text.
    pub capture: CaptureForm,
    /// Auto-reply rules, evaluated by the worker on every received frame.
    pub replies: Vec<codec::ReplyRule>,
    /// How record times are shown.
    pub time_mode: TimeMode,
    /// The encoding typed text is sent in; empty: the receive encoding
    /// (UTF-8 when that is Auto).
    pub send_encoding: String,
    /// A stream's sends cut into pieces (`N[-M][/GAP]`, empty: whole).
    pub send_split: String,
    /// A stream's sends written this many at a time as one (empty: each).
    pub send_join: String,
    /// Export log: the format and the file.
    pub export_format: export::ExportFormat,
    pub export_path: String,
    /// The rate chart is shown above the log, in packets (else bytes) per second.
    pub show_rates: bool,
    pub rates_in_packets: bool,
    /// Which records the log shows (not saved: a new start shows all).
    #[serde(skip)]
    pub filter: crate::log::Filter,
}

/// How the log shows a record's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TimeMode {
    /// The clock, to the millisecond.
    #[default]
    Absolute,
    /// Seconds since the first record kept.
    Relative,
    /// Seconds since the record before.
    Delta,
}

/// The capture form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CaptureForm {
    pub path: String,
    pub per_peer: bool,
    /// The log as text lines, instead of the raw received bytes.
    pub as_text: bool,
}

fn following() -> bool {
    true
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            name: String::new(),
            protocol: Protocol::TcpClient,
            local_ip: "0.0.0.0".into(),
            local_port: "8080".into(),
            remote_host: "127.0.0.1".into(),
            remote_port: "8080".into(),
            source_port: String::new(),
            connect_timeout: net::spec::DEFAULT_CONNECT_TIMEOUT.as_secs().to_string(),
            reconnect: false,
            options: OptionsForm::default(),
            unix_path: "/tmp/netpal.sock".into(),
            unix_remote: String::new(),
            joins: Vec::new(),
            mcast_group: String::new(),
            mcast_iface: String::new(),
            view: ViewMode::Text,
            encoding: "UTF-8".into(),
            auto_scroll: true,
            wrap: true,
            send_hex: false,
            escapes: false,
            append: LineEnd::None,
            checksum: Checksum::None,
            checksum_from: 0,
            send_to_all: true,
            relay_to_target: false,
            echo: false,
            keep_half_open: false,
            log_cap_mib: (crate::log::DEFAULT_CAP_BYTES >> 20) as u32,
            tools: SendTools::default(),
            framing: FramingForm::default(),
            impair: ImpairForm::default(),
            count_only: false,
            capture: CaptureForm::default(),
            replies: Vec::new(),
            time_mode: TimeMode::Absolute,
            send_encoding: String::new(),
            send_split: String::new(),
            send_join: String::new(),
            export_format: export::ExportFormat::Text,
            export_path: String::new(),
            show_rates: false,
            rates_in_packets: false,
            filter: crate::log::Filter::default(),
        }
    }
}

impl SessionSettings {
    /// Fills the form from an `--open` spec.
    pub fn apply_spec(&mut self, spec: &OpenSpec) {
        self.protocol = spec.protocol;
        self.echo = spec.echo;
        self.keep_half_open = spec.keep_half_open;
        self.impair = ImpairForm::from_impairment(&spec.impairment);
        self.send_split = spec
            .send_shape
            .split
            .map(|s| s.to_string())
            .unwrap_or_default();
        self.send_join = spec
            .send_shape
            .join
            .map(|k| k.to_string())
            .unwrap_or_default();
        self.connect_timeout = spec.connect_timeout.as_secs().to_string();
        self.reconnect = spec.reconnect;
        self.options = OptionsForm::from_options(&spec.options);
        self.joins = spec.joins.iter().map(|m| m.to_string()).collect();
        let path = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        match spec.protocol {
            Protocol::UnixServer | Protocol::UnixDgram => {
                self.unix_path = path(&spec.unix_path);
                self.unix_remote = path(&spec.unix_remote);
            }
            Protocol::UnixClient => self.unix_remote = path(&spec.unix_remote),
            Protocol::TcpClient => {
                if let Some(r) = &spec.remote {
                    self.remote_host = r.host.clone();
                    self.remote_port = r.port.to_string();
                }
                self.source_port = match spec.local.port() {
                    0 => String::new(),
                    p => p.to_string(),
                };
            }
            Protocol::TcpServer | Protocol::Udp | Protocol::Relay | Protocol::UdpRelay => {
                self.local_ip = spec.local.ip().to_string();
                self.local_port = spec.local.port().to_string();
                match &spec.remote {
                    Some(r) => {
                        self.remote_host = r.host.clone();
                        self.remote_port = r.port.to_string();
                    }
                    None if spec.protocol == Protocol::Udp => {
                        self.remote_host.clear();
                        self.remote_port.clear();
                    }
                    None => {}
                }
            }
        }
    }

    /// Whether both forms open the same kind of session on the same
    /// addresses (what an `--open` spec says), whatever the view or name.
    pub fn same_endpoints(&self, other: &SessionSettings) -> bool {
        let remote = |s: &SessionSettings| {
            (
                s.remote_host.trim().to_string(),
                s.remote_port.trim().to_string(),
            )
        };
        let local = |s: &SessionSettings| {
            (
                s.local_ip.trim().to_string(),
                s.local_port.trim().to_string(),
            )
        };
        self.protocol == other.protocol
            && match self.protocol {
                Protocol::TcpClient => remote(self) == remote(other),
                Protocol::TcpServer => local(self) == local(other),
                Protocol::Udp | Protocol::Relay | Protocol::UdpRelay => {
                    local(self) == local(other) && remote(self) == remote(other)
                }
                Protocol::UnixServer => self.unix_path.trim() == other.unix_path.trim(),
                Protocol::UnixClient => self.unix_remote.trim() == other.unix_remote.trim(),
                Protocol::UnixDgram => {
                    self.unix_path.trim() == other.unix_path.trim()
                        && self.unix_remote.trim() == other.unix_remote.trim()
                }
            }
    }

    /// The encoding typed text is sent in.
    pub fn text_encoding_for_sending(&self) -> &'static encoding_rs::Encoding {
        if self.send_encoding.trim().is_empty() {
            codec::encoding_by_name(&self.encoding)
        } else {
            codec::encoding_by_name(&self.send_encoding)
        }
    }

    /// How the send box's text becomes bytes.
    pub fn send_format(&self) -> SendFormat {
        SendFormat {
            hex: self.send_hex,
            escapes: self.escapes,
            append: self.append,
            checksum: self.checksum,
            checksum_from: self.checksum_from as usize,
        }
    }

    /// The log cap in bytes.
    pub fn log_cap(&self) -> usize {
        (self.log_cap_mib.max(1) as usize) << 20
    }
}

/// Where the session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Closed,
    Opening,
    Connecting(SocketAddr),
    /// A TCP client waits to connect again (its `attempt`-th try, `at`).
    Reconnecting {
        attempt: u32,
        at: Instant,
    },
    /// Listening (server), connected (client) or bound (UDP).
    Open,
}

/// Byte and packet counters. Exact, whatever the log drops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
}

/// What a session's panels ask of it; the workspace routes it here by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    Open,
    Close,
    Send,
    Disconnect(Vec<SocketAddr>),
    /// Shut the write side of these connections down (half-close).
    ShutdownWrite(Vec<SocketAddr>),
    /// Reset these connections (RST).
    Reset(Vec<SocketAddr>),
    /// A relay's hold switches changed.
    Hold,
    /// A relay's impairment form changed (sent on when it reads right).
    SetImpairment,
    /// The user is done with a field of it: the log says what is in effect.
    SayImpairment,
    /// The split or join of sends changed (sent on when it reads right).
    SetSendShape,
    /// Join the group in the multicast form (UDP).
    Join,
    /// Leave this group (`GROUP[@IFACE]` as listed).
    Leave(String),
    ClearLog,
    CopyLog,
    ResetCounters,
    UseAsRemote(SocketAddr),
    /// Echo was switched on or off.
    SetEcho,
    /// The framing form changed.
    SetFraming,
    /// Send the send box every interval, on the worker.
    StartPeriodic,
    /// Send quick command N once.
    SendQuick(usize),
    /// Run the quick commands in order, with their delays.
    StartSequence,
    /// Stream the file named in the file form.
    SendFile,
    /// Send the send box's payload as traffic.
    StartGenerator,
    StopJob(JobSlot),
    /// Send these bytes again (a TX record of the log).
    Resend(Vec<u8>),
    /// This file is the one to send (picked or dropped on the window).
    ChooseFile(PathBuf),
    /// The auto-reply rules changed.
    SetReplies,
    /// Write what the log holds to the export file, in its format.
    ExportLog,
    /// Start capturing to the file in the capture form.
    StartCapture,
    StopCapture,
}

/// What a file dialog answered (the dialog's thread reads or writes a
/// quick-command file itself, so the UI never waits on a disk).
#[derive(Debug)]
pub enum FilePick {
    /// A file to send.
    SendFile(PathBuf),
    /// A quick-command list read from this file, or why not.
    Imported(PathBuf, Result<Vec<QuickCommand>, String>),
    /// The quick-command list written to this file, or why not.
    Exported(PathBuf, Result<(), String>),
    /// Where to capture to.
    Capture(PathBuf),
    /// Where to export the log to.
    LogExport(PathBuf),
    /// The user closed the dialog.
    Nothing,
    /// No dialog could be shown: this desktop has no file chooser service.
    Unavailable(DialogFor),
}

/// What a file dialog is for; where its answer, or the news that none
/// could be shown, goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogFor {
    SendFile,
    /// Importing or exporting quick commands.
    QuickFile,
    Capture,
    LogExport,
}

/// Why the send box cannot send, or why the last send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendProblem {
    Net(NetError),
    Form(Problem),
}

/// What the keyboard asked of a session's Find row.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FindKeys {
    /// Put the cursor in the Find box (Ctrl+F).
    pub focus: bool,
    /// Go to the next (true) or previous match (F3, Shift+F3).
    pub go: Option<bool>,
}

pub struct Session {
    pub id: SessionId,
    pub settings: SessionSettings,
    net: Option<NetSession>,
    /// A worker that was closed, while its queued events are still applied.
    closing: Option<NetSession>,
    /// The protocol of the running (or last run) worker; the form may differ.
    running: Option<Protocol>,
    pub(crate) phase: Phase,
    /// The real bound address (server, UDP) or local end (client).
    pub(crate) local: Option<SocketAddr>,
    /// A TCP client's server.
    pub(crate) peer: Option<SocketAddr>,
    /// The connected peer (TCP client) closed its side; the connection
    /// is kept open for sending.
    pub(crate) peer_fin: bool,
    pub(crate) clients: PeerList,
    /// How each TCP connection is doing (RTT, windows, queues), as last
    /// told; none where the system does not say.
    pub(crate) health: std::collections::HashMap<SocketAddr, crate::net::health::TcpHealth>,
    pub(crate) udp_peers: PeerList,
    pub(crate) counters: Counters,
    /// The tail of the last read from each TCP connection (see [`LeadIn`]),
    /// by peer and side (a relay's target side has its own stream).
    tails: HashMap<(SocketAddr, bool), LeadIn>,
    /// The event applied now is about a relay's target side.
    target_side: bool,
    /// A relay holds what goes toward the target, and toward the clients.
    pub(crate) hold_to_target: bool,
    pub(crate) hold_to_client: bool,
    /// A relay's target, as its links reached it.
    pub(crate) relay_target: Option<SocketAddr>,
    /// The socket options of the session's socket, and of its first
    /// connection, as read back.
    pub(crate) options_read: Option<net::ReadBack>,
    pub(crate) conn_options_read: Option<(SocketAddr, net::ReadBack)>,
    /// The user set options: their read-back goes to the log too.
    note_options: bool,
    /// The next open may remove a stale socket file (the user clicked so).
    pub(crate) remove_stale_once: bool,
    /// Multicast groups the socket is a member of now, with the interface.
    pub(crate) joined: Vec<(std::net::IpAddr, String)>,
    /// Why the multicast form cannot be joined.
    pub(crate) mcast_error: Option<Problem>,
    pub(crate) log: LogStore,
    pub(crate) index: LineIndex,
    pub send_text: String,
    /// Why the last Open failed or the session ended, shown under Open.
    pub(crate) session_error: Option<NetError>,
    /// Why the form cannot be used (bad port...), shown under Open.
    pub(crate) form_error: Option<Problem>,
    pub(crate) send_error: Option<SendProblem>,
    /// The jobs running on the worker.
    pub(crate) jobs: Vec<JobView>,
    /// How the last job of each slot ended, or why it could not start.
    pub(crate) job_results: HashMap<JobSlot, Result<JobResult, Problem>>,
    next_job: JobId,
    /// RX and TX rates over the last minutes, for the chart.
    pub(crate) rates: RateHistory,
    /// Find in the log.
    pub find: Find,
    /// An export being written on its own thread, and what it answers.
    pub(crate) exporting: Option<crossbeam_channel::Receiver<Result<Exported, Problem>>>,
    /// How the last export went.
    pub(crate) export_result: Option<Result<Exported, Problem>>,
    /// The record shown as a hexdump: its header, and its bytes.
    pub(crate) hexdump: Option<(String, Vec<u8>)>,
    /// How many frames each auto-reply rule has answered (by index).
    pub(crate) reply_hits: Vec<u64>,
    /// The rule whose editor is open.
    pub(crate) reply_editing: Option<usize>,
    /// The capture running: its file, and since when.
    pub(crate) capturing: Option<(String, Instant)>,
    /// Why the last capture could not start or stopped.
    pub(crate) capture_error: Option<SendProblem>,
    /// A capture waits for the next Open, so it holds the first byte of a
    /// peer that speaks first.
    pub(crate) capture_armed: bool,
    /// What a relay's impairments have done: toward the target, toward
    /// the clients.
    pub(crate) impaired: crate::net::impair::BothWays,
    /// The impairment the log last said is in effect.
    impairment_said: crate::net::impair::Impairment,
    /// Where Up/Down in the send box is in the history.
    pub(crate) history_pos: Option<usize>,
    /// A file dialog running on its own thread, and what it answers.
    pub(crate) file_pick: Option<crossbeam_channel::Receiver<FilePick>>,
    /// A file dialog could not be shown for this; the path is typed instead.
    pub(crate) dialog_missing: Option<DialogFor>,
    /// The quick-command file typed when no dialog can be shown.
    pub(crate) quick_path: String,
    /// The quick command whose editor is open.
    pub(crate) quick_editing: Option<usize>,
    /// The outcome of the last import or export of quick commands.
    pub(crate) quick_status: Option<Result<String, String>>,
    /// Open the file section next frame (a file was chosen or dropped).
    pub(crate) reveal_file: Option<bool>,
    /// Shown whole even in a pane too small for it (the user asked).
    pub(crate) all_in_small_pane: bool,
    /// Keyboard requests for Find from the window (Ctrl+F, F3, Shift+F3),
    /// taken by the Find row when it is next drawn.
    pub(crate) find_keys: FindKeys,
    /// A framing field was changed while being typed in: the change goes
    /// to the worker when the field is left.
    pub(crate) framing_pending: bool,
    /// Records that arrived while the session was not on screen.
    pub(crate) unread: u64,
    /// Whether the session was on screen in the last frame.
    pub(crate) shown: bool,
    /// Whether the log was scrolled to its end in the last frame.
    pub(crate) was_at_bottom: bool,
    /// Whether auto-scroll was on in the last frame.
    pub(crate) followed: bool,
    /// How much less than the space it was given the log's rows had on
    /// screen in the last frame (see `ui::log_view`).
    pub(crate) log_slack: Option<f32>,
    /// Paused (auto-scroll off): the record at the top of the log's view
    /// and how far into it the view starts, with the first record kept
    /// then, so the view stays on its rows as old records go.
    pub(crate) log_anchor: Option<(u64, f32)>,
    pub(crate) log_anchor_first: u64,
    /// Text to put on the clipboard this frame.
    pub(crate) copy_request: Option<String>,
    wake: Wake,
}

impl Session {
    pub fn new(id: SessionId, settings: SessionSettings, wake: Wake) -> Self {
        let cap = settings.log_cap();
        Session {
            id,
            settings,
            net: None,
            closing: None,
            running: None,
            phase: Phase::Closed,
            local: None,
            peer: None,
            peer_fin: false,
            clients: PeerList::default(),
            health: Default::default(),
            udp_peers: PeerList::default(),
            counters: Counters::default(),
            tails: HashMap::new(),
            target_side: false,
            hold_to_target: false,
            hold_to_client: false,
            relay_target: None,
            options_read: None,
            conn_options_read: None,
            note_options: false,
            remove_stale_once: false,
            joined: Vec::new(),
            mcast_error: None,
            log: LogStore::new(cap),
            index: LineIndex::default(),
            send_text: String::new(),
            session_error: None,
            form_error: None,
            send_error: None,
            jobs: Vec::new(),
            job_results: HashMap::new(),
            next_job: 1,
            history_pos: None,
            capturing: None,
            capture_error: None,
            capture_armed: false,
            impaired: Default::default(),
            impairment_said: Default::default(),
            reply_hits: Vec::new(),
            reply_editing: None,
            hexdump: None,
            exporting: None,
            export_result: None,
            rates: RateHistory::default(),
            find: Find::default(),
            file_pick: None,
            dialog_missing: None,
            quick_path: String::new(),
            quick_editing: None,
            quick_status: None,
            reveal_file: None,
            all_in_small_pane: false,
            find_keys: FindKeys::default(),
            framing_pending: false,
            unread: 0,
            shown: false,
            was_at_bottom: true,
            followed: true,
            log_slack: None,
            log_anchor: None,
            log_anchor_first: 0,
            copy_request: None,
            wake,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }

    /// A TCP client's server, once connected.
    pub fn remote_peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    pub fn log(&self) -> &LogStore {
        &self.log
    }

    pub fn clients(&self) -> &PeerList {
        &self.clients
    }

    pub fn udp_peers(&self) -> &PeerList {
        &self.udp_peers
    }

    /// The log's line index (how many rows, how often rebuilt).
    pub fn line_index(&self) -> &LineIndex {
        &self.index
    }

    /// Records that arrived while the session was not shown.
    pub fn unread(&self) -> u64 {
        self.unread
    }

    /// Whether the worker is running (Open pressed and not yet closed).
    pub fn is_active(&self) -> bool {
        self.net.is_some()
    }

    /// The protocol the worker runs, or the form's when closed.
    pub fn protocol(&self) -> Protocol {
        match (self.net.is_some(), self.running) {
            (true, Some(p)) => p,
            _ => self.settings.protocol,
        }
    }

    /// Received bytes the worker has queued for this session and the UI has
    /// not taken yet.
    pub fn queued_bytes(&self) -> usize {
        self.net.as_ref().map_or(0, NetSession::queued_bytes)
    }

    /// A line from the app itself in this session's log.
    pub fn say(&mut self, text: String) {
        self.note(SystemTime::now(), None, Note::Message(text));
    }

    fn note(&mut self, at: SystemTime, peer: Option<SocketAddr>, note: Note) {
        self.log.push(at, peer, Body::Note(note));
        self.mark_unread();
    }

    fn mark_unread(&mut self) {
        if !self.shown {
            self.unread += 1;
        }
    }

    /// Reads the form into a spec, or says what is wrong with it.
    pub fn spec_from_form(&self) -> Result<OpenSpec, Problem> {
        let s = &self.settings;
        // A TCP client lets the system choose its local end.
        let local = || -> Result<SocketAddr, Problem> {
            let port = net::parse_port(&s.local_port)
                .map_err(|_| Problem::at(Field::LocalPort, Problem::BadPort))?;
            net::spec::parse_local(&s.local_ip, port).map_err(|e| match e {
                net::SpecError::NoInterface(z) => {
                    Problem::at(Field::LocalAddr, Problem::NoInterface(z))
                }
                _ => Problem::at(Field::LocalAddr, Problem::BadLocalAddr),
            })
        };
        let remote = || -> Result<HostPort, Problem> {
            if s.remote_host.trim().is_empty() || s.remote_port.trim().is_empty() {
                return Err(Problem::RemoteNeeded);
            }
            let host = net::spec::parse_host(&s.remote_host).map_err(|e| match e {
                net::SpecError::NoInterface(z) => {
                    Problem::at(Field::RemoteHost, Problem::NoInterface(z))
                }
                _ => Problem::at(Field::RemoteHost, Problem::BadHost),
            })?;
            let port = net::parse_port(&s.remote_port)
                .map_err(|_| Problem::at(Field::RemotePort, Problem::BadPort))?;
            Ok(HostPort::new(host, port))
        };
        let timeout = || -> Result<std::time::Duration, Problem> {
            net::spec::parse_timeout(&s.connect_timeout)
                .map_err(|_| Problem::at(Field::ConnectTimeout, Problem::BadTimeout))
        };
        let options = s.options.options()?;
        let unix = |own: &str, remote: &str| -> Result<OpenSpec, Problem> {
            let mut spec = OpenSpec {
                protocol: s.protocol,
                ..OpenSpec::tcp_server(SocketAddr::from(([0, 0, 0, 0], 0)))
            };
            let own = own.trim();
            let remote = remote.trim();
            if s.protocol != Protocol::UnixClient {
                if own.is_empty() {
                    return Err(Problem::at(Field::UnixPath, Problem::PathNeeded));
                }
                spec.unix_path = Some(own.into());
            }
            if !remote.is_empty() || s.protocol == Protocol::UnixClient {
                if remote.is_empty() {
                    return Err(Problem::at(Field::UnixServerPath, Problem::PathNeeded));
                }
                spec.unix_remote = Some(remote.into());
            }
            spec.remove_stale = self.remove_stale_once;
            Ok(spec)
        };
        let mut spec = match s.protocol {
            Protocol::UnixServer | Protocol::UnixClient | Protocol::UnixDgram => {
                unix(&s.unix_path, &s.unix_remote)?
            }
            Protocol::TcpServer => OpenSpec::tcp_server(local()?),
            Protocol::UdpRelay => OpenSpec::udp_relay(local()?, remote()?),
            Protocol::Relay => {
                let mut spec = OpenSpec::relay(local()?, remote()?);
                spec.connect_timeout = timeout()?;
                spec
            }
            Protocol::TcpClient => {
                let mut spec = OpenSpec::tcp_client(remote()?);
                if !s.source_port.trim().is_empty() {
                    let port = net::parse_port(&s.source_port)
                        .map_err(|_| Problem::at(Field::SourcePort, Problem::BadPort))?;
                    spec.local.set_port(port);
                }
                spec.connect_timeout = timeout()?;
                spec.reconnect = s.reconnect;
                spec
            }
            Protocol::Udp => {
                let r = if s.remote_host.trim().is_empty() && s.remote_port.trim().is_empty() {
                    None
                } else {
                    Some(remote()?)
                };
                let mut spec = OpenSpec::udp(local()?, r);
                for j in &s.joins {
                    let m = net::Membership::parse(j)
                        .map_err(|e| Problem::at(Field::Multicast, Problem::Join(e)))?;
                    spec.joins.push(m);
                }
                spec
            }
        };
        spec.options = options;
        Ok(spec)
    }

    /// The bytes the send box holds (with its line ending and checksum),
    /// or why it cannot be sent. An empty box is nothing to send whatever
    /// its line ending and checksum: they are added to a payload, never
    /// made into one (so CRC-16 of nothing does not put FF FF on the wire).
    pub fn send_payload(&self) -> Result<Vec<u8>, Problem> {
        let enc = self.settings.text_encoding_for_sending();
        let bytes = self
            .settings
            .send_format()
            .build_send(&self.send_text, enc)
            .map_err(Problem::Payload)?;
        self.within_limit(bytes)
    }

    /// Whether an empty send box sends nothing: always on a stream; over
    /// UDP an empty datagram goes only when no line ending or checksum was
    /// asked for (else what was meant was more than nothing).
    fn empty_is_nothing(&self) -> bool {
        !self.protocol().is_datagram() || self.settings.send_format().adds_anything()
    }

    /// Typed text in a format, as bytes for the wire, or why not.
    pub fn build_payload(&self, text: &str, fmt: &SendFormat) -> Result<Vec<u8>, Problem> {
        let enc = self.settings.text_encoding_for_sending();
        let bytes = fmt.build_send(text, enc).map_err(Problem::Payload)?;
        self.within_limit(bytes)
    }

    /// `bytes`, unless they are more than one send may carry.
    fn within_limit(&self, bytes: Vec<u8>) -> Result<Vec<u8>, Problem> {
        if let Some(max) = self.max_payload()
            && bytes.len() > max
        {
            return Err(Problem::TooBigForUdp(bytes.len()));
        }
        Ok(bytes)
    }

    /// The largest payload one send may carry: one UDP datagram.
    fn max_payload(&self) -> Option<usize> {
        self.protocol().is_datagram().then_some(net::MAX_DATAGRAM)
    }

    /// A TCP client's peer while it is connected.
    pub fn connected_peer(&self) -> Option<SocketAddr> {
        (self.running == Some(Protocol::TcpClient) && self.phase == Phase::Open)
            .then_some(self.peer)
            .flatten()
    }

    /// Carries out one action of this session's panels.
    /// `words` word the log when it is copied or exported as text.
    pub fn run_action(&mut self, action: SessionAction, words: &dyn export::Words) {
        match action {
            SessionAction::Open => self.open(),
            SessionAction::Close => self.close(),
            SessionAction::Send => self.send(),
            SessionAction::ShutdownWrite(peers) => {
                if let Some(s) = &self.net {
                    s.command(Command::ShutdownWrite(peers));
                }
            }
            SessionAction::Reset(peers) => {
                if let Some(s) = &self.net {
                    s.command(Command::Reset(peers));
                }
            }
            SessionAction::Disconnect(peers) => {
                if let Some(s) = &self.net {
                    s.command(Command::Disconnect(peers));
                }
            }
            SessionAction::Join => self.join(),
            SessionAction::Leave(text) => {
                self.settings.joins.retain(|j| *j != text);
                if let (Some(s), Ok(m)) = (&self.net, net::Membership::parse(&text)) {
                    s.command(Command::Leave(m));
                }
            }
            SessionAction::SetImpairment => {
                // An unfinished form changes nothing; it says why by the form.
                if let (Some(s), Ok(m)) = (&self.net, self.impairment()) {
                    s.command(Command::SetImpairment(m));
                }
            }
            SessionAction::SetSendShape => {
                if let (Some(s), Ok(shape)) = (&self.net, self.send_shape()) {
                    s.command(Command::SetSendShape(shape));
                }
            }
            SessionAction::SayImpairment => {
                // Said once the user is done with a field, not per key.
                if let (true, Ok(m)) = (self.net.is_some(), self.impairment())
                    && m != self.impairment_said
                    && (m.on || self.impairment_said.on)
                {
                    self.impairment_said = m;
                    self.note(SystemTime::now(), None, Note::Impairment(Box::new(m)));
                }
            }
            SessionAction::Hold => {
                if let Some(s) = &self.net {
                    for cmd in self.hold_commands() {
                        s.command(cmd);
                    }
                }
            }
            SessionAction::ClearLog => self.log.clear(),
            SessionAction::CopyLog => {
                self.copy_request = Some(self.log_as_text(words));
            }
            SessionAction::ResetCounters => {
                self.counters = Counters::default();
                for p in self.clients.items_mut() {
                    p.rx_bytes = 0;
                    p.tx_bytes = 0;
                }
                for p in self.udp_peers.items_mut() {
                    p.rx_bytes = 0;
                    p.tx_bytes = 0;
                }
            }
            SessionAction::SetEcho => {
                if let Some(s) = &self.net {
                    s.command(Command::SetEcho(self.settings.echo));
                }
            }
            SessionAction::SetFraming => {
                // An unfinished form changes nothing; it says why by the form.
                if let (Some(s), Ok(f)) = (&self.net, self.settings.framing.framing()) {
                    s.command(Command::SetFraming(f));
                }
            }
            SessionAction::UseAsRemote(addr) => {
                self.settings.remote_host = addr.ip().to_string();
                self.settings.remote_port = addr.port().to_string();
            }
            SessionAction::StartPeriodic => self.start_periodic(),
            SessionAction::SendQuick(i) => self.send_quick(i),
            SessionAction::StartSequence => self.start_sequence(),
            SessionAction::SendFile => self.start_file(),
            SessionAction::StartGenerator => self.start_generator(),
            SessionAction::StopJob(slot) => {
                if let (Some(net), Some(j)) = (&self.net, self.jobs.iter().find(|j| j.slot == slot))
                {
                    net.command(Command::StopJob(j.id));
                }
            }
            SessionAction::Resend(bytes) => {
                self.send_bytes(bytes);
            }
            SessionAction::StartCapture => self.start_capture(),
            SessionAction::ExportLog => self.export_log(words),
            SessionAction::SetReplies => self.send_replies(),
            SessionAction::StopCapture => {
                self.capture_armed = false;
                if let Some(s) = &self.net {
                    s.command(Command::Capture(None));
                }
            }
            SessionAction::ChooseFile(path) => {
                self.settings.tools.file_path = path.display().to_string();
                self.reveal_file = Some(true);
            }
        }
    }

    fn open(&mut self) {
        if self.net.is_some() {
            return;
        }
        self.form_error = None;
        let spec = self.spec_from_form();
        // Asked for one open only.
        self.remove_stale_once = false;
        match spec {
            Ok(mut s) => match (
                self.settings.framing.framing(),
                self.impairment(),
                self.send_shape(),
            ) {
                (Ok(f), Ok(m), Ok(shape)) => {
                    s.echo = self.settings.echo;
                    s.keep_half_open = self.settings.keep_half_open;
                    s.framing = f;
                    s.impairment = m;
                    s.send_shape = shape;
                    self.open_spec(s);
                }
                (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => self.form_error = Some(e),
            },
            Err(e) => self.form_error = Some(e),
        }
    }

    /// Opens the worker for `spec` (from the form or the command line).
    pub fn open_spec(&mut self, mut spec: OpenSpec) {
        if self.net.is_some() {
            return;
        }
        // An armed capture starts in the worker before its socket, so it
        // holds the first byte.
        let armed = std::mem::take(&mut self.capture_armed)
            .then(|| self.capture_spec())
            .flatten();
        let capturing = armed.is_some() && spec.capture.is_none();
        if capturing {
            spec.capture = armed;
        }
        // The last run's words come before the new run's.
        self.finish_closing();
        self.session_error = None;
        self.send_error = None;
        self.counters = Counters::default();
        self.impaired = Default::default();
        self.clients.clear();
        self.health.clear();
        self.udp_peers.clear();
        self.local = None;
        self.peer = None;
        self.relay_target = None;
        self.options_read = None;
        self.conn_options_read = None;
        self.note_options = !spec.options.is_default();
        self.joined.clear();
        let protocol = spec.protocol;
        let impairment = spec.impairment;
        let replies = self.compiled_replies();
        let mut setup = if replies.is_empty() {
            Vec::new()
        } else {
            vec![Command::SetReplies(replies)]
        };
        if protocol.is_relay() {
            setup.extend(self.hold_commands());
        }
        match NetSession::open_with(spec, setup, self.wake.clone()) {
            Ok(s) => {
                self.log.set_recycler(Some(s.recycler()));
                self.net = Some(s);
                self.running = Some(protocol);
                self.phase = Phase::Opening;
                if impairment.on {
                    self.note(
                        SystemTime::now(),
                        None,
                        Note::Impairment(Box::new(impairment)),
                    );
                }
                self.impairment_said = impairment;
                if capturing {
                    self.capturing =
                        Some((self.settings.capture.path.trim().into(), Instant::now()));
                }
            }
            Err(e) => {
                // Still armed for the next try.
                self.capture_armed = capturing;
                self.session_error = Some(e.clone());
                self.note(SystemTime::now(), None, Note::Error(e));
            }
        }
    }

    /// Joins the group in the multicast form: at once when open, and at
    /// every open from now on.
    fn join(&mut self) {
        let s = &self.settings;
        let text = if s.mcast_iface.trim().is_empty() {
            s.mcast_group.trim().to_string()
        } else {
            format!("{}@{}", s.mcast_group.trim(), s.mcast_iface.trim())
        };
        match net::Membership::parse(&text) {
            Ok(m) => {
                self.mcast_error = None;
                let text = m.to_string();
                if !self.settings.joins.contains(&text) {
                    self.settings.joins.push(text);
                }
                if let Some(s) = &self.net {
                    s.command(Command::Join(m));
                }
            }
            Err(e) => self.mcast_error = Some(Problem::Join(e)),
        }
    }

    /// What the relay's hold switches say, as commands.
    fn hold_commands(&self) -> Vec<Command> {
        vec![
            Command::Hold {
                toward_target: true,
                on: self.hold_to_target,
            },
            Command::Hold {
                toward_target: false,
                on: self.hold_to_client,
            },
        ]
    }

    /// Waits up to `timeout` for the worker's first word (bound, or why
    /// not), so a server opened from the command line listens before the
    /// client opened after it tries to connect.
    pub fn wait_ready(&mut self, timeout: std::time::Duration) {
        let first = self.net.as_ref().and_then(|n| n.wait_event(timeout));
        if let Some(ev) = first {
            self.apply(ev);
        }
    }

    /// Stops the worker and closes its sockets (it ends at once). What it
    /// still had queued is applied over the next frames, within their drain
    /// budget, so a Close under a flood never stalls the window and loses
    /// nothing.
    pub fn close(&mut self) {
        if let Some(mut s) = self.net.take() {
            s.close();
            self.closing = Some(s);
        }
        self.end_session();
    }

    /// Applies whatever a closed worker still had queued, at once.
    fn finish_closing(&mut self) {
        if let Some(s) = self.closing.take() {
            while let Some(ev) = s.try_event() {
                self.apply(ev);
            }
        }
    }

    /// Stops the worker without waiting for it (closing a tab): the worker
    /// closes its sockets and ends on its own, and the UI never blocks.
    pub fn close_in_background(&mut self) {
        if let Some(s) = self.net.take() {
            s.close_detached();
        }
        self.end_session();
    }

    fn end_session(&mut self) {
        self.capturing = None;
        // Jobs end with their worker.
        for j in std::mem::take(&mut self.jobs) {
            let result = JobResult {
                tally: crate::net::JobTally {
                    items: j.items,
                    bytes: j.bytes,
                    elapsed: j.started.elapsed(),
                },
                end: JobEnd::Stopped,
            };
            self.job_results.insert(j.slot, Ok(result));
        }
        self.net = None;
        self.tails.clear();
        self.send_error = None;
        self.phase = Phase::Closed;
        self.peer = None;
        self.clients.clear();
        self.health.clear();
    }

    fn send(&mut self) {
        self.send_error = None;
        if self.net.is_none() {
            return;
        }
        let bytes = match self.send_payload() {
            Ok(b) => b,
            Err(e) => {
                self.send_error = Some(SendProblem::Form(e));
                return;
            }
        };
        if bytes.is_empty() && self.empty_is_nothing() {
            self.send_error = Some(SendProblem::Form(Problem::NothingToSend));
            return;
        }
        if self.send_bytes(bytes) {
            self.settings.tools.remember(HistoryItem {
                text: self.send_text.clone(),
                hex: self.settings.send_hex,
            });
            self.history_pos = None;
        }
    }

    /// Sends bytes to where the send box sends; false if it could not.
    fn send_bytes(&mut self, bytes: Vec<u8>) -> bool {
        self.send_error = None;
        let Some(session) = &self.net else {
            self.send_error = Some(SendProblem::Form(Problem::SessionNotOpen));
            return false;
        };
        // An empty datagram is a real UDP message; on a stream it is nothing.
        if bytes.is_empty() && !self.protocol().is_datagram() {
            self.send_error = Some(SendProblem::Form(Problem::NothingToSend));
            return false;
        }
        match self.send_target() {
            Ok(to) => {
                session.command(Command::Send { to, bytes });
                true
            }
            Err(e) => {
                self.send_error = Some(SendProblem::Form(e));
                false
            }
        }
    }

    /// Where the send box sends: the selected clients or all (server), the
    /// server (client), the remote (UDP).
    fn send_target(&self) -> Result<Target, Problem> {
        match self.protocol() {
            Protocol::TcpClient | Protocol::UnixClient => Ok(Target::All),
            Protocol::UnixDgram => {
                if self.settings.unix_remote.trim().is_empty() {
                    // Answer the peers selected in the list.
                    let sel = self.udp_peers.selected();
                    if sel.is_empty() {
                        return Err(Problem::at(Field::UnixRemotePath, Problem::PathNeeded));
                    }
                    Ok(Target::Peers(sel))
                } else {
                    Ok(Target::All)
                }
            }
            Protocol::TcpServer | Protocol::Relay | Protocol::UdpRelay | Protocol::UnixServer => {
                let clients = if self.settings.send_to_all {
                    Target::All
                } else {
                    let sel = self.clients.selected();
                    if sel.is_empty() {
                        return Err(Problem::NoClientSelected);
                    }
                    Target::Peers(sel)
                };
                Ok(
                    if self.protocol().is_relay() && self.settings.relay_to_target {
                        Target::Upstream(Box::new(clients))
                    } else {
                        clients
                    },
                )
            }
            Protocol::Udp => {
                let host = net::spec::parse_host(&self.settings.remote_host);
                let port = net::parse_port(&self.settings.remote_port);
                match (host, port) {
                    (Ok(h), Ok(p)) => Ok(Target::Host(HostPort::new(h, p))),
                    (Err(_), _) if self.settings.remote_host.trim().is_empty() => {
                        Err(Problem::RemoteNeeded)
                    }
                    (Err(_), _) => Err(Problem::at(Field::RemoteHost, Problem::BadHost)),
                    (_, Err(_)) => Err(Problem::at(Field::RemotePort, Problem::BadPort)),
                }
            }
        }
    }

    /// The rules that can run, compiled, with their indices; the others
    /// say why by their editor.
    pub fn compiled_replies(&self) -> Vec<(usize, codec::CompiledRule)> {
        let enc = codec::encoding_by_name(&self.settings.encoding);
        let reply_enc = self.settings.text_encoding_for_sending();
        self.settings
            .replies
            .iter()
            .enumerate()
            .filter(|(_, r)| r.enabled)
            .filter_map(|(i, r)| r.compile_with(enc, reply_enc).ok().map(|c| (i, c)))
            .collect()
    }

    fn send_replies(&mut self) {
        self.reply_hits.resize(self.settings.replies.len(), 0);
        if let Some(s) = &self.net {
            s.command(Command::SetReplies(self.compiled_replies()));
        }
    }

    /// Writes the log to the export file on a thread of its own, from a
    /// copy of the records, so a large log never stalls the window.
    fn export_log(&mut self, words: &dyn export::Words) {
        use export::ExportFormat;
        if self.exporting.is_some() {
            return;
        }
        let path = PathBuf::from(self.settings.export_path.trim());
        if self.settings.export_path.trim().is_empty() {
            self.export_result = Some(Err(Problem::ChooseFileFirst));
            return;
        }
        let format = self.settings.export_format;
        // Text is worded as shown (language, view, times) before leaving.
        let text = (format == ExportFormat::Text).then(|| self.log_as_text(words));
        let records: Vec<_> = if text.is_some() {
            Vec::new()
        } else {
            self.log.iter().map(std::borrow::Cow::into_owned).collect()
        };
        let enc = codec::encoding_by_name(&self.settings.encoding);
        let local = self.local;
        let protocol = self.running.unwrap_or(self.settings.protocol);
        let wake = self.wake.clone();
        let (tx, rx) = crossbeam_channel::bounded(1);
        let lines = format == ExportFormat::Text;
        let spawned = std::thread::Builder::new()
            .name("netpal-export".into())
            .spawn(move || {
                let result = (|| {
                    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
                    let mut w = std::io::BufWriter::new(file);
                    let n = match format {
                        ExportFormat::Text => {
                            let t = text.unwrap_or_default();
                            std::io::Write::write_all(&mut w, t.as_bytes())
                                .map_err(|e| e.to_string())?;
                            t.lines().count()
                        }
                        ExportFormat::Csv => {
                            export::write_csv(&records, enc, &mut w).map_err(|e| e.to_string())?
                        }
                        ExportFormat::JsonLines => export::write_json_lines(&records, enc, &mut w)
                            .map_err(|e| e.to_string())?,
                        ExportFormat::Pcapng => {
                            export::write_pcapng(&records, local, protocol, &mut w)?
                        }
                    };
                    std::io::Write::flush(&mut w).map_err(|e| e.to_string())?;
                    Ok(n)
                })();
                let result = match result {
                    Ok(count) => Ok(Exported { path, count, lines }),
                    Err(error) => Err(Problem::File { path, error }),
                };
                let _ = tx.send(result);
                wake();
            });
        match spawned {
            Ok(_) => self.exporting = Some(rx),
            Err(e) => self.export_result = Some(Err(Problem::System(e.to_string()))),
        }
    }

    /// The log as text, as shown (its view, filter and times), in `words`.
    pub fn log_as_text(&self, words: &dyn export::Words) -> String {
        let view = crate::log::View {
            mode: self.settings.view,
            encoding: codec::encoding_by_name(&self.settings.encoding),
            wrap_cols: None,
            labels: 0,
            filter: self.settings.filter,
        };
        export::log_text(&self.log, &view, self.settings.time_mode, words)
    }

    /// Takes the export thread's answer once it has come.
    pub fn poll_export(&mut self) {
        let Some(rx) = &self.exporting else {
            return;
        };
        match rx.try_recv() {
            Ok(r) => {
                self.export_result = Some(r);
                self.exporting = None;
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) => self.exporting = None,
            Err(crossbeam_channel::TryRecvError::Empty) => {}
        }
    }

    /// Starts capturing now, or (closed) at the next Open.
    fn start_capture(&mut self) {
        self.capture_error = None;
        let Some(spec) = self.capture_spec() else {
            self.capture_error = Some(SendProblem::Form(Problem::ChooseFileFirst));
            return;
        };
        match &self.net {
            Some(net) => {
                net.command(Command::Capture(Some(spec)));
                self.capturing = Some((self.settings.capture.path.trim().into(), Instant::now()));
            }
            None => self.capture_armed = true,
        }
    }

    /// The capture the form describes, if it names a file.
    fn capture_spec(&self) -> Option<net::CaptureSpec> {
        let form = &self.settings.capture;
        if form.path.trim().is_empty() {
            return None;
        }
        let text = form
            .as_text
            .then(|| codec::encoding_by_name(&self.settings.encoding));
        Some(net::CaptureSpec {
            path: PathBuf::from(form.path.trim()),
            per_peer: form.per_peer,
            text,
        })
    }

    /// How this session's sends are to be written: split into pieces,
    /// joined several into one (streams and UDP), or why the form is wrong.
    pub fn send_shape(&self) -> Result<crate::net::impair::SendShape, Problem> {
        use crate::net::impair::{MAX_JOIN, SendShape, parse_slice};
        if !self.settings.protocol.shapes_sends() {
            return Ok(SendShape::default());
        }
        let split = match self.settings.send_split.trim() {
            "" => None,
            t => Some(parse_slice(t).ok_or(Problem::at(Field::Split, Problem::BadSlice))?),
        };
        let join = match self.settings.send_join.trim() {
            "" => None,
            t => Some(
                t.parse::<u32>()
                    .ok()
                    .filter(|k| (1..=MAX_JOIN).contains(k))
                    .ok_or(Problem::number(Field::Join, 1, u64::from(MAX_JOIN)))?,
            ),
        };
        Ok(SendShape { split, join })
    }

    /// The relay impairment the form describes (none for other kinds).
    pub fn impairment(&self) -> Result<crate::net::impair::Impairment, Problem> {
        let p = self.settings.protocol;
        if !p.is_relay() {
            return Ok(Default::default());
        }
        let mut m = self.settings.impair.impairment()?;
        // Each kind takes only its own options (the form shows only those).
        for d in [&mut m.up, &mut m.down] {
            if p == Protocol::UdpRelay {
                d.slice = None;
                d.merge = None;
                d.cut = None;
            } else {
                d.loss = 0;
                d.dup = 0;
                d.reorder = 0;
            }
        }
        Ok(m)
    }

    /// What the relay's impairments have done, toward the target and
    /// toward the clients, since it opened.
    pub fn impaired(&self) -> &crate::net::impair::BothWays {
        &self.impaired
    }

    /// A capture waits for the next Open.
    pub fn capture_armed(&self) -> bool {
        self.capture_armed
    }

    /// Starts Find looking for the next match (or the previous).
    pub fn find_seek(&mut self, forward: bool) {
        self.find.seek(forward, &self.log);
    }

    /// RX and TX rates over the last minutes.
    pub fn rates(&self) -> &RateHistory {
        &self.rates
    }

    /// The capture running: its file and since when.
    pub fn capturing(&self) -> Option<&(String, Instant)> {
        self.capturing.as_ref()
    }

    /// The log's width in columns (`None` when it shows no text), so the
    /// worker counts the rows of what it reads for it.
    pub fn set_wrap_cols(&mut self, cols: Option<usize>) {
        if let Some(net) = &self.net {
            net.set_wrap_cols(cols);
        }
    }

    /// Once per frame after draining: batched list removals, the log cap.
    pub fn tidy(&mut self) {
        self.rates.sample(Instant::now(), self.counters);
        self.clients.compact();
        self.udp_peers.compact();
        let cap = self.settings.log_cap();
        if cap != self.log.cap() {
            self.log.set_cap(cap);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(s) = self.net.take() {
            s.close_detached();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_scrolled_up_follows_again_after_a_restart() {
        let s = SessionSettings {
            auto_scroll: false,
            ..SessionSettings::default()
        };
        let saved = ron::to_string(&s).unwrap_or_default();
        let back: SessionSettings = ron::from_str(&saved).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.auto_scroll);
    }

    #[test]
    fn an_open_spec_reuses_a_udp_form_only_on_both_its_addresses() {
        let udp = |local_port: &str, remote_port: &str| SessionSettings {
            protocol: Protocol::Udp,
            local_ip: "127.0.0.1".into(),
            local_port: local_port.into(),
            remote_host: "127.0.0.1".into(),
            remote_port: remote_port.into(),
            ..SessionSettings::default()
        };
        assert!(udp("5000", "6000").same_endpoints(&udp("5000", "6000")));
        assert!(!udp("5000", "6000").same_endpoints(&udp("5000", "7000")));
        assert!(!udp("5000", "6000").same_endpoints(&udp("5001", "6000")));
    }
}
