//! `footfall keys rotate`: a new key for the camera credentials stored encrypted, every
//! stored credential re-encrypted under it. The old key stays readable until the last
//! value is done, so an interrupted rotation loses nothing: run it again.

use super::server::ConfigArgs;
use anyhow::{Context, Result, anyhow, bail};
use footfall_server::crypto::{self, CredentialBox, GeneratedSecrets};
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Replace the camera-credentials key and re-encrypt every stored credential (server
    /// stopped).
    Rotate(ConfigArgs),
}

pub fn run(command: KeysCommand) -> Result<ExitCode> {
    let KeysCommand::Rotate(args) = command;
    let config = args.load()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let store = runtime.block_on(footfall_server::open_store(&config))?;
    let reseal = |reader: &CredentialBox, writer: &CredentialBox| {
        runtime
            .block_on(footfall_server::stream_url::reseal_all(
                &store, reader, writer,
            ))
            .map_err(|e| anyhow!("re-encrypting: {e}"))
    };
    let cameras = &config.cameras;
    if cameras.credentials_key.is_some() {
        // The operator holds the keys in the configuration: they name the new one, this
        // command moves the stored values onto it.
        if cameras.previous_credentials_keys.is_empty() {
            bail!(
                "cameras.credentials_key is set in the configuration: put a new key there (for example {}) and the current one in cameras.previous_credentials_keys, then run this again",
                crypto::generate_key()
            );
        }
        let reader = crypto::credentials_box(cameras).map_err(|e| anyhow!(e))?;
        let mut current_only = cameras.clone();
        current_only.previous_credentials_keys.clear();
        let writer = crypto::credentials_box(&current_only).map_err(|e| anyhow!(e))?;
        let n = reseal(&reader, &writer)?;
        eprintln!(
            "{n} camera credential(s) re-encrypted under cameras.credentials_key; remove cameras.previous_credentials_keys from the configuration"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let data_dir = &config.database.data_dir;
    let path = data_dir.join("secrets.toml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{}: no generated keys to rotate (the server writes them on its first start)",
            path.display()
        )
    })?;
    let secrets: GeneratedSecrets =
        toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
    // 1. The new key seals from now on; the old ones still open (written first, so a
    //    crash at any later point leaves every value readable).
    let mut rotating = secrets.clone();
    rotating.previous_credentials_keys = std::iter::once(secrets.credentials_key.clone())
        .chain(secrets.previous_credentials_keys.iter().cloned())
        .collect();
    rotating.credentials_key = crypto::generate_key();
    crypto::replace_secrets(data_dir, &rotating).map_err(|e| anyhow!(e))?;
    let reader = CredentialBox::new(&rotating.credentials_key)
        .and_then(|b| {
            b.with_previous(
                rotating
                    .previous_credentials_keys
                    .iter()
                    .map(String::as_str),
            )
        })
        .map_err(|e| anyhow!(e))?;
    let writer = CredentialBox::new(&rotating.credentials_key).map_err(|e| anyhow!(e))?;
    // 2. Every stored value moves to the new key.
    let n = reseal(&reader, &writer).map_err(|e| {
        e.context(format!(
            "{} keeps the old keys, so every credential still opens; fix the camera named and run this again",
            path.display()
        ))
    })?;
    // 3. The old keys go.
    let mut done = rotating;
    done.previous_credentials_keys.clear();
    crypto::replace_secrets(data_dir, &done).map_err(|e| anyhow!(e))?;
    runtime.block_on(store.close());
    eprintln!(
        "{n} camera credential(s) re-encrypted under a new key in {}; back up the data directory again",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
