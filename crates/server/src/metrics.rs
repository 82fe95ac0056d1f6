//! What the server counts for `/metrics` (requests, latencies, failed logins, dropped
//! log rows) and the background writer of performance and error log rows.

use footfall_store::{ErrorLog, PerformanceLog, Store};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Latency histogram bucket bounds, seconds.
const BUCKETS_S: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; 13],
    sum_s: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    pub logs_dropped: AtomicU64,
    pub logins_failed: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let key = (method.to_string(), route.to_string());
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((key.0.clone(), key.1.clone(), status))
            .or_default() += 1;
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = latency.entry(key).or_default();
        let s = elapsed.as_secs_f64();
        let slot = BUCKETS_S
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS_S.len());
        h.counts[slot] += 1;
        h.sum_s += s;
        h.count += 1;
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self, store: &Store) -> String {
        let mut out = String::new();
        out.push_str("# HELP footfall_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE footfall_http_requests_total counter\n");
        for ((method, route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "footfall_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP footfall_http_request_duration_seconds HTTP request latency by route.\n",
        );
        out.push_str("# TYPE footfall_http_request_duration_seconds histogram\n");
        for ((method, route), h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            let mut cumulative = 0;
            for (i, bound) in BUCKETS_S.iter().enumerate() {
                cumulative += h.counts[i];
                let _ = writeln!(
                    out,
                    "footfall_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "footfall_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "footfall_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum_s
            );
            let _ = writeln!(
                out,
                "footfall_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        let (size, idle) = store.pool_stats();
        out.push_str("# HELP footfall_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE footfall_db_pool_connections gauge\n");
        let _ = writeln!(out, "footfall_db_pool_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(
            out,
            "footfall_db_pool_connections{{state=\"in_use\"}} {}",
            size as usize - idle.min(size as usize)
        );
        out.push_str("# HELP footfall_log_rows_dropped_total performance/error log rows dropped because the writer was behind.\n");
        out.push_str("# TYPE footfall_log_rows_dropped_total counter\n");
        let _ = writeln!(
            out,
            "footfall_log_rows_dropped_total {}",
            self.logs_dropped.load(Ordering::Relaxed)
        );
        out.push_str("# HELP footfall_login_failures_total Failed login attempts.\n");
        out.push_str("# TYPE footfall_login_failures_total counter\n");
        let _ = writeln!(
            out,
            "footfall_login_failures_total {}",
            self.logins_failed.load(Ordering::Relaxed)
        );
        if let Some(usage) = footfall_live::usage::ProcessUsage::now() {
            let (cpu_s, rss) = (usage.cpu_s, usage.resident_bytes);
            out.push_str(
                "# HELP process_cpu_seconds_total User and system CPU time of this process.\n",
            );
            out.push_str("# TYPE process_cpu_seconds_total counter\n");
            let _ = writeln!(out, "process_cpu_seconds_total {cpu_s}");
            out.push_str("# HELP process_resident_memory_bytes Resident memory of this process.\n");
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

enum LogItem {
    Performance(PerformanceLog),
    Error(ErrorLog),
    Flush(oneshot::Sender<()>),
}

/// Queue in front of the background task that writes log rows in batches (every
/// second or every 500 rows). A full queue drops rows (counted in metrics) rather than
/// slowing requests down.
#[derive(Clone)]
pub struct LogWriter {
    tx: mpsc::Sender<LogItem>,
}

impl LogWriter {
    pub fn spawn(store: Store) -> LogWriter {
        let (tx, mut rx) = mpsc::channel::<LogItem>(10_000);
        tokio::spawn(async move {
            let mut perf = Vec::new();
            let mut errors = Vec::new();
            let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
            loop {
                let item = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await;
                let closed = matches!(item, Ok(None));
                let timed_out = item.is_err();
                match item {
                    Ok(Some(LogItem::Performance(p))) => perf.push(p),
                    Ok(Some(LogItem::Error(e))) => errors.push(e),
                    Ok(Some(LogItem::Flush(done))) => waiting.push(done),
                    Ok(None) | Err(_) => {}
                }
                let due = closed || !waiting.is_empty() || perf.len() >= 500 || timed_out;
                if due {
                    if !perf.is_empty() {
                        if let Err(e) = store.insert_performance_logs(&perf).await {
                            tracing::warn!(error = %e, rows = perf.len(), "performance_logs not written");
                        }
                        perf.clear();
                    }
                    if !errors.is_empty() {
                        if let Err(e) = store.insert_error_logs(&errors).await {
                            tracing::warn!(error = %e, rows = errors.len(), "error_logs not written");
                        }
                        errors.clear();
                    }
                    for done in waiting.drain(..) {
                        let _ = done.send(());
                    }
                }
                if closed {
                    break;
                }
            }
        });
        LogWriter { tx }
    }

    pub fn performance(&self, row: PerformanceLog, metrics: &Metrics) {
        if self.tx.try_send(LogItem::Performance(row)).is_err() {
            metrics.logs_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn error(&self, row: ErrorLog, metrics: &Metrics) {
        if self.tx.try_send(LogItem::Error(row)).is_err() {
            metrics.logs_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until everything queued so far is written (shutdown, tests).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(LogItem::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}
