//! Parsed input types: a value of one of these types is valid ("parse, don't
//! validate"). Every failure names the request field.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// JSON body extractor whose errors are `422 {"error": {"field": "lines[0].start.x", ...}}`.
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))?;
        if has_nul_escape(&bytes) {
            // No text column takes it (PostgreSQL refuses NUL in text and jsonb).
            return Err(ApiError::invalid(
                "body",
                "must not contain the NUL character (\\u0000)",
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(de) {
            Ok(v) => Ok(ValidJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    return Err(ApiError::bad_request(format!("malformed JSON: {inner}")));
                }
                let message = strip_position(&inner.to_string());
                Err(ApiError::invalid(field_of(&path, &message), message))
            }
        }
    }
}

/// Whether a JSON text holds the escape `\u0000` in a string (an escaped backslash
/// followed by `u0000` is not one).
fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            // Skip the escaped character, whatever it is.
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The field an error is about: serde's path, plus the field name for "missing field
/// `x`" (whose path is the enclosing object; an unknown field's path already ends in it).
fn field_of(path: &str, message: &str) -> String {
    let named = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_string(),
        (".", None) => "body".to_string(),
        (path, Some(name)) => format!("{path}.{name}"),
        (path, None) => path.to_string(),
    }
}

/// serde_json appends " at line 1 column 42"; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// 3-50 characters: letters, digits, `.`, `_`, `-`; starts with a letter or digit.
pub fn username(value: &str, field: &str) -> Result<String, ApiError> {
    let v = value.trim();
    let len = v.chars().count();
    if !(3..=50).contains(&len) {
        return Err(ApiError::invalid(field, "must be 3 to 50 characters"));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ApiError::invalid(
            field,
            "may contain only letters, digits, '.', '_' and '-'",
        ));
    }
    if !v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            field,
            "must start with a letter or digit",
        ));
    }
    Ok(v.to_string())
}

/// A plausible address: one `@`, a dotted domain, at most 100 characters (the column).
pub fn email(value: &str, field: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.len() > 100 {
        return Err(ApiError::invalid(field, "must be at most 100 characters"));
    }
    let Some((local, domain)) = v.split_once('@') else {
        return Err(ApiError::invalid(
            field,
            "must be an e-mail address like name@example.com",
        ));
    };
    let ok_local = !local.is_empty() && !local.contains(char::is_whitespace);
    let ok_domain = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if !ok_local || !ok_domain || local.contains('@') {
        return Err(ApiError::invalid(
            field,
            "must be an e-mail address like name@example.com",
        ));
    }
    Ok(v.to_string())
}

/// Free text: trimmed, at most `max` characters, no control characters except newlines.
pub fn text(value: &str, field: &str, max: usize, required: bool) -> Result<String, ApiError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

pub fn optional_text(
    value: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    value
        .map(|v| text(v, field, max, false))
        .transpose()
        .map(|v| v.filter(|s| !s.is_empty()))
}

/// Query-string pagination: `limit` 1..=max (default `default`), `offset` >= 0.
pub fn page(
    limit: Option<i64>,
    offset: Option<i64>,
    default: i64,
    max: i64,
) -> Result<(i64, i64), ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("must be 1 to {max}")));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "must be 0 or more"));
    }
    Ok((limit, offset))
}

/// An address (`10.0.0.1`) or a network (`10.0.0.0/8`); `None` if it is neither.
pub fn parse_net(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field_of(".", "missing field `reason`"), "reason");
        assert_eq!(field_of("settings", "missing field `fps`"), "settings.fps");
        assert_eq!(
            field_of("settings.fps", "unknown field `fps`, expected `a`"),
            "settings.fps"
        );
        assert_eq!(
            field_of("lines[0].start.x", "invalid type: string, expected f32"),
            "lines[0].start.x"
        );
        assert_eq!(
            field_of(".", "invalid type: integer, expected a map"),
            "body"
        );
    }

    #[test]
    fn usernames_and_emails() {
        assert_eq!(username("  alice_1 ", "username").unwrap(), "alice_1");
        assert_eq!(
            username("al", "username")
                .unwrap_err()
                .body
                .field
                .as_deref(),
            Some("username")
        );
        assert!(username("al ice", "username").is_err());
        assert!(username("-alice", "username").is_err());
        assert_eq!(email("a@b.co", "email").unwrap(), "a@b.co");
        for bad in [
            "a", "a@b", "@b.co", "a@.co", "a b@c.de", "a@b..c", "a@b@c.de",
        ] {
            assert!(email(bad, "email").is_err(), "{bad}");
        }
        assert!(text("x\u{7}", "name", 10, true).is_err());
        assert!(text("  ", "name", 10, true).is_err());
        assert_eq!(page(None, None, 50, 100).unwrap(), (50, 0));
        assert_eq!(
            page(Some(0), None, 50, 100)
                .unwrap_err()
                .body
                .field
                .as_deref(),
            Some("limit")
        );
    }
}
