//! The sending toolkit in the settings column: periodic send, quick
//! commands and sequences, file send, traffic generator. The jobs run on
//! the session's worker; this only fills forms and shows progress.

use crate::codec::{Checksum, LineEnd};
use crate::session::{
    DialogFor, FilePick, JobSlot, QuickCommand, QuickFile, RateUnit, Session, SessionAction,
};
use crate::ui::Cx;
use crate::ui::i18n::Tr;
use egui::{CollapsingHeader, ComboBox, RichText, TextEdit};
use std::path::PathBuf;

/// What the dialogs and an export running off the UI thread have come back
/// with; taken every frame, whether or not their fields are on screen.
pub fn poll(app: &mut Session, tr: &Tr) {
    take_file_pick(app, tr);
    app.poll_export();
}

pub fn show(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    ui.separator();
    ui.heading(tr.send_tools);
    CollapsingHeader::new(tr.periodic)
        .id_salt("periodic")
        .show(ui, |ui| periodic(app, cx, ui));
    CollapsingHeader::new(tr.quick_commands)
        .id_salt("quick")
        .show(ui, |ui| quick(app, cx, ui));
    let reveal = app.reveal_file.take();
    let section = CollapsingHeader::new(tr.send_file)
        .id_salt("file")
        .open(reveal)
        .show(ui, |ui| file(app, cx, ui));
    if reveal.is_some() {
        section.header_response.scroll_to_me(Some(egui::Align::TOP));
    }
    CollapsingHeader::new(tr.generator)
        .id_salt("generator")
        .show(ui, |ui| generator(app, cx, ui));
}

/// A labelled one-line field.
fn field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    let l = ui.label(label);
    ui.add(
        TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id);
}

/// Start (or the slot's own word) while idle, Stop while running, then
/// the job's progress or how it ended.
fn start_stop(
    app: &Session,
    cx: &mut Cx,
    ui: &mut egui::Ui,
    slot: JobSlot,
    start: &str,
    action: SessionAction,
) {
    let tr = cx.tr;
    let running = app.job(slot).is_some();
    let width = ui.available_width();
    if running {
        let stop = if slot == JobSlot::File {
            tr.cancel
        } else {
            tr.stop
        };
        if ui
            .add(egui::Button::new(stop).min_size(egui::vec2(width, 24.0)))
            .clicked()
        {
            cx.act(app.id, SessionAction::StopJob(slot));
        }
    } else if ui
        .add_enabled(
            app.is_active(),
            egui::Button::new(start).min_size(egui::vec2(width, 24.0)),
        )
        .on_disabled_hover_text(tr.session_not_open)
        .clicked()
    {
        cx.act(app.id, action);
    }
    job_status(app, tr, ui, slot);
}

/// A job's progress or outcome, in a space of the same height whether it
/// runs, has ended or has not started: starting or ending a job never
/// moves the controls under it.
fn job_status(app: &Session, tr: &Tr, ui: &mut egui::Ui, slot: JobSlot) {
    let line = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    let bar = if slot == JobSlot::File {
        ui.spacing().interact_size.y + ui.spacing().item_spacing.y
    } else {
        0.0
    };
    let height = bar + 3.0 * line;
    let size = egui::vec2(ui.available_width(), height);
    ui.allocate_ui_with_layout(size, egui::Layout::top_down(egui::Align::Min), |ui| {
        ui.set_min_size(size);
        job_status_lines(app, tr, ui, slot);
    });
}

