//! The live hub: every update the dashboard shows (count updates, events, camera status,
//! alerts) is published here once, numbered, kept in a bounded replay window, and fanned
//! out to WebSocket clients; the latest state per camera backs `GET /api/v1/live`.
//!
//! Sequence numbers are assigned and broadcast under one lock, so every subscriber sees
//! messages in sequence order; a client that reconnects with the last number it saw gets
//! exactly what it missed from the replay window (or a `resync` when the window has moved
//! past it).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

pub use crate::supervisor::runner::{LineTotal, ZoneNow};

/// Messages kept for replay.
pub const REPLAY_WINDOW: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Counts of a camera changed (`data`: people_count, people_in, people_out, timestamp).
    Count,
    /// A camera event (line crossing, zone entry / exit, device event).
    Event,
    /// A camera's status changed.
    CameraStatus,
    /// A system alert was raised or resolved.
    Alert,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveMessage {
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub camera_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub data: Value,
}

/// What `GET /api/v1/live` shows per camera.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct CameraLive {
    pub camera_id: i64,
    /// Occupancy at the last update.
    pub people_count: i64,
    /// In / out since midnight UTC.
    pub people_in_today: i64,
    pub people_out_today: i64,
    pub status: Option<String>,
    /// Why the camera is in error / degraded / offline, credentials masked.
    pub status_reason: Option<String>,
    /// Frames received per second over the last 10 s window.
    pub fps: Option<f64>,
    /// Frames dropped at the source since the camera started (shared detector busy).
    pub frames_dropped: u64,
    /// In / out per line since the camera's engine started.
    pub lines: Vec<LineTotal>,
    /// Occupancy, entries and visitors per zone.
    pub zones: Vec<ZoneNow>,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    day: Option<NaiveDate>,
}

struct Inner {
    next_seq: u64,
    window: VecDeque<Arc<LiveMessage>>,
    cameras: BTreeMap<i64, CameraLive>,
}

pub struct Hub {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<LiveMessage>>,
}

/// The replay window no longer holds everything after the asked sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub oldest_seq: u64,
}

impl Default for Hub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Hub {
            inner: Mutex::new(Inner {
                next_seq: 1,
                window: VecDeque::new(),
                cameras: BTreeMap::new(),
            }),
            tx,
        }
    }
}

/// One number of a camera's live state, if known.
type CameraValue = fn(&CameraLive) -> Option<f64>;

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Numbers, stores and broadcasts one message; returns its sequence number.
    pub fn publish(
        &self,
        kind: Kind,
        camera_id: Option<i64>,
        at: DateTime<Utc>,
        data: Value,
    ) -> u64 {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if let Some(id) = camera_id {
            let live = inner.cameras.entry(id).or_insert_with(|| CameraLive {
                camera_id: id,
                ..Default::default()
            });
            apply(live, kind, at, &data);
        }
        let message = Arc::new(LiveMessage {
            seq,
            kind,
            camera_id,
            at,
            data,
        });
        inner.window.push_back(message.clone());
        while inner.window.len() > REPLAY_WINDOW {
            inner.window.pop_front();
        }
        // No receiver is not an error: nobody is watching.
        let _ = self.tx.send(message);
        seq
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveMessage>> {
        self.tx.subscribe()
    }

    /// The newest sequence number (0 before the first message).
    pub fn last_seq(&self) -> u64 {
        self.lock().next_seq - 1
    }

    /// Every message after `seq`, oldest first. A gap when the window no longer reaches
    /// back to `seq`, or when `seq` was never issued (the client's numbers come from before
    /// a restart of the server, which numbers from 1 again).
    pub fn since(&self, seq: u64) -> Result<Vec<Arc<LiveMessage>>, Gap> {
        let inner = self.lock();
        let oldest = inner
            .window
            .front()
            .map(|m| m.seq)
            .unwrap_or(inner.next_seq);
        if seq + 1 < oldest || seq >= inner.next_seq {
            return Err(Gap { oldest_seq: oldest });
        }
        Ok(inner
            .window
            .iter()
            .filter(|m| m.seq > seq)
            .cloned()
            .collect())
    }

    /// Sets a camera's in / out of `day` (from the database) unless the hub already counts
    /// that day for it: after a restart the totals go on from what was stored.
    pub fn seed_today(&self, camera_id: i64, day: NaiveDate, people_in: i64, people_out: i64) {
        let mut inner = self.lock();
        let live = inner
            .cameras
            .entry(camera_id)
            .or_insert_with(|| CameraLive {
                camera_id,
                ..Default::default()
            });
        if live.day != Some(day) {
            live.day = Some(day);
            live.people_in_today = people_in;
            live.people_out_today = people_out;
        }
    }

    /// Drops a retired (archived or purged) camera's live state: it leaves
    /// `GET /api/v1/live` and its series leave `/metrics`.
    pub fn forget(&self, camera_id: i64) {
        self.lock().cameras.remove(&camera_id);
    }

    /// Per-camera series for `/metrics` (Prometheus text format): frames dropped at the
    /// source (counter), frames received per second and occupancy (gauges).
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        let cameras = self.cameras();
        let series: [(&str, &str, &str, CameraValue); 3] = [
            (
                "footfall_camera_frames_dropped_total",
                "counter",
                "Frames dropped at the source while the camera waited for the shared detector.",
                |c| Some(c.frames_dropped as f64),
            ),
            (
                "footfall_camera_fps",
                "gauge",
                "Frames received per second over the last 10 s window.",
                |c| c.fps,
            ),
            (
                "footfall_camera_occupancy",
                "gauge",
                "People counted in the camera's zones (or in view) now.",
                |c| Some(c.people_count as f64),
            ),
        ];
        for (name, kind, help, value) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for camera in &cameras {
                if let Some(v) = value(camera) {
                    let _ = writeln!(out, "{name}{{camera_id=\"{}\"}} {v}", camera.camera_id);
                }
            }
        }
    }

    /// Latest state of every camera that has published anything.
    pub fn cameras(&self) -> Vec<CameraLive> {
        self.lock().cameras.values().cloned().collect()
    }
}

