//! NetPal's performance, measured against raw sockets in the same run.
//!
//! `cargo bench --bench perf` runs everything; `cargo bench --bench perf -- NAME`
//! runs one of: tcp, receive, framing, relay, udp, frame, memory, scale,
//! sources, idle, close, sessions, send, stall. Every figure is printed;
//! nothing is asserted. All traffic stays on 127.0.0.1, and every loop is
//! bounded in count and time.

#[path = "../procfs/mod.rs"]
mod procfs;

use netpal::App;
use netpal::app::Settings;
use netpal::log::ViewMode;
use netpal::net::{Event, Protocol};
use netpal::session::{JobSlot, Session, SessionAction, SessionSettings};
use netpal::ui::i18n::Lang;
use procfs::{raise_fd_limit, status_kib};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

const FRAME: Duration = Duration::from_micros(16_667); // 60 Hz
const CHUNK: usize = 64 * 1024;

// ---- a headless App driven frame by frame ---------------------------------------

struct Ui {
    ctx: egui::Context,
    app: App,
    size: egui::Vec2,
    /// How long each frame's event drain took (part of the frame time).
    drains: Vec<Duration>,
    /// CPU time the UI thread spent on each frame (wall time minus the
    /// time other threads and the kernel's network work took the core).
    cpu: Vec<Duration>,
}

/// CPU time used by the calling thread so far.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass and nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

impl Ui {
    fn new(session: SessionSettings) -> Ui {
        let ctx = egui::Context::default();
        netpal::ui::install_fonts(&ctx);
        let settings = Settings {
            lang: Lang::En,
            ..Settings::default()
        };
        let app = App::with_settings(settings, session, Arc::new(|| {}));
        Ui {
            ctx,
            app,
            size: egui::vec2(1280.0, 800.0),
            drains: Vec::new(),
            cpu: Vec::new(),
        }
    }

    /// One whole frame: event drain, layout of the whole UI, tessellation.
    fn frame(&mut self) -> Duration {
        let t = Instant::now();
        let cpu = thread_cpu();
        self.app.drain_events(Some(&self.ctx));
        self.drains.push(t.elapsed());
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, self.size)),
            ..Default::default()
        };
        let app = &mut self.app;
        let out = self.ctx.run_ui(input, |ui| app.show(ui));
        let prims = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(prims);
        self.cpu.push(thread_cpu().saturating_sub(cpu));
        t.elapsed()
    }

    /// The session shown (the only one, unless a benchmark adds more).
    fn s(&self) -> &Session {
        self.app.focused().expect("a session")
    }

    fn s_mut(&mut self) -> &mut Session {
        self.app.focused_mut().expect("a session")
    }

    /// Runs frames at 60 Hz until `done` or `limit`; returns the frame times.
    fn frames_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Session) -> bool,
    ) -> Vec<Duration> {
        let start = Instant::now();
        let mut times = Vec::new();
        let mut next = Instant::now();
        if done(self.s()) {
            return times;
        }
        while start.elapsed() < limit {
            times.push(self.frame());
            // Checked right after the frame, so `done` sees the time it happened.
            if done(self.s()) {
                break;
            }
            pace(&mut next);
        }
        times
    }

    fn open(&mut self, protocol: Protocol) -> SocketAddr {
        let s = self.s_mut();
        s.settings.protocol = protocol;
        s.settings.local_ip = "127.0.0.1".into();
        s.settings.local_port = "0".into();
        s.settings.remote_host.clear();
        s.settings.remote_port.clear();
        let id = s.id;
        self.app
            .run_action(netpal::app::Action::Session(id, SessionAction::Open));
        self.frames_until(Duration::from_secs(5), |a| a.local_addr().is_some());
        self.s().local_addr().expect("session opened")
    }
}

/// Runs a test peer on a thread of its own, named so a profiler tells it
/// from NetPal's UI thread.
fn peer_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name("bench-peer".into())
        .spawn(f)
        .expect("a thread for a test peer")
}

/// Sleeps until the next 60 Hz frame is due (`next`), or catches up when late.
fn pace(next: &mut Instant) {
    *next += FRAME;
    let now = Instant::now();
    if *next > now {
        std::thread::sleep(*next - now);
    } else {
        *next = now;
    }
}

fn settings(view: ViewMode) -> SessionSettings {
    SessionSettings {
        view,
        ..SessionSettings::default()
    }
}

fn percentile(times: &[Duration], p: f64) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    let mut v = times.to_vec();
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn mbs(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

// ---- TCP ingest -------------------------------------------------------------------

/// Floods `addr` with 64 KiB writes for `secs`; returns bytes written.
fn flood_tcp(addr: SocketAddr, secs: Duration, max_bytes: u64) -> std::thread::JoinHandle<u64> {
    flood_tcp_with(addr, secs, max_bytes, letters())
}

/// 64 KiB of letters with no line break (one long line per read).
fn letters() -> Vec<u8> {
    (0..CHUNK).map(|i| b'A' + (i % 26) as u8).collect()
}

/// 64 KiB of text lines of about 60 bytes, as a device logging fast sends.
fn text_lines() -> Vec<u8> {
    let mut out = Vec::with_capacity(CHUNK + 64);
    let mut i = 0u32;
    while out.len() < CHUNK {
        out.extend_from_slice(
            format!("{i:06} temperature=21.5 humidity=40% pressure=1013hPa ok\n").as_bytes(),
        );
        i += 1;
    }
    out.truncate(CHUNK);
    out
}

fn flood_tcp_with(
    addr: SocketAddr,
    secs: Duration,
    max_bytes: u64,
    chunk: Vec<u8>,
) -> std::thread::JoinHandle<u64> {
    peer_thread(move || {
        let Ok(mut s) = TcpStream::connect(addr) else {
            return 0;
        };
        let start = Instant::now();
        let mut sent = 0u64;
        while start.elapsed() < secs && sent < max_bytes {
            if s.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        sent
    })
}

fn raw_tcp(secs: Duration) -> f64 {
    raw_tcp_into(secs, |_| true)
}

/// A raw reader of a loopback flood that hands each read to `sink`
/// (false: stop); returns MB/s.
fn raw_tcp_into(secs: Duration, mut sink: impl FnMut(&[u8]) -> bool) -> f64 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    let sender = flood_tcp(addr, secs, u64::MAX);
    let (mut c, _) = l.accept().expect("accept");
    let mut buf = vec![0u8; CHUNK];
    let start = Instant::now();
    let mut got = 0u64;
    loop {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if !sink(&buf[..n]) {
                    break;
                }
                got += n as u64;
            }
        }
    }
    let el = start.elapsed();
    let _ = sender.join();
    mbs(got, el)
}

/// A file in RAM when the system has one, so capture figures are the
/// program's cost and not this disk's write speed.
fn bench_file(name: &str) -> std::path::PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("netpal-bench-{name}-{}.bin", std::process::id()))
}

/// The raw reader, writing every read straight to a file: the floor of
/// what capturing costs on this machine.
fn raw_tcp_to_file(secs: Duration) -> f64 {
    use std::io::Write;
    let path = bench_file("raw");
    let Ok(mut file) = std::fs::File::create(&path) else {
        return 0.0;
    };
    let rate = raw_tcp_into(secs, |b| file.write_all(b).is_ok());
    drop(file);
    let _ = std::fs::remove_file(&path);
    rate
}

fn netpal_tcp(secs: Duration, view: ViewMode) -> (f64, Duration, Duration) {
    netpal_tcp_with(secs, settings(view), false)
}

/// TCP ingest; with `capture`, every byte also goes to a file (checked
/// against what was sent).
fn netpal_tcp_with(
    secs: Duration,
    session: SessionSettings,
    capture: bool,
) -> (f64, Duration, Duration) {
    let mut ui = Ui::new(session);
    let path = bench_file("cap");
    if capture {
        ui.s_mut().settings.capture.path = path.display().to_string();
    }
    let addr = ui.open(Protocol::TcpServer);
    if capture {
        let id = ui.s().id;
        ui.app.run_action(netpal::app::Action::Session(
            id,
            SessionAction::StartCapture,
        ));
    }
    let sender = flood_tcp(addr, secs, u64::MAX);
    let start = Instant::now();
    let mut times = ui.frames_until(secs + Duration::from_secs(30), |_| sender.is_finished());
    let sent = sender.join().unwrap_or(0);
    times.extend(ui.frames_until(Duration::from_secs(30), |a| a.counters().rx_bytes >= sent));
    let el = start.elapsed();
    let got = ui.s().counters().rx_bytes;
    if capture {
        let id = ui.s().id;
        ui.app
            .run_action(netpal::app::Action::Session(id, SessionAction::StopCapture));
        ui.frames_until(Duration::from_secs(30), |a| a.capturing().is_none());
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "  (capture file: {len} bytes of {sent} sent{})",
            if len == sent {
                ", equal"
            } else {
                ", NOT EQUAL"
            }
        );
        let _ = std::fs::remove_file(&path);
    }
    (
        mbs(got, el),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
    )
}

