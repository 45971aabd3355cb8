//! Every `netpal` command in the documentation is one the program takes:
//! each is run with `NETPAL_CHECK_ARGS`, which checks the arguments (the
//! options, the `--open` specs, the values) as a real run does and exits
//! without running. A renamed option or a changed spec fails here.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Markdown files of the documentation.
fn docs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![root.join("README.md"), root.join("README.zh-CN.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    out.retain(|p| p.exists());
    out.sort();
    out
}

/// Splits a command line as a POSIX shell does for plain words and quotes
/// (no expansion): `--send "AA 55"` is two words.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut any = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    if !matches!(n, '"' | '\\' | '$' | '`') {
                        cur.push('\\');
                    }
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The `netpal` commands of a document: lines of its code blocks that run
/// netpal (after a pipe into it, before a redirection, a pipe onwards or a
/// comment). Lines with placeholders (`HOST`, `SPEC`, `...`, `<version>`)
/// are the syntax, not a command, and are left out.
fn commands(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_code = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        // The part after the last pipe into netpal.
        let Some(start) = ["netpal-cli ", "netpal "]
            .iter()
            .filter_map(|w| {
                t.match_indices(w)
                    .map(|(i, _)| i)
                    .find(|i| *i == 0 || t[..*i].trim_end().ends_with('|'))
            })
            .min()
        else {
            continue;
        };
        let mut cmd = &t[start..];
        for stop in [" > ", " | ", "   #", " # "] {
            if let Some(at) = cmd.find(stop) {
                cmd = &cmd[..at];
            }
        }
        let placeholder = [
            "...", "SPEC", "HOST", "PORT", "PATH", "<", "[", "TEXT", "zh|en",
        ]
        .iter()
        .any(|p| cmd.contains(p));
        if !placeholder {
            out.push((i + 1, cmd.trim().to_string()));
        }
    }
    out
}

