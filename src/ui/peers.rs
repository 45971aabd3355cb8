//! The right column: a TCP server's clients, or the UDP peers seen.
//! Rows are virtualised, so ten thousand clients scroll smoothly.

use crate::app::{Action, App};
use crate::net::Protocol;
use crate::ui::{clock, human_bytes};

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    match app.settings.protocol {
        Protocol::TcpServer => clients(app, ui),
        Protocol::Udp => udp_peers(app, ui),
        Protocol::TcpClient => {}
    }
}

fn clients(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
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
            app.actions.push(Action::Disconnect(sel));
        }
    });
    ui.separator();
    if app.clients.is_empty() {
        ui.weak(tr.no_clients);
        return;
    }
    let row_h = ui.spacing().interact_size.y;
    let n = app.clients.len();
    egui::ScrollArea::vertical()
        .id_salt("clients_scroll")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, n, |ui, range| {
            for p in &mut app.clients.items_mut()[range] {
                ui.horizontal(|ui| {
                    ui.checkbox(&mut p.selected, p.addr.to_string());
                    let stats = format!(
                        "{}  {} {} / {} {}",
                        clock(p.since),
                        tr.rx,
                        human_bytes(p.rx_bytes),
                        tr.tx,
                        human_bytes(p.tx_bytes)
                    );
                    // Truncated, so a long row never widens the column.
                    ui.add(egui::Label::new(egui::RichText::new(&stats).weak()).truncate())
                        .on_hover_text(format!("{}: {stats}", tr.connected_at));
                });
            }
        });
}

fn udp_peers(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    ui.heading(format!("{} ({})", tr.peers, app.udp_peers.len()));
    ui.separator();
    if app.udp_peers.is_empty() {
        ui.weak(tr.no_peers);
        return;
    }
    let row_h = ui.spacing().interact_size.y;
    let n = app.udp_peers.len();
    let mut use_as = None;
    egui::ScrollArea::vertical()
        .id_salt("peers_scroll")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, n, |ui, range| {
            for p in &app.udp_peers.items()[range] {
                ui.horizontal(|ui| {
                    let addr = p.addr.to_string();
                    if ui
                        .small_button(tr.use_as_remote)
                        .accessible_name(tr.use_peer_as_remote(&addr))
                        .clicked()
                    {
                        use_as = Some(p.addr);
                    }
                    ui.label(&addr);
                    let stats = format!(
                        "{} {} / {} {}",
                        tr.rx,
                        human_bytes(p.rx_bytes),
                        tr.tx,
                        human_bytes(p.tx_bytes)
                    );
                    ui.add(egui::Label::new(egui::RichText::new(&stats).weak()).truncate())
                        .on_hover_text(stats);
                });
            }
        });
    if let Some(a) = use_as {
        app.actions.push(Action::UseAsRemote(a));
    }
}
