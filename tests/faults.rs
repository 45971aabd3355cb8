//! Broken peers and hostile conditions, on real sockets: each is said in
//! words and ends no more than it must; nothing is left behind.

mod netcommon;
use netcommon::*;
use netpal::net::{CloseReason, Command, Event, NetErrorKind, OpenSpec, Session, Target};
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod netns;

#[test]
fn a_peer_reset_mid_stream_ends_only_its_connection() {
    let s = open("tcp-server:127.0.0.1:0");
    let at = opened(&s);
    let a = TcpStream::connect(at).unwrap();
    let mut b = TcpStream::connect(at).unwrap();
    let a_addr = a.local_addr().unwrap();
    b.set_read_timeout(Some(DEADLINE)).unwrap();
    for _ in 0..2 {
        wait_event(&s, "accepted", |e| matches!(e, Event::Accepted { .. }));
    }
    let mut a = a;
    a.write_all(&[b'x'; 100_000]).unwrap();
    socket2::SockRef::from(&a)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(a);
    let ev = wait_event(
        &s,
        "a's end",
        |e| matches!(e, Event::Disconnected { peer, .. } if *peer == a_addr),
    );
    assert!(
        matches!(
            ev,
            Event::Disconnected {
                reason: CloseReason::Reset | CloseReason::PeerClosed,
                ..
            }
        ),
        "{ev:?}"
    );
    // The other connection goes on both ways.
    b.write_all(b"still here").unwrap();
    wait_event(&s, "b's bytes", |e| e.records().concat() == b"still here");
    s.command(Command::Send {
        to: Target::All,
        bytes: b"and you".to_vec(),
    });
    let mut buf = [0u8; 7];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"and you");
}

#[test]
fn an_address_not_on_this_machine_cannot_be_bound_and_says_so() {
    // TEST-NET-3: never assigned to a real machine.
    let s = open("tcp-server:203.0.113.77:0");
    assert_eq!(closed_with(&s).kind, NetErrorKind::AddrNotAvailable);
    if netcommon::under_wine() {
        println!(
            "skipped under Wine: Wine binds a UDP socket to any address, even one the machine does not have"
        );
        return;
    }
    let s = open("udp:203.0.113.77:0");
    assert_eq!(closed_with(&s).kind, NetErrorKind::AddrNotAvailable);
}

#[test]
fn a_port_in_use_is_said_as_such() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let s = open(&format!("tcp-server:127.0.0.1:{port}"));
    assert_eq!(closed_with(&s).kind, NetErrorKind::AddrInUse);
}

#[test]
fn an_unreachable_network_is_said_at_once() {
    #[cfg(not(target_os = "linux"))]
    println!("skipped: the unreachable network is made in a Linux network namespace");
    #[cfg(target_os = "linux")]
    {
        // In a namespace of the test's own, with no route anywhere but its
        // own links: nothing leaves this machine.
        let done = netns::in_new_netns(|| {
            let s = open("tcp-client:198.51.100.7:80");
            let e = closed_with(&s);
            assert_eq!(e.kind, NetErrorKind::NetworkUnreachable, "{e:?}");
        });
        if done.is_none() {
            println!(
                "skipped: this process may not create a network namespace (needs root and the ip tool)"
            );
        }
    }
}

#[test]
fn udp_takes_empty_and_largest_datagrams_both_ways() {
    let s = open("udp:127.0.0.1:0");
    let at = opened(&s);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    let me = peer.local_addr().unwrap();
    let big = vec![0xA5u8; netpal::net::MAX_DATAGRAM];
    assert_eq!(big.len(), 65_507);
    peer.send_to(&[], at).unwrap();
    peer.send_to(&big, at).unwrap();
    let mut sizes = Vec::new();
    while sizes.len() < 2 {
        let ev = wait_event(&s, "datagrams", |e| matches!(e, Event::Received { .. }));
        sizes.push(ev.records().concat().len());
    }
    assert_eq!(sizes, [0, 65_507]);
    for bytes in [Vec::new(), big.clone()] {
        s.command(Command::Send {
            to: Target::Peers(vec![me]),
            bytes,
        });
    }
    let mut buf = vec![0u8; 70_000];
    assert_eq!(peer.recv(&mut buf).unwrap(), 0);
    assert_eq!(peer.recv(&mut buf).unwrap(), 65_507);
    assert_eq!(&buf[..65_507], &big[..]);
}

