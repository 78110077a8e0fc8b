//! The events a batch exports to Kafka (`crate::export`), made from the rows it writes and
//! written with them, in the same transaction, into the outbox table: an event is exported if
//! and only if what it describes was committed. docs/export.md documents each message.

use super::{RoundUpdate, Rows};
use crate::limits::EXPORT_EVENTS_PER_ROW_MAX;
use serde_json::json;
use std::collections::HashMap;

/// Topics, after the operator's prefix (`--kafka-topic-prefix`, default `zerolag.`).
pub const TOPIC_LEDGER: &str = "ledger";
/// Bets placed and settled, keyed by player.
pub const TOPIC_BETS: &str = "bets";
/// Rounds opened, running and ended, keyed by round.
pub const TOPIC_ROUNDS: &str = "rounds";
/// The risk engine's alerts, keyed by the player who fired them (`crate::risk`).
pub const TOPIC_RISK: &str = "risk";

/// One outbox row: the exported events of one batch (or of a part of one, at most
/// [`EXPORT_EVENTS_PER_ROW_MAX`]), a line each: topic, key and JSON payload, tab-separated.
/// The relay gives an event the id `row id * EXPORT_EVENTS_PER_ROW_MAX + line` and adds it to
/// the payload as `event_id`.
pub struct OutboxRow {
    pub events: String,
    pub count: i64,
    pub at_ms: i64,
}

/// Gathers a batch's events into rows.
struct Packer {
    rows: Vec<OutboxRow>,
    lines: Vec<u8>,
    count: i64,
    at_ms: i64,
}

impl Packer {
    fn push(&mut self, topic: &str, key: i64, event: &serde_json::Value, at_ms: i64) {
        if self.count == EXPORT_EVENTS_PER_ROW_MAX {
            self.finish_row();
        }
        // Compact JSON has no raw tab or newline (they are escaped inside strings).
        self.lines
            .extend_from_slice(format!("{topic}\t{key}\t").as_bytes());
        serde_json::to_writer(&mut self.lines, event).expect("JSON to memory");
        self.lines.push(b'\n');
        self.count += 1;
        self.at_ms = self.at_ms.max(at_ms);
    }

    fn finish_row(&mut self) {
        if self.count == 0 {
            return;
        }
        let lines = std::mem::take(&mut self.lines);
        self.rows.push(OutboxRow {
            events: String::from_utf8(lines).expect("JSON and ASCII are UTF-8"),
            count: std::mem::take(&mut self.count),
            at_ms: self.at_ms,
        });
    }
}

impl Rows {
    /// Fills [`Rows::outbox`] with the events of what the batch writes, in the order it
    /// happened within the batch for each key.
    pub fn fill_outbox(&mut self) {
        let mut packer = Packer {
            rows: Vec::new(),
            lines: Vec::new(),
            count: 0,
            at_ms: 0,
        };
        self.round_events(&mut packer);
        self.bet_events(&mut packer);
        self.ledger_events(&mut packer);
        packer.finish_row();
        self.outbox = packer.rows;
    }

    fn round_events(&self, outbox: &mut Packer) {
        for row in &self.rounds {
            let event = json!({
                "type": "round_opened", "round": row.id.0, "game": row.game,
                "chain": row.chain.0, "number": row.number, "at_ms": row.at_ms,
            });
            outbox.push(TOPIC_ROUNDS, row.id.0, &event, row.at_ms);
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
            outbox.push(TOPIC_ROUNDS, round.0, &event, at_ms);
        }
    }

    fn bet_events(&self, outbox: &mut Packer) {
        for row in &self.bets {
            let event = json!({
                "type": "dice_bet", "player": row.player.0, "seed": row.seed.0,
                "bet": row.view, "at_ms": row.at_ms,
            });
            outbox.push(TOPIC_BETS, row.player.0, &event, row.at_ms);
        }
        for row in &self.round_bets {
            let event = json!({
                "type": "round_bet_placed", "bet": row.id.0, "round": row.round.0,
                "player": row.player.0, "amount": row.amount, "choice": row.choice,
                "at_ms": row.at_ms,
            });
            outbox.push(TOPIC_BETS, row.player.0, &event, row.at_ms);
        }
        for row in &self.round_bets_settled {
            let event = json!({
                "type": "round_bet_settled", "bet": row.id.0, "round": row.round.0,
                "player": row.player.0, "status": row.status,
                "multiplier_x100": row.multiplier_x100, "payout": row.payout,
                "at_ms": row.at_ms,
            });
            outbox.push(TOPIC_BETS, row.player.0, &event, row.at_ms);
        }
    }

    fn ledger_events(&self, outbox: &mut Packer) {
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
            outbox.push(TOPIC_LEDGER, tx.player.0, &event, tx.at_ms);
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

        assert_eq!(rows.outbox.len(), 1, "one row for the batch");
        assert_eq!(rows.outbox[0].count, 2);
        let lines: Vec<Vec<&str>> = rows.outbox[0]
            .events
            .lines()
            .map(|line| line.split('\t').collect())
            .collect();
        let topics: Vec<&str> = lines.iter().map(|line| line[0]).collect();
        assert_eq!(topics, [TOPIC_BETS, TOPIC_LEDGER]);
        assert!(lines.iter().all(|line| line.len() == 3 && line[1] == "5"));
        let bet: serde_json::Value = serde_json::from_str(lines[0][2]).unwrap();
        assert_eq!(bet["type"], "round_bet_placed");
        assert_eq!(bet["bet"], 7);
        assert_eq!(bet["amount"], 250);
        let tx: serde_json::Value = serde_json::from_str(lines[1][2]).unwrap();
        assert_eq!(tx["kind"], "bet_hold");
        assert_eq!(tx["round_bet"], 7);
        let legs = tx["entries"].as_array().unwrap();
        let sum: i64 = legs.iter().map(|leg| leg["amount"].as_i64().unwrap()).sum();
        assert_eq!((legs.len(), sum), (2, 0));
    }

    #[test]
    fn a_batch_with_more_events_than_a_row_holds_fills_several() {
        let mut rows = Rows::default();
        let tx = |id| TxRow {
            id,
            kind: TxKind::Grant,
            player: PlayerId(1),
            bet: None,
            round_bet: None,
            at_ms: 1,
        };
        rows.txs = (0..EXPORT_EVENTS_PER_ROW_MAX + 1).map(tx).collect();
        rows.fill_outbox();
        let counts: Vec<i64> = rows.outbox.iter().map(|row| row.count).collect();
        assert_eq!(counts, [EXPORT_EVENTS_PER_ROW_MAX, 1]);
        let lines = rows.outbox[0].events.lines().count() as i64;
        assert_eq!(lines, EXPORT_EVENTS_PER_ROW_MAX);
    }
}
