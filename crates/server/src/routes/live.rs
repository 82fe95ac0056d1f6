//! GET /api/v1/live (latest state per camera) and the WebSocket /api/v1/ws.
//!
//! WebSocket protocol (JSON text frames):
//! - connect: `/api/v1/ws?access_token=JWT[&since=SEQ][&cameras=1,2]` (browsers cannot
//!   set headers on a WebSocket; the token is accepted in the query on this route only).
//! - server -> client: `{"type":"hello","last_seq":N}` first; then messages
//!   `{"seq","type":"count"|"event"|"camera_status"|"alert","camera_id","at","data"}` in
//!   sequence order; `{"type":"resync","oldest_seq":N}` when `since` is older than the
//!   replay window (reload state over REST, then follow); `{"type":"auth_expired"}` when
//!   the access token expires (delivery pauses, nothing is lost, until the client sends a
//!   fresh one); `{"type":"session_ended"}` and a close (code 4401) once the session
//!   behind the connection is gone (logout, revoked, account deactivated, password
//!   reset: checked at once on a change made by this process, every 5 s otherwise);
//!   `{"type":"pong"}`; `{"type":"error","message"}`.
//! - limits: `server.max_websockets_per_user` and `server.max_websockets` open sockets
//!   (429 beyond), client messages up to `server.max_websocket_message_bytes`.
//! - client -> server: `{"type":"subscribe","cameras":[1,2]}` (or `null` for all),
//!   `{"type":"auth","access_token":"JWT"}`, `{"type":"ping"}`.
//! - WebSocket ping frames every 20 s keep idle connections open through proxies.

use crate::auth::{Caller, RequestMeta, authenticate};
use crate::error::{ApiError, ApiResult};
use crate::live_access::{AccessWatch, StreamEnd};
use crate::state::AppState;
use crate::stream_slots::SlotKey;
use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use footfall_live::hub::{CameraLive, Published};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub async fn live(State(state): State<AppState>) -> Json<Vec<CameraLive>> {
    Json(state.live.hub.cameras())
}

/// What the server says on the WebSocket besides the numbered live messages
/// ([`footfall_live::message::LiveMessage`]).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlMessage {
    /// First message: the newest sequence number now.
    Hello {
        last_seq: u64,
    },
    /// `since` is older than the replay window: reload state over REST, then follow.
    Resync {
        oldest_seq: u64,
    },
    /// The access token expired: delivery pauses (nothing is lost) until the client
    /// sends a fresh one.
    AuthExpired,
    /// The session behind the connection is gone; a close (code 4401) follows.
    SessionEnded,
    Pong,
    /// The cameras now followed (`null`: all).
    Subscribed {
        cameras: Option<Vec<i64>>,
    },
    /// A fresh token was accepted; delivery resumes.
    Authenticated,
    Error {
        message: String,
    },
}

/// What a client may send on the WebSocket.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Ping,
    /// Follow these cameras only (`null`: all).
    Subscribe {
        cameras: Option<Vec<i64>>,
    },
    /// A fresh access token of the same user.
    Auth {
        #[serde(default)]
        access_token: String,
    },
}

impl ClientMessage {
    /// Reads a client's text frame; the error is what to tell the client.
    fn parse(text: &str) -> Result<ClientMessage, &'static str> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|_| "messages are JSON objects")?;
        if !matches!(value["type"].as_str(), Some("ping" | "subscribe" | "auth")) {
            return Err("unknown message type");
        }
        serde_json::from_value(value).map_err(|_| "cameras must be a list of ids or null")
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WsQuery {
    /// The access token (also accepted as `Authorization: Bearer`).
    pub access_token: Option<String>,
    /// Last sequence number the client received: replay what came after it.
    pub since: Option<u64>,
    /// Comma-separated camera ids to follow (default: all).
    pub cameras: Option<String>,
}

fn parse_cameras(value: &str) -> ApiResult<HashSet<i64>> {
    value
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("cameras", "must be comma-separated camera ids"))
        })
        .collect()
}

pub async fn ws(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let cameras = q.cameras.as_deref().map(parse_cameras).transpose()?;
    // The route guard put a query token into this header too: one place to read it.
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = crate::auth::bearer_token(header)?.to_string();
    let limits = &state.config.server;
    let slot = state
        .stream_slots
        .acquire(&[
            (
                SlotKey::WebSocketsOfUser(caller.user_id),
                limits.max_websockets_per_user,
            ),
            (SlotKey::WebSocketsTotal, limits.max_websockets),
        ])
        .map_err(|full| match full {
            SlotKey::WebSocketsOfUser(_) => ApiError::too_many(
                5,
                "too many open live connections for this user (server.max_websockets_per_user)",
            ),
            _ => ApiError::too_many(5, "too many open live connections (server.max_websockets)"),
        })?;
    let max_message = limits.max_websocket_message_bytes;
    let access = AccessWatch::new(&state, caller.user_id, caller.session_token.clone());
    Ok(upgrade
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| async move {
            Session {
                state,
                caller,
                token,
                cameras,
                paused: false,
                access,
            }
            .run(socket, q.since)
            .await;
            drop(slot);
        }))
}

