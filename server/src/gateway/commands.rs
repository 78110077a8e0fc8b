//! Decoding and running client commands. Each command produces exactly one reply with its
//! `req`: an `ack` with the result, or an `error` with a stable code. A refused command
//! changes nothing.

use engine::accounts::Session;
use engine::chat::ChatError;
use engine::console::ConsoleError;
use engine::hub::Outbox;
use engine::ledger::{LedgerError, SeedChange};
use engine::rounds::RoundError;
use engine::Engine;
use protocol::dice::DiceAck;
use protocol::wire::{AckResult, ErrorCode};
use protocol::{ClientMsg, ServerMsg};
use tokio::time::Instant;

/// What a running command needs from its connection.
#[derive(Clone)]
pub struct Context {
    pub engine: Engine,
    pub session: Option<Session>,
    pub outbox: Outbox,
}

/// Decodes a text frame, parsing it once when it is a valid command; on failure returns the
/// `req` (if readable), a code and a message.
pub fn decode(text: &str) -> Result<ClientMsg, (Option<u64>, ErrorCode, String)> {
    serde_json::from_str(text).map_err(|error| refusal_of(text, &error))
}

/// Why a frame is not a command: not JSON, no `type`, an unknown `type`, or bad fields.
fn refusal_of(text: &str, error: &serde_json::Error) -> (Option<u64>, ErrorCode, String) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return (
            None,
            ErrorCode::BadRequest,
            format!("frame is not valid JSON: {error}"),
        );
    };
    let req = value.get("req").and_then(serde_json::Value::as_u64);
    match value.get("type").and_then(serde_json::Value::as_str) {
        None => (req, ErrorCode::BadRequest, "frame has no \"type\"".into()),
        Some(kind) if !ClientMsg::TYPES.contains(&kind) => (
            req,
            ErrorCode::UnknownType,
            format!("unknown command type \"{kind}\""),
        ),
        Some(kind) => (
            req,
            ErrorCode::BadRequest,
            format!("invalid {kind}: {error}"),
        ),
    }
}

/// A refused command's `error` code and message.
type Refusal = (ErrorCode, String);

fn ledger_refusal(error: LedgerError) -> Refusal {
    (error.code(), error.to_string())
}

fn round_refusal(error: RoundError) -> Refusal {
    (error.code(), error.to_string())
}

fn console_refusal(error: ConsoleError) -> Refusal {
    let code = match error {
        ConsoleError::Forbidden => ErrorCode::Forbidden,
        _ => ErrorCode::Internal,
    };
    (code, error.to_string())
}

fn chat_refusal(error: ChatError) -> Refusal {
    (error.code(), error.to_string())
}

impl Context {
    /// Sends an `error` reply.
    pub fn error(&self, req: Option<u64>, code: ErrorCode, message: &str) {
        self.observe_refusal(code);
        self.outbox.send(&ServerMsg::Error {
            req,
            code,
            message: message.to_owned(),
        });
    }

    /// Runs one command, received at `received`, and sends its reply.
    pub async fn run(&self, command: ClientMsg, received: Instant) {
        let req = command.req();
        let kind: &'static str = (&command).into();
        let reply = match self.execute(command, received).await {
            Ok(result) => {
                metrics::counter!("zerolag_commands_total", "type" => kind, "result" => "ack")
                    .increment(1);
                ServerMsg::Ack { req, result }
            }
            Err((code, message)) => {
                let result: &'static str = code.into();
                metrics::counter!("zerolag_commands_total", "type" => kind, "result" => result)
                    .increment(1);
                self.observe_refusal(code);
                ServerMsg::Error {
                    req: Some(req),
                    code,
                    message,
                }
            }
        };
        self.outbox.send(&reply);
        let took = received.elapsed();
        metrics::histogram!("zerolag_command_ack_seconds", "type" => kind)
            .record(took.as_secs_f64());
        let bet = matches!(kind, "dice_bet" | "crash_bet" | "wheel_bet");
        let acked = matches!(reply, ServerMsg::Ack { .. });
        self.engine.pulse().record(took, bet && acked);
    }

