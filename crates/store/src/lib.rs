//! Footfall storage: one [`Store`] over SQLite (the embedded default: a WAL-mode file in
//! the data directory) or PostgreSQL (`database.url`).
//!
//! Every query is written once: SQL text uses `$N` placeholders, which both drivers
//! accept, and the few places where the dialects differ (bucketing arithmetic, POINT,
//! partitions) branch on [`Backend`]. The schema is SPEC.md's data model; see
//! `migrations/{sqlite,postgres}/`. Timestamps are UTC and truncated to whole
//! milliseconds before they are written, so SQLite's text timestamps sort correctly.

mod api_keys;
mod audit;
mod cameras;
mod error;
mod events;
mod logs;
mod models;
mod partitions;
mod pool;
mod registry;
mod results;
mod sessions;
pub mod testing;
mod users;

pub use api_keys::{ApiKey, NewApiKey};
pub use audit::{AuditEntry, AuditFilter, NewAudit};
pub use cameras::{Camera, CameraFilter, CameraWrite};
pub use error::StoreError;
pub use events::{AlertFilter, CameraEvent, EventFilter, NewEvent, SystemAlert, Worker};
pub use logs::{ErrorLog, PerformanceLog};
pub use models::{AlertSeverity, CameraStatus, ErrorSeverity, EventSeverity, Role, WorkerStatus};
pub use pool::{Backend, DEFAULT_MAX_ROWS_SCANNED, Store, StoreOptions};
pub use registry::{AiModel, NewAiModel};
pub use results::{
    Bucket, BucketRow, CountingResult, InsertOutcome, NewResult, RawPage, ResultQuery, bucket_start,
};
pub use sessions::{AuthContext, NewSession, Session, TokenPurpose};
pub use users::{NewUser, User, UserPatch};

/// Result alias for store calls.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

use chrono::{DateTime, SubsecRound, Utc};

/// Truncates to whole milliseconds: what every timestamp written by the store goes
/// through, so that SQLite's RFC 3339 text has either no fraction or exactly three
/// digits and compares in time order.
pub fn db_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}
