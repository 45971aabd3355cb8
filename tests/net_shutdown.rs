//! Closing sessions leaves nothing behind. In a binary of its own, so no
//! other test opens threads or sockets while it counts them. It reads
//! /proc, so it is Linux's.
#![cfg(target_os = "linux")]

mod procfs;

use netpal::net::{Event, OpenSpec, Session};
use procfs::{netpal_threads, open_fds};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

#[cfg(target_os = "linux")]
#[test]
fn closing_sessions_leaves_no_thread_or_descriptor_behind() {
    let fds_before = open_fds();
    for _ in 0..20 {
        let mut s = Session::open(
            OpenSpec::tcp_server("127.0.0.1:0".parse().unwrap()),
            Arc::new(|| {}),
        )
        .unwrap();
        let start = Instant::now();
        let addr = loop {
            if let Some(Event::Opened { local, .. }) = s.try_event() {
                break local;
            }
            assert!(start.elapsed() < DEADLINE, "not opened");
            std::thread::sleep(Duration::from_millis(1));
        };
        let clients: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(addr).unwrap()).collect();
        let mut accepted = 0;
        while accepted < 5 {
            match s.try_event() {
                Some(Event::Accepted { .. }) => accepted += 1,
                Some(_) => {}
                None => std::thread::sleep(Duration::from_millis(1)),
            }
            assert!(start.elapsed() < DEADLINE, "not accepted");
        }
        assert_eq!(netpal_threads(), 1);
        let t = Instant::now();
        s.close();
        // Generous: closing takes about a millisecond; a second is the promise.
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "close took {:?}",
            t.elapsed()
        );
        assert!(s.is_finished());
        assert_eq!(netpal_threads(), 0, "a session thread outlived close");
        drop(clients);
    }
    // Every socket and poll descriptor of the 20 sessions is closed.
    assert!(
        open_fds() <= fds_before,
        "descriptors {fds_before} -> {}",
        open_fds()
    );
}
