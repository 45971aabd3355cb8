//! Find in the kept log: text (in the receive encoding), a hex pattern, or
//! a regular expression, over every record's bytes. The search runs in
//! steps within a time budget per frame (the caller's), so a million records never block
//! the window; the matches found so far are counted as it goes.

use crate::codec;
use crate::log::LogStore;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::Instant;

/// What the find box holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FindMode {
    #[default]
    Text,
    Hex,
    Regex,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// Built once, not for every record.
    Bytes(Box<memchr::memmem::Finder<'static>>),
    Regex(regex::bytes::Regex),
}

impl Matcher {
    fn bytes(b: &[u8]) -> Matcher {
        Matcher::Bytes(Box::new(memchr::memmem::Finder::new(b).into_owned()))
    }

    fn matches(&self, payload: &[u8]) -> bool {
        match self {
            Matcher::Bytes(f) => f.find(payload).is_some(),
            Matcher::Regex(r) => r.is_match(payload),
        }
    }
}

/// A search in progress over one session's log.
#[derive(Debug, Default)]
pub struct Find {
    pub query: String,
    pub mode: FindMode,
    matcher: Option<(String, FindMode, &'static encoding_rs::Encoding, Matcher)>,
    /// Why the query cannot be searched for.
    pub error: Option<String>,
    /// The record (by sequence number) the search stands on.
    pub current: Option<u64>,
    /// A jump being looked for: forward or back, from this sequence
    /// number, with this many records looked at so far.
    seeking: Option<(bool, u64, u64)>,
    /// The matching records (by sequence number) counted so far: records
    /// arriving are looked at as they come, and those the log drops go.
    matched: VecDeque<u64>,
    /// The next sequence number to look at for the count.
    scanned: u64,
    /// Matches over the whole kept log, once counted to its end.
    pub count: Option<u64>,
    /// The record to bring into view (store index), once found.
    pub jump_to: Option<usize>,
}

impl Find {
    /// Compiles the query when it changed; returns whether one is usable.
    fn ready(&mut self, enc: &'static encoding_rs::Encoding) -> bool {
        let same = self
            .matcher
            .as_ref()
            .is_some_and(|(q, m, e, _)| *q == self.query && *m == self.mode && *e == enc);
        if same {
            return true;
        }
        self.matcher = None;
        self.count = None;
        self.matched.clear();
        self.scanned = 0;
        self.error = None;
        if self.query.is_empty() {
            return false;
        }
        let m = match self.mode {
            FindMode::Text => codec::encode_text(&self.query, enc)
                .map(|b| Matcher::bytes(&b))
                .map_err(|e| e.to_string()),
            FindMode::Hex => codec::parse_hex(&self.query)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    if b.is_empty() {
                        Err("no bytes".into())
                    } else {
                        Ok(Matcher::bytes(&b))
                    }
                }),
            FindMode::Regex => regex::bytes::RegexBuilder::new(&self.query)
                .size_limit(1 << 20)
                .build()
                .map(Matcher::Regex)
                .map_err(|e| e.to_string()),
        };
        match m {
            Ok(m) => {
                self.matcher = Some((self.query.clone(), self.mode, enc, m));
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    /// Starts looking for the next match (or the previous, `forward` false).
    pub fn seek(&mut self, forward: bool, log: &LogStore) {
        let from = match (self.current, forward) {
            (Some(c), true) => c + 1,
            // Before the first record: the search goes on from the last.
            (Some(c), false) => c.checked_sub(1).unwrap_or(u64::MAX),
            (None, true) => log.first_seq(),
            (None, false) => log.first_seq() + log.len().saturating_sub(1) as u64,
        };
        self.seeking = Some((forward, from, 0));
    }

    /// Searches until `deadline`; returns whether work remains.
    pub fn work(
        &mut self,
        log: &LogStore,
        enc: &'static encoding_rs::Encoding,
        deadline: Instant,
    ) -> bool {
        if !self.ready(enc) {
            self.seeking = None;
            return false;
        }
        let Some((_, _, _, matcher)) = &self.matcher else {
            return false;
        };
        let first = log.first_seq();
        let end = first + log.len() as u64;
        let hit = |seq: u64| {
            log.payload((seq - first) as usize)
                .is_some_and(|p| matcher.matches(p))
        };
        let mut steps = 0u32;
        let tick = |steps: &mut u32| {
            *steps += 1;
            (*steps).is_multiple_of(1024) && Instant::now() >= deadline
        };
        if let Some((forward, mut at, mut looked)) = self.seeking {
            // Past either end the search goes on from the other, as in an
            // editor, until every kept record has been looked at once.
            let total = end - first;
            loop {
                if looked >= total {
                    // No match anywhere: the search stays where it was.
                    self.seeking = None;
                    break;
                }
                if at < first || at >= end {
                    at = if forward { first } else { end - 1 };
                }
                if hit(at) {
                    self.current = Some(at);
                    self.jump_to = Some((at - first) as usize);
                    self.seeking = None;
                    break;
                }
                looked += 1;
                at = if forward {
                    at + 1
                } else if at == first {
                    end - 1
                } else {
                    at - 1
                };
                if tick(&mut steps) {
                    self.seeking = Some((forward, at, looked));
                    return true;
                }
            }
        }
        // The count follows the log: records it dropped leave it, records
        // that arrived since the last frame are looked at.
        while self.matched.front().is_some_and(|s| *s < first) {
            self.matched.pop_front();
        }
        let mut at = self.scanned.max(first);
        while at < end {
            if hit(at) {
                self.matched.push_back(at);
            }
            at += 1;
            if tick(&mut steps) {
                self.scanned = at;
                return true;
            }
        }
        self.scanned = at;
        self.count = Some(self.matched.len() as u64);
        false
    }
}
