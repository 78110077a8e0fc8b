//! Server functions. Their bodies run on the server (feature `ssr`) and reach the engine
//! through Leptos context; the browser calls them over HTTP POST, which the server refuses
//! from other origins.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use protocol::dice::FeedBet;
use protocol::records::{BetRecord, TxRecord};
use protocol::wire::{PlayerView, SeedView};
use protocol::Cents;
use serde::{Deserialize, Serialize};

#[cfg(feature = "console")]
pub mod console;

/// Errors server functions return to pages. On the wire: the variant as JSON (for example
/// `"Unauthorized"`) in the body of an error response, which pages decode back into this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The page needs a logged-in player. A visitor's condition, not a failure: the HTTP call
    /// of a server function answers it with status 401.
    #[error("log in to see this")]
    Unauthorized,
    /// The caller's role does not allow it (the console needs `admin`): status 403.
    #[error("this needs the admin role")]
    Forbidden,
    /// An operator action needs the password typed within the last 15 minutes: status 403.
    #[error("confirm your password to act (every 15 minutes)")]
    Reauthenticate,
    /// Refused as asked (nothing changed): a stable code and what to do, status 400, 404 or
    /// 409.
    #[error("{message}")]
    Refused {
        /// `invalid`, `not_found`, or a ledger code (`insufficient_funds`,
        /// `idempotency_conflict`, ...).
        code: String,
        /// What was wrong.
        message: String,
    },
    /// The server failed; details are in its log.
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The call itself failed (network, encoding).
    #[error("request failed: {0}")]
    Call(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Call(value)
    }
}

/// The signed-in player with their committed balance and seed pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// Who.
    pub player: PlayerView,
    /// Balance when the page was rendered.
    pub balance: Cents,
    /// Seed pair for the next bet.
    pub seed: SeedView,
    /// Kept notifications not yet marked read.
    pub unread: u64,
    /// Whether the player may use the operator console (role `admin`).
    pub admin: bool,
}

/// A player's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyHistory {
    /// Latest bets, newest first.
    pub bets: Vec<BetRecord>,
    /// Latest ledger transactions, newest first.
    pub transactions: Vec<TxRecord>,
}

/// The "who am I" resource, shared by the header and pages.
#[derive(Clone, Copy)]
pub struct MeResource(pub Resource<Result<Option<Me>, AppError>>);

/// Creates the shared [`MeResource`].
pub fn provide_me() {
    provide_context(MeResource(Resource::new(|| (), |_| get_me())));
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use axum_extra::extract::CookieJar;
    use engine::accounts::Session;
    use engine::Engine;
    use leptos::prelude::*;
    use leptos::server_fn::ServerFn;

    pub fn engine() -> Result<Engine, AppError> {
        use_context::<Engine>().ok_or(AppError::Internal)
    }

    pub async fn session() -> Result<Option<Session>, AppError> {
        let jar: CookieJar = leptos_axum::extract()
            .await
            .map_err(|_| AppError::Internal)?;
        let Some(token) = crate::session_token(&jar) else {
            return Ok(None);
        };
        engine()?
            .accounts()
            .session(token)
            .await
            .map_err(|_| AppError::Internal)
    }

    /// The session of the server function `F`'s caller, or [`AppError::Unauthorized`].
    pub async fn require_session<F: ServerFn>() -> Result<Session, AppError> {
        match session().await? {
            Some(session) => Ok(session),
            None => Err(refuse::<F>(AppError::Unauthorized)),
        }
    }

    /// A refusal is the client's condition: logged at debug, and the HTTP call of the server
    /// function `F` is answered with the refusal's status (401, 403, 400, 404 or 409) instead
    /// of the default 500. When the function runs inside a page's server-side render instead,
    /// the status is the page's and is left alone (the page shows the refusal).
    pub fn refuse<F: ServerFn>(error: AppError) -> AppError {
        tracing::debug!(path = F::PATH, %error, "server function refused");
        let status = match &error {
            AppError::Unauthorized => http::StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Reauthenticate => http::StatusCode::FORBIDDEN,
            AppError::Refused { code, .. } if code == "not_found" => http::StatusCode::NOT_FOUND,
            AppError::Refused { code, .. } if code == "invalid" => http::StatusCode::BAD_REQUEST,
            AppError::Refused { .. } => http::StatusCode::CONFLICT,
            AppError::Internal | AppError::Call(_) => return error,
        };
        let own_call = use_context::<http::request::Parts>()
            .is_some_and(|request| request.uri.path() == F::PATH);
        if own_call {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(status);
            }
        }
        error
    }

    pub fn internal(error: impl std::fmt::Display) -> AppError {
        tracing::error!(%error, "server function failed");
        AppError::Internal
    }
}

/// The signed-in player, or `None` for a visitor.
#[server]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    let Some(session) = ssr::session().await? else {
        return Ok(None);
    };
    let engine = ssr::engine()?;
    let snapshot = engine
        .ledger()
        .snapshot(session.player.id)
        .await
        .map_err(ssr::internal)?;
    let unread = engine.notices().unread(session.player.id);
    let (unread, _) = unread.await.map_err(ssr::internal)?;
    Ok(Some(Me {
        admin: session.role == engine::chat::Role::Admin,
        player: session.player,
        balance: snapshot.balance,
        seed: snapshot.seed,
        unread,
    }))
}

