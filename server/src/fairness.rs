//! Machine-readable fairness data, for anyone who verifies rounds outside the browser:
//! `GET /api/chains` (every hash chain ever generated: its terminal hash, committed before its
//! first round, and its public salt) and `GET /api/rounds/{game}` (the latest ended rounds of a
//! game with their revealed hashes and outcomes). The same data `/fair` shows.

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use protocol::records::{ChainRecord, RoundRecord};
use protocol::Game;

/// The fairness routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/chains", get(chains))
        .route("/api/rounds/{game}", get(rounds))
}

/// Why a fairness request failed.
#[derive(Debug, thiserror::Error)]
enum FairnessError {
    #[error("no round game is called {0:?}")]
    UnknownGame(String),
    #[error("storage error")]
    Storage(#[from] sqlx::Error),
}

impl IntoResponse for FairnessError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            FairnessError::UnknownGame(_) => (StatusCode::NOT_FOUND, "unknown_game"),
            FairnessError::Storage(error) => {
                tracing::error!(%error, "reading fairness data failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let body = serde_json::json!({ "code": code, "message": self.to_string() });
        (status, Json(body)).into_response()
    }
}

async fn chains(State(state): State<AppState>) -> Result<Json<Vec<ChainRecord>>, FairnessError> {
    let pool = state.engine.store().pool();
    Ok(Json(engine::rounds::published_chains(pool).await?))
}

async fn rounds(
    State(state): State<AppState>,
    Path(game): Path<String>,
) -> Result<Json<Vec<RoundRecord>>, FairnessError> {
    let game = Game::parse(&game).ok_or(FairnessError::UnknownGame(game))?;
    let pool = state.engine.store().pool();
    Ok(Json(engine::rounds::verifiable_rounds(pool, game).await?))
}
