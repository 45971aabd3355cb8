//! The Ports pane: every TCP and UDP socket of the machine in a table that
//! sorts by any column and filters as you type; a new socket lights up, a
//! gone one stays greyed for a few seconds; NetPal's own are marked, and a
//! row's buttons open a client to a listener or show NetPal's session.

use crate::app::{Action, App};
use crate::net::ports::PortProto;
use crate::portview::{PortRow, SortBy};
use egui::{Align, Color32, Layout, RichText, TextEdit};
use egui_extras::{Column, TableBuilder};
use std::time::Instant;

/// What each column title sorts by (the ephemeral mark and the actions
/// sort by nothing).
const COLUMNS: [Option<SortBy>; 8] = [
    Some(SortBy::Proto),
    Some(SortBy::Local),
    Some(SortBy::Remote),
    Some(SortBy::State),
    None,
    Some(SortBy::Pid),
    Some(SortBy::Process),
    None,
];

/// The pane, in the bottom panel the workspace gives it.
pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let tr = app.tr();
    let Some(view) = app.ports.as_mut() else {
        return;
    };
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        ui.strong(tr.ports_button());
        let l = ui.label(tr.ports_filter());
        let mut f = view.filter().to_string();
        let r = ui
            .add(
                TextEdit::singleline(&mut f)
                    .hint_text(tr.ports_filter_hint())
                    .desired_width(200.0),
            )
            .labelled_by(l.id);
        if r.changed() {
            view.set_filter(f);
        }
        if view.has_read() {
            ui.label(tr.ports_count(view.live(), view.shown_len()));
        } else {
            ui.weak(tr.ports_reading());
        }
        ui.weak(tr.ports_range(view.range));
        if let Some(d) = view.took {
            ui.weak(tr.ports_took(d));
        }
        if let Some(e) = &view.error {
            ui.colored_label(ui.visuals().error_fg_color, tr.ports_unreadable(e));
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .small_button("×")
                .on_hover_text(tr.ports_close())
                .accessible_name(tr.ports_close())
                .clicked()
            {
                actions.push(Action::TogglePorts);
            }
        });
    });
    ui.separator();
    let titles = tr.ports_columns();
    let (sorted_by, ascending) = view.sort();
    let mut sort_click = None;
    let now = Instant::now();
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let table = TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .cell_layout(Layout::left_to_right(Align::Center))
        .column(Column::auto().at_least(44.0))
        .column(Column::initial(190.0).at_least(90.0).clip(true))
        .column(Column::initial(190.0).at_least(90.0).clip(true))
        .column(Column::initial(100.0).at_least(60.0).clip(true))
        .column(Column::auto().at_least(40.0))
        .column(Column::auto().at_least(48.0))
        .column(Column::initial(150.0).at_least(60.0).clip(true))
        .column(Column::remainder().at_least(120.0))
        .min_scrolled_height(0.0);
    table
        .header(row_h + 2.0, |mut header| {
            for (i, title) in titles.iter().enumerate() {
                header.col(|ui| match COLUMNS.get(i).copied().flatten() {
                    Some(by) => {
                        let arrow = match (sorted_by == by, ascending) {
                            (true, true) => " ↑",
                            (true, false) => " ↓",
                            _ => "",
                        };
                        if ui
                            .add(
                                egui::Button::new(
                                    RichText::new(format!("{title}{arrow}")).strong(),
                                )
                                .frame(false),
                            )
                            .clicked()
                        {
                            sort_click = Some(by);
                        }
                    }
                    _ => {
                        ui.strong(*title);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_h, view.shown_len(), |mut row| {
                let Some(r) = view.shown_row(row.index()) else {
                    return;
                };
                let cells = row_cells(r, view.range, tr);
                let new = r.is_new(now);
                let gone = r.gone.is_some();
                for (i, text) in cells.iter().enumerate() {
                    row.col(|ui| {
                        if new {
                            let fill = Color32::from_rgba_unmultiplied(60, 200, 90, 48);
                            ui.painter().rect_filled(ui.max_rect(), 0.0, fill);
                        }
                        let mut t = RichText::new(text.as_str());
                        if gone {
                            t = t.weak().strikethrough();
                        }
                        let resp = ui.add(egui::Label::new(t).truncate());
                        // The addresses can be copied.
                        let addr = match i {
                            1 => Some(r.sock.local),
                            2 => r.sock.remote,
                            _ => None,
                        };
                        if let Some(a) = addr {
                            resp.context_menu(|ui| {
                                if ui.button(tr.ports_copy()).clicked() {
                                    ui.ctx().copy_text(a.to_string());
                                }
                            });
                        }
                    });
                }
                row.col(|ui| {
                    if gone {
                        return;
                    }
                    let s = &r.sock;
                    if s.proto == PortProto::Tcp && s.is_listening() {
                        if ui.small_button(tr.ports_connect()).clicked() {
                            actions.push(Action::PortConnect(s.local));
                        }
                    } else if s.proto == PortProto::Udp && ui.small_button(tr.ports_udp()).clicked()
                    {
                        actions.push(Action::PortUdp(s.local));
                    }
                    if s.is_ours() && ui.small_button(tr.ports_show_session()).clicked() {
                        actions.push(Action::PortSession(s.proto, s.local.port()));
                    }
                });
            });
        });
    if let Some(by) = sort_click {
        view.sort_by(by);
    }
    app.actions.extend(actions);
}

/// A row's cells as text: protocol, local, remote, state, ephemeral mark,
/// PIDs, processes.
fn row_cells(
    r: &PortRow,
    range: Option<crate::net::ports::EphemeralRange>,
    tr: &crate::ui::i18n::Tr,
) -> [String; 7] {
    let s = &r.sock;
    let pids: Vec<String> = s.holders.iter().map(|h| h.pid.to_string()).collect();
    let mut names: Vec<String> = s
        .holders
        .iter()
        .map(|h| h.name.clone().unwrap_or_else(|| "?".into()))
        .collect();
    if s.holders.is_empty() {
        names.push(tr.ports_hidden(s.uid));
    }
    if s.is_ours() {
        names = vec![tr.ports_ours().to_string()];
    }
    let eph = range.is_some_and(|g| g.contains(s.local.port()));
    [
        s.proto.name().to_string(),
        s.local.to_string(),
        s.remote.map(|a| a.to_string()).unwrap_or_default(),
        s.state.unwrap_or("").to_string(),
        if eph {
            tr.ports_yes().into()
        } else {
            String::new()
        },
        pids.join(", "),
        names.join(", "),
    ]
}
