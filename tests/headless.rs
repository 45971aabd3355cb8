//! The headless mode, run as a child process against real loopback peers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(15);

/// A running `netpal --headless` whose stdout lines arrive on a channel.
struct Run {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Milliseconds since midnight of a line starting `YYYY-MM-DD HH:MM:SS.mmm`.
fn clock_ms(line: &str) -> f64 {
    let time = line.split_whitespace().nth(1).unwrap_or_default();
    let parts: Vec<f64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
    assert_eq!(parts.len(), 3, "no time in {line:?}");
    (parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]) * 1000.0
}

/// Accepts one connection, failing after the deadline instead of hanging.
fn accept_within(l: &TcpListener) -> TcpStream {
    l.set_nonblocking(true).unwrap();
    let start = Instant::now();
    loop {
        match l.accept() {
            Ok((c, _)) => {
                c.set_nonblocking(false).unwrap();
                return c;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        assert!(start.elapsed() < DEADLINE, "netpal never connected");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn start(args: &[&str], stdin: bool) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpal"))
        .arg("--headless")
        .args(args)
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netpal");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    Run {
        child,
        lines: rx,
        seen: Vec::new(),
    }
}

impl Run {
    /// Waits for a line containing `needle` and returns it.
    fn line_with(&mut self, needle: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let start = Instant::now();
        loop {
            let left = DEADLINE.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; got {:#?}", self.seen),
            }
        }
    }

    /// Waits for `n` lines containing `needle` and returns them.
    fn lines_with(&mut self, needle: &str, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let found: Vec<String> = self
                .seen
                .iter()
                .filter(|l| l.contains(needle))
                .cloned()
                .collect();
            if found.len() >= n {
                return found;
            }
            let left = DEADLINE.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!("fewer than {n} lines with {needle:?}; got {:#?}", self.seen),
            }
        }
    }

    /// The port at the end of the first line containing `needle`.
    fn port_after(&mut self, needle: &str) -> u16 {
        let l = self.line_with(needle);
        l.rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no port in {l}"))
    }

    fn stdin(&mut self) -> &mut ChildStdin {
        self.child.stdin.as_mut().expect("stdin")
    }

    /// Waits for the process to exit; returns its status code and stderr.
    fn finish(&mut self) -> (Option<i32>, String) {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(l);
                }
                return (st.code(), err);
            }
            assert!(
                start.elapsed() < DEADLINE,
                "netpal did not exit; output {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn tcp_server_prints_what_a_client_sent_with_its_port() {
    let mut run = start(
        &[
            "--open",
            "tcp-server:127.0.0.1:0",
            "--exit-after",
            "1",
            "--no-stdin",
        ],
        false,
    );
    let port = run.port_after("listening on");
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let me = c.local_addr().unwrap();
    run.line_with(&format!("accepted {me}"));
    c.write_all("hello 你好".as_bytes()).unwrap();
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    run.line_with(&format!("RX {me} hello 你好"));
}

#[test]
fn udp_echo_sends_every_datagram_back_to_its_source() {
    let mut run = start(
        &[
            "--open",
            "udp:127.0.0.1:0",
            "--echo",
            "--exit-after",
            "2",
            "--view",
            "both",
        ],
        false,
    );
    let port = run.port_after("bound to");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = [0u8; 64];
    for msg in [&b"one"[..], b"two\x00"] {
        peer.send_to(msg, ("127.0.0.1", port)).unwrap();
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], msg);
        assert_eq!(from.port(), port);
    }
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    let me = peer.local_addr().unwrap();
    run.line_with(&format!("RX {me} two\\x00 | 74 77 6F 00"));
    run.line_with(&format!("TX {me} one | 6F 6E 65"));
}

