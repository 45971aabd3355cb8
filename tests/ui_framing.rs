//! Framing (粘包/分包) chosen in the window, against real peers on 127.0.0.1.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use std::io::Write;
use std::net::UdpSocket;
use std::time::Duration;

/// How many RX record headers the log shows.
fn rx_records(h: &egui_kittest::Harness<'static, netpal::App>) -> usize {
    h.query_all_by_label_contains("RX ←").count()
}

#[test]
fn three_crlf_messages_in_one_send_are_three_records() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "CR LF (\\r\\n)");
    conn.write_all(b"first\r\nsecond\r\nthird\r\n").unwrap();
    wait_for_text(&mut h, "RX 22 bytes / 3 packets");
    assert_eq!(rx_records(&h), 3);
    // The CR stays visible, so CR LF is not mistaken for LF.
    wait_for_text(&mut h, "second\\r");
}

#[test]
fn thousands_of_lines_in_large_writes_are_each_a_record_in_order() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    // 20,000 lines of 11 bytes, written 64 KiB at a time: each read holds
    // thousands of frames and ends inside one.
    let stream: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i:05}\n").into_bytes())
        .collect();
    for piece in stream.chunks(64 * 1024) {
        conn.write_all(piece).unwrap();
    }
    wait_for_text(&mut h, "RX 220,000 bytes / 20,000 packets");
    // The newest is on screen, and the log holds every line as it came.
    wait_for_text(&mut h, "line 19999");
    let s = h.state().focused().unwrap();
    let lines: Vec<Vec<u8>> = s
        .log()
        .iter()
        .filter_map(|r| match &r.body {
            netpal::log::Body::Rx(p) => Some(p.to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 20_000);
    assert_eq!(lines.concat(), stream);
    // Find counts them one by one too.
    set_field(&mut h, "Find", "line 1");
    click(&mut h, "Next");
    wait_for_text(&mut h, "10,000 matches");
}

#[test]
fn the_newest_line_sits_at_the_bottom_of_the_log_even_as_old_ones_go() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    // About 3 MiB of log: more than the 1 MiB limit set below.
    let stream: Vec<u8> = (0..100_000)
        .flat_map(|i| format!("line {i:06}\n").into_bytes())
        .collect();
    conn.write_all(&stream).unwrap();
    wait_for_text(&mut h, "RX 1,200,000 bytes / 100,000 packets");
    wait_for_text(&mut h, "line 099999");
    // The newest line ends where the log's area ends (just above the send
    // box), with no empty band under it.
    let gap = |h: &egui_kittest::Harness<'static, netpal::App>| {
        let last = h.get_by_label_contains("line 099999").rect();
        let send = h.get_by_label("Send as hex").rect();
        send.top() - last.bottom()
    };
    let settled = gap(&h);
    assert!(
        (0.0..20.0).contains(&settled),
        "{settled} px under the newest line"
    );
    // The log drops most of its records at once (a lower limit): the very
    // next frame still shows the newest line in the same place, not the
    // empty space past the end of fewer rows.
    let before = h.state().focused().unwrap().log().len();
    h.state_mut().focused_mut().unwrap().settings.log_cap_mib = 1;
    h.step();
    let after = h.state().focused().unwrap().log().len();
    assert!(after < before / 2, "{before} records, then {after}");
    let next = gap(&h);
    assert!(
        (settled - next).abs() < 1.0,
        "{next} px under it, was {settled}"
    );
}

