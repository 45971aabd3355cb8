//! Socket options set from a spec, read back from the socket, refused by
//! the system with a message; UDP broadcast on and off. Real sockets on
//! 127.0.0.0/8.

mod netcommon;
use netcommon::*;
use netpal::net::{Command, Event, HostPort, NetErrorKind, Op, ReadBack, Target};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};

fn value<'a>(r: &'a ReadBack, name: &str) -> &'a str {
    r.values
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} not read back: {r}"))
}

fn options_of(ev: Event) -> (Option<SocketAddr>, ReadBack) {
    match ev {
        Event::Options { peer, read, .. } => (peer, read),
        other => panic!("not options: {other:?}"),
    }
}

#[test]
fn options_are_set_before_use_and_read_back() {
    let s = open("tcp-server:127.0.0.1:0,rcvbuf=300000,nodelay=0,keepalive=30/5,linger=2,ttl=9");
    let ev = wait_event(&s, "opened", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    let (peer, listener) = options_of(wait_event(&s, "the listener's options", |e| {
        matches!(e, Event::Options { .. })
    }));
    assert_eq!(peer, None);
    let rcv: usize = value(&listener, "SO_RCVBUF").parse().unwrap();
    assert!(rcv >= 300_000, "SO_RCVBUF read back as {rcv}");
    assert_eq!(value(&listener, "IP_TTL"), "9");
    let client = TcpStream::connect(local).unwrap();
    let me = client.local_addr().unwrap();
    let (peer, conn) = options_of(wait_event(&s, "the connection's options", |e| {
        matches!(e, Event::Options { peer: Some(_), .. })
    }));
    assert_eq!(peer, Some(me));
    assert_eq!(value(&conn, "TCP_NODELAY"), "off");
    assert_eq!(value(&conn, "SO_KEEPALIVE"), "on");
    assert_eq!(value(&conn, "SO_LINGER"), "2s");
    #[cfg(target_os = "linux")]
    {
        assert_eq!(value(&conn, "TCP_KEEPIDLE"), "30s");
        assert_eq!(value(&conn, "TCP_KEEPINTVL"), "5s");
    }
}

#[test]
fn an_option_the_system_refuses_is_reported_and_the_session_goes_on() {
    // Linux takes a keepalive interval of at most 32767 s.
    let s = open("tcp-server:127.0.0.1:0,keepalive=30/40000");
    let ev = wait_event(&s, "opened", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    let mut client = TcpStream::connect(local).unwrap();
    if cfg!(target_os = "linux") {
        let ev = wait_event(&s, "the refusal", |e| matches!(e, Event::Error { .. }));
        let Event::Error { error, .. } = ev else {
            unreachable!()
        };
        assert_eq!(error.op, Op::SetOption("SO_KEEPALIVE"));
    }
    // The connection works all the same.
    client.write_all(b"still here").unwrap();
    let ev = wait_event(&s, "the bytes", |e| matches!(e, Event::Received { .. }));
    assert_eq!(ev.records(), vec![&b"still here"[..]]);
    s.command(Command::Send {
        to: Target::All,
        bytes: b"ok".to_vec(),
    });
    client.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = [0u8; 2];
    client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ok");
}

/// A receiver of loopback broadcasts: bound to every address (it only
/// listens; what it hears comes over the loopback interface).
fn broadcast_receiver() -> (UdpSocket, u16) {
    let r = UdpSocket::bind("0.0.0.0:0").unwrap();
    r.set_read_timeout(Some(DEADLINE)).unwrap();
    let port = r.local_addr().unwrap().port();
    (r, port)
}

#[test]
fn udp_broadcast_reaches_the_loopback_network_when_on_and_is_refused_when_off() {
    if !cfg!(target_os = "linux") {
        println!("skipped: 127.255.255.255 is the loopback broadcast on Linux only");
        return;
    }
    let (r, port) = broadcast_receiver();
    let to = Target::Host(HostPort::new("127.255.255.255", port));
    let on = open("udp:127.0.0.1:0");
    wait_event(&on, "bound", |e| matches!(e, Event::Opened { .. }));
    on.command(Command::Send {
        to: to.clone(),
        bytes: b"to everyone".to_vec(),
    });
    let mut buf = [0u8; 64];
    let (n, _) = r.recv_from(&mut buf).expect("the broadcast");
    assert_eq!(&buf[..n], b"to everyone");

    let off = open("udp:127.0.0.1:0,broadcast=0");
    wait_event(&off, "bound", |e| matches!(e, Event::Opened { .. }));
    off.command(Command::Send {
        to,
        bytes: b"to everyone".to_vec(),
    });
    let ev = wait_event(&off, "the refusal", |e| matches!(e, Event::Error { .. }));
    let Event::Error { error, .. } = ev else {
        unreachable!()
    };
    assert_eq!(error.kind, NetErrorKind::PermissionDenied, "{error:?}");
}