#[test]
fn tcp_client_sends_hex_from_stdin() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let spec = format!("tcp-client:127.0.0.1:{port}");
    let mut run = start(&["--open", &spec, "--send-hex"], true);
    let mut conn = accept_within(&l);
    run.line_with("connected to");
    run.stdin().write_all(b"48 65 6C 6C 6F\n0x21\n").unwrap();
    run.stdin().write_all(b"zz\n").unwrap(); // invalid: reported, not sent
    run.stdin().write_all(b"0A\n").unwrap();
    run.stdin().flush().unwrap();
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut got = [0u8; 7];
    conn.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"Hello!\n");
    // The server closing ends the run normally.
    drop(conn);
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("invalid hex"), "{err}");
    run.line_with("disconnected");
}

#[test]
fn json_lines_parse() {
    let mut run = start(
        &[
            "--open",
            "udp:127.0.0.1:0",
            "--json",
            "--exit-after",
            "1",
            "--view",
            "both",
        ],
        false,
    );
    let first = run.line_with("\"opened\"");
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let local = v["local"].as_str().unwrap().to_string();
    let port: u16 = local.rsplit(':').next().unwrap().parse().unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(&[0xC4, 0xE3, 0xBA, 0xC3], ("127.0.0.1", port))
        .unwrap();
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    assert!(!run.seen.is_empty());
    let mut rx = None;
    for line in &run.seen {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(v["time"].is_string() && v["event"].is_string(), "{line}");
        if v["event"] == "rx" {
            rx = Some(v);
        }
    }
    let rx = rx.expect("an rx line");
    assert_eq!(rx["peer"], peer.local_addr().unwrap().to_string());
    assert_eq!(rx["len"], 4);
    assert_eq!(rx["hex"], "C4 E3 BA C3");
}

#[test]
fn gbk_output_and_periodic_send() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--encoding",
            "gbk",
            "--send",
            "你好",
            "--count",
            "3",
            "--interval",
            "20ms",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut got = [0u8; 12];
    conn.read_exact(&mut got).unwrap();
    assert_eq!(got[..], [0xC4, 0xE3, 0xBA, 0xC3].repeat(3)[..]);
    // The sends are spaced by the interval: by NetPal's own TX timestamps the
    // third went out at least one interval after the first (two are due).
    let tx_ms: Vec<f64> = run
        .lines_with(" TX ", 3)
        .iter()
        .map(|l| clock_ms(l))
        .collect();
    assert!(
        tx_ms[2] - tx_ms[0] >= 20.0,
        "sent without the interval: {tx_ms:?}"
    );
    conn.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut more = [0u8; 4];
    assert!(conn.read(&mut more).is_err(), "more than --count sends");
    conn.write_all(&[0xCA, 0xC0, 0xBD, 0xE7]).unwrap(); // 世界
    run.line_with("世界");
}

#[test]
fn port_in_use_exits_with_a_message_and_status_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!(
        "tcp-server:127.0.0.1:{}",
        taken.local_addr().unwrap().port()
    );
    let mut run = start(&["--open", &spec, "--no-stdin"], false);
    let (code, err) = run.finish();
    assert_eq!(code, Some(1));
    assert!(err.contains("The port is already in use"), "{err}");
}

#[test]
fn refused_connection_exits_with_status_1() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec = format!("tcp-client:127.0.0.1:{port}");
    let mut run = start(&["--open", &spec, "--no-stdin"], false);
    let (code, err) = run.finish();
    assert_eq!(code, Some(1));
    assert!(err.contains("Connection refused"), "{err}");
}

#[test]
fn headless_needs_open_and_bad_options_exit_2() {
    for args in [
        vec![],
        vec!["--open", "udp:127.0.0.1:0", "--exit-after", "soon"],
        vec!["--open", "udp:127.0.0.1:0", "--encoding", "klingon"],
    ] {
        let mut run = start(&args, false);
        let (code, err) = run.finish();
        assert_eq!(code, Some(2), "{args:?}");
        assert!(!err.is_empty());
    }
}

