//! The settings column: protocol, addresses, Open/Close, receive options.

use crate::app::Action;
use crate::codec;
use crate::log::ViewMode;
use crate::net::Protocol;
use crate::session::{Phase, Session, SessionAction};
use crate::ui::Cx;
use egui::{ComboBox, RichText, TextEdit};

pub fn show(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = app.id;
    let active = app.is_active();
    ui.heading(tr.net_settings);
    ui.add_space(4.0);

    ui.add_enabled_ui(!active, |ui| {
        let label = ui.label(tr.protocol);
        ComboBox::from_id_salt("protocol")
            .selected_text(tr.protocol_name(app.settings.protocol))
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                for p in Protocol::ALL {
                    ui.selectable_value(&mut app.settings.protocol, p, tr.protocol_name(p));
                }
            })
            .response
            .labelled_by(label.id);

        if app.settings.protocol != Protocol::TcpClient {
            let label = ui.label(tr.local_addr);
            ui.horizontal(|ui| {
                ComboBox::from_id_salt("local_addr")
                    .selected_text(app.settings.local_ip.clone())
                    .width(ui.available_width() - 70.0)
                    .show_ui(ui, |ui| {
                        for a in cx.addresses {
                            let ip = a.ip.to_string();
                            let text = if a.interface.is_empty() {
                                ip.clone()
                            } else {
                                format!("{ip}  ({})", a.interface)
                            };
                            ui.selectable_value(&mut app.settings.local_ip, ip, text);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if ui.button(tr.refresh_addrs).clicked() {
                    cx.actions.push(Action::RefreshAddresses);
                }
            });
            let label = ui.label(tr.local_port);
            ui.add(
                TextEdit::singleline(&mut app.settings.local_port)
                    .hint_text(tr.local_port_hint)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        }
    });

    if app.settings.protocol != Protocol::TcpServer {
        // The UDP remote stays editable while open: it is where Send goes.
        ui.add_enabled_ui(!active || app.settings.protocol == Protocol::Udp, |ui| {
            let label = ui.label(tr.remote_host);
            ui.add(
                TextEdit::singleline(&mut app.settings.remote_host).desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            let label = ui.label(tr.remote_port);
            ui.add(
                TextEdit::singleline(&mut app.settings.remote_port).desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
    }

    if let Some(local) = app.local_addr().filter(|_| app.phase() == Phase::Open) {
        let what = if app.settings.protocol == Protocol::TcpClient {
            tr.local_end
        } else {
            tr.bound_to
        };
        ui.label(format!("{what}: {local}"));
    }

    ui.add_space(6.0);
    let (text, action) = if active {
        (tr.close, SessionAction::Close)
    } else {
        (tr.open, SessionAction::Open)
    };
    let button = egui::Button::new(RichText::new(text).strong())
        .min_size(egui::vec2(ui.available_width(), 28.0));
    if ui.add(button).clicked() {
        cx.act(id, action);
    }
    let err_color = ui.visuals().error_fg_color;
    if let Some(e) = &app.form_error {
        ui.colored_label(err_color, e);
    }
    if let Some(e) = &app.session_error {
        ui.colored_label(err_color, tr.net_error(e));
    }

    ui.separator();
    ui.heading(tr.recv_settings);
    let label = ui.label(tr.show_as);
    let view_name = |v: ViewMode| match v {
        ViewMode::Text => tr.view_text,
        ViewMode::Hex => tr.view_hex,
        ViewMode::Both => tr.view_both,
    };
    ComboBox::from_id_salt("view_mode")
        .selected_text(view_name(app.settings.view))
        .width(ui.available_width() - 8.0)
        .show_ui(ui, |ui| {
            for v in [ViewMode::Text, ViewMode::Hex, ViewMode::Both] {
                ui.selectable_value(&mut app.settings.view, v, view_name(v));
            }
        })
        .response
        .labelled_by(label.id);
    let label = ui.label(tr.encoding);
    let current = codec::encoding_by_name(&app.settings.encoding).name();
    ComboBox::from_id_salt("encoding")
        .selected_text(current)
        .width(ui.available_width() - 8.0)
        .height(400.0)
        .show_ui(ui, |ui| {
            for enc in codec::ENCODINGS {
                let name = enc.name();
                if ui.selectable_label(current == name, name).clicked() {
                    app.settings.encoding = name.to_string();
                }
            }
        })
        .response
        .labelled_by(label.id);
    ui.checkbox(&mut app.settings.auto_scroll, tr.auto_scroll);
    ui.checkbox(&mut app.settings.wrap, tr.word_wrap);
    if ui.checkbox(&mut app.settings.echo, tr.echo).changed() {
        cx.act(id, SessionAction::SetEcho);
    }
    ui.horizontal(|ui| {
        let label = ui.label(tr.log_limit_mib);
        ui.add(egui::DragValue::new(&mut app.settings.log_cap_mib).range(1..=4096))
            .labelled_by(label.id);
    });
    ui.horizontal(|ui| {
        if ui.button(tr.clear_log).clicked() {
            cx.act(id, SessionAction::ClearLog);
        }
        if ui.button(tr.copy_log).clicked() {
            cx.act(id, SessionAction::CopyLog);
        }
    });
    crate::ui::tools::show(app, cx, ui);
}
