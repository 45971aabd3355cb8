//! A TCP server's clients and a UDP session's peers, in arrival order.

use std::collections::HashMap;
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
            removed: false,
        }
    }
}

/// Peers in arrival order with lookup by address; removal is batched per frame.
#[derive(Default)]
pub struct PeerList {
    items: Vec<PeerInfo>,
    index: HashMap<SocketAddr, usize>,
    dirty: bool,
}

/// A UDP peer list is capped so a spoofed flood cannot grow it without end.
pub const MAX_UDP_PEERS: usize = 65_536;

impl PeerList {
    /// The row of `addr`, made (or made fresh, for an address seen again
    /// after its row was removed) when needed.
    pub fn add(&mut self, addr: SocketAddr, since: SystemTime) -> Option<&mut PeerInfo> {
        let known = self.index.get(&addr).copied();
        let i = match known.filter(|&i| i < self.items.len()) {
            Some(i) => i,
            None => {
                self.index.insert(addr, self.items.len());
                self.items.push(PeerInfo::new(addr, since));
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
        let i = *self.index.get(addr)?;
        self.items.get_mut(i).filter(|p| !p.removed)
    }

    pub fn remove(&mut self, addr: &SocketAddr) {
        if let Some(p) = self.index.get(addr).and_then(|&i| self.items.get_mut(i)) {
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
        self.index = self
            .items
            .iter()
            .enumerate()
            .map(|(i, p)| (p.addr, i))
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

    pub fn items(&self) -> &[PeerInfo] {
        &self.items
    }

    pub fn items_mut(&mut self) -> &mut [PeerInfo] {
        &mut self.items
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

    /// Drops the oldest tenth of the list at once, so a flood of new
    /// addresses costs one compaction per thousands of peers, not per datagram.
    pub fn drop_oldest(&mut self) {
        let n = (self.items.len() / 10).max(1);
        for p in self.items.iter_mut().take(n) {
            p.removed = true;
        }
        self.dirty = true;
        self.compact();
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
        assert_eq!(list.items()[0].addr.port(), 10);
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
