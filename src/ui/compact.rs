//! A session in a pane too small for its columns (a grid of many
//! sessions): a bar with Open/Close, the counters and the way to everything
//! else, the log, and one send line. What the session is (its kind and
//! address, its state) is in the pane's tab.

use crate::session::{Session, SessionAction};
use crate::ui::{Cx, human_bytes, log_view, send};
use egui::{Key, RichText, TextEdit};

pub fn show(s: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = s.id;
    let active = s.is_active();
    egui::Panel::top("compact_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            let (text, action) = if active {
                (tr.close, SessionAction::Close)
            } else {
                (tr.open, SessionAction::Open)
            };
            if ui.button(RichText::new(text).strong()).clicked() {
                cx.act(id, action);
            }
            if ui
                .button(tr.all_settings)
                .on_hover_text(tr.all_settings_hint)
                .clicked()
            {
                s.all_in_small_pane = true;
            }
            let c = s.counters();
            let counts = format!(
                "{} {} · {} {}",
                tr.rx,
                human_bytes(c.rx_bytes),
                tr.tx,
                human_bytes(c.tx_bytes)
            );
            ui.add(egui::Label::new(RichText::new(counts).weak()).truncate());
        });
        // Why it did not open, where the user is looking.
        let err = s
            .form_error
            .as_ref()
            .map(|p| tr.problem(p))
            .or_else(|| s.session_error.as_ref().map(|e| tr.net_error(e)));
        if let Some(e) = err {
            send::error_line(ui, Some(&e));
        }
    });
    egui::Panel::bottom("compact_send").show(ui, |ui| {
        let payload = s.send_payload();
        let can_send = active && payload.is_ok();
        ui.add_space(2.0);
        ui.horizontal(|ui| {
            let button_w = 64.0;
            let r = ui
                .add(
                    TextEdit::singleline(&mut s.send_text)
                        .hint_text(tr.line_box_hint)
                        .font(egui::TextStyle::Monospace)
                        .desired_width(
                            (ui.available_width() - button_w - ui.spacing().item_spacing.x)
                                .max(40.0),
                        ),
                )
                .accessible_name(tr.send_box);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let send = send::send_button(ui, tr, can_send, active, egui::vec2(button_w, 0.0));
            if send.clicked() || (enter && can_send) {
                cx.act(id, SessionAction::Send);
            }
            if enter {
                // Typing goes on in the same line.
                r.request_focus();
            }
        });
        if let Some(e) = send::problem(s, tr, &payload) {
            send::error_line(ui, Some(&e));
        }
    });
    egui::CentralPanel::default().show(ui, |ui| log_view::show_with(s, cx, ui, false));
}
