//! The status bar: state, bound address, RX/TX counters.

use crate::app::{Action, App, Phase};
use crate::net::Protocol;
use crate::ui::thousands;

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    ui.horizontal(|ui| {
        let (state, color) = match app.phase() {
            Phase::Closed => (tr.state_closed.to_string(), ui.visuals().weak_text_color()),
            Phase::Opening => (tr.state_opening.to_string(), ui.visuals().warn_fg_color),
            Phase::Connecting(a) => (
                format!("{} {a}", tr.state_connecting),
                ui.visuals().warn_fg_color,
            ),
            Phase::Open => {
                let s = match app.settings.protocol {
                    Protocol::TcpServer => tr.state_listening,
                    Protocol::TcpClient => tr.state_connected,
                    Protocol::Udp => tr.state_bound,
                };
                let mut s = s.to_string();
                if let Some(l) = app.local_addr() {
                    s.push(' ');
                    s.push_str(&l.to_string());
                }
                if let Some(p) = app.peer {
                    s.push_str(" → ");
                    s.push_str(&p.to_string());
                }
                (s, egui::Color32::from_rgb(0x2e, 0xa0, 0x43))
            }
        };
        ui.colored_label(color, format!("● {state}"));
        ui.separator();
        let c = app.counters();
        ui.label(format!(
            "{} {} {} / {} {}",
            tr.rx,
            thousands(c.rx_bytes),
            tr.bytes,
            thousands(c.rx_packets),
            tr.packets
        ));
        ui.separator();
        ui.label(format!(
            "{} {} {} / {} {}",
            tr.tx,
            thousands(c.tx_bytes),
            tr.bytes,
            thousands(c.tx_packets),
            tr.packets
        ));
        if ui.small_button(tr.reset_counters).clicked() {
            app.actions.push(Action::ResetCounters);
        }
        ui.separator();
        ui.weak(format!(
            "{} {}",
            thousands(app.log().len() as u64),
            tr.records
        ));
    });
}
