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
