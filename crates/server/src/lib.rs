//! Footfall platform server: REST (/api/v1), GraphQL (/api/graphql), OpenAPI
//! (/api/openapi.json), health and Prometheus metrics, on one [`footfall_store::Store`].
//!
//! Layout: `routes/` (one module of thin handlers per domain, with [`routes::ENDPOINTS`]
//! as the single list of operations and their access rules), `services/` (the
//! application logic the handlers, GraphQL and the CLI call), `auth/` (passwords,
//! tokens, the `Caller` extractor), `error` (the one error type and its HTTP mapping),
//! `config`, `telemetry` (metrics, request ids, background log writer), `crypto` and
//! `stream_url` (secrets at rest), `testutil` (a real server on port 0 with a fresh
//! database).

pub mod auth;
pub mod boot;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod graphql;
pub mod live_access;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod password;
pub mod rate_limit;
pub mod router;
pub mod routes;
pub mod server;
pub mod services;
pub mod state;
pub mod stream_slots;
pub mod stream_url;
pub mod telemetry;
pub mod testutil;
pub mod tls;
pub mod tokens;
pub mod validate;
pub mod web;

pub use boot::{boot, default_services, open_store};
pub use error::BootError;
pub use server::{Server, app};
