//! Application state: settings, the running session, the log, and the one
//! place where user actions are carried out and worker events applied.

use crate::codec;
use crate::log::{Body, LeadIn, LineIndex, LogStore, Note, ViewMode};
use crate::net::{
    self, Command, Event, HostPort, OpenSpec, Protocol, Session, Target, Wake, interfaces,
};
use crate::ui::i18n::{Lang, Tr};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// What survives a restart. Sockets and buffers are runtime state, not here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub protocol: Protocol,
    pub local_ip: String,
    pub local_port: String,
    pub remote_host: String,
    pub remote_port: String,
    pub view: ViewMode,
    pub encoding: String,
    pub auto_scroll: bool,
    pub wrap: bool,
    pub send_hex: bool,
    pub send_to_all: bool,
    /// Everything received goes straight back to its sender.
    pub echo: bool,
    pub lang: Lang,
    pub log_cap_mib: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            protocol: Protocol::TcpClient,
            local_ip: "0.0.0.0".into(),
            local_port: "8080".into(),
            remote_host: "127.0.0.1".into(),
            remote_port: "8080".into(),
            view: ViewMode::Text,
            encoding: "UTF-8".into(),
            auto_scroll: true,
            wrap: true,
            send_hex: false,
            send_to_all: true,
            echo: false,
            lang: Lang::from_system(),
            log_cap_mib: (crate::log::DEFAULT_CAP_BYTES >> 20) as u32,
        }
    }
}

/// Where the session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Closed,
    Opening,
    Connecting(SocketAddr),
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

/// A TCP server's client, or a UDP peer seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub addr: SocketAddr,
    pub since: SystemTime,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub selected: bool,
    removed: bool,
}

impl PeerInfo {
    fn new(addr: SocketAddr, since: SystemTime) -> Self {
        PeerInfo {
            addr,
            since,
            rx_bytes: 0,
            tx_bytes: 0,
            selected: false,
            removed: false,
        }
    }
}

/// Peers in arrival order with lookup by address; removal is batched per frame.
#[derive(Default)]
pub struct PeerList {
    items: Vec<PeerInfo>,
    index: HashMap<SocketAddr, usize>,
    dirty: bool,
}

/// A UDP peer list is capped so a spoofed flood cannot grow it without end.
const MAX_UDP_PEERS: usize = 65_536;

impl PeerList {
    pub fn add(&mut self, addr: SocketAddr, since: SystemTime) -> &mut PeerInfo {
        if let Some(&i) = self.index.get(&addr) {
            if self.items[i].removed {
                // The same address again is a new connection: a fresh row.
                self.items[i] = PeerInfo::new(addr, since);
            }
            return &mut self.items[i];
        }
        self.index.insert(addr, self.items.len());
        self.items.push(PeerInfo::new(addr, since));
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    pub fn get_mut(&mut self, addr: &SocketAddr) -> Option<&mut PeerInfo> {
        let i = *self.index.get(addr)?;
        self.items.get_mut(i).filter(|p| !p.removed)
    }

    pub fn remove(&mut self, addr: &SocketAddr) {
        if let Some(&i) = self.index.get(addr) {
            self.items[i].removed = true;
            self.dirty = true;
        }
    }

    /// Applies removals (once per frame, so thousands of disconnects stay cheap).
    pub fn compact(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        self.items.retain(|p| !p.removed);
        self.index = self
            .items
            .iter()
            .enumerate()
            .map(|(i, p)| (p.addr, i))
            .collect();
    }

    pub fn clear(&mut self) {
        self.items.clear();
        self.index.clear();
        self.dirty = false;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[PeerInfo] {
        &self.items
    }

    pub fn items_mut(&mut self) -> &mut [PeerInfo] {
        &mut self.items
    }

    /// How many rows are selected (each frame, without building a list).
    pub fn selected_count(&self) -> usize {
        self.items
            .iter()
            .filter(|p| p.selected && !p.removed)
            .count()
    }

    pub fn selected(&self) -> Vec<SocketAddr> {
        self.items
            .iter()
            .filter(|p| p.selected && !p.removed)
            .map(|p| p.addr)
            .collect()
    }

    /// Drops the oldest tenth of the list at once, so a flood of new
    /// addresses costs one compaction per thousands of peers, not per datagram.
    fn drop_oldest(&mut self) {
        let n = (self.items.len() / 10).max(1);
        for p in self.items.iter_mut().take(n) {
            p.removed = true;
        }
        self.dirty = true;
        self.compact();
    }
}

/// What the panels ask for; [`App::run_action`] carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Open,
    Close,
    Send,
    Disconnect(Vec<SocketAddr>),
    ClearLog,
    CopyLog,
    ResetCounters,
    RefreshAddresses,
    UseAsRemote(SocketAddr),
    /// Echo was switched on or off.
    SetEcho,
}

/// How the app starts.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Overrides the saved or system language.
    pub lang: Option<Lang>,
    /// A session to open at once.
    pub open: Option<OpenSpec>,
}

