//! Capture to file, written by the worker as bytes arrive, so a flood or a
//! slow frame loses nothing: the raw stream exactly as received (one file
//! for the session, or one per peer), or the log as text lines.

use super::{Event, NetError, Op};
use crate::codec;
use crossbeam_channel::{Receiver, Sender};
use encoding_rs::Encoding;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::SystemTime;

/// What to capture, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSpec {
    pub path: PathBuf,
    /// One file per peer: `NAME-IP_PORT.EXT` beside `path`.
    pub per_peer: bool,
    /// Text lines (time, direction, peer, payload in this encoding)
    /// instead of the raw received bytes.
    pub text: Option<&'static Encoding>,
}

/// Buffer of each capture file; larger pieces are written straight through.
const BUFFER: usize = 64 << 10;
/// Bytes gathered on the worker before they go to the writer thread in one
/// piece (a flood of small datagrams costs one hand-over per this much).
const PIECE: usize = 256 << 10;
/// Pieces queued for the writer thread; when it falls this far behind (a
/// slow disk), the worker waits for it, and TCP holds the peer back:
/// nothing is lost, and memory stays bounded (about 16 MiB).
const QUEUE: usize = 64;

/// The peer of every piece when all go to one file.
const ANY_PEER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

/// Bytes for one file: the session's, or a peer's.
struct Piece {
    peer: SocketAddr,
    bytes: Vec<u8>,
}

/// A capture in progress. The worker gathers the bytes; a thread of the
/// capture's own writes them, so file writes run beside the socket reads.
pub(super) struct Capture {
    text: Option<&'static Encoding>,
    per_peer: bool,
    /// Bytes gathered for `pending_peer`, not yet handed to the writer.
    pending: Vec<u8>,
    pending_peer: Option<SocketAddr>,
    to_writer: Option<Sender<Piece>>,
    /// Emptied buffers back from the writer, to gather into again (fresh
    /// memory for every piece costs page faults).
    spares: Receiver<Vec<u8>>,
    writer: Option<JoinHandle<(u64, Option<NetError>)>>,
}

/// `dir/name-127.0.0.1_5000.bin` for `dir/name.bin`.
pub fn peer_path(path: &Path, peer: SocketAddr) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "capture".into());
    let ip = peer.ip().to_string().replace(':', "-");
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{ip}_{}.{}", peer.port(), ext.to_string_lossy()),
        None => format!("{stem}-{ip}_{}", peer.port()),
    };
    path.with_file_name(name)
}

fn write_error(e: &std::io::Error, path: &Path) -> NetError {
    NetError::from_io(e, Op::WriteFile(path.display().to_string()))
}

fn create(path: &Path) -> Result<BufWriter<File>, NetError> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(BUFFER, f))
        .map_err(|e| write_error(&e, path))
}

impl Capture {
    /// Opens the session's file (per-peer files open with each peer's
    /// first bytes) and starts the writer.
    pub(super) fn start(spec: CaptureSpec) -> Result<Capture, NetError> {
        let one = if spec.per_peer {
            // Fail now, not at the first byte, if the folder is not writable.
            let probe = spec.path.with_file_name(".netpal-capture-probe");
            create(&probe)?;
            let _ = std::fs::remove_file(&probe);
            None
        } else {
            Some(create(&spec.path)?)
        };
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let (spare_tx, spares) = crossbeam_channel::bounded(QUEUE + 2);
        let (text, per_peer) = (spec.text, spec.per_peer);
        let writer = std::thread::Builder::new()
            .name("netpal-capture".into())
            .spawn(move || Writer::new(spec, one).run(rx, spare_tx))
            .map_err(|e| NetError::from_io(&e, Op::Start))?;
        Ok(Capture {
            text,
            per_peer,
            pending: Vec::new(),
            pending_peer: None,
            to_writer: Some(tx),
            spares,
            writer: Some(writer),
        })
    }

    /// Gathers `bytes` for `peer`'s file. False when the writer has
    /// stopped (a write failed): [`Capture::finish`] says why.
    fn gather(&mut self, peer: SocketAddr, bytes: &[u8]) -> bool {
        // One file for all: the peer does not matter.
        let peer = if self.per_peer { peer } else { ANY_PEER };
        if self.pending_peer != Some(peer) && !self.hand_over() {
            return false;
        }
        self.pending_peer = Some(peer);
        self.pending.extend_from_slice(bytes);
        self.pending.len() < PIECE || self.hand_over()
    }

