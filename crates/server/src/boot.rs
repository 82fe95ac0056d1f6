//! Start-up: the database opened and migrated, the services made, the server started.
//! `footfall serve`, `footfall demo`, the bench commands and the tests all start here.

use crate::config::Config;
use crate::error::BootError;
use crate::server::Server;
use crate::state::Services;
use crate::{clock, mail};
use footfall_store::{Store, StoreOptions};
use std::sync::Arc;
use std::time::Duration;

/// Opens the configured database (creating the data dir for SQLite) and migrates it.
pub async fn open_store(config: &Config) -> Result<Store, BootError> {
    let url = config.database.resolved_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.database.data_dir).map_err(|source| {
            BootError::DataDir {
                dir: config.database.data_dir.clone(),
                source,
            }
        })?;
    }
    let options = StoreOptions {
        max_connections: config.database.max_connections,
        statement_timeout: (config.database.statement_timeout_s > 0)
            .then(|| Duration::from_secs(config.database.statement_timeout_s)),
        max_rows_scanned: config.database.max_rows_scanned,
        ..Default::default()
    };
    let store = Store::connect(&url, &options)
        .await
        .map_err(|source| BootError::Database {
            url: footfall_source::url::mask_credentials(&url),
            source,
        })?;
    let applied = store.migrate().await.map_err(BootError::Migrations)?;
    if applied > 0 {
        tracing::info!(applied, backend = ?store.backend(), "database migrated");
    }
    Ok(store)
}

/// Default services for `footfall serve`: system clock, SMTP if configured else log.
pub fn default_services(config: &Config, store: Store) -> Result<Services, BootError> {
    let mailer: Arc<dyn mail::Mailer> = match &config.mail.smtp_url {
        Some(url) => Arc::new(
            mail::SmtpMailer::new(
                url.expose(),
                &config.mail.from,
                config.mail.tls_ca_file.as_deref(),
            )
            .map_err(BootError::Services)?,
        ),
        None => Arc::new(mail::LogMailer),
    };
    let clock = Arc::new(clock::SystemClock::default());
    Ok(Services {
        store,
        mailer,
        clock: clock.clone(),
        camera_clock: clock,
        camera_sources: None,
    })
}

/// Opens the configured database, makes the default services and starts the server on
/// `listener`: what `footfall serve` runs.
pub async fn boot(config: Config, listener: tokio::net::TcpListener) -> Result<Server, BootError> {
    let store = open_store(&config).await?;
    let services = default_services(&config, store)?;
    Server::start(config, services, listener).await
}
