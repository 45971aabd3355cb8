//! The sending toolkit, driven by clicking, against real peers on 127.0.0.1:
//! escapes, line endings, checksums, periodic sends, quick commands and
//! sequences, history, resend, file send with Cancel, the generator.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use netpal::App;
use std::io::Read;
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn escapes_and_crlf_arrive_as_the_exact_bytes() {
    let (mut h, mut conn, _) = connected_client();
    h.get_by_label("Escapes").click();
    h.step();
    choose(&mut h, "Append", "\\r\\n");
    set_field(&mut h, "Data to send", "A\\tB\\x00\\\\\\x7F");
    // The preview shows what will go out before Send.
    wait_for_text(&mut h, "(8 bytes)  41 09 42 00 5C 7F 0D 0A");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 8), b"A\tB\0\\\x7F\r\n");

    // A malformed escape is shown where the user types, and sends nothing.
    set_field(&mut h, "Data to send", "bad \\q");
    wait_for_text(
        &mut h,
        "Invalid escape: '\\q' at position 5 is not an escape",
    );
    assert!(send_disabled(&h));
}

/// An empty send box is nothing to send, whatever its checksum: CRC-16 of
/// nothing would put FF FF on the wire.
#[test]
fn an_empty_box_with_a_checksum_sends_nothing() {
    let (mut h, mut conn, _) = connected_client();
    h.get_by_label("Send as hex").click();
    h.step();
    choose(&mut h, "Checksum", "CRC-16/MODBUS");
    set_field(&mut h, "Data to send", "");
    wait_for_text(&mut h, "(0 bytes)");
    click(&mut h, "Send");
    wait_for_text(&mut h, "Nothing to send");
    // What the peer reads first is the next real send, not FF FF.
    set_field(&mut h, "Data to send", "01");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 3), [0x01, 0x7E, 0x80]);
}

#[test]
fn crc16_modbus_is_appended_low_byte_first() {
    let (mut h, mut conn, _) = connected_client();
    h.get_by_label("Send as hex").click();
    h.step();
    choose(&mut h, "Checksum", "CRC-16/MODBUS");
    set_field(&mut h, "Data to send", "01 03 00 00 00 0A");
    wait_for_text(&mut h, "(8 bytes)  01 03 00 00 00 0A C5 CD");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(
        read_n(&mut h, &mut conn, 8),
        [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]
    );
}

#[test]
fn ten_periodic_sends_arrive_and_are_counted() {
    let (mut h, mut conn, _) = connected_client();
    set_field(&mut h, "Data to send", "tick;");
    open_section(&mut h, "Periodic send");
    set_field(&mut h, "Interval (ms)", "20");
    set_field(&mut h, "Count", "10");
    click(&mut h, "Start");
    let got = read_until(&mut h, &mut conn, |b| b.len() >= 50);
    assert_eq!(got, b"tick;".repeat(10));
    wait_for_text(&mut h, "Done: 10 sends");
    // Every send is a TX record and counted.
    wait_for_text(&mut h, "TX 50 bytes / 10 packets");
    // No eleventh send follows.
    conn.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 16];
    match conn.read(&mut buf) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("expected nothing after the count, got {other:?}"),
    }
}

#[test]
fn periodic_send_stops_on_stop() {
    let (mut h, mut conn, _) = connected_client();
    set_field(&mut h, "Data to send", "x");
    open_section(&mut h, "Periodic send");
    set_field(&mut h, "Interval (ms)", "5");
    click(&mut h, "Start");
    read_until(&mut h, &mut conn, |b| b.len() >= 3);
    click(&mut h, "Stop");
    wait_for_text(&mut h, "Stopped:");
    // Drain what was on its way, then nothing more comes.
    conn.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while let Ok(n) = conn.read(&mut buf) {
        assert!(n > 0, "the connection closed");
    }
}

