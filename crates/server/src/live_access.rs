//! Who may keep a live stream (WebSocket, MJPEG) open, and how many may (stream probes
//! are counted by the same [`StreamSlots`]).
//!
//! A stream is authorised once, at connect, but may run for hours. [`AccessWatch`]
//! re-checks its session whenever this process changes someone's access (logout,
//! deactivation, role change, password change or reset: [`crate::state::AppState::access_changed`])
//! and every [`RECHECK`] otherwise (a change made by another server process), so revoked
//! access ends a stream within seconds. [`StreamSlots`] caps concurrent streams per user,
//! in total and per camera, so one client cannot hold every connection or encoder.

use crate::state::AppState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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

/// What a stream slot is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotKey {
    WebSocketsTotal,
    WebSocketsOfUser(i64),
    MjpegViewersOfCamera(i64),
    ProbesTotal,
    ProbesOfUser(i64),
}

/// Counters of open streams.
#[derive(Default)]
pub struct StreamSlots {
    open: Mutex<HashMap<SlotKey, usize>>,
}

/// One open stream; frees its slots when dropped.
pub struct Slot {
    slots: Arc<StreamSlots>,
    keys: Vec<SlotKey>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

impl StreamSlots {
    /// Takes one slot under every `(key, limit)`, all or none; on refusal, the key that
    /// is full. A limit of 0 means unlimited.
    pub fn acquire(self: &Arc<Self>, wanted: &[(SlotKey, usize)]) -> Result<Slot, SlotKey> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((key, _)) = wanted
            .iter()
            .find(|(key, limit)| *limit > 0 && open.get(key).copied().unwrap_or(0) >= *limit)
        {
            return Err(*key);
        }
        for (key, _) in wanted {
            *open.entry(*key).or_default() += 1;
        }
        Ok(Slot {
            slots: self.clone(),
            keys: wanted.iter().map(|(key, _)| *key).collect(),
        })
    }

    /// Streams open under `key`.
    pub fn count(&self, key: SlotKey) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_all_or_none_and_freed_on_drop() {
        let slots = Arc::new(StreamSlots::default());
        let want = |user| {
            [
                (SlotKey::WebSocketsTotal, 3),
                (SlotKey::WebSocketsOfUser(user), 2),
            ]
        };
        let a1 = slots.acquire(&want(1)).unwrap();
        let _a2 = slots.acquire(&want(1)).unwrap();
        assert_eq!(
            slots.acquire(&want(1)).err(),
            Some(SlotKey::WebSocketsOfUser(1))
        );
        assert_eq!(
            slots.count(SlotKey::WebSocketsTotal),
            2,
            "refusal took nothing"
        );
        let _b1 = slots.acquire(&want(2)).unwrap();
        assert_eq!(
            slots.acquire(&want(2)).err(),
            Some(SlotKey::WebSocketsTotal)
        );
        drop(a1);
        assert!(slots.acquire(&want(2)).is_ok(), "a freed slot is reusable");
        assert_eq!(slots.count(SlotKey::WebSocketsOfUser(1)), 1);
        let unlimited = [(SlotKey::MjpegViewersOfCamera(7), 0)];
        let held: Vec<_> = (0..50)
            .map(|_| slots.acquire(&unlimited).unwrap())
            .collect();
        assert_eq!(slots.count(SlotKey::MjpegViewersOfCamera(7)), 50);
        drop(held);
        assert_eq!(slots.count(SlotKey::MjpegViewersOfCamera(7)), 0);
    }
}
