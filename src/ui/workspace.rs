//! The workspace around the sessions: the toolbar, and the sessions as
//! tabs that can be dragged into splits and grids (egui_tiles).

use crate::app::{Action, App, Arrangement};
use crate::net::Protocol;
use crate::session::{Session, SessionId};
use crate::ui::i18n::{Lang, Tr};
use crate::ui::{Cx, session_view, status};
use egui::accesskit::Role;
use egui::{Color32, Id, Key, Response, RichText, Sense, Stroke, TextStyle, Vec2};
use egui_tiles::{SimplificationOptions, TabState, TileId, Tiles, UiResponse};
use std::collections::BTreeMap;

/// Every session keeps a tab (with its title, state and ×), even alone in
/// a split.
pub const SIMPLIFY: SimplificationOptions = SimplificationOptions {
    prune_empty_tabs: true,
    prune_empty_containers: true,
    prune_single_child_tabs: true,
    prune_single_child_containers: true,
    all_panes_must_have_tabs: true,
    join_nested_linear_containers: true,
    flatten_tabs_in_tabs: false,
};

/// The title a session gets when the user has not named it: its kind and
/// its bound or remote address.
pub fn automatic_title(s: &Session, tr: &Tr) -> String {
    let kind = tr.protocol_name(s.protocol());
    let st = &s.settings;
    let form_local = || format!("{}:{}", st.local_ip, st.local_port);
    let form_remote = || {
        if st.remote_host.contains(':') {
            format!("[{}]:{}", st.remote_host, st.remote_port)
        } else {
            format!("{}:{}", st.remote_host, st.remote_port)
        }
    };
    match s.protocol() {
        // A connected client also shows its own port, which tells apart
        // several clients of one server (and matches the server's list).
        Protocol::TcpClient => match (s.remote_peer(), s.local_addr()) {
            (Some(peer), Some(local)) if s.is_active() => {
                format!("{kind} :{} → {peer}", local.port())
            }
            _ => format!("{kind} → {}", form_remote()),
        },
        Protocol::TcpServer | Protocol::Udp => {
            let at = s
                .local_addr()
                .filter(|_| s.is_active())
                .map_or_else(form_local, |a| a.to_string());
            format!("{kind} {at}")
        }
        Protocol::Relay | Protocol::UdpRelay => {
            let at = s
                .local_addr()
                .filter(|_| s.is_active())
                .map_or_else(form_local, |a| a.to_string());
            format!("{kind} {at} ⇄ {}", form_remote())
        }
        Protocol::UnixServer | Protocol::UnixDgram => format!("{kind} {}", st.unix_path.trim()),
        Protocol::UnixClient => format!("{kind} → {}", st.unix_remote.trim()),
    }
}

/// The tab's title: the user's name for it, or the automatic one.
pub fn tab_title(s: &Session, tr: &Tr) -> String {
    if s.settings.name.trim().is_empty() {
        automatic_title(s, tr)
    } else {
        s.settings.name.clone()
    }
}

/// The toolbar: new session, duplicate, language, the total log cap.
pub fn toolbar(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    ui.horizontal(|ui| {
        if ui
            .button(format!("+ {}", tr.new_session))
            .on_hover_text(format!("{} — {}", tr.new_session_hint, tr.split_hint))
            .clicked()
        {
            app.actions.push(Action::NewSession);
        }
        let focused = app.focused;
        if ui
            .add_enabled(focused.is_some(), egui::Button::new(tr.duplicate))
            .clicked()
            && let Some(id) = focused
        {
            app.actions.push(Action::Duplicate(id));
        }
        ui.separator();
        for (how, text) in [
            (Arrangement::Tabs, tr.arrange_tabs),
            (Arrangement::SideBySide, tr.arrange_side_by_side),
            (Arrangement::Grid, tr.arrange_grid),
        ] {
            if ui.button(text).on_hover_text(tr.split_hint).clicked() {
                app.actions.push(Action::Arrange(how));
            }
        }
        ui.separator();
        if ui
            .selectable_label(app.ports.is_some(), tr.ports_button())
            .on_hover_text(tr.ports_hint())
            .clicked()
        {
            app.actions.push(Action::TogglePorts);
        }
        ui.separator();
        let label = ui.label(tr.language);
        egui::ComboBox::from_id_salt("language")
            .selected_text(app.settings.lang.name())
            .show_ui(ui, |ui| {
                for l in [Lang::Zh, Lang::En] {
                    ui.selectable_value(&mut app.settings.lang, l, l.name());
                }
            })
            .response
            .labelled_by(label.id);
        ui.separator();
        let label = ui.label(tr.total_log_limit_mib);
        ui.add(egui::DragValue::new(&mut app.settings.total_log_cap_mib).range(1..=65536))
            .labelled_by(label.id);
    });
}

