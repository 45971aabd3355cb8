//! `netpal`: the desktop app.

#![deny(clippy::unwrap_used, clippy::expect_used)]
// On Windows a GUI program: no console window opens behind it. What it
// prints (--headless, --help, errors) goes to the terminal that started
// it (see netpal::console).
#![cfg_attr(windows, windows_subsystem = "windows")]

use clap::{CommandFactory, Parser};
use netpal::codec::{Checksum, Framing, LineEnd, ReplyRule, SendFormat};
use netpal::headless::{self, ExitAfter};
use netpal::log::ViewMode;
use netpal::net::{OpenSpec, Rate};
use netpal::ui::i18n::Lang;
use netpal::{App, StartOptions};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LangArg {
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ViewArg {
    Text,
    Hex,
    Both,
}

/// NetPal 网络调试助手: a TCP server, TCP client and UDP peer you drive by clicking.
#[derive(Parser, Debug)]
#[command(name = "netpal", version, about, long_about = None, after_help = SPEC_HELP)]
struct Cli {
    /// User interface language (default: the system locale's).
    #[arg(long, value_enum, conflicts_with = "headless")]
    lang: Option<LangArg>,

    /// Open a session at startup (may be given several times): a saved
    /// session with the same form, or else a new tab. SPEC is one of:
    ///   tcp-server:HOST:PORT
    ///   tcp-client:HOST:PORT[,from=IP:PORT]
    ///   udp:HOST:PORT[,remote=HOST:PORT]
    ///   relay:HOST:PORT,to=HOST:PORT
    ///   udp-relay:HOST:PORT,to=HOST:PORT
    ///   unix-server:PATH  unix-client:PATH  unix-dgram:PATH[,remote=PATH]
    #[arg(long, value_name = "SPEC", value_parser = parse_spec, verbatim_doc_comment)]
    open: Vec<OpenSpec>,

    /// Send everything received back to its sender (TCP connection or UDP source).
    #[arg(long, requires = "open")]
    echo: bool,

    /// When a TCP peer closes its side (FIN): close the connection once
    /// what it asked for (replies, echo, queued sends) is written, or keep
    /// it open for sending [default: close].
    #[arg(long, value_enum, value_name = "WHAT", requires = "open")]
    peer_fin: Option<PeerFinArg>,

    /// Cut each send of a TCP, UDP or Unix session into pieces of N bytes
    /// (or N to M), GAP apart, each its own write or datagram (分包):
    /// 1/20ms.
    #[arg(long, value_name = "N[-M][/GAP]", value_parser = parse_split, requires = "open")]
    split: Option<netpal::net::impair::Slice>,

    /// Write K sends of a stream session as one, or send them to a
    /// datagram peer as one datagram (粘包).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=1000), requires = "open")]
    join: Option<u32>,

    /// Run without a window: print every record to stdout, send stdin lines.
    /// Needs --open.
    #[arg(long, help_heading = "Headless mode")]
    headless: bool,

    /// Print JSON Lines instead of text lines (with --headless or --ports).
    #[arg(long, help_heading = "Headless mode")]
    json: bool,

    /// Print every TCP and UDP socket of this machine (local and remote
    /// address, state, PID and process, whether the port is ephemeral),
    /// then exit. No window.
    #[arg(long, conflicts_with_all = ["headless", "open"], help_heading = "Ports")]
    ports: bool,

    /// Only the sockets that match: a port or PID, an address, a state or
    /// a process name.
    #[arg(long, value_name = "TEXT", requires = "ports", help_heading = "Ports")]
    filter: Option<String>,

    /// Go on: a line for each socket that appears (+) or goes (-), until
    /// Ctrl+C.
    #[arg(long, requires = "ports", help_heading = "Ports")]
    watch: bool,

    /// How payloads are printed [default: text].
    #[arg(
        long,
        value_enum,
        requires = "headless",
        help_heading = "Headless mode"
    )]
    view: Option<ViewArg>,

    /// Text encoding for printing and for sending text (utf-8, gbk, gb18030,
    /// big5...; auto: each record as UTF-8 when it is valid UTF-8, else GBK).
    #[arg(long, value_name = "NAME", value_parser = parse_encoding, requires = "headless", help_heading = "Headless mode")]
    encoding: Option<&'static encoding_rs::Encoding>,

    /// Send PAYLOAD once the session is ready (connected, or the first client).
    #[arg(
        long,
        value_name = "PAYLOAD",
        requires = "headless",
        help_heading = "Headless mode"
    )]
    send: Option<String>,

    /// Payloads from --send and stdin are hex (48 65 6C, 0x48,0x65...).
    #[arg(long, requires = "headless", help_heading = "Headless mode")]
    send_hex: bool,

    /// In text payloads, \r \n \t \\ \0 and \xHH are escapes.
    #[arg(
        long,
        requires = "headless",
        conflicts_with = "send_hex",
        help_heading = "Headless mode"
    )]
    escapes: bool,

    /// Append to every payload: none, cr, lf or crlf (a stdin line's own
    /// ending gives way to it).
    #[arg(long, value_name = "END", value_parser = parse_append, requires = "headless", help_heading = "Headless mode")]
    append: Option<LineEnd>,

    /// Append a checksum of every payload: sum8, xor8, lrc, crc8,
    /// crc16-modbus (low byte first), crc16-ccitt-false, crc16-xmodem, crc32.
    #[arg(long, value_name = "NAME", value_parser = parse_checksum, requires = "headless", help_heading = "Headless mode")]
    checksum: Option<Checksum>,

    /// The checksum covers the payload from byte N on [default: 0].
    #[arg(
        long,
        value_name = "N",
        requires = "checksum",
        help_heading = "Headless mode"
    )]
    checksum_from: Option<usize>,

    /// Repeat --send every DURATION (500ms, 1s, 2m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "send", help_heading = "Headless mode")]
    interval: Option<Duration>,

    /// Send --send N times (default: once, or forever with --interval).
    #[arg(
        long,
        value_name = "N",
        requires = "send",
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Headless mode"
    )]
    count: Option<u64>,

    /// Send --send as traffic at RATE: 1000pps (packets/s), 500B/s, 64kB/s,
    /// 10MB/s, 2MiB/s (default: as fast as the peer takes it).
    #[arg(long, value_name = "RATE", value_parser = headless::parse_rate, requires = "send", conflicts_with = "interval", help_heading = "Headless mode")]
    rate: Option<Rate>,

    /// Send --send as traffic for DURATION (10s, 2m), back to back or at --rate.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "send", conflicts_with = "interval", help_heading = "Headless mode")]
    duration: Option<Duration>,

    /// Stream a file once the session is ready (for UDP, one datagram per
    /// --datagram-size bytes).
    #[arg(
        long,
        value_name = "PATH",
        requires = "headless",
        help_heading = "Headless mode"
    )]
    send_file: Option<PathBuf>,

    /// UDP file sends: bytes per datagram (1 to 65507) [default: 1024].
    #[arg(long, value_name = "BYTES", requires = "send_file", value_parser = clap::value_parser!(u64).range(1..=65507), help_heading = "Headless mode")]
    datagram_size: Option<u64>,

    /// UDP file sends: the wait between datagrams (1ms, 10ms) [default: none].
    #[arg(long, value_name = "DURATION", requires = "send_file", value_parser = parse_duration, help_heading = "Headless mode")]
    gap: Option<Duration>,

    /// Exit after N received records, after a time (5s, 500ms, 2m), or
    /// once everything to send is sent (`sent`).
    #[arg(long, value_name = "N|DURATION|sent", value_parser = parse_exit_after, requires = "headless", help_heading = "Headless mode")]
    exit_after: Option<ExitAfter>,

    /// Cut what is received into frames (粘包/分包): line, crlf,
    /// delim:HEX[,strip], fixed:N, len:2be[,off=N][,incl][,max=N][,close]
    /// (width 1, 2 or 4; be or le), idle:50ms [default: each read is a record].
    #[arg(long, value_name = "FRAMING", value_parser = Framing::parse, requires = "headless", help_heading = "Headless mode")]
    framing: Option<Framing>,

    /// Write every byte received, exactly as it came, to PATH (written by
    /// the socket worker, so nothing is lost however fast it comes).
    #[arg(
        long,
        value_name = "PATH",
        requires = "headless",
        help_heading = "Headless mode"
    )]
    capture: Option<PathBuf>,

    /// Answer frames that match (may be given several times; the first
    /// match answers): 'PATTERN=>REPLY', the pattern text to find, or
    /// exact:, prefix:, re: (a regex; the reply may use $1) or hex:; the
    /// reply text with escapes (\r\n), or hex:. E.g. 're:^PING (\d+)=>PONG $1\n'.
    #[arg(long, value_name = "RULE", value_parser = ReplyRule::parse, requires = "headless", help_heading = "Headless mode")]
    reply: Vec<ReplyRule>,

    /// Print no record lines: only notes and errors, and at the end a
    /// summary of the records and bytes each way, per peer (for capture
    /// and traffic runs, where printing every record is the slow part).
    #[arg(long, requires = "headless", help_heading = "Headless mode")]
    quiet: bool,

    /// Do not read stdin (for running in the background).
    #[arg(long, requires = "headless", help_heading = "Headless mode")]
    no_stdin: bool,

    /// A relay sends --send, files and stdin toward its target (as if its
    /// clients had sent them) instead of toward its clients.
    #[arg(long, requires = "headless", help_heading = "Headless mode")]
    to_target: bool,

    /// Once everything is sent (--send, --send-file, stdin at its end):
    /// shutdown half-closes the TCP connections (FIN; receiving goes on),
    /// reset resets them (RST).
    #[arg(
        long,
        value_enum,
        value_name = "WHAT",
        requires = "headless",
        help_heading = "Headless mode"
    )]
    after_send: Option<AfterSendArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PeerFinArg {
    Close,
    Keep,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum AfterSendArg {
    Shutdown,
    Reset,
}

fn parse_encoding(s: &str) -> Result<&'static encoding_rs::Encoding, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(netpal::codec::text::AUTO);
    }
    encoding_rs::Encoding::for_label_no_replacement(s.trim().as_bytes())
        .ok_or_else(|| format!("unknown encoding '{s}' (try utf-8, gbk, gb18030, big5, shift_jis)"))
}

