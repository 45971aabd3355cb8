//! The TCP relay's worker without a UI: it links each client to the target
//! and passes bytes both ways, passes closes and resets on, says why when
//! the target is down, takes bytes added toward either side, and holds a
//! direction on demand. Real sockets on 127.0.0.1.

mod netcommon;
use netcommon::*;
use netpal::net::{CloseReason, Command, Event, HostPort, Op, OpenSpec, Session, Target};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

fn read_exact_within(s: &mut TcpStream, n: usize) -> Vec<u8> {
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = vec![0; n];
    s.read_exact(&mut buf)
        .expect("the bytes within the deadline");
    buf
}

/// A relay on 127.0.0.1 toward `target`; returns it and where it listens.
fn open_relay(target: SocketAddr) -> (Session, SocketAddr) {
    let spec = OpenSpec::relay("127.0.0.1:0".parse().unwrap(), HostPort::from(target));
    let s = Session::open(spec, Arc::new(|| {})).unwrap();
    let ev = wait_event(&s, "listening", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    (s, local)
}

/// A relay with one client linked to a target: (relay, client, the
/// target's end of the link).
fn linked() -> (Session, TcpStream, TcpStream) {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let (relay, at) = open_relay(target.local_addr().unwrap());
    let client = TcpStream::connect(at).unwrap();
    client.set_read_timeout(Some(DEADLINE)).unwrap();
    let upstream = accept_within(&target);
    let me = client.local_addr().unwrap();
    let ev = wait_event(&relay, "linked", |e| matches!(e, Event::Linked { .. }));
    let Event::Linked {
        peer, target: t, ..
    } = ev
    else {
        unreachable!()
    };
    assert_eq!(peer, me, "the link names its client");
    assert_eq!(t, target.local_addr().unwrap());
    (relay, client, upstream)
}

/// The bytes of a received-data event on the given side.
fn received(ev: &Event, target_side: bool) -> Option<(SocketAddr, Vec<u8>)> {
    let (inner, side) = match ev {
        Event::Target(inner) => (inner.as_ref(), true),
        ev => (ev, false),
    };
    if side != target_side {
        return None;
    }
    let peer = match inner {
        Event::Received { peer, .. } | Event::Frames { peer, .. } => *peer,
        _ => return None,
    };
    Some((peer, inner.records().concat()))
}

#[test]
fn a_relay_passes_bytes_both_ways_and_reports_each_side() {
    let (relay, mut client, mut upstream) = linked();
    let me = client.local_addr().unwrap();
    client.write_all(b"ping from the client").unwrap();
    assert_eq!(
        read_exact_within(&mut upstream, 20),
        b"ping from the client"
    );
    let ev = wait_event(&relay, "the client's bytes", |e| {
        received(e, false).is_some()
    });
    assert_eq!(
        received(&ev, false),
        Some((me, b"ping from the client".to_vec()))
    );
    upstream.write_all(b"pong from the target").unwrap();
    assert_eq!(read_exact_within(&mut client, 20), b"pong from the target");
    let ev = wait_event(&relay, "the target's bytes", |e| {
        received(e, true).is_some()
    });
    assert_eq!(
        received(&ev, true),
        Some((me, b"pong from the target".to_vec())),
        "the target's bytes are reported on the target side, for their client"
    );
}

#[test]
fn a_half_close_passes_on_and_the_other_way_still_works() {
    let (relay, mut client, mut upstream) = linked();
    client.write_all(b"request").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    upstream.read_to_end(&mut got).expect("EOF, not an error");
    assert_eq!(got, b"request", "the target reads the bytes, then EOF");
    // The answer still flows back after the client's FIN.
    upstream.write_all(b"answer after the fin").unwrap();
    upstream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    client.read_to_end(&mut back).expect("EOF, not an error");
    assert_eq!(back, b"answer after the fin");
    // Both sides ended: the link is gone, on both sides.
    wait_event(&relay, "the client's end", |e| {
        matches!(
            e,
            Event::Disconnected {
                reason: CloseReason::PeerClosed,
                ..
            }
        )
    });
}

#[test]
fn a_reset_by_the_target_resets_the_client() {
    if under_wine() {
        println!(
            "skipped under Wine: Wine does not always turn a close with SO_LINGER 0 into a reset (the peer sees a FIN), as Windows does"
        );
        return;
    }
    let (relay, mut client, upstream) = linked();
    socket2::SockRef::from(&upstream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(upstream);
    let mut buf = [0u8; 16];
    let err = client.read(&mut buf).expect_err("a reset, not data or EOF");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    wait_event(&relay, "the target side's reset", |e| {
        matches!(e, Event::Target(inner) if matches!(
            inner.as_ref(),
            Event::Disconnected { reason: CloseReason::Reset, .. }
        ))
    });
}

#[test]
fn a_target_that_is_down_closes_the_client_and_says_why() {
    // A port nobody listens on.
    let gone = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = gone.local_addr().unwrap();
    drop(gone);
    let (relay, at) = open_relay(down);
    let mut client = TcpStream::connect(at).unwrap();
    let me = client.local_addr().unwrap();
    client.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = [0u8; 16];
    match client.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("the client should be closed, got {other:?}"),
    }
    let ev = wait_event(&relay, "the client's close", |e| {
        matches!(e, Event::Disconnected { .. })
    });
    let Event::Disconnected { peer, reason, .. } = ev else {
        unreachable!()
    };
    assert_eq!(peer, me);
    let CloseReason::Error(e) = reason else {
        panic!("the reason should be the failed connect, got {reason:?}");
    };
    assert_eq!(e.op, Op::Connect(down), "the log says which target failed");
}

#[test]
fn bytes_can_be_added_toward_either_side() {
    let (relay, mut client, mut upstream) = linked();
    relay.command(Command::Send {
        to: Target::Upstream(Box::new(Target::All)),
        bytes: b"toward the target".to_vec(),
    });
    assert_eq!(read_exact_within(&mut upstream, 17), b"toward the target");
    wait_event(
        &relay,
        "the target side's send",
        |e| matches!(e, Event::Target(inner) if matches!(inner.as_ref(), Event::Sent { .. })),
    );
    relay.command(Command::Send {
        to: Target::All,
        bytes: b"toward the client".to_vec(),
    });
    assert_eq!(read_exact_within(&mut client, 17), b"toward the client");
    wait_event(&relay, "the client side's send", |e| {
        matches!(e, Event::Sent { .. })
    });
}

#[test]
fn a_held_direction_is_shown_and_waits_then_flows_in_order() {
    let (relay, mut client, mut upstream) = linked();
    relay.command(Command::Hold {
        toward_target: true,
        on: true,
    });
    // The hold is in force once a command sent after it has been carried out.
    relay.command(Command::Send {
        to: Target::All,
        bytes: b"marker".to_vec(),
    });
    assert_eq!(read_exact_within(&mut client, 6), b"marker");
    client.write_all(b"first ").unwrap();
    wait_event(&relay, "the held bytes shown", |e| {
        received(e, false).is_some()
    });
    client.write_all(b"second").unwrap();
    wait_event(&relay, "more held bytes shown", |e| {
        received(e, false).is_some()
    });
    // Shown, and not passed on: a relay passes bytes on before it reports them.
    upstream.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    match upstream.read(&mut buf) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("held bytes reached the target: {other:?}"),
    }
    upstream.set_nonblocking(false).unwrap();
    relay.command(Command::Hold {
        toward_target: true,
        on: false,
    });
    assert_eq!(read_exact_within(&mut upstream, 12), b"first second");
    // The other direction was never held.
    upstream.write_all(b"back").unwrap();
    assert_eq!(read_exact_within(&mut client, 4), b"back");
}