/// WebSocket close code for "your session ended" (4000-4999 are the application's).
const CLOSE_SESSION_ENDED: u16 = 4401;

struct Session {
    state: AppState,
    caller: Caller,
    /// The token the connection is authorised by (checked for expiry before each send).
    token: String,
    /// Ends the connection when the session behind `token` ends.
    access: AccessWatch,
    /// `None`: every camera.
    cameras: Option<HashSet<i64>>,
    /// The token expired; nothing is delivered until the client re-authenticates.
    paused: bool,
}

impl Session {
    fn wants(&self, m: &Published) -> bool {
        match (&self.cameras, m.message.camera_id) {
            (None, _) | (_, None) => true,
            (Some(set), Some(id)) => set.contains(&id),
        }
    }

    fn token_valid(&self) -> bool {
        self.state
            .keys
            .verify(&self.token, self.state.clock.now())
            .is_ok()
    }

    async fn send(socket: &mut WebSocket, message: ControlMessage) -> bool {
        let text = serde_json::to_string(&message).unwrap_or_default();
        socket.send(Message::Text(text.into())).await.is_ok()
    }

    /// A live message, as serialised once by the hub.
    async fn send_published(socket: &mut WebSocket, m: &Published) -> bool {
        socket
            .send(Message::Text(m.json.as_ref().into()))
            .await
            .is_ok()
    }

    async fn send_error(socket: &mut WebSocket, message: impl Into<String>) -> bool {
        let message = message.into();
        Self::send(socket, ControlMessage::Error { message }).await
    }

    /// Sends every message after `last` from the replay window; returns the new `last`,
    /// or `None` when the socket is gone.
    async fn replay(&self, socket: &mut WebSocket, last: u64) -> Option<u64> {
        let hub = &self.state.live.hub;
        match hub.since(last) {
            Ok(messages) => {
                let mut last = last;
                for m in messages {
                    if self.wants(&m) && !Self::send_published(socket, &m).await {
                        return None;
                    }
                    last = m.message.seq;
                }
                Some(last)
            }
            Err(gap) => {
                let resync = ControlMessage::Resync {
                    oldest_seq: gap.oldest_seq,
                };
                if !Self::send(socket, resync).await {
                    return None;
                }
                Some(hub.last_seq())
            }
        }
    }

    async fn run(mut self, mut socket: WebSocket, since: Option<u64>) {
        // Subscribe before reading the window, so nothing falls between the two.
        let mut rx = self.state.live.hub.subscribe();
        let current = self.state.live.hub.last_seq();
        if !Self::send(&mut socket, ControlMessage::Hello { last_seq: current }).await {
            return;
        }
        let mut last = match since {
            Some(since) => match self.replay(&mut socket, since).await {
                Some(l) => l,
                None => return,
            },
            None => current,
        };
        let mut keepalive = tokio::time::interval(Duration::from_secs(20));
        keepalive.tick().await;
        loop {
            tokio::select! {
                received = rx.recv() => match received {
                    Ok(m) => {
                        if m.message.seq <= last {
                            continue;
                        }
                        if !self.paused && !self.token_valid() {
                            self.paused = true;
                            if !Self::send(&mut socket, ControlMessage::AuthExpired).await {
                                return;
                            }
                        }
                        if self.paused {
                            continue;
                        }
                        if self.wants(&m) && !Self::send_published(&mut socket, &m).await {
                            return;
                        }
                        last = m.message.seq;
                    }
                    // Too slow for the broadcast buffer: catch up from the window.
                    Err(RecvError::Lagged(_)) => match self.replay(&mut socket, last).await {
                        Some(l) => last = l,
                        None => return,
                    },
                    Err(RecvError::Closed) => return,
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        if !self.handle(&mut socket, text.as_str()).await {
                            return;
                        }
                        if !self.paused && self.token_valid() {
                            match self.replay(&mut socket, last).await {
                                Some(l) => last = l,
                                None => return,
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
                _ = keepalive.tick() => {
                    if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return;
                    }
                }
                end = self.access.lost() => {
                    let (code, reason) = match end {
                        StreamEnd::SessionEnded => {
                            let _ = Self::send(&mut socket, ControlMessage::SessionEnded).await;
                            (CLOSE_SESSION_ENDED, "session ended")
                        }
                        // "Going away": the client reconnects (to this server once it is
                        // back, or to another one).
                        StreamEnd::ServerStopping => (1001, "server stopping"),
                    };
                    let _ = socket
                        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
                            code,
                            reason: reason.into(),
                        })))
                        .await;
                    return;
                }
            }
        }
    }

    /// Handles one client message; false when the socket is gone.
    async fn handle(&mut self, socket: &mut WebSocket, text: &str) -> bool {
        let message = match ClientMessage::parse(text) {
            Ok(m) => m,
            Err(why) => return Self::send_error(socket, why).await,
        };
        match message {
            ClientMessage::Ping => Self::send(socket, ControlMessage::Pong).await,
            ClientMessage::Subscribe { cameras } => {
                self.cameras = cameras.map(|ids| ids.into_iter().collect());
                let mut cameras: Option<Vec<i64>> =
                    self.cameras.as_ref().map(|c| c.iter().copied().collect());
                if let Some(ids) = &mut cameras {
                    ids.sort_unstable();
                }
                Self::send(socket, ControlMessage::Subscribed { cameras }).await
            }
            ClientMessage::Auth { access_token } => {
                let header = format!("Bearer {access_token}");
                match authenticate(&self.state, Some(&header), RequestMeta::default()).await {
                    Ok(caller) if caller.user_id == self.caller.user_id => {
                        self.token = access_token;
                        self.access.follow(caller.session_token);
                        self.paused = false;
                        Self::send(socket, ControlMessage::Authenticated).await
                    }
                    Ok(_) => Self::send_error(socket, "token of another user").await,
                    Err(e) => Self::send_error(socket, e.body.message).await,
                }
            }
        }
    }
}