/// Per-frame event drain budget: the frame stays responsive under a flood.
const DRAIN_BUDGET: Duration = Duration::from_millis(4);

pub struct App {
    pub settings: Settings,
    pub(crate) session: Option<Session>,
    pub(crate) phase: Phase,
    /// The real bound address (server, UDP) or local end (client).
    pub(crate) local: Option<SocketAddr>,
    /// A TCP client's server.
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) clients: PeerList,
    pub(crate) udp_peers: PeerList,
    pub(crate) counters: Counters,
    /// The tail of the last read from each TCP connection (see [`LeadIn`]).
    tails: HashMap<SocketAddr, LeadIn>,
    pub(crate) log: LogStore,
    pub(crate) index: LineIndex,
    pub send_text: String,
    /// Why the last Open failed or the session ended, shown under Open.
    pub(crate) session_error: Option<String>,
    /// Why the form cannot be used (bad port...), shown under Open.
    pub(crate) form_error: Option<String>,
    pub(crate) send_error: Option<String>,
    pub(crate) addresses: Vec<interfaces::LocalAddr>,
    pub(crate) actions: Vec<Action>,
    wake: Wake,
    /// Text to put on the clipboard this frame.
    pub(crate) copy_request: Option<String>,
    /// Set by NETPAL_TRACE_STARTUP: print a line when the first frame is shown.
    trace_first_frame: bool,
    /// Settings as loaded, and as they were after the command line applied
    /// its overrides: what the user did not change since is saved as loaded,
    /// so `--lang` or `--open` never rewrite the saved defaults.
    loaded: Settings,
    started: Settings,
}

impl App {
    /// Builds the app for eframe: fonts, saved settings, start options.
    pub fn new(cc: &eframe::CreationContext<'_>, opts: StartOptions) -> Self {
        crate::ui::install_fonts(&cc.egui_ctx);
        let settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let wake: Wake = Arc::new(move || ctx.request_repaint());
        Self::with_settings(settings, wake, opts)
    }

    /// Builds the app state without a window (tests, benchmarks).
    pub fn with_settings(mut settings: Settings, wake: Wake, opts: StartOptions) -> Self {
        let loaded = settings.clone();
        if let Some(lang) = opts.lang {
            settings.lang = lang;
        }
        let cap = (settings.log_cap_mib.max(1) as usize) << 20;
        let mut app = App {
            settings,
            session: None,
            phase: Phase::Closed,
            local: None,
            peer: None,
            clients: PeerList::default(),
            udp_peers: PeerList::default(),
            counters: Counters::default(),
            tails: HashMap::new(),
            log: LogStore::new(cap),
            index: LineIndex::default(),
            send_text: String::new(),
            session_error: None,
            form_error: None,
            send_error: None,
            addresses: interfaces::local_addresses(),
            actions: Vec::new(),
            wake,
            copy_request: None,
            trace_first_frame: std::env::var_os("NETPAL_TRACE_STARTUP").is_some(),
            loaded: loaded.clone(),
            started: loaded,
        };
        if let Some(spec) = opts.open {
            app.apply_spec(&spec);
            app.open_spec(spec);
        }
        app.started = app.settings.clone();
        app
    }

    /// The settings to save: the user's changes since start, over what was loaded.
    pub fn settings_to_save(&self) -> Settings {
        let (l, s, c) = (&self.loaded, &self.started, &self.settings);
        macro_rules! pick {
            ($($f:ident),*) => {
                Settings { $($f: if c.$f == s.$f { l.$f.clone() } else { c.$f.clone() }),* }
            };
        }
        pick!(
            protocol,
            local_ip,
            local_port,
            remote_host,
            remote_port,
            view,
            encoding,
            auto_scroll,
            wrap,
            send_hex,
            send_to_all,
            echo,
            lang,
            log_cap_mib
        )
    }

