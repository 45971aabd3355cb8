//! Many sessions in one window: tabs, each with its own socket and log;
//! closing, renaming, saving and restoring them; several `--open`.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use netpal::net::OpenSpec;
use netpal::ui::i18n::Lang;
use netpal::{App, StartOptions};
use std::net::TcpListener;
use std::time::Duration;

/// Whether any shown text contains `text`.
fn shows(h: &Harness<'static, App>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Types `text` into the shown session's send box and clicks Send.
fn send(h: &mut Harness<'static, App>, text: &str) {
    set_field(h, "Data to send", text);
    click(h, "Send");
}

/// Opens a TCP client in a new tab, connected to the server tab on `port`.
fn client_tab(h: &mut Harness<'static, App>, port: u16) {
    new_tab(h);
    open_client(h, port);
    wait_for_text(h, "● Connected");
}

#[test]
fn a_server_tab_and_a_client_tab_talk_and_keep_their_own_logs() {
    let mut h = harness();
    let port = open_server(&mut h);
    client_tab(&mut h, port);
    wait_for_text(&mut h, "2 of 2 sessions open");
    send(&mut h, "hello from the client tab");
    wait_for_text(&mut h, "TX 25 bytes / 1 packets");

    // The server tab got it; the client's own notes are not in its log.
    let server_tab = format!("TCP Server 127.0.0.1:{port}");
    click_tab(&mut h, &server_tab);
    wait_for_text(&mut h, "hello from the client tab");
    wait_for_text(&mut h, "Clients (1)");
    assert!(!shows(&h, "Connected to 127.0.0.1"), "a client note leaked");
    send(&mut h, "hello from the server tab");
    wait_for_text(&mut h, "TX 25 bytes / 1 packets");

    // While the server tab is shown, the client tab counts what it missed.
    wait_for(&mut h, "the client tab counts unseen records", |h| {
        shows(h, "→ 127.0.0.1:") && shows(h, "new)")
    });
    click_tab(&mut h, &format!("→ 127.0.0.1:{port}"));
    wait_for_text(&mut h, "hello from the server tab");
    assert!(!shows(&h, "Client connected:"), "a server note leaked");
    assert!(!shows(&h, "new)"), "seen records still counted as new");
}

#[test]
fn three_client_tabs_are_served_by_one_server_tab() {
    let mut h = harness();
    let port = open_server(&mut h);
    for i in 0..3 {
        client_tab(&mut h, port);
        send(&mut h, &format!("client number {i}"));
        wait_for_text(&mut h, "TX 15 bytes / 1 packets");
    }
    wait_for_text(&mut h, "4 of 4 sessions open");
    click_tab(&mut h, &format!("TCP Server 127.0.0.1:{port}"));
    wait_for_text(&mut h, "Clients (3)");
    for i in 0..3 {
        wait_for_text(&mut h, &format!("client number {i}"));
    }
    send(&mut h, "to all three");
    wait_for_text(&mut h, "TX 36 bytes / 3 packets");
    // Each client tab shows the reply in its own log.
    let titles: Vec<String> = h
        .get_all_by_role(Role::Button)
        .filter_map(|n| n.accesskit_node().label())
        .filter(|l| l.starts_with("● TCP Client"))
        .collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    for t in titles {
        let title = t
            .trim_start_matches("● ")
            .split("  (")
            .next()
            .unwrap_or("")
            .to_string();
        click_tab(&mut h, &title);
        wait_for_text(&mut h, "to all three");
        wait_for_text(&mut h, "RX 12 bytes / 1 packets");
    }
}

#[test]
fn closing_a_tab_closes_its_socket() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut h = harness();
    new_tab(&mut h);
    open_client(&mut h, port);
    let (mut conn, _) = accept_within(&mut h, &l);
    wait_for_text(&mut h, "● Connected");
    wait_for_text(&mut h, "1 of 2 sessions open");
    let to = format!("→ 127.0.0.1:{port}");
    let close = |n: &egui_kittest::kittest::AccessKitNode<'_>| {
        n.label()
            .is_some_and(|l| l.starts_with("Close tab TCP Client :") && l.ends_with(&to))
    };
    h.get_by(close).click();
    h.step();
    // The peer sees the connection end, and the UI did not wait for it.
    conn.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    wait_eof(&mut h, &mut conn);
    wait_for_text(&mut h, "0 of 1 sessions open");
    assert!(h.query_by(close).is_none());
}

