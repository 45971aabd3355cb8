//! The log in the centre: only the visible rows are formatted and laid out.

use crate::codec;
use crate::log::{Body, Note, Record, View, record_lines_window, split_words, text_width};
use crate::net::Protocol;
use crate::session::{Session, SessionAction};
use crate::ui::i18n::{Lang, Tr};
use crate::ui::{Cx, human_bytes};
use egui::{Color32, Label, RichText, Sense, TextStyle, TextWrapMode};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tone {
    Rx,
    Tx,
    Info,
    Error,
}

/// A record's time as the view shows it: the clock, or seconds since the
/// first record kept, or since the record before. Always 12 characters, so
/// a change of mode never changes how many rows a header takes.
/// The stamp of record `ri` of the session's log.
fn stamp_of(app: &Session, ri: usize) -> String {
    crate::session::export::stamp_of(&app.log, app.settings.time_mode, ri)
}

/// The header line of a record: time, direction, peer, size or event.
fn header(tr: &Tr, rec: &Record, time: &str) -> (String, Tone) {
    let (text, tone) = header_of(tr, rec, time);
    // Peers without an IP address (Unix sockets) are shown by name.
    match crate::net::humanize(&text) {
        std::borrow::Cow::Borrowed(_) => (text, tone),
        std::borrow::Cow::Owned(t) => (t, tone),
    }
}

/// `[time] RX ← peer  (size)`, the header of data to or from `peer`,
/// written at the end of `out`.
fn data_header(
    out: &mut String,
    time: &str,
    label: &str,
    arrow: &str,
    peer: &dyn std::fmt::Display,
    len: usize,
) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "[{time}] {label} {arrow} {peer}  (");
    crate::ui::write_human_bytes(out, len as u64);
    out.push(')');
}

fn header_of(tr: &Tr, rec: &Record, time: &str) -> (String, Tone) {
    let peer = rec.peer.map(crate::net::peer_text).unwrap_or_default();
    match &rec.body {
        // A relay's target side: from the target toward a client, or
        // sent by the user toward the target in a client's name.
        Body::Rx(b) if rec.target => (
            format!(
                "[{time}] {} ← {}  ({})",
                tr.rx,
                tr.from_target(&peer),
                human_bytes(b.len() as u64)
            ),
            Tone::Tx,
        ),
        Body::Tx(b) if rec.target => (
            format!(
                "[{time}] {} → {}  ({})",
                tr.tx,
                tr.to_target(&peer),
                human_bytes(b.len() as u64)
            ),
            Tone::Tx,
        ),
        Body::Rx(b) => {
            let mut t = String::new();
            data_header(&mut t, time, tr.rx, "←", &peer, b.len());
            (t, Tone::Rx)
        }
        Body::Tx(b) => {
            let mut t = String::new();
            data_header(&mut t, time, tr.tx, "→", &peer, b.len());
            (t, Tone::Tx)
        }
        Body::Note(Note::ReadShut { peer, .. }) if rec.target => (
            format!("[{time}] {}", tr.note_target_read_shut(&peer.to_string())),
            Tone::Info,
        ),
        Body::Note(Note::WriteShut { peer }) if rec.target => (
            format!("[{time}] {}", tr.note_target_write_shut(&peer.to_string())),
            Tone::Info,
        ),
        Body::Note(n) if rec.target => {
            let (msg, tone) = note_text(tr, n);
            (format!("[{time}] [{}] {msg}", tr.target_side), tone)
        }
        Body::Note(n) => {
            let (msg, tone) = note_text(tr, n);
            (format!("[{time}] {msg}"), tone)
        }
    }
}

