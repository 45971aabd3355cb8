//! The TCP relay in the real app, by clicking: a client and a target on
//! 127.0.0.1 talk through it; both directions are logged; the send box adds
//! bytes toward either side; a direction can be held and released; a target
//! that is down closes the client and the log says why.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

/// Opens a relay on 127.0.0.1 (a port of the system's choosing) toward
/// 127.0.0.1:`target`; returns the port it listens on.
fn open_relay(h: &mut egui_kittest::Harness<'static, netpal::App>, target: u16) -> u16 {
    choose(h, "Protocol", "TCP Relay");
    set_field(h, "Target host", "127.0.0.1");
    set_field(h, "Target port", &target.to_string());
    open_local(h, "TCP Relay", "0");
    wait_bound(h, "Bound to:")
}

/// A relay with one client linked to a target: the client, the target's
/// end of the link, and the client's address as the log shows it.
fn linked(h: &mut egui_kittest::Harness<'static, netpal::App>) -> (TcpStream, TcpStream, String) {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = open_relay(h, target.local_addr().unwrap().port());
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let me = client.local_addr().unwrap().to_string();
    let (upstream, _) = accept_within(h, &target);
    wait_for_text(h, &format!("{me} linked to target"));
    (client, upstream, me)
}

#[test]
fn a_relay_logs_both_directions_and_sends_toward_either_side() {
    let mut h = harness();
    let (mut client, mut upstream, me) = linked(&mut h);
    wait_for_text(&mut h, "Clients (1)");

    client.write_all(b"GET /status").unwrap();
    assert_eq!(read_n(&mut h, &mut upstream, 11), b"GET /status");
    wait_for_text(&mut h, "GET /status");
    upstream.write_all(b"200 OK from the target").unwrap();
    assert_eq!(read_n(&mut h, &mut client, 22), b"200 OK from the target");
    wait_for_text(&mut h, "200 OK from the target");
    wait_for_text(&mut h, &format!("target → {me}"));

    // The send box: toward the target, in the client's name...
    click_radio(&mut h, "Target (as the client)");
    set_field(&mut h, "Data to send", "injected upstream");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut upstream, 17), b"injected upstream");
    wait_for_text(&mut h, &format!("target (as {me})"));
    // ...and toward the client, as the target.
    click_radio(&mut h, "Clients (as the target)");
    set_field(&mut h, "Data to send", "injected downstream");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut client, 19), b"injected downstream");
}

#[test]
fn a_held_direction_shows_its_bytes_and_releases_them_in_order() {
    let mut h = harness();
    let (mut client, mut upstream, _) = linked(&mut h);

    click_checkbox(&mut h, "Hold target → client");
    // The hold is in force once a later command has gone through.
    set_field(&mut h, "Data to send", "marker");
    click_radio(&mut h, "Target (as the client)");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut upstream, 6), b"marker");

    upstream.write_all(b"held back").unwrap();
    wait_for_text(&mut h, "held back");
    // Shown in the log, not passed on (bytes are passed on before they
    // are shown).
    client.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 32];
    match client.read(&mut buf) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("held bytes reached the client: {other:?}"),
    }
    client.set_nonblocking(false).unwrap();
    client
        .set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    click_checkbox(&mut h, "Hold target → client");
    assert_eq!(read_n(&mut h, &mut client, 9), b"held back");
}

#[test]
fn a_target_that_is_down_closes_the_client_and_the_log_says_why() {
    let gone = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = gone.local_addr().unwrap();
    drop(gone);
    let mut h = harness();
    let port = open_relay(&mut h, down.port());
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 16];
    loop {
        h.step();
        match client.read(&mut buf) {
            Ok(0) => break,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Ok(n) => panic!("unexpected bytes {:?}", &buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("read: {e}"),
        }
        assert!(start.elapsed() < DEADLINE, "the client was never closed");
    }
    wait_for_text(&mut h, &format!("connecting to {down}"));
    wait_for_text(&mut h, "refused");
    assert!(h.query_by_label_contains("Clients (0)").is_some());
}

#[test]
fn a_udp_relay_passes_datagrams_both_ways_and_logs_both() {
    let target = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    target
        .set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    let mut h = harness();
    choose(&mut h, "Protocol", "UDP Relay");
    set_field(&mut h, "Target host", "127.0.0.1");
    set_field(
        &mut h,
        "Target port",
        &target.local_addr().unwrap().port().to_string(),
    );
    open_local(&mut h, "UDP Relay", "0");
    let port = wait_bound(&mut h, "Bound to:");
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    let me = client.local_addr().unwrap().to_string();
    client
        .send_to(b"ping over udp", ("127.0.0.1", port))
        .unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let via = loop {
        h.step();
        if let Ok((n, from)) = target.recv_from(&mut buf) {
            assert_eq!(&buf[..n], b"ping over udp");
            break from;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the datagram never reached the target"
        );
    };
    wait_for_text(&mut h, "ping over udp");
    target.send_to(b"pong over udp", via).unwrap();
    let start = Instant::now();
    loop {
        h.step();
        if let Ok((n, _)) = client.recv_from(&mut buf) {
            assert_eq!(&buf[..n], b"pong over udp");
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the answer never reached the client"
        );
    }
    wait_for_text(&mut h, &format!("target → {me}"));
}