fn apply(live: &mut CameraLive, kind: Kind, at: DateTime<Utc>, data: &Value) {
    match kind {
        Kind::Count => {
            let day = at.date_naive();
            if live.day != Some(day) {
                live.day = Some(day);
                live.people_in_today = 0;
                live.people_out_today = 0;
            }
            live.people_in_today += data["people_in"].as_i64().unwrap_or(0);
            live.people_out_today += data["people_out"].as_i64().unwrap_or(0);
            if let Some(count) = data["people_count"].as_i64() {
                live.people_count = count;
            }
            if let Some(fps) = data.get("fps") {
                live.fps = fps.as_f64();
            }
            if let Some(dropped) = data["frames_dropped"].as_u64() {
                live.frames_dropped = dropped;
            }
            if let Ok(lines) = serde_json::from_value(data["lines"].clone()) {
                live.lines = lines;
            }
            if let Ok(zones) = serde_json::from_value(data["zones"].clone()) {
                live.zones = zones;
            }
        }
        Kind::CameraStatus => {
            live.status = data["status"].as_str().map(str::to_string);
            live.status_reason = data["reason"].as_str().map(str::to_string);
        }
        Kind::Event | Kind::Alert => {}
    }
    live.updated_at = Some(at);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_replays_and_reports_gaps() {
        let hub = Hub::default();
        let now = Utc::now();
        assert_eq!(hub.last_seq(), 0);
        assert!(hub.since(0).unwrap().is_empty());
        for i in 0..3 {
            hub.publish(
                Kind::Count,
                Some(1),
                now,
                json!({"people_in": i, "people_count": i}),
            );
        }
        let missed: Vec<u64> = hub.since(1).unwrap().iter().map(|m| m.seq).collect();
        assert_eq!(missed, vec![2, 3]);
        assert!(hub.since(3).unwrap().is_empty(), "up to date");
        assert_eq!(
            hub.since(7),
            Err(Gap { oldest_seq: 1 }),
            "a number from before a restart"
        );
        let state = &hub.cameras()[0];
        assert_eq!((state.people_in_today, state.people_count), (3, 2));
        for _ in 0..REPLAY_WINDOW {
            hub.publish(Kind::Event, Some(2), now, json!({}));
        }
        assert_eq!(hub.since(1), Err(Gap { oldest_seq: 4 }));
        assert_eq!(hub.since(3).unwrap().len(), REPLAY_WINDOW);
    }

    #[test]
    fn camera_metrics_in_prometheus_format() {
        let hub = Hub::default();
        let now = Utc::now();
        hub.publish(
            Kind::Count,
            Some(1),
            now,
            json!({"people_count": 2, "fps": 4.5, "frames_dropped": 7}),
        );
        let mut metrics = String::new();
        hub.render_metrics(&mut metrics);
        for line in [
            "# TYPE footfall_camera_frames_dropped_total counter",
            "footfall_camera_frames_dropped_total{camera_id=\"1\"} 7",
            "footfall_camera_fps{camera_id=\"1\"} 4.5",
            "footfall_camera_occupancy{camera_id=\"1\"} 2",
        ] {
            assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
        }
    }

    #[test]
    fn a_retired_camera_leaves_metrics_and_live_state() {
        let hub = Hub::default();
        for camera in [1, 2] {
            hub.publish(
                Kind::Count,
                Some(camera),
                Utc::now(),
                json!({"people_count": 1}),
            );
        }
        hub.forget(1);
        let mut metrics = String::new();
        hub.render_metrics(&mut metrics);
        assert!(!metrics.contains("camera_id=\"1\""), "{metrics}");
        assert!(metrics.contains("camera_id=\"2\""), "{metrics}");
        assert_eq!(hub.cameras().len(), 1);
    }

    #[test]
    fn today_counts_restart_at_midnight() {
        let hub = Hub::default();
        let day1 = DateTime::parse_from_rfc3339("2026-11-29T23:59:00Z")
            .unwrap()
            .with_timezone(&Utc);
        hub.publish(
            Kind::Count,
            Some(1),
            day1,
            json!({"people_in": 5, "people_out": 1}),
        );
        hub.publish(
            Kind::Count,
            Some(1),
            day1 + chrono::Duration::minutes(2),
            json!({"people_in": 2}),
        );
        let state = &hub.cameras()[0];
        assert_eq!((state.people_in_today, state.people_out_today), (2, 0));
    }

    #[tokio::test]
    async fn subscribers_see_sequence_order() {
        let hub = Hub::default();
        let mut rx = hub.subscribe();
        let now = Utc::now();
        hub.publish(
            Kind::CameraStatus,
            Some(1),
            now,
            json!({"status": "online"}),
        );
        hub.publish(Kind::Alert, None, now, json!({}));
        assert_eq!(rx.recv().await.unwrap().seq, 1);
        assert_eq!(rx.recv().await.unwrap().seq, 2);
        assert_eq!(hub.cameras()[0].status.as_deref(), Some("online"));
    }
}
