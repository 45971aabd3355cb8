//! The socket workers without a UI: flow control, shutdown, descriptors.

use netpal::net::{Command, Event, OpenSpec, Session, Target, Wake};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

fn no_wake() -> Wake {
    Arc::new(|| {})
}

fn wait_event(s: &Session, what: &str, mut pred: impl FnMut(&Event) -> bool) -> Event {
    let start = Instant::now();
    loop {
        while let Some(ev) = s.try_event() {
            if pred(&ev) {
                return ev;
            }
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Accepts one connection, failing after the deadline instead of hanging.
fn accept_within(l: &std::net::TcpListener) -> (TcpStream, SocketAddr) {
    l.set_nonblocking(true).unwrap();
    let start = Instant::now();
    loop {
        match l.accept() {
            Ok((c, a)) => {
                c.set_nonblocking(false).unwrap();
                return (c, a);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        assert!(start.elapsed() < DEADLINE, "nobody connected");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn open_server() -> (Session, SocketAddr) {
    let s = Session::open(
        OpenSpec::tcp_server("127.0.0.1:0".parse().unwrap()),
        no_wake(),
    )
    .unwrap();
    let ev = wait_event(&s, "Opened", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    (s, local)
}

#[test]
fn a_flood_the_ui_does_not_take_is_paused_not_lost() {
    let (s, addr) = open_server();
    // 96 MiB, more than the worker lets queue up for the UI.
    const TOTAL: usize = 96 << 20;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let sender = std::thread::spawn(move || {
        let mut c = TcpStream::connect(addr).unwrap();
        let chunk: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        while sent < TOTAL {
            c.write_all(&chunk).unwrap();
            sent += chunk.len();
        }
        // Keep the connection open and quiet: the rest must arrive without
        // any new activity from the peer to wake the worker.
        let _ = done_rx.recv_timeout(DEADLINE);
    });
    // Take nothing: the worker reads up to its pause mark, then must stop.
    let start = Instant::now();
    while s.queued_bytes() < netpal::net::INFLIGHT_HIGH {
        assert!(start.elapsed() < DEADLINE, "worker never filled its queue");
        std::thread::sleep(Duration::from_millis(2));
    }
    for _ in 0..20 {
        let queued = s.queued_bytes();
        assert!(
            queued <= netpal::net::QUEUE_LIMIT,
            "worker kept reading: {queued} bytes queued"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Now drain: every byte arrives, in order.
    let start = Instant::now();
    let mut got = 0usize;
    let mut expect = 0u32;
    while got < TOTAL {
        match s.try_event() {
            Some(Event::Received { bytes, .. }) => {
                for b in bytes {
                    assert_eq!(b, (expect % 65536 % 251) as u8, "byte {got} out of order");
                    expect += 1;
                    got += 1;
                }
            }
            Some(_) => {}
            None => std::thread::sleep(Duration::from_millis(1)),
        }
        assert!(start.elapsed() < DEADLINE, "got only {got} of {TOTAL}");
    }
    let _ = done_tx.send(());
    sender.join().unwrap();
}

#[test]
fn a_peer_that_never_reads_gets_a_clear_error_not_unbounded_memory() {
    let (s, addr) = open_server();
    let _c = TcpStream::connect(addr).unwrap(); // never reads
    let ev = wait_event(&s, "Accepted", |e| matches!(e, Event::Accepted { .. }));
    let Event::Accepted { peer, .. } = ev else {
        unreachable!()
    };
    let chunk = vec![0u8; 8 << 20];
    for _ in 0..16 {
        s.command(Command::Send {
            to: Target::Peers(vec![peer]),
            bytes: chunk.clone(),
        });
    }
    let ev = wait_event(&s, "send queue full", |e| matches!(e, Event::Error { .. }));
    let Event::Error { error, .. } = ev else {
        unreachable!()
    };
    assert_eq!(error.kind, netpal::net::NetErrorKind::SendQueueFull);
}

#[test]
fn a_reset_is_reported_as_a_reset() {
    if std::env::var_os("NETPAL_UNDER_WINE").is_some() {
        println!(
            "skipped under Wine: Wine does not always turn a close with SO_LINGER 0 into a reset (the peer sees a FIN), as Windows does"
        );
        return;
    }
    let (s, addr) = open_server();
    let c = TcpStream::connect(addr).unwrap();
    wait_event(&s, "Accepted", |e| matches!(e, Event::Accepted { .. }));
    // SO_LINGER 0 makes close send RST.
    socket2::SockRef::from(&c)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(c);
    let ev = wait_event(&s, "Disconnected", |e| {
        matches!(e, Event::Disconnected { .. })
    });
    let Event::Disconnected { reason, .. } = ev else {
        unreachable!()
    };
    assert_eq!(reason, netpal::net::CloseReason::Reset);
}

#[test]
fn client_resolves_host_names_on_the_worker() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let s = Session::open(
        OpenSpec::tcp_client(netpal::net::HostPort::new("localhost", port)),
        no_wake(),
    )
    .unwrap();
    let (mut conn, _) = accept_within(&l);
    wait_event(&s, "Connected", |e| matches!(e, Event::Connected { .. }));
    s.command(Command::Send {
        to: Target::All,
        bytes: b"ping".to_vec(),
    });
    let mut buf = [0u8; 4];
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
}

#[test]
fn a_server_on_the_ipv6_wildcard_accepts_ipv4_and_ipv6_clients() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here; nothing to test");
        return;
    }
    let s = Session::open(OpenSpec::parse("tcp-server:[::]:0").unwrap(), no_wake()).unwrap();
    let ev = wait_event(&s, "Opened", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    assert!(local.is_ipv6());
    let v4 = TcpStream::connect(("127.0.0.1", local.port())).unwrap();
    let v6 = TcpStream::connect(("::1", local.port())).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        if let Event::Accepted { peer, .. } =
            wait_event(&s, "Accepted", |e| matches!(e, Event::Accepted { .. }))
        {
            seen.push(peer.port());
        }
    }
    seen.sort();
    let mut want = vec![
        v4.local_addr().unwrap().port(),
        v6.local_addr().unwrap().port(),
    ];
    want.sort();
    assert_eq!(seen, want);
}

#[test]
fn a_client_that_fails_at_once_reports_it_instead_of_hanging() {
    // Binding the client's local end to a listening port fails immediately.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut spec = OpenSpec::tcp_client(netpal::net::HostPort::new(
        "127.0.0.1",
        target.local_addr().unwrap().port(),
    ));
    spec.local = busy.local_addr().unwrap();
    let s = Session::open(spec, no_wake()).unwrap();
    let ev = wait_event(&s, "Closed", |e| matches!(e, Event::Closed { .. }));
    let Event::Closed { error: Some(e), .. } = ev else {
        panic!("closed without an error: {ev:?}")
    };
    assert_eq!(e.kind, netpal::net::NetErrorKind::AddrInUse);
}

#[test]
fn udp_sends_to_a_host_name_resolved_off_the_poll_loop() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    let s = Session::open(OpenSpec::parse("udp:127.0.0.1:0").unwrap(), no_wake()).unwrap();
    wait_event(&s, "Opened", |e| matches!(e, Event::Opened { .. }));
    let hp = netpal::net::HostPort::new("localhost", peer.local_addr().unwrap().port());
    for msg in [&b"first"[..], b"second"] {
        s.command(Command::Send {
            to: Target::Host(hp.clone()),
            bytes: msg.to_vec(),
        });
    }
    let mut buf = [0u8; 16];
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"first");
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"second");
}

#[test]
fn a_busy_session_closed_in_the_background_lets_go_of_its_sockets() {
    let (s, addr) = open_server();
    // Eight clients flood the server, which is never drained: its worker is
    // paused with a full queue when it is told to close.
    let flooders: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_write_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let chunk = vec![7u8; 64 * 1024];
                let start = Instant::now();
                // Until the server end goes away (or the deadline).
                while start.elapsed() < DEADLINE {
                    match c.write(&chunk) {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => return true,
                    }
                }
                false
            })
        })
        .collect();
    let start = Instant::now();
    while s.queued_bytes() < netpal::net::INFLIGHT_HIGH {
        assert!(
            start.elapsed() < DEADLINE,
            "the flood never filled the queue"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // Does not wait for the worker; the worker closes every socket by itself.
    s.close_detached();
    for f in flooders {
        assert!(f.join().unwrap(), "a client's connection stayed open");
    }
    // The port is free again moments later.
    let start = Instant::now();
    while std::net::TcpListener::bind(addr).is_err() {
        assert!(start.elapsed() < DEADLINE, "the port stayed taken");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A server that half-closes right after its request (a FIN) is still
/// answered: the echo at once, a delayed auto-reply when it is due, and
/// only then does the connection close. The session says the peer closed
/// its side, apart from the close itself.
#[test]
fn a_peer_that_half_closes_gets_the_echo_and_a_delayed_answer_before_the_close() {
    use netpal::codec::reply::{MatchKind, ReplyRule};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let rule = ReplyRule {
        kind: MatchKind::Exact,
        pattern: "GET".into(),
        reply: "LATE".into(),
        delay_ms: 300,
        ..Default::default()
    };
    let rules = vec![(0, rule.compile(encoding_rs::UTF_8).unwrap())];
    let mut spec = OpenSpec::parse(&format!("tcp-client:{}", l.local_addr().unwrap())).unwrap();
    spec.echo = true;
    let s = Session::open_with(spec, vec![Command::SetReplies(rules)], no_wake()).unwrap();
    let (mut peer, _) = accept_within(&l);
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    peer.write_all(b"GET").unwrap();
    peer.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    peer.read_to_end(&mut got)
        .expect("the echo and the answer, then EOF");
    assert_eq!(got, b"GETLATE");
    let mut fin_said = false;
    let ev = wait_event(&s, "the close", |e| {
        fin_said |= matches!(
            e,
            Event::ReadShut {
                then: netpal::net::FinThen::CloseWhenAnswered,
                ..
            }
        );
        matches!(e, Event::Disconnected { .. })
    });
    let Event::Disconnected { reason, .. } = ev else {
        unreachable!()
    };
    assert_eq!(reason, netpal::net::CloseReason::PeerClosed);
    assert!(fin_said, "the peer's FIN was not said apart from the close");
}

/// Kept open after the peer's FIN, a connection whose peer has gone
/// altogether ends at the next writes, with the peer's reset as the reason.
#[test]
fn a_connection_kept_open_after_a_fin_ends_with_the_reset_a_write_draws() {
    let mut spec = OpenSpec::tcp_server("127.0.0.1:0".parse().unwrap());
    spec.keep_half_open = true;
    let s = Session::open(spec, no_wake()).unwrap();
    let ev = wait_event(&s, "Opened", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    let c = TcpStream::connect(local).unwrap();
    let me = c.local_addr().unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    wait_event(&s, "the FIN", |e| {
        matches!(
            e,
            Event::ReadShut {
                then: netpal::net::FinThen::KeptOpen,
                ..
            }
        )
    });
    drop(c);
    // The first write draws the reset; one of the next ones meets it.
    let start = Instant::now();
    let reason = loop {
        s.command(Command::Send {
            to: Target::Peers(vec![me]),
            bytes: b"are you there?".to_vec(),
        });
        std::thread::sleep(Duration::from_millis(20));
        let mut gone = None;
        while let Some(ev) = s.try_event() {
            if let Event::Disconnected { reason, .. } = ev {
                gone = Some(reason);
            }
        }
        if let Some(r) = gone {
            break r;
        }
        assert!(start.elapsed() < DEADLINE, "the connection never ended");
    };
    assert_eq!(reason, netpal::net::CloseReason::Reset);
}
