//! Stores what the cameras produce, in batches, without ever losing it.
//!
//! Results and events are collected for up to a second (or 500 items) and written in one
//! transaction each. When the database refuses a batch, the batch goes to the spill file
//! (one JSON line per batch, append-only, fsynced) and every later batch follows it there,
//! so order is kept; every few seconds the file is replayed from the top and truncated
//! once all of it is stored. Every result and event carries a client id (run id + number,
//! or the engine's event id), so a batch stored just before a failure is recognised on
//! replay and not stored twice. Live clients get events and count changes the moment
//! they arrive (frame-to-browser latency), independently of storage.

use super::runner::Output;
use crate::state::AppState;
use footfall_store::{CameraStatus, EventSeverity, NewEvent, NewResult};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
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

pub struct Writer {
    state: AppState,
    spill: PathBuf,
}

impl Writer {
    pub fn new(state: AppState, spill: PathBuf) -> Writer {
        Writer { state, spill }
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
                        crate::routes::live::publish_events(&self.state, &e.iter().collect::<Vec<_>>());
                        batch.events.append(&mut e);
                    }
                    Some(Output::Live { camera_id, frame_at, counts }) => {
                        let mut data = serde_json::to_value(&counts).unwrap_or_default();
                        if let Some(frame_at) = frame_at {
                            data["frame_at"] = serde_json::json!(frame_at);
                        }
                        self.state.live.publish(crate::live::Kind::Count, Some(camera_id), self.state.clock.now(), data);
                    }
                    Some(Output::Status { camera_id, status, reason }) => {
                        // Status changes are rare: stored and published at once (after
                        // what the camera counted before the change).
                        self.flush(&mut batch).await;
                        self.status(camera_id, status, reason).await;
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

    /// Stores (or, while the spill file is not empty or the database fails, spills) the
    /// batch; publishes what was stored.
    async fn flush(&self, batch: &mut Batch) {
        if batch.is_empty() {
            return;
        }
        let taken = std::mem::take(batch);
        if self.has_spill() || self.store(&taken).await.is_err() {
            if let Err(e) = append_spill(&self.spill, &taken) {
                // Nothing more can be done; say exactly what is lost.
                tracing::error!(error = %e, results = taken.results.len(), events = taken.events.len(),
                    spill = %self.spill.display(), "batch lost: database down and spill file not writable");
            } else {
                tracing::warn!(
                    results = taken.results.len(),
                    events = taken.events.len(),
                    "database unavailable; batch spilled"
                );
            }
        }
    }

    async fn store(&self, batch: &Batch) -> Result<(), footfall_store::StoreError> {
        // Nothing is published here: live clients got these events and the count
        // changes when they arrived (see `run`); publishing again would show every
        // event twice and add each interval's in / out to the live totals a second time.
        let store = &self.state.store;
        store.insert_events(&batch.events, Some(SOURCE)).await?;
        store.insert_results(&batch.results, Some(SOURCE)).await?;
        Ok(())
    }

    /// Replays the spill file in order; true when it is empty afterwards.
    async fn replay(&self) -> bool {
        let batches = match read_spill(&self.spill) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, spill = %self.spill.display(), "spill file unreadable");
                return false;
            }
        };
        for (done, batch) in batches.iter().enumerate() {
            if let Err(e) = self.store(batch).await {
                tracing::debug!(error = %e, left = batches.len() - done, "replay paused; database still unavailable");
                if done > 0 {
                    let _ = rewrite_spill(&self.spill, &batches[done..]);
                }
                return false;
            }
        }
        let _ = std::fs::remove_file(&self.spill);
        tracing::info!(batches = batches.len(), "spilled results replayed");
        true
    }

    async fn status(&self, camera_id: i64, status: CameraStatus, reason: Option<String>) {
        let now = self.state.clock.now();
        if let Err(e) = self
            .state
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
            client_id: None,
        };
        let mut batch = Batch {
            results: Vec::new(),
            events: vec![event],
        };
        self.flush(&mut batch).await;
        self.state.live.publish(
            crate::live::Kind::CameraStatus,
            Some(camera_id),
            now,
            serde_json::json!({"status": status, "reason": reason}),
        );
    }
}

fn append_spill(path: &Path, batch: &Batch) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_vec(batch).map_err(std::io::Error::other)?;
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
            append_spill(
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
