//! Headless mode: one session driven from a terminal or a script, with no
//! window. It uses the same engine (`net`, `codec`) as the desktop app.

use crate::codec::{self, LineEnd, SendFormat};
use crate::log::ViewMode;
use crate::net::{
    CloseReason, Command, CommandSender, Event, FrameNote, JobEnd, JobId, JobSpec, NetError,
    OpenSpec, Protocol, Rate, Session, Target,
};
use crossbeam_channel::{Receiver, select};
use encoding_rs::Encoding;
use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// When a headless run ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitAfter {
    /// After this many received records (TCP reads or UDP datagrams).
    Records(u64),
    /// After this long.
    Time(Duration),
    /// Once everything asked for (--send, --send-file, stdin) is sent.
    Sent,
}

/// Parses `10` (records), `5s`, `500ms`, `2m` (time), `sent`.
pub fn parse_exit_after(s: &str) -> Result<ExitAfter, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("sent") {
        return Ok(ExitAfter::Sent);
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(ExitAfter::Records(n));
    }
    parse_duration(t).map(ExitAfter::Time).map_err(|_| {
        format!("'{s}' is neither a record count (10), a time (5s, 500ms, 2m) nor 'sent'")
    })
}

/// Parses a traffic rate: `1000` or `1000pps` (packets per second),
/// `500B/s`, `64kB/s`, `10MB/s`, `1KiB/s`, `2MiB/s`.
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let t = s.trim();
    let bad = || format!("'{s}' is not a rate (1000pps, 500B/s, 64kB/s, 10MB/s)");
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num.parse().map_err(|_| bad())?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "pps" | "p/s" => {
            let n = v.round() as u64;
            return if v.is_finite() && n >= 1 {
                Ok(Rate::PacketsPerSec(n))
            } else {
                Err(bad())
            };
        }
        "b/s" | "bps" => 1.0,
        "kb/s" => 1e3,
        "mb/s" => 1e6,
        "gb/s" => 1e9,
        "kib/s" => 1024.0,
        "mib/s" => 1024.0 * 1024.0,
        "gib/s" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let b = (v * scale).round();
    if !(b.is_finite() && (1.0..1e15).contains(&b)) {
        return Err(bad());
    }
    Ok(Rate::BytesPerSec(b as u64))
}

