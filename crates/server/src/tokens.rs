//! Access tokens (HS256 JWT with a key id) and refresh tokens.
//!
//! A refresh token is `SESSION_ID.SECRET`. Only SHA-256(token) is stored, in
//! `user_sessions.refresh_token`. Presenting a token whose session exists but whose hash
//! is not the current one means an old (already rotated) token was replayed: the whole
//! session is revoked (token theft detection). The session id inside the token is what
//! makes old tokens attributable to their session without keeping a history of hashes.

use crate::config::JwtKey;
use crate::crypto::random_token;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Session id (`user_sessions.session_token`).
    pub sid: String,
    /// Role at issue time (informational; the database's current role is enforced).
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

pub struct TokenKeys {
    signing: (String, EncodingKey),
    verifying: Vec<(String, DecodingKey)>,
}

pub const ISSUER: &str = "footfall";

impl TokenKeys {
    /// The first key signs; every key verifies.
    pub fn new(keys: &[JwtKey]) -> TokenKeys {
        let first = keys
            .first()
            .expect("at least one JWT key (generated when none is configured)");
        TokenKeys {
            signing: (
                first.id.clone(),
                EncodingKey::from_secret(first.secret.expose().as_bytes()),
            ),
            verifying: keys
                .iter()
                .map(|k| {
                    (
                        k.id.clone(),
                        DecodingKey::from_secret(k.secret.expose().as_bytes()),
                    )
                })
                .collect(),
        }
    }

    pub fn issue(
        &self,
        user_id: i64,
        session: &str,
        role: &str,
        now: DateTime<Utc>,
        ttl_s: i64,
    ) -> String {
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session.to_string(),
            role: role.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl_s,
            iss: ISSUER.to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing.0.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing.1).expect("HS256 signing cannot fail")
    }

    /// Verifies signature (by `kid`), issuer and expiry at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, &'static str> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "malformed token")?;
        let kid = header.kid.ok_or("token has no key id")?;
        let key = self
            .verifying
            .iter()
            .find(|(id, _)| *id == kid)
            .map(|(_, k)| k)
            .ok_or("unknown signing key")?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        // Expiry is checked below against the injected clock, not the system clock.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|_| "invalid token")?;
        if data.claims.exp <= now.timestamp() {
            return Err("token expired");
        }
        Ok(data.claims)
    }
}

/// A new refresh token for `session`: (token to hand out, hash to store).
pub fn new_refresh_token(session: &str) -> (String, String) {
    let token = format!("{session}.{}", random_token(32));
    let hash = crate::crypto::token_hash(&token);
    (token, hash)
}

/// The session id a refresh token claims to belong to.
pub fn refresh_token_session(token: &str) -> Option<&str> {
    let (session, secret) = token.split_once('.')?;
    (!session.is_empty() && secret.len() >= 32).then_some(session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn key(id: &str, secret: &str) -> JwtKey {
        JwtKey {
            id: id.into(),
            secret: Secret::new(secret),
        }
    }

    #[test]
    fn tokens_verify_by_key_id_and_expire() {
        let now = Utc::now();
        let old = TokenKeys::new(&[key("k1", &"a".repeat(32))]);
        let token = old.issue(7, "sid", "user", now, 900);
        assert_eq!(old.verify(&token, now).unwrap().sub, "7");
        assert_eq!(
            old.verify(&token, now + chrono::Duration::seconds(900)),
            Err("token expired")
        );
        // Rotation: k2 signs new tokens, k1 still verifies old ones.
        let rotated = TokenKeys::new(&[key("k2", &"b".repeat(32)), key("k1", &"a".repeat(32))]);
        assert!(rotated.verify(&token, now).is_ok());
        let fresh = rotated.issue(7, "sid", "user", now, 900);
        assert_eq!(old.verify(&fresh, now), Err("unknown signing key"));
        // Same kid, different secret: signature fails.
        let forged =
            TokenKeys::new(&[key("k1", &"c".repeat(32))]).issue(1, "sid", "admin", now, 900);
        assert_eq!(old.verify(&forged, now), Err("invalid token"));
        assert_eq!(old.verify("garbage", now), Err("malformed token"));
    }

    #[test]
    fn refresh_tokens_carry_their_session() {
        let (token, hash) = new_refresh_token("abc");
        assert_eq!(refresh_token_session(&token), Some("abc"));
        assert_eq!(hash, crate::crypto::token_hash(&token));
        assert_eq!(refresh_token_session("abc.short"), None);
        assert_eq!(refresh_token_session("nodot"), None);
    }
}
