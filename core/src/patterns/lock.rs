//! [`Lock`]: a distributed mutual-exclusion lock on one Redis (or the simulator), with the
//! features users pick redis-py's `Lock`, python-redis-lock, pottery and Redisson for, in one
//! type:
//!
//! - **ownership**: every `Lock` handle has a random 128-bit token (from the OS CSPRNG); only
//!   the holder of the token can [`release`](Lock::release) or [`extend`](Lock::extend) —
//!   anyone else gets [`ErrorKind::LockNotOwned`]. Check and change are one script, so a lock
//!   that expired and was taken by someone else is never released on their behalf;
//! - **blocking acquire that wakes on release**: [`Lock::acquire`] waits on a signal list
//!   (`BLPOP`) that the release script pushes to, so a waiter takes the lock as soon as it is
//!   released instead of polling. The wait is bounded by the caller's timeout and by the
//!   holder's remaining lease: when the holder vanishes without releasing, the waiter retries
//!   as its lease runs out. Only the contended path pays for this: a refused waiter marks the
//!   holder's hash, and only a marked lock's release signals (a waiter that gets the lock marks
//!   its own hold, for whoever still waits behind it);
//! - **fencing tokens**: every acquisition returns a number strictly greater than every earlier
//!   one for the same lock name (`INCR` of a counter kept beside the lock, in the acquire
//!   script). Pass it to the storage you protect and have it refuse writes with an older token:
//!   that is what makes a lock safe against a paused holder whose lease ran out;
//! - **auto-renewal** ([`LockOptions::watchdog`]): a background task (on [`Backend::spawn`])
//!   extends the lease every ttl/3 while the lock is held, stops on release or drop, and
//!   reports a lost lock through [`Lock::lost`];
//! - **reentrancy** ([`LockOptions::reentrant`]): the owner may acquire again; each acquire
//!   counts, each release uncounts, the last one frees the lock;
//! - **scoped use**: [`Lock::with_lock`] runs a future under the lock and releases it after;
//!   [`Lock::guard`] returns a [`LockGuard`]. Rust has no async drop, so a guard dropped
//!   without [`LockGuard::release`] cannot release the lock: it stops the watchdog and the
//!   lock expires by its TTL.
//!
//! Keys (one hash tag, so it runs on Redis Cluster): `PREFIX:lock:{NAME}` (a hash: token,
//! count, fence, and `waiters` once someone waits; with the lease as TTL), `PREFIX:lock:{NAME}:fence` (the fencing counter, no
//! TTL, a few bytes per lock name for good) and `PREFIX:lock:{NAME}:signal` (the wake-up list,
//! short-lived). Each operation is one script call: one round trip.
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::lock::{Lock, LockOptions};
//! use redkit::sim::Simulator;
//! use redkit::ErrorKind;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::new()));
//! let options = LockOptions::default().ttl(Duration::from_secs(5));
//! let a = Lock::new(backend.clone(), "nightly-report", options.clone())?;
//! let b = Lock::new(backend, "nightly-report", options)?;
//! block_on(async {
//!     let first = a.try_acquire().await?;
//!     assert!(first.acquired);
//!     assert!(!b.try_acquire().await?.acquired);
//!     assert_eq!(b.release().await.unwrap_err().kind, ErrorKind::LockNotOwned);
//!     a.release().await?;
//!
//!     // Scoped: acquired (waiting up to 1 s), the work runs, the lock is released after.
//!     let fence = b.with_lock(Duration::from_secs(1), |held| async move { held.fence }).await?;
//!     assert!(fence > first.fence);
//!     assert!(!b.is_locked().await?);
//!     Ok::<(), redkit::Error>(())
//! })?;
//! # Ok::<(), redkit::Error>(())
//! ```

use crate::backend::{value, Backend, BackendRef, BoxFuture};
use crate::command;
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use crate::scripts::lock::{LOCK_ACQUIRE, LOCK_EXTEND, LOCK_RELEASE};
use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

