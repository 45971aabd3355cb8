//! The send box: text or hex, target, Send (also Ctrl+Enter).
//!
//! Layout: an options row, then the text box with the Send button to its
//! right, then one line reserved for errors, so nothing moves under the
//! pointer when an error appears or goes.

use crate::net::Protocol;
use crate::session::{SendProblem, Session, SessionAction};
use crate::ui::Cx;
use egui::{Key, Modifiers, RichText, TextEdit};

const BUTTON_W: f32 = 84.0;

pub fn show(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = app.id;
    let active = app.is_active();
    let box_id = ui.scope_id().with("send_text");
    // Taken before the text box sees it, so Ctrl+Enter sends instead of
    // adding a line; only the session whose box has focus sends.
    let ctrl_enter = ui.memory(|m| m.has_focus(box_id))
        && ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Enter));
    // The panel keeps the height it has (default or dragged by the user):
    // the content claims all of it and fits inside it.
    let full = ui.available_height();
    ui.set_min_height(full);
    let payload = app.send_payload(tr);
    let can_send = active && payload.is_ok();

    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut app.settings.send_hex, tr.send_as_hex);
        if app.protocol() == Protocol::TcpServer {
            ui.separator();
            ui.label(tr.send_to);
            ui.radio_value(&mut app.settings.send_to_all, true, tr.all_clients);
            let n = app.clients().selected_count();
            ui.radio_value(&mut app.settings.send_to_all, false, tr.selected_count(n));
        }
    });
    if ctrl_enter && can_send {
        cx.act(id, SessionAction::Send);
    }

    let line = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    // A few pixels of slack: content exactly as tall as the panel makes a
    // resizable panel creep taller frame after frame.
    let box_h = (ui.available_height() - line - 6.0).max(40.0);
    let box_w = (ui.available_width() - BUTTON_W - ui.spacing().item_spacing.x).max(80.0);
    let mono = ui.text_style_height(&egui::TextStyle::Monospace);
    let rows = (((box_h - 8.0) / mono).floor() as usize).max(2);
    ui.horizontal_top(|ui| {
        ui.allocate_ui(egui::vec2(box_w, box_h), |ui| {
            egui::ScrollArea::vertical()
                .id_salt("send_scroll")
                .auto_shrink([false, false])
                .max_height(box_h)
                .show(ui, |ui| {
                    ui.add(
                        TextEdit::multiline(&mut app.send_text)
                            .id(box_id)
                            .hint_text(tr.send_box_hint)
                            .font(egui::TextStyle::Monospace)
                            .desired_width(f32::INFINITY)
                            .desired_rows(rows),
                    )
                    .accessible_name(tr.send_box);
                });
        });
        ui.vertical(|ui| {
            let send = ui.add_enabled(
                can_send,
                egui::Button::new(RichText::new(tr.send).strong())
                    .min_size(egui::vec2(BUTTON_W, 40.0)),
            );
            if send.clicked() {
                cx.act(id, SessionAction::Send);
            }
        });
    });

    // The error line is always there, empty or not.
    let err = match (&payload, &app.send_error) {
        (Err(e), _) if !app.send_text.is_empty() => Some(e.clone()),
        (_, Some(SendProblem::Text(t))) => Some(t.clone()),
        (_, Some(SendProblem::Net(e))) => Some(tr.net_error(e)),
        _ => None,
    };
    let err = err.as_deref();
    let color = ui.visuals().error_fg_color;
    ui.add(egui::Label::new(RichText::new(err.unwrap_or(" ")).color(color)).truncate())
        .on_hover_text(err.unwrap_or_default());
}
