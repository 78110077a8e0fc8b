//! A connection's place in the hub, taken before its upgrade is answered.
//!
//! A logout deletes the session from the store, then closes the connections the hub has for
//! it. A connection that looked the session up before the delete but registered after the
//! close would outlive the logout with the player's authority. So the connection is attached to
//! its session first and the session is looked up again afterwards: either the attach came
//! before the logout's close (which then closes it), or the delete came before the second look
//! (which then finds nothing, and the connection is served as a visitor's).

use crate::auth::session_of;
use crate::state::AppState;
use axum_extra::extract::CookieJar;
use engine::accounts::Session;
use engine::hub::{Hub, Inbox, Outbox};

/// A connection registered with the hub, not yet upgraded.
pub struct Registration {
    /// Where the connection's frames are queued.
    pub outbox: Outbox,
    /// What the connection's writer drains.
    pub inbox: Inbox,
    /// The player's session, if the cookie named one that is still live.
    pub session: Option<Session>,
    /// Keeps the connection attached to `session`; dropping it detaches the connection, also
    /// when the upgrade never completes.
    pub link: Option<SessionLink>,
}

/// Ties a connection to a session for as long as it lives: ending the session closes it.
pub struct SessionLink {
    hub: Hub,
    outbox: Outbox,
    session_id: String,
}

impl Drop for SessionLink {
    fn drop(&mut self) {
        self.hub
            .disconnect(&self.outbox, &[], Some(self.session_id.as_str()));
    }
}

/// Opens a connection in the hub and attaches it to the cookie's session, if that session is
/// still live once attached.
pub async fn register(state: &AppState, jar: &CookieJar) -> Registration {
    let hub = state.engine.hub();
    let Some(session) = session_of(state, jar).await else {
        return visitor(hub);
    };
    let (outbox, inbox) = hub.open_connection();
    hub.attach_session(&session.id, &outbox);
    let link = SessionLink {
        hub: hub.clone(),
        outbox: outbox.clone(),
        session_id: session.id.clone(),
    };
    let still_live = session_of(state, jar)
        .await
        .is_some_and(|again| again.id == session.id);
    if !still_live {
        // Logged out in between; the logout may also have closed this outbox already.
        drop(link);
        return visitor(hub);
    }
    Registration {
        outbox,
        inbox,
        session: Some(session),
        link: Some(link),
    }
}

fn visitor(hub: &Hub) -> Registration {
    let (outbox, inbox) = hub.open_connection();
    Registration {
        outbox,
        inbox,
        session: None,
        link: None,
    }
}
