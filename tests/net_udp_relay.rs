//! The UDP relay's worker: each client's datagrams reach the target from a
//! socket of that client's own, the answers come back to that client, both
//! sides are reported; datagrams added toward either side; a held direction
//! waits. Real sockets on 127.0.0.1.

mod netcommon;
use netcommon::*;
use netpal::net::{Command, Event, HostPort, OpenSpec, Session, Target};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

fn socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s
}

fn recv(s: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (n, from) = s
        .recv_from(&mut buf)
        .expect("a datagram within the deadline");
    (buf[..n].to_vec(), from)
}

/// A relay toward `target`; returns it and where clients send.
fn open_relay(target: SocketAddr) -> (Session, SocketAddr) {
    let spec = OpenSpec::udp_relay("127.0.0.1:0".parse().unwrap(), HostPort::from(target));
    let s = Session::open(spec, Arc::new(|| {})).unwrap();
    let ev = wait_event(&s, "bound", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    (s, local)
}

fn target_side_data(ev: &Event) -> Option<(SocketAddr, Vec<u8>)> {
    match ev {
        Event::Target(inner) => match inner.as_ref() {
            Event::Received { peer, bytes, .. } => Some((*peer, bytes.clone())),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn each_client_gets_its_own_answers_and_both_sides_are_reported() {
    let target = socket();
    let (relay, at) = open_relay(target.local_addr().unwrap());
    let (a, b) = (socket(), socket());
    a.send_to(b"from a", at).unwrap();
    let (got, a_via) = recv(&target);
    assert_eq!(got, b"from a");
    b.send_to(b"from b", at).unwrap();
    let (got, b_via) = recv(&target);
    assert_eq!(got, b"from b");
    assert_ne!(
        a_via, b_via,
        "each client has a socket of its own toward the target"
    );
    // Answers go back to the client each socket serves.
    target.send_to(b"answer to b", b_via).unwrap();
    target.send_to(b"answer to a", a_via).unwrap();
    assert_eq!(recv(&b).0, b"answer to b");
    assert_eq!(recv(&a).0, b"answer to a");
    let a_addr = a.local_addr().unwrap();
    wait_event(
        &relay,
        "a's datagram reported",
        |e| matches!(e, Event::Received { peer, bytes, .. } if *peer == a_addr && bytes == b"from a"),
    );
    let ev = wait_event(&relay, "the answer to a, on the target side", |e| {
        target_side_data(e).is_some_and(|(p, _)| p == a_addr)
    });
    assert_eq!(target_side_data(&ev).unwrap().1, b"answer to a");
}

#[test]
fn datagrams_can_be_added_toward_either_side_and_a_direction_held() {
    let target = socket();
    let (relay, at) = open_relay(target.local_addr().unwrap());
    let client = socket();
    client.send_to(b"hello", at).unwrap();
    let (_, via) = recv(&target);
    wait_event(&relay, "linked", |e| matches!(e, Event::Linked { .. }));
    relay.command(Command::Send {
        to: Target::Upstream(Box::new(Target::All)),
        bytes: b"added toward the target".to_vec(),
    });
    assert_eq!(recv(&target).0, b"added toward the target");
    relay.command(Command::Send {
        to: Target::All,
        bytes: b"added toward the client".to_vec(),
    });
    assert_eq!(recv(&client).0, b"added toward the client");

    relay.command(Command::Hold {
        toward_target: false,
        on: true,
    });
    // In force once a later command has gone through.
    relay.command(Command::Send {
        to: Target::Upstream(Box::new(Target::All)),
        bytes: b"marker".to_vec(),
    });
    assert_eq!(recv(&target).0, b"marker");
    target.send_to(b"held", via).unwrap();
    wait_event(&relay, "the held datagram shown", |e| {
        target_side_data(e).is_some_and(|(_, b)| b == b"held")
    });
    client.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 16];
    assert!(
        client.recv_from(&mut buf).is_err(),
        "a held datagram reached the client"
    );
    client.set_nonblocking(false).unwrap();
    relay.command(Command::Hold {
        toward_target: false,
        on: false,
    });
    assert_eq!(recv(&client).0, b"held");
}

#[test]
fn a_send_job_runs_toward_the_target_through_the_links() {
    let target = socket();
    let (relay, at) = open_relay(target.local_addr().unwrap());
    let client = socket();
    client.send_to(b"hello", at).unwrap();
    recv(&target);
    relay.command(Command::StartJob {
        id: 7,
        to: Target::Upstream(Box::new(Target::All)),
        job: netpal::net::JobSpec::Repeat {
            bytes: b"tick".to_vec(),
            interval: Duration::from_millis(10),
            count: Some(3),
        },
    });
    for _ in 0..3 {
        assert_eq!(recv(&target).0, b"tick");
    }
    let ev = wait_event(&relay, "the job's end", |e| {
        matches!(e, Event::JobEnded { .. })
    });
    assert!(
        matches!(
            ev,
            Event::JobEnded {
                items: 3,
                bytes: 12,
                end: netpal::net::JobEnd::Done,
                ..
            }
        ),
        "{ev:?}"
    );
}