fn parse_append(s: &str) -> Result<LineEnd, String> {
    LineEnd::from_name(s).ok_or_else(|| format!("'{s}' is not one of none, cr, lf, crlf"))
}

fn parse_checksum(s: &str) -> Result<Checksum, String> {
    let names: Vec<&str> = Checksum::ALL.iter().map(|c| c.name()).collect();
    Checksum::from_name(s)
        .ok_or_else(|| format!("unknown checksum '{s}' (one of {})", names.join(", ")))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    match headless::parse_duration(s)? {
        d if d.is_zero() => Err("the interval must be more than 0".into()),
        d => Ok(d),
    }
}

fn parse_exit_after(s: &str) -> Result<ExitAfter, String> {
    match headless::parse_exit_after(s)? {
        ExitAfter::Records(0) => Err("0 records would end before anything happens".into()),
        ExitAfter::Time(d) if d.is_zero() => Err("a time of 0 would end at once".into()),
        e => Ok(e),
    }
}

const SPEC_HELP: &str = "\
SPEC examples:
  netpal --open tcp-server:0.0.0.0:8080     listen on port 8080, all IPv4 addresses
  netpal --open tcp-client:127.0.0.1:13008  connect to a server
  netpal --open tcp-client:example.com:80   host names are resolved
  netpal --open udp:[::1]:9000              IPv6 hosts go in brackets
  netpal --open udp:0.0.0.0:8080,remote=127.0.0.1:9000
  netpal --open tcp-server:127.0.0.1:9000 --open tcp-client:127.0.0.1:9000
                                            a server and its client, in two tabs
  netpal --headless --open tcp-server:127.0.0.1:9000 --exit-after 10
  netpal --headless --open udp:127.0.0.1:0 --echo --json
  echo 48656C6C6F | netpal --headless --open tcp-client:127.0.0.1:9000 --send-hex
  netpal --open relay:127.0.0.1:8000,to=127.0.0.1:9000
                                            sit between a client and its server
