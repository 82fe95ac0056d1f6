//! Source locations: what kind of input a string names, and masking its credentials.

use std::path::{Path, PathBuf};

/// The kinds of input Footfall reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A video file on disk.
    File(PathBuf),
    /// A folder of numbered images (MOTChallenge `img1/000001.jpg` layout or flat).
    ImageFolder(PathBuf),
    /// `rtsp://` or `rtsps://`.
    Rtsp(String),
    /// `http://` or `https://` (MJPEG, HLS, progressive MP4, MPEG-TS).
    Http(String),
}

impl SourceKind {
    /// Classifies `input`; unknown URL schemes are rejected rather than passed to ffmpeg,
    /// which would otherwise read local devices or arbitrary protocols.
    pub fn parse(input: &str) -> Result<SourceKind, String> {
        let lower = input.to_ascii_lowercase();
        if lower.starts_with("rtsp://") || lower.starts_with("rtsps://") {
            return Ok(SourceKind::Rtsp(input.to_string()));
        }
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(SourceKind::Http(input.to_string()));
        }
        if let Some((scheme, _)) = input.split_once("://") {
            return Err(format!(
                "unsupported URL scheme {scheme:?} (use a file path, rtsp://, rtsps://, http:// or https://)"
            ));
        }
        let path = Path::new(input);
        if path.is_dir() {
            Ok(SourceKind::ImageFolder(path.to_path_buf()))
        } else {
            Ok(SourceKind::File(path.to_path_buf()))
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self, SourceKind::Rtsp(_) | SourceKind::Http(_))
    }
}

/// Query parameters whose values are secrets (cameras that take `?password=` or
/// `?token=`, signed URLs of cloud relays), masked like passwords. Compared without
/// regard to case.
pub const SECRET_QUERY_PARAMS: &[&str] = &[
    "password",
    "pass",
    "pwd",
    "passwd",
    "pw",
    "passphrase",
    "token",
    "access_token",
    "accesstoken",
    "refresh_token",
    "id_token",
    "auth",
    "authorization",
    "auth_token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "private_key",
    "secret",
    "client_secret",
    "sig",
    "signature",
    "session",
    "sessionid",
    "session_id",
    "credential",
    "credentials",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
];

/// `rtsp://user:secret@host/path?token=t` -> `rtsp://user:***@host/path?token=***`;
/// other strings unchanged. Used for every log line and error message that names a source.
pub fn mask_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let tail = mask_secret_query(tail);
    let Some(at) = authority.rfind('@') else {
        return format!("{scheme}://{authority}{tail}");
    };
    let userinfo = &authority[..at];
    let host = &authority[at + 1..];
    let user = userinfo.split_once(':').map(|(u, _)| u).unwrap_or(userinfo);
    if userinfo.contains(':') {
        format!("{scheme}://{user}:***@{host}{tail}")
    } else {
        format!("{scheme}://***@{host}{tail}")
    }
}

/// Masks the values of [`SECRET_QUERY_PARAMS`] in the path-and-query part of a URL.
fn mask_secret_query(tail: &str) -> String {
    let Some(q) = tail.find('?') else {
        return tail.to_string();
    };
    let (path, rest) = tail.split_at(q + 1);
    let (query, fragment) = rest.split_at(rest.find('#').unwrap_or(rest.len()));
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v))
                if !v.is_empty()
                    && SECRET_QUERY_PARAMS.contains(&k.to_ascii_lowercase().as_str()) =>
            {
                format!("{k}=***")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}{}{fragment}", pairs.join("&"))
}

/// Masks the credentials of every URL inside free text (an ffmpeg error line quotes the
/// URL it failed on).
pub fn mask_credentials_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        // Back up over the scheme letters.
        let scheme_start = rest[..pos]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            // Just after that character (which may take several bytes: text is UTF-8).
            .map_or(0, |(i, c)| i + c.len_utf8());
        out.push_str(&rest[..scheme_start]);
        // A URL ends at whitespace or a double quote, not at a single quote: a password
        // may hold one (RFC 3986 allows it unencoded), and stopping there would print
        // the rest of the password. A closing quote just stays in the masked tail.
        let url_end = rest[pos..]
            .find(|c: char| c.is_whitespace() || c == '"')
            .map_or(rest.len(), |i| pos + i);
        out.push_str(&mask_credentials(&rest[scheme_start..url_end]));
        rest = &rest[url_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_only() {
        assert_eq!(
            mask_credentials("rtsp://admin:hunter2@10.0.0.5:554/live"),
            "rtsp://admin:***@10.0.0.5:554/live"
        );
        assert_eq!(mask_credentials("rtsp://token@cam/x"), "rtsp://***@cam/x");
        assert_eq!(
            mask_credentials("rtsp://cam/x?user=a@b"),
            "rtsp://cam/x?user=a@b"
        );
        assert_eq!(mask_credentials("http://u:p@h"), "http://u:***@h");
        assert_eq!(
            mask_credentials("http://cam/v.cgi?user=a&Password=hunter2&res=1#x"),
            "http://cam/v.cgi?user=a&Password=***&res=1#x"
        );
        assert_eq!(
            mask_credentials("rtsp://cam/x?token="),
            "rtsp://cam/x?token="
        );
        // Found by the property tests: a multi-byte character right before a scheme.
        assert_eq!(
            mask_credentials_in_text("¡rtsp://u:p@h ¡://"),
            "¡rtsp://u:***@h ¡://"
        );
        assert_eq!(mask_credentials("/videos/a@b.mp4"), "/videos/a@b.mp4");
        for name in [
            "access_token",
            "pw",
            "key",
            "sig",
            "auth",
            "X-Amz-Signature",
            "Session",
        ] {
            assert_eq!(
                mask_credentials(&format!("https://relay/cam.m3u8?res=1&{name}=s3cr3t")),
                format!("https://relay/cam.m3u8?res=1&{name}=***"),
                "{name}"
            );
        }
        assert_eq!(
            mask_credentials("rtsp://a:p@ss@host/s"),
            "rtsp://a:***@host/s"
        );
    }

    #[test]
    fn masks_urls_inside_text() {
        assert_eq!(
            mask_credentials_in_text(
                "[rtsp @ 0x1] rtsp://a:pw@h:554/x: Connection refused, see 'http://u:p2@y/z'"
            ),
            "[rtsp @ 0x1] rtsp://a:***@h:554/x: Connection refused, see 'http://u:***@y/z'"
        );
        assert_eq!(mask_credentials_in_text("no urls here"), "no urls here");
        assert_eq!(
            mask_credentials_in_text("failed: 'rtsp://a:it's@cam/x' (401)"),
            "failed: 'rtsp://a:***@cam/x' (401)"
        );
    }

    #[test]
    fn classifies_sources() {
        assert!(matches!(
            SourceKind::parse("rtsp://h/s"),
            Ok(SourceKind::Rtsp(_))
        ));
        assert!(matches!(
            SourceKind::parse("HTTPS://h/s"),
            Ok(SourceKind::Http(_))
        ));
        assert!(matches!(
            SourceKind::parse("/no/such/file.mp4"),
            Ok(SourceKind::File(_))
        ));
        assert!(matches!(
            SourceKind::parse("."),
            Ok(SourceKind::ImageFolder(_))
        ));
        let err = SourceKind::parse("file:///etc/passwd").unwrap_err();
        assert!(err.contains("unsupported URL scheme \"file\""), "{err}");
    }
}
