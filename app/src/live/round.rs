//! What the shared round games (crash, wheel) have in common on this client: the current
//! round, at most one bet per player in it, and the latest outcomes.

use super::Live;
use leptos::prelude::*;
use protocol::crash::CrashBetView;
use protocol::ids::RoundId;
use protocol::wheel::WheelBetView;

/// A shared round game's state on this client.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundLive<Round, Bet, Outcome> {
    /// Current round.
    pub round: Round,
    /// Its bets, one per player.
    pub bets: Vec<Bet>,
    /// Latest outcomes, newest first.
    pub history: Vec<Outcome>,
}

/// A round as the server reports it.
pub trait RoundView {
    /// Which round it is.
    fn id(&self) -> RoundId;
}

/// A bet in a round; a player has at most one per round.
pub trait RoundBet {
    /// Whose bet it is.
    fn username(&self) -> &str;
}

impl<Phase, Play> RoundView for protocol::wire::RoundView<Phase, Play> {
    fn id(&self) -> RoundId {
        self.id
    }
}

impl RoundBet for CrashBetView {
    fn username(&self) -> &str {
        &self.username
    }
}

impl RoundBet for WheelBetView {
    fn username(&self) -> &str {
        &self.username
    }
}

impl<Round: RoundView, Bet: RoundBet, Outcome> RoundLive<Round, Bet, Outcome> {
    /// The game as a snapshot reports it.
    pub fn new(round: Round, bets: Vec<Bet>, history: Vec<Outcome>) -> Self {
        RoundLive {
            round,
            bets,
            history,
        }
    }

    /// A bet was placed or changed: it replaces that player's bet in the current round; a
    /// bet of another round is ignored.
    pub fn on_bet(&mut self, round: RoundId, bet: Bet) {
        if self.round.id() != round {
            return;
        }
        match self
            .bets
            .iter()
            .position(|b| b.username() == bet.username())
        {
            Some(i) => self.bets[i] = bet,
            None => self.bets.push(bet),
        }
    }

    /// The bet `username` has in the current round.
    pub fn bet_of(&self, username: &str) -> Option<&Bet> {
        self.bets.iter().find(|b| b.username() == username)
    }
}

impl Live {
    /// The signed-in player's bet in the current round of `game` (`live.crash`, `live.wheel`);
    /// tracked, so a view using it follows both the player and the round.
    pub fn my_bet<Round, Bet, Outcome>(
        &self,
        game: RwSignal<Option<RoundLive<Round, Bet, Outcome>>>,
    ) -> Option<Bet>
    where
        Round: RoundView + Send + Sync + 'static,
        Bet: RoundBet + Clone + Send + Sync + 'static,
        Outcome: Send + Sync + 'static,
    {
        let me = self.player.get()?.username;
        game.with(|game| game.as_ref()?.bet_of(&me).cloned())
    }
}
