//! Platform subcommands: `serve`, `migrate`, `user create`, `config check`.

use anyhow::{Context, Result, anyhow};
use footfall_server::config::Config;
use footfall_store::Role;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the configuration comes from (all platform subcommands).
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// TOML configuration file; FOOTFALL_SECTION__FIELD variables override it.
    /// Default: footfall.toml in the working directory when present.
    #[arg(short, long, env = "FOOTFALL_CONFIG")]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    pub fn load(&self) -> Result<Config> {
        let default = PathBuf::from("footfall.toml");
        let file = self
            .config
            .clone()
            .or_else(|| default.exists().then_some(default));
        Config::load(file.as_deref(), std::env::vars()).map_err(|e| anyhow!("configuration: {e}"))
    }
}

/// The async runtime of a platform subcommand.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Logs for the long-running server: JSON lines (or text) at the configured level.
pub fn init_server_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FOOTFALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.logging.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.logging.format == "json" {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Listen address, overriding server.bind.
    #[arg(long)]
    pub bind: Option<std::net::SocketAddr>,
}

pub fn serve(args: ServeArgs) -> Result<ExitCode> {
    let mut config = args.config.load()?;
    if let Some(bind) = args.bind {
        config.server.bind = bind;
    }
    init_server_logging(&config);
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.server.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.bind))?;
        let server = footfall_server::boot(config, listener).await?;
        let scheme = if server.state.config.server.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        eprintln!("footfall serving on {scheme}://{}", server.addr);
        if let Some(token) = &server.setup_token {
            eprintln!(
                "No active admin exists yet. Create the first admin within this run with:\n  \
                 curl -X POST http://{}/api/v1/auth/setup -H 'content-type: application/json' \\\n    \
                 -d '{{\"setup_token\":\"{token}\",\"username\":\"admin\",\"email\":\"you@example.com\",\"password\":\"...\"}}'\n\
                 or run: footfall user create --role admin",
                server.addr
            );
        }
        shutdown_signal().await;
        eprintln!("shutting down: finishing in-flight requests");
        server.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

pub fn migrate(args: ConfigArgs) -> Result<ExitCode> {
    let config = args.load()?;
    runtime()?.block_on(async move {
        let store = footfall_server::open_store(&config).await?;
        let pending = store.pending_migrations().await?;
        println!(
            "database {:?}: migrated ({pending} pending)",
            store.backend()
        );
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user (e.g. the first admin). The password is read from
    /// FOOTFALL_PASSWORD or, when unset, from the first line of standard input.
    Create(UserCreateArgs),
}

#[derive(Debug, clap::Args)]
pub struct UserCreateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: String,
    /// admin, user or viewer.
    #[arg(long, default_value = "user", value_parser = |s: &str| s.parse::<Role>())]
    pub role: Role,
}

pub fn user(command: UserCommand) -> Result<ExitCode> {
    let UserCommand::Create(args) = command;
    let config = args.config.load()?;
    let password = match std::env::var("FOOTFALL_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    runtime()?.block_on(async move {
        let store = footfall_server::open_store(&config).await?;
        let services = footfall_server::default_services(&config, store)?;
        let state = footfall_server::state::AppState::new(config, services)
            .await
            .map_err(|e| anyhow!(e))?;
        let request = footfall_server::services::accounts::RegisterRequest {
            username: args.username,
            email: args.email,
            password,
            first_name: None,
            last_name: None,
        };
        // Validated, hashed and stored as an admin's `POST /users` would; the operator at
        // the console vouches for the address.
        let user = footfall_server::services::accounts::create_user(
            &state,
            &request,
            args.role,
            true,
            state.clock.now(),
        )
        .await?;
        let audit = footfall_store::NewAudit {
            user_id: None,
            action: "user.create_cli".into(),
            resource_type: "user".into(),
            resource_id: Some(user.id.to_string()),
            ..Default::default()
        }
        .with_new(
            serde_json::json!({"username": user.username, "role": user.role, "password": "***"}),
        );
        state.audit(audit).await?;
        state.logs.flush().await;
        println!(
            "created {} user {} (id {})",
            user.role, user.username, user.id
        );
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print it with secrets masked.
    Check(ConfigArgs),
}

pub fn config(command: ConfigCommand) -> Result<ExitCode> {
    let ConfigCommand::Check(args) = command;
    let config = args.load()?;
    print!(
        "{}",
        toml::to_string_pretty(&config).context("printing the configuration")?
    );
    eprintln!("configuration is valid");
    Ok(ExitCode::SUCCESS)
}
