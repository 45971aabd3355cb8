//! Helpers for driving the real App headless with egui_kittest.
#![allow(dead_code)]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use netpal::ui::i18n::Lang;
use netpal::{App, StartOptions};
use std::time::{Duration, Instant};

pub const DEADLINE: Duration = Duration::from_secs(10);

pub fn harness() -> Harness<'static, App> {
    harness_with(StartOptions {
        lang: Some(Lang::En),
        open: None,
    })
}

pub fn harness_with(opts: StartOptions) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(cc, opts))
}

/// Steps the UI until `cond` holds, failing with `what` after a deadline.
pub fn wait_for(
    h: &mut Harness<'static, App>,
    what: &str,
    mut cond: impl FnMut(&Harness<'static, App>) -> bool,
) {
    let start = Instant::now();
    loop {
        h.step();
        if cond(h) {
            // One more frame so the UI shows what the state now holds.
            h.step();
            return;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until a widget or text containing `text` is shown.
pub fn wait_for_text(h: &mut Harness<'static, App>, text: &str) {
    let t = text.to_string();
    wait_for(h, &format!("text {text:?}"), move |h| {
        h.query_all_by_label_contains(&t).next().is_some()
    });
}

/// Steps the UI while reading exactly `n` bytes from a peer socket.
pub fn read_n(h: &mut Harness<'static, App>, conn: &mut impl std::io::Read, n: usize) -> Vec<u8> {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < n {
        h.step();
        match conn.read(&mut buf[..(n - out.len()).min(4096)]) {
            Ok(0) => panic!("peer closed after {} of {n} bytes", out.len()),
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("read failed: {e}"),
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out reading {n} bytes, got {out:?}"
        );
    }
    out
}

/// Replaces the content of the text field named `label`.
pub fn set_field(h: &mut Harness<'static, App>, label: &str, text: &str) {
    let role = if label == "Data to send" {
        Role::MultilineTextInput
    } else {
        Role::TextInput
    };
    h.get_by_role_and_label(role, label).click();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.step();
    h.key_press(egui::Key::Backspace);
    h.step();
    h.get_by_role_and_label(role, label).type_text(text);
    h.step();
    h.step();
}

/// Picks `item` in the drop-down named `combo`.
pub fn choose(h: &mut Harness<'static, App>, combo: &str, item: &str) {
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    h.step();
    h.step();
    h.get_by_role_and_label(Role::Button, item).click();
    h.step();
    h.step();
}

pub fn click(h: &mut Harness<'static, App>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).click();
    h.step();
}

/// The text of the first label that contains `prefix`.
pub fn label_text(h: &Harness<'static, App>, prefix: &str) -> Option<String> {
    h.query_by_label_contains(prefix).and_then(|n| {
        let node = n.accesskit_node();
        // A Label keeps its text in `value`; other widgets in `label`.
        node.value().or_else(|| node.label())
    })
}

/// Reads the port from a label such as "Bound to: 127.0.0.1:40000".
pub fn shown_port(h: &Harness<'static, App>, prefix: &str) -> u16 {
    let text = label_text(h, prefix).unwrap_or_else(|| panic!("no label with {prefix:?}"));
    text.rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {text:?}"))
}

/// Opens a TCP client session to 127.0.0.1:`port` by clicking.
pub fn open_client(h: &mut Harness<'static, App>, port: u16) {
    choose(h, "Protocol", "TCP Client");
    set_field(h, "Remote host", "127.0.0.1");
    set_field(h, "Remote port", &port.to_string());
    click(h, "Open");
}

/// Chooses `protocol` on 127.0.0.1 with local port `port` and clicks Open.
pub fn open_local(h: &mut Harness<'static, App>, protocol: &str, port: &str) {
    choose(h, "Protocol", protocol);
    choose(h, "Local address", "127.0.0.1");
    set_field(h, "Local port", port);
    click(h, "Open");
}

/// Opens a TCP server on 127.0.0.1 with an OS-chosen port; returns the
/// bound port the app shows.
pub fn open_server(h: &mut Harness<'static, App>) -> u16 {
    open_local(h, "TCP Server", "0");
    wait_for_text(h, "Bound to:");
    shown_port(h, "Bound to:")
}

/// Opens a UDP session on 127.0.0.1 with an OS-chosen port and no remote;
/// returns the bound port the app shows.
pub fn open_udp(h: &mut Harness<'static, App>) -> u16 {
    choose(h, "Protocol", "UDP");
    set_field(h, "Remote host", "");
    set_field(h, "Remote port", "");
    open_local(h, "UDP", "0");
    wait_for_text(h, "Bound to:");
    shown_port(h, "Bound to:")
}

/// A harness whose TCP client is connected to a test server on 127.0.0.1;
/// returns the server's end of the connection too.
pub fn connected_client() -> (
    Harness<'static, App>,
    std::net::TcpStream,
    std::net::SocketAddr,
) {
    let server = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().expect("addr").port();
    let mut h = harness();
    open_client(&mut h, port);
    let (conn, client) = accept_within(&mut h, &server);
    wait_for_text(&mut h, "Local end:");
    (h, conn, client)
}

/// Accepts one connection while stepping the UI, failing after a deadline
/// instead of hanging.
pub fn accept_within(
    h: &mut Harness<'static, App>,
    l: &std::net::TcpListener,
) -> (std::net::TcpStream, std::net::SocketAddr) {
    l.set_nonblocking(true).expect("nonblocking");
    let start = Instant::now();
    loop {
        h.step();
        match l.accept() {
            Ok((c, a)) => {
                c.set_nonblocking(false).expect("blocking");
                return (c, a);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        assert!(start.elapsed() < DEADLINE, "the app never connected");
        std::thread::sleep(Duration::from_millis(2));
    }
}