fn note_text(tr: &Tr, n: &Note) -> (String, Tone) {
    match n {
        Note::Bound { local } => (tr.note_bound(&local.to_string()), Tone::Info),
        Note::Listening { local } => (tr.note_listening(&local.to_string()), Tone::Info),
        Note::Connecting { remote } => (tr.note_connecting(&remote.to_string()), Tone::Info),
        Note::Membership { group, via, joined } => (
            tr.note_membership(&group.to_string(), via, *joined),
            Tone::Info,
        ),
        Note::Options { peer, read } => (
            tr.note_options(peer.as_ref(), &read.to_string()),
            Tone::Info,
        ),
        Note::Reconnecting { attempt, millis } => (
            tr.reconnecting_in(millis.div_ceil(1000), *attempt),
            Tone::Info,
        ),
        Note::Connected { local, peer } => (
            tr.note_connected(&peer.to_string(), &local.to_string()),
            Tone::Info,
        ),
        Note::Accepted { peer } => (tr.note_accepted(&peer.to_string()), Tone::Info),
        Note::Linked {
            peer,
            local,
            target,
        } => (
            tr.note_linked(&peer.to_string(), &target.to_string(), &local.to_string()),
            Tone::Info,
        ),
        Note::Disconnected { peer, reason } => (
            tr.note_disconnected(&peer.to_string(), &tr.close_reason(reason)),
            Tone::Info,
        ),
        Note::ReadShut { peer, then } => (tr.note_read_shut(&peer.to_string(), *then), Tone::Info),
        Note::WriteShut { peer } => (tr.note_write_shut(&peer.to_string()), Tone::Info),
        Note::Impairment(m) => (tr.note_impairment(m), Tone::Info),
        Note::Held {
            peer,
            toward_target,
            bytes,
            after,
        } => (
            tr.note_held(&peer.to_string(), *toward_target, *bytes, *after),
            Tone::Info,
        ),
        Note::Dropped {
            peer,
            toward_target,
            bytes,
        } => (
            tr.note_dropped(&peer.to_string(), *toward_target, *bytes),
            Tone::Error,
        ),
        Note::Corrupted {
            peer,
            toward_target,
            flipped,
            total,
        } => (
            tr.note_corrupted(&peer.to_string(), *toward_target, flipped, *total),
            Tone::Error,
        ),
        Note::Error(e) => (tr.net_error(e), Tone::Error),
        Note::Closed { error: None } => (tr.session_closed.to_string(), Tone::Info),
        Note::Closed { error: Some(e) } => (
            format!("{}: {}", tr.session_closed, tr.net_error(e)),
            Tone::Error,
        ),
        Note::Message(m) => (m.clone(), Tone::Info),
        Note::CaptureEnded {
            path,
            written,
            error,
        } => (
            tr.capture_ended(path, *written, error.as_ref()),
            if error.is_some() {
                Tone::Error
            } else {
                Tone::Info
            },
        ),
        Note::Framing { peer, note } => {
            let tone = match note {
                crate::net::FrameNote::Partial { .. } => Tone::Info,
                crate::net::FrameNote::Oversize { .. } => Tone::Error,
            };
            (tr.frame_note(&peer.to_string(), note), tone)
        }
        Note::JobEnded {
            slot,
            what,
            tally,
            end,
        } => {
            let name = if what.is_empty() {
                tr.job_name(*slot).to_string()
            } else {
                format!("{} {what}", tr.file)
            };
            let items = *slot != crate::log::JobSlot::File;
            let tone = if matches!(end, crate::net::JobEnd::Failed(_)) {
                Tone::Error
            } else {
                Tone::Info
            };
            let text = tr.job_ended(tally, items, end);
            (format!("{name} — {text}"), tone)
        }
    }
}