    async fn execute(&self, command: ClientMsg, received: Instant) -> Result<AckResult, Refusal> {
        match &command {
            ClientMsg::Ping { .. } => return Ok(AckResult::Pong),
            ClientMsg::Presence(visit) => return self.visit(visit.room.as_deref()),
            ClientMsg::LeaderboardWatch(watch) => return self.watch(&watch.scope),
            _ => {}
        }
        let Some(session) = &self.session else {
            return Err((ErrorCode::Unauthorized, "log in to do that".into()));
        };
        let (player, ledger) = (session.player.clone(), self.engine.ledger());
        self.screen(player.id, &command)?;
        match command {
            ClientMsg::SetClientSeed { client_seed, .. } => {
                seed_ack(ledger.set_client_seed(player.id, &client_seed).await)
            }
            ClientMsg::RotateSeed { .. } => seed_ack(ledger.rotate_seed(player.id).await),
            ClientMsg::Ping { .. } => Ok(AckResult::Pong),
            ClientMsg::Presence(visit) => self.visit(visit.room.as_deref()),
            ClientMsg::LeaderboardWatch(watch) => self.watch(&watch.scope),
            ClientMsg::DiceBet(bet) => {
                let receipt = ledger.dice_bet(player.id, &bet.idem, bet.amount, bet.target);
                let receipt = receipt.await.map_err(ledger_refusal)?;
                Ok(AckResult::Dice(DiceAck {
                    bet: receipt.bet,
                    balance: receipt.balance,
                }))
            }
            ClientMsg::CrashBet(bet) => {
                let crash = self.engine.crash().ok_or_else(not_running)?;
                let ack = crash.bet(player, bet.idem, bet.amount, bet.auto_cashout_x100);
                ack.await.map(AckResult::CrashBet).map_err(round_refusal)
            }
            ClientMsg::CrashCashOut(_) => {
                let crash = self.engine.crash().ok_or_else(not_running)?;
                let ack = crash.cash_out(player.id, received).await;
                ack.map(AckResult::CrashCashOut).map_err(round_refusal)
            }
            ClientMsg::WheelBet(bet) => {
                let wheel = self.engine.wheel().ok_or_else(not_running)?;
                let ack = wheel.bet(player, bet.idem, bet.amount, bet.segment).await;
                ack.map(AckResult::WheelBet).map_err(round_refusal)
            }
            ClientMsg::AdminWatch { .. } => {
                let console = self.engine.console();
                let watched = match console.operator(session).await {
                    Ok(operator) => console.watch(&operator, &self.outbox).await,
                    Err(refusal) => Err(refusal),
                };
                watched
                    .map(|()| AckResult::AdminWatch)
                    .map_err(console_refusal)
            }
            ClientMsg::Broadcast(_)
            | ClientMsg::ChatSend(_)
            | ClientMsg::ChatMute(_)
            | ClientMsg::ChatBan(_)
            | ClientMsg::ChatLift(_) => self.social(&player, command).await,
        }
    }
}

impl Context {
    /// What the risk engine sees of a signed-in player's command, and the refusal of every
    /// command but a cash-out (which protects what a bet already won) when they are suspended.
    fn screen(&self, player: protocol::PlayerId, command: &ClientMsg) -> Result<(), Refusal> {
        let risk = self.engine.risk();
        let restriction = risk.restriction(player);
        if restriction.suspended && !matches!(command, ClientMsg::CrashCashOut(_)) {
            return Err((
                ErrorCode::AccountSuspended,
                "your account is suspended pending review; your balance and open bets are kept"
                    .into(),
            ));
        }
        let amount = match command {
            ClientMsg::DiceBet(bet) => bet.amount,
            ClientMsg::CrashBet(bet) => bet.amount,
            ClientMsg::WheelBet(bet) => bet.amount,
            _ => return Ok(()),
        };
        if let Some(cap) = restriction.bet_cap.filter(|cap| amount.0 > *cap) {
            return Err((
                ErrorCode::BetCapped,
                format!(
                    "your stakes are capped at {} while your account is reviewed",
                    protocol::Cents(cap)
                ),
            ));
        }
        risk.observe(engine::risk::Signal::Bet {
            player,
            amount: amount.0,
            at_ms: engine::store::now_ms(),
        });
        Ok(())
    }

