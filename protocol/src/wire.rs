//! The WebSocket protocol, version [`PROTOCOL_VERSION`]: JSON text frames, one object each,
//! tagged by `type`. Every client command carries `req` and receives exactly one `ack` or
//! `error` with that `req`. Events carry `topic` and `seq`. Full reference: `docs/protocol.md`.

//!
//! This module is the registry of messages: the commands, events and answers every connection
//! has (welcome, errors, balance, seeds, ping) are defined here; each game's own messages are
//! defined in its module (`dice`, `crash`, `wheel`) and listed here with one line per command,
//! one per answer and one for all of its events, so the JSON of a game's messages is the same
//! as if they were written out here.

use crate::ids::PlayerId;
use crate::money::Cents;
use crate::{chat, crash, dice, leaderboard, notification, presence, wheel};

mod codes;
mod rounds;

pub use codes::ErrorCode;

pub use rounds::{CashOutAck, RoundBetAck, RoundBetStatus, RoundView};
use serde::{Deserialize, Serialize};

/// The protocol version this build speaks; sent in `welcome`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Commands a client sends.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::VariantNames, strum::IntoStaticStr,
)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[strum(serialize_all = "snake_case")]
pub enum ClientMsg {
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
    /// Liveness check; answered with an `ack` of kind `pong`.
    Ping {
        /// Client request id.
        req: u64,
    },
    /// Place and settle one dice bet.
    DiceBet(dice::BetCommand),
    /// Join the current crash round.
    CrashBet(crash::BetCommand),
    /// Cash out of the running crash round.
    CrashCashOut(crash::CashOutCommand),
    /// Bet on a wheel segment.
    WheelBet(wheel::BetCommand),
    /// Post a chat message.
    ChatSend(chat::SendCommand),
    /// Moderators: mute a player in chat for a time.
    ChatMute(chat::MuteCommand),
    /// Moderators: ban a player from chat until lifted.
    ChatBan(chat::BanCommand),
    /// Moderators: lift a player's mute or ban.
    ChatLift(chat::LiftCommand),
    /// Say which game's page this connection shows (presence counts).
    Presence(presence::VisitCommand),
    /// Receive a scope's leaderboards live.
    LeaderboardWatch(leaderboard::WatchCommand),
    /// Moderators: send a message to everyone.
    Broadcast(notification::BroadcastCommand),
    /// Admins: receive this node's dashboard figures live (topic `admin`).
    AdminWatch {
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
            ClientMsg::SetClientSeed { req, .. }
            | ClientMsg::RotateSeed { req }
            | ClientMsg::Ping { req }
            | ClientMsg::AdminWatch { req } => *req,
            ClientMsg::DiceBet(command) => command.req,
            ClientMsg::CrashBet(command) => command.req,
            ClientMsg::CrashCashOut(command) => command.req,
            ClientMsg::WheelBet(command) => command.req,
            ClientMsg::ChatSend(command) => command.req,
            ClientMsg::ChatMute(command) => command.req,
            ClientMsg::ChatBan(command) => command.req,
            ClientMsg::ChatLift(command) => command.req,
            ClientMsg::Presence(command) => command.req,
            ClientMsg::LeaderboardWatch(command) => command.req,
            ClientMsg::Broadcast(command) => command.req,
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
    /// A new message in a chat room (topic `chat:<room>`). A variant of its own, not an
    /// untagged event enum like the games': each untagged variant makes every frame's decoding
    /// in the browser larger and slower.
    ChatMessage {
        /// `chat:<room>`.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Publish time (Unix milliseconds).
        at_ms: i64,
        /// The message.
        message: chat::ChatMessage,
    },
    /// How many people are online (topic `presence`): at connect, then when the counts change.
    Presence {
        /// `presence`.
        topic: String,
        /// Position in this node's stream of counts.
        seq: u64,
        /// Publish time (Unix milliseconds).
        at_ms: i64,
        /// The counts.
        counts: presence::Counts,
    },
    /// A scope's leaderboards changed (topic `leaderboard:<scope>`); the first one after
    /// `leaderboard_watch` lists every row of the scope's boards.
    Leaderboard {
        /// `leaderboard:<scope>`.
        topic: String,
        /// Position in this node's stream of the scope's changes.
        seq: u64,
        /// Publish time (Unix milliseconds).
        at_ms: i64,
        /// One change per board that changed.
        changes: Vec<leaderboard::BoardChange>,
    },
    /// This node's dashboard figures (topic `admin`), every second while an admin watches.
    AdminStats {
        /// `admin`.
        topic: String,
        /// Position in this node's stream of figures.
        seq: u64,
        /// Publish time (Unix milliseconds).
        at_ms: i64,
        /// The figures.
        stats: crate::console::DashboardStats,
    },
    /// A notification (topic `player:<id>` for mine, `notices` for everyone's).
    Notification {
        /// `player:<id>` or `notices`.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Publish time (Unix milliseconds).
        at_ms: i64,
        /// The notification.
        notification: notification::Notification,
    },
    /// The dice game's events.
    #[serde(untagged)]
    Dice(dice::Event),
    /// The crash game's events.
    #[serde(untagged)]
    Crash(crash::Event),
    /// The wheel's events.
    #[serde(untagged)]
    Wheel(wheel::Event),
}

/// Results carried by an `ack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AckResult {
    /// A settled dice bet and the balance after it.
    Dice(dice::DiceAck),
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
    /// The chat message stored and sent to its room.
    ChatMessage(chat::ChatMessage),
    /// A moderation command's outcome: where the player stands now.
    ChatStanding(chat::Standing),
    /// Answer to `presence`.
    Presence,
    /// Answer to `leaderboard_watch`.
    LeaderboardWatch,
    /// Answer to `admin_watch`.
    AdminWatch,
    /// The broadcast as kept and sent to everyone.
    Broadcast(notification::Notification),
}

