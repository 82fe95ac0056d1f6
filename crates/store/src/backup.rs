//! Whole-database backup and restore: SQLite through `VACUUM INTO` (an online,
//! consistent copy taken in one read transaction while the server goes on writing),
//! PostgreSQL through `pg_dump` (custom format) and back through `pg_restore` + `psql` in
//! one transaction.
//!
//! The PostgreSQL password travels to the tools in `PGPASSWORD`, never on a command line
//! other processes can read.

use crate::error::{Result, StoreError};
use crate::pool::{Backend, Store, StoreOptions};
use sqlx::postgres::PgConnectOptions;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

/// The tables whose rows make a database "hold data": a restore over them needs
/// `force`.
const DATA_TABLES: [&str; 4] = ["users", "cameras", "counting_results", "camera_events"];

/// Writes a consistent copy of the database at `url` to `file` (which must not exist)
/// while it stays in use; returns the database's schema version. PostgreSQL needs
/// `pg_dump` of at least the server's version.
pub async fn backup(url: &str, file: &Path) -> Result<usize> {
    if file.exists() {
        return Err(StoreError::Backup(format!(
            "{} exists; a backup never overwrites a file",
            file.display()
        )));
    }
    if Backend::of_url(url)? == Backend::Sqlite {
        let database = sqlite_path(url)?;
        if !database.exists() {
            return Err(StoreError::Backup(format!(
                "no database at {}: nothing to back up",
                database.display()
            )));
        }
    }
    let store = Store::connect(url, &StoreOptions::default()).await?;
    let copied = copy_database(&store, url, file).await;
    store.close().await;
    copied
}

async fn copy_database(store: &Store, url: &str, file: &Path) -> Result<usize> {
    let schema_version = store.schema_version().await?;
    match store.backend() {
        Backend::Sqlite => {
            let path = file.to_str().ok_or_else(|| {
                StoreError::Backup(format!("{} is not valid UTF-8", file.display()))
            })?;
            crate::pool::on_pool!(store, |pool| sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(pool)
                .await
                .map(|_| ()))?;
        }
        Backend::Postgres => {
            let mut dump = postgres_tool("pg_dump", url)?;
            dump.args(["--format=custom", "--no-owner", "--file"])
                .arg(file);
            run_tool(dump, "pg_dump").await?;
        }
    }
    Ok(schema_version)
}

/// Whether the database at `url` holds users, cameras, results or events (a missing
/// SQLite file or a database without Footfall's tables holds none).
pub async fn holds_data(url: &str) -> Result<bool> {
    if Backend::of_url(url)? == Backend::Sqlite && !sqlite_path(url)?.exists() {
        return Ok(false);
    }
    let store = Store::connect(url, &StoreOptions::default()).await?;
    let mut found = false;
    for table in DATA_TABLES {
        // Table names are constants above, never input.
        let exists_sql = match store.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            Backend::Postgres => "SELECT COUNT(*) FROM pg_tables WHERE tablename = $1",
        };
        let exists: i64 = crate::pool::on_pool!(store, |pool| sqlx::query_scalar(exists_sql)
            .bind(table)
            .fetch_one(pool)
            .await)?;
        if exists == 0 {
            continue;
        }
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
        let any: bool =
            crate::pool::on_pool!(store, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await)?;
        if any {
            found = true;
            break;
        }
    }
    store.close().await;
    Ok(found)
}

