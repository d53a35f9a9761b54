//! The in-process realtime hub: fans each committed event out to every live connection of its
//! recipient, and ends the connections of a session when it is revoked. Delivery here is best
//! effort by design; the event streams in the store are the record, and a connection that falls
//! behind is closed so its client resumes from the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use clearline_domain::{Event, SessionId, UserId};
use clearline_store::Delivery;
use tokio::sync::mpsc;

/// How many undelivered events a connection may hold before it is dropped.
pub const CONNECTION_BUFFER: usize = 256;

/// One live connection as the hub holds it. Events travel shared: a channel preallocates a
/// block of 32 slots per connection, so a slot is a pointer rather than a whole event, and
/// fanning out to many connections copies nothing.
struct Connection {
    id: u64,
    session: SessionId,
    ended: Arc<AtomicBool>,
    tx: mpsc::Sender<Arc<Event>>,
}

type Connections = HashMap<UserId, Vec<Connection>>;

/// Routes events to the live connections of their recipients.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Mutex<Connections>>,
    next_id: Arc<AtomicU64>,
    per_user: usize,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new(u32::MAX)
    }
}

impl Hub {
    /// A hub holding at most `per_user` live connections of any one person.
    pub fn new(per_user: u32) -> Self {
        let per_user = usize::try_from(per_user).unwrap_or(usize::MAX).max(1);
        Self { inner: Arc::default(), next_id: Arc::default(), per_user }
    }

    /// Whether `user` may open one more live connection.
    pub fn has_room(&self, user: UserId) -> bool {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).get(&user).is_none_or(|c| c.len() < self.per_user)
    }

    /// Registers a live connection of `user` opened with `session`; `None` if they already
    /// hold as many as a person may.
    pub fn subscribe(&self, user: UserId, session: SessionId) -> Option<Subscription> {
        let (tx, rx) = mpsc::channel(CONNECTION_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let ended = Arc::new(AtomicBool::new(false));
        let conn = Connection { id, session, ended: ended.clone(), tx };
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let conns = map.entry(user).or_default();
        if conns.len() >= self.per_user {
            return None;
        }
        conns.push(conn);
        Some(Subscription { hub: self.clone(), user, id, ended, events: rx })
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
                conns.retain(|c| c.tx.try_send(event.clone()).is_ok());
                if conns.is_empty() {
                    map.remove(&user);
                }
            }
        }
    }

    /// Ends every live connection opened with `session`: their feeds stop and say so.
    pub fn end_session(&self, user: UserId, session: SessionId) {
        self.remove(user, |c| c.session == session);
    }

    fn remove(&self, user: UserId, which: impl Fn(&Connection) -> bool) {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(conns) = map.get_mut(&user) {
            conns.retain(|c| {
                let gone = which(c);
                if gone {
                    c.ended.store(true, Ordering::Release);
                }
                !gone
            });
            if conns.is_empty() {
                map.remove(&user);
            }
        }
    }
}

/// Why a connection's feed stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedEnd {
    /// It fell [`CONNECTION_BUFFER`] events behind; the client resumes from the store.
    FellBehind,
    /// Its session was revoked or signed out; the client must not reconnect with it.
    SessionEnded,
}

/// One live connection's feed. Dropping it unregisters the connection.
pub struct Subscription {
    hub: Hub,
    user: UserId,
    id: u64,
    ended: Arc<AtomicBool>,
    events: mpsc::Receiver<Arc<Event>>,
}

impl Subscription {
    /// The next event, or why the hub stopped this connection's feed.
    pub async fn next(&mut self) -> Result<Arc<Event>, FeedEnd> {
        match self.events.recv().await {
            Some(event) if !self.ended.load(Ordering::Acquire) => Ok(event),
            Some(_) => Err(FeedEnd::SessionEnded),
            None if self.ended.load(Ordering::Acquire) => Err(FeedEnd::SessionEnded),
            None => Err(FeedEnd::FellBehind),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let id = self.id;
        self.hub.remove(self.user, |c| c.id == id);
    }
}

#[cfg(test)]
mod tests {
    use clearline_domain::{EventKind, EventSeq, Timestamp};

    use super::*;

    fn event(seq: i64) -> Event {
        Event {
            seq: EventSeq(seq),
            at: Timestamp::from_millis(0),
            kind: EventKind::FriendRemoved { user_id: UserId::from_raw(9) },
        }
    }

    #[tokio::test]
    async fn ending_a_session_stops_only_its_connections() {
        let hub = Hub::default();
        let (user, s1, s2) = (UserId::from_raw(1), SessionId::from_raw(1), SessionId::from_raw(2));
        let mut revoked = hub.subscribe(user, s1).unwrap();
        let mut other = hub.subscribe(user, s2).unwrap();
        hub.end_session(user, s1);
        hub.publish(vec![(user, event(1))]);
        assert_eq!(revoked.next().await.err(), Some(FeedEnd::SessionEnded));
        assert_eq!(other.next().await.map(|e| e.seq), Ok(EventSeq(1)));
    }

    #[test]
    fn a_person_holds_at_most_the_allowed_connections() {
        let hub = Hub::new(2);
        let (user, other) = (UserId::from_raw(1), UserId::from_raw(2));
        let first = hub.subscribe(user, SessionId::from_raw(1));
        let _second = hub.subscribe(user, SessionId::from_raw(1));
        assert!(!hub.has_room(user) && hub.subscribe(user, SessionId::from_raw(2)).is_none());
        assert!(hub.subscribe(other, SessionId::from_raw(3)).is_some(), "others are not held");
        drop(first);
        assert!(hub.has_room(user) && hub.subscribe(user, SessionId::from_raw(1)).is_some());
    }

    #[tokio::test]
    async fn a_full_connection_is_told_it_fell_behind() {
        let hub = Hub::default();
        let user = UserId::from_raw(1);
        let mut slow = hub.subscribe(user, SessionId::from_raw(1)).unwrap();
        for n in 1..=CONNECTION_BUFFER as i64 + 1 {
            hub.publish(vec![(user, event(n))]);
        }
        for _ in 0..CONNECTION_BUFFER {
            assert!(slow.next().await.is_ok());
        }
        assert_eq!(slow.next().await.err(), Some(FeedEnd::FellBehind));
    }
}
