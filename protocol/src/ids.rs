//! Newtype ids: a raw integer never crosses a module boundary without saying what it names.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A registered player (the `users` row id).
    PlayerId
);
id_type!(
    /// One settled bet of any game.
    BetId
);
id_type!(
    /// A ledger account (player wallet, house, treasury, bets in play).
    AccountId
);
id_type!(
    /// A committed server seed of one player.
    SeedId
);
id_type!(
    /// One shared round of a round game (crash, wheel).
    RoundId
);
id_type!(
    /// One bet in a shared round.
    RoundBetId
);
id_type!(
    /// One stored hash chain of a round game.
    ChainId
);
