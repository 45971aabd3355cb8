//! Export what a log holds: text as the log shows it, CSV, JSON Lines, or
//! pcapng with synthesized IP and TCP/UDP headers carrying the real
//! addresses and ports, so a session opens in Wireshark. The binary
//! formats run on a thread of their own over a copy of the records; text
//! takes its words from the UI through [`Words`], and nothing here touches
//! the UI.

use super::TimeMode;
use crate::codec;
use crate::log::{Body, LogStore, Record, View, clock, record_lines};
use crate::net::Protocol;
use encoding_rs::Encoding;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

/// How records are worded in text (a copy of the log, a text export): the
/// UI's words, in its language. The session lays the text out.
pub trait Words {
    /// A record's header line as the log shows it, with its time stamp.
    fn header(&self, rec: &Record, time: &str) -> String;
}

/// A record's time stamp in a time mode: the clock, or seconds since the
/// first record or since the one before.
pub fn stamp(
    mode: TimeMode,
    at: SystemTime,
    first: Option<SystemTime>,
    prev: Option<SystemTime>,
) -> String {
    let since = |t: Option<SystemTime>| {
        t.and_then(|t| at.duration_since(t).ok())
            .unwrap_or_default()
            .as_secs_f64()
    };
    match mode {
        TimeMode::Absolute => clock(at),
        TimeMode::Relative => format!("+{:>10.3}s", since(first)),
        TimeMode::Delta => format!("+{:>10.3}s", since(prev)),
    }
}

/// The time stamp of record `ri` of `log`.
pub fn stamp_of(log: &LogStore, mode: TimeMode, ri: usize) -> String {
    let Some(at) = log.at(ri) else {
        return String::new();
    };
    let first = log.at(0);
    let prev = ri.checked_sub(1).and_then(|p| log.at(p));
    stamp(mode, at, first, prev)
}

/// A record as text: its header line, then its payload's lines whole.
pub fn record_text(words: &dyn Words, rec: &Record, view: &View, time: &str) -> String {
    let mut out = words.header(rec, time);
    out.push('\n');
    if rec.payload().is_some() {
        // Copies keep whole lines, not the display's cut ones.
        let v = View {
            wrap_cols: Some(usize::MAX / 4),
            ..*view
        };
        for line in record_lines(rec, &v) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The whole log as the view shows it (its filter, its times), as text.
pub fn log_text(log: &LogStore, view: &View, mode: TimeMode, words: &dyn Words) -> String {
    let mut out = String::new();
    for (ri, rec) in log.iter().enumerate() {
        // What is copied is what is shown.
        if !view.filter.shows(&rec) {
            continue;
        }
        out.push_str(&record_text(words, &rec, view, &stamp_of(log, mode, ri)));
    }
    out
}

/// The formats a log exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ExportFormat {
    /// The log as shown (time, direction, peer, then the payload lines).
    #[default]
    Text,
    Csv,
    JsonLines,
    Pcapng,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Text,
        ExportFormat::Csv,
        ExportFormat::JsonLines,
        ExportFormat::Pcapng,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Text => "txt",
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
            ExportFormat::Pcapng => "pcapng",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Text => "Text",
            ExportFormat::Csv => "CSV",
            ExportFormat::JsonLines => "JSON Lines",
            ExportFormat::Pcapng => "pcapng (Wireshark)",
        }
    }
}

