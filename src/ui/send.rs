//! The send box: format options (hex, escapes, line ending, checksum), a
//! preview of the exact bytes, the text with Send (also Ctrl+Enter) and
//! history recall (Up/Down when the box is empty or holds a recalled send).
//!
//! Layout: an options row, the preview line, then the text box with the
//! Send button to its right, then one line reserved for errors, so nothing
//! moves under the pointer when an error appears or goes.

use crate::codec::{self, Checksum, LineEnd};
use crate::net::Protocol;
use crate::session::{Problem, SendProblem, Session, SessionAction};
use crate::ui::Cx;
use crate::ui::i18n::Tr;
use egui::{ComboBox, Key, Modifiers, RichText, TextEdit};

const BUTTON_W: f32 = 84.0;
/// Bytes shown in the preview; the count says how many there are.
const PREVIEW_BYTES: usize = 64;

pub fn show(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = app.id;
    let active = app.is_active();
    let box_id = ui.scope_id().with("send_text");
    let focused = ui.memory(|m| m.has_focus(box_id));
    // Taken before the text box sees it, so Ctrl+Enter sends instead of
    // adding a line; only the session whose box has focus sends.
    let ctrl_enter = focused && ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Enter));
    if focused {
        recall_history(app, ui);
    }
    // The panel keeps the height it has (default or dragged by the user):
    // the content claims all of it and fits inside it.
    let full = ui.available_height();
    ui.set_min_height(full);
    let payload = app.send_payload();
    let can_send = active && payload.is_ok();

    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut app.settings.send_hex, tr.send_as_hex);
        ui.add_enabled(
            !app.settings.send_hex,
            egui::Checkbox::new(&mut app.settings.escapes, tr.escapes),
        )
        .on_hover_text(tr.escapes_hint);
        ui.separator();
        let label = ui.label(tr.append);
        ComboBox::from_id_salt("append")
            .selected_text(app.settings.append.label())
            .width(56.0)
            .show_ui(ui, |ui| {
                for e in LineEnd::ALL {
                    ui.selectable_value(&mut app.settings.append, e, e.label());
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(tr.checksum);
        ComboBox::from_id_salt("checksum")
            .selected_text(app.settings.checksum.label())
            .width(140.0)
            .show_ui(ui, |ui| {
                for c in Checksum::ALL {
                    ui.selectable_value(&mut app.settings.checksum, c, c.label());
                }
            })
            .response
            .labelled_by(label.id);
        if app.settings.checksum != Checksum::None {
            let label = ui.label(tr.checksum_from);
            ui.add(egui::DragValue::new(&mut app.settings.checksum_from).range(0..=65535))
                .labelled_by(label.id);
        }
        let send_enc_before = app.settings.send_encoding.clone();
        let label = ui.label(tr.send_encoding);
        let shown = if app.settings.send_encoding.is_empty() {
            tr.same_as_receive.to_string()
        } else {
            codec::encoding_by_name(&app.settings.send_encoding)
                .name()
                .to_string()
        };
        ComboBox::from_id_salt("send_encoding")
            .selected_text(shown)
            .width(110.0)
            .height(400.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(
                    &mut app.settings.send_encoding,
                    String::new(),
                    tr.same_as_receive,
                );
                for enc in codec::ENCODINGS.iter().filter(|e| **e != codec::text::AUTO) {
                    ui.selectable_value(
                        &mut app.settings.send_encoding,
                        enc.name().to_string(),
                        enc.name(),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        // Auto-reply answers are written in it.
        if app.settings.send_encoding != send_enc_before && !app.settings.replies.is_empty() {
            cx.act(id, SessionAction::SetReplies);
        }
        // A stream's sends split (分包) or joined (粘包) on purpose.
        if app.settings.protocol.shapes_sends() {
            ui.separator();
            let before = (
                app.settings.send_split.clone(),
                app.settings.send_join.clone(),
            );
            let l = ui
                .label(tr.send_split())
                .on_hover_text(tr.send_split_hint());
            ui.add(
                TextEdit::singleline(&mut app.settings.send_split)
                    .hint_text("1/20ms")
                    .desired_width(70.0),
            )
            .on_hover_text(tr.send_split_hint())
            .labelled_by(l.id);
            let l = ui.label(tr.send_join()).on_hover_text(tr.send_join_hint());
            ui.add(
                TextEdit::singleline(&mut app.settings.send_join)
                    .hint_text("3")
                    .desired_width(32.0),
            )
            .on_hover_text(tr.send_join_hint())
            .labelled_by(l.id);
            if (
                app.settings.send_split.clone(),
                app.settings.send_join.clone(),
            ) != before
            {
                cx.act(id, SessionAction::SetSendShape);
            }
        }
        if app.protocol().is_relay() {
            ui.separator();
            ui.label(tr.relay_send_toward);
            ui.radio_value(
                &mut app.settings.relay_to_target,
                false,
                tr.relay_toward_clients,
            );
            ui.radio_value(
                &mut app.settings.relay_to_target,
                true,
                tr.relay_toward_target,
            );
        }
        if app.protocol() == Protocol::TcpServer || app.protocol().is_relay() {
            ui.separator();
            ui.label(tr.send_to);
            ui.radio_value(&mut app.settings.send_to_all, true, tr.all_clients);
            let n = app.clients().selected_count();
            ui.radio_value(&mut app.settings.send_to_all, false, tr.selected_count(n));
        }
    });
    // What goes out, byte for byte, before Send.
    let preview = out_preview(tr, &payload, app.protocol().is_datagram());
    ui.horizontal(|ui| {
        // History sits on this line, which always has room for it.
        history_menu(app, ui, tr);
        out_line(ui, tr, &preview);
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
                    let r = ui
                        .add(
                            TextEdit::multiline(&mut app.send_text)
                                .id(box_id)
                                .hint_text(tr.send_box_hint)
                                .font(egui::TextStyle::Monospace)
                                .desired_width(f32::INFINITY)
                                .desired_rows(rows),
                        )
                        .accessible_name(tr.send_box);
                    if r.changed() {
                        app.history_pos = None;
                    }
                });
        });
        ui.vertical(|ui| {
            if send_button(ui, tr, can_send, active, egui::vec2(BUTTON_W, 40.0)).clicked() {
                cx.act(id, SessionAction::Send);
            }
        });
    });

    // The error line is always there, empty or not.
    error_line(ui, problem(app, tr, &payload).as_deref());
}