/// The signed-in player's latest bets and transactions.
#[server]
pub async fn get_history() -> Result<MyHistory, AppError> {
    let session = ssr::require_session::<GetHistory>().await?;
    let history = ssr::engine()?.history();
    let bets = history
        .bets(session.player.id, false)
        .await
        .map_err(ssr::internal)?;
    let transactions = history
        .transactions(session.player.id)
        .await
        .map_err(ssr::internal)?;
    Ok(MyHistory { bets, transactions })
}

/// The signed-in player's bets whose server seed has been revealed.
#[server]
pub async fn get_verifiable_bets() -> Result<Vec<BetRecord>, AppError> {
    let session = ssr::require_session::<GetVerifiableBets>().await?;
    ssr::engine()?
        .history()
        .bets(session.player.id, true)
        .await
        .map_err(ssr::internal)
}

/// The latest dice bets of everyone, newest first (what the live feed starts from).
#[server]
pub async fn get_recent_bets() -> Result<Vec<FeedBet>, AppError> {
    Ok(ssr::engine()?.recent_feed())
}

/// A chat room's latest messages, oldest first.
#[server]
pub async fn get_chat_history(room: String) -> Result<Vec<protocol::chat::ChatMessage>, AppError> {
    let history = ssr::engine()?.chat().history(&room).await;
    history.map_err(|error| match error {
        engine::chat::ChatError::UnknownRoom(_) => {
            ssr::refuse::<GetChatHistory>(AppError::Refused {
                code: "invalid".into(),
                message: error.to_string(),
            })
        }
        error => ssr::internal(error),
    })
}

/// The public profile of `username`, or `None` if nobody is called so.
#[server]
pub async fn get_profile(username: String) -> Result<Option<protocol::records::Profile>, AppError> {
    let engine = ssr::engine()?;
    engine::profiles::profile(engine.store().pool(), engine.leaderboards(), &username)
        .await
        .map_err(ssr::internal)
}

/// The signed-in player's inbox.
#[server]
pub async fn get_inbox() -> Result<protocol::notification::Inbox, AppError> {
    let session = ssr::require_session::<GetInbox>().await?;
    let engine = ssr::engine()?;
    let inbox = engine.notices().inbox(session.player.id);
    inbox.await.map_err(ssr::internal)
}

/// Marks the signed-in player's notifications up to `upto` (the newest id they saw) as read;
/// returns `upto`.
#[server]
pub async fn mark_notifications_read(upto: i64) -> Result<i64, AppError> {
    let session = ssr::require_session::<MarkNotificationsRead>().await?;
    let engine = ssr::engine()?;
    let marked = engine.notices().mark_read(session.player.id, upto);
    marked.await.map_err(ssr::internal)?;
    Ok(upto)
}

/// A scope's boards by `metric` for every period (today, this week, all time), with the
/// signed-in player's own rows.
#[server]
pub async fn get_leaderboards(
    scope: protocol::leaderboard::Scope,
    metric: protocol::leaderboard::Metric,
) -> Result<Vec<protocol::leaderboard::Board>, AppError> {
    use protocol::leaderboard::{BoardKey, Period};
    let viewer = ssr::session().await?.map(|session| session.player.id);
    let engine = ssr::engine()?;
    let boards = Period::ALL.map(|period| {
        let key = BoardKey {
            scope,
            period,
            metric,
        };
        engine.leaderboards().board(key, viewer)
    });
    Ok(boards.into())
}

/// Whether the signed-in player hides their statistics on their profile.
#[server]
pub async fn get_stats_hidden() -> Result<bool, AppError> {
    let session = ssr::require_session::<GetStatsHidden>().await?;
    engine::profiles::stats_hidden(ssr::engine()?.store().pool(), session.player.id)
        .await
        .map_err(ssr::internal)
}

/// Hides or shows the signed-in player's statistics on their profile; returns the new setting.
#[server]
pub async fn set_stats_hidden(hidden: bool) -> Result<bool, AppError> {
    let session = ssr::require_session::<SetStatsHidden>().await?;
    let pool = ssr::engine()?.store().pool().clone();
    engine::profiles::set_stats_hidden(&pool, session.player.id, hidden)
        .await
        .map_err(ssr::internal)?;
    Ok(hidden)
}

/// The latest crash points, newest first.
#[server]
pub async fn get_crash_history() -> Result<Vec<protocol::crash::CrashHistoryItem>, AppError> {
    ssr::engine()?.crash_history().await.map_err(ssr::internal)
}

/// The latest finished crash and wheel rounds, with what is needed to verify them.
#[server]
pub async fn get_verifiable_rounds() -> Result<Vec<protocol::records::RoundRecord>, AppError> {
    use engine::ledger::rounds::Game;
    let pool = ssr::engine()?.store().pool().clone();
    let mut rounds = engine::rounds::verifiable_rounds(&pool, Game::Crash)
        .await
        .map_err(ssr::internal)?;
    rounds.extend(
        engine::rounds::verifiable_rounds(&pool, Game::Wheel)
            .await
            .map_err(ssr::internal)?,
    );
    Ok(rounds)
}

/// Every published hash chain (terminal hash and salt) of the round games.
#[server]
pub async fn get_published_chains() -> Result<Vec<protocol::records::ChainRecord>, AppError> {
    engine::rounds::published_chains(ssr::engine()?.store().pool())
        .await
        .map_err(ssr::internal)
}
