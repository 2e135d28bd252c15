//! The simulator: a Redis 7.0 compatible engine in memory, with a clock that tests can drive.
//!
//! [`Simulator`] owns the shared state (databases, clients, pub/sub, blocking queues) behind one
//! lock; each [`Connection`] is one client with its own selected db, protocol, MULTI queue and
//! subscriptions. Commands are `fn(&mut Ctx, &[Vec<u8>]) -> CmdResult` handlers registered in one
//! table ([`commands`]), one file per command family; replies and error texts are redis-server's.
//!
//! ```
//! use redkit::sim::{Clock, Simulator};
//! use redkit::resp::Value;
//!
//! let sim = Simulator::with_clock(Clock::manual(1_700_000_000_000));
//! let mut c = sim.connect();
//! c.execute(&["SET", "greeting", "hi", "PX", "500"]);
//! sim.advance_ms(500);
//! assert_eq!(c.execute(&["GET", "greeting"]), Value::bulk("hi")); // alive through its last ms
//! sim.advance_ms(1);
//! assert_eq!(c.execute(&["GET", "greeting"]), Value::Nil);
//! ```

pub mod blocking;
pub mod bytes;
pub mod client;
pub mod clock;
pub mod command;
pub mod commands;
pub mod config;
pub mod db;
pub mod dense;
pub mod dispatch;
pub mod errors;
pub mod eviction;
pub mod faults;
pub mod float;
pub mod host;
pub mod scripting;
pub mod serve;
pub mod snapshot;
pub mod state;
pub mod types;
pub mod wait;

pub use clock::Clock;
pub use config::Config;
pub use float::fmt_double;
pub use wait::Sleep;

use crate::resp::{Protocol, Value};
use client::Client;
use dispatch::Outcome;
use state::State;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Simulator version reported as `redkit_version` in INFO.
pub const REDKIT_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The Redis release whose behaviour is reproduced (INFO `redis_version`).
pub const REDIS_VERSION: &str = "7.0.15";

struct Shared {
    state: Mutex<State>,
    /// Wakes threads waiting for a blocked reply or a push; see [`Shared::notify`].
    wake: Condvar,
    /// How many threads wait on `wake` (a notify with none is skipped: on Linux every
    /// `notify_all` is a futex system call, which would otherwise cost each command one).
    waiters: std::sync::atomic::AtomicUsize,
    clock: Clock,
    /// The running script's state, read without the lock (BUSY, SCRIPT KILL).
    script_control: Arc<scripting::control::ScriptControl>,
    /// Sleeps and blocked-command deadlines waiting on the clock ([`wait`]).
    timers: Mutex<wait::Timers>,
    /// Wakes the cron thread when an earlier timer is registered.
    timer_cv: Condvar,
}

impl Shared {
    /// Wakes every thread waiting on `wake`, if there is one. Call it after releasing the state
    /// lock that guarded the change: a waiter registers (under that lock) before it waits.
    fn notify(&self) {
        if self.waiters.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            self.wake.notify_all();
        }
    }

    /// Waits on `wake` for at most `max`, registered as a waiter; `st` is the state lock.
    /// (wasm32 has no thread to wait on.)
    #[cfg(not(target_family = "wasm"))]
    fn wait<'a>(&self, st: MutexGuard<'a, State>, max: Duration) -> MutexGuard<'a, State> {
        use std::sync::atomic::Ordering;
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let st = self.wake.wait_timeout(st, max).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        st
    }
}

/// An in-memory Redis server. Clone it to share; every clone is the same server.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator::new()
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Simulator({:?})", self.shared.clock)
    }
}

impl Simulator {
    /// A simulator on the system clock with the default configuration.
    pub fn new() -> Simulator {
        Simulator::with_config(Clock::system(), Config::default())
    }

    /// A simulator on the given clock (e.g. [`Clock::manual`]).
    pub fn with_clock(clock: Clock) -> Simulator {
        Simulator::with_config(clock, Config::default())
    }

