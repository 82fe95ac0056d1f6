//! The same store test suite against SQLite and PostgreSQL (the shared server on
//! 127.0.0.1:5432, a fresh database per test).

use chrono::{DateTime, Duration, TimeZone, Utc};
use footfall_store::testing::TestDb;
use footfall_store::*;
use serde_json::json;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn camera(name: &str) -> CameraWrite {
    CameraWrite {
        name: name.into(),
        description: None,
        stream_url: "rtsp://cam.local/stream".into(),
        stream_type: "rtsp".into(),
        location: Some("Entrance".into()),
        coordinates: Some((13.405, 52.52)),
        settings: json!({"detector_fps": 5}),
        metadata: json!({}),
        security_config: json!({}),
        enabled: true,
    }
}

fn user(name: &str, role: Role) -> NewUser {
    NewUser {
        username: name.into(),
        email: format!("{name}@example.com"),
        password_hash: "$argon2id$test".into(),
        first_name: None,
        last_name: None,
        role,
        email_verified: false,
    }
}

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(footfall_store::Backend::Sqlite).await } )+ }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(footfall_store::Backend::Postgres).await } )+ }
    };
}

both_backends!(
    migrations_are_complete_and_idempotent,
    users_unique_fields_and_lockout,
    sessions_rotate_once,
    cameras_round_trip_and_conflicts,
    results_buckets_in_time_zones,
    ingest_is_idempotent,
    events_alerts_audit_and_keys,
    hourly_query_uses_the_index,
    case_twins_from_before_0002_are_renamed_not_lost,
);

async fn migrations_are_complete_and_idempotent(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    assert_eq!(store.pending_migrations().await.unwrap(), 0);
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "second run applies nothing"
    );
    store.ping().await.unwrap();
    if backend == Backend::Postgres {
        let parts = store.partitions_of("counting_results").await.unwrap();
        let month = Utc::now().format("counting_results_y%Ym%m").to_string();
        assert!(parts.contains(&month), "{parts:?} lacks {month}");
        assert!(parts.contains(&"counting_results_default".to_string()));
        assert!(
            parts.len() >= 5,
            "current month + 3 ahead + default: {parts:?}"
        );
        assert!(store.partitions_of("camera_events").await.unwrap().len() >= 5);
        // The daily maintenance keeps creating months ahead as time passes.
        let later = t("2031-06-15T00:00:00Z");
        let created = store.ensure_partitions(later, 3).await.unwrap();
        assert_eq!(created.len(), 8, "4 months x 2 tables: {created:?}");
        assert!(
            store
                .partitions_of("counting_results")
                .await
                .unwrap()
                .contains(&"counting_results_y2031m09".to_string())
        );
        assert!(
            store.ensure_partitions(later, 3).await.unwrap().is_empty(),
            "idempotent"
        );
        // A row in a new month lands in its own partition (pruned reads stay cheap).
        let cam = store.create_camera(&camera("P"), later).await.unwrap().id;
        store
            .insert_results(
                &[NewResult::counts(cam, t("2031-07-01T12:00:00Z"), 1, 1, 0)],
                None,
            )
            .await
            .unwrap();
        let q = ResultQuery {
            camera_id: Some(cam),
            from: t("2031-07-01T00:00:00Z"),
            to: t("2031-08-01T00:00:00Z"),
            bucket: Bucket::Raw,
            time_zone: chrono_tz::UTC,
            limit: 10,
            offset: 0,
        };
        assert_eq!(store.raw_results(&q).await.unwrap().total, 1);
    }
}

