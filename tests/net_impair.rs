//! A relay's bad network on purpose, below the window: delay, slicing
//! (分包), a cut after N bytes, corruption, and a change while traffic
//! flows. Real sockets on 127.0.0.1; the relay is opened from the same
//! spec syntax the command line takes.

mod netcommon;
use netcommon::*;
use netpal::net::impair::Impairment;
use netpal::net::{CloseReason, Command, Event, OpenSpec, Session};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A relay toward a fresh target with `options` (",delay=200ms"...), one
/// client linked: (relay, client, the target's end).
fn relay_with(options: &str) -> (Session, TcpStream, TcpStream) {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let to = target.local_addr().unwrap();
    let relay = open(&format!("relay:127.0.0.1:0,to={to}{options}"));
    let at = opened(&relay);
    let client = TcpStream::connect(at).unwrap();
    client.set_read_timeout(Some(DEADLINE)).unwrap();
    let upstream = accept_within(&target);
    wait_event(&relay, "linked", |e| matches!(e, Event::Linked { .. }));
    (relay, client, upstream)
}

/// Reads until `n` bytes came; returns them and how many reads it took.
fn read_counting(s: &mut TcpStream, n: usize) -> (Vec<u8>, usize) {
    let mut got = Vec::new();
    let mut reads = 0;
    let mut buf = [0u8; 64];
    while got.len() < n {
        let k = s.read(&mut buf).expect("data within the deadline");
        assert!(k > 0, "closed after {got:?}");
        reads += 1;
        got.extend_from_slice(&buf[..k]);
    }
    (got, reads)
}

/// Keeps the relay's events drained while `f` runs (a relay reads only
/// while its UI keeps up with what it reports).
fn draining<R>(relay: &Session, f: impl FnOnce() -> R + Send) -> R
where
    R: Send,
{
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|sc| {
        sc.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = relay.wait_event(Duration::from_millis(5));
            }
        });
        let r = f();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    })
}

#[test]
fn a_delay_adds_its_time_to_each_way_of_a_round_trip() {
    let (relay, mut client, mut upstream) = relay_with(",delay=150ms");
    let echo = std::thread::spawn(move || {
        let mut buf = [0u8; 4];
        upstream.read_exact(&mut buf).unwrap();
        upstream.write_all(&buf).unwrap();
        upstream
    });
    let took = draining(&relay, || {
        let start = Instant::now();
        client.write_all(b"ping").unwrap();
        let mut back = [0u8; 4];
        client.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"ping");
        start.elapsed()
    });
    let _ = echo.join();
    // 150 ms toward the target and 150 back: at least 300, and not much
    // more (a loaded machine gets some slack).
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_millis(600), "{took:?}");
}

#[test]
fn a_slice_of_one_byte_every_50_ms_makes_the_target_read_hello_in_five_reads() {
    let (relay, mut client, mut upstream) = relay_with(",up.slice=1/50ms");
    let (got, reads) = draining(&relay, || {
        client.write_all(b"hello").unwrap();
        read_counting(&mut upstream, 5)
    });
    assert_eq!(got, b"hello");
    assert_eq!(reads, 5, "分包: one byte a read");
    // The other direction is untouched: one write, one read.
    let (got, reads) = draining(&relay, || {
        upstream.write_all(b"whole").unwrap();
        read_counting(&mut client, 5)
    });
    assert_eq!((got.as_slice(), reads), (&b"whole"[..], 1));
}

#[test]
fn merge_joins_messages_that_arrive_close_together_into_one_read() {
    let (relay, mut client, mut upstream) = relay_with(",up.merge=200ms");
    let (got, reads) = draining(&relay, || {
        for m in ["one;", "two;", "six;"] {
            client.write_all(m.as_bytes()).unwrap();
            std::thread::sleep(Duration::from_millis(10));
        }
        read_counting(&mut upstream, 12)
    });
    assert_eq!(got, b"one;two;six;");
    assert_eq!(reads, 1, "粘包: three messages in one read");
}

