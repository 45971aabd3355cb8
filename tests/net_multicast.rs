//! UDP multicast: joining a group on an interface, receiving what is sent
//! to it, sending to it, leaving; clear errors for a bad interface or a
//! group of the other IP version. IPv4 runs on the loopback interface;
//! IPv6 (which the loopback interface does not carry by default) runs in a
//! network namespace this test creates, when it may (root), and is skipped
//! with a printed reason otherwise.

mod netcommon;
use netcommon::*;
use netpal::net::{Command, Detail, Event, HostPort, Membership, OpenSpec, Session, Target};
use socket2::{Domain, Socket, Type};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

mod netns;
#[cfg(target_os = "linux")]
use netns::{if_index, in_new_netns};

const GROUP_V4: &str = "239.255.77.1";

fn open(spec: &str) -> (Session, SocketAddr) {
    let spec = OpenSpec::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let s = Session::open(spec, Arc::new(|| {})).unwrap();
    let ev = wait_event(&s, "bound", |e| matches!(e, Event::Opened { .. }));
    let Event::Opened { local, .. } = ev else {
        unreachable!()
    };
    (s, local)
}

fn received(ev: &Event) -> Option<Vec<u8>> {
    match ev {
        Event::Received { bytes, .. } => Some(bytes.clone()),
        _ => None,
    }
}

/// A plain socket that sends multicast out of the loopback interface.
fn loopback_sender() -> UdpSocket {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    s.set_multicast_if_v4(&Ipv4Addr::LOCALHOST).unwrap();
    s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    s.into()
}

#[test]
fn an_ipv4_group_joined_on_loopback_is_heard_sent_to_and_left() {
    // Bound to every address: a socket bound to 127.0.0.1 hears no group.
    let (s, local) = open(&format!("udp:0.0.0.0:0,join={GROUP_V4}@127.0.0.1"));
    let ev = wait_event(&s, "joined", |e| matches!(e, Event::Membership { .. }));
    assert!(
        matches!(&ev, Event::Membership { joined: true, via, .. } if via == "127.0.0.1"),
        "{ev:?}"
    );
    let group: SocketAddr = format!("{GROUP_V4}:{}", local.port()).parse().unwrap();
    let tx = loopback_sender();
    tx.send_to(b"to the group", group).unwrap();
    let ev = wait_event(&s, "the group's datagram", |e| received(e).is_some());
    assert_eq!(received(&ev).unwrap(), b"to the group");

    // Sending to a group goes out of the joined group's interface.
    let listener = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    listener
        .bind(&SocketAddr::from(([0, 0, 0, 0], 0)).into())
        .unwrap();
    listener
        .join_multicast_v4(&GROUP_V4.parse().unwrap(), &Ipv4Addr::LOCALHOST)
        .unwrap();
    let listener: UdpSocket = listener.into();
    listener.set_read_timeout(Some(DEADLINE)).unwrap();
    let port = listener.local_addr().unwrap().port();
    s.command(Command::Send {
        to: Target::Host(HostPort::new(GROUP_V4, port)),
        bytes: b"from NetPal to the group".to_vec(),
    });
    let mut buf = [0u8; 64];
    let (n, _) = listener
        .recv_from(&mut buf)
        .expect("NetPal's group datagram");
    assert_eq!(&buf[..n], b"from NetPal to the group");

    // Left: the group's datagrams stop; a datagram sent straight to the
    // socket after one to the group arrives alone.
    if under_wine() {
        println!(
            "leaving skipped under Wine: Wine's sockets keep Linux's IP_MULTICAST_ALL, \
             so a socket hears a group that another socket (the test's) joined"
        );
        return;
    }
    s.command(Command::Leave(
        Membership::parse(&format!("{GROUP_V4}@127.0.0.1")).unwrap(),
    ));
    wait_event(&s, "left", |e| {
        matches!(e, Event::Membership { joined: false, .. })
    });
    tx.send_to(b"nobody listens", group).unwrap();
    tx.send_to(b"direct", ("127.0.0.1", local.port())).unwrap();
    let ev = wait_event(&s, "the direct datagram", |e| received(e).is_some());
    assert_eq!(received(&ev).unwrap(), b"direct", "a left group was heard");
}

#[test]
fn a_bad_interface_or_a_group_of_the_other_version_is_said_clearly() {
    let (s, _) = open("udp:0.0.0.0:0");
    s.command(Command::Join(
        Membership::parse(&format!("{GROUP_V4}@no-such-if0")).unwrap(),
    ));
    let ev = wait_event(&s, "the error", |e| matches!(e, Event::Error { .. }));
    let Event::Error { error, .. } = ev else {
        unreachable!()
    };
    assert_eq!(error.detail, Detail::NoInterface("no-such-if0".into()));
    s.command(Command::Join(Membership::parse("ff12::7777").unwrap()));
    let ev = wait_event(&s, "the error", |e| matches!(e, Event::Error { .. }));
    let Event::Error { error, .. } = ev else {
        unreachable!()
    };
    assert_eq!(error.detail, Detail::WrongFamily);
}

#[test]
fn an_ipv6_group_is_heard_in_a_namespace_of_the_tests_own() {
    #[cfg(not(target_os = "linux"))]
    println!("skipped: the IPv6 multicast test makes a Linux network namespace");
    #[cfg(target_os = "linux")]
    {
        let done = in_new_netns(|| {
            let (s, local) = open("udp:[::]:0,join=ff12::7777@np0");
            let ev = wait_event(&s, "joined", |e| {
                matches!(e, Event::Membership { .. } | Event::Error { .. })
            });
            assert!(
                matches!(ev, Event::Membership { joined: true, .. }),
                "{ev:?}"
            );
            let tx = Socket::new(Domain::IPV6, Type::DGRAM, None).unwrap();
            let np0 = if_index("np0");
            tx.set_multicast_if_v6(np0).unwrap();
            let tx: UdpSocket = tx.into();
            let to: SocketAddr = format!("[ff12::7777]:{}", local.port()).parse().unwrap();
            // The new link takes a moment to carry IPv6 (its address is
            // being checked): try until it does.
            let start = Instant::now();
            while let Err(e) = tx.send_to(b"v6 group", to) {
                assert!(
                    start.elapsed() < DEADLINE,
                    "the link never carried IPv6: {e}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            let ev = wait_event(&s, "the v6 group's datagram", |e| received(e).is_some());
            assert_eq!(received(&ev).unwrap(), b"v6 group");
        });
        if done.is_none() {
            println!(
                "skipped: this process may not create a network namespace (needs root and the ip tool)"
            );
        }
    }
}