#[test]
fn udp_without_remote_answers_the_first_peer_it_hears() {
    let mut run = start(
        &[
            "--open",
            "udp:127.0.0.1:0",
            "--send",
            "pong",
            "--exit-after",
            "2",
            "--no-stdin",
        ],
        false,
    );
    let port = run.port_after("bound to");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    peer.send_to(b"ping", ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"pong");
    peer.send_to(b"bye", ("127.0.0.1", port)).unwrap();
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn end_of_stdin_does_not_end_the_session() {
    let mut run = start(&["--open", "udp:127.0.0.1:0", "--exit-after", "1"], true);
    let port = run.port_after("bound to");
    drop(run.child.stdin.take()); // EOF
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        run.child.try_wait().unwrap().is_none(),
        "exited at end of stdin"
    );
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"still here", ("127.0.0.1", port)).unwrap();
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    run.line_with("still here");
}

/// Reads from `conn` until `n` bytes or the deadline.
fn read_exactly(conn: &mut TcpStream, n: usize) -> Vec<u8> {
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut got = vec![0u8; n];
    conn.read_exact(&mut got).unwrap();
    got
}

#[test]
fn modbus_frame_gets_its_crc_from_checksum() {
    // The example of the manual: a Modbus read request with its CRC.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send-hex",
            "--send",
            "01 03 00 00 00 0A",
            "--checksum",
            "crc16-modbus",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    assert_eq!(
        read_exactly(&mut conn, 8),
        [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]
    );
    run.line_with("TX");
}

#[test]
fn escapes_and_append_shape_send_and_stdin_lines() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--escapes",
            "--append",
            "crlf",
            "--send",
            "\\x02AT\\t1",
        ],
        true,
    );
    let mut conn = accept_within(&l);
    assert_eq!(read_exactly(&mut conn, 7), b"\x02AT\t1\r\n");
    // A stdin line's own ending gives way to CR LF; its escapes count too.
    run.stdin().write_all(b"next\\x21\n").unwrap();
    run.stdin().flush().unwrap();
    assert_eq!(read_exactly(&mut conn, 7), b"next!\r\n");
}

#[test]
fn bad_send_options_exit_2_with_a_reason() {
    for (args, needle) in [
        (
            &["--checksum", "md5", "--send", "x"][..],
            "unknown checksum",
        ),
        (
            &["--append", "lfcr", "--send", "x"][..],
            "none, cr, lf, crlf",
        ),
        (&["--escapes", "--send", "bad \\q"][..], "invalid escape"),
        (&["--send", "x", "--rate", "fast"][..], "not a rate"),
        (
            &["--send", "x", "--interval", "1s", "--rate", "10"][..],
            "cannot be used",
        ),
    ] {
        let mut all = vec!["--open", "tcp-client:127.0.0.1:9", "--no-stdin"];
        all.extend_from_slice(args);
        let mut run = start(&all, false);
        let (code, err) = run.finish();
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // An empty payload is nothing to send, whatever is to be added to it:
    // no CRC of nothing, no bare line ending; over UDP too, once something
    // is added (an empty datagram alone is a message).
    for (open, args) in [
        (
            "tcp-client:127.0.0.1:9",
            &["--send", "", "--append", "crlf"][..],
        ),
        (
            "udp:127.0.0.1:0,remote=127.0.0.1:9",
            &["--send", "", "--send-hex", "--checksum", "crc16-modbus"][..],
        ),
    ] {
        let mut all = vec!["--open", open, "--no-stdin"];
        all.extend_from_slice(args);
        let mut run = start(&all, false);
        let (code, err) = run.finish();
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains("nothing to send"), "{args:?}: {err}");
    }
}

/// A file with no repeating pattern, so a lost or doubled chunk shows.
fn temp_file(name: &str, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("netpal-数据-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut x: u32 = 0x9E37_79B9;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as u8
        })
        .collect();
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

