//! The machine's ports, read from the system's tables: a listener this
//! test opens is there with this process's PID and name, and is gone once
//! closed; a connected pair shows both ends.

mod netcommon;

use netcommon::*;
use netpal::net::ports::{PortProto, PortSocket, ephemeral_range, read_sockets};
use netpal::net::{Detail, NetErrorKind};
use std::io::{BufRead, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Reads the tables until `pred` holds for what they list (the system may
/// take a moment to show a change), within the deadline.
fn until(what: &str, mut pred: impl FnMut(&[PortSocket]) -> bool) -> Vec<PortSocket> {
    let start = Instant::now();
    loop {
        let snap = read_sockets();
        assert!(snap.error.is_none(), "{:?}", snap.error);
        if pred(&snap.sockets) {
            return snap.sockets;
        }
        assert!(start.elapsed() < DEADLINE, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn find(sockets: &[PortSocket], proto: PortProto, local: SocketAddr) -> Option<&PortSocket> {
    sockets
        .iter()
        .find(|s| s.proto == proto && s.local == local && s.remote.is_none())
}

#[test]
fn a_listener_shows_with_this_process_and_goes_when_closed() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let at = l.local_addr().unwrap();
    let sockets = until("the listener listed", |s| {
        find(s, PortProto::Tcp, at).is_some()
    });
    let row = find(&sockets, PortProto::Tcp, at).unwrap();
    assert_eq!(row.state, Some("LISTEN"));
    if under_wine() {
        // Wine's tables name no process (PID 0) where Windows names it.
        println!("under Wine: the socket's process is not checked");
        drop(l);
        until("the listener gone", |s| {
            find(s, PortProto::Tcp, at).is_none()
        });
        return;
    }
    let me = std::process::id();
    let holder = row.holders.iter().find(|h| h.pid == me).expect("our PID");
    let exe = std::env::current_exe().unwrap();
    let stem = exe.file_stem().unwrap().to_string_lossy().to_string();
    let name = holder.name.clone().expect("a process name");
    // Linux keeps the first 15 bytes of a name; Windows names the .exe.
    assert!(
        stem.starts_with(name.trim_end_matches(".exe")),
        "{name} for {stem}"
    );
    assert!(row.is_ours());
    drop(l);
    until("the listener gone", |s| {
        find(s, PortProto::Tcp, at).is_none()
    });
}

#[test]
fn a_connected_pair_shows_both_ends_established_and_udp_too() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    let (a, b) = (c.local_addr().unwrap(), s.local_addr().unwrap());
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ua = u.local_addr().unwrap();
    let sockets = until("both ends and the UDP socket", |all| {
        let end = |local, remote| {
            all.iter().any(|x| {
                x.proto == PortProto::Tcp
                    && x.local == local
                    && x.remote == Some(remote)
                    && x.state == Some("ESTABLISHED")
            })
        };
        end(a, b) && end(b, a) && find(all, PortProto::Udp, ua).is_some()
    });
    let udp = find(&sockets, PortProto::Udp, ua).unwrap();
    assert_eq!(udp.state, None);
    // Wine's tables name no process (PID 0) where Windows names it.
    assert!(udp.is_ours() || under_wine());
    // The client's port is an ephemeral one, from the system's range.
    if let Some(r) = ephemeral_range() {
        assert!(r.low <= r.high);
        #[cfg(target_os = "linux")]
        assert!(r.contains(a.port()), "{a} outside {r:?}");
    }
}

/// Not a test of its own: the child the next test starts. It holds a
/// listener, prints its port, and keeps it until its stdin closes.
#[test]
#[ignore = "run by a_port_in_use_names_the_process_that_holds_it, as its child"]
fn hold_a_port_as_a_child() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("PORT {}", l.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

#[test]
fn a_port_in_use_names_the_process_that_holds_it() {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "hold_a_port_as_a_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            // libtest prints "test NAME ... " on the same line first.
            if let Some(p) = line.split("PORT ").nth(1) {
                let _ = tx.send(p.trim().parse::<u16>().unwrap());
            }
        }
    });
    let port = rx.recv_timeout(DEADLINE).expect("the child's port");
    let s = open(&format!("tcp-server:127.0.0.1:{port}"));
    let e = closed_with(&s);
    assert_eq!(e.kind, NetErrorKind::AddrInUse);
    if under_wine() {
        // Wine's tables list the socket but name no process (PID 0): the
        // error says the port is held, by no process in sight.
        println!("under Wine: the holder's PID is not checked");
        assert!(
            matches!(e.detail, Detail::HeldByHidden { port: p, .. } if p == port),
            "{e:?}"
        );
        drop(child.stdin.take());
        let _ = child.wait();
        return;
    }
    let Detail::HeldBy {
        port: p,
        holders,
        local,
        listening,
    } = &e.detail
    else {
        panic!("the holder is not named: {e:?}");
    };
    assert_eq!(
        (*p, *local, *listening),
        (port, SocketAddr::from(([127, 0, 0, 1], port)), true)
    );
    assert!(
        holders
            .iter()
            .any(|(pid, name)| *pid == child.id() && name.is_some()),
        "{holders:?} has not the child {}",
        child.id()
    );
    // Said in words where the error is shown.
    let text = netpal::ui::i18n::EN.net_error(&e);
    assert!(
        text.contains(&format!("port {port} is in use by "))
            && text.contains(&format!(
                "(PID {}), listening on 127.0.0.1:{port}",
                child.id()
            )),
        "{text}"
    );
    drop(child.stdin.take());
    let _ = child.wait();
}

/// `netpal --ports --json --filter PORT` lists a listener this test holds,
/// with this process's PID.
#[test]
fn headless_ports_json_lists_a_listener_with_its_pid() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netpal"))
        .args(["--ports", "--json", "--filter", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let row = rows
        .iter()
        .find(|r| r["local"] == format!("127.0.0.1:{port}").as_str())
        .unwrap_or_else(|| panic!("not listed: {text}"));
    assert_eq!(row["proto"], "TCP");
    assert_eq!(row["state"], "LISTEN");
    // Wine's tables name no process (PID 0) where Windows names it.
    if !under_wine() {
        assert_eq!(row["pids"][0], std::process::id());
    }
    assert_eq!(row["netpal"], false, "the test, not NetPal, holds it");
    // The filter kept only what has that port.
    assert!(
        rows.iter()
            .all(|r| r.to_string().contains(&format!(":{port}")))
    );
}

/// `netpal --ports --watch` says when a socket appears and when it goes.
#[test]
fn headless_ports_watch_says_what_appears_and_goes() {
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netpal"))
        .args(["--ports", "--watch", "--filter", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_line = |want: &[&str]| {
        let start = Instant::now();
        loop {
            let left = DEADLINE.saturating_sub(start.elapsed());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no line with {want:?}"));
            if want.iter().all(|w| line.contains(w)) {
                return line;
            }
        }
    };
    // Opened after the watch's first reading, so it appears.
    wait_line(&["= there at the start, + appeared, - gone"]);
    let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let at = format!("127.0.0.1:{port}");
    let line = wait_line(&[" + TCP", &at]);
    assert!(line.contains("LISTEN"), "{line}");
    drop(l);
    wait_line(&[" - TCP", &at]);
    let _ = child.kill();
    let _ = child.wait();
}

/// A connection's health is told as it changes: a round-trip time and the
/// peer's window, and a zero window once the peer stops reading what
/// NetPal sends.
#[test]
fn a_connection_tells_its_health_and_a_zero_window_when_the_peer_stops_reading() {
    use netpal::net::{Command, Event, Target};
    let s = open("tcp-server:127.0.0.1:0");
    let at = opened(&s);
    let c = TcpStream::connect(at).unwrap();
    if netpal::net::health::read(socket2::SockRef::from(&c)).is_none() {
        println!("skipped: this system does not report TCP_INFO / SIO_TCP_INFO");
        return;
    }
    let first = wait_event(&s, "a health reading", |e| {
        matches!(e, Event::Health { .. })
    });
    let Event::Health { peer, health } = first else {
        unreachable!()
    };
    assert_eq!(peer, c.local_addr().unwrap());
    assert!(health.peer_window.is_none_or(|w| w > 0), "{health:?}");
    // The peer never reads: what NetPal sends fills its window.
    s.command(Command::Send {
        to: Target::All,
        bytes: vec![b'x'; 16 << 20],
    });
    wait_event(&s, "a zero window, or a full send queue", |e| match e {
        Event::Health { health: h, .. } => {
            h.peer_window == Some(0) || (h.peer_window.is_none() && h.unsent > Some(1 << 20))
        }
        _ => false,
    });
    drop(c);
}