/// 64 KiB of 100-byte lines (99 bytes and a line feed), ending on a line end.
fn hundred_byte_lines() -> Vec<u8> {
    let mut out = Vec::with_capacity(CHUNK);
    let mut i = 0u32;
    while out.len() + 100 <= CHUNK {
        let line = format!("{i:08} {}\n", "x".repeat(90));
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out
}

/// Ingest of 100-byte lines with line framing (one record per line).
fn netpal_tcp_framed(secs: Duration) -> (f64, u64, Duration) {
    let mut s = settings(ViewMode::Text);
    s.framing.mode = netpal::session::FramingMode::Lf;
    let mut ui = Ui::new(s);
    let addr = ui.open(Protocol::TcpServer);
    let chunk = hundred_byte_lines();
    let sender = flood_tcp_with(addr, secs, u64::MAX, chunk);
    let start = Instant::now();
    // Frames go on until the sender is done: it may be held back by flow
    // control, and only frames take what it waits for.
    let mut times = ui.frames_until(secs + Duration::from_secs(60), |_| sender.is_finished());
    let sent = sender.join().unwrap_or(0);
    times.extend(ui.frames_until(Duration::from_secs(60), |a| a.counters().rx_bytes >= sent));
    let el = start.elapsed();
    let c = ui.s().counters();
    (mbs(c.rx_bytes, el), c.rx_packets, percentile(&times, 0.99))
}

fn bench_tcp() {
    println!("\n## TCP ingest (loopback flood of 64 KiB writes, 3 s)");
    let secs = Duration::from_secs(3);
    let raw = raw_tcp(secs);
    println!("raw reader (discards):          {raw:8.0} MB/s");
    for (name, view) in [("text", ViewMode::Text), ("hex", ViewMode::Hex)] {
        let (rate, p50, p99) = netpal_tcp(secs, view);
        println!(
            "NetPal, {name:4} view, 60 Hz frames: {rate:8.0} MB/s  = {:5.1}% of raw   (frame p50 {}, p99 {})",
            rate / raw * 100.0,
            ms(p50),
            ms(p99)
        );
    }
}

/// Line framing alone, once, against the raw reader (quick to iterate on).
fn bench_framing() {
    println!("\n## Line framing (TCP loopback flood of 100-byte lines, 3 s)");
    let secs = Duration::from_secs(3);
    let raw = raw_tcp(secs);
    let (f, records, p99) = netpal_tcp_framed(secs);
    println!(
        "raw reader {raw:.0} MB/s; NetPal, line framing: {f:.0} MB/s = {:.1}% of raw ({records} records, frame p99 {})",
        f / raw * 100.0,
        ms(p99)
    );
}

/// The receiving toolkit's costs: capture to file and line framing, each
/// against the same run's raw reader and plain ingest (3 rounds each,
/// medians, as loopback figures vary from run to run).
fn bench_receive() {
    println!("\n## Receiving toolkit (TCP loopback flood, 3 s per run, medians of 3)");
    let secs = Duration::from_secs(3);
    let (mut raws, mut plains, mut caps, mut framed) = (vec![], vec![], vec![], vec![]);
    let (mut p99s, mut raw_files) = (vec![], vec![]);
    for _ in 0..3 {
        raws.push(raw_tcp(secs));
        raw_files.push(raw_tcp_to_file(secs));
        plains.push(netpal_tcp_with(secs, settings(ViewMode::Text), false).0);
        let (c, _, p99) = netpal_tcp_with(secs, settings(ViewMode::Text), true);
        caps.push(c);
        let (f, records, fp99) = netpal_tcp_framed(secs);
        framed.push(f);
        p99s.push(fp99);
        println!(
            "  round: raw {:.0}, raw to file {:.0}, plain {:.0}, capture {c:.0} (frame p99 {}), line framing {f:.0} MB/s ({records} records, frame p99 {})",
            raws[raws.len() - 1],
            raw_files[raw_files.len() - 1],
            plains[plains.len() - 1],
            ms(p99),
            ms(fp99)
        );
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let raw_file = med(&mut raw_files);
    let (raw, plain, cap, fr) = (
        med(&mut raws),
        med(&mut plains),
        med(&mut caps),
        med(&mut framed),
    );
    println!("raw reader (discards):             {raw:8.0} MB/s");
    println!(
        "NetPal, no capture:                {plain:8.0} MB/s  = {:5.1}% of raw",
        plain / raw * 100.0
    );
    println!(
        "raw reader writing to a file:      {raw_file:8.0} MB/s  = {:5.1}% of raw",
        raw_file / raw * 100.0
    );
    println!(
        "NetPal, capturing to a file:       {cap:8.0} MB/s  = {:5.1}% of ingest without capture, {:5.1}% of the raw reader writing to a file",
        cap / plain * 100.0,
        cap / raw_file * 100.0
    );
    println!(
        "NetPal, line framing, 100-byte lines: {fr:8.0} MB/s  = {:5.1}% of raw, {:5.1}% of ingest without framing",
        fr / raw * 100.0,
        fr / plain * 100.0
    );
}

// ---- Relay ------------------------------------------------------------------------

/// A target that takes one connection and reads it to its end; returns
/// its address and (bytes, time from the first byte to EOF).
fn sink_until_eof() -> (SocketAddr, std::thread::JoinHandle<(u64, Duration)>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    let h = peer_thread(move || {
        let Ok((mut c, _)) = l.accept() else {
            return (0, Duration::ZERO);
        };
        let mut buf = vec![0u8; CHUNK];
        let mut got = 0u64;
        let mut first = None;
        loop {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    first.get_or_insert_with(Instant::now);
                    got += n as u64;
                }
            }
        }
        (got, first.map_or(Duration::ZERO, |t| t.elapsed()))
    });
    (addr, h)
}

