//! Send jobs that run on the worker, not on UI frames: periodic sends,
//! sequences of quick commands, file streaming and the traffic generator.
//!
//! Every job feeds the same write queues as a single send, one item at a
//! time, and only while the queue toward its target is short: a peer that
//! stops reading stalls the job (nothing piles up in memory), and the job
//! resumes when the socket drains. Timed jobs keep their schedule against
//! their start, so the N-th item is due at start + N x interval whatever
//! the lateness of earlier ones.

use super::conn::{Core, now};
use super::worker::Kind;
use super::{Detail, Event, JobEnd, JobId, JobSpec, NetError, NetErrorKind, Op, Rate, Target};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::time::{Duration, Instant};

/// Bytes queued toward a job's target above which the job waits.
pub(super) const JOB_BACKLOG: usize = 1 << 20;
/// Items one job may issue per poll round, so commands and reads are
/// still served while a fast job runs.
const ITEMS_PER_ROUND: usize = 256;
/// How often a running job reports its progress.
const REPORT_EVERY: Duration = Duration::from_millis(100);
/// The largest UDP payload over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// Whose bytes an entry of a write queue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Tag {
    pub job: Option<JobId>,
    /// Written without a `Sent` event (file and generator bytes): the job
    /// reports them as progress instead of filling the log.
    pub quiet: bool,
}

/// What the write queues did with a job's bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct JobIo {
    /// Bytes handed to the operating system.
    pub written: u64,
    /// Bytes dropped unsent (the connection closed, or the job was stopped).
    pub dropped: u64,
}

/// The job ledger kept by the write queues.
pub(super) type Ledger = HashMap<JobId, JobIo>;

enum Source {
    Repeat {
        bytes: Vec<u8>,
        interval: Duration,
        count: Option<u64>,
    },
    Sequence {
        items: Vec<(Vec<u8>, Duration)>,
        looped: bool,
        /// When the next item is due (the sum of the delays so far).
        due: Duration,
    },
    File {
        file: File,
        path: String,
        size: u64,
        read: u64,
        chunk: usize,
        gap: Duration,
    },
    Generate {
        bytes: Vec<u8>,
        rate: Option<Rate>,
        count: Option<u64>,
        until: Option<Duration>,
    },
    Stream(crossbeam_channel::Receiver<Vec<u8>>),
}

struct Job {
    id: JobId,
    to: Target,
    source: Source,
    started: Instant,
    /// Items issued so far.
    items: u64,
    /// Bytes queued so far (times the number of peers).
    queued: u64,
    /// Nothing more to issue; ends once its bytes are written.
    exhausted: bool,
    /// Waiting for the peer to read.
    stalled: bool,
    last_report: Instant,
    reported: (u64, u64, bool),
}

/// The running jobs of one session.
#[derive(Default)]
pub(super) struct Jobs {
    list: Vec<Job>,
}