#[test]
fn send_file_streams_it_byte_exact_then_exits_when_sent() {
    let (path, data) = temp_file("stream.bin", 3 * 1024 * 1024 + 7);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send-file",
            path.to_str().unwrap(),
            "--exit-after",
            "sent",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    let got = read_exactly(&mut conn, data.len());
    assert!(got == data, "the file arrived changed");
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    let done = run.line_with("-- sent: file");
    assert!(done.contains(&format!("{} bytes", data.len())), "{done}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn send_file_over_udp_in_datagrams_of_the_chosen_size() {
    let (path, data) = temp_file("datagrams.bin", 10_000);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    let spec = format!(
        "udp:127.0.0.1:0,remote=127.0.0.1:{}",
        peer.local_addr().unwrap().port()
    );
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send-file",
            path.to_str().unwrap(),
            "--datagram-size",
            "3000",
            "--gap",
            "1ms",
            "--no-stdin",
        ],
        false,
    );
    let mut got = Vec::new();
    let mut sizes = Vec::new();
    let mut buf = [0u8; 65536];
    while got.len() < data.len() {
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        sizes.push(n);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(sizes, [3000, 3000, 3000, 1000]);
    assert!(got == data);
    run.line_with("-- sent: file");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_udp_file_sent_back_to_back_arrives_whole_and_in_order() {
    // No gap: the datagrams leave in batches, and must still arrive as
    // the file's pieces, in order. 40 of them fit the receiver's default
    // buffer with room to spare, so none is dropped on the way however
    // late this thread reads.
    let (path, data) = temp_file("batched.bin", 39 * 512 + 100);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    let spec = format!(
        "udp:127.0.0.1:0,remote=127.0.0.1:{}",
        peer.local_addr().unwrap().port()
    );
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send-file",
            path.to_str().unwrap(),
            "--datagram-size",
            "512",
            "--no-stdin",
        ],
        false,
    );
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let mut count = 0;
    while got.len() < data.len() {
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        count += 1;
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(count, 40);
    assert!(got == data, "datagrams lost, doubled or out of order");
    run.line_with("-- sent: file");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_missing_file_exits_1_and_says_which() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send-file",
            "/nonexistent/netpal.bin",
            "--no-stdin",
        ],
        false,
    );
    let _conn = accept_within(&l);
    let (code, err) = run.finish();
    assert_eq!(code, Some(1));
    assert!(err.contains("/nonexistent/netpal.bin"), "{err}");
}

#[test]
fn rate_and_duration_pace_the_traffic() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let spec = format!(
        "udp:127.0.0.1:0,remote=127.0.0.1:{}",
        peer.local_addr().unwrap().port()
    );
    // 200 packets per second for 300 ms: due at 0, 5, ... 295 ms, so at
    // most 60 sends, however fast the machine.
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send",
            "p",
            "--rate",
            "200pps",
            "--duration",
            "300ms",
            "--exit-after",
            "sent",
            "--no-stdin",
        ],
        false,
    );
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    let done = run.line_with("-- sent: send");
    let sends: u64 = done
        .split("send ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {done}"));
    assert!((1..=60).contains(&sends), "{sends} sends: {done}");
    // Every send the summary counts arrived.
    let mut got = 0;
    let mut buf = [0u8; 16];
    while peer.recv_from(&mut buf).is_ok() {
        got += 1;
    }
    assert_eq!(got, sends);
}

#[test]
fn stdin_waits_for_a_slow_peer_and_loses_no_line() {
    // 100,000 lines of 1 KiB: far more than the send queue holds, towards
    // a peer that does not read at first.
    const LINES: usize = 100_000;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(&["--open", &spec, "--view", "hex"], true);
    let conn = accept_within(&l);
    let mut stdin = run.child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let filler = "x".repeat(1000);
        for i in 0..LINES {
            if writeln!(stdin, "{i:08} {filler}").is_err() {
                return i;
            }
        }
        LINES
    });
    // Not reading for a while lets the queues fill up: NetPal must stop
    // taking stdin rather than refuse lines.
    std::thread::sleep(Duration::from_millis(500));
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    for i in 0..LINES {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert_eq!(&line[..8], format!("{i:08}"), "line {i} out of order");
    }
    assert_eq!(writer.join().unwrap(), LINES);
    let _ = run.child.kill();
    let (_, err) = run.finish();
    assert!(!err.contains("queue"), "{err}");
}

