//! The limiters' local fallback: a private in-process simulator on the system clock that runs
//! the very same scripts as Redis, so a limiter whose backend is unreachable keeps limiting
//! exactly (per process) instead of letting everything through or refusing everything — what
//! rate-limiter-flexible calls an insurance limiter.
//!
//! Why a simulator rather than a second implementation: the decision logic lives once, in the
//! `limiter_check` script and its twin; the fallback cannot drift from it.

use crate::backend::{BackendRef, SimBackend};
use crate::sim::Simulator;
use std::sync::{Arc, OnceLock};

/// A local backend created on first use (a simulator owns a background thread on native
/// targets, so limiters that never fail over never start one).
#[derive(Default)]
pub(crate) struct LocalFallback {
    backend: OnceLock<BackendRef>,
}

impl std::fmt::Debug for LocalFallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalFallback(started: {})", self.backend.get().is_some())
    }
}

impl LocalFallback {
    /// The local backend, started on the first call.
    pub(crate) fn backend(&self) -> BackendRef {
        self.backend.get_or_init(|| Arc::new(SimBackend::new(Simulator::new()))).clone()
    }
}
