//! Recovery when the process stopped in the middle of a round: every cash-out that was
//! acknowledged is already settled in the ledger (a cash-out is acknowledged only after its
//! settlement committed), so on start-up each round still in `betting` or `running` has its
//! remaining open bets voided (stakes returned) and is marked `interrupted` in the same
//! transaction, with an audit-log entry. Then no finished round may hold an open bet: any found
//! is voided the same way, logged loudly and audited. No round is left open and the ledger still
//! sums to zero.

use super::RoundsError;
use crate::ledger::rounds::{BetOutcome, RoundEnd, Settlement};
use crate::ledger::Ledger;
use protocol::ids::{RoundBetId, RoundId};
use protocol::Cents;
use sqlx::{AnyPool, Row};

/// What start-up recovery did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Rounds marked interrupted.
    pub rounds: Vec<RoundId>,
    /// Bets whose stakes were returned.
    pub refunded_bets: usize,
    /// Open bets found in rounds that had already finished, voided (there should be none).
    pub repaired_bets: usize,
}

/// Open bets of rounds that have finished (ended or interrupted), by round. The invariant is
/// that there are none: a finished round's every bet is settled with its end.
pub async fn open_bets_in_finished_rounds(
    pool: &AnyPool,
) -> Result<Vec<(RoundId, RoundBetId, Cents)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT b.round_id, b.id, b.amount FROM round_bets b JOIN rounds r ON r.id = b.round_id \
         WHERE b.status = 'open' AND r.phase IN ('ended', 'interrupted') ORDER BY b.round_id, b.id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                RoundId(row.get("round_id")),
                RoundBetId(row.get("id")),
                Cents(row.get("amount")),
            )
        })
        .collect())
}

/// Voids the open bets of finished rounds (the void rule: stakes returned), logging each
/// round loudly and recording it in the audit log. Returns how many bets it voided.
async fn repair_finished_rounds(pool: &AnyPool, ledger: &Ledger) -> Result<usize, RoundsError> {
    let stray = open_bets_in_finished_rounds(pool).await?;
    let mut rounds: Vec<RoundId> = stray.iter().map(|(round, _, _)| *round).collect();
    rounds.dedup();
    for round in rounds {
        let bets: Vec<_> = stray.iter().filter(|(r, _, _)| *r == round).collect();
        let voided_cents: i64 = bets.iter().map(|(_, _, stake)| stake.0).sum();
        tracing::error!(
            round = round.0,
            open_bets = bets.len(),
            voided_cents,
            "a finished round still held open bets; voiding them"
        );
        let detail = serde_json::json!({
            "round": round.0,
            "voided_bets": bets.iter().map(|(_, bet, _)| bet.0).collect::<Vec<_>>(),
            "voided_cents": voided_cents,
            "rule": "a finished round holds no open bet; any found at start-up is voided",
        });
        let end = RoundEnd::Repaired {
            detail: detail.to_string(),
        };
        // Ending a round settles every bet the ledger holds for it: these are voided.
        ledger.settle(round, Vec::new(), Some(end)).await?;
    }
    Ok(stray.len())
}

/// Applies the recovery rule to every round left open by a previous run, then checks that no
/// finished round holds an open bet (repairing any it finds).
pub async fn recover(pool: &AnyPool, ledger: &Ledger) -> Result<Recovery, RoundsError> {
    recover_game(pool, ledger, None).await
}

/// [`recover`] for one game's rounds only (`None`: every game's): what a node does when it
/// takes over driving the game, while other nodes may drive the other games.
pub async fn recover_game(
    pool: &AnyPool,
    ledger: &Ledger,
    game: Option<protocol::Game>,
) -> Result<Recovery, RoundsError> {
    const OPEN: &str =
        "SELECT id, game, number, phase FROM rounds WHERE phase IN ('betting', 'running')";
    let open_rounds = match game {
        Some(game) => {
            sqlx::query(&format!("{OPEN} AND game = $1 ORDER BY id"))
                .bind(game.as_str())
                .fetch_all(pool)
                .await?
        }
        None => {
            sqlx::query(&format!("{OPEN} ORDER BY id"))
                .fetch_all(pool)
                .await?
        }
    };
    let mut recovery = Recovery::default();
    for round in open_rounds {
        let id = RoundId(round.get("id"));
        let bets: Vec<(RoundBetId, i64)> = sqlx::query(
            "SELECT id, amount FROM round_bets WHERE round_id = $1 AND status = 'open' ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| (RoundBetId(row.get("id")), row.get("amount")))
        .collect();
        let refunded_cents: i64 = bets.iter().map(|(_, amount)| amount).sum();
        let detail = serde_json::json!({
            "round": id.0,
            "game": round.get::<String, _>("game"),
            "number": round.get::<i64, _>("number"),
            "phase": round.get::<String, _>("phase"),
            "refunded_bets": bets.len(),
            "refunded_cents": refunded_cents,
            "rule": "acknowledged cash-outs stand; open bets are voided",
        });
        let settlements = bets
            .iter()
            .map(|(bet, _)| Settlement {
                bet: *bet,
                outcome: BetOutcome::Voided,
            })
            .collect();
        ledger
            .settle(
                id,
                settlements,
                Some(RoundEnd::Interrupted {
                    detail: detail.to_string(),
                }),
            )
            .await?;
        tracing::warn!(
            round = id.0,
            refunded_bets = bets.len(),
            refunded_cents,
            "interrupted round recovered"
        );
        recovery.rounds.push(id);
        recovery.refunded_bets += bets.len();
    }
    recovery.repaired_bets = repair_finished_rounds(pool, ledger).await?;
    Ok(recovery)
}
