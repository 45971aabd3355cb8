//! The workspace: the set of sessions, their layout (tabs and splits), the
//! global settings, and the one place where actions are routed to the
//! session they name and worker events are drained fairly.

use crate::net::{OpenSpec, Protocol, Wake, interfaces};
use crate::session::{Session, SessionAction, SessionId, SessionSettings};
use crate::ui::i18n::{Lang, Tr};
use egui_tiles::{Container, Tile, TileId, Tiles, Tree};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Settings of the whole window (each session has its own, see
/// [`SessionSettings`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub lang: Lang,
    /// A cap over all sessions' logs together; each also has its own.
    pub total_log_cap_mib: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lang: Lang::from_system(),
            total_log_cap_mib: 512,
        }
    }
}

impl Settings {
    pub fn total_log_cap(&self) -> usize {
        (self.total_log_cap_mib.max(1) as usize) << 20
    }
}

/// One saved session: its id (the layout refers to it) and its form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SavedSession {
    pub id: SessionId,
    pub settings: SessionSettings,
}

/// Storage keys, one per part, so a damaged part loses only itself.
const KEY_SETTINGS: &str = "netpal.settings";
const KEY_SESSIONS: &str = "netpal.sessions";
const KEY_LAYOUT: &str = "netpal.layout";
const KEY_FOCUSED: &str = "netpal.focused";

/// What the panels ask for; [`App::run_action`] carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Something for one session, by id.
    Session(SessionId, SessionAction),
    /// A new session in a new tab beside the focused one.
    NewSession,
    /// A new session in a new tab of this tab group.
    NewSessionIn(TileId),
    /// A new closed session with the same form as this one.
    Duplicate(SessionId),
    /// Close the session and its tab.
    CloseSession(SessionId),
    StartRename(SessionId),
    Rename(SessionId, String),
    Focus(SessionId),
    /// Focus the next session in the layout's order (Ctrl+Tab), or the
    /// one before it (`false`: Ctrl+Shift+Tab), going round.
    FocusNext(bool),
    /// Lays all sessions out anew: as tabs, side by side, or in a grid.
    Arrange(Arrangement),
    RefreshAddresses,
    /// Opens the Ports pane, or closes it.
    TogglePorts,
    /// A new TCP client session connected to this listener (a Ports row).
    PortConnect(std::net::SocketAddr),
    /// A new UDP session whose remote is this socket (a Ports row).
    PortUdp(std::net::SocketAddr),
    /// Shows the session that holds this port of NetPal's (a Ports row).
    PortSession(crate::net::ports::PortProto, u16),
}

/// Ways to lay out all sessions at once (dragging tabs makes any other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    Tabs,
    SideBySide,
    Grid,
}

/// How the app starts.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Overrides the saved or system language.
    pub lang: Option<Lang>,
    /// Sessions to open at once, each in a tab of its own.
    pub open: Vec<OpenSpec>,
}

/// Per-frame event drain budget shared by all sessions: the frame stays
/// responsive under a flood.
const DRAIN_BUDGET: Duration = Duration::from_millis(4);
/// Events one session may apply before the next session's turn.
const DRAIN_TURN: usize = 256;

pub struct App {
    pub settings: Settings,
    pub(crate) sessions: BTreeMap<SessionId, Session>,
    pub(crate) tree: Tree<SessionId>,
    /// The session the user works in: the status bar, Ctrl+W and Duplicate
    /// apply to it.
    pub(crate) focused: Option<SessionId>,
    next_id: u64,
    pub(crate) addresses: Vec<interfaces::LocalAddr>,
    pub(crate) actions: Vec<Action>,
    /// The tab being renamed and the name typed so far.
    pub(crate) renaming: Option<(SessionId, String)>,
    wake: Wake,
    /// Which session drains first next frame (turns rotate).
    drain_first: usize,
    /// Sessions opened from the command line, with their settings as opened:
    /// shown, but not saved, until the user changes one (then it is kept
    /// as any tab, so what was added to it is not lost at the next start).
    transient: HashMap<SessionId, SessionSettings>,
    /// Set by NETPAL_TRACE_STARTUP: print a line when the first frame is shown.
    trace_first_frame: bool,
    /// When a frame must come so eframe saves what the user changed.
    save_due: Option<std::time::Instant>,
    /// Global settings as loaded, and as they were after the command line
    /// applied its overrides: what the user did not change since is saved as
    /// loaded, so `--lang` never rewrites the saved default.
    loaded: Settings,
    started: Settings,
    /// The Ports pane, while it is open.
    pub(crate) ports: Option<crate::portview::PortsView>,
}

/// What a restart brings back.
#[derive(Default)]
pub struct Restored {
    pub settings: Settings,
    pub sessions: Vec<SavedSession>,
    pub layout: Option<Tree<SessionId>>,
    pub focused: Option<SessionId>,
    /// What could not be read or made no sense, and was set right.
    pub repaired: Vec<Repair>,
}

pub use crate::session::{PortField, Repair};

