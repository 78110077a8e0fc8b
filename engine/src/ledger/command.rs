//! The commands the writer runs, and how each applies to a batch's working copy.

use super::results::{
    Adjustment, DiceReceipt, LedgerError, RoundBetReceipt, SeedChange, WalletSnapshot,
};
use super::rounds::{Game, Payout, RoundBetRequest, RoundEnd, Settlement};
use super::work::Work;
use protocol::dice::DiceWager;
use protocol::ids::{ChainId, RoundId};
use protocol::PlayerId;
use tokio::sync::oneshot;

/// A command for the writer.
#[derive(Clone)]
pub enum Op {
    OpenWallet {
        username: String,
    },
    Dice {
        idem: String,
        wager: DiceWager,
    },
    SetClientSeed {
        client_seed: String,
    },
    RotateSeed,
    OpenRound {
        game: Game,
        chain: ChainId,
        number: i64,
    },
    StartRunning {
        round: RoundId,
    },
    Adjust {
        idem: String,
        amount: i64,
    },
    RoundBet(RoundBetRequest),
    FindRoundBet(RoundBetRequest),
    Settle {
        round: RoundId,
        settlements: Vec<Settlement>,
        end: Option<RoundEnd>,
    },
}

pub enum Reply {
    Snapshot(WalletSnapshot),
    Dice(DiceReceipt),
    Seed(SeedChange),
    Round(RoundId),
    RoundBet(RoundBetReceipt),
    FoundRoundBet(Option<RoundBetReceipt>),
    Settled(Vec<Payout>),
    Adjusted(Adjustment),
    Done,
}

pub struct Request {
    pub player: PlayerId,
    pub op: Op,
    pub reply: oneshot::Sender<Result<Reply, LedgerError>>,
}

/// Applies one command to a batch's working copy. On error nothing in it has changed.
pub fn apply(work: &mut Work, player: PlayerId, op: Op) -> Result<Reply, LedgerError> {
    match op {
        Op::OpenWallet { username } => Ok(Reply::Snapshot(work.open_wallet(player, username))),
        Op::Dice { idem, wager } => work.dice(player, idem, wager).map(Reply::Dice),
        Op::SetClientSeed { client_seed } => {
            work.set_client_seed(player, client_seed).map(Reply::Seed)
        }
        Op::RotateSeed => work.rotate(player).map(Reply::Seed),
        Op::Adjust { idem, amount } => work.adjust(player, idem, amount).map(Reply::Adjusted),
        Op::OpenRound {
            game,
            chain,
            number,
        } => Ok(Reply::Round(work.open_round(game, chain, number))),
        Op::StartRunning { round } => {
            work.start_running(round);
            Ok(Reply::Done)
        }
        Op::RoundBet(bet) => work.round_bet(player, bet).map(Reply::RoundBet),
        Op::FindRoundBet(bet) => work.find_round_bet(player, &bet).map(Reply::FoundRoundBet),
        Op::Settle {
            round,
            settlements,
            end,
        } => work.settle(round, settlements, end).map(Reply::Settled),
    }
}