/// A player as shown to themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerView {
    /// Player id.
    pub id: PlayerId,
    /// Username.
    pub username: String,
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
    use crate::ids::RoundId;
    use crate::wheel::Segment;

    #[test]
    fn commands_are_type_tagged_snake_case() {
        let msg: ClientMsg = serde_json::from_str(
            r#"{"type":"dice_bet","req":7,"idem":"k1","amount":150,"target":5000}"#,
        )
        .unwrap();
        assert_eq!(
            msg,
            ClientMsg::DiceBet(dice::BetCommand {
                req: 7,
                idem: "k1".into(),
                amount: Cents(150),
                target: 5000
            })
        );
        assert_eq!(msg.req(), 7);
    }

    /// One command of every type.
    fn one_command_of_each() -> Vec<ClientMsg> {
        vec![
            ClientMsg::SetClientSeed {
                req: 1,
                client_seed: "s".into(),
            },
            ClientMsg::RotateSeed { req: 1 },
            ClientMsg::Ping { req: 1 },
            ClientMsg::DiceBet(dice::BetCommand {
                req: 1,
                idem: "k".into(),
                amount: Cents(1),
                target: 5_000,
            }),
            ClientMsg::CrashBet(crash::BetCommand {
                req: 1,
                idem: "k".into(),
                amount: Cents(1),
                auto_cashout_x100: None,
            }),
            ClientMsg::CrashCashOut(crash::CashOutCommand { req: 1 }),
            ClientMsg::WheelBet(wheel::BetCommand {
                req: 1,
                idem: "k".into(),
                amount: Cents(1),
                segment: Segment::Grey,
            }),
            ClientMsg::ChatSend(chat::SendCommand {
                req: 1,
                room: "global".into(),
                body: "hi".into(),
            }),
            ClientMsg::ChatMute(chat::MuteCommand {
                req: 1,
                username: "u".into(),
                minutes: 5,
                reason: "r".into(),
            }),
            ClientMsg::ChatBan(chat::BanCommand {
                req: 1,
                username: "u".into(),
                reason: "r".into(),
            }),
            ClientMsg::ChatLift(chat::LiftCommand {
                req: 1,
                username: "u".into(),
            }),
            ClientMsg::Presence(presence::VisitCommand {
                req: 1,
                room: Some("dice".into()),
            }),
            ClientMsg::LeaderboardWatch(leaderboard::WatchCommand {
                req: 1,
                scope: "overall".into(),
            }),
            ClientMsg::Broadcast(notification::BroadcastCommand {
                req: 1,
                body: "hello".into(),
            }),
            ClientMsg::AdminWatch { req: 1 },
        ]
    }

    #[test]
    fn the_known_command_types_are_exactly_the_wire_tags() {
        let tags: Vec<String> = one_command_of_each()
            .iter()
            .map(|msg| {
                let json = serde_json::to_string(msg).unwrap();
                assert_eq!(&serde_json::from_str::<ClientMsg>(&json).unwrap(), msg);
                serde_json::to_value(msg).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(tags, ClientMsg::TYPES);
    }

    #[test]
    fn a_game_command_with_a_missing_or_unknown_field_is_refused_precisely() {
        for (bad, needle) in [
            (r#"{"type":"crash_bet","req":1,"amount":5}"#, "idem"),
            (
                r#"{"type":"wheel_bet","req":1,"idem":"k","amount":5,"segment":"grey","x":1}"#,
                "x",
            ),
            (r#"{"type":"crash_cash_out","req":1,"round":3}"#, "round"),
        ] {
            let error = serde_json::from_str::<ClientMsg>(bad)
                .unwrap_err()
                .to_string();
            assert!(error.contains(needle), "{bad}: {error}");
        }
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

    #[test]
    fn a_game_event_is_one_flat_object_tagged_by_type_and_reads_back() {
        let tick = ServerMsg::Crash(crash::Event::Tick {
            topic: "crash".into(),
            seq: 9,
            at_ms: 1_795_000_000_000,
            round: RoundId(4),
            elapsed_ms: 1_500,
            multiplier_x100: 109,
        });
        let json = serde_json::to_string(&tick).unwrap();
        assert_eq!(
            json,
            r#"{"type":"crash_tick","topic":"crash","seq":9,"at_ms":1795000000000,"round":4,"elapsed_ms":1500,"multiplier_x100":109}"#
        );
        assert_eq!(serde_json::from_str::<ServerMsg>(&json).unwrap(), tick);
        let ack = ServerMsg::Ack {
            req: 2,
            result: AckResult::CrashCashOut(CashOutAck {
                multiplier_x100: 150,
                payout: Cents(300),
            }),
        };
        let json = serde_json::to_string(&ack).unwrap();
        assert_eq!(
            json,
            r#"{"type":"ack","req":2,"result":{"kind":"crash_cash_out","multiplier_x100":150,"payout":300}}"#
        );
        assert_eq!(serde_json::from_str::<ServerMsg>(&json).unwrap(), ack);
    }

    #[test]
    fn a_round_view_is_one_object_with_the_game_s_fields_in_place() {
        let round = ServerMsg::Wheel(wheel::Event::Round {
            topic: "wheel".into(),
            seq: 2,
            at_ms: 5,
            round: wheel::WheelRoundView {
                id: RoundId(7),
                number: 3,
                phase: wheel::WheelPhase::Spinning,
                betting_left_ms: 0,
                play: wheel::WheelSpin {
                    spin_left_ms: 4_000,
                    slot: Some(42),
                },
                hash: Some("ab".into()),
                previous_hash: "cd".into(),
            },
            bets: Vec::new(),
        });
        let json = serde_json::to_string(&round).unwrap();
        assert_eq!(
            json,
            r#"{"type":"wheel_round","topic":"wheel","seq":2,"at_ms":5,"round":{"id":7,"number":3,"phase":"spinning","betting_left_ms":0,"spin_left_ms":4000,"slot":42,"hash":"ab","previous_hash":"cd"},"bets":[]}"#
        );
        assert_eq!(serde_json::from_str::<ServerMsg>(&json).unwrap(), round);
    }
}
