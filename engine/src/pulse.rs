//! This node's pulse for the operator console: bets acknowledged and how long commands took
//! to answer, over the last second. The gateway records every answered command; the
//! dashboard takes the window once a second ([`Pulse::take`]), which starts the next.

use hdrhistogram::Histogram;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Slowest answer the window tells apart (60 s, in µs); slower ones count as this.
const PULSE_ACK_US_MAX: u64 = 60_000_000;

/// The current window's figures. Cheap to clone (shared).
#[derive(Clone)]
pub struct Pulse {
    window: Arc<Mutex<Window>>,
}

struct Window {
    acks: Histogram<u64>,
    bets: u64,
}

/// One window's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Beat {
    /// Bets acknowledged.
    pub bets: u64,
    /// Median answer time (µs).
    pub ack_p50_us: u64,
    /// 99th percentile answer time (µs).
    pub ack_p99_us: u64,
}

impl Default for Pulse {
    fn default() -> Pulse {
        let acks = Histogram::new_with_bounds(1, PULSE_ACK_US_MAX, 2).expect("valid bounds");
        Pulse {
            window: Arc::new(Mutex::new(Window { acks, bets: 0 })),
        }
    }
}

impl Pulse {
    /// Records a command answered after `took`; `bet` when it was an acknowledged bet.
    pub fn record(&self, took: Duration, bet: bool) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let mut window = self.window.lock().expect("pulse lock");
        window.acks.saturating_record(micros.max(1));
        window.bets += u64::from(bet);
    }

    /// The figures since the last call, and a new window.
    pub fn take(&self) -> Beat {
        let mut window = self.window.lock().expect("pulse lock");
        let beat = Beat {
            bets: window.bets,
            ack_p50_us: window.acks.value_at_quantile(0.5),
            ack_p99_us: window.acks.value_at_quantile(0.99),
        };
        window.acks.reset();
        window.bets = 0;
        beat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_bets_and_answer_times_then_starts_over() {
        let pulse = Pulse::default();
        for ms in 1..=100 {
            pulse.record(Duration::from_millis(ms), ms % 2 == 0);
        }
        let beat = pulse.take();
        assert_eq!(beat.bets, 50);
        assert!((49_000..=51_000).contains(&beat.ack_p50_us), "{beat:?}");
        assert!((98_000..=100_000).contains(&beat.ack_p99_us), "{beat:?}");
        assert_eq!(pulse.take(), Beat::default());
    }
}