#[test]
fn ctrl_t_adds_a_tab_and_ctrl_w_closes_the_focused_one() {
    let mut h = harness();
    wait_for_text(&mut h, "0 of 1 sessions open");
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::T]);
    h.step();
    wait_for_text(&mut h, "0 of 2 sessions open");
    choose(&mut h, "Protocol", "UDP");
    wait_for_text(&mut h, "● UDP 0.0.0.0:8080");
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::W]);
    h.step();
    wait_for_text(&mut h, "0 of 1 sessions open");
    assert!(
        !shows(&h, "● UDP"),
        "the focused tab was not the one closed"
    );
}

/// Tabs as in a browser on Windows: Ctrl+Tab and Ctrl+PageDown go to the
/// next tab, round to the first; Ctrl+Shift+Tab and Ctrl+PageUp back;
/// Ctrl+F4 closes the focused one.
#[test]
fn ctrl_tab_goes_round_the_tabs_and_ctrl_f4_closes_one() {
    use egui::{Key, Modifiers};
    let mut h = harness();
    wait_for_text(&mut h, "0 of 1 sessions open");
    let shown = |h: &egui_kittest::Harness<'static, netpal::App>| {
        h.state().focused().unwrap().settings.protocol
    };
    let first = shown(&h);
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::T]);
    h.step();
    wait_for_text(&mut h, "0 of 2 sessions open");
    choose(&mut h, "Protocol", "UDP");
    wait_for_text(&mut h, "● UDP 0.0.0.0:8080");
    assert_eq!(shown(&h), netpal::net::Protocol::Udp);
    let press = |h: &mut egui_kittest::Harness<'static, netpal::App>, m, k| {
        h.key_combination_modifiers(m, &[k]);
        h.step();
        h.step();
        shown(h)
    };
    // The new tab is the last: the next one is the first again.
    assert_eq!(press(&mut h, Modifiers::COMMAND, Key::Tab), first);
    assert_eq!(
        press(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::Tab),
        netpal::net::Protocol::Udp
    );
    assert_eq!(press(&mut h, Modifiers::COMMAND, Key::PageDown), first);
    assert_eq!(
        press(&mut h, Modifiers::COMMAND, Key::PageUp),
        netpal::net::Protocol::Udp
    );
    // The UDP tab is focused: Ctrl+F4 closes it, the first one is left.
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::F4]);
    h.step();
    wait_for_text(&mut h, "0 of 1 sessions open");
    assert!(
        !shows(&h, "● UDP"),
        "the focused tab was not the one closed"
    );
    assert_eq!(shown(&h), first);
}

/// Closing the tab on the right shows the one beside it, not the first.
#[test]
fn closing_a_tab_shows_its_neighbour() {
    use egui::{Key, Modifiers};
    let mut h = harness();
    wait_for_text(&mut h, "0 of 1 sessions open");
    choose(&mut h, "Protocol", "TCP Client");
    for (n, protocol) in [(2, "UDP"), (3, "TCP Server")] {
        h.key_combination_modifiers(Modifiers::COMMAND, &[Key::T]);
        h.step();
        wait_for_text(&mut h, &format!("0 of {n} sessions open"));
        choose(&mut h, "Protocol", protocol);
    }
    let shown = |h: &egui_kittest::Harness<'static, netpal::App>| {
        h.state().focused().unwrap().settings.protocol
    };
    assert_eq!(shown(&h), netpal::net::Protocol::TcpServer);
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::W]);
    h.step();
    wait_for_text(&mut h, "0 of 2 sessions open");
    assert_eq!(shown(&h), netpal::net::Protocol::Udp, "not the neighbour");
}

