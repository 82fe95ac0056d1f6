-- Footfall data model (SPEC.md "Data model"), SQLite.
-- Names and columns of the SPEC tables are the contract; columns marked "footfall:" are
-- additions the platform needs (lockout, soft enable, ingest idempotency).
-- Same tables, columns, defaults, constraints and indexes as the PostgreSQL migration of
-- the same number, in SQLite's types: enumerations are TEXT with CHECK constraints,
-- timestamps are RFC 3339 UTC TEXT (written by the store with millisecond precision, so
-- they sort as text), JSON is TEXT, TEXT is TEXT '(x,y)'. No partitions: SQLite is the
-- single-box backend.


CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username VARCHAR(50) NOT NULL UNIQUE,
    email VARCHAR(100) NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    first_name VARCHAR(100),
    last_name VARCHAR(100),
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user', 'viewer')),
    is_active INTEGER NOT NULL DEFAULT 1,
    email_verified INTEGER NOT NULL DEFAULT 0,
    last_login TEXT,
    -- footfall: consecutive failed logins and the lockout they caused.
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- The UNIQUE constraints above index users by username and by email.
CREATE INDEX users_email_lower_idx ON users (lower(email));
CREATE INDEX users_username_lower_idx ON users (lower(username));

CREATE TABLE user_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Public session id carried in access tokens and refresh tokens.
    session_token TEXT NOT NULL UNIQUE,
    -- SHA-256 (hex) of the current refresh token; the token itself is never stored.
    refresh_token TEXT NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    ip_address TEXT,
    user_agent TEXT,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- footfall: why the session ended (logout, logout_all, refresh_reuse, password_change, ...).
    revoked_reason TEXT
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, is_active);

-- footfall: one-time tokens for e-mail verification and password reset (hashed).
CREATE TABLE user_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    port INTEGER CHECK (port BETWEEN 0 AND 65535),
    status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline', 'busy', 'draining', 'error')),
    cpu_usage REAL,
    memory_usage REAL,
    camera_count INTEGER NOT NULL DEFAULT 0 CHECK (camera_count >= 0),
    max_cameras INTEGER NOT NULL DEFAULT 10 CHECK (max_cameras > 0),
    last_heartbeat TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX workers_status_idx ON workers (status, last_heartbeat);

CREATE TABLE ai_models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL,
    version VARCHAR(50) NOT NULL,
    model_path TEXT NOT NULL,
    model_type VARCHAR(50) NOT NULL,
    accuracy_score REAL CHECK (accuracy_score BETWEEN 0 AND 1),
    is_active INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (name, version)
);
-- At most one active model.
CREATE UNIQUE INDEX ai_models_one_active_idx ON ai_models (is_active) WHERE is_active = 1;

CREATE TABLE cameras (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL,
    description TEXT,
    -- Credentials are never stored here: the URL is kept with its password masked and
    -- the credentials live encrypted (AES-256-GCM) in security_config.
    stream_url VARCHAR(500) NOT NULL,
    stream_type VARCHAR(20) NOT NULL DEFAULT 'rtsp',
    location VARCHAR(200),
    coordinates TEXT,
    status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('offline', 'connecting', 'online', 'degraded', 'reconnecting', 'error', 'maintenance')),
    worker_id TEXT REFERENCES workers (id) ON DELETE SET NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    security_config TEXT NOT NULL DEFAULT '{}',
    -- footfall: a disabled camera keeps its configuration and history but is not run.
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX cameras_name_idx ON cameras (lower(name));
CREATE INDEX cameras_worker_idx ON cameras (worker_id);