/// With Auto-scroll off and the log at its cap, the rows the user reads
/// stay put as old records go; Find's count follows records arriving and
/// records dropped.
#[test]
fn a_paused_log_at_its_cap_stays_put_and_find_counts_what_is_kept() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    reveal(&mut h, "Log limit (MiB)");
    h.get_by_role_and_label(Role::SpinButton, "Log limit (MiB)")
        .set_value_accesskit(1.0);
    h.step();
    // Every tenth record carries a mark for Find.
    let batch = |from: u32, n: u32| -> Vec<u8> {
        (from..from + n)
            .flat_map(|i| {
                let mark = if i % 10 == 0 { " MARK" } else { "" };
                format!("rec {i:06}{mark} {}\n", "x".repeat(100)).into_bytes()
            })
            .collect()
    };
    let kept_marks = |h: &egui_kittest::Harness<'static, netpal::App>| {
        let log = h.state().focused().unwrap().log();
        (0..log.len())
            .filter(|i| {
                log.payload(*i)
                    .is_some_and(|p| p.windows(4).any(|w| w == b"MARK"))
            })
            .count()
    };
    let with_commas = |n: usize| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    // About 2.3 MB: more than the 1 MiB limit.
    let first = batch(0, 20_000);
    conn.write_all(&first).unwrap();
    wait_for_text(
        &mut h,
        &format!("RX {} bytes / 20,000 packets", with_commas(first.len())),
    );
    let dropped = h.state().focused().unwrap().log().dropped_records();
    assert!(dropped > 0, "the log is not at its cap");
    set_field(&mut h, "Find", "MARK");
    let n = kept_marks(&h);
    wait_for_text(&mut h, &format!("{} matches", with_commas(n)));

    // Paused: note the record at the top of the view.
    click_checkbox(&mut h, "Auto-scroll");
    // The first record whose payload line is wholly in view, under the
    // Find row (rows scrolled partly out above it are drawn too).
    let top = |h: &egui_kittest::Harness<'static, netpal::App>| {
        let edge = h
            .get_by_role_and_label(Role::Button, "Next")
            .rect()
            .bottom();
        h.query_all_by_label_contains("rec ")
            // (A pixel of slack: the offset is a float far from zero.)
            .filter(|n| n.rect().top() >= edge - 1.0)
            .filter_map(|n| {
                let node = n.accesskit_node();
                let l = node.label().or_else(|| node.value())?;
                let r = l.split_once("rec ")?.1.get(..6)?.to_string();
                Some((r, n.rect().top() as i32))
            })
            .min()
            .expect("log rows on screen")
    };
    // The view comes to rest (a last bit of scrolling may still ease in).
    let mut still = 0;
    for _ in 0..300 {
        let was = top(&h);
        h.step();
        still = if top(&h) == was { still + 1 } else { 0 };
        if still >= 10 {
            break;
        }
    }
    assert!(still >= 10, "the paused log never came to rest");
    let before = top(&h);
    let second = batch(20_000, 5_000);
    conn.write_all(&second).unwrap();
    wait_for_text(
        &mut h,
        &format!(
            "RX {} bytes / 25,000 packets",
            with_commas(first.len() + second.len())
        ),
    );
    settle(&mut h);
    assert!(
        h.state().focused().unwrap().log().dropped_records() > dropped,
        "no records went while paused"
    );
    assert_eq!(top(&h).0, before.0, "the paused view moved");
    // The count is of the marks kept now.
    let n = kept_marks(&h);
    wait_for_text(&mut h, &format!("{} matches", with_commas(n)));
}

