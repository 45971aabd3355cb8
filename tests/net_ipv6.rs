//! IPv6: a server on `::` takes IPv4 clients too unless v6only is set, and
//! link-local addresses with their zone (`fe80::1%np0`) work to listen on
//! and to connect to (in a network namespace the test creates, when it
//! may; skipped with a printed reason otherwise).

mod netcommon;
use netcommon::*;
use netpal::net::{Event, OpenSpec, Session};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

mod netns;

fn open(spec: &str) -> (Session, SocketAddr) {
    let spec = OpenSpec::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let s = Session::open(spec, Arc::new(|| {})).unwrap();
    let ev = wait_event(&s, "opened", |e| {
        matches!(
            e,
            Event::Opened { .. } | Event::Connected { .. } | Event::Closed { .. }
        )
    });
    match ev {
        Event::Opened { local, .. } => (s, local),
        Event::Connected { peer, .. } => (s, peer),
        other => panic!("did not open: {other:?}"),
    }
}

#[test]
fn a_server_on_all_ipv6_addresses_takes_ipv4_too_unless_v6_only() {
    let (dual, at) = open("tcp-server:[::]:0");
    let c = TcpStream::connect(("127.0.0.1", at.port())).expect("IPv4 on a dual-stack server");
    let me = c.local_addr().unwrap();
    let ev = wait_event(&dual, "accepted", |e| matches!(e, Event::Accepted { .. }));
    let Event::Accepted { peer, .. } = ev else {
        unreachable!()
    };
    assert_eq!(peer, me, "an IPv4 client is shown as IPv4, not ::ffff:");

    let (_v6, at) = open("tcp-server:[::]:0,v6only=1");
    let err = TcpStream::connect(("127.0.0.1", at.port())).expect_err("IPv4 refused");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    TcpStream::connect(("::1", at.port())).expect("IPv6 still taken");
}

/// The link-local address of `dev` once it may be used (as `ip` shows it).
#[cfg(target_os = "linux")]
fn usable_link_local(dev: &str) -> Option<std::net::Ipv6Addr> {
    let out = std::process::Command::new("ip")
        .args(["-6", "addr", "show", "dev", dev])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|l| {
        let l = l.trim();
        if !l.starts_with("inet6 fe80:") || l.contains("tentative") {
            return None;
        }
        l.split_whitespace().nth(1)?.split('/').next()?.parse().ok()
    })
}

#[test]
fn link_local_addresses_with_their_zone_listen_and_connect() {
    #[cfg(not(target_os = "linux"))]
    println!("skipped: the link-local test makes a Linux network namespace");
    #[cfg(target_os = "linux")]
    {
        let done = netns::in_new_netns(|| {
            // np0's link-local address, once it is no longer tentative.
            let start = Instant::now();
            let ll = loop {
                if let Some(ip) = usable_link_local("np0") {
                    break ip;
                }
                assert!(
                    start.elapsed() < DEADLINE,
                    "np0 never got a usable link-local address"
                );
                std::thread::sleep(Duration::from_millis(50));
            };
            let (server, at) = open(&format!("tcp-server:[{ll}%np0]:0"));
            let SocketAddr::V6(v6) = at else {
                panic!("bound to {at}");
            };
            assert_eq!(v6.scope_id(), netns::if_index("np0"), "bound on np0");
            let (_client, peer) = open(&format!("tcp-client:[{ll}%np0]:{}", at.port()));
            assert_eq!(peer.port(), at.port());
            wait_event(&server, "accepted", |e| matches!(e, Event::Accepted { .. }));
        });
        if done.is_none() {
            println!(
                "skipped: this process may not create a network namespace (needs root and the ip tool)"
            );
        }
    }
}
