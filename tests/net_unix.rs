//! Unix domain sockets on the worker: stream server and client round trips,
//! datagrams both ways (answering the sender by its path), a stale socket
//! file reported and removed only when asked, bad paths said clearly.
#![cfg(unix)]

mod netcommon;
use netcommon::*;
use netpal::net::{Command, Detail, Event, Target, peer_text};
use std::io::{Read, Write};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::path::PathBuf;

/// A fresh path in a folder of this test's own.
fn path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netpal-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn a_stream_server_talks_with_its_clients_and_removes_its_file() {
    let p = path("server.sock");
    let s = open(&format!("unix-server:{}", p.display()));
    let ev = wait_event(&s, "listening", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    assert_eq!(peer_text(local), format!("unix:{}", p.display()));
    let mut c = UnixStream::connect(&p).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    let ev = wait_event(&s, "accepted", |e| matches!(e, Event::Accepted { .. }));
    let Event::Accepted { peer, .. } = ev else {
        unreachable!()
    };
    assert_eq!(peer_text(peer), format!("unix:{}#1", p.display()));
    c.write_all(b"over a unix socket").unwrap();
    let ev = wait_event(&s, "the bytes", |e| matches!(e, Event::Received { .. }));
    assert_eq!(ev.records(), vec![&b"over a unix socket"[..]]);
    s.command(Command::Send {
        to: Target::Peers(vec![peer]),
        bytes: b"and back".to_vec(),
    });
    let mut buf = [0u8; 8];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"and back");
    drop(s);
    assert!(!p.exists(), "the socket file goes with the session");
}

#[test]
fn a_stream_client_connects_to_a_path() {
    let p = path("listener.sock");
    let l = UnixListener::bind(&p).unwrap();
    let s = open(&format!("unix-client:{}", p.display()));
    let (mut conn, _) = l.accept().unwrap();
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let ev = wait_event(&s, "connected", |e| matches!(e, Event::Connected { .. }));
    let Event::Connected { peer, .. } = ev else {
        unreachable!()
    };
    assert_eq!(peer_text(peer), format!("unix:{}", p.display()));
    s.command(Command::Send {
        to: Target::All,
        bytes: b"hi server".to_vec(),
    });
    let mut buf = [0u8; 9];
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi server");
    conn.write_all(b"hi client").unwrap();
    let ev = wait_event(&s, "the answer", |e| matches!(e, Event::Received { .. }));
    assert_eq!(ev.records(), vec![&b"hi client"[..]]);
}

#[test]
fn datagrams_go_to_the_remote_and_answer_the_sender_by_its_path() {
    let mine = path("mine.sock");
    let theirs = path("theirs.sock");
    let other = UnixDatagram::bind(&theirs).unwrap();
    other.set_read_timeout(Some(DEADLINE)).unwrap();
    let s = open(&format!(
        "unix-dgram:{},remote={}",
        mine.display(),
        theirs.display()
    ));
    wait_event(&s, "bound", |e| matches!(e, Event::Opened { .. }));
    s.command(Command::Send {
        to: Target::All,
        bytes: b"to the remote".to_vec(),
    });
    let mut buf = [0u8; 64];
    let n = other.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"to the remote");
    other.send_to(b"from theirs", &mine).unwrap();
    let ev = wait_event(&s, "their datagram", |e| {
        matches!(e, Event::Received { .. })
    });
    let Event::Received { peer, bytes, .. } = ev else {
        unreachable!()
    };
    assert_eq!(bytes, b"from theirs");
    assert_eq!(peer_text(peer), format!("unix:{}", theirs.display()));
    s.command(Command::Send {
        to: Target::Peers(vec![peer]),
        bytes: b"answer".to_vec(),
    });
    let n = other.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"answer");
}

#[test]
fn a_stale_socket_file_is_reported_and_removed_only_when_asked() {
    let p = path("stale.sock");
    // A listener that ends without removing its file leaves it stale.
    drop(UnixListener::bind(&p).unwrap());
    assert!(p.exists());
    let s = open(&format!("unix-server:{}", p.display()));
    assert_eq!(closed_with(&s).detail, Detail::StaleSocket);
    assert!(p.exists(), "never removed without being asked");
    let s = open(&format!("unix-server:{},remove-stale", p.display()));
    wait_event(&s, "listening", |e| matches!(e, Event::Opened { .. }));
    UnixStream::connect(&p).expect("the new socket serves");

    // A socket someone serves is not stale, even when asked.
    let live = path("live.sock");
    let _l = UnixListener::bind(&live).unwrap();
    let s = open(&format!("unix-server:{},remove-stale", live.display()));
    assert_eq!(closed_with(&s).detail, Detail::InUseByAnother);
    assert!(live.exists());
}

#[test]
fn bad_paths_are_said_clearly_and_files_left_alone() {
    let f = path("not-a-socket.txt");
    std::fs::write(&f, b"keep me").unwrap();
    let s = open(&format!("unix-server:{},remove-stale", f.display()));
    assert_eq!(closed_with(&s).detail, Detail::NotASocket);
    assert_eq!(std::fs::read(&f).unwrap(), b"keep me");

    let long = format!("/tmp/{}.sock", "x".repeat(200));
    let s = open(&format!("unix-server:{long}"));
    let e = closed_with(&s);
    assert!(matches!(e.detail, Detail::Os(_)), "{e:?}");

    let missing = path("no-such-dir").join("a.sock");
    let s = open(&format!("unix-client:{}", missing.display()));
    let e = closed_with(&s);
    assert!(matches!(e.detail, Detail::Os(_)), "{e:?}");
}

/// A Unix datagram session's sends split and joined on purpose, as
/// `--split` and `--join` ask: a piece a datagram, a join one datagram.
#[test]
fn unix_datagram_sends_split_into_datagrams_and_join_into_one() {
    use netpal::net::impair::{SendShape, parse_slice};
    let mine = path("split-mine.sock");
    let theirs = path("split-theirs.sock");
    let other = UnixDatagram::bind(&theirs).unwrap();
    other.set_read_timeout(Some(DEADLINE)).unwrap();
    let s = open(&format!(
        "unix-dgram:{},remote={}",
        mine.display(),
        theirs.display()
    ));
    wait_event(&s, "bound", |e| matches!(e, Event::Opened { .. }));
    s.command(Command::SetSendShape(SendShape {
        split: parse_slice("2/10ms"),
        join: None,
    }));
    s.command(Command::Send {
        to: Target::All,
        bytes: b"hello".to_vec(),
    });
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    for _ in 0..3 {
        let n = other.recv(&mut buf).unwrap();
        got.push(buf[..n].to_vec());
    }
    assert_eq!(got, [&b"he"[..], b"ll", b"o"]);
    s.command(Command::SetSendShape(SendShape {
        split: None,
        join: Some(2),
    }));
    for m in ["one;", "two;"] {
        s.command(Command::Send {
            to: Target::All,
            bytes: m.as_bytes().to_vec(),
        });
    }
    let n = other.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"one;two;");
}