CREATE TABLE counting_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    "timestamp" TEXT NOT NULL,
    people_count INTEGER NOT NULL DEFAULT 0 CHECK (people_count >= 0),
    -- Negative only in manual corrections (is_manual).
    people_in INTEGER NOT NULL DEFAULT 0,
    people_out INTEGER NOT NULL DEFAULT 0,
    confidence_score REAL CHECK (confidence_score BETWEEN 0 AND 1),
    detection_count INTEGER NOT NULL DEFAULT 0 CHECK (detection_count >= 0),
    false_positives INTEGER NOT NULL DEFAULT 0 CHECK (false_positives >= 0),
    false_negatives INTEGER NOT NULL DEFAULT 0 CHECK (false_negatives >= 0),
    processing_time_ms REAL CHECK (processing_time_ms >= 0),
    frame_quality_score REAL CHECK (frame_quality_score BETWEEN 0 AND 1),
    model_id BIGINT REFERENCES ai_models (id) ON DELETE SET NULL,
    worker_id TEXT,
    -- footfall: a correction entered by a user (always audited): it adjusts people_in /
    -- people_out and is not an occupancy sample.
    is_manual INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (is_manual OR (people_in >= 0 AND people_out >= 0))
);
CREATE INDEX counting_results_camera_ts_idx ON counting_results (camera_id, "timestamp");
CREATE INDEX counting_results_ts_idx ON counting_results ("timestamp");

-- footfall: hourly (UTC) sums of counting_results, maintained in the same transaction as
-- each insert batch so that hour / day / month queries read ~720 rows per camera-month
-- instead of every raw result.
CREATE TABLE counting_results_hourly (
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    hour_start TEXT NOT NULL,
    samples BIGINT NOT NULL DEFAULT 0,
    people_in BIGINT NOT NULL DEFAULT 0,
    people_out BIGINT NOT NULL DEFAULT 0,
    people_count_sum BIGINT NOT NULL DEFAULT 0,
    people_count_max INTEGER NOT NULL DEFAULT 0,
    detection_count BIGINT NOT NULL DEFAULT 0,
    confidence_sum REAL NOT NULL DEFAULT 0,
    confidence_samples BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (camera_id, hour_start)
);
CREATE INDEX counting_results_hourly_hour_idx ON counting_results_hourly (hour_start);

CREATE TABLE camera_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    event_type VARCHAR(50) NOT NULL,
    event_data TEXT NOT NULL DEFAULT '{}',
    "timestamp" TEXT NOT NULL,
    confidence_score REAL CHECK (confidence_score BETWEEN 0 AND 1),
    severity TEXT NOT NULL DEFAULT 'low' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    is_processed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX camera_events_camera_ts_idx ON camera_events (camera_id, "timestamp");
CREATE INDEX camera_events_type_ts_idx ON camera_events (event_type, "timestamp");

CREATE TABLE system_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_type VARCHAR(50) NOT NULL,
    severity TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    title VARCHAR(200) NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    alert_data TEXT NOT NULL DEFAULT '{}',
    source_service VARCHAR(50),
    camera_id BIGINT REFERENCES cameras (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    is_resolved INTEGER NOT NULL DEFAULT 0,
    resolved_at TEXT,
    resolved_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX system_alerts_open_idx ON system_alerts (is_resolved, created_at);
CREATE INDEX system_alerts_camera_idx ON system_alerts (camera_id, created_at);

CREATE TABLE hourly_analytics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    date DATE NOT NULL,
    hour SMALLINT NOT NULL CHECK (hour BETWEEN 0 AND 23),
    total_people_count BIGINT NOT NULL DEFAULT 0,
    total_people_in BIGINT NOT NULL DEFAULT 0,
    total_people_out BIGINT NOT NULL DEFAULT 0,
    peak_count INTEGER NOT NULL DEFAULT 0,
    peak_time TEXT,
    avg_confidence_score REAL,
    total_events BIGINT NOT NULL DEFAULT 0,
    error_count BIGINT NOT NULL DEFAULT 0,
    uptime_percentage REAL CHECK (uptime_percentage BETWEEN 0 AND 100),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (camera_id, date, hour)
);
CREATE INDEX hourly_analytics_date_idx ON hourly_analytics (date);

