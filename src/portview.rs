//! The Ports pane's state, below the UI: the latest reading of the
//! machine's sockets from a [`PortWatch`], what appeared lately (shown
//! highlighted) and what went (kept greyed for a while, as TCPView does),
//! the filter and the sort. The rows shown are worked out when one of those
//! changes, not every frame.

use crate::net::ports::{EphemeralRange, PortSnapshot, PortSocket, PortWatch, ephemeral_range};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a new socket stays highlighted, and a gone one greyed.
pub const LINGER: Duration = Duration::from_secs(3);

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Proto,
    Local,
    Remote,
    State,
    Pid,
    Process,
}

/// One row: a socket, since when it is known, and since when it is gone.
#[derive(Debug, Clone)]
pub struct PortRow {
    pub sock: PortSocket,
    /// When it appeared (after the first reading; None: there from the
    /// start).
    pub appeared: Option<Instant>,
    pub gone: Option<Instant>,
}

impl PortRow {
    /// Whether it appeared lately (within [`LINGER`]).
    pub fn is_new(&self, now: Instant) -> bool {
        self.gone.is_none()
            && self
                .appeared
                .is_some_and(|t| now.duration_since(t) < LINGER)
    }
}

pub struct PortsView {
    watch: Option<PortWatch>,
    rows: Vec<PortRow>,
    /// Indices into `rows` of those shown, filtered and sorted.
    shown: Vec<usize>,
    filter: String,
    sort: SortBy,
    ascending: bool,
    pub range: Option<EphemeralRange>,
    /// What the last reading could not read.
    pub error: Option<String>,
    /// How long the last reading took.
    pub took: Option<Duration>,
    readings: u64,
    /// Set when the rows shown must be worked out again.
    dirty: bool,
}

impl PortsView {
    /// Starts watching (the first reading comes at once); `wake` repaints.
    pub fn open(wake: Arc<dyn Fn() + Send + Sync>) -> PortsView {
        match PortWatch::start(wake) {
            Ok(w) => PortsView::with(Some(w), None),
            Err(e) => PortsView::with(None, Some(e.to_string())),
        }
    }

    /// A view of readings given by hand (tests, benchmarks): no watcher.
    pub fn detached() -> PortsView {
        PortsView::with(None, None)
    }

    fn with(watch: Option<PortWatch>, error: Option<String>) -> PortsView {
        PortsView {
            watch,
            rows: Vec::new(),
            shown: Vec::new(),
            filter: String::new(),
            sort: SortBy::Local,
            ascending: true,
            range: ephemeral_range(),
            error,
            took: None,
            readings: 0,
            dirty: false,
        }
    }

    /// Whether the pane is on screen: the watcher reads only while it is.
    pub fn set_shown(&self, shown: bool) {
        if let Some(w) = &self.watch {
            w.set_shown(shown);
        }
    }

    /// Takes the newest reading, if one came, and lets go of rows gone
    /// longer than [`LINGER`]. Returns when the view changes next by
    /// itself (a highlight ends, a gone row leaves), for a repaint then.
    pub fn poll(&mut self, now: Instant) -> Option<Instant> {
        if let Some(snap) = self.watch.as_ref().and_then(|w| w.latest()) {
            self.apply(snap, now);
        }
        let before = self.rows.len();
        self.rows
            .retain(|r| r.gone.is_none_or(|t| now.duration_since(t) < LINGER));
        if self.rows.len() != before {
            self.dirty = true;
        }
        if self.dirty {
            self.refresh();
        }
        self.rows
            .iter()
            .filter_map(|r| r.gone.or(r.appeared))
            .map(|t| t + LINGER)
            .filter(|t| *t > now)
            .min()
    }

    /// Takes a reading: rows not in it are marked gone, new ones appeared.
    pub fn apply(&mut self, snap: PortSnapshot, now: Instant) {
        self.took = Some(snap.took);
        self.error = snap.error;
        let first = self.readings == 0;
        self.readings += 1;
        let mut fresh: HashMap<_, PortSocket> =
            snap.sockets.into_iter().map(|s| (s.key(), s)).collect();
        for r in &mut self.rows {
            match fresh.remove(&r.sock.key()) {
                Some(s) => {
                    // Back again (a port reused at once): new again.
                    if r.gone.take().is_some() {
                        r.appeared = Some(now);
                    }
                    r.sock = s;
                }
                None => {
                    if r.gone.is_none() {
                        r.gone = Some(now);
                    }
                }
            }
        }
        self.rows.extend(fresh.into_values().map(|sock| PortRow {
            sock,
            appeared: (!first).then_some(now),
            gone: None,
        }));
        self.dirty = true;
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, f: String) {
        if f != self.filter {
            self.filter = f;
            self.refresh();
        }
    }

    pub fn sort(&self) -> (SortBy, bool) {
        (self.sort, self.ascending)
    }

    /// Sorts by `by`; the same column again turns the order round.
    pub fn sort_by(&mut self, by: SortBy) {
        if self.sort == by {
            self.ascending = !self.ascending;
        } else {
            self.sort = by;
            self.ascending = true;
        }
        self.refresh();
    }

    /// Every socket now known (gone ones included while they linger).
    pub fn rows(&self) -> &[PortRow] {
        &self.rows
    }

    /// The rows shown, in order.
    pub fn shown(&self) -> impl Iterator<Item = &PortRow> {
        self.shown.iter().filter_map(|i| self.rows.get(*i))
    }