fn job_status_lines(app: &Session, tr: &Tr, ui: &mut egui::Ui, slot: JobSlot) {
    if let Some(j) = app.job(slot) {
        if let Some(total) = j.total.filter(|t| *t > 0) {
            let share = j.bytes as f32 / total as f32;
            ui.add(egui::ProgressBar::new(share).show_percentage());
        }
        let rate = j.rate(std::time::Instant::now());
        ui.label(tr.job_running(j.items, j.bytes, j.total, rate));
        // The rate changes while nothing else does.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
        if j.stalled {
            ui.colored_label(ui.visuals().warn_fg_color, tr.stalled);
        }
        return;
    }
    match app.job_results.get(&slot) {
        Some(Ok(r)) => {
            let text = tr.job_ended(&r.tally, slot != JobSlot::File, &r.end);
            if matches!(r.end, crate::net::JobEnd::Failed(_)) {
                ui.colored_label(ui.visuals().error_fg_color, text);
            } else {
                ui.label(text);
            }
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, tr.problem(e));
        }
        None => {}
    }
}

fn periodic(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let running = app.job(JobSlot::Periodic).is_some();
    ui.add_enabled_ui(!running, |ui| {
        let t = &mut app.settings.tools;
        field(ui, tr.interval_ms, &mut t.periodic_ms, "1000");
        field(ui, tr.times, &mut t.periodic_count, tr.until_stopped);
    });
    start_stop(
        app,
        cx,
        ui,
        JobSlot::Periodic,
        tr.start,
        SessionAction::StartPeriodic,
    );
}

fn quick(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let id = app.id;
    let active = app.is_active();
    let n = app.settings.tools.quick.len();
    let mut swap = None;
    let mut delete = None;
    for i in 0..n {
        let q = &app.settings.tools.quick[i];
        let name = if q.name.trim().is_empty() {
            format!("#{}", i + 1)
        } else {
            q.name.clone()
        };
        ui.horizontal(|ui| {
            if ui
                .add_enabled(active, egui::Button::new(&name))
                .on_hover_text(&q.text)
                .clicked()
            {
                cx.act(id, SessionAction::SendQuick(i));
            }
            let small = |ui: &mut egui::Ui, icon: &str, what: String, enabled: bool| {
                ui.add_enabled(enabled, egui::Button::new(icon).small())
                    .on_hover_text(&what)
                    .accessible_name(what)
                    .clicked()
            };
            if small(ui, "…", format!("{} {name}", tr.edit), true) {
                app.quick_editing = if app.quick_editing == Some(i) {
                    None
                } else {
                    Some(i)
                };
            }
            if small(ui, "↑", format!("{} {name}", tr.move_up), i > 0) {
                swap = Some((i - 1, i));
            }
            if small(ui, "↓", format!("{} {name}", tr.move_down), i + 1 < n) {
                swap = Some((i, i + 1));
            }
            if small(ui, "×", format!("{} {name}", tr.delete), true) {
                delete = Some(i);
            }
        });
        if app.quick_editing == Some(i) {
            quick_editor(app, tr, ui, i);
        }
    }
    let list = &mut app.settings.tools.quick;
    if let Some((a, b)) = swap {
        list.swap(a, b);
        app.quick_editing = match app.quick_editing {
            Some(e) if e == a => Some(b),
            Some(e) if e == b => Some(a),
            other => other,
        };
    }
    if let Some(i) = delete {
        list.remove(i);
        app.quick_editing = None;
    }
    ui.horizontal(|ui| {
        if ui.button(tr.add).clicked() {
            // A new command starts as what the send box holds.
            let format = app.settings.send_format();
            app.settings.tools.quick.push(QuickCommand {
                name: format!("#{}", app.settings.tools.quick.len() + 1),
                text: app.send_text.clone(),
                format,
                delay_ms: 100,
            });
            app.quick_editing = Some(app.settings.tools.quick.len() - 1);
        }
        if ui.button(tr.import).clicked() {
            pick_file(app, ui.ctx(), Dialog::Import);
        }
        if ui
            .add_enabled(
                !app.settings.tools.quick.is_empty(),
                egui::Button::new(tr.export),
            )
            .clicked()
        {
            pick_file(app, ui.ctx(), Dialog::Export);
        }
    });
    if app.dialog_missing == Some(DialogFor::QuickFile) {
        no_dialog_note(app, tr, ui, DialogFor::QuickFile);
        let l = ui.label(tr.quick_file_path);
        ui.add(
            TextEdit::singleline(&mut app.quick_path)
                .hint_text("quick-commands.json")
                .desired_width(ui.available_width()),
        )
        .labelled_by(l.id);
        ui.horizontal_wrapped(|ui| {
            let typed = !app.quick_path.trim().is_empty();
            if ui
                .add_enabled(typed, egui::Button::new(tr.import_this_file))
                .clicked()
            {
                quick_file_at(app, ui.ctx(), false);
            }
            if ui
                .add_enabled(
                    typed && !app.settings.tools.quick.is_empty(),
                    egui::Button::new(tr.export_to_this_file),
                )
                .clicked()
            {
                quick_file_at(app, ui.ctx(), true);
            }
        });
    }
    if let Some(msg) = &app.quick_status {
        match msg {
            Ok(m) => ui.label(m),
            Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
        };
    }
    ui.add_enabled_ui(app.job(JobSlot::Sequence).is_none(), |ui| {
        ui.checkbox(&mut app.settings.tools.sequence_loop, tr.loop_label);
    });
    start_stop(
        app,
        cx,
        ui,
        JobSlot::Sequence,
        tr.run_sequence,
        SessionAction::StartSequence,
    );
}