/// The language a view's headers are worded in.
fn labels_lang(view: &View) -> Lang {
    if view.labels == Lang::Zh as u8 {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// As wide as every [`clock`] text ("HH:MM:SS.mmm").
const CLOCK_WIDE: &str = "00:00:00.000";

/// Rows a record's header takes when wrapped (see [`LineIndex::set_header_rows`]).
///
/// [`LineIndex::set_header_rows`]: crate::log::LineIndex::set_header_rows
fn header_rows(rec: &Record, view: &View) -> usize {
    match view.wrap_cols {
        // A data header is one row, shortened to fit (see
        // [`fit_data_header`]): no wording needed to count it, which runs
        // for every record of a flood.
        Some(_) if rec.payload().is_some() => 1,
        // Notes wrap between words. The clock is always as wide as this.
        Some(cols) => {
            let tr = labels_lang(view).tr();
            split_words(&header(tr, rec, CLOCK_WIDE).0, cols).len()
        }
        None => 1,
    }
}

/// A data header (`[time] RX ← peer  (size)`) in one row of `cols`
/// columns: too long, it gives up the peer first, then the size, and the
/// time last (the date, then the milliseconds), never cutting any of them.
fn fit_data_header(head: &str, cols: usize) -> String {
    if text_width(head) <= cols {
        return head.to_string();
    }
    let (time, rest) = match head.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((t, r)) => (Some(t), r),
        None => (None, head),
    };
    let (middle, size) = match rest.rsplit_once("  (") {
        Some((m, s)) => (m, Some(s)),
        None => (rest, None),
    };
    // The label and the arrow stay; the peer after them goes.
    let kept: Vec<&str> = middle.split(' ').take(2).collect();
    let peerless = format!("{} …", kept.join(" "));
    let time_only = time.map(|t| t.rsplit(' ').next().unwrap_or(t));
    let no_millis = time_only.map(|t| t.split('.').next().unwrap_or(t));
    let build = |time: Option<&str>, mid: &str, size: Option<&str>| {
        let mut s = String::new();
        if let Some(t) = time {
            s.push('[');
            s.push_str(t);
            s.push_str("] ");
        }
        s.push_str(mid);
        if let Some(z) = size {
            s.push_str("  (");
            s.push_str(z);
        }
        s
    };
    let tries = [
        build(time, &peerless, size),
        build(time, &peerless, None),
        build(time_only, &peerless, None),
        build(no_millis, &peerless, None),
        build(None, &peerless, None),
    ];
    let last = build(None, &kept.join(" "), None);
    tries
        .into_iter()
        .find(|t| text_width(t) <= cols)
        .unwrap_or(last)
}

/// The log's words are the UI's: a text copy or export is worded as the
/// log shows it, in the UI's language.
impl crate::session::export::Words for Tr {
    fn header(&self, rec: &Record, time: &str) -> String {
        header(self, rec, time).0
    }
}

fn record_text(tr: &Tr, rec: &Record, view: &View, time: &str) -> String {
    crate::session::export::record_text(tr, rec, view, time)
}

/// The record whose rows are being drawn: its header rows, and the window of
/// its payload lines that the visible rows need (from line `from`).
struct ShownRecord {
    index: usize,
    heads: Vec<String>,
    /// The header in full, when the row shows it shortened.
    whole: Option<String>,
    tone: Tone,
    from: usize,
    lines: Vec<String>,
}

pub fn show(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui) {
    show_with(app, cx, ui, true);
}

/// The log; with `tools`, the rate chart, the filter and Find above it.
pub fn show_with(app: &mut Session, cx: &mut Cx, ui: &mut egui::Ui, tools: bool) {
    let tr = cx.tr;
    if tools {
        if app.settings.show_rates {
            rate_chart(app, tr, ui);
        }
        filter_row(app, tr, ui);
        find_row(app, tr, ui);
    } else {
        find_work(app, ui);
    }
    if app.log().dropped_records() > 0 {
        let msg = tr.dropped_notice(
            app.log().dropped_records(),
            &human_bytes(app.log().dropped_bytes()),
            &human_bytes(app.log().cap() as u64),
            &human_bytes(cx.total_log_cap as u64),
        );
        ui.colored_label(ui.visuals().warn_fg_color, msg);
    }
    if app.settings.count_only {
        ui.colored_label(ui.visuals().warn_fg_color, tr.count_only_notice);
    }
    if app.log().is_empty() {
        ui.centered_and_justified(|ui| ui.weak(tr.log_empty));
        return;
    }
    let font = TextStyle::Monospace.resolve(ui.style());
    let row_h = ui.fonts_mut(|f| f.row_height(&font));
    let char_w = ui.fonts_mut(|f| f.glyph_width(&font, '0')).max(1.0);
    let scrollbar = ui.spacing().scroll.bar_width + 8.0;
    let cols = ((ui.available_width() - scrollbar) / char_w)
        .floor()
        .max(16.0) as usize;
    let view = View {
        mode: app.settings.view,
        encoding: codec::encoding_by_name(&app.settings.encoding),
        wrap_cols: app.settings.wrap.then_some(cols.saturating_sub(2)),
        // Only wrapped headers depend on their wording.
        labels: if app.settings.wrap && tr.is_zh() {
            Lang::Zh as u8
        } else {
            Lang::En as u8
        },
        filter: app.settings.filter,
    };
    app.index.set_header_rows(header_rows);
    // The worker counts the rows of what it reads at this width.
    app.set_wrap_cols(crate::log::text_cols(&view));
    // A changed view is re-indexed within a few milliseconds per frame; until
    // it is whole, rows are laid out with the view the index still describes.
    let budget = Instant::now() + Duration::from_millis(3);
    if !app.index.sync_within(&app.log, &view, Some(budget)) {
        ui.ctx().request_repaint();
    }
    let view = app.index.view().unwrap_or(view);
    // Headers are worded as the index counted their rows, so a language
    // switch re-indexing over a few frames never cuts one short.
    let htr = labels_lang(&view).tr();
    let rows = app.index.rows();
    let udp = app.protocol() == Protocol::Udp;
    let active = app.is_active();
    let visuals = ui.visuals().clone();
    let color = |t: Tone| match t {
        Tone::Rx => {
            if visuals.dark_mode {
                Color32::from_rgb(0x6c, 0xc6, 0x6c)
            } else {
                Color32::from_rgb(0x1a, 0x7f, 0x37)
            }
        }
        Tone::Tx => {
            if visuals.dark_mode {
                Color32::from_rgb(0x6c, 0xa8, 0xf0)
            } else {
                Color32::from_rgb(0x0b, 0x5c, 0xad)
            }
        }
        Tone::Info => visuals.weak_text_color(),
        Tone::Error => visuals.error_fg_color,
    };
    let mut scroll = if app.settings.wrap {
        egui::ScrollArea::vertical()
    } else {
        egui::ScrollArea::both()
    };
    // Auto-scroll switched on (by its box, or by scrolling back down): go to
    // the end now (egui clamps the offset to the end, which makes the area
    // stick there), so the log follows from here on.
    // Rows sit back to back: the area counts them as tall as they are laid
    // out (with a gap between rows counted but not laid out, the rows
    // on screen fell short of its bottom by a gap a row).
    ui.spacing_mut().item_spacing.y = 0.0;
    let content = row_h * rows as f32;
    let space = ui.available_height();
    if app.settings.auto_scroll && !app.followed {
        scroll = scroll.vertical_scroll_offset(content);
    } else if app.settings.auto_scroll
        && let Some(slack) = app.log_slack
    {
        // Following: the end of this frame's rows. egui keeps an area at
        // its end as content grows, but a full log also drops old records,
        // and a frame whose rows were fewer than the last one's would show
        // the empty space past their end (a blank log in a flood).
        scroll = scroll.vertical_scroll_offset((content - (space - slack)).max(0.0));
    }
    // Paused: the log dropping its oldest records (at its cap, or a Clear)
    // must not move the rows under the view.
    if !app.settings.auto_scroll
        && let Some((seq, into)) = app.log_anchor
        && app.log.first_seq() != app.log_anchor_first
    {
        let first = app.log.first_seq();
        let y = match seq.checked_sub(first) {
            Some(i) => app
                .index
                .first_row_of(i as usize)
                .map(|r| r as f32 * row_h + into),
            // The record under the view went: the oldest kept is on top.
            None => Some(0.0),
        };
        if let Some(y) = y {
            scroll = scroll.vertical_scroll_offset(y.max(0.0));
        }
    }
    // A match found by Find is brought into view (and the log stops
    // following, or it would scroll away from it).
    if let Some(i) = app.find.jump_to.take()
        && let Some(row) = app.index.first_row_of(i)
    {
        app.settings.auto_scroll = false;
        app.followed = false;
        let y = row_h * row.saturating_sub(2) as f32;
        scroll = scroll.vertical_scroll_offset(y);
    }
    let found = app.find.current;
    let mut actions = Vec::new();
    let mut hexdump = None;
    let mut copy = None;
    let out = scroll
        .id_salt("log_scroll")
        .auto_shrink([false, false])
        .stick_to_bottom(app.settings.auto_scroll)
        .show_rows(ui, row_h, rows, |ui, range| {
            ui.spacing_mut().item_spacing.y = 0.0;
            let mut cached: Option<ShownRecord> = None;
            let end = range.end;
            for row in range {
                let Some((ri, line)) = app.index.locate(row) else {
                    break;
                };
                let Some(rec) = app.log.get(ri) else {
                    break;
                };
                if cached.as_ref().is_none_or(|c| c.index != ri) {
                    let (head, tone) = header(htr, &rec, &stamp_of(app, ri));
                    let (heads, whole) = match view.wrap_cols {
                        // A data header keeps one row, shortened to fit.
                        Some(cols) if rec.payload().is_some() => {
                            let fit = fit_data_header(&head, cols);
                            let whole = (fit != head).then_some(head);
                            (vec![fit], whole)
                        }
                        Some(cols) => (
                            split_words(&head, cols)
                                .into_iter()
                                .map(str::to_string)
                                .collect(),
                            None,
                        ),
                        None => (vec![head], None),
                    };
                    let from = line.saturating_sub(heads.len());
                    let lines = record_lines_window(&rec, &view, from, end - row);
                    cached = Some(ShownRecord {
                        index: ri,
                        heads,
                        whole,
                        tone,
                        from,
                        lines,
                    });
                }
                let Some(ShownRecord {
                    heads,
                    whole,
                    tone,
                    from,
                    lines,
                    ..
                }) = cached.as_ref()
                else {
                    break;
                };
                let text = if line < heads.len() {
                    let indent = if line == 0 { "" } else { "  " };
                    let head = RichText::new(format!("{indent}{}", heads[line]))
                        .monospace()
                        .color(color(*tone));
                    if found == Some(rec.seq) {
                        head.background_color(visuals.selection.bg_fill)
                    } else {
                        head
                    }
                } else {
                    let i = (line - heads.len()).saturating_sub(*from);
                    let t = lines.get(i).map_or("", String::as_str);
                    RichText::new(format!("  {t}")).monospace()
                };
                // Any line of a record opens the record's menu.
                let mut r = ui.add(
                    Label::new(text)
                        .wrap_mode(TextWrapMode::Extend)
                        .sense(Sense::click()),
                );
                // A shortened header is whole on hover.
                if line == 0
                    && let Some(w) = whole
                {
                    r = r.on_hover_text(w);
                }
                r.context_menu(|ui| {
                    if ui.button(tr.copy).clicked() {
                        copy = Some(record_text(tr, &rec, &view, &stamp_of(app, ri)));
                        ui.close();
                    }
                    if let (true, Some(peer)) = (udp, rec.peer)
                        && ui.button(tr.use_as_remote).clicked()
                    {
                        actions.push(SessionAction::UseAsRemote(peer));
                        ui.close();
                    }
                    if let Some(p) = rec.payload()
                        && ui.button(tr.hexdump).clicked()
                    {
                        let title = header(tr, &rec, &stamp_of(app, ri)).0;
                        hexdump = Some((title, p.to_vec()));
                        ui.close();
                    }
                    if let Body::Tx(bytes) = &rec.body
                        && ui
                            .add_enabled(active, egui::Button::new(tr.resend))
                            .clicked()
                    {
                        actions.push(SessionAction::Resend(bytes.clone()));
                        ui.close();
                    }
                });
            }
        });
    // The checkbox tells the truth: scrolling away from the end unticks
    // it, coming back to the end ticks it again.
    let max_y = (out.content_size.y - out.inner_rect.height()).max(0.0);
    let at_bottom = out.state.clamped_offset().y >= max_y - row_h * 0.5;
    if app.was_at_bottom && !at_bottom && app.settings.auto_scroll {
        app.settings.auto_scroll = false;
    } else if !app.was_at_bottom && at_bottom && !app.settings.auto_scroll {
        app.settings.auto_scroll = true;
    }
    app.was_at_bottom = at_bottom;
    app.followed = app.settings.auto_scroll;
    app.log_anchor_first = app.log.first_seq();
    app.log_anchor = if app.settings.auto_scroll {
        None
    } else {
        let y = out.state.clamped_offset().y.max(0.0);
        app.index.locate((y / row_h) as usize).and_then(|(ri, _)| {
            let top = app.index.first_row_of(ri)?;
            Some((app.log_anchor_first + ri as u64, y - top as f32 * row_h))
        })
    };
    // What egui's content had beyond the rows counted here (the last row
    // laid out taller than a row) comes off the height, so the offset set
    // above is the very end.
    // What the rows' area takes less than the space it is given (a scroll
    // bar), and what egui's content had beyond the rows counted here.
    app.log_slack = Some(space - out.inner_rect.height() + (out.content_size.y - content));
    for a in actions {
        cx.act(app.id, a);
    }
    if let Some(c) = copy {
        app.copy_request = Some(c);
    }
    if hexdump.is_some() {
        app.hexdump = hexdump;
    }
    hexdump_window(app, tr, ui.ctx());
}

/// The hexdump of the record chosen from its menu, in a window of its own
/// (only the visible lines are built, so a large frame opens at once).
fn hexdump_window(app: &mut Session, tr: &Tr, ctx: &egui::Context) {
    let Some((title, bytes)) = &app.hexdump else {
        return;
    };
    let mut open = true;
    egui::Window::new(tr.hexdump)
        .id(egui::Id::unique(("netpal-hexdump", app.id)))
        .open(&mut open)
        .default_size([640.0, 360.0])
        .resizable(true)
        .show(ctx, |ui| {
            ui.label(RichText::new(title).strong());
            let row_h = ui.text_style_height(&TextStyle::Monospace);
            let rows = bytes.len().div_ceil(16).max(1);
            egui::ScrollArea::both()
                .id_salt("hexdump_scroll")
                .auto_shrink([false, false])
                .show_rows(ui, row_h, rows, |ui, range| {
                    for row in range {
                        let start = row * 16;
                        let chunk = bytes.get(start..(start + 16).min(bytes.len()));
                        let line = codec::hexdump_line(start, chunk.unwrap_or_default());
                        ui.add(
                            Label::new(RichText::new(line).monospace())
                                .wrap_mode(TextWrapMode::Extend),
                        );
                    }
                });
        });
    if !open {
        app.hexdump = None;
    }
}

/// RX and TX per second over the last minutes (egui_plot), above the log.
/// The x axis is seconds before now; the y axis speaks in B/s, KiB/s,
/// MiB/s (or packets/s) as the data needs, on a grid of round figures in
/// that unit.
fn rate_chart(app: &mut Session, tr: &Tr, ui: &mut egui::Ui) {
    use egui_plot::{GridMark, Legend, Line, Plot, PlotPoints};
    ui.horizontal(|ui| {
        ui.label(RichText::new(tr.rate_chart).strong());
        ui.radio_value(&mut app.settings.rates_in_packets, false, tr.bytes_per_sec);
        ui.radio_value(&mut app.settings.rates_in_packets, true, tr.packets_per_sec);
    });
    let packets = app.settings.rates_in_packets;
    let samples = app.rates.samples();
    let newest = samples.back().map_or(0.0, |s| s.t);
    let series = |rx: bool| -> PlotPoints<'static> {
        samples
            .iter()
            .map(|s| {
                let v = match (rx, packets) {
                    (true, false) => s.rx_bytes,
                    (false, false) => s.tx_bytes,
                    (true, true) => s.rx_packets,
                    (false, true) => s.tx_packets,
                };
                [s.t - newest, v]
            })
            .collect::<Vec<[f64; 2]>>()
            .into()
    };
    let (rx, tx) = (series(true), series(false));
    let per_sec = tr.per_sec;
    let ago = tr.seconds_ago;
    Plot::new(("rate_chart", app.id))
        .height(140.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .include_y(0.0)
        .include_x(0.0)
        // At least the last minute, so a new chart has a steady time axis.
        .include_x(-60.0)
        .x_axis_label(ago)
        .x_grid_spacer(|input| {
            let (lo, hi) = input.bounds;
            grid_marks(lo, hi, seconds_step(hi - lo))
        })
        .x_axis_formatter(|m: GridMark, _| seconds_ago(m.value))
        .y_axis_min_width(72.0)
        .y_grid_spacer(move |input| {
            let (lo, hi) = input.bounds;
            grid_marks(
                lo,
                hi,
                rate_step(hi - lo, !packets).max(input.base_step_size),
            )
        })
        .y_axis_formatter(move |m: GridMark, _| rate_text(m.value, !packets, per_sec))
        .label_formatter(move |hover| match hover {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name} {}\n{} {ago}",
                rate_text(position.y, !packets, per_sec),
                seconds_ago(position.x)
            )),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            plot.line(Line::new(tr.rx, rx));
            plot.line(Line::new(tr.tx, tx));
        });
    // A new sample each second while the chart is shown.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs(1));
}

