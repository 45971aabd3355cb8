//! The settings column: protocol, addresses, Open/Close, receive options.

use crate::app::Action;
use crate::codec;
use crate::log::ViewMode;
use crate::net::Protocol;
use crate::session::{FramingMode, Phase, Session, SessionAction, TimeMode, Tri};
use crate::ui::Cx;
use egui::{ComboBox, RichText, TextEdit};

pub fn show(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    use crate::ui::block;
    block(ui, "net", |ui| net(app, cx, ui));
    block(ui, "receive", |ui| receive(app, cx, ui));
    block(ui, "framing", |ui| framing(app, cx, ui));
    block(ui, "capture", |ui| {
        let tr = cx.tr;
        ui.checkbox(&mut app.settings.count_only, tr.count_only)
            .on_hover_text(tr.count_only_notice);
        ui.checkbox(&mut app.settings.show_rates, tr.rate_chart);
        crate::ui::tools::capture(app, cx, ui);
    });
    block(ui, "replies", |ui| {
        crate::ui::tools::auto_reply(app, cx, ui)
    });
    block(ui, "log", |ui| log(app, cx, ui));
    block(ui, "export", |ui| crate::ui::tools::export_log(app, cx, ui));
    // A file dropped on the window opens its section, scrolled into view.
    let reveal = app.reveal_file.is_some();
    crate::ui::block_or_shown(ui, "tools", reveal, |ui| {
        crate::ui::tools::show(app, cx, ui)
    });
}

