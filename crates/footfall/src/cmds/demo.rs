//! `footfall demo`: the whole product on one box in one command. Starts the server on
//! SQLite with a demo camera that plays the shared video in a loop in real time (through
//! the same ffmpeg source as real cameras), with the table zone and an exit line drawn,
//! and prints the URL and the admin login.

use super::server::{ConfigArgs, init_server_logging};
use anyhow::{Context, Result, anyhow};
use footfall_store::{CameraFilter, NewUser, Role};
use std::path::PathBuf;
use std::process::ExitCode;

/// The demo video and the detector model (both from ../shared by default).
#[derive(Debug, clap::Args)]
pub struct MediaArgs {
    /// Video the demo cameras play (looped, real time).
    #[arg(
        long,
        env = "FOOTFALL_DEMO_VIDEO",
        default_value = "../shared/data/one-by-one-person-detection.mp4"
    )]
    pub video: PathBuf,
    /// Detector model.
    #[arg(
        long,
        env = "FOOTFALL_MODEL",
        default_value = "../shared/models/yolox_nano.onnx"
    )]
    pub model: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub media: MediaArgs,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut config = args.config.load()?;
    config.server.bind = args.bind;
    if !config.cameras.allowed_schemes.iter().any(|s| s == "file") {
        config.cameras.allowed_schemes.push("file".into());
    }
    let video = args
        .media
        .video
        .canonicalize()
        .with_context(|| format!("demo video {}", args.media.video.display()))?;
    config.live.model = args
        .media
        .model
        .canonicalize()
        .with_context(|| format!("model {}", args.media.model.display()))?;
    config.logging.format = "text".into();
    let has_dashboard =
        footfall_server::web::Assets::from_config(config.server.web_dir.as_ref()).is_some();
    init_server_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.server.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.bind))?;
        let server = footfall_server::boot(config, listener).await?;
        let state = server.state.clone();
        let store = state.store.clone();
        let login = match store.user_by_login("admin").await? {
            Some(_) => "admin (existing account; password as set before)".to_string(),
            None => {
                let password = format!("Demo-{}", footfall_server::crypto::random_token(9));
                let hash = footfall_server::auth::password::hash(&password, state.password)
                    .await
                    .map_err(|e| anyhow!(e.body.message))?;
                let admin = NewUser {
                    username: "admin".into(),
                    email: "admin@localhost.localdomain".into(),
                    password_hash: hash,
                    first_name: None,
                    last_name: None,
                    role: Role::Admin,
                    email_verified: true,
                };
                store.create_user(&admin, chrono::Utc::now()).await?;
                format!("admin / {password}")
            }
        };
        let cameras = store.list_cameras(&CameraFilter { limit: 1000, ..Default::default() }).await?;
        if !cameras.iter().any(|c| c.name == "Demo") {
            let input: footfall_server::services::cameras::CameraInput = serde_json::from_value(serde_json::json!({
                "name": "Demo",
                "description": "The shared demo video, looped in real time",
                "stream_url": format!("file://{}", video.display()),
                "stream_type": "file",
                "location": "Demo room",
                "settings": {"detector_fps": 10, "loop_file": true},
                "zones": [{"name": "table", "polygon": [
                    {"x": 0.45, "y": 0.60}, {"x": 0.75, "y": 0.60}, {"x": 0.75, "y": 0.97}, {"x": 0.45, "y": 0.97}]}],
                "lines": [{"name": "exit", "start": {"x": 0.75, "y": 0.3}, "end": {"x": 0.75, "y": 0.99}, "in": "right"}],
            }))?;
            let write = footfall_server::services::cameras::to_write(&state, input, None).map_err(|e| anyhow!(e.body.message))?;
            store.create_camera(&write, chrono::Utc::now()).await?;
            state.live.cameras_changed();
        }
        let base = format!("http://{}", server.addr);
        let dashboard = if has_dashboard {
            format!("{base}/")
        } else {
            "not in this build (scripts/run.sh builds it in; or set server.web_dir)".to_string()
        };
        eprintln!(
            "\nFootfall demo running at {base}\n  dashboard:  {dashboard}\n  login:      {login}\n  live state: {base}/api/v1/live\n  \
             WebSocket:  ws://{}/api/v1/ws?access_token=TOKEN\n  API docs:   {base}/api/openapi.json\n\
             Counts appear as the demo video plays (it loops). Ctrl-C stops.\n",
            server.addr
        );
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("stopping");
        server.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