    /// A simulator with a clock and a configuration.
    pub fn with_config(clock: Clock, config: Config) -> Simulator {
        let now = clock.now_ms();
        let manual = clock.is_manual();
        let mut state = State::new(config, now);
        state.host.manual_clock = manual;
        let script_control = state.script_control.clone();
        let sim = Simulator {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                script_control,
                wake: Condvar::new(),
                waiters: std::sync::atomic::AtomicUsize::new(0),
                clock,
                timers: Mutex::new(wait::Timers::default()),
                timer_cv: Condvar::new(),
            }),
        };
        if !manual {
            sim.spawn_sweeper();
        }
        sim
    }

    /// On wall-clock time, expiry and blocking timeouts must happen even when no client sends a
    /// command (Redis's serverCron): a background thread sweeps ten times a second, fires
    /// [`Sleep`] timers at their millisecond, and ends with the simulator.
    #[cfg(not(target_family = "wasm"))]
    fn spawn_sweeper(&self) {
        let weak = Arc::downgrade(&self.shared);
        let mut last_sweep = 0u64;
        let spawned = std::thread::Builder::new().name("redkit-sim-cron".into()).spawn(move || loop {
            let Some(shared) = weak.upgrade() else { break };
            let now = shared.clock.now_ms();
            let timers = shared.timers.lock().unwrap_or_else(|p| p.into_inner());
            let next_sweep = last_sweep.saturating_add(100);
            let until = timers.next_deadline().map_or(next_sweep, |d| d.min(next_sweep));
            let timers = if until > now {
                let wait = Duration::from_millis((until - now).min(100));
                shared.timer_cv.wait_timeout(timers, wait).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0)
            } else {
                timers
            };
            drop(timers);
            let sim = Simulator { shared };
            sim.fire_timers();
            let now = sim.shared.clock.now_ms();
            if now >= last_sweep.saturating_add(100) {
                last_sweep = now;
                let mut st = sim.lock();
                st.active_expire(now, 200);
                blocking::expire_timeouts(&mut st, now);
                dispatch::deliver_outbox(&mut st);
                drop(st);
                sim.shared.notify();
            }
        });
        // Without a thread the simulator still expires lazily and on every command.
        drop(spawned);
    }

    /// wasm32 has no threads: expiry runs lazily and on every command.
    #[cfg(target_family = "wasm")]
    fn spawn_sweeper(&self) {}

    /// The simulator's clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Locks the shared state. A handler that panicked poisons nothing: the state is recovered.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a client connection (RESP2, db 0).
    pub fn connect(&self) -> Connection {
        let now = self.shared.clock.now_ms();
        let mut st = self.lock();
        let id = st.next_client_id;
        st.next_client_id += 1;
        if !st.faults.refuse(id) {
            st.stats.connections += 1;
            let mut client = Client::new(id, now);
            client.authenticated = !st.config.requires_auth();
            st.clients.insert(id, Box::new(client));
        }
        drop(st);
        Connection { sim: self.clone(), id }
    }

    /// Moves a manual clock forward by `ms`, then expires due keys and times out blocked clients.
    /// Returns false (and does nothing) on a system clock.
    pub fn advance_ms(&self, ms: u64) -> bool {
        if !self.shared.clock.advance_ms(ms) {
            return false;
        }
        self.tick();
        true
    }

    /// Moves a manual clock by a [`Duration`].
    pub fn advance(&self, d: Duration) -> bool {
        if !self.shared.clock.advance_us(d.as_micros() as u64) {
            return false;
        }
        self.tick();
        true
    }

    /// Sets a manual clock to `ms` since the epoch and fires what became due.
    pub fn set_time_ms(&self, ms: u64) -> bool {
        if !self.shared.clock.set_ms(ms) {
            return false;
        }
        self.tick();
        true
    }

    /// Fires everything the current time makes due: key expiry, blocking timeouts and
    /// [`Sleep`]s. A wasm host on the system clock calls this from an interval timer.
    pub fn tick(&self) {
        let now = self.shared.clock.now_ms();
        let mut st = self.lock();
        st.expire_all_due(now);
        blocking::expire_timeouts(&mut st, now);
        dispatch::deliver_outbox(&mut st);
        st.last_sweep_ms = now;
        drop(st);
        self.shared.notify();
        self.fire_timers();
    }
}

/// Runs one command for client `id` under the held lock (refused while an earlier command of
/// the client is blocked); returns its outcome and how many frames were queued before it ran.
fn run_locked(st: &mut State, id: u64, argv: &[Vec<u8>], now_us: u64) -> (Outcome, usize) {
    let (blocked, before) = st.clients.get(&id).map_or((false, 0), |c| (c.blocked.is_some(), c.pushes.len()));
    if blocked {
        return (Outcome::Reply(Value::error("ERR connection is blocked by a previous command")), before);
    }
    (dispatch::run(st, id, argv, now_us), before)
}

