//! Panels and widgets. The UI holds no socket: panels queue
//! [`Action`](crate::app::Action)s that the app carries out.

mod compact;
pub mod i18n;
pub mod log_view;
mod peers;
mod ports;
mod send;
mod settings;
mod status;
pub mod tools;
pub mod workspace;

use crate::app::{Action, App};
use crate::net::interfaces::LocalAddr;
use crate::session::{Session, SessionAction, SessionId};
use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
use egui::{FontData, FontFamily};
use egui::{Key, Modifiers};
use i18n::Tr;

/// The bundled CJK font: Noto Sans CJK SC, subset to the CJK ideographs,
/// kana, hangul and CJK punctuation (OFL; see assets/fonts/OFL.txt), so
/// every character the offered encodings carry renders without a CJK font
/// on the system.
pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-subset.otf");

/// Adds the bundled CJK font after egui's own fonts, for both families, so
/// Chinese renders on a machine without CJK fonts. System fonts stay the
/// fallback for everything else.
pub fn install_fonts(ctx: &egui::Context) {
    ctx.add_font(FontInsert {
        name: "NotoSansCJKsc-subset".into(),
        data: FontData::from_static(CJK_FONT),
        families: vec![
            InsertFontFamily {
                family: FontFamily::Proportional,
                priority: FontPriority::Lowest,
            },
            InsertFontFamily {
                family: FontFamily::Monospace,
                priority: FontPriority::Lowest,
            },
        ],
    });
}

/// What a session's panels need besides the session: the words, where to
/// queue actions, the machine's addresses.
pub struct Cx<'a> {
    pub tr: &'static Tr,
    pub actions: &'a mut Vec<Action>,
    pub addresses: &'a [LocalAddr],
    /// The limit of all sessions' logs together, in bytes.
    pub total_log_cap: usize,
}

impl Cx<'_> {
    /// Queues an action for session `id`.
    pub fn act(&mut self, id: SessionId, a: SessionAction) {
        self.actions.push(Action::Session(id, a));
    }
}

/// Shows the whole window: a toolbar, the sessions' tabs and splits, and a
/// status bar for the focused session.
pub fn show(app: &mut App, ui: &mut egui::Ui) {
    // Tabs as in a browser or an IDE: Ctrl+T, Ctrl+W (and Windows'
    // Ctrl+F4), Ctrl+Tab and Ctrl+Shift+Tab (or Ctrl+PageDown/PageUp).
    let new_tab = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::T));
    let close_tab = ui.input_mut(|i| {
        i.consume_key(Modifiers::COMMAND, Key::W) || i.consume_key(Modifiers::COMMAND, Key::F4)
    });
    let back = ui.input_mut(|i| {
        i.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Tab)
            || i.consume_key(Modifiers::COMMAND, Key::PageUp)
    });
    let on = ui.input_mut(|i| {
        i.consume_key(Modifiers::COMMAND, Key::Tab)
            || i.consume_key(Modifiers::COMMAND, Key::PageDown)
    });
    if back || on {
        app.actions.push(Action::FocusNext(on));
    }
    // Find in the focused session's log: Ctrl+F, then F3 and Shift+F3.
    let find = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::F));
    let find_back = ui.input_mut(|i| i.consume_key(Modifiers::SHIFT, Key::F3));
    let find_on = ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F3));
    if let Some(s) = app.focused.and_then(|id| app.sessions.get_mut(&id)) {
        s.find_keys.focus |= find;
        if find_back || find_on {
            s.find_keys.go = Some(find_on);
        }
    }
    if new_tab {
        app.actions.push(Action::NewSession);
    }
    if let (true, Some(id)) = (close_tab, app.focused) {
        app.actions.push(Action::CloseSession(id));
    }
    // A file dropped on the window becomes the focused session's file to send.
    let dropped = ui.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
    if let (Some(path), Some(id)) = (dropped, app.focused) {
        app.actions
            .push(Action::Session(id, SessionAction::ChooseFile(path)));
    }
    egui::Panel::top("toolbar").show(ui, |ui| workspace::toolbar(app, ui));
    egui::Panel::bottom("status_bar").show(ui, |ui| status::show(app, ui));
    if let Some(view) = app.ports.as_mut() {
        // Read only while someone can see it (not while minimized).
        let minimized = ui.input(|i| i.viewport().minimized.unwrap_or(false));
        view.set_shown(!minimized);
        let now = std::time::Instant::now();
        if let Some(next) = view.poll(now) {
            ui.ctx()
                .request_repaint_after(next.saturating_duration_since(now));
        }
        egui::Panel::bottom("ports")
            .resizable(true)
            .default_size(260.0)
            .min_size(120.0)
            .show(ui, |ui| ports::show(app, ui));
    }
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(ui, |ui| workspace::tiles(app, ui));
}

