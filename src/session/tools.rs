//! The sending toolkit's starters: periodic send, quick commands and their
//! sequence, a file, the traffic generator. Each reads its form, says what
//! is wrong in data, or hands the worker a job.

use super::problem::Field;
use super::{JobResult, JobSlot, JobView, Problem, QuickCommand, RateUnit, SendProblem, Session};
use crate::net::{self, Command, JobSpec, Rate};
use std::path::PathBuf;
use std::time::{Duration, Instant};

impl Session {
    /// The running job of a slot, if any.
    pub fn job(&self, slot: JobSlot) -> Option<&JobView> {
        self.jobs.iter().find(|j| j.slot == slot)
    }

    /// How the last job of a slot ended, or why it could not start.
    pub fn job_result(&self, slot: JobSlot) -> Option<&Result<JobResult, Problem>> {
        self.job_results.get(&slot)
    }

    /// Starts a job on the worker, or says why not beside its controls.
    fn start_job(&mut self, slot: JobSlot, what: String, spec: Result<JobSpec, Problem>) {
        self.job_results.remove(&slot);
        if self.job(slot).is_some() {
            return;
        }
        let started = (|| {
            let net = self.net.as_ref().ok_or(Problem::SessionNotOpen)?;
            let spec = spec?;
            let to = self.send_target()?;
            let quiet = matches!(spec, JobSpec::File { .. } | JobSpec::Generate { .. });
            let id = self.next_job;
            net.command(Command::StartJob { id, to, job: spec });
            Ok::<_, Problem>((id, quiet))
        })();
        match started {
            Ok((id, quiet)) => {
                self.next_job += 1;
                self.jobs.push(JobView {
                    id,
                    slot,
                    what,
                    started: Instant::now(),
                    items: 0,
                    bytes: 0,
                    total: None,
                    stalled: false,
                    quiet,
                    counted: (0, 0),
                    samples: std::collections::VecDeque::new(),
                });
            }
            Err(e) => {
                self.job_results.insert(slot, Err(e));
            }
        }
    }

    pub(super) fn start_periodic(&mut self) {
        let t = &self.settings.tools;
        let spec =
            (|| {
                let interval = parse_count(&t.periodic_ms, 1, 86_400_000)
                    .ok_or(Problem::number(Field::IntervalMs, 1, 86_400_000))?;
                let count = match t.periodic_count.trim() {
                    "" => None,
                    c => Some(parse_count(c, 1, u64::MAX).ok_or(Problem::number(
                        Field::Times,
                        1,
                        u64::MAX,
                    ))?),
                };
                let bytes = self.send_payload()?;
                if bytes.is_empty() && self.empty_is_nothing() {
                    return Err(Problem::NothingToSend);
                }
                Ok(JobSpec::Repeat {
                    bytes,
                    interval: Duration::from_millis(interval),
                    count,
                })
            })();
        self.start_job(JobSlot::Periodic, String::new(), spec);
    }

    pub(super) fn send_quick(&mut self, i: usize) {
        let Some(q) = self.settings.tools.quick.get(i).cloned() else {
            return;
        };
        match self.build_payload(&q.text, &q.format) {
            Ok(bytes) => {
                self.send_bytes(bytes);
            }
            Err(e) => {
                self.send_error = Some(SendProblem::Form(quick_problem(&q, i, e)));
            }
        }
    }

    pub(super) fn start_sequence(&mut self) {
        let quick = self.settings.tools.quick.clone();
        let spec = (|| {
            if quick.is_empty() {
                return Err(Problem::NoQuickCommands);
            }
            let mut items = Vec::with_capacity(quick.len());
            for (i, q) in quick.iter().enumerate() {
                let bytes = self
                    .build_payload(&q.text, &q.format)
                    .map_err(|e| quick_problem(q, i, e))?;
                items.push((bytes, Duration::from_millis(q.delay_ms)));
            }
            Ok(JobSpec::Sequence {
                items,
                looped: self.settings.tools.sequence_loop,
            })
        })();
        self.start_job(JobSlot::Sequence, String::new(), spec);
    }

    pub(super) fn start_file(&mut self) {
        let t = &self.settings.tools;
        let path = PathBuf::from(t.file_path.trim());
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spec = (|| {
            if t.file_path.trim().is_empty() {
                return Err(Problem::ChooseFileFirst);
            }
            let (chunk, gap) =
                if self.protocol().is_datagram() {
                    let max = net::MAX_DATAGRAM as u64;
                    let size = parse_count(&t.datagram_size, 1, max).ok_or(Problem::number(
                        Field::DatagramSize,
                        1,
                        max,
                    ))?;
                    let gap = parse_count(&t.datagram_gap_ms, 0, 3_600_000)
                        .ok_or(Problem::number(Field::DatagramGap, 0, 3_600_000))?;
                    (size as usize, Duration::from_millis(gap))
                } else {
                    (FILE_CHUNK, Duration::ZERO)
                };
            Ok(JobSpec::File { path, chunk, gap })
        })();
        self.start_job(JobSlot::File, name, spec);
    }

    pub(super) fn start_generator(&mut self) {
        let t = &self.settings.tools;
        let spec = (|| {
            let rate = match t.gen_rate.trim() {
                "" => None,
                r => {
                    let n = parse_count(r, 1, u64::MAX).ok_or(Problem::number(
                        Field::Rate,
                        1,
                        u64::MAX,
                    ))?;
                    Some(match t.gen_unit {
                        RateUnit::PacketsPerSec => Rate::PacketsPerSec(n),
                        RateUnit::BytesPerSec => Rate::BytesPerSec(n),
                    })
                }
            };
            let count = match t.gen_count.trim() {
                "" => None,
                c => Some(parse_count(c, 1, u64::MAX).ok_or(Problem::number(
                    Field::Times,
                    1,
                    u64::MAX,
                ))?),
            };
            let duration = match t.gen_seconds.trim() {
                "" => None,
                d => Some(
                    d.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 1e7)
                        .map(Duration::from_secs_f64)
                        .ok_or(Problem::BadSeconds)?,
                ),
            };
            let bytes = self.send_payload()?;
            if bytes.is_empty() {
                return Err(Problem::NothingToSend);
            }
            Ok(JobSpec::Generate {
                bytes,
                rate,
                count,
                duration,
            })
        })();
        self.start_job(JobSlot::Generator, String::new(), spec);
    }
}

/// A quick command's problem, naming the command.
fn quick_problem(q: &QuickCommand, index: usize, why: Problem) -> Problem {
    Problem::Quick {
        name: q.name.clone(),
        index,
        why: Box::new(why),
    }
}

/// A file is read and written this many bytes at a time over TCP.
const FILE_CHUNK: usize = 256 * 1024;

/// A whole number in `min..=max`, or None.
fn parse_count(s: &str, min: u64, max: u64) -> Option<u64> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
}
