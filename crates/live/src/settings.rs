//! What a camera row's `settings` JSON holds: the pipeline settings of the camera plus
//! its counting lines and zones. The API validates and writes it; the supervisor reads it
//! to start the camera.

use footfall_core::counting::{ConfigError, CountingConfig, LineConfig, ZoneConfig};
use serde::{Deserialize, Serialize};

/// Per-camera pipeline settings. Defaults are what `footfall count` uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct CameraSettings {
    /// Frames per second given to the detector, 0.1..=60. Default 5.
    pub detector_fps: f64,
    /// Minimum detection confidence, 0.05..=0.95. Default 0.3.
    pub confidence: f32,
    /// Detector class ids counted (COCO: 0 = person). Default [0].
    pub classes: Vec<u32>,
    /// Skip detection on frames without motion. Default true.
    pub motion_gate: bool,
    /// File sources: play in a loop (they always play in real time, like a camera).
    /// Default false: the camera goes offline when the file ends.
    pub loop_file: bool,
    /// Privacy: pixelate every detected person in the pictures the server shows
    /// (snapshot, MJPEG; overlay or bare). Counting is unaffected. Default false.
    pub blur_people: bool,
}

impl Default for CameraSettings {
    fn default() -> Self {
        CameraSettings {
            detector_fps: 5.0,
            confidence: 0.3,
            classes: vec![0],
            motion_gate: true,
            loop_file: false,
            blur_people: false,
        }
    }
}

impl CameraSettings {
    /// The first setting out of range, named by its path in the camera input.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: &str| {
            Err(ConfigError {
                field: format!("settings.{field}"),
                message: message.into(),
            })
        };
        if !(self.detector_fps.is_finite() && (0.1..=60.0).contains(&self.detector_fps)) {
            return invalid("detector_fps", "must be 0.1 to 60");
        }
        if !(self.confidence.is_finite() && (0.05..=0.95).contains(&self.confidence)) {
            return invalid("confidence", "must be 0.05 to 0.95");
        }
        if self.classes.is_empty()
            || self.classes.len() > 80
            || self.classes.iter().any(|c| *c >= 1000)
        {
            return invalid("classes", "must list 1 to 80 class ids below 1000");
        }
        Ok(())
    }
}

/// The `settings` JSON as stored: the pipeline settings plus lines and zones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredSettings {
    #[serde(flatten)]
    pub settings: CameraSettings,
    #[serde(default)]
    pub lines: Vec<LineConfig>,
    #[serde(default)]
    pub zones: Vec<ZoneConfig>,
}

impl StoredSettings {
    /// Reads a camera row's settings; a row written by an older version (or by hand)
    /// that no longer parses runs with the defaults rather than not at all.
    pub fn from_row(settings: &serde_json::Value) -> StoredSettings {
        serde_json::from_value(settings.clone()).unwrap_or_default()
    }

    pub fn counting(&self) -> CountingConfig {
        CountingConfig {
            lines: self.lines.clone(),
            zones: self.zones.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_name_their_field() {
        let field = |s: CameraSettings| s.validate().unwrap_err().field;
        assert!(CameraSettings::default().validate().is_ok());
        let fps = CameraSettings {
            detector_fps: f64::NAN,
            ..Default::default()
        };
        assert_eq!(field(fps), "settings.detector_fps");
        let confidence = CameraSettings {
            confidence: 0.99,
            ..Default::default()
        };
        assert_eq!(field(confidence), "settings.confidence");
        let classes = CameraSettings {
            classes: vec![],
            ..Default::default()
        };
        assert_eq!(field(classes), "settings.classes");
    }

    #[test]
    fn stored_settings_round_trip_and_tolerate_an_unreadable_row() {
        let stored = StoredSettings {
            settings: CameraSettings {
                detector_fps: 2.0,
                ..Default::default()
            },
            lines: Vec::new(),
            zones: Vec::new(),
        };
        let row = serde_json::to_value(&stored).unwrap();
        assert_eq!(row["detector_fps"], 2.0, "flattened: {row}");
        assert_eq!(StoredSettings::from_row(&row), stored);
        let unreadable = serde_json::json!({"detector_fps": "fast"});
        assert_eq!(
            StoredSettings::from_row(&unreadable),
            StoredSettings::default()
        );
    }
}