fn quick_editor(app: &mut Session, tr: &Tr, ui: &mut egui::Ui, i: usize) {
    // Edited as a copy, so the preview can read the session beside it.
    let Some(mut edited) = app.settings.tools.quick.get(i).cloned() else {
        return;
    };
    let q = &mut edited;
    let mut done = false;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        field(ui, tr.name, &mut q.name, "");
        let l = ui.label(tr.payload);
        ui.add(
            TextEdit::multiline(&mut q.text)
                .font(egui::TextStyle::Monospace)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut q.format.hex, tr.send_as_hex);
            ui.add_enabled(
                !q.format.hex,
                egui::Checkbox::new(&mut q.format.escapes, tr.escapes),
            );
        });
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr.append);
            ComboBox::from_id_salt(("q_append", i))
                .selected_text(q.format.append.label())
                .width(56.0)
                .show_ui(ui, |ui| {
                    for e in LineEnd::ALL {
                        ui.selectable_value(&mut q.format.append, e, e.label());
                    }
                })
                .response
                .labelled_by(l.id);
        });
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr.checksum);
            ComboBox::from_id_salt(("q_checksum", i))
                .selected_text(q.format.checksum.label())
                .width(130.0)
                .show_ui(ui, |ui| {
                    for c in Checksum::ALL {
                        ui.selectable_value(&mut q.format.checksum, c, c.label());
                    }
                })
                .response
                .labelled_by(l.id);
            if q.format.checksum != Checksum::None {
                let l = ui.label(tr.checksum_from);
                let mut from = q.format.checksum_from.min(65_535) as u32;
                if ui
                    .add(egui::DragValue::new(&mut from).range(0..=65535))
                    .labelled_by(l.id)
                    .changed()
                {
                    q.format.checksum_from = from as usize;
                }
            }
        });
        // The exact bytes this command sends, as the send box shows its own.
        let payload = app.build_payload(&q.text, &q.format);
        ui.horizontal(|ui| {
            let preview = crate::ui::send::out_preview(tr, &payload, app.protocol().is_datagram());
            crate::ui::send::out_line(ui, tr, &preview);
        });
        if let Err(e) = &payload {
            ui.colored_label(ui.visuals().error_fg_color, tr.problem(e));
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr.then_wait_ms);
            ui.add(egui::DragValue::new(&mut q.delay_ms).range(0..=3_600_000))
                .labelled_by(l.id);
        });
        done = ui.button(tr.done).clicked();
    });
    if let Some(slot) = app.settings.tools.quick.get_mut(i)
        && *slot != edited
    {
        *slot = edited;
    }
    if done {
        app.quick_editing = None;
    }
}

