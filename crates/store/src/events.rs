//! camera_events, system_alerts and workers: written by the live service, the ingest
//! API and the alerting jobs; listed and filtered here.

use crate::pool::on_pool;
use crate::receipts::InsertOutcome;
use crate::{AlertSeverity, EventSeverity, Result, Store, StoreError, WorkerStatus, db_time};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewEvent {
    pub camera_id: i64,
    pub event_type: String,
    pub event_data: Value,
    pub timestamp: DateTime<Utc>,
    pub confidence_score: Option<f64>,
    pub severity: EventSeverity,
    /// Idempotency key from the producer (see [`Store::insert_events`]).
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraEvent {
    pub id: i64,
    pub camera_id: i64,
    pub event_type: String,
    /// The event's details; camera events carry their stable `id` here.
    #[sqlx(json)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub event_data: Value,
    pub timestamp: DateTime<Utc>,
    pub confidence_score: Option<f64>,
    pub severity: EventSeverity,
    pub is_processed: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub camera_id: Option<i64>,
    pub event_type: Option<String>,
    pub severity: Option<EventSeverity>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SystemAlert {
    pub id: i64,
    pub alert_type: String,
    pub severity: AlertSeverity,
    pub title: String,
    pub message: String,
    #[sqlx(json)]
    pub alert_data: Value,
    pub source_service: Option<String>,
    pub camera_id: Option<i64>,
    pub user_id: Option<i64>,
    pub is_resolved: bool,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub camera_id: Option<i64>,
    pub severity: Option<AlertSeverity>,
    pub is_resolved: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Worker {
    pub id: String,
    pub host: String,
    pub port: Option<i32>,
    pub status: WorkerStatus,
    pub cpu_usage: Option<f64>,
    pub memory_usage: Option<f64>,
    pub camera_count: i32,
    pub max_cameras: i32,
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Inserts events inside the open transaction `$tx` (see [`Store::insert_events`]);
/// evaluates to their [`InsertOutcome`]. A macro because the transaction's type differs
/// per backend.
macro_rules! insert_events_in {
    ($tx:ident, $events:expr, $source:expr, $now:expr) => {{
        let events: &[crate::NewEvent] = $events;
        let new_ids = match $source {
            Some(source) => {
                let ids: Vec<&str> = events
                    .iter()
                    .filter_map(|e| e.client_id.as_deref())
                    .collect();
                Some(crate::receipts::claim_ingest_receipts!($tx, source, "event", ids))
            }
            None => None,
        };
        let fresh_index =
            crate::receipts::fresh_indices(events, |e| e.client_id.as_deref(), new_ids.as_ref());
        let fresh: Vec<&crate::NewEvent> = fresh_index.iter().map(|&i| &events[i]).collect();
        // 7 columns: 4,000 rows per statement stays under SQLite's variable limit.
        for chunk in fresh.chunks(4_000) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO camera_events (camera_id, event_type, event_data, \"timestamp\", confidence_score, \
                 severity, created_at) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.camera_id)
                    .push_bind(e.event_type.clone())
                    .push_bind(sqlx::types::Json(e.event_data.clone()))
                    .push_bind(crate::db_time(e.timestamp))
                    .push_bind(e.confidence_score)
                    .push_bind(e.severity)
                    .push_bind($now);
            });
            q.build()
                .execute(&mut *$tx)
                .await
                .map_err(|e| crate::StoreError::from_write(e, &[]))?;
        }
        crate::receipts::InsertOutcome {
            inserted: fresh.len(),
            duplicates: events.len() - fresh.len(),
            fresh: fresh_index,
        }
    }};
}
pub(crate) use insert_events_in;

const EVENT_COLUMNS: &str = "id, camera_id, event_type, event_data, \"timestamp\", confidence_score, severity, is_processed, created_at";
const ALERT_COLUMNS: &str = "id, alert_type, severity, title, message, alert_data, source_service, camera_id, \
     user_id, is_resolved, resolved_at, resolved_by, created_at";

impl Store {
    /// Stores events in one transaction (multi-row INSERTs); with a `source`, events whose
    /// client id was already stored for it are skipped.
    pub async fn insert_events(
        &self,
        events: &[NewEvent],
        source: Option<&str>,
    ) -> Result<InsertOutcome> {
        if events.is_empty() {
            return Ok(InsertOutcome::default());
        }
        let now = db_time(Utc::now());
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let outcome = insert_events_in!(tx, events, source, now);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    pub async fn list_events(&self, f: &EventFilter) -> Result<Vec<CameraEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM camera_events WHERE ($1 IS NULL OR camera_id = $1) \
             AND ($2 IS NULL OR event_type = $2) AND ($3 IS NULL OR severity = $3) \
             AND ($4 IS NULL OR \"timestamp\" >= $4) AND ($5 IS NULL OR \"timestamp\" < $5) \
             ORDER BY \"timestamp\" DESC, id DESC LIMIT $6 OFFSET $7"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, CameraEvent>(
            &sql
        )
        .bind(f.camera_id)
        .bind(&f.event_type)
        .bind(f.severity)
        .bind(f.from.map(db_time))
        .bind(f.to.map(db_time))
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(pool)
        .await)?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_alert(
        &self,
        alert_type: &str,
        severity: AlertSeverity,
        title: &str,
        message: &str,
        alert_data: &Value,
        source_service: Option<&str>,
        camera_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<SystemAlert> {
        let sql = format!(
            "INSERT INTO system_alerts (alert_type, severity, title, message, alert_data, source_service, camera_id, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ALERT_COLUMNS}"
        );
        on_pool!(self, |pool| sqlx::query_as::<_, SystemAlert>(&sql)
            .bind(alert_type)
            .bind(severity)
            .bind(title)
            .bind(message)
            .bind(Json(alert_data))
            .bind(source_service)
            .bind(camera_id)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from_write(e, &[]))
    }

    pub async fn list_alerts(&self, f: &AlertFilter) -> Result<Vec<SystemAlert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM system_alerts WHERE ($1 IS NULL OR camera_id = $1) \
             AND ($2 IS NULL OR severity = $2) AND ($3 IS NULL OR is_resolved = $3) \
             ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, SystemAlert>(
            &sql
        )
        .bind(f.camera_id)
        .bind(f.severity)
        .bind(f.is_resolved)
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(pool)
        .await)?)
    }

    pub async fn resolve_alert(&self, id: i64, by: i64, now: DateTime<Utc>) -> Result<SystemAlert> {
        let sql = format!(
            "UPDATE system_alerts SET is_resolved = TRUE, resolved_at = $3, resolved_by = $2 \
             WHERE id = $1 RETURNING {ALERT_COLUMNS}"
        );
        on_pool!(self, |pool| sqlx::query_as::<_, SystemAlert>(&sql)
            .bind(id)
            .bind(by)
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound("alert"))
    }

    pub async fn list_workers(&self) -> Result<Vec<Worker>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, Worker>(
            "SELECT id, host, port, status, cpu_usage, memory_usage, camera_count, max_cameras, last_heartbeat, \
             created_at FROM workers ORDER BY id"
        )
        .fetch_all(pool)
        .await
        })?)
    }

    /// Registers or refreshes a worker's heartbeat.
    pub async fn upsert_worker(&self, w: &Worker) -> Result<()> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO workers (id, host, port, status, cpu_usage, memory_usage, camera_count, max_cameras, \
             last_heartbeat, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, status = excluded.status, \
             cpu_usage = excluded.cpu_usage, memory_usage = excluded.memory_usage, \
             camera_count = excluded.camera_count, max_cameras = excluded.max_cameras, \
             last_heartbeat = excluded.last_heartbeat"
        )
        .bind(&w.id)
        .bind(&w.host)
        .bind(w.port)
        .bind(w.status)
        .bind(w.cpu_usage)
        .bind(w.memory_usage)
        .bind(w.camera_count)
        .bind(w.max_cameras)
        .bind(w.last_heartbeat.map(db_time))
        .bind(db_time(w.created_at))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::from_write(e, &[]))?;
        Ok(())
    }
}
