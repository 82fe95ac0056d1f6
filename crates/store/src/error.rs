use thiserror::Error;

/// Result alias for store calls.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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
    /// The database failed (the driver's error, kept out of this crate's API: ask
    /// [`StoreError::is_transient`], [`StoreError::is_value_refused`], ...).
    #[error("database: {0}")]
    Database(DatabaseError),
    #[error("migration: {0}")]
    Migrate(DatabaseError),
    #[error("invalid database url: {0}")]
    InvalidUrl(String),
    /// A query would read more rows than [`crate::StoreOptions::max_rows_scanned`].
    #[error("{0}")]
    TooBig(String),
    /// A backup or restore could not be made (its tool missing or failing, a file in the
    /// way, a damaged backup); the message says which.
    #[error("{0}")]
    Backup(String),
    /// The write would leave no active admin.
    #[error("the last active admin cannot be demoted or deactivated")]
    LastAdmin,
}

/// A failure of the database driver. Its message says what happened; what a caller may
/// decide on is asked of the [`StoreError`].
#[derive(Debug)]
pub struct DatabaseError(Driver);

#[derive(Debug)]
enum Driver {
    Query(sqlx::Error),
    Migration(sqlx::migrate::MigrateError),
}

impl std::fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Driver::Query(e) => e.fmt(f),
            Driver::Migration(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Driver::Query(e) => e.source(),
            Driver::Migration(e) => e.source(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Database(DatabaseError(Driver::Query(e)))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migrate(DatabaseError(Driver::Migration(e)))
    }
}

impl StoreError {
    /// The driver's error of a query, if that is what this is.
    fn query_error(&self) -> Option<&sqlx::Error> {
        match self {
            StoreError::Database(DatabaseError(Driver::Query(e))) => Some(e),
            _ => None,
        }
    }

    /// The database refused a value itself (PostgreSQL's "data exception" class 22: a
    /// NUL character, a number or date out of its range), not the server failing.
    pub fn is_value_refused(&self) -> bool {
        matches!(self.query_error(), Some(sqlx::Error::Database(db))
            if db.code().is_some_and(|c| c.starts_with("22")))
    }

    /// No connection was free in time (the pool's acquire timeout): busy, retry.
    pub fn is_busy(&self) -> bool {
        matches!(self.query_error(), Some(sqlx::Error::PoolTimedOut))
    }

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
        StoreError::from(err)
    }

    /// Whether trying the same write again later can succeed: the connection, the pool,
    /// the server or the disk failed (retry), as opposed to the data being refused
    /// (a constraint, a type, a missing row: retrying the same rows fails forever).
    ///
    /// Writers that must not lose data spill transient failures and retry them, and set
    /// rows refused for good aside, so one bad row never blocks the rows after it.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(DatabaseError(Driver::Query(err))) => sqlx_error_is_transient(err),
            StoreError::Database(DatabaseError(Driver::Migration(_))) => true,
            StoreError::Migrate(_) => true,
            StoreError::NotFound(_)
            | StoreError::Conflict { .. }
            | StoreError::Constraint(_)
            | StoreError::InvalidUrl(_)
            | StoreError::TooBig(_)
            | StoreError::Backup(_)
            | StoreError::LastAdmin => false,
        }
    }
}

impl StoreError {
    /// PostgreSQL cancelled the statement: it ran past `statement_timeout`.
    pub fn is_statement_timeout(&self) -> bool {
        matches!(self.query_error(), Some(sqlx::Error::Database(db))
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
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_transient());
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_busy());
        assert!(StoreError::from(sqlx::Error::Io(std::io::Error::other("reset"))).is_transient());
        assert!(!StoreError::from(sqlx::Error::RowNotFound).is_transient());
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