fn file(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let running = app.job(JobSlot::File).is_some();
    ui.add_enabled_ui(!running, |ui| {
        let l = ui.label(tr.file);
        // Right to left, so the field takes whatever the button leaves.
        row_right_to_left(ui, |ui| {
            if ui.button(tr.browse).clicked() {
                pick_file(app, ui.ctx(), Dialog::SendFile);
            }
            ui.add(
                TextEdit::singleline(&mut app.settings.tools.file_path)
                    .desired_width(ui.available_width()),
            )
            .labelled_by(l.id);
        });
        ui.label(RichText::new(tr.drop_hint).weak().small());
        no_dialog_note(app, tr, ui, DialogFor::SendFile);
        if app.protocol().is_datagram() {
            let t = &mut app.settings.tools;
            field(ui, tr.datagram_size, &mut t.datagram_size, "1024");
            field(ui, tr.datagram_gap, &mut t.datagram_gap_ms, "0");
        }
    });
    start_stop(
        app,
        cx,
        ui,
        JobSlot::File,
        tr.send_file_button,
        SessionAction::SendFile,
    );
}

fn generator(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let running = app.job(JobSlot::Generator).is_some();
    ui.label(RichText::new(tr.generator_hint).weak().small());
    ui.add_enabled_ui(!running, |ui| {
        let t = &mut app.settings.tools;
        let l = ui.label(tr.rate);
        row_right_to_left(ui, |ui| {
            let unit = |u: RateUnit| match u {
                RateUnit::PacketsPerSec => tr.packets_per_sec,
                RateUnit::BytesPerSec => tr.bytes_per_sec,
            };
            ComboBox::from_id_salt("gen_unit")
                .selected_text(unit(t.gen_unit))
                .width(70.0)
                .show_ui(ui, |ui| {
                    for u in [RateUnit::PacketsPerSec, RateUnit::BytesPerSec] {
                        ui.selectable_value(&mut t.gen_unit, u, unit(u));
                    }
                })
                .response
                .on_hover_text(tr.rate);
            ui.add(
                TextEdit::singleline(&mut t.gen_rate)
                    .hint_text(tr.rate_hint)
                    .desired_width(ui.available_width()),
            )
            .labelled_by(l.id);
        });
        field(ui, tr.times, &mut t.gen_count, tr.no_limit);
        field(ui, tr.seconds, &mut t.gen_seconds, tr.no_limit);
    });
    start_stop(
        app,
        cx,
        ui,
        JobSlot::Generator,
        tr.start,
        SessionAction::StartGenerator,
    );
}

#[derive(Clone, Copy)]
enum Dialog {
    SendFile,
    Import,
    Export,
    Capture,
    LogExport(crate::session::export::ExportFormat),
}

impl Dialog {
    fn purpose(self) -> DialogFor {
        match self {
            Dialog::SendFile => DialogFor::SendFile,
            Dialog::Import | Dialog::Export => DialogFor::QuickFile,
            Dialog::Capture => DialogFor::Capture,
            Dialog::LogExport(_) => DialogFor::LogExport,
        }
    }
}

/// Where file dialogs come from a desktop service (xdg-desktop-portal, or
/// zenity as the fallback) that may be missing; elsewhere the system draws
/// them itself.
const DIALOGS_FROM_A_SERVICE: bool = cfg!(all(unix, not(target_os = "macos")));

/// Faster than a person can see a dialog and dismiss it: an empty answer
/// this quick means no dialog was shown.
const NO_DIALOG_WITHIN: std::time::Duration = std::time::Duration::from_millis(400);

/// A dialog's answer, told apart from a dialog that never appeared (the
/// dialog library says nothing when it finds no service to ask).
fn judge_dialog(
    answer: Option<FilePick>,
    took: std::time::Duration,
    what: DialogFor,
    from_a_service: bool,
) -> FilePick {
    match answer {
        Some(pick) => pick,
        None if from_a_service && took < NO_DIALOG_WITHIN => FilePick::Unavailable(what),
        None => FilePick::Nothing,
    }
}

