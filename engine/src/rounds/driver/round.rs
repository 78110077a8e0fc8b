//! The live round the driver owns: its phase, its chain position and hashes, its timing and
//! its book of bets, and how it shows to everyone.

use super::RoundGame;
use crate::rounds::book;
use protocol::chain::ChainHash;
use protocol::ids::RoundId;
use protocol::wire::RoundView;
use tokio::time::Instant;

/// A round's phase, common to every round game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Taking bets.
    Betting,
    /// Betting closed; the game plays.
    Running,
    /// Settled and revealed.
    Ended,
}

/// The live round, owned by the driver's task.
pub struct Round<G: RoundGame> {
    /// Its id.
    pub id: RoundId,
    /// Position in its chain.
    pub number: i64,
    /// Its chain hash, revealed at the end.
    pub hash: ChainHash,
    /// The previous round's hash (public): this round's hash must hash to it.
    pub previous_hash: ChainHash,
    /// What the hash decided (crash point x100, wheel slot).
    pub outcome: u64,
    /// Phase.
    pub phase: Phase,
    /// When it opened for bets.
    pub opened_at: Instant,
    /// When betting closes.
    pub betting_ends: Instant,
    /// When play started.
    pub running_at: Option<Instant>,
    /// When the round ended.
    pub ended_at: Option<Instant>,
    /// Its bets.
    pub book: book::Book<G::Choice>,
}

impl<G: RoundGame> Round<G> {
    /// The round as everyone sees it, in the game's `phase` with what its `play` adds; its
    /// hash is shown once the round has ended.
    pub fn view<P, X>(&self, phase: P, play: X) -> RoundView<P, X> {
        RoundView {
            id: self.id,
            number: self.number,
            phase,
            betting_left_ms: self
                .betting_ends
                .saturating_duration_since(Instant::now())
                .as_millis() as u64,
            play,
            hash: (self.phase == Phase::Ended).then(|| hex::encode(self.hash)),
            previous_hash: hex::encode(self.previous_hash),
        }
    }
}