/// The longest TTL or lease the scripts accept: 15 decimal digits of milliseconds.
pub(crate) const MAX_MS: u64 = 999_999_999_999_999;
/// How long a release signal waits in its list for a waiter to take it.
pub(crate) const SIGNAL_TTL_MS: u64 = 1_000;
/// Watchdog renewals that may fail in a row (a full TTL without one) before the lock counts
/// as lost.
const WATCHDOG_FAILURES: u32 = 3;

/// A random token: 128 bits from the OS CSPRNG, as 32 lowercase hex digits.
pub(crate) fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::new(ErrorKind::Io, format!("the OS random source failed: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A random number below `bound` (0 when `bound` is 0), for retry jitter.
pub(crate) fn random_below(bound: u64) -> Result<u64> {
    if bound == 0 {
        return Ok(0);
    }
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Error::new(ErrorKind::Io, format!("the OS random source failed: {e}")))?;
    Ok(u64::from_le_bytes(bytes) % bound)
}

/// `d` as whole milliseconds in `min..=MAX_MS`, or [`ErrorKind::InvalidArgument`] naming `what`.
pub(crate) fn check_ms(what: &str, d: Duration, min_ms: u64) -> Result<u64> {
    let ms = d.as_millis();
    if ms < u128::from(min_ms) || ms > u128::from(MAX_MS) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} must be between {min_ms} ms and {MAX_MS} ms, got {d:?}"),
        ));
    }
    Ok(ms as u64)
}

/// A timeout as whole milliseconds, capped at [`MAX_MS`] (any duration is a valid timeout).
pub(crate) fn timeout_ms(d: Duration) -> i64 {
    d.as_millis().min(u128::from(MAX_MS)) as i64
}

/// Checks a user-given owner token: non-empty, at most 256 bytes.
pub(crate) fn check_token(token: &str) -> Result<()> {
    if token.is_empty() || token.len() > 256 {
        return Err(Error::new(ErrorKind::InvalidArgument, "a lock token must be 1 to 256 bytes long"));
    }
    Ok(())
}

/// The error for an operation by someone who does not hold the lock.
pub(crate) fn not_owned(what: &str, name: &str) -> Error {
    Error::new(ErrorKind::LockNotOwned, format!("{what} {name:?} is not held by this owner (expired or taken)"))
}

/// One attempt of a blocking acquire: whether it succeeded, the server's time, and how long
/// at most the resource stays taken if nobody releases it (`None`: unknown).
pub(crate) struct Attempt {
    pub(crate) done: bool,
    pub(crate) now_ms: i64,
    pub(crate) busy_for_ms: Option<i64>,
}

