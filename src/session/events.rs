//! How the worker's events change a session: records into the log, peers
//! into their lists, counters, job progress, and the notes said along the
//! way; and draining them within a frame's budget.

use super::{JobResult, MAX_UDP_PEERS, Phase, SendProblem, Session};
use crate::log::{Body, LeadIn, LogStore, Note};
use crate::net::{Event, JobId, Protocol, Session as NetSession};
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

impl Session {
    fn job_progress(&mut self, id: JobId, items: u64, bytes: u64, total: Option<u64>) {
        let Some(j) = self.jobs.iter_mut().find(|j| j.id == id) else {
            return;
        };
        j.items = items;
        j.bytes = bytes;
        j.total = total.or(j.total);
        j.sample(Instant::now());
        if j.quiet {
            // File and generator bytes leave no records: count them here.
            self.counters.tx_bytes += bytes.saturating_sub(j.counted.0);
            self.counters.tx_packets += items.saturating_sub(j.counted.1);
            j.counted = (bytes, items);
        }
    }

    /// Logs what `peer` sent, unless counting only: `push` gets the tail of
    /// the stream so far and whether its records are datagrams, and gives
    /// back the tail it leaves. A TCP record continues its stream (a
    /// character may span two); datagrams and their frames stand alone.
    fn log_received(
        &mut self,
        peer: SocketAddr,
        push: impl FnOnce(&mut LogStore, LeadIn, bool) -> LeadIn,
    ) {
        let datagrams = self.running.is_some_and(Protocol::is_datagram);
        let key = (peer, self.target_side);
        let lead_in = match datagrams {
            true => LeadIn::default(),
            false => self.tails.get(&key).copied().unwrap_or_default(),
        };
        let tail = push(&mut self.log, lead_in, datagrams);
        if !datagrams {
            self.tails.insert(key, tail);
        }
        self.mark_unread();
    }

    /// Counts `bytes` in `count` records from `peer` (once per read, for
    /// the counters and the peer's entry); false when they are only counted
    /// (count only), not logged.
    fn count_received(&mut self, at: SystemTime, peer: SocketAddr, bytes: u64, count: u64) -> bool {
        self.counters.rx_bytes += bytes;
        self.counters.rx_packets += count;
        let udp = matches!(self.running, Some(Protocol::Udp | Protocol::UnixDgram));
        if udp {
            if self.udp_peers.get_mut(&peer).is_none() && self.udp_peers.len() >= MAX_UDP_PEERS {
                self.udp_peers.drop_oldest();
            }
            if let Some(p) = self.udp_peers.add(peer, at) {
                p.rx_bytes += bytes;
            }
        } else if let Some(c) = self.clients.get_mut(&peer) {
            // What a relay's target sent went to this client.
            if self.target_side {
                c.tx_bytes += bytes;
            } else {
                c.rx_bytes += bytes;
            }
        }
        if self.settings.count_only {
            self.tails.remove(&(peer, self.target_side));
            return false;
        }
        true
    }