/// Grid lines every `step` from `lo` to `hi` (bounded: a span holds a
/// handful of steps).
fn grid_marks(lo: f64, hi: f64, step: f64) -> Vec<egui_plot::GridMark> {
    let mut marks = Vec::new();
    let mut v = (lo / step).ceil() * step;
    while v <= hi && marks.len() < 64 {
        marks.push(egui_plot::GridMark {
            value: v,
            step_size: step,
        });
        v += step;
    }
    marks
}

/// A point of the chart's time axis (0 = the newest sample) as seconds ago.
fn seconds_ago(x: f64) -> String {
    // Rounded first, so a point a hair after the newest is "0", not "-0".
    format!("{}", (-x).round().max(0.0) as u64)
}

/// A grid step for the time axis spanning `span` seconds: whole seconds,
/// in steps a clock reads easily, about six to a span.
fn seconds_step(span: f64) -> f64 {
    let target = span.max(1.0) / 6.0;
    [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0]
        .into_iter()
        .find(|s| *s >= target)
        .unwrap_or(600.0)
}

/// A grid step for a rate axis spanning `span`: a round figure in the unit
/// the figures are shown in (powers of two of B, KiB, MiB... for bytes;
/// 1, 2, 5 times powers of ten for packets), about four to a span.
fn rate_step(span: f64, bytes: bool) -> f64 {
    let target = span.max(1.0) / 4.0;
    let (base, mults): (f64, &[f64]) = if bytes {
        (
            1024.0,
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
        )
    } else {
        (
            1000.0,
            &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0],
        )
    };
    let mut unit = 1.0;
    while unit * base <= target && unit < 1e18 {
        unit *= base;
    }
    mults
        .iter()
        .map(|m| m * unit)
        .find(|s| *s >= target)
        .unwrap_or(unit * base)
}

