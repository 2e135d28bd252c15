//! Taking turns on a value between the calls of one JavaScript object, on the one thread wasm32
//! has: a [`Slot`] holds a value (a core subscription, a requester) that async calls take out,
//! use across awaits and put back, and a [`Bell`] wakes whoever waits for a change (the value
//! back, a flag set). What tokio's async mutex and `Notify` do for the Node binding, with
//! `Rc`/`Cell` and no runtime.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Wakes every waiter when rung; a waiter is woken by any ring after it started waiting.
#[derive(Default)]
pub struct Bell {
    rings: Cell<u64>,
    waiters: RefCell<Vec<Waker>>,
}

impl Bell {
    /// Wakes everyone waiting.
    pub fn ring(&self) {
        self.rings.set(self.rings.get().wrapping_add(1));
        for w in self.waiters.borrow_mut().drain(..) {
            w.wake();
        }
    }

    /// Resolves once `ready()` holds, checking it now and after every ring.
    pub fn until<'a>(&'a self, ready: impl Fn() -> bool + 'a) -> impl Future<Output = ()> + 'a {
        poll_fn(move |cx| {
            if ready() {
                return Poll::Ready(());
            }
            self.waiters.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
    }
}

/// A value calls take turns on (see the module docs); `None` inside means it is gone for good.
pub struct Slot<T> {
    value: RefCell<Option<T>>,
    taken: Cell<bool>,
    /// Rung when the value is put back, and by users of the slot for their own flags.
    pub bell: Bell,
}

/// The value taken from a [`Slot`]; put back when dropped.
pub struct Turn<T> {
    slot: Rc<Slot<T>>,
    value: Option<T>,
}

impl<T> Slot<T> {
    pub fn new(value: T) -> Rc<Slot<T>> {
        Rc::new(Slot { value: RefCell::new(Some(value)), taken: Cell::new(false), bell: Bell::default() })
    }

    /// Whether a call has the value out now.
    pub fn busy(&self) -> bool {
        self.taken.get()
    }

    /// Takes the value now if no call has it out (None inside when it is gone).
    pub fn try_take(self: &Rc<Self>) -> Option<Turn<T>> {
        if self.taken.get() {
            return None;
        }
        self.taken.set(true);
        Some(Turn { slot: self.clone(), value: self.value.borrow_mut().take() })
    }

    /// Takes the value once the call that has it puts it back.
    pub async fn take(self: &Rc<Self>) -> Turn<T> {
        loop {
            if let Some(turn) = self.try_take() {
                return turn;
            }
            self.bell.until(|| !self.taken.get()).await;
        }
    }
}

impl<T> Turn<T> {
    /// The value, unless it is gone.
    pub fn get(&mut self) -> Option<&mut T> {
        self.value.as_mut()
    }

    /// Removes the value for good (the slot stays empty).
    pub fn remove(&mut self) -> Option<T> {
        self.value.take()
    }
}

impl<T> Drop for Turn<T> {
    fn drop(&mut self) {
        *self.slot.value.borrow_mut() = self.value.take();
        self.slot.taken.set(false);
        self.slot.bell.ring();
    }
}
