//! Leaving the app while it works hard: a file send to a peer that never
//! reads, a flood, and a thousand clients at once. The window's close runs
//! the same two steps as here (save, then on_exit). In a binary of its own,
//! so the threads it counts are only its own; it reads /proc, so it is
//! Linux's. `cargo bench --bench perf -- close` times the real window.
#![cfg(target_os = "linux")]

mod common;
mod procfs;

use common::*;
use procfs::{netpal_threads, raise_fd_limit};
use std::io::Read;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Aborts the test binary if leaving hangs, instead of hanging CI.
fn watchdog(limit: Duration) -> Arc<AtomicBool> {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        while !d.load(Ordering::SeqCst) {
            if start.elapsed() > limit {
                eprintln!("leaving the app did not end within {limit:?}");
                std::process::abort();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    done
}

/// Reads until EOF or a reset, which is what a closed peer gives.
fn sees_the_end(s: &mut TcpStream) -> bool {
    let _ = s.set_read_timeout(Some(DEADLINE));
    let mut buf = vec![0u8; 1 << 16];
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
    }
    false
}

#[test]
fn leaving_during_a_file_send_a_flood_and_a_thousand_clients_ends_every_session() {
    let limit = raise_fd_limit();
    // Both ends of each client are in this process.
    let clients = 1_000usize.min((limit.saturating_sub(200) / 2) as usize);
    if clients < 1_000 {
        println!("descriptor limit {limit}: {clients} clients instead of 1,000");
    }

    // A file send to a peer that never reads: the send stalls.
    let reader = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut h = harness();
    open_client(&mut h, reader.local_addr().unwrap().port());
    let (mut stalled, _) = accept_within(&mut h, &reader);
    let (path, _) = temp_file("exit.bin", 64 * 1024 * 1024);
    open_section(&mut h, "Send a file");
    set_field(&mut h, "File", &path.to_string_lossy());
    click(&mut h, "Send file");
    wait_for_text(&mut h, "waiting for the peer to read");

    // A flood into a UDP session, for as long as the test runs.
    new_tab(&mut h);
    let udp_port = open_udp(&mut h);
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let flood = std::thread::spawn(move || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let start = Instant::now();
        let mut n = 0u64;
        while !st.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(60) {
            if s.send_to(&[b'f'; 1200], ("127.0.0.1", udp_port)).is_ok() {
                n += 1;
            }
        }
        n
    });
    wait_for(&mut h, "the flood arriving", |h| {
        h.state()
            .focused()
            .is_some_and(|s| s.counters().rx_packets > 10_000)
    });

    // A server with a thousand clients, each of which has said something.
    new_tab(&mut h);
    let server_port = open_server(&mut h);
    let mut conns: Vec<TcpStream> = Vec::with_capacity(clients);
    for i in 0..clients {
        let mut c = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
        use std::io::Write;
        c.write_all(format!("client {i}\n").as_bytes()).unwrap();
        conns.push(c);
        if i % 100 == 0 {
            h.step();
        }
    }
    wait_for_text(&mut h, &format!("Clients ({clients})"));
    assert_eq!(h.state().sessions().count(), 3);
    assert_eq!(netpal_threads(), 3, "one worker per session");

    // What the window's close does: save, then on_exit.
    let done = watchdog(Duration::from_secs(60));
    let start = Instant::now();
    let storage = save(&mut h);
    eframe::App::on_exit(h.state_mut(), None);
    let took = start.elapsed();
    done.store(true, Ordering::SeqCst);
    println!("save and on_exit took {took:?}");

    // Every session has ended: no worker is left, and every peer sees
    // its connection end.
    assert_eq!(netpal_threads(), 0, "a worker outlived leaving");
    assert!(sees_the_end(&mut stalled), "the file's peer was not closed");
    for c in conns.iter_mut().step_by(97) {
        assert!(sees_the_end(c), "a client was not closed");
    }
    // And the three sessions were saved for the next start.
    assert_eq!(
        storage
            .0
            .get("netpal.sessions")
            .map_or(0, |s| s.matches("protocol:").count()),
        3
    );
    stop.store(true, Ordering::Relaxed);
    assert!(flood.join().unwrap() > 10_000);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
