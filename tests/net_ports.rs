//! The machine's ports, read from the system's tables: a listener this
//! test opens is there with this process's PID and name, and is gone once
//! closed; a connected pair shows both ends.

use netpal::net::ports::{PortProto, PortSocket, ephemeral_range, read_sockets};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(10);

/// Reads the tables until `pred` holds for what they list (the system may
/// take a moment to show a change), within the deadline.
fn until(what: &str, mut pred: impl FnMut(&[PortSocket]) -> bool) -> Vec<PortSocket> {
    let start = Instant::now();
    loop {
        let snap = read_sockets();
        assert!(snap.error.is_none(), "{:?}", snap.error);
        if pred(&snap.sockets) {
            return snap.sockets;
        }
        assert!(start.elapsed() < DEADLINE, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn find(sockets: &[PortSocket], proto: PortProto, local: SocketAddr) -> Option<&PortSocket> {
    sockets
        .iter()
        .find(|s| s.proto == proto && s.local == local && s.remote.is_none())
}

#[test]
fn a_listener_shows_with_this_process_and_goes_when_closed() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let at = l.local_addr().unwrap();
    let sockets = until("the listener listed", |s| {
        find(s, PortProto::Tcp, at).is_some()
    });
    let row = find(&sockets, PortProto::Tcp, at).unwrap();
    assert_eq!(row.state, Some("LISTEN"));
    let me = std::process::id();
    let holder = row.holders.iter().find(|h| h.pid == me).expect("our PID");
    let exe = std::env::current_exe().unwrap();
    let stem = exe.file_stem().unwrap().to_string_lossy().to_string();
    let name = holder.name.clone().expect("a process name");
    // Linux keeps the first 15 bytes of a name; Windows names the .exe.
    assert!(
        stem.starts_with(name.trim_end_matches(".exe")),
        "{name} for {stem}"
    );
    assert!(row.is_ours());
    drop(l);
    until("the listener gone", |s| {
        find(s, PortProto::Tcp, at).is_none()
    });
}

#[test]
fn a_connected_pair_shows_both_ends_established_and_udp_too() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    let (a, b) = (c.local_addr().unwrap(), s.local_addr().unwrap());
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ua = u.local_addr().unwrap();
    let sockets = until("both ends and the UDP socket", |all| {
        let end = |local, remote| {
            all.iter().any(|x| {
                x.proto == PortProto::Tcp
                    && x.local == local
                    && x.remote == Some(remote)
                    && x.state == Some("ESTABLISHED")
            })
        };
        end(a, b) && end(b, a) && find(all, PortProto::Udp, ua).is_some()
    });
    let udp = find(&sockets, PortProto::Udp, ua).unwrap();
    assert_eq!(udp.state, None);
    assert!(udp.is_ours());
    // The client's port is an ephemeral one, from the system's range.
    if let Some(r) = ephemeral_range() {
        assert!(r.low <= r.high);
        #[cfg(target_os = "linux")]
        assert!(r.contains(a.port()), "{a} outside {r:?}");
    }
}
