//! A minimal executor: [`block_on`] drives one future on the calling thread, parking it between
//! wake-ups. The simulator needs no runtime, so a sync caller (a test, a Python call, the
//! simulator's default spawner) can await a pattern with this alone. Not on wasm32, which has no
//! thread to park: there the host's event loop drives futures.

#![cfg(not(target_family = "wasm"))]

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `fut` to completion on this thread.
///
/// ```
/// assert_eq!(redkit::backend::block_on(async { 40 + 2 }), 42);
/// ```
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
