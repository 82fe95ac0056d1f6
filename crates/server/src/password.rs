//! Password policy and argon2id hashing.
//!
//! Hashing runs on the blocking pool: one hash at the default cost (19 MiB, 2 passes)
//! takes tens of milliseconds of CPU, which must not stall the async workers.

use crate::error::ApiError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, Clone, Copy)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub min_length: usize,
}

impl PasswordParams {
    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, 1, None)
            .expect("argon2 parameters in range");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Checks the policy: length, not all one character class, not the username/e-mail.
pub fn check_policy(
    password: &str,
    params: &PasswordParams,
    field: &str,
    username: &str,
) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < params.min_length {
        return Err(ApiError::invalid(
            field,
            format!("must be at least {} characters", params.min_length),
        ));
    }
    if chars > 256 {
        return Err(ApiError::invalid(field, "must be at most 256 characters"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|&&b| b).count() < 2 {
        return Err(ApiError::invalid(
            field,
            "must mix at least two of: lower case, upper case, digits, symbols",
        ));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(ApiError::invalid(field, "must not contain the username"));
    }
    Ok(())
}

pub async fn hash(password: &str, params: PasswordParams) -> Result<String, ApiError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        params
            .argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Verifies against a stored PHC string (its own parameters, so old hashes keep working
/// after the cost is raised).
pub async fn verify(password: &str, stored: &str, params: PasswordParams) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| {
            params
                .argon2()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of a random password: verified against when the user does not exist so
/// that "unknown user" and "wrong password" take the same time.
pub async fn dummy_hash(params: PasswordParams) -> String {
    hash(&crate::crypto::random_token(16), params)
        .await
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: PasswordParams = PasswordParams {
        memory_kib: 64,
        iterations: 1,
        min_length: 10,
    };

    #[test]
    fn policy_names_the_field_and_rule() {
        let e = check_policy("short", &CHEAP, "password", "alice").unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("password"));
        assert!(e.body.message.contains("10 characters"));
        assert!(
            check_policy("aaaaaaaaaaaa", &CHEAP, "password", "x").is_err(),
            "one class"
        );
        assert!(
            check_policy("xxAlice-2026", &CHEAP, "password", "alice").is_err(),
            "contains username"
        );
        assert!(check_policy("correct horse 9", &CHEAP, "password", "alice").is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse 9", CHEAP).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify("correct horse 9", &h, CHEAP).await);
        assert!(!verify("correct horse 8", &h, CHEAP).await);
        assert!(!verify("x", "not a hash", CHEAP).await);
    }
}
