//! What the risk engine is told ([`Signal`]) and what tells it ([`Observer`]): the server
//! (bets, sign-ins, refusals), the ledger writer (settled bets) and the round drivers (round
//! bets and cash-outs by hand).

use protocol::PlayerId;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Something a player did that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A bet command arrived (any game), staking `amount` cents.
    Bet {
        /// Who.
        player: PlayerId,
        /// Its stake in cents.
        amount: i64,
        /// When it arrived (Unix ms).
        at_ms: i64,
    },
    /// A player signed in (registered, or logged in) from `ip`, in the browser that carries
    /// the device cookie `device` (none for clients without cookies).
    SignedIn {
        /// Who.
        player: PlayerId,
        /// The address it came from.
        ip: IpAddr,
        /// The browser's device cookie.
        device: Option<String>,
        /// Whether the account was registered by this sign-in.
        new_account: bool,
        /// When (Unix ms).
        at_ms: i64,
    },
    /// A bet of a shared round was held (by the node driving the round, whichever node the
    /// player is connected to).
    RoundBet {
        /// Whose.
        player: PlayerId,
        /// The round's id.
        round: i64,
        /// How long after the round opened for bets the command arrived (ms).
        reaction_ms: i64,
        /// When (Unix ms).
        at_ms: i64,
    },
    /// A player cashed out of a crash round by hand (automatic cash-outs do not count: they
    /// pay a target set before the round).
    CashedOut {
        /// Who.
        player: PlayerId,
        /// The round's id.
        round: i64,
        /// When the cash-out arrived (Unix ms).
        at_ms: i64,
    },
    /// A bet settled (committed by this node's ledger writer): what it staked and paid.
    Settled {
        /// Whose.
        player: PlayerId,
        /// Its stake in cents.
        stake: i64,
        /// What it paid in cents (0 for a loss).
        payout: i64,
        /// When the player's account was registered (Unix ms).
        joined_ms: i64,
        /// When (Unix ms).
        at_ms: i64,
    },
    /// A command of the player was refused as rate limited or malformed.
    Refused {
        /// Who.
        player: PlayerId,
        /// When (Unix ms).
        at_ms: i64,
    },
}

/// Hands signals to the scorer without waiting: a cheap clone of its queue's sending side (the
/// ledger writer holds one for the bets it settles, the round games one for their bets and
/// cash-outs).
#[derive(Clone, Debug)]
pub struct Observer {
    pub(super) signals: mpsc::Sender<Signal>,
    /// Signals dropped because the queue was full.
    pub(super) dropped: Arc<AtomicU64>,
}

impl Observer {
    /// Queues a signal; a full queue drops it (counted).
    pub fn observe(&self, signal: Signal) {
        if self.signals.try_send(signal).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("zerolag_risk_dropped_total").increment(1);
        }
    }

    /// An observer nobody listens to (tests of what feeds it).
    #[cfg(test)]
    pub(crate) fn unheard() -> Observer {
        let (signals, _) = mpsc::channel(1);
        Observer {
            signals,
            dropped: Arc::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scorer that stopped (its queue's receiving side gone) costs whoever observes nothing:
    /// every signal is dropped and counted at once (the ledger writer's tests run on such an
    /// observer, and bets commit).
    #[test]
    fn a_stopped_scorer_drops_and_counts_without_waiting() {
        let observer = Observer::unheard();
        for at_ms in 0..1_000 {
            observer.observe(Signal::Refused {
                player: PlayerId(1),
                at_ms,
            });
        }
        assert_eq!(observer.dropped.load(Ordering::Relaxed), 1_000);
    }
}
