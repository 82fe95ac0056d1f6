//! Who may keep a live stream (WebSocket, MJPEG) open (how many may is counted by
//! [`crate::stream_slots`]).
//!
//! A stream is authorised once, at connect, but may run for hours. [`AccessWatch`]
//! re-checks its session whenever this process changes someone's access (logout,
//! deactivation, role change, password change or reset: [`crate::state::AppState::access_changed`])
//! and every [`RECHECK`] otherwise (a change made by another server process), so revoked
//! access ends a stream within seconds.

use crate::state::AppState;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Longest time a stream outlives access revoked by another process.
pub const RECHECK: Duration = Duration::from_secs(5);

/// Why a live stream must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The session behind it is gone (logout, revoked, expired, account deactivated).
    SessionEnded,
    /// The server is shutting down (streams never end by themselves, so a graceful
    /// shutdown would otherwise wait for every viewer to leave).
    ServerStopping,
}

/// Follows one stream's session; [`AccessWatch::lost`] resolves when it ended.
pub struct AccessWatch {
    state: AppState,
    user_id: i64,
    session_token: String,
    changes: tokio::sync::broadcast::Receiver<i64>,
    stopping: tokio::sync::watch::Receiver<bool>,
    recheck: tokio::time::Interval,
    /// A change was signalled and not checked yet (kept across cancelled polls, so a
    /// busy stream cannot starve the check).
    due: bool,
}

impl AccessWatch {
    pub fn new(state: &AppState, user_id: i64, session_token: String) -> AccessWatch {
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        AccessWatch {
            changes: state.access_changes.subscribe(),
            stopping: state.stopping.subscribe(),
            state: state.clone(),
            user_id,
            session_token,
            recheck,
            due: false,
        }
    }

    /// Follows another session of the same user (a WebSocket re-authenticated with a
    /// fresh token from a new login).
    pub fn follow(&mut self, session_token: String) {
        self.session_token = session_token;
    }

    /// Resolves when the stream must end: its session ended (logged out, revoked,
    /// expired, account deactivated) or the server stops. Cancel-safe: use it in a
    /// `select!` loop. A database error keeps the stream (an outage is no revocation).
    pub async fn lost(&mut self) -> StreamEnd {
        loop {
            if !self.due {
                tokio::select! {
                    _ = stopped(&mut self.stopping) => return StreamEnd::ServerStopping,
                    change = self.changes.recv() => match change {
                        Ok(user) if user != self.user_id => continue,
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        // The state is shutting down: the server closes every stream anyway.
                        Err(RecvError::Closed) => std::future::pending::<()>().await,
                    },
                    _ = self.recheck.tick() => {}
                }
                self.due = true;
            }
            let now = self.state.clock.now();
            let context = self
                .state
                .store
                .auth_context(&self.session_token, now)
                .await;
            self.due = false;
            match context {
                Ok(None) => return StreamEnd::SessionEnded,
                Ok(Some(_)) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "stream access re-check failed; stream kept")
                }
            }
        }
    }
}

/// Resolves once `stopping` is true (or its sender is gone).
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, not held across an await.
    let _ = stopping.wait_for(|stopping| *stopping).await;
}
