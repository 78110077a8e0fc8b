//! Keys of the operator wallet API (docs/operator-api.md): created and revoked by admins in the
//! console, and what a signed call through one does: credit or debit a player against the
//! treasury, once per idempotency key, recorded in the audit log in the name of the key's
//! creator. Checking a request's signature is the server's (the HTTP edge); this module finds
//! the key and its secret.

use super::audit::{self, Action};
use super::{check_reason, Console, ConsoleError, Operator};
use crate::store::now_ms;
use protocol::console::{ApiKeyView, NewApiKey, ADJUSTMENT_CENTS_MAX, API_KEY_NAME_CHARS_MAX};
use protocol::wire::PlayerView;
use protocol::{Cents, PlayerId};
use rand::RngCore;
use sqlx::Row;

/// Bytes of randomness in a key id (`zk_` and 12 hex digits).
const API_KEY_ID_BYTES: usize = 6;
/// Bytes of randomness in a key's secret (64 hex digits).
const API_KEY_SECRET_BYTES: usize = 32;
/// Longest idempotency key a call may carry: the ledger's 64 bytes less the key id and `:` it
/// is scoped by.
pub const API_IDEMPOTENCY_KEY_BYTES_MAX: usize = 48;

/// A live key, as a request's signature is checked against it.
#[derive(Clone)]
pub struct ApiKey {
    /// `zk_...`.
    pub key_id: String,
    /// What it is for.
    pub name: String,
    /// The HMAC key of its requests' signatures.
    pub secret: String,
    /// The admin who created it: the calls are theirs in the audit log.
    creator: PlayerView,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("key_id", &self.key_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a credit or debit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAdjustment {
    /// The player as registered.
    pub username: String,
    /// Their balance right after it.
    pub balance: Cents,
    /// Its ledger transaction.
    pub transaction: i64,
    /// Whether this answers a retry (nothing moved now).
    pub repeated: bool,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

impl Console {
    /// Every key, newest first.
    pub async fn api_keys(&self, _operator: &Operator) -> Result<Vec<ApiKeyView>, ConsoleError> {
        let rows = sqlx::query(
            "SELECT k.key_id, k.name, u.username, k.created_at, k.revoked_at \
             FROM api_keys k JOIN users u ON u.id = k.created_by ORDER BY k.id DESC",
        )
        .fetch_all(&self.parts.pool)
        .await?;
        let keys = rows.iter().map(|row| {
            Ok(ApiKeyView {
                key_id: row.try_get(0)?,
                name: row.try_get(1)?,
                created_by: row.try_get(2)?,
                created_ms: row.try_get(3)?,
                revoked_ms: row.try_get(4)?,
            })
        });
        Ok(keys.collect::<Result<_, sqlx::Error>>()?)
    }

    /// Creates a key named `name`; its secret is in the answer and nowhere else it is shown.
    pub async fn create_api_key(
        &self,
        operator: &Operator,
        name: &str,
    ) -> Result<NewApiKey, ConsoleError> {
        operator.fresh()?;
        let name = name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > API_KEY_NAME_CHARS_MAX {
            return Err(ConsoleError::Invalid(format!(
                "a key's name has 1 to {API_KEY_NAME_CHARS_MAX} characters"
            )));
        }
        let key_id = format!("zk_{}", random_hex(API_KEY_ID_BYTES));
        let secret = random_hex(API_KEY_SECRET_BYTES);
        let now = now_ms();
        sqlx::query(
            "INSERT INTO api_keys (key_id, name, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key_id)
        .bind(name)
        .bind(&secret)
        .bind(operator.player.id.0)
        .bind(now)
        .execute(&self.parts.pool)
        .await?;
        let entry = Action {
            action: "create_api_key",
            target: format!("api key {key_id}"),
            before: "none".into(),
            after: format!("live, named {name}"),
            reason: None,
        };
        audit::record(&self.parts.pool, operator, entry).await?;
        let key = ApiKeyView {
            key_id,
            name: name.to_owned(),
            created_by: operator.player.username.clone(),
            created_ms: now,
            revoked_ms: None,
        };
        Ok(NewApiKey { key, secret })
    }

    /// Revokes a key: its requests are refused from now on.
    pub async fn revoke_api_key(
        &self,
        operator: &Operator,
        key_id: &str,
    ) -> Result<(), ConsoleError> {
        operator.fresh()?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(key_id)
        .execute(&self.parts.pool)
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(ConsoleError::NotFound(format!(
                "there is no live api key {key_id}"
            )));
        }
        let entry = Action {
            action: "revoke_api_key",
            target: format!("api key {key_id}"),
            before: "live".into(),
            after: "revoked".into(),
            reason: None,
        };
        audit::record(&self.parts.pool, operator, entry).await?;
        Ok(())
    }

    /// The live key `key_id`, if there is one.
    pub async fn live_api_key(&self, key_id: &str) -> Result<Option<ApiKey>, ConsoleError> {
        let row = sqlx::query(
            "SELECT k.key_id, k.name, k.secret, u.id, u.username FROM api_keys k \
             JOIN users u ON u.id = k.created_by WHERE k.key_id = $1 AND k.revoked_at IS NULL",
        )
        .bind(key_id)
        .fetch_optional(&self.parts.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ApiKey {
            key_id: row.try_get(0)?,
            name: row.try_get(1)?,
            secret: row.try_get(2)?,
            creator: PlayerView {
                id: PlayerId(row.try_get(3)?),
                username: row.try_get(4)?,
            },
        }))
    }

    /// Credits (`amount` > 0) or debits a player through a key, once per idempotency key;
    /// recorded in the audit log with `reason` unless it is a retry.
    pub async fn api_adjust(
        &self,
        key: &ApiKey,
        username: &str,
        amount: Cents,
        idempotency_key: &str,
        reason: &str,
    ) -> Result<ApiAdjustment, ConsoleError> {
        let reason = check_reason(reason)?;
        if amount.0 == 0 || amount.0.abs() > ADJUSTMENT_CENTS_MAX {
            return Err(ConsoleError::Invalid(format!(
                "amount is 1 to {ADJUSTMENT_CENTS_MAX} cents"
            )));
        }
        if idempotency_key.is_empty() || idempotency_key.len() > API_IDEMPOTENCY_KEY_BYTES_MAX {
            return Err(ConsoleError::Invalid(format!(
                "idempotency_key is 1 to {API_IDEMPOTENCY_KEY_BYTES_MAX} printable ASCII bytes"
            )));
        }
        let before = self.player_row(username).await?;
        let player = PlayerId(before.player.id);
        let scoped = format!("{}:{idempotency_key}", key.key_id);
        let done = self.parts.ledger.adjust(player, &scoped, amount).await?;
        let adjusted = ApiAdjustment {
            username: before.player.username.clone(),
            balance: done.balance,
            transaction: done.tx,
            repeated: done.repeated,
        };
        if done.repeated {
            return Ok(adjusted);
        }
        let entry = Action {
            action: if amount.0 > 0 {
                "api_credit"
            } else {
                "api_debit"
            },
            target: format!("player {}", before.player.username),
            before: format!("balance: {}", before.balance),
            after: format!(
                "balance: {} (transaction {}, {amount}, api key {} {})",
                done.balance, done.tx, key.name, key.key_id
            ),
            reason: Some(reason),
        };
        let operator = Operator {
            player: key.creator.clone(),
            authenticated_ms: 0,
        };
        audit::record(&self.parts.pool, &operator, entry).await?;
        Ok(adjusted)
    }

    /// A player's committed balance, for a key's `balance` call.
    pub async fn api_balance(&self, username: &str) -> Result<(String, Cents), ConsoleError> {
        let row = self.player_row(username).await?;
        Ok((row.player.username, row.balance))
    }
}