/// The blocking-acquire loop of locks and semaphores: tries, and while refused waits on the
/// `signal` list (a release pushes one element, waking one waiter) for at most the time the
/// resource stays busy and the time left before `timeout`. The deadline is in server time, as
/// each attempt reports it, so a manual clock drives it like a real one. Returns the last
/// attempt's result.
pub(crate) async fn acquire_with_wait<T, F, Fut>(
    backend: &dyn Backend,
    signal: &[u8],
    timeout: Duration,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(T, Attempt)>>,
{
    let mut deadline = None;
    // Bounded: every pass either ends, or waits on BLPOP for at least 1 ms of server time or
    // until a release; the deadline is fixed by the first pass's server time.
    loop {
        let (result, a) = attempt().await?;
        let deadline = *deadline.get_or_insert(a.now_ms.saturating_add(timeout_ms(timeout)));
        let left = deadline - a.now_ms;
        if a.done || left <= 0 {
            return Ok(result);
        }
        // Wake just after the lease would run out (Redis expires a key once past its time).
        let wait = a.busy_for_ms.filter(|b| *b >= 0).map_or(left, |b| left.min(b + 1)).max(1);
        let seconds = format!("{}.{:03}", wait / 1000, wait % 1000);
        backend.blocking(command!("BLPOP", signal, seconds)).await?;
    }
}

/// The keys of one lock name (shared with [`crate::patterns::redlock`]).
#[derive(Debug, Clone)]
pub(crate) struct LockKeys {
    pub(crate) lock: Vec<u8>,
    pub(crate) fence: Vec<u8>,
    pub(crate) signal: Vec<u8>,
}

impl LockKeys {
    /// Checks `prefix` and `name` and builds the keys.
    pub(crate) fn new(prefix: &str, name: &str) -> Result<LockKeys> {
        keys::validate("prefix", prefix)?;
        keys::validate("lock name", name)?;
        Ok(LockKeys {
            lock: keys::base(prefix, "lock", name),
            fence: keys::part(prefix, "lock", name, "fence"),
            signal: keys::part(prefix, "lock", name, "signal"),
        })
    }
}

/// What the acquire script answered.
pub(crate) struct Grant {
    pub(crate) acquired: bool,
    pub(crate) fence: i64,
    pub(crate) count: i64,
    pub(crate) ttl_ms: i64,
    pub(crate) now_ms: i64,
}

impl Grant {
    fn acquisition(&self) -> Acquisition {
        Acquisition {
            acquired: self.acquired,
            fence: self.acquired.then_some(self.fence.max(0) as u64),
            count: if self.acquired { self.count.max(0) as u64 } else { 0 },
            ttl: (self.ttl_ms >= 0).then(|| Duration::from_millis(self.ttl_ms as u64)),
        }
    }

    fn attempt(&self) -> Attempt {
        Attempt { done: self.acquired, now_ms: self.now_ms, busy_for_ms: Some(self.ttl_ms).filter(|t| *t >= 0) }
    }
}

/// How an acquire attempt relates to waiting (`lock_acquire`'s last argument): a refused
/// caller that will wait registers with the holder, whose release then signals; one that has
/// waited marks its own hold, since others may still wait behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// A single try: refused, it goes away.
    No,
    /// The first try of a blocking acquire: refused, it waits for a release.
    Will,
    /// A try after waiting.
    Did,
}

/// Runs `lock_acquire` on one backend.
pub(crate) async fn acquire_on(
    backend: &dyn Backend,
    keys: &LockKeys,
    token: &str,
    ttl_ms: u64,
    reentrant: bool,
    wait: Wait,
) -> Result<Grant> {
    let wait: &[u8] = match wait {
        Wait::No => b"0",
        Wait::Will => b"1",
        Wait::Did => b"2",
    };
    let reply = backend
        .script(
            &LOCK_ACQUIRE,
            vec![keys.lock.clone(), keys.fence.clone(), keys.signal.clone()],
            vec![
                token.as_bytes().to_vec(),
                ttl_ms.to_string().into_bytes(),
                if reentrant { b"1" } else { b"0" }.to_vec(),
                wait.to_vec(),
            ],
        )
        .await?;
    let items = value::array(reply)?;
    let at = |i: usize| items.get(i).map(value::int).unwrap_or_else(|| Ok(0));
    Ok(Grant { acquired: at(0)? == 1, fence: at(1)?, count: at(2)?, ttl_ms: at(3)?, now_ms: at(4)? })
}

/// Runs `lock_release` on one backend: the holds left, or -1 when `token` does not hold it.
pub(crate) async fn release_on(backend: &dyn Backend, keys: &LockKeys, token: &str) -> Result<i64> {
    let reply = backend
        .script(
            &LOCK_RELEASE,
            vec![keys.lock.clone(), keys.signal.clone()],
            vec![token.as_bytes().to_vec(), SIGNAL_TTL_MS.to_string().into_bytes()],
        )
        .await?;
    value::int(&reply)
}

/// Runs `lock_extend` on one backend: whether `token` held the lock (and now has `ttl_ms`).
pub(crate) async fn extend_on(backend: &dyn Backend, lock: &[u8], token: &str, ttl_ms: u64) -> Result<bool> {
    let reply = backend
        .script(&LOCK_EXTEND, vec![lock.to_vec()], vec![token.as_bytes().to_vec(), ttl_ms.to_string().into_bytes()])
        .await?;
    Ok(value::int(&reply)? == 1)
}

