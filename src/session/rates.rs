//! RX and TX rates of a session over the last minutes, sampled from its
//! counters once a second (for the rate chart).

use super::Counters;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One second's rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSample {
    /// Seconds since the history began.
    pub t: f64,
    pub rx_bytes: f64,
    pub tx_bytes: f64,
    pub rx_packets: f64,
    pub tx_packets: f64,
}

/// How long the chart looks back.
pub const HISTORY: Duration = Duration::from_secs(600);
const EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct RateHistory {
    start: Instant,
    last: Option<(Instant, Counters)>,
    samples: VecDeque<RateSample>,
}

impl Default for RateHistory {
    fn default() -> Self {
        RateHistory {
            start: Instant::now(),
            last: None,
            samples: VecDeque::new(),
        }
    }
}

impl RateHistory {
    /// Adds a sample when a second has passed since the last one.
    pub fn sample(&mut self, now: Instant, c: Counters) {
        let Some((then, before)) = self.last else {
            self.last = Some((now, c));
            return;
        };
        let dt = now.duration_since(then);
        if dt < EVERY {
            return;
        }
        let secs = dt.as_secs_f64();
        // A counter reset reads as nothing moved, not as a negative rate.
        let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / secs;
        self.samples.push_back(RateSample {
            t: now.duration_since(self.start).as_secs_f64(),
            rx_bytes: per(c.rx_bytes, before.rx_bytes),
            tx_bytes: per(c.tx_bytes, before.tx_bytes),
            rx_packets: per(c.rx_packets, before.rx_packets),
            tx_packets: per(c.tx_packets, before.tx_packets),
        });
        self.last = Some((now, c));
        let keep = HISTORY.as_secs_f64();
        while self
            .samples
            .front()
            .is_some_and(|s| self.samples.back().is_some_and(|b| b.t - s.t > keep))
        {
            self.samples.pop_front();
        }
    }

    pub fn samples(&self) -> &VecDeque<RateSample> {
        &self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_second_and_history_is_bounded() {
        let mut h = RateHistory::default();
        let t0 = Instant::now();
        let mut c = Counters::default();
        h.sample(t0, c);
        c.rx_bytes = 2000;
        c.rx_packets = 4;
        h.sample(t0 + Duration::from_millis(500), c);
        assert!(h.samples().is_empty(), "less than a second");
        h.sample(t0 + Duration::from_secs(2), c);
        let s = h.samples()[0];
        assert_eq!((s.rx_bytes, s.rx_packets, s.tx_bytes), (1000.0, 2.0, 0.0));
        // A reset does not go negative.
        h.sample(t0 + Duration::from_secs(3), Counters::default());
        assert_eq!(h.samples()[1].rx_bytes, 0.0);
        for i in 4..2000 {
            h.sample(t0 + Duration::from_secs(i), Counters::default());
        }
        assert!(h.samples().len() <= 602, "{}", h.samples().len());
    }
}
