//! The status bar: the focused session's state, address and RX/TX counters,
//! and how many sessions are open.

use crate::app::{Action, App};
use crate::net::Protocol;
use crate::session::{Phase, Session, SessionAction};
use crate::ui::i18n::Tr;
use crate::ui::thousands;
use egui::Color32;

/// The colour of a session's state (the dot in its tab and here).
pub fn state_color(s: &Session, visuals: &egui::Visuals) -> Color32 {
    match s.phase() {
        Phase::Closed if s.session_error.is_some() => visuals.error_fg_color,
        Phase::Closed => visuals.weak_text_color(),
        Phase::Opening | Phase::Connecting(_) | Phase::Reconnecting { .. } => visuals.warn_fg_color,
        Phase::Open => Color32::from_rgb(0x2e, 0xa0, 0x43),
    }
}

/// A session's state in words, with its addresses.
pub fn state_text(s: &Session, tr: &Tr) -> String {
    match s.phase() {
        Phase::Closed => tr.state_closed.to_string(),
        Phase::Opening => tr.state_opening.to_string(),
        Phase::Connecting(a) => format!("{} {a}", tr.state_connecting),
        Phase::Reconnecting { attempt, at } => {
            let left = at.saturating_duration_since(std::time::Instant::now());
            tr.reconnecting_in(left.as_secs_f64().ceil() as u64, attempt)
        }
        Phase::Open => {
            let mut text = match s.protocol() {
                Protocol::TcpServer | Protocol::Relay | Protocol::UnixServer => tr.state_listening,
                Protocol::TcpClient | Protocol::UnixClient => tr.state_connected,
                Protocol::Udp | Protocol::UdpRelay | Protocol::UnixDgram => tr.state_bound,
            }
            .to_string();
            if let Some(l) = s.local_addr() {
                text.push(' ');
                text.push_str(&crate::net::peer_text(l));
            }
            if let Some(p) = s.remote_peer() {
                text.push_str(" → ");
                text.push_str(&crate::net::peer_text(p));
            }
            if s.peer_fin {
                text.push_str(" · ");
                text.push_str(tr.fin_received);
            }
            text
        }
    }
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    let (open, all) = (app.open_count(), app.sessions.len());
    let mut reset = None;
    ui.horizontal(|ui| {
        if let Some(s) = app.focused() {
            if matches!(s.phase(), Phase::Reconnecting { .. }) {
                // The count down moves on by itself.
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(250));
            }
            ui.colored_label(
                state_color(s, ui.visuals()),
                format!("● {}", state_text(s, tr)),
            );
            ui.separator();
            let c = s.counters();
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
                reset = Some(s.id);
            }
            ui.separator();
            ui.weak(format!(
                "{} {}",
                thousands(s.log().len() as u64),
                tr.records
            ));
            ui.separator();
        }
        ui.label(tr.open_sessions(open, all));
    });
    if let Some(id) = reset {
        app.actions
            .push(Action::Session(id, SessionAction::ResetCounters));
    }
}