impl Jobs {
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Starts a job; a file that cannot be opened ends it at once.
    pub(super) fn start(&mut self, core: &mut Core, id: JobId, to: Target, spec: JobSpec) {
        let source = match spec {
            JobSpec::Repeat {
                bytes,
                interval,
                count,
            } => Source::Repeat {
                bytes,
                interval,
                count,
            },
            JobSpec::Sequence { items, looped } => Source::Sequence {
                items,
                looped,
                due: Duration::ZERO,
            },
            JobSpec::File { path, chunk, gap } => {
                let shown = path.display().to_string();
                let opened = File::open(&path).and_then(|f| {
                    let meta = f.metadata()?;
                    if meta.is_dir() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "this is a folder, not a file",
                        ));
                    }
                    Ok((f, meta.len()))
                });
                match opened {
                    Ok((file, size)) => Source::File {
                        file,
                        path: shown,
                        size,
                        read: 0,
                        chunk: chunk.max(1),
                        gap,
                    },
                    Err(e) => {
                        let error = NetError::from_io(&e, Op::ReadFile(shown));
                        core.emit(Event::JobEnded {
                            id,
                            at: now(),
                            items: 0,
                            bytes: 0,
                            elapsed: Duration::ZERO,
                            end: JobEnd::Failed(error),
                        });
                        return;
                    }
                }
            }
            JobSpec::Generate {
                bytes,
                rate,
                count,
                duration,
            } => Source::Generate {
                bytes,
                rate,
                count,
                until: duration,
            },
            JobSpec::Stream { items } => Source::Stream(items),
        };
        // A literal address is read once, not for every item.
        let to = match to {
            Target::Host(hp) => match hp.addr() {
                Some(a) => Target::Peers(vec![a]),
                None => Target::Host(hp),
            },
            to => to,
        };
        let t = Instant::now();
        core.ledger.insert(id, JobIo::default());
        self.list.push(Job {
            id,
            to,
            source,
            started: t,
            items: 0,
            queued: 0,
            exhausted: false,
            stalled: false,
            last_report: t,
            reported: (0, 0, false),
        });
    }

    /// Stops a job: what it had queued and not yet begun to write is
    /// dropped, so a stopped send really stops.
    pub(super) fn stop<K: Kind>(&mut self, core: &mut Core, kind: &mut K, id: JobId) {
        let Some(pos) = self.list.iter().position(|j| j.id == id) else {
            return;
        };
        let job = self.list.remove(pos);
        core.purge_job(id);
        kind.purge_job(core, id);
        end(core, &job, JobEnd::Stopped);
    }

    /// Issues what is due, ends what is done; returns when the next item
    /// falls due, if some job waits for a time rather than for the socket.
    pub(super) fn run<K: Kind>(&mut self, core: &mut Core, kind: &mut K) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut i = 0;
        while let Some(job) = self.list.get_mut(i) {
            let (wake, outcome) = step(core, kind, job);
            if let Some(w) = wake {
                next = Some(next.map_or(w, |n| n.min(w)));
            }
            match outcome {
                Some(end_as) => {
                    let job = self.list.remove(i);
                    if matches!(end_as, JobEnd::Failed(_)) {
                        core.purge_job(job.id);
                        kind.purge_job(core, job.id);
                    }
                    end(core, &job, end_as);
                }
                None => {
                    // A change held back by the report interval is sent
                    // when the interval is up, even if nothing else wakes us.
                    if let Some(w) = self.list.get_mut(i).and_then(|j| report(core, j)) {
                        next = Some(next.map_or(w, |n| n.min(w)));
                    }
                    i += 1;
                }
            }
        }
        next
    }
}

fn end(core: &mut Core, job: &Job, end: JobEnd) {
    core.report_tool_tx();
    let io = core.ledger.remove(&job.id).unwrap_or_default();
    core.emit(Event::JobEnded {
        id: job.id,
        at: now(),
        items: job.items,
        bytes: io.written,
        elapsed: job.started.elapsed(),
        end,
    });
}

/// Reports progress at most every [`REPORT_EVERY`]; returns when to
/// report a change held back.
fn report(core: &mut Core, job: &mut Job) -> Option<Instant> {
    let written = core.ledger.get(&job.id).map_or(0, |io| io.written);
    let state = (job.items, written, job.stalled);
    if state == job.reported {
        return None;
    }
    if job.last_report.elapsed() < REPORT_EVERY {
        return Some(job.last_report + REPORT_EVERY);
    }
    job.last_report = Instant::now();
    job.reported = state;
    // The peers' rows move with the job's progress, not with every write.
    core.report_tool_tx();
    let total = match &job.source {
        Source::File { size, .. } => Some(*size),
        _ => None,
    };
    core.emit(Event::JobProgress {
        id: job.id,
        items: job.items,
        bytes: written,
        total,
        stalled: job.stalled,
    });
    None
}

/// One item of a job, if one is due now; Err(when) if it is due later.
enum Next {
    Item(Vec<u8>),
    Later(Instant),
    /// Nothing yet; whoever has more wakes the worker.
    Wait,
    Done,
}

/// Runs one job for this round: returns when it wants to be woken and, if
/// it has ended, how.
fn step<K: Kind>(
    core: &mut Core,
    kind: &mut K,
    job: &mut Job,
) -> (Option<Instant>, Option<JobEnd>) {
    let quiet = matches!(job.source, Source::File { .. } | Source::Generate { .. });
    let tag = Tag {
        job: Some(job.id),
        quiet,
    };
    for _ in 0..ITEMS_PER_ROUND {
        if job.exhausted {
            break;
        }
        if kind.backlog(core, &job.to) >= JOB_BACKLOG {
            kind.flush_queued(core);
            if kind.backlog(core, &job.to) >= JOB_BACKLOG {
                // The socket's writable event brings the next round.
                job.stalled = true;
                return (None, None);
            }
        }
        job.stalled = false;
        let item = match next_item(job) {
            Ok(Next::Item(b)) => b,
            Ok(Next::Later(at)) => {
                kind.flush_queued(core);
                return (Some(at), None);
            }
            Ok(Next::Wait) => {
                kind.flush_queued(core);
                return (None, None);
            }
            Ok(Next::Done) => {
                job.exhausted = true;
                break;
            }
            Err(e) => {
                kind.flush_queued(core);
                return (None, Some(JobEnd::Failed(e)));
            }
        };
        match kind.job_send(core, &job.to, item, tag) {
            Ok(n) => {
                job.items += 1;
                job.queued += n as u64;
            }
            Err(e) => {
                kind.flush_queued(core);
                return (None, Some(JobEnd::Failed(e)));
            }
        }
    }
    // Items may wait in the kind's queue to go out together.
    kind.flush_queued(core);
    if !job.exhausted {
        // More is due at once: come back next round without sleeping.
        return (Some(Instant::now()), None);
    }
    // Its last sends may wait to be joined with more that will not come.
    kind.release_joined(core, job.id);
    let io = core.ledger.get(&job.id).copied().unwrap_or_default();
    if io.written + io.dropped < job.queued {
        // Waiting for the socket to take the rest.
        return (None, None);
    }
    if io.dropped > 0 {
        return (
            None,
            Some(JobEnd::Failed(NetError::new(
                NetErrorKind::BrokenPipe,
                Op::SendNowhere,
                Detail::Unsent {
                    bytes: io.dropped as usize,
                },
            ))),
        );
    }
    (None, Some(JobEnd::Done))
}