/// The top-level items of a RON list (`[a, (b, c), "d"]`), as text; None
/// when `text` is not a list.
fn ron_list_items(text: &str) -> Option<Vec<&str>> {
    let body = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let (mut in_str, mut escaped) = (false, false);
    for (i, c) in body.char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(body.get(start..i)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = body.get(start..)?;
    if !last.trim().is_empty() {
        items.push(last);
    }
    Some(items)
}

/// The largest log limit kept from a saved state, in MiB.
const MAX_LOG_CAP_MIB: u32 = 16 << 10;

impl Restored {
    /// Reads what `save` wrote. Each part that cannot be read is left out,
    /// so a damaged layout still brings back the sessions.
    pub fn load(storage: &dyn eframe::Storage) -> Restored {
        let mut restored = Self::read(storage);
        restored.repair();
        restored
    }

    /// The saved sessions, one by one: an entry that cannot be read is
    /// left out (and counted), not the whole list.
    fn read_sessions(storage: &dyn eframe::Storage) -> (Option<Vec<SavedSession>>, usize) {
        let Some(text) = storage.get_string(KEY_SESSIONS) else {
            return (None, 0);
        };
        if let Ok(all) = ron::from_str::<Vec<SavedSession>>(&text) {
            return (Some(all), 0);
        }
        // Read entry by entry, so one bad entry loses only itself.
        let Some(items) = ron_list_items(&text) else {
            return (None, 1);
        };
        let n = items.len();
        let ok: Vec<SavedSession> = items
            .into_iter()
            .filter_map(|t| ron::from_str(t).ok())
            .collect();
        let lost = n - ok.len();
        (Some(ok), lost)
    }

    /// Sets absurd values back to their defaults, noting each.
    fn repair(&mut self) {
        let sane = |mib: u32| (1..=MAX_LOG_CAP_MIB).contains(&mib);
        let total = &mut self.settings.total_log_cap_mib;
        if !sane(*total) {
            let now = Settings::default().total_log_cap_mib;
            self.repaired.push(Repair::LogCap { was: *total, now });
            *total = now;
        }
        for s in &mut self.sessions {
            let cap = &mut s.settings.log_cap_mib;
            if !sane(*cap) {
                let now = SessionSettings::default().log_cap_mib;
                self.repaired.push(Repair::LogCap { was: *cap, now });
                *cap = now;
            }
            // An empty field is a choice (no remote, any source port).
            let defaults = SessionSettings::default();
            for (field, value, default) in [
                (
                    PortField::Local,
                    &mut s.settings.local_port,
                    defaults.local_port,
                ),
                (
                    PortField::Remote,
                    &mut s.settings.remote_port,
                    defaults.remote_port,
                ),
                (
                    PortField::Source,
                    &mut s.settings.source_port,
                    defaults.source_port,
                ),
            ] {
                let text = value.trim();
                if !text.is_empty() && text.parse::<u16>().is_err() {
                    self.repaired.push(Repair::Port {
                        field,
                        was: std::mem::replace(value, default.clone()),
                        now: default,
                    });
                }
            }
        }
    }

    fn read(storage: &dyn eframe::Storage) -> Restored {
        let settings = eframe::get_value(storage, KEY_SETTINGS);
        let (sessions, lost) = Self::read_sessions(storage);
        if settings.is_none() && sessions.is_none() {
            // An older NetPal kept one session's form and the language
            // together under the app key; both read from it.
            let old: Option<SessionSettings> = eframe::get_value(storage, eframe::APP_KEY);
            let settings: Option<Settings> = eframe::get_value(storage, eframe::APP_KEY);
            return Restored {
                settings: settings.unwrap_or_default(),
                sessions: old
                    .map(|s| {
                        vec![SavedSession {
                            id: SessionId(1),
                            settings: s,
                        }]
                    })
                    .unwrap_or_default(),
                layout: None,
                focused: None,
                repaired: Vec::new(),
            };
        }
        Restored {
            settings: settings.unwrap_or_default(),
            sessions: sessions.unwrap_or_default(),
            layout: eframe::get_value(storage, KEY_LAYOUT),
            focused: eframe::get_value(storage, KEY_FOCUSED),
            repaired: if lost > 0 {
                vec![Repair::SessionsLeftOut(lost)]
            } else {
                Vec::new()
            },
        }
    }
}

impl App {
    /// Builds the app for eframe: fonts, the restored workspace, start options.
    pub fn new(cc: &eframe::CreationContext<'_>, opts: StartOptions) -> Self {
        crate::ui::install_fonts(&cc.egui_ctx);
        let restored = cc.storage.map(Restored::load).unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let wake: Wake = Arc::new(move || ctx.request_repaint());
        Self::restore(restored, wake, opts)
    }

    /// Builds the app state without a window (tests, benchmarks), with one
    /// session of `session` settings unless `opts` opens some.
    pub fn with_settings(settings: Settings, session: SessionSettings, wake: Wake) -> Self {
        Self::restore(
            Restored {
                settings,
                sessions: vec![SavedSession {
                    id: SessionId(1),
                    settings: session,
                }],
                layout: None,
                focused: None,
                repaired: Vec::new(),
            },
            wake,
            StartOptions::default(),
        )
    }

    /// Builds the workspace from what was saved, then applies the start
    /// options. Restored sessions start closed.
    pub fn restore(restored: Restored, wake: Wake, opts: StartOptions) -> Self {
        let mut settings = restored.settings;
        let loaded = settings.clone();
        if let Some(lang) = opts.lang {
            settings.lang = lang;
        }
        let mut app = App {
            settings,
            sessions: BTreeMap::new(),
            tree: Tree::empty(tree_id()),
            focused: None,
            next_id: 1,
            addresses: interfaces::local_addresses(),
            actions: Vec::new(),
            renaming: None,
            wake,
            drain_first: 0,
            transient: HashMap::new(),
            trace_first_frame: std::env::var_os("NETPAL_TRACE_STARTUP").is_some(),
            save_due: None,
            loaded: loaded.clone(),
            started: loaded,
            ports: None,
        };
        for s in restored.sessions {
            if app.sessions.contains_key(&s.id) {
                continue;
            }
            app.next_id = app.next_id.max(s.id.0.saturating_add(1));
            let session = Session::new(s.id, s.settings, app.wake.clone());
            app.sessions.insert(s.id, session);
        }
        app.tree = restored.layout.unwrap_or_else(|| Tree::empty(tree_id()));
        app.repair_layout();
        let focused = restored
            .focused
            .filter(|id| app.sessions.contains_key(id))
            .or_else(|| app.sessions.keys().next().copied());
        if let Some(f) = focused {
            app.focus(f);
        }
        let mut first_opened = None;
        for spec in opts.open {
            let mut s = SessionSettings::default();
            s.apply_spec(&spec);
            // A restored session with the same form is the one asked for: it
            // opens in its own tab (keeping its name and view). Otherwise the
            // spec gets a tab of its own, for this run only.
            let same = app
                .sessions
                .values()
                .find(|r| {
                    !r.is_active() && r.settings.same_endpoints(&s) && r.settings.echo == s.echo
                })
                .map(|r| r.id);
            let id = match same {
                Some(id) => {
                    app.focus(id);
                    id
                }
                None => {
                    let id = app.add_session(s.clone(), None);
                    app.transient.insert(id, s);
                    id
                }
            };
            let local_only = spec.protocol != crate::net::Protocol::TcpClient;
            if let Some(session) = app.sessions.get_mut(&id) {
                session.open_spec(spec);
                // Binding is quick and local: done before the next spec starts.
                if local_only {
                    session.wait_ready(Duration::from_millis(500));
                }
                if let Some(as_opened) = app.transient.get_mut(&id) {
                    *as_opened = session.settings.clone();
                }
            }
            first_opened.get_or_insert(id);
        }
        if app.sessions.is_empty() {
            app.add_session(SessionSettings::default(), None);
        }
        // What of the saved state was damaged or absurd is said where the
        // user looks first.
        let tr = app.tr();
        if let Some(s) = app.focused_mut() {
            for r in &restored.repaired {
                s.say(tr.repair(r));
            }
        }
        if let Some(id) = first_opened {
            app.focus(id);
        }
        app.started = app.settings.clone();
        app
    }

    /// Makes the layout hold each session exactly once: panes of sessions
    /// that no longer exist (or repeated ones) go, missing sessions get tabs.
    fn repair_layout(&mut self) {
        let mut seen = HashSet::new();
        let bad: Vec<TileId> = self
            .tree
            .tiles
            .iter()
            .filter_map(|(tid, tile)| match tile {
                Tile::Pane(id) if !self.sessions.contains_key(id) || !seen.insert(*id) => {
                    Some(*tid)
                }
                _ => None,
            })
            .collect();
        for t in bad {
            self.tree.remove_recursively(t);
        }
        // Containers that refer to tiles that do not exist are dropped too.
        let known: HashSet<TileId> = self.tree.tiles.tile_ids().collect();
        let dangling: Vec<TileId> = self
            .tree
            .tiles
            .iter()
            .filter_map(|(tid, tile)| match tile {
                Tile::Container(c) if c.children().any(|ch| !known.contains(ch)) => Some(*tid),
                _ => None,
            })
            .collect();
        for t in dangling {
            if let Some(Tile::Container(c)) = self.tree.tiles.get_mut(t) {
                c.retain(|ch| known.contains(&ch));
            }
        }
        if self
            .tree
            .root()
            .is_some_and(|r| self.tree.tiles.get(r).is_none())
        {
            self.tree = Tree::empty(tree_id());
        }
        self.tree.tiles.recompute_next_tile_id();
        // Tiles the root cannot reach go (egui_tiles would drop them on the
        // first frame); sessions without a reachable pane get a tab.
        self.tree.simplify(&crate::ui::workspace::SIMPLIFY);
        let mut reachable = Vec::new();
        if let Some(root) = self.tree.root() {
            collect_panes(&self.tree.tiles, root, &mut reachable);
        }
        let orphans: Vec<TileId> = self
            .tree
            .tiles
            .iter()
            .filter_map(|(tid, tile)| match tile {
                Tile::Pane(id) if !reachable.contains(id) => Some(*tid),
                _ => None,
            })
            .collect();
        for t in orphans {
            self.tree.tiles.remove(t);
        }
        let missing: Vec<SessionId> = self
            .sessions
            .keys()
            .filter(|id| !reachable.contains(*id))
            .copied()
            .collect();
        for id in missing {
            self.insert_pane(id, None);
        }
        self.tree.simplify(&crate::ui::workspace::SIMPLIFY);
    }

    /// Puts a tab for `id` into the tab group `into`, or the focused
    /// session's group, or the root.
    fn insert_pane(&mut self, id: SessionId, into: Option<TileId>) {
        let pane = self.tree.tiles.insert_pane(id);
        let group = into
            .filter(|t| {
                matches!(
                    self.tree.tiles.get(*t),
                    Some(Tile::Container(Container::Tabs(_)))
                )
            })
            .or_else(|| {
                let focused = self.focused?;
                let tile = self.tree.tiles.find_pane(&focused)?;
                self.tree.tiles.parent_of(tile)
            })
            .or(self.tree.root());
        match group.and_then(|g| self.tree.tiles.get_mut(g)) {
            Some(Tile::Container(c)) => {
                c.add_child(pane);
                if let Container::Tabs(tabs) = c {
                    tabs.set_active(pane);
                }
            }
            _ => {
                // No layout yet (or the root is a lone pane): a tab group
                // holding what was there and the new tab.
                let mut children: Vec<TileId> = self.tree.root().into_iter().collect();
                children.push(pane);
                let root = self.tree.tiles.insert_tab_tile(children);
                if let Some(Tile::Container(Container::Tabs(tabs))) = self.tree.tiles.get_mut(root)
                {
                    tabs.set_active(pane);
                }
                self.tree.root = Some(root);
            }
        }
    }

    /// Adds a closed session with `settings` in a new tab and focuses it.
    fn add_session(&mut self, settings: SessionSettings, into: Option<TileId>) -> SessionId {
        let id = SessionId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        self.sessions
            .insert(id, Session::new(id, settings, self.wake.clone()));
        self.insert_pane(id, into);
        self.focus(id);
        id
    }

    /// A new session from a spec, opened at once (the Ports pane's
    /// actions; the spec is NetPal's own, so it parses).
    fn open_spec(&mut self, spec: &str) {
        let Ok(spec) = OpenSpec::parse(spec) else {
            return;
        };
        let mut settings = SessionSettings::default();
        settings.apply_spec(&spec);
        let id = self.add_session(settings, None);
        let tr = self.tr();
        if let Some(s) = self.sessions.get_mut(&id) {
            s.run_action(SessionAction::Open, tr);
        }
    }

    /// The open session that holds `port`: bound to it, or with a
    /// connection from it (a client's own port).
    fn session_with_port(
        &self,
        proto: crate::net::ports::PortProto,
        port: u16,
    ) -> Option<SessionId> {
        use crate::net::ports::PortProto;
        self.sessions
            .values()
            .filter(|s| s.is_active())
            .find(|s| {
                let tcp = matches!(
                    s.protocol(),
                    Protocol::TcpServer | Protocol::TcpClient | Protocol::Relay
                );
                let kind_fits = match proto {
                    PortProto::Tcp => tcp,
                    PortProto::Udp => matches!(s.protocol(), Protocol::Udp | Protocol::UdpRelay),
                };
                kind_fits && s.local_addr().is_some_and(|a| a.port() == port)
            })
            .map(|s| s.id)
    }

    /// Lays every session out anew, in the order of their tabs today.
    fn arrange(&mut self, how: Arrangement) {
        let mut order: Vec<SessionId> = Vec::new();
        if let Some(root) = self.tree.root() {
            collect_panes(&self.tree.tiles, root, &mut order);
        }
        for id in self.sessions.keys() {
            if !order.contains(id) {
                order.push(*id);
            }
        }
        let panes = order
            .into_iter()
            .filter(|id| self.sessions.contains_key(id));
        let panes: Vec<SessionId> = panes.collect();
        self.tree = match how {
            Arrangement::Tabs => Tree::new_tabs(tree_id(), panes),
            Arrangement::SideBySide => Tree::new_horizontal(tree_id(), panes),
            Arrangement::Grid => Tree::new_grid(tree_id(), panes),
        };
        self.tree.simplify(&crate::ui::workspace::SIMPLIFY);
        if let Some(f) = self.focused {
            self.focus(f);
        }
    }

    /// Makes `id` the focused session and its tab the shown one.
    fn focus(&mut self, id: SessionId) {
        if !self.sessions.contains_key(&id) {
            return;
        }
        self.focused = Some(id);
        self.tree
            .make_active(|_, tile| matches!(tile, Tile::Pane(p) if *p == id));
    }

    /// The sessions in the order their tabs and panes are laid out: left
    /// to right and top to bottom through the layout, each tab group's
    /// tabs in their order.
    pub(crate) fn layout_order(&self) -> Vec<SessionId> {
        let mut order = Vec::new();
        let mut todo: Vec<TileId> = self.tree.root().into_iter().collect();
        while let Some(tile) = todo.pop() {
            match self.tree.tiles.get(tile) {
                Some(Tile::Pane(id)) => order.push(*id),
                Some(Tile::Container(c)) => todo.extend(c.children_vec().into_iter().rev()),
                None => {}
            }
        }
        // A session the layout lost still takes its turn.
        let lost: Vec<SessionId> = self
            .sessions
            .keys()
            .filter(|id| !order.contains(id))
            .copied()
            .collect();
        order.extend(lost);
        order
    }

    /// The session after (or before) the focused one in the layout's order.
    fn neighbour(&self, forward: bool) -> Option<SessionId> {
        let order = self.layout_order();
        let n = order.len();
        if n == 0 {
            return None;
        }
        let at = self
            .focused
            .and_then(|f| order.iter().position(|id| *id == f));
        let next = match (at, forward) {
            (None, _) => 0,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        order.get(next).copied()
    }

    /// The session shown in the tab group `group`, if any.
    pub(crate) fn shown_in_group(&self, group: Option<TileId>) -> Option<SessionId> {
        match self.tree.tiles.get(group?) {
            Some(Tile::Container(Container::Tabs(tabs))) => {
                self.tree.tiles.get_pane(&tabs.active?).copied()
            }
            _ => None,
        }
    }

    /// The tab group holding session `id`.
    pub(crate) fn group_of(&self, id: SessionId) -> Option<TileId> {
        let tile = self.tree.tiles.find_pane(&id)?;
        self.tree.tiles.parent_of(tile)
    }

    /// Removes the session and its tab. Its worker is told to close and
    /// ends by itself: a busy session never blocks the UI.
    fn close_session(&mut self, id: SessionId) {
        let group = self.group_of(id);
        let closed = self.tree.tiles.find_pane(&id);
        // The tab that takes a closed tab's place is its neighbour, as in
        // every tabbed program: the one to its right, else to its left.
        let neighbour = match group.and_then(|g| self.tree.tiles.get(g)) {
            Some(Tile::Container(Container::Tabs(tabs))) => {
                let kids = &tabs.children;
                kids.iter()
                    .position(|t| Some(*t) == closed)
                    .and_then(|at| {
                        kids.get(at + 1)
                            .or_else(|| at.checked_sub(1).and_then(|i| kids.get(i)))
                    })
                    .copied()
            }
            _ => None,
        };
        if let Some(tile) = closed {
            self.tree.remove_recursively(tile);
        }
        if self
            .tree
            .root()
            .is_some_and(|r| self.tree.tiles.get(r).is_none())
        {
            self.tree.root = None;
        }
        // Empty tab groups go at once (the last tab leaves an empty workspace).
        self.tree.simplify(&crate::ui::workspace::SIMPLIFY);
        if let Some(mut s) = self.sessions.remove(&id) {
            s.close_in_background();
        }
        self.transient.remove(&id);
        if self.renaming.as_ref().is_some_and(|(r, _)| *r == id) {
            self.renaming = None;
        }
        if self.focused == Some(id) {
            // The tab that takes the closed one's place, else any shown one.
            if let Some(g) = group
                && let Some(mut tile) = self.tree.tiles.remove(g)
            {
                if let Tile::Container(Container::Tabs(tabs)) = &mut tile {
                    if neighbour.is_some_and(|n| tabs.children.contains(&n)) {
                        tabs.active = neighbour;
                    }
                    tabs.ensure_active(&self.tree.tiles);
                }
                self.tree.tiles.insert(g, tile);
            }
            self.focused = self.shown_in_group(group).or_else(|| {
                self.tree.active_tiles().iter().find_map(|t| {
                    self.tree
                        .tiles
                        .get_pane(t)
                        .copied()
                        .filter(|p| self.sessions.contains_key(p))
                })
            });
            if self.focused.is_none() {
                self.focused = self.sessions.keys().next().copied();
            }
        }
        if let Some(f) = self.focused {
            self.focus(f);
        }
    }

    pub fn tr(&self) -> &'static Tr {
        self.settings.lang.tr()
    }

    /// The sessions, in the order they were made.
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }

    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    /// The session the user works in.
    pub fn focused(&self) -> Option<&Session> {
        self.focused.and_then(|id| self.sessions.get(&id))
    }

    pub fn focused_mut(&mut self) -> Option<&mut Session> {
        self.focused.and_then(|id| self.sessions.get_mut(&id))
    }

    /// The Ports pane's state, while it is open.
    pub fn ports(&self) -> Option<&crate::portview::PortsView> {
        self.ports.as_ref()
    }

    pub fn focused_id(&self) -> Option<SessionId> {
        self.focused
    }

    /// How many sessions have a running worker.
    pub fn open_count(&self) -> usize {
        self.sessions.values().filter(|s| s.is_active()).count()
    }

    /// Carries out one action.
    pub fn run_action(&mut self, action: Action) {
        let tr = self.tr();
        match action {
            Action::Session(id, a) => {
                if let Some(s) = self.sessions.get_mut(&id) {
                    s.run_action(a, tr);
                }
            }
            Action::NewSession => {
                self.add_session(SessionSettings::default(), None);
            }
            Action::TogglePorts => {
                self.ports = match self.ports.take() {
                    Some(_) => None,
                    None => Some(crate::portview::PortsView::open(self.wake.clone())),
                };
            }
            Action::PortConnect(at) => {
                let host = reachable(at);
                self.open_spec(&format!("tcp-client:{host}"));
            }
            Action::PortUdp(at) => {
                let any = if at.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" };
                let to = reachable(at);
                self.open_spec(&format!("udp:{any},remote={to}"));
            }
            Action::PortSession(proto, port) => {
                if let Some(id) = self.session_with_port(proto, port) {
                    self.focus(id);
                }
            }
            Action::NewSessionIn(group) => {
                self.add_session(SessionSettings::default(), Some(group));
            }
            Action::Duplicate(id) => {
                if let Some(s) = self.sessions.get(&id) {
                    let settings = SessionSettings {
                        name: if s.settings.name.is_empty() {
                            String::new()
                        } else {
                            format!("{} (2)", s.settings.name)
                        },
                        ..s.settings.clone()
                    };
                    self.focused = Some(id);
                    self.add_session(settings, None);
                }
            }
            Action::CloseSession(id) => self.close_session(id),
            Action::StartRename(id) => {
                if let Some(s) = self.sessions.get(&id) {
                    let current = crate::ui::workspace::tab_title(s, tr);
                    self.renaming = Some((id, current));
                }
            }
            Action::Rename(id, name) => {
                self.renaming = None;
                if let Some(s) = self.sessions.get_mut(&id) {
                    let automatic = crate::ui::workspace::automatic_title(s, tr);
                    let name = name.trim();
                    // Confirming the automatic title keeps it automatic.
                    s.settings.name = if name == automatic {
                        String::new()
                    } else {
                        name.to_string()
                    };
                }
            }
            Action::Focus(id) => self.focus(id),
            Action::FocusNext(forward) => {
                if let Some(id) = self.neighbour(forward) {
                    self.focus(id);
                }
            }
            Action::Arrange(how) => self.arrange(how),
            Action::RefreshAddresses => self.addresses = interfaces::local_addresses(),
        }
    }

    /// Takes worker events from every session within one shared time
    /// budget. Sessions take turns of [`DRAIN_TURN`] events, starting with a
    /// different one each frame, so a flood in one cannot starve the others.
    /// Asks for another frame when events are left. Returns how many were
    /// applied.
    pub fn drain_events(&mut self, ctx: Option<&egui::Context>) -> usize {
        let deadline = Instant::now() + DRAIN_BUDGET;
        let ids: Vec<SessionId> = self.sessions.keys().copied().collect();
        let mut total = 0;
        let mut left = false;
        if !ids.is_empty() {
            let first = self.drain_first % ids.len();
            self.drain_first = self.drain_first.wrapping_add(1);
            let mut busy: Vec<SessionId> =
                ids[first..].iter().chain(&ids[..first]).copied().collect();
            while !busy.is_empty() {
                let mut still = Vec::new();
                for id in &busy {
                    if Instant::now() >= deadline {
                        still.push(*id);
                        continue;
                    }
                    let Some(s) = self.sessions.get_mut(id) else {
                        continue;
                    };
                    let (n, more) = s.drain(DRAIN_TURN, deadline);
                    total += n;
                    if more {
                        still.push(*id);
                    }
                }
                busy = still;
                if Instant::now() >= deadline {
                    left = !busy.is_empty();
                    break;
                }
            }
        }
        for s in self.sessions.values_mut() {
            s.tidy();
        }
        self.apply_total_cap();
        if left && let Some(ctx) = ctx {
            ctx.request_repaint();
        }
        total
    }

    /// Keeps all logs together under the total cap: the largest log gives
    /// way first, so one flooded session does not erase the quiet ones.
    fn apply_total_cap(&mut self) {
        let cap = self.settings.total_log_cap();
        let mut total: usize = self.sessions.values().map(|s| s.log.bytes()).sum();
        if total <= cap {
            return;
        }
        let mut by_size: Vec<&mut Session> = self.sessions.values_mut().collect();
        by_size.sort_by_key(|s| std::cmp::Reverse(s.log.bytes()));
        // Largest first; a log down to its last record lets the next one give way.
        for s in by_size {
            if total <= cap {
                break;
            }
            let before = s.log.bytes();
            s.log.shrink_to(before.saturating_sub(total - cap));
            total -= before - s.log.bytes();
        }
    }

    /// Shows the whole window in `ui` and carries out what was clicked.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        crate::ui::show(self, ui);
        for a in std::mem::take(&mut self.actions) {
            self.run_action(a);
        }
        for s in self.sessions.values_mut() {
            if let Some(text) = s.copy_request.take() {
                ui.ctx().copy_text(text);
            }
        }
    }

    /// A tab the command line opened becomes a tab like any other once the
    /// user changes it: its quick commands, rules and settings are saved.
    pub fn keep_changed_tabs(&mut self) {
        if self.transient.is_empty() {
            return;
        }
        let sessions = &self.sessions;
        self.transient
            .retain(|id, as_opened| sessions.get(id).is_some_and(|s| s.settings == *as_opened));
    }

    /// What to save: the global settings (command-line overrides left out),
    /// every session's form but those the command line opened, the layout.
    pub fn to_save(&self) -> (Settings, Vec<SavedSession>, Tree<SessionId>) {
        let mut settings = self.settings.clone();
        if settings.lang == self.started.lang {
            settings.lang = self.loaded.lang;
        }
        let sessions = self
            .sessions
            .values()
            .filter(|s| !self.transient.contains_key(&s.id))
            .map(|s| SavedSession {
                id: s.id,
                settings: s.settings.clone(),
            })
            .collect();
        let mut tree = self.tree.clone();
        for id in self.transient.keys() {
            if let Some(t) = tree.tiles.find_pane(id) {
                tree.remove_recursively(t);
            }
        }
        (settings, sessions, tree)
    }

    /// Closes every session (the window is closing).
    pub fn close_all(&mut self) {
        for s in self.sessions.values_mut() {
            s.close();
        }
    }
}