    pub fn tr(&self) -> &'static Tr {
        self.settings.lang.tr()
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
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

    /// The log's line index (how many rows, how often rebuilt).
    pub fn line_index(&self) -> &LineIndex {
        &self.index
    }

    pub fn udp_peers(&self) -> &PeerList {
        &self.udp_peers
    }

    /// Fills the form from an `--open` spec.
    fn apply_spec(&mut self, spec: &OpenSpec) {
        let s = &mut self.settings;
        s.protocol = spec.protocol;
        s.echo = spec.echo;
        match spec.protocol {
            Protocol::TcpClient => {
                if let Some(r) = &spec.remote {
                    s.remote_host = r.host.clone();
                    s.remote_port = r.port.to_string();
                }
            }
            Protocol::TcpServer | Protocol::Udp => {
                s.local_ip = spec.local.ip().to_string();
                s.local_port = spec.local.port().to_string();
                match &spec.remote {
                    Some(r) => {
                        s.remote_host = r.host.clone();
                        s.remote_port = r.port.to_string();
                    }
                    None if spec.protocol == Protocol::Udp => {
                        s.remote_host.clear();
                        s.remote_port.clear();
                    }
                    None => {}
                }
            }
        }
    }

    fn note(&mut self, at: SystemTime, peer: Option<SocketAddr>, note: Note) {
        self.log.push(at, peer, Body::Note(note));
    }

    /// Reads the form into a spec, or says what is wrong with it.
    pub fn spec_from_form(&self) -> Result<OpenSpec, String> {
        let tr = self.tr();
        let s = &self.settings;
        // A TCP client lets the system choose its local end.
        let local = || -> Result<SocketAddr, String> {
            let port = net::parse_port(&s.local_port)
                .map_err(|_| format!("{}: {}", tr.local_port, tr.bad_port))?;
            let ip: IpAddr = net::parse_ip(&s.local_ip)
                .ok_or_else(|| format!("{}: {}", tr.local_addr, tr.bad_local_addr))?;
            Ok(SocketAddr::new(ip, port))
        };
        let remote = || -> Result<HostPort, String> {
            if s.remote_host.trim().is_empty() || s.remote_port.trim().is_empty() {
                return Err(tr.remote_needed.to_string());
            }
            let host = net::spec::parse_host(&s.remote_host)
                .map_err(|_| format!("{}: {}", tr.remote_host, tr.bad_host))?;
            let port = net::parse_port(&s.remote_port)
                .map_err(|_| format!("{}: {}", tr.remote_port, tr.bad_port))?;
            Ok(HostPort::new(host, port))
        };
        Ok(match s.protocol {
            Protocol::TcpServer => OpenSpec::tcp_server(local()?),
            Protocol::TcpClient => OpenSpec::tcp_client(remote()?),
            Protocol::Udp => {
                let r = if s.remote_host.trim().is_empty() && s.remote_port.trim().is_empty() {
                    None
                } else {
                    Some(remote()?)
                };
                OpenSpec::udp(local()?, r)
            }
        })
    }

    /// The bytes the send box holds, or why it cannot be sent.
    pub fn send_payload(&self) -> Result<Vec<u8>, String> {
        let tr = self.tr();
        if self.settings.send_hex {
            codec::parse_hex(&self.send_text).map_err(|e| format!("{}: {e}", tr.invalid_hex))
        } else {
            let enc = codec::encoding_by_name(&self.settings.encoding);
            codec::encode_text(&self.send_text, enc)
                .map_err(|e| format!("{}: {e}", tr.cannot_encode))
        }
    }