/// The latest frame of camera `id` as a JPEG (see [`footfall_live::frames`]): 404 for an
/// unknown camera, 409 for one not running here, 503 before its first frame.
async fn latest_jpeg(state: &AppState, id: i64, overlay: bool) -> ApiResult<axum::body::Bytes> {
    use footfall_live::frames::SnapshotError;
    match state.live.frames.latest_jpeg(id, overlay).await {
        Ok(jpeg) => Ok(jpeg),
        Err(SnapshotError::NotRunning) => {
            state.store.camera(id).await?;
            Err(ApiError::conflict(
                "camera",
                SnapshotError::NotRunning.to_string(),
            ))
        }
        Err(e @ SnapshotError::NoFrameYet) => Err(ApiError::unavailable(e.to_string())),
        Err(e @ SnapshotError::Encode(_)) => Err(ApiError::internal(e)),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SnapshotQuery {
    /// Draw boxes, track ids, lines and zones. Default true; false gives the bare picture
    /// (the line and zone editor draws its own).
    pub overlay: Option<bool>,
    /// The access token (browsers cannot set headers on an <img>).
    pub access_token: Option<String>,
}

/// GET /api/v1/cameras/{id}/snapshot.jpg: the latest frame with boxes, track ids, lines
/// and zones drawn.
pub async fn snapshot(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Query(q): Query<SnapshotQuery>,
) -> ApiResult<Response> {
    use axum::response::IntoResponse;
    let jpeg = latest_jpeg(&state, id, q.overlay.unwrap_or(true)).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response())
}

/// One MJPEG response in flight: its viewer's access and their slot (freed when the
/// response ends, the client included).
struct MjpegViewer {
    state: AppState,
    access: AccessWatch,
    _slot: crate::stream_slots::Slot,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct MjpegQuery {
    /// Frames per second, 0.2..=10. Default 2.
    pub fps: Option<f64>,
    /// The access token (browsers cannot set headers on an <img>).
    pub access_token: Option<String>,
}

/// GET /api/v1/cameras/{id}/live.mjpeg: the drawn latest frame as a multipart MJPEG
/// stream at a low rate, for an <img> tag; ends when the camera stops or the viewer's
/// session ends. At most `server.max_mjpeg_viewers_per_camera` viewers per camera.
pub async fn mjpeg(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Query(q): Query<MjpegQuery>,
) -> ApiResult<Response> {
    use axum::response::IntoResponse;
    let fps = q.fps.unwrap_or(2.0);
    if !(fps.is_finite() && (0.2..=10.0).contains(&fps)) {
        return Err(ApiError::invalid("fps", "must be 0.2 to 10"));
    }
    // Fail now (404 / 409 / 503) rather than with an empty stream.
    let first = latest_jpeg(&state, id, true).await?;
    let slot = state
        .stream_slots
        .acquire(&[(
            SlotKey::MjpegViewersOfCamera(id),
            state.config.server.max_mjpeg_viewers_per_camera,
        )])
        .map_err(|_| {
            ApiError::too_many(
                5,
                "too many viewers of this camera's stream (server.max_mjpeg_viewers_per_camera)",
            )
        })?;
    let viewer = MjpegViewer {
        access: AccessWatch::new(&state, caller.user_id, caller.session_token),
        state,
        _slot: slot,
    };
    let period = Duration::from_secs_f64(1.0 / fps);
    let stream = futures_util::stream::unfold(
        (viewer, Some(first)),
        move |(mut viewer, pending)| async move {
            let jpeg = match pending {
                Some(j) => j,
                None => {
                    tokio::select! {
                        _ = tokio::time::sleep(period) => {}
                        // Revoked or stopping: end the response (the browser shows the
                        // last frame).
                        _ = viewer.access.lost() => return None,
                    }
                    latest_jpeg(&viewer.state, id, true).await.ok()?
                }
            };
            let mut part = format!(
                "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                jpeg.len()
            )
            .into_bytes();
            part.extend_from_slice(&jpeg);
            part.extend_from_slice(b"\r\n");
            Some((
                Ok::<_, std::io::Error>(axum::body::Bytes::from(part)),
                (viewer, None),
            ))
        },
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "multipart/x-mixed-replace; boundary=frame",
        )],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