/// Protocol, addresses, Open/Close and the socket's options.
fn net(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
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
                for &p in Protocol::ALL {
                    ui.selectable_value(&mut app.settings.protocol, p, tr.protocol_name(p));
                }
            })
            .response
            .labelled_by(label.id);

        let unix = app.settings.protocol.is_unix();
        if unix {
            // Paths instead of addresses.
            if app.settings.protocol != Protocol::UnixClient {
                let label = ui.label(tr.unix_path);
                ui.add(
                    TextEdit::singleline(&mut app.settings.unix_path)
                        .hint_text("/tmp/app.sock")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            }
            let name = if app.settings.protocol == Protocol::UnixClient {
                tr.unix_server_path
            } else {
                tr.unix_remote_path
            };
            let label = ui.label(name);
            ui.add(
                TextEdit::singleline(&mut app.settings.unix_remote)
                    .hint_text("/tmp/app.sock")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        }
        if !unix && app.settings.protocol != Protocol::TcpClient {
            let label = ui.label(tr.local_addr);
            ui.horizontal(|ui| {
                ComboBox::from_id_salt("local_addr")
                    .selected_text(app.settings.local_ip.clone())
                    .width(ui.available_width() - 70.0)
                    .show_ui(ui, |ui| {
                        for a in cx.addresses {
                            let ip = a.text();
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
        if matches!(
            app.settings.protocol,
            Protocol::TcpServer | Protocol::TcpClient | Protocol::UnixServer | Protocol::UnixClient
        ) {
            let label = ui.label(tr.peer_fin);
            let name = |keep: bool| {
                if keep {
                    tr.peer_fin_keep
                } else {
                    tr.peer_fin_close
                }
            };
            egui::ComboBox::from_id_salt("peer_fin")
                .selected_text(name(app.settings.keep_half_open))
                .width(ui.available_width())
                .show_ui(ui, |ui| {
                    for keep in [false, true] {
                        ui.selectable_value(&mut app.settings.keep_half_open, keep, name(keep));
                    }
                })
                .response
                .on_hover_text(tr.peer_fin_hint)
                .labelled_by(label.id);
        }
    });

    if app.settings.protocol != Protocol::TcpServer && !app.settings.protocol.is_unix() {
        // The UDP remote stays editable while open: it is where Send goes.
        let relay = app.settings.protocol.is_relay();
        ui.add_enabled_ui(!active || app.settings.protocol == Protocol::Udp, |ui| {
            // A relay's remote is the target each client is linked to.
            let label = ui.label(if relay {
                tr.target_host
            } else {
                tr.remote_host
            });
            ui.add(
                TextEdit::singleline(&mut app.settings.remote_host).desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            if app.settings.protocol == Protocol::Udp {
                // One click makes a broadcast address the remote.
                let label = ui.label(tr.broadcast_to);
                ComboBox::from_id_salt("broadcast_to")
                    .selected_text("…")
                    .show_ui(ui, |ui| {
                        for (b, iface) in crate::net::interfaces::broadcast_addresses(cx.addresses)
                        {
                            let text = if iface.is_empty() {
                                b.to_string()
                            } else {
                                format!("{b}  ({iface})")
                            };
                            if ui.selectable_label(false, text).clicked() {
                                app.settings.remote_host = b.to_string();
                            }
                        }
                    })
                    .response
                    .on_hover_text(tr.broadcast_hint)
                    .labelled_by(label.id);
            }
            let label = ui.label(if relay {
                tr.target_port
            } else {
                tr.remote_port
            });
            ui.add(
                TextEdit::singleline(&mut app.settings.remote_port).desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            if app.settings.protocol == Protocol::TcpClient {
                let label = ui.label(tr.source_port);
                ui.add(
                    TextEdit::singleline(&mut app.settings.source_port)
                        .hint_text(tr.source_port_hint)
                        .desired_width(f32::INFINITY),
                )
                .on_hover_text(tr.source_port_tip)
                .labelled_by(label.id);
            }
            if matches!(app.settings.protocol, Protocol::TcpClient | Protocol::Relay) {
                let label = ui.label(tr.connect_timeout);
                ui.add(
                    TextEdit::singleline(&mut app.settings.connect_timeout)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            }
            if app.settings.protocol == Protocol::TcpClient {
                ui.checkbox(&mut app.settings.reconnect, tr.reconnect)
                    .on_hover_text(tr.reconnect_hint);
            }
        });
    }

    // The local address has its line whether open or not, so opening or
    // closing never moves the controls under it.
    let what = if app.settings.protocol == Protocol::TcpClient {
        tr.local_end
    } else {
        tr.bound_to
    };
    match app.local_addr().filter(|_| app.phase() == Phase::Open) {
        Some(local) => ui.label(format!("{what}: {}", crate::net::peer_text(local))),
        None => ui.weak(format!("{what}: —")),
    };
    // A client's connection: how it is doing, live. Its line is there
    // whether connected or not (one line, the whole on hover), so
    // connecting never moves the controls under it.
    if app.settings.protocol == Protocol::TcpClient {
        let health = app.remote_peer().and_then(|p| app.health.get(&p));
        let text = match health {
            Some(h) => tr.health(h),
            None if !crate::net::health::SUPPORTED => tr.health_unavailable().to_string(),
            None => format!("{}: —", tr.health_title()),
        };
        ui.add(egui::Label::new(RichText::new(&text).small().weak()).truncate())
            .on_hover_text(text);
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
    // A TCP client's connection: half-close or reset it on purpose. The
    // row is there before the connection is, so nothing moves when it comes.
    if app.settings.protocol == Protocol::TcpClient {
        let peer = app.connected_peer();
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(peer.is_some(), egui::Button::new(tr.shut_write))
                .on_hover_text(tr.shut_write_hint)
                .clicked()
                && let Some(p) = peer
            {
                cx.act(id, SessionAction::ShutdownWrite(vec![p]));
            }
            if ui
                .add_enabled(peer.is_some(), egui::Button::new(tr.reset_conn))
                .on_hover_text(tr.reset_conn_hint)
                .clicked()
                && let Some(p) = peer
            {
                cx.act(id, SessionAction::Reset(vec![p]));
            }
        });
    }
    if app.settings.protocol.is_relay() {
        // Either direction can be held: what arrives is shown and waits.
        let a = ui.checkbox(&mut app.hold_to_target, tr.relay_hold_to_target);
        let b = ui.checkbox(&mut app.hold_to_client, tr.relay_hold_to_client);
        if a.on_hover_text(tr.relay_hold_hint).changed()
            || b.on_hover_text(tr.relay_hold_hint).changed()
        {
            cx.act(id, SessionAction::Hold);
        }
    }
    if app.settings.protocol.is_relay() {
        impairment(app, cx, ui);
    }
    if !app.settings.protocol.is_unix() {
        socket_options(app, cx, ui);
    }
    if app.settings.protocol == Protocol::Udp {
        multicast(app, cx, ui);
    }
    let err_color = ui.visuals().error_fg_color;
    if let Some(e) = &app.form_error {
        ui.colored_label(err_color, tr.problem(e));
    }
    if let Some(e) = &app.session_error {
        ui.colored_label(err_color, tr.net_error(e));
        // A socket file left by a program that has ended: removed only
        // when the user says so.
        if e.detail == crate::net::Detail::StaleSocket
            && !active
            && ui.button(tr.remove_stale_and_open).clicked()
        {
            app.remove_stale_once = true;
            cx.act(id, SessionAction::Open);
        }
    }
}

/// How received records are shown.
fn receive(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = app.id;
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
    let current = codec::text::encoding_name(codec::encoding_by_name(&app.settings.encoding));
    ComboBox::from_id_salt("encoding")
        .selected_text(current)
        .width(ui.available_width() - 8.0)
        .height(400.0)
        .show_ui(ui, |ui| {
            for enc in codec::ENCODINGS {
                let name = codec::text::encoding_name(enc);
                if ui.selectable_label(current == name, name).clicked() {
                    app.settings.encoding = name.to_string();
                    // Text patterns of auto-reply rules are read in it.
                    if !app.settings.replies.is_empty() {
                        cx.act(id, SessionAction::SetReplies);
                    }
                }
            }
        })
        .response
        .labelled_by(label.id);
    let label = ui.label(tr.time_shown);
    let time_name = |m: TimeMode| match m {
        TimeMode::Absolute => tr.time_absolute,
        TimeMode::Relative => tr.time_relative,
        TimeMode::Delta => tr.time_delta,
    };
    ComboBox::from_id_salt("time_mode")
        .selected_text(time_name(app.settings.time_mode))
        .width(ui.available_width() - 8.0)
        .show_ui(ui, |ui| {
            for m in [TimeMode::Absolute, TimeMode::Relative, TimeMode::Delta] {
                ui.selectable_value(&mut app.settings.time_mode, m, time_name(m));
            }
        })
        .response
        .labelled_by(label.id);
}

/// Scrolling, wrapping, echo and the log's size.
fn log(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = app.id;
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
}

/// The framing choice and its fields; a change applies at once to an open
/// session (what each connection held is handed on as partial first).
fn framing(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let before = app.settings.framing.clone();
    let f = &mut app.settings.framing;
    let name = |m: FramingMode| match m {
        FramingMode::None => tr.framing_none,
        FramingMode::Lf => tr.framing_lf,
        FramingMode::CrLf => tr.framing_crlf,
        FramingMode::Delimiter => tr.framing_delim,
        FramingMode::Fixed => tr.framing_fixed,
        FramingMode::LengthPrefix => tr.framing_len,
        FramingMode::Idle => tr.framing_idle,
    };
    let label = ui.label(tr.framing);
    ComboBox::from_id_salt("framing")
        .selected_text(name(f.mode))
        .width(ui.available_width() - 8.0)
        .show_ui(ui, |ui| {
            for m in FramingMode::ALL {
                ui.selectable_value(&mut f.mode, m, name(m));
            }
        })
        .response
        .labelled_by(label.id);
    // Whether one of the fields is being typed in.
    let field = |ui: &mut egui::Ui, label: &str, value: &mut String| -> bool {
        ui.horizontal(|ui| {
            let l = ui.label(label);
            ui.add(TextEdit::singleline(value).desired_width(f32::INFINITY))
                .labelled_by(l.id)
                .has_focus()
        })
        .inner
    };
    let mut editing = false;
    match f.mode {
        FramingMode::None => {}
        FramingMode::Lf | FramingMode::CrLf => {
            ui.checkbox(&mut f.keep, tr.keep_delimiter);
        }
        FramingMode::Delimiter => {
            editing |= field(ui, tr.delimiter_hex, &mut f.delimiter);
            ui.checkbox(&mut f.keep, tr.keep_delimiter);
        }
        FramingMode::Fixed => editing |= field(ui, tr.frame_length, &mut f.fixed_len),
        FramingMode::LengthPrefix => {
            ui.horizontal(|ui| {
                let l = ui.label(tr.length_bytes);
                ComboBox::from_id_salt("len_width")
                    .selected_text(format!("{}", f.len_width))
                    .width(40.0)
                    .show_ui(ui, |ui| {
                        for w in [1u8, 2, 4] {
                            ui.selectable_value(&mut f.len_width, w, format!("{w}"));
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.checkbox(&mut f.big_endian, tr.big_endian);
            });
            editing |= field(ui, tr.length_offset, &mut f.len_offset);
            ui.checkbox(&mut f.includes_header, tr.length_includes_header);
            editing |= field(ui, tr.max_frame, &mut f.max_frame);
            ui.checkbox(&mut f.close_on_oversize, tr.close_on_oversize);
        }
        FramingMode::Idle => editing |= field(ui, tr.idle_ms, &mut f.idle_ms),
    }
    let changed = *f != before;
    let valid = match f.framing() {
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, tr.problem(&e));
            false
        }
        Ok(_) => true,
    };
    // A change applies to an open session at once (what each connection
    // held is handed on as partial first), but a number or a delimiter
    // being typed applies when the field is left (Enter, Tab or a click
    // elsewhere), not at each keystroke: typing 100 must not frame by 1,
    // then by 10, on the way.
    if !app.is_active() {
        app.framing_pending = false;
    } else if changed || app.framing_pending {
        app.framing_pending = editing || !valid;
        if !app.framing_pending {
            cx.act(app.id, SessionAction::SetFraming);
        }
    }
}

/// The socket options section: each option left to the system or set
/// (before opening), and what the socket says once open.
fn socket_options(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let active = app.is_active();
    let protocol = app.settings.protocol;
    let tcp = !protocol.is_datagram();
    egui::CollapsingHeader::new(tr.socket_options)
        .id_salt("socket_options")
        .show(ui, |ui| {
            ui.add_enabled_ui(!active, |ui| {
                let o = &mut app.settings.options;
                // "Default" says what it does: the system's choice, or
                // NetPal's own where it sets one (TCP_NODELAY, SO_BROADCAST).
                let tri = |ui: &mut egui::Ui, name: &str, v: &mut Tri, default: &str| {
                    let label = ui.label(name);
                    let text = |t: Tri| match t {
                        Tri::Default => default,
                        Tri::On => tr.opt_on,
                        Tri::Off => tr.opt_off,
                    };
                    ComboBox::from_id_salt(name)
                        .selected_text(text(*v))
                        .show_ui(ui, |ui| {
                            for t in Tri::ALL {
                                ui.selectable_value(v, t, text(t));
                            }
                        })
                        .response
                        .labelled_by(label.id);
                };
                let field = |ui: &mut egui::Ui, name: &str, v: &mut String| {
                    let label = ui.label(name);
                    ui.add(
                        TextEdit::singleline(v)
                            .hint_text(tr.opt_default)
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(label.id);
                };
                if tcp {
                    tri(ui, "TCP_NODELAY", &mut o.nodelay, tr.opt_default_on);
                    tri(ui, "SO_KEEPALIVE", &mut o.keepalive, tr.opt_default);
                    if o.keepalive == Tri::On {
                        field(ui, tr.opt_keepalive_idle, &mut o.keepalive_idle);
                        field(ui, tr.opt_keepalive_interval, &mut o.keepalive_interval);
                    }
                    field(ui, tr.opt_linger, &mut o.linger);
                }
                if protocol != Protocol::TcpClient {
                    // For `::`: IPv6 only, or IPv4 too (dual stack).
                    tri(ui, "IPV6_V6ONLY", &mut o.v6only, tr.opt_default);
                }
                tri(ui, "SO_REUSEADDR", &mut o.reuse_addr, tr.opt_default);
                #[cfg(unix)]
                tri(ui, "SO_REUSEPORT", &mut o.reuse_port, tr.opt_default);
                field(ui, tr.opt_rcvbuf, &mut o.recv_buf);
                field(ui, tr.opt_sndbuf, &mut o.send_buf);
                field(ui, tr.opt_ttl, &mut o.ttl);
                if protocol == Protocol::Udp {
                    tri(ui, "SO_BROADCAST", &mut o.broadcast, tr.opt_default_on);
                    field(ui, tr.opt_mcast_ttl, &mut o.mcast_ttl);
                    tri(ui, "IP_MULTICAST_LOOP", &mut o.mcast_loop, tr.opt_default);
                }
            });
            if active {
                let mut lines = Vec::new();
                if let Some(r) = &app.options_read {
                    lines.push(r.to_string());
                }
                if let Some((p, r)) = &app.conn_options_read {
                    lines.push(format!("{p}: {r}"));
                }
                if !lines.is_empty() {
                    ui.label(RichText::new(tr.opt_read_back).strong());
                    for l in lines {
                        ui.add(egui::Label::new(RichText::new(l).monospace()).wrap());
                    }
                }
            }
        });
}

/// The multicast section (UDP): join a group on an interface, the groups
/// joined (again at every open), Leave.
fn multicast(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = app.id;
    egui::CollapsingHeader::new(tr.multicast)
        .id_salt("multicast")
        .show(ui, |ui| {
            let label = ui.label(tr.mcast_group);
            ui.add(
                TextEdit::singleline(&mut app.settings.mcast_group)
                    .hint_text("239.1.2.3")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            let label = ui.label(tr.mcast_iface);
            ui.add(
                TextEdit::singleline(&mut app.settings.mcast_iface).desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            if ui
                .button(tr.mcast_join)
                .on_hover_text(tr.mcast_hint)
                .clicked()
            {
                cx.act(id, SessionAction::Join);
            }
            if let Some(e) = &app.mcast_error {
                ui.colored_label(ui.visuals().error_fg_color, tr.problem(e));
            }
            for text in app.settings.joins.clone() {
                let now = crate::net::Membership::parse(&text)
                    .ok()
                    .is_some_and(|m| app.joined.iter().any(|(g, _)| *g == m.group));
                ui.horizontal(|ui| {
                    let mark = if now { "●" } else { "○" };
                    ui.label(format!("{mark} {text}"));
                    if ui
                        .small_button(tr.mcast_leave)
                        .on_hover_text(&text)
                        .clicked()
                    {
                        cx.act(id, SessionAction::Leave(text.clone()));
                    }
                });
            }
        });
}

/// A relay's bad network on purpose: a switch, each effect for each
/// direction as text in the spec syntax, what is wrong, and what the
/// effects have done. A change applies at once to what is forwarded next.
fn impairment(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    use crate::net::impair::{OPTIONS, datagram_only, stream_only};
    let udp = app.settings.protocol == Protocol::UdpRelay;
    let tr = cx.tr;
    let id = app.id;
    let before = app.settings.impair.clone();
    let mut done_editing = false;
    egui::CollapsingHeader::new(tr.impair_title(udp))
        .id_salt("impair")
        .show(ui, |ui| {
            done_editing |= ui
                .checkbox(&mut app.settings.impair.on, tr.impair_on())
                .on_hover_text(tr.impair_hint())
                .changed();
            let width = ((ui.available_width() - ui.spacing().item_spacing.x) / 2.0).max(40.0);
            ui.horizontal(|ui| {
                ui.add_sized(
                    [width, 14.0],
                    egui::Label::new(RichText::new(tr.impair_side(true)).weak()),
                );
                ui.add_sized(
                    [width, 14.0],
                    egui::Label::new(RichText::new(tr.impair_side(false)).weak()),
                );
            });
            // Each kind shows the options it takes.
            for key in OPTIONS.iter().filter(|k| {
                if udp {
                    !stream_only(k)
                } else {
                    !datagram_only(k)
                }
            }) {
                ui.label(tr.impair_option(key))
                    .on_hover_text(tr.impair_example(key));
                if *key == "order" {
                    // A switch per direction, kept as the spec writes it.
                    ui.horizontal(|ui| {
                        for toward_target in [true, false] {
                            let text = app.settings.impair.text_mut(toward_target, key);
                            let mut keep = text.trim() == "keep";
                            let name = format!(
                                "{} {}",
                                tr.impair_option(key),
                                tr.impair_side(toward_target).to_lowercase()
                            );
                            let r = ui
                                .add_sized([width, 18.0], egui::Checkbox::without_text(&mut keep))
                                .accessible_name(name);
                            if r.changed() {
                                *text = if keep { "keep".into() } else { String::new() };
                                done_editing = true;
                            }
                        }
                    });
                    continue;
                }
                ui.horizontal(|ui| {
                    for toward_target in [true, false] {
                        let text = app.settings.impair.text_mut(toward_target, key);
                        done_editing |= ui
                            .add(
                                TextEdit::singleline(text)
                                    .hint_text(tr.impair_example(key))
                                    .desired_width(width - 4.0),
                            )
                            .accessible_name(format!(
                                "{} {}",
                                tr.impair_option(key),
                                tr.impair_side(toward_target).to_lowercase()
                            ))
                            .lost_focus();
                    }
                });
            }
            if let Err(e) = app.settings.impair.impairment() {
                ui.colored_label(ui.visuals().error_fg_color, tr.problem(&e));
            }
            let done = app.impaired();
            for (toward_target, counts) in [(true, done.to_target), (false, done.to_client)] {
                if !counts.is_zero() {
                    ui.label(
                        RichText::new(format!(
                            "{}: {}",
                            tr.impair_side(toward_target),
                            tr.impair_counts(&counts)
                        ))
                        .small(),
                    );
                }
            }
        });
    if app.settings.impair != before {
        cx.act(id, SessionAction::SetImpairment);
    }
    if done_editing {
        cx.act(id, SessionAction::SayImpairment);
    }
}