fn rfc3339(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Local> = t.into();
    dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// A data record's direction and bytes; a relay's target side is
/// `rx-target` (from the target, for the peer's link) or `tx-target`.
fn data(rec: &Record) -> Option<(&'static str, &[u8])> {
    match (&rec.body, rec.target) {
        (Body::Rx(b), false) => Some(("rx", b)),
        (Body::Tx(b), false) => Some(("tx", b)),
        (Body::Rx(b), true) => Some(("rx-target", b)),
        (Body::Tx(b), true) => Some(("tx-target", b)),
        (Body::Note(_), _) => None,
    }
}

/// A CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Data records as CSV: time, direction, peer, length, text, hex.
pub fn write_csv(
    records: &[Record],
    enc: &'static Encoding,
    w: &mut dyn Write,
) -> std::io::Result<usize> {
    writeln!(w, "time,direction,peer,length,text,hex")?;
    let mut n = 0;
    for rec in records {
        let Some((dir, bytes)) = data(rec) else {
            continue;
        };
        let peer = rec.peer.map(crate::net::peer_text).unwrap_or_default();
        writeln!(
            w,
            "{},{dir},{},{},{},{}",
            rfc3339(rec.at),
            csv_field(&peer),
            bytes.len(),
            csv_field(&codec::decode_for_display(bytes, enc)),
            codec::format_hex(bytes)
        )?;
        n += 1;
    }
    Ok(n)
}

/// Data records as JSON Lines, as `netpal --headless --json` prints them.
pub fn write_json_lines(
    records: &[Record],
    enc: &'static Encoding,
    w: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut n = 0;
    for rec in records {
        let Some((dir, bytes)) = data(rec) else {
            continue;
        };
        let v = serde_json::json!({
            "time": rfc3339(rec.at),
            "event": dir,
            "peer": rec.peer.map(crate::net::peer_text),
            "len": bytes.len(),
            "text": codec::decode_for_display(bytes, enc),
            "hex": codec::format_hex(bytes),
        });
        writeln!(w, "{v}")?;
        n += 1;
    }
    Ok(n)
}

/// The largest payload put in one synthesized packet (IPv4 caps a packet
/// at 65,535 bytes with its headers); longer records become several.
const SEGMENT: usize = 65_000;

/// Data records as pcapng: each wrapped in Ethernet, IPv4 or IPv6, and TCP
/// (with sequence numbers that follow the stream in each direction) or
/// UDP, between the peer and `local`. Returns the packets written. For a
/// relay, it is each client's conversation: what the client sent, and what
/// reached it (from the target, or added by the user); bytes the user
/// added toward the target are not part of it.
pub fn write_pcapng(
    records: &[Record],
    local: Option<SocketAddr>,
    protocol: Protocol,
    w: &mut dyn Write,
) -> Result<usize, String> {
    use pcap_file::DataLink;
    use pcap_file::pcapng::PcapNgWriter;
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::interface_description::{
        InterfaceDescriptionBlock, InterfaceDescriptionOption,
    };
    let mut out = PcapNgWriter::new(w).map_err(|e| e.to_string())?;
    out.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        // Timestamps in nanoseconds, as pcap-file writes them.
        options: vec![InterfaceDescriptionOption::IfTsResol(9)],
    })
    .map_err(|e| e.to_string())?;
    // The next sequence number of each direction of each connection.
    let mut seq: HashMap<(SocketAddr, bool), u32> = HashMap::new();
    let mut n = 0;
    for rec in records {
        let (Some((dir, bytes)), Some(peer)) = (data(rec), rec.peer) else {
            continue;
        };
        if dir == "tx-target" {
            continue;
        }
        let local = same_family(local, peer);
        let (src, dst) = if dir == "rx" {
            (peer, local)
        } else {
            (local, peer)
        };
        let ts = rec.at.duration_since(UNIX_EPOCH).unwrap_or_default();
        let pieces: Vec<&[u8]> = if bytes.is_empty() {
            vec![bytes]
        } else {
            bytes.chunks(SEGMENT).collect()
        };
        for piece in pieces {
            let packet = build(src, dst, protocol, piece, &mut seq, dir == "rx")?;
            out.write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: ts,
                original_len: packet.len() as u32,
                data: std::borrow::Cow::Borrowed(&packet),
                options: vec![],
            })
            .map_err(|e| e.to_string())?;
            n += 1;
        }
    }
    Ok(n)
}

/// `local`, in the peer's address family (a dual-stack socket bound to
/// `::` talks to IPv4 peers), or the unspecified address of that family.
fn same_family(local: Option<SocketAddr>, peer: SocketAddr) -> SocketAddr {
    let port = local.map_or(0, |l| l.port());
    match (local.map(|l| l.ip()), peer.ip()) {
        (Some(IpAddr::V4(a)), IpAddr::V4(_)) => SocketAddr::new(IpAddr::V4(a), port),
        (Some(IpAddr::V6(a)), IpAddr::V6(_)) => SocketAddr::new(IpAddr::V6(a), port),
        (_, IpAddr::V4(_)) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
        (_, IpAddr::V6(_)) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
    }
}

fn build(
    src: SocketAddr,
    dst: SocketAddr,
    protocol: Protocol,
    payload: &[u8],
    seq: &mut HashMap<(SocketAddr, bool), u32>,
    rx: bool,
) -> Result<Vec<u8>, String> {
    use etherparse::PacketBuilder;
    let (smac, dmac) = if rx {
        ([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1])
    } else {
        ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
    };
    let eth = PacketBuilder::ethernet2(smac, dmac);
    let ip = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => eth.ipv6(s.octets(), d.octets(), 64),
        _ => return Err("mixed address families".into()),
    };
    let peer = if rx { src } else { dst };
    let mut packet = Vec::with_capacity(payload.len() + 80);
    let result = if protocol == Protocol::Udp {
        ip.udp(src.port(), dst.port()).write(&mut packet, payload)
    } else {
        let mine = seq.entry((peer, rx)).or_insert(1);
        let s = *mine;
        *mine = mine.wrapping_add(payload.len() as u32);
        let theirs = seq.get(&(peer, !rx)).copied().unwrap_or(1);
        ip.tcp(src.port(), dst.port(), s, 65_535)
            .ack(theirs)
            .psh()
            .write(&mut packet, payload)
    };
    result.map_err(|e| e.to_string())?;
    Ok(packet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::text::TextShape;
    use crate::log::{LeadIn, Note};

    fn rec(body: Body, peer: &str) -> Record {
        Record {
            seq: 0,
            at: SystemTime::now(),
            peer: peer.parse().ok(),
            body,
            lead_in: LeadIn::default(),
            shape: TextShape::default(),
            target: false,
        }
    }

    #[test]
    fn csv_quotes_what_it_must_and_skips_notes() {
        let records = vec![
            rec(Body::Rx(b"a,\"b\"\n".to_vec().into()), "127.0.0.1:5"),
            rec(Body::Note(Note::Message("x".into())), "127.0.0.1:5"),
        ];
        let mut out = Vec::new();
        assert_eq!(
            write_csv(&records, encoding_rs::UTF_8, &mut out).ok(),
            Some(1)
        );
        let text = String::from_utf8(out).unwrap_or_default();
        assert!(
            text.contains(",rx,127.0.0.1:5,6,\"a,\"\"b\"\"\n\",61 2C 22 62 22 0A\n"),
            "{text}"
        );
    }
}