#[test]
fn a_length_prefixed_stream_split_across_reads_shows_whole_frames() {
    let (mut h, mut conn, _) = connected_client();
    conn.set_nodelay(true).unwrap();
    choose(&mut h, "Framing (粘包/分包)", "Length prefix");
    // Two frames with a 2-byte big-endian length, written in pieces that
    // cut both the header and the body.
    let stream = b"\x00\x05hello\x00\x07goodbye";
    for piece in [&stream[..1], &stream[1..4], &stream[4..10], &stream[10..]] {
        conn.write_all(piece).unwrap();
        for _ in 0..5 {
            h.step();
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    wait_for_text(&mut h, "RX 16 bytes / 2 packets");
    assert_eq!(rx_records(&h), 2);
    choose(&mut h, "Show as", "Hex");
    wait_for_text(&mut h, "00 05 68 65 6C 6C 6F");
    wait_for_text(&mut h, "00 07 67 6F 6F 64 62 79 65");
}

#[test]
fn idle_framing_cuts_a_record_where_the_peer_pauses() {
    let (mut h, mut conn, _) = connected_client();
    conn.set_nodelay(true).unwrap();
    choose(&mut h, "Framing (粘包/分包)", "Idle gap");
    set_field(&mut h, "Gap (ms)", "500");
    // Two writes within the gap are one record, shown once the peer has
    // been quiet for the gap (the connection stays open).
    conn.write_all(b"first half,").unwrap();
    conn.write_all(b" second half").unwrap();
    wait_for_text(&mut h, "first half, second half");
    wait_for_text(&mut h, "RX 23 bytes / 1 packets");
    // After the pause, the next write is a record of its own.
    conn.write_all(b"next").unwrap();
    wait_for_text(&mut h, "RX 27 bytes / 2 packets");
    assert_eq!(rx_records(&h), 2);
}

#[test]
fn what_is_left_at_close_is_shown_as_a_partial_frame() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    conn.write_all(b"whole\nhalf").unwrap();
    wait_for_text(&mut h, "RX 6 bytes / 1 packets");
    drop(conn);
    wait_for_text(&mut h, "Partial frame from");
    wait_for_text(&mut h, "4 bytes, not a whole frame");
    wait_for_text(&mut h, "RX 10 bytes / 2 packets");
}

#[test]
fn an_oversize_header_is_reported_and_the_stream_resynchronised() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Length prefix");
    set_field(&mut h, "Largest frame (bytes)", "100");
    h.key_press(egui::Key::Enter);
    h.step();
    // A header claiming 65,535 bytes, then a good frame.
    conn.write_all(b"\xFF\xFF\x00\x02ok").unwrap();
    wait_for_text(
        &mut h,
        "a frame header claims 65535 bytes, more than the maximum 100",
    );
    wait_for_text(&mut h, "RX 4 bytes / 1 packets");
}

#[test]
fn a_frame_length_applies_when_typed_not_at_each_keystroke() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Fixed length");
    // A frame of the default 16 bytes, and 15 that wait for a 16th (one
    // write: one read on loopback).
    conn.write_all(b"sixteen bytes...fifteen bytes..").unwrap();
    wait_for_text(&mut h, "RX 16 bytes / 1 packets");
    // The user types 10: "1" first. Nothing changes while typing, so the
    // waiting bytes are not cut or handed on at "1".
    set_field(&mut h, "Frame length (bytes)", "1");
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Frame length (bytes)")
        .type_text("0");
    h.run_steps(10);
    assert!(
        !shown_labels(&h)
            .iter()
            .any(|l| l.contains("not a whole frame"))
    );
    // Enter applies 10: what waited is handed on as a partial frame, and
    // the next bytes come in tens.
    h.key_press(egui::Key::Enter);
    wait_for_text(&mut h, "15 bytes, not a whole frame");
    conn.write_all(b"0123456789abcdefghij").unwrap();
    wait_for_text(&mut h, "RX 51 bytes / 4 packets");
    assert_eq!(rx_records(&h), 4);
}

#[test]
fn a_bad_delimiter_is_explained_by_the_form() {
    let mut h = harness();
    choose(&mut h, "Framing (粘包/分包)", "Delimiter (hex)");
    set_field(&mut h, "Delimiter (hex)", "0D 0G");
    wait_for_text(
        &mut h,
        "Delimiter (hex): 'G' at position 5 is not a hex digit",
    );
}

#[test]
fn udp_datagrams_are_framed_one_by_one() {
    let mut h = harness();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    let port = open_udp(&mut h);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"a\nbb\nccc", ("127.0.0.1", port)).unwrap();
    // Two lines and what the datagram left unfinished.
    wait_for_text(&mut h, "RX 8 bytes / 3 packets");
    wait_for_text(&mut h, "3 bytes, not a whole frame");
}

