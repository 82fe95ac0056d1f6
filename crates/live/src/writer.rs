//! Stores what the cameras produce, in batches, without ever losing it.
//!
//! Results and events are collected for up to a second (or 500 items) and written in one
//! transaction. What happens when the database refuses a batch depends on why:
//!
//! - **Transient** (connection lost, pool timeout, server down, disk full): the batch goes
//!   to the spill file (one JSON line per batch, append-only, fsynced) and every later
//!   batch follows it there, so order is kept; every few seconds the file is replayed from
//!   the top and truncated once all of it is stored.
//! - **Permanent** (a constraint or a value refused: retrying the same rows fails
//!   forever): the batch is stored row by row, and only the rows refused are set aside in
//!   the dead-letter file (one JSON line per row with the error; counted in
//!   `footfall_rows_dead_lettered_total`, logged to error_logs), so one bad row never
//!   blocks the rows after it, live or on replay.
//!
//! Every result and event carries a client id (run id + number, the engine's event id, or
//! a status event's own id), so a batch stored just before a failure is recognised on
//! replay and not stored twice. Live clients get events and count changes the moment they
//! arrive (frame-to-browser latency), independently of storage.

use crate::message::{LiveUpdate, StatusUpdate};
use crate::runner::Output;
use crate::service::CameraService;
use footfall_store::{CameraStatus, ErrorLog, ErrorSeverity, EventSeverity, NewEvent, NewResult};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

/// The idempotency source of everything the live service writes.
const SOURCE: &str = "live";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Batch {
    pub results: Vec<NewResult>,
    pub events: Vec<NewEvent>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.results.is_empty() && self.events.is_empty()
    }
    fn len(&self) -> usize {
        self.results.len() + self.events.len()
    }
}

/// One row the database refused for good, as written to the dead-letter file.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeadLetter {
    pub at: chrono::DateTime<chrono::Utc>,
    pub error: String,
    #[serde(flatten)]
    pub row: Row,
}

/// One row of a batch, stored on its own when the batch as a whole was refused.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "row", rename_all = "snake_case")]
pub enum Row {
    Result(NewResult),
    Event(NewEvent),
}

impl Row {
    fn camera_id(&self) -> i64 {
        match self {
            Row::Result(r) => r.camera_id,
            Row::Event(e) => e.camera_id,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Row::Result(_) => "result",
            Row::Event(_) => "event",
        }
    }

    async fn insert(
        &self,
        store: &footfall_store::Store,
    ) -> Result<(), footfall_store::StoreError> {
        match self {
            Row::Result(r) => {
                store
                    .insert_results(std::slice::from_ref(r), Some(SOURCE))
                    .await
            }
            Row::Event(e) => {
                store
                    .insert_events(std::slice::from_ref(e), Some(SOURCE))
                    .await
            }
        }
        .map(drop)
    }

    fn push_into(self, batch: &mut Batch) {
        match self {
            Row::Result(r) => batch.results.push(r),
            Row::Event(e) => batch.events.push(e),
        }
    }
}

/// Where a batch ended up when it could not be stored whole.
enum Stored {
    /// Every row is stored, or set aside in the dead-letter file.
    Done,
    /// The database is unavailable: these rows (the batch, or what is left of it) must
    /// wait in the spill file.
    Retry(Batch),
}

pub struct Writer {
    service: Arc<CameraService>,
    spill: PathBuf,
    dead_letter: PathBuf,
    /// Each camera's latest status as the writer passed it on, to restore once rows of
    /// the camera are no longer being lost.
    statuses: std::sync::Mutex<std::collections::HashMap<i64, (CameraStatus, Option<String>)>>,
    /// Cameras whose rows are being lost (database unavailable, spill file unwritable):
    /// their live status says so until a batch is kept again.
    losing: std::sync::Mutex<std::collections::BTreeSet<i64>>,
}