    /// Applies one worker event to the state and the log.
    pub fn apply(&mut self, ev: Event) {
        match ev {
            Event::Target(inner) => {
                self.target_side = true;
                self.log.set_target_side(true);
                match *inner {
                    // The client stays; only its link's other side went.
                    Event::Disconnected { at, peer, reason } => {
                        self.tails.remove(&(peer, true));
                        self.note(at, Some(peer), Note::Disconnected { peer, reason });
                    }
                    Event::Sent { at, peer, bytes } => {
                        self.counters.tx_bytes += bytes.len() as u64;
                        self.counters.tx_packets += 1;
                        self.log.push(at, Some(peer), Body::Tx(bytes));
                        self.mark_unread();
                    }
                    ev => self.apply(ev),
                }
                self.log.set_target_side(false);
                self.target_side = false;
            }
            Event::Linked {
                at,
                peer,
                local,
                target,
            } => {
                self.relay_target = Some(target);
                self.note(
                    at,
                    Some(peer),
                    Note::Linked {
                        peer,
                        local,
                        target,
                    },
                );
            }
            Event::Opened { at, local } => {
                self.phase = Phase::Open;
                self.local = Some(local);
                // The note says what happened then, whatever the form shows later.
                let note = if self.running.is_some_and(Protocol::is_datagram) {
                    Note::Bound { local }
                } else {
                    Note::Listening { local }
                };
                self.note(at, None, note);
            }
            Event::Membership {
                at,
                group,
                via,
                joined,
            } => {
                self.joined.retain(|(g, _)| *g != group.group);
                if joined {
                    self.joined.push((group.group, via.clone()));
                }
                self.note(
                    at,
                    None,
                    Note::Membership {
                        group: group.group,
                        via,
                        joined,
                    },
                );
            }
            Event::Options { at, peer, read } => {
                match peer {
                    None => self.options_read = Some(read.clone()),
                    Some(p) => self.conn_options_read = Some((p, read.clone())),
                }
                if self.note_options {
                    self.note(at, peer, Note::Options { peer, read });
                }
            }
            Event::Reconnecting { at, attempt, after } => {
                self.phase = Phase::Reconnecting {
                    attempt,
                    at: Instant::now() + after,
                };
                self.peer = None;
                self.note(
                    at,
                    None,
                    Note::Reconnecting {
                        attempt,
                        millis: after.as_millis() as u64,
                    },
                );
            }
            Event::Connecting { at, remote } => {
                self.phase = Phase::Connecting(remote);
                self.note(at, Some(remote), Note::Connecting { remote });
            }
            Event::Connected { at, local, peer } => {
                self.phase = Phase::Open;
                self.local = Some(local);
                self.peer = Some(peer);
                self.peer_fin = false;
                self.note(at, Some(peer), Note::Connected { local, peer });
            }
            Event::Accepted { at, peer } => {
                self.clients.add(peer, at);
                self.note(at, Some(peer), Note::Accepted { peer });
            }
            Event::Received {
                at,
                peer,
                bytes,
                shape,
            } => {
                if self.count_received(at, peer, bytes.len() as u64, 1) {
                    self.log_received(peer, |log, lead_in, _| {
                        let tail = LeadIn::tail_of(&bytes);
                        log.push_received(at, Some(peer), bytes, lead_in, shape);
                        tail
                    });
                }
            }
            Event::Frames {
                at,
                peer,
                data,
                spans,
                rows,
            } => {
                let n: u64 = spans.iter().map(|r| r.len() as u64).sum();
                let count = spans.len() as u64;
                if self.count_received(at, peer, n, count) {
                    self.log_received(peer, |log, lead_in, datagrams| {
                        log.push_frames(at, Some(peer), data, spans, rows, lead_in, datagrams)
                    });
                }
            }
            Event::Sent { at, peer, bytes } => {
                let n = bytes.len() as u64;
                self.counters.tx_bytes += n;
                self.counters.tx_packets += 1;
                if let Some(c) = self.clients.get_mut(&peer) {
                    c.tx_bytes += n;
                } else if let Some(p) = self.udp_peers.get_mut(&peer) {
                    p.tx_bytes += n;
                }
                self.log.push(at, Some(peer), Body::Tx(bytes));
                self.mark_unread();
            }
            Event::ReadShut { at, peer, then } => {
                if then != crate::net::FinThen::PassedOn {
                    if let Some(p) = self.clients.get_mut(&peer) {
                        p.fin = true;
                    }
                    self.peer_fin |= self.peer == Some(peer);
                }
                self.note(at, Some(peer), Note::ReadShut { peer, then });
            }
            Event::WriteShut { at, peer } => {
                self.note(at, Some(peer), Note::WriteShut { peer });
            }
            Event::Impaired {
                toward_target,
                counts,
            } => {
                self.impaired.side(toward_target).add(&counts);
            }
            Event::Held {
                at,
                peer,
                toward_target,
                bytes,
                after,
            } => {
                let note = Note::Held {
                    peer,
                    toward_target,
                    bytes,
                    after,
                };
                self.note(at, Some(peer), note);
            }
            Event::Dropped {
                at,
                peer,
                toward_target,
                bytes,
            } => {
                let note = Note::Dropped {
                    peer,
                    toward_target,
                    bytes,
                };
                self.note(at, Some(peer), note);
            }
            Event::Corrupted {
                at,
                peer,
                toward_target,
                flipped,
                total,
            } => {
                let note = Note::Corrupted {
                    peer,
                    toward_target,
                    flipped,
                    total,
                };
                self.note(at, Some(peer), note);
            }
            Event::PeerTx { peer, bytes } => {
                if let Some(p) = self.clients.get_mut(&peer) {
                    p.tx_bytes += bytes;
                } else if let Some(p) = self.udp_peers.get_mut(&peer) {
                    p.tx_bytes += bytes;
                }
            }
            Event::Health { peer, health } => {
                self.health.insert(peer, health);
            }
            Event::Disconnected { at, peer, reason } => {
                self.health.remove(&peer);
                self.clients.remove(&peer);
                self.tails.remove(&(peer, false));
                self.note(at, Some(peer), Note::Disconnected { peer, reason });
            }
            Event::JobProgress {
                id,
                items,
                bytes,
                total,
                stalled,
            } => {
                self.job_progress(id, items, bytes, total);
                if let Some(j) = self.jobs.iter_mut().find(|j| j.id == id) {
                    j.stalled = stalled;
                }
            }
            Event::JobEnded {
                id,
                at,
                items,
                bytes,
                elapsed,
                end,
            } => {
                self.job_progress(id, items, bytes, None);
                if let Some(pos) = self.jobs.iter().position(|j| j.id == id) {
                    let j = self.jobs.remove(pos);
                    let tally = crate::net::JobTally {
                        items,
                        bytes,
                        elapsed,
                    };
                    let result = JobResult {
                        tally,
                        end: end.clone(),
                    };
                    self.job_results.insert(j.slot, Ok(result));
                    let note = Note::JobEnded {
                        slot: j.slot,
                        what: j.what,
                        tally,
                        end,
                    };
                    self.note(at, None, note);
                }
            }
            Event::Replied { rule, .. } => {
                if self.reply_hits.len() <= rule {
                    self.reply_hits.resize(rule + 1, 0);
                }
                if let Some(hits) = self.reply_hits.get_mut(rule) {
                    *hits += 1;
                }
            }
            Event::CaptureEnded { at, written, error } => {
                let path = self.capturing.take().map(|(p, _)| p).unwrap_or_default();
                if let Some(e) = &error {
                    self.capture_error = Some(SendProblem::Net(e.clone()));
                }
                self.note(
                    at,
                    None,
                    Note::CaptureEnded {
                        path,
                        written,
                        error,
                    },
                );
            }
            Event::Framing { at, peer, note } => {
                self.note(at, Some(peer), Note::Framing { peer, note });
            }
            Event::Error { at, error } => {
                // Errors about sending also show by the send box; all go to the log.
                if error.is_about_sending() {
                    self.send_error = Some(SendProblem::Net(error.clone()));
                }
                self.note(at, None, Note::Error(error));
            }
            Event::Closed { at, error } => {
                if let Some(e) = &error {
                    self.session_error = Some(e.clone());
                }
                self.note(at, None, Note::Closed { error });
                self.end_session();
            }
        }
    }

    /// Applies up to `max` queued worker events, stopping early at
    /// `deadline`. Returns how many were applied and whether more wait.
    pub fn drain(&mut self, max: usize, deadline: Instant) -> (usize, bool) {
        let mut n = 0;
        while n < max {
            // A closed worker's queue first (its thread has ended, so once
            // empty it stays empty), then the running one's.
            let ev = match self.closing.as_ref().and_then(NetSession::try_event) {
                Some(ev) => Some(ev),
                None => {
                    self.closing = None;
                    self.net.as_ref().and_then(NetSession::try_event)
                }
            };
            let Some(ev) = ev else {
                return (n, false);
            };
            // A batch of frames can hold hundreds of records: the clock is
            // read after each, else every 64 small events.
            let batch = matches!(ev, Event::Frames { .. });
            self.apply(ev);
            n += 1;
            if (batch || n % 64 == 0) && Instant::now() >= deadline {
                break;
            }
        }
        let more = |s: &Option<NetSession>| s.as_ref().is_some_and(NetSession::has_events);
        (n, more(&self.closing) || more(&self.net))
    }
}
