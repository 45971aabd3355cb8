//! Language, saved settings, start options and the command line.

mod common;

use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use netpal::net::OpenSpec;
use netpal::ui::i18n::Lang;
use netpal::{App, StartOptions};
use std::process::Command;

#[test]
fn language_switches_at_run_time_and_chinese_renders() {
    let mut h = harness();
    assert!(h.query_by_label("Network settings").is_some());
    choose(&mut h, "Language", "中文");
    wait_for_text(&mut h, "网络设置");
    // Every label of the Chinese UI renders with the bundled font
    // (the harness fails on a glyph no font can draw).
    for label in ["协议类型", "打开", "接收设置", "按十六进制发送", "未打开"] {
        wait_for_text(&mut h, label);
    }
    choose(&mut h, "协议类型", "TCP 服务器");
    wait_for_text(&mut h, "客户端列表 (0)");
    choose(&mut h, "协议类型", "UDP");
    wait_for_text(&mut h, "对端列表 (0)");
    choose(&mut h, "语言", "English");
    wait_for_text(&mut h, "Network settings");
}

#[test]
fn settings_survive_a_restart() {
    let mut h = harness();
    choose(&mut h, "Protocol", "UDP");
    set_field(&mut h, "Local port", "9123");
    set_field(&mut h, "Remote host", "127.0.0.1");
    set_field(&mut h, "Remote port", "9124");
    choose(&mut h, "Encoding", "GBK");
    choose(&mut h, "Show as", "Hex");
    h.get_by_label("Send as hex").click();
    h.step();
    choose(&mut h, "Language", "中文");
    let storage = save(&mut h);
    drop(h);

    let mut h2 = restart(storage, StartOptions::default());
    wait_for_text(&mut h2, "网络设置");
    assert_eq!(
        h2.get_by_role_and_label(egui::accesskit::Role::TextInput, "本地端口")
            .value()
            .as_deref(),
        Some("9123")
    );
    assert_eq!(
        h2.get_by_role_and_label(egui::accesskit::Role::TextInput, "远程端口")
            .value()
            .as_deref(),
        Some("9124")
    );
    let enc = h2.get_by_role_and_label(egui::accesskit::Role::ComboBox, "字符编码");
    assert_eq!(enc.value().as_deref(), Some("GBK"));
    let view = h2.get_by_role_and_label(egui::accesskit::Role::ComboBox, "显示方式");
    assert_eq!(view.value().as_deref(), Some("十六进制"));
    assert!(
        h2.query_all_by_label("对端列表 (0)").next().is_some(),
        "UDP restored"
    );
    assert_eq!(
        h2.get_by_label("按十六进制发送").accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True)
    );
}

#[test]
fn open_option_starts_a_session() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let spec = OpenSpec::parse(&format!("tcp-client:127.0.0.1:{port}")).unwrap();
    let mut h = harness_with(StartOptions {
        lang: Some(Lang::En),
        open: vec![spec],
    });
    let (_conn, seen) = accept_within(&mut h, &l);
    wait_for_text(&mut h, "● Connected");
    assert_eq!(shown_port(&h, "Local end:"), seen.port());
}