/// How soon after a change the settings are saved (eframe saves on the
/// first frame this long after its last save).
pub const SAVE_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// The layout's id (the same across restarts, so egui's memory of it holds).
fn tree_id() -> egui::Id {
    egui::Id::unique("netpal_tiles")
}

/// The sessions under `tile`, in the order their tabs show them.
pub(crate) fn collect_panes(tiles: &Tiles<SessionId>, tile: TileId, out: &mut Vec<SessionId>) {
    match tiles.get(tile) {
        Some(Tile::Pane(id)) if !out.contains(id) => out.push(*id),
        Some(Tile::Pane(_)) => {}
        Some(Tile::Container(c)) => {
            for child in c.children() {
                collect_panes(tiles, *child, out);
            }
        }
        None => {}
    }
}

/// Where a client reaches a socket bound to `at`: a wildcard address is
/// this machine's loopback.
fn reachable(at: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    match at.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => (Ipv4Addr::LOCALHOST, at.port()).into(),
        IpAddr::V6(v6) if v6.is_unspecified() => (Ipv6Addr::LOCALHOST, at.port()).into(),
        _ => at,
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events(Some(ctx));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
        self.keep_changed_tabs();
        // What the user did may have changed the settings: one more frame
        // after the save interval lets eframe save them, so a killed or
        // crashed app keeps them. An idle app has no such frame.
        // (Asked again every frame until then: egui forgets a delayed
        // request when an earlier frame comes first.)
        let acted = ui.ctx().input(|i| {
            i.events.iter().any(|e| {
                matches!(
                    e,
                    egui::Event::Text(_)
                        | egui::Event::Key { .. }
                        | egui::Event::PointerButton { .. }
                        | egui::Event::Paste(_)
                        | egui::Event::Cut
                        | egui::Event::MouseWheel { .. }
                        | egui::Event::Ime(_)
                        | egui::Event::Touch { .. }
                )
            }) || !i.raw.dropped_files.is_empty()
        });
        let now = std::time::Instant::now();
        if acted {
            self.save_due = Some(now + SAVE_AFTER + SAVE_AFTER / 4);
        }
        match self.save_due {
            Some(due) if due > now => ui.ctx().request_repaint_after(due - now),
            Some(_) => self.save_due = None,
            None => {}
        }
        if std::mem::take(&mut self.trace_first_frame) {
            eprintln!("netpal: first frame");
        }
    }

    fn auto_save_interval(&self) -> std::time::Duration {
        SAVE_AFTER
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let (settings, sessions, tree) = self.to_save();
        eframe::set_value(storage, KEY_SETTINGS, &settings);
        eframe::set_value(storage, KEY_SESSIONS, &sessions);
        eframe::set_value(storage, KEY_LAYOUT, &tree);
        eframe::set_value(storage, KEY_FOCUSED, &self.focused);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.close_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(id: u64) -> SavedSession {
        SavedSession {
            id: SessionId(id),
            settings: SessionSettings::default(),
        }
    }

    /// Every pane tile of the layout, reachable or not, repeats included.
    fn panes(app: &App) -> Vec<SessionId> {
        let mut out: Vec<SessionId> = app
            .tree
            .tiles
            .tiles()
            .filter_map(|t| match t {
                Tile::Pane(id) => Some(*id),
                Tile::Container(_) => None,
            })
            .collect();
        out.sort();
        let mut reachable = Vec::new();
        if let Some(root) = app.tree.root() {
            collect_panes(&app.tree.tiles, root, &mut reachable);
        }
        reachable.sort();
        assert_eq!(out, reachable, "a pane the root does not reach");
        out
    }

    #[test]
    fn ron_list_items_split_at_the_top_level_only() {
        let items = ron_list_items(r#"[(a:"x,(y\"]"),(b:[1,2]) , 3]"#).unwrap();
        assert_eq!(items, [r#"(a:"x,(y\"]")"#, "(b:[1,2]) ", " 3"]);
        assert_eq!(ron_list_items("[]").unwrap(), Vec::<&str>::new());
        assert!(ron_list_items("(a:1)").is_none());
    }

    #[test]
    fn a_saved_layout_is_repaired_to_hold_each_session_once() {
        // The layout names a session that is gone (9) and one twice (1), and
        // lacks one that exists (2).
        let layout =
            Tree::new_horizontal(tree_id(), vec![SessionId(1), SessionId(9), SessionId(1)]);
        let app = App::restore(
            Restored {
                settings: Settings::default(),
                sessions: vec![saved(1), saved(2)],
                layout: Some(layout),
                focused: Some(SessionId(9)),
                repaired: Vec::new(),
            },
            Arc::new(|| {}),
            StartOptions::default(),
        );
        assert_eq!(panes(&app), [SessionId(1), SessionId(2)]);
        assert_eq!(app.sessions().count(), 2);
        assert!(app.focused().is_some());
        assert_eq!(app.open_count(), 0, "restored sessions start closed");
    }

    #[test]
    fn a_saved_layout_whose_root_is_gone_still_gives_every_session_a_tab() {
        let mut layout = Tree::new_tabs(tree_id(), vec![SessionId(1), SessionId(2)]);
        layout.root = Some(TileId::from_u64(999));
        let app = App::restore(
            Restored {
                sessions: vec![saved(1), saved(2)],
                layout: Some(layout),
                ..Restored::default()
            },
            Arc::new(|| {}),
            StartOptions::default(),
        );
        assert_eq!(panes(&app), [SessionId(1), SessionId(2)]);
    }

    #[test]
    fn closing_the_last_tab_leaves_an_empty_workspace_that_takes_a_new_one() {
        let mut app = App::restore(
            Restored::default(),
            Arc::new(|| {}),
            StartOptions::default(),
        );
        let first = app.focused_id().expect("a first session");
        app.run_action(Action::CloseSession(first));
        assert_eq!(app.sessions().count(), 0);
        assert!(app.tree.is_empty());
        app.run_action(Action::NewSession);
        assert_eq!(panes(&app).len(), 1);
        assert!(app.focused().is_some());
    }

    #[test]
    fn the_total_cap_takes_from_the_largest_log_first() {
        let mut app = App::restore(
            Restored::default(),
            Arc::new(|| {}),
            StartOptions::default(),
        );
        app.settings.total_log_cap_mib = 8;
        app.run_action(Action::NewSession);
        let ids: Vec<SessionId> = app.sessions.keys().copied().collect();
        let now = std::time::SystemTime::now();
        let (big, small) = (ids[0], ids[1]);
        for _ in 0..200 {
            if let Some(s) = app.sessions.get_mut(&big) {
                s.log
                    .push(now, None, crate::log::Body::Rx(vec![0; 64 * 1024].into()));
            }
        }
        if let Some(s) = app.sessions.get_mut(&small) {
            s.log
                .push(now, None, crate::log::Body::Rx(vec![1; 100].into()));
        }
        app.drain_events(None);
        let total: usize = app.sessions().map(|s| s.log().bytes()).sum();
        assert!(total <= 8 << 20, "{total} bytes kept");
        assert_eq!(app.session(small).map(|s| s.log().len()), Some(1));
        assert!(
            app.session(big)
                .is_some_and(|s| s.log().dropped_records() > 0)
        );
    }

    #[test]
    fn an_open_spec_opens_the_restored_session_with_the_same_form() {
        let spec = OpenSpec::parse("tcp-server:127.0.0.1:0").expect("spec");
        let mut named = SessionSettings::default();
        named.apply_spec(&spec);
        named.name = "my server".into();
        let app = App::restore(
            Restored {
                sessions: vec![
                    saved(1),
                    SavedSession {
                        id: SessionId(2),
                        settings: named,
                    },
                ],
                ..Restored::default()
            },
            Arc::new(|| {}),
            StartOptions {
                lang: None,
                open: vec![spec],
            },
        );
        // No new tab: the saved one is opened, and stays saved.
        assert_eq!(app.sessions().count(), 2);
        assert!(app.session(SessionId(2)).is_some_and(Session::is_active));
        assert_eq!(app.focused_id(), Some(SessionId(2)));
        assert_eq!(app.to_save().1.len(), 2);
        // A spec no saved session matches gets a tab for this run only.
        let other = OpenSpec::parse("udp:127.0.0.1:0").expect("spec");
        let app = App::restore(
            Restored {
                sessions: vec![saved(1)],
                ..Restored::default()
            },
            Arc::new(|| {}),
            StartOptions {
                lang: None,
                open: vec![other],
            },
        );
        assert_eq!(app.sessions().count(), 2);
        assert_eq!(app.to_save().1.len(), 1);
    }

    #[test]
    fn close_returns_at_once_and_what_was_queued_still_arrives() {
        let mut app = App::restore(
            Restored::default(),
            Arc::new(|| {}),
            StartOptions::default(),
        );
        let id = app.focused_id().expect("a session");
        let spec = OpenSpec::parse("udp:127.0.0.1:0").expect("spec");
        let s = app.sessions.get_mut(&id).expect("the session");
        s.open_spec(spec);
        s.wait_ready(std::time::Duration::from_secs(5));
        let to = s.local_addr().expect("bound");
        // Datagrams the UI has not taken yet when the user clicks Close.
        const N: u64 = 2000;
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").expect("peer");
        for i in 0..N {
            peer.send_to(&i.to_be_bytes(), to).expect("send");
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app.session(id).map_or(0, Session::queued_bytes) < (N as usize) * 72 {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker never read them"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        app.run_action(Action::Session(id, SessionAction::Close));
        let s = app.session(id).expect("the session");
        assert!(!s.is_active());
        assert_eq!(
            s.counters().rx_packets,
            0,
            "Close applied the backlog at once"
        );
        // Frames drain it: every datagram is counted and logged.
        while app.session(id).is_some_and(|s| s.counters().rx_packets < N) {
            assert!(std::time::Instant::now() < deadline, "the backlog was lost");
            app.drain_events(None);
        }
        let s = app.session(id).expect("the session");
        assert_eq!(s.counters().rx_packets, N);
        assert!(s.log().iter().any(|r| matches!(
            &r.body,
            crate::log::Body::Note(crate::log::Note::Closed { .. })
        )));
    }
}