/// How a [`Lock`] behaves. `LockOptions::default().ttl(Duration::from_secs(5)).watchdog(true)`.
/// Deserialises from the JavaScript packages' options (`{ ttl: 5000, watchdog: true }`, see
/// [`super::wire`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct LockOptions {
    /// The lease: how long the lock stays held if its owner never releases it (default 10 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub ttl: Duration,
    /// Whether the owner may acquire again while holding it, counting holds (default false:
    /// a second acquire by the owner is refused, like redis-py).
    pub reentrant: bool,
    /// Whether a background task renews the lease every ttl/3 while held (default false).
    pub watchdog: bool,
    /// Key prefix (default [`keys::DEFAULT_PREFIX`]).
    pub prefix: String,
    /// The owner's token; `None` (the default) draws a random one. Give two handles the same
    /// token to make them one owner (e.g. one logical worker across restarts).
    pub token: Option<String>,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            ttl: Duration::from_secs(10),
            reentrant: false,
            watchdog: false,
            prefix: keys::DEFAULT_PREFIX.to_string(),
            token: None,
        }
    }
}

impl LockOptions {
    /// Sets the lease.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Allows the owner to acquire again (counted).
    #[must_use]
    pub fn reentrant(mut self, on: bool) -> Self {
        self.reentrant = on;
        self
    }

    /// Renews the lease in the background while held.
    #[must_use]
    pub fn watchdog(mut self, on: bool) -> Self {
        self.watchdog = on;
        self
    }

    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    /// Uses `token` as the owner's identity instead of a random one.
    #[must_use]
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }
}

/// The outcome of an acquire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Acquisition {
    /// Whether this owner now holds the lock.
    pub acquired: bool,
    /// The fencing token of this hold: strictly greater than every earlier acquisition's of
    /// the same lock name (a reentrant acquire keeps its hold's token). `None` when refused.
    pub fence: Option<u64>,
    /// How many times the owner holds it (reentrancy); 0 when refused.
    pub count: u64,
    /// The lock's time to live: the new lease when acquired, the holder's remaining lease
    /// when refused (`None` when the lock has no expiry, e.g. someone PERSISTed it).
    #[serde(rename = "ttl_ms", with = "crate::patterns::serde_ms::opt")]
    pub ttl: Option<Duration>,
}

/// The outcome of a release by the owner.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Release {
    /// Whether the lock is now free (false: a reentrant owner still holds it).
    pub released: bool,
    /// The owner's holds left.
    pub count: u64,
}

/// What the lock shares with its watchdog task.
#[derive(Debug, Default)]
struct Watch {
    /// Bumped to start a watchdog and to stop it: a task runs while it matches its number.
    generation: AtomicU64,
    /// The last known count of holds (from the scripts' replies).
    holds: AtomicU64,
    /// Set by the watchdog when the lease could not be renewed.
    lost: AtomicBool,
    /// The sleeping watchdog's waker, so a stop ends it at once instead of at its next tick
    /// (on a simulator without a spawner each watchdog is a thread).
    sleeper: Mutex<Option<Waker>>,
}

impl Watch {
    /// Stops the current watchdog (if any) and returns the next generation's number.
    fn stop(&self) -> u64 {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(w) = self.sleeper.lock().unwrap_or_else(|p| p.into_inner()).take() {
            w.wake();
        }
        generation
    }

    /// Waits for `sleep` while `generation` is current; false once it is not.
    async fn sleep_while(&self, generation: u64, mut sleep: BoxFuture<'static, ()>) -> bool {
        poll_fn(|cx| {
            if self.generation.load(Ordering::SeqCst) != generation {
                return Poll::Ready(false);
            }
            *self.sleeper.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
            // A stop between the check and storing the waker would be missed: check again.
            if self.generation.load(Ordering::SeqCst) != generation {
                return Poll::Ready(false);
            }
            sleep.as_mut().poll(cx).map(|()| true)
        })
        .await
    }
}

/// A distributed lock (see the [module documentation](self)).
///
/// One handle is one owner. Share it (e.g. in an `Arc`) between tasks that act as one owner;
/// create a handle per owner otherwise. Dropping the handle stops its watchdog; a held lock
/// then expires by its TTL.
pub struct Lock {
    backend: BackendRef,
    name: String,
    keys: LockKeys,
    token: String,
    ttl_ms: u64,
    reentrant: bool,
    watchdog: bool,
    watch: Arc<Watch>,
}

