//! TCP client mode, driven by clicking, against a real server on 127.0.0.1.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

#[test]
fn client_sends_text_and_hex_and_shows_a_gbk_reply() {
    let (mut h, mut conn, client_addr) = connected_client();
    let port = conn.local_addr().unwrap().port();
    // The local port the app shows is the one the server saw.
    assert_eq!(shown_port(&h, "Local end:"), client_addr.port());

    set_field(&mut h, "Data to send", "hello");
    click(&mut h, "Send");
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 5), b"hello");

    h.get_by_label("Send as hex").click();
    h.step();
    set_field(&mut h, "Data to send", "0x48,0x65 6C6c\n6F");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut conn, 5), b"Hello");

    // The server answers in GBK; with GBK chosen the log shows Chinese and the server's address.
    choose(&mut h, "Encoding", "GBK");
    conn.write_all(&[0xC4, 0xE3, 0xBA, 0xC3, 0xA3, 0xAC, 0xCA, 0xC0, 0xBD, 0xE7])
        .unwrap(); // 你好，世界
    wait_for_text(&mut h, "你好，世界");
    let server_addr = format!("RX ← 127.0.0.1:{port}");
    assert!(
        h.query_by_label_contains(&server_addr).is_some(),
        "no RX record from {server_addr}"
    );
    // Both view shows the hex too.
    choose(&mut h, "Show as", "Text + hex");
    wait_for_text(&mut h, "C4 E3 BA C3");

    // Sent bytes are counted.
    wait_for_text(&mut h, "TX 10 bytes / 2 packets");
    wait_for_text(&mut h, "RX 10 bytes / 1 packets");
}

#[test]
fn invalid_hex_disables_send_and_sends_nothing() {
    let (mut h, mut conn, _) = connected_client();

    h.get_by_label("Send as hex").click();
    h.step();
    set_field(&mut h, "Data to send", "48 6G");
    wait_for_text(&mut h, "Invalid hex");
    assert!(send_disabled(&h));
    // Ctrl+Enter does not send it either.
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Enter]);
    h.step();
    // A valid payload then goes through, and it is the only thing the server gets.
    set_field(&mut h, "Data to send", "41");
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::Enter]);
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(read_n(&mut h, &mut conn, 1), b"A");
    // The log shows exactly one sent record: the invalid hex never left.
    wait_for_text(&mut h, "TX 1 bytes / 1 packets");
    conn.set_nonblocking(true).unwrap();
    let mut rest = [0u8; 16];
    assert!(conn.read(&mut rest).is_err(), "nothing else was sent");
}

#[test]
fn peer_close_returns_to_closed_and_open_retries() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let mut h = harness();
    open_client(&mut h, port);
    let (conn, _) = accept_within(&mut h, &server);
    wait_bound(&mut h, "Local end:");
    drop(conn);
    wait_for_text(&mut h, "closed by the peer");
    wait_for_text(&mut h, "● Closed");
    click(&mut h, "Open");
    let (_conn2, _) = accept_within(&mut h, &server);
    wait_for_text(&mut h, "● Connected");
}

#[test]
fn a_character_cut_between_two_reads_is_shown_whole() {
    let (mut h, mut conn, _) = connected_client();
    // "ab" and the first two bytes of "你"; the app shows them as they came.
    conn.write_all(b"ab\xE4\xBD").unwrap();
    wait_for_text(&mut h, "ab\\xE4\\xBD");
    // The last byte of "你" arrives in a second read: that record shows "你".
    conn.write_all(b"\xA0cd").unwrap();
    wait_for_text(&mut h, "你cd");
    // The bytes themselves are untouched: 7 received in 2 reads.
    wait_for_text(&mut h, "RX 7 bytes / 2 packets");
}

#[test]
fn reconnect_counts_down_and_connects_again_after_the_server_closes() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Client");
    click_checkbox(&mut h, "Reconnect");
    open_client(&mut h, port);
    let (first, _) = accept_within(&mut h, &server);
    wait_bound(&mut h, "Local end:");
    drop(first);
    // Shown counting, in the status bar and the log.
    wait_for_text(&mut h, "Reconnecting in 1 s (attempt 1)");
    let (_second, second_addr) = accept_within(&mut h, &server);
    wait_for_text(&mut h, &format!("from 127.0.0.1:{}", second_addr.port()));
    wait_bound(&mut h, "Local end:");
}

#[test]
fn the_connect_timeout_typed_in_the_form_is_the_one_used() {
    // A listener whose queue is full drops new connection requests: a
    // connect to it waits for an answer that never comes.
    let l = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    l.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    l.listen(0).unwrap();
    let addr = l.local_addr().unwrap().as_socket().unwrap();
    let _filler = std::net::TcpStream::connect(addr).unwrap();
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Client");
    set_field(&mut h, "Connect timeout (s)", "1");
    open_client(&mut h, addr.port());
    wait_for_text(&mut h, "no answer within 1 s");
    // A timeout that is not a number of seconds is refused before opening.
    set_field(&mut h, "Connect timeout (s)", "soon");
    click(&mut h, "Open");
    wait_for_text(&mut h, "not a time in seconds");
}

#[test]
fn a_link_local_address_needs_an_interface_that_exists() {
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Client");
    set_field(&mut h, "Remote host", "fe80::1%nosuch0");
    set_field(&mut h, "Remote port", "80");
    click(&mut h, "Open");
    wait_for_text(&mut h, "no network interface 'nosuch0'");
}

#[test]
fn an_empty_send_on_a_stream_says_there_is_nothing_to_send() {
    let (mut h, _conn, _) = connected_client();
    set_field(&mut h, "Data to send", "");
    click(&mut h, "Send");
    wait_for_text(&mut h, "Nothing to send: the payload is empty");
}