async fn users_unique_fields_and_lockout(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let now = t("2026-11-29T10:00:00Z");
    let alice = store
        .create_user(&user("alice", Role::Admin), now)
        .await
        .unwrap();
    assert_eq!(alice.role, Role::Admin);
    assert!(alice.is_active && !alice.email_verified);
    let mut dup = user("alice", Role::User);
    dup.email = "other@example.com".into();
    assert!(matches!(
        store.create_user(&dup, now).await,
        Err(StoreError::Conflict { field: "username" })
    ));
    let mut dup = user("bob", Role::User);
    dup.email = "alice@example.com".into();
    assert!(matches!(
        store.create_user(&dup, now).await,
        Err(StoreError::Conflict { field: "email" })
    ));
    assert_eq!(
        store
            .user_by_login("ALICE@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        alice.id
    );

    for i in 1..=4 {
        let (n, lock) = store
            .record_login_failure(alice.id, 5, Duration::minutes(15), now)
            .await
            .unwrap();
        assert_eq!((n, lock), (i, None));
    }
    let (n, lock) = store
        .record_login_failure(alice.id, 5, Duration::minutes(15), now)
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(lock, Some(now + Duration::minutes(15)));
    store.record_login_success(alice.id, now).await.unwrap();
    let fresh = store.user_by_id(alice.id).await.unwrap();
    assert_eq!(
        (fresh.failed_logins, fresh.locked_until, fresh.last_login),
        (0, None, Some(now))
    );

    let demote = UserPatch {
        role: Some(Role::Viewer),
        is_active: Some(false),
        ..Default::default()
    };
    // The last active admin stays one; with a second admin the change goes through.
    assert!(matches!(
        store.update_user(alice.id, &demote, now).await,
        Err(StoreError::LastAdmin)
    ));
    store
        .create_user(&user("abe", Role::Admin), now)
        .await
        .unwrap();
    let patched = store.update_user(alice.id, &demote, now).await.unwrap();
    assert_eq!((patched.role, patched.is_active), (Role::Viewer, false));

    // Unique without regard to case.
    let mut twin = user("ALICE", Role::User);
    twin.email = "Alice.Twin@example.com".into();
    assert!(matches!(
        store.create_user(&twin, now).await,
        Err(StoreError::Conflict { field: "username" })
    ));
    let mut twin = user("alice2", Role::User);
    twin.email = alice.email.to_uppercase();
    assert!(matches!(
        store.create_user(&twin, now).await,
        Err(StoreError::Conflict { field: "email" })
    ));
}

async fn sessions_rotate_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let now = t("2026-11-29T10:00:00Z");
    let u = store
        .create_user(&user("carol", Role::User), now)
        .await
        .unwrap();
    let s = store
        .create_session(
            &NewSession {
                user_id: u.id,
                session_token: "sid-1".into(),
                refresh_token_hash: "h1".into(),
                expires_at: now + Duration::days(7),
                ip_address: Some("10.0.0.1".into()),
                user_agent: Some("test".into()),
            },
            now,
        )
        .await
        .unwrap();
    let ctx = store.auth_context("sid-1", now).await.unwrap().unwrap();
    assert_eq!((ctx.user_id, ctx.role), (u.id, Role::User));
    assert!(
        store
            .rotate_refresh_token(s.id, "h1", "h2", now + Duration::days(7), now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .rotate_refresh_token(s.id, "h1", "h3", now + Duration::days(7), now)
            .await
            .unwrap(),
        "old hash is spent"
    );
    assert!(
        !store
            .rotate_refresh_token(s.id, "h2", "h3", now, now + Duration::days(8))
            .await
            .unwrap(),
        "expired"
    );
    assert!(store.revoke_session(s.id, "logout").await.unwrap());
    assert!(store.auth_context("sid-1", now).await.unwrap().is_none());
    assert_eq!(
        store
            .session_by_token("sid-1")
            .await
            .unwrap()
            .unwrap()
            .revoked_reason
            .as_deref(),
        Some("logout")
    );

    store
        .create_user_token(
            u.id,
            TokenPurpose::ResetPassword,
            "tok",
            now + Duration::hours(1),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .consume_user_token(TokenPurpose::VerifyEmail, "tok", now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .consume_user_token(TokenPurpose::ResetPassword, "tok", now)
            .await
            .unwrap(),
        Some(u.id)
    );
    assert_eq!(
        store
            .consume_user_token(TokenPurpose::ResetPassword, "tok", now)
            .await
            .unwrap(),
        None,
        "single use"
    );
}

async fn cameras_round_trip_and_conflicts(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let now = t("2026-11-29T10:00:00Z");
    let c = store.create_camera(&camera("Door"), now).await.unwrap();
    assert_eq!(c.coordinates, Some((13.405, 52.52)));
    assert_eq!(c.settings, json!({"detector_fps": 5}));
    assert_eq!(c.status, CameraStatus::Offline);
    assert!(matches!(
        store.create_camera(&camera("door"), now).await,
        Err(StoreError::Conflict { field: "name" })
    ));
    let mut w = camera("Back door");
    w.coordinates = None;
    w.enabled = false;
    let updated = store
        .update_camera(c.id, &w, now + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.coordinates, updated.enabled),
        ("Back door", None, false)
    );
    store
        .set_camera_status(c.id, CameraStatus::Online, now)
        .await
        .unwrap();
    let listed = store
        .list_cameras(&CameraFilter {
            enabled: Some(false),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, CameraStatus::Online);
    store.delete_camera(c.id).await.unwrap();
    assert!(matches!(
        store.camera(c.id).await,
        Err(StoreError::NotFound("camera"))
    ));
}

async fn results_buckets_in_time_zones(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let cam = store
        .create_camera(&camera("A"), Utc::now())
        .await
        .unwrap()
        .id;
    let other = store
        .create_camera(&camera("B"), Utc::now())
        .await
        .unwrap()
        .id;
    // One result per 10 minutes over 2 days, people_in = 1 each, count = hour of day.
    let start = t("2026-01-01T00:00:00Z");
    let mut rows = Vec::new();
    for i in 0..(2 * 24 * 6) {
        let ts = start + Duration::minutes(10 * i);
        let mut r = NewResult::counts(cam, ts, (i / 6 % 24) as i32, 1, (i % 2) as i32);
        r.confidence_score = Some(0.5);
        rows.push(r);
        rows.push(NewResult::counts(other, ts, 100, 7, 7));
    }
    // Two batches so the hourly rollup is upserted, not only inserted.
    let (a, b) = rows.split_at(301);
    assert_eq!(store.insert_results(a, None).await.unwrap().inserted, 301);
    assert_eq!(
        store.insert_results(b, None).await.unwrap().inserted,
        rows.len() - 301
    );

    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let q = |bucket, tz| ResultQuery {
        camera_id: Some(cam),
        from: start,
        to: start + Duration::days(2),
        bucket,
        time_zone: tz,
        limit: 1000,
        offset: 0,
    };
    let days = store
        .bucketed_results(&q(Bucket::Day, berlin))
        .await
        .unwrap();
    // Berlin is UTC+1: the first local day starts at 23:00 UTC on Dec 31st and holds
    // 23 hours of data; then a full day; then the last hour.
    assert_eq!(days.total, 3);
    let sums: Vec<i64> = days.items.iter().map(|d| d.people_in).collect();
    assert_eq!(sums, vec![23 * 6, 24 * 6, 6]);
    assert_eq!(
        days.items[0].start.to_rfc3339(),
        "2026-01-01T00:00:00+01:00"
    );
    assert_eq!(days.items[1].peak_count, 23);
    assert_eq!(days.items[1].avg_confidence, Some(0.5));

    let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
    let hours = store
        .bucketed_results(&q(Bucket::Hour, kolkata))
        .await
        .unwrap();
    // Half-hour offset: 48 UTC hours straddle 49 local hours (minute fine buckets).
    assert_eq!(hours.total, 49);
    assert_eq!(
        hours.items[0].start.to_rfc3339(),
        "2026-01-01T05:00:00+05:30"
    );
    assert_eq!(
        hours.items[0].people_in, 3,
        "00:00-00:29 UTC = 05:30-05:59 IST"
    );
    assert_eq!(
        hours.items.iter().map(|h| h.people_in).sum::<i64>(),
        2 * 24 * 6
    );

    let utc_hours = store
        .bucketed_results(&q(Bucket::Hour, chrono_tz::UTC))
        .await
        .unwrap();
    assert_eq!(utc_hours.total, 48);
    assert!(
        utc_hours
            .items
            .iter()
            .all(|h| h.people_in == 6 && h.samples == 6 && h.people_out == 3)
    );

    let minutes = store
        .bucketed_results(&ResultQuery {
            limit: 5,
            offset: 2,
            ..q(Bucket::Minute, chrono_tz::UTC)
        })
        .await
        .unwrap();
    assert_eq!(minutes.total, 2 * 24 * 6);
    assert_eq!(minutes.items.len(), 5);
    assert_eq!(
        minutes.items[0].start.with_timezone(&Utc),
        start + Duration::minutes(20)
    );

    let all = store
        .bucketed_results(&ResultQuery {
            camera_id: None,
            ..q(Bucket::Month, chrono_tz::UTC)
        })
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(all.items[0].people_in, 2 * 24 * 6 * 8);
    assert_eq!(all.items[0].peak_count, 100);

    let raw = store
        .raw_results(&ResultQuery {
            limit: 2,
            offset: 1,
            ..q(Bucket::Raw, chrono_tz::UTC)
        })
        .await
        .unwrap();
    assert_eq!(raw.total, 2 * 24 * 6);
    assert_eq!(raw.items[0].timestamp, start + Duration::minutes(10));
    assert_eq!(raw.items[0].confidence_score, Some(0.5));
}

async fn ingest_is_idempotent(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let cam = store
        .create_camera(&camera("A"), Utc::now())
        .await
        .unwrap()
        .id;
    let ts = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
    let mk = |id: &str| NewResult {
        client_id: Some(id.into()),
        ..NewResult::counts(cam, ts, 1, 1, 0)
    };
    let first = store
        .insert_results(&[mk("a"), mk("b"), mk("b")], Some("key:1"))
        .await
        .unwrap();
    assert_eq!(
        (first.inserted, first.duplicates, first.fresh.clone()),
        (2, 1, vec![0, 1])
    );
    let again = store
        .insert_results(&[mk("a"), mk("c")], Some("key:1"))
        .await
        .unwrap();
    assert_eq!((again.inserted, again.duplicates), (1, 1));
    let other_source = store
        .insert_results(&[mk("a")], Some("key:2"))
        .await
        .unwrap();
    assert_eq!(other_source.inserted, 1, "ids are per source");
    let q = ResultQuery {
        camera_id: Some(cam),
        from: ts,
        to: ts + Duration::hours(1),
        bucket: Bucket::Hour,
        time_zone: chrono_tz::UTC,
        limit: 10,
        offset: 0,
    };
    assert_eq!(
        store.bucketed_results(&q).await.unwrap().items[0].people_in,
        4
    );
    let ev = NewEvent {
        camera_id: cam,
        event_type: "line_in".into(),
        event_data: json!({"line": "door"}),
        timestamp: ts,
        confidence_score: Some(0.9),
        severity: EventSeverity::Low,
        client_id: Some("e1".into()),
    };
    let first = store
        .insert_events(&[ev.clone(), ev.clone()], Some("key:1"))
        .await
        .unwrap();
    assert_eq!(
        (first.inserted, first.duplicates, first.fresh),
        (1, 1, vec![0])
    );
    let again = store.insert_events(&[ev], Some("key:1")).await.unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 1));
    // A bad camera id rolls the whole batch back, receipts included.
    let bad = NewResult {
        client_id: Some("z".into()),
        ..NewResult::counts(999_999, ts, 1, 1, 0)
    };
    assert!(
        store
            .insert_results(&[mk("y"), bad], Some("key:1"))
            .await
            .is_err()
    );
    assert_eq!(
        store
            .insert_results(&[mk("y")], Some("key:1"))
            .await
            .unwrap()
            .inserted,
        1
    );
}

