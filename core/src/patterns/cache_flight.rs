//! The cache's in-process coordination, built on `std::sync::Mutex` and wakers so it runs with
//! no runtime (wasm32 included): [`Once`], a value set once that any number of tasks await, and
//! [`Flights`], single flight per key — the first caller for a key leads the load and every
//! concurrent caller awaits the leader's result instead of loading again.
//!
//! A leader that is dropped before finishing (its caller's future was cancelled) abandons the
//! flight: followers wake with `None` and try again, one of them becoming the next leader.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct OnceState<T> {
    value: Option<T>,
    wakers: Vec<Waker>,
}

/// A value set at most once, awaited by any number of tasks.
pub(crate) struct Once<T> {
    state: Mutex<OnceState<T>>,
}

impl<T: Clone> Once<T> {
    /// An unset cell.
    pub(crate) fn new() -> Once<T> {
        Once { state: Mutex::new(OnceState { value: None, wakers: Vec::new() }) }
    }

    /// Sets the value (the first call wins) and wakes every waiter.
    pub(crate) fn set(&self, v: T) {
        let wakers = {
            let mut st = locked(&self.state);
            if st.value.is_some() {
                return;
            }
            st.value = Some(v);
            std::mem::take(&mut st.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    /// The value, if set.
    pub(crate) fn get(&self) -> Option<T> {
        locked(&self.state).value.clone()
    }

    /// Completes with the value once it is set.
    pub(crate) fn wait(&self) -> impl Future<Output = T> + '_ {
        poll_fn(move |cx| {
            let mut st = locked(&self.state);
            if let Some(v) = &st.value {
                return Poll::Ready(v.clone());
            }
            if !st.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                st.wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

/// One flight: `Some(result)` when the leader finished, `None` when it was abandoned.
type Slot<T> = Arc<Once<Option<T>>>;

/// Single flight per key.
pub(crate) struct Flights<T> {
    map: Mutex<HashMap<String, Slot<T>>>,
}

/// What [`Flights::join`] made the caller.
pub(crate) enum Joined<'a, T: Clone> {
    /// The caller loads, then calls [`Leader::finish`].
    Leader(Leader<'a, T>),
    /// The caller awaits the leader's result (`None`: the leader gave up; try again).
    Follower(Slot<T>),
}

/// The leader of one key's flight. Dropping it without [`Leader::finish`] abandons the flight.
pub(crate) struct Leader<'a, T: Clone> {
    flights: &'a Flights<T>,
    key: String,
    slot: Slot<T>,
    done: bool,
}

impl<T: Clone> Flights<T> {
    /// No flights.
    pub(crate) fn new() -> Flights<T> {
        Flights { map: Mutex::new(HashMap::new()) }
    }

    /// Joins the flight for `key`, leading it if there is none.
    pub(crate) fn join(&self, key: &str) -> Joined<'_, T> {
        let mut map = locked(&self.map);
        if let Some(slot) = map.get(key) {
            return Joined::Follower(slot.clone());
        }
        let slot: Slot<T> = Arc::new(Once::new());
        map.insert(key.to_string(), slot.clone());
        Joined::Leader(Leader { flights: self, key: key.to_string(), slot, done: false })
    }

    /// How many flights are under way.
    #[cfg(test)]
    fn len(&self) -> usize {
        locked(&self.map).len()
    }

    fn end(&self, key: &str, slot: &Slot<T>, result: Option<T>) {
        let mut map = locked(&self.map);
        if map.get(key).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            map.remove(key);
        }
        drop(map);
        slot.set(result);
    }
}

impl<T: Clone> Leader<'_, T> {
    /// Hands `result` to every follower and ends the flight.
    pub(crate) fn finish(mut self, result: T) {
        self.done = true;
        self.flights.end(&self.key, &self.slot, Some(result));
    }
}

impl<T: Clone> Drop for Leader<'_, T> {
    fn drop(&mut self) {
        if !self.done {
            self.flights.end(&self.key, &self.slot, None);
        }
    }
}

/// `Ok` with `a`'s output, or `Err` once `stop` completes first.
pub(crate) async fn first<A: Future, S: Future>(a: A, stop: S) -> std::result::Result<A::Output, ()> {
    let mut a = std::pin::pin!(a);
    let mut stop = std::pin::pin!(stop);
    poll_fn(|cx| {
        if stop.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(()));
        }
        a.as_mut().poll(cx).map(Ok)
    })
    .await
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;
    use crate::backend::block_on;

    #[test]
    fn followers_get_the_leaders_result_and_the_key_is_free_again() {
        let f: Flights<u32> = Flights::new();
        let Joined::Leader(leader) = f.join("k") else { panic!("first caller leads") };
        let Joined::Follower(slot) = f.join("k") else { panic!("second caller follows") };
        leader.finish(7);
        assert_eq!(block_on(slot.wait()), Some(7));
        assert_eq!(f.len(), 0);
        assert!(matches!(f.join("k"), Joined::Leader(_)));
    }

    #[test]
    fn a_dropped_leader_abandons_the_flight() {
        let f: Flights<u32> = Flights::new();
        let leader = f.join("k");
        let Joined::Follower(slot) = f.join("k") else { panic!("follows") };
        drop(leader);
        assert_eq!(block_on(slot.wait()), None);
        assert_eq!(f.len(), 0);
    }
}