#[test]
fn a_cut_closes_the_link_after_its_count_of_bytes() {
    let (relay, mut client, mut upstream) = relay_with(",up.cut=4");
    client.write_all(b"abcdefgh").unwrap();
    let mut got = Vec::new();
    upstream
        .read_to_end(&mut got)
        .expect("a close, not an error");
    assert_eq!(got, b"abcd", "four bytes, then the close");
    // The log says why the target's side ended.
    let cut = |e: &Event| {
        matches!(
            e,
            Event::Disconnected {
                reason: CloseReason::Cut {
                    after: 4,
                    reset: false
                },
                ..
            }
        )
    };
    wait_event(&relay, "the cut", |e| match e {
        Event::Target(inner) => cut(inner),
        e => cut(e),
    });
    // And the client's side ends with it.
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn corruption_flips_bits_and_the_log_names_the_bytes() {
    let (relay, mut client, mut upstream) = relay_with(",up.corrupt=100%");
    client.write_all(&[0u8; 16]).unwrap();
    let mut got = [0u8; 16];
    upstream.read_exact(&mut got).unwrap();
    // Every byte has exactly one bit flipped.
    assert!(got.iter().all(|b| b.count_ones() == 1), "{got:?}");
    let ev = wait_event(&relay, "the corruption's note", |e| {
        matches!(e, Event::Target(inner) if matches!(**inner, Event::Corrupted { .. }))
            || matches!(e, Event::Corrupted { .. })
    });
    let flipped = match ev {
        Event::Target(inner) => match *inner {
            Event::Corrupted { flipped, total, .. } => {
                assert_eq!(total, 16);
                flipped
            }
            _ => unreachable!(),
        },
        Event::Corrupted { flipped, total, .. } => {
            assert_eq!(total, 16);
            flipped
        }
        _ => unreachable!(),
    };
    for f in flipped {
        assert_eq!(got[f.offset as usize], f.now);
        assert_eq!(f.was, 0);
    }
}

#[test]
fn a_change_while_traffic_flows_applies_to_the_next_message() {
    let (relay, mut client, mut upstream) = relay_with("");
    let quick = draining(&relay, || {
        let start = Instant::now();
        client.write_all(b"a").unwrap();
        read_counting(&mut upstream, 1);
        start.elapsed()
    });
    assert!(
        quick < Duration::from_millis(150),
        "{quick:?} with no delay"
    );
    let mut m = Impairment::default();
    m.parse_option("up.delay", "300ms").unwrap();
    relay.command(Command::SetImpairment(m));
    // The command reaches the worker before the next byte does.
    std::thread::sleep(Duration::from_millis(50));
    let slow = draining(&relay, || {
        let start = Instant::now();
        client.write_all(b"b").unwrap();
        read_counting(&mut upstream, 1);
        start.elapsed()
    });
    assert!(
        slow >= Duration::from_millis(300),
        "{slow:?} with a 300 ms delay"
    );
    // And off again: the switch turns it all off.
    relay.command(Command::SetImpairment(Impairment::default()));
    std::thread::sleep(Duration::from_millis(50));
    let quick = draining(&relay, || {
        let start = Instant::now();
        client.write_all(b"c").unwrap();
        read_counting(&mut upstream, 1);
        start.elapsed()
    });
    assert!(quick < Duration::from_millis(150), "{quick:?} once off");
}

#[test]
fn bad_impairment_options_are_refused_with_the_option_and_its_range() {
    for (spec, words) in [
        (
            "relay:127.0.0.1:0,to=127.0.0.1:9,delay=2h",
            "delay=2h: delay takes a time from 0 to 60 s",
        ),
        (
            "relay:127.0.0.1:0,to=127.0.0.1:9,up.loss=5%",
            "only for udp-relay",
        ),
        (
            "udp-relay:127.0.0.1:0,to=127.0.0.1:9,slice=1/20ms",
            "only for relay (TCP)",
        ),
        (
            "relay:127.0.0.1:0,to=127.0.0.1:9,corrupt=120%",
            "0% to 100%",
        ),
        (
            "relay:127.0.0.1:0,to=127.0.0.1:9,cut=0",
            "a byte count from 1",
        ),
    ] {
        let e = OpenSpec::parse(spec).expect_err(spec).to_string();
        assert!(e.contains(words), "{spec}: {e}");
    }
    // A TCP server has no such options.
    let e = OpenSpec::parse("tcp-server:127.0.0.1:0,delay=1s").unwrap_err();
    assert!(e.to_string().contains("delay"), "{e}");
}

/// A UDP relay toward a target socket here, with `options`: (relay, the
/// client's socket connected to the relay, the target's socket).
fn udp_relay_with(options: &str) -> (Session, std::net::UdpSocket, std::net::UdpSocket) {
    let target = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = target.local_addr().unwrap();
    let relay = open(&format!("udp-relay:127.0.0.1:0,to={to}{options}"));
    let at = opened(&relay);
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.connect(at).unwrap();
    target
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    (relay, client, target)
}

/// What the target receives until it has been quiet for 300 ms.
fn datagrams(target: &std::net::UdpSocket) -> Vec<(Vec<u8>, Instant)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    let start = Instant::now();
    while let Ok((n, _)) = target.recv_from(&mut buf) {
        got.push((buf[..n].to_vec(), Instant::now()));
        assert!(start.elapsed() < DEADLINE);
    }
    got
}

