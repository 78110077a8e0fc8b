//! The events a batch exports to Kafka (`crate::export`), made from the rows it writes and
//! written with them, in the same transaction, into the outbox table: an event is exported if
//! and only if what it describes was committed. docs/export.md documents each message.

use super::{RoundUpdate, Rows};
use serde_json::json;
use std::collections::HashMap;

/// Topics, after the operator's prefix (`--kafka-topic-prefix`, default `zerolag.`).
pub const TOPIC_LEDGER: &str = "ledger";
/// Bets placed and settled, keyed by player.
pub const TOPIC_BETS: &str = "bets";
/// Rounds opened, running and ended, keyed by round.
pub const TOPIC_ROUNDS: &str = "rounds";

/// One exported event as the outbox stores it.
pub struct OutboxRow {
    /// One of the topics above.
    pub topic: &'static str,
    /// The message key: what the event's order is kept for (a player, a round).
    pub key: String,
    /// The event as JSON; the relay adds its `event_id` (the outbox row's id) in front.
    pub payload: String,
    pub at_ms: i64,
}

impl OutboxRow {
    fn new(topic: &'static str, key: i64, payload: serde_json::Value, at_ms: i64) -> OutboxRow {
        OutboxRow {
            topic,
            key: key.to_string(),
            payload: payload.to_string(),
            at_ms,
        }
    }
}

impl Rows {
    /// Fills [`Rows::outbox`] with the events of what the batch writes, in the order it
    /// happened within the batch for each key.
    pub fn fill_outbox(&mut self) {
        let mut outbox = Vec::new();
        self.round_events(&mut outbox);
        self.bet_events(&mut outbox);
        self.ledger_events(&mut outbox);
        self.outbox = outbox;
    }

    fn round_events(&self, outbox: &mut Vec<OutboxRow>) {
        for row in &self.rounds {
            let event = json!({
                "type": "round_opened", "round": row.id.0, "game": row.game,
                "chain": row.chain.0, "number": row.number, "at_ms": row.at_ms,
            });
            outbox.push(OutboxRow::new(TOPIC_ROUNDS, row.id.0, event, row.at_ms));
        }
        for update in &self.round_updates {
            let (round, event, at_ms) = match update {
                RoundUpdate::Running { round, at_ms } => (
                    round,
                    json!({ "type": "round_running", "round": round.0, "at_ms": at_ms }),
                    *at_ms,
                ),
                RoundUpdate::Ended {
                    round,
                    phase,
                    hash,
                    outcome,
                    at_ms,
                } => (
                    round,
                    json!({
                        "type": "round_ended", "round": round.0, "phase": phase,
                        "hash": hash, "outcome": outcome, "at_ms": at_ms,
                    }),
                    *at_ms,
                ),
            };
            outbox.push(OutboxRow::new(TOPIC_ROUNDS, round.0, event, at_ms));
        }
    }

    fn bet_events(&self, outbox: &mut Vec<OutboxRow>) {
        for row in &self.bets {
            let event = json!({
                "type": "dice_bet", "player": row.player.0, "seed": row.seed.0,
                "bet": row.view, "at_ms": row.at_ms,
            });
            outbox.push(OutboxRow::new(TOPIC_BETS, row.player.0, event, row.at_ms));
        }
        for row in &self.round_bets {
            let event = json!({
                "type": "round_bet_placed", "bet": row.id.0, "round": row.round.0,
                "player": row.player.0, "amount": row.amount, "choice": row.choice,
                "at_ms": row.at_ms,
            });
            outbox.push(OutboxRow::new(TOPIC_BETS, row.player.0, event, row.at_ms));
        }
        for row in &self.round_bets_settled {
            let event = json!({
                "type": "round_bet_settled", "bet": row.id.0, "round": row.round.0,
                "player": row.player.0, "status": row.status,
                "multiplier_x100": row.multiplier_x100, "payout": row.payout,
                "at_ms": row.at_ms,
            });
            outbox.push(OutboxRow::new(TOPIC_BETS, row.player.0, event, row.at_ms));
        }
    }

    fn ledger_events(&self, outbox: &mut Vec<OutboxRow>) {
        let mut entries: HashMap<i64, Vec<serde_json::Value>> = HashMap::new();
        for entry in &self.entries {
            let leg = json!({ "account": entry.account.0, "amount": entry.amount });
            entries.entry(entry.tx).or_default().push(leg);
        }
        for tx in &self.txs {
            let event = json!({
                "type": "ledger_tx", "tx": tx.id, "kind": tx.kind.as_str(),
                "player": tx.player.0, "bet": tx.bet.map(|bet| bet.0),
                "round_bet": tx.round_bet.map(|bet| bet.0),
                "entries": entries.remove(&tx.id).unwrap_or_default(), "at_ms": tx.at_ms,
            });
            outbox.push(OutboxRow::new(TOPIC_LEDGER, tx.player.0, event, tx.at_ms));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::rows::{EntryRow, RoundBetRow, TxKind, TxRow};
    use protocol::ids::{AccountId, RoundBetId, RoundId};
    use protocol::PlayerId;

    #[test]
    fn a_round_bet_exports_its_bet_and_its_balanced_transaction() {
        let mut rows = Rows::default();
        rows.round_bets.push(RoundBetRow {
            id: RoundBetId(7),
            round: RoundId(3),
            player: PlayerId(5),
            amount: 250,
            choice: "200".into(),
            at_ms: 1_000,
        });
        rows.txs.push(TxRow {
            id: 11,
            kind: TxKind::BetHold,
            player: PlayerId(5),
            bet: None,
            round_bet: Some(RoundBetId(7)),
            at_ms: 1_000,
        });
        for (account, amount) in [(AccountId(9), -250), (AccountId(3), 250)] {
            rows.entries.push(EntryRow {
                tx: 11,
                account,
                amount,
            });
        }
        rows.fill_outbox();

        let topics: Vec<&str> = rows.outbox.iter().map(|row| row.topic).collect();
        assert_eq!(topics, [TOPIC_BETS, TOPIC_LEDGER]);
        assert!(rows.outbox.iter().all(|row| row.key == "5"));
        let bet: serde_json::Value = serde_json::from_str(&rows.outbox[0].payload).unwrap();
        assert_eq!(bet["type"], "round_bet_placed");
        assert_eq!(bet["bet"], 7);
        assert_eq!(bet["amount"], 250);
        let tx: serde_json::Value = serde_json::from_str(&rows.outbox[1].payload).unwrap();
        assert_eq!(tx["kind"], "bet_hold");
        assert_eq!(tx["round_bet"], 7);
        let legs = tx["entries"].as_array().unwrap();
        let sum: i64 = legs.iter().map(|leg| leg["amount"].as_i64().unwrap()).sum();
        assert_eq!((legs.len(), sum), (2, 0));
    }
}
