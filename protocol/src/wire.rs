//! The WebSocket protocol, version [`PROTOCOL_VERSION`]: JSON text frames, one object each,
//! tagged by `type`. Every client command carries `req` and receives exactly one `ack` or
//! `error` with that `req`. Events carry `topic` and `seq`. Full reference: `docs/protocol.md`.

use crate::ids::{BetId, PlayerId, RoundId};
use crate::money::Cents;
use crate::wheel::Segment;

mod codes;
mod rounds;

pub use codes::ErrorCode;

pub use rounds::{
    CashOutAck, CrashBetView, CrashHistoryItem, CrashPhase, CrashRoundView, RoundBetAck,
    RoundBetStatus, WheelBetView, WheelPhase, WheelRoundView,
};
use serde::{Deserialize, Serialize};

/// The protocol version this build speaks; sent in `welcome`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Commands a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::VariantNames)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[strum(serialize_all = "snake_case")]
pub enum ClientMsg {
    /// Place and settle one dice bet. Moves money, so it carries an idempotency key.
    DiceBet {
        /// Client request id, echoed in the reply.
        req: u64,
        /// Idempotency key: a retry with the same key returns the original result.
        idem: String,
        /// Amount staked, in cents.
        amount: Cents,
        /// Roll-under target in hundredths (100..=9800).
        target: u32,
    },
    /// Choose the client seed used from the next bet on.
    SetClientSeed {
        /// Client request id.
        req: u64,
        /// New client seed (1..=64 printable characters).
        client_seed: String,
    },
    /// Reveal the current server seed and commit to a fresh one.
    RotateSeed {
        /// Client request id.
        req: u64,
    },
    /// Join the current crash round during its betting window. Moves money: idempotency key.
    CrashBet {
        /// Client request id.
        req: u64,
        /// Idempotency key.
        idem: String,
        /// Stake in cents.
        amount: Cents,
        /// Cash out automatically at this multiplier (hundredths), if given.
        auto_cashout_x100: Option<u64>,
    },
    /// Cash out of the running crash round at the multiplier of the server's receive time.
    CrashCashOut {
        /// Client request id.
        req: u64,
    },
    /// Bet on a wheel segment during the wheel's betting window. Moves money: idempotency key.
    WheelBet {
        /// Client request id.
        req: u64,
        /// Idempotency key.
        idem: String,
        /// Stake in cents.
        amount: Cents,
        /// The segment bet on.
        segment: Segment,
    },
    /// Liveness check; answered with an `ack` of kind `pong`.
    Ping {
        /// Client request id.
        req: u64,
    },
}

impl ClientMsg {
    /// Every command `type` this protocol version knows, derived from the variants.
    pub const TYPES: &'static [&'static str] = <ClientMsg as strum::VariantNames>::VARIANTS;

    /// The request id every command carries.
    pub fn req(&self) -> u64 {
        match self {
            ClientMsg::DiceBet { req, .. }
            | ClientMsg::SetClientSeed { req, .. }
            | ClientMsg::RotateSeed { req }
            | ClientMsg::CrashBet { req, .. }
            | ClientMsg::CrashCashOut { req }
            | ClientMsg::WheelBet { req, .. }
            | ClientMsg::Ping { req } => *req,
        }
    }
}

/// Messages the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First frame on every connection: the protocol version and a snapshot.
    Welcome {
        /// Protocol version, [`PROTOCOL_VERSION`].
        version: u32,
        /// Identifies this server run's event sequence numbers; pass it back with the last seen
        /// `seq` when reconnecting (`/ws?epoch=<epoch>&dice=<seq>`) to receive only missed events.
        epoch: u64,
        /// The signed-in player, if any.
        player: Option<PlayerView>,
        /// That player's balance at connect time.
        balance: Option<Cents>,
        /// That player's current seed pair.
        seed: Option<SeedView>,
    },
    /// A command succeeded.
    Ack {
        /// The command's `req`.
        req: u64,
        /// What it produced.
        result: AckResult,
    },
    /// A command failed (and changed nothing), or a frame could not be read.
    Error {
        /// The command's `req`, when the frame was readable enough to have one.
        req: Option<u64>,
        /// Stable machine-readable code.
        code: ErrorCode,
        /// Human-readable explanation.
        message: String,
    },
    /// A player's balance changed (topic `player:<id>`); sent to every tab of that player.
    Balance {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Balance after the change.
        balance: Cents,
    },
    /// The crash game as it stands (topic `crash`), sent to a connection when it joins.
    CrashState {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Current round.
        round: CrashRoundView,
        /// Its bets so far.
        bets: Vec<CrashBetView>,
        /// Latest crash points, newest first.
        history: Vec<CrashHistoryItem>,
    },
    /// A crash round changed phase (topic `crash`).
    CrashRound {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// The round.
        round: CrashRoundView,
    },
    /// The running multiplier (topic `crash`, 15 per second).
    CrashTick {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Round id.
        round: RoundId,
        /// Milliseconds since the multiplier started.
        elapsed_ms: u64,
        /// The server's multiplier now, in hundredths.
        multiplier_x100: u64,
    },
    /// Someone joined or cashed out of the crash round (topic `crash`).
    CrashBet {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Round id.
        round: RoundId,
        /// The bet as it stands.
        bet: CrashBetView,
    },
    /// The wheel as it stands (topic `wheel`), sent to a connection when it joins.
    WheelState {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Current round.
        round: WheelRoundView,
        /// Its bets so far.
        bets: Vec<WheelBetView>,
        /// Latest slots, newest first.
        history: Vec<u32>,
    },
    /// A wheel round changed phase (topic `wheel`).
    WheelRound {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// The round.
        round: WheelRoundView,
        /// Its bets, settled when spinning.
        bets: Vec<WheelBetView>,
    },
    /// Someone bet on the wheel (topic `wheel`).
    WheelBet {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Round id.
        round: RoundId,
        /// The bet.
        bet: WheelBetView,
    },
    /// A dice bet was settled by someone (topic `dice`): the public bets feed.
    DiceFeed {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// The bet, as anyone may see it.
        bet: FeedBet,
    },
}