/// Bad network on purpose, by clicking: a delay toward the target holds
/// each message for its time, the form counts what it did, a change
/// applies to the next message while traffic flows, and a slice makes
/// the target read a message in pieces (分包).
#[test]
fn a_relay_delays_and_slices_what_it_passes_as_the_form_says() {
    let mut h = harness();
    let (mut client, mut upstream, _) = linked(&mut h);
    open_section(&mut h, "Bad network on purpose (delay, 分包/粘包, cut)");
    click_checkbox(&mut h, "Impair what passes");
    set_field(&mut h, "Delay to the target", "300ms");
    h.step();
    let start = Instant::now();
    client.write_all(b"ping").unwrap();
    assert_eq!(read_n(&mut h, &mut upstream, 4), b"ping");
    let took = start.elapsed();
    assert!(took >= std::time::Duration::from_millis(300), "{took:?}");
    // The log says what is in effect once the field is left.
    h.key_press(egui::Key::Tab);
    wait_for_log_text(
        &mut h,
        "Bad network on purpose: to the target delay=300ms; to the client nothing",
    );
    wait_for_text(&mut h, "To the target: 1 delayed");
    // The log says how long the record was held, as measured.
    wait_for_log_text(&mut h, "ms on purpose: 4 bytes passed on to the target");
    let shown = shown_labels(&h).join(" ");
    let held: Vec<u64> = shown
        .split("Held ")
        .filter_map(|r| r.split_once(" ms on purpose: 4 bytes")?.0.parse().ok())
        .collect();
    assert!(
        held.first().is_some_and(|ms| (300..1300).contains(ms)),
        "{held:?}"
    );
    // The other way is not delayed.
    let start = Instant::now();
    upstream.write_all(b"pong").unwrap();
    assert_eq!(read_n(&mut h, &mut client, 4), b"pong");
    assert!(start.elapsed() < std::time::Duration::from_millis(300));

    // Changed while open: no delay, and one byte a piece every 30 ms.
    set_field(&mut h, "Delay to the target", "");
    set_field(
        &mut h,
        "Slice (分包): bytes a piece[/gap] to the target",
        "1/30ms",
    );
    h.step();
    client.write_all(b"hello").unwrap();
    upstream
        .set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    let mut reads = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    while reads.concat::<u8>().len() < 5 {
        h.step();
        let mut buf = [0u8; 16];
        match upstream.read(&mut buf) {
            Ok(0) => panic!("closed"),
            Ok(n) => reads.push(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("{e}"),
        }
        assert!(Instant::now() < deadline, "only {reads:?}");
    }
    assert_eq!(reads.concat(), b"hello");
    assert_eq!(reads.len(), 5, "分包: a read a byte: {reads:?}");
    wait_for_text(&mut h, "5 pieces");

    // A value the option does not take is refused by the form, in words.
    set_field(&mut h, "Cut after N bytes[:reset] to the client", "soon");
    wait_for_text(&mut h, "To the client: cut=soon: cut takes a byte count");
}

/// A UDP relay's jitter reorders datagrams as a real path does, unless
/// "Keep order" is ticked for that direction: then each is delayed, none
/// overtakes another, and the log says what is in effect.
#[test]
fn a_udp_relay_keeps_datagram_order_through_jitter_when_asked() {
    let target = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    target
        .set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    let mut h = harness();
    choose(&mut h, "Protocol", "UDP Relay");
    set_field(&mut h, "Target host", "127.0.0.1");
    set_field(
        &mut h,
        "Target port",
        &target.local_addr().unwrap().port().to_string(),
    );
    open_local(&mut h, "UDP Relay", "0");
    let port = wait_bound(&mut h, "Bound to:");
    open_section(&mut h, "Bad network on purpose (delay, loss, reorder)");
    click_checkbox(&mut h, "Impair what passes");
    set_field(&mut h, "Delay to the target", "30ms");
    set_field(&mut h, "Jitter (±) to the target", "25ms");
    click_checkbox(&mut h, "Keep order (jitter never reorders) to the target");
    wait_for_log_text(
        &mut h,
        "to the target delay=30ms, jitter=25ms, order=keep; to the client nothing",
    );
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let sender = std::thread::spawn(move || {
        for i in 0..100u8 {
            client.send_to(&[i], ("127.0.0.1", port)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 16];
    let start = Instant::now();
    while got.len() < 100 {
        h.step();
        if let Ok((n, _)) = target.recv_from(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        assert!(start.elapsed() < DEADLINE, "only {} came", got.len());
    }
    sender.join().unwrap();
    assert_eq!(got, (0..100u8).collect::<Vec<_>>(), "overtaken");
}