For tcp-server, udp and relay, HOST is a local IP address (0.0.0.0 or :: for all);
port 0 lets the system pick a free port.";

/// Ctrl+C, SIGTERM or (on Windows) the console closing, as a message the
/// headless loop ends on. Without a handler (one could not be installed)
/// the system's default ends the process as before. A second Ctrl+C ends
/// it at once.
/// With `NETPAL_CHECK_ARGS` set, NetPal checks its arguments (as it does
/// before any run) and exits 0 without running: the documentation's
/// commands are checked this way, so they cannot drift from the program.
fn arguments_only() {
    if std::env::var_os("NETPAL_CHECK_ARGS").is_some() {
        std::process::exit(0);
    }
}

fn interrupt_channel() -> Option<crossbeam_channel::Receiver<()>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let asked = std::sync::atomic::AtomicBool::new(false);
    ctrlc::set_handler(move || {
        if asked.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(headless::INTERRUPTED);
        }
        let _ = tx.try_send(());
    })
    .ok()?;
    Some(rx)
}

fn parse_split(s: &str) -> Result<netpal::net::impair::Slice, String> {
    netpal::net::impair::parse_slice(s).ok_or_else(|| {
        format!("'{s}' is not N[-M][/GAP]: pieces of 1 to 1048576 bytes (1/20ms, 5-50/10ms)")
    })
}

fn parse_spec(s: &str) -> Result<OpenSpec, String> {
    OpenSpec::parse(s).map_err(|e| e.to_string())
}