CREATE TABLE daily_analytics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    date DATE NOT NULL,
    total_people_count BIGINT NOT NULL DEFAULT 0,
    total_people_in BIGINT NOT NULL DEFAULT 0,
    total_people_out BIGINT NOT NULL DEFAULT 0,
    peak_hour_count INTEGER NOT NULL DEFAULT 0,
    peak_hour SMALLINT CHECK (peak_hour BETWEEN 0 AND 23),
    avg_hourly_count REAL,
    total_events BIGINT NOT NULL DEFAULT 0,
    total_alerts BIGINT NOT NULL DEFAULT 0,
    uptime_percentage REAL CHECK (uptime_percentage BETWEEN 0 AND 100),
    avg_confidence_score REAL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (camera_id, date)
);
CREATE INDEX daily_analytics_date_idx ON daily_analytics (date);

CREATE TABLE monthly_analytics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id BIGINT NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    year SMALLINT NOT NULL,
    month SMALLINT NOT NULL CHECK (month BETWEEN 1 AND 12),
    total_people_count BIGINT NOT NULL DEFAULT 0,
    total_people_in BIGINT NOT NULL DEFAULT 0,
    total_people_out BIGINT NOT NULL DEFAULT 0,
    peak_day_count INTEGER NOT NULL DEFAULT 0,
    peak_day DATE,
    avg_daily_count REAL,
    total_events BIGINT NOT NULL DEFAULT 0,
    total_alerts BIGINT NOT NULL DEFAULT 0,
    uptime_percentage REAL CHECK (uptime_percentage BETWEEN 0 AND 100),
    avg_confidence_score REAL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (camera_id, year, month)
);

CREATE TABLE application_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    "timestamp" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    level VARCHAR(10) NOT NULL,
    service VARCHAR(50) NOT NULL,
    message TEXT NOT NULL,
    trace_id TEXT,
    span_id TEXT,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX application_logs_ts_idx ON application_logs ("timestamp");
CREATE INDEX application_logs_service_level_idx ON application_logs (service, level, "timestamp");

CREATE TABLE performance_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_name VARCHAR(50) NOT NULL,
    endpoint TEXT NOT NULL,
    method VARCHAR(10) NOT NULL,
    response_time_ms REAL NOT NULL,
    status_code SMALLINT NOT NULL,
    request_size BIGINT,
    response_size BIGINT,
    user_id BIGINT,
    ip_address TEXT,
    user_agent TEXT,
    "timestamp" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX performance_logs_ts_idx ON performance_logs ("timestamp");
CREATE INDEX performance_logs_endpoint_idx ON performance_logs (service_name, endpoint, "timestamp");

CREATE TABLE error_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    "timestamp" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    service VARCHAR(50) NOT NULL,
    error_type VARCHAR(100) NOT NULL,
    error_message TEXT NOT NULL,
    stack_trace TEXT,
    context TEXT NOT NULL DEFAULT '{}',
    user_id BIGINT,
    camera_id BIGINT,
    severity TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    is_resolved INTEGER NOT NULL DEFAULT 0,
    resolved_at TEXT,
    resolved_by BIGINT
);
CREATE INDEX error_logs_ts_idx ON error_logs ("timestamp");
CREATE INDEX error_logs_service_severity_idx ON error_logs (service, severity, "timestamp");

CREATE TABLE audit_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    "timestamp" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    user_id BIGINT,
    action VARCHAR(100) NOT NULL,
    resource_type VARCHAR(50) NOT NULL,
    resource_id TEXT,
    old_values TEXT,
    new_values TEXT,
    ip_address TEXT,
    user_agent TEXT
);
CREATE INDEX audit_logs_user_ts_idx ON audit_logs (user_id, "timestamp");
CREATE INDEX audit_logs_ts_idx ON audit_logs ("timestamp");

-- footfall: device API keys for /api/v1/ingest (key stored as SHA-256 only).
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL,
    key_prefix VARCHAR(16) NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    -- Camera ids this key may write to (JSON array of integers).
    camera_ids TEXT NOT NULL DEFAULT '[]',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    last_used_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- footfall: client-supplied ids already ingested, so a retried POST stores nothing twice.
CREATE TABLE ingest_receipts (
    source TEXT NOT NULL,
    client_id VARCHAR(200) NOT NULL,
    kind VARCHAR(10) NOT NULL CHECK (kind IN ('count', 'event')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (source, kind, client_id)
);
