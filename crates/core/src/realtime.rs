//! The in-process realtime hub: fans each committed event out to every live connection of its
//! recipient. Delivery here is best effort by design; the event streams in the store are the
//! record, and a connection that falls behind is closed so its client resumes from the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use clearline_domain::{Event, UserId};
use clearline_store::Delivery;
use tokio::sync::mpsc;

/// How many undelivered events a connection may hold before it is dropped.
pub const CONNECTION_BUFFER: usize = 256;

/// Events travel shared: a channel preallocates a block of 32 slots per connection, so a slot
/// is a pointer rather than a whole event, and fanning out to many connections copies nothing.
type Senders = HashMap<UserId, Vec<(u64, mpsc::Sender<Arc<Event>>)>>;

/// Routes events to the live connections of their recipients.
#[derive(Default, Clone)]
pub struct Hub {
    inner: Arc<Mutex<Senders>>,
    next_id: Arc<AtomicU64>,
}

impl Hub {
    /// Registers a live connection of `user`.
    pub fn subscribe(&self, user: UserId) -> Subscription {
        let (tx, rx) = mpsc::channel(CONNECTION_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).entry(user).or_default().push((id, tx));
        Subscription { hub: self.clone(), user, id, events: rx }
    }

    /// Hands each event to its recipient's connections; a full or closed one is dropped.
    pub fn publish(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        for (user, event) in deliveries {
            if let Some(conns) = map.get_mut(&user) {
                let event = Arc::new(event);
                conns.retain(|(_, tx)| tx.try_send(event.clone()).is_ok());
                if conns.is_empty() {
                    map.remove(&user);
                }
            }
        }
    }

    fn unsubscribe(&self, user: UserId, id: u64) {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(conns) = map.get_mut(&user) {
            conns.retain(|(i, _)| *i != id);
            if conns.is_empty() {
                map.remove(&user);
            }
        }
    }
}

/// One live connection's feed. Dropping it unregisters the connection.
pub struct Subscription {
    hub: Hub,
    user: UserId,
    id: u64,
    events: mpsc::Receiver<Arc<Event>>,
}

impl Subscription {
    /// The next event; `None` once the hub dropped this connection for falling behind.
    pub async fn next(&mut self) -> Option<Arc<Event>> {
        self.events.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(self.user, self.id);
    }
}