/// The `Out:` line's text: the byte count first, so a long payload's "…"
/// never hides it, then the bytes in hex.
pub fn out_preview(tr: &Tr, payload: &Result<Vec<u8>, Problem>, datagram: bool) -> String {
    match payload {
        Ok(b) if b.is_empty() && datagram => tr.empty_datagram.to_string(),
        Ok(b) => {
            let mut s = format!("({})  ", tr.byte_count(b.len()));
            s.push_str(&codec::format_hex(&b[..b.len().min(PREVIEW_BYTES)]));
            if b.len() > PREVIEW_BYTES {
                s.push_str(" …");
            }
            s
        }
        Err(_) => String::new(),
    }
}

/// "Out:" and the preview, cut to the width (in full on hover).
pub fn out_line(ui: &mut egui::Ui, tr: &Tr, preview: &str) {
    ui.label(RichText::new(tr.preview).weak());
    ui.add(egui::Label::new(RichText::new(preview).monospace()).truncate())
        .on_hover_text(preview);
}

/// The Send button; disabled, it says why when the session is not open.
pub fn send_button(
    ui: &mut egui::Ui,
    tr: &Tr,
    can_send: bool,
    active: bool,
    size: egui::Vec2,
) -> egui::Response {
    let send = ui.add_enabled(
        can_send,
        egui::Button::new(RichText::new(tr.send).strong()).min_size(size),
    );
    if active {
        send
    } else {
        send.on_disabled_hover_text(tr.session_not_open)
    }
}

/// An error on one line, cut at the edge, whole in its tooltip (an empty
/// line when there is none, so nothing below it moves).
pub fn error_line(ui: &mut egui::Ui, err: Option<&str>) {
    let color = ui.visuals().error_fg_color;
    ui.add(egui::Label::new(RichText::new(err.unwrap_or(" ")).color(color)).truncate())
        .on_hover_text(err.unwrap_or_default());
}

/// What is wrong with the text in the box, or with the last send.
pub fn problem(app: &Session, tr: &Tr, payload: &Result<Vec<u8>, Problem>) -> Option<String> {
    if let Err(e) = app.send_shape() {
        return Some(tr.problem(&e));
    }
    match (payload, &app.send_error) {
        (Err(e), _) if !app.send_text.is_empty() => Some(tr.problem(e)),
        (_, Some(SendProblem::Form(p))) => Some(tr.problem(p)),
        (_, Some(SendProblem::Net(e))) => Some(tr.net_error(e)),
        _ => None,
    }
}

/// Up and Down walk the history while the box is empty or shows a
/// recalled send; once the user edits it, the arrows move the cursor again.
fn recall_history(app: &mut Session, ui: &mut egui::Ui) {
    let n = app.settings.tools.history.len();
    if n == 0 || !(app.send_text.is_empty() || app.history_pos.is_some()) {
        return;
    }
    let up = ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::ArrowUp));
    let down = ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::ArrowDown));
    let pos = match (up, down, app.history_pos) {
        (true, _, None) => Some(n - 1),
        (true, _, Some(p)) => Some(p.saturating_sub(1)),
        (false, true, Some(p)) if p + 1 < n => Some(p + 1),
        (false, true, Some(_)) => {
            // Past the newest: back to an empty box.
            app.history_pos = None;
            app.send_text.clear();
            return;
        }
        _ => return,
    };
    if let Some(item) = pos.and_then(|p| app.settings.tools.history.get(p)).cloned() {
        app.history_pos = pos;
        app.send_text = item.text;
        app.settings.send_hex = item.hex;
    }
}

fn history_menu(app: &mut Session, ui: &mut egui::Ui, tr: &crate::ui::i18n::Tr) {
    let history = &app.settings.tools.history;
    let mut pick = None;
    ui.add_enabled_ui(!history.is_empty(), |ui| {
        ui.menu_button(tr.history, |ui| {
            egui::ScrollArea::vertical()
                .max_height(300.0)
                .show(ui, |ui| {
                    for (i, h) in history.iter().enumerate().rev() {
                        let mut shown: String = h.text.chars().take(60).collect();
                        if h.text.chars().count() > 60 {
                            shown.push('…');
                        }
                        let shown = shown.replace('\r', "\\r").replace('\n', "\\n");
                        let tag = if h.hex { "HEX " } else { "" };
                        if ui.button(format!("{tag}{shown}")).clicked() {
                            pick = Some(i);
                            ui.close();
                        }
                    }
                });
        });
    });
    if let Some(item) = pick
        .and_then(|i| app.settings.tools.history.get(i))
        .cloned()
    {
        app.send_text = item.text;
        app.settings.send_hex = item.hex;
        app.history_pos = None;
    }
}
