//! Detector inference shared by many cameras.
//!
//! A [`DetectorPool`] runs a fixed number of inference threads (one per core by default),
//! each with its own ONNX Runtime session per model configuration, fed from one bounded
//! first-in-first-out queue. Every camera holds a [`PooledDetector`], a
//! [`Detector`] that puts its frame in the queue and waits for the answer. A camera has at
//! most one frame in the queue at a time (it waits), so a queue served in arrival order
//! serves the cameras in turn: none can starve the others, however fast its stream.
//! Cameras that produce frames faster than their turn comes drop frames at their source
//! and count them (`footfall_source::FfmpegConfig::drop_when_behind`).
//!
//! Why share: N cameras with a session each would run N inference threads on a machine
//! with far fewer cores, every one slowed by the others, and hold N copies of the model's
//! working memory; the pool keeps inference at one thread per core.

use crate::{DetectError, DetectorConfig, OrtDetector, Timing};
use footfall_core::detection::{Detection, Detector};
use footfall_core::frame::Frame;
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One frame to run, and where its answer goes.
struct Job {
    config: Arc<DetectorConfig>,
    key: Arc<str>,
    frame: Frame,
    queued_at: Instant,
    reply: SyncSender<Answer>,
}

struct Answer {
    detections: Result<Vec<Detection>, DetectError>,
    timing: Timing,
    waited: Duration,
}

/// Sessions already loaded by a camera while checking its configuration, handed to the
/// first inference thread that needs one (so a model is not loaded twice for nothing),
/// per configuration.
type Spares = Arc<Mutex<HashMap<Arc<str>, SpareSessions>>>;

#[derive(Default)]
struct SpareSessions {
    /// Loaded, not yet taken by an inference thread.
    waiting: Vec<OrtDetector>,
    /// Inference threads that hold a session of this configuration.
    taken: usize,
}

/// Inference threads shared by every camera of this process.
pub struct DetectorPool {
    queue: SyncSender<Job>,
    spares: Spares,
    threads: usize,
}

impl std::fmt::Debug for DetectorPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetectorPool")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl DetectorPool {
    /// Starts `threads` inference threads (at least one) behind a queue of at most
    /// `queue_capacity` frames (at least one; a camera waits for room when it is full).
    pub fn new(threads: usize, queue_capacity: usize) -> DetectorPool {
        let threads = threads.max(1);
        let (queue, jobs) = sync_channel::<Job>(queue_capacity.max(1));
        let jobs = Arc::new(Mutex::new(jobs));
        let spares: Spares = Arc::default();
        for i in 0..threads {
            let jobs = Arc::clone(&jobs);
            let spares = Arc::clone(&spares);
            std::thread::Builder::new()
                .name(format!("inference-{i}"))
                .spawn(move || serve(jobs, spares))
                .expect("spawning an inference thread");
        }
        DetectorPool {
            queue,
            spares,
            threads,
        }
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Sessions loaded but not yet taken by an inference thread (bounded by the threads
    /// per configuration).
    pub fn spare_sessions(&self) -> usize {
        self.spares
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|s| s.waiting.len())
            .sum()
    }

    /// A detector for one camera. Loads the model once here, so a bad model or library
    /// is reported to the camera at once rather than at its first frame.
    pub fn detector(&self, config: &DetectorConfig) -> Result<PooledDetector, DetectError> {
        let loaded = OrtDetector::new(config)?;
        let input_size = loaded.input_size();
        let key: Arc<str> = format!("{config:?}").into();
        {
            let mut spares = self.spares.lock().unwrap_or_else(|p| p.into_inner());
            let spare = spares.entry(Arc::clone(&key)).or_default();
            // Kept only while some inference thread may still need it: at most one
            // session per thread and configuration, however often cameras restart.
            if spare.taken + spare.waiting.len() < self.threads {
                spare.waiting.push(loaded);
            }
        }
        Ok(PooledDetector {
            queue: self.queue.clone(),
            config: Arc::new(config.clone()),
            key,
            input_size,
            last_timing: Timing::default(),
            last_wait: Duration::ZERO,
        })
    }
}

/// One inference thread: takes jobs in arrival order until every sender is gone.
fn serve(jobs: Arc<Mutex<Receiver<Job>>>, spares: Spares) {
    let mut sessions: HashMap<Arc<str>, OrtDetector> = HashMap::new();
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let job = match jobs.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let waited = job.queued_at.elapsed();
        if !sessions.contains_key(&job.key) {
            let spare = {
                let mut spares = spares.lock().unwrap_or_else(|p| p.into_inner());
                let entry = spares.entry(Arc::clone(&job.key)).or_default();
                entry.taken += 1;
                entry.waiting.pop()
            };
            let session = match spare {
                Some(s) => s,
                None => match OrtDetector::new(&job.config) {
                    Ok(s) => s,
                    Err(e) => {
                        if let Some(entry) = spares
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_mut(&job.key)
                        {
                            entry.taken -= 1;
                        }
                        let _ = job.reply.send(Answer {
                            detections: Err(e),
                            timing: Timing::default(),
                            waited,
                        });
                        continue;
                    }
                },
            };
            sessions.insert(Arc::clone(&job.key), session);
        }
        let session = sessions.get_mut(&job.key).expect("inserted above");
        let detections = session.detect(&job.frame);
        // The camera may have stopped waiting (shut down): nothing to do then.
        let _ = job.reply.send(Answer {
            detections,
            timing: session.last_timing(),
            waited,
        });
    }
}

/// A camera's handle on the pool.
pub struct PooledDetector {
    queue: SyncSender<Job>,
    config: Arc<DetectorConfig>,
    key: Arc<str>,
    input_size: (u32, u32),
    last_timing: Timing,
    last_wait: Duration,
}

impl PooledDetector {
    /// Pre-processing, inference and post-processing times of the last frame.
    pub fn last_timing(&self) -> Timing {
        self.last_timing
    }

    /// How long the last frame waited in the queue for an inference thread.
    pub fn last_wait(&self) -> Duration {
        self.last_wait
    }
}

impl Detector for PooledDetector {
    type Error = DetectError;

    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, DetectError> {
        // A fresh reply channel per frame: if the job is ever dropped unanswered, the
        // wait below ends with an error instead of hanging the camera.
        let (reply, answer) = sync_channel(1);
        let job = Job {
            config: Arc::clone(&self.config),
            key: Arc::clone(&self.key),
            // A copy at detector resolution (~0.3 MB, tens of microseconds): the camera
            // keeps its frame for drawing while the pool works on this one.
            frame: frame.clone(),
            queued_at: Instant::now(),
            reply,
        };
        self.queue.send(job).map_err(|_| DetectError::PoolClosed)?;
        let answer = answer.recv().map_err(|_| DetectError::PoolClosed)?;
        self.last_timing = answer.timing;
        self.last_wait = answer.waited;
        answer.detections
    }

    fn input_size(&self) -> (u32, u32) {
        self.input_size
    }
}
