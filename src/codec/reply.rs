//! Auto-reply rules: a received frame that matches gets an answer. The
//! rules are written as text by the user, compiled here (the worker runs
//! the compiled form on every frame), and the answer is built with the
//! sending toolkit's format (hex or text, escapes, line ending, checksum).

use super::payload::{PayloadError, SendFormat};
use super::text::encode_text;
use encoding_rs::Encoding;
use serde::{Deserialize, Serialize};

/// How a rule's pattern is matched against a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum MatchKind {
    /// The frame is exactly the pattern.
    Exact,
    /// The frame starts with the pattern.
    Prefix,
    /// The frame contains the pattern.
    #[default]
    Contains,
    /// A regular expression (the `regex` crate's syntax) found in the
    /// frame read as text in the receive encoding; the reply may use its
    /// groups as `$1`, `${1}`.
    Regex,
    /// The frame contains these bytes, written in hex.
    Hex,
}

impl MatchKind {
    pub const ALL: [MatchKind; 5] = [
        MatchKind::Exact,
        MatchKind::Prefix,
        MatchKind::Contains,
        MatchKind::Regex,
        MatchKind::Hex,
    ];
}

/// A rule as the user writes it (saved with the session).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplyRule {
    pub enabled: bool,
    pub kind: MatchKind,
    pub pattern: String,
    pub reply: String,
    /// How the reply text becomes bytes.
    pub format: SendFormat,
    /// Wait this long before answering.
    pub delay_ms: u64,
}

impl Default for ReplyRule {
    fn default() -> Self {
        ReplyRule {
            enabled: true,
            kind: MatchKind::Contains,
            pattern: String::new(),
            reply: String::new(),
            format: SendFormat::default(),
            delay_ms: 0,
        }
    }
}

/// Why a rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    EmptyPattern,
    Pattern(PayloadError),
    Regex(String),
    Reply(PayloadError),
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleError::EmptyPattern => write!(f, "the pattern is empty"),
            RuleError::Pattern(e) => write!(f, "pattern: {e}"),
            RuleError::Regex(e) => write!(f, "regular expression: {e}"),
            RuleError::Reply(e) => write!(f, "reply: {e}"),
        }
    }
}

#[derive(Debug, Clone)]
enum Matcher {
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Contains(Vec<u8>),
    /// Run over the frame as text, read in the receive encoding.
    Regex(regex::Regex, &'static Encoding),
}

/// A rule ready to run on the worker.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    matcher: Matcher,
    /// The reply, built once; or for a regex reply using groups, the text
    /// to expand for each match.
    reply: Reply,
    pub delay: std::time::Duration,
}

#[derive(Debug, Clone)]
enum Reply {
    Fixed(Vec<u8>),
    Template {
        text: String,
        format: SendFormat,
        /// The reply is written in this encoding.
        encoding: &'static Encoding,
    },
}

impl ReplyRule {
    /// Compiles the rule, with text encoded in `enc`.
    pub fn compile(&self, enc: &'static Encoding) -> Result<CompiledRule, RuleError> {
        self.compile_with(enc, enc)
    }

    /// Compiles the rule: patterns are read in `enc` (the receive
    /// encoding), replies written in `reply_enc` (the send encoding).
    pub fn compile_with(
        &self,
        enc: &'static Encoding,
        reply_enc: &'static Encoding,
    ) -> Result<CompiledRule, RuleError> {
        if self.pattern.is_empty() {
            return Err(RuleError::EmptyPattern);
        }
        let text =
            |s: &str| encode_text(s, enc).map_err(|e| RuleError::Pattern(PayloadError::Encode(e)));
        let matcher = match self.kind {
            MatchKind::Exact => Matcher::Exact(text(&self.pattern)?),
            MatchKind::Prefix => Matcher::Prefix(text(&self.pattern)?),
            MatchKind::Contains => Matcher::Contains(text(&self.pattern)?),
            MatchKind::Hex => Matcher::Contains(
                super::parse_hex(&self.pattern)
                    .map_err(|e| RuleError::Pattern(PayloadError::Hex(e)))?,
            ),
            MatchKind::Regex => Matcher::Regex(
                regex::RegexBuilder::new(&self.pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| RuleError::Regex(e.to_string()))?,
                enc,
            ),
        };
        let uses_groups =
            matches!(matcher, Matcher::Regex(..)) && !self.format.hex && self.reply.contains('$');
        let reply = if uses_groups {
            // Checked now with the groups empty, so a bad reply is said
            // when the rule is written, not when it fires.
            let empty = expand_template(&self.reply, &[]);
            self.format
                .build(&empty, reply_enc)
                .map_err(RuleError::Reply)?;
            Reply::Template {
                text: self.reply.clone(),
                format: self.format.clone(),
                encoding: reply_enc,
            }
        } else {
            Reply::Fixed(
                self.format
                    .build(&self.reply, reply_enc)
                    .map_err(RuleError::Reply)?,
            )
        };
        Ok(CompiledRule {
            matcher,
            reply,
            delay: std::time::Duration::from_millis(self.delay_ms),
        })
    }

