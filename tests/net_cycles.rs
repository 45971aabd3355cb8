//! 10,000 connections to a server and 1,000 sessions opened and closed
//! leave no thread or descriptor behind. In a binary of its own, so no other
//! test opens threads or sockets while it counts them. It reads /proc.
#![cfg(target_os = "linux")]

mod netcommon;
mod procfs;

use netcommon::*;
use netpal::net::Event;
use procfs::{netpal_threads, open_fds};
use std::net::TcpStream;
use std::time::Instant;

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
