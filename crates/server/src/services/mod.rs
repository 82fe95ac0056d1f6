//! Application services: what REST, GraphQL and the CLI share, below the HTTP layer.
//! They take the [`AppState`](crate::state::AppState) (and the caller or request
//! metadata where they audit) and return [`ApiResult`](crate::error::ApiResult); the
//! routes parse the request, call one of them and map the result to HTTP.
//!
//! - [`accounts`]: creating users (registration, setup, admin), changing them, account mails.
//! - [`auth`]: login, lockouts, sessions, logout, refresh-token rotation.
//! - [`cameras`]: API shapes, validation, create / replace / archive / purge, stream probe.
//! - [`counts`]: the counts query (REST and GraphQL) and manual corrections.
//! - [`ingest`]: counts and events pushed by devices with API keys.
//! - [`ops`]: resolving alerts, device API keys, the detector model registry.

pub mod accounts;
pub mod auth;
pub mod cameras;
pub mod counts;
pub mod ingest;
pub mod ops;