#[test]
fn framing_cuts_the_stream_and_cr_lf_stays_visible() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(&["--open", &spec, "--framing", "crlf", "--no-stdin"], false);
    let mut conn = accept_within(&l);
    conn.write_all(b"one\r\ntwo\r\nthr").unwrap();
    let rx = run.lines_with(" RX ", 2);
    assert!(rx[0].ends_with(" one\\r\\n"), "{rx:?}");
    assert!(rx[1].ends_with(" two\\r\\n"), "{rx:?}");
    // The unfinished third frame is shown, marked, when the peer closes.
    drop(conn);
    run.line_with("partial frame from");
    let rx = run.lines_with(" RX ", 3);
    assert!(rx[2].ends_with(" thr"), "{rx:?}");
}

#[test]
fn length_prefixed_frames_over_json() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--framing",
            "len:1,max=10",
            "--json",
            "--view",
            "hex",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    conn.write_all(b"\x02ab\x7Fjunk\x01c").unwrap();
    run.line_with("\"oversize\"");
    let rx = run.lines_with("\"rx\"", 2);
    let hex = |l: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["hex"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(hex(&rx[0]), "02 61 62");
    assert_eq!(hex(&rx[1]), "01 63");
}

#[test]
fn auto_encoding_reads_utf8_and_gbk_records() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--encoding",
            "auto",
            "--framing",
            "line,strip",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    // One line in UTF-8, one in GBK, as two programs might send them.
    let mut data = "网络调试\n".as_bytes().to_vec();
    data.extend_from_slice(&[0xCD, 0xF8, 0xC2, 0xE7, b'\n']); // 网络 in GBK
    conn.write_all(&data).unwrap();
    let rx = run.lines_with(" RX ", 2);
    assert!(rx[0].ends_with(" 网络调试"), "{rx:?}");
    assert!(rx[1].ends_with(" 网络"), "{rx:?}");
}

#[test]
fn capture_writes_the_raw_stream_exactly() {
    let dir = std::env::temp_dir().join(format!("netpal-抓包-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("原始数据.bin");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    // Framing strips the delimiters from the records; the capture keeps
    // the stream as it came.
    let mut run = start(
        &[
            "--open",
            &spec,
            "--framing",
            "crlf,strip",
            "--capture",
            path.to_str().unwrap(),
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    let data = b"one\r\ntwo\r\n\x00\xFF\r\n".repeat(1000);
    conn.write_all(&data).unwrap();
    drop(conn);
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    run.line_with("capture ended");
    assert_eq!(std::fs::read(&path).unwrap(), data);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reply_rules_answer_on_the_worker() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--framing",
            "line",
            "--reply",
            r"re:^PING (\d+)=>PONG $1\n",
            "--reply",
            "hex:01 03=>hex:06",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    conn.write_all(b"PING 1\nPING 22\nnothing\n\x01\x03\n")
        .unwrap();
    let got = read_exactly(&mut conn, 16);
    assert_eq!(got, b"PONG 1\nPONG 22\n\x06");
    run.line_with("TX");
}

#[test]
fn a_tcp_client_connects_from_the_source_port_given() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let from = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec = format!(
        "tcp-client:127.0.0.1:{},from=127.0.0.1:{from}",
        l.local_addr().unwrap().port()
    );
    let mut run = start(&["--open", &spec, "--no-stdin"], false);
    let conn = accept_within(&l);
    assert_eq!(conn.peer_addr().unwrap().port(), from);
    run.line_with(&format!("from 127.0.0.1:{from}"));
}

#[test]
fn a_relay_prints_both_sides_and_sends_stdin_toward_the_target() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("relay:127.0.0.1:0,to={}", target.local_addr().unwrap());
    let mut run = start(&["--open", &spec, "--to-target"], true);
    let port = run.port_after("listening on");
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client.set_read_timeout(Some(DEADLINE)).unwrap();
    let me = client.local_addr().unwrap();
    let mut upstream = accept_within(&target);
    upstream.set_read_timeout(Some(DEADLINE)).unwrap();
    run.line_with(&format!("linked {me} to target"));
    client.write_all(b"hello target").unwrap();
    assert_eq!(read_exactly(&mut upstream, 12), b"hello target");
    run.line_with(&format!("RX {me} hello target"));
    upstream.write_all(b"hello client").unwrap();
    assert_eq!(read_exactly(&mut client, 12), b"hello client");
    run.line_with(&format!("RX-TARGET {me} hello client"));
    // A stdin line goes toward the target, in the client's name.
    writeln!(run.stdin(), "from stdin").unwrap();
    assert_eq!(read_exactly(&mut upstream, 11), b"from stdin\n");
    run.line_with(&format!("TX-TARGET {me} from stdin"));
    // The client's half-close reaches the target; the target's close
    // reaches the client as EOF; both are printed.
    client.shutdown(std::net::Shutdown::Write).unwrap();
    run.line_with(&format!("FIN passed on to the target for {me}"));
    let mut end = Vec::new();
    upstream.read_to_end(&mut end).expect("EOF at the target");
    drop(upstream);
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).expect("EOF");
    assert!(rest.is_empty());
    run.line_with(&format!("the target closed its side toward {me}"));
    let _ = run.child.kill();
}

/// The relay spec takes the impairment options: said at the start, then
/// a cut after 4 bytes toward the target ends the link and says why.
#[test]
fn a_relay_spec_takes_impairment_options() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!(
        "relay:127.0.0.1:0,to={},up.cut=4,down.delay=50ms",
        target.local_addr().unwrap()
    );
    let mut run = start(&["--open", &spec, "--no-stdin"], false);
    run.line_with("-- Bad network on purpose: to the target cut=4; to the client delay=50ms");
    let port = run.port_after("listening on");
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut upstream = accept_within(&target);
    upstream.set_read_timeout(Some(DEADLINE)).unwrap();
    client.write_all(b"abcdefgh").unwrap();
    let mut got = Vec::new();
    upstream
        .read_to_end(&mut got)
        .expect("four bytes, then EOF");
    assert_eq!(got, b"abcd");
    run.line_with("cut by the impairment after 4 bytes (closed)");
    let _ = run.child.kill();
}

