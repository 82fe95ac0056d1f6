//! Connecting, migrating and dispatching to the backend.

use crate::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a database URL: `sqlite:...` or `postgres:` / `postgresql:...`.
    pub fn of_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::InvalidUrl(
                "expected sqlite://PATH or postgres://USER@HOST/DB".to_string(),
            ))
        }
    }
}

/// Pool tuning. Defaults suit one box.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Largest number of open connections. SQLite serialises writers anyway; extra
    /// connections serve concurrent readers (WAL).
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// PostgreSQL cancels any statement that runs longer (`statement_timeout`); `None`:
    /// no limit. Migrations run without it. SQLite has no such setting:
    /// [`StoreOptions::max_rows_scanned`] bounds its longest queries.
    pub statement_timeout: Option<Duration>,
    /// Raw result rows one counts query may read; a bigger one is refused with
    /// [`crate::StoreError::TooBig`] before it runs.
    pub max_rows_scanned: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
            max_rows_scanned: DEFAULT_MAX_ROWS_SCANNED,
        }
    }
}

/// About 10 cameras for 3 weeks of 10-second results; a few seconds of SQLite.
pub const DEFAULT_MAX_ROWS_SCANNED: u64 = 2_000_000;

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever pool the store holds. The body is type-checked
/// once per backend, so one query text and one row mapping serve both.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pool {
            crate::pool::Pool::Sqlite($pool) => $body,
            crate::pool::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The database handle shared by the whole process (cheap to clone).
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    /// See [`StoreOptions::max_rows_scanned`].
    pub(crate) max_rows_scanned: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend())
    }
}

impl Store {
    /// Opens a pool for `url`: `sqlite://PATH` (file created if missing) or
    /// `postgres://...`. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        let backend = Backend::of_url(url)?;
        if backend == Backend::Sqlite {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL is durable across application crashes in WAL mode; only an OS
                // crash can lose the last transactions.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            Ok(Store {
                pool: Pool::Sqlite(pool),
                max_rows_scanned: options.max_rows_scanned,
            })
        } else {
            let statement_timeout_ms = options
                .statement_timeout
                .map_or(0, |t| t.as_millis().max(1));
            let connect = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
                .application_name("footfall")
                .options([
                    ("timezone", "UTC".to_string()),
                    ("statement_timeout", statement_timeout_ms.to_string()),
                ]);
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            Ok(Store {
                pool: Pool::Postgres(pool),
                max_rows_scanned: options.max_rows_scanned,
            })
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Cheap round trip for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// (size, idle) of the connection pool, for metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        on_pool!(self, |pool| (pool.size(), pool.num_idle()))
    }

    /// Closes every connection after in-flight queries finish (graceful shutdown).
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}