    /// Reads the command-line form `PATTERN=>REPLY`: the pattern may start
    /// with `exact:`, `prefix:`, `re:` or `hex:` (otherwise: contains); the
    /// reply with `hex:` (otherwise: text with escapes).
    pub fn parse(s: &str) -> Result<ReplyRule, String> {
        let (pattern, reply) = s
            .split_once("=>")
            .ok_or_else(|| format!("'{s}': write a rule as PATTERN=>REPLY"))?;
        let (kind, pattern) = [
            ("exact:", MatchKind::Exact),
            ("prefix:", MatchKind::Prefix),
            ("re:", MatchKind::Regex),
            ("hex:", MatchKind::Hex),
        ]
        .into_iter()
        .find_map(|(p, k)| pattern.strip_prefix(p).map(|rest| (k, rest)))
        .unwrap_or((MatchKind::Contains, pattern));
        let (hex, reply) = match reply.strip_prefix("hex:") {
            Some(r) => (true, r),
            None => (false, reply),
        };
        let rule = ReplyRule {
            enabled: true,
            kind,
            pattern: pattern.to_string(),
            reply: reply.to_string(),
            format: SendFormat {
                hex,
                escapes: !hex,
                ..Default::default()
            },
            delay_ms: 0,
        };
        rule.compile(encoding_rs::UTF_8)
            .map_err(|e| format!("'{s}': {e}"))?;
        Ok(rule)
    }
}

/// Replaces `$1`, `${1}`, `${name}`-less numbered groups in `text` with
/// `groups[n]` (`$0` is the whole match; a missing group is empty; `$$`
/// is a dollar sign).
fn expand_template(text: &str, groups: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                chars.next();
                out.push('$');
            }
            Some('{') => {
                chars.next();
                let mut num = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    num.push(d);
                }
                if let Ok(n) = num.parse::<usize>() {
                    out.push_str(groups.get(n).map_or("", String::as_str));
                }
            }
            Some(d) if d.is_ascii_digit() => {
                let mut num = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    num.push(*d);
                    chars.next();
                }
                let n: usize = num.parse().unwrap_or(usize::MAX);
                out.push_str(groups.get(n).map_or("", String::as_str));
            }
            _ => out.push('$'),
        }
    }
    out
}