/// `--split` cuts each send into pieces written a gap apart (分包).
#[test]
fn split_writes_a_send_in_pieces() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:{}", server.local_addr().unwrap());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send",
            "hello",
            "--split",
            "1/40ms",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&server);
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut reads = Vec::new();
    while reads.concat::<u8>().len() < 5 {
        let mut buf = [0u8; 16];
        let n = conn.read(&mut buf).expect("the pieces");
        assert!(n > 0, "closed after {reads:?}");
        reads.push(buf[..n].to_vec());
    }
    assert_eq!(reads.concat(), b"hello");
    assert_eq!(reads.len(), 5, "{reads:?}");
    let _ = run.child.kill();
    // A split that is not one is refused before anything starts.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netpal"))
        .args(["--headless", "--open", &spec, "--split", "0/5ms"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not N[-M][/GAP]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn after_send_shutdown_half_closes_and_keeps_receiving() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:{}", server.local_addr().unwrap());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--send",
            "last words",
            "--after-send",
            "shutdown",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&server);
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut got = Vec::new();
    conn.read_to_end(&mut got).expect("the bytes, then EOF");
    assert_eq!(got, b"last words");
    run.line_with("shut down (FIN sent); still receiving");
    // The other direction still works.
    conn.write_all(b"answer after the fin").unwrap();
    run.line_with("RX 127.0.0.1");
    run.line_with("answer after the fin");
    let _ = run.child.kill();
}

#[test]
fn after_send_reset_resets_the_connection() {
    if std::env::var_os("NETPAL_UNDER_WINE").is_some() {
        println!(
            "skipped under Wine: a connection reset before it is accepted fails Wine's accept \
             (WSAENOTCONN), and a close with SO_LINGER 0 does not always send a reset"
        );
        return;
    }
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:{}", server.local_addr().unwrap());
    let mut run = start(
        &["--open", &spec, "--after-send", "reset", "--no-stdin"],
        false,
    );
    let mut conn = accept_within(&server);
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = [0u8; 16];
    let err = conn.read(&mut buf).expect_err("a reset, not data or EOF");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    run.line_with("reset (RST sent)");
    let (code, err) = run.finish();
    assert_eq!(
        code,
        Some(0),
        "the user's reset ends the client session normally: {err}"
    );
}

