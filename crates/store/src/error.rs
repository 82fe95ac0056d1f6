use thiserror::Error;

/// Everything a store call can fail with. The server maps these to HTTP in one place.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique constraint was hit; `field` names the column the caller should change.
    #[error("{field} already exists")]
    Conflict { field: &'static str },
    /// A foreign key or check constraint rejected the write.
    #[error("invalid reference or value: {0}")]
    Constraint(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid database url: {0}")]
    InvalidUrl(String),
}

impl StoreError {
    /// Maps a sqlx error from a write: unique violations become [`StoreError::Conflict`]
    /// naming the field the constraint protects, FK/check violations
    /// [`StoreError::Constraint`].
    pub(crate) fn from_write(err: sqlx::Error, unique_fields: &[(&str, &'static str)]) -> Self {
        if let sqlx::Error::Database(db) = &err {
            let message = db.message().to_ascii_lowercase();
            let constraint = db.constraint().unwrap_or("").to_ascii_lowercase();
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    // PostgreSQL names the constraint ("users_email_key"); SQLite names
                    // the columns in the message ("UNIQUE constraint failed: users.email").
                    for (needle, field) in unique_fields {
                        if constraint.contains(needle) || message.contains(needle) {
                            return StoreError::Conflict { field };
                        }
                    }
                    return StoreError::Conflict { field: "id" };
                }
                sqlx::error::ErrorKind::ForeignKeyViolation
                | sqlx::error::ErrorKind::CheckViolation
                | sqlx::error::ErrorKind::NotNullViolation => {
                    return StoreError::Constraint(db.message().to_string());
                }
                _ => {}
            }
        }
        StoreError::Database(err)
    }
}