impl CompiledRule {
    /// The reply to `frame`, if the rule matches it.
    pub fn answer(&self, frame: &[u8]) -> Option<Vec<u8>> {
        let groups: Option<Vec<String>> = match &self.matcher {
            Matcher::Exact(p) => (frame == p.as_slice()).then_some(None)?,
            Matcher::Prefix(p) => frame.starts_with(p).then_some(None)?,
            Matcher::Contains(p) => memchr::memmem::find(frame, p).map(|_| None)?,
            Matcher::Regex(re, enc) => {
                // The text as received (control characters kept, bytes
                // the encoding cannot read as `\xNN`).
                let mut text = String::new();
                super::text::decode_into(frame, enc, &mut text);
                let caps = re.captures(&text)?;
                Some(
                    caps.iter()
                        .map(|g| g.map(|m| m.as_str().to_string()).unwrap_or_default())
                        .collect(),
                )
            }
        };
        match (&self.reply, groups) {
            (Reply::Fixed(b), _) => Some(b.clone()),
            (
                Reply::Template {
                    text,
                    format,
                    encoding,
                },
                Some(groups),
            ) => format.build(&expand_template(text, &groups), encoding).ok(),
            (Reply::Template { .. }, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UTF8: &Encoding = encoding_rs::UTF_8;

    fn rule(kind: MatchKind, pattern: &str, reply: &str) -> CompiledRule {
        ReplyRule {
            kind,
            pattern: pattern.into(),
            reply: reply.into(),
            ..Default::default()
        }
        .compile(UTF8)
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn each_kind_of_match() {
        let exact = rule(MatchKind::Exact, "PING", "PONG");
        assert_eq!(exact.answer(b"PING").as_deref(), Some(&b"PONG"[..]));
        assert_eq!(exact.answer(b"PING!"), None);
        let prefix = rule(MatchKind::Prefix, "AT+", "OK");
        assert_eq!(prefix.answer(b"AT+GMR").as_deref(), Some(&b"OK"[..]));
        assert_eq!(prefix.answer(b"xAT+"), None);
        let contains = rule(MatchKind::Contains, "temp", "ack");
        assert_eq!(
            contains.answer(b"the temp is 21").as_deref(),
            Some(&b"ack"[..])
        );
        let hex = rule(MatchKind::Hex, "01 03", "ok");
        assert_eq!(hex.answer(b"\x00\x01\x03\x00").as_deref(), Some(&b"ok"[..]));
        assert_eq!(hex.answer(b"\x01\x04"), None);
    }

    #[test]
    fn a_regex_reply_uses_its_groups() {
        let r = rule(MatchKind::Regex, r"^PING (\d+)", "PONG $1");
        assert_eq!(r.answer(b"PING 42").as_deref(), Some(&b"PONG 42"[..]));
        assert_eq!(r.answer(b"PONG 42"), None);
        let r = rule(MatchKind::Regex, r"id=(\w+)", "got ${1}$$ $0 $9");
        assert_eq!(
            r.answer(b"x id=ab7 y").as_deref(),
            Some(&b"got ab7$ id=ab7 "[..])
        );
        // A $ before anything but a digit, { or $ is just a $.
        let r = rule(MatchKind::Regex, r"price", "cost $USD 5");
        assert_eq!(r.answer(b"price?").as_deref(), Some(&b"cost $USD 5"[..]));
        // Only a regex has groups: other rules send $1 as it is written.
        let r = rule(MatchKind::Contains, "price", "cost $1");
        assert_eq!(r.answer(b"price?").as_deref(), Some(&b"cost $1"[..]));
    }

    #[test]
    fn replies_take_the_send_format() {
        let r = ReplyRule {
            kind: MatchKind::Contains,
            pattern: "read".into(),
            reply: "01 03 00 00 00 0A".into(),
            format: SendFormat {
                hex: true,
                checksum: super::super::Checksum::Crc16Modbus,
                ..Default::default()
            },
            ..Default::default()
        }
        .compile(UTF8)
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.answer(b"read").as_deref(),
            Some(&[1, 3, 0, 0, 0, 0x0A, 0xC5, 0xCD][..])
        );
    }

    #[test]
    fn bad_rules_say_why() {
        let bad = |kind, pattern: &str, reply: &str| {
            ReplyRule {
                kind,
                pattern: pattern.into(),
                reply: reply.into(),
                format: SendFormat {
                    hex: reply.starts_with('h'),
                    ..Default::default()
                },
                ..Default::default()
            }
            .compile(UTF8)
            .err()
        };
        assert!(matches!(
            bad(MatchKind::Regex, "(", "x"),
            Some(RuleError::Regex(_))
        ));
        assert!(matches!(
            bad(MatchKind::Hex, "0G", "x"),
            Some(RuleError::Pattern(_))
        ));
        assert!(matches!(
            bad(MatchKind::Exact, "", "x"),
            Some(RuleError::EmptyPattern)
        ));
        assert!(matches!(
            bad(MatchKind::Exact, "a", "hzz"),
            Some(RuleError::Reply(_))
        ));
        // The words the user reads.
        let said =
            |kind, pattern: &str, reply: &str| bad(kind, pattern, reply).map(|e| e.to_string());
        assert_eq!(
            said(MatchKind::Exact, "", "x").as_deref(),
            Some("the pattern is empty")
        );
        assert_eq!(
            said(MatchKind::Hex, "0G", "x").as_deref(),
            Some("pattern: invalid hex: 'G' at position 2 is not a hex digit")
        );
        assert_eq!(
            said(MatchKind::Exact, "a", "hzz").as_deref(),
            Some("reply: invalid hex: 'h' at position 1 is not a hex digit")
        );
    }

    #[test]
    fn patterns_read_in_one_encoding_and_replies_written_in_another() {
        let r = ReplyRule {
            kind: MatchKind::Regex,
            pattern: "^你(.)".into(),
            reply: "回$1".into(),
            ..Default::default()
        }
        .compile_with(encoding_rs::GBK, UTF8)
        .unwrap_or_else(|e| panic!("{e}"));
        // 你好 arrives in GBK; the answer goes out in UTF-8.
        assert_eq!(
            r.answer(&[0xC4, 0xE3, 0xBA, 0xC3]).as_deref(),
            Some("回好".as_bytes())
        );
    }

    #[test]
    fn command_line_rules() {
        let r = ReplyRule::parse(r"re:^PING (\d+)=>PONG $1\r\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.kind, MatchKind::Regex);
        let c = r.compile(UTF8).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.answer(b"PING 7").as_deref(), Some(&b"PONG 7\r\n"[..]));
        let h = ReplyRule::parse("hex:01 03=>hex:06").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.kind, MatchKind::Hex);
        assert!(h.format.hex);
        assert!(ReplyRule::parse("no arrow").is_err());
        assert!(ReplyRule::parse("re:(=>x").is_err());
    }
}
