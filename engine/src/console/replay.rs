//! Rounds replayed for a dispute: the outcome recomputed from the round's hash (and the hash
//! checked against the chain's published terminal hash), every payout recomputed from the
//! game's rule and compared with the bet's row and with what the ledger moved.

use super::players::{round_bet_row, ROUND_BET_COLUMNS};
use super::{Console, ConsoleError, Operator};
use protocol::console::{Named, ReplayedBet, RoundReplay};
use protocol::{chain, Cents, Game};
use sqlx::Row;

/// What the ledger paid a round bet at settlement: the sum of its settling (or voiding)
/// transactions' entries on the player's account, and how many there are.
const LEDGER_PAID: &str = "CAST(COALESCE((SELECT SUM(e.amount) FROM ledger_txs t \
       JOIN entries e ON e.tx_id = t.id JOIN accounts a ON a.id = e.account_id AND a.kind = 'player' \
       WHERE t.user_id = b.user_id AND t.round_bet_id = b.id AND t.kind IN ('bet_settle', 'bet_void')), 0) AS BIGINT), \
     (SELECT COUNT(*) FROM ledger_txs t \
       WHERE t.user_id = b.user_id AND t.round_bet_id = b.id AND t.kind IN ('bet_settle', 'bet_void')), \
     u.username";

impl Console {
    /// Replays round `number` of `game` (of the latest chain that has it).
    pub async fn replay(
        &self,
        _operator: &Operator,
        game: Game,
        number: i64,
    ) -> Result<RoundReplay, ConsoleError> {
        let not_found =
            || ConsoleError::NotFound(format!("there is no {} round {number}", game.as_str()));
        let row = sqlx::query(
            "SELECT r.id, r.phase, r.hash, r.outcome, r.opened_at, r.running_at, r.ended_at, \
                    c.terminal_hash, c.salt \
             FROM rounds r JOIN round_chains c ON c.id = r.chain_id \
             WHERE r.game = $1 AND r.number = $2 ORDER BY r.id DESC LIMIT 1",
        )
        .bind(game.as_str())
        .bind(number)
        .fetch_optional(&self.parts.pool)
        .await?
        .ok_or_else(not_found)?;
        let id: i64 = row.try_get(0)?;
        let hash: Option<String> = row.try_get(2)?;
        let (terminal, salt): (String, String) = (row.try_get(7)?, row.try_get(8)?);
        let parsed = hash.as_deref().and_then(chain::parse_hash);
        let terminal = chain::parse_hash(&terminal);
        let in_chain = match (parsed, terminal) {
            (Some(hash), Some(terminal)) => chain::is_round_of(&hash, number as u64, &terminal),
            _ => false,
        };
        let computed = parsed.map(|hash| game.outcome(&salt, &hash));
        let mut replay = RoundReplay {
            game: game.as_str().to_owned(),
            id,
            number,
            phase: row.try_get(1)?,
            hash,
            in_chain,
            stored_outcome: row.try_get(3)?,
            computed_outcome: computed.map(|outcome| outcome as i64),
            opened_ms: row.try_get(4)?,
            running_ms: row.try_get(5)?,
            ended_ms: row.try_get(6)?,
            bets: Vec::new(),
            matches: true,
            differences: Vec::new(),
        };
        self.replay_bets(game, &mut replay).await?;
        check_round(&mut replay);
        Ok(replay)
    }

    async fn replay_bets(&self, game: Game, replay: &mut RoundReplay) -> Result<(), sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {ROUND_BET_COLUMNS}, {LEDGER_PAID} FROM round_bets b \
             JOIN rounds r ON r.id = b.round_id JOIN users u ON u.id = b.user_id \
             WHERE b.round_id = $1 ORDER BY b.id"
        ))
        .bind(replay.id)
        .fetch_all(&self.parts.pool)
        .await?;
        let outcome = replay.computed_outcome.map(|outcome| outcome as u64);
        for row in &rows {
            let bet = round_bet_row(row)?;
            let settles: i64 = row.try_get(12)?;
            let ledger_paid = (settles > 0).then(|| Cents(row.try_get(11).unwrap_or_default()));
            let cashed = (bet.status == "cashed")
                .then_some(bet.multiplier_x100)
                .flatten();
            let expected = match (bet.status.as_str(), outcome) {
                ("open", _) => None,
                ("voided", _) => Some(bet.amount),
                (_, Some(outcome)) => Some(Cents(game.payout(
                    outcome,
                    bet.amount.0,
                    &bet.choice,
                    cashed.map(|m| m as u64),
                ))),
                (_, None) => None,
            };
            let matches = expected == bet.payout && ledger_paid == bet.payout;
            replay.bets.push(ReplayedBet {
                player: Named {
                    id: row.try_get(10)?,
                    username: row.try_get(13)?,
                },
                cashed_out_ms: cashed.and(bet.settled_ms),
                expected_payout: expected,
                ledger_paid,
                matches,
                bet,
            });
        }
        Ok(())
    }
}

/// Fills in what differs between the stored round and its replay.
fn check_round(replay: &mut RoundReplay) {
    let mut differences = Vec::new();
    if replay.phase == "ended" {
        if !replay.in_chain {
            differences
                .push("the round's hash is not at its place in the published chain".to_owned());
        }
        if replay.stored_outcome != replay.computed_outcome {
            differences.push(format!(
                "the stored outcome {:?} differs from the outcome {:?} the hash gives",
                replay.stored_outcome, replay.computed_outcome
            ));
        }
    }
    for bet in replay.bets.iter().filter(|bet| !bet.matches) {
        let shown = |cents: Option<Cents>| cents.map_or("nothing".to_owned(), |c| c.to_string());
        differences.push(format!(
            "bet {} of {}: stored payout {}, the rules give {}, the ledger paid {}",
            bet.bet.id,
            bet.player.username,
            shown(bet.bet.payout),
            shown(bet.expected_payout),
            shown(bet.ledger_paid)
        ));
    }
    replay.matches = differences.is_empty();
    replay.differences = differences;
}
