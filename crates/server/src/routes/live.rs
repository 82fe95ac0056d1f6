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
use crate::live::{CameraLive, LiveMessage};
use crate::live_access::{AccessWatch, SlotKey, StreamEnd};
use crate::state::AppState;
use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub async fn live(State(state): State<AppState>) -> Json<Vec<CameraLive>> {
    Json(state.live.cameras())
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
    fn wants(&self, m: &LiveMessage) -> bool {
        match (&self.cameras, m.camera_id) {
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

    async fn send_json(socket: &mut WebSocket, value: serde_json::Value) -> bool {
        socket
            .send(Message::Text(value.to_string().into()))
            .await
            .is_ok()
    }

    /// Sends every message after `last` from the replay window; returns the new `last`,
    /// or `None` when the socket is gone.
    async fn replay(&self, socket: &mut WebSocket, last: u64) -> Option<u64> {
        match self.state.live.since(last) {
            Ok(messages) => {
                let mut last = last;
                for m in messages {
                    if self.wants(&m) && !Self::send_json(socket, json!(*m)).await {
                        return None;
                    }
                    last = m.seq;
                }
                Some(last)
            }
            Err(gap) => {
                if !Self::send_json(
                    socket,
                    json!({"type": "resync", "oldest_seq": gap.oldest_seq}),
                )
                .await
                {
                    return None;
                }
                Some(self.state.live.last_seq())
            }
        }
    }

    async fn run(mut self, mut socket: WebSocket, since: Option<u64>) {
        // Subscribe before reading the window, so nothing falls between the two.
        let mut rx = self.state.live.subscribe();
        let current = self.state.live.last_seq();
        if !Self::send_json(&mut socket, json!({"type": "hello", "last_seq": current})).await {
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
                        if m.seq <= last {
                            continue;
                        }
                        if !self.paused && !self.token_valid() {
                            self.paused = true;
                            if !Self::send_json(&mut socket, json!({"type": "auth_expired"})).await {
                                return;
                            }
                        }
                        if self.paused {
                            continue;
                        }
                        if self.wants(&m) && !Self::send_json(&mut socket, json!(*m)).await {
                            return;
                        }
                        last = m.seq;
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
                            let _ = Self::send_json(&mut socket, json!({"type": "session_ended"})).await;
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
        let message: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => {
                return Self::send_json(
                    socket,
                    json!({"type": "error", "message": "messages are JSON objects"}),
                )
                .await;
            }
        };
        match message["type"].as_str() {
            Some("ping") => Self::send_json(socket, json!({"type": "pong"})).await,
            Some("subscribe") => {
                self.cameras = match &message["cameras"] {
                    serde_json::Value::Null => None,
                    serde_json::Value::Array(ids) => Some(ids.iter().filter_map(|v| v.as_i64()).collect()),
                    _ => return Self::send_json(socket, json!({"type": "error", "message": "cameras must be a list of ids or null"})).await,
                };
                Self::send_json(socket, json!({"type": "subscribed", "cameras": self.cameras.as_ref().map(|c| { let mut v: Vec<_> = c.iter().copied().collect(); v.sort(); v })})).await
            }
            Some("auth") => {
                let token = message["access_token"].as_str().unwrap_or("").to_string();
                let header = format!("Bearer {token}");
                match authenticate(&self.state, Some(&header), RequestMeta::default()).await {
                    Ok(caller) if caller.user_id == self.caller.user_id => {
                        self.token = token;
                        self.access.follow(caller.session_token);
                        self.paused = false;
                        Self::send_json(socket, json!({"type": "authenticated"})).await
                    }
                    Ok(_) => {
                        Self::send_json(
                            socket,
                            json!({"type": "error", "message": "token of another user"}),
                        )
                        .await
                    }
                    Err(e) => {
                        Self::send_json(socket, json!({"type": "error", "message": e.body.message}))
                            .await
                    }
                }
            }
            _ => {
                Self::send_json(
                    socket,
                    json!({"type": "error", "message": "unknown message type"}),
                )
                .await
            }
        }
    }
}

/// What one batch changed for one camera.
#[derive(Default)]
struct CountDelta {
    people_in: i64,
    people_out: i64,
    /// Occupancy of the newest non-correction result, with its time.
    latest: Option<(chrono::DateTime<chrono::Utc>, i32)>,
}

/// Publishes what a stored batch of results changed, one count message per camera.
pub fn publish_counts(state: &AppState, rows: &[&footfall_store::NewResult]) {
    let mut per_camera: std::collections::BTreeMap<i64, CountDelta> = Default::default();
    for r in rows {
        let delta = per_camera.entry(r.camera_id).or_default();
        delta.people_in += i64::from(r.people_in);
        delta.people_out += i64::from(r.people_out);
        if !r.is_manual && delta.latest.is_none_or(|(t, _)| r.timestamp >= t) {
            delta.latest = Some((r.timestamp, r.people_count));
        }
    }
    let now = state.clock.now();
    for (camera, delta) in per_camera {
        let mut data = json!({"people_in": delta.people_in, "people_out": delta.people_out});
        if let Some((t, count)) = delta.latest {
            data["people_count"] = json!(count);
            data["timestamp"] = json!(t);
        }
        state
            .live
            .publish(crate::live::Kind::Count, Some(camera), now, data);
    }
}

/// Publishes stored events.
pub fn publish_events(state: &AppState, events: &[&footfall_store::NewEvent]) {
    let now = state.clock.now();
    for e in events {
        let data = json!({"event_type": e.event_type, "timestamp": e.timestamp, "severity": e.severity,
                          "data": e.event_data, "id": e.client_id});
        state
            .live
            .publish(crate::live::Kind::Event, Some(e.camera_id), now, data);
    }
}

/// The last JPEG encoded per camera and drawing (`overlay`), with the time of the frame
/// it shows. Each entry has its own async lock, so viewers asking at once wait for one
/// encode instead of each running their own.
#[derive(Default)]
pub struct JpegCache {
    entries: std::sync::Mutex<HashMap<(i64, bool), EncodedSlot>>,
    /// Frames encoded since start (each frame at most once per drawing).
    pub encodes: std::sync::atomic::AtomicU64,
}

/// One camera's latest JPEG (one drawing), behind the lock its encoders share.
type EncodedSlot = Arc<tokio::sync::Mutex<Option<Encoded>>>;

struct Encoded {
    frame_at: chrono::DateTime<chrono::Utc>,
    jpeg: axum::body::Bytes,
}

impl JpegCache {
    fn entry(&self, id: i64, overlay: bool) -> EncodedSlot {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((id, overlay))
            .or_default()
            .clone()
    }

    /// Drops what is kept for a camera that no longer runs here.
    fn forget(&self, id: i64) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(camera, _), _| *camera != id);
    }
}