impl Lock {
    /// A lock named `name` on `backend`. Fails with [`ErrorKind::InvalidArgument`] for an
    /// empty name or prefix or one holding `{`/`}`, a TTL outside 1 ms ..= 999,999,999,999,999
    /// ms (3 ms with a watchdog, which renews every ttl/3), or an empty or over-long token.
    pub fn new(backend: BackendRef, name: &str, options: LockOptions) -> Result<Lock> {
        let keys = LockKeys::new(&options.prefix, name)?;
        let ttl_ms = check_ms("a lock ttl", options.ttl, if options.watchdog { 3 } else { 1 })?;
        let token = match options.token {
            Some(t) => {
                check_token(&t)?;
                t
            }
            None => new_token()?,
        };
        Ok(Lock {
            backend,
            name: name.to_string(),
            keys,
            token,
            ttl_ms,
            reentrant: options.reentrant,
            watchdog: options.watchdog,
            watch: Arc::new(Watch::default()),
        })
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This owner's token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Tries once, without waiting. Refused (`acquired: false`) while someone else holds the
    /// lock, and while this owner holds it unless the lock is reentrant.
    pub async fn try_acquire(&self) -> Result<Acquisition> {
        Ok(self.grant(Wait::No).await?.acquisition())
    }

    /// Acquires, waiting up to `timeout` (of the backend's time). Wakes as soon as the holder
    /// releases (the release script signals one waiter), or when the holder's lease runs out.
    /// Returns `acquired: false` if the lock was still taken at the deadline. A non-reentrant
    /// owner that already holds the lock waits like anyone else (until its own lease ends).
    pub async fn acquire(&self, timeout: Duration) -> Result<Acquisition> {
        let mut wait = if timeout.is_zero() { Wait::No } else { Wait::Will };
        acquire_with_wait(&*self.backend, &self.keys.signal, timeout, move || {
            let this = std::mem::replace(&mut wait, Wait::Did);
            async move {
                let g = self.grant(this).await?;
                Ok((g.acquisition(), g.attempt()))
            }
        })
        .await
    }

    /// Acquires (waiting up to `timeout`) and returns a [`LockGuard`]; [`ErrorKind::Timeout`]
    /// if the lock stayed taken.
    pub async fn guard(&self, timeout: Duration) -> Result<LockGuard<'_>> {
        let acquisition = self.acquire(timeout).await?;
        if !acquisition.acquired {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("lock {:?} is still held by another owner after {timeout:?}", self.name),
            ));
        }
        Ok(LockGuard { lock: self, acquisition, released: false })
    }

    /// Acquires (waiting up to `timeout`), runs `work` with the acquisition (its fencing
    /// token), and releases. [`ErrorKind::Timeout`] if the lock stayed taken;
    /// [`ErrorKind::LockNotOwned`] if the lock expired while `work` ran (its result is then
    /// dropped: it ran unprotected, which the caller must hear about). If this future is
    /// dropped midway, the lock is left to expire by its TTL.
    pub async fn with_lock<T, F, Fut>(&self, timeout: Duration, work: F) -> Result<T>
    where
        F: FnOnce(Acquisition) -> Fut,
        Fut: Future<Output = T>,
    {
        let guard = self.guard(timeout).await?;
        let out = work(guard.acquisition.clone()).await;
        guard.release().await?;
        Ok(out)
    }

    /// Releases one hold. [`ErrorKind::LockNotOwned`] if this owner does not hold the lock
    /// (never did, released it already, or its lease ran out). The last release wakes one
    /// waiter. The watchdog stops before the last release is sent: if that release fails
    /// (say, the connection drops), the lock expires by its TTL.
    pub async fn release(&self) -> Result<Release> {
        // Stop the watchdog first when this is the last hold, so a renewal racing the release
        // cannot report the lock as lost.
        if self.watch.holds.load(Ordering::SeqCst) <= 1 {
            self.watch.stop();
        }
        let left = release_on(&*self.backend, &self.keys, &self.token).await?;
        if left <= 0 {
            self.watch.stop();
            self.watch.holds.store(0, Ordering::SeqCst);
        } else {
            self.watch.holds.store(left as u64, Ordering::SeqCst);
        }
        if left < 0 {
            return Err(not_owned("lock", &self.name));
        }
        Ok(Release { released: left == 0, count: left as u64 })
    }

    /// Sets the lease of a held lock to `ttl` from now. [`ErrorKind::LockNotOwned`] if this
    /// owner does not hold it.
    pub async fn extend(&self, ttl: Duration) -> Result<()> {
        let ttl_ms = check_ms("a lock ttl", ttl, 1)?;
        if extend_on(&*self.backend, &self.keys.lock, &self.token, ttl_ms).await? {
            Ok(())
        } else {
            Err(not_owned("lock", &self.name))
        }
    }

    /// Whether anyone holds the lock.
    pub async fn is_locked(&self) -> Result<bool> {
        value::boolean(&self.backend.command(command!("EXISTS", &self.keys.lock)).await?)
    }

    /// Whether this owner holds the lock.
    pub async fn is_owned(&self) -> Result<bool> {
        let owner = value::opt_bytes(&self.backend.command(command!("HGET", &self.keys.lock, "token")).await?)?;
        Ok(owner.as_deref() == Some(self.token.as_bytes()))
    }

    /// The lock's remaining lease; `None` when it is free (or has no expiry).
    pub async fn ttl(&self) -> Result<Option<Duration>> {
        let pttl = value::int(&self.backend.command(command!("PTTL", &self.keys.lock)).await?)?;
        Ok((pttl >= 0).then(|| Duration::from_millis(pttl as u64)))
    }

    /// Whether the watchdog found, since the last acquire, that the lease could not be renewed
    /// (the lock expired or was taken, or the backend failed for a whole TTL). Always false
    /// without a watchdog.
    pub fn lost(&self) -> bool {
        self.watch.lost.load(Ordering::SeqCst)
    }

    /// Runs the acquire script, and on a fresh acquisition starts the watchdog.
    async fn grant(&self, wait: Wait) -> Result<Grant> {
        let g = acquire_on(&*self.backend, &self.keys, &self.token, self.ttl_ms, self.reentrant, wait).await?;
        if g.acquired {
            self.watch.holds.store(g.count.max(0) as u64, Ordering::SeqCst);
            if g.count == 1 {
                self.watch.lost.store(false, Ordering::SeqCst);
                if let Err(e) = self.start_watchdog() {
                    // Without its watchdog the caller would trust a lease nobody renews.
                    let _ = release_on(&*self.backend, &self.keys, &self.token).await;
                    return Err(e);
                }
            }
        }
        Ok(g)
    }

    fn start_watchdog(&self) -> Result<()> {
        if !self.watchdog {
            return Ok(());
        }
        let generation = self.watch.stop();
        // The first renewal is due ttl/3 after the acquisition, however late the task starts.
        let first = self.backend.sleep(Duration::from_millis(self.ttl_ms / 3));
        let task = renew(
            first,
            self.backend.clone(),
            self.keys.lock.clone(),
            self.token.clone(),
            self.ttl_ms,
            self.watch.clone(),
            generation,
        );
        self.backend.spawn(Box::pin(task))
    }
}

