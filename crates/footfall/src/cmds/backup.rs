//! `footfall backup --to DIR` and `footfall restore --from DIR`: the whole database (an
//! online, consistent copy: the server may go on running) with the data directory's
//! `secrets.toml` (without it the stored camera credentials cannot be decrypted), listed
//! with sizes and SHA-256 sums in `manifest.json`.
//!
//! A restore checks the manifest and every sum before it touches anything, refuses to
//! replace a database that holds data (or a different `secrets.toml`) unless `--force`,
//! and needs the server stopped.

use super::server::{ConfigArgs, runtime};
use anyhow::{Context, Result, anyhow, bail};
use footfall_store::Backend;
use footfall_store::backup;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Version of the backup layout this build writes and reads.
const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SECRETS: &str = "secrets.toml";

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// New or empty directory to write the backup into (created with mode 0700).
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Directory a `footfall backup` wrote.
    #[arg(long)]
    pub from: PathBuf,
    /// Replace a database that holds data, and a different secrets.toml (kept beside it
    /// as secrets.toml.before-restore-TIME).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: u32,
    created_at: chrono::DateTime<chrono::Utc>,
    footfall_version: String,
    /// "sqlite" or "postgres".
    backend: String,
    /// The database copy (SQLite file, or pg_dump custom format).
    database_file: String,
    /// Migrations applied to the database copied: a build that knows fewer cannot run it.
    schema_version: usize,
    /// Whether secrets.toml is part of the backup (absent when the keys come from the
    /// configuration instead).
    secrets_included: bool,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    name: String,
    bytes: u64,
    sha256: String,
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Size and SHA-256 (hex) of a file, read in chunks.
fn digest(path: &Path) -> Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// Copies `from` to `to` readable by the owner only (a secrets file).
fn copy_private(from: &Path, to: &Path) -> Result<()> {
    let content = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    footfall_server::crypto::write_private(to, &content)
        .with_context(|| format!("writing {}", to.display()))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub fn backup(args: BackupArgs) -> Result<ExitCode> {
    let config = args.config.load()?;
    let url = config.database.resolved_url();
    let backend = Backend::of_url(&url)?;
    let dir = &args.to;
    let created = !dir.exists();
    if created {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("--to: creating {}", dir.display()))?;
    } else {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("--to {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "--to {}: the directory is not empty; a backup goes into a new or empty directory",
                dir.display()
            );
        }
    }
    let written = write_backup(&config, &url, backend, dir);
    if written.is_err() {
        // No half backup left behind to be mistaken for one (or to block the next try).
        if created {
            let _ = std::fs::remove_dir_all(dir);
        } else if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    written
}

