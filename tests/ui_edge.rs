//! A peer's edge cases on purpose: half-close (FIN, the other direction
//! still works) and reset (RST), from a TCP server's client list and from a
//! TCP client, clicked in the real app against real loopback peers.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// What the next read of `conn` gives (data, EOF or an error), stepping the
/// UI meanwhile; fails after the deadline.
fn next_read(
    h: &mut egui_kittest::Harness<'static, netpal::App>,
    conn: &mut TcpStream,
) -> std::io::Result<Vec<u8>> {
    conn.set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        h.step();
        match conn.read(&mut buf) {
            Ok(n) => return Ok(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        assert!(
            start.elapsed() < DEADLINE,
            "nothing read within the deadline"
        );
    }
}

/// A server with one client, the client selected in the list.
fn server_with_selected_client() -> (egui_kittest::Harness<'static, netpal::App>, TcpStream) {
    let mut h = harness();
    let port = open_server(&mut h);
    let conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let me = conn.local_addr().unwrap().to_string();
    wait_for_text(&mut h, "Clients (1)");
    h.get_by_label(&me).click();
    h.step();
    (h, conn)
}

#[test]
fn shut_down_write_sends_a_fin_and_the_client_can_still_send() {
    let (mut h, mut conn) = server_with_selected_client();
    // Queued first, written before the FIN.
    set_field(&mut h, "Data to send", "last words");
    click(&mut h, "Send");
    click(&mut h, "Shut down write");
    let mut got = Vec::new();
    loop {
        let chunk = next_read(&mut h, &mut conn).expect("a FIN, not an error");
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(&chunk);
    }
    assert_eq!(
        got, b"last words",
        "everything queued, then the end of the stream"
    );
    wait_for_text(&mut h, "shut down (FIN sent); still receiving");
    // The other direction still works.
    conn.write_all(b"after the fin").unwrap();
    wait_for_text(&mut h, "after the fin");
    assert!(h.query_by_label_contains("Clients (1)").is_some());
    // Sending to it now is refused with a reason.
    set_field(&mut h, "Data to send", "more");
    click(&mut h, "Send");
    wait_for_text(&mut h, "its write side is shut down");
}

#[test]
fn reset_from_the_client_list_is_seen_as_a_reset() {
    if under_wine() {
        println!(
            "skipped under Wine: Wine does not always turn a close with SO_LINGER 0 into a reset (the peer sees a FIN), as Windows does"
        );
        return;
    }
    let (mut h, mut conn) = server_with_selected_client();
    click(&mut h, "Reset");
    let err = next_read(&mut h, &mut conn).expect_err("a reset, not data or EOF");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    wait_for_text(&mut h, "reset by you (RST sent)");
    wait_for_text(&mut h, "Clients (0)");
}

#[test]
fn a_tcp_client_half_closes_then_resets_its_connection() {
    let (mut h, mut conn, _) = connected_client();
    click(&mut h, "Shut down write");
    assert_eq!(next_read(&mut h, &mut conn).expect("EOF"), b"");
    conn.write_all(b"server still talks").unwrap();
    wait_for_text(&mut h, "server still talks");
    click(&mut h, "Reset");
    // After our FIN the reset may show on the read or the next write.
    let start = Instant::now();
    let reset = loop {
        match conn
            .write(b"x")
            .and_then(|_| next_read(&mut h, &mut conn).map(|_| ()))
        {
            Err(e) => break e,
            Ok(()) => assert!(start.elapsed() < DEADLINE, "never reset"),
        }
    };
    assert!(
        matches!(
            reset.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        "{reset}"
    );
    wait_for_text(&mut h, "reset by you (RST sent)");
}

/// A port nobody listens on right now (bound, then let go).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_fixed_source_port_is_the_port_the_peer_sees() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let from = free_port();
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Client");
    set_field(&mut h, "Source port", &from.to_string());
    open_client(&mut h, port);
    let (_conn, peer) = accept_within(&mut h, &server);
    assert_eq!(peer.port(), from);
    wait_for_text(&mut h, &format!("Local end: 127.0.0.1:{from}"));
}

#[test]
fn a_source_port_in_use_is_refused_with_a_reason() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let from = busy.local_addr().unwrap().port();
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Client");
    set_field(&mut h, "Source port", &from.to_string());
    open_client(&mut h, port);
    wait_for_text(&mut h, "in use");
    wait_for_text(&mut h, "Open");
    // Nothing connected.
    server.set_nonblocking(true).unwrap();
    assert!(server.accept().is_err());
    // A bad port is said by the form.
    set_field(&mut h, "Source port", "70000");
    click(&mut h, "Open");
    wait_for_text(&mut h, "Source port: ");
}

/// With "Keep open for sending", a client that half-closed stays in the
/// list marked "FIN received"; the user goes on sending to it, then shuts
/// down write, and the connection is over.
#[test]
fn a_client_that_half_closed_is_kept_open_for_sending_when_asked() {
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Server");
    choose(
        &mut h,
        "When the peer closes its side (FIN)",
        "Keep open for sending",
    );
    let port = open_server(&mut h);
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let me = conn.local_addr().unwrap().to_string();
    wait_for_text(&mut h, "Clients (1)");
    conn.write_all(b"request").unwrap();
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    wait_for_text(&mut h, "FIN received");
    wait_for_log_text(&mut h, "kept open: you can still send");
    h.get_by_label(&me).click();
    h.step();
    set_field(&mut h, "Data to send", "answer after your FIN");
    click(&mut h, "Send");
    let mut got = Vec::new();
    while got.len() < 21 {
        let chunk = next_read(&mut h, &mut conn).expect("data, not an error");
        assert!(!chunk.is_empty(), "closed early after {got:?}");
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, b"answer after your FIN");
    assert!(
        shown_labels(&h).iter().any(|l| l.contains("Clients (1)")),
        "the client was dropped at its FIN"
    );
    click(&mut h, "Shut down write");
    assert_eq!(next_read(&mut h, &mut conn).expect("EOF"), b"");
    wait_for_text(&mut h, "Clients (0)");
}