/// Runs netpal with `args`, killing it if it has not exited by the deadline.
fn run_bounded(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpal"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("netpal {args:?} did not exit");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn command_line_help_and_bad_arguments() {
    let out = run_bounded(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--open",
        "--lang",
        "tcp-server:HOST:PORT",
        "udp:HOST:PORT[,remote=HOST:PORT]",
        "[::1]",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    let out = run_bounded(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        concat!("netpal ", env!("CARGO_PKG_VERSION"))
    );
    for bad in [
        vec!["--view", "hex"],
        vec!["--echo"],
        vec![
            "--headless",
            "--open",
            "udp:127.0.0.1:0",
            "--send",
            "x",
            "--interval",
            "0",
        ],
        vec![
            "--headless",
            "--open",
            "udp:127.0.0.1:0",
            "--send",
            "x",
            "--count",
            "0",
        ],
        vec![
            "--headless",
            "--open",
            "udp:127.0.0.1:0",
            "--exit-after",
            "0",
        ],
        vec!["--headless", "--lang", "en", "--open", "udp:127.0.0.1:0"],
        vec!["--open", "tcp:1.2.3.4:5"],
        vec!["--open", "udp:127.0.0.1:99999"],
        vec!["--open", "tcp-server:localhost:80"],
        vec!["--lang", "fr"],
        vec!["--bogus"],
    ] {
        let out = run_bounded(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error"), "{bad:?}: {err}");
    }
}

#[test]
fn command_line_choices_are_not_saved_as_defaults() {
    // Saved: Chinese (chosen in the window), one UDP session on 9123.
    let mut h = harness();
    choose(&mut h, "Language", "中文");
    choose(&mut h, "协议类型", "UDP");
    set_field(&mut h, "本地端口", "9123");
    let saved = save(&mut h);
    drop(h);

    // Started in English with a TCP client from the command line.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = OpenSpec::parse(&format!(
        "tcp-client:127.0.0.1:{}",
        l.local_addr().unwrap().port()
    ))
    .unwrap();
    let mut h = restart(
        saved,
        StartOptions {
            lang: Some(Lang::En),
            open: vec![spec],
        },
    );
    let _conn = accept_within(&mut h, &l);
    wait_for_text(&mut h, "1 of 2 sessions open");
    // Neither the language nor the command line's session is saved ...
    let mut h = restart(save(&mut h), StartOptions::default());
    wait_for_text(&mut h, "会话 0/1 已打开");
    assert_eq!(
        h.get_by_role_and_label(egui::accesskit::Role::TextInput, "本地端口")
            .value()
            .as_deref(),
        Some("9123")
    );
    // ... but what the user changes afterwards is.
    choose(&mut h, "语言", "English");
    let mut h = restart(save(&mut h), StartOptions::default());
    wait_for_text(&mut h, "0 of 1 sessions open");
}

#[test]
fn the_layout_holds_still_from_frame_to_frame() {
    let mut h = harness();
    h.run_steps(5);
    let rect = |h: &Harness<'static, App>| {
        h.get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Data to send")
            .rect()
    };
    let first = rect(&h);
    h.run_steps(100);
    assert_eq!(rect(&h), first, "the send box moved or grew by itself");
}

#[test]
fn a_change_is_followed_by_a_frame_that_saves_it_and_idle_stays_idle() {
    use eframe::App as _;
    let mut h = harness();
    // Nothing done: nothing scheduled (an idle app uses no CPU).
    for _ in 0..5 {
        h.step();
    }
    let idle = h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert_eq!(
        idle,
        std::time::Duration::MAX,
        "an idle app schedules no frame"
    );
    // A click that changes a setting schedules a frame after the save
    // interval, where eframe saves.
    h.get_by_label("Word wrap").click();
    // The click's own frames first; then the one that saves.
    for _ in 0..5 {
        h.step();
    }
    let next = h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    let save_after = h.state().auto_save_interval();
    assert!(
        next > std::time::Duration::ZERO && next <= save_after * 2,
        "a frame {next:?} after the change, within twice the save interval {save_after:?}"
    );
    assert!(save_after <= std::time::Duration::from_secs(5));
}

#[test]
fn a_damaged_or_absurd_saved_state_keeps_what_it_can_and_says_so() {
    let mut h = harness();
    new_tab(&mut h);
    let mut storage = save(&mut h);
    let sessions = storage.0.get("netpal.sessions").cloned().unwrap();
    assert_eq!(sessions.matches("protocol:").count(), 2, "{sessions}");
    // One session of a kind this NetPal does not know, one with a log
    // limit of 1 TiB and a local port of 99999.
    let damaged = sessions
        .replacen("protocol:TcpClient", "protocol:Teleport", 1)
        .replacen("log_cap_mib:64", "log_cap_mib:1048576", 2)
        .replacen("local_port:\"8080\"", "local_port:\"99999\"", 2);
    storage.0.insert("netpal.sessions".into(), damaged);
    let mut h = restart(
        storage,
        netpal::StartOptions {
            lang: Some(netpal::ui::i18n::Lang::En),
            open: Vec::new(),
        },
    );
    wait_for_text(&mut h, "1 saved session(s) could not be read");
    wait_for_text(
        &mut h,
        "A saved log limit of 1048576 MiB made no sense; it is 64 MiB again",
    );
    wait_for_text(
        &mut h,
        "Local port: the saved \"99999\" is not a port (0 to 65535); it is 8080 again",
    );
    assert_eq!(
        h.state()
            .sessions()
            .next()
            .map(|s| s.settings.local_port.clone()),
        Some("8080".to_string())
    );
    assert_eq!(
        h.state().sessions().count(),
        1,
        "the readable session is kept"
    );
}
