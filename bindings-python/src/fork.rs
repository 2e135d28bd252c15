//! [`ForkSafe`]: a Redis backend that reconnects in a child process after `fork()`.
//!
//! A forked child shares its parent's sockets and has none of its runtime's threads, so a
//! connection made before the fork must never be used after it (two processes reading one
//! socket interleave replies). Patterns keep the `BackendRef` they were built with, so the
//! swap happens underneath them: every call checks the process's fork generation
//! ([`crate::runtime::generation`]) and, in a new one, builds a fresh backend first.

use crate::runtime::{generation, runtime};
use redkit::backend::{Backend, BackendRef, BoxFuture, Cmd, Subscriber};
use redkit::resp::Value;
use redkit::scripts::Script;
use redkit::Result;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Builds a backend (called again in each process generation).
pub type Connector = Arc<dyn Fn() -> BoxFuture<'static, Result<BackendRef>> + Send + Sync>;

/// A backend rebuilt by its [`Connector`] after a fork.
pub struct ForkSafe {
    connect: Connector,
    current: Mutex<Option<(u64, BackendRef)>>,
    name: &'static str,
}

impl ForkSafe {
    /// A backend whose first connection is `first` (built in this generation).
    pub fn new(first: BackendRef, connect: Connector) -> ForkSafe {
        let name = first.name();
        ForkSafe { connect, current: Mutex::new(Some((generation(), first))), name }
    }

    fn cached(&self) -> Option<BackendRef> {
        match &*self.current.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((g, b)) if *g == generation() => Some(b.clone()),
            _ => None,
        }
    }

    async fn backend(&self) -> Result<BackendRef> {
        if let Some(b) = self.cached() {
            return Ok(b);
        }
        let fresh = (self.connect)().await?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((generation(), fresh.clone()));
        Ok(fresh)
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

    fn blocking(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move { self.backend().await?.blocking(cmd).await })
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Box<dyn Subscriber>>> {
        Box::pin(async move { self.backend().await?.subscribe().await })
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
