//! Counting events with stable ids.

use crate::tracker::TrackId;
use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A track crossed a line in its "in" direction.
    LineIn,
    /// A track crossed a line against its "in" direction.
    LineOut,
    /// A track's anchor entered a zone.
    ZoneEnter,
    /// A track's anchor left a zone, or the track ended inside it.
    ZoneExit,
    /// A track became a zone visitor: its total time inside reached the zone's minimum.
    ZoneVisit,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::LineIn => "line_in",
            EventKind::LineOut => "line_out",
            EventKind::ZoneEnter => "zone_enter",
            EventKind::ZoneExit => "zone_exit",
            EventKind::ZoneVisit => "zone_visit",
        }
    }
}

/// One counting event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountEvent {
    /// Stable id `camera/kind/name/track/milliseconds`: the same event computed twice
    /// (a replay, a retry) gets the same id, so delivery can be made exactly-once.
    pub id: String,
    pub kind: EventKind,
    /// Name of the line or zone.
    pub name: String,
    pub track_id: TrackId,
    /// Stream time of the event, seconds.
    pub timestamp: f64,
    /// For zone exits: seconds spent inside during this stay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
}

impl CountEvent {
    pub fn new(
        camera: &str,
        kind: EventKind,
        name: &str,
        track_id: TrackId,
        timestamp: f64,
    ) -> Self {
        let millis = (timestamp * 1000.0).round() as i64;
        CountEvent {
            id: format!("{camera}/{}/{name}/{track_id}/{millis}", kind.as_str()),
            kind,
            name: name.to_string(),
            track_id,
            timestamp,
            dwell_s: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_stable_and_distinguishes_fields() {
        let a = CountEvent::new("cam1", EventKind::LineIn, "door", 7, 12.3456);
        assert_eq!(a.id, "cam1/line_in/door/7/12346");
        assert_eq!(
            a,
            CountEvent::new("cam1", EventKind::LineIn, "door", 7, 12.3456)
        );
        assert_ne!(
            a.id,
            CountEvent::new("cam1", EventKind::LineOut, "door", 7, 12.3456).id
        );
        assert_ne!(
            a.id,
            CountEvent::new("cam1", EventKind::LineIn, "door", 8, 12.3456).id
        );
    }
}