async fn events_alerts_audit_and_keys(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let now = t("2026-11-29T10:00:00Z");
    let cam = store.create_camera(&camera("A"), now).await.unwrap().id;
    let events: Vec<NewEvent> = (0..3)
        .map(|i| NewEvent {
            camera_id: cam,
            event_type: if i == 0 {
                "zone_enter".into()
            } else {
                "line_in".into()
            },
            event_data: json!({"i": i}),
            timestamp: now + Duration::seconds(i),
            confidence_score: None,
            severity: EventSeverity::Low,
            client_id: None,
        })
        .collect();
    store.insert_events(&events, None).await.unwrap();
    let f = EventFilter {
        camera_id: Some(cam),
        event_type: Some("line_in".into()),
        limit: 10,
        ..Default::default()
    };
    let listed = store.list_events(&f).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].event_data, json!({"i": 2}), "newest first");

    let u = store
        .create_user(&user("dave", Role::Admin), now)
        .await
        .unwrap();
    let alert = store
        .create_alert(
            "camera_offline",
            AlertSeverity::High,
            "Door offline",
            "no frames",
            &json!({}),
            Some("live"),
            Some(cam),
            now,
        )
        .await
        .unwrap();
    let open = AlertFilter {
        is_resolved: Some(false),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.list_alerts(&open).await.unwrap().len(), 1);
    let resolved = store.resolve_alert(alert.id, u.id, now).await.unwrap();
    assert_eq!(resolved.resolved_by, Some(u.id));
    assert!(store.list_alerts(&open).await.unwrap().is_empty());

    store
        .insert_audit(
            &[NewAudit {
                user_id: Some(u.id),
                action: "camera.update".into(),
                resource_type: "camera".into(),
                resource_id: Some(cam.to_string()),
                old_values: Some(json!({"name": "A"})),
                new_values: Some(json!({"name": "B"})),
                ..Default::default()
            }],
            now,
        )
        .await
        .unwrap();
    let audit = store
        .list_audit(&AuditFilter {
            user_id: Some(u.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].new_values.as_ref().unwrap().0,
        json!({"name": "B"})
    );

    let key = store
        .create_api_key(
            &NewApiKey {
                name: "beam".into(),
                key_prefix: "ff_abc".into(),
                key_hash: "hash".into(),
                camera_ids: vec![cam],
                created_by: Some(u.id),
            },
            now,
        )
        .await
        .unwrap();
    let used = store.use_api_key("hash", now).await.unwrap().unwrap();
    assert_eq!(
        (used.camera_ids.clone(), used.last_used_at),
        (vec![cam], Some(now))
    );
    store.revoke_api_key(key.id).await.unwrap();
    assert!(store.use_api_key("hash", now).await.unwrap().is_none());

    let m1 = store
        .create_ai_model(
            &NewAiModel {
                name: "yolox".into(),
                version: "nano".into(),
                model_path: "/m.onnx".into(),
                model_type: "yolox".into(),
                accuracy_score: None,
            },
            now,
        )
        .await
        .unwrap();
    let m2 = store
        .create_ai_model(
            &NewAiModel {
                name: "yolox".into(),
                version: "s".into(),
                model_path: "/s.onnx".into(),
                model_type: "yolox".into(),
                accuracy_score: Some(0.4),
            },
            now,
        )
        .await
        .unwrap();
    store.activate_ai_model(m1.id).await.unwrap();
    store.activate_ai_model(m2.id).await.unwrap();
    let active: Vec<i64> = store
        .list_ai_models()
        .await
        .unwrap()
        .iter()
        .filter(|m| m.is_active)
        .map(|m| m.id)
        .collect();
    assert_eq!(active, vec![m2.id]);
}

