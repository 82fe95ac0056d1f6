//! How many live streams (WebSockets, MJPEG viewers) and stream probes are open:
//! [`StreamSlots`] caps them per user, in total and per camera, so one client cannot hold
//! every connection or encoder.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a stream slot is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotKey {
    WebSocketsTotal,
    WebSocketsOfUser(i64),
    MjpegViewersOfCamera(i64),
    ProbesTotal,
    ProbesOfUser(i64),
}

/// Counters of open streams.
#[derive(Default)]
pub struct StreamSlots {
    open: Mutex<HashMap<SlotKey, usize>>,
}

/// One open stream; frees its slots when dropped.
pub struct Slot {
    slots: Arc<StreamSlots>,
    keys: Vec<SlotKey>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

impl StreamSlots {
    /// Takes one slot under every `(key, limit)`, all or none; on refusal, the key that
    /// is full. A limit of 0 means unlimited.
    pub fn acquire(self: &Arc<Self>, wanted: &[(SlotKey, usize)]) -> Result<Slot, SlotKey> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((key, _)) = wanted
            .iter()
            .find(|(key, limit)| *limit > 0 && open.get(key).copied().unwrap_or(0) >= *limit)
        {
            return Err(*key);
        }
        for (key, _) in wanted {
            *open.entry(*key).or_default() += 1;
        }
        Ok(Slot {
            slots: self.clone(),
            keys: wanted.iter().map(|(key, _)| *key).collect(),
        })
    }

    /// Streams open under `key`.
    pub fn count(&self, key: SlotKey) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_all_or_none_and_freed_on_drop() {
        let slots = Arc::new(StreamSlots::default());
        let want = |user| {
            [
                (SlotKey::WebSocketsTotal, 3),
                (SlotKey::WebSocketsOfUser(user), 2),
            ]
        };
        let a1 = slots.acquire(&want(1)).unwrap();
        let _a2 = slots.acquire(&want(1)).unwrap();
        assert_eq!(
            slots.acquire(&want(1)).err(),
            Some(SlotKey::WebSocketsOfUser(1))
        );
        assert_eq!(
            slots.count(SlotKey::WebSocketsTotal),
            2,
            "refusal took nothing"
        );
        let _b1 = slots.acquire(&want(2)).unwrap();
        assert_eq!(
            slots.acquire(&want(2)).err(),
            Some(SlotKey::WebSocketsTotal)
        );
        drop(a1);
        assert!(slots.acquire(&want(2)).is_ok(), "a freed slot is reusable");
        assert_eq!(slots.count(SlotKey::WebSocketsOfUser(1)), 1);
        let unlimited = [(SlotKey::MjpegViewersOfCamera(7), 0)];
        let held: Vec<_> = (0..50)
            .map(|_| slots.acquire(&unlimited).unwrap())
            .collect();
        assert_eq!(slots.count(SlotKey::MjpegViewersOfCamera(7)), 50);
        drop(held);
        assert_eq!(slots.count(SlotKey::MjpegViewersOfCamera(7)), 0);
    }
}
