//! The log in the centre: only the visible rows are formatted and laid out.

use crate::app::{Action, App};
use crate::codec;
use crate::log::{Body, Note, Record, View, record_lines};
use crate::net::Protocol;
use crate::ui::i18n::Tr;
use crate::ui::{clock, human_bytes};
use egui::{Color32, Label, RichText, TextStyle, TextWrapMode};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tone {
    Rx,
    Tx,
    Info,
    Error,
}

/// The header line of a record: time, direction, peer, size or event.
/// `udp`: the session is a UDP one, whose socket is bound, not listening.
fn header(tr: &Tr, rec: &Record, udp: bool) -> (String, Tone) {
    let time = clock(rec.at);
    let peer = rec.peer.map(|p| p.to_string()).unwrap_or_default();
    match &rec.body {
        Body::Rx(b) => (
            format!(
                "[{time}] {} ← {peer}  ({})",
                tr.rx,
                human_bytes(b.len() as u64)
            ),
            Tone::Rx,
        ),
        Body::Tx(b) => (
            format!(
                "[{time}] {} → {peer}  ({})",
                tr.tx,
                human_bytes(b.len() as u64)
            ),
            Tone::Tx,
        ),
        Body::Note(n) => {
            let (msg, tone) = note_text(tr, n, udp);
            (format!("[{time}] {msg}"), tone)
        }
    }
}

fn note_text(tr: &Tr, n: &Note, udp: bool) -> (String, Tone) {
    match n {
        Note::Opened { local } if udp => (tr.note_bound(&local.to_string()), Tone::Info),
        Note::Opened { local } => (tr.note_listening(&local.to_string()), Tone::Info),
        Note::Connecting { remote } => (tr.note_connecting(&remote.to_string()), Tone::Info),
        Note::Connected { local, peer } => (
            tr.note_connected(&peer.to_string(), &local.to_string()),
            Tone::Info,
        ),
        Note::Accepted { peer } => (tr.note_accepted(&peer.to_string()), Tone::Info),
        Note::Disconnected { peer, reason } => (
            tr.note_disconnected(&peer.to_string(), &tr.close_reason(reason)),
            Tone::Info,
        ),
        Note::Error(e) => (tr.net_error(e), Tone::Error),
        Note::Closed { error: None } => (tr.session_closed.to_string(), Tone::Info),
        Note::Closed { error: Some(e) } => (
            format!("{}: {}", tr.session_closed, tr.net_error(e)),
            Tone::Error,
        ),
        Note::Message(m) => (m.clone(), Tone::Info),
    }
}

/// The whole log as plain text, as shown (for Copy log).
pub fn log_as_text(app: &App) -> String {
    let tr = app.tr();
    let view = View {
        mode: app.settings.view,
        encoding: codec::encoding_by_name(&app.settings.encoding),
        wrap_cols: None,
    };
    let udp = app.settings.protocol == Protocol::Udp;
    let mut out = String::new();
    for rec in app.log().iter() {
        out.push_str(&record_text(tr, rec, &view, udp));
    }
    out
}

fn record_text(tr: &Tr, rec: &Record, view: &View, udp: bool) -> String {
    let mut out = header(tr, rec, udp).0;
    out.push('\n');
    if rec.payload().is_some() {
        // Copies keep whole lines, not the display's cut ones.
        let v = View {
            wrap_cols: Some(usize::MAX / 4),
            ..*view
        };
        for line in record_lines(rec, &v) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    if app.log().dropped_records() > 0 {
        let msg = tr.dropped_notice(
            app.log().dropped_records(),
            &human_bytes(app.log().dropped_bytes()),
            &human_bytes(app.log().cap() as u64),
        );
        ui.colored_label(ui.visuals().warn_fg_color, msg);
    }
    if app.log().is_empty() {
        ui.centered_and_justified(|ui| ui.weak(tr.log_empty));
        return;
    }
    let font = TextStyle::Monospace.resolve(ui.style());
    let row_h = ui.fonts_mut(|f| f.row_height(&font));
    let char_w = ui.fonts_mut(|f| f.glyph_width(&font, '0')).max(1.0);
    let scrollbar = ui.spacing().scroll.bar_width + 8.0;
    let cols = ((ui.available_width() - scrollbar) / char_w)
        .floor()
        .max(16.0) as usize;
    let view = View {
        mode: app.settings.view,
        encoding: codec::encoding_by_name(&app.settings.encoding),
        wrap_cols: app.settings.wrap.then_some(cols.saturating_sub(2)),
    };
    // A changed view is re-indexed within a few milliseconds per frame; until
    // it is whole, rows are laid out with the view the index still describes.
    let budget = Instant::now() + Duration::from_millis(3);
    if !app.index.sync_within(&app.log, &view, Some(budget)) {
        ui.ctx().request_repaint();
    }
    let view = app.index.view().unwrap_or(view);
    let rows = app.index.rows();
    let udp = app.settings.protocol == Protocol::Udp;
    let visuals = ui.visuals().clone();
    let color = |t: Tone| match t {
        Tone::Rx => {
            if visuals.dark_mode {
                Color32::from_rgb(0x6c, 0xc6, 0x6c)
            } else {
                Color32::from_rgb(0x1a, 0x7f, 0x37)
            }
        }
        Tone::Tx => {
            if visuals.dark_mode {
                Color32::from_rgb(0x6c, 0xa8, 0xf0)
            } else {
                Color32::from_rgb(0x0b, 0x5c, 0xad)
            }
        }
        Tone::Info => visuals.weak_text_color(),
        Tone::Error => visuals.error_fg_color,
    };
    let scroll = if app.settings.wrap {
        egui::ScrollArea::vertical()
    } else {
        egui::ScrollArea::both()
    };
    let mut actions = Vec::new();
    let mut copy = None;
    scroll
        .id_salt("log_scroll")
        .auto_shrink([false, false])
        .stick_to_bottom(app.settings.auto_scroll)
        .show_rows(ui, row_h, rows, |ui, range| {
            ui.spacing_mut().item_spacing.y = 0.0;
            let mut cached: Option<(usize, Vec<String>)> = None;
            for row in range {
                let Some((ri, line)) = app.index.locate(row) else {
                    break;
                };
                let Some(rec) = app.log.get(ri) else {
                    break;
                };
                if line == 0 {
                    let (text, tone) = header(tr, rec, udp);
                    let r = ui.add(
                        Label::new(RichText::new(text).monospace().color(color(tone)))
                            .wrap_mode(TextWrapMode::Extend),
                    );
                    r.context_menu(|ui| {
                        if ui.button(tr.copy).clicked() {
                            copy = Some(record_text(tr, rec, &view, udp));
                            ui.close();
                        }
                        if let (true, Some(peer)) = (udp, rec.peer)
                            && ui.button(tr.use_as_remote).clicked()
                        {
                            actions.push(Action::UseAsRemote(peer));
                            ui.close();
                        }
                    });
                } else {
                    if cached.as_ref().is_none_or(|(i, _)| *i != ri) {
                        let lines = record_lines(rec, &view);
                        cached = Some((ri, lines));
                    }
                    let text = cached
                        .as_ref()
                        .and_then(|(_, l)| l.get(line - 1))
                        .map(String::as_str)
                        .unwrap_or("");
                    ui.add(
                        Label::new(RichText::new(format!("  {text}")).monospace())
                            .wrap_mode(TextWrapMode::Extend),
                    );
                }
            }
        });
    app.actions.extend(actions);
    if let Some(c) = copy {
        app.copy_request = Some(c);
    }
}