/// A free port on 127.0.0.1 (for a program that cannot be given port 0).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// `socat TCP-LISTEN:A TCP:B` carrying a flood for `secs`; MB/s at the
/// target, or why it could not run. (The relay's connection is the first
/// that socat accepts, so no probe may connect before it.)
fn socat_relay(secs: Duration, buffer: Option<usize>) -> Result<f64, String> {
    let (sink, got) = sink_until_eof();
    let port = free_port();
    let mut args = Vec::new();
    if let Some(b) = buffer {
        args.extend(["-b".to_string(), b.to_string()]);
    }
    args.push(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr"));
    args.push(format!("TCP:{sink}"));
    let mut child = std::process::Command::new("socat")
        .args(&args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("socat not found ({e}); install it (apt-get install socat)"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    // socat listens a moment after it starts: try until it does.
    let sender = loop {
        if let Ok(s) = TcpStream::connect(addr) {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let Some(mut s) = sender else {
        let _ = child.kill();
        let _ = child.wait();
        return Err("socat did not listen within 10 s".into());
    };
    let chunk = letters();
    let t = Instant::now();
    while t.elapsed() < secs {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    drop(s);
    let (bytes, el) = got.join().unwrap_or((0, Duration::ZERO));
    let _ = child.kill();
    let _ = child.wait();
    Ok(mbs(bytes, el))
}

/// NetPal's relay, in the real app with its log on, carrying a flood for
/// `secs`; MB/s at the target, frame p99, and the records logged.
fn netpal_relay(secs: Duration) -> (f64, Duration, u64) {
    let (sink, got) = sink_until_eof();
    let mut ui = Ui::new(settings(ViewMode::Text));
    let s = ui.s_mut();
    s.settings.protocol = Protocol::Relay;
    s.settings.local_ip = "127.0.0.1".into();
    s.settings.local_port = "0".into();
    s.settings.remote_host = "127.0.0.1".into();
    s.settings.remote_port = sink.port().to_string();
    let id = s.id;
    ui.app
        .run_action(netpal::app::Action::Session(id, SessionAction::Open));
    ui.frames_until(Duration::from_secs(5), |a| a.local_addr().is_some());
    let Some(addr) = ui.s().local_addr() else {
        return (0.0, Duration::ZERO, 0);
    };
    let sender = flood_tcp(addr, secs, u64::MAX);
    let times = ui.frames_until(secs + Duration::from_secs(30), |_| got.is_finished());
    let _ = sender.join();
    let (bytes, el) = got.join().unwrap_or((0, Duration::ZERO));
    let records = ui.s().counters().rx_packets;
    (mbs(bytes, el), percentile(&times, 0.99), records)
}

/// TCP relay throughput against socat in the same run (3 rounds, medians).
fn bench_relay() {
    println!(
        "\n## TCP relay (loopback flood of 64 KiB writes through the relay, 3 s per run, medians of 3)"
    );
    let secs = Duration::from_secs(3);
    let (mut socats, mut bigs, mut ours, mut p99s) = (vec![], vec![], vec![], vec![]);
    for _ in 0..3 {
        let s = match socat_relay(secs, None) {
            Ok(r) => r,
            Err(why) => {
                println!("skipped: {why}");
                return;
            }
        };
        let b = socat_relay(secs, Some(65536)).unwrap_or(0.0);
        let (n, p99, records) = netpal_relay(secs);
        println!(
            "  round: socat {s:.0} MB/s, socat -b 65536 {b:.0} MB/s, NetPal (logging) {n:.0} MB/s ({records} records logged, frame p99 {})",
            ms(p99)
        );
        socats.push(s);
        bigs.push(b);
        ours.push(n);
        p99s.push(p99);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (s, b, n) = (med(&mut socats), med(&mut bigs), med(&mut ours));
    p99s.sort();
    println!("socat TCP-LISTEN TCP:           {s:8.0} MB/s");
    println!("socat -b 65536:                 {b:8.0} MB/s");
    println!(
        "NetPal relay, logging on:       {n:8.0} MB/s  = {:5.1}% of socat, {:5.1}% of socat -b 65536 (frame p99 {})",
        n / s * 100.0,
        n / b * 100.0,
        ms(p99s[p99s.len() / 2])
    );
}

// ---- Bad network on purpose -------------------------------------------------------

/// A relay with the impairment `options` ("delay=200ms"...) toward a
/// target listening here; returns the UI, where the relay listens and the
/// target's listener. With `lines`, each line is a record.
fn impaired_relay(options: &[(&str, &str)], lines: bool) -> Option<(Ui, SocketAddr, TcpListener)> {
    let target = TcpListener::bind("127.0.0.1:0").ok()?;
    let mut s = settings(ViewMode::Text);
    if lines {
        s.framing.mode = netpal::session::FramingMode::Lf;
    }
    let mut ui = Ui::new(s);
    let s = ui.s_mut();
    s.settings.protocol = Protocol::Relay;
    s.settings.local_ip = "127.0.0.1".into();
    s.settings.local_port = "0".into();
    s.settings.remote_host = "127.0.0.1".into();
    s.settings.remote_port = target.local_addr().ok()?.port().to_string();
    s.settings.impair.on = true;
    for (k, v) in options {
        let (up, key) = match k.split_once('.') {
            Some(("down", key)) => (false, key),
            Some((_, key)) => (true, key),
            None => (true, *k),
        };
        *s.settings.impair.text_mut(up, key) = v.to_string();
    }
    let id = s.id;
    ui.app
        .run_action(netpal::app::Action::Session(id, SessionAction::Open));
    ui.frames_until(Duration::from_secs(5), |a| a.local_addr().is_some());
    let addr = ui.s().local_addr()?;
    Some((ui, addr, target))
}

/// Delay accuracy and a bandwidth cap's accuracy through the relay.
fn bench_impair() {
    println!("\n## Bad network on purpose (TCP relay, in a window's session)");
    // 10,000 messages a second for 10 s through delay=200ms: how late
    // each arrives against its send time plus 200 ms, and the frames
    // while the relay holds and logs 100,000 records.
    let Some((mut ui, addr, target)) = impaired_relay(&[("delay", "200ms")], true) else {
        println!("skipped: no relay");
        return;
    };
    const MSGS: usize = 100_000;
    let base = Instant::now();
    let sent_at = Arc::new(std::sync::Mutex::new(vec![Duration::ZERO; MSGS]));
    let sent = sent_at.clone();
    let sender = peer_thread(move || {
        let Ok(mut c) = TcpStream::connect(addr) else {
            return;
        };
        let _ = c.set_nodelay(true);
        let start = Instant::now();
        for i in 0..MSGS {
            let due = start + Duration::from_micros(100 * i as u64);
            while Instant::now() < due {
                std::hint::spin_loop();
            }
            let at = base.elapsed();
            if let Ok(mut v) = sent.lock() {
                v[i] = at;
            }
            // Eight bytes, a line: each message is a record in the log.
            if c.write_all(format!("{i:07}\n").as_bytes()).is_err() {
                return;
            }
        }
        std::thread::sleep(Duration::from_secs(2));
    });
    let reader = peer_thread(move || {
        let mut late = Vec::with_capacity(MSGS);
        let Ok((mut c, _)) = target.accept() else {
            return late;
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
        let mut buf = [0u8; 8];
        while late.len() < MSGS && c.read_exact(&mut buf).is_ok() {
            let i = std::str::from_utf8(&buf[..7])
                .ok()
                .and_then(|t| t.parse::<usize>().ok())
                .unwrap_or(usize::MAX);
            late.push((i, base.elapsed()));
        }
        late
    });
    let times = ui.frames_until(Duration::from_secs(40), |_| reader.is_finished());
    let arrived = reader.join().unwrap_or_default();
    let _ = sender.join();
    let sent_at = sent_at.lock().map(|v| v.clone()).unwrap_or_default();
    let delay = Duration::from_millis(200);
    let mut late: Vec<Duration> = Vec::new();
    let mut early = 0;
    for (i, at) in &arrived {
        let want = sent_at.get(*i).copied().unwrap_or_default() + delay;
        match at.checked_sub(want) {
            Some(l) => late.push(l),
            None => early += 1,
        }
    }
    // Every message a record, and every hold said, in the log.
    let logged = ui.s().log().len();
    println!(
        "delay=200ms, 10,000 messages/s for 10 s: {} of {MSGS} arrived, {early} early; late by p50 {}, p99 {}, max {}; frames p99 {}, max {} ({} frames; {logged} log lines)",
        arrived.len(),
        ms(percentile(&late, 0.5)),
        ms(percentile(&late, 0.99)),
        ms(percentile(&late, 1.0)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 1.0)),
        times.len(),
    );
    drop(ui);

    // A 1 MB/s cap on a flood, measured over 10 s at the target.
    let Some((mut ui, addr, target)) = impaired_relay(&[("rate", "1MB/s")], false) else {
        return;
    };
    let secs = Duration::from_secs(10);
    let sender = flood_tcp(addr, secs + Duration::from_secs(1), u64::MAX);
    let reader = peer_thread(move || {
        let Ok((mut c, _)) = target.accept() else {
            return (0u64, Duration::ZERO);
        };
        let mut buf = vec![0u8; 65536];
        // From the first byte, for 10 s.
        let mut total = 0u64;
        let mut first = None;
        while let Ok(n) = c.read(&mut buf) {
            if n == 0 {
                break;
            }
            let t0 = *first.get_or_insert_with(Instant::now);
            if t0.elapsed() >= secs {
                break;
            }
            total += n as u64;
        }
        (total, first.map_or(Duration::ZERO, |t| t.elapsed()))
    });
    let times = ui.frames_until(secs + Duration::from_secs(20), |_| reader.is_finished());
    let (bytes, took) = reader.join().unwrap_or((0, Duration::ZERO));
    let _ = sender.join();
    let rate = bytes as f64 / took.as_secs_f64();
    println!(
        "rate=1MB/s on a flood, 10 s at the target: {:.0} B/s = {:.1}% of the cap (RSS {} MiB); frames p99 {}",
        rate,
        rate / 1e6 * 100.0,
        status_kib("VmRSS") / 1024,
        ms(percentile(&times, 0.99)),
    );
}

// ---- UDP ingest -------------------------------------------------------------------

fn blast_udp(to: SocketAddr, size: usize, count: u64) -> std::thread::JoinHandle<u64> {
    peer_thread(move || {
        let Ok(s) = UdpSocket::bind("127.0.0.1:0") else {
            return 0;
        };
        let payload = vec![b'u'; size];
        let mut sent = 0;
        let start = Instant::now();
        while sent < count && start.elapsed() < Duration::from_secs(20) {
            if s.send_to(&payload, to).is_ok() {
                sent += 1;
            }
        }
        sent
    })
}

fn raw_udp(size: usize, count: u64) -> (u64, u64, Duration) {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let to = s.local_addr().expect("addr");
    let sender = blast_udp(to, size, count);
    let mut buf = vec![0u8; 65536];
    let mut got = 0;
    let start = Instant::now();
    let mut last = start;
    while s.recv_from(&mut buf).is_ok() {
        got += 1;
        last = Instant::now();
    }
    let sent = sender.join().unwrap_or(0);
    (got, sent, last - start)
}

fn netpal_udp(size: usize, count: u64) -> (u64, u64, Duration) {
    let mut ui = Ui::new(settings(ViewMode::Text));
    let to = ui.open(Protocol::Udp);
    let sender = blast_udp(to, size, count);
    let start = Instant::now();
    let mut last = start;
    let mut seen = 0;
    // Until 300 ms pass with no new datagram.
    ui.frames_until(Duration::from_secs(30), |app| {
        let n = app.counters().rx_packets;
        if n != seen {
            seen = n;
            last = Instant::now();
        }
        last.elapsed() >= Duration::from_millis(300)
    });
    let sent = sender.join().unwrap_or(0);
    (seen, sent, last - start)
}

fn bench_udp() {
    println!("\n## UDP ingest (one sender blasting datagrams as fast as it can)");
    for (size, count) in [(64usize, 300_000u64), (1400, 100_000)] {
        let (rg, rs, rt) = raw_udp(size, count);
        let (ng, ns, nt) = netpal_udp(size, count);
        let rate = |g: u64, t: Duration| g as f64 / t.as_secs_f64().max(1e-9);
        let loss = |g: u64, s: u64| 100.0 * (1.0 - g as f64 / s.max(1) as f64);
        println!(
            "{size:5} B  raw recv loop: {:9.0}/s received, loss {:5.2}%  | NetPal: {:9.0}/s received, loss {:5.2}%  ({:5.1}% of raw rate)",
            rate(rg, rt),
            loss(rg, rs),
            rate(ng, nt),
            loss(ng, ns),
            rate(ng, nt) / rate(rg, rt).max(1e-9) * 100.0
        );
    }
}

// ---- frame time with a million records ----------------------------------------------

fn bench_frame() {
    println!("\n## Frame time with 1,000,000 records in the log, while data arrives");
    for (name, view) in [("text", ViewMode::Text), ("hex", ViewMode::Hex)] {
        let mut s = settings(view);
        s.log_cap_mib = 1024; // keep all of them
        let mut ui = Ui::new(s);
        let addr = ui.open(Protocol::TcpServer);
        let peer: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
        let at = SystemTime::now();
        for i in 0..1_000_000u32 {
            ui.s_mut().apply(Event::received(
                at,
                peer,
                format!("record {i:07}: temperature=21.5 humidity=40%\n").into_bytes(),
            ));
        }
        let first = ui.frame();
        // Data keeps arriving: a client sends a line every millisecond.
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let feeder = peer_thread(move || {
            let Ok(mut c) = TcpStream::connect(addr) else {
                return;
            };
            let mut i = 0u64;
            while !st.load(Ordering::Relaxed) && i < 100_000 {
                let _ = c.write_all(format!("live line {i}\n").as_bytes());
                i += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        let rebuilds = ui.s().line_index().rebuilds();
        let times = ui.frames_until(Duration::from_secs(3), |_| false);
        let rebuilds = ui.s().line_index().rebuilds() - rebuilds;
        stop.store(true, Ordering::Relaxed);
        let _ = feeder.join();
        println!(
            "{name:4} view: first frame (index of 1M records) {}; then {} frames: p50 {}, p99 {}, max {}  ({} records, {rebuilds} index rebuilds)",
            ms(first),
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(percentile(&times, 1.0)),
            ui.s().log().len()
        );
        if view == ViewMode::Text {
            // Find a record near the end, from the start: the search runs
            // in frames of its own budget.
            ui.s_mut().find.query = "record 0999998".into();
            ui.s_mut().find_seek(true);
            let start = Instant::now();
            let times = ui.frames_until(Duration::from_secs(10), |a| a.find.current.is_some());
            let found = start.elapsed();
            let counted = ui.frames_until(Duration::from_secs(10), |a| a.find.count.is_some());
            println!(
                "find over {} records, the match near the end: shown after {} ({} frames, p99 {}); all counted after {} more frames",
                ui.s().log().len(),
                ms(found),
                times.len(),
                ms(percentile(&times, 0.99)),
                counted.len()
            );
        }
    }
}

// ---- memory under a 10 GiB flood ------------------------------------------------------

fn memory_child(gib: u64) {
    let mut ui = Ui::new(settings(ViewMode::Text));
    let addr = ui.open(Protocol::TcpServer);
    let total = gib << 30;
    let sender = flood_tcp(addr, Duration::from_secs(600), total);
    let start = Instant::now();
    ui.frames_until(Duration::from_secs(600), |a| a.counters().rx_bytes >= total);
    let el = start.elapsed();
    let _ = sender.join();
    println!(
        "{} {} {} {}",
        ui.s().counters().rx_bytes,
        el.as_millis(),
        status_kib("VmHWM"),
        ui.s().log().cap()
    );
}

/// Runs this benchmark binary again as a child with `args`; the numbers
/// it prints, or what it said when it printed `want` numbers not.
fn child_numbers(args: &[&str], want: usize) -> Result<Vec<u64>, String> {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .args(args)
        .output()
        .map_err(|e| format!("could not run the child process: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<u64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if f.len() == want {
        Ok(f)
    } else {
        Err(format!(
            "child said: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn bench_memory() {
    let gib = 10;
    println!("\n## Memory: peak RSS during a {gib} GiB TCP flood, default log cap");
    let f = child_numbers(&["child-memory", &gib.to_string()], 4);
    match f.as_deref() {
        Ok(&[bytes, millis, rss_kib, cap]) => {
            let el = Duration::from_millis(millis);
            println!(
                "received {:.2} GiB in {:.1} s ({:.0} MB/s); peak RSS {:.0} MiB; log cap {} MiB; RSS - cap = {:.0} MiB",
                bytes as f64 / (1u64 << 30) as f64,
                el.as_secs_f64(),
                mbs(bytes, el),
                rss_kib as f64 / 1024.0,
                cap >> 20,
                rss_kib as f64 / 1024.0 - (cap >> 20) as f64
            );
        }
        Ok(_) => {}
        Err(said) => println!("{said}"),
    }
}

// ---- a million UDP source addresses ----------------------------------------------------

/// Sends `n` datagrams of 16 bytes to `to`, each from a source of its own
/// (every port from 1,024 up of 127.0.0.2, then of 127.0.0.3, ...) or all
/// from one socket. Keeps at most `ahead` datagrams beyond what `taken`
/// says was received, so the receive buffer is not what is measured.
fn many_sources(
    to: SocketAddr,
    n: u64,
    many: bool,
    taken: Arc<AtomicU64>,
) -> std::thread::JoinHandle<u64> {
    peer_thread(move || {
        let one = UdpSocket::bind("127.0.0.1:0");
        let ahead = 50_000;
        let start = Instant::now();
        let (mut sent, mut next) = (0u64, 0u64);
        while sent < n && start.elapsed() < Duration::from_secs(300) {
            if sent >= taken.load(Ordering::Relaxed) + ahead {
                std::thread::yield_now();
                continue;
            }
            let ok = if many {
                let host = 2 + (next / 64_512) as u8;
                let port = 1_024 + (next % 64_512) as u16;
                next += 1;
                if host == 255 {
                    break;
                }
                UdpSocket::bind(SocketAddr::from(([127, 0, 0, host], port)))
                    .and_then(|s| s.send_to(b"from a new source", to))
                    .is_ok()
            } else {
                one.as_ref()
                    .is_ok_and(|s| s.send_to(b"from one source!", to).is_ok())
            };
            if ok {
                sent += 1;
            }
        }
        sent
    })
}

fn sources_child(n: u64, many: bool) {
    let mut ui = Ui::new(settings(ViewMode::Text));
    let to = ui.open(Protocol::Udp);
    ui.frames_until(Duration::from_millis(200), |_| false);
    let before = status_kib("VmRSS");
    let taken = Arc::new(AtomicU64::new(0));
    let sender = many_sources(to, n, many, taken.clone());
    let start = Instant::now();
    let (mut seen, mut last) = (0, start);
    // Until all arrived, or 500 ms pass with no new datagram.
    let times = ui.frames_until(Duration::from_secs(300), |app| {
        let got = app.counters().rx_packets;
        taken.store(got, Ordering::Relaxed);
        if got != seen {
            (seen, last) = (got, Instant::now());
        }
        got >= n || last.elapsed() >= Duration::from_millis(500)
    });
    let el = last - start;
    let sent = sender.join().unwrap_or(0);
    println!(
        "{} {} {} {} {} {} {} {} {} {}",
        sent,
        ui.s().counters().rx_packets,
        ui.s().udp_peers().len(),
        el.as_millis(),
        percentile(&times, 0.5).as_micros(),
        percentile(&times, 0.99).as_micros(),
        percentile(&times, 1.0).as_micros(),
        before,
        status_kib("VmRSS"),
        ui.s().log().bytes() >> 10,
    );
}

fn bench_sources() {
    let n = 1_000_000u64;
    println!(
        "\n## {n} UDP datagrams, each from a source address of its own, against all from one source"
    );
    let mut rows = Vec::new();
    for (name, many) in [("one source", false), ("1 source each", true)] {
        let f = match child_numbers(
            &[
                "child-sources",
                &n.to_string(),
                if many { "many" } else { "one" },
            ],
            10,
        ) {
            Ok(f) => f,
            Err(said) => {
                println!("{said}");
                return;
            }
        };
        let [
            sent,
            got,
            peers,
            millis,
            p50,
            p99,
            max,
            before,
            after,
            log_kib,
        ] = f[..]
        else {
            return;
        };
        let grew = after.saturating_sub(before) as f64 / 1024.0;
        println!(
            "{name:13}: {got} of {sent} received in {:.1} s; {peers} peers listed; frames p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; RSS grew {grew:.0} MiB (log {:.0} MiB)",
            millis as f64 / 1000.0,
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0,
            max as f64 / 1000.0,
            log_kib as f64 / 1024.0,
        );
        rows.push((p99, grew, log_kib as f64 / 1024.0));
    }
    if let [
        (p99_one, grew_one, log_one),
        (p99_many, grew_many, log_many),
    ] = rows[..]
    {
        println!(
            "a source each: frame p99 {:.2}x, memory beyond the log {:.0} MiB against {:.0} MiB",
            p99_many as f64 / p99_one.max(1) as f64,
            grew_many - log_many,
            grew_one - log_one,
        );
    }
}

// ---- 10,000 clients -----------------------------------------------------------------

fn clients_child(n: usize, port: u16) {
    let mut conns = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => conns.push(c),
            Err(e) => {
                eprintln!("connect failed after {}: {e}", conns.len());
                break;
            }
        }
    }
    for (i, c) in conns.iter_mut().enumerate() {
        let _ = c.write_all(format!("hello from client {i}\n").as_bytes());
    }
    println!(
        "connected {} in {} ms",
        conns.len(),
        start.elapsed().as_millis()
    );
    let _ = std::io::stdout().flush();
    // Hold the connections until the parent closes our stdin.
    let mut buf = [0u8; 1];
    let _ = std::io::stdin().read(&mut buf);
}

fn bench_scale() {
    let n = 10_000usize;
    let limit = raise_fd_limit();
    println!("\n## Scale: {n} concurrent TCP clients to one server session (fd limit {limit})");
    let mut ui = Ui::new(settings(ViewMode::Text));
    let addr = ui.open(Protocol::TcpServer);
    let child = Command::new(std::env::current_exe().expect("exe"))
        .args(["child-clients", &n.to_string(), &addr.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        println!("could not run the client process");
        return;
    };
    let start = Instant::now();
    let accept_times = ui.frames_until(Duration::from_secs(60), |a| a.clients().len() >= n);
    let accepted_at = start.elapsed();
    let accepted = ui.s().clients().len();
    let msg_times = ui.frames_until(Duration::from_secs(60), |a| {
        a.counters().rx_packets >= n as u64
    });
    let messages_at = start.elapsed();
    let shown = ui.s().counters().rx_packets;
    let list_times = ui.frames_until(Duration::from_secs(2), |_| false);
    // The clients sit idle: what the session's worker costs meanwhile (it
    // reads each connection's health once a second). No frames are run,
    // so this is the worker's share, not the window's.
    let t0 = own_ticks();
    std::thread::sleep(Duration::from_secs(10));
    let idle_ticks = own_ticks().saturating_sub(t0);
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    drop(child.stdin.take());
    let _ = child.wait();
    let mut all = accept_times;
    all.extend(msg_times);
    println!(
        "accepted {accepted}/{n} in {:.2} s; a message from each in the log after {:.2} s ({shown} records)",
        accepted_at.as_secs_f64(),
        messages_at.as_secs_f64()
    );
    println!("client side: {}", line.trim());
    println!(
        "frames while connecting: p50 {}, p99 {}; with {accepted} clients listed: p50 {}, p99 {}",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(percentile(&list_times, 0.5)),
        ms(percentile(&list_times, 0.99))
    );
    println!(
        "CPU of this process over 10 s with the {accepted} clients idle (their health read each second): {:.1}% of a core",
        idle_ticks as f64 / 10.0
    );
}

// ---- the machine's ports ------------------------------------------------------------------

/// How long `ss -tanp` takes to list the machine's TCP sockets with their
/// processes (its output thrown away), or None where it cannot run.
fn time_ss() -> Option<Duration> {
    let start = Instant::now();
    let st = Command::new("ss")
        .arg("-tanp")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    st.success().then(|| start.elapsed())
}

/// This process's CPU ticks (user + system), for a share over a time.
fn own_ticks() -> u64 {
    cpu_ticks(std::process::id()).unwrap_or(0)
}

/// One Ports refresh (sockets, PIDs, names) against `ss -tanp` with 10,000
/// sockets on the machine; frames while the pane shows them changing; the
/// CPU the pane costs while nothing changes.
fn bench_ports() {
    use netpal::net::ports::read_sockets;
    let limit = raise_fd_limit();
    let pairs = 5_000.min((limit as usize).saturating_sub(500) / 2);
    println!(
        "\n## Ports: {} sockets of this process's on loopback, and the machine's own (fd limit {limit})",
        pairs * 2 + 1
    );
    let Ok(l) = TcpListener::bind("127.0.0.1:0") else {
        println!("skipped: no listener");
        return;
    };
    let Ok(addr) = l.local_addr() else {
        return;
    };
    let mut held = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let Ok(c) = TcpStream::connect(addr) else {
            break;
        };
        let Ok((s, _)) = l.accept() else {
            break;
        };
        held.push((c, s));
    }
    let total = read_sockets().sockets.len();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(read_sockets());
        ours.push(t.elapsed());
        if let Some(d) = time_ss() {
            theirs.push(d);
        }
    }
    let (o, s) = (percentile(&ours, 0.5), percentile(&theirs, 0.5));
    println!(
        "{total} sockets listed: one refresh (TCP and UDP, PIDs and names) median {}; `ss -tanp` median {} (TCP only); NetPal/ss = {:.2}",
        ms(o),
        if theirs.is_empty() {
            "not run".into()
        } else {
            ms(s)
        },
        o.as_secs_f64() / s.as_secs_f64().max(1e-9)
    );
    // The pane open on all of them, while 100 connections a second come
    // and go.
    let mut ui = Ui::new(settings(ViewMode::Text));
    ui.app.run_action(netpal::app::Action::TogglePorts);
    let start = Instant::now();
    while ui.app.ports().is_none_or(|p| !p.has_read()) && start.elapsed() < Duration::from_secs(20)
    {
        ui.frame();
        std::thread::sleep(Duration::from_millis(5));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let churn = peer_thread(move || {
        let mut made = std::collections::VecDeque::new();
        let mut n = 0u64;
        let Ok(l2) = TcpListener::bind("127.0.0.1:0") else {
            return 0;
        };
        let Ok(at) = l2.local_addr() else {
            return 0;
        };
        while !st.load(Ordering::Relaxed) && n < 2_000 {
            if let (Ok(c), Ok((s, _))) = (TcpStream::connect(at), l2.accept()) {
                made.push_back((c, s));
            }
            if made.len() > 50 {
                made.pop_front();
            }
            n += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        n
    });
    let times = ui.frames_until(Duration::from_secs(5), |_| false);
    stop.store(true, Ordering::Relaxed);
    let made = churn.join().unwrap_or(0);
    let rows = ui.app.ports().map_or(0, |p| p.shown_len());
    println!(
        "frames with the pane showing {rows} rows while {made} connections came and went: p50 {}, p99 {}, max {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 1.0)),
    );
    // Nothing changes: the pane's reading once a second, no frame needed.
    let quiet = |ui: &mut Ui, what: &str| {
        for _ in 0..3 {
            ui.frame();
            std::thread::sleep(Duration::from_millis(400));
        }
        let t0 = own_ticks();
        std::thread::sleep(Duration::from_secs(10));
        let ticks = own_ticks().saturating_sub(t0);
        // Ticks are hundredths of a second: over 10 s, a tick is 0.1%.
        println!(
            "CPU with the pane open and nothing changing, over 10 s, {what}: {:.1}% of a core",
            ticks as f64 / 10.0
        );
    };
    quiet(&mut ui, &format!("{total} sockets on the machine"));
    drop(held);
    drop(l);
    quiet(&mut ui, "after they closed (the machine's own few)");
}

// ---- idle CPU and start-up ----------------------------------------------------------------

fn cpu_ticks(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = s.rsplit(')').next()?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn bench_idle() {
    println!("\n## Idle CPU and time to first frame (the real window)");
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!(
            "skipped: no display (run under Xvfb: Xvfb :99 & DISPLAY=:99 cargo bench --bench perf -- idle)"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("netpal-bench-{}", std::process::id()));
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_netpal"))
        .args(["--lang", "en", "--open", "tcp-server:127.0.0.1:0"])
        .env("NETPAL_TRACE_STARTUP", "1")
        .env("XDG_DATA_HOME", &dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        println!("could not start netpal");
        return;
    };
    let mut first = None;
    if let Some(err) = child.stderr.take() {
        let (tx, rx) = std::sync::mpsc::channel();
        peer_thread(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send((line, Instant::now()));
            }
        });
        while let Ok((line, at)) = rx.recv_timeout(Duration::from_secs(20)) {
            if line.contains("first frame") {
                first = Some(at - start);
                break;
            }
        }
    }
    match first {
        Some(d) => println!("time from start to first frame: {}", ms(d)),
        None => println!("no first frame within 20 s"),
    }
    std::thread::sleep(Duration::from_secs(2));
    let hz = 100.0; // USER_HZ
    let a = cpu_ticks(child.id());
    let window = Duration::from_secs(10);
    std::thread::sleep(window);
    let b = cpu_ticks(child.id());
    if let (Some(a), Some(b)) = (a, b) {
        println!(
            "idle CPU over {} s: {:.2}% of one core ({} ticks)",
            window.as_secs(),
            (b - a) as f64 / hz / window.as_secs_f64() * 100.0,
            b - a
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

// ---- closing the real window under load ---------------------------------------------------

/// Whether a window manager that `wmctrl` can talk to is running.
fn window_manager() -> bool {
    Command::new("wmctrl")
        .arg("-m")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the real NetPal with a TCP server on `port` (and `extra`
/// arguments); returns once its first frame is drawn and the port answers.
fn start_window(port: u16, extra: &[&str], data: &std::path::Path) -> Option<std::process::Child> {
    let spec = format!("tcp-server:127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpal"))
        .args(["--lang", "en", "--open", &spec])
        .args(extra)
        .env("NETPAL_TRACE_STARTUP", "1")
        .env("XDG_DATA_HOME", data)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let err = child.stderr.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    peer_thread(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains("first frame") {
                let _ = tx.send(());
            }
        }
    });
    let start = Instant::now();
    let ready = rx.recv_timeout(Duration::from_secs(30)).is_ok()
        && loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break true;
            }
            if start.elapsed() > Duration::from_secs(30) {
                break false;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
    if !ready {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    Some(child)
}

/// Asks the window manager to close NetPal's window, as a click on the
/// title bar's close button does; the time until the process has exited.
fn close_window(child: &mut std::process::Child) -> Option<Duration> {
    let start = Instant::now();
    let asked = Command::new("wmctrl")
        .args(["-c", "NetPal"])
        .status()
        .is_ok_and(|s| s.success());
    if !asked {
        return None;
    }
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(_)) = child.try_wait() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn bench_close() {
    println!("\n## Closing the real window under load (the window manager's close)");
    if std::env::var_os("DISPLAY").is_none() || !window_manager() {
        println!(
            "skipped: needs a display and a window manager wmctrl can reach (Xvfb :99 & DISPLAY=:99 openbox & DISPLAY=:99 cargo bench --bench perf -- close)"
        );
        return;
    }
    let limit = raise_fd_limit();
    let clients = 10_000usize.min(limit.saturating_sub(100) as usize);
    let dir = std::env::temp_dir().join(format!("netpal-bench-close-{}", std::process::id()));
    let load = Duration::from_secs(2);
    let scenarios: [(&str, &[&str]); 4] = [
        ("idle, no load", &[]),
        ("a TCP flood coming in", &[]),
        ("echoing a flood to a peer that never reads", &["--echo"]),
        ("10,000 clients connected", &[]),
    ];
    for (i, (name, extra)) in scenarios.into_iter().enumerate() {
        let port = free_port();
        let Some(mut child) = start_window(port, extra, &dir) else {
            println!("{name:44}: NetPal did not start");
            continue;
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut flood = None;
        let mut holder = None;
        match i {
            1 | 2 => flood = Some(flood_tcp(addr, Duration::from_secs(60), u64::MAX)),
            3 => {
                let c = Command::new(std::env::current_exe().expect("exe"))
                    .args(["child-clients", &clients.to_string(), &port.to_string()])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn();
                if let Ok(mut c) = c {
                    // It says so once all are connected.
                    if let Some(out) = c.stdout.take() {
                        let mut line = String::new();
                        let _ = BufReader::new(out).read_line(&mut line);
                        print!("({}) ", line.trim());
                    }
                    holder = Some(c);
                }
            }
            _ => {}
        }
        std::thread::sleep(load);
        let took = close_window(&mut child);
        let sent = flood.map(|f| f.join().unwrap_or(0));
        if let Some(mut c) = holder {
            drop(c.stdin.take());
            let _ = c.wait();
        }
        let what = sent.map_or(String::new(), |b| {
            format!(" ({:.0} MB sent to it)", b as f64 / 1e6)
        });
        match took {
            Some(d) => println!("{name:44}: exited {} after the close{what}", ms(d)),
            None => println!("{name:44}: did not exit within 20 s of the close{what}"),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

// ---- many sessions, one flooded -------------------------------------------------------

/// 16 sessions in a grid, all on screen: one TCP server flooded at line
/// rate, fifteen UDP sockets each getting a datagram every 50 ms. Measures
/// how soon each quiet session shows its datagram, the frame times, and the
/// flooded session's ingest against a raw reader in the same run.
fn bench_sessions() {
    sessions_run("letters, no line break", letters());
    sessions_run("text lines of about 60 bytes", text_lines());
}

fn sessions_run(what: &str, chunk: Vec<u8>) {
    const QUIET: usize = 15;
    println!(
        "\n## 16 sessions on screen (grid), one flooded with 64 KiB writes of {what}, 15 quiet (3 s)"
    );
    let secs = Duration::from_secs(3);
    let raw = raw_tcp(secs);
    let mut ui = Ui::new(settings(ViewMode::Text));
    let flood_addr = ui.open(Protocol::TcpServer);
    let flooded = ui.app.focused_id().expect("a session");
    let mut quiet = Vec::new();
    for _ in 0..QUIET {
        ui.app.run_action(netpal::app::Action::NewSession);
        let addr = ui.open(Protocol::Udp);
        quiet.push((ui.app.focused_id().expect("a session"), addr));
    }
    ui.app
        .run_action(netpal::app::Action::Arrange(netpal::app::Arrangement::Grid));
    ui.app.run_action(netpal::app::Action::Focus(flooded));
    ui.frame();
    // The cost of 16 sessions on screen before anything arrives.
    let quiet_from = ui.cpu.len();
    let quiet_frames = ui.frames_until(Duration::from_millis(500), |_| false);
    println!(
        "16 quiet sessions: {} frames, wall p50 {}, UI thread CPU p50 {}, p99 {}",
        quiet_frames.len(),
        ms(percentile(&quiet_frames, 0.5)),
        ms(percentile(&ui.cpu[quiet_from..], 0.5)),
        ms(percentile(&ui.cpu[quiet_from..], 0.99)),
    );

    // Each quiet session gets a datagram every 50 ms; the time each round
    // was sent is kept so the UI side can tell how late the first datagram
    // it had not shown yet showed (loopback keeps them in order).
    const ROUNDS: usize = 1000;
    let start = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..ROUNDS).map(|_| AtomicU64::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let (sa, st) = (sent_at.clone(), stop.clone());
    let targets: Vec<SocketAddr> = quiet.iter().map(|q| q.1).collect();
    let ticker = peer_thread(move || {
        let Ok(sock) = UdpSocket::bind("127.0.0.1:0") else {
            return;
        };
        let mut n = 0usize;
        while !st.load(Ordering::Relaxed) && n < ROUNDS {
            sa[n].store(start.elapsed().as_micros() as u64, Ordering::SeqCst);
            for to in &targets {
                let _ = sock.send_to(&n.to_be_bytes(), to);
            }
            n += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let sender = flood_tcp_with(flood_addr, secs, u64::MAX, chunk);
    let t0 = Instant::now();
    let first_frame = ui.drains.len();
    let mut seen = [0u64; QUIET];
    let mut delays: Vec<Duration> = Vec::new();
    let mut times = Vec::new();
    let mut next = Instant::now();
    while t0.elapsed() < secs + Duration::from_millis(50) {
        times.push(ui.frame());
        let now = start.elapsed().as_micros() as u64;
        for (i, (id, _)) in quiet.iter().enumerate() {
            let n = ui.app.session(*id).map_or(0, |s| s.counters().rx_packets);
            if n > seen[i] {
                let first_new = (seen[i] as usize).min(ROUNDS - 1);
                let at = sent_at[first_new].load(Ordering::SeqCst);
                delays.push(Duration::from_micros(now.saturating_sub(at)));
                seen[i] = n;
            }
        }
        pace(&mut next);
    }
    stop.store(true, Ordering::Relaxed);
    let _ = ticker.join();
    let flooded_sent = sender.join().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && ui
            .app
            .session(flooded)
            .is_some_and(|s| s.counters().rx_bytes < flooded_sent)
    {
        times.push(ui.frame());
    }
    let el = t0.elapsed();
    let got = ui.app.session(flooded).map_or(0, |s| s.counters().rx_bytes);
    let rate = mbs(got, el);
    println!("raw reader (discards):            {raw:8.0} MB/s");
    println!(
        "flooded session:                  {rate:8.0} MB/s  = {:5.1}% of raw",
        rate / raw * 100.0
    );
    println!(
        "quiet sessions: {} datagrams shown, delay p50 {}, p99 {}, max {}",
        delays.len(),
        ms(percentile(&delays, 0.5)),
        ms(percentile(&delays, 0.99)),
        ms(percentile(&delays, 1.0)),
    );
    let (drains, cpu) = (&ui.drains[first_frame..], &ui.cpu[first_frame..]);
    println!(
        "frames: {}, wall p50 {}, p99 {}, max {}; UI thread CPU p50 {}, p99 {}; event drain p50 {}, p99 {}",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 1.0)),
        ms(percentile(cpu, 0.5)),
        ms(percentile(cpu, 0.99)),
        ms(percentile(drains, 0.5)),
        ms(percentile(drains, 0.99)),
    );
}

// ---- sending: file, generator, periodic ----------------------------------------------

/// A reader that discards everything; returns bytes read and when the last came.
fn sink_tcp(
    l: TcpListener,
    want: u64,
    limit: Duration,
) -> std::thread::JoinHandle<(u64, Duration)> {
    peer_thread(move || {
        let Ok((mut c, _)) = l.accept() else {
            return (0, Duration::ZERO);
        };
        let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = vec![0u8; CHUNK];
        let mut got = 0u64;
        let start = Instant::now();
        let mut last = start;
        while got < want && start.elapsed() < limit {
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    got += n as u64;
                    last = Instant::now();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => break,
            }
        }
        (got, last - start)
    })
}

/// A raw Rust writer: 64 KiB writes for `secs`; MB/s as the reader saw it.
fn raw_writer(secs: Duration) -> f64 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    let reader = sink_tcp(l, u64::MAX, secs + Duration::from_secs(5));
    let mut c = TcpStream::connect(addr).expect("connect");
    let chunk = letters();
    let start = Instant::now();
    while start.elapsed() < secs {
        if c.write_all(&chunk).is_err() {
            break;
        }
    }
    drop(c);
    let (got, el) = reader.join().unwrap_or_default();
    mbs(got, el)
}

/// A TCP client session towards a sink; returns the UI and the sink.
fn client_to_sink(want: u64, limit: Duration) -> (Ui, std::thread::JoinHandle<(u64, Duration)>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let reader = sink_tcp(l, want, limit);
    let mut ui = Ui::new(settings(ViewMode::Text));
    let s = ui.s_mut();
    s.settings.protocol = Protocol::TcpClient;
    s.settings.remote_host = "127.0.0.1".into();
    s.settings.remote_port = port.to_string();
    let id = s.id;
    ui.app
        .run_action(netpal::app::Action::Session(id, SessionAction::Open));
    ui.frames_until(Duration::from_secs(5), |a| a.remote_peer().is_some());
    (ui, reader)
}

fn frame_line(ui: &Ui, times: &[Duration]) -> String {
    format!(
        "frames: wall p50 {}, p99 {}; UI CPU p99 {}",
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.99)),
        ms(percentile(&ui.cpu, 0.99))
    )
}

fn netpal_file_send(size: u64) -> (f64, String) {
    let path = std::env::temp_dir().join(format!("netpal-bench-{}.bin", std::process::id()));
    {
        let mut f = std::fs::File::create(&path).expect("temp file");
        let chunk = letters();
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            f.write_all(&chunk[..n]).expect("write temp file");
            left -= n as u64;
        }
    }
    let (mut ui, reader) = client_to_sink(size, Duration::from_secs(60));
    ui.s_mut().settings.tools.file_path = path.display().to_string();
    let id = ui.s().id;
    ui.cpu.clear();
    ui.app
        .run_action(netpal::app::Action::Session(id, SessionAction::SendFile));
    let times = ui.frames_until(Duration::from_secs(60), |a| {
        a.job(JobSlot::File).is_none() && a.job_result(JobSlot::File).is_some()
    });
    let (got, el) = reader.join().unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let line = frame_line(&ui, &times);
    (mbs(got, el), line)
}

/// A 100 MiB file sent to a peer that accepts and never reads: the frames
/// while it stalls, how soon Cancel stops it, and how long closing the
/// session (which waits for its worker) takes with a send stalled.
fn bench_stall() {
    let size = 100u64 << 20;
    println!(
        "\n## A {} MiB file sent to a peer that never reads",
        size >> 20
    );
    let path = std::env::temp_dir().join(format!("netpal-bench-stall-{}.bin", std::process::id()));
    if std::fs::write(&path, vec![b's'; size as usize]).is_err() {
        println!("could not write {}", path.display());
        return;
    }
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let holder = peer_thread(move || {
        // Accepts both connections and holds them unread until the end.
        let mut held = Vec::new();
        for _ in 0..2 {
            if let Ok((c, _)) = l.accept() {
                held.push(c);
            }
        }
        std::thread::sleep(Duration::from_secs(15));
        drop(held);
    });
    let mut ui = Ui::new(settings(ViewMode::Text));
    let s = ui.s_mut();
    s.settings.protocol = Protocol::TcpClient;
    s.settings.remote_host = "127.0.0.1".into();
    s.settings.remote_port = port.to_string();
    s.settings.tools.file_path = path.display().to_string();
    let id = s.id;
    let act = |ui: &mut Ui, a: SessionAction| {
        ui.app.run_action(netpal::app::Action::Session(id, a));
    };
    let stalled_send = |ui: &mut Ui| {
        act(ui, SessionAction::Open);
        ui.frames_until(Duration::from_secs(5), |a| a.remote_peer().is_some());
        act(ui, SessionAction::SendFile);
        // Until the send stops moving (the peer's window and ours are full).
        let mut last = (0, Instant::now());
        ui.frames_until(Duration::from_secs(10), |a| {
            let tx = a.counters().tx_bytes;
            if tx != last.0 {
                last = (tx, Instant::now());
            }
            last.1.elapsed() > Duration::from_millis(300)
        });
    };
    stalled_send(&mut ui);
    let stalled_at = ui.s().counters().tx_bytes;
    ui.cpu.clear();
    let times = ui.frames_until(Duration::from_secs(2), |_| false);
    println!(
        "stalled after {:.1} MiB of {} MiB; {}",
        stalled_at as f64 / (1u64 << 20) as f64,
        size >> 20,
        frame_line(&ui, &times)
    );
    let start = Instant::now();
    act(&mut ui, SessionAction::StopJob(JobSlot::File));
    let cancel = ui.frames_until(Duration::from_secs(10), |a| {
        a.job(JobSlot::File).is_none() && a.job_result(JobSlot::File).is_some()
    });
    println!(
        "Cancel: the send had stopped {} after the click ({} frames)",
        ms(start.elapsed()),
        cancel.len()
    );
    // Again, then close the session while it stalls.
    act(&mut ui, SessionAction::Close);
    ui.frames_until(Duration::from_millis(200), |_| false);
    stalled_send(&mut ui);
    let start = Instant::now();
    act(&mut ui, SessionAction::Close);
    println!(
        "Close with a send stalled: the session and its worker ended in {}",
        ms(start.elapsed())
    );
    let _ = std::fs::remove_file(&path);
    drop(holder);
}

fn netpal_generator_tcp(secs: Duration) -> (f64, String) {
    let (mut ui, reader) = client_to_sink(u64::MAX, secs + Duration::from_secs(5));
    let s = ui.s_mut();
    s.send_text = String::from_utf8(letters()).unwrap_or_default();
    s.settings.tools.gen_rate.clear();
    s.settings.tools.gen_count.clear();
    s.settings.tools.gen_seconds = format!("{}", secs.as_secs_f64());
    let id = s.id;
    ui.cpu.clear();
    ui.app.run_action(netpal::app::Action::Session(
        id,
        SessionAction::StartGenerator,
    ));
    let times = ui.frames_until(secs + Duration::from_secs(10), |a| {
        a.job(JobSlot::Generator).is_none() && a.job_result(JobSlot::Generator).is_some()
    });
    // The session closes; the sink sees the end.
    ui.app
        .run_action(netpal::app::Action::Session(id, SessionAction::Close));
    let (got, el) = reader.join().unwrap_or_default();
    (mbs(got, el), frame_line(&ui, &times))
}

/// A UDP socket that counts datagrams until `quiet` passes with none.
fn udp_counter(quiet: Duration) -> (SocketAddr, std::thread::JoinHandle<Vec<Instant>>) {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let _ = s.set_read_timeout(Some(quiet));
    let addr = s.local_addr().expect("addr");
    let h = peer_thread(move || {
        let mut buf = [0u8; 2048];
        let mut at = Vec::new();
        // The first datagram may take a moment (the session opens first).
        let start = Instant::now();
        loop {
            match s.recv_from(&mut buf) {
                Ok(_) => at.push(Instant::now()),
                Err(_) if at.is_empty() && start.elapsed() < Duration::from_secs(10) => {}
                Err(_) => break,
            }
            if at.len() > 5_000_000 {
                break;
            }
        }
        at
    });
    (addr, h)
}

fn raw_udp_sender(count: u64) -> (f64, u64) {
    let (to, counter) = udp_counter(Duration::from_millis(300));
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let payload = [b'u'; 64];
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < count && start.elapsed() < Duration::from_secs(20) {
        if s.send_to(&payload, to).is_ok() {
            sent += 1;
        }
    }
    let el = start.elapsed();
    let got = counter.join().map(|v| v.len() as u64).unwrap_or(0);
    (sent as f64 / el.as_secs_f64(), got)
}

/// A UDP session whose remote is `to`, opened and bound.
fn udp_to(to: SocketAddr) -> Ui {
    let mut ui = Ui::new(settings(ViewMode::Text));
    ui.open(Protocol::Udp);
    let s = ui.s_mut();
    s.settings.remote_host = to.ip().to_string();
    s.settings.remote_port = to.port().to_string();
    ui
}

fn netpal_udp_generator(count: u64) -> (f64, u64, String) {
    let (to, counter) = udp_counter(Duration::from_millis(300));
    let mut ui = udp_to(to);
    let s = ui.s_mut();
    s.send_text = "u".repeat(64);
    s.settings.tools.gen_rate.clear();
    s.settings.tools.gen_count = count.to_string();
    s.settings.tools.gen_seconds.clear();
    let id = s.id;
    ui.cpu.clear();
    ui.app.run_action(netpal::app::Action::Session(
        id,
        SessionAction::StartGenerator,
    ));
    let times = ui.frames_until(Duration::from_secs(30), |a| {
        a.job(JobSlot::Generator).is_none() && a.job_result(JobSlot::Generator).is_some()
    });
    let rate = match ui.s().job_result(JobSlot::Generator) {
        Some(Ok(r)) => r.tally.per_sec().map_or(0.0, |(items, _)| items),
        _ => 0.0,
    };
    let got = counter.join().map(|v| v.len() as u64).unwrap_or(0);
    (rate, got, frame_line(&ui, &times))
}

fn netpal_periodic(interval: Duration, count: u64) -> (Vec<f64>, String) {
    let (to, counter) = udp_counter(Duration::from_millis(500));
    let mut ui = udp_to(to);
    let s = ui.s_mut();
    s.send_text = "tick".into();
    s.settings.tools.periodic_ms = interval.as_millis().to_string();
    s.settings.tools.periodic_count = count.to_string();
    let id = s.id;
    ui.cpu.clear();
    ui.app.run_action(netpal::app::Action::Session(
        id,
        SessionAction::StartPeriodic,
    ));
    let limit = interval * count as u32 + Duration::from_secs(5);
    let times = ui.frames_until(limit, |a| {
        a.job(JobSlot::Periodic).is_none() && a.job_result(JobSlot::Periodic).is_some()
    });
    let at = counter.join().unwrap_or_default();
    // Each arrival against its due time, start + n x interval, taking the
    // first arrival as the start.
    let errors = match at.first() {
        Some(&t0) => at
            .iter()
            .enumerate()
            .map(|(n, t)| {
                let due = interval.as_secs_f64() * n as f64;
                (t.duration_since(t0).as_secs_f64() - due) * 1e3
            })
            .collect(),
        None => Vec::new(),
    };
    (errors, frame_line(&ui, &times))
}

fn bench_send() {
    println!("\n## Sending (file, generator, periodic), to raw peers on loopback");
    // Raw and NetPal take turns, three times; the medians are the figures.
    let secs = Duration::from_secs(2);
    let (mut files, mut gens) = (Vec::new(), Vec::new());
    for round in 1..=3 {
        let raw = raw_writer(secs);
        let (file, frames) = netpal_file_send(2 << 30);
        println!(
            "TCP, round {round}: raw writer (64 KiB writes, 2 s) {raw:6.0} MB/s | NetPal file send, 2 GiB: {file:6.0} MB/s = {:5.1}% of raw   ({frames})",
            file / raw * 100.0
        );
        let (generated, frames) = netpal_generator_tcp(secs);
        println!(
            "TCP, round {round}: NetPal generator, 64 KiB payload, 2 s: {generated:6.0} MB/s = {:5.1}% of raw   ({frames})",
            generated / raw * 100.0
        );
        files.push(file / raw * 100.0);
        gens.push(generated / raw * 100.0);
    }
    files.sort_by(f64::total_cmp);
    gens.sort_by(f64::total_cmp);
    println!(
        "TCP, median of 3: file send {:5.1}%, generator {:5.1}% of the raw writer",
        files[1], gens[1]
    );
    // The two share the machine with the receiver; they take turns, three
    // times, and the median of the ratios is the figure.
    let mut ratios = Vec::new();
    for round in 1..=3 {
        let (raw_pps, raw_got) = raw_udp_sender(300_000);
        let (pps, got, frames) = netpal_udp_generator(300_000);
        let ratio = pps / raw_pps * 100.0;
        ratios.push(ratio);
        println!(
            "UDP 64 B, 300,000, round {round}: raw send loop {raw_pps:9.0}/s ({raw_got} received) | NetPal generator {pps:9.0}/s = {ratio:5.1}% of raw ({got} received)   ({frames})"
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "UDP 64 B generator, median of 3: {:5.1}% of the raw send loop",
        ratios[1]
    );
    let (errors, frames) = netpal_periodic(Duration::from_millis(10), 1000);
    let abs: Vec<Duration> = errors
        .iter()
        .map(|e| Duration::from_secs_f64(e.abs() / 1e3))
        .collect();
    let mean = errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len().max(1) as f64;
    println!(
        "NetPal periodic send, every 10 ms for 10 s: {} of 1000 arrived; error against start + n x 10 ms: mean {mean:.3} ms, p99 {}, last {:.3} ms   ({frames})",
        errors.len(),
        ms(percentile(&abs, 0.99)),
        errors.last().copied().unwrap_or_default()
    );
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {}", std::env::consts::OS)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.first().map(String::as_str) {
        Some("child-memory") => {
            memory_child(args.get(1).and_then(|g| g.parse().ok()).unwrap_or(10));
            return;
        }
        Some("child-sources") => {
            let n = args
                .get(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(1_000_000);
            sources_child(n, args.get(2).is_some_and(|m| m == "many"));
            return;
        }
        Some("child-clients") => {
            let n = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(10_000);
            let port = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(0);
            clients_child(n, port);
            return;
        }
        _ => {}
    }
    let only = args.first().cloned();
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    println!("# NetPal benchmarks on {}", machine());
    let counter = AtomicU64::new(0);
    for (name, f) in [
        ("tcp", bench_tcp as fn()),
        ("receive", bench_receive),
        ("framing", bench_framing),
        ("relay", bench_relay),
        ("impair", bench_impair),
        ("udp", bench_udp),
        ("frame", bench_frame),
        ("memory", bench_memory),
        ("scale", bench_scale),
        ("sources", bench_sources),
        ("idle", bench_idle),
        ("close", bench_close),
        ("sessions", bench_sessions),
        ("send", bench_send),
        ("stall", bench_stall),
        ("ports", bench_ports),
    ] {
        if run(name) {
            f();
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
    if counter.load(Ordering::Relaxed) == 0 {
        println!(
            "no benchmark named {only:?}: use tcp, receive, framing, relay, impair, udp, frame, memory, scale, sources, idle, close, sessions, send or stall"
        );
    }
}
