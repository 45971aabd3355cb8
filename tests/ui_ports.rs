//! The Ports pane in the real app: it lists a listener the test opened,
//! the filter narrows the table to it, "Connect a TCP client here" opens a
//! connected client session, and NetPal's own socket is marked as such.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use std::net::TcpListener;

#[test]
fn the_ports_pane_finds_a_listener_and_connects_a_client_to_it() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut h = harness();
    click(&mut h, "Ports");
    set_field(&mut h, "Filter ports", &port.to_string());
    // The filter leaves the listener alone in the table.
    wait_for_text(&mut h, "1 shown");
    wait_for_text(&mut h, &format!("127.0.0.1:{port}"));
    wait_for_text(&mut h, "LISTEN");
    // Wine's tables name no process (PID 0) where Windows names it.
    let pids = !under_wine();
    let me = std::process::id().to_string();
    assert!(
        shown_labels(&h).contains(&me) || !pids,
        "the test's PID is not shown: {:?}",
        shown_labels(&h)
    );
    click(&mut h, "Connect a TCP client here");
    let (_conn, from) = accept_within(&mut h, &l);
    wait_for_text(&mut h, &format!("Connected to 127.0.0.1:{port}"));
    // The client's end is NetPal's own, marked, and leads to its session.
    wait_for_text(&mut h, &format!("127.0.0.1:{}", from.port()));
    if pids {
        wait_for_text(&mut h, "NetPal (this window)");
    }
    wait_for_text(&mut h, "3 shown");
    // Closing the pane stops it.
    click(&mut h, "Close the Ports pane");
    wait_for(&mut h, "the pane closed", |h| {
        !shown_labels(h).iter().any(|l| l.contains("Filter ports"))
    });
}

/// NetPal's own listener is marked, and "Show its session" brings its tab
/// to the front from another one.
#[test]
fn show_its_session_goes_to_the_session_that_holds_the_port() {
    if under_wine() {
        println!("skipped under Wine: its tables name no process (PID 0), so nothing is NetPal's");
        return;
    }
    let mut h = harness();
    let port = open_server(&mut h);
    new_tab(&mut h);
    let at_port = |h: &egui_kittest::Harness<'static, netpal::App>| {
        h.state()
            .focused()
            .and_then(|s| s.local_addr())
            .is_some_and(|a| a.port() == port)
    };
    assert!(!at_port(&h), "the new tab is in front");
    click(&mut h, "Ports");
    set_field(&mut h, "Filter ports", &port.to_string());
    wait_for_text(&mut h, "1 shown");
    wait_for_text(&mut h, "NetPal (this window)");
    click(&mut h, "Show its session");
    wait_for(&mut h, "the server's tab in front", at_port);
}

/// A TCP server's client list says how each connection is doing: its
/// round-trip time, and in words when the peer's window is zero.
#[test]
fn the_client_list_shows_each_connection_s_health_and_a_zero_window() {
    let mut h = harness();
    let port = open_server(&mut h);
    let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    if netpal::net::health::read(socket2::SockRef::from(&c)).is_none() {
        println!("skipped: this system does not report TCP_INFO / SIO_TCP_INFO");
        return;
    }
    wait_for_text(&mut h, "Clients (1)");
    wait_for_text(&mut h, "RTT ");
    // The client never reads: a large send fills its window.
    set_field(&mut h, "Data to send", &"x".repeat(60_000));
    for _ in 0..200 {
        click(&mut h, "Send");
        if h.query_all_by_label_contains("window is zero")
            .next()
            .is_some()
        {
            break;
        }
    }
    wait_for_text(&mut h, "the peer's window is zero: it reads nothing");
    drop(c);
}