#[test]
fn count_only_counts_without_showing() {
    let (mut h, mut conn, _) = connected_client();
    click_checkbox(&mut h, "Count only");
    conn.write_all(b"speed test data").unwrap();
    wait_for_text(&mut h, "RX 15 bytes / 1 packets");
    wait_for_text(&mut h, "received data is counted, not shown");
    assert_eq!(rx_records(&h), 0);
    // Switched off, records show again.
    click_checkbox(&mut h, "Count only");
    conn.write_all(b"shown").unwrap();
    wait_for_text(&mut h, "RX 20 bytes / 2 packets");
    assert_eq!(rx_records(&h), 1);
}

#[test]
fn auto_encoding_shows_utf8_and_gbk_records_both_readable() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Encoding", "Auto (UTF-8 / GBK)");
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    let mut data = "网络调试\n".as_bytes().to_vec();
    data.extend_from_slice(&[0xC4, 0xE3, 0xBA, 0xC3, b'\n']); // 你好 in GBK
    conn.write_all(&data).unwrap();
    wait_for_text(&mut h, "网络调试");
    wait_for_text(&mut h, "你好");
}

#[test]
fn a_capture_of_a_multi_mib_stream_is_byte_exact() {
    let (mut h, mut conn, _) = connected_client();
    let path = temp_path("stream.bin");
    open_section(&mut h, "Capture to file");
    set_field(&mut h, "File", path.to_str().unwrap());
    click(&mut h, "Start capture");
    wait_for_text(&mut h, "Capturing");
    // Random bytes read as text could need any glyph: show hex.
    choose(&mut h, "Show as", "Hex");
    let mut x: u32 = 12345;
    let data: Vec<u8> = (0..3 * 1024 * 1024 + 17)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    conn.write_all(&data).unwrap();
    wait_for_text(&mut h, "RX 3,145,745 bytes");
    click(&mut h, "Stop capture");
    wait_for_text(&mut h, "ended: 3,145,745 bytes written");
    let got = std::fs::read(&path).unwrap();
    assert!(got == data, "the capture differs from the stream");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// A server that speaks first (a banner, a "welcome") has its first byte
/// in a capture armed before Open.
#[test]
fn a_capture_armed_before_open_holds_a_greeting_server_s_first_byte() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let greeter = std::thread::spawn(move || {
        let (mut c, _) = server.accept().unwrap();
        c.write_all(b"welcome\n").unwrap();
        // Held open until the client goes.
        let mut sink = [0u8; 16];
        let _ = std::io::Read::read(&mut c, &mut sink);
    });
    let mut h = harness();
    let path = temp_path("greeting.bin");
    open_section(&mut h, "Capture to file");
    set_field(&mut h, "File", path.to_str().unwrap());
    click(&mut h, "Capture from Open");
    wait_for_text(&mut h, "Armed: the capture starts with the session");
    open_client(&mut h, port);
    wait_for_text(&mut h, "welcome");
    wait_for_text(&mut h, "Capturing");
    click(&mut h, "Stop capture");
    wait_for_text(&mut h, "ended: 8 bytes written");
    assert_eq!(std::fs::read(&path).unwrap(), b"welcome\n");
    click(&mut h, "Close");
    greeter.join().unwrap();
    // One Open, one capture: the next Open does not capture again.
    wait_for_text(&mut h, "Capture from Open");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_capture_that_cannot_write_stops_and_the_session_goes_on() {
    if !std::path::Path::new("/dev/full").exists() {
        println!("skipped: no /dev/full on this system");
        return;
    }
    let (mut h, mut conn, _) = connected_client();
    open_section(&mut h, "Capture to file");
    set_field(&mut h, "File", "/dev/full");
    click(&mut h, "Start capture");
    conn.write_all(&vec![b'z'; 3 << 20]).unwrap();
    // Said by the capture's controls, which offer to start again.
    wait_for_text(
        &mut h,
        "writing the file /dev/full (No space left on device",
    );
    wait_for_text(&mut h, "Start capture");
    // The session still receives.
    conn.write_all(b"still here").unwrap();
    wait_for_text(&mut h, "still here");
}

#[test]
fn an_auto_reply_regex_rule_answers_ping_42_with_pong_42() {
    let (mut h, mut conn, _) = connected_client();
    open_section(&mut h, "Auto-reply");
    click(&mut h, "Add rule");
    h.step();
    choose(&mut h, "Match", "Regex");
    set_field(&mut h, "Pattern", r"^PING (\d+)");
    set_field(&mut h, "Reply", "PONG $1");
    click(&mut h, "Done");
    h.step();
    conn.write_all(b"PING 42").unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 7), b"PONG 42");
    wait_for_text(&mut h, "1 answered");
    // Switched off, it stays quiet.
    h.get_by_label(r"Rule on ^PING (\d+) → PONG $1").click();
    h.step();
    h.step();
    conn.write_all(b"PING 43").unwrap();
    wait_for_text(&mut h, "PING 43");
    conn.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        std::io::Read::read(&mut conn, &mut buf).is_err(),
        "answered while off"
    );
}