#[test]
fn tabs_names_layout_and_settings_come_back_closed() {
    let mut h = harness();
    let port = open_server(&mut h);
    // Rename the server tab from its menu (a double-click does the same).
    let tab = format!("● TCP Server 127.0.0.1:{port}");
    h.get_by_label_contains(&tab).click_secondary();
    h.step();
    h.step();
    click(&mut h, "Rename");
    h.step();
    set_field(&mut h, "Tab name", "Device under test");
    h.key_press(egui::Key::Enter);
    h.step();
    wait_for_text(&mut h, "● Device under test");
    // A second tab: a UDP socket on its own port.
    new_tab(&mut h);
    choose(&mut h, "Protocol", "UDP");
    set_field(&mut h, "Local port", "9555");
    // Duplicate it: the copy has the same form.
    click(&mut h, "Duplicate");
    wait_for_text(&mut h, "1 of 3 sessions open");
    // All three side by side.
    click(&mut h, "Side by side");
    h.run_steps(2);
    assert_eq!(h.get_all_by_role_and_label(Role::Button, "Open").count(), 2);

    let mut h = restart(
        save(&mut h),
        StartOptions {
            lang: Some(Lang::En),
            open: Vec::new(),
        },
    );
    wait_for_text(&mut h, "0 of 3 sessions open");
    wait_for_text(&mut h, "● Device under test");
    let udp_tabs = h
        .get_all_by_role(Role::Button)
        .filter_map(|n| n.accesskit_node().label())
        .filter(|l| l == "● UDP 0.0.0.0:9555")
        .count();
    assert_eq!(udp_tabs, 2);
    // Still side by side: every session's form is on screen.
    assert_eq!(h.get_all_by_role_and_label(Role::Button, "Open").count(), 3);
    let mut ports: Vec<String> = h
        .get_all_by_role_and_label(Role::TextInput, "Local port")
        .filter_map(|n| n.value())
        .collect();
    ports.sort();
    assert_eq!(ports, ["0", "9555", "9555"]);
    click_tab(&mut h, "Device under test");
    wait_for_text(&mut h, "● Closed");
}

/// Two clicks on `label` 0.1 s apart from time `t` (far from any earlier
/// click, so they make a double and not a triple).
fn double_click_at(h: &mut Harness<'static, App>, label: &str, t: f64) {
    for t in [t, t + 0.1] {
        h.get_by_label(label).click();
        h.input_mut().time = Some(t);
        h.step();
    }
    h.step();
}

#[test]
fn double_clicking_a_tab_renames_it() {
    let mut h = harness();
    let tab = "● TCP Client → 127.0.0.1:8080";
    wait_for_text(&mut h, tab);
    double_click_at(&mut h, tab, 100.0);
    set_field(&mut h, "Tab name", "Renamed by double-click");
    h.key_press(egui::Key::Enter);
    h.step();
    wait_for_text(&mut h, "● Renamed by double-click");
    // Escape gives up a rename.
    double_click_at(&mut h, "● Renamed by double-click", 200.0);
    set_field(&mut h, "Tab name", "Not this");
    h.key_press(egui::Key::Escape);
    h.step();
    wait_for_text(&mut h, "● Renamed by double-click");
}

#[test]
fn dragging_a_tab_to_the_side_splits_the_window() {
    let mut h = harness();
    new_tab(&mut h);
    h.run_steps(2);
    // Two tabs in one group: one form on screen.
    assert_eq!(h.get_all_by_role_and_label(Role::Button, "Open").count(), 1);
    let tabs: Vec<egui::Rect> = h
        .get_all_by_role(Role::Button)
        .filter(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("● TCP Client"))
        })
        .map(|n| n.rect())
        .collect();
    let tab = *tabs.last().expect("the second tab");
    let from = tab.center();
    // The right edge of the window's content, halfway down.
    let to = egui::pos2(1240.0, 400.0);
    let press = |pressed| egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    h.event(egui::Event::PointerMoved(from));
    h.event(press(true));
    h.step();
    for i in 1..=10 {
        let t = i as f32 / 10.0;
        h.event(egui::Event::PointerMoved(from + (to - from) * t));
        h.step();
    }
    h.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(3);
    // Both forms on screen now: the tab became a pane beside the other.
    assert_eq!(h.get_all_by_role_and_label(Role::Button, "Open").count(), 2);
}

#[test]
fn a_damaged_saved_layout_keeps_the_sessions() {
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Server");
    set_field(&mut h, "Local port", "9777");
    let mut storage = save(&mut h);
    storage
        .0
        .insert("netpal.layout".into(), "(this is not a layout".into());
    let mut h = restart(storage, StartOptions::default());
    wait_for_text(&mut h, "TCP Server 0.0.0.0:9777");

    // Nothing readable at all: a fresh start with one session.
    let mut storage = MemStorage::default();
    for key in ["netpal.settings", "netpal.sessions", "netpal.layout"] {
        storage.0.insert(key.into(), "\u{0}garbage".into());
    }
    let mut h = restart(storage, StartOptions::default());
    h.run_steps(2);
    assert_eq!(h.state().sessions().count(), 1);
}