async fn hourly_query_uses_the_index(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let cam = store
        .create_camera(&camera("A"), Utc::now())
        .await
        .unwrap()
        .id;
    let plan = store
        .explain_hourly_query(cam, t("2026-01-01T00:00:00Z"), t("2026-02-01T00:00:00Z"))
        .await
        .unwrap();
    let plan_lower = plan.to_lowercase();
    match backend {
        // SQLite: "SEARCH counting_results_hourly USING INDEX sqlite_autoindex_..._1
        // (camera_id=? AND hour_start>? AND hour_start<?)": the primary key's index.
        Backend::Sqlite => assert!(
            plan_lower.contains("search")
                && plan_lower.contains("camera_id=? and hour_start>?")
                && !plan_lower.contains("scan"),
            "{plan}"
        ),
        // PostgreSQL: an index (or bitmap index) scan on the primary key, never a Seq Scan.
        Backend::Postgres => assert!(
            plan_lower.contains("index") && !plan_lower.contains("seq scan"),
            "{plan}"
        ),
    }
}

/// PostgreSQL cancels a statement past `statement_timeout` (reported as such), while
/// migrations run without the limit.
#[tokio::test]
async fn postgres_statements_time_out_but_migrations_do_not() {
    let db = TestDb::new(Backend::Postgres).await;
    let options = StoreOptions {
        statement_timeout: Some(std::time::Duration::from_millis(300)),
        ..Default::default()
    };
    let store = Store::connect(&db.url, &options).await.unwrap();
    store.migrate().await.expect("migrations are exempt");
    // Still limited after migrating (the migration connection went back reset).
    for _ in 0..3 {
        let err = store
            .execute_admin("SELECT pg_sleep(2)")
            .await
            .expect_err("cancelled after 300 ms");
        assert!(err.is_statement_timeout(), "{err}");
        assert!(
            err.is_transient(),
            "a timeout is worth a retry for the writer"
        );
    }
    store.execute_admin("SELECT pg_sleep(0.01)").await.unwrap();
    store.close().await;
}