/// Runs a native file dialog on its own thread (it blocks until the user
/// answers); reading or writing a quick-command file happens there too.
fn pick_file(app: &mut Session, ctx: &egui::Context, what: Dialog) {
    if app.file_pick.is_some() {
        return;
    }
    let (tx, rx) = crossbeam_channel::bounded(1);
    let ctx = ctx.clone();
    let list = app.settings.tools.quick.clone();
    let spawned = std::thread::Builder::new()
        .name("netpal-dialog".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            let json = rfd::FileDialog::new().add_filter("JSON", &["json"]);
            let answer = match what {
                Dialog::SendFile => rfd::FileDialog::new().pick_file().map(FilePick::SendFile),
                Dialog::Import => json.pick_file().map(import_quick),
                Dialog::Export => json
                    .set_file_name("quick-commands.json")
                    .save_file()
                    .map(|p| export_quick(p, list)),
                Dialog::Capture => rfd::FileDialog::new()
                    .set_file_name("capture.bin")
                    .save_file()
                    .map(FilePick::Capture),
                Dialog::LogExport(f) => rfd::FileDialog::new()
                    .set_file_name(format!("netpal-log.{}", f.extension()))
                    .save_file()
                    .map(FilePick::LogExport),
            };
            let answer = judge_dialog(
                answer,
                started.elapsed(),
                what.purpose(),
                DIALOGS_FROM_A_SERVICE,
            );
            let _ = tx.send(answer);
            ctx.request_repaint();
        });
    if spawned.is_ok() {
        app.file_pick = Some(rx);
    }
}

/// Imports or exports quick commands at the typed path, on a thread of
/// its own as a dialog's answer would be.
fn quick_file_at(app: &mut Session, ctx: &egui::Context, export: bool) {
    let path = PathBuf::from(app.quick_path.trim());
    if app.file_pick.is_some() || path.as_os_str().is_empty() {
        return;
    }
    let (tx, rx) = crossbeam_channel::bounded(1);
    let ctx = ctx.clone();
    let list = app.settings.tools.quick.clone();
    let spawned = std::thread::Builder::new()
        .name("netpal-quick-file".into())
        .spawn(move || {
            let done = if export {
                export_quick(path, list)
            } else {
                import_quick(path)
            };
            let _ = tx.send(done);
            ctx.request_repaint();
        });
    if spawned.is_ok() {
        app.file_pick = Some(rx);
    }
}

/// Where no file dialog can be shown: what is missing, how to get it, and
/// that the path can be typed (or the file dropped) instead.
fn no_dialog_note(app: &Session, tr: &Tr, ui: &mut egui::Ui, here: DialogFor) {
    if app.dialog_missing == Some(here) {
        ui.colored_label(ui.visuals().warn_fg_color, tr.no_file_dialog);
    }
}

/// Reads a quick-command file (on the dialog's thread).
pub fn import_quick(path: PathBuf) -> FilePick {
    let read = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| QuickFile::parse(&t));
    FilePick::Imported(path, read)
}

/// Writes a quick-command file (on the dialog's thread).
pub fn export_quick(path: PathBuf, list: Vec<QuickCommand>) -> FilePick {
    let written = serde_json::to_string_pretty(&QuickFile::new(list))
        .map_err(|e| e.to_string())
        .and_then(|t| std::fs::write(&path, t).map_err(|e| e.to_string()));
    FilePick::Exported(path, written)
}

/// Takes a dialog's answer, once it has come.
fn take_file_pick(app: &mut Session, tr: &Tr) {
    let Some(rx) = &app.file_pick else {
        return;
    };
    match rx.try_recv() {
        Ok(pick) => {
            app.file_pick = None;
            apply_file_pick(app, tr, pick);
        }
        Err(crossbeam_channel::TryRecvError::Disconnected) => app.file_pick = None,
        Err(crossbeam_channel::TryRecvError::Empty) => {}
    }
}