impl Writer {
    pub fn new(service: Arc<CameraService>) -> Writer {
        Writer {
            spill: service.spill_file(),
            dead_letter: service.dead_letter_file(),
            service,
            statuses: Default::default(),
            losing: Default::default(),
        }
    }

    /// Runs until every sender is gone, then writes (or spills) what is left.
    pub async fn run(self, mut rx: Receiver<Output>) {
        let mut batch = Batch::default();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut replay_due = tokio::time::Instant::now();
        loop {
            tokio::select! {
                item = rx.recv() => match item {
                    Some(Output::Result(r)) => batch.results.push(r),
                    Some(Output::Events(mut e)) => {
                        // Live clients get events at once; storage follows in the batch.
                        self.service.hub.publish_events(&e, self.service.clock.now());
                        batch.events.append(&mut e);
                    }
                    Some(Output::Live { camera_id, update }) => {
                        self.service.hub.publish(Some(camera_id), self.service.clock.now(), LiveUpdate::Count(update));
                    }
                    Some(Output::Status { camera_id, status, reason }) => {
                        // Status changes are rare: stored and published at once (after
                        // what the camera counted before the change).
                        self.flush(&mut batch).await;
                        self.status(camera_id, status, reason).await;
                    }
                    Some(Output::Checkpoint { camera_id, file, saved }) => {
                        // The rows before it are in `batch`, none after it: store them,
                        // then the checkpoint, so the file matches the database.
                        self.flush(&mut batch).await;
                        if let Err(e) = crate::runner::write_checkpoint(&file, &saved) {
                            tracing::warn!(camera_id, error = %e, file = %file.display(),
                                "engine checkpoint not written; a crash now would resume from the previous one");
                        }
                    }
                    Some(Output::Drained(done)) => {
                        // Everything sent before this is stored (or spilled) now.
                        self.flush(&mut batch).await;
                        let _ = done.send(());
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    if tokio::time::Instant::now() >= replay_due
                        && self.has_spill()
                        && !self.replay().await
                    {
                        replay_due = tokio::time::Instant::now() + Duration::from_secs(5);
                    }
                    self.flush(&mut batch).await;
                }
            }
            if batch.len() >= 500 {
                self.flush(&mut batch).await;
            }
        }
        self.flush(&mut batch).await;
        if self.has_spill() {
            self.replay().await;
        }
    }

    fn has_spill(&self) -> bool {
        std::fs::metadata(&self.spill).is_ok_and(|m| m.len() > 0)
    }

    /// Stores the batch (or, while the spill file is not empty or the database is
    /// unavailable, spills it).
    async fn flush(&self, batch: &mut Batch) {
        if batch.is_empty() {
            return;
        }
        let taken = std::mem::take(batch);
        let left = if self.has_spill() {
            taken
        } else {
            match self.store(taken).await {
                Stored::Done => {
                    self.stopped_losing();
                    return;
                }
                Stored::Retry(left) => left,
            }
        };
        if self.spill_batch(&left) {
            self.stopped_losing();
        }
    }

    /// The cameras of a lost batch turn `error` on the live view (the database is down:
    /// nothing can be stored), with the reason, so an operator sees it at once.
    fn losing_rows(&self, batch: &Batch, why: &str) {
        let cameras: std::collections::BTreeSet<i64> = (batch.results.iter().map(|r| r.camera_id))
            .chain(batch.events.iter().map(|e| e.camera_id))
            .collect();
        let mut losing = self.losing.lock().unwrap_or_else(|p| p.into_inner());
        for camera_id in cameras {
            if losing.insert(camera_id) {
                let now = self.service.clock.now();
                let reason = Some(why.to_string());
                self.service
                    .hub
                    .publish_status(camera_id, now, CameraStatus::Error, reason);
            }
        }
    }

    /// Rows are kept again: cameras that were losing rows get their own status back.
    fn stopped_losing(&self) {
        let recovered = std::mem::take(&mut *self.losing.lock().unwrap_or_else(|p| p.into_inner()));
        let statuses = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        for camera_id in recovered {
            let (status, reason) = statuses
                .get(&camera_id)
                .cloned()
                .unwrap_or((CameraStatus::Online, None));
            let now = self.service.clock.now();
            self.service
                .hub
                .publish_status(camera_id, now, status, reason);
        }
    }

    /// Appends the batch to the spill file; false when it could not (the rows are lost).
    fn spill_batch(&self, batch: &Batch) -> bool {
        let metrics = &self.service.metrics;
        match append_line(&self.spill, batch) {
            Ok(()) => {
                metrics
                    .rows_spilled
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::warn!(
                    results = batch.results.len(),
                    events = batch.events.len(),
                    "database unavailable; batch spilled"
                );
                true
            }
            Err(e) => {
                // Nothing more can be done; say exactly what is lost, where an operator
                // looks (metric, log; the database is down, so no error_logs row).
                metrics
                    .rows_lost
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::error!(error = %e, results = batch.results.len(), events = batch.events.len(),
                    spill = %self.spill.display(), "batch lost: database unavailable and spill file not writable");
                self.losing_rows(
                    batch,
                    &format!(
                        "counts are being lost: the database is unavailable and the spill file {} cannot be written ({e})",
                        self.spill.display()
                    ),
                );
                false
            }
        }
    }

    /// Stores a batch in one transaction. When the database refuses it for good, stores
    /// it row by row and sets aside only the rows refused; when the database is
    /// unavailable, returns what is left to store later.
    async fn store(&self, batch: Batch) -> Stored {
        // Nothing is published here: live clients got these events and the count
        // changes when they arrived (see `run`); publishing again would show every
        // event twice and add each interval's in / out to the live totals a second time.
        let store = &self.service.store;
        let error = match store
            .insert_batch(&batch.events, &batch.results, Some(SOURCE))
            .await
        {
            Ok(_) => return Stored::Done,
            Err(e) if e.is_transient() => return Stored::Retry(batch),
            Err(e) => e,
        };
        tracing::warn!(error = %error, rows = batch.len(), "batch refused; storing it row by row");
        // Once the database turns unavailable (`left` has rows), the rest waits unread.
        let mut left = Batch::default();
        let rows = (batch.events.into_iter().map(Row::Event))
            .chain(batch.results.into_iter().map(Row::Result));
        for row in rows {
            if !left.is_empty() {
                row.push_into(&mut left);
                continue;
            }
            match row.insert(store).await {
                Ok(()) => {}
                Err(e) if e.is_transient() => row.push_into(&mut left),
                Err(e) => self.dead_letter(row, &e).await,
            }
        }
        if left.is_empty() {
            Stored::Done
        } else {
            Stored::Retry(left)
        }
    }

    /// Sets a refused row aside: dead-letter file, metric, error log row.
    async fn dead_letter(&self, row: Row, error: &footfall_store::StoreError) {
        let now = self.service.clock.now();
        let (camera_id, kind) = (row.camera_id(), row.kind());
        let letter = DeadLetter {
            at: now,
            error: error.to_string(),
            row,
        };
        if let Err(e) = append_line(&self.dead_letter, &letter) {
            tracing::error!(error = %e, file = %self.dead_letter.display(), camera_id, kind,
                "refused row lost: dead-letter file not writable");
        }
        self.service
            .metrics
            .rows_dead_lettered
            .fetch_add(1, Ordering::Relaxed);
        tracing::error!(camera_id, kind, error = %error, file = %self.dead_letter.display(),
            "row refused by the database; set aside in the dead-letter file");
        // The database is up (it just answered): the error_logs row goes straight in.
        let log = ErrorLog {
            timestamp: now,
            service: "live".into(),
            error_type: "row_dead_lettered".into(),
            error_message: error.to_string(),
            context: serde_json::json!({"kind": kind, "file": self.dead_letter.display().to_string()}),
            user_id: None,
            camera_id: Some(camera_id),
            severity: ErrorSeverity::High,
        };
        if let Err(e) = self.service.store.insert_error_logs(&[log]).await {
            tracing::warn!(error = %e, "error_logs row of a dead letter not written");
        }
    }

    /// Replays the spill file in order; true when it is empty afterwards. Rows the
    /// database refuses for good are set aside, so replay never stalls on them.
    async fn replay(&self) -> bool {
        let batches = match read_spill(&self.spill) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, spill = %self.spill.display(), "spill file unreadable");
                return false;
            }
        };
        let total = batches.len();
        let mut batches = batches.into_iter();
        while let Some(batch) = batches.next() {
            if let Stored::Retry(left) = self.store(batch).await {
                let rest: Vec<Batch> = std::iter::once(left).chain(batches).collect();
                tracing::debug!(
                    left = rest.len(),
                    "replay paused; database still unavailable"
                );
                if let Err(e) = rewrite_spill(&self.spill, &rest) {
                    // The old file is still whole; a later replay stores its head again
                    // and the client ids keep that from counting twice.
                    tracing::warn!(error = %e, "spill file not rewritten");
                }
                return false;
            }
        }
        let _ = std::fs::remove_file(&self.spill);
        tracing::info!(batches = total, "spilled results replayed");
        true
    }

    async fn status(&self, camera_id: i64, status: CameraStatus, reason: Option<String>) {
        self.statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(camera_id, (status, reason.clone()));
        let now = self.service.clock.now();
        if let Err(e) = self
            .service
            .store
            .set_camera_status(camera_id, status, now)
            .await
        {
            tracing::warn!(camera_id, error = %e, "camera status not stored");
        }
        let event = NewEvent {
            camera_id,
            event_type: "status_change".into(),
            event_data: serde_json::json!({"status": status, "reason": reason}),
            timestamp: now,
            confidence_score: None,
            severity: if status == CameraStatus::Error {
                EventSeverity::High
            } else {
                EventSeverity::Low
            },
            // Its own id, kept in the spill file: a replay never stores it twice.
            client_id: Some(format!("status/{camera_id}/{}", uuid::Uuid::new_v4())),
        };
        let mut batch = Batch {
            results: Vec::new(),
            events: vec![event],
        };
        self.flush(&mut batch).await;
        let update = LiveUpdate::CameraStatus(StatusUpdate { status, reason });
        self.service.hub.publish(Some(camera_id), now, update);
    }
}

