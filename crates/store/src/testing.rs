//! Fresh databases for tests: a SQLite file in a temp dir, or a new PostgreSQL database
//! on the server at `FOOTFALL_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped again when the guard drops.

use crate::{Backend, Store, StoreOptions};
use std::sync::atomic::{AtomicU32, Ordering};

/// The admin connection used to create and drop test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("FOOTFALL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database that exists for as long as this value.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("footfall.db").display());
                TestDb {
                    url,
                    backend,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "footfall_test_{}_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed),
                    chrono::Utc::now().timestamp_micros() % 1_000_000
                );
                let admin = Store::connect(
                    &postgres_admin_url(),
                    &StoreOptions {
                        max_connections: 1,
                        ..Default::default()
                    },
                )
                .await
                .expect("PostgreSQL for tests (FOOTFALL_TEST_POSTGRES_URL) must be reachable");
                admin
                    .execute_admin(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await;
                let base = postgres_admin_url();
                // Same server and user, the new database as the path.
                let (server, _) = base
                    .rsplit_once('/')
                    .expect("FOOTFALL_TEST_POSTGRES_URL ends in /DATABASE");
                let url = format!("{server}/{name}");
                TestDb {
                    url,
                    backend,
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url, &StoreOptions::default())
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside (or inside) an async context; use a private runtime on a
        // plain thread so it works in both.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = Store::connect(
                    &postgres_admin_url(),
                    &StoreOptions {
                        max_connections: 1,
                        ..Default::default()
                    },
                )
                .await
                .ok()?;
                let _ = admin
                    .execute_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
                admin.close().await;
                Some(())
            })
        })
        .join();
    }
}

impl Store {
    /// Runs one statement outside a transaction (CREATE / DROP DATABASE).
    pub async fn execute_admin(&self, sql: &str) -> crate::Result<()> {
        crate::pool::on_pool!(self, |pool| sqlx::raw_sql(sql)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