#[test]
fn a_bad_regex_is_explained_in_the_rule_editor() {
    let mut h = harness();
    open_section(&mut h, "Auto-reply");
    click(&mut h, "Add rule");
    h.step();
    choose(&mut h, "Match", "Regex");
    set_field(&mut h, "Pattern", "(unclosed");
    wait_for_text(&mut h, "Regex: regex parse error");
}

#[test]
fn times_show_as_clock_since_the_first_or_since_the_one_before() {
    let (mut h, mut conn, _) = connected_client();
    conn.write_all(b"first").unwrap();
    wait_for_text(&mut h, "first");
    choose(&mut h, "Time", "Since the record before");
    // The connect notes and the record came within a second of each other.
    wait_for_text(&mut h, "[+     0.");
    wait_for_text(&mut h, "s] RX ←");
    choose(&mut h, "Time", "Since the first record");
    wait_for_text(&mut h, "[+     0.000s] Connecting to");
    choose(&mut h, "Time", "Clock (ms)");
    wait_for(&mut h, "clock times again", |h| {
        h.query_all_by_label_contains("s] RX ←").next().is_none()
    });
}

#[test]
fn a_record_opens_as_a_hexdump() {
    let (mut h, mut conn, _) = connected_client();
    conn.write_all(b"Hello\r\n\x00ABCDEFGH-and-more").unwrap();
    wait_for_text(&mut h, "RX ←");
    h.get_all_by_label_contains("RX ←")
        .next()
        .unwrap()
        .click_secondary();
    h.step();
    h.step();
    click(&mut h, "Hexdump");
    h.step();
    wait_for_text(
        &mut h,
        "00000000  48 65 6C 6C 6F 0D 0A 00  41 42 43 44 45 46 47 48  |Hello...ABCDEFGH|",
    );
    wait_for_text(&mut h, "00000010  2D 61 6E 64 2D 6D 6F 72  65");
}

