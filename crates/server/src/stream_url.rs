//! Camera stream URLs: scheme allow-list, credential sealing and masking.
//!
//! The URL as the operator typed it (credentials included) is encrypted whole into the
//! camera's `security_config.stream_url_sealed`; the `stream_url` column and every
//! response carry the masked form: the password in the user-info part and the values
//! of credential-like query parameters become `***`.

use crate::crypto::CredentialBox;
use crate::error::ApiError;

pub const MASK: &str = "***";
const MAX_LEN: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamUrl {
    /// For `stream_url` and responses.
    pub masked: String,
    /// Whether the original carried secrets (then it must be stored sealed).
    pub has_secrets: bool,
    original: String,
}

impl StreamUrl {
    pub fn parse(input: &str, allowed_schemes: &[String]) -> Result<StreamUrl, ApiError> {
        const FIELD: &str = "stream_url";
        let input = input.trim();
        if input.is_empty() {
            return Err(ApiError::invalid(FIELD, "must not be empty"));
        }
        if input.len() > MAX_LEN {
            return Err(ApiError::invalid(
                FIELD,
                format!("must be at most {MAX_LEN} characters"),
            ));
        }
        if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ApiError::invalid(
                FIELD,
                "must not contain spaces or control characters",
            ));
        }
        let url = url::Url::parse(input)
            .map_err(|e| ApiError::invalid(FIELD, format!("is not a URL ({e})")))?;
        let scheme = url.scheme().to_ascii_lowercase();
        if !allowed_schemes
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&scheme))
        {
            return Err(ApiError::invalid(
                FIELD,
                format!(
                    "scheme {scheme:?} is not allowed; allowed: {}",
                    allowed_schemes.join(", ")
                ),
            ));
        }
        if scheme != "file" && url.host_str().is_none_or(str::is_empty) {
            return Err(ApiError::invalid(FIELD, "must name a host"));
        }
        let mut masked = url.clone();
        let mut has_secrets = false;
        if url.password().is_some() {
            if url.password() == Some(MASK) || url.password() == Some("%2A%2A%2A") {
                return Err(ApiError::invalid(
                    FIELD,
                    "password is the mask ***; send the real password",
                ));
            }
            has_secrets = true;
            let _ = masked.set_password(Some(MASK));
        }
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    if footfall_source::url::SECRET_QUERY_PARAMS
                        .contains(&k.to_ascii_lowercase().as_str())
                        && !v.is_empty()
                    {
                        has_secrets = true;
                        (k.into_owned(), MASK.to_string())
                    } else {
                        (k.into_owned(), v.into_owned())
                    }
                })
                .collect();
            masked.query_pairs_mut().clear().extend_pairs(pairs);
        }
        // url percent-encodes the mask in user-info; show it literally.
        let masked = masked.to_string().replace("%2A%2A%2A", MASK);
        Ok(StreamUrl {
            masked,
            has_secrets,
            original: input.to_string(),
        })
    }

    /// `security_config` JSON holding the sealed original URL (empty when no secrets).
    pub fn security_config(&self, sealer: &CredentialBox) -> serde_json::Value {
        if self.has_secrets {
            serde_json::json!({ "stream_url_sealed": sealer.seal(&self.original) })
        } else {
            serde_json::json!({})
        }
    }
}

/// 422 on `stream_url` when the URL points where cameras may not (loopback, link-local,
/// cloud metadata: `cameras.allow_loopback`, `cameras.blocked_networks`). The host is
/// resolved off the async threads.
pub async fn check_destination(state: &crate::state::AppState, url: &str) -> Result<(), ApiError> {
    let policy = state.destinations.clone();
    let url = url.trim().to_string();
    tokio::task::spawn_blocking(move || policy.check(&url))
        .await
        .map_err(ApiError::internal)?
        .map_err(|why| ApiError::invalid("stream_url", format!("refused destination: {why}")))
}

/// The URL to open a camera with: the sealed original when there is one, else the
/// stored URL (which then has no secrets).
pub fn unsealed_url(
    stream_url: &str,
    security_config: &serde_json::Value,
    sealer: &CredentialBox,
) -> Result<String, String> {
    match security_config
        .get("stream_url_sealed")
        .and_then(|v| v.as_str())
    {
        Some(sealed) => sealer.open(sealed),
        None => Ok(stream_url.to_string()),
    }
}