/// Applies only the first migration of `backend` (an installation from before issue 10)
/// to the database at `url`, as sqlx would have recorded it then.
async fn database_at_migration_0001(backend: Backend, url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    std::fs::copy(
        format!(
            "{}/migrations/{name}/0001_init.sql",
            env!("CARGO_MANIFEST_DIR")
        ),
        dir.path().join("0001_init.sql"),
    )
    .unwrap();
    let migrator = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    match backend {
        Backend::Sqlite => {
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
                .await
                .unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// Issue 10: usernames and e-mails became unique without regard to case (migration
/// 0002). Accounts that were case-twins before it keep working: the oldest keeps its
/// name, later twins are renamed NAME~ID / dup-ID-EMAIL, nothing is deleted, and from
/// then on a new twin is refused.
async fn case_twins_from_before_0002_are_renamed_not_lost(backend: Backend) {
    let db = TestDb::new(backend).await;
    database_at_migration_0001(backend, &db.url).await;
    let old = Store::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(old.pending_migrations().await.unwrap(), 1);
    let now = Utc::now();
    let mut ids = Vec::new();
    for (name, email) in [
        ("Alice", "alice@example.com"),
        ("alice", "ALICE@example.com"),
        ("ALICE", "Alice@Example.com"),
        ("bob", "bob@example.com"),
    ] {
        let mut row = user(name, Role::User);
        row.email = email.into();
        ids.push(old.create_user(&row, now).await.unwrap().id);
    }
    old.close().await;

    let store = Store::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(store.migrate().await.unwrap(), 1, "0002 applied");
    let names: Vec<(String, String)> = {
        let mut v = Vec::new();
        for id in &ids {
            let u = store.user_by_id(*id).await.unwrap();
            v.push((u.username, u.email));
        }
        v
    };
    assert_eq!(
        names,
        [
            ("Alice".to_string(), "alice@example.com".to_string()),
            (
                format!("alice~{}", ids[1]),
                format!("dup-{}-ALICE@example.com", ids[1])
            ),
            (
                format!("ALICE~{}", ids[2]),
                format!("dup-{}-Alice@Example.com", ids[2])
            ),
            ("bob".to_string(), "bob@example.com".to_string()),
        ]
    );
    // A login by any spelling finds the oldest account; the renamed ones by their new
    // names.
    assert_eq!(
        store.user_by_login("aLiCe").await.unwrap().map(|u| u.id),
        Some(ids[0])
    );
    assert_eq!(
        store
            .user_by_login(&format!("alice~{}", ids[1]))
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ids[1])
    );
    // From now on a case-twin is refused, naming the field.
    let mut name_twin = user("BOB", Role::User);
    name_twin.email = "robert@example.com".into();
    let twin = store.create_user(&name_twin, now).await;
    assert!(
        matches!(twin, Err(StoreError::Conflict { field: "username" })),
        "{twin:?}"
    );
    let mut email_twin = user("carol", Role::User);
    email_twin.email = "BOB@example.com".into();
    let twin = store.create_user(&email_twin, now).await;
    assert!(
        matches!(twin, Err(StoreError::Conflict { field: "email" })),
        "{twin:?}"
    );
}
