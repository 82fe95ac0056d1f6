//! `footfall keys rotate`: a new key for the camera credentials stored encrypted, every
//! stored credential re-encrypted under it. The old key stays readable until the last
//! value is done, so an interrupted rotation loses nothing: run it again.

use super::server::ConfigArgs;
use anyhow::{Context, Result, anyhow, bail};
use footfall_server::config::CamerasConfig;
use footfall_server::crypto;
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
    let runtime = super::server::runtime()?;
    let store = runtime.block_on(footfall_server::open_store(&config))?;
    // Opens with every key of `keys`, seals with its current one only.
    let reseal_onto_current = |keys: &CamerasConfig| -> Result<usize> {
        let reader = crypto::credentials_box(keys).map_err(|e| anyhow!(e))?;
        let mut current = keys.clone();
        current.previous_credentials_keys.clear();
        let writer = crypto::credentials_box(&current).map_err(|e| anyhow!(e))?;
        runtime
            .block_on(footfall_server::stream_url::reseal_all(
                &store, &reader, &writer,
            ))
            .map_err(|e| anyhow!("re-encrypting: {e}"))
    };
    if config.cameras.credentials_key.is_some() {
        // The operator holds the keys in the configuration: they name the new one, this
        // command moves the stored values onto it.
        if config.cameras.previous_credentials_keys.is_empty() {
            bail!(
                "cameras.credentials_key is set in the configuration: put a new key there (for example {}) and the current one in cameras.previous_credentials_keys, then run this again",
                crypto::generate_key()
            );
        }
        let n = reseal_onto_current(&config.cameras)?;
        eprintln!(
            "{n} camera credential(s) re-encrypted under cameras.credentials_key; remove cameras.previous_credentials_keys from the configuration"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let data_dir = &config.database.data_dir;
    let path = data_dir.join("secrets.toml");
    let secrets = crypto::read_secrets(data_dir)
        .map_err(|e| anyhow!(e))?
        .with_context(|| {
            format!(
                "{}: no generated keys to rotate (the server writes them on its first start)",
                path.display()
            )
        })?;
    // 1. The new key seals from now on; the old ones still open (written first, so a
    //    crash at any later point leaves every value readable).
    let mut rotating = secrets.clone();
    rotating.previous_credentials_keys = std::iter::once(secrets.credentials_key.clone())
        .chain(secrets.previous_credentials_keys.iter().cloned())
        .collect();
    rotating.credentials_key = crypto::generate_key();
    crypto::replace_secrets(data_dir, &rotating).map_err(|e| anyhow!(e))?;
    // 2. Every stored value moves to the new key.
    let mut keys = config.cameras.clone();
    rotating.credentials_into(&mut keys);
    let n = reseal_onto_current(&keys).map_err(|e| {
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
