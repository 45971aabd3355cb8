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
        open: Vec::new(),
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
        if start.elapsed() >= DEADLINE {
            panic!(
                "timed out waiting for: {what}\nshown: {:?}",
                shown_labels(h)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every label and value shown, for failure messages.
pub fn shown_labels(h: &Harness<'static, App>) -> Vec<String> {
    h.query_all_by(|_| true)
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Waits until a widget or text containing `text` is shown.
pub fn wait_for_text(h: &mut Harness<'static, App>, text: &str) {
    let t = text.to_string();
    wait_for(h, &format!("text {text:?}"), move |h| {
        h.query_all_by_label_contains(&t).next().is_some()
    });
}

/// Waits until the log shows `text`, which a narrow pane may have wrapped
/// over several rows (between words).
pub fn wait_for_log_text(h: &mut Harness<'static, App>, text: &str) {
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let want = words(text);
    wait_for(h, &format!("log text {text:?}"), move |h| {
        // A row is a label and a text run of the same words: once each.
        let mut rows = shown_labels(h);
        rows.dedup();
        words(&rows.join(" ")).contains(&want)
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
    reveal(h, label);
    let role = if h
        .query_by_role_and_label(Role::MultilineTextInput, label)
        .is_some()
    {
        Role::MultilineTextInput
    } else {
        Role::TextInput
    };
    h.get_by_role_and_label(role, label).scroll_to_me();
    settle(h);
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

/// Scrolls the settings column (the left one of the only or first pane)
/// until a widget named `label` is there, as a user scrolls to find it:
/// the column lays out only what can be seen. Down first, then up.
pub fn reveal(h: &mut Harness<'static, App>, label: &str) {
    let found = |h: &Harness<'static, App>| h.query_all_by_label(label).next().is_some();
    if found(h) {
        return;
    }
    h.event(egui::Event::PointerMoved(egui::pos2(100.0, 420.0)));
    for delta in [-150.0, 150.0] {
        for _ in 0..60 {
            h.event(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, delta),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::NONE,
            });
            h.step();
            if found(h) {
                settle(h);
                return;
            }
        }
    }
}

/// Steps a few frames so a scroll (animated) ends before a click.
pub fn settle(h: &mut Harness<'static, App>) {
    for _ in 0..8 {
        h.step();
    }
}

/// Picks `item` in the drop-down named `combo`.
pub fn choose(h: &mut Harness<'static, App>, combo: &str, item: &str) {
    reveal(h, combo);
    h.get_by_role_and_label(Role::ComboBox, combo)
        .scroll_to_me();
    settle(h);
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    h.step();
    h.step();
    h.get_by_role_and_label(Role::Button, item).click();
    h.step();
    h.step();
}

/// Storage in memory, for saving and restoring the app.
#[derive(Default)]
pub struct MemStorage(pub std::collections::HashMap<String, String>);

impl eframe::Storage for MemStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// Saves `h`'s app, as eframe does when the window closes.
pub fn save(h: &mut Harness<'static, App>) -> MemStorage {
    use eframe::App as _;
    let mut storage = MemStorage::default();
    h.state_mut().save(&mut storage);
    storage
}

/// A new app started from `storage`, as at the next start.
pub fn restart(storage: MemStorage, opts: StartOptions) -> Harness<'static, App> {
    let storage: &'static MemStorage = Box::leak(Box::new(storage));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            cc.storage = Some(storage);
            App::new(cc, opts)
        });
    h.step();
    h
}

/// Clicks the tab whose title contains `title`.
pub fn click_tab(h: &mut Harness<'static, App>, title: &str) {
    h.get_by(|n| {
        n.role() == Role::Button
            && n.label()
                .is_some_and(|l| l.starts_with("● ") && l.contains(title))
    })
    .click();
    h.step();
    h.step();
}

/// Adds a session in a new tab with the toolbar's button.
pub fn new_tab(h: &mut Harness<'static, App>) {
    click(h, "+ New session");
    h.step();
}

/// Clicks the button named `label`, scrolling it into view first as a
/// user would.
pub fn click(h: &mut Harness<'static, App>, label: &str) {
    reveal(h, label);
    h.get_by_role_and_label(Role::Button, label).scroll_to_me();
    settle(h);
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

/// Waits until the line `prefix` ("Bound to:", "Local end:") shows an
/// address (it reads "—" while closed) and returns its port.
pub fn wait_bound(h: &mut Harness<'static, App>, prefix: &str) -> u16 {
    wait_for(h, &format!("an address after {prefix:?}"), |h| {
        label_text(h, prefix).is_some_and(|t| !t.trim_end().ends_with('—'))
    });
    shown_port(h, prefix)
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
    wait_bound(h, "Bound to:")
}

/// Opens a UDP session on 127.0.0.1 with an OS-chosen port and no remote;
/// returns the bound port the app shows.
pub fn open_udp(h: &mut Harness<'static, App>) -> u16 {
    choose(h, "Protocol", "UDP");
    set_field(h, "Remote host", "");
    set_field(h, "Remote port", "");
    open_local(h, "UDP", "0");
    wait_bound(h, "Bound to:")
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

/// Waits for EOF on `s` while stepping the UI.
pub fn wait_eof(h: &mut Harness<'static, App>, s: &mut std::net::TcpStream) {
    let start = Instant::now();
    let mut buf = [0u8; 64];
    loop {
        h.step();
        match std::io::Read::read(s, &mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("unexpected error {e}"),
        }
        assert!(start.elapsed() < DEADLINE, "no EOF");
    }
}

/// Opens the toolkit section named `title` (they start folded).
pub fn open_section(h: &mut Harness<'static, App>, title: &str) {
    reveal(h, title);
    h.get_by_label(title).scroll_to_me();
    settle(h);
    h.get_by_label(title).click();
    h.step();
    h.step();
}

/// Reads from `conn` while stepping the UI until `done` says the bytes so
/// far are enough, failing after a deadline.
pub fn read_until(
    h: &mut Harness<'static, App>,
    conn: &mut std::net::TcpStream,
    mut done: impl FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !done(&out) {
        h.step();
        match std::io::Read::read(conn, &mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("read failed: {e}"),
        }
        assert!(
            start.elapsed() < DEADLINE * 3,
            "timed out after {} bytes; shown: {:?}",
            out.len(),
            shown_labels(h)
        );
    }
    out
}

/// Ticks or unticks the checkbox named `label`, scrolled into view first.
pub fn click_checkbox(h: &mut Harness<'static, App>, label: &str) {
    reveal(h, label);
    h.get_by_role_and_label(Role::CheckBox, label)
        .scroll_to_me();
    settle(h);
    h.get_by_role_and_label(Role::CheckBox, label).click();
    h.step();
}

/// Picks the radio button named `label`, scrolled into view first.
pub fn click_radio(h: &mut Harness<'static, App>, label: &str) {
    reveal(h, label);
    h.get_by_role_and_label(Role::RadioButton, label)
        .scroll_to_me();
    settle(h);
    h.get_by_role_and_label(Role::RadioButton, label).click();
    h.step();
}

/// A fresh path in a folder of its own for this test process and name.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netpal-测试-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A file of `len` bytes with no repeating pattern (so a lost or repeated
/// piece shows), in a folder of its own; returns its path and bytes.
pub fn temp_file(name: &str, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let path = temp_path(name);
    // Not a repeating pattern, so a lost or repeated chunk shows.
    let mut x: u32 = 2463534242;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

/// Whether the send box's Send button is disabled.
pub fn send_disabled(h: &Harness<'static, App>) -> bool {
    h.get_by_role_and_label(Role::Button, "Send")
        .accesskit_node()
        .is_disabled()
}

/// Whether the test runs under Wine (tests/windows/wine-runner.sh says so),
/// where a few system behaviours differ from Windows; a test that meets one
/// says so and skips.
pub fn under_wine() -> bool {
    std::env::var_os("NETPAL_UNDER_WINE").is_some()
}