    /// Carries out one user action.
    pub fn run_action(&mut self, action: Action) {
        match action {
            Action::Open => self.open(),
            Action::Close => self.close(),
            Action::Send => self.send(),
            Action::Disconnect(peers) => {
                if let Some(s) = &self.session {
                    s.command(Command::Disconnect(peers));
                }
            }
            Action::ClearLog => self.log.clear(),
            Action::CopyLog => self.copy_request = Some(crate::ui::log_view::log_as_text(self)),
            Action::ResetCounters => {
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
            Action::RefreshAddresses => self.addresses = interfaces::local_addresses(),
            Action::SetEcho => {
                if let Some(s) = &self.session {
                    s.command(Command::SetEcho(self.settings.echo));
                }
            }
            Action::UseAsRemote(addr) => {
                self.settings.remote_host = addr.ip().to_string();
                self.settings.remote_port = addr.port().to_string();
            }
        }
    }

    fn open(&mut self) {
        if self.session.is_some() {
            return;
        }
        self.form_error = None;
        match self.spec_from_form() {
            Ok(mut s) => {
                s.echo = self.settings.echo;
                self.open_spec(s);
            }
            Err(e) => self.form_error = Some(e),
        }
    }

    /// Opens a session for `spec` (from the form or the command line).
    fn open_spec(&mut self, spec: OpenSpec) {
        if self.session.is_some() {
            return;
        }
        self.session_error = None;
        self.send_error = None;
        self.counters = Counters::default();
        self.clients.clear();
        self.udp_peers.clear();
        self.local = None;
        self.peer = None;
        match Session::open(spec, self.wake.clone()) {
            Ok(s) => {
                self.session = Some(s);
                self.phase = Phase::Opening;
            }
            Err(e) => {
                let msg = self.error_text(&e);
                self.session_error = Some(msg);
                self.note(SystemTime::now(), None, Note::Error(e));
            }
        }
    }

    fn close(&mut self) {
        if let Some(mut s) = self.session.take() {
            s.close();
            while let Some(ev) = s.try_event() {
                self.apply(ev);
            }
        }
        self.end_session();
    }

    fn end_session(&mut self) {
        self.session = None;
        self.tails.clear();
        self.send_error = None;
        self.phase = Phase::Closed;
        self.peer = None;
        self.clients.clear();
    }

    fn send(&mut self) {
        self.send_error = None;
        let Some(session) = &self.session else {
            return;
        };
        let bytes = match self.send_payload() {
            Ok(b) => b,
            Err(e) => {
                self.send_error = Some(e);
                return;
            }
        };
        let tr = self.tr();
        let to = match self.settings.protocol {
            Protocol::TcpClient => Target::All,
            Protocol::TcpServer => {
                if self.settings.send_to_all {
                    Target::All
                } else {
                    let sel = self.clients.selected();
                    if sel.is_empty() {
                        self.send_error = Some(tr.no_client_selected.to_string());
                        return;
                    }
                    Target::Peers(sel)
                }
            }
            Protocol::Udp => {
                let host = net::spec::parse_host(&self.settings.remote_host);
                let port = net::parse_port(&self.settings.remote_port);
                match (host, port) {
                    (Ok(h), Ok(p)) => Target::Host(HostPort::new(h, p)),
                    (Err(_), _) if self.settings.remote_host.trim().is_empty() => {
                        self.send_error = Some(tr.remote_needed.to_string());
                        return;
                    }
                    (Err(_), _) => {
                        self.send_error = Some(format!("{}: {}", tr.remote_host, tr.bad_host));
                        return;
                    }
                    (_, Err(_)) => {
                        self.send_error = Some(format!("{}: {}", tr.remote_port, tr.bad_port));
                        return;
                    }
                }
            }
        };
        session.command(Command::Send { to, bytes });
    }

    /// A worker error in the user's words.
    pub fn error_text(&self, e: &net::NetError) -> String {
        self.tr().net_error(e)
    }

    /// Applies one worker event to the state and the log.
    pub fn apply(&mut self, ev: Event) {
        match ev {
            Event::Opened { at, local } => {
                self.phase = Phase::Open;
                self.local = Some(local);
                self.note(at, None, Note::Opened { local });
            }
            Event::Connecting { at, remote } => {
                self.phase = Phase::Connecting(remote);
                self.note(at, Some(remote), Note::Connecting { remote });
            }
            Event::Connected { at, local, peer } => {
                self.phase = Phase::Open;
                self.local = Some(local);
                self.peer = Some(peer);
                self.note(at, Some(peer), Note::Connected { local, peer });
            }
            Event::Accepted { at, peer } => {
                self.clients.add(peer, at);
                self.note(at, Some(peer), Note::Accepted { peer });
            }
            Event::Received { at, peer, bytes } => {
                let n = bytes.len() as u64;
                self.counters.rx_bytes += n;
                self.counters.rx_packets += 1;
                match self.settings.protocol {
                    Protocol::Udp => {
                        if self.udp_peers.get_mut(&peer).is_none()
                            && self.udp_peers.len() >= MAX_UDP_PEERS
                        {
                            self.udp_peers.drop_oldest();
                        }
                        self.udp_peers.add(peer, at).rx_bytes += n;
                    }
                    _ => {
                        if let Some(c) = self.clients.get_mut(&peer) {
                            c.rx_bytes += n;
                        }
                    }
                }
                if self.settings.protocol == Protocol::Udp {
                    // Datagrams stand alone: no character spans two.
                    self.log.push(at, Some(peer), Body::Rx(bytes));
                } else {
                    let lead_in = self.tails.get(&peer).copied().unwrap_or_default();
                    self.tails.insert(peer, LeadIn::tail_of(&bytes));
                    self.log
                        .push_after(at, Some(peer), Body::Rx(bytes), lead_in);
                }
            }
            Event::Sent { at, peer, bytes } => {
                let n = bytes.len() as u64;
                self.counters.tx_bytes += n;
                self.counters.tx_packets += 1;
                if let Some(c) = self.clients.get_mut(&peer) {
                    c.tx_bytes += n;
                } else if let Some(p) = self.udp_peers.get_mut(&peer) {
                    p.tx_bytes += n;
                }
                self.log.push(at, Some(peer), Body::Tx(bytes));
            }
            Event::Disconnected { at, peer, reason } => {
                self.clients.remove(&peer);
                self.tails.remove(&peer);
                self.note(at, Some(peer), Note::Disconnected { peer, reason });
            }
            Event::Error { at, error } => {
                // Errors about sending also show by the send box; all go to the log.
                if error.is_about_sending() {
                    self.send_error = Some(self.error_text(&error));
                }
                self.note(at, None, Note::Error(error));
            }
            Event::Closed { at, error } => {
                if let Some(e) = &error {
                    self.session_error = Some(self.error_text(e));
                }
                self.note(at, None, Note::Closed { error });
                self.end_session();
            }
        }
    }

    /// Takes worker events for up to a time budget; asks for another frame
    /// when some are left. Returns how many were applied.
    pub fn drain_events(&mut self, ctx: Option<&egui::Context>) -> usize {
        let deadline = Instant::now() + DRAIN_BUDGET;
        let mut n = 0;
        while let Some(ev) = self.session.as_ref().and_then(Session::try_event) {
            self.apply(ev);
            n += 1;
            if n % 256 == 0 && Instant::now() >= deadline {
                if let Some(ctx) = ctx {
                    ctx.request_repaint();
                }
                break;
            }
        }
        self.clients.compact();
        self.udp_peers.compact();
        let cap = (self.settings.log_cap_mib.max(1) as usize) << 20;
        if cap != self.log.cap() {
            self.log.set_cap(cap);
        }
        n
    }

    /// Shows the whole window in `ui` and carries out what was clicked.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        crate::ui::show(self, ui);
        for a in std::mem::take(&mut self.actions) {
            self.run_action(a);
        }
        if let Some(text) = self.copy_request.take() {
            ui.ctx().copy_text(text);
        }
    }

