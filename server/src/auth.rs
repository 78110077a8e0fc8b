//! `/auth/*`: register, log in, log out, and confirm the password (the operator console asks
//! for it every 15 minutes before an action). Plain form posts that answer with a redirect (so they
//! work before hydration and without JavaScript), or with JSON when the client asks for it.

use crate::client_ip::ClientIp;
use crate::limits::AUTH_FORM_BYTES_MAX;
use crate::state::AppState;
use app::{session_token, SECURE_SESSION_COOKIE, SESSION_COOKIE};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use engine::accounts::{AuthError, Client, DeviceId, Session, SessionToken};
use engine::limits::{DEVICE_COOKIE_MAX_AGE_MS, SESSION_ABSOLUTE_MS};
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;

/// The auth routes. Their forms are at most two short fields: a request whose body is over
/// [`AUTH_FORM_BYTES_MAX`] is refused with 413 and does nothing (a declared `Content-Length`
/// over it is refused before any handler runs; a body sent without one, when reading the form
/// goes past it).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/confirm", post(confirm))
        .layer(RequestBodyLimitLayer::new(AUTH_FORM_BYTES_MAX))
}

/// Fields of the register and login forms.
#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The session cookie: named with the `__Host-` prefix over https.
fn session_cookie(token: SessionToken, secure: bool) -> Cookie<'static> {
    let name = if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    site_cookie(name, token.0, SESSION_ABSOLUTE_MS, secure)
}

/// The browser's device cookie: see [`engine::accounts::DeviceId`].
pub const DEVICE_COOKIE: &str = "zl_device";

fn device_cookie(device: &DeviceId, secure: bool) -> Cookie<'static> {
    let value = device.as_str().to_owned();
    site_cookie(DEVICE_COOKIE, value, DEVICE_COOKIE_MAX_AGE_MS, secure)
}

/// A cookie for the whole site that scripts cannot read, sent on same-site requests and
/// top-level navigations, kept `max_age_ms`; `Secure` over https.
fn site_cookie(
    name: &'static str,
    value: String,
    max_age_ms: i64,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time_from_ms(max_age_ms))
        .build()
}

fn time_from_ms(ms: i64) -> time::Duration {
    time::Duration::milliseconds(ms)
}

/// Answers a sign-in: the session cookie, the device cookie (kept, or new), and a word to the
/// risk engine about where the player signed in from.
fn signed_in(
    (jar, state, headers): (CookieJar, &AppState, &HeaderMap),
    client: Client,
    new_account: bool,
    outcome: (Session, SessionToken),
) -> Response {
    let (session, token) = outcome;
    let device = client.device_id.unwrap_or_default();
    state.engine.risk().observe(engine::risk::Signal::SignedIn {
        player: session.player.id,
        ip: client.ip,
        device: Some(device.as_str().to_owned()),
        new_account,
        at_ms: engine::store::now_ms(),
    });
    let jar = jar
        .add(session_cookie(token, state.secure_cookies))
        .add(device_cookie(&device, state.secure_cookies));
    if wants_json(headers) {
        (jar, Json(serde_json::json!({ "player": session.player }))).into_response()
    } else {
        (jar, Redirect::to("/")).into_response()
    }
}

fn refused(error: AuthError, headers: &HeaderMap, page: &str) -> Response {
    let status = match error {
        AuthError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AuthError::UsernameTaken => StatusCode::CONFLICT,
        AuthError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AuthError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        AuthError::InvalidUsername | AuthError::WeakPassword => StatusCode::UNPROCESSABLE_ENTITY,
    };
    if wants_json(headers) {
        let body = serde_json::json!({ "code": error.code(), "message": error.to_string() });
        (status, Json(body)).into_response()
    } else {
        Redirect::to(&format!("{page}?error={}", error.code())).into_response()
    }
}

async fn register(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<Credentials>,
) -> Response {
    let client = origin(client, &headers, &jar);
    match state
        .engine
        .accounts()
        .register(&form.username, &form.password, client.clone())
        .await
    {
        Ok(outcome) => signed_in((jar, &state, &headers), client, true, outcome),
        Err(error) => refused(error, &headers, "/register"),
    }
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<Credentials>,
) -> Response {
    // A login always starts a new session: end the one this browser had, if any.
    if let Some(old) = session_token(&jar) {
        let _ = state.engine.accounts().logout(old).await;
    }
    let client = origin(client, &headers, &jar);
    match state
        .engine
        .accounts()
        .login(&form.username, &form.password, client.clone())
        .await
    {
        Ok(outcome) => signed_in((jar, &state, &headers), client, false, outcome),
        Err(error) => refused(error, &headers, "/login"),
    }
}

/// Fields of the password confirmation form.
#[derive(Deserialize)]
pub struct Confirmation {
    password: String,
    /// The console page to return to.
    #[serde(default)]
    next: String,
}

/// Where a confirmation returns: the console page it came from, or `/admin`.
fn console_page(next: &str) -> &str {
    let plain = next
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'));
    let inside = next == "/admin" || next.starts_with("/admin/");
    if plain && inside && !next.contains("//") {
        next
    } else {
        "/admin"
    }
}

/// Checks the signed-in player's password again (throttled like a login) and marks their
/// session as just authenticated. Without a session it answers as a wrong password.
async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<Confirmation>,
) -> Response {
    let page = console_page(&form.next);
    let accounts = state.engine.accounts();
    let confirmed = match session_of(&state, &jar).await {
        Some(session) => {
            accounts
                .reauthenticate(&session, &form.password, client)
                .await
        }
        None => Err(AuthError::InvalidCredentials),
    };
    match confirmed {
        Ok(_) if wants_json(&headers) => StatusCode::NO_CONTENT.into_response(),
        Ok(_) => Redirect::to(page).into_response(),
        Err(error) => refused(error, &headers, page),
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    if let Some(token) = session_token(&jar) {
        if let Err(error) = state.engine.accounts().logout(token).await {
            return refused(error, &headers, "/");
        }
    }
    // Deleted under the plain name, and under the https one (only `Secure` deletes it) when
    // it came by it.
    let secure = jar.get(SECURE_SESSION_COOKIE).is_some();
    let mut jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    if secure {
        jar = jar.remove(Cookie::build(SECURE_SESSION_COOKIE).path("/").secure(true));
    }
    if wants_json(&headers) {
        (jar, StatusCode::NO_CONTENT).into_response()
    } else {
        (jar, Redirect::to("/")).into_response()
    }
}

/// Where a session starts from: the client's address, its browser's user agent and device
/// cookie (a browser without one, or with one the server could not have set, gets a new one).
fn origin(ip: std::net::IpAddr, headers: &HeaderMap, jar: &CookieJar) -> Client {
    let agent = headers.get(http::header::USER_AGENT);
    let kept = jar
        .get(DEVICE_COOKIE)
        .and_then(|c| DeviceId::parse(c.value()));
    Client {
        ip,
        device: agent
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        device_id: Some(kept.unwrap_or_default()),
    }
}

/// The session a request's cookie belongs to, if any.
pub async fn session_of(state: &AppState, jar: &CookieJar) -> Option<Session> {
    let token = session_token(jar)?;
    state.engine.accounts().session(token).await.ok().flatten()
}