/// The latest frame of camera `id`, JPEG-encoded, drawn on when `overlay`; encoded once
/// per frame however many viewers ask.
async fn latest_jpeg(state: &AppState, id: i64, overlay: bool) -> ApiResult<axum::body::Bytes> {
    let slot = state
        .frames
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
        .cloned();
    let Some(slot) = slot else {
        state.jpegs.forget(id);
        // 404 for an unknown camera, 409 for one that is not running here.
        state.store.camera(id).await?;
        return Err(ApiError::conflict(
            "camera",
            "the camera is not running (disabled, or on another node)",
        ));
    };
    let entry = state.jpegs.entry(id, overlay);
    let mut cached = entry.lock().await;
    let newest_at = slot
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|l| l.at);
    let Some(newest_at) = newest_at else {
        return Err(ApiError::unavailable(
            "no frame yet; the camera is connecting",
        ));
    };
    if let Some(encoded) = cached.as_ref().filter(|e| e.frame_at == newest_at) {
        return Ok(encoded.jpeg.clone());
    }
    // Cloned under the slot's lock (held briefly: the camera thread writes it), then
    // drawn and encoded off the async threads.
    let latest = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let Some(mut latest) = latest else {
        return Err(ApiError::unavailable(
            "no frame yet; the camera is connecting",
        ));
    };
    let frame_at = latest.at;
    let jpeg = tokio::task::spawn_blocking(move || {
        if overlay {
            footfall_core::render::annotate(
                &mut latest.frame,
                &latest.counting,
                &latest.report,
                &latest.counts,
            );
        }
        encode_jpeg(&latest.frame)
    })
    .await
    .map_err(ApiError::internal)??;
    state
        .jpegs
        .encodes
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let jpeg = axum::body::Bytes::from(jpeg);
    *cached = Some(Encoded {
        frame_at,
        jpeg: jpeg.clone(),
    });
    Ok(jpeg)
}

/// BGR frame -> JPEG (quality 80).
pub fn encode_jpeg(frame: &footfall_core::frame::Frame) -> ApiResult<Vec<u8>> {
    let mut out = Vec::with_capacity(frame.pixels.len() / 8);
    let (w, h) = (u16::try_from(frame.width), u16::try_from(frame.height));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(ApiError::internal("frame too large for JPEG"));
    };
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(&frame.pixels, w, h, jpeg_encoder::ColorType::Bgr)
        .map_err(ApiError::internal)?;
    Ok(out)
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
    _slot: crate::live_access::Slot,
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