#[test]
fn two_open_options_give_two_live_sessions() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = OpenSpec::parse(&format!("tcp-server:127.0.0.1:{port}")).unwrap();
    let client = OpenSpec::parse(&format!("tcp-client:127.0.0.1:{port}")).unwrap();
    let mut h = harness_with(StartOptions {
        lang: Some(Lang::En),
        open: vec![server, client],
    });
    // The server listens before the client tries: a connected pair.
    wait_for_text(&mut h, "2 of 2 sessions open");
    wait_for_text(&mut h, "● TCP Client :");
    click_tab(&mut h, &format!("TCP Server 127.0.0.1:{port}"));
    wait_for_text(&mut h, "Clients (1)");
    click_tab(&mut h, &format!("→ 127.0.0.1:{port}"));
    wait_for_text(&mut h, "● Connected");
}

#[test]
fn a_note_keeps_its_words_when_the_form_changes() {
    let mut h = harness();
    let port = open_server(&mut h);
    wait_for_text(&mut h, &format!("Listening on 127.0.0.1:{port}"));
    click(&mut h, "Close");
    wait_for_text(&mut h, "● Closed");
    choose(&mut h, "Protocol", "UDP");
    h.run_steps(2);
    assert!(shows(&h, &format!("Listening on 127.0.0.1:{port}")));
    assert!(!shows(&h, &format!("Bound to 127.0.0.1:{port}")));
}

#[test]
fn send_box_errors_read_in_chinese_in_the_chinese_ui() {
    let mut h = harness_with(StartOptions {
        lang: Some(Lang::Zh),
        open: Vec::new(),
    });
    h.get_by_label("按十六进制发送").click();
    h.step();
    set_field(&mut h, "发送数据", "41 4G");
    wait_for_text(&mut h, "十六进制格式错误: 第 5 个字符 'G' 不是十六进制数字");
    h.get_by_label("按十六进制发送").click();
    h.step();
    choose(&mut h, "字符编码", "GBK");
    set_field(&mut h, "发送数据", "abő");
    wait_for_text(&mut h, "无法编码: 第 3 个字符 'ő' 无法用 GBK 编码");
}

#[test]
fn the_dropped_records_notice_names_both_limits() {
    let mut h = harness();
    let port = open_udp(&mut h);
    h.state_mut().settings.total_log_cap_mib = 1;
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let big = vec![b'z'; 60_000];
    for _ in 0..40 {
        peer.send_to(&big, ("127.0.0.1", port)).unwrap();
        h.step();
    }
    wait_for_text(
        &mut h,
        "dropped to keep this log under 64.0 MiB and all logs under 1.0 MiB",
    );
}

#[test]
fn a_grid_of_small_panes_shows_each_log_with_a_send_line() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A port in use, for a session that cannot open.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().port();
    let mut open = vec![
        OpenSpec::parse(&format!("tcp-server:127.0.0.1:{port}")).unwrap(),
        OpenSpec::parse(&format!("tcp-client:127.0.0.1:{port}")).unwrap(),
        OpenSpec::parse(&format!("tcp-server:127.0.0.1:{busy}")).unwrap(),
    ];
    for _ in 0..6 {
        open.push(OpenSpec::parse("udp:127.0.0.1:0").unwrap());
    }
    let mut h = harness_with(StartOptions {
        lang: Some(Lang::En),
        open,
    });
    wait_for_text(&mut h, "8 of 9 sessions open");
    click(&mut h, "Grid");
    h.run_steps(2);
    // Nine panes of a 1280x800 window: each has its bar, log and send
    // line, and no settings column.
    assert_eq!(
        h.get_all_by_role_and_label(Role::Button, "Settings…")
            .count(),
        9
    );
    assert_eq!(
        h.query_all_by_role_and_label(Role::TextInput, "Local port")
            .count(),
        0
    );
    // The session that could not open says why in its pane.
    wait_for_text(&mut h, "already in use");

    // The client's send line (panes come in the order they were opened):
    // Enter sends, and the line keeps the focus for the next line.
    let line = |h: &Harness<'static, App>, i: usize| {
        h.get_all_by_role_and_label(Role::TextInput, "Data to send")
            .nth(i)
            .expect("a send line")
            .accesskit_node()
            .id()
    };
    let client_line = line(&h, 1);
    h.get_by(|n| n.id() == client_line).click();
    h.step();
    h.get_by(|n| n.id() == client_line)
        .type_text("ping from a small pane");
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    wait_for_text(&mut h, "TX 22 B");
    h.key_press(egui::Key::Enter);
    wait_for_text(&mut h, "TX 44 B");
    wait_for_text(&mut h, "RX 44 B");
    // The server answers from its own line with its Send button.
    let server_line = line(&h, 0);
    h.get_by(|n| n.id() == server_line).click();
    h.step();
    h.get_by(|n| n.id() == server_line).type_text("pong");
    h.step();
    h.get_all_by_role_and_label(Role::Button, "Send")
        .next()
        .expect("the server's Send")
        .click();
    wait_for_text(&mut h, "RX 4 B");

    // Everything else of a session is one click away, and back.
    h.get_all_by_role_and_label(Role::Button, "Settings…")
        .nth(1)
        .expect("the client's Settings")
        .click();
    h.run_steps(2);
    let remote = h
        .get_by_role_and_label(Role::TextInput, "Remote port")
        .value();
    assert_eq!(remote.as_deref(), Some(port.to_string().as_str()));
    click(&mut h, "Compact view");
    h.run_steps(2);
    assert!(
        h.query_by_role_and_label(Role::TextInput, "Remote port")
            .is_none()
    );
    drop(taken);
}

