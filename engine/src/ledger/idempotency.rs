//! Idempotency keys: every money-moving command carries a client key, stored in the same
//! transaction as the command's effects, with a fingerprint of what the command asked for and a
//! typed reference to what it produced. A retry with the same key and content gets the original
//! result; the same key with different content is a conflict.

use super::results::{Adjustment, DiceReceipt, RoundBetReceipt};
use protocol::ids::RoundBetId;
use protocol::{BetId, Cents, PlayerId};
use serde::{Deserialize, Serialize};

/// The command kinds that own a key space: a client key is unique per player and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The signup grant (one per player, with an empty client key).
    Signup,
    /// Dice bets.
    Dice,
    /// Bets in shared rounds (every round game; the game is part of the fingerprint).
    Round,
    /// Operators' credit adjustments (the console).
    Adjust,
}

impl KeyKind {
    fn as_str(self) -> &'static str {
        match self {
            KeyKind::Signup => "signup",
            KeyKind::Dice => "dice",
            KeyKind::Round => "round",
            KeyKind::Adjust => "adjust",
        }
    }
}

/// The idempotency table's key: `<player id>:<kind>:<client key>`.
pub fn scoped_key(player: PlayerId, kind: KeyKind, key: &str) -> String {
    format!("{player}:{}:{key}", kind.as_str())
}

/// What a command produced, as stored in the idempotency table's `result` column (JSON tagged
/// by `kind`): a reference to the rows holding the full result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredReceipt {
    /// The signup grant.
    Grant {
        /// Amount granted.
        amount: Cents,
    },
    /// A dice bet and the balance right after it.
    Dice {
        /// The bet's row.
        bet: BetId,
        /// Balance after settlement.
        balance: Cents,
    },
    /// A round bet and the balance right after its hold.
    Round {
        /// The bet's row.
        bet: RoundBetId,
        /// Balance after the hold.
        balance: Cents,
    },
    /// A credit adjustment and the balance right after it.
    Adjustment {
        /// Its ledger transaction.
        tx: i64,
        /// Balance after it.
        balance: Cents,
    },
}

impl StoredReceipt {
    /// The `result` column's text.
    pub fn to_column(self) -> String {
        serde_json::to_string(&self).expect("receipts serialise")
    }

    /// Reads a `result` column. Databases written before receipts were typed hold
    /// `<bet id>:<balance>`; the key's kind tells which bet table that id belongs to.
    pub fn from_column(text: &str, kind: KeyKind) -> Option<StoredReceipt> {
        if let Ok(receipt) = serde_json::from_str(text) {
            return Some(receipt);
        }
        let (bet, balance) = text.split_once(':')?;
        let (bet, balance): (i64, i64) = (bet.parse().ok()?, balance.parse().ok()?);
        match kind {
            KeyKind::Dice => Some(StoredReceipt::Dice {
                bet: BetId(bet),
                balance: Cents(balance),
            }),
            KeyKind::Round => Some(StoredReceipt::Round {
                bet: RoundBetId(bet),
                balance: Cents(balance),
            }),
            KeyKind::Signup | KeyKind::Adjust => None,
        }
    }
}

/// An idempotency key already used, with what it produced.
#[derive(Clone)]
pub struct KnownKey {
    /// What the original command asked for.
    pub fingerprint: String,
    /// What it returned.
    pub receipt: KnownReceipt,
}

/// The original result of a money-moving command, in full.
#[derive(Clone)]
pub enum KnownReceipt {
    /// A dice bet.
    Dice(DiceReceipt),
    /// A round bet.
    Round(RoundBetReceipt),
    /// A credit adjustment.
    Adjustment(Adjustment),
}

/// A key to store with a command's effects.
pub struct NewKey {
    /// [`scoped_key`].
    pub scoped: String,
    /// What the command asked for.
    pub fingerprint: String,
    /// What it produced.
    pub receipt: StoredReceipt,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_stored_as_tagged_json_and_legacy_references_still_read() {
        let round = StoredReceipt::Round {
            bet: RoundBetId(7),
            balance: Cents(99_000),
        };
        assert_eq!(
            round.to_column(),
            r#"{"kind":"round","bet":7,"balance":99000}"#
        );
        assert_eq!(
            StoredReceipt::from_column(&round.to_column(), KeyKind::Dice),
            Some(round)
        );
        assert_eq!(
            StoredReceipt::from_column("12:500", KeyKind::Dice),
            Some(StoredReceipt::Dice {
                bet: BetId(12),
                balance: Cents(500)
            })
        );
        assert_eq!(StoredReceipt::from_column("garbage", KeyKind::Round), None);
    }

    #[test]
    fn client_keys_may_contain_the_separator() {
        assert_eq!(
            scoped_key(PlayerId(3), KeyKind::Dice, "a:round:b"),
            "3:dice:a:round:b"
        );
    }
}
