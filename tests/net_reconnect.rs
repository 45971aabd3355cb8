//! A TCP client's connect timeout and auto-reconnect, on the worker with
//! real sockets on 127.0.0.1.

mod netcommon;
use netcommon::*;
use netpal::net::{Event, HostPort, NetErrorKind, OpenSpec, Session};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn accept_within(l: &TcpListener) -> TcpStream {
    l.set_nonblocking(true).unwrap();
    let start = Instant::now();
    loop {
        match l.accept() {
            Ok((c, _)) => return c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        assert!(start.elapsed() < DEADLINE, "the client never connected");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn client(to: SocketAddr, reconnect: bool, timeout: Duration) -> Session {
    let mut spec = OpenSpec::tcp_client(HostPort::from(to));
    spec.reconnect = reconnect;
    spec.connect_timeout = timeout;
    Session::open(spec, Arc::new(|| {})).unwrap()
}

#[test]
fn a_client_reconnects_when_the_server_closes_it() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = client(server.local_addr().unwrap(), true, Duration::from_secs(5));
    let first = accept_within(&server);
    wait_event(&s, "connected", |e| matches!(e, Event::Connected { .. }));
    drop(first);
    let ev = wait_event(&s, "a reconnect planned", |e| {
        matches!(e, Event::Reconnecting { .. })
    });
    assert!(
        matches!(ev, Event::Reconnecting { attempt: 1, after, .. } if after == Duration::from_secs(1)),
        "{ev:?}"
    );
    let _second = accept_within(&server);
    wait_event(&s, "connected again", |e| {
        matches!(e, Event::Connected { .. })
    });
}

#[test]
fn a_refused_client_tries_again_until_the_server_is_up() {
    // A port nobody listens on yet.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let to = SocketAddr::from(([127, 0, 0, 1], port));
    let s = client(to, true, Duration::from_secs(5));
    let ev = wait_event(&s, "the refusal", |e| matches!(e, Event::Error { .. }));
    let Event::Error { error, .. } = ev else {
        unreachable!()
    };
    assert_eq!(error.kind, NetErrorKind::ConnectionRefused);
    wait_event(&s, "a reconnect planned", |e| {
        matches!(e, Event::Reconnecting { attempt: 1, .. })
    });
    let server = TcpListener::bind(to).unwrap();
    let _conn = accept_within(&server);
    wait_event(&s, "connected", |e| matches!(e, Event::Connected { .. }));
}

#[test]
fn a_connect_that_gets_no_answer_times_out_when_asked() {
    // A listener whose queue is full drops new connection requests, so a
    // connect waits for an answer that never comes.
    let l = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    l.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    l.listen(0).unwrap();
    let addr = l.local_addr().unwrap().as_socket().unwrap();
    let _filler = TcpStream::connect(addr).unwrap();
    let start = Instant::now();
    let s = client(addr, false, Duration::from_secs(1));
    let ev = wait_event(&s, "the end", |e| matches!(e, Event::Closed { .. }));
    let Event::Closed { error: Some(e), .. } = ev else {
        panic!("the session should end with an error: {ev:?}");
    };
    assert_eq!(e.kind, NetErrorKind::TimedOut, "{e:?}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "the 1 s timeout was not the one used"
    );
}
