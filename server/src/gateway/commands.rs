//! Decoding and running client commands. Each command produces exactly one reply with its
//! `req`: an `ack` with the result, or an `error` with a stable code. A refused command
//! changes nothing.

use engine::accounts::Session;
use engine::hub::Outbox;
use engine::ledger::LedgerError;
use engine::Engine;
use protocol::dice::DiceError;
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

/// Command types this protocol version knows, to tell "unknown type" from "bad fields".
const KNOWN_TYPES: [&str; 7] = [
    "dice_bet",
    "set_client_seed",
    "rotate_seed",
    "crash_bet",
    "crash_cash_out",
    "wheel_bet",
    "ping",
];

/// Decodes a text frame; on failure returns the `req` (if readable), a code and a message.
pub fn decode(text: &str) -> Result<ClientMsg, (Option<u64>, ErrorCode, String)> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        (
            None,
            ErrorCode::BadRequest,
            format!("frame is not valid JSON: {e}"),
        )
    })?;
    let req = value.get("req").and_then(serde_json::Value::as_u64);
    let Some(kind) = value
        .get("type")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
    else {
        return Err((req, ErrorCode::BadRequest, "frame has no \"type\"".into()));
    };
    if !KNOWN_TYPES.contains(&kind.as_str()) {
        return Err((
            req,
            ErrorCode::UnknownType,
            format!("unknown command type \"{kind}\""),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| (req, ErrorCode::BadRequest, format!("invalid {kind}: {e}")))
}

fn ledger_error(error: LedgerError) -> (ErrorCode, String) {
    let code = match &error {
        LedgerError::InsufficientFunds { .. } => ErrorCode::InsufficientFunds,
        LedgerError::Dice(DiceError::Stake(stake)) => (*stake).into(),
        LedgerError::Dice(DiceError::InvalidTarget) => ErrorCode::InvalidTarget,
        LedgerError::Dice(DiceError::PayoutTooLarge) => ErrorCode::PayoutTooLarge,
        LedgerError::InvalidSeed => ErrorCode::InvalidSeed,
        LedgerError::InvalidIdempotencyKey => ErrorCode::InvalidIdempotencyKey,
        LedgerError::IdempotencyConflict => ErrorCode::IdempotencyConflict,
        LedgerError::BetNotOpen
        | LedgerError::NoWallet
        | LedgerError::Unavailable
        | LedgerError::Storage => ErrorCode::Internal,
    };
    (code, error.to_string())
}

impl Context {
    fn crash(&self) -> Result<&engine::crash::Crash, (ErrorCode, String)> {
        self.engine
            .crash()
            .ok_or((ErrorCode::Internal, "the crash game is not running".into()))
    }

    /// Sends an `error` reply.
    pub fn error(&self, req: Option<u64>, code: ErrorCode, message: &str) {
        self.outbox.send(&ServerMsg::Error {
            req,
            code,
            message: message.to_owned(),
        });
    }

    /// Runs one command, received at `received`, and sends its reply.
    pub async fn run(&self, command: ClientMsg, received: Instant) {
        let req = command.req();
        let reply = match self.execute(command, received).await {
            Ok(result) => ServerMsg::Ack { req, result },
            Err((code, message)) => ServerMsg::Error {
                req: Some(req),
                code,
                message,
            },
        };
        self.outbox.send(&reply);
    }

    async fn execute(
        &self,
        command: ClientMsg,
        received: Instant,
    ) -> Result<AckResult, (ErrorCode, String)> {
        if let ClientMsg::Ping { .. } = command {
            return Ok(AckResult::Pong);
        }
        let Some(session) = &self.session else {
            return Err((ErrorCode::Unauthorized, "log in to do that".into()));
        };
        let player = session.player.id;
        let ledger = self.engine.ledger();
        match command {
            ClientMsg::DiceBet {
                idem,
                amount,
                target,
                ..
            } => ledger
                .dice_bet(player, &idem, amount, target)
                .await
                .map(|receipt| AckResult::Dice {
                    bet: receipt.bet,
                    balance: receipt.balance,
                }),
            ClientMsg::SetClientSeed { client_seed, .. } => ledger
                .set_client_seed(player, &client_seed)
                .await
                .map(|change| AckResult::Seed {
                    seed: change.seed,
                    revealed: change.revealed,
                }),
            ClientMsg::RotateSeed { .. } => {
                ledger
                    .rotate_seed(player)
                    .await
                    .map(|change| AckResult::Seed {
                        seed: change.seed,
                        revealed: change.revealed,
                    })
            }
            ClientMsg::CrashBet {
                idem,
                amount,
                auto_cashout_x100,
                ..
            } => {
                let crash = self.crash()?;
                return crash
                    .bet(session.player.clone(), idem, amount, auto_cashout_x100)
                    .await
                    .map(|ack| AckResult::CrashBet {
                        round: ack.round,
                        balance: ack.balance,
                        status: ack.status,
                        payout: ack.payout,
                    })
                    .map_err(|e| (e.code(), e.to_string()));
            }
            ClientMsg::CrashCashOut { .. } => {
                let crash = self.crash()?;
                return crash
                    .cash_out(player, received)
                    .await
                    .map(|ack| AckResult::CrashCashOut {
                        multiplier_x100: ack.multiplier_x100,
                        payout: ack.payout,
                    })
                    .map_err(|e| (e.code(), e.to_string()));
            }
            ClientMsg::WheelBet {
                idem,
                amount,
                segment,
                ..
            } => {
                let wheel = self
                    .engine
                    .wheel()
                    .ok_or((ErrorCode::Internal, "the wheel is not running".into()))?;
                return wheel
                    .bet(session.player.clone(), idem, amount, segment)
                    .await
                    .map(|ack| AckResult::WheelBet {
                        round: ack.round,
                        balance: ack.balance,
                        status: ack.status,
                        payout: ack.payout,
                    })
                    .map_err(|e| (e.code(), e.to_string()));
            }
            ClientMsg::Ping { .. } => Ok(AckResult::Pong),
        }
        .map_err(ledger_error)
    }
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
