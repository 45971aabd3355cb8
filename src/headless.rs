//! Headless mode: one session driven from a terminal or a script, with no
//! window. It uses the same engine (`net`, `codec`) as the desktop app.

use crate::codec;
use crate::log::ViewMode;
use crate::net::{CloseReason, Command, Event, NetError, OpenSpec, Protocol, Session, Target};
use crossbeam_channel::{Receiver, select};
use encoding_rs::Encoding;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// When a headless run ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitAfter {
    /// After this many received records (TCP reads or UDP datagrams).
    Records(u64),
    /// After this long.
    Time(Duration),
}

/// Parses `10` (records), `5s`, `500ms`, `2m` (time).
pub fn parse_exit_after(s: &str) -> Result<ExitAfter, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(ExitAfter::Records(n));
    }
    parse_duration(t)
        .map(ExitAfter::Time)
        .map_err(|_| format!("'{s}' is neither a record count (10) nor a time (5s, 500ms, 2m)"))
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
    /// Payloads (from --send and stdin) are hex.
    pub send_hex: bool,
    /// Sent once the session is ready.
    pub send: Option<String>,
    pub interval: Option<Duration>,
    /// How many times to send `send` (None: once, or forever with an interval).
    pub count: Option<u64>,
    pub exit_after: Option<ExitAfter>,
    /// Read lines from stdin and send them.
    pub stdin: bool,
}

/// Turns a payload as typed into bytes.
fn payload(text: &str, hex: bool, enc: &'static Encoding) -> Result<Vec<u8>, String> {
    if hex {
        codec::parse_hex(text).map_err(|e| format!("invalid hex: {e}"))
    } else {
        codec::encode_text(text, enc).map_err(|e| format!("cannot encode: {e}"))
    }
}

/// Where a send goes: the server's clients, the client's server, or for
/// UDP the remote given, else the last peer heard from.
fn target(spec: &OpenSpec, last_udp_peer: Option<SocketAddr>) -> Target {
    match (spec.protocol, &spec.remote, last_udp_peer) {
        (Protocol::Udp, None, Some(p)) => Target::Peers(vec![p]),
        _ => Target::All,
    }
}

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

/// Formats one event as a line (without the newline).
pub fn format_event(ev: &Event, opts: &Options) -> String {
    if opts.json {
        return format_json(ev, opts).to_string();
    }
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
        format!("{} {dir} {peer} {body}", time_text(*at))
    };
    match ev {
        Event::Received {
            at, peer, bytes, ..
        } => data("RX", at, peer, bytes),
        Event::Sent { at, peer, bytes } => data("TX", at, peer, bytes),
        Event::Opened { at, local } => {
            let what = if opts.spec.protocol == Protocol::Udp {
                "bound to"
            } else {
                "listening on"
            };
            format!("{} -- {what} {local}", time_text(*at))
        }
        Event::Connecting { at, remote } => format!("{} -- connecting to {remote}", time_text(*at)),
        Event::Connected { at, local, peer } => {
            format!("{} -- connected to {peer} from {local}", time_text(*at))
        }
        Event::Accepted { at, peer } => format!("{} -- accepted {peer}", time_text(*at)),
        Event::Disconnected { at, peer, reason } => format!(
            "{} -- disconnected {peer}: {}",
            time_text(*at),
            reason_text(reason)
        ),
        Event::Error { at, error } => format!("{} !! error: {}", time_text(*at), error_text(error)),
        Event::Closed { at, error: None } => format!("{} -- closed", time_text(*at)),
        Event::Closed { at, error: Some(e) } => {
            format!("{} !! closed: {}", time_text(*at), error_text(e))
        }
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
        Event::Received {
            at, peer, bytes, ..
        } => data("rx", at, peer, bytes),
        Event::Sent { at, peer, bytes } => data("tx", at, peer, bytes),
        Event::Opened { at, local } => {
            json!({"time": time_json(*at), "event": "opened", "local": local.to_string()})
        }
        Event::Connecting { at, remote } => {
            json!({"time": time_json(*at), "event": "connecting", "peer": remote.to_string()})
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
        Event::Closed { at, error } => json!({
            "time": time_json(*at), "event": "closed",
            "error": error.as_ref().map(error_json),
        }),
    }
}