#[test]
fn a_field_scrolled_out_of_sight_keeps_its_focus_and_text() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 560.0))
        .build_eframe(|cc| {
            App::new(
                cc,
                StartOptions {
                    lang: Some(Lang::En),
                    open: Vec::new(),
                },
            )
        });
    h.step();
    set_field(&mut h, "Remote port", "12");
    // The settings column is scrolled to its end, far past the field.
    let port = h.get_by_role_and_label(Role::TextInput, "Remote port");
    let at = port.rect().center();
    h.event(egui::Event::PointerMoved(egui::pos2(
        at.x as f32,
        at.y as f32,
    )));
    for _ in 0..20 {
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -400.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    settle(&mut h);
    // The column's last section is in view now.
    assert!(h.query_by_label("Traffic generator").is_some());
    // Typing still goes to the field.
    h.get_by_role_and_label(Role::TextInput, "Remote port")
        .type_text("34");
    h.step();
    h.step();
    let value = h
        .get_by_role_and_label(Role::TextInput, "Remote port")
        .value();
    assert_eq!(value.as_deref(), Some("1234"));
}

/// A tab the command line opened is for that run only, until the user
/// changes it: then what was added to it (a quick command here) is kept.
#[test]
fn an_open_tab_the_user_changed_is_kept() {
    let spec = || OpenSpec::parse("udp:127.0.0.1:0").unwrap();
    let opts = || StartOptions {
        lang: Some(Lang::En),
        open: vec![spec()],
    };
    // Untouched: not saved.
    let mut h = harness_with(opts());
    wait_for_text(&mut h, "1 of 1 sessions open");
    h.run_steps(10);
    let h2 = restart(save(&mut h), StartOptions::default());
    assert!(
        !shows(&h2, "UDP 127.0.0.1"),
        "an untouched --open tab was saved"
    );

    // Changed: a quick command added to it survives the next start.
    let mut h = harness_with(opts());
    wait_for_text(&mut h, "1 of 1 sessions open");
    set_field(&mut h, "Data to send", "hello");
    open_section(&mut h, "Quick commands");
    click(&mut h, "Add");
    set_field(&mut h, "Name", "greet");
    click(&mut h, "Done");
    h.run_steps(2);
    let mut h2 = restart(save(&mut h), StartOptions::default());
    wait_for_text(&mut h2, "UDP 127.0.0.1");
    open_section(&mut h2, "Quick commands");
    h2.get_by_role_and_label(Role::Button, "greet");
}