#[test]
fn every_netpal_command_in_the_docs_is_one_netpal_takes() {
    let mut checked = 0;
    let mut bad = Vec::new();
    for file in docs() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, cmd) in commands(&text) {
            // Unix domain sockets are absent on Windows, and said so.
            if cfg!(windows) && cmd.contains("unix-") {
                continue;
            }
            let args = words(&cmd);
            let out = Command::new(env!("CARGO_BIN_EXE_netpal"))
                .args(args.iter().skip(1))
                .env("NETPAL_CHECK_ARGS", "1")
                .output()
                .unwrap();
            checked += 1;
            if !out.status.success() {
                bad.push(format!(
                    "{}:{line}: {cmd}\n  {}",
                    file.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "commands netpal refuses:\n{}",
        bad.join("\n")
    );
    // The README and the guide have dozens: finding none means the search
    // is broken, not that the docs are right.
    assert!(checked >= 20, "only {checked} commands found");
}

#[test]
fn the_command_finder_reads_pipes_quotes_and_redirections() {
    let text = "```sh\n\
        echo 48656C6C6F | netpal --headless --open tcp-client:127.0.0.1:9000 --send-hex\n\
        netpal --ports --json > log.jsonl\n\
        netpal --open tcp-server:HOST:PORT\n\
        cargo run --release   # run NetPal\n\
        ```\n\
        netpal --outside-a-block\n";
    let found: Vec<String> = commands(text).into_iter().map(|(_, c)| c).collect();
    assert_eq!(
        found,
        [
            "netpal --headless --open tcp-client:127.0.0.1:9000 --send-hex",
            "netpal --ports --json",
        ]
    );
    assert_eq!(
        words(r#"netpal --send "AA 55" --reply 're:^PING (\d+)=>PONG $1\r\n'"#),
        [
            "netpal",
            "--send",
            "AA 55",
            "--reply",
            r"re:^PING (\d+)=>PONG $1\r\n"
        ]
    );
}

/// Every relative link of the documentation leads to a file that exists
/// (pages move; a link left behind fails here).
#[test]
fn every_link_in_the_docs_leads_somewhere() {
    let mut bad = Vec::new();
    let mut links = 0;
    for file in docs() {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        for part in text.split("](").skip(1) {
            let Some(target) = part.split(')').next() else {
                continue;
            };
            let target = target.split('#').next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.contains(' ') {
                continue;
            }
            links += 1;
            if !dir.join(target).exists() {
                bad.push(format!("{}: {target}", file.display()));
            }
        }
    }
    assert!(bad.is_empty(), "links to nothing:\n{}", bad.join("\n"));
    assert!(links >= 50, "only {links} links found");
}

/// The port after the first `127.0.0.1:` in a line of netpal's output
/// (where it listens or is bound, in text or JSON).
fn bound_port(line: &str) -> Option<u16> {
    let at = line
        .find("listening on 127.0.0.1:")
        .or_else(|| line.find("bound to 127.0.0.1:"))
        .or_else(|| line.find("\"local\":\"127.0.0.1:"))?;
    let rest = &line[at..];
    let rest = &rest[rest.find("127.0.0.1:")? + "127.0.0.1:".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Runs one headless example as the docs write it, but on loopback ports
/// of the test's choosing, with a peer for it, in a directory of its own
/// (files it sends or writes are there), and ending after 1.5 s unless it
/// ends by itself. Ok when it exits with status 0.
fn run_example(cmd: &str) -> Result<(), String> {
    use std::io::{BufRead, Read, Write};
    use std::net::{TcpListener, TcpStream, UdpSocket};
    use std::time::{Duration, Instant};
    let deadline = Duration::from_secs(60);
    // `echo X | netpal ...`: X is the example's stdin.
    let (stdin, cmd) = match cmd.split_once('|') {
        Some((pre, post)) if pre.trim_start().starts_with("echo ") => (
            Some(format!(
                "{}\n",
                pre.trim().trim_start_matches("echo ").trim()
            )),
            post.trim(),
        ),
        _ => (None, cmd),
    };
    let mut args: Vec<String> = words(cmd).into_iter().skip(1).collect();
    let at = args.iter().position(|a| a == "--open").ok_or("no --open")?;
    let spec = args.get(at + 1).cloned().ok_or("no spec")?;
    let (head, opts) = spec.split_once(',').unwrap_or((spec.as_str(), ""));
    let kind = head.split(':').next().unwrap_or_default().to_string();
    // The peer: a listener (TCP) or a socket (UDP) the example reaches.
    let tcp_peer = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let udp_peer = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let (tp, up) = (
        tcp_peer.local_addr().map_err(|e| e.to_string())?.port(),
        udp_peer.local_addr().map_err(|e| e.to_string())?.port(),
    );
    let udpish = kind.starts_with("udp");
    let head = match kind.as_str() {
        "tcp-client" => format!("tcp-client:127.0.0.1:{tp}"),
        other => format!("{other}:127.0.0.1:0"),
    };
    let opts: Vec<String> = opts
        .split(',')
        .filter(|o| !o.is_empty())
        .map(|o| match o.split_once('=') {
            Some(("to", _)) if udpish => format!("to=127.0.0.1:{up}"),
            Some(("to", _)) => format!("to=127.0.0.1:{tp}"),
            Some(("remote", _)) => format!("remote=127.0.0.1:{up}"),
            _ => o.to_string(),
        })
        .collect();
    let spec = std::iter::once(head)
        .chain(opts)
        .collect::<Vec<_>>()
        .join(",");
    if let Some(s) = args.get_mut(at + 1) {
        *s = spec;
    }
    if !args.iter().any(|a| a == "--exit-after") {
        args.extend(["--exit-after".into(), "1500ms".into()]);
    }
    if stdin.is_none() && !args.iter().any(|a| a == "--no-stdin") {
        args.push("--no-stdin".into());
    }
    let dir = std::env::temp_dir().join(format!("netpal-doc-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if let Some(i) = args.iter().position(|a| a == "--send-file")
        && let Some(f) = args.get(i + 1)
    {
        std::fs::write(dir.join(f), vec![0x5a; 4096]).map_err(|e| e.to_string())?;
    }
    let records = args
        .iter()
        .position(|a| a == "--exit-after")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse::<usize>().ok());
    let mut child = Command::new(env!("CARGO_BIN_EXE_netpal"))
        .args(&args)
        .current_dir(&dir)
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let (Some(text), Some(mut i)) = (&stdin, child.stdin.take()) {
        let _ = i.write_all(text.as_bytes());
    }
    let out = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // A client for a listening example, once it says where it listens:
    // lines (as many as it waits for), a datagram, a relay's hello.
    let start = Instant::now();
    let mut seen = Vec::new();
    if kind != "tcp-client" && !opts_has_remote(&args) {
        let port = loop {
            let left = deadline.saturating_sub(start.elapsed());
            let line = rx
                .recv_timeout(left)
                .map_err(|_| format!("never bound: {seen:?}"))?;
            seen.push(line.clone());
            if let Some(p) = bound_port(&line) {
                break p;
            }
        };
        if udpish {
            let c = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            for _ in 0..records.unwrap_or(3) {
                let _ = c.send_to(b"hello\n", ("127.0.0.1", port));
                std::thread::sleep(Duration::from_millis(50));
            }
        } else {
            let mut c = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
            let _ = c.set_nodelay(true);
            for i in 0..records.unwrap_or(3) {
                let _ = c.write_all(format!("PING {i}\r\n").as_bytes());
                std::thread::sleep(Duration::from_millis(50));
            }
            // A relay's target takes the link; what reaches it is read.
            if kind == "relay" {
                tcp_peer.set_nonblocking(true).map_err(|e| e.to_string())?;
                let until = Instant::now() + Duration::from_secs(5);
                while Instant::now() < until {
                    if let Ok((mut s, _)) = tcp_peer.accept() {
                        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                        let mut buf = [0u8; 256];
                        let _ = s.read(&mut buf);
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            // Kept open until the example ends.
            std::mem::forget(c);
        }
    } else if kind == "tcp-client" {
        // The example's server: takes the connection and reads it all.
        tcp_peer.set_nonblocking(true).map_err(|e| e.to_string())?;
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(30);
            while Instant::now() < until {
                if let Ok((mut s, _)) = tcp_peer.accept() {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                    let mut sink = Vec::new();
                    let _ = s.read_to_end(&mut sink);
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
    }
    loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = std::fs::remove_dir_all(&dir);
            return if st.success() {
                Ok(())
            } else {
                Err(format!("exit {:?}: {}", st.code(), err.trim()))
            };
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("did not end".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A UDP example with a remote sends; it needs no client of its own.
fn opts_has_remote(args: &[String]) -> bool {
    args.iter().any(|a| a.contains(",remote="))
}

/// Every headless example of the docs runs: as written, on loopback ports
/// of the test's choosing, with a peer, and ends with status 0.
#[test]
fn every_headless_example_in_the_docs_runs() {
    let mut examples: Vec<(String, usize, String)> = Vec::new();
    for file in docs() {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut in_code = false;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if !in_code || !t.contains("--headless") {
                continue;
            }
            // The runnable part: up to a redirection or a comment.
            let mut cmd = t;
            for stop in [" > ", "   #", " # "] {
                if let Some(at) = cmd.find(stop) {
                    cmd = &cmd[..at];
                }
            }
            if cmd.contains("SPEC") || (cfg!(windows) && cmd.contains("unix-")) {
                continue;
            }
            if !examples.iter().any(|(_, _, c)| c == cmd) {
                examples.push((file.display().to_string(), i + 1, cmd.to_string()));
            }
        }
    }
    let mut bad = Vec::new();
    for (file, line, cmd) in &examples {
        if let Err(e) = run_example(cmd) {
            bad.push(format!("{file}:{line}: {cmd}\n  {e}"));
        }
    }
    assert!(
        bad.is_empty(),
        "examples that did not run:\n{}",
        bad.join("\n")
    );
    assert!(examples.len() >= 10, "only {} examples", examples.len());
}
