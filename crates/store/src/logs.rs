//! performance_logs and error_logs, written in batches by the server's background
//! writer so that no request waits on them.

use crate::pool::on_pool;
use crate::{ErrorSeverity, Result, Store, db_time};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

#[derive(Debug, Clone)]
pub struct PerformanceLog {
    pub service_name: String,
    /// The route template (`/api/v1/cameras/{id}`), not the raw path.
    pub endpoint: String,
    pub method: String,
    pub response_time_ms: f64,
    pub status_code: i16,
    pub request_size: Option<i64>,
    pub response_size: Option<i64>,
    pub user_id: Option<i64>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ErrorLog {
    pub timestamp: DateTime<Utc>,
    pub service: String,
    pub error_type: String,
    pub error_message: String,
    pub context: Value,
    pub user_id: Option<i64>,
    pub camera_id: Option<i64>,
    pub severity: ErrorSeverity,
}

impl Store {
    pub async fn insert_performance_logs(&self, logs: &[PerformanceLog]) -> Result<()> {
        // 11 columns: 2,000 rows per statement stays under SQLite's variable limit.
        for chunk in logs.chunks(2_000) {
            on_pool!(self, |pool| {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO performance_logs (service_name, endpoint, method, response_time_ms, status_code, \
                     request_size, response_size, user_id, ip_address, user_agent, \"timestamp\") ",
                );
                q.push_values(chunk, |mut b, l| {
                    b.push_bind(l.service_name.clone())
                        .push_bind(l.endpoint.clone())
                        .push_bind(l.method.clone())
                        .push_bind(l.response_time_ms)
                        .push_bind(l.status_code)
                        .push_bind(l.request_size)
                        .push_bind(l.response_size)
                        .push_bind(l.user_id)
                        .push_bind(l.ip_address.clone())
                        .push_bind(l.user_agent.clone())
                        .push_bind(db_time(l.timestamp));
                });
                q.build().execute(pool).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    pub async fn insert_error_logs(&self, logs: &[ErrorLog]) -> Result<()> {
        for chunk in logs.chunks(2_000) {
            on_pool!(self, |pool| {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO error_logs (\"timestamp\", service, error_type, error_message, context, user_id, \
                     camera_id, severity) ",
                );
                q.push_values(chunk, |mut b, l| {
                    b.push_bind(db_time(l.timestamp))
                        .push_bind(l.service.clone())
                        .push_bind(l.error_type.clone())
                        .push_bind(l.error_message.clone())
                        .push_bind(Json(l.context.clone()))
                        .push_bind(l.user_id)
                        .push_bind(l.camera_id)
                        .push_bind(l.severity);
                });
                q.build().execute(pool).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Rows in performance_logs (for tests and metrics).
    pub async fn count_performance_logs(&self) -> Result<i64> {
        Ok(on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM performance_logs"
        )
        .fetch_one(pool)
        .await)?)
    }
}
