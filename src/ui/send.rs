//! The send box: text or hex, target, Send (also Ctrl+Enter).

use crate::app::{Action, App};
use crate::net::Protocol;
use egui::{Key, Modifiers, TextEdit};

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    let active = app.is_active();
    // Taken before the text box sees it, so Ctrl+Enter sends instead of adding a line.
    let ctrl_enter = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Enter));
    let payload = app.send_payload();
    let can_send = active && payload.is_ok();

    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.checkbox(&mut app.settings.send_hex, tr.send_as_hex);
        if app.settings.protocol == Protocol::TcpServer {
            ui.separator();
            ui.label(tr.send_to);
            ui.radio_value(&mut app.settings.send_to_all, true, tr.all_clients);
            let n = app.clients().selected().len();
            ui.radio_value(&mut app.settings.send_to_all, false, tr.selected_count(n));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let send = ui.add_enabled(
                can_send,
                egui::Button::new(tr.send).min_size(egui::vec2(80.0, 24.0)),
            );
            if send.clicked() {
                app.actions.push(Action::Send);
            }
            // Errors go on this line, so the text box never jumps under the cursor.
            let err_color = ui.visuals().error_fg_color;
            let err = match &payload {
                Err(e) if !app.send_text.is_empty() => Some(e.as_str()),
                _ => app.send_error.as_deref(),
            };
            if let Some(e) = err {
                ui.add(egui::Label::new(egui::RichText::new(e).color(err_color)).truncate())
                    .on_hover_text(e);
            }
        });
    });
    if ctrl_enter && can_send {
        app.actions.push(Action::Send);
    }
    egui::ScrollArea::vertical()
        .id_salt("send_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.add(
                TextEdit::multiline(&mut app.send_text)
                    .hint_text(tr.send_box_hint)
                    .font(egui::TextStyle::Monospace)
                    .desired_width(f32::INFINITY)
                    .desired_rows(4),
            )
            .accessible_name(tr.send_box);
        });
}
