//! 10,000 connections to a server and 1,000 sessions opened and closed
//! leave no thread or descriptor behind. In a binary of its own, so no other
//! test opens threads or sockets while it counts them. It reads /proc.
#![cfg(target_os = "linux")]

mod procfs;

use netpal::net::{Event, OpenSpec, Session};
use procfs::{netpal_threads, open_fds};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

fn wait_event(s: &Session, what: &str, mut pred: impl FnMut(&Event) -> bool) -> Event {
    let start = Instant::now();
    loop {
        if let Some(ev) = s.wait_event(Duration::from_millis(20))
            && pred(&ev)
        {
            return ev;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
    }
}

fn open(spec: &str) -> Session {
    let spec = OpenSpec::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    Session::open(spec, Arc::new(|| {})).unwrap()
}

fn opened(s: &Session) -> SocketAddr {
    let ev = wait_event(s, "opened", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    local
}

#[test]
fn ten_thousand_connections_and_a_thousand_sessions_leave_nothing_behind() {
    let mut server = open("tcp-server:127.0.0.1:0");
    let at = opened(&server);
    let start = Instant::now();
    let mut accepted = 0;
    let mut gone = 0;
    for _ in 0..10_000 {
        drop(TcpStream::connect(at).unwrap());
        while let Some(ev) = server.try_event() {
            match ev {
                Event::Accepted { .. } => accepted += 1,
                Event::Disconnected { .. } => gone += 1,
                _ => {}
            }
        }
        assert!(
            start.elapsed() < DEADLINE * 2,
            "10,000 connections took too long"
        );
    }
    while gone < 10_000 {
        let ev = wait_event(&server, "the last ends", |e| {
            matches!(e, Event::Accepted { .. } | Event::Disconnected { .. })
        });
        match ev {
            Event::Accepted { .. } => accepted += 1,
            _ => gone += 1,
        }
    }
    assert_eq!(accepted, 10_000);
    server.close();
    drop(server);

    let threads = netpal_threads();
    let fds = open_fds();
    for _ in 0..1_000 {
        let mut s = open("udp:127.0.0.1:0");
        opened(&s);
        s.close();
    }
    assert!(
        netpal_threads() <= threads,
        "threads {threads} -> {}",
        netpal_threads()
    );
    assert!(open_fds() <= fds, "descriptors {fds} -> {}", open_fds());
}