/// Appends one JSON line and syncs it to disk.
fn append_line(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    file.write_all(&line)?;
    file.sync_data()
}

/// Every complete line of the spill file (a torn last line from a crash is skipped).
fn read_spill(path: &Path) -> std::io::Result<Vec<Batch>> {
    let file = std::fs::File::open(path)?;
    let mut batches = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        match serde_json::from_str(&line?) {
            Ok(b) => batches.push(b),
            Err(e) => tracing::warn!(error = %e, "skipping a torn spill line"),
        }
    }
    Ok(batches)
}

fn rewrite_spill(path: &Path, rest: &[Batch]) -> std::io::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        for b in rest {
            let mut line = serde_json::to_vec(b).map_err(std::io::Error::other)?;
            line.push(b'\n');
            file.write_all(&line)?;
        }
        file.sync_data()?;
    }
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spill_round_trips_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.jsonl");
        let at = chrono::Utc::now();
        for i in 0..3 {
            let mut r = NewResult::counts(1, at, i, 1, 0);
            r.client_id = Some(format!("run/result/{i}"));
            append_line(
                &path,
                &Batch {
                    results: vec![r],
                    events: Vec::new(),
                },
            )
            .unwrap();
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"results\": [")
            .unwrap();
        let batches = read_spill(&path).unwrap();
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[2].results[0].people_count, 2);
        rewrite_spill(&path, &batches[1..]).unwrap();
        assert_eq!(read_spill(&path).unwrap().len(), 2);
    }
}
