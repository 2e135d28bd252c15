//! The simulator's cron on a JavaScript host. Natively a background thread wakes timed waits
//! (a BLPOP's timeout, a pattern's sleep) at their millisecond; wasm32 has no threads, so while
//! anything waits on a simulator that follows the host's clock, a `setInterval` calls
//! `Simulator::tick` every few milliseconds, and stops when the last wait ends (a manual clock
//! needs none: `advance` fires what is due). The interval, like a socket, keeps Node alive
//! while a wait is pending.

use js_sys::{Function, Reflect};
use redkit::sim::Simulator as CoreSimulator;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// How often the cron runs while something waits, in ms.
const PERIOD_MS: i32 = 5;

/// One simulator's cron, shared by its clients.
pub struct Ticker {
    sim: CoreSimulator,
    running: RefCell<Option<Running>>,
    waits: RefCell<usize>,
}

/// A live interval: its id and the callback it holds.
struct Running {
    id: JsValue,
    _tick: Closure<dyn FnMut()>,
}

/// A wait in progress: while one lives (on a host clock), the cron runs.
pub struct Hold(Option<Rc<Ticker>>);

impl Ticker {
    pub fn new(sim: CoreSimulator) -> Rc<Ticker> {
        Rc::new(Ticker { sim, running: RefCell::new(None), waits: RefCell::new(0) })
    }

    /// Keeps the cron running until the returned `Hold` is dropped (nothing on a manual clock).
    pub fn hold(self: &Rc<Self>) -> Hold {
        if self.sim.clock().is_manual() {
            return Hold(None);
        }
        *self.waits.borrow_mut() += 1;
        if self.running.borrow().is_none() {
            *self.running.borrow_mut() = self.start();
        }
        Hold(Some(self.clone()))
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

    fn release(&self) {
        let mut waits = self.waits.borrow_mut();
        *waits = waits.saturating_sub(1);
        if *waits > 0 {
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
        if let Some(ticker) = self.0.take() {
            ticker.release();
        }
    }
}