    /// Hands what is gathered to the writer (waiting while its queue is
    /// full). False when the writer has stopped.
    pub(super) fn hand_over(&mut self) -> bool {
        let Some(peer) = self.pending_peer else {
            return true;
        };
        if self.pending.is_empty() {
            return true;
        }
        let Some(tx) = &self.to_writer else {
            return false;
        };
        let next = self
            .spares
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(PIECE));
        let bytes = std::mem::replace(&mut self.pending, next);
        tx.send(Piece { peer, bytes }).is_ok()
    }

    /// Bytes read from a peer, before any framing. False when the capture
    /// has stopped.
    pub(super) fn raw(&mut self, peer: SocketAddr, bytes: &[u8]) -> bool {
        if self.text.is_some() {
            return true;
        }
        self.gather(peer, bytes)
    }

    /// An event, as a text line (text captures only). False when the
    /// capture has stopped.
    pub(super) fn event(&mut self, ev: &Event) -> bool {
        match ev {
            Event::Target(inner) => self.event_side(inner, "-TARGET"),
            ev => self.event_side(ev, ""),
        }
    }

    /// A text line per record; `side` follows the direction (a relay's
    /// target side, as headless mode prints it).
    fn event_side(&mut self, ev: &Event, side: &str) -> bool {
        let Some(enc) = self.text else {
            return true;
        };
        let (dir, at, peer, records) = match ev {
            Event::Received { at, peer, .. } | Event::Frames { at, peer, .. } => {
                ("RX", at, peer, ev.records())
            }
            Event::Sent { at, peer, bytes } => ("TX", at, peer, vec![&bytes[..]]),
            _ => return true,
        };
        let time = time_text(*at);
        let mut lines = String::new();
        for bytes in records {
            let text = codec::decode_for_display(bytes, enc)
                .replace('\n', "\\n")
                .replace('\t', "\\t");
            let peer = super::peer_text(peer);
            lines.push_str(&format!("{time} {dir}{side} {peer} {text}\n"));
        }
        self.gather(*peer, lines.as_bytes())
    }

    /// Hands on the rest, lets the writer flush and close every file, and
    /// returns the bytes in the file(s) and the error that stopped the
    /// writer, if one did.
    pub(super) fn finish(mut self) -> (u64, Option<NetError>) {
        self.hand_over();
        // Closing the queue tells the writer to finish.
        self.to_writer = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) | None => (
                0,
                Some(NetError::from_io(
                    &std::io::Error::other("the capture writer failed"),
                    Op::Start,
                )),
            ),
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.to_writer = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// The capture's thread: writes each piece to its file.
struct Writer {
    spec: CaptureSpec,
    one: Option<BufWriter<File>>,
    per_peer: HashMap<SocketAddr, BufWriter<File>>,
    written: u64,
}

impl Writer {
    fn new(spec: CaptureSpec, one: Option<BufWriter<File>>) -> Writer {
        Writer {
            spec,
            one,
            per_peer: HashMap::new(),
            written: 0,
        }
    }

    /// Writes until the queue closes or a write fails; returns the bytes
    /// written and the failure. On failure the queue is dropped, which the
    /// worker sees at its next hand-over.
    fn run(mut self, rx: Receiver<Piece>, spares: Sender<Vec<u8>>) -> (u64, Option<NetError>) {
        for piece in rx.iter() {
            match self.write(&piece) {
                Ok(()) => {
                    let mut bytes = piece.bytes;
                    bytes.clear();
                    // Full: the worker has enough; this one is freed.
                    let _ = spares.try_send(bytes);
                }
                Err(e) => return (self.written, Some(e)),
            }
        }
        let error = self.close().err();
        (self.written, error)
    }

    fn write(&mut self, piece: &Piece) -> Result<(), NetError> {
        let path = if self.spec.per_peer {
            peer_path(&self.spec.path, piece.peer)
        } else {
            self.spec.path.clone()
        };
        let file = if self.spec.per_peer {
            match self.per_peer.entry(piece.peer) {
                Entry::Occupied(f) => f.into_mut(),
                Entry::Vacant(v) => v.insert(create(&path)?),
            }
        } else {
            match self.one.as_mut() {
                Some(f) => f,
                None => {
                    let e = std::io::Error::other("the capture file is closed");
                    return Err(write_error(&e, &path));
                }
            }
        };
        file.write_all(&piece.bytes)
            .map_err(|e| write_error(&e, &path))?;
        self.written += piece.bytes.len() as u64;
        Ok(())
    }

    /// Flushes and closes every file.
    fn close(&mut self) -> Result<(), NetError> {
        let path = self.spec.path.clone();
        let mut files: Vec<BufWriter<File>> = self.one.take().into_iter().collect();
        files.extend(self.per_peer.drain().map(|(_, f)| f));
        for mut f in files {
            f.flush().map_err(|e| write_error(&e, &path))?;
        }
        Ok(())
    }
}

fn time_text(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Local> = t.into();
    dt.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_files_sit_beside_the_chosen_name() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(
            peer_path(Path::new("/tmp/cap.bin"), peer),
            PathBuf::from("/tmp/cap-127.0.0.1_5000.bin")
        );
        let v6: SocketAddr = "[::1]:7".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(
            peer_path(Path::new("/tmp/cap"), v6),
            PathBuf::from("/tmp/cap---1_7")
        );
    }
}