/// Reads stdin lines (bytes, newline included) on a thread of its own.
fn stdin_lines() -> Receiver<Vec<u8>> {
    let (tx, rx) = crossbeam_channel::bounded(64);
    let spawned = std::thread::Builder::new()
        .name("netpal-stdin".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut lock = stdin.lock();
            loop {
                let mut line = Vec::new();
                match lock.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    if spawned.is_err() {
        return crossbeam_channel::never();
    }
    rx
}

/// A stdin line as bytes to send: hex parsed, or text re-encoded from the
/// terminal's UTF-8 into the chosen encoding (raw bytes if not UTF-8).
fn stdin_payload(line: &[u8], opts: &Options) -> Result<Vec<u8>, String> {
    match std::str::from_utf8(line) {
        Ok(s) if opts.send_hex => payload(s, true, opts.encoding),
        Ok(s) => payload(s, false, opts.encoding),
        Err(_) if opts.send_hex => Err("invalid hex: not text".into()),
        Err(_) => Ok(line.to_vec()),
    }
}

/// Runs a headless session until it ends; returns the process exit status
/// (0 normal end, 1 session error).
pub fn run(opts: Options, out: &mut dyn Write) -> i32 {
    let mut send_once = None;
    if let Some(text) = &opts.send {
        match payload(text, opts.send_hex, opts.encoding) {
            Ok(b) => send_once = Some(b),
            Err(e) => {
                eprintln!("netpal: --send: {e}");
                return 2;
            }
        }
    }
    let session = match Session::open(opts.spec.clone(), Arc::new(|| {})) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netpal: {}", error_text(&e));
            return 1;
        }
    };
    let start = Instant::now();
    let deadline = match opts.exit_after {
        Some(ExitAfter::Time(d)) => Some(start + d),
        _ => None,
    };
    let mut stdin = if opts.stdin {
        stdin_lines()
    } else {
        crossbeam_channel::never()
    };
    let mut sends_left = match (send_once.is_some(), opts.count, opts.interval) {
        (false, _, _) => 0,
        (true, Some(n), _) => n,
        (true, None, Some(_)) => u64::MAX,
        (true, None, None) => 1,
    };
    let mut next_send: Option<Instant> = None;
    let mut ready = false;
    let mut records = 0u64;
    let mut last_udp_peer = None;
    let mut status = 0;

    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        if let (Some(at), Some(bytes)) = (next_send, &send_once)
            && now >= at
            && sends_left > 0
        {
            session.command(Command::Send {
                to: target(&opts.spec, last_udp_peer),
                bytes: bytes.clone(),
            });
            sends_left -= 1;
            next_send = match (sends_left > 0, opts.interval) {
                (true, Some(i)) => Some(at + i),
                (true, None) => Some(now),
                (false, _) => None,
            };
        }
        let wake_at = [deadline, next_send].into_iter().flatten().min();
        let timeout = wake_at.map_or(Duration::from_secs(3600), |t| {
            t.saturating_duration_since(Instant::now())
        });
        let ev = select! {
            recv(session.events()) -> ev => match ev {
                Ok(ev) => Some(session.taken(ev)),
                // The worker has gone; its Closed event was the last one.
                Err(_) => break,
            },
            recv(stdin) -> line => {
                match line {
                    Ok(line) => match stdin_payload(&line, &opts) {
                        Ok(bytes) if bytes.is_empty() => {}
                        Ok(bytes) => session.command(Command::Send {
                            to: target(&opts.spec, last_udp_peer),
                            bytes,
                        }),
                        Err(e) => eprintln!("netpal: {e}"),
                    },
                    // End of input: the session goes on; stop watching stdin.
                    Err(_) => stdin = crossbeam_channel::never(),
                }
                None
            },
            default(timeout) => None,
        };
        let Some(ev) = ev else {
            continue;
        };
        if writeln!(out, "{}", format_event(&ev, &opts))
            .and_then(|()| out.flush())
            .is_err()
        {
            // Whoever reads our output has gone (e.g. `| head`): stop quietly.
            break;
        }
        let udp = opts.spec.protocol == Protocol::Udp;
        match &ev {
            // A UDP session with a remote can send at once; without one, it
            // answers the first peer it hears from.
            Event::Opened { .. } if udp && opts.spec.remote.is_some() => ready = true,
            Event::Connected { .. } | Event::Accepted { .. } => ready = true,
            Event::Received { peer, .. } => {
                records += 1;
                if udp {
                    last_udp_peer = Some(*peer);
                    ready = true;
                }
            }
            Event::Closed { error, .. } => {
                if let Some(e) = error {
                    eprintln!("netpal: {}", error_text(e));
                    status = 1;
                }
                break;
            }
            _ => {}
        }
        if ready && next_send.is_none() && sends_left > 0 {
            next_send = Some(Instant::now());
        }
        if matches!(opts.exit_after, Some(ExitAfter::Records(n)) if records >= n) {
            break;
        }
    }
    drop(session);
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
    fn lines_are_one_line_each() {
        let opts = Options {
            spec: OpenSpec::parse("udp:127.0.0.1:0").unwrap(),
            json: false,
            view: ViewMode::Both,
            encoding: encoding_rs::UTF_8,
            send_hex: false,
            send: None,
            interval: None,
            count: None,
            exit_after: None,
            stdin: false,
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