    /// Whether the session is running (Open pressed and not yet closed).
    pub fn is_active(&self) -> bool {
        self.session.is_some()
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events(Some(ctx));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
        if std::mem::take(&mut self.trace_first_frame) {
            eprintln!("netpal: first frame");
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings_to_save());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_from_the_same_address_is_a_fresh_row() {
        let mut list = PeerList::default();
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let p = list.add(a, SystemTime::now());
        p.selected = true;
        p.rx_bytes = 10;
        list.remove(&a);
        // Back before the removal was compacted.
        let p = list.add(a, SystemTime::now());
        assert!(!p.selected);
        assert_eq!(p.rx_bytes, 0);
        list.compact();
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn a_full_udp_peer_list_drops_its_oldest_tenth() {
        let mut list = PeerList::default();
        for port in 0..100u16 {
            list.add(SocketAddr::from(([127, 0, 0, 1], port)), SystemTime::now());
        }
        list.drop_oldest();
        assert_eq!(list.len(), 90);
        assert_eq!(list.items()[0].addr.port(), 10);
        assert!(
            list.get_mut(&SocketAddr::from(([127, 0, 0, 1], 99)))
                .is_some()
        );
        assert!(
            list.get_mut(&SocketAddr::from(([127, 0, 0, 1], 5)))
                .is_none()
        );
    }
}