impl std::fmt::Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lock({:?} on {}, ttl {} ms)", self.name, self.backend.name(), self.ttl_ms)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.watch.stop();
    }
}

/// The watchdog: every ttl/3, extend the lease to ttl, while `generation` is current. A lease
/// found not ours, or [`WATCHDOG_FAILURES`] failed renewals in a row, mark the lock lost.
async fn renew(
    first: BoxFuture<'static, ()>,
    backend: BackendRef,
    lock: Vec<u8>,
    token: String,
    ttl_ms: u64,
    watch: Arc<Watch>,
    generation: u64,
) {
    let every = Duration::from_millis(ttl_ms / 3);
    let current = || watch.generation.load(Ordering::SeqCst) == generation;
    let mut failures = 0;
    let mut next = first;
    // Bounded: it ends on release, drop, loss, or a run of failures.
    loop {
        if !watch.sleep_while(generation, next).await {
            return;
        }
        match extend_on(&*backend, &lock, &token, ttl_ms).await {
            Ok(true) => failures = 0,
            Ok(false) => break,
            Err(_) => {
                failures += 1;
                if failures >= WATCHDOG_FAILURES {
                    break;
                }
            }
        }
        next = backend.sleep(every);
    }
    if current() {
        watch.lost.store(true, Ordering::SeqCst);
    }
}

