//! The operator wallet API (docs/operator-api.md): server-to-server calls signed with a key
//! created in the console. Each request carries the key id, a Unix timestamp and
//! `HMAC-SHA256(secret, method \n path \n timestamp \n body)`; old timestamps are refused, the
//! signature is compared in constant time, and only then is the body read and the call made.

use crate::limits::{OPERATOR_API_BODY_BYTES_MAX, OPERATOR_API_SKEW_SECS};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::console::keys::ApiKey;
use engine::console::ConsoleError;
use hmac::{Hmac, Mac};
use protocol::Cents;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;
use tower_http::limit::RequestBodyLimitLayer;

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/operator/v1/players/{username}/credit", post(credit))
        .route("/operator/v1/players/{username}/debit", post(debit))
        .route("/operator/v1/players/{username}/balance", get(balance))
        .layer(RequestBodyLimitLayer::new(OPERATOR_API_BODY_BYTES_MAX))
}

/// A refusal: status, code and message.
struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Refusal(status, code, message) = self;
        (status, Json(json!({ "code": code, "message": message }))).into_response()
    }
}

impl From<ConsoleError> for Refusal {
    fn from(error: ConsoleError) -> Refusal {
        let message = error.to_string();
        match error {
            ConsoleError::NotFound(_) => Refusal(StatusCode::NOT_FOUND, "unknown_player", message),
            ConsoleError::Invalid(_) => Refusal(StatusCode::BAD_REQUEST, "invalid", message),
            ConsoleError::Ledger(ledger) => {
                let code: &'static str = ledger.code().into();
                let status = match code {
                    "internal" => StatusCode::INTERNAL_SERVER_ERROR,
                    "invalid_idempotency_key" | "bad_request" => StatusCode::BAD_REQUEST,
                    _ => StatusCode::CONFLICT,
                };
                Refusal(status, code, message)
            }
            ConsoleError::Forbidden | ConsoleError::Reauthenticate | ConsoleError::Storage => {
                Refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
            }
        }
    }
}

fn unsigned(message: &str) -> Refusal {
    Refusal(StatusCode::UNAUTHORIZED, "unsigned", message.to_owned())
}

/// The key that signed the request, once its timestamp and signature are checked.
async fn signer(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ApiKey, Refusal> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (Some(key_id), Some(timestamp), Some(signature)) = (
        header("x-zerolag-key"),
        header("x-zerolag-timestamp"),
        header("x-zerolag-signature"),
    ) else {
        return Err(unsigned(
            "sign the request: x-zerolag-key, x-zerolag-timestamp and x-zerolag-signature",
        ));
    };
    let signature = hex::decode(signature).map_err(|_| unsigned("the signature is not hex"))?;
    let sent_at: i64 = timestamp
        .parse()
        .map_err(|_| unsigned("the timestamp is not Unix seconds"))?;
    let console = state.engine.console();
    let Some(key) = console.live_api_key(key_id).await? else {
        let message = "no live api key has that id".to_owned();
        return Err(Refusal(StatusCode::UNAUTHORIZED, "unknown_key", message));
    };
    let now = engine::store::now_ms() / 1_000;
    if (now - sent_at).abs() > OPERATOR_API_SKEW_SECS {
        let message =
            format!("the timestamp is more than {OPERATOR_API_SKEW_SECS} s from ours ({now})");
        return Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "stale_timestamp",
            message,
        ));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key.secret.as_bytes()).expect("any key length");
    mac.update(format!("{method}\n{}\n{timestamp}\n", uri.path()).as_bytes());
    mac.update(body);
    if mac.verify_slice(&signature).is_err() {
        let message = "the signature does not match the request".to_owned();
        return Err(Refusal(StatusCode::UNAUTHORIZED, "bad_signature", message));
    }
    Ok(key)
}

/// A credit's or debit's body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    amount: i64,
    idempotency_key: String,
    reason: String,
}

async fn credit(
    State(state): State<AppState>,
    Path(username): Path<String>,
    (method, uri, headers): (Method, Uri, HeaderMap),
    body: Bytes,
) -> Result<Response, Refusal> {
    adjust(&state, &username, (&method, &uri, &headers), &body, 1).await
}

async fn debit(
    State(state): State<AppState>,
    Path(username): Path<String>,
    (method, uri, headers): (Method, Uri, HeaderMap),
    body: Bytes,
) -> Result<Response, Refusal> {
    adjust(&state, &username, (&method, &uri, &headers), &body, -1).await
}

/// A signed credit (`sign` 1) or debit (-1).
async fn adjust(
    state: &AppState,
    username: &str,
    (method, uri, headers): (&Method, &Uri, &HeaderMap),
    body: &[u8],
    sign: i64,
) -> Result<Response, Refusal> {
    let key = signer(state, method, uri, headers, body).await?;
    let request: Move = serde_json::from_slice(body).map_err(|error| {
        Refusal(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("the body: {error}"),
        )
    })?;
    if request.amount <= 0 {
        let message = "amount is a positive number of cents".to_owned();
        return Err(Refusal(StatusCode::BAD_REQUEST, "invalid", message));
    }
    let console = state.engine.console();
    let amount = Cents(request.amount * sign);
    let done = console
        .api_adjust(
            &key,
            username,
            amount,
            &request.idempotency_key,
            &request.reason,
        )
        .await?;
    Ok(Json(json!({
        "username": done.username,
        "balance": done.balance,
        "transaction": done.transaction,
        "repeated": done.repeated,
    }))
    .into_response())
}

async fn balance(
    State(state): State<AppState>,
    Path(username): Path<String>,
    (method, uri, headers): (Method, Uri, HeaderMap),
) -> Result<Response, Refusal> {
    signer(&state, &method, &uri, &headers, b"").await?;
    let (username, balance) = state.engine.console().api_balance(&username).await?;
    Ok(Json(json!({ "username": username, "balance": balance })).into_response())
}