fn main() {
    // clap exits with status 2 and a clear message on bad arguments
    // (and 0 after --help or --version), printed in the terminal.
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            netpal::console::attach();
            e.exit()
        }
    };
    for spec in cli.open.iter_mut() {
        spec.echo = cli.echo;
        spec.keep_half_open = cli.peer_fin == Some(PeerFinArg::Keep);
        if spec.protocol.shapes_sends() {
            spec.send_shape = netpal::net::impair::SendShape {
                split: cli.split,
                join: cli.join,
            };
        }
    }
    if cli.json && !cli.headless && !cli.ports {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "--json goes with --headless or --ports",
            )
            .exit();
    }
    if cli.ports {
        netpal::console::attach();
        arguments_only();
        let opts = netpal::portlist::Options {
            json: cli.json,
            filter: cli.filter.clone().unwrap_or_default(),
            watch: cli.watch,
        };
        let out = &mut std::io::stdout().lock();
        let status = if opts.watch {
            netpal::portlist::watch(&opts, out, interrupt_channel())
        } else {
            netpal::portlist::print_once(&opts, netpal::net::ports::read_sockets(), out)
        };
        std::process::exit(status);
    }
    if cli.headless {
        netpal::console::attach();
        // Headless mode is one session per process.
        let spec = match cli.open.as_slice() {
            [one] => one.clone(),
            [] => Cli::command()
                .error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "--headless needs --open SPEC",
                )
                .exit(),
            _ => Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--headless runs one session: give --open once (run one netpal per session)",
                )
                .exit(),
        };
        let mut spec = spec;
        if cli.to_target && !spec.protocol.is_relay() {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--to-target is only for a relay (--open relay:HOST:PORT,to=HOST:PORT)",
                )
                .exit();
        }
        if let Some(f) = &cli.framing {
            spec.framing = f.clone();
        }
        spec.capture = cli.capture.clone().map(|path| netpal::net::CaptureSpec {
            path,
            per_peer: false,
            text: None,
        });
        let opts = headless::Options {
            spec,
            json: cli.json,
            view: match cli.view {
                None | Some(ViewArg::Text) => ViewMode::Text,
                Some(ViewArg::Hex) => ViewMode::Hex,
                Some(ViewArg::Both) => ViewMode::Both,
            },
            encoding: cli.encoding.unwrap_or(encoding_rs::UTF_8),
            format: SendFormat {
                hex: cli.send_hex,
                escapes: cli.escapes,
                append: cli.append.unwrap_or_default(),
                checksum: cli.checksum.unwrap_or_default(),
                checksum_from: cli.checksum_from.unwrap_or(0),
            },
            send: cli.send.clone(),
            interval: cli.interval,
            count: cli.count,
            rate: cli.rate,
            duration: cli.duration,
            send_file: cli.send_file.clone(),
            datagram_size: cli.datagram_size.unwrap_or(1024) as usize,
            gap: cli.gap.unwrap_or_default(),
            exit_after: cli.exit_after,
            stdin: !cli.no_stdin,
            replies: cli.reply.clone(),
            toward_target: cli.to_target,
            after_send: cli.after_send.map(|a| match a {
                AfterSendArg::Shutdown => headless::AfterSend::Shutdown,
                AfterSendArg::Reset => headless::AfterSend::Reset,
            }),
            quiet: cli.quiet,
            interrupt: interrupt_channel(),
        };
        arguments_only();
        let status = headless::run(opts, &mut std::io::stdout().lock());
        std::process::exit(status);
    }
    arguments_only();
    let opts = StartOptions {
        lang: cli.lang.map(|l| match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }),
        open: cli.open,
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("NetPal 网络调试助手")
            .with_app_id("netpal")
            .with_icon(netpal::icon::window_icon())
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([720.0, 480.0]),
        // Only where it cannot bring the window down (see fonts_probe).
        system_font_fallback: netpal::fonts_probe::system_fonts_usable(),
        // Beside the exe when it runs portable; else the system's place.
        persistence_path: netpal::data_dir::workspace_file(),
        ..Default::default()
    };
    let result = eframe::run_native(
        "NetPal",
        native,
        Box::new(move |cc| Ok(Box::new(App::new(cc, opts)))),
    );
    if let Err(e) = result {
        netpal::console::attach();
        let no_display =
            std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
        if cfg!(target_os = "linux") && no_display {
            eprintln!(
                "netpal: no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n\
                 Run it in a desktop session, or use `netpal --headless --open SPEC` in a terminal."
            );
        } else {
            eprintln!("netpal: cannot open a window: {e}");
        }
        std::process::exit(1);
    }
}
