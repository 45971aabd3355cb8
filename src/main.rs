//! `netpal`: the desktop app.

use clap::Parser;
use netpal::net::OpenSpec;
use netpal::ui::i18n::Lang;
use netpal::{App, StartOptions};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LangArg {
    Zh,
    En,
}

/// NetPal 网络调试助手: a TCP server, TCP client and UDP peer you drive by clicking.
#[derive(Parser, Debug)]
#[command(name = "netpal", version, about, long_about = None, after_help = SPEC_HELP)]
struct Cli {
    /// User interface language (default: the system locale's).
    #[arg(long, value_enum)]
    lang: Option<LangArg>,

    /// Open a session at startup. SPEC is one of:
    ///   tcp-server:HOST:PORT
    ///   tcp-client:HOST:PORT
    ///   udp:HOST:PORT[,remote=HOST:PORT]
    #[arg(long, value_name = "SPEC", value_parser = parse_spec, verbatim_doc_comment)]
    open: Option<OpenSpec>,
}

const SPEC_HELP: &str = "\
SPEC examples:
  netpal --open tcp-server:0.0.0.0:8080     listen on port 8080, all IPv4 addresses
  netpal --open tcp-client:127.0.0.1:13008  connect to a server
  netpal --open tcp-client:example.com:80   host names are resolved
  netpal --open udp:[::1]:9000              IPv6 hosts go in brackets
  netpal --open udp:0.0.0.0:8080,remote=127.0.0.1:9000
For tcp-server and udp, HOST is a local IP address (0.0.0.0 or :: for all);
port 0 lets the system pick a free port.";

fn parse_spec(s: &str) -> Result<OpenSpec, String> {
    OpenSpec::parse(s).map_err(|e| e.to_string())
}

fn main() -> eframe::Result {
    // clap exits with status 2 and a clear message on bad arguments.
    let cli = Cli::parse();
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
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        "NetPal",
        native,
        Box::new(move |cc| Ok(Box::new(App::new(cc, opts)))),
    )
}