/// What a dialog (or a test standing in for one) answered.
pub fn apply_file_pick(app: &mut Session, tr: &Tr, pick: FilePick) {
    let shown = |p: &PathBuf| p.display().to_string();
    if let FilePick::Unavailable(what) = pick {
        if app.dialog_missing.is_none() {
            eprintln!("netpal: {}", tr.no_file_dialog);
        }
        app.dialog_missing = Some(what);
        return;
    }
    app.dialog_missing = None;
    match pick {
        FilePick::Unavailable(_) => {}
        FilePick::SendFile(p) => app.run_action(SessionAction::ChooseFile(p), tr),
        FilePick::Imported(p, Ok(list)) => {
            app.settings.tools.quick = list;
            app.quick_editing = None;
            app.quick_status = Some(Ok(format!("{} {}", tr.quick_file_read, shown(&p))));
        }
        FilePick::Imported(p, Err(e)) => {
            app.quick_status = Some(Err(format!("{} {}: {e}", tr.quick_file_error, shown(&p))));
        }
        FilePick::Exported(p, Ok(())) => {
            app.quick_status = Some(Ok(format!("{} {}", tr.quick_file_written, shown(&p))));
        }
        FilePick::Exported(p, Err(e)) => {
            app.quick_status = Some(Err(format!("{}: {e}", shown(&p))));
        }
        FilePick::Capture(p) => app.settings.capture.path = shown(&p),
        FilePick::LogExport(p) => app.settings.export_path = shown(&p),
        FilePick::Nothing => {}
    }
}

/// One row laid out from the right, so a field placed last takes the
/// width the buttons leave.
fn row_right_to_left(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui)) {
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(size, egui::Layout::right_to_left(egui::Align::Center), add);
}

/// Capture to file: where, how, Start/Stop, and what happened.
pub fn capture(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let running = app.capturing().is_some();
    CollapsingHeader::new(tr.capture)
        .id_salt("capture")
        .show(ui, |ui| {
            ui.add_enabled_ui(!running && !app.capture_armed(), |ui| {
                let l = ui.label(tr.file);
                row_right_to_left(ui, |ui| {
                    if ui.button(tr.browse).clicked() {
                        pick_file(app, ui.ctx(), Dialog::Capture);
                    }
                    ui.add(
                        TextEdit::singleline(&mut app.settings.capture.path)
                            .desired_width(ui.available_width()),
                    )
                    .labelled_by(l.id);
                });
                no_dialog_note(app, tr, ui, DialogFor::Capture);
                ui.checkbox(&mut app.settings.capture.per_peer, tr.per_peer_files);
                ui.checkbox(&mut app.settings.capture.as_text, tr.capture_as_text);
            });
            let width = ui.available_width();
            if running {
                if ui
                    .add(egui::Button::new(tr.stop_capture).min_size(egui::vec2(width, 24.0)))
                    .clicked()
                {
                    cx.act(app.id, SessionAction::StopCapture);
                }
                if let Some((path, since)) = app.capturing() {
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_secs(1));
                    ui.label(format!(
                        "{} {path} ({} s)",
                        tr.capturing_since,
                        since.elapsed().as_secs()
                    ));
                }
            } else if app.capture_armed() {
                if ui
                    .add(egui::Button::new(tr.disarm_capture).min_size(egui::vec2(width, 24.0)))
                    .clicked()
                {
                    cx.act(app.id, SessionAction::StopCapture);
                }
                ui.label(tr.capture_armed);
            } else {
                // Closed, the capture waits for Open and so holds the
                // first byte of a peer that speaks first.
                let label = if app.is_active() {
                    tr.start_capture
                } else {
                    tr.capture_at_open
                };
                if ui
                    .add(egui::Button::new(label).min_size(egui::vec2(width, 24.0)))
                    .clicked()
                {
                    cx.act(app.id, SessionAction::StartCapture);
                }
            }
            let err = match &app.capture_error {
                Some(crate::session::SendProblem::Form(p)) => Some(tr.problem(p)),
                Some(crate::session::SendProblem::Net(e)) => Some(tr.net_error(e)),
                None => None,
            };
            if let Some(e) = err {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        });
}

