//! The machine's ports in a terminal: `netpal --ports` prints the table once
//! (`--json`: JSON Lines; `--filter TEXT` as in the window's pane), and
//! `--ports --watch` prints a line for each socket that appears or goes.

use crate::net::ports::REFRESH;
use crate::net::ports::{EphemeralRange, PortReader, PortSnapshot, PortSocket, ephemeral_range};
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;

/// What `--ports` was asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub json: bool,
    pub filter: String,
    pub watch: bool,
}

/// The sockets in the order the table shows them: by protocol, local port,
/// local address, then remote.
pub fn sorted(mut sockets: Vec<PortSocket>) -> Vec<PortSocket> {
    sockets.sort_by(|a, b| {
        (a.proto, a.local.port(), a.local.ip(), a.remote).cmp(&(
            b.proto,
            b.local.port(),
            b.local.ip(),
            b.remote,
        ))
    });
    sockets
}

fn holders_text(s: &PortSocket) -> (String, String) {
    let pids: Vec<String> = s.holders.iter().map(|h| h.pid.to_string()).collect();
    let names: Vec<String> = s
        .holders
        .iter()
        .map(|h| h.name.clone().unwrap_or_else(|| "?".into()))
        .collect();
    let mut pid = pids.join(",");
    if pid.is_empty() {
        pid = "-".into();
    }
    let mut name = names.join(",");
    if name.is_empty() {
        // The system lists the socket but not whose it is.
        name = crate::ui::i18n::EN.ports_hidden(s.uid);
    }
    if s.is_ours() {
        name.push_str(" [NetPal]");
    }
    (pid, name)
}

/// The cells of one socket's row.
fn cells(s: &PortSocket, range: Option<EphemeralRange>) -> [String; 7] {
    let (pid, name) = holders_text(s);
    let eph = match range {
        Some(r) if r.contains(s.local.port()) => "eph",
        _ => "",
    };
    [
        s.proto.name().into(),
        s.local.to_string(),
        s.remote.map_or("-".to_string(), |r| r.to_string()),
        s.state.unwrap_or("-").into(),
        eph.into(),
        pid,
        name,
    ]
}

const HEADER: [&str; 7] = ["PROTO", "LOCAL", "REMOTE", "STATE", "EPH", "PID", "PROCESS"];

/// Rows as aligned text: each column as wide as its widest cell (the
/// header's included when `header`).
pub fn table(rows: &[PortSocket], range: Option<EphemeralRange>, header: bool) -> Vec<String> {
    let mut all: Vec<[String; 7]> = Vec::new();
    if header {
        all.push(HEADER.map(String::from));
    }
    all.extend(rows.iter().map(|s| cells(s, range)));
    let mut width = [0usize; 7];
    for r in &all {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    all.iter()
        .map(|r| {
            let mut line = String::new();
            for (i, (c, w)) in r.iter().zip(width).enumerate() {
                if i == 6 {
                    line.push_str(c);
                } else if i == 5 {
                    line.push_str(&format!("{c:>w$} "));
                } else {
                    line.push_str(&format!("{c:<w$} "));
                }
            }
            line
        })
        .collect()
}

/// One socket as a JSON object.
pub fn row_json(s: &PortSocket, range: Option<EphemeralRange>) -> serde_json::Value {
    json!({
        "proto": s.proto.name(),
        "local": s.local.to_string(),
        "remote": s.remote.map(|r| r.to_string()),
        "state": s.state,
        "pids": s.holders.iter().map(|h| h.pid).collect::<Vec<_>>(),
        "processes": s.holders.iter().map(|h| h.name.clone()).collect::<Vec<_>>(),
        "uid": s.uid,
        "ephemeral": range.map(|r| r.contains(s.local.port())),
        "netpal": s.is_ours(),
    })
}

fn range_text(range: Option<EphemeralRange>) -> String {
    match range {
        Some(r) if r.read => format!("# ephemeral ports: {}-{}", r.low, r.high),
        Some(r) => format!(
            "# ephemeral ports: {}-{} (the system's default; it does not report a changed range)",
            r.low, r.high
        ),
        None => "# ephemeral ports: not known on this system".into(),
    }
}

/// Prints the table once; returns the exit status (1 when the system's
/// tables could not be read at all).
pub fn print_once(opts: &Options, snap: PortSnapshot, out: &mut impl Write) -> i32 {
    let range = ephemeral_range();
    let rows: Vec<PortSocket> = sorted(snap.sockets)
        .into_iter()
        .filter(|s| s.matches(&opts.filter))
        .collect();
    let _ = if opts.json {
        rows.iter()
            .try_for_each(|s| writeln!(out, "{}", row_json(s, range)))
    } else {
        table(&rows, range, true)
            .iter()
            .try_for_each(|l| writeln!(out, "{l}"))
            .and_then(|_| writeln!(out, "{}", range_text(range)))
    };
    let _ = out.flush();
    match snap.error {
        Some(e) => {
            eprintln!("netpal: some sockets could not be listed: {e}");
            1
        }
        None => 0,
    }
}

/// Prints the sockets there at the start (`=`), then a line for each that
/// appears (`+`) or goes (`-`), a reading a second, until `interrupt`
/// (Ctrl+C) or the reader goes.
pub fn watch(
    opts: &Options,
    out: &mut impl Write,
    interrupt: Option<crossbeam_channel::Receiver<()>>,
) -> i32 {
    let range = ephemeral_range();
    let mut known: HashMap<_, PortSocket> = HashMap::new();
    let mut first = true;
    let mut reader = PortReader::default();
    let never = crossbeam_channel::never();
    let interrupt = interrupt.unwrap_or(never);
    loop {
        let snap = reader.read();
        if let Some(e) = &snap.error {
            eprintln!("netpal: some sockets could not be listed: {e}");
        }
        let now: HashMap<_, PortSocket> = snap
            .sockets
            .into_iter()
            .filter(|s| s.matches(&opts.filter))
            .map(|s| (s.key(), s))
            .collect();
        let time = chrono::Local::now().format("%H:%M:%S%.3f");
        let mut lines = Vec::new();
        let sign = if first { "=" } else { "+" };
        for s in sorted(
            now.values()
                .filter(|s| !known.contains_key(&s.key()))
                .cloned()
                .collect(),
        ) {
            lines.push((sign, s));
        }
        for s in sorted(
            known
                .values()
                .filter(|s| !now.contains_key(&s.key()))
                .cloned()
                .collect(),
        ) {
            lines.push(("-", s));
        }
        let rows: Vec<PortSocket> = lines.iter().map(|(_, s)| s.clone()).collect();
        let texts = table(&rows, range, false);
        for ((sign, s), text) in lines.iter().zip(texts) {
            let r = if opts.json {
                let mut v = row_json(s, range);
                v["change"] = json!(match *sign {
                    "+" => "appeared",
                    "-" => "gone",
                    _ => "present",
                });
                v["time"] = json!(time.to_string());
                writeln!(out, "{v}")
            } else {
                writeln!(out, "{time} {sign} {text}")
            };
            if r.is_err() {
                // The reader has gone (a closed pipe): nothing more to do.
                return 0;
            }
        }
        if first && !opts.json {
            // The first reading is in: what follows is change.
            let _ = writeln!(
                out,
                "# {time}: = there at the start, + appeared, - gone; Ctrl+C ends"
            );
        }
        let _ = out.flush();
        known = now;
        first = false;
        // A second between readings; Ctrl+C ends the wait and the watch.
        if interrupt.recv_timeout(REFRESH).is_ok() {
            return 0;
        }
    }
}