/// The tabs and splits, each pane a session.
pub fn tiles(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    if app.tree.is_empty() {
        ui.centered_and_justified(|ui| ui.weak(tr.no_sessions));
        return;
    }
    let panes_shown_before = app.sessions.values().filter(|s| s.shown).count();
    let mut behavior = Workspace {
        sessions: &mut app.sessions,
        actions: &mut app.actions,
        addresses: &app.addresses,
        renaming: &mut app.renaming,
        focused: app.focused,
        tr,
        shown: Vec::new(),
        panes_shown_before,
        total_log_cap: app.settings.total_log_cap(),
    };
    app.tree.ui(&mut behavior, ui);
    let shown = std::mem::take(&mut behavior.shown);
    // Tabs change by dragging too: the focused session stays one on screen,
    // preferably the one now shown in its tab group.
    if let Some(f) = app.focused
        && !shown.is_empty()
        && !shown.contains(&f)
    {
        let in_group = app.shown_in_group(app.group_of(f));
        app.focused = in_group
            .filter(|p| shown.contains(p))
            .or(shown.first().copied());
    }
    for s in app.sessions.values_mut() {
        s.shown = shown.contains(&s.id);
        if s.shown {
            s.unread = 0;
        }
    }
}

struct Workspace<'a> {
    sessions: &'a mut BTreeMap<SessionId, Session>,
    actions: &'a mut Vec<Action>,
    addresses: &'a [crate::net::interfaces::LocalAddr],
    renaming: &'a mut Option<(SessionId, String)>,
    focused: Option<SessionId>,
    tr: &'static Tr,
    /// Sessions whose pane was shown this frame.
    shown: Vec<SessionId>,
    /// How many panes the last frame showed (the focused one is marked
    /// only when there are several).
    panes_shown_before: usize,
    total_log_cap: usize,
}

impl Workspace<'_> {
    /// The tab's words: title, then the count of unseen records.
    fn title(&self, id: SessionId) -> String {
        let Some(s) = self.sessions.get(&id) else {
            return String::new();
        };
        let mut t = tab_title(s, self.tr);
        if s.unread() > 0 {
            t.push_str(&format!("  ({})", self.tr.unread_count(s.unread())));
        }
        t
    }
}

