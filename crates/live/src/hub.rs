//! The live hub: every update the dashboard shows (count updates, events, camera status,
//! alerts) is published here once, numbered, kept in a bounded replay window, and fanned
//! out to WebSocket clients; the latest state per camera backs `GET /api/v1/live`.
//!
//! Sequence numbers are assigned and broadcast under one lock, so every subscriber sees
//! messages in sequence order; a client that reconnects with the last number it saw gets
//! exactly what it missed from the replay window (or a `resync` when the window has moved
//! past it).

use crate::message::{
    AlertUpdate, CountUpdate, EventUpdate, LineTotal, LiveMessage, LiveUpdate, StatusUpdate,
    ZoneNow,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Messages kept for replay.
pub const REPLAY_WINDOW: usize = 10_000;

/// What `GET /api/v1/live` shows per camera.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraLive {
    pub camera_id: i64,
    /// Occupancy at the last update.
    pub people_count: i64,
    /// In / out since midnight UTC.
    pub people_in_today: i64,
    pub people_out_today: i64,
    pub status: Option<footfall_store::CameraStatus>,
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

/// A message as published: typed, and serialised once for every client.
#[derive(Debug, PartialEq)]
pub struct Published {
    pub message: LiveMessage,
    /// `message` as JSON text.
    pub json: Box<str>,
}

struct Inner {
    next_seq: u64,
    window: VecDeque<Arc<Published>>,
    cameras: BTreeMap<i64, CameraLive>,
}

pub struct Hub {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<Published>>,
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
    pub fn publish(&self, camera_id: Option<i64>, at: DateTime<Utc>, update: LiveUpdate) -> u64 {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if let Some(id) = camera_id {
            let live = inner.cameras.entry(id).or_insert_with(|| CameraLive {
                camera_id: id,
                ..Default::default()
            });
            apply(live, at, &update);
        }
        let message = LiveMessage {
            seq,
            camera_id,
            at,
            update,
        };
        // Plain data (no maps with non-string keys, no non-finite floats that serde_json
        // refuses: fps is finite), so this cannot fail; an empty object if it ever did.
        let json = serde_json::to_string(&message)
            .unwrap_or_else(|_| "{}".into())
            .into_boxed_str();
        let message = Arc::new(Published { message, json });
        inner.window.push_back(message.clone());
        while inner.window.len() > REPLAY_WINDOW {
            inner.window.pop_front();
        }
        // No receiver is not an error: nobody is watching.
        let _ = self.tx.send(message);
        seq
    }

    /// Publishes what a stored batch of results changed, one count update per camera.
    pub fn publish_results(&self, rows: &[&footfall_store::NewResult], at: DateTime<Utc>) {
        for (camera_id, update) in CountUpdate::from_results(rows) {
            self.publish(Some(camera_id), at, LiveUpdate::Count(update));
        }
    }

    /// Publishes camera events (as they are stored).
    pub fn publish_events<'a>(
        &self,
        events: impl IntoIterator<Item = &'a footfall_store::NewEvent>,
        at: DateTime<Utc>,
    ) {
        for e in events {
            self.publish(
                Some(e.camera_id),
                at,
                LiveUpdate::Event(EventUpdate::from(e)),
            );
        }
    }

    /// Publishes a camera's new status.
    pub fn publish_status(
        &self,
        camera_id: i64,
        at: DateTime<Utc>,
        status: footfall_store::CameraStatus,
        reason: Option<String>,
    ) {
        let update = LiveUpdate::CameraStatus(StatusUpdate { status, reason });
        self.publish(Some(camera_id), at, update);
    }

    /// Publishes an alert raised or resolved.
    pub fn publish_alert(&self, camera_id: Option<i64>, at: DateTime<Utc>, alert: AlertUpdate) {
        self.publish(camera_id, at, LiveUpdate::Alert(alert));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    /// The newest sequence number (0 before the first message).
    pub fn last_seq(&self) -> u64 {
        self.lock().next_seq - 1
    }

    /// Every message after `seq`, oldest first. A gap when the window no longer reaches
    /// back to `seq`, or when `seq` was never issued (the client's numbers come from before
    /// a restart of the server, which numbers from 1 again).
    pub fn since(&self, seq: u64) -> Result<Vec<Arc<Published>>, Gap> {
        let inner = self.lock();
        let oldest = inner
            .window
            .front()
            .map(|m| m.message.seq)
            .unwrap_or(inner.next_seq);
        if seq + 1 < oldest || seq >= inner.next_seq {
            return Err(Gap { oldest_seq: oldest });
        }
        Ok(inner
            .window
            .iter()
            .filter(|m| m.message.seq > seq)
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

fn apply(live: &mut CameraLive, at: DateTime<Utc>, update: &LiveUpdate) {
    match update {
        LiveUpdate::Count(count) => {
            let day = at.date_naive();
            if live.day != Some(day) {
                live.day = Some(day);
                live.people_in_today = 0;
                live.people_out_today = 0;
            }
            live.people_in_today += count.people_in;
            live.people_out_today += count.people_out;
            if let Some(people) = count.people_count {
                live.people_count = people;
            }
            if let Some(pipeline) = &count.pipeline {
                live.fps = pipeline.fps;
                live.frames_dropped = pipeline.frames_dropped;
                live.lines = pipeline.lines.clone();
                live.zones = pipeline.zones.clone();
            }
        }
        LiveUpdate::CameraStatus(status) => {
            live.status = Some(status.status);
            live.status_reason = status.reason.clone();
        }
        LiveUpdate::Event(_) | LiveUpdate::Alert(_) => {}
    }
    live.updated_at = Some(at);
}

#[cfg(test)]
mod tests {
    use super::*;
    use footfall_store::CameraStatus;

    fn count(people_in: i64, people_count: Option<i64>) -> LiveUpdate {
        LiveUpdate::Count(CountUpdate {
            people_in,
            people_count,
            ..Default::default()
        })
    }

    fn event() -> LiveUpdate {
        LiveUpdate::Event(EventUpdate {
            event_type: "line_in".into(),
            timestamp: Utc::now(),
            severity: footfall_store::EventSeverity::Low,
            data: serde_json::Value::Null,
            id: None,
        })
    }

    #[test]
    fn numbers_replays_and_reports_gaps() {
        let hub = Hub::default();
        let now = Utc::now();
        assert_eq!(hub.last_seq(), 0);
        assert!(hub.since(0).unwrap().is_empty());
        for i in 0..3 {
            hub.publish(Some(1), now, count(i, Some(i)));
        }
        let missed: Vec<u64> = hub
            .since(1)
            .unwrap()
            .iter()
            .map(|m| m.message.seq)
            .collect();
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
            hub.publish(Some(2), now, event());
        }
        assert_eq!(hub.since(1), Err(Gap { oldest_seq: 4 }));
        assert_eq!(hub.since(3).unwrap().len(), REPLAY_WINDOW);
    }

    #[test]
    fn camera_metrics_in_prometheus_format() {
        let hub = Hub::default();
        let now = Utc::now();
        let update = CountUpdate {
            people_count: Some(2),
            pipeline: Some(crate::message::PipelineNow {
                fps: Some(4.5),
                frames_dropped: 7,
                ..Default::default()
            }),
            ..Default::default()
        };
        hub.publish(Some(1), now, LiveUpdate::Count(update));
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
            hub.publish(Some(camera), Utc::now(), count(0, Some(1)));
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
        let update = CountUpdate {
            people_in: 5,
            people_out: 1,
            ..Default::default()
        };
        hub.publish(Some(1), day1, LiveUpdate::Count(update));
        hub.publish(Some(1), day1 + chrono::Duration::minutes(2), count(2, None));
        let state = &hub.cameras()[0];
        assert_eq!((state.people_in_today, state.people_out_today), (2, 0));
    }

    #[tokio::test]
    async fn subscribers_see_sequence_order() {
        let hub = Hub::default();
        let mut rx = hub.subscribe();
        let now = Utc::now();
        hub.publish_status(1, now, CameraStatus::Online, None);
        let alert = AlertUpdate {
            id: 1,
            is_resolved: false,
            severity: footfall_store::AlertSeverity::High,
            title: "camera offline".into(),
        };
        hub.publish_alert(None, now, alert);
        let first = rx.recv().await.unwrap();
        assert_eq!(first.message.seq, 1);
        let wire: serde_json::Value = serde_json::from_str(&first.json).unwrap();
        assert_eq!(wire["type"], "camera_status");
        assert_eq!(wire["data"]["status"], "online");
        assert_eq!(rx.recv().await.unwrap().message.seq, 2);
        assert_eq!(hub.cameras()[0].status, Some(CameraStatus::Online));
    }
}