/// A held lock, from [`Lock::guard`]. Release it with [`LockGuard::release`]: Rust cannot
/// await in `drop`, so dropping an unreleased guard only stops the watchdog and the lock
/// expires by its TTL.
#[derive(Debug)]
#[must_use = "a guard does not release the lock when dropped: call release().await"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
    acquisition: Acquisition,
    released: bool,
}

impl LockGuard<'_> {
    /// The acquisition this guard holds.
    pub fn acquisition(&self) -> &Acquisition {
        &self.acquisition
    }

    /// The fencing token of this hold.
    pub fn fence(&self) -> u64 {
        self.acquisition.fence.unwrap_or(0)
    }

    /// Sets the lease to `ttl` from now ([`Lock::extend`]).
    pub async fn extend(&self, ttl: Duration) -> Result<()> {
        self.lock.extend(ttl).await
    }

    /// Releases the hold ([`Lock::release`]).
    pub async fn release(mut self) -> Result<Release> {
        self.released = true;
        self.lock.release().await
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if !self.released {
            self.lock.watch.stop();
        }
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;
    use crate::backend::{block_on, SimBackend};
    use crate::sim::{Clock, Simulator};

    /// A held lock with a watchdog, on a manual clock; the watchdog runs on its own thread.
    fn held(sim: &Simulator) -> Lock {
        let backend = Arc::new(SimBackend::new(sim.clone()));
        let options = LockOptions::default().ttl(Duration::from_millis(300)).watchdog(true);
        Lock::new(backend, "guarded", options).expect("lock")
    }

    /// Moves the clock 100 ms at a time, giving the watchdog thread time to renew after each.
    fn advance(sim: &Simulator, steps: usize) {
        for _ in 0..steps {
            sim.advance_ms(100);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_kept_guard_is_renewed_and_a_dropped_one_expires() {
        let sim = Simulator::with_clock(Clock::manual(1_000_000));
        let lock = held(&sim);
        let guard = block_on(lock.guard(Duration::ZERO)).expect("free lock");
        assert_eq!(guard.fence(), 1);
        advance(&sim, 5);
        assert!(block_on(lock.is_owned()).expect("is_owned"), "renewed past its 300 ms lease");
        drop(guard);
        advance(&sim, 4);
        assert!(!block_on(lock.is_locked()).expect("is_locked"), "no renewal after the guard was dropped");
        assert!(!lock.lost(), "a stopped watchdog reports nothing");
    }

    #[test]
    fn a_release_ends_the_watchdog_at_once() {
        let sim = Simulator::with_clock(Clock::manual(1_000_000));
        let lock = held(&sim);
        assert!(block_on(lock.try_acquire()).expect("acquire").acquired);
        std::thread::sleep(Duration::from_millis(20));
        let sleeping = lock.watch.sleeper.lock().map(|w| w.is_some()).unwrap_or(false);
        assert!(sleeping, "the watchdog waits for its first tick");
        assert!(block_on(lock.release()).expect("release").released);
        // No time passes, yet the watchdog has ended: its task (a thread here) is gone.
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(Arc::strong_count(&lock.watch), 1, "only the lock holds the watch now");
    }

    #[test]
    fn dropping_the_lock_stops_its_watchdog() {
        let sim = Simulator::with_clock(Clock::manual(1_000_000));
        let lock = held(&sim);
        let other = held(&sim);
        assert!(block_on(lock.try_acquire()).expect("acquire").acquired);
        drop(lock);
        advance(&sim, 4);
        assert!(block_on(other.try_acquire()).expect("acquire").acquired, "the dropped owner's lease ran out");
    }
}