fn next_item(job: &mut Job) -> Result<Next, NetError> {
    let elapsed = job.started.elapsed();
    let at = |d: Duration| job.started + d;
    match &mut job.source {
        Source::Repeat {
            bytes,
            interval,
            count,
        } => {
            if count.is_some_and(|c| job.items >= c) {
                return Ok(Next::Done);
            }
            let due = interval.saturating_mul(job.items.min(u32::MAX as u64) as u32);
            if due > elapsed {
                return Ok(Next::Later(at(due)));
            }
            Ok(Next::Item(bytes.clone()))
        }
        Source::Sequence { items, looped, due } => {
            if items.is_empty() {
                return Ok(Next::Done);
            }
            let pos = (job.items % items.len() as u64) as usize;
            if pos == 0 && job.items > 0 && !*looped {
                return Ok(Next::Done);
            }
            if *due > elapsed {
                return Ok(Next::Later(at(*due)));
            }
            let Some((bytes, delay)) = items.get(pos) else {
                return Ok(Next::Done);
            };
            *due += *delay;
            Ok(Next::Item(bytes.clone()))
        }
        Source::File {
            file,
            path,
            size,
            read,
            chunk,
            gap,
        } => {
            if !gap.is_zero() {
                let due = gap.saturating_mul(job.items.min(u32::MAX as u64) as u32);
                if due > elapsed {
                    return Ok(Next::Later(at(due)));
                }
            }
            let mut buf = vec![0; *chunk];
            let mut filled = 0;
            // A datagram is one chunk exactly; short reads are topped up.
            while filled < buf.len() {
                let Some(room) = buf.get_mut(filled..) else {
                    break;
                };
                match file.read(room) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(NetError::from_io(&e, Op::ReadFile(path.clone()))),
                }
            }
            if filled == 0 {
                if *read < *size {
                    // The file shrank while it was being sent.
                    return Err(NetError::new(
                        NetErrorKind::Other,
                        Op::ReadFile(path.clone()),
                        Detail::FileShrank {
                            expected: *size,
                            got: *read,
                        },
                    ));
                }
                return Ok(Next::Done);
            }
            buf.truncate(filled);
            *read += filled as u64;
            Ok(Next::Item(buf))
        }
        Source::Generate {
            bytes,
            rate,
            count,
            until,
        } => {
            if count.is_some_and(|c| job.items >= c) || until.is_some_and(|u| elapsed >= u) {
                return Ok(Next::Done);
            }
            let due = match rate {
                None => Duration::ZERO,
                Some(Rate::PacketsPerSec(p)) => {
                    Duration::from_secs_f64(job.items as f64 / (*p).max(1) as f64)
                }
                Some(Rate::BytesPerSec(b)) => {
                    Duration::from_secs_f64(job.queued as f64 / (*b).max(1) as f64)
                }
            };
            if due > elapsed {
                if until.is_some_and(|u| due >= u) {
                    return Ok(Next::Done);
                }
                return Ok(Next::Later(at(due)));
            }
            Ok(Next::Item(bytes.clone()))
        }
        Source::Stream(rx) => match rx.try_recv() {
            Ok(b) => Ok(Next::Item(b)),
            Err(crossbeam_channel::TryRecvError::Empty) => Ok(Next::Wait),
            Err(crossbeam_channel::TryRecvError::Disconnected) => Ok(Next::Done),
        },
    }
}

/// Checks a datagram size for UDP file sends.
pub fn check_datagram_size(size: usize) -> Result<(), usize> {
    if (1..=MAX_DATAGRAM).contains(&size) {
        Ok(())
    } else {
        Err(MAX_DATAGRAM)
    }
}