    /// The `i`-th row shown.
    pub fn shown_row(&self, i: usize) -> Option<&PortRow> {
        self.shown.get(i).and_then(|r| self.rows.get(*r))
    }

    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// Sockets there now (gone ones not counted).
    pub fn live(&self) -> usize {
        self.rows.iter().filter(|r| r.gone.is_none()).count()
    }

    /// Whether a reading has come yet.
    pub fn has_read(&self) -> bool {
        self.readings > 0
    }

    fn refresh(&mut self) {
        self.dirty = false;
        let f = self.filter.clone();
        let mut idx: Vec<usize> = (0..self.rows.len())
            .filter(|i| self.rows.get(*i).is_some_and(|r| r.sock.matches(&f)))
            .collect();
        let rows = &self.rows;
        let by = self.sort;
        idx.sort_by(|a, b| match (rows.get(*a), rows.get(*b)) {
            (Some(a), Some(b)) => compare(&a.sock, &b.sock, by),
            _ => Ordering::Equal,
        });
        if !self.ascending {
            idx.reverse();
        }
        self.shown = idx;
    }
}

fn first_pid(s: &PortSocket) -> u32 {
    s.holders.first().map_or(0, |h| h.pid)
}

fn first_name(s: &PortSocket) -> String {
    s.holders
        .first()
        .and_then(|h| h.name.clone())
        .unwrap_or_default()
        .to_lowercase()
}

/// The order of two sockets by a column (ties broken by protocol and the
/// local address, so the order is stable from one reading to the next).
fn compare(a: &PortSocket, b: &PortSocket, by: SortBy) -> Ordering {
    let local = |s: &PortSocket| (s.local.port(), s.local.ip(), s.proto, s.remote);
    let primary = match by {
        SortBy::Proto => a.proto.cmp(&b.proto),
        SortBy::Local => Ordering::Equal,
        SortBy::Remote => {
            (a.remote.map(|r| (r.port(), r.ip()))).cmp(&b.remote.map(|r| (r.port(), r.ip())))
        }
        SortBy::State => a.state.cmp(&b.state),
        SortBy::Pid => first_pid(a).cmp(&first_pid(b)),
        SortBy::Process => first_name(a).cmp(&first_name(b)),
    };
    primary.then_with(|| local(a).cmp(&local(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::ports::{Holder, PortProto};
    use std::time::SystemTime;

    fn sock(port: u16, pid: u32, name: &str) -> PortSocket {
        PortSocket {
            proto: PortProto::Tcp,
            local: format!("127.0.0.1:{port}").parse().unwrap(),
            remote: None,
            state: Some("LISTEN"),
            holders: vec![Holder {
                pid,
                name: Some(name.into()),
            }],
            uid: None,
        }
    }

    fn snap(sockets: Vec<PortSocket>) -> PortSnapshot {
        PortSnapshot {
            at: SystemTime::now(),
            sockets,
            took: Duration::from_millis(1),
            error: None,
        }
    }

    #[test]
    fn new_sockets_light_up_gone_ones_linger_then_leave() {
        let t0 = Instant::now();
        let mut v = PortsView::detached();
        v.apply(snap(vec![sock(80, 1, "a"), sock(443, 2, "b")]), t0);
        v.poll(t0);
        assert!(
            v.shown().all(|r| !r.is_new(t0)),
            "the first reading is not news"
        );
        let t1 = t0 + Duration::from_secs(1);
        v.apply(snap(vec![sock(80, 1, "a"), sock(8080, 3, "c")]), t1);
        let next = v.poll(t1);
        assert_eq!(next, Some(t1 + LINGER));
        let ports: Vec<(u16, bool, bool)> = v
            .shown()
            .map(|r| (r.sock.local.port(), r.is_new(t1), r.gone.is_some()))
            .collect();
        assert_eq!(
            ports,
            vec![(80, false, false), (443, false, true), (8080, true, false)]
        );
        assert_eq!(v.live(), 2);
        // After the linger: the gone one leaves, the new one is plain.
        let t2 = t1 + LINGER;
        v.poll(t2);
        let ports: Vec<(u16, bool)> = v
            .shown()
            .map(|r| (r.sock.local.port(), r.is_new(t2)))
            .collect();
        assert_eq!(ports, vec![(80, false), (8080, false)]);
    }

    #[test]
    fn the_filter_and_the_sort_order_the_rows() {
        let t0 = Instant::now();
        let mut v = PortsView::detached();
        v.apply(
            snap(vec![
                sock(80, 9, "nginx"),
                sock(22, 5, "sshd"),
                sock(8080, 7, "python3"),
            ]),
            t0,
        );
        v.poll(t0);
        let order = |v: &PortsView| v.shown().map(|r| r.sock.local.port()).collect::<Vec<_>>();
        assert_eq!(order(&v), vec![22, 80, 8080]);
        v.sort_by(SortBy::Pid);
        assert_eq!(order(&v), vec![22, 8080, 80]);
        v.sort_by(SortBy::Pid);
        assert_eq!(order(&v), vec![80, 8080, 22], "the same column turns round");
        v.sort_by(SortBy::Process);
        assert_eq!(order(&v), vec![80, 8080, 22]);
        v.set_filter("python".into());
        assert_eq!(order(&v), vec![8080]);
        v.set_filter("22".into());
        assert_eq!(order(&v), vec![22]);
    }
}
