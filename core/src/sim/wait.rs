//! Waiting on the simulator from async code, with no threads and no runtime: a blocked
//! command's reply, the next pub/sub push, and sleeps measured on the simulator's own clock.
//!
//! Why: the patterns are async and must run on wasm32 (no tokio) and on a manual clock, where a
//! lock's retry delay or a worker's poll interval has to pass when the test advances time, not
//! when the wall clock does. A [`Sleep`] registers its deadline in the simulator's timer table;
//! [`Simulator::advance_ms`] (manual clock), the cron thread (system clock, native) or
//! [`Simulator::tick`] (the wasm host's interval) fire the due ones. A blocked command's task
//! is woken by the client it waits on ([`super::client::Client::wake`]), never by polling.

use super::{blocking, Connection, Simulator};
use crate::resp::Value;
use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Timer key: deadline in ms, then a per-waiter id so that re-registering replaces.
type TimerKey = (u64, u64);

/// Deadlines waiting to wake a task, ordered by time.
#[derive(Default)]
pub(crate) struct Timers {
    due: BTreeMap<TimerKey, Waker>,
    next_id: u64,
}

impl Timers {
    /// A fresh id for a waiter (sleeps); connection waits use ids above `1 << 62` + client id.
    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Registers (or replaces) `key` to wake `waker`.
    fn insert(&mut self, key: TimerKey, waker: &Waker) {
        match self.due.get_mut(&key) {
            Some(w) if w.will_wake(waker) => {}
            Some(w) => w.clone_from(waker),
            None => {
                self.due.insert(key, waker.clone());
            }
        }
    }

    /// Removes and returns the wakers due at `now_ms`.
    pub(crate) fn take_due(&mut self, now_ms: u64) -> Vec<Waker> {
        let later = self.due.split_off(&(now_ms + 1, 0));
        let due = std::mem::replace(&mut self.due, later);
        due.into_values().collect()
    }

    /// The earliest deadline, if any.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.due.keys().next().map(|k| k.0)
    }
}

impl Simulator {
    /// Wakes every timer due at the clock's current time.
    pub(crate) fn fire_timers(&self) {
        let now = self.shared.clock.now_ms();
        let due = self.shared.timers.lock().unwrap_or_else(|p| p.into_inner()).take_due(now);
        for w in due {
            w.wake();
        }
    }

    fn register_timer(&self, key: TimerKey, waker: &Waker) {
        let mut t = self.shared.timers.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = t.next_deadline().is_none_or(|d| key.0 < d);
        t.insert(key, waker);
        drop(t);
        if earliest {
            // The cron thread may be sleeping past this deadline.
            self.shared.timer_cv.notify_all();
        }
    }

    fn cancel_timer(&self, key: TimerKey) {
        self.shared.timers.lock().unwrap_or_else(|p| p.into_inner()).due.remove(&key);
    }

    /// How many tasks are parked on the simulator right now: pending [`Sleep`]s and connections
    /// whose task awaits a blocked reply or a push. A test that starts a call in the background
    /// waits for this to grow before it advances a manual clock, so the call's deadline is
    /// registered before time moves.
    pub fn parked(&self) -> usize {
        let timers = self.shared.timers.lock().unwrap_or_else(|p| p.into_inner()).due.len();
        let waiting = self.lock().clients.values().filter(|c| c.waker.is_some()).count();
        timers + waiting
    }

    /// A future that completes once the simulator's clock reaches `deadline_ms` (ms since the
    /// epoch). On a manual clock that happens only when the clock is advanced.
    pub fn sleep_until_ms(&self, deadline_ms: u64) -> Sleep {
        let id = self.shared.timers.lock().unwrap_or_else(|p| p.into_inner()).new_id();
        Sleep { sim: self.clone(), key: (deadline_ms, id), registered: false }
    }

    /// A future that completes after `d` of the simulator's time.
    ///
    /// ```
    /// use redkit::sim::{Clock, Simulator};
    /// use std::future::Future;
    /// use std::task::{Context, Poll, Waker};
    /// use std::time::Duration;
    ///
    /// let sim = Simulator::with_clock(Clock::manual(0));
    /// let mut sleep = Box::pin(sim.sleep(Duration::from_millis(50)));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(sleep.as_mut().poll(&mut cx).is_pending());
    /// sim.advance_ms(50);
    /// assert!(sleep.as_mut().poll(&mut cx).is_ready());
    /// ```
    pub fn sleep(&self, d: Duration) -> Sleep {
        let deadline = self.shared.clock.now_ms().saturating_add(d.as_millis().min(u64::MAX as u128) as u64);
        self.sleep_until_ms(deadline)
    }
}

/// A sleep on the simulator's clock ([`Simulator::sleep`]). Dropping it cancels the timer.
pub struct Sleep {
    sim: Simulator,
    key: TimerKey,
    registered: bool,
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sleep(until={}ms)", self.key.0)
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.sim.shared.clock.now_ms() >= self.key.0 {
            if self.registered {
                self.sim.cancel_timer(self.key);
                self.registered = false;
            }
            return Poll::Ready(());
        }
        self.sim.register_timer(self.key, cx.waker());
        self.registered = true;
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if self.registered {
            self.sim.cancel_timer(self.key);
        }
    }
}

/// Timer ids of connection waits live above every sleep id.
const CONNECTION_TIMER_BASE: u64 = 1 << 62;

impl Connection {
    /// Awaits the reply of this connection's blocked command (after [`Connection::submit`]
    /// answered `Blocked`): `None` if nothing is blocked or the connection was closed. The task
    /// is woken when the command is served or times out (on a manual clock, when time is
    /// advanced past its timeout).
    pub fn reply(&mut self) -> impl Future<Output = Option<Value>> + '_ {
        let timer = (0, CONNECTION_TIMER_BASE + self.id);
        let mut armed: Option<(u64, u64)> = None;
        poll_fn(move |cx| {
            let shared = &self.sim.shared;
            let now = shared.clock.now_ms();
            let mut st = self.sim.lock();
            blocking::expire_timeouts(&mut st, now);
            let Some(c) = st.clients.get_mut(&self.id) else { return Poll::Ready(None) };
            if let Some(v) = c.unblocked_reply.take() {
                return Poll::Ready(Some(v));
            }
            let Some(b) = c.blocked.as_ref() else { return Poll::Ready(None) };
            let deadline = b.deadline_ms;
            c.waker = Some(cx.waker().clone());
            drop(st);
            // On wall-clock time the timeout fires at its millisecond, not at the next sweep.
            if let (Some(d), false) = (deadline, shared.clock.is_manual()) {
                let key = (d, timer.1);
                if armed != Some(key) {
                    self.sim.register_timer(key, cx.waker());
                    armed = Some(key);
                }
            }
            Poll::Pending
        })
    }

    /// Awaits the next out-of-band frame (pub/sub message or confirmation): `None` once the
    /// connection is closed.
    pub fn next_push_async(&mut self) -> impl Future<Output = Option<Value>> + '_ {
        poll_fn(move |cx| {
            let mut st = self.sim.lock();
            let Some(c) = st.clients.get_mut(&self.id) else { return Poll::Ready(None) };
            match c.pushes.pop_front() {
                Some(v) => Poll::Ready(Some(v)),
                None => {
                    c.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}