/// Controls stay where they are when a session opens or closes and when a
/// send tool starts and ends: the spot clicked next hits what it hit before.
#[test]
fn controls_do_not_move_when_a_session_opens_or_a_tool_runs() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut h = harness();
    // Tall enough for the whole settings column to be laid out.
    h.set_size(egui::vec2(1280.0, 2400.0));
    h.run_steps(2);
    choose(&mut h, "Protocol", "TCP Client");
    set_field(&mut h, "Remote host", "127.0.0.1");
    set_field(&mut h, "Remote port", &port.to_string());
    set_field(&mut h, "Data to send", "tick;");
    open_section(&mut h, "Periodic send");
    set_field(&mut h, "Interval (ms)", "20");
    set_field(&mut h, "Count", "5");
    settle(&mut h);
    let place = |h: &Harness<'static, App>| {
        [
            h.get_by_label("Socket options").rect(),
            h.get_by_label("Rate chart").rect(),
            h.get_by_label("Quick commands").rect(),
        ]
    };
    let closed = place(&h);
    click(&mut h, "Open");
    let (_conn, _) = accept_within(&mut h, &listener);
    wait_for_text(&mut h, "● Connected");
    settle(&mut h);
    assert_eq!(place(&h), closed, "opening moved the controls");
    click(&mut h, "Start");
    wait_for_text(&mut h, "sent ");
    assert_eq!(place(&h), closed, "a running tool moved the controls");
    wait_for_text(&mut h, "Done: 5 sends");
    assert_eq!(place(&h), closed, "a tool's end moved the controls");
    click(&mut h, "Close");
    wait_for_text(&mut h, "● Closed");
    settle(&mut h);
    assert_eq!(place(&h), closed, "closing moved the controls");
}

/// Three sessions side by side in 1400 px: a note wraps between words, so
/// no address is cut in two, and a UDP peer's row stays inside its pane.
#[test]
fn narrow_panes_never_cut_an_address_and_keep_peer_rows_inside() {
    let udp = || OpenSpec::parse("udp:127.0.0.1:0").unwrap();
    let server = OpenSpec::parse("tcp-server:127.0.0.1:0").unwrap();
    let mut h = harness_with(StartOptions {
        lang: Some(Lang::En),
        open: vec![udp(), server, udp()],
    });
    h.set_size(egui::vec2(1400.0, 880.0));
    wait_for_text(&mut h, "3 of 3 sessions open");
    click(&mut h, "Side by side");
    h.run_steps(4);
    let bound = |h: &Harness<'static, App>, p: netpal::net::Protocol| -> Vec<u16> {
        h.state()
            .sessions()
            .filter(|s| s.protocol() == p)
            .filter_map(|s| s.local_addr().map(|a| a.port()))
            .collect()
    };
    let udp_ports = bound(&h, netpal::net::Protocol::Udp);
    let server_port = bound(&h, netpal::net::Protocol::TcpServer)[0];
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"hello", ("127.0.0.1", udp_ports[0])).unwrap();
    let conn = std::net::TcpStream::connect(("127.0.0.1", server_port)).unwrap();
    let client_port = conn.local_addr().unwrap().port();
    wait_for_log_text(
        &mut h,
        &format!("Client connected: 127.0.0.1:{client_port}"),
    );
    let use_it = format!("Use {} as remote", peer.local_addr().unwrap());
    wait_for_text(&mut h, &use_it);
    h.run_steps(4);
    let known: Vec<u16> = udp_ports
        .iter()
        .copied()
        .chain([server_port, client_port, peer.local_addr().unwrap().port()])
        .collect();
    for label in shown_labels(&h) {
        for (at, _) in label.match_indices("127.0.0.1:") {
            let digits: String = label[at + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let port: u16 = digits.parse().unwrap_or(0);
            assert!(
                known.contains(&port) || label.ends_with('…'),
                "an address cut in {label:?}"
            );
        }
    }
    let right = h.get_by_label(&use_it).rect().right();
    assert!(
        right <= 1400.0,
        "the peer row reaches x={right}, past the window"
    );
}

/// "2 matches" is one piece in a narrow pane: it moves to the next row
/// whole rather than breaking inside.
#[test]
fn the_match_count_never_breaks_inside() {
    let (mut h, mut conn, _) = connected_client();
    h.set_size(egui::vec2(520.0, 800.0));
    h.run_steps(4);
    std::io::Write::write_all(&mut conn, b"beta one beta two").unwrap();
    wait_for_text(&mut h, "beta two");
    set_field(&mut h, "Find", "beta");
    wait_for_text(&mut h, "1 match");
    std::io::Write::write_all(&mut conn, b"beta three").unwrap();
    wait_for_text(&mut h, "2 matches");
    // Pane widths from narrow to wide, so that at some of them the count
    // comes at the end of the find row's space.
    let line = h.get_by_label("Find").rect().height();
    for width in (480..=760).step_by(6) {
        h.set_size(egui::vec2(width as f32, 800.0));
        h.run_steps(2);
        let rect = h.get_by_label("2 matches").rect();
        assert!(
            rect.height() < line * 1.5,
            "at {width} px \"2 matches\" takes {} px, a line is {line}",
            rect.height()
        );
    }
}
