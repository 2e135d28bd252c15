//! The simulator's one clock. Everything time-dependent reads it: key expiry, blocking-command
//! timeouts, TIME, stream ids, idle times. A manual clock only moves when a test advances it, which
//! makes TTL and timeout behaviour deterministic (no sleeps); the system clock follows wall time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

type TimeFn = dyn Fn() -> u64 + Send + Sync;

enum Source {
    System,
    Manual(AtomicU64),
    Custom(Box<TimeFn>),
}

/// A cheaply clonable handle to a time source with microsecond resolution.
#[derive(Clone)]
pub struct Clock(Arc<Source>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &*self.0 {
            Source::System => "system",
            Source::Manual(_) => "manual",
            Source::Custom(_) => "custom",
        };
        write!(f, "Clock({kind}, {} ms)", self.now_ms())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// Wall-clock time. On wasm32 without a JS host there is no system clock: use
    /// [`Clock::custom`] with the host's `Date.now()` there.
    pub fn system() -> Clock {
        Clock(Arc::new(Source::System))
    }

    /// A virtual clock starting at `start_ms` milliseconds since the Unix epoch.
    pub fn manual(start_ms: u64) -> Clock {
        Clock(Arc::new(Source::Manual(AtomicU64::new(start_ms.saturating_mul(1000)))))
    }

    /// A clock read from a host function returning microseconds since the Unix epoch.
    pub fn custom(now_us: impl Fn() -> u64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(Source::Custom(Box::new(now_us))))
    }

    /// True for a manual clock.
    pub fn is_manual(&self) -> bool {
        matches!(&*self.0, Source::Manual(_))
    }

    /// Microseconds since the Unix epoch.
    pub fn now_us(&self) -> u64 {
        match &*self.0 {
            Source::System => system_now_us(),
            Source::Manual(t) => t.load(Ordering::SeqCst),
            Source::Custom(f) => f(),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }

    /// Moves a manual clock forward by `ms`. Returns false (and does nothing) for other clocks.
    /// Prefer [`crate::sim::Simulator::advance`], which also fires what the new time makes due.
    pub fn advance_ms(&self, ms: u64) -> bool {
        self.advance_us(ms.saturating_mul(1000))
    }

    /// Moves a manual clock forward by `us` microseconds.
    pub fn advance_us(&self, us: u64) -> bool {
        match &*self.0 {
            Source::Manual(t) => {
                t.fetch_add(us, Ordering::SeqCst);
                true
            }
            _ => false,
        }
    }

    /// Sets a manual clock to `ms` since the epoch (it may go backwards, like a wall clock can).
    pub fn set_ms(&self, ms: u64) -> bool {
        match &*self.0 {
            Source::Manual(t) => {
                t.store(ms.saturating_mul(1000), Ordering::SeqCst);
                true
            }
            _ => false,
        }
    }
}

#[cfg(not(target_family = "wasm"))]
fn system_now_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

#[cfg(target_family = "wasm")]
fn system_now_us() -> u64 {
    // wasm32-unknown-unknown has no clock of its own; the wasm binding installs Date.now()
    // through Clock::custom. A bare system clock there stands still at the epoch.
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = Clock::manual(1_000);
        assert_eq!(c.now_ms(), 1_000);
        assert!(c.advance_ms(250));
        assert_eq!(c.now_ms(), 1_250);
        assert!(c.clone().set_ms(5));
        assert_eq!(c.now_ms(), 5);
        assert!(!Clock::system().advance_ms(1));
    }
}