#[test]
fn quick_commands_send_alone_and_in_order() {
    let (mut h, mut conn, _) = connected_client();
    open_section(&mut h, "Quick commands");
    // Two text commands, named in the editor...
    for (name, text) in [("one", "first;"), ("two", "second;")] {
        set_field(&mut h, "Data to send", text);
        click(&mut h, "Add");
        h.step();
        set_field(&mut h, "Name", name);
        click(&mut h, "Done");
        h.step();
    }
    // ...and a hex frame that keeps its own checksum, whatever the send
    // box does afterwards.
    h.get_by_label("Send as hex").click();
    h.step();
    choose(&mut h, "Checksum", "CRC-16/MODBUS");
    set_field(&mut h, "Data to send", "01 03 00 00 00 0A");
    click(&mut h, "Add");
    h.step();
    set_field(&mut h, "Name", "frame");
    click(&mut h, "Done");
    h.step();
    h.get_by_label("Send as hex").click();
    h.step();
    choose(&mut h, "Checksum", "—");

    // One click sends one command.
    click(&mut h, "two");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 7), b"second;");

    // Move "two" above "one", then run them all in order.
    click(&mut h, "Move up two");
    click(&mut h, "Run in order");
    let want: Vec<u8> = [
        &b"second;"[..],
        b"first;",
        b"\x01\x03\x00\x00\x00\x0A\xC5\xCD",
    ]
    .concat();
    let got = read_until(&mut h, &mut conn, |b| b.len() >= want.len());
    assert_eq!(got, want);
    wait_for_text(&mut h, "Done: 3 sends");
}

#[test]
fn history_recalls_earlier_sends_and_a_tx_record_can_be_sent_again() {
    let (mut h, mut conn, _) = connected_client();
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    for text in ["alpha", "beta"] {
        set_field(&mut h, "Data to send", text);
        click(&mut h, "Send");
        assert_eq!(read_n(&mut h, &mut conn, text.len()), text.as_bytes());
    }
    // Empty the box, then Up twice brings back the send before last.
    set_field(&mut h, "Data to send", "");
    h.key_press(egui::Key::ArrowUp);
    h.step();
    h.key_press(egui::Key::ArrowUp);
    h.step();
    h.step();
    let value = h
        .get_by_role_and_label(Role::MultilineTextInput, "Data to send")
        .accesskit_node()
        .value();
    assert_eq!(value.as_deref(), Some("alpha"));

    // Right-click the first TX record and send it again.
    wait_for_text(&mut h, "TX →");
    h.get_all_by_label_contains("TX →")
        .next()
        .unwrap()
        .click_secondary();
    h.step();
    h.step();
    click(&mut h, "Send again");
    assert_eq!(read_n(&mut h, &mut conn, 5), b"alpha");
}

/// A file dropped on the window, as egui-winit reports it.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'static, App>, path: &std::path::Path) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    // The file section opens with an animation; let it settle before
    // anything in it is clicked.
    for _ in 0..20 {
        h.step();
    }
}

