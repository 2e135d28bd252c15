//! Real time on the JavaScript host, for the bounds a binding keeps whatever the simulator's
//! clock does (a manual clock nobody advances would otherwise keep `close()` waiting for ever):
//! a `setTimeout` as a future that clears its timer when dropped (so a bound that was not
//! needed does not hold Node's event loop open), and a future raced against one.

use js_sys::{Function, Promise, Reflect};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A pending `setTimeout`: resolves after its time; dropping it clears the timer. On a host
/// without timers it never resolves.
pub struct Sleep {
    timer: Option<(JsValue, JsFuture)>,
}

/// The global function `name` (`setTimeout` …), if the host has it.
fn global_fn(name: &str) -> Option<Function> {
    Reflect::get(&js_sys::global(), &name.into()).ok()?.dyn_into::<Function>().ok()
}

/// Sleeps `d` of real time.
pub fn sleep(d: Duration) -> Sleep {
    let ms = d.as_secs_f64() * 1000.0;
    let timer = global_fn("setTimeout").and_then(|set_timeout| {
        let mut id = None;
        let promise = Promise::new(&mut |resolve, _| {
            id = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &ms.into()).ok();
        });
        Some((id?, JsFuture::from(promise)))
    });
    Sleep { timer }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.timer {
            Some((_, fut)) => Pin::new(fut).poll(cx).map(drop),
            None => Poll::Pending,
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some((id, _)), Some(clear)) = (&self.timer, global_fn("clearTimeout")) {
            // Clearing a timer (even one that fired) cannot fail.
            let _ = clear.call1(&JsValue::UNDEFINED, id);
        }
    }
}

/// `work`'s output if it finishes within `d` of real time, else None (`work` is dropped).
pub async fn within<F: Future>(d: Duration, work: F) -> Option<F::Output> {
    let mut work = pin!(work);
    let mut bound = sleep(d);
    poll_fn(move |cx| {
        if let Poll::Ready(v) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        Pin::new(&mut bound).poll(cx).map(|()| None)
    })
    .await
}
