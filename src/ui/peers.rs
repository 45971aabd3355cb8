//! The right column: a TCP server's clients, or the UDP peers seen.
//! Rows are virtualised, so ten thousand clients scroll smoothly. Each row
//! has two lines, the address and then its time and counters, so nothing is
//! cut at the column's default width.

use crate::net::Protocol;
use crate::session::{PeerInfo, Session, SessionAction};
use crate::ui::i18n::Tr;
use crate::ui::{Cx, clock, human_bytes};
use egui::{Label, RichText};

pub fn show(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    match app.protocol() {
        Protocol::TcpServer | Protocol::Relay | Protocol::UdpRelay | Protocol::UnixServer => {
            clients(app, cx, ui)
        }
        Protocol::Udp | Protocol::UnixDgram => udp_peers(app, cx, ui),
        Protocol::TcpClient | Protocol::UnixClient => {}
    }
}

/// A row's second line: since when, and bytes each way.
fn stats(tr: &Tr, p: &PeerInfo) -> String {
    let mut text = format!(
        "{}  {} {} / {} {}",
        clock(p.since),
        tr.rx,
        human_bytes(p.rx_bytes),
        tr.tx,
        human_bytes(p.tx_bytes)
    );
    if p.fin {
        text.push_str(" · ");
        text.push_str(tr.fin_received);
    }
    text
}

/// Height of a two-line row.
fn row_height(ui: &egui::Ui) -> f32 {
    ui.spacing().interact_size.y + ui.text_style_height(&egui::TextStyle::Body) + 6.0
}

fn clients(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    ui.heading(tr.clients_title(app.clients.len()));
    ui.horizontal_wrapped(|ui| {
        if ui.button(tr.select_all).clicked() {
            for p in app.clients.items_mut() {
                p.selected = true;
            }
        }
        if ui.button(tr.select_none).clicked() {
            for p in app.clients.items_mut() {
                p.selected = false;
            }
        }
        let sel = app.clients.selected();
        if ui
            .add_enabled(!sel.is_empty(), egui::Button::new(tr.disconnect_selected))
            .clicked()
        {
            cx.act(app.id, SessionAction::Disconnect(sel.clone()));
        }
        if ui
            .add_enabled(!sel.is_empty(), egui::Button::new(tr.shut_write))
            .on_hover_text(tr.shut_write_hint)
            .clicked()
        {
            cx.act(app.id, SessionAction::ShutdownWrite(sel.clone()));
        }
        if ui
            .add_enabled(!sel.is_empty(), egui::Button::new(tr.reset_conn))
            .on_hover_text(tr.reset_conn_hint)
            .clicked()
        {
            cx.act(app.id, SessionAction::Reset(sel));
        }
    });
    ui.separator();
    if app.clients.is_empty() {
        ui.weak(tr.no_clients);
        return;
    }
    // A third line for how each connection is doing, where told.
    let with_health = !app.health.is_empty();
    let row_h = row_height(ui)
        + if with_health {
            ui.text_style_height(&egui::TextStyle::Small)
        } else {
            0.0
        };
    let n = app.clients.len();
    let health = &app.health;
    egui::ScrollArea::vertical()
        .id_salt("clients_scroll")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, n, |ui, range| {
            for p in app.clients.rows_mut(range) {
                ui.allocate_ui(egui::vec2(ui.available_width(), row_h), |ui| {
                    ui.vertical(|ui| {
                        ui.spacing_mut().item_spacing.y = 0.0;
                        ui.checkbox(&mut p.selected, crate::net::peer_text(p.addr));
                        let text = stats(tr, p);
                        ui.add(Label::new(RichText::new(&text).weak()).truncate())
                            .on_hover_text(format!("{}: {text}", tr.connected_at));
                        if let Some(h) = health.get(&p.addr) {
                            let text = tr.health(h);
                            ui.add(Label::new(RichText::new(&text).small().weak()).truncate())
                                .on_hover_text(text);
                        }
                    });
                });
            }
        });
}

fn udp_peers(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    ui.heading(format!("{} ({})", tr.peers, app.udp_peers.len()));
    ui.separator();
    if app.udp_peers.is_empty() {
        ui.weak(tr.no_peers);
        return;
    }
    let row_h = row_height(ui);
    let n = app.udp_peers.len();
    let mut use_as = None;
    egui::ScrollArea::vertical()
        .id_salt("peers_scroll")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, n, |ui, range| {
            for p in app.udp_peers.rows(range) {
                ui.allocate_ui(egui::vec2(ui.available_width(), row_h), |ui| {
                    // The address on a line of its own and the button
                    // before the counters: a narrow column shortens them
                    // (whole on hover) instead of growing past the pane.
                    ui.vertical(|ui| {
                        ui.spacing_mut().item_spacing.y = 0.0;
                        let addr = crate::net::peer_text(p.addr);
                        ui.add(Label::new(&addr).truncate()).on_hover_text(&addr);
                        ui.horizontal(|ui| {
                            if ui
                                .small_button(tr.use_as_remote)
                                .accessible_name(tr.use_peer_as_remote(&addr))
                                .clicked()
                            {
                                use_as = Some(p.addr);
                            }
                            let text = stats(tr, p);
                            ui.add(Label::new(RichText::new(&text).weak()).truncate())
                                .on_hover_text(text);
                        });
                    });
                });
            }
        });
    if let Some(a) = use_as {
        cx.act(app.id, SessionAction::UseAsRemote(a));
    }
}