/// Re-encrypts the sealed stream URL of every camera (archived ones too) under
/// `writer`'s key, opening each with `reader` (which knows the old keys); returns how many
/// were re-encrypted. Stops at the first value that does not open, naming its camera:
/// nothing is lost, since `reader`'s keys still open everything not yet done.
pub async fn reseal_all(
    store: &footfall_store::Store,
    reader: &CredentialBox,
    writer: &CredentialBox,
) -> Result<usize, String> {
    const PAGE: i64 = 500;
    let mut resealed = 0;
    for archived in [false, true] {
        let mut offset = 0;
        loop {
            let cameras = store
                .list_cameras(&footfall_store::CameraFilter {
                    archived,
                    limit: PAGE,
                    offset,
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string())?;
            for camera in &cameras {
                let Some(sealed) = camera
                    .security_config
                    .get("stream_url_sealed")
                    .and_then(|v| v.as_str())
                else {
                    continue;
                };
                let url = reader
                    .open(sealed)
                    .map_err(|e| format!("camera {}: {e}", camera.id))?;
                let mut config = camera.security_config.clone();
                config["stream_url_sealed"] = serde_json::Value::String(writer.seal(&url));
                store
                    .set_camera_security_config(camera.id, &config)
                    .await
                    .map_err(|e| format!("camera {}: {e}", camera.id))?;
                resealed += 1;
            }
            if (cameras.len() as i64) < PAGE {
                break;
            }
            offset += PAGE;
        }
    }
    Ok(resealed)
}

/// The camera service opens cameras with their unsealed URLs.
impl footfall_live::supervisor::StreamUrls for CredentialBox {
    fn unsealed(&self, camera: &footfall_store::Camera) -> Result<String, String> {
        unsealed_url(&camera.stream_url, &camera.security_config, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemes() -> Vec<String> {
        ["rtsp", "rtsps", "http", "https"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn masks_user_info_and_secret_query_values() {
        let u =
            StreamUrl::parse("rtsp://admin:p%40ss@10.0.0.5:554/Streaming/101", &schemes()).unwrap();
        assert_eq!(u.masked, "rtsp://admin:***@10.0.0.5:554/Streaming/101");
        assert!(u.has_secrets);
        let u = StreamUrl::parse(
            "http://cam/video.cgi?user=admin&password=hunter2&res=1",
            &schemes(),
        )
        .unwrap();
        assert_eq!(
            u.masked,
            "http://cam/video.cgi?user=admin&password=***&res=1"
        );
        let u = StreamUrl::parse("rtsp://cam.local/live", &schemes()).unwrap();
        assert!(!u.has_secrets);
        assert_eq!(u.masked, "rtsp://cam.local/live");
    }

    #[test]
    fn rejects_what_ffmpeg_should_never_open() {
        for (input, needle) in [
            ("file:///etc/passwd", "not allowed"),
            ("concat:a|b", "not allowed"),
            ("rtsp://", "host"),
            ("not a url", "spaces"),
            ("rtsp://u:***@cam/x", "mask"),
        ] {
            let e = StreamUrl::parse(input, &schemes()).unwrap_err();
            assert_eq!(e.body.field.as_deref(), Some("stream_url"));
            assert!(
                e.body.message.contains(needle),
                "{input}: {}",
                e.body.message
            );
        }
    }

    #[test]
    fn sealed_original_round_trips() {
        use base64::Engine;
        let sealer =
            CredentialBox::new(&base64::engine::general_purpose::STANDARD.encode([1u8; 32]))
                .unwrap();
        let u = StreamUrl::parse("rtsp://admin:secret@cam/live", &schemes()).unwrap();
        let config = u.security_config(&sealer);
        assert!(!config.to_string().contains("secret@"));
        assert_eq!(
            unsealed_url(&u.masked, &config, &sealer).unwrap(),
            "rtsp://admin:secret@cam/live"
        );
    }
}
