//! Helpers for the tests that drive sessions below the window (the engine
//! the window and the headless mode share) against peers on real sockets.
#![allow(dead_code)]

use netpal::net::{Event, NetError, OpenSpec, Session};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a test waits for what should come at once, before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The first event that `pred` accepts, failing with `what` after the
/// deadline.
pub fn wait_event(s: &Session, what: &str, mut pred: impl FnMut(&Event) -> bool) -> Event {
    let start = Instant::now();
    loop {
        if let Some(ev) = s.wait_event(Duration::from_millis(20))
            && pred(&ev)
        {
            return ev;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
    }
}

/// A session opened from a `--open` spec.
pub fn open(spec: &str) -> Session {
    let spec = OpenSpec::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    Session::open(spec, Arc::new(|| {})).unwrap()
}

/// The address the session opened on; fails if it ended instead.
pub fn opened(s: &Session) -> SocketAddr {
    let ev = wait_event(s, "opened", |e| {
        matches!(e, Event::Opened { .. } | Event::Closed { .. })
    });
    match ev {
        Event::Opened { local, .. } => local,
        other => panic!("did not open: {other:?}"),
    }
}

/// The error the session ended with.
pub fn closed_with(s: &Session) -> NetError {
    let ev = wait_event(s, "the end", |e| matches!(e, Event::Closed { .. }));
    let Event::Closed { error: Some(e), .. } = ev else {
        panic!("the session should end with an error: {ev:?}");
    };
    e
}

/// Whether the test runs under Wine (tests/windows/wine-runner.sh says so),
/// where a few system behaviours differ from Windows; a test that meets one
/// says so and skips.
pub fn under_wine() -> bool {
    std::env::var_os("NETPAL_UNDER_WINE").is_some()
}

/// Accepts the connection a session makes to `l`, within the deadline.
pub fn accept_within(l: &std::net::TcpListener) -> std::net::TcpStream {
    l.set_nonblocking(true).unwrap();
    let start = Instant::now();
    loop {
        match l.accept() {
            Ok((c, _)) => {
                c.set_nonblocking(false).unwrap();
                c.set_read_timeout(Some(DEADLINE)).unwrap();
                return c;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        assert!(start.elapsed() < DEADLINE, "the session never connected");
        std::thread::sleep(Duration::from_millis(2));
    }
}
