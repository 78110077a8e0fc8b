//! The signed-in player's own state: who they are, their balance, and their seed pair, whose
//! nonce moves on with every dice bet.

use super::Live;
use leptos::prelude::*;
use protocol::dice::DiceBetView;
use protocol::wire::{AckResult, PlayerView, SeedView};
use protocol::Cents;

/// The connection was welcomed: the player, balance and seed pair as the server has them now.
pub(super) fn welcome(
    live: Live,
    player: Option<PlayerView>,
    balance: Option<Cents>,
    seed: Option<SeedView>,
) {
    live.player.set(player);
    live.balance.set(balance);
    live.seed.set(seed);
}

/// A command succeeded: a new seed pair replaces the old one, and a dice bet moves the nonce on.
pub(super) fn acknowledged(live: Live, result: &AckResult) {
    if let AckResult::Seed { seed, .. } = result {
        live.seed.set(Some(seed.clone()));
    }
    if let AckResult::Dice(settled) = result {
        let bet = &settled.bet;
        live.seed.update(|seed| advance_nonce(seed, bet));
    }
}

/// Moves the nonce past a dice bet made under this seed pair; a bet under another seed pair
/// changes nothing.
fn advance_nonce(seed: &mut Option<SeedView>, bet: &DiceBetView) {
    if let Some(seed) = seed
        .as_mut()
        .filter(|s| s.commitment == bet.seed_commitment)
    {
        seed.next_nonce = seed.next_nonce.max(bet.nonce + 1);
    }
}
