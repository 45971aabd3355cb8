//! A TCP server's clients and a UDP session's peers, in arrival order.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::SystemTime;

/// A TCP server's client, or a UDP peer seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub addr: SocketAddr,
    pub since: SystemTime,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub selected: bool,
    /// The peer closed its side (FIN received); the connection is open
    /// for sending.
    pub fin: bool,
    removed: bool,
}

impl PeerInfo {
    fn new(addr: SocketAddr, since: SystemTime) -> Self {
        PeerInfo {
            addr,
            since,
            rx_bytes: 0,
            tx_bytes: 0,
            selected: false,
            fin: false,
            removed: false,
        }
    }
}

/// Peers in arrival order with lookup by address; removal is batched per frame.
///
/// Each row has a number that grows with arrival; the index maps an
/// address to it, so dropping the oldest rows touches only those rows.
#[derive(Default)]
pub struct PeerList {
    items: VecDeque<PeerInfo>,
    index: HashMap<SocketAddr, u64>,
    /// The number of the first row.
    base: u64,
    dirty: bool,
}

/// A UDP peer list is capped so a spoofed flood cannot grow it without end.
pub const MAX_UDP_PEERS: usize = 65_536;

impl PeerList {
    fn position(&self, addr: &SocketAddr) -> Option<usize> {
        let n = self.index.get(addr)?.checked_sub(self.base)?;
        usize::try_from(n).ok().filter(|&i| i < self.items.len())
    }

    /// The row of `addr`, made (or made fresh, for an address seen again
    /// after its row was removed) when needed.
    pub fn add(&mut self, addr: SocketAddr, since: SystemTime) -> Option<&mut PeerInfo> {
        let i = match self.position(&addr) {
            Some(i) => i,
            None => {
                self.index.insert(addr, self.base + self.items.len() as u64);
                self.items.push_back(PeerInfo::new(addr, since));
                self.items.len() - 1
            }
        };
        let p = self.items.get_mut(i)?;
        if p.removed {
            // The same address again is a new connection: a fresh row.
            *p = PeerInfo::new(addr, since);
        }
        Some(p)
    }

    pub fn get_mut(&mut self, addr: &SocketAddr) -> Option<&mut PeerInfo> {
        let i = self.position(addr)?;
        self.items.get_mut(i).filter(|p| !p.removed)
    }

    pub fn remove(&mut self, addr: &SocketAddr) {
        if let Some(i) = self.position(addr)
            && let Some(p) = self.items.get_mut(i)
        {
            p.removed = true;
            self.dirty = true;
        }
    }

    /// Applies removals (once per frame, so thousands of disconnects stay cheap).
    pub fn compact(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        self.items.retain(|p| !p.removed);
        let base = self.base;
        self.index = self
            .items
            .iter()
            .enumerate()
            .map(|(i, p)| (p.addr, base + i as u64))
            .collect();
    }

    pub fn clear(&mut self) {
        self.items.clear();
        self.index.clear();
        self.dirty = false;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The rows, oldest first.
    pub fn items(&self) -> impl DoubleEndedIterator<Item = &PeerInfo> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn items_mut(&mut self) -> impl Iterator<Item = &mut PeerInfo> {
        self.items.iter_mut()
    }

    /// The rows in `range` (those a scrolled list shows), clipped to the list.
    pub fn rows(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = &PeerInfo> {
        self.items.iter().skip(range.start).take(range.len())
    }

    pub fn rows_mut(
        &mut self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = &mut PeerInfo> {
        self.items.iter_mut().skip(range.start).take(range.len())
    }

    /// How many rows are selected (each frame, without building a list).
    pub fn selected_count(&self) -> usize {
        self.items
            .iter()
            .filter(|p| p.selected && !p.removed)
            .count()
    }

    pub fn selected(&self) -> Vec<SocketAddr> {
        self.items
            .iter()
            .filter(|p| p.selected && !p.removed)
            .map(|p| p.addr)
            .collect()
    }

    /// Drops the oldest tenth of the list at once. Only those rows and
    /// their index entries are touched, so a flood of new addresses stays
    /// cheap however long the list.
    pub fn drop_oldest(&mut self) {
        self.compact();
        let n = (self.items.len() / 10).max(1);
        for p in self.items.drain(..n.min(self.items.len())) {
            self.index.remove(&p.addr);
        }
        self.base += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_from_the_same_address_is_a_fresh_row() {
        let mut list = PeerList::default();
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let p = list.add(a, SystemTime::now()).unwrap();
        p.selected = true;
        p.rx_bytes = 10;
        list.remove(&a);
        // Back before the removal was compacted.
        let p = list.add(a, SystemTime::now()).unwrap();
        assert!(!p.selected);
        assert_eq!(p.rx_bytes, 0);
        list.compact();
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn a_full_udp_peer_list_drops_its_oldest_tenth() {
        let mut list = PeerList::default();
        for port in 0..100u16 {
            list.add(SocketAddr::from(([127, 0, 0, 1], port)), SystemTime::now());
        }
        list.drop_oldest();
        assert_eq!(list.len(), 90);
        assert_eq!(list.items().next().map(|p| p.addr.port()), Some(10));
        // Rows added after the drop are found, and so are the older ones kept.
        let late = SocketAddr::from(([127, 0, 0, 1], 1000));
        list.add(late, SystemTime::now());
        assert_eq!(list.len(), 91);
        assert!(list.get_mut(&late).is_some());
        list.remove(&SocketAddr::from(([127, 0, 0, 1], 50)));
        list.compact();
        assert_eq!(list.len(), 90);
        assert!(list.get_mut(&late).is_some());
        assert!(
            list.get_mut(&SocketAddr::from(([127, 0, 0, 1], 51)))
                .is_some()
        );
        assert!(
            list.get_mut(&SocketAddr::from(([127, 0, 0, 1], 99)))
                .is_some()
        );
        assert!(
            list.get_mut(&SocketAddr::from(([127, 0, 0, 1], 5)))
                .is_none()
        );
    }
}