#[test]
fn a_dropped_file_of_several_mib_arrives_byte_exact() {
    let (mut h, mut conn, _) = connected_client();
    let (path, data) = temp_file("several.bin", 5 * 1024 * 1024 + 123);
    drop_file(&mut h, &path);
    // The drop fills the file field and opens its section.
    let field = h
        .get_by_role_and_label(Role::TextInput, "File")
        .accesskit_node()
        .value();
    assert_eq!(field.as_deref(), Some(path.to_string_lossy().as_ref()));
    click(&mut h, "Send file");
    let got = read_until(&mut h, &mut conn, |b| b.len() >= data.len());
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the file arrived changed");
    wait_for_text(&mut h, "Done:");
    // One send, one figure: the log's line and the panel's say the same
    // size, time and rate.
    wait_for(&mut h, "the log and the panel both report the send", |h| {
        shown_labels(h)
            .iter()
            .filter(|l| l.contains("Done:"))
            .count()
            >= 2
    });
    // (A wrapped label's lines are text runs of it, not labels.)
    let ends: Vec<String> = h
        .query_all_by(|n| n.role() != Role::TextRun)
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .filter_map(|l| l.split_once("Done:").map(|(_, e)| e.trim().to_string()))
        .collect();
    assert!(
        ends.len() >= 2 && ends.windows(2).all(|w| w[0] == w[1]),
        "two figures for one send: {ends:?}"
    );
    assert!(ends[0].starts_with("5.0 MiB "), "{ends:?}");
    // The file's bytes are counted, though not logged record by record.
    let n = data.len().to_string();
    let mut with_commas = String::new();
    for (i, c) in n.chars().enumerate() {
        if i > 0 && (n.len() - i) % 3 == 0 {
            with_commas.push(',');
        }
        with_commas.push(c);
    }
    wait_for_text(&mut h, &format!("TX {with_commas} bytes"));
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn cancel_stops_a_file_send_to_a_peer_that_never_reads() {
    let (mut h, _conn, _) = connected_client();
    let (path, _) = temp_file("big.bin", 64 * 1024 * 1024);
    drop_file(&mut h, &path);
    click(&mut h, "Send file");
    // The peer reads nothing: the send stalls and says so.
    wait_for_text(&mut h, "waiting for the peer to read");
    click(&mut h, "Cancel");
    wait_for_text(&mut h, "Stopped:");
    // The button is back, and the session still works.
    h.get_by_role_and_label(Role::Button, "Send file");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_missing_file_is_reported_and_nothing_is_sent() {
    let (mut h, _conn, _) = connected_client();
    open_section(&mut h, "Send a file");
    set_field(&mut h, "File", "/nonexistent/netpal/file.bin");
    click(&mut h, "Send file");
    wait_for_text(&mut h, "reading the file /nonexistent/netpal/file.bin");
    wait_for_text(&mut h, "TX 0 bytes / 0 packets");
}

#[test]
fn the_generator_sends_a_counted_burst_of_udp_datagrams() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer_port = peer.local_addr().unwrap().port();
    let mut h = harness();
    let port = open_udp(&mut h);
    // The peer speaks first, so it has a row in the peer list.
    peer.send_to(b"hi", ("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, "RX 2 B / TX 0 B");
    set_field(&mut h, "Remote host", "127.0.0.1");
    set_field(&mut h, "Remote port", &peer_port.to_string());
    set_field(&mut h, "Data to send", "datagram");
    open_section(&mut h, "Traffic generator");
    set_field(&mut h, "Rate", "2000");
    set_field(&mut h, "Count", "200");
    set_field(&mut h, "Seconds", "");
    click(&mut h, "Start");
    peer.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut got = 0;
    let mut buf = [0u8; 64];
    let start = Instant::now();
    while got < 200 {
        h.step();
        while let Ok((n, _)) = peer.recv_from(&mut buf) {
            assert_eq!(&buf[..n], b"datagram");
            got += 1;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "only {got} datagrams arrived; shown: {:?}",
            shown_labels(&h)
        );
    }
    wait_for_text(&mut h, "Done: 200 sends");
    wait_for_text(&mut h, "TX 1,600 bytes / 200 packets");
    // The generator's datagrams count in the peer's row too.
    wait_for_text(&mut h, "RX 2 B / TX 1.6 KiB");
}

#[test]
fn a_udp_payload_over_one_datagram_is_refused_before_send() {
    let mut h = harness();
    let _ = open_udp(&mut h);
    set_field(&mut h, "Remote host", "127.0.0.1");
    set_field(&mut h, "Remote port", "9");
    h.get_by_label("Escapes").click();
    h.step();
    // 65,508 bytes: one more than a datagram holds.
    let text = "\\xAA".repeat(65_508);
    set_field(&mut h, "Data to send", &text);
    wait_for_text(
        &mut h,
        "65508 bytes is more than one UDP datagram can carry",
    );
    assert!(send_disabled(&h));
}

#[test]
fn quick_commands_export_and_import_and_a_bad_file_is_refused() {
    use netpal::session::{FilePick, QuickCommand};
    use netpal::ui::tools::{apply_file_pick, export_quick, import_quick};
    let tr = &netpal::ui::i18n::EN;
    let dir = std::env::temp_dir().join(format!("netpal-快捷指令-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness();
    open_section(&mut h, "Quick commands");

    // What the Export dialog's thread writes, the Import one reads back.
    let good = dir.join("good.json");
    let list = vec![
        QuickCommand {
            name: "ping".into(),
            text: "PING\\r\\n".into(),
            ..Default::default()
        },
        QuickCommand {
            name: "status".into(),
            text: "01 02".into(),
            ..Default::default()
        },
    ];
    assert!(matches!(
        export_quick(good.clone(), list),
        FilePick::Exported(_, Ok(()))
    ));
    let pick = import_quick(good.clone());
    apply_file_pick(h.state_mut().focused_mut().unwrap(), tr, pick);
    wait_for_text(&mut h, "Quick commands read from");
    h.get_by_role_and_label(Role::Button, "ping");
    h.get_by_role_and_label(Role::Button, "status");

    // A file that is not a command list is refused and the list is kept.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"commands\": 5}").unwrap();
    let pick = import_quick(bad);
    apply_file_pick(h.state_mut().focused_mut().unwrap(), tr, pick);
    wait_for_text(&mut h, "Cannot read the quick commands");
    h.get_by_role_and_label(Role::Button, "ping");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn send_options_quick_commands_and_history_survive_a_restart() {
    let (mut h, mut conn, _) = connected_client();
    h.get_by_label("Escapes").click();
    h.step();
    choose(&mut h, "Append", "\\n");
    set_field(&mut h, "Data to send", "remembered");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 11), b"remembered\n");
    open_section(&mut h, "Quick commands");
    click(&mut h, "Add");
    h.step();
    set_field(&mut h, "Name", "kept");
    click(&mut h, "Done");
    h.step();

    let storage = save(&mut h);
    let mut h = restart(
        storage,
        netpal::StartOptions {
            lang: Some(netpal::ui::i18n::Lang::En),
            open: Vec::new(),
        },
    );
    h.step();
    // The form comes back as it was: escapes on, LF appended...
    let escapes = h
        .get_by_role_and_label(Role::CheckBox, "Escapes")
        .accesskit_node()
        .toggled();
    assert_eq!(escapes, Some(egui::accesskit::Toggled::True));
    set_field(&mut h, "Data to send", "a\\tb");
    wait_for_text(&mut h, "(4 bytes)  61 09 62 0A");
    // ...the quick command is there, and the send is in the history.
    open_section(&mut h, "Quick commands");
    h.get_by_role_and_label(Role::Button, "kept");
    set_field(&mut h, "Data to send", "");
    h.key_press(egui::Key::ArrowUp);
    h.step();
    h.step();
    let value = h
        .get_by_role_and_label(Role::MultilineTextInput, "Data to send")
        .accesskit_node()
        .value();
    assert_eq!(value.as_deref(), Some("remembered"));
}

#[test]
fn a_server_sequence_goes_to_the_selected_client_and_a_file_to_all() {
    use std::net::TcpStream;
    let mut h = harness();
    let port = open_server(&mut h);
    let mut clients: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let addrs: Vec<String> = clients
        .iter()
        .map(|c| c.local_addr().unwrap().to_string())
        .collect();
    wait_for_text(&mut h, "Clients (2)");

    // A sequence of two quick commands, to the second client only.
    open_section(&mut h, "Quick commands");
    for text in ["one;", "two;"] {
        set_field(&mut h, "Data to send", text);
        click(&mut h, "Add");
        h.step();
        click(&mut h, "Done");
        h.step();
    }
    h.get_by_role_and_label(Role::CheckBox, &addrs[1]).click();
    h.step();
    h.get_by_label("Selected clients (1)").click();
    h.step();
    click(&mut h, "Run in order");
    assert_eq!(
        read_until(&mut h, &mut clients[1], |b| b.len() >= 8),
        b"one;two;"
    );
    wait_for_text(&mut h, "Done: 2 sends");
    clients[0]
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        clients[0].read(&mut buf).is_err(),
        "the other client got data"
    );

    // A file to all clients: each gets all of it.
    h.get_by_label("All clients").click();
    h.step();
    let (path, data) = temp_file("to-all.bin", 300_000);
    drop_file(&mut h, &path);
    click(&mut h, "Send file");
    for c in clients.iter_mut() {
        let got = read_until(&mut h, c, |b| b.len() >= data.len());
        assert!(got == data, "a client got the file changed");
    }
    wait_for_text(&mut h, "Done: 585.9 KiB");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn send_and_receive_encodings_are_chosen_apart() {
    let (mut h, mut conn, _) = connected_client();
    choose(&mut h, "Encoding", "GBK");
    // As received: typed text goes out in GBK.
    set_field(&mut h, "Data to send", "你好");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 4), [0xC4, 0xE3, 0xBA, 0xC3]);
    // Chosen apart: UTF-8 out, while GBK still reads what comes in. (The
    // UTF-8 bytes read as GBK need glyphs the test's font lacks: the log
    // shows hex meanwhile.)
    choose(&mut h, "Show as", "Hex");
    choose(&mut h, "Send in", "UTF-8");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut conn, 6), "你好".as_bytes());
    click(&mut h, "Clear log");
    choose(&mut h, "Show as", "Text");
    std::io::Write::write_all(&mut conn, &[0xCA, 0xC0, 0xBD, 0xE7]).unwrap(); // 世界
    wait_for_text(&mut h, "世界");
}