/// A rate as the axis and the hover say it: "1.5 MiB/s", "2,000/s".
fn rate_text(v: f64, bytes: bool, per_sec: &str) -> String {
    let v = v.max(0.0);
    if bytes {
        format!("{}{per_sec}", human_bytes(v.round() as u64))
    } else if v < 10.0 && v.fract() != 0.0 {
        format!("{v:.1}{per_sec}")
    } else {
        format!("{}{per_sec}", crate::ui::thousands(v.round() as u64))
    }
}

/// Which records the log shows: RX, TX, events, and one peer or all.
/// How many peers the log's peer filter offers.
const PEERS_OFFERED: usize = 500;

fn filter_row(app: &mut Session, tr: &Tr, ui: &mut egui::Ui) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(tr.show_label).weak());
        let f = &mut app.settings.filter;
        let shown = |ui: &mut egui::Ui, hide: &mut bool, label: &str| {
            let mut on = !*hide;
            if ui.checkbox(&mut on, label).changed() {
                *hide = !on;
            }
        };
        shown(ui, &mut f.hide_rx, tr.rx);
        shown(ui, &mut f.hide_tx, tr.tx);
        shown(ui, &mut f.hide_events, tr.events);
        // The list offers the first PEERS_OFFERED (a flood of sources can
        // make tens of thousands; each frame takes only these).
        let peers: Vec<std::net::SocketAddr> = match app.protocol() {
            Protocol::TcpServer | Protocol::Relay | Protocol::UdpRelay | Protocol::UnixServer => {
                app.clients
                    .items()
                    .take(PEERS_OFFERED)
                    .map(|p| p.addr)
                    .collect()
            }
            Protocol::Udp | Protocol::UnixDgram => app
                .udp_peers
                .items()
                .take(PEERS_OFFERED)
                .map(|p| p.addr)
                .collect(),
            Protocol::TcpClient | Protocol::UnixClient => Vec::new(),
        };
        if !peers.is_empty() || app.settings.filter.peer.is_some() {
            ui.separator();
            let l = ui.label(tr.peer_filter);
            let f = &mut app.settings.filter;
            let shown = f
                .peer
                .map_or(tr.all_peers.to_string(), crate::net::peer_text);
            egui::ComboBox::from_id_salt("peer_filter")
                .selected_text(shown)
                .width(170.0)
                .height(300.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.peer, None, tr.all_peers);
                    if let Some(p) = f.peer
                        && !peers.contains(&p)
                    {
                        ui.selectable_value(&mut f.peer, Some(p), crate::net::peer_text(p));
                    }
                    for p in &peers {
                        ui.selectable_value(&mut f.peer, Some(*p), crate::net::peer_text(p));
                    }
                })
                .response
                .labelled_by(l.id);
        }
    });
}