/// The result of submitting a command without waiting.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Submitted {
    /// The command completed.
    Reply(Value),
    /// The command blocks; call [`Connection::poll`] or [`Connection::wait`].
    Blocked,
}

/// One client of a [`Simulator`].
pub struct Connection {
    sim: Simulator,
    id: u64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Connection(id={})", self.id)
    }
}

impl Connection {
    /// CLIENT ID of this connection.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The simulator this connection talks to.
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    /// The protocol the connection speaks (changed by HELLO).
    pub fn protocol(&self) -> Protocol {
        self.sim.lock().clients.get(&self.id).map(|c| c.proto).unwrap_or_default()
    }

    fn argv<A: AsRef<[u8]>>(args: &[A]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_ref().to_vec()).collect()
    }

    /// Runs a command without waiting: a blocking command that has to wait returns
    /// [`Submitted::Blocked`].
    pub fn submit<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Submitted {
        let argv = Self::argv(args);
        self.submit_argv(&argv)
    }

    /// [`Connection::submit`] for an owned argv.
    pub fn submit_argv(&mut self, argv: &[Vec<u8>]) -> Submitted {
        match self.run_argv(argv) {
            Err(v) | Ok((Outcome::Reply(v), _)) => Submitted::Reply(v),
            Ok((Outcome::Blocked, _)) => Submitted::Blocked,
            // The reply is the first frame the command queued (earlier pushes stay queued).
            Ok((Outcome::Silent, before)) => Submitted::Reply(self.take_push_at(before).unwrap_or(Value::NilArray)),
        }
    }

    /// Runs a command; returns its outcome and how many frames were queued before it ran.
    /// The state lock for running `argv`, or the reply a busy script makes it get instead
    /// (BUSY, or SCRIPT KILL's answer): while a script holds the lock, the command waits for it
    /// only until the script runs past `busy-reply-threshold`, as Redis answers its queued
    /// clients then.
    fn lock_unless_busy(&self, argv: &[Vec<u8>]) -> Result<MutexGuard<'_, State>, Value> {
        let control = &self.sim.shared.script_control;
        loop {
            if let Some(v) = control.busy_reply(argv) {
                return Err(v);
            }
            match self.sim.shared.state.try_lock() {
                Ok(st) => return Ok(st),
                Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) if control.is_running() => {
                    #[cfg(not(target_family = "wasm"))]
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(std::sync::TryLockError::WouldBlock) => return Ok(self.sim.lock()),
            }
        }
    }

    /// Runs a command; returns its outcome and how many frames were queued before it ran, or
    /// (`Err`) the reply given without the lock because a script is busy.
    fn run_argv(&mut self, argv: &[Vec<u8>]) -> Result<(Outcome, usize), Value> {
        let result = {
            let _pending = self.sim.shared.script_control.pending_script(argv);
            let mut st = self.lock_unless_busy(argv)?;
            let latency = st.faults.latency_ms;
            if latency > 0 {
                // Injected latency is real time spent outside the lock, before the command runs.
                drop(st);
                #[cfg(not(target_family = "wasm"))]
                std::thread::sleep(Duration::from_millis(latency));
                st = self.sim.lock();
            }
            let now = self.sim.shared.clock.now_us();
            let result = run_locked(&mut st, self.id, argv, now);
            let advance = std::mem::take(&mut st.host.advance_us);
            drop(st);
            self.apply_advance(advance);
            result
        };
        self.sim.shared.notify();
        Ok(result)
    }

    /// Moves the clock by what `REDKIT.ADVANCE` asked for (`us`, taken from the state), after
    /// the command and outside the lock, firing what becomes due.
    fn apply_advance(&self, us: u64) {
        if us > 0 {
            self.sim.advance(Duration::from_micros(us));
        }
    }

    fn take_push_at(&mut self, i: usize) -> Option<Value> {
        self.sim.lock().clients.get_mut(&self.id).and_then(|c| c.pushes.remove(i))
    }

    /// The reply of a blocked command if it has completed (served or timed out).
    pub fn poll(&mut self) -> Option<Value> {
        let now = self.sim.shared.clock.now_ms();
        let mut st = self.sim.lock();
        blocking::expire_timeouts(&mut st, now);
        st.clients.get_mut(&self.id).and_then(|c| c.unblocked_reply.take())
    }

    /// Waits for a blocked command's reply, at most `max` of real time (None: as long as the
    /// command's own timeout, which on a manual clock passes only when the clock is advanced).
    #[cfg(not(target_family = "wasm"))]
    pub fn wait(&mut self, max: Option<Duration>) -> Option<Value> {
        let start = std::time::Instant::now();
        let shared = self.sim.shared.clone();
        let mut st = self.sim.lock();
        loop {
            let now = shared.clock.now_ms();
            blocking::expire_timeouts(&mut st, now);
            let c = st.clients.get_mut(&self.id)?;
            if let Some(v) = c.unblocked_reply.take() {
                return Some(v);
            }
            c.blocked.as_ref()?;
            let mut slice = Duration::from_millis(50);
            if let Some(m) = max {
                let left = m.checked_sub(start.elapsed())?;
                slice = slice.min(left);
            }
            if !shared.clock.is_manual() {
                if let Some(d) = c.blocked.as_ref().and_then(|b| b.deadline_ms) {
                    slice = slice.min(Duration::from_millis(d.saturating_sub(now).max(1)));
                }
            }
            st = shared.wait(st, slice);
        }
    }

    /// Runs a command and returns its reply, waiting if it blocks (on a manual clock, until
    /// another thread serves it or advances time past its timeout).
    #[cfg(not(target_family = "wasm"))]
    pub fn execute<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        let argv = Self::argv(args);
        self.execute_argv(&argv)
    }

    /// [`Connection::execute`] for an owned argv.
    #[cfg(not(target_family = "wasm"))]
    pub fn execute_argv(&mut self, argv: &[Vec<u8>]) -> Value {
        match self.submit_argv(argv) {
            Submitted::Reply(v) => v,
            Submitted::Blocked => self.wait(None).unwrap_or(Value::NilArray),
        }
    }

    /// Runs a pipeline: the commands back to back under one acquisition of the lock and one
    /// read of the clock, as Redis runs the commands it read from a socket in one event-loop
    /// iteration with nothing of another client in between. A command that blocks releases the
    /// lock and waits like [`Connection::execute`] (the clock is read again after it). Returns
    /// the replies in order, each exactly what [`Connection::execute`] would have returned.
    #[cfg(not(target_family = "wasm"))]
    pub fn execute_batch<'a>(&mut self, argvs: impl IntoIterator<Item = &'a [Vec<u8>]>) -> Vec<Value> {
        let argvs = argvs.into_iter();
        let mut out = Vec::with_capacity(argvs.size_hint().0);
        let mut st = self.sim.lock();
        if st.faults.latency_ms > 0 {
            // Injected latency is per command: take the one-by-one path.
            drop(st);
            return argvs.map(|argv| self.execute_argv(argv)).collect();
        }
        let mut now = self.sim.shared.clock.now_us();
        for argv in argvs {
            let (outcome, before) = run_locked(&mut st, self.id, argv, now);
            let advance = std::mem::take(&mut st.host.advance_us);
            if advance > 0 {
                drop(st);
                self.apply_advance(advance);
                st = self.sim.lock();
                now = self.sim.shared.clock.now_us();
            }
            let v = match outcome {
                Outcome::Reply(v) => v,
                Outcome::Silent => {
                    st.clients.get_mut(&self.id).and_then(|c| c.pushes.remove(before)).unwrap_or(Value::NilArray)
                }
                Outcome::Blocked => {
                    drop(st);
                    self.sim.shared.notify();
                    let v = self.wait(None).unwrap_or(Value::NilArray);
                    st = self.sim.lock();
                    now = self.sim.shared.clock.now_us();
                    v
                }
            };
            out.push(v);
        }
        drop(st);
        self.sim.shared.notify();
        out
    }

    /// Runs a command; a command that would block answers an error instead (no threads to wait
    /// on in wasm: use `submit` and `poll`).
    #[cfg(target_family = "wasm")]
    pub fn execute<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        let argv = Self::argv(args);
        self.execute_argv(&argv)
    }

    /// [`Connection::execute`] for an owned argv.
    #[cfg(target_family = "wasm")]
    pub fn execute_argv(&mut self, argv: &[Vec<u8>]) -> Value {
        match self.submit_argv(argv) {
            Submitted::Reply(v) => v,
            Submitted::Blocked => Value::error("ERR command would block: use submit() and poll()"),
        }
    }

    /// Runs `body` atomically on this connection, like a script: see [`dispatch::run_atomic`].
    /// Commands inside go through [`dispatch::call_nested`]. `None` if the connection is closed.
    pub fn atomic<R>(&mut self, body: impl FnOnce(&mut command::Ctx) -> R) -> Option<R> {
        // The time is read under the lock: a script that waited for it must not run with an
        // earlier time than the one that ran before it.
        let mut st = self.sim.lock();
        let now = self.sim.shared.clock.now_us();
        let out = dispatch::run_atomic(&mut st, self.id, now, body);
        drop(st);
        self.sim.shared.notify();
        out
    }

    /// Takes the next out-of-band frame (pub/sub message, extra subscribe confirmation).
    pub fn pop_push(&mut self) -> Option<Value> {
        self.sim.lock().clients.get_mut(&self.id).and_then(|c| c.pushes.pop_front())
    }

    /// Takes all pending out-of-band frames.
    pub fn drain_pushes(&mut self) -> Vec<Value> {
        self.sim.lock().clients.get_mut(&self.id).map(|c| c.pushes.drain(..).collect()).unwrap_or_default()
    }

    /// Waits up to `max` for the next out-of-band frame.
    #[cfg(not(target_family = "wasm"))]
    pub fn next_push(&mut self, max: Duration) -> Option<Value> {
        let start = std::time::Instant::now();
        let shared = self.sim.shared.clone();
        let mut st = self.sim.lock();
        loop {
            if let Some(v) = st.clients.get_mut(&self.id)?.pushes.pop_front() {
                return Some(v);
            }
            let left = max.checked_sub(start.elapsed())?;
            st = shared.wait(st, left);
        }
    }

    /// Runs a command and returns the exact bytes redis-server would write back, in the
    /// connection's protocol: the out-of-band frames pending (queued before or by the command),
    /// then the reply; for SUBSCRIBE & co. the reply is those frames.
    #[cfg(not(target_family = "wasm"))]
    pub fn execute_wire(&mut self, argv: &[Vec<u8>]) -> Vec<u8> {
        match self.submit_wire(argv) {
            Some(bytes) => bytes,
            None => {
                let reply = self.wait(None);
                self.wire_frames(reply.as_ref())
            }
        }
    }

    /// [`Connection::execute_wire`] without waiting: `None` when the command blocks. Its reply
    /// then comes from [`Connection::poll`], [`Connection::wait`] or [`Connection::reply`]; write
    /// it with [`Connection::wire_frames`]. What an in-process socket (a fake Redis for a
    /// client library) needs to serve several connections without a thread each.
    pub fn submit_wire(&mut self, argv: &[Vec<u8>]) -> Option<Vec<u8>> {
        match self.run_argv(argv) {
            // Answered while a script holds the lock: an error or status line, the same bytes in
            // both protocols, and pending frames stay queued.
            Err(v) => {
                let mut out = Vec::new();
                crate::resp::write_value(&mut out, &v, Protocol::Resp2);
                Some(out)
            }
            Ok((Outcome::Reply(v), _)) => Some(self.wire_frames(Some(&v))),
            Ok((Outcome::Blocked, _)) => None,
            // The frames are the reply, queued after anything already pending.
            Ok((Outcome::Silent, _)) => Some(self.wire_frames(None)),
        }
    }

    /// The bytes redis-server writes next on this connection: the pending out-of-band frames,
    /// then `reply` (if any), in the connection's protocol.
    pub fn wire_frames(&mut self, reply: Option<&Value>) -> Vec<u8> {
        let mut out = Vec::new();
        match self.sim.lock().clients.get_mut(&self.id) {
            Some(c) => write_frames(c, reply, &mut out),
            None => reply.into_iter().for_each(|v| crate::resp::write_value(&mut out, v, Protocol::Resp2)),
        }
        out
    }
}

/// Appends what redis-server writes next to client `c`: its pending out-of-band frames, then
/// `reply` (if any), in its protocol. Frames queued before or during a command (messages the
/// client publishes to itself, keyspace events of its own writes) precede the reply on Redis's
/// wire too.
fn write_frames(c: &mut Client, reply: Option<&Value>, out: &mut Vec<u8>) {
    for frame in c.pushes.drain(..) {
        crate::resp::write_value(out, &frame, c.proto);
    }
    if let Some(v) = reply {
        crate::resp::write_value(out, v, c.proto);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let mut st = self.sim.lock();
        st.faults.forget(self.id);
        dispatch::disconnect(&mut st, self.id);
    }
}
