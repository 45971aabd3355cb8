//! TCP server mode: several real clients, send to one or all, disconnect one.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn server_lists_clients_sends_to_one_or_all_and_disconnects_one() {
    let mut h = harness();
    let port = open_server(&mut h);
    let mut clients: Vec<TcpStream> = (0..3)
        .map(|_| {
            let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
            s
        })
        .collect();
    let addrs: Vec<String> = clients
        .iter()
        .map(|c| c.local_addr().unwrap().to_string())
        .collect();
    // The list shows each client's address and port.
    for a in &addrs {
        wait_for(&mut h, &format!("client {a} listed"), |h| {
            h.query_by_role_and_label(Role::CheckBox, a).is_some()
        });
    }
    wait_for_text(&mut h, "Clients (3)");
    wait_for_text(&mut h, &format!("Client connected: {}", addrs[1]));

    // Send to the second client only.
    h.get_by_role_and_label(Role::CheckBox, &addrs[1]).click();
    h.step();
    h.get_by_label("Selected clients (1)").click();
    h.step();
    set_field(&mut h, "Data to send", "only you");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut clients[1], 8), b"only you");
    wait_for_text(&mut h, "TX 8 bytes / 1 packets");
    let mut buf = [0u8; 16];
    for i in [0, 2] {
        assert!(clients[i].read(&mut buf).is_err(), "client {i} got data");
    }

    // Send to all.
    h.get_by_label("All clients").click();
    h.step();
    set_field(&mut h, "Data to send", "everyone");
    click(&mut h, "Send");
    for c in clients.iter_mut() {
        assert_eq!(read_n(&mut h, c, 8), b"everyone");
    }

    // Data from a client is shown with its address and counted in its row.
    use std::io::Write;
    clients[2].write_all(b"from two").unwrap();
    wait_for_text(&mut h, &format!("RX ← {}", addrs[2]));
    wait_for_text(&mut h, "from two");
    // ... and counted in its row of the client list (only client 2 has RX 8 B / TX 8 B).
    wait_for_text(&mut h, "RX 8 B / TX 8 B");

    // Disconnect the selected (second) client: it sees EOF, the others stay.
    click(&mut h, "Disconnect selected");
    wait_eof(&mut h, &mut clients[1]);
    wait_for_text(&mut h, "Clients (2)");
    wait_for_text(&mut h, "disconnected by you");
    assert!(
        h.query_by_role_and_label(Role::CheckBox, &addrs[1])
            .is_none()
    );
    h.get_by_label("All clients").click();
    set_field(&mut h, "Data to send", "still");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut clients[0], 5), b"still");
    assert_eq!(read_n(&mut h, &mut clients[2], 5), b"still");

    // A client leaving on its own is shown, and the server keeps accepting.
    drop(clients.remove(0));
    wait_for_text(
        &mut h,
        &format!("{} disconnected: closed by the peer", addrs[0]),
    );
    wait_for_text(&mut h, "Clients (1)");
    let late = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let late_addr = late.local_addr().unwrap().to_string();
    wait_for(&mut h, "late client listed", |h| {
        h.query_by_role_and_label(Role::CheckBox, &late_addr)
            .is_some()
    });
    wait_for_text(&mut h, "Clients (2)");
}

#[test]
fn server_reopens_on_the_same_port_right_after_closing() {
    let mut h = harness();
    let port = open_server(&mut h);
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    wait_for_text(&mut h, "Clients (1)");
    click(&mut h, "Close");
    wait_for_text(&mut h, "● Closed");
    // Closing the session closed its connections.
    wait_eof(&mut h, &mut c);
    // The form keeps the port the user typed (0); type the one we had.
    set_field(&mut h, "Local port", &port.to_string());
    click(&mut h, "Open");
    wait_for_text(&mut h, &format!("Bound to: 127.0.0.1:{port}"));
    let _c2 = TcpStream::connect(("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, "Clients (1)");
}

#[test]
fn socket_options_chosen_in_the_form_are_read_back_from_the_socket() {
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Server");
    open_section(&mut h, "Socket options");
    // Left alone, NetPal turns Nagle off: its choice says so, not
    // "System default" (the system's default is Nagle on).
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "TCP_NODELAY")
        .click();
    h.step();
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::Button, "On (NetPal's default)");
    h.key_press(egui::Key::Escape);
    h.step();
    choose(&mut h, "TCP_NODELAY", "Off");
    set_field(&mut h, "SO_RCVBUF (bytes)", "300000");
    set_field(&mut h, "IP_TTL / hop limit", "9");
    let port = open_server(&mut h);
    let _c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, "Read back from the socket");
    wait_for_text(&mut h, "TCP_NODELAY=off");
    wait_for_text(&mut h, "IP_TTL=9");
    // The log says it too, since options were set.
    wait_for_text(&mut h, "Socket options (read back):");
    // A value the option does not take is refused before opening.
    click(&mut h, "Close");
    set_field(&mut h, "IP_TTL / hop limit", "300");
    click(&mut h, "Open");
    wait_for_text(&mut h, "IP_TTL / hop limit: not a value the option takes");
}

#[test]
fn echo_sends_each_client_its_own_bytes_back() {
    let mut h = harness();
    let port = open_server(&mut h);
    h.get_by_label("Echo back what is received").click();
    h.step();
    let mut a = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut b = TcpStream::connect(("127.0.0.1", port)).unwrap();
    for c in [&a, &b] {
        c.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    }
    wait_for_text(&mut h, "Clients (2)");
    use std::io::Write;
    a.write_all(b"from a").unwrap();
    b.write_all(b"from b, longer").unwrap();
    assert_eq!(read_n(&mut h, &mut a, 6), b"from a");
    assert_eq!(read_n(&mut h, &mut b, 14), b"from b, longer");
    // Echoed bytes are sent bytes: logged and counted as such.
    wait_for_text(&mut h, &format!("TX → {}", a.local_addr().unwrap()));
    wait_for_text(&mut h, "TX 20 bytes / 2 packets");
    // Nothing more came back than was sent.
    let mut buf = [0u8; 16];
    assert!(a.read(&mut buf).is_err());
    assert!(b.read(&mut buf).is_err());
}

#[test]
fn the_send_target_counts_the_clients_selected() {
    let mut h = harness();
    let port = open_server(&mut h);
    let clients: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    wait_for_text(&mut h, "Clients (3)");
    wait_for_text(&mut h, "Selected clients (0)");
    for c in &clients[..2] {
        let addr = c.local_addr().unwrap().to_string();
        h.get_by_role_and_label(Role::CheckBox, &addr).click();
        h.step();
    }
    wait_for_text(&mut h, "Selected clients (2)");
}