/// Parses `500ms`, `1.5s`, `2m`; a bare number is milliseconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 0.001)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a time (500ms, 1.5s, 2m)"))?;
    if !(v.is_finite() && v >= 0.0) || v * scale > 1e9 {
        return Err(format!("'{s}' is not a time (500ms, 1.5s, 2m)"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

/// Everything a headless run needs.
#[derive(Debug, Clone)]
pub struct Options {
    pub spec: OpenSpec,
    pub json: bool,
    pub view: ViewMode,
    pub encoding: &'static Encoding,
    /// How payloads (from --send and stdin) become bytes: hex or text,
    /// escapes, line ending, checksum.
    pub format: SendFormat,
    /// Sent once the session is ready.
    pub send: Option<String>,
    pub interval: Option<Duration>,
    /// How many times to send `send` (None: once, or forever with an
    /// interval, a rate or a duration).
    pub count: Option<u64>,
    /// Send `send` as traffic at this rate.
    pub rate: Option<Rate>,
    /// Send `send` as traffic for this long.
    pub duration: Option<Duration>,
    /// Stream this file once the session is ready.
    pub send_file: Option<PathBuf>,
    /// UDP file sends: bytes per datagram and the wait between datagrams.
    pub datagram_size: usize,
    pub gap: Duration,
    pub exit_after: Option<ExitAfter>,
    /// Read lines from stdin and send them.
    pub stdin: bool,
    /// Auto-reply rules (`--reply`).
    pub replies: Vec<codec::ReplyRule>,
    /// A relay sends toward the target instead of toward its clients.
    pub toward_target: bool,
    /// Once everything asked for is sent: half-close or reset the TCP
    /// connections.
    pub after_send: Option<AfterSend>,
    /// Print no record lines (`--quiet`): only notes and errors, and at the
    /// end a summary of the records and bytes each way, per peer.
    pub quiet: bool,
    /// A message here (Ctrl+C, SIGTERM, the console closing) ends the run
    /// as its own end would: the session closes and a capture is flushed.
    pub interrupt: Option<Receiver<()>>,
}

/// The exit status of a run ended by Ctrl+C (a shell's 128 + SIGINT),
/// the same on every system.
pub const INTERRUPTED: i32 = 130;

/// What a headless run does to its TCP connections once it has sent
/// everything (`--after-send`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterSend {
    /// Shut the write side down (FIN), and keep receiving.
    Shutdown,
    /// Reset (RST).
    Reset,
}

impl Options {
    /// Options for `spec` with nothing to send and every choice at its default.
    pub fn new(spec: OpenSpec) -> Options {
        Options {
            spec,
            json: false,
            view: ViewMode::Text,
            encoding: encoding_rs::UTF_8,
            format: SendFormat::default(),
            send: None,
            interval: None,
            count: None,
            rate: None,
            duration: None,
            send_file: None,
            datagram_size: 1024,
            gap: Duration::ZERO,
            exit_after: None,
            stdin: false,
            replies: Vec::new(),
            toward_target: false,
            after_send: None,
            quiet: false,
            interrupt: None,
        }
    }
}

/// Turns a payload as typed into bytes (an empty one stays empty whatever
/// `--append` and `--checksum` say).
fn payload(text: &str, format: &SendFormat, enc: &'static Encoding) -> Result<Vec<u8>, String> {
    format.build_send(text, enc).map_err(|e| e.to_string())
}

/// Job ids of a headless run.
const JOB_SEND: JobId = 1;
const JOB_FILE: JobId = 2;
const JOB_STDIN: JobId = 3;

fn time_text(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Local> = t.into();
    dt.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

fn time_json(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Local> = t.into();
    dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// The payload as one line of text: line breaks and tabs escaped.
fn one_line_text(bytes: &[u8], enc: &'static Encoding) -> String {
    codec::decode_for_display(bytes, enc)
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

/// An error in words, as the desktop app's English UI says it.
fn error_text(e: &NetError) -> String {
    crate::ui::i18n::EN.net_error(e)
}

fn reason_text(r: &CloseReason) -> String {
    match r {
        CloseReason::PeerClosed => "closed by peer".into(),
        CloseReason::Reset => "reset by peer".into(),
        CloseReason::ByUser => "closed".into(),
        CloseReason::ResetByUser => "reset (RST sent)".into(),
        CloseReason::BadFrame => "closed: a frame longer than the maximum".into(),
        CloseReason::LinkEnded => "closed: the other side of the link ended".into(),
        CloseReason::Cut { .. } => crate::ui::i18n::EN.close_reason(r),
        CloseReason::Error(e) => error_text(e),
    }
}

fn error_json(e: &NetError) -> serde_json::Value {
    let en = &crate::ui::i18n::EN;
    serde_json::json!({
        "kind": format!("{:?}", e.kind),
        "message": en.error_kind(e.kind),
        "context": en.op(&e.op),
        "detail": en.detail(&e.detail),
    })
}

/// Formats one event as a line (without the newline). A relay's target
/// side says so: `RX-TARGET`/`TX-TARGET` for data, "target side:" in notes,
/// `"side": "target"` in JSON.
pub fn format_event(ev: &Event, opts: &Options) -> String {
    let line = match ev {
        Event::Target(inner) => format_side(inner, opts, true),
        ev => format_side(ev, opts, false),
    };
    // Peers without an IP address (Unix sockets) are shown by name (JSON
    // names them as it is built, so a name is escaped like any string; a
    // data line names its peer as it is built, and what the peer sent is
    // not touched).
    if opts.json || carries_data(ev) {
        return line;
    }
    match crate::net::humanize(&line) {
        std::borrow::Cow::Borrowed(_) => line,
        std::borrow::Cow::Owned(t) => t,
    }
}

/// Whether `ev` prints what a peer sent or was sent.
fn carries_data(ev: &Event) -> bool {
    match ev {
        Event::Target(inner) => carries_data(inner),
        Event::Received { .. } | Event::Sent { .. } | Event::Frames { .. } => true,
        _ => false,
    }
}

fn format_side(ev: &Event, opts: &Options, target: bool) -> String {
    match ev {
        // stdin's own end is no news; only its failure is.
        Event::JobEnded {
            id: JOB_STDIN,
            end: JobEnd::Done | JobEnd::Stopped,
            ..
        } => return String::new(),
        Event::JobProgress { .. } if !opts.json => return String::new(),
        // The job's progress says it; the per-peer count is the window's.
        Event::PeerTx { .. } => return String::new(),
        // Read-back options are news when the user set some.
        Event::Options { .. } if opts.spec.options.is_default() => return String::new(),
        // A line per frame.
        Event::Frames { .. } => {
            return one_per_record(ev.clone())
                .iter()
                .map(|e| format_side(e, opts, target))
                .collect::<Vec<_>>()
                .join("\n");
        }
        _ => {}
    }
    if opts.json {
        let mut v = format_json(ev, opts);
        if target && let Some(o) = v.as_object_mut() {
            o.insert("side".into(), "target".into());
        }
        humanize_json(&mut v);
        return v.to_string();
    }
    if let (true, Event::WriteShut { at, peer }) = (target, ev) {
        return format!(
            "{} -- target side: FIN passed on to the target for {peer}; it can still answer",
            time_text(*at)
        );
    }
    if let (true, Event::ReadShut { at, peer, .. }) = (target, ev) {
        return format!(
            "{} -- target side: the target closed its side toward {peer} (FIN received); passed on",
            time_text(*at)
        );
    }
    let line = format_text(ev, opts, if target { "-TARGET" } else { "" });
    if target {
        // Notes say which side they are about.
        for mark in [" -- ", " !! "] {
            if let Some(i) = line.find(mark) {
                let (head, tail) = line.split_at(i + mark.len());
                return format!("{head}target side: {tail}");
            }
        }
    }
    line
}

/// An event as a text line; `side` follows the direction of data lines.
fn format_text(ev: &Event, opts: &Options, side: &str) -> String {
    let data = |dir: &str, at: &SystemTime, peer: &SocketAddr, bytes: &[u8]| {
        let body = match opts.view {
            ViewMode::Text => one_line_text(bytes, opts.encoding),
            ViewMode::Hex => codec::format_hex(bytes),
            ViewMode::Both => format!(
                "{} | {}",
                one_line_text(bytes, opts.encoding),
                codec::format_hex(bytes)
            ),
        };
        // The peer by name; what it sent is left as it came.
        format!(
            "{} {dir}{side} {} {body}",
            time_text(*at),
            crate::net::peer_text(peer)
        )
    };
    match ev {
        Event::Target(inner) => format_event(inner, opts),
        Event::Received {
            at, peer, bytes, ..
        } => data("RX", at, peer, bytes),
        Event::Sent { at, peer, bytes } => data("TX", at, peer, bytes),
        Event::Linked {
            at,
            peer,
            local,
            target,
        } => format!(
            "{} -- linked {peer} to target {target} (from {local})",
            time_text(*at)
        ),
        Event::Opened { at, local } => {
            let what = if opts.spec.protocol.is_datagram() {
                "bound to"
            } else {
                "listening on"
            };
            format!("{} -- {what} {local}", time_text(*at))
        }
        Event::Connecting { at, remote } => format!("{} -- connecting to {remote}", time_text(*at)),
        Event::Membership {
            at,
            group,
            via,
            joined,
        } => format!(
            "{} -- {} multicast group {}{}",
            time_text(*at),
            if *joined { "joined" } else { "left" },
            group.group,
            if via.is_empty() {
                String::new()
            } else {
                format!(" on {via}")
            }
        ),
        Event::Options { at, peer, read } => match peer {
            Some(p) => format!("{} -- socket options of {p}: {read}", time_text(*at)),
            None => format!("{} -- socket options: {read}", time_text(*at)),
        },
        Event::Reconnecting { at, attempt, after } => format!(
            "{} -- reconnecting in {:.1} s (attempt {attempt})",
            time_text(*at),
            after.as_secs_f64()
        ),
        Event::Connected { at, local, peer } => {
            format!("{} -- connected to {peer} from {local}", time_text(*at))
        }
        Event::Accepted { at, peer } => format!("{} -- accepted {peer}", time_text(*at)),
        Event::ReadShut { at, peer, then } => format!(
            "{} -- {}",
            time_text(*at),
            crate::ui::i18n::EN.note_read_shut(&peer.to_string(), *then)
        ),
        Event::WriteShut { at, peer } => format!(
            "{} -- write side to {peer} shut down (FIN sent); still receiving",
            time_text(*at)
        ),
        Event::Disconnected { at, peer, reason } => format!(
            "{} -- disconnected {peer}: {}",
            time_text(*at),
            reason_text(reason)
        ),
        // Frames were split into a line each above.
        Event::JobProgress { .. }
        | Event::Replied { .. }
        | Event::Frames { .. }
        | Event::PeerTx { .. }
        | Event::Impaired { .. }
        | Event::Health { .. } => String::new(),
        Event::Held {
            at,
            peer,
            toward_target,
            bytes,
            after,
        } => format!(
            "{} -- {}",
            time_text(*at),
            crate::ui::i18n::EN.note_held(&peer.to_string(), *toward_target, *bytes, *after)
        ),
        Event::Dropped {
            at,
            peer,
            toward_target,
            bytes,
        } => format!(
            "{} -- {}",
            time_text(*at),
            crate::ui::i18n::EN.note_dropped(&peer.to_string(), *toward_target, *bytes)
        ),
        Event::Corrupted {
            at,
            peer,
            toward_target,
            flipped,
            total,
        } => {
            let bytes: Vec<String> = flipped
                .iter()
                .map(|f| format!("byte {} {:02X}->{:02X}", f.offset, f.was, f.now))
                .collect();
            let more = total.saturating_sub(flipped.len());
            format!(
                "{} -- corrupted {total} byte(s) toward {} {peer}: {}{}",
                time_text(*at),
                if *toward_target { "target" } else { "client" },
                bytes.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        }
        Event::CaptureEnded {
            at,
            written,
            error: None,
        } => format!(
            "{} -- capture ended: {written} bytes written",
            time_text(*at)
        ),
        Event::CaptureEnded {
            at,
            written,
            error: Some(e),
        } => format!(
            "{} !! capture stopped after {written} bytes: {}",
            time_text(*at),
            error_text(e)
        ),
        Event::Framing { at, peer, note } => match note {
            FrameNote::Partial { bytes } => format!(
                "{} -- partial frame from {peer}: {bytes} bytes, not a whole frame",
                time_text(*at)
            ),
            FrameNote::Oversize {
                claimed,
                max,
                closing,
            } => format!(
                "{} !! {peer}: a frame header claims {claimed} bytes, more than the maximum {max}; {}",
                time_text(*at),
                if *closing {
                    "closing the connection"
                } else {
                    "skipping to the next frame that fits"
                }
            ),
        },
        Event::JobEnded {
            id,
            at,
            items,
            bytes,
            elapsed,
            end,
        } => {
            let tally = crate::net::JobTally {
                items: *items,
                bytes: *bytes,
                elapsed: *elapsed,
            };
            let what = match tally.per_sec() {
                Some((_, rate)) => format!(
                    "{} {items} sends, {bytes} bytes in {:.3} s ({rate:.0} bytes/s)",
                    job_name(*id),
                    elapsed.as_secs_f64()
                ),
                None => format!(
                    "{} {items} sends, {bytes} bytes in under 0.01 s",
                    job_name(*id)
                ),
            };
            match end {
                JobEnd::Done => format!("{} -- sent: {what}", time_text(*at)),
                JobEnd::Stopped => format!("{} -- stopped: {what}", time_text(*at)),
                JobEnd::Failed(e) => format!(
                    "{} !! send failed: {what}: {}",
                    time_text(*at),
                    error_text(e)
                ),
            }
        }
        Event::Error { at, error } => format!("{} !! error: {}", time_text(*at), error_text(error)),
        Event::Closed { at, error: None } => format!("{} -- closed", time_text(*at)),
        Event::Closed { at, error: Some(e) } => {
            format!("{} !! closed: {}", time_text(*at), error_text(e))
        }
    }
}

fn job_name(id: JobId) -> &'static str {
    match id {
        JOB_FILE => "file",
        JOB_STDIN => "stdin",
        _ => "send",
    }
}

/// Names peers without an IP address (Unix sockets) in every string of `v`
/// (addresses, and error texts that name them), before it is written out
/// and escaped; what a peer sent is left as it came.
fn humanize_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(t) = crate::net::humanize(s) {
                *s = t;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(humanize_json),
        Value::Object(fields) => fields
            .iter_mut()
            .filter(|(k, _)| !matches!(k.as_str(), "text" | "hex"))
            .for_each(|(_, v)| humanize_json(v)),
        _ => {}
    }
}

fn format_json(ev: &Event, opts: &Options) -> serde_json::Value {
    use serde_json::json;
    let data = |dir: &str, at: &SystemTime, peer: &SocketAddr, bytes: &[u8]| {
        let mut v = json!({
            "time": time_json(*at),
            "event": dir,
            "peer": peer.to_string(),
            "len": bytes.len(),
        });
        if matches!(opts.view, ViewMode::Text | ViewMode::Both) {
            v["text"] = json!(codec::decode_for_display(bytes, opts.encoding));
        }
        if matches!(opts.view, ViewMode::Hex | ViewMode::Both) {
            v["hex"] = json!(codec::format_hex(bytes));
        }
        v
    };
    match ev {
        Event::Target(inner) => {
            let mut v = format_json(inner, opts);
            if let Some(o) = v.as_object_mut() {
                o.insert("side".into(), "target".into());
            }
            v
        }
        Event::Linked {
            at,
            peer,
            local,
            target,
        } => json!({
            "time": time_json(*at), "event": "linked", "peer": peer.to_string(),
            "local": local.to_string(), "target": target.to_string(),
        }),
        Event::Received {
            at, peer, bytes, ..
        } => data("rx", at, peer, bytes),
        Event::Sent { at, peer, bytes } => data("tx", at, peer, bytes),
        // One object per frame.
        Event::Frames { .. } => json!(
            one_per_record(ev.clone())
                .iter()
                .map(|e| format_json(e, opts))
                .collect::<Vec<_>>()
        ),
        Event::Opened { at, local } => {
            json!({"time": time_json(*at), "event": "opened", "local": local.to_string()})
        }
        Event::Connecting { at, remote } => {
            json!({"time": time_json(*at), "event": "connecting", "peer": remote.to_string()})
        }
        Event::Membership {
            at,
            group,
            via,
            joined,
        } => json!({
            "time": time_json(*at),
            "event": if *joined { "joined" } else { "left" },
            "group": group.group.to_string(), "interface": via,
        }),
        Event::Options { at, peer, read } => {
            let values: serde_json::Map<String, serde_json::Value> = read
                .values
                .iter()
                .map(|(k, v)| ((*k).to_string(), json!(v)))
                .collect();
            json!({
                "time": time_json(*at), "event": "options",
                "peer": peer.map(|p| p.to_string()), "values": values,
            })
        }
        Event::Reconnecting { at, attempt, after } => json!({
            "time": time_json(*at), "event": "reconnecting", "attempt": attempt,
            "after_ms": after.as_millis() as u64,
        }),
        Event::WriteShut { at, peer } => {
            json!({"time": time_json(*at), "event": "write_shut", "peer": peer.to_string()})
        }
        Event::ReadShut { at, peer, .. } => {
            json!({"time": time_json(*at), "event": "read_shut", "peer": peer.to_string()})
        }
        Event::Connected { at, local, peer } => json!({
            "time": time_json(*at), "event": "connected",
            "local": local.to_string(), "peer": peer.to_string(),
        }),
        Event::Accepted { at, peer } => {
            json!({"time": time_json(*at), "event": "accepted", "peer": peer.to_string()})
        }
        Event::Disconnected { at, peer, reason } => json!({
            "time": time_json(*at), "event": "disconnected",
            "peer": peer.to_string(), "reason": reason_text(reason),
        }),
        Event::Error { at, error } => {
            json!({"time": time_json(*at), "event": "error", "error": error_json(error)})
        }
        Event::PeerTx { peer, bytes } => {
            json!({"event": "peer_tx", "peer": peer.to_string(), "bytes": bytes})
        }
        Event::Health { peer, health: h } => json!({
            "event": "health", "peer": peer.to_string(), "rtt_us": h.rtt_us,
            "rtt_var_us": h.rtt_var_us, "retrans": h.retrans, "retrans_bytes": h.retrans_bytes,
            "cwnd": h.cwnd, "in_flight": h.in_flight, "peer_window": h.peer_window,
            "unsent": h.unsent, "unread": h.unread,
        }),
        Event::Impaired {
            toward_target,
            counts,
        } => json!({
            "event": "impaired",
            "toward": if *toward_target { "target" } else { "client" },
            "delayed": counts.delayed, "pieces": counts.pieces, "merged": counts.merged,
            "paced": counts.paced, "corrupted": counts.corrupted, "dropped": counts.dropped,
            "duplicated": counts.duplicated, "reordered": counts.reordered, "cut": counts.cut,
        }),
        Event::Held {
            at,
            peer,
            toward_target,
            bytes,
            after,
        } => json!({
            "time": time_json(*at), "event": "held", "peer": peer.to_string(),
            "toward": if *toward_target { "target" } else { "client" }, "bytes": bytes,
            "ms": after.as_secs_f64() * 1000.0,
        }),
        Event::Dropped {
            at,
            peer,
            toward_target,
            bytes,
        } => json!({
            "time": time_json(*at), "event": "dropped", "peer": peer.to_string(),
            "toward": if *toward_target { "target" } else { "client" }, "bytes": bytes,
        }),
        Event::Corrupted {
            at,
            peer,
            toward_target,
            flipped,
            total,
        } => json!({
            "time": time_json(*at), "event": "corrupted", "peer": peer.to_string(),
            "toward": if *toward_target { "target" } else { "client" }, "total": total,
            "bytes": flipped.iter().map(|f| json!({"offset": f.offset, "was": f.was, "now": f.now})).collect::<Vec<_>>(),
        }),
        Event::Replied { at, rule, peer } => json!({
            "time": time_json(*at), "event": "replied", "rule": rule, "peer": peer.to_string(),
        }),
        Event::CaptureEnded { at, written, error } => json!({
            "time": time_json(*at), "event": "capture_ended", "written": written,
            "error": error.as_ref().map(error_json),
        }),
        Event::Framing { at, peer, note } => match note {
            FrameNote::Partial { bytes } => json!({
                "time": time_json(*at), "event": "partial", "peer": peer.to_string(), "len": bytes,
            }),
            FrameNote::Oversize {
                claimed,
                max,
                closing,
            } => json!({
                "time": time_json(*at), "event": "oversize", "peer": peer.to_string(),
                "claimed": claimed, "max": max, "closing": closing,
            }),
        },
        Event::JobProgress {
            id,
            items,
            bytes,
            total,
            stalled,
        } => json!({
            "event": "progress", "job": job_name(*id), "sends": items,
            "bytes": bytes, "total": total, "stalled": stalled,
        }),
        Event::JobEnded {
            id,
            at,
            items,
            bytes,
            elapsed,
            end,
        } => json!({
            "time": time_json(*at), "event": "sent", "job": job_name(*id),
            "sends": items, "bytes": bytes, "secs": elapsed.as_secs_f64(),
            "end": match end {
                JobEnd::Done => "done",
                JobEnd::Stopped => "stopped",
                JobEnd::Failed(_) => "failed",
            },
            "error": match end {
                JobEnd::Failed(e) => Some(error_json(e)),
                _ => None,
            },
        }),
        Event::Closed { at, error } => json!({
            "time": time_json(*at), "event": "closed",
            "error": error.as_ref().map(error_json),
        }),
    }
}

/// Reads stdin lines on a thread of its own and turns them into payloads
/// for a [`JobSpec::Stream`]. The channel is short and the worker takes
/// from it only while the peer keeps up, so a slow peer stops us reading
/// stdin (as socat does) instead of refusing lines.
fn stdin_payloads(opts: &Options, worker: CommandSender) -> Receiver<Vec<u8>> {
    let (tx, rx) = crossbeam_channel::bounded(16);
    let opts = opts.clone();
    let spawned = std::thread::Builder::new()
        .name("netpal-stdin".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut lock = stdin.lock();
            loop {
                let mut line = Vec::new();
                match lock.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => match stdin_payload(&line, &opts) {
                        Ok(bytes) if bytes.is_empty() => {}
                        Ok(bytes) => {
                            if tx.send(bytes).is_err() {
                                return;
                            }
                            worker.wake();
                        }
                        Err(e) => eprintln!("netpal: {e}"),
                    },
                }
            }
        });
    if spawned.is_err() {
        drop(rx);
        return crossbeam_channel::never();
    }
    rx
}

/// A stdin line as bytes to send: hex parsed, or text re-encoded from the
/// terminal's UTF-8 into the chosen encoding (raw bytes if not UTF-8).
/// With --append, the line's own ending gives way to the chosen one.
fn stdin_payload(line: &[u8], opts: &Options) -> Result<Vec<u8>, String> {
    let mut line = line;
    if opts.format.append != LineEnd::None {
        line = line.strip_suffix(b"\n").unwrap_or(line);
        line = line.strip_suffix(b"\r").unwrap_or(line);
    }
    match std::str::from_utf8(line) {
        Ok(s) => payload(s, &opts.format, opts.encoding),
        Err(_) if opts.format.hex => Err("invalid hex: not text".into()),
        Err(_) => {
            let mut raw = line.to_vec();
            opts.format.finish(&mut raw).map_err(|e| e.to_string())?;
            Ok(raw)
        }
    }
}

/// The jobs a run starts once its session is ready: --send (once, every
/// interval, or as traffic), --send-file.
fn ready_jobs(opts: &Options, send: Option<&Vec<u8>>) -> Vec<(JobId, JobSpec)> {
    let mut jobs = Vec::new();
    if let Some(bytes) = send {
        let bytes = bytes.clone();
        let job = match (opts.interval, opts.rate, opts.duration) {
            (Some(interval), _, _) => JobSpec::Repeat {
                bytes,
                interval,
                count: opts.count,
            },
            // Once or N times back to back, each send printed.
            (None, None, None) => JobSpec::Repeat {
                bytes,
                interval: Duration::ZERO,
                count: Some(opts.count.unwrap_or(1)),
            },
            (None, rate, duration) => JobSpec::Generate {
                bytes,
                rate,
                count: opts.count,
                duration,
            },
        };
        jobs.push((JOB_SEND, job));
    }
    if let Some(path) = &opts.send_file {
        let udp = opts.spec.protocol.is_datagram();
        jobs.push((
            JOB_FILE,
            JobSpec::File {
                path: path.clone(),
                chunk: if udp { opts.datagram_size } else { 64 * 1024 },
                gap: if udp { opts.gap } else { Duration::ZERO },
            },
        ));
    }
    jobs
}

/// A batch of frames as one `Received` event per frame; any other event
/// as it is.
fn one_per_record(ev: Event) -> Vec<Event> {
    match ev {
        Event::Frames {
            at,
            peer,
            data,
            spans,
            rows,
        } => spans
            .into_iter()
            .enumerate()
            .map(|(k, r)| Event::Received {
                at,
                peer,
                bytes: data.get(r).unwrap_or_default().to_vec(),
                shape: rows.shape(k),
            })
            .collect(),
        Event::Target(inner) => one_per_record(*inner)
            .into_iter()
            .map(|e| Event::Target(Box::new(e)))
            .collect(),
        ev => vec![ev],
    }
}

/// Records and bytes each way, for `--quiet`'s summary.
#[derive(Default, Clone, Copy)]
struct Tally {
    rx_records: u64,
    rx_bytes: u64,
    tx_records: u64,
    tx_bytes: u64,
}

impl Tally {
    fn add(&mut self, rx: bool, bytes: usize) {
        if rx {
            self.rx_records += 1;
            self.rx_bytes += bytes as u64;
        } else {
            self.tx_records += 1;
            self.tx_bytes += bytes as u64;
        }
    }

    fn text(&self) -> String {
        format!(
            "RX {} records, {} bytes; TX {} records, {} bytes",
            self.rx_records, self.rx_bytes, self.tx_records, self.tx_bytes
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "rx_records": self.rx_records, "rx_bytes": self.rx_bytes,
            "tx_records": self.tx_records, "tx_bytes": self.tx_bytes,
        })
    }
}

/// Whose records a tally counts: a peer, on a relay's target side or not.
type Side = (std::net::SocketAddr, bool);

/// A record's direction (RX: true), whose it is, and its size.
fn data_of(ev: &Event) -> Option<(bool, Side, usize)> {
    match ev {
        Event::Target(inner) => data_of(inner).map(|(rx, (p, _), n)| (rx, (p, true), n)),
        Event::Received { peer, bytes, .. } => Some((true, (*peer, false), bytes.len())),
        Event::Sent { peer, bytes, .. } => Some((false, (*peer, false), bytes.len())),
        _ => None,
    }
}

/// Records and bytes each way, in all and per peer in the order first heard.
#[derive(Default)]
struct Tallies {
    total: Tally,
    peers: Vec<(Side, Tally)>,
    index: HashMap<Side, usize>,
}

impl Tallies {
    fn add(&mut self, rx: bool, side: Side, n: usize) {
        self.total.add(rx, n);
        let i = *self.index.entry(side).or_insert_with(|| {
            self.peers.push((side, Tally::default()));
            self.peers.len() - 1
        });
        if let Some((_, t)) = self.peers.get_mut(i) {
            t.add(rx, n);
        }
    }
}

/// How the summary names a peer.
fn side_text((peer, target): Side) -> String {
    let p = crate::net::peer_text(peer);
    if target {
        format!("{p} (target side)")
    } else {
        p
    }
}

/// The summary `--quiet` prints at the end: everything, then each peer in
/// the order first heard.
fn summary_lines(t: &Tallies, json: bool) -> Vec<String> {
    if json {
        let mut v = t.total.json();
        v["event"] = "summary".into();
        v["peers"] = t
            .peers
            .iter()
            .map(|(p, t)| {
                let mut e = t.json();
                e["peer"] = side_text(*p).into();
                e
            })
            .collect::<Vec<_>>()
            .into();
        return vec![v.to_string()];
    }
    let mut out = vec![format!("-- summary: {}", t.total.text())];
    out.extend(
        t.peers
            .iter()
            .map(|(p, t)| format!("--   {}: {}", side_text(*p), t.text())),
    );
    out
}

/// Runs a headless session until it ends; returns the process exit status
/// (0 normal end, 1 session or send error).
pub fn run(opts: Options, out: &mut dyn Write) -> i32 {
    let mut send_once = None;
    if let Some(text) = &opts.send {
        match payload(text, &opts.format, opts.encoding) {
            // Over UDP an empty datagram is a message, unless a line ending
            // or checksum was asked for: then more than nothing was meant.
            Ok(b)
                if b.is_empty()
                    && (!opts.spec.protocol.is_datagram() || opts.format.adds_anything()) =>
            {
                eprintln!("netpal: --send: nothing to send: the payload is empty");
                return 2;
            }
            Ok(b) if b.len() > crate::net::MAX_DATAGRAM && opts.spec.protocol.is_datagram() => {
                eprintln!(
                    "netpal: --send: {} bytes is more than one UDP datagram can carry ({})",
                    b.len(),
                    crate::net::MAX_DATAGRAM
                );
                return 2;
            }
            Ok(b) => send_once = Some(b),
            Err(e) => {
                eprintln!("netpal: --send: {e}");
                return 2;
            }
        }
    }
    let rules: Vec<(usize, codec::CompiledRule)> = opts
        .replies
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.compile(opts.encoding).ok().map(|c| (i, c)))
        .collect();
    let setup = if rules.is_empty() {
        Vec::new()
    } else {
        vec![Command::SetReplies(rules)]
    };
    let session = match Session::open_with(opts.spec.clone(), setup, Arc::new(|| {})) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netpal: {}", error_text(&e));
            return 1;
        }
    };
    // What a relay does to what it passes, said once at the start.
    let m = opts.spec.impairment;
    if m.on {
        let text = crate::ui::i18n::EN.note_impairment(&m);
        let line = if opts.json {
            serde_json::json!({"event": "impairment", "text": text}).to_string()
        } else {
            format!("-- {text}")
        };
        let _ = writeln!(out, "{line}");
    }
    let start = Instant::now();
    let deadline = match opts.exit_after {
        Some(ExitAfter::Time(d)) => Some(start + d),
        _ => None,
    };
    let mut stdin = opts.stdin.then(|| stdin_payloads(&opts, session.sender()));
    let mut waiting = ready_jobs(&opts, send_once.as_ref());
    let mut running: HashSet<JobId> = HashSet::new();
    let mut ready = false;
    let mut records = 0u64;
    let mut status = 0;
    // The TCP connections, for --after-send; and whether it has been done.
    let mut conns: Vec<std::net::SocketAddr> = Vec::new();
    let mut after_done = false;
    let mut interrupt = opts
        .interrupt
        .clone()
        .unwrap_or_else(crossbeam_channel::never);
    let mut tallies = Tallies::default();

    'events: loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let timeout = deadline.map_or(Duration::from_secs(3600), |t| {
            t.saturating_duration_since(Instant::now())
        });
        let ev = select! {
            recv(session.events()) -> ev => match ev {
                Ok(ev) => session.taken(ev),
                // The worker has gone; its Closed event was the last one.
                Err(_) => break,
            },
            recv(interrupt) -> got => {
                if got.is_ok() {
                    // Closed as the user's Close closes it: what the
                    // session says as it ends (the capture's last words)
                    // is printed, and its Closed ends the loop.
                    status = INTERRUPTED;
                    session.command(Command::Close);
                }
                // Once is enough (a second Ctrl+C ends the process).
                interrupt = crossbeam_channel::never();
                continue;
            }
            default(timeout) => continue,
        };
        // Each frame of a batch is a record of its own, printed and
        // counted as one.
        for ev in one_per_record(ev) {
            let line = match data_of(&ev).filter(|_| opts.quiet) {
                // --quiet counts a record instead of printing it.
                Some((rx, side, n)) => {
                    tallies.add(rx, side, n);
                    String::new()
                }
                None => format_event(&ev, &opts),
            };
            if !line.is_empty() && writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                // Whoever reads our output has gone (e.g. `| head`): stop quietly.
                break 'events;
            }
            // Datagram sockets (UDP, Unix datagram) can send at once to a
            // remote; without one, they answer the first peer heard.
            let udp = matches!(opts.spec.protocol, Protocol::Udp | Protocol::UnixDgram);
            let has_remote = opts.spec.remote.is_some() || opts.spec.unix_remote.is_some();
            // Where sends go: for UDP without a remote, the first peer heard.
            let mut target = if opts.toward_target {
                Target::Upstream(Box::new(Target::All))
            } else {
                Target::All
            };
            let relay = opts.spec.protocol.is_relay();
            let data = match &ev {
                Event::Target(inner) => inner.as_ref(),
                ev => ev,
            };
            if matches!(data, Event::Received { .. }) {
                records += 1;
            }
            match &ev {
                Event::Connected { peer, .. } | Event::Accepted { peer, .. } => conns.push(*peer),
                Event::Disconnected { peer, .. } => conns.retain(|p| p != peer),
                _ => {}
            }
            match &ev {
                // A UDP session with a remote can send at once; without one, it
                // answers the first peer it hears from.
                Event::Opened { .. } if udp && has_remote => ready = true,
                // A relay's client can be sent to at once; its target once linked.
                Event::Linked { .. } if relay => ready = true,
                Event::Accepted { .. } if relay && opts.toward_target => {}
                Event::Connected { .. } | Event::Accepted { .. } => ready = true,
                Event::Received { peer, .. } if udp && !has_remote => {
                    target = Target::Peers(vec![*peer]);
                    ready = true;
                }
                Event::JobEnded { id, end, .. } => {
                    running.remove(id);
                    if let JobEnd::Failed(e) = end {
                        eprintln!("netpal: {}: {}", job_name(*id), error_text(e));
                        status = 1;
                        break 'events;
                    }
                }
                Event::Closed { error, .. } => {
                    if let Some(e) = error {
                        eprintln!("netpal: {}", error_text(e));
                        status = 1;
                    }
                    break 'events;
                }
                _ => {}
            }
            if ready {
                for (id, job) in waiting.drain(..) {
                    session.command(Command::StartJob {
                        id,
                        to: target.clone(),
                        job,
                    });
                    running.insert(id);
                }
                if let Some(items) = stdin.take() {
                    session.command(Command::StartJob {
                        id: JOB_STDIN,
                        to: target.clone(),
                        job: JobSpec::Stream { items },
                    });
                    running.insert(JOB_STDIN);
                }
            }
            let all_sent = ready && running.is_empty() && waiting.is_empty();
            if let (Some(what), true, false) = (opts.after_send, all_sent, after_done) {
                after_done = true;
                session.command(match what {
                    AfterSend::Shutdown => Command::ShutdownWrite(conns.clone()),
                    AfterSend::Reset => Command::Reset(conns.clone()),
                });
            }
            match opts.exit_after {
                Some(ExitAfter::Records(n)) if records >= n => break 'events,
                Some(ExitAfter::Sent) if ready && running.is_empty() && waiting.is_empty() => {
                    break 'events;
                }
                _ => {}
            }
        }
    }
    drop(session);
    if opts.quiet {
        for line in summary_lines(&tallies, opts.json) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = out.flush();
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_after_and_durations_parse() {
        assert_eq!(parse_exit_after("10"), Ok(ExitAfter::Records(10)));
        assert_eq!(
            parse_exit_after("5s"),
            Ok(ExitAfter::Time(Duration::from_secs(5)))
        );
        assert_eq!(
            parse_exit_after("250ms"),
            Ok(ExitAfter::Time(Duration::from_millis(250)))
        );
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("100"), Ok(Duration::from_millis(100)));
        assert!(parse_exit_after("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("1000"), Ok(Rate::PacketsPerSec(1000)));
        assert_eq!(parse_rate("50pps"), Ok(Rate::PacketsPerSec(50)));
        assert_eq!(parse_rate("500B/s"), Ok(Rate::BytesPerSec(500)));
        assert_eq!(parse_rate("64kB/s"), Ok(Rate::BytesPerSec(64_000)));
        assert_eq!(parse_rate("1.5MB/s"), Ok(Rate::BytesPerSec(1_500_000)));
        assert_eq!(parse_rate("2KiB/s"), Ok(Rate::BytesPerSec(2048)));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("10 furlongs").is_err());
    }

    #[test]
    fn stdin_lines_take_the_chosen_ending_and_checksum() {
        let mut opts = Options::new(OpenSpec::parse("udp:127.0.0.1:0").unwrap());
        assert_eq!(stdin_payload(b"hi\n", &opts), Ok(b"hi\n".to_vec()));
        opts.format.append = LineEnd::CrLf;
        assert_eq!(stdin_payload(b"hi\n", &opts), Ok(b"hi\r\n".to_vec()));
        assert_eq!(stdin_payload(b"hi\r\n", &opts), Ok(b"hi\r\n".to_vec()));
        opts.format = SendFormat {
            hex: true,
            checksum: codec::Checksum::Crc16Modbus,
            ..Default::default()
        };
        assert_eq!(
            stdin_payload(b"01 03 00 00 00 0A\n", &opts),
            Ok(vec![1, 3, 0, 0, 0, 0x0A, 0xC5, 0xCD])
        );
    }

    #[test]
    fn lines_are_one_line_each() {
        let opts = Options {
            view: ViewMode::Both,
            ..Options::new(OpenSpec::parse("udp:127.0.0.1:0").unwrap())
        };
        let ev = Event::received(
            SystemTime::now(),
            "127.0.0.1:5".parse().unwrap(),
            b"a\nb\tc".to_vec(),
        );
        let line = format_event(&ev, &opts);
        assert!(
            line.ends_with(" RX 127.0.0.1:5 a\\nb\\tc | 61 0A 62 09 63"),
            "{line}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&format_event(&ev, &Options { json: true, ..opts })).unwrap();
        assert_eq!(json["event"], "rx");
        assert_eq!(json["text"], "a\nb\tc");
        assert_eq!(json["len"], 5);
    }
}