#[test]
fn a_pcapng_export_opens_with_the_real_addresses() {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    use pcap_file::pcapng::{Block, PcapNgReader};
    let (mut h, mut conn, client) = connected_client();
    let server = conn.local_addr().unwrap();
    set_field(&mut h, "Data to send", "hello");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 5), b"hello");
    conn.write_all(b"world!").unwrap();
    wait_for_text(&mut h, "world!");

    let path = temp_path("log.pcapng");
    open_section(&mut h, "Export log");
    choose(&mut h, "Format", "pcapng (Wireshark)");
    set_field(&mut h, "To file", path.to_str().unwrap());
    click(&mut h, "Export");
    // Says what it wrote: one record per packet.
    wait_for_text(&mut h, "(2 records)");

    let file = std::fs::File::open(&path).unwrap();
    let mut reader = PcapNgReader::new(file).unwrap();
    let mut packets = Vec::new();
    while let Some(block) = reader.next_block() {
        if let Block::EnhancedPacket(p) = block.unwrap() {
            packets.push(p.data.into_owned());
        }
    }
    assert_eq!(packets.len(), 2, "one TX and one RX packet");
    let parsed: Vec<(std::net::SocketAddr, std::net::SocketAddr, Vec<u8>)> = packets
        .iter()
        .map(|p| {
            let s = SlicedPacket::from_ethernet(p).unwrap();
            let Some(NetSlice::Ipv4(ip)) = s.net else {
                panic!("not IPv4")
            };
            let Some(TransportSlice::Tcp(tcp)) = s.transport else {
                panic!("not TCP")
            };
            let src =
                std::net::SocketAddr::new(ip.header().source_addr().into(), tcp.source_port());
            let dst = std::net::SocketAddr::new(
                ip.header().destination_addr().into(),
                tcp.destination_port(),
            );
            (src, dst, tcp.payload().to_vec())
        })
        .collect();
    // The app is the client: its TX goes from its port to the server's.
    assert_eq!(parsed[0], (client, server, b"hello".to_vec()));
    assert_eq!(parsed[1], (server, client, b"world!".to_vec()));
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn csv_and_json_lines_exports_hold_each_record() {
    let (mut h, mut conn, _) = connected_client();
    conn.write_all(b"a,b").unwrap();
    wait_for_text(&mut h, "a,b");
    open_section(&mut h, "Export log");
    for (format, name, want) in [
        ("CSV", "log.csv", ",rx,"),
        ("JSON Lines", "log.jsonl", "\"event\":\"rx\""),
    ] {
        let path = temp_path(name);
        choose(&mut h, "Format", format);
        set_field(&mut h, "To file", path.to_str().unwrap());
        click(&mut h, "Export");
        wait_for_text(&mut h, &format!("Exported to {}", path.display()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(want), "{format}: {text}");
        assert!(
            text.contains("a,b") || text.contains("\"a,b\""),
            "{format}: {text}"
        );
        // Each record says when it came, as an RFC 3339 time of today.
        let row = text.lines().find(|l| l.contains(want)).unwrap();
        let time = if format == "CSV" {
            row.split(',').next().unwrap_or_default().to_string()
        } else {
            let v: serde_json::Value = serde_json::from_str(row).unwrap();
            v["time"].as_str().unwrap_or_default().to_string()
        };
        let at = chrono::DateTime::parse_from_rfc3339(&time)
            .unwrap_or_else(|e| panic!("{format}: time {time:?}: {e}"));
        let age = chrono::Utc::now().signed_duration_since(at);
        assert!(age.num_seconds().abs() < 600, "{format}: {time}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}

#[test]
fn the_rate_chart_shows_what_arrived_per_second() {
    let (mut h, mut conn, _) = connected_client();
    click_checkbox(&mut h, "Rate chart");
    wait_for_text(&mut h, "packets/s");
    conn.write_all(&[b'r'; 5000]).unwrap();
    wait_for_text(&mut h, "RX 5,000 bytes");
    // Within a second or two, a sample holds the 5,000 bytes.
    wait_for(&mut h, "a rate sample with the data", |h| {
        h.state()
            .focused()
            .is_some_and(|s| s.rates().samples().iter().any(|r| r.rx_bytes > 0.0))
    });
    let total: f64 = h
        .state()
        .focused()
        .map(|s| s.rates().samples().iter().map(|r| r.rx_bytes).sum())
        .unwrap_or(0.0);
    assert!(total > 2000.0 && total <= 5000.0, "{total}");
}

#[test]
fn the_filter_hides_the_other_peers_records_and_events() {
    use std::net::TcpStream;
    let mut h = harness();
    let port = open_server(&mut h);
    let mut a = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut b = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    wait_for_text(&mut h, "Clients (2)");
    a.write_all(b"from a").unwrap();
    b.write_all(b"from b").unwrap();
    wait_for_text(&mut h, "from a");
    wait_for_text(&mut h, "from b");
    choose(&mut h, "Peer", &a_addr.to_string());
    wait_for(&mut h, "b's records hidden", |h| {
        h.query_all_by_label_contains("from b").next().is_none()
    });
    wait_for_text(&mut h, "from a");
    assert!(
        h.query_all_by_label_contains(&format!("RX ← {b_addr}"))
            .next()
            .is_none()
    );
    // Events hidden too: a's connect note goes, its data stays.
    click_checkbox(&mut h, "Events");
    wait_for(&mut h, "connect notes hidden", |h| {
        h.query_all_by_label_contains("Client connected")
            .next()
            .is_none()
    });
    wait_for_text(&mut h, "from a");
    // All peers again.
    choose(&mut h, "Peer", "All peers");
    wait_for_text(&mut h, "from b");
}

#[test]
fn find_previous_first_starts_from_the_newest_record() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    conn.write_all(b"alpha\nbeta\ngamma beta\nlast\n").unwrap();
    wait_for_text(&mut h, "RX 27 bytes / 4 packets");
    set_field(&mut h, "Find", "beta");
    click(&mut h, "Previous");
    wait_for(&mut h, "the newest match", |h| {
        h.state().focused().is_some_and(|s| {
            let log = s.log();
            s.find
                .current
                .and_then(|seq| log.payload((seq - log.first_seq()) as usize))
                == Some(&b"gamma beta\n"[..])
        })
    });
}

#[test]
fn find_counts_matches_and_jumps_between_them() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    conn.write_all(b"alpha\nbeta\ngamma beta\n\x01\x02\x03\n")
        .unwrap();
    wait_for_text(&mut h, "RX 26 bytes / 4 packets");
    let payload_of_current = |h: &egui_kittest::Harness<'static, netpal::App>| {
        let s = h.state().focused().unwrap();
        let seq = s.find.current?;
        let log = s.log();
        let i = (seq - log.first_seq()) as usize;
        log.payload(i).map(|p| p.to_vec())
    };
    set_field(&mut h, "Find", "beta");
    click(&mut h, "Next");
    wait_for_text(&mut h, "2 matches");
    assert_eq!(payload_of_current(&h).as_deref(), Some(&b"beta\n"[..]));
    click(&mut h, "Next");
    h.step();
    assert_eq!(
        payload_of_current(&h).as_deref(),
        Some(&b"gamma beta\n"[..])
    );
    click(&mut h, "Previous");
    h.step();
    assert_eq!(payload_of_current(&h).as_deref(), Some(&b"beta\n"[..]));
    // Past the first match, Previous goes on from the last, as in an editor.
    click(&mut h, "Previous");
    h.step();
    assert_eq!(
        payload_of_current(&h).as_deref(),
        Some(&b"gamma beta\n"[..])
    );
    // And a new query finds its match wherever it is from here.
    set_field(&mut h, "Find", "alp");
    click(&mut h, "Next");
    wait_for(&mut h, "the match before the current one", |h| {
        payload_of_current(h).as_deref() == Some(&b"alpha\n"[..])
    });
    // Hex bytes.
    choose(&mut h, "Text, hex bytes, or a regular expression", "Hex");
    set_field(&mut h, "Find", "02 03");
    click(&mut h, "Next");
    wait_for_text(&mut h, "1 match");
    assert_eq!(
        payload_of_current(&h).as_deref(),
        Some(&b"\x01\x02\x03\n"[..])
    );
    // A regular expression, and a broken one explained.
    choose(&mut h, "Text, hex bytes, or a regular expression", "Regex");
    set_field(&mut h, "Find", "^a.p");
    click(&mut h, "Previous");
    wait_for_text(&mut h, "1 match");
    assert_eq!(payload_of_current(&h).as_deref(), Some(&b"alpha\n"[..]));
    set_field(&mut h, "Find", "(");
    click(&mut h, "Next");
    wait_for_text(&mut h, "regex parse error");
}

#[test]
fn gbk_text_cut_mid_character_across_reads_reads_right() {
    let (mut h, mut conn, _) = connected_client();
    conn.set_nodelay(true).unwrap();
    choose(&mut h, "Encoding", "GBK");
    // 你好，世界 in GBK, cut inside 好: the app shows the first read before
    // the second is written, so they are two reads.
    let text = [0xC4, 0xE3, 0xBA, 0xC3, 0xA3, 0xAC, 0xCA, 0xC0, 0xBD, 0xE7];
    let mut first = b"say ".to_vec();
    first.extend_from_slice(&text[..3]);
    conn.write_all(&first).unwrap();
    wait_for_text(&mut h, "RX 7 bytes / 1 packets");
    conn.write_all(&text[3..]).unwrap();
    wait_for_text(&mut h, "RX 14 bytes / 2 packets");
    // The second record starts with the whole 好.
    wait_for_text(&mut h, "好，世界");
}

/// Every character below must come from the bundled font (the test
/// harness has no system fonts and fails on a missing glyph): traditional
/// Chinese, GBK-only characters, kana and hangul, each in an encoding of
/// its own.
#[test]
fn cjk_text_in_every_offered_encoding_renders_from_the_bundled_font() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    let cases: [(&'static encoding_rs::Encoding, &str); 6] = [
        (encoding_rs::UTF_8, "網絡調試 喆堃镕 かなカナ 한국어 〇㐀"),
        (encoding_rs::BIG5, "網絡調試助手"),
        (encoding_rs::GBK, "喆堃镕 网络调试"),
        (encoding_rs::SHIFT_JIS, "ネットワーク試験"),
        (encoding_rs::EUC_KR, "네트워크 디버깅"),
        (encoding_rs::GB18030, "㐀龘 𠮷"),
    ];
    for (enc, text) in cases {
        // Named in the list as encoding_rs names it.
        let name = enc.name();
        // The last case's bytes read in this encoding would be mojibake
        // (private-use characters no font has): start from an empty log.
        click(&mut h, "Clear log");
        choose(&mut h, "Encoding", name);
        let (bytes, _, unmappable) = enc.encode(text);
        assert!(!unmappable, "{text} fits {name}");
        let mut line = bytes.into_owned();
        line.push(b'\n');
        conn.write_all(&line).unwrap();
        wait_for_text(&mut h, text);
    }
}

/// Find from the keyboard, as in a Windows editor or browser: Ctrl+F puts
/// the cursor in the Find box, F3 goes to the next match, Shift+F3 back.
#[test]
fn ctrl_f_then_f3_and_shift_f3_find_from_the_keyboard() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Framing (粘包/分包)", "Line (\\n)");
    conn.write_all(b"alpha\nbeta\ngamma beta\n").unwrap();
    wait_for_text(&mut h, "RX 22 bytes / 3 packets");
    let current = |h: &egui_kittest::Harness<'static, netpal::App>| {
        let s = h.state().focused().unwrap();
        let seq = s.find.current?;
        let log = s.log();
        log.payload((seq - log.first_seq()) as usize)
            .map(|p| p.to_vec())
    };
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::F]);
    h.step();
    h.step();
    // Typed without a click: the cursor is in the Find box.
    h.event(egui::Event::Text("beta".into()));
    h.step();
    assert_eq!(h.state().focused().unwrap().find.query, "beta");
    h.key_press(egui::Key::F3);
    h.step();
    wait_for_text(&mut h, "2 matches");
    assert_eq!(current(&h).as_deref(), Some(&b"beta\n"[..]));
    h.key_press(egui::Key::F3);
    wait_for(&mut h, "the second match", |h| {
        current(h).as_deref() == Some(&b"gamma beta\n"[..])
    });
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::F3);
    wait_for(&mut h, "the first match again", |h| {
        current(h).as_deref() == Some(&b"beta\n"[..])
    });
}