/// Chinese is typed through an input method (IME): the send box asks the
/// window for one when it has focus, shows what is being composed, and
/// takes the committed text, which Send puts on the wire.
#[test]
fn an_input_method_types_chinese_into_the_send_box() {
    let (mut h, mut conn, _) = connected_client();
    set_field(&mut h, "Data to send", "");
    h.get_by_role_and_label(Role::MultilineTextInput, "Data to send")
        .click();
    h.step();
    h.step();
    assert!(
        h.output().platform_output.ime.is_some(),
        "the focused send box does not ask the window for an input method"
    );
    // The window's input method sends its events to the focused widget.
    h.event(egui::Event::Ime(egui::ImeEvent::Preedit {
        text: "ni hao".into(),
        active_range_chars: None,
    }));
    h.step();
    h.event(egui::Event::Ime(egui::ImeEvent::Commit("你好".into())));
    h.step();
    h.step();
    wait_for_text(&mut h, "(6 bytes)  E4 BD A0 E5 A5 BD");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 6), "你好".as_bytes());
}

/// What a send tool writes to a server's client counts in that client's
/// row, as the status bar counts it: a file of 1,500,000 bytes is "TX
/// 1.4 MiB" there, not "TX 0 B".
#[test]
fn a_file_sent_to_a_client_counts_in_its_row() {
    let mut h = harness();
    let port = open_server(&mut h);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, "Clients (1)");
    let (path, data) = temp_file("发给客户端.bin", 1_500_000);
    drop_file(&mut h, &path);
    click(&mut h, "Send file");
    let got = read_until(&mut h, &mut conn, |b| b.len() >= data.len());
    assert!(got == data, "the file arrived changed");
    wait_for_text(&mut h, "TX 1,500,000 bytes");
    wait_for_text(&mut h, "RX 0 B / TX 1.4 MiB");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// On a desktop with no file chooser service a dialog never appears: the
