//! The live feed's messages, typed once: everything the dashboard shows as it happens
//! (count changes, events, camera status, alerts) is one [`LiveUpdate`], numbered into a
//! [`LiveMessage`] by the [`Hub`](crate::hub::Hub) and serialised once for every client.
//!
//! On the wire (`/api/v1/ws`) a message reads
//! `{"seq": 7, "camera_id": 1, "at": "...", "type": "count", "data": {...}}`. The API
//! document carries these types, and the dashboard's TypeScript types are generated from
//! it, so the two cannot drift.

use chrono::{DateTime, Utc};
use footfall_core::counting::{LineCounts, ZoneCounts};
use footfall_core::pipeline::CountsSnapshot;
use footfall_store::{AlertSeverity, CameraStatus, EventSeverity, NewEvent, NewResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One numbered message of the live feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveMessage {
    /// Increases by one per message; a client resumes from the last one it saw.
    pub seq: u64,
    /// The camera the message is about (`null`: the whole system).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub camera_id: Option<i64>,
    /// Server time of publication, RFC 3339 UTC.
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub update: LiveUpdate,
}

/// What happened: `type` names it, `data` holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum LiveUpdate {
    /// A camera's counts changed.
    Count(CountUpdate),
    /// A camera event: line crossing, zone entry / exit / visit, device event.
    Event(EventUpdate),
    /// A camera's status changed.
    CameraStatus(StatusUpdate),
    /// A system alert was raised or resolved.
    Alert(AlertUpdate),
}

/// A change of a camera's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountUpdate {
    /// Line crossings in / out since the camera's previous count message (deltas).
    pub people_in: i64,
    pub people_out: i64,
    /// Occupancy now: people in the camera's zones (in view when it has none). Absent
    /// when the update does not know it (a manual correction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people_count: Option<i64>,
    /// When ffmpeg handed over the frame that caused the update (a live camera's update,
    /// for frame-to-browser latency); absent at the end of a result interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_at: Option<DateTime<Utc>>,
    /// Time of the newest stored result behind the update (ingest, corrections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
    /// The pipeline's state now: only in updates of a camera running on this node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineNow>,
}

/// What a running camera's pipeline reports with every count update.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineNow {
    /// Frames received per second over the last rate window (10 s); `null` until the
    /// first window ends.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub fps: Option<f64>,
    /// Frames dropped at the source since the camera started (shared detector busy).
    pub frames_dropped: u64,
    /// Totals per line since the camera's engine started (carried across restarts).
    pub lines: Vec<LineTotal>,
    /// Occupancy, entries and visitors per zone now.
    pub zones: Vec<ZoneNow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineTotal {
    pub name: String,
    pub people_in: u64,
    pub people_out: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZoneNow {
    pub name: String,
    pub occupancy: u64,
    pub entries: u64,
    pub visitors: u64,
}

/// A camera event as stored (`GET /events` shows the same).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventUpdate {
    /// line_in, line_out, zone_enter, zone_exit, zone_visit, status_change,
    /// frames_dropped, or a device's own type.
    pub event_type: String,
    /// When it happened (a frame's time for counting events).
    pub timestamp: DateTime<Utc>,
    pub severity: EventSeverity,
    /// The event's details (a counting event: track, line or zone, direction).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
    /// The event's own id (idempotency key), when it has one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub id: Option<String>,
}

/// A camera's new status.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusUpdate {
    pub status: CameraStatus,
    /// Why the camera is in error / degraded / offline, credentials masked.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
}

/// An alert raised or resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertUpdate {
    pub id: i64,
    pub is_resolved: bool,
    pub severity: AlertSeverity,
    pub title: String,
}

impl PipelineNow {
    /// The line and zone totals of an engine's counts.
    pub fn totals(counts: &CountsSnapshot) -> (Vec<LineTotal>, Vec<ZoneNow>) {
        let lines = counts
            .lines
            .iter()
            .map(|(name, c): &(String, LineCounts)| LineTotal {
                name: name.clone(),
                people_in: c.inward,
                people_out: c.outward,
            })
            .collect();
        let zones = counts
            .zones
            .iter()
            .map(|(name, z): &(String, ZoneCounts)| ZoneNow {
                name: name.clone(),
                occupancy: z.occupancy,
                entries: z.entries,
                visitors: z.visitors,
            })
            .collect();
        (lines, zones)
    }
}

impl CountUpdate {
    /// One update per camera for a batch of stored results (ingest, corrections): the
    /// batch's in / out, and the occupancy of its newest measured (not manual) result.
    pub fn from_results(rows: &[&NewResult]) -> BTreeMap<i64, CountUpdate> {
        let mut per_camera: BTreeMap<i64, CountUpdate> = BTreeMap::new();
        for r in rows {
            let update = per_camera.entry(r.camera_id).or_default();
            update.people_in += i64::from(r.people_in);
            update.people_out += i64::from(r.people_out);
            if !r.is_manual && update.timestamp.is_none_or(|t| r.timestamp >= t) {
                update.timestamp = Some(r.timestamp);
                update.people_count = Some(i64::from(r.people_count));
            }
        }
        per_camera
    }
}

impl From<&NewEvent> for EventUpdate {
    fn from(e: &NewEvent) -> EventUpdate {
        EventUpdate {
            event_type: e.event_type.clone(),
            timestamp: e.timestamp,
            severity: e.severity,
            data: e.event_data.clone(),
            id: e.client_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_format_is_numbered_and_typed() {
        let at = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let message = LiveMessage {
            seq: 7,
            camera_id: Some(1),
            at,
            update: LiveUpdate::Count(CountUpdate {
                people_in: 2,
                people_count: Some(3),
                frame_at: Some(at),
                pipeline: Some(PipelineNow {
                    fps: None,
                    frames_dropped: 4,
                    lines: vec![LineTotal {
                        name: "door".into(),
                        people_in: 9,
                        people_out: 1,
                    }],
                    zones: Vec::new(),
                }),
                ..Default::default()
            }),
        };
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            serde_json::json!({
                "seq": 7, "camera_id": 1, "at": "2026-12-06T10:00:00Z", "type": "count",
                "data": {"people_in": 2, "people_out": 0, "people_count": 3,
                         "frame_at": "2026-12-06T10:00:00Z",
                         "pipeline": {"fps": null, "frames_dropped": 4, "zones": [],
                                      "lines": [{"name": "door", "people_in": 9, "people_out": 1}]}}
            })
        );
        let status = LiveUpdate::CameraStatus(StatusUpdate {
            status: CameraStatus::Online,
            reason: None,
        });
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!({"type": "camera_status", "data": {"status": "online", "reason": null}})
        );
    }

    #[test]
    fn stored_results_make_one_update_per_camera() {
        let t0 = Utc::now();
        let later = t0 + chrono::Duration::seconds(10);
        let mut manual = NewResult::counts(1, later + chrono::Duration::seconds(5), 0, 0, 1);
        manual.is_manual = true;
        let rows = [
            NewResult::counts(1, later, 4, 2, 0),
            NewResult::counts(1, t0, 9, 1, 1),
            manual,
            NewResult::counts(2, t0, 1, 0, 0),
        ];
        let updates = CountUpdate::from_results(&rows.iter().collect::<Vec<_>>());
        let one = &updates[&1];
        assert_eq!((one.people_in, one.people_out), (3, 2));
        assert_eq!(
            (one.people_count, one.timestamp),
            (Some(4), Some(later)),
            "the newest measured row, not the correction"
        );
        assert_eq!(updates[&2].people_count, Some(1));
        assert!(updates[&1].pipeline.is_none());
    }
}