/// The smallest pane that shows a session whole: settings, log, peers and
/// the send box. A smaller one shows it compact (`ui::compact`).
pub const FULL_PANE: egui::Vec2 = egui::vec2(400.0, 400.0);

/// One session's panels inside its tab: settings on the left, peers on the
/// right (server and UDP), the log in the centre, the send box below it; in
/// a pane smaller than [`FULL_PANE`], the compact view.
pub fn session_view(s: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    tools::poll(s, cx.tr);
    // A pane too small for the columns (a grid of many sessions) shows the
    // log with a bar and a send line, until the user asks for everything.
    let small = ui.available_width() < FULL_PANE.x || ui.available_height() < FULL_PANE.y;
    if small && !s.all_in_small_pane {
        compact::show(s, cx, ui);
        return;
    }
    if small {
        let tr = cx.tr;
        egui::Panel::top("compact_again").show(ui, |ui| {
            if ui
                .button(tr.compact_view)
                .on_hover_text(tr.compact_view_hint)
                .clicked()
            {
                s.all_in_small_pane = false;
            }
        });
    }
    // Side columns give way on a narrow pane so the log keeps its room.
    let width = ui.available_width();
    egui::Panel::left("settings")
        .resizable(true)
        .default_size(230.0)
        .size_range(150.0..=(width * 0.3).max(150.0))
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("settings_scroll")
                .show(ui, |ui| settings::show(s, cx, ui));
        });
    if s.protocol() != crate::net::Protocol::TcpClient {
        egui::Panel::right("peers")
            .resizable(true)
            .default_size(280.0)
            .size_range(130.0..=(width * 0.28).max(130.0))
            .show(ui, |ui| peers::show(s, cx, ui));
    }
    egui::Panel::bottom("send")
        .resizable(true)
        .default_size(175.0)
        .min_size(130.0)
        .show(ui, |ui| send::show(s, cx, ui));
    egui::CentralPanel::default().show(ui, |ui| log_view::show(s, cx, ui));
}

/// Lays out a block of a scrolled column only when it can be seen. A block
/// scrolled out of view keeps its place with the height it had when it was
/// last drawn, so sixteen sessions' long settings columns cost what their
/// visible part costs. A block that holds the keyboard focus is always
/// drawn (egui drops the focus of a widget that is not drawn).
pub fn block(ui: &mut egui::Ui, salt: &str, add: impl FnOnce(&mut egui::Ui)) {
    block_or_shown(ui, salt, false, add);
}

/// [`block`], drawn whether or not it can be seen when `shown` (it is about
/// to scroll itself into view).
pub fn block_or_shown(ui: &mut egui::Ui, salt: &str, shown: bool, add: impl FnOnce(&mut egui::Ui)) {
    // An id of its own, so the ids of the widgets inside stay the same
    // whether or not the blocks above it were drawn.
    let id = ui.scope_id().with(("block", salt));
    let seen = id.with("seen");
    let last: Option<egui::Rect> = ui.data(|d| d.get_temp(seen));
    if let Some(last) = last {
        let width = ui.available_width();
        let here = egui::Rect::from_min_size(ui.cursor().min, egui::vec2(width, last.height()));
        let holds_focus = ui
            .memory(|m| m.focused())
            .and_then(|f| ui.ctx().read_response(f))
            .is_some_and(|r| last.expand(1.0).contains_rect(r.rect));
        if !shown && !here.intersects(ui.clip_rect()) && !holds_focus {
            ui.allocate_space(egui::vec2(width, last.height()));
            return;
        }
    }
    let rect = ui
        .scope_builder(egui::UiBuilder::new().scope_id(id), add)
        .response
        .rect;
    ui.data_mut(|d| d.insert_temp(seen, rect));
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1536` → `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    let mut s = String::new();
    write_human_bytes(&mut s, n);
    s
}

/// [`human_bytes`] written at the end of `out`.
pub fn write_human_bytes(out: &mut String, n: u64) {
    use std::fmt::Write as _;
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    // Writing to a String cannot fail.
    let _ = if u == 0 {
        write!(out, "{n} B")
    } else {
        write!(out, "{v:.1} {}", UNITS[u])
    };
}

pub use crate::log::clock;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
        assert_eq!(human_bytes(5), "5 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(64 << 20), "64.0 MiB");
    }
}
