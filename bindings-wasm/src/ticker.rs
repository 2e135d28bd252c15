//! The simulator's cron on a JavaScript host. Natively a background thread wakes timed waits
//! (a BLPOP's timeout, a pattern's sleep) at their millisecond; wasm32 has no threads, so while
//! anything waits on a simulator that follows the host's clock, a `setInterval` calls
//! `Simulator::tick` every few milliseconds, and stops when the last wait ends (a manual clock
//! needs none: `advance` fires what is due). The interval, like a socket, keeps Node alive
//! while a call waits; background work (a write-behind drainer, a cache's local-tier
//! subscription, a lock's watchdog) runs the cron without keeping Node alive by itself, as in
//! the Node package (Node's `unref` on the interval; browsers have no such notion).

use js_sys::{Function, Reflect};
use redkit::sim::Simulator as CoreSimulator;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// How often the cron runs while something waits, in ms.
const PERIOD_MS: i32 = 5;

/// One simulator's cron, shared by its clients.
pub struct Ticker {
    sim: CoreSimulator,
    running: RefCell<Option<Running>>,
    /// Holds alive: calls and background work.
    waits: Cell<usize>,
    /// Holds alive that keep the host alive (calls).
    keeps: Cell<usize>,
}

/// A live interval: its id and the callback it holds.
struct Running {
    id: JsValue,
    _tick: Closure<dyn FnMut()>,
}

/// A wait in progress: while one lives (on a host clock), the cron runs; `keeps` says whether
/// it keeps the host alive.
pub struct Hold {
    ticker: Option<Rc<Ticker>>,
    keeps: bool,
}

impl Ticker {
    pub fn new(sim: CoreSimulator) -> Rc<Ticker> {
        Rc::new(Ticker { sim, running: RefCell::new(None), waits: Cell::new(0), keeps: Cell::new(0) })
    }

    /// Keeps the cron running, and the host alive, until the returned `Hold` is dropped
    /// (nothing on a manual clock): for a call's wait.
    pub fn hold(self: &Rc<Self>) -> Hold {
        self.hold_with(true)
    }

    /// Keeps the cron running until the returned `Hold` is dropped, without keeping the host
    /// alive by itself: for background work.
    pub fn hold_background(self: &Rc<Self>) -> Hold {
        self.hold_with(false)
    }

    fn hold_with(self: &Rc<Self>, keeps: bool) -> Hold {
        if self.sim.clock().is_manual() {
            return Hold { ticker: None, keeps };
        }
        self.waits.set(self.waits.get() + 1);
        self.keeps.set(self.keeps.get() + usize::from(keeps));
        if self.running.borrow().is_none() {
            *self.running.borrow_mut() = self.start();
        }
        self.keep_alive();
        Hold { ticker: Some(self.clone()), keeps }
    }

    /// Node's `ref()` on the interval while a call waits, `unref()` otherwise (where the
    /// interval has them: browsers' are plain numbers).
    fn keep_alive(&self) {
        let running = self.running.borrow();
        let Some(running) = running.as_ref() else { return };
        let method = if self.keeps.get() > 0 { "ref" } else { "unref" };
        if let Ok(f) = Reflect::get(&running.id, &method.into()).and_then(|f| f.dyn_into::<Function>()) {
            // Ref'ing or unref'ing a live Node timer cannot fail.
            let _ = f.call0(&running.id);
        }
    }

    /// `setInterval(tick, PERIOD_MS)`; None when the host has no timers (the wait then ends
    /// only when a command serves it).
    fn start(&self) -> Option<Running> {
        let sim = self.sim.clone();
        let tick = Closure::<dyn FnMut()>::new(move || sim.tick());
        let global = js_sys::global();
        let set_interval = Reflect::get(&global, &"setInterval".into()).ok()?.dyn_into::<Function>().ok()?;
        let id = set_interval.call2(&global, tick.as_ref(), &PERIOD_MS.into()).ok()?;
        Some(Running { id, _tick: tick })
    }

    fn release(&self, keeps: bool) {
        self.waits.set(self.waits.get().saturating_sub(1));
        self.keeps.set(self.keeps.get().saturating_sub(usize::from(keeps)));
        if self.waits.get() > 0 {
            self.keep_alive();
            return;
        }
        if let Some(running) = self.running.borrow_mut().take() {
            let global = js_sys::global();
            if let Ok(clear) = Reflect::get(&global, &"clearInterval".into()).and_then(|f| f.dyn_into::<Function>()) {
                // Clearing an interval cannot fail; the callback is dropped with `running`.
                let _ = clear.call1(&global, &running.id);
            }
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.release(self.keeps);
        }
    }
}
