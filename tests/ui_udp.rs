//! UDP mode: datagrams from two peers, replies to each.

mod common;

use common::*;
use egui_kittest::kittest::{NodeT, Queryable};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn recv_while_stepping(
    h: &mut egui_kittest::Harness<'static, netpal::App>,
    s: &UdpSocket,
) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 2048];
    loop {
        h.step();
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            return buf[..n].to_vec();
        }
        assert!(start.elapsed() < DEADLINE, "no datagram");
    }
}

#[test]
fn udp_shows_each_source_and_replies_to_the_chosen_peer() {
    let mut h = harness();
    let port = open_udp(&mut h);

    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let a_addr = a.local_addr().unwrap().to_string();
    let b_addr = b.local_addr().unwrap().to_string();
    a.send_to(b"from a", ("127.0.0.1", port)).unwrap();
    b.send_to(b"from b", ("127.0.0.1", port)).unwrap();
    b.send_to(b"again b", ("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, &format!("RX ← {a_addr}"));
    wait_for_text(&mut h, &format!("RX ← {b_addr}"));
    // Datagram boundaries are kept: three datagrams, three records.
    wait_for_text(&mut h, "RX 19 bytes / 3 packets");
    wait_for_text(&mut h, "Peers (2)");

    // Reply to each peer from the list.
    h.get_by_label(&format!("Use {b_addr} as remote")).click();
    h.step();
    set_field(&mut h, "Data to send", "to b");
    click(&mut h, "Send");
    assert_eq!(recv_while_stepping(&mut h, &b), b"to b");

    h.get_by_label(&format!("Use {a_addr} as remote")).click();
    h.step();
    set_field(&mut h, "Data to send", "to a");
    click(&mut h, "Send");
    assert_eq!(recv_while_stepping(&mut h, &a), b"to a");
    wait_for_text(&mut h, &format!("TX → {a_addr}"));
    wait_for_text(&mut h, &format!("TX → {b_addr}"));
    // Neither got the other's reply.
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    assert!(a.recv_from(&mut buf).is_err());
    assert!(b.recv_from(&mut buf).is_err());

    // Counters reset on request; the log keeps its records.
    wait_for_text(&mut h, "TX 8 bytes / 2 packets");
    click(&mut h, "Reset counters");
    wait_for_text(&mut h, "RX 0 bytes / 0 packets");
    wait_for_text(&mut h, "TX 0 bytes / 0 packets");
    assert!(
        h.query_all_by_label_contains(&format!("RX ← {a_addr}"))
            .next()
            .is_some()
    );
}

#[test]
fn udp_send_without_remote_says_so() {
    let mut h = harness();
    open_udp(&mut h);
    set_field(&mut h, "Data to send", "x");
    click(&mut h, "Send");
    wait_for_text(&mut h, "Enter the remote host and port");
}

#[test]
fn echo_switch_sends_datagrams_back() {
    let mut h = harness();
    let port = open_udp(&mut h);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Off by default: a datagram is logged and not sent back.
    peer.send_to(b"quiet", ("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, "quiet");
    peer.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 16];
    assert!(peer.recv_from(&mut buf).is_err(), "echoed while off");
    peer.set_nonblocking(false).unwrap();
    // Switched on while open: it applies at once.
    h.get_by_label("Echo back what is received").click();
    h.step();
    h.step();
    peer.send_to(b"ping", ("127.0.0.1", port)).unwrap();
    assert_eq!(recv_while_stepping(&mut h, &peer), b"ping");
    wait_for_text(&mut h, &format!("TX → {}", peer.local_addr().unwrap()));
}

#[test]
fn a_log_record_can_make_its_peer_the_remote() {
    let mut h = harness();
    let port = open_udp(&mut h);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    peer.send_to(b"remote me", ("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, &format!("RX ← {peer_addr}"));
    // Any line of the record opens its menu, not only the header.
    h.get_all_by_label_contains("remote me")
        .next()
        .unwrap()
        .click_secondary();
    h.step();
    h.step();
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Use as remote")
        .click();
    h.step();
    h.step();
    let remote_port = h
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Remote port")
        .value();
    assert_eq!(
        remote_port.as_deref(),
        Some(peer_addr.port().to_string().as_str())
    );
    set_field(&mut h, "Data to send", "back");
    click(&mut h, "Send");
    assert_eq!(recv_while_stepping(&mut h, &peer), b"back");
}

/// Scrolls the log up ten times over the first line containing `text`.
fn scroll_up_over(h: &mut egui_kittest::Harness<'static, netpal::App>, text: &str) {
    for _ in 0..10 {
        h.get_all_by_label_contains(text)
            .next()
            .unwrap()
            .scroll_up();
        h.step();
    }
}

#[test]
fn scrolling_up_pauses_auto_scroll_and_the_bottom_resumes_it() {
    let mut h = harness();
    let port = open_udp(&mut h);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..200 {
        peer.send_to(format!("msg {i:03}").as_bytes(), ("127.0.0.1", port))
            .unwrap();
    }
    wait_for_text(&mut h, "RX 1,400 bytes / 200 packets");
    // Auto-scroll keeps the newest record in view; only visible rows exist.
    wait_for_text(&mut h, "msg 199");
    assert!(h.query_all_by_label_contains("msg 000").next().is_none());
    scroll_up_over(&mut h, "msg 1");
    h.step();
    peer.send_to(b"newest", ("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, "RX 1,406 bytes / 201 packets");
    h.step();
    assert!(
        h.query_all_by_label_contains("newest").next().is_none(),
        "did not pause"
    );
    // The checkbox says so; ticking it again jumps to the end.
    assert_eq!(
        h.get_by_label("Auto-scroll").accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::False)
    );
    h.get_by_label("Auto-scroll").click();
    h.step();
    wait_for_text(&mut h, "newest");
    // Scrolled up once more, it pauses again.
    scroll_up_over(&mut h, "msg 1");
    h.step();
    assert!(
        h.query_all_by_label_contains("newest").next().is_none(),
        "did not pause"
    );
    // Back at the bottom, it follows again.
    for _ in 0..40 {
        if h.query_all_by_label_contains("newest").next().is_some() {
            break;
        }
        h.get_all_by_label_contains("msg ")
            .next()
            .unwrap()
            .scroll_down();
        h.step();
    }
    wait_for_text(&mut h, "newest");
    h.step();
    assert_eq!(
        h.get_by_label("Auto-scroll").accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True)
    );
    peer.send_to(b"after", ("127.0.0.1", port)).unwrap();
    wait_for_text(&mut h, "after");
}

#[test]
fn copy_log_puts_the_records_on_the_clipboard_as_shown() {
    let mut h = harness();
    let port = open_udp(&mut h);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"first line\nsecond line", ("127.0.0.1", port))
        .unwrap();
    wait_for_text(&mut h, "second line");
    click(&mut h, "Copy log");
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let text = copied.first().expect("something was copied");
    let peer_addr = peer.local_addr().unwrap();
    assert!(text.contains(&format!("RX ← {peer_addr}")), "{text}");
    assert!(text.contains("first line\nsecond line\n"), "{text}");
    assert!(text.contains("Bound to 127.0.0.1:"), "{text}");
}

#[test]
fn a_broadcast_address_is_offered_as_the_remote_and_reaches_the_network() {
    if !cfg!(target_os = "linux") {
        println!("skipped: 127.255.255.255 is the loopback broadcast on Linux only");
        return;
    }
    // Listens on every address; what it hears comes over loopback.
    let r = UdpSocket::bind("0.0.0.0:0").unwrap();
    let port = r.local_addr().unwrap().port();
    let mut h = harness();
    open_udp(&mut h);
    choose(&mut h, "Broadcast address", "127.255.255.255");
    set_field(&mut h, "Remote port", &port.to_string());
    set_field(&mut h, "Data to send", "hello, everyone");
    click(&mut h, "Send");
    assert_eq!(recv_while_stepping(&mut h, &r), b"hello, everyone");
}

#[test]
fn a_multicast_group_is_joined_heard_and_left_from_the_form() {
    let mut h = harness();
    choose(&mut h, "Protocol", "UDP");
    set_field(&mut h, "Remote host", "");
    set_field(&mut h, "Remote port", "");
    // A group is heard on a socket bound to every address.
    choose(&mut h, "Local address", "0.0.0.0");
    set_field(&mut h, "Local port", "0");
    click(&mut h, "Open");
    wait_for_text(&mut h, "Bound to: 0.0.0.0:");
    let port = shown_port(&h, "Bound to:");
    open_section(&mut h, "Multicast");
    set_field(&mut h, "Group", "10.1.2.3");
    click(&mut h, "Join");
    wait_for_text(&mut h, "10.1.2.3 is not a multicast address");
    set_field(&mut h, "Group", "239.255.77.2");
    set_field(
        &mut h,
        "Interface (name or address; empty: the system's)",
        "127.0.0.1",
    );
    click(&mut h, "Join");
    wait_for_text(&mut h, "Joined multicast group 239.255.77.2 on 127.0.0.1");
    // A second group: both are listed as joined.
    set_field(&mut h, "Group", "239.255.77.3");
    click(&mut h, "Join");
    wait_for_text(&mut h, "Joined multicast group 239.255.77.3 on 127.0.0.1");
    wait_for_text(&mut h, "● 239.255.77.2@127.0.0.1");
    wait_for_text(&mut h, "● 239.255.77.3@127.0.0.1");

    let tx = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    tx.set_multicast_if_v4(&std::net::Ipv4Addr::LOCALHOST)
        .unwrap();
    let tx: UdpSocket = tx.into();
    tx.send_to(b"hello, group", ("239.255.77.2", port)).unwrap();
    wait_for_text(&mut h, "hello, group");

    h.get_all_by_label("Leave").next().unwrap().click();
    h.step();
    wait_for_text(&mut h, "Left multicast group 239.255.77.2");
    wait_for_text(&mut h, "● 239.255.77.3@127.0.0.1");
}

/// The number in the "Peers (N)" heading.
fn peers_shown(h: &egui_kittest::Harness<'static, netpal::App>) -> usize {
    label_text(h, "Peers (")
        .and_then(|t| {
            t.trim_start_matches("Peers (")
                .trim_end_matches(')')
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

#[test]
fn datagrams_from_more_sources_than_the_peer_list_holds_keep_it_bounded() {
    if under_wine() {
        println!(
            "skipped under Wine: a Wine socket bound to 127.0.0.2 or 127.0.0.3 sends from 127.0.0.1, so the test cannot make distinct sources"
        );
        return;
    }
    let mut h = harness();
    let port = open_udp(&mut h);
    // Distinct sources: each port of two loopback addresses (all of
    // 127.0.0.0/8 is this machine). A port someone else holds is skipped.
    let sources = [[127, 0, 0, 2], [127, 0, 0, 3]]
        .into_iter()
        .flat_map(|ip| (20_000..60_000u16).map(move |p| std::net::SocketAddr::from((ip, p))));
    let want = netpal::session::MAX_UDP_PEERS + 4_000;
    let records_before = h.state().focused().unwrap().log().len();
    let (mut sent, mut first, mut last) = (0usize, None, None);
    for from in sources {
        if sent == want {
            break;
        }
        let Ok(s) = UdpSocket::bind(from) else {
            continue;
        };
        if s.send_to(b"x", ("127.0.0.1", port)).is_err() {
            continue;
        }
        sent += 1;
        first.get_or_insert(from);
        last = Some(from);
        // In steps the receive buffer holds, each taken in before the next.
        if sent % 2_000 == 0 || sent == want {
            let n = netpal::ui::thousands(sent as u64);
            wait_for_text(&mut h, &format!("RX {n} bytes / {n} packets"));
        }
    }
    assert_eq!(sent, want, "not enough free loopback ports");
    let shown = peers_shown(&h);
    assert!(
        (netpal::session::MAX_UDP_PEERS * 9 / 10..=netpal::session::MAX_UDP_PEERS).contains(&shown),
        "{shown} peers listed after {sent} sources"
    );
    // The newest are kept, the oldest made room; every datagram is logged.
    let session = h.state().focused().unwrap();
    let listed: Vec<_> = session.udp_peers().items().map(|p| p.addr).collect();
    assert_eq!(listed.len(), shown);
    assert_eq!(listed.last().copied(), last);
    assert!(!listed.contains(&first.unwrap()));
    assert_eq!(session.log().len() - records_before, sent);
}

/// An open UDP session whose remote is a peer socket of the test's.
fn udp_with_a_remote() -> (egui_kittest::Harness<'static, netpal::App>, UdpSocket) {
    let r = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut h = harness();
    open_udp(&mut h);
    set_field(&mut h, "Remote host", "127.0.0.1");
    set_field(
        &mut h,
        "Remote port",
        &r.local_addr().unwrap().port().to_string(),
    );
    (h, r)
}

/// Over UDP an empty box with a line ending to add sends nothing (an
/// empty datagram goes only when nothing at all is asked for).
#[test]
fn an_empty_box_with_a_line_ending_sends_no_datagram() {
    let (mut h, r) = udp_with_a_remote();
    choose(&mut h, "Append", "\\r\\n");
    set_field(&mut h, "Data to send", "");
    click(&mut h, "Send");
    wait_for_text(&mut h, "Nothing to send");
    set_field(&mut h, "Data to send", "x");
    click(&mut h, "Send");
    assert_eq!(recv_while_stepping(&mut h, &r), b"x\r\n");
    wait_for_text(&mut h, "TX 3 bytes / 1 packets");
}

#[test]
fn an_empty_send_is_an_empty_datagram() {
    let (mut h, r) = udp_with_a_remote();
    set_field(&mut h, "Data to send", "");
    click(&mut h, "Send");
    assert_eq!(recv_while_stepping(&mut h, &r), b"");
    wait_for_text(&mut h, "TX 0 bytes / 1 packets");
}

/// Split and join over UDP, by clicking: "hello" split a byte each goes
/// as five datagrams, a gap apart; three sends joined go as one datagram.
#[test]
fn a_udp_send_splits_into_datagrams_and_joins_into_one() {
    let (mut h, r) = udp_with_a_remote();
    set_field(&mut h, "Split each send", "1/30ms");
    set_field(&mut h, "Data to send", "hello");
    click(&mut h, "Send");
    let mut got = Vec::new();
    let mut times = Vec::new();
    while got.len() < 5 {
        got.push(recv_while_stepping(&mut h, &r));
        times.push(Instant::now());
    }
    assert_eq!(got, [b"h", b"e", b"l", b"l", b"o"].map(|b| b.to_vec()));
    // The gap is kept: the last piece comes at least 4 gaps after the first.
    let spread = times[4] - times[0];
    assert!(spread >= Duration::from_millis(110), "{spread:?}");
    wait_for_text(&mut h, "TX 5 bytes / 5 packets");

    set_field(&mut h, "Split each send", "");
    set_field(&mut h, "Join sends", "3");
    for m in ["one;", "two;"] {
        set_field(&mut h, "Data to send", m);
        click(&mut h, "Send");
    }
    // Two sends are held for the third.
    r.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    let mut buf = [0u8; 64];
    for _ in 0..20 {
        h.step();
        assert!(r.recv_from(&mut buf).is_err(), "sent before the third send");
    }
    set_field(&mut h, "Data to send", "six;");
    click(&mut h, "Send");
    assert_eq!(recv_while_stepping(&mut h, &r), b"one;two;six;");
    wait_for_text(&mut h, "TX 17 bytes / 6 packets");
}

/// A periodic send joined three at a time over UDP still ends: its last
/// two sends go as one datagram rather than waiting for a third.
#[test]
fn a_joined_periodic_udp_send_ends_with_what_it_holds() {
    let (mut h, r) = udp_with_a_remote();
    set_field(&mut h, "Join sends", "3");
    set_field(&mut h, "Data to send", "t;");
    open_section(&mut h, "Periodic send");
    set_field(&mut h, "Interval (ms)", "20");
    set_field(&mut h, "Count", "5");
    click(&mut h, "Start");
    assert_eq!(recv_while_stepping(&mut h, &r), b"t;t;t;");
    assert_eq!(recv_while_stepping(&mut h, &r), b"t;t;");
    wait_for_text(&mut h, "Done: 5 sends");
}
