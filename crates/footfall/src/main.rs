//! `footfall`: the people counter's one binary. Each subcommand lives in `cmds/` with its
//! own `Args` and `run`.

mod clock;
mod cmds;
mod summary;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Footfall counts people in camera streams: detection, tracking, line crossings and zones.
#[derive(Debug, Parser)]
#[command(name = "footfall", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Count people crossing lines and visiting zones in a video, stream or image folder.
    Count(Box<cmds::count::Args>),
    /// Track MOTChallenge public detections (det.txt) and write MOT-format tracks.
    Track(cmds::track::Args),
    /// Check that ffmpeg, ONNX Runtime and the model are usable, and say how to fix them.
    Doctor(cmds::doctor::Args),
    /// Time the detector alone on frames of a video (milliseconds per frame).
    BenchDetector(cmds::bench::Args),
    /// Run the platform: REST / GraphQL API, auth, storage (SQLite by default).
    Serve(cmds::server::ServeArgs),
    /// Apply database migrations (serve also does this at start-up).
    Migrate(cmds::server::ConfigArgs),
    /// Manage users from the command line.
    #[command(subcommand)]
    User(cmds::server::UserCommand),
    /// Back up the database and the data directory's secrets into a new directory, while
    /// the server runs.
    Backup(cmds::backup::BackupArgs),
    /// Restore a backup into the configured database (server stopped; --force replaces
    /// data).
    Restore(cmds::backup::RestoreArgs),
    /// Rotate the key that encrypts stored camera credentials.
    #[command(subcommand)]
    Keys(cmds::keys::KeysCommand),
    /// Validate and print the configuration.
    #[command(subcommand)]
    Config(cmds::server::ConfigCommand),
    /// Load-test the live service: N cameras, frame-to-WebSocket latency, CPU per camera.
    #[cfg(feature = "bench")]
    BenchLive(cmds::bench_live::Args),
    /// The live service under sustained mixed load (cameras, WebSockets, MJPEG, API) for minutes: memory, errors, every event stored.
    #[cfg(feature = "bench")]
    BenchSoak(cmds::bench_soak::Args),
    /// Run the server with a demo camera playing the shared video (SQLite, one box).
    Demo(cmds::demo::Args),
    /// Load-test the API and store: counts query latency, ingest rate, login time.
    #[cfg(feature = "bench")]
    BenchApi(cmds::bench_api::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server configures its own (JSON) logging from its config file.
    if !matches!(cli.command, Command::Serve(_) | Command::Demo(_)) {
        init_logging();
    }
    let result = match cli.command {
        Command::Count(args) => cmds::count::run(*args),
        Command::Track(args) => cmds::track::run(args),
        Command::Doctor(args) => cmds::doctor::run(args),
        Command::BenchDetector(args) => cmds::bench::run(args),
        Command::Serve(args) => cmds::server::serve(args),
        Command::Migrate(args) => cmds::server::migrate(args),
        Command::User(command) => cmds::server::user(command),
        Command::Config(command) => cmds::server::config(command),
        Command::Backup(args) => cmds::backup::backup(args),
        Command::Keys(command) => cmds::keys::run(command),
        Command::Restore(args) => cmds::backup::restore(args),
        #[cfg(feature = "bench")]
        Command::BenchApi(args) => cmds::bench_api::run(args),
        Command::Demo(args) => cmds::demo::run(args),
        #[cfg(feature = "bench")]
        Command::BenchLive(args) => cmds::bench_live::run(args),
        #[cfg(feature = "bench")]
        Command::BenchSoak(args) => cmds::bench_soak::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line, the whole cause chain: "error: reading x.mp4: not a readable video: ..."
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `FOOTFALL_LOG` (e.g. `debug`, `footfall_source=trace`);
/// default `warn` so a CLI run prints only its results and real problems.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FOOTFALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_count_with_repeated_lines_and_zones() {
        let cli = Cli::try_parse_from([
            "footfall",
            "count",
            "--source",
            "v.mp4",
            "--model",
            "m.onnx",
            "--line",
            "a:0,0,1,1",
            "--line",
            "b:0,1,1,0",
            "--zone",
            "z:0,0,1,0,1,1",
            "--fps",
            "5",
            "--format",
            "json",
        ])
        .unwrap();
        let Command::Count(args) = cli.command else {
            panic!("count")
        };
        assert_eq!(args.lines.len(), 2);
        assert_eq!(args.zones.len(), 1);
        assert_eq!(args.fps, Some(5.0));
        assert_eq!(args.format, summary::Format::Json);
    }

    #[test]
    fn parses_track() {
        let cli = Cli::try_parse_from([
            "footfall",
            "track",
            "--mot-det",
            "det.txt",
            "--fps",
            "25",
            "--out",
            "t.txt",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::Track(_)));
    }

    #[test]
    fn rejects_unknown_format() {
        assert!(
            Cli::try_parse_from(["footfall", "count", "-s", "v", "-m", "m", "--format", "xml"])
                .is_err()
        );
    }
}
