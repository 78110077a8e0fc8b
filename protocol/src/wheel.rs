//! Wheel: a shared round every few seconds; players bet on a segment, the wheel stops on one of
//! [`SLOTS`] slots, and bets on that slot's segment win the segment's multiplier.
//!
//! Each segment's multiplier is 99% of (slots / slots of that segment), so every bet returns
//! 99% on average: 50 slots pay 1.98x, 33 slots 3.00x, 15 slots 6.60x, 2 slots 49.50x.

use crate::chain::{self, ChainHash};
use crate::fair::uniform_from_bytes;
use serde::{Deserialize, Serialize};

mod wire;

pub use wire::{BetCommand, Event, WheelBetView, WheelPhase, WheelRoundView, WheelSpin};

/// Slots around the wheel.
pub const SLOTS: u32 = 100;

/// The segments players bet on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// 50 slots, 1.98x.
    Grey,
    /// 33 slots, 3.00x.
    Blue,
    /// 15 slots, 6.60x.
    Green,
    /// 2 slots, 49.50x.
    Gold,
}

impl Segment {
    /// Every segment, in payout order.
    pub const ALL: [Segment; 4] = [Segment::Grey, Segment::Blue, Segment::Green, Segment::Gold];

    /// Slots this segment covers.
    pub fn slots(self) -> u32 {
        match self {
            Segment::Grey => 50,
            Segment::Blue => 33,
            Segment::Green => 15,
            Segment::Gold => 2,
        }
    }

    /// Payout multiplier in hundredths: 99 x slots-total / slots-of-segment.
    pub fn multiplier_x100(self) -> u64 {
        99 * SLOTS as u64 / self.slots() as u64
    }

    /// Lowercase name (`grey`, `blue`, `green`, `gold`), as stored and as sent on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Segment::Grey => "grey",
            Segment::Blue => "blue",
            Segment::Green => "green",
            Segment::Gold => "gold",
        }
    }

    /// Display label, e.g. `1.98x`.
    pub fn label(self) -> String {
        let m = self.multiplier_x100();
        format!("{}.{:02}x", m / 100, m % 100)
    }
}

/// The segment at each slot, spread evenly: each slot takes the segment furthest behind its
/// share so far (ties to the rarer segment), so equal segments are spaced around the wheel.
pub fn layout() -> [Segment; SLOTS as usize] {
    let mut slots = [Segment::Grey; SLOTS as usize];
    let mut placed = [0u32; 4];
    for (i, slot) in slots.iter_mut().enumerate() {
        let position = i as u32 + 1;
        // Deficit scaled by SLOTS to stay in integers: share * position - placed * SLOTS.
        let (index, _) = Segment::ALL
            .iter()
            .enumerate()
            .map(|(k, segment)| {
                (
                    k,
                    (segment.slots() * position) as i64 - (placed[k] * SLOTS) as i64,
                )
            })
            .rev()
            .max_by_key(|(_, deficit)| *deficit)
            .expect("four segments");
        placed[index] += 1;
        *slot = Segment::ALL[index];
    }
    slots
}

/// The slot a round stops on, from its chain hash and the public salt.
pub fn slot(salt: &str, hash: &ChainHash) -> u32 {
    uniform_from_bytes(&chain::outcome_bytes(salt, hash), SLOTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_returns_99_percent_exactly() {
        let total: u32 = Segment::ALL.iter().map(|s| s.slots()).sum();
        assert_eq!(total, SLOTS);
        for segment in Segment::ALL {
            assert_eq!(
                segment.multiplier_x100() * segment.slots() as u64,
                99 * SLOTS as u64
            );
        }
        assert_eq!(Segment::Gold.label(), "49.50x");
    }

    #[test]
    fn the_layout_has_each_segment_its_number_of_times() {
        let wheel = layout();
        for segment in Segment::ALL {
            assert_eq!(
                wheel.iter().filter(|s| **s == segment).count() as u32,
                segment.slots(),
                "{segment:?}"
            );
        }
    }

    #[test]
    fn slot_vectors_are_stable() {
        // Computed independently with Python's hashlib and hmac from the published rule.
        let (chain, _) = chain::build([1u8; 32], 4);
        let slots: Vec<u32> = chain.iter().map(|h| slot("zerolag", h)).collect();
        assert_eq!(slots, vec![83, 19, 39, 51]);
    }

    #[test]
    fn slots_are_uniform_over_many_rounds() {
        let (chain, _) = chain::build([9u8; 32], 100_000);
        let mut counts = [0u32; SLOTS as usize];
        for hash in &chain {
            counts[slot("wheel-salt", hash) as usize] += 1;
        }
        // 1,000 expected per slot, standard deviation about 31.5; +-200 is over 6 sigma.
        assert!(
            counts.iter().all(|c| (800..=1_200).contains(c)),
            "{counts:?}"
        );
    }
}