/// A send to a port nobody listens on draws an ICMP "port unreachable".
/// On Linux the session says so, naming the send it answers. Windows would
/// fail the socket's next receive with WSAECONNRESET unless told not to
/// (SIO_UDP_CONNRESET), and cannot say which send it was for: there the
/// session says nothing. Everywhere it goes on receiving from everyone
/// else, and no receive fails.
#[test]
fn a_udp_send_to_a_closed_port_is_said_and_the_session_goes_on() {
    let s = open("udp:127.0.0.1:0");
    let at = opened(&s);
    let gone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let closed = gone.local_addr().unwrap();
    drop(gone);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut errors = Vec::new();
    for round in 0..3 {
        s.command(Command::Send {
            to: Target::Peers(vec![closed]),
            bytes: b"anyone?".to_vec(),
        });
        #[cfg(target_os = "linux")]
        {
            let ev = wait_event(&s, "the refusal", |e| matches!(e, Event::Error { .. }));
            let Event::Error { error, .. } = ev else {
                unreachable!()
            };
            assert_eq!(error.kind, NetErrorKind::ConnectionRefused, "{error:?}");
            assert_eq!(
                error.op,
                netpal::net::Op::Send(closed),
                "the error names the send it answers"
            );
        }
        #[cfg(not(target_os = "linux"))]
        wait_event(&s, "the send", |e| {
            if let Event::Error { error, .. } = e {
                errors.push(error.clone());
            }
            matches!(e, Event::Sent { peer, .. } if *peer == closed)
        });
        let want = format!("after the refusal {round}");
        peer.send_to(want.as_bytes(), at).unwrap();
        wait_event(&s, "a later datagram", |e| {
            assert!(
                !matches!(e, Event::Closed { .. }),
                "the session ended: {e:?}"
            );
            if let Event::Error { error, .. } = e {
                errors.push(error.clone());
            }
            e.records().concat() == want.as_bytes()
        });
    }
    assert!(
        errors.iter().all(|e| e.op != netpal::net::Op::UdpReceive),
        "a receive failed after a send to a closed port: {errors:?}"
    );
}

#[test]
fn echo_to_a_peer_that_reads_late_holds_it_back_and_drops_nothing() {
    let mut spec = OpenSpec::parse("tcp-server:127.0.0.1:0").unwrap();
    spec.echo = true;
    let s = Session::open(spec, Arc::new(|| {})).unwrap();
    let at = opened(&s);
    let c = TcpStream::connect(at).unwrap();
    // Twice the send queue's cap, written before anything is read back:
    // the echo must wait for the peer (through TCP), not be refused.
    let total = 128usize << 20;
    let mut w = c.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        while sent < total {
            if w.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    // The writer stalls once the echo backs up; give it time to.
    let start = Instant::now();
    let mut errors = Vec::new();
    while start.elapsed() < Duration::from_millis(500) {
        if let Some(Event::Error { error, .. }) = s.wait_event(Duration::from_millis(20)) {
            errors.push(error);
        }
    }
    // Now read it all back: the same bytes, in order.
    let mut r = c;
    r.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut got = 0usize;
    let read_start = Instant::now();
    while got < total && read_start.elapsed() < DEADLINE {
        let n = r
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("the echo stopped at {got} of {total} bytes: {e}"));
        assert!(n > 0, "the echo ended early at {got}");
        for (k, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, ((got + k) % (64 * 1024) % 251) as u8, "at {}", got + k);
        }
        got += n;
        while let Some(ev) = s.try_event() {
            if let Event::Error { error, .. } = ev {
                errors.push(error);
            }
        }
    }
    assert_eq!(writer.join().unwrap(), total);
    assert_eq!(got, total);
    assert!(errors.is_empty(), "{errors:?}");
}