/// Auto-reply rules: a list with switches and hit counts, Add, and an
/// editor for one rule at a time. Changes reach the worker at once.
pub fn auto_reply(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    let tr = cx.tr;
    let before = app.settings.replies.clone();
    CollapsingHeader::new(tr.auto_reply)
        .id_salt("auto_reply")
        .show(ui, |ui| {
            let n = app.settings.replies.len();
            let mut delete = None;
            for i in 0..n {
                let hits = app.reply_hits.get(i).copied().unwrap_or(0);
                let r = &mut app.settings.replies[i];
                let summary = format!("{} → {}", r.pattern, r.reply);
                ui.horizontal(|ui| {
                    ui.checkbox(&mut r.enabled, "")
                        .on_hover_text(tr.rule_enabled)
                        .accessible_name(format!("{} {summary}", tr.rule_enabled));
                    ui.add(egui::Label::new(&summary).truncate())
                        .on_hover_text(&summary);
                });
                ui.horizontal(|ui| {
                    ui.label(RichText::new(tr.reply_hits(hits)).weak());
                    let what = format!("{} {summary}", tr.edit);
                    if ui
                        .add(egui::Button::new("…").small())
                        .on_hover_text(&what)
                        .accessible_name(what)
                        .clicked()
                    {
                        app.reply_editing = if app.reply_editing == Some(i) {
                            None
                        } else {
                            Some(i)
                        };
                    }
                    let what = format!("{} {summary}", tr.delete);
                    if ui
                        .add(egui::Button::new("×").small())
                        .on_hover_text(&what)
                        .accessible_name(what)
                        .clicked()
                    {
                        delete = Some(i);
                    }
                });
                if app.reply_editing == Some(i) {
                    rule_editor(app, tr, ui, i);
                }
            }
            if let Some(i) = delete {
                app.settings.replies.remove(i);
                if i < app.reply_hits.len() {
                    app.reply_hits.remove(i);
                }
                app.reply_editing = None;
            }
            if ui.button(tr.add_rule).clicked() {
                app.settings
                    .replies
                    .push(crate::codec::ReplyRule::default());
                app.reply_editing = Some(app.settings.replies.len() - 1);
            }
        });
    if app.settings.replies != before {
        cx.act(app.id, SessionAction::SetReplies);
    }
}

