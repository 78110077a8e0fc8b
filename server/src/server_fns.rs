//! The answer to a server function call whose arguments do not decode: 400, not 500.
//!
//! Leptos decodes a server function's arguments before the function runs, and answers a
//! failure with status 500 whatever it was; the function cannot set the status because it never
//! runs. This layer reads such an answer (small JSON, only on failures) and gives arguments that
//! do not decode (`Args`, `MissingArg`, `Deserialization`) the 400 they are: the client's fault,
//! documented in docs/protocol.md.

use app::api::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use leptos::server_fn::error::ServerFnErrorErr;

/// The largest failed answer read to classify it (server function errors are a line of JSON).
const ERROR_BODY_BYTES_MAX: usize = 16 * 1024;

/// Middleware over server functions (`/api/...`).
pub async fn bad_arguments_are_400(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let failed = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.headers().contains_key("serverfnerror");
    if !failed {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_BYTES_MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(AppError::Call(
        ServerFnErrorErr::Args(_)
        | ServerFnErrorErr::MissingArg(_)
        | ServerFnErrorErr::Deserialization(_),
    )) = serde_json::from_slice::<AppError>(&bytes)
    {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
