//! Core futures on the JavaScript host: a call's future becomes a Promise (holding the
//! simulator's cron while it runs, see `ticker`), the core's background tasks (a lock's
//! watchdog, a worker's loop) run through `spawn_local`, and JavaScript values and futures
//! cross into core APIs that want `Send` through [`Local`] (the package is built for wasm32
//! without threads, so such a value never leaves the thread that made it).

use crate::ticker::{Hold, Ticker};
use js_sys::Promise;
use redkit::backend::{BoxFuture, SpawnFn};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

/// A value (a JavaScript function, a JavaScript future) that stays on the one thread: `Send`
/// for the core's bounds, checked at run time (it panics if touched from another thread,
/// which wasm32 without threads never has). As a future it polls its content.
pub type Local<T> = send_wrapper::SendWrapper<T>;

/// The core's spawner on this host: each task runs on the event loop, holding the cron of
/// `ticker`'s simulator while it lives (a background sleep on the host's clock needs it), but
/// not keeping the host alive by itself (like the Node package's background work).
pub fn spawner(ticker: &Rc<Ticker>) -> SpawnFn {
    let ticker = Local::new(ticker.clone());
    Arc::new(move |task: BoxFuture<'static, ()>| {
        let hold = ticker.hold_background();
        spawn_local(async move {
            task.await;
            drop(hold);
        });
    })
}

/// `work` as a Promise, holding the cron of `ticker`'s simulator until it settles. The future
/// is boxed first, so the Promise machinery exists once in the module rather than once per
/// method (it is most of a method's code otherwise).
pub fn promise<F>(ticker: &Rc<Ticker>, work: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    settle(ticker.hold(), Box::pin(work))
}

fn settle(hold: Hold, work: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    future_to_promise(async move {
        let out = work.await;
        drop(hold);
        out
    })
}
