//! The one error type of the HTTP layer and its single mapping to a response:
//! `{"error": {"code", "message", "field"?}}` with the matching status. Internal errors
//! are logged with the request id and answered with a generic message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use footfall_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Seconds to wait, for 429 and lockouts.
    pub retry_after_s: Option<u64>,
}

/// "field: message", or the message: how the CLI reports what the services refused.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.body.field {
            Some(field) => write!(f, "{field}: {}", self.body.message),
            None => f.write_str(&self.body.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                field: None,
            },
            retry_after_s: None,
        }
    }

    /// 422: `field` failed validation.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        );
        e.body.field = Some(field.into());
        e
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::CONFLICT, "conflict", message);
        e.body.field = Some(field.to_string());
        e
    }

    pub fn too_many(retry_after_s: u64, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        e.retry_after_s = Some(retry_after_s.max(1));
        e
    }

    /// 500 with a generic message; the cause is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict { field } => {
                ApiError::conflict(field, format!("{field} is already taken"))
            }
            StoreError::LastAdmin => ApiError::conflict(
                "role",
                "this is the last active admin; promote another admin first",
            ),
            StoreError::Constraint(message) => {
                tracing::debug!(%message, "constraint violation");
                ApiError::invalid(
                    "body",
                    "a referenced record does not exist or a value is out of range",
                )
            }
            StoreError::TooBig(message) => ApiError::invalid("to", message),
            // PostgreSQL's "data exception" class (22): the value itself is unusable
            // (a NUL character, a number or date out of its range), never the server.
            e if e.is_value_refused() => {
                tracing::debug!(error = %e, "value refused by the database");
                ApiError::invalid(
                    "body",
                    "a value cannot be stored (e.g. it contains a NUL character or is out of range)",
                )
            }
            e if e.is_statement_timeout() => ApiError::unavailable(
                "the query ran longer than the database allows (database.statement_timeout_s); narrow it",
            ),
            e if e.is_busy() => ApiError::unavailable("database busy, retry"),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Envelope {
            error: ErrorBody,
        }
        let mut response = (self.status, Json(Envelope { error: self.body })).into_response();
        if let Some(s) = self.retry_after_s {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The data directory (SQLite) cannot be created.
    #[error("cannot create data dir {dir}: {source}")]
    DataDir {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The database cannot be opened (URL credentials masked).
    #[error("cannot open database {url}: {source}")]
    Database {
        url: String,
        source: footfall_store::StoreError,
    },
    #[error("migrations failed: {0}")]
    Migrations(footfall_store::StoreError),
    /// A service cannot be made from the configuration (mail transport, keys).
    #[error("{0}")]
    Services(String),
    /// The listener cannot be bound or served (TLS files, address in use).
    #[error("{0}")]
    Listener(String),
}