/// user is told what is missing, and the path can be typed instead.
#[test]
fn without_a_file_dialog_the_user_is_told_and_types_the_path() {
    use netpal::session::{DialogFor, FilePick, QuickCommand};
    use netpal::ui::tools::apply_file_pick;
    let tr = &netpal::ui::i18n::EN;
    let dir = std::env::temp_dir().join(format!("netpal-无对话框-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness();
    open_section(&mut h, "Quick commands");
    h.state_mut().focused_mut().unwrap().settings.tools.quick = vec![QuickCommand {
        name: "ping".into(),
        text: "PING".into(),
        ..Default::default()
    }];
    // What Export... answers when no dialog could be shown.
    apply_file_pick(
        h.state_mut().focused_mut().unwrap(),
        tr,
        FilePick::Unavailable(DialogFor::QuickFile),
    );
    wait_for_text(&mut h, "No file dialog could be shown");
    wait_for_text(&mut h, "zenity");
    let path = dir.join("快捷指令.json");
    set_field(&mut h, "Quick-command file (path)", path.to_str().unwrap());
    click(&mut h, "Export to this file");
    wait_for_text(&mut h, "Quick commands saved to");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("PING"), "{written}");
    // And read back into an emptied list.
    h.state_mut()
        .focused_mut()
        .unwrap()
        .settings
        .tools
        .quick
        .clear();
    apply_file_pick(
        h.state_mut().focused_mut().unwrap(),
        tr,
        FilePick::Unavailable(DialogFor::QuickFile),
    );
    click(&mut h, "Import this file");
    wait_for_text(&mut h, "Quick commands read from");
    h.get_by_role_and_label(Role::Button, "ping");

    // Send a file: said under its field, which takes a typed path.
    open_section(&mut h, "Send a file");
    apply_file_pick(
        h.state_mut().focused_mut().unwrap(),
        tr,
        FilePick::Unavailable(DialogFor::SendFile),
    );
    wait_for_text(&mut h, "Type the path here instead");
    let _ = std::fs::remove_dir_all(&dir);
}

/// CRC-16/MODBUS, written out here so the test does not take NetPal's.
fn crc16_modbus(data: &[u8]) -> [u8; 2] {
    let mut crc: u16 = 0xFFFF;
    for b in data {
        crc ^= u16::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc.to_le_bytes()
}

/// The quick-command editor has what the send box has: the checksum's
/// start, and the exact bytes the command sends; the count comes first,
/// so a long payload's "…" never hides it.
#[test]
fn the_quick_command_editor_shows_its_bytes_and_the_checksum_start() {
    let mut h = harness();
    open_section(&mut h, "Quick commands");
    h.get_by_label("Send as hex").click();
    h.step();
    choose(&mut h, "Checksum", "CRC-16/MODBUS");
    set_field(&mut h, "Data to send", "01 03 00 00 00 0A");
    click(&mut h, "Add");
    h.step();
    click(&mut h, "Done");
    // The send box moves on; the editor shows the command's own bytes.
    set_field(&mut h, "Data to send", "");
    choose(&mut h, "Checksum", "—");
    click(&mut h, "Edit #1");
    wait_for_text(&mut h, "(8 bytes)  01 03 00 00 00 0A C5 CD");
    // The checksum from byte 1 on, as a device with an address byte
    // outside its CRC wants.
    h.get_by_role_and_label(Role::SpinButton, "from byte")
        .set_value_accesskit(1.0);
    h.step();
    h.step();
    let crc = crc16_modbus(&[0x03, 0x00, 0x00, 0x00, 0x0A]);
    wait_for_text(
        &mut h,
        &format!("(8 bytes)  01 03 00 00 00 0A {:02X} {:02X}", crc[0], crc[1]),
    );
    click(&mut h, "Done");
    h.step();
    let q = &h.state().focused().unwrap().settings.tools.quick[0];
    assert_eq!(q.format.checksum_from, 1);

    // A 62-byte send box payload: its count is shown first, whole.
    h.get_by_label("Send as hex").click();
    h.step();
    set_field(&mut h, "Data to send", &"x".repeat(62));
    let out = shown_labels(&h)
        .into_iter()
        .find(|l| l.contains("78 78 78"))
        .expect("a preview of the x's");
    assert!(out.starts_with("(62 bytes)"), "{out}");
}

/// The send box's split and join, by clicking: "hello" arrives a byte a
/// read, then three sends arrive as one read.
#[test]
fn the_send_box_splits_and_joins_sends_on_purpose() {
    let (mut h, mut conn, _) = connected_client();
    set_field(&mut h, "Split each send", "1/40ms");
    set_field(&mut h, "Data to send", "hello");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut reads = Vec::new();
    let start = Instant::now();
    while reads.concat::<u8>().len() < 5 {
        h.step();
        let mut buf = [0u8; 16];
        match conn.read(&mut buf) {
            Ok(0) => panic!("closed"),
            Ok(n) => reads.push(buf[..n].to_vec()),
            Err(_) => {}
        }
        assert!(start.elapsed() < DEADLINE, "only {reads:?}");
    }
    assert_eq!(reads.concat(), b"hello");
    assert_eq!(reads.len(), 5, "{reads:?}");

    set_field(&mut h, "Split each send", "");
    set_field(&mut h, "Join sends", "3");
    for m in ["one;", "two;"] {
        set_field(&mut h, "Data to send", m);
        click(&mut h, "Send");
    }
    // Two sends are held for the third.
    for _ in 0..20 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut buf = [0u8; 64];
    assert!(conn.read(&mut buf).is_err(), "sent before the third send");
    set_field(&mut h, "Data to send", "six;");
    click(&mut h, "Send");
    let start = Instant::now();
    let n = loop {
        h.step();
        if let Ok(n) = conn.read(&mut buf) {
            break n;
        }
        assert!(start.elapsed() < DEADLINE, "the joined sends never came");
    };
    assert_eq!(&buf[..n], b"one;two;six;", "粘包: three sends in one read");
    // A bad value is said where the send box says what is wrong.
    set_field(&mut h, "Split each send", "0/5ms");
    wait_for_text(&mut h, "Split each send: write N[-M][/GAP]");
}

/// A periodic send joined three at a time still ends: its last two sends
/// are not held for a third that will never come.
#[test]
fn a_joined_periodic_send_ends_and_delivers_every_byte() {
    let (mut h, mut conn, _) = connected_client();
    set_field(&mut h, "Join sends", "3");
    set_field(&mut h, "Data to send", "t;");
    open_section(&mut h, "Periodic send");
    set_field(&mut h, "Interval (ms)", "20");
    set_field(&mut h, "Count", "5");
    click(&mut h, "Start");
    let got = read_until(&mut h, &mut conn, |b| b.len() >= 10);
    assert_eq!(got, b"t;".repeat(5));
    wait_for_text(&mut h, "Done: 5 sends");
}