/// Find: a query (text, hex or regex), Previous and Next, and the count.
fn find_row(app: &mut Session, tr: &Tr, ui: &mut egui::Ui) {
    use crate::session::FindMode;
    let mut go: Option<bool> = None;
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(tr.find);
        let r = ui
            .add(egui::TextEdit::singleline(&mut app.find.query).desired_width(180.0))
            .labelled_by(l.id);
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            go = Some(true);
        }
        let keys = std::mem::take(&mut app.find_keys);
        if keys.focus {
            r.request_focus();
        }
        if !app.find.query.is_empty() && keys.go.is_some() {
            go = keys.go;
        }
        let mode_name = |m: FindMode| match m {
            FindMode::Text => tr.view_text,
            FindMode::Hex => tr.view_hex,
            FindMode::Regex => tr.match_regex,
        };
        egui::ComboBox::from_id_salt("find_mode")
            .selected_text(mode_name(app.find.mode))
            .width(70.0)
            .show_ui(ui, |ui| {
                for m in [FindMode::Text, FindMode::Hex, FindMode::Regex] {
                    ui.selectable_value(&mut app.find.mode, m, mode_name(m));
                }
            })
            .response
            .on_hover_text(tr.find_mode);
        let usable = !app.find.query.is_empty();
        if ui
            .add_enabled(usable, egui::Button::new(tr.find_previous))
            .clicked()
        {
            go = Some(false);
        }
        if ui
            .add_enabled(usable, egui::Button::new(tr.find_next))
            .clicked()
        {
            go = Some(true);
        }
        if let Some(e) = &app.find.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else if let Some(n) = app.find.count.filter(|_| usable) {
            // Whole on its row ("2 matches" never breaks inside).
            ui.add(Label::new(tr.matches(n)).wrap_mode(TextWrapMode::Extend));
        }
    });
    if let Some(forward) = go {
        app.find_seek(forward);
    }
    find_work(app, ui);
}

