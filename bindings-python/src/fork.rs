//! [`ForkSafe`]: a Redis backend that reconnects in a child process after `fork()`.
//!
//! A forked child shares its parent's sockets and has none of its runtime's threads, so a
//! connection made before the fork must never be used after it (two processes reading one
//! socket interleave replies). Patterns keep the `BackendRef` they were built with, so the
//! swap happens underneath them: every call checks the process's fork generation
//! ([`crate::runtime::generation`]) and, in a new one, builds a fresh backend first.
//!
//! It also gives each Python thread making blocking calls a connection of its own, driven by
//! that thread's runtime ([`crate::runtime::block`]): a sync call's I/O then runs on the calling
//! thread, as redis-py's does, instead of crossing to a runtime worker and back. Async calls and
//! background tasks (watchdogs, workers) share the first connection.

use crate::runtime::{generation, in_sync_call, runtime};
use redkit::backend::{Backend, BackendRef, BoxFuture, Cmd, Subscriber};
use redkit::resp::Value;
use redkit::scripts::Script;
use redkit::Result;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Builds a backend (called again in each process generation).
pub type Connector = Arc<dyn Fn() -> BoxFuture<'static, Result<BackendRef>> + Send + Sync>;

/// A backend rebuilt by its [`Connector`] after a fork.
pub struct ForkSafe {
    /// Tells this backend's per-thread connections apart from other clients'.
    id: u64,
    connect: Connector,
    current: Mutex<Option<(u64, BackendRef)>>,
    name: &'static str,
}

impl ForkSafe {
    /// A backend whose first connection is `first` (built in this generation).
    pub fn new(first: BackendRef, connect: Connector) -> ForkSafe {
        static IDS: AtomicU64 = AtomicU64::new(0);
        let name = first.name();
        let id = IDS.fetch_add(1, Ordering::Relaxed);
        ForkSafe { id, connect, current: Mutex::new(Some((generation(), first))), name }
    }

    fn cached(&self) -> Option<BackendRef> {
        match &*self.current.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((g, b)) if *g == generation() => Some(b.clone()),
            _ => None,
        }
    }

    /// The connection for a one-shot request: this thread's own in a blocking call, else the
    /// shared one.
    async fn backend(&self) -> Result<BackendRef> {
        if in_sync_call() {
            return self.thread_backend().await;
        }
        self.shared().await
    }

    /// The shared connection (rebuilt after a fork).
    async fn shared(&self) -> Result<BackendRef> {
        if let Some(b) = self.cached() {
            return Ok(b);
        }
        let fresh = (self.connect)().await?;
        let stale = self.current.lock().unwrap_or_else(|p| p.into_inner()).replace((generation(), fresh.clone()));
        if let Some((g, old)) = stale {
            if g != generation() {
                // The parent's connection: dropping it in the child would deregister its socket
                // from the I/O driver the two processes share since the fork.
                std::mem::forget(old);
            }
        }
        Ok(fresh)
    }
}

thread_local! {
    /// This thread's own connections, by backend id, with the fork generation they were made in.
    static THREAD_BACKENDS: RefCell<HashMap<u64, (u64, BackendRef)>> = RefCell::new(HashMap::new());
}

impl ForkSafe {
    /// This thread's connection (made on first use in this thread and process generation).
    async fn thread_backend(&self) -> Result<BackendRef> {
        let mine = THREAD_BACKENDS.with(|m| match m.borrow().get(&self.id) {
            Some((g, b)) if *g == generation() => Some(b.clone()),
            _ => None,
        });
        if let Some(b) = mine {
            return Ok(b);
        }
        let fresh = (self.connect)().await?;
        let stale = THREAD_BACKENDS.with(|m| m.borrow_mut().insert(self.id, (generation(), fresh.clone())));
        if let Some((g, old)) = stale {
            if g != generation() {
                // The parent's connection: never dropped in the child (see `shared`).
                std::mem::forget(old);
            }
        }
        Ok(fresh)
    }
}

impl Drop for ForkSafe {
    fn drop(&mut self) {
        // This thread's connection goes with the client (other threads' go with the thread).
        let _ = THREAD_BACKENDS.try_with(|m| m.borrow_mut().remove(&self.id));
    }
}

impl Backend for ForkSafe {
    fn command(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move { self.backend().await?.command(cmd).await })
    }

    fn pipeline(&self, cmds: Vec<Cmd>, atomic: bool) -> BoxFuture<'_, Result<Vec<Value>>> {
        Box::pin(async move { self.backend().await?.pipeline(cmds, atomic).await })
    }

    fn script(&self, script: &'static Script, keys: Vec<Vec<u8>>, args: Vec<Vec<u8>>) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move { self.backend().await?.script(script, keys, args).await })
    }

    // Blocking commands and subscriptions hold a connection of their own that may outlive the
    // call or be used from another thread: they stay on the shared runtime (polled inside its
    // context, so any connection they open is driven there, not by this thread's runtime).
    fn blocking(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(InShared(Box::pin(async move { self.shared().await?.blocking(cmd).await })))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Box<dyn Subscriber>>> {
        Box::pin(InShared(Box::pin(async move { self.shared().await?.subscribe().await })))
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        let _context = runtime().enter();
        Box::pin(tokio::time::sleep(d))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) -> Result<()> {
        runtime().spawn(task);
        Ok(())
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

/// Polls a future inside the shared runtime's context, so what it spawns runs there.
struct InShared<'a, T>(BoxFuture<'a, T>);

impl<T> std::future::Future for InShared<'_, T> {
    type Output = T;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<T> {
        let _context = runtime().enter();
        self.0.as_mut().poll(cx)
    }
}
