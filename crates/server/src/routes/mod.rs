//! The HTTP surface: one module of handlers per domain, and [`ENDPOINTS`], every
//! operation with the least role it needs. The router ([`crate::router`]), the OpenAPI
//! document and the role-matrix test all read it, so a route cannot exist without a
//! declared access rule.

pub mod auth;
pub mod cameras;
pub mod health;
pub mod ingest;
pub mod live;
pub mod ops;
pub mod results;
pub mod users;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials (login, health, docs).
    Public,
    /// A device API key (ingest).
    ApiKey,
    /// The scrape token `server.metrics_token` as a bearer token. Without one configured
    /// the route answers 404: metrics are then only on `server.metrics_bind`.
    MetricsToken,
    /// A bearer token of this role or higher.
    Role(footfall_store::Role),
}

pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub tag: &'static str,
}

use Access::{ApiKey, Public};
use footfall_store::Role::{Admin, User, Viewer};

const fn e(
    method: &'static str,
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        summary,
        tag,
    }
}

pub const ENDPOINTS: &[Endpoint] = &[
    e(
        "GET",
        "/healthz",
        Public,
        "operations",
        "Liveness: the process answers.",
    ),
    e(
        "GET",
        "/readyz",
        Public,
        "operations",
        "Readiness: database reachable and migrated.",
    ),
    e(
        "GET",
        "/metrics",
        Access::MetricsToken,
        "operations",
        "Prometheus metrics (bearer: server.metrics_token; without a token only on the metrics listener, server.metrics_bind).",
    ),
    e(
        "GET",
        "/api/openapi.json",
        Public,
        "operations",
        "This OpenAPI document.",
    ),
    e(
        "POST",
        "/api/graphql",
        Access::Role(Viewer),
        "graphql",
        "GraphQL queries over cameras, counts, events and alerts.",
    ),
    e(
        "GET",
        "/api/v1/auth/status",
        Public,
        "auth",
        "Whether the first admin still has to be set up, and whether registration is open.",
    ),
    e(
        "POST",
        "/api/v1/auth/register",
        Public,
        "auth",
        "Create an account (role from auth.register_role).",
    ),
    e(
        "POST",
        "/api/v1/auth/setup",
        Public,
        "auth",
        "Create the first admin with the one-time setup token.",
    ),
    e(
        "POST",
        "/api/v1/auth/login",
        Public,
        "auth",
        "Log in; returns an access token and a refresh token.",
    ),
    e(
        "POST",
        "/api/v1/auth/refresh",
        Public,
        "auth",
        "Exchange a refresh token (single use) for new tokens.",
    ),
    e(
        "POST",
        "/api/v1/auth/verify-email",
        Public,
        "auth",
        "Confirm an e-mail address with the mailed token.",
    ),
    e(
        "POST",
        "/api/v1/auth/forgot-password",
        Public,
        "auth",
        "Mail a password reset link (always 202).",
    ),
    e(
        "POST",
        "/api/v1/auth/reset-password",
        Public,
        "auth",
        "Set a new password with the mailed token.",
    ),
    e(
        "POST",
        "/api/v1/auth/logout",
        Access::Role(Viewer),
        "auth",
        "End this session.",
    ),
    e(
        "POST",
        "/api/v1/auth/logout-all",
        Access::Role(Viewer),
        "auth",
        "End every session of this user.",
    ),
    e(
        "POST",
        "/api/v1/auth/change-password",
        Access::Role(Viewer),
        "auth",
        "Change the password; ends other sessions.",
    ),
    e(
        "POST",
        "/api/v1/auth/resend-verification",
        Access::Role(Viewer),
        "auth",
        "Mail a new verification link.",
    ),
    e(
        "GET",
        "/api/v1/auth/sessions",
        Access::Role(Viewer),
        "auth",
        "Active sessions of this user.",
    ),
    e(
        "GET",
        "/api/v1/me",
        Access::Role(Viewer),
        "auth",
        "The current user.",
    ),
    e(
        "GET",
        "/api/v1/me/export",
        Access::Role(Viewer),
        "auth",
        "Everything stored about the current user (account, sessions, audit rows, API keys), as one JSON document.",
    ),
    e(
        "GET",
        "/api/v1/users",
        Access::Role(Admin),
        "users",
        "List users.",
    ),
    e(
        "POST",
        "/api/v1/users",
        Access::Role(Admin),
        "users",
        "Create a user with a role.",
    ),
    e(
        "PATCH",
        "/api/v1/users/{id}",
        Access::Role(Admin),
        "users",
        "Change a user's role or deactivate them.",
    ),
    e(
        "DELETE",
        "/api/v1/users/{id}",
        Access::Role(Admin),
        "users",
        "Erase a user (GDPR): name, e-mail, sessions, tokens and recorded addresses removed; the account stays as a pseudonym in the audit log. Not the last active admin.",
    ),
    e(
        "GET",
        "/api/v1/cameras",
        Access::Role(Viewer),
        "cameras",
        "List cameras.",
    ),
    e(
        "POST",
        "/api/v1/cameras",
        Access::Role(User),
        "cameras",
        "Create a camera.",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}",
        Access::Role(Viewer),
        "cameras",
        "One camera.",
    ),
    e(
        "PUT",
        "/api/v1/cameras/{id}",
        Access::Role(User),
        "cameras",
        "Replace a camera's configuration.",
    ),
    e(
        "DELETE",
        "/api/v1/cameras/{id}",
        Access::Role(User),
        "cameras",
        "Archive a camera (stopped, hidden, history kept); purge=true (admin) removes it with its history.",
    ),
    e(
        "POST",
        "/api/v1/cameras/{id}/test",
        Access::Role(User),
        "cameras",
        "Probe the camera's stream (or another URL): codec, size, fps or the precise error, within 15 s.",
    ),
    e(
        "POST",
        "/api/v1/cameras/test",
        Access::Role(User),
        "cameras",
        "Probe a stream URL before saving a camera: codec, size, fps or the precise error, within 15 s.",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}/snapshot.jpg",
        Access::Role(Viewer),
        "live",
        "The camera's latest frame with boxes, track ids, lines and zones drawn (JPEG).",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}/live.mjpeg",
        Access::Role(Viewer),
        "live",
        "The drawn latest frames as an MJPEG stream at a low rate (fps, default 2).",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}/counts",
        Access::Role(Viewer),
        "counts",
        "Counting results of one camera (raw or bucketed; JSON or CSV).",
    ),
    e(
        "POST",
        "/api/v1/cameras/{id}/corrections",
        Access::Role(User),
        "counts",
        "Add a manual count (audited).",
    ),
    e(
        "GET",
        "/api/v1/counts",
        Access::Role(Viewer),
        "counts",
        "Counting results of all cameras.",
    ),
    e(
        "POST",
        "/api/v1/ingest/counts",
        ApiKey,
        "ingest",
        "Push counts from a device or system (idempotent by id).",
    ),
    e(
        "POST",
        "/api/v1/ingest/events",
        ApiKey,
        "ingest",
        "Push events from a device or system (idempotent by id).",
    ),
    e(
        "GET",
        "/api/v1/live",
        Access::Role(Viewer),
        "live",
        "Latest occupancy, today's in / out and status per camera.",
    ),
    e(
        "GET",
        "/api/v1/ws",
        Access::Role(Viewer),
        "live",
        "WebSocket of live updates (token in access_token; resume with since).",
    ),
    e(
        "GET",
        "/api/v1/events",
        Access::Role(Viewer),
        "events",
        "Camera events.",
    ),
    e(
        "GET",
        "/api/v1/alerts",
        Access::Role(Viewer),
        "events",
        "System alerts.",
    ),
    e(
        "POST",
        "/api/v1/alerts/{id}/resolve",
        Access::Role(User),
        "events",
        "Resolve an alert.",
    ),
    e(
        "GET",
        "/api/v1/workers",
        Access::Role(Viewer),
        "operations",
        "Camera workers.",
    ),
    e(
        "GET",
        "/api/v1/audit",
        Access::Role(Admin),
        "users",
        "Audit log.",
    ),
    e(
        "GET",
        "/api/v1/api-keys",
        Access::Role(Admin),
        "ingest",
        "List device API keys.",
    ),
    e(
        "POST",
        "/api/v1/api-keys",
        Access::Role(Admin),
        "ingest",
        "Create a device API key (shown once).",
    ),
    e(
        "DELETE",
        "/api/v1/api-keys/{id}",
        Access::Role(Admin),
        "ingest",
        "Revoke a device API key.",
    ),
    e(
        "GET",
        "/api/v1/models",
        Access::Role(Viewer),
        "models",
        "Registered detector models.",
    ),
    e(
        "POST",
        "/api/v1/models",
        Access::Role(Admin),
        "models",
        "Register a model file (it must load).",
    ),
    e(
        "POST",
        "/api/v1/models/{id}/activate",
        Access::Role(Admin),
        "models",
        "Make a model the active one.",
    ),
];