/// Replaces the database at `url` with the backup `file` made by [`backup`] for the same
/// backend. SQLite: the backup is checked, copied beside the database and renamed over
/// it (the old file, its WAL included, is gone only once the new one is complete).
/// PostgreSQL: the `public` schema emptied and the dump replayed in a single transaction
/// (all or nothing; the database must be Footfall's own). The server must be stopped;
/// the caller decides whether a database that [`holds_data`] may be replaced.
pub async fn restore(url: &str, file: &Path) -> Result<()> {
    match Backend::of_url(url)? {
        Backend::Sqlite => {
            let target = sqlite_path(url)?;
            // Open the backup read-only and check it before anything is touched.
            let verdict: String = {
                use sqlx::Connection;
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(file)
                    .read_only(true);
                let mut backup = sqlx::SqliteConnection::connect_with(&options).await?;
                let verdict = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(&mut backup)
                    .await;
                backup.close().await?;
                verdict?
            };
            if verdict != "ok" {
                return Err(StoreError::Backup(format!(
                    "{} is damaged: {verdict}",
                    file.display()
                )));
            }
            let io = |what: &str, e: std::io::Error| StoreError::Backup(format!("{what}: {e}"));
            if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| io(&format!("creating {}", parent.display()), e))?;
            }
            let staged = target.with_extension("restoring");
            std::fs::copy(file, &staged)
                .map_err(|e| io(&format!("copying to {}", staged.display()), e))?;
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", target.display()));
                match std::fs::remove_file(&side) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(&format!("removing {}", side.display()), e)),
                }
            }
            std::fs::rename(&staged, &target)
                .map_err(|e| io(&format!("replacing {}", target.display()), e))
        }
        Backend::Postgres => {
            // `pg_restore --clean` cannot drop the partitions' inherited constraints, so
            // the dump becomes a script (checking it whole first) that psql runs after
            // emptying the schema, all in one transaction: a failure changes nothing.
            let script = tempfile::Builder::new()
                .prefix("footfall-restore-")
                .suffix(".sql")
                .tempfile()
                .map_err(|e| StoreError::Backup(format!("creating a temporary file: {e}")))?;
            let mut to_script = Command::new("pg_restore");
            to_script
                .args(["--no-owner", "--file"])
                .arg(script.path())
                .arg(file);
            run_tool(to_script, "pg_restore").await?;
            let mut apply = postgres_tool("psql", url)?;
            apply
                .args([
                    "--no-psqlrc",
                    "--quiet",
                    "--single-transaction",
                    "--set",
                    "ON_ERROR_STOP=1",
                    "--command",
                    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;",
                    "--file",
                ])
                .arg(script.path());
            run_tool(apply, "psql").await
        }
    }
}

/// The file of a `sqlite://PATH[?options]` URL.
fn sqlite_path(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StoreError::InvalidUrl("expected sqlite://PATH".to_string()))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::InvalidUrl(
            "an in-memory SQLite database has nothing to back up or restore".to_string(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// `tool` aimed at the PostgreSQL database of `url`: host, port, user and database as
/// arguments, the password in the environment.
fn postgres_tool(tool: &str, url: &str) -> Result<Command> {
    let options =
        PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
    let mut command = Command::new(tool);
    command
        .arg("--host")
        .arg(options.get_host())
        .arg("--port")
        .arg(options.get_port().to_string())
        .arg("--username")
        .arg(options.get_username());
    if let Some(database) = options.get_database() {
        command.arg("--dbname").arg(database);
    }
    // sqlx keeps the password private; read it from the URL for the environment.
    if let Some(password) = url_password(url) {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

/// The percent-decoded password of a `postgres://user:password@host/db` URL.
fn url_password(url: &str) -> Option<String> {
    let authority = url.split_once("://")?.1.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    let bytes = password.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (b, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

/// Runs a PostgreSQL tool to its end; its stderr is the error when it fails.
async fn run_tool(mut command: Command, tool: &str) -> Result<()> {
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| StoreError::Backup(format!("{tool}: {e}")))?
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StoreError::Backup(format!(
                    "{tool} not found: install the PostgreSQL client tools (Debian: postgresql-client) of the server's version or newer"
                ))
            } else {
                StoreError::Backup(format!("running {tool}: {e}"))
            }
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(StoreError::Backup(format!(
            "{tool} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_and_backends_of_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/footfall.db?mode=rwc").unwrap(),
            PathBuf::from("data/footfall.db")
        );
        assert_eq!(
            sqlite_path("sqlite:/tmp/f.db").unwrap(),
            PathBuf::from("/tmp/f.db")
        );
        assert!(sqlite_path("sqlite::memory:").is_err());
        assert_eq!(
            Backend::of_url("postgresql://h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://h/db").is_err());
    }

    #[test]
    fn the_password_is_read_from_the_url_decoded() {
        assert_eq!(
            url_password("postgres://ff:p%40ss%3Aw0rd@db.local:5432/footfall?sslmode=require")
                .as_deref(),
            Some("p@ss:w0rd")
        );
        assert_eq!(url_password("postgres://ff@db.local/footfall"), None);
        assert_eq!(url_password("postgres://db.local/footfall"), None);
    }
}
