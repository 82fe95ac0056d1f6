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
    /// A query would read more rows than [`crate::StoreOptions::max_rows_scanned`].
    #[error("{0}")]
    TooBig(String),
    /// The write would leave no active admin.
    #[error("the last active admin cannot be demoted or deactivated")]
    LastAdmin,
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

    /// Whether trying the same write again later can succeed: the connection, the pool,
    /// the server or the disk failed (retry), as opposed to the data being refused
    /// (a constraint, a type, a missing row: retrying the same rows fails forever).
    ///
    /// Writers that must not lose data spill transient failures and retry them, and set
    /// rows refused for good aside, so one bad row never blocks the rows after it.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(err) => sqlx_error_is_transient(err),
            StoreError::Migrate(_) => true,
            StoreError::NotFound(_)
            | StoreError::Conflict { .. }
            | StoreError::Constraint(_)
            | StoreError::InvalidUrl(_)
            | StoreError::TooBig(_)
            | StoreError::LastAdmin => false,
        }
    }
}

impl StoreError {
    /// PostgreSQL cancelled the statement: it ran past `statement_timeout`.
    pub fn is_statement_timeout(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db))
            if db.code().as_deref() == Some("57014"))
    }
}

fn sqlx_error_is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => database_code_is_transient(db.code().as_deref()),
        _ => false,
    }
}

/// PostgreSQL SQLSTATE classes and SQLite result codes that describe the server or the
/// machine rather than the rows.
fn database_code_is_transient(code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    // PostgreSQL's SQLSTATE has five characters; SQLite's (extended) result code is a
    // number below 10,000 whose low byte is the primary code.
    if code.len() < 5
        && let Ok(extended) = code.parse::<i32>()
    {
        const SQLITE_BUSY: i32 = 5;
        const SQLITE_LOCKED: i32 = 6;
        const SQLITE_NOMEM: i32 = 7;
        const SQLITE_READONLY: i32 = 8;
        const SQLITE_IOERR: i32 = 10;
        const SQLITE_FULL: i32 = 13;
        const SQLITE_CANTOPEN: i32 = 14;
        return matches!(
            extended & 0xff,
            SQLITE_BUSY
                | SQLITE_LOCKED
                | SQLITE_NOMEM
                | SQLITE_READONLY
                | SQLITE_IOERR
                | SQLITE_FULL
                | SQLITE_CANTOPEN
        );
    }
    // PostgreSQL: 08 connection exception, 40 transaction rollback (serialization,
    // deadlock), 53 insufficient resources (disk full, out of memory, too many
    // connections), 57 operator intervention (shutdown, statement timeout), 58 system
    // error (I/O).
    matches!(code.get(..2), Some("08" | "40" | "53" | "57" | "58"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_rows_are_permanent_and_outages_transient() {
        assert!(!StoreError::Constraint("fk".into()).is_transient());
        assert!(!StoreError::Conflict { field: "id" }.is_transient());
        assert!(!StoreError::NotFound("camera").is_transient());
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_transient());
        assert!(
            StoreError::Database(sqlx::Error::Io(std::io::Error::other("reset"))).is_transient()
        );
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_transient());
        // SQLite: BUSY, an extended IOERR, FULL; CONSTRAINT_FOREIGNKEY (787) is not.
        assert!(database_code_is_transient(Some("5")));
        assert!(database_code_is_transient(Some("3850")));
        assert!(database_code_is_transient(Some("13")));
        assert!(!database_code_is_transient(Some("787")));
        // PostgreSQL: admin shutdown, connection failure, disk full; FK violation and
        // invalid text representation are not.
        assert!(database_code_is_transient(Some("57P01")));
        assert!(database_code_is_transient(Some("08006")));
        assert!(database_code_is_transient(Some("53100")));
        assert!(!database_code_is_transient(Some("23503")));
        assert!(!database_code_is_transient(Some("22P02")));
        assert!(!database_code_is_transient(None));
    }
}
