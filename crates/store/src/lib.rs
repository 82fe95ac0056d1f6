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
pub mod backup;
mod cameras;
mod error;
mod events;
mod logs;
mod migrations;
mod models;
mod partitions;
mod pool;
mod receipts;
mod registry;
mod results;
mod sessions;
pub mod testing;
mod time;
mod users;

pub use api_keys::{ApiKey, NewApiKey};
pub use audit::{AuditEntry, AuditFilter, NewAudit};
pub use cameras::{Camera, CameraFilter, CameraWrite};
pub use error::{DatabaseError, Result, StoreError};
pub use events::{AlertFilter, CameraEvent, EventFilter, NewEvent, SystemAlert, Worker};
pub use logs::{ErrorLog, PerformanceLog};
pub use migrations::known_schema_version;
pub use models::{AlertSeverity, CameraStatus, ErrorSeverity, EventSeverity, Role, WorkerStatus};
pub use pool::{Backend, DEFAULT_MAX_ROWS_SCANNED, Store, StoreOptions};
pub use receipts::InsertOutcome;
pub use registry::{AiModel, NewAiModel};
pub use results::{
    Bucket, BucketRow, CountingResult, NewResult, RawPage, ResultQuery, bucket_start,
};
pub use sessions::{AuthContext, NewSession, Session, TokenPurpose};
pub use time::db_time;
pub use users::{NewUser, User, UserPatch};
