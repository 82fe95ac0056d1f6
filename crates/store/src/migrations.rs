//! Migrations: the schema of SPEC.md's data model, one directory per backend
//! (`migrations/{sqlite,postgres}/`), applied at start-up; on PostgreSQL the monthly
//! partitions ahead are created with them.

use crate::pool::{Backend, Pool, on_pool};
use crate::{Result, Store};
use sqlx::migrate::Migrator;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

fn migrator_for(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// The newest schema version this build runs on `backend`: the number of its migrations.
pub fn known_schema_version(backend: Backend) -> usize {
    migrator_for(backend)
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .count()
}

impl Store {
    fn migrator(&self) -> &'static Migrator {
        migrator_for(self.backend())
    }

    /// The database's schema version: the migrations applied to it.
    pub async fn schema_version(&self) -> Result<usize> {
        self.applied_migrations().await
    }

    /// Applies every pending migration; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.applied_migrations().await?;
        match &self.pool {
            Pool::Sqlite(pool) => self.migrator().run(pool).await?,
            Pool::Postgres(pool) => {
                // A migration may rewrite a big table: no statement timeout for it.
                let mut conn = pool.acquire().await?;
                sqlx::query("SET statement_timeout = 0")
                    .execute(&mut *conn)
                    .await?;
                let outcome = self.migrator().run(&mut *conn).await;
                // Back to the pool's setting before the connection is reused.
                sqlx::query("RESET statement_timeout")
                    .execute(&mut *conn)
                    .await?;
                outcome?
            }
        }
        let after = self.applied_migrations().await?;
        if self.backend() == Backend::Postgres {
            self.ensure_partitions(chrono::Utc::now(), crate::partitions::MONTHS_AHEAD)
                .await?;
        }
        Ok(after.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> Result<usize> {
        let exists: bool = on_pool!(self, |pool| {
            let sql = match self.backend() {
                Backend::Sqlite => {
                    "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
                }
                Backend::Postgres => "SELECT to_regclass('_sqlx_migrations') IS NOT NULL",
            };
            sqlx::query_scalar(sql).fetch_one(pool).await
        })?;
        if !exists {
            return Ok(0);
        }
        let n: i64 = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM _sqlx_migrations WHERE success"
        )
        .fetch_one(pool)
        .await)?;
        Ok(n as usize)
    }

    /// Number of migrations this build knows that the database has not applied.
    pub async fn pending_migrations(&self) -> Result<usize> {
        let known = known_schema_version(self.backend());
        Ok(known.saturating_sub(self.applied_migrations().await?))
    }
}
