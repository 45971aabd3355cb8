//! The sending side of a session: what the toolkit's forms hold (saved),
//! and the jobs running on the worker (not saved).

use crate::codec::SendFormat;
pub use crate::log::JobSlot;
use crate::net::{JobEnd, JobId};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A named payload, sent with one click or as a step of a sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QuickCommand {
    pub name: String,
    pub text: String,
    /// Hex or text, escapes, line ending and checksum of this command.
    pub format: SendFormat,
    /// In a sequence, the wait after this command before the next one.
    pub delay_ms: u64,
}

/// The file format of an exported quick-command list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickFile {
    pub netpal_quick_commands: u32,
    pub commands: Vec<QuickCommand>,
}

impl QuickFile {
    pub fn new(commands: Vec<QuickCommand>) -> Self {
        QuickFile {
            netpal_quick_commands: 1,
            commands,
        }
    }

    /// Reads an exported list; a file of another kind is refused with a
    /// reason rather than read as an empty list.
    pub fn parse(text: &str) -> Result<Vec<QuickCommand>, String> {
        // A bare list of commands is accepted too.
        if let Ok(list) = serde_json::from_str::<Vec<QuickCommand>>(text) {
            return Ok(list);
        }
        match serde_json::from_str::<QuickFile>(text) {
            Ok(f) => Ok(f.commands),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// One earlier send, for recall.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryItem {
    pub text: String,
    pub hex: bool,
}

/// How many earlier sends are kept.
pub const HISTORY_LEN: usize = 50;
/// Sends longer than this (in bytes of text) are not kept in the history.
pub const HISTORY_ITEM_MAX: usize = 16 * 1024;

/// A generator's rate unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RateUnit {
    #[default]
    PacketsPerSec,
    BytesPerSec,
}

/// The toolkit's forms, saved with the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendTools {
    pub periodic_ms: String,
    /// Empty: until stopped.
    pub periodic_count: String,
    pub quick: Vec<QuickCommand>,
    /// A sequence starts over after its last command.
    pub sequence_loop: bool,
    pub history: Vec<HistoryItem>,
    pub file_path: String,
    /// UDP file sends: bytes per datagram, and the wait between datagrams.
    pub datagram_size: String,
    pub datagram_gap_ms: String,
    /// Empty: as fast as the socket takes it.
    pub gen_rate: String,
    pub gen_unit: RateUnit,
    /// Empty: no limit by count.
    pub gen_count: String,
    /// Empty: no limit by time.
    pub gen_seconds: String,
}

impl Default for SendTools {
    fn default() -> Self {
        SendTools {
            periodic_ms: "1000".into(),
            periodic_count: String::new(),
            quick: Vec::new(),
            sequence_loop: false,
            history: Vec::new(),
            file_path: String::new(),
            datagram_size: "1024".into(),
            datagram_gap_ms: "0".into(),
            gen_rate: String::new(),
            gen_unit: RateUnit::PacketsPerSec,
            gen_count: String::new(),
            gen_seconds: "10".into(),
        }
    }
}

impl SendTools {
    /// Remembers a send, most recent last, without repeating the last one.
    pub fn remember(&mut self, item: HistoryItem) {
        // Huge payloads (a pasted dump) would bloat the saved settings.
        if item.text.is_empty() || item.text.len() > HISTORY_ITEM_MAX {
            return;
        }
        self.history.retain(|h| *h != item);
        self.history.push(item);
        if self.history.len() > HISTORY_LEN {
            let extra = self.history.len() - HISTORY_LEN;
            self.history.drain(..extra);
        }
    }
}

/// A job running on the worker, as the UI sees it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: JobId,
    pub slot: JobSlot,
    /// For a file: its name.
    pub what: String,
    pub started: Instant,
    pub items: u64,
    pub bytes: u64,
    pub total: Option<u64>,
    pub stalled: bool,
    /// Written without log records: the counters take its progress.
    pub quiet: bool,
    /// Bytes and items already added to the counters.
    pub counted: (u64, u64),
    /// Recent progress reports (time, items, bytes), for the current rate.
    pub samples: std::collections::VecDeque<(Instant, u64, u64)>,
}

