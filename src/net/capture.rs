//! Capture to file, written by the worker as bytes arrive, so a flood or a
//! slow frame loses nothing: the raw stream exactly as received (one file
//! for the session, or one per peer), or the log as text lines.

use super::{Event, NetError, Op};
use crate::codec;
use encoding_rs::Encoding;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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

/// Buffer of each capture file.
const BUFFER: usize = 1 << 20;

/// A capture in progress.
pub(super) struct Capture {
    spec: CaptureSpec,
    /// The session's file (one file), or each peer's.
    one: Option<BufWriter<File>>,
    per_peer: HashMap<SocketAddr, BufWriter<File>>,
    written: u64,
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

fn create(path: &Path) -> Result<BufWriter<File>, NetError> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(BUFFER, f))
        .map_err(|e| NetError::from_io(&e, Op::WriteFile(path.display().to_string())))
}

impl Capture {
    /// Opens the session's file (per-peer files open with each peer's first bytes).
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
        Ok(Capture {
            spec,
            one,
            per_peer: HashMap::new(),
            written: 0,
        })
    }

    fn file(&mut self, peer: SocketAddr) -> Result<&mut BufWriter<File>, NetError> {
        if !self.spec.per_peer {
            return self.one.as_mut().ok_or_else(|| {
                NetError::from_io(
                    &std::io::Error::other("the capture file is closed"),
                    Op::WriteFile(self.spec.path.display().to_string()),
                )
            });
        }
        if !self.per_peer.contains_key(&peer) {
            let f = create(&peer_path(&self.spec.path, peer))?;
            self.per_peer.insert(peer, f);
        }
        self.per_peer.get_mut(&peer).ok_or_else(|| {
            NetError::from_io(
                &std::io::Error::other("the capture file is closed"),
                Op::WriteFile(self.spec.path.display().to_string()),
            )
        })
    }

    fn write(&mut self, peer: SocketAddr, bytes: &[u8]) -> Result<(), NetError> {
        let path = if self.spec.per_peer {
            peer_path(&self.spec.path, peer)
        } else {
            self.spec.path.clone()
        };
        self.file(peer)?
            .write_all(bytes)
            .map_err(|e| NetError::from_io(&e, Op::WriteFile(path.display().to_string())))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Bytes read from a peer, before any framing.
    pub(super) fn raw(&mut self, peer: SocketAddr, bytes: &[u8]) -> Result<(), NetError> {
        if self.spec.text.is_some() {
            return Ok(());
        }
        self.write(peer, bytes)
    }

    /// An event, as a text line (text captures only).
    pub(super) fn event(&mut self, ev: &Event) -> Result<(), NetError> {
        let Some(enc) = self.spec.text else {
            return Ok(());
        };
        let (dir, at, peer, bytes) = match ev {
            Event::Received {
                at, peer, bytes, ..
            } => ("RX", at, peer, bytes),
            Event::Sent { at, peer, bytes } => ("TX", at, peer, bytes),
            _ => return Ok(()),
        };
        let text = codec::decode_for_display(bytes, enc)
            .replace('\n', "\\n")
            .replace('\t', "\\t");
        let line = format!("{} {dir} {peer} {text}\n", time_text(*at));
        self.write(*peer, line.as_bytes())
    }

    /// Flushes and closes every file; returns the bytes written.
    pub(super) fn finish(mut self) -> Result<u64, NetError> {
        let path = self.spec.path.display().to_string();
        let mut files: Vec<BufWriter<File>> = self.one.take().into_iter().collect();
        files.extend(self.per_peer.drain().map(|(_, f)| f));
        for mut f in files {
            f.flush()
                .map_err(|e| NetError::from_io(&e, Op::WriteFile(path.clone())))?;
        }
        Ok(self.written)
    }

    pub(super) fn written(&self) -> u64 {
        self.written
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