fn write_backup(
    config: &footfall_server::config::Config,
    url: &str,
    backend: Backend,
    dir: &Path,
) -> Result<ExitCode> {
    let database_file = match backend {
        Backend::Sqlite => "footfall.db",
        Backend::Postgres => "footfall.pgdump",
    };
    eprintln!(
        "backing up the {} database into {} ...",
        backend_name(backend),
        dir.display()
    );
    let schema_version = runtime()?
        .block_on(backup::backup(url, &dir.join(database_file)))
        .context("backing up the database")?;
    let secrets = config.database.data_dir.join(SECRETS);
    let secrets_included = secrets.exists();
    if secrets_included {
        copy_private(&secrets, &dir.join(SECRETS))?;
    }
    let mut files = Vec::new();
    for name in std::iter::once(database_file).chain(secrets_included.then_some(SECRETS)) {
        let (bytes, sha256) = digest(&dir.join(name))?;
        files.push(FileEntry {
            name: name.to_string(),
            bytes,
            sha256,
        });
    }
    let manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now(),
        footfall_version: env!("CARGO_PKG_VERSION").to_string(),
        backend: backend_name(backend).to_string(),
        database_file: database_file.to_string(),
        schema_version,
        secrets_included,
        files,
    };
    // The manifest last: a directory without one is an unfinished backup.
    let text = serde_json::to_string_pretty(&manifest)?;
    std::fs::write(dir.join(MANIFEST), text + "\n")
        .with_context(|| format!("writing {}", dir.join(MANIFEST).display()))?;
    eprintln!(
        "backup written: {} ({:.1} MiB){}",
        dir.join(database_file).display(),
        mib(manifest.files[0].bytes),
        if secrets_included {
            format!(
                "; {SECRETS} included: it decrypts the stored camera credentials, keep {} private",
                dir.display()
            )
        } else {
            format!(
                "; no {SECRETS} in {} (keys come from the configuration: back them up with it)",
                config.database.data_dir.display()
            )
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The manifest of `dir`, with every file it lists checked against its size and sum.
fn checked_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "--from {}: no readable {MANIFEST} (not a footfall backup, or an unfinished one)",
            dir.display()
        )
    })?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "{}: backup format {} (this footfall reads format {FORMAT})",
            path.display(),
            manifest.format
        );
    }
    if !manifest
        .files
        .iter()
        .any(|f| f.name == manifest.database_file)
    {
        bail!("{}: the database file is not listed", path.display());
    }
    for entry in &manifest.files {
        // Only plain names: a manifest must not point outside its directory.
        if entry.name.contains(['/', '\\']) || entry.name.starts_with('.') {
            bail!("{}: bad file name {:?}", path.display(), entry.name);
        }
        let (bytes, sha256) = digest(&dir.join(&entry.name))?;
        if (bytes, sha256.as_str()) != (entry.bytes, entry.sha256.as_str()) {
            bail!(
                "{}: does not match the manifest (size or SHA-256 differ): the backup is damaged",
                dir.join(&entry.name).display()
            );
        }
    }
    Ok(manifest)
}

pub fn restore(args: RestoreArgs) -> Result<ExitCode> {
    let config = args.config.load()?;
    let url = config.database.resolved_url();
    let backend = Backend::of_url(&url)?;
    let dir = &args.from;
    let manifest = checked_manifest(dir)?;
    if manifest.backend != backend_name(backend) {
        bail!(
            "the backup is of a {} database, the configured database is {}: restore into a database of the same kind",
            manifest.backend,
            backend_name(backend)
        );
    }
    let known = footfall_store::known_schema_version(backend);
    if manifest.schema_version > known {
        bail!(
            "the backup's schema version {} is newer than this footfall's ({known}): restore it with footfall {} or newer",
            manifest.schema_version,
            manifest.footfall_version
        );
    }
    let runtime = runtime()?;
    // Everything that could refuse is decided before anything changes.
    if runtime.block_on(backup::holds_data(&url))? && !args.force {
        bail!(
            "the configured database holds data (users, cameras, results or events); stop the server and pass --force to replace it with the backup"
        );
    }
    let secrets_target = config.database.data_dir.join(SECRETS);
    let replace_secrets = if manifest.secrets_included {
        let ours = std::fs::read(dir.join(SECRETS))?;
        match std::fs::read(&secrets_target) {
            Ok(current) if current == ours => false,
            Ok(_) if !args.force => bail!(
                "{} differs from the backup's {SECRETS}; pass --force to replace it (the current one is kept beside it)",
                secrets_target.display()
            ),
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => {
                return Err(anyhow!(e).context(format!("reading {}", secrets_target.display())));
            }
        }
    } else {
        false
    };
    eprintln!(
        "restoring the {} database from {} (backup of {}) ...",
        manifest.backend,
        dir.display(),
        manifest
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    runtime
        .block_on(backup::restore(&url, &dir.join(&manifest.database_file)))
        .context("restoring the database")?;
    if replace_secrets {
        std::fs::create_dir_all(&config.database.data_dir)
            .with_context(|| format!("creating {}", config.database.data_dir.display()))?;
        if secrets_target.exists() {
            let kept = secrets_target.with_file_name(format!(
                "{SECRETS}.before-restore-{}",
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            ));
            std::fs::rename(&secrets_target, &kept)
                .with_context(|| format!("keeping {}", kept.display()))?;
            eprintln!("the previous {SECRETS} is kept as {}", kept.display());
        }
        copy_private(&dir.join(SECRETS), &secrets_target)?;
    }
    eprintln!("restored. Start the server: it applies the migrations newer than the backup.");
    Ok(ExitCode::SUCCESS)
}