/// The span the current rate is measured over.
const RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(1);

impl JobView {
    /// Notes a progress report for the current rate.
    pub fn sample(&mut self, at: Instant) {
        self.samples.push_back((at, self.items, self.bytes));
        while self
            .samples
            .front()
            .is_some_and(|(t, ..)| at.duration_since(*t) > RATE_WINDOW)
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
    }

    /// Items and bytes per second over the last second or so (since the
    /// start at first); a stalled send shows its rate falling to zero.
    pub fn rate(&self, now: Instant) -> (f64, f64) {
        let (t0, i0, b0) = self
            .samples
            .front()
            .copied()
            .unwrap_or((self.started, 0, 0));
        let (t0, i0, b0) = if now.duration_since(t0) > RATE_WINDOW * 2 {
            // Nothing reported for a while: nothing moved.
            return (0.0, 0.0);
        } else {
            (t0, i0, b0)
        };
        let secs = now.duration_since(t0).as_secs_f64();
        if secs <= 0.0 {
            return (0.0, 0.0);
        }
        (
            (self.items - i0) as f64 / secs,
            (self.bytes - b0) as f64 / secs,
        )
    }
}

/// How a job ended, kept to show beside its controls.
#[derive(Debug, Clone, PartialEq)]
pub struct JobResult {
    pub tally: crate::net::JobTally,
    pub end: JobEnd,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Checksum, LineEnd};

    #[test]
    fn quick_commands_round_trip_and_bad_files_are_refused() {
        let list = vec![QuickCommand {
            name: "read".into(),
            text: "01 03 00 00 00 0A".into(),
            format: SendFormat {
                hex: true,
                checksum: Checksum::Crc16Modbus,
                append: LineEnd::None,
                ..Default::default()
            },
            delay_ms: 100,
        }];
        let json = serde_json::to_string(&QuickFile::new(list.clone())).unwrap();
        assert_eq!(QuickFile::parse(&json), Ok(list));
        assert!(QuickFile::parse("{\"not\": \"commands\"}").is_err());
        assert!(QuickFile::parse("garbage").is_err());
    }

    #[test]
    fn a_job_shows_its_rate_over_the_last_second_and_zero_once_stalled() {
        let t0 = Instant::now();
        let mut job = JobView {
            id: 1,
            slot: JobSlot::File,
            what: "f.bin".into(),
            started: t0,
            items: 0,
            bytes: 0,
            total: None,
            stalled: false,
            quiet: true,
            counted: (0, 0),
            samples: Default::default(),
        };
        job.sample(t0);
        // 4 items and 2 MB in half a second: 8 items/s, 4 MB/s.
        job.items = 4;
        job.bytes = 2_000_000;
        let half = t0 + std::time::Duration::from_millis(500);
        job.sample(half);
        let (items, bytes) = job.rate(half);
        assert!((items - 8.0).abs() < 1e-6, "{items}");
        assert!((bytes - 4e6).abs() < 1e-3, "{bytes}");
        // Nothing reported for seconds: nothing moves.
        assert_eq!(job.rate(t0 + std::time::Duration::from_secs(5)), (0.0, 0.0));
    }

    #[test]
    fn history_keeps_the_latest_once() {
        let mut t = SendTools::default();
        let item = |s: &str| HistoryItem {
            text: s.into(),
            hex: false,
        };
        t.remember(item("a"));
        t.remember(item("b"));
        t.remember(item("a"));
        t.remember(item(""));
        t.remember(item(&"x".repeat(HISTORY_ITEM_MAX + 1)));
        assert_eq!(t.history, vec![item("b"), item("a")]);
        for i in 0..100 {
            t.remember(item(&i.to_string()));
        }
        assert_eq!(t.history.len(), HISTORY_LEN);
        assert_eq!(t.history.last(), Some(&item("99")));
    }
}