#[test]
fn a_udp_relay_drops_duplicates_and_delays_datagrams_as_asked() {
    // Every datagram lost, and counted as dropped.
    let (relay, client, target) = udp_relay_with(",up.loss=100%");
    for i in 0..20u8 {
        client.send(&[i]).unwrap();
    }
    // Each one is said to be dropped, as each one read is logged.
    for _ in 0..20 {
        wait_event(&relay, "a datagram dropped on purpose", |e| {
            matches!(
                e,
                Event::Dropped {
                    toward_target: true,
                    bytes: 1,
                    ..
                }
            )
        });
    }
    let got = datagrams(&target);
    assert!(got.is_empty(), "{} datagrams through 100% loss", got.len());

    // Every datagram twice.
    let (relay, client, target) = udp_relay_with(",up.dup=100%");
    let got = draining(&relay, || {
        for i in 0..10u8 {
            client.send(&[i]).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        datagrams(&target)
    });
    let mut seen: Vec<u8> = got.iter().map(|(d, _)| d[0]).collect();
    seen.sort();
    let want: Vec<u8> = (0..10u8).flat_map(|i| [i, i]).collect();
    assert_eq!(seen, want);

    // Held for its delay.
    let (relay, client, target) = udp_relay_with(",up.delay=150ms");
    let sent = Instant::now();
    client.send(b"late").unwrap();
    // The log says so, with the time it was held.
    let held = wait_event(&relay, "a datagram held on purpose", |e| {
        matches!(
            e,
            Event::Held {
                toward_target: true,
                bytes: 4,
                ..
            }
        )
    });
    let Event::Held { after, .. } = held else {
        unreachable!()
    };
    assert!(after >= Duration::from_millis(150), "{after:?}");
    assert!(after < Duration::from_millis(450), "{after:?}");
    let got = datagrams(&target);
    assert_eq!(got.len(), 1);
    let took = got[0].1 - sent;
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert!(took < Duration::from_millis(450), "{took:?}");
}

/// A session's own sends, split (分包) and joined (粘包) on purpose, as
/// `--split` and `--join` and the send box's fields ask.
#[test]
fn a_session_s_sends_split_into_pieces_and_join_into_one_write() {
    use netpal::net::Target;
    use netpal::net::impair::{SendShape, parse_slice};
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut spec = OpenSpec::parse(&format!("tcp-client:{}", l.local_addr().unwrap())).unwrap();
    spec.send_shape.split = parse_slice("1/50ms");
    let s = Session::open(spec, std::sync::Arc::new(|| {})).unwrap();
    let mut peer = accept_within(&l);
    wait_event(&s, "connected", |e| matches!(e, Event::Connected { .. }));
    s.command(Command::Send {
        to: Target::All,
        bytes: b"hello".to_vec(),
    });
    let (got, reads) = draining(&s, || read_counting(&mut peer, 5));
    assert_eq!(got, b"hello");
    assert_eq!(reads, 5, "分包: one byte a read");
    // Three sends joined into one write.
    s.command(Command::SetSendShape(SendShape {
        split: None,
        join: Some(3),
    }));
    let (got, reads) = draining(&s, || {
        for m in ["one;", "two;", "six;"] {
            s.command(Command::Send {
                to: Target::All,
                bytes: m.as_bytes().to_vec(),
            });
            std::thread::sleep(Duration::from_millis(20));
        }
        read_counting(&mut peer, 12)
    });
    assert_eq!(got, b"one;two;six;");
    assert_eq!(reads, 1, "粘包: three sends in one read");
}