    /// Tells the risk engine a signed-in player's command was refused as abusive (rate limited
    /// or malformed).
    fn observe_refusal(&self, code: ErrorCode) {
        let abusive = matches!(
            code,
            ErrorCode::RateLimited
                | ErrorCode::BadRequest
                | ErrorCode::UnknownType
                | ErrorCode::TooLarge
        );
        if let (true, Some(session)) = (abusive, &self.session) {
            self.engine.risk().observe(engine::risk::Signal::Refused {
                player: session.player.id,
                at_ms: engine::store::now_ms(),
            });
        }
    }

    /// Chat and broadcasts.
    async fn social(
        &self,
        player: &protocol::wire::PlayerView,
        command: ClientMsg,
    ) -> Result<AckResult, Refusal> {
        match command {
            ClientMsg::Broadcast(broadcast) => {
                let sent = self.engine.notices().broadcast(player, &broadcast.body);
                sent.await.map(AckResult::Broadcast).map_err(chat_refusal)
            }
            ClientMsg::ChatSend(send) => {
                let sent = self.engine.chat().send(player, &send.room, &send.body);
                sent.await.map(AckResult::ChatMessage).map_err(chat_refusal)
            }
            ClientMsg::ChatMute(mute) => {
                let chat = self.engine.chat();
                let done = chat.mute(player.id, &mute.username, mute.minutes, &mute.reason);
                done.await
                    .map(AckResult::ChatStanding)
                    .map_err(chat_refusal)
            }
            ClientMsg::ChatBan(ban) => {
                let done = self
                    .engine
                    .chat()
                    .ban(player.id, &ban.username, &ban.reason);
                done.await
                    .map(AckResult::ChatStanding)
                    .map_err(chat_refusal)
            }
            ClientMsg::ChatLift(lift) => {
                let done = self.engine.chat().lift(player.id, &lift.username);
                done.await
                    .map(AckResult::ChatStanding)
                    .map_err(chat_refusal)
            }
            // `execute` sends only the commands above here.
            other => Err((
                ErrorCode::Internal,
                format!("{other:?} is not a social command"),
            )),
        }
    }

    /// `presence`: the page this connection shows now (visitors too).
    fn visit(&self, room: Option<&str>) -> Result<AckResult, Refusal> {
        if self.engine.presence().visit(self.outbox.id(), room) {
            Ok(AckResult::Presence)
        } else {
            let room = room.unwrap_or_default();
            let known = "\"dice\", \"crash\", \"wheel\" or null";
            Err((
                ErrorCode::UnknownRoom,
                format!("no game page \"{room}\": use {known}"),
            ))
        }
    }
}

impl Context {
    /// `leaderboard_watch`: the scope's boards now, then their changes (visitors too).
    fn watch(&self, scope: &str) -> Result<AckResult, Refusal> {
        let Some(scope) = protocol::leaderboard::Scope::parse(scope) else {
            let known = "\"overall\", \"dice\", \"crash\" or \"wheel\"";
            return Err((
                ErrorCode::UnknownScope,
                format!("no leaderboard scope \"{scope}\": use {known}"),
            ));
        };
        self.engine.leaderboards().watch(scope, &self.outbox);
        Ok(AckResult::LeaderboardWatch)
    }
}

fn seed_ack(change: Result<SeedChange, LedgerError>) -> Result<AckResult, Refusal> {
    let change = change.map_err(ledger_refusal)?;
    Ok(AckResult::Seed {
        seed: change.seed,
        revealed: change.revealed,
    })
}

fn not_running() -> Refusal {
    (ErrorCode::Internal, "that game is not running".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_frames_get_precise_codes() {
        assert_eq!(decode("{nope").unwrap_err().1, ErrorCode::BadRequest);
        assert_eq!(
            decode(r#"{"req":3}"#).unwrap_err(),
            (
                Some(3),
                ErrorCode::BadRequest,
                "frame has no \"type\"".into()
            )
        );
        assert_eq!(
            decode(r#"{"type":"launch","req":4}"#).unwrap_err().1,
            ErrorCode::UnknownType
        );
        let (req, code, _) =
            decode(r#"{"type":"dice_bet","req":5,"idem":"k","amount":"ten","target":5000}"#)
                .unwrap_err();
        assert_eq!((req, code), (Some(5), ErrorCode::BadRequest));
        assert_eq!(
            decode(r#"{"type":"ping","req":6}"#).unwrap(),
            ClientMsg::Ping { req: 6 }
        );
    }
}