#[cfg(unix)]
#[test]
fn a_unix_datagram_socket_prints_its_peer_by_path_and_sends_to_the_remote() {
    use std::os::unix::net::UnixDatagram;
    let dir = std::env::temp_dir().join(format!("netpal-hl-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mine, theirs) = (dir.join("mine.sock"), dir.join("theirs.sock"));
    let _ = std::fs::remove_file(&mine);
    let _ = std::fs::remove_file(&theirs);
    let other = UnixDatagram::bind(&theirs).unwrap();
    other.set_read_timeout(Some(DEADLINE)).unwrap();
    let spec = format!("unix-dgram:{},remote={}", mine.display(), theirs.display());
    let mut run = start(&["--open", &spec, "--send", "hello path"], true);
    run.line_with(&format!("bound to unix:{}", mine.display()));
    let mut buf = [0u8; 64];
    let n = other.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello path");
    other.send_to(b"from theirs", &mine).unwrap();
    run.line_with(&format!("RX unix:{} from theirs", theirs.display()));
    // What a peer sends is printed as it came, even when it reads like one
    // of the stand-in addresses that name peers without an IP address
    // (the first ones this process gave out).
    other.send_to(b"[100::1]:0 [100::2]:0", &mine).unwrap();
    run.line_with(&format!(
        "RX unix:{} [100::1]:0 [100::2]:0",
        theirs.display()
    ));
    let _ = run.child.kill();
}

#[cfg(unix)]
#[test]
fn json_names_a_unix_peer_by_its_path_even_with_quotes_in_it() {
    use std::os::unix::net::UnixStream;
    let dir = std::env::temp_dir().join(format!("netpal-hl-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("say \"hi\".sock");
    let _ = std::fs::remove_file(&path);
    let spec = format!("unix-server:{}", path.display());
    let mut run = start(&["--open", &spec, "--json", "--no-stdin"], false);
    run.line_with("\"opened\"");
    let mut c = UnixStream::connect(&path).unwrap();
    c.write_all(b"from a client").unwrap();
    let line = run.line_with("from a client");
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(v["peer"], format!("unix:{}#1", path.display()));
    assert_eq!(v["text"], "from a client");
    let _ = run.child.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ipv6_loopback_works_end_to_end() {
    let mut run = start(
        &[
            "--open",
            "tcp-server:[::1]:0",
            "--exit-after",
            "1",
            "--no-stdin",
        ],
        false,
    );
    let port = run.port_after("listening on");
    let mut c = TcpStream::connect(("::1", port)).unwrap();
    let me = c.local_addr().unwrap();
    assert!(me.is_ipv6());
    c.write_all(b"over ipv6").unwrap();
    let (code, err) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    run.line_with(&format!("RX {me} over ipv6"));
}

/// Ctrl+C ends a run as its own end does: the session closes, the capture
/// is flushed and closed, and the status is 130 (128 + SIGINT).
#[cfg(unix)]
#[test]
fn ctrl_c_ends_a_run_cleanly_with_its_capture_whole() {
    let dir = std::env::temp_dir().join(format!("netpal-中断-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("抓包.bin");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("tcp-client:127.0.0.1:{}", l.local_addr().unwrap().port());
    let mut run = start(
        &[
            "--open",
            &spec,
            "--capture",
            path.to_str().unwrap(),
            "--framing",
            "line",
            "--no-stdin",
        ],
        false,
    );
    let mut conn = accept_within(&l);
    let data = b"first line\nsecond line\n".repeat(500);
    conn.write_all(&data).unwrap();
    run.lines_with("second line", 500);
    let pid = run.child.id() as libc::pid_t;
    // SAFETY: a signal to our own child, which has not been waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let (code, err) = run.finish();
    assert_eq!(code, Some(130), "{err}");
    run.line_with("capture ended");
    assert_eq!(std::fs::read(&path).unwrap(), data);
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client that sends its request and then half-closes (`nc -N`, an
/// HTTP/1.0 client) still gets its answer: the FIN says it will send no
/// more, not that it stopped reading. The last request has no line end:
/// the partial frame at the FIN is answered too. Then the connection
/// closes.
#[test]
fn a_request_followed_by_a_fin_gets_its_answer() {
    let mut run = start(
        &[
            "--open",
            "tcp-server:127.0.0.1:0",
            "--framing",
            "line,strip",
            "--reply",
            "exact:GET=>ANSWER\\n",
            "--no-stdin",
        ],
        false,
    );
    let port = run.port_after("listening on");
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(b"GET\nGET").unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    c.read_to_end(&mut got).expect("the answers, then EOF");
    assert_eq!(got, b"ANSWER\nANSWER\n");
    run.line_with("closed its side (FIN received); it still reads");
    run.line_with("closed by peer");
    assert!(
        !run.seen.iter().any(|l| l.contains("Nobody to send to")),
        "{:#?}",
        run.seen
    );
}

/// `--peer-fin keep`: a client that half-closed stays connected, and
/// stdin lines still reach it.
#[test]
fn peer_fin_keep_goes_on_sending_to_a_client_that_half_closed() {
    let mut run = start(
        &["--open", "tcp-server:127.0.0.1:0", "--peer-fin", "keep"],
        true,
    );
    let port = run.port_after("listening on");
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(DEADLINE)).unwrap();
    c.write_all(b"bye").unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    run.line_with("kept open: you can still send to it");
    run.stdin().write_all(b"still here\n").unwrap();
    run.stdin().flush().unwrap();
    assert_eq!(read_exactly(&mut c, 11), b"still here\n");
    assert!(
        !run.seen.iter().any(|l| l.contains("closed by peer")),
        "{:#?}",
        run.seen
    );
}

/// `--quiet` prints no record, only the notes, and at the end what came
/// and went, in all and per peer.
#[test]
fn quiet_prints_no_records_and_a_summary_per_peer_at_the_end() {
    for json in [false, true] {
        let mut args = vec![
            "--open",
            "tcp-server:127.0.0.1:0",
            "--framing",
            "line",
            "--quiet",
            "--exit-after",
            "5",
            "--no-stdin",
        ];
        if json {
            args.push("--json");
        }
        let mut run = start(&args, false);
        let port = if json {
            let l = run.line_with("\"opened\"");
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            v["local"]
                .as_str()
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .unwrap()
        } else {
            run.port_after("listening on")
        };
        let mut a = TcpStream::connect(("127.0.0.1", port)).unwrap();
        a.write_all(b"a1\na2\na3\n").unwrap();
        let mut b = TcpStream::connect(("127.0.0.1", port)).unwrap();
        b.write_all(b"b1\nb2\n").unwrap();
        let (code, err) = run.finish();
        assert_eq!(code, Some(0), "{err}");
        let (a, b) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let seen = run.seen.clone();
        assert!(
            !seen.iter().any(|l| l.contains("a1") || l.contains("b2")),
            "a record was printed: {seen:#?}"
        );
        if json {
            let last: serde_json::Value = serde_json::from_str(seen.last().unwrap()).unwrap();
            assert_eq!(last["event"], "summary");
            assert_eq!(last["rx_records"], 5);
            assert_eq!(last["rx_bytes"], 15);
            let peers = last["peers"].as_array().unwrap();
            assert_eq!(peers.len(), 2, "{last}");
        } else {
            run.line_with("-- summary: RX 5 records, 15 bytes; TX 0 records, 0 bytes");
            run.line_with(&format!("--   {a}: RX 3 records, 9 bytes"));
            run.line_with(&format!("--   {b}: RX 2 records, 6 bytes"));
            run.line_with("accepted");
        }
    }
}