fn rule_editor(app: &mut Session, tr: &Tr, ui: &mut egui::Ui, i: usize) {
    use crate::codec::MatchKind;
    let enc = crate::codec::encoding_by_name(&app.settings.encoding);
    let reply_enc = app.settings.text_encoding_for_sending();
    let Some(r) = app.settings.replies.get_mut(i) else {
        return;
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let kind_name = |k: MatchKind| match k {
            MatchKind::Exact => tr.match_exact,
            MatchKind::Prefix => tr.match_prefix,
            MatchKind::Contains => tr.match_contains,
            MatchKind::Regex => tr.match_regex,
            MatchKind::Hex => tr.match_hex,
        };
        let l = ui.label(tr.match_kind);
        ComboBox::from_id_salt(("match_kind", i))
            .selected_text(kind_name(r.kind))
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                for k in MatchKind::ALL {
                    ui.selectable_value(&mut r.kind, k, kind_name(k));
                }
            })
            .response
            .labelled_by(l.id);
        field(ui, tr.pattern, &mut r.pattern, "");
        field(ui, tr.reply_text, &mut r.reply, "");
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut r.format.hex, tr.reply_hex);
            ui.add_enabled(
                !r.format.hex,
                egui::Checkbox::new(&mut r.format.escapes, tr.escapes),
            );
        });
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr.append);
            ComboBox::from_id_salt(("r_append", i))
                .selected_text(r.format.append.label())
                .width(56.0)
                .show_ui(ui, |ui| {
                    for e in LineEnd::ALL {
                        ui.selectable_value(&mut r.format.append, e, e.label());
                    }
                })
                .response
                .labelled_by(l.id);
        });
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr.checksum);
            ComboBox::from_id_salt(("r_checksum", i))
                .selected_text(r.format.checksum.label())
                .width(130.0)
                .show_ui(ui, |ui| {
                    for c in Checksum::ALL {
                        ui.selectable_value(&mut r.format.checksum, c, c.label());
                    }
                })
                .response
                .labelled_by(l.id);
        });
        ui.horizontal(|ui| {
            let l = ui.label(tr.reply_delay_ms);
            ui.add(egui::DragValue::new(&mut r.delay_ms).range(0..=3_600_000))
                .labelled_by(l.id);
        });
        if let Err(e) = r.compile_with(enc, reply_enc) {
            ui.colored_label(ui.visuals().error_fg_color, tr.rule_error(&e));
        }
        if ui.button(tr.done).clicked() {
            app.reply_editing = None;
        }
    });
}

/// Export log: a format, a file, Export; the writing runs on its own thread.
pub fn export_log(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    use crate::session::export::ExportFormat;
    let tr = cx.tr;
    CollapsingHeader::new(tr.export_log)
        .id_salt("export_log")
        .show(ui, |ui| {
            let l = ui.label(tr.export_format);
            ComboBox::from_id_salt("export_format")
                .selected_text(app.settings.export_format.label())
                .width(ui.available_width() - 8.0)
                .show_ui(ui, |ui| {
                    for f in ExportFormat::ALL {
                        ui.selectable_value(&mut app.settings.export_format, f, f.label());
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label(tr.export_file);
            let format = app.settings.export_format;
            row_right_to_left(ui, |ui| {
                if ui.button(tr.browse).clicked() {
                    pick_file(app, ui.ctx(), Dialog::LogExport(format));
                }
                ui.add(
                    TextEdit::singleline(&mut app.settings.export_path)
                        .desired_width(ui.available_width()),
                )
                .labelled_by(l.id);
            });
            no_dialog_note(app, tr, ui, DialogFor::LogExport);
            let width = ui.available_width();
            let busy = app.exporting.is_some();
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(tr.export_now).min_size(egui::vec2(width, 24.0)),
                )
                .clicked()
            {
                cx.act(app.id, SessionAction::ExportLog);
            }
            match &app.export_result {
                Some(Ok(done)) => {
                    ui.label(tr.exported_text(done));
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, tr.problem(e));
                }
                None => {}
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An empty answer within a blink, where dialogs come from a desktop
    /// service, is no dialog at all; a slower one is the user's cancel.
    #[test]
    fn an_instant_empty_answer_means_no_dialog_was_shown() {
        let quick = Duration::from_millis(30);
        let slow = Duration::from_secs(3);
        let f = DialogFor::SendFile;
        assert!(matches!(
            judge_dialog(None, quick, f, true),
            FilePick::Unavailable(DialogFor::SendFile)
        ));
        assert!(matches!(
            judge_dialog(None, slow, f, true),
            FilePick::Nothing
        ));
        // Drawn by the system itself (Windows, macOS): always a cancel.
        assert!(matches!(
            judge_dialog(None, quick, f, false),
            FilePick::Nothing
        ));
        let chosen = FilePick::SendFile("a.bin".into());
        assert!(matches!(
            judge_dialog(Some(chosen), quick, f, true),
            FilePick::SendFile(_)
        ));
    }
}