/// A search under way goes on, whether or not its row is shown.
fn find_work(app: &mut Session, ui: &mut egui::Ui) {
    let enc = codec::encoding_by_name(&app.settings.encoding);
    // 5 ms a frame: a million records are searched within about 8 frames,
    // and a frame stays well under 8 ms.
    let deadline = Instant::now() + Duration::from_millis(5);
    if app.find.work(&app.log, enc, deadline) {
        ui.ctx().request_repaint();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::text::TextShape;
    use crate::log::{LeadIn, ViewMode, clock};
    use std::time::{Duration, SystemTime};

    /// A gigabyte a second was one raw label, `1000000000`, with no unit:
    /// the axis now marks round figures in the unit it names.
    #[test]
    fn the_rate_axis_names_its_unit_and_marks_round_figures() {
        let step = rate_step(1e9, true);
        assert_eq!(step, 256.0 * 1024.0 * 1024.0);
        assert_eq!(rate_text(step, true, "/s"), "256.0 MiB/s");
        assert_eq!(rate_text(3.0 * step, true, "/s"), "768.0 MiB/s");
        assert_eq!(rate_text(rate_step(3000.0, true), true, "/s"), "1.0 KiB/s");
        assert_eq!(rate_text(rate_step(10.0, true), true, "/s"), "4 B/s");
        assert_eq!(rate_step(9000.0, false), 5000.0);
        assert_eq!(rate_text(5000.0, false, "/s"), "5,000/s");
        assert_eq!(rate_text(0.5, false, "/秒"), "0.5/秒");
        // Never a step of nothing, whatever the span.
        assert!(rate_step(0.0, true) >= 1.0 && rate_step(0.0, false) >= 1.0);
        assert_eq!(seconds_ago(-30.0), "30");
        // Whole seconds on the time axis, however short the history.
        assert_eq!(seconds_step(1.2), 1.0);
        assert_eq!(seconds_step(60.0), 10.0);
        assert_eq!(seconds_step(600.0), 120.0);
        assert_eq!(seconds_ago(0.0), "0");
    }

    #[test]
    fn a_data_header_keeps_one_row_and_gives_up_whole_parts_to_fit() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let peers = ["127.0.0.1:9", "127.255.255.254:65535", "[::1]:40000"];
        let bodies = [
            Body::Rx(vec![b'x'; 70_000].into()),
            Body::Tx(vec![b'y'; 999]),
        ];
        for (i, (peer, body)) in peers
            .iter()
            .flat_map(|p| bodies.iter().map(move |b| (p, b)))
            .enumerate()
        {
            for lang in [Lang::En, Lang::Zh] {
                for cols in [8, 20, 33, 40, 47, 80] {
                    let at = start + Duration::from_millis(i as u64 * 37_123_457 + cols as u64);
                    let rec = Record {
                        seq: 0,
                        at,
                        peer: Some(peer.parse().unwrap()),
                        body: body.clone(),
                        lead_in: LeadIn::default(),
                        shape: TextShape::default(),
                        target: false,
                    };
                    let view = View {
                        mode: ViewMode::Text,
                        encoding: encoding_rs::UTF_8,
                        wrap_cols: Some(cols),
                        labels: lang as u8,
                        filter: Default::default(),
                    };
                    assert_eq!(header_rows(&rec, &view), 1);
                    let full = header(lang.tr(), &rec, &clock(at)).0;
                    let fit = fit_data_header(&full, cols);
                    assert!(text_width(&fit) <= cols, "{fit:?} in {cols} columns");
                    // The peer, the size and the time are there whole or
                    // not at all.
                    let size = full.rsplit_once("  (").unwrap().1;
                    let time = clock(at);
                    for part in [*peer, size, &time] {
                        let whole = fit.contains(part);
                        let piece = part.get(..part.len() - 1).is_some_and(|p| fit.contains(p));
                        assert!(whole || !piece || part == time, "{part:?} cut in {fit:?}");
                    }
                    // The peer goes before the size, the time last.
                    if !fit.contains(*peer) {
                        assert!(!fit.contains(size) || fit.contains(&time), "{fit:?}");
                    }
                    if fit.contains(&time) || fit.contains(size) {
                        assert!(fit.starts_with('['), "{fit:?}");
                    }
                    if cols >= 80 {
                        assert_eq!(fit, full);
                    }
                }
            }
        }
    }

    #[test]
    fn notes_are_counted_as_the_rows_they_are_shown_in() {
        let rec = Record {
            seq: 0,
            at: SystemTime::UNIX_EPOCH,
            peer: None,
            body: Body::Note(Note::Listening {
                local: "127.0.0.1:9100".parse().unwrap(),
            }),
            lead_in: LeadIn::default(),
            shape: TextShape::default(),
            target: false,
        };
        for cols in [10, 16, 24, 40] {
            let view = View {
                mode: ViewMode::Text,
                encoding: encoding_rs::UTF_8,
                wrap_cols: Some(cols),
                labels: Lang::En as u8,
                filter: Default::default(),
            };
            let shown = header(Lang::En.tr(), &rec, &clock(rec.at)).0;
            let rows = split_words(&shown, cols);
            assert_eq!(header_rows(&rec, &view), rows.len());
            if cols >= 16 {
                assert!(
                    rows.iter().any(|r| r.contains("127.0.0.1:9100")),
                    "{rows:?}"
                );
            }
        }
    }
}