/// Results carried by an `ack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AckResult {
    /// A settled dice bet and the balance after it.
    Dice {
        /// The bet.
        bet: DiceBetView,
        /// Balance after settlement.
        balance: Cents,
    },
    /// The seed pair now in use, and the revealed one after a rotation.
    Seed {
        /// Current seed pair.
        seed: SeedView,
        /// The seed just revealed by a rotation.
        revealed: Option<RevealedSeed>,
    },
    /// A crash bet placed (stake held), or the original bet when the command was a retry.
    CrashBet(RoundBetAck),
    /// A crash cash-out accepted and paid.
    CrashCashOut(CashOutAck),
    /// A wheel bet placed (stake held), or the original bet when the command was a retry.
    WheelBet(RoundBetAck),
    /// Answer to `ping`.
    Pong,
}

/// A player as shown to themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerView {
    /// Player id.
    pub id: PlayerId,
    /// Username.
    pub username: String,
}

/// A settled dice bet as its player sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceBetView {
    /// Bet id.
    pub id: BetId,
    /// Amount staked.
    pub amount: Cents,
    /// Roll-under target in hundredths.
    pub target: u32,
    /// The roll in hundredths (0..=9999).
    pub roll: u32,
    /// Payout multiplier in hundredths.
    pub multiplier_x100: u64,
    /// Total paid back (zero on a loss).
    pub payout: Cents,
    /// Nonce of the bet under its seed pair.
    pub nonce: u64,
    /// Commitment (SHA-256) of the server seed that produced the roll.
    pub seed_commitment: String,
    /// Client seed used.
    pub client_seed: String,
}

/// A settled dice bet as everyone sees it in the live feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedBet {
    /// Bet id.
    pub id: BetId,
    /// Who played.
    pub username: String,
    /// Amount staked.
    pub amount: Cents,
    /// Roll-under target in hundredths.
    pub target: u32,
    /// The roll in hundredths.
    pub roll: u32,
    /// Total paid back (zero on a loss).
    pub payout: Cents,
}

/// The seed pair a player's next bet will use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedView {
    /// SHA-256 of the (still secret) server seed.
    pub commitment: String,
    /// Client seed.
    pub client_seed: String,
    /// Nonce of the next bet.
    pub next_nonce: u64,
}

/// A server seed after rotation: now public, with how many bets it produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedSeed {
    /// The server seed itself.
    pub server_seed: String,
    /// Its commitment, as shown before play.
    pub commitment: String,
    /// Client seed last used with it.
    pub client_seed: String,
    /// Bets made under it (nonces 0..bets).
    pub bets: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_type_tagged_snake_case() {
        let msg: ClientMsg = serde_json::from_str(
            r#"{"type":"dice_bet","req":7,"idem":"k1","amount":150,"target":5000}"#,
        )
        .unwrap();
        assert_eq!(
            msg,
            ClientMsg::DiceBet {
                req: 7,
                idem: "k1".into(),
                amount: Cents(150),
                target: 5000
            }
        );
        assert_eq!(msg.req(), 7);
    }

    #[test]
    fn the_known_command_types_are_exactly_the_wire_tags() {
        let one_of_each = [
            ClientMsg::DiceBet {
                req: 1,
                idem: "k".into(),
                amount: Cents(1),
                target: 5_000,
            },
            ClientMsg::SetClientSeed {
                req: 1,
                client_seed: "s".into(),
            },
            ClientMsg::RotateSeed { req: 1 },
            ClientMsg::CrashBet {
                req: 1,
                idem: "k".into(),
                amount: Cents(1),
                auto_cashout_x100: None,
            },
            ClientMsg::CrashCashOut { req: 1 },
            ClientMsg::WheelBet {
                req: 1,
                idem: "k".into(),
                amount: Cents(1),
                segment: Segment::Grey,
            },
            ClientMsg::Ping { req: 1 },
        ];
        let tags: Vec<String> = one_of_each
            .iter()
            .map(|msg| {
                serde_json::to_value(msg).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(tags, ClientMsg::TYPES);
    }

    #[test]
    fn amounts_must_be_integers_not_strings_or_fractions() {
        for bad in [
            r#"{"type":"dice_bet","req":1,"idem":"k","amount":"150","target":5000}"#,
            r#"{"type":"dice_bet","req":1,"idem":"k","amount":1.5,"target":5000}"#,
            r#"{"type":"dice_bet","req":1,"idem":"k","amount":99999999999999999999,"target":5000}"#,
        ] {
            assert!(serde_json::from_str::<ClientMsg>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn events_carry_topic_seq_and_publish_time() {
        let json = serde_json::to_string(&ServerMsg::Balance {
            topic: "player:1".into(),
            seq: 3,
            at_ms: 1_795_000_000_000,
            balance: Cents(100_000),
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"type":"balance","topic":"player:1","seq":3,"at_ms":1795000000000,"balance":100000}"#
        );
    }
}