impl egui_tiles::Behavior<SessionId> for Workspace<'_> {
    fn pane_ui(&mut self, ui: &mut egui::Ui, _tile_id: TileId, id: &mut SessionId) -> UiResponse {
        let id = *id;
        let Some(s) = self.sessions.get_mut(&id) else {
            return UiResponse::None;
        };
        // A press anywhere in a pane makes it the focused session.
        let rect = ui.max_rect();
        if self.focused != Some(id)
            && ui.input(|i| i.pointer.any_pressed())
            && ui.rect_contains_pointer(rect)
        {
            self.actions.push(Action::Focus(id));
        }
        self.shown.push(id);
        let mut cx = Cx {
            tr: self.tr,
            actions: self.actions,
            addresses: self.addresses,
            total_log_cap: self.total_log_cap,
        };
        ui.push_id(id, |ui| session_view(s, &mut cx, ui));
        if self.focused == Some(id) && self.panes_shown_before > 1 {
            // A thin accent line marks the focused one of several panes.
            let stroke = Stroke::new(1.5, ui.visuals().selection.stroke.color);
            ui.painter()
                .rect_stroke(rect, 0.0, stroke, egui::StrokeKind::Inside);
        }
        UiResponse::None
    }

    fn tab_title_for_pane(&mut self, id: &SessionId) -> egui::WidgetText {
        self.title(*id).into()
    }

    /// A tab that holds a split (a tab dragged onto a tab bar with its
    /// neighbours) says so, and how many sessions it holds.
    fn tab_title_for_tile(
        &mut self,
        tiles: &Tiles<SessionId>,
        tile_id: TileId,
    ) -> egui::WidgetText {
        match tiles.get(tile_id) {
            Some(egui_tiles::Tile::Pane(id)) => self.title(*id).into(),
            Some(egui_tiles::Tile::Container(_)) => {
                let mut n = Vec::new();
                crate::app::collect_panes(tiles, tile_id, &mut n);
                format!("{} ({})", self.tr.split_group, n.len()).into()
            }
            None => String::new().into(),
        }
    }

    fn tab_ui(
        &mut self,
        tiles: &mut Tiles<SessionId>,
        ui: &mut egui::Ui,
        id: Id,
        tile_id: TileId,
        state: &TabState,
    ) -> Response {
        let pane = tiles.get_pane(&tile_id).copied();
        // A tab being renamed is a text field until Enter or a click elsewhere.
        if let (Some(sid), Some((rid, name))) = (pane, self.renaming.as_mut())
            && sid == *rid
        {
            let r = ui.add(
                egui::TextEdit::singleline(name)
                    .desired_width(160.0)
                    .id(id.with("rename")),
            );
            let r = r.accessible_name(self.tr.tab_name);
            if !r.has_focus() && !r.lost_focus() {
                r.request_focus();
            }
            if r.lost_focus() {
                let cancelled = ui.input(|i| i.key_pressed(Key::Escape));
                let name = name.clone();
                *self.renaming = None;
                if !cancelled {
                    self.actions.push(Action::Rename(sid, name));
                }
            }
            return r;
        }
        let title = match pane {
            Some(sid) => self.title(sid),
            None => self.tab_title_for_tile(tiles, tile_id).text().to_string(),
        };
        let dot = pane
            .and_then(|sid| self.sessions.get(&sid))
            .map(|s| status::state_color(s, ui.visuals()));
        let font = TextStyle::Button.resolve(ui.style());
        let text_color = if state.active {
            ui.visuals().strong_text_color()
        } else {
            ui.visuals().text_color()
        };
        let galley = ui
            .painter()
            .layout_no_wrap(title.clone(), font.clone(), text_color);
        let dot_w = if dot.is_some() { 14.0 } else { 0.0 };
        let close_w = if pane.is_some() { 18.0 } else { 0.0 };
        let margin = 8.0;
        let width = margin + dot_w + galley.size().x + close_w + margin;
        let (_, rect) = ui.allocate_space(Vec2::new(width, ui.available_height()));
        let response = ui.interact(rect, id, Sense::click_and_drag());
        let label = dot.map_or_else(|| title.clone(), |_| format!("● {title}"));
        response
            .widget_info(|| egui::WidgetInfo::selected(Role::Button, true, state.active, &label));
        if ui.is_rect_visible(rect) && !state.is_being_dragged {
            let bg = if state.active {
                ui.visuals().panel_fill
            } else if response.hovered() {
                ui.visuals().widgets.hovered.weak_bg_fill
            } else {
                ui.visuals().extreme_bg_color
            };
            let painter = ui.painter();
            painter.rect_filled(rect.shrink(0.5), 2.0, bg);
            if state.active {
                painter.rect_stroke(
                    rect.shrink(0.5),
                    2.0,
                    ui.visuals().widgets.noninteractive.bg_stroke,
                    egui::StrokeKind::Inside,
                );
            }
            let mut x = rect.left() + margin;
            if let Some(c) = dot {
                painter.circle_filled(egui::pos2(x + 4.0, rect.center().y), 4.0, c);
                x += dot_w;
            }
            let y = rect.center().y - galley.size().y / 2.0;
            painter.galley(egui::pos2(x, y), galley, text_color);
        }
        if let Some(sid) = pane {
            // The close button: a small × at the tab's right end.
            let close_rect = egui::Rect::from_center_size(
                egui::pos2(rect.right() - margin - 6.0, rect.center().y),
                Vec2::splat(14.0),
            );
            let close = ui
                .interact(close_rect, id.with("close"), Sense::click())
                .on_hover_text(self.tr.close_tab);
            let name = self.tr.close_tab_named(&title);
            close.widget_info(|| egui::WidgetInfo::labeled(Role::Button, true, &name));
            if ui.is_rect_visible(close_rect) && !state.is_being_dragged {
                let visuals = ui.style().interact(&close);
                let r = close_rect.shrink(3.0);
                let painter = ui.painter();
                painter.line_segment([r.left_top(), r.right_bottom()], visuals.fg_stroke);
                painter.line_segment([r.right_top(), r.left_bottom()], visuals.fg_stroke);
            }
            if close.clicked() || response.clicked_by(egui::PointerButton::Middle) {
                self.actions.push(Action::CloseSession(sid));
            }
            if response.clicked() {
                self.actions.push(Action::Focus(sid));
            }
            if response.double_clicked() {
                self.actions.push(Action::StartRename(sid));
            }
            response.context_menu(|ui| {
                if ui.button(self.tr.rename).clicked() {
                    self.actions.push(Action::StartRename(sid));
                    ui.close();
                }
                if ui.button(self.tr.duplicate).clicked() {
                    self.actions.push(Action::Duplicate(sid));
                    ui.close();
                }
                if ui.button(self.tr.close_tab).clicked() {
                    self.actions.push(Action::CloseSession(sid));
                    ui.close();
                }
            });
        }
        response
    }

    fn tab_bar_trailing_ui(
        &mut self,
        _tiles: &Tiles<SessionId>,
        ui: &mut egui::Ui,
        tile_id: TileId,
        _tabs: &egui_tiles::Tabs,
    ) {
        ui.add_space(4.0);
        let plus = ui
            .add(egui::Button::new(RichText::new("+").strong()).frame(false))
            .on_hover_text(self.tr.new_session_hint);
        let plus = plus.accessible_name(self.tr.new_session_hint);
        if plus.clicked() {
            self.actions.push(Action::NewSessionIn(tile_id));
        }
    }

    fn tab_bar_height(&self, _style: &egui::Style) -> f32 {
        26.0
    }

    fn gap_width(&self, _style: &egui::Style) -> f32 {
        4.0
    }

    fn min_size(&self) -> f32 {
        160.0
    }

    fn simplification_options(&self) -> SimplificationOptions {
        SIMPLIFY
    }

    fn dragged_overlay_color(&self, visuals: &egui::Visuals) -> Color32 {
        visuals.panel_fill.gamma_multiply(0.5)
    }
}
