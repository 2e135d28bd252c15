//! The simulator's shared state behind its one lock: databases, configuration, the client table,
//! statistics, blocking queues, WATCH registry, pub/sub registry and the outbox of frames that
//! commands send to other clients. Also the operations that cut across command families: lazy
//! expiry on lookup, active expiry sweeps, signalling modified and ready keys.

use super::bytes::SmallBytes;
use super::client::Client;
use super::commands::pubsub::PubSubState;
use super::config::Config;
use super::db::Db;
use super::faults::Faults;
use crate::resp::Value;
use std::collections::{HashMap, VecDeque};

/// Counters reported by INFO stats.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Commands executed.
    pub commands: u64,
    /// Connections accepted.
    pub connections: u64,
    /// Keys deleted because their TTL passed.
    pub expired_keys: u64,
    /// Keys evicted by maxmemory.
    pub evicted_keys: u64,
    /// Successful key lookups.
    pub keyspace_hits: u64,
    /// Failed key lookups.
    pub keyspace_misses: u64,
    /// Commands refused or failed.
    pub errors: u64,
}

/// Everything behind the simulator's lock.
pub struct State {
    /// Numbered databases.
    pub dbs: Vec<Db>,
    /// Configuration.
    pub config: Config,
    /// Connected clients by id (the client running a command is temporarily out of this map).
    /// Boxed: every command takes its client out and puts it back, which moves only a pointer.
    pub clients: HashMap<u64, Box<Client>, foldhash::fast::FixedState>,
    /// Next CLIENT ID.
    pub next_client_id: u64,
    /// INFO stats.
    pub stats: Stats,
    /// Changes since the last snapshot (INFO persistence `rdb_changes_since_last_save`).
    pub dirty: u64,
    /// Clients blocked per (db, key), in blocking order.
    pub blocked_on: HashMap<(usize, SmallBytes), VecDeque<u64>>,
    /// Keys signalled since blocked clients were last served.
    pub ready_keys: Vec<(usize, SmallBytes)>,
    /// Sequence number for blocking order.
    pub block_seq: u64,
    /// Clients watching each (db, key).
    pub watched_keys: HashMap<(usize, SmallBytes), Vec<u64>>,
    /// Channel and pattern subscribers.
    pub pubsub: PubSubState,
    /// Frames for other clients produced by the running command, delivered after it.
    pub outbox: Vec<(u64, Value)>,
    /// Injected faults.
    pub faults: Faults,
    /// Creation time (ms), for INFO uptime.
    pub start_ms: u64,
    /// Last active-expiry sweep (ms).
    pub last_sweep_ms: u64,
    /// Id of the client whose command is running (it is out of `clients` meanwhile).
    pub running_client: u64,
    /// The running client's WATCHed key was modified by its own command.
    pub running_dirty_cas: bool,
    /// The running command is not a write: its lookups count as keyspace hits/misses (Redis
    /// counts lookupKeyRead, not lookupKeyWrite).
    pub read_command: bool,
    /// Expired keys are reclaimed in the background (DEBUG SET-ACTIVE-EXPIRE 0 turns it off).
    pub active_expire_enabled: bool,
    /// Random state for RANDOMKEY, SPOP, eviction sampling (xorshift; seedable for tests).
    pub rng: u64,
    /// maxmemory eviction pool and peak memory (see `eviction`).
    pub eviction: super::eviction::EvictionState,
    /// What a hosting server reads and sets: snapshot file, SHUTDOWN, clock moves, CLIENT PAUSE.
    pub host: super::host::HostState,
    /// Script cache, function libraries and their Lua VMs.
    pub scripting: super::scripting::Scripting,
    /// The running script's state, shared with the connections (BUSY, SCRIPT KILL).
    pub script_control: std::sync::Arc<super::scripting::control::ScriptControl>,
}

impl State {
    /// Fresh state with `config.databases` empty databases.
    pub fn new(config: Config, now_ms: u64) -> State {
        State {
            dbs: (0..config.databases).map(|_| Db::default()).collect(),
            config,
            clients: HashMap::default(),
            next_client_id: 1,
            stats: Stats::default(),
            dirty: 0,
            blocked_on: HashMap::new(),
            ready_keys: Vec::new(),
            block_seq: 0,
            watched_keys: HashMap::new(),
            pubsub: PubSubState::default(),
            outbox: Vec::new(),
            faults: Faults::default(),
            start_ms: now_ms,
            last_sweep_ms: now_ms,
            running_client: 0,
            read_command: true,
            active_expire_enabled: true,
            running_dirty_cas: false,
            rng: 0x9E37_79B9_7F4A_7C15,
            eviction: Default::default(),
            host: Default::default(),
            scripting: Default::default(),
            script_control: Default::default(),
        }
    }

    /// Next pseudo-random number (xorshift64*).
    pub fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A random index below `n` (n > 0).
    pub fn random_below(&mut self, n: usize) -> usize {
        (self.random() % n.max(1) as u64) as usize
    }

    /// Finds a live key, deleting it first if expired. Updates the access stamp and hit/miss
    /// statistics. Returns its position in the db's keyspace.
    pub fn lookup(&mut self, db: usize, key: &[u8], now_ms: u64) -> Option<usize> {
        let found = self.lookup_no_touch(db, key, now_ms);
        match found {
            Some(i) => {
                if self.read_command {
                    self.stats.keyspace_hits += 1;
                }
                super::eviction::touch_at(self, db, i, now_ms);
            }
            None if self.read_command => {
                self.stats.keyspace_misses += 1;
                super::commands::pubsub::notify_keyspace_event_state(self, 'm', "keymiss", key, db);
            }
            None => {}
        }
        found
    }

    /// Finds a live key (expiring it if due) without updating access statistics.
    pub fn lookup_no_touch(&mut self, db: usize, key: &[u8], now_ms: u64) -> Option<usize> {
        let i = self.dbs[db].keys.find(key)?;
        let exp = self.dbs[db].keys.at(i).map(|(_, e)| e.expire_at).unwrap_or(0);
        if super::db::is_expired(exp, now_ms) {
            self.expire_key(db, key);
            return None;
        }
        Some(i)
    }

    /// Deletes a key whose TTL passed: stats, WATCH invalidation, `expired` event.
    pub fn expire_key(&mut self, db: usize, key: &[u8]) {
        if self.dbs[db].remove(key).is_some() {
            self.stats.expired_keys += 1;
            self.signal_modified(db, key);
            super::commands::pubsub::notify_keyspace_event_state(self, 'x', "expired", key, db);
        }
    }

    /// Active expiry: samples keys with a TTL and deletes expired ones, repeating while more
    /// than a quarter of a sample was expired (Redis's adaptive cycle), within `budget` checks.
    pub fn active_expire(&mut self, now_ms: u64, budget: usize) -> usize {
        if !self.active_expire_enabled {
            return 0;
        }
        let mut removed = 0;
        let mut checked = 0;
        for db in 0..self.dbs.len() {
            loop {
                let n = self.dbs[db].volatile.len();
                if n == 0 || checked >= budget {
                    break;
                }
                let sample = n.min(20);
                let mut expired_in_sample = 0;
                for _ in 0..sample {
                    let n = self.dbs[db].volatile.len();
                    if n == 0 {
                        break;
                    }
                    let pick = self.random_below(n);
                    let Some((k, _)) = self.dbs[db].volatile.at(pick) else { break };
                    let key = k.to_vec();
                    checked += 1;
                    let exp = self.dbs[db].keys.get(key.as_slice()).map(|e| e.expire_at).unwrap_or(0);
                    if super::db::is_expired(exp, now_ms) {
                        self.expire_key(db, &key);
                        expired_in_sample += 1;
                        removed += 1;
                    }
                }
                if expired_in_sample * 4 <= sample {
                    break;
                }
            }
        }
        self.last_sweep_ms = now_ms;
        removed
    }

    /// Deletes every expired key now: what advancing a manual clock does (a no-op while active
    /// expiry is off, so only lazy expiry remains, like Redis with DEBUG SET-ACTIVE-EXPIRE 0).
    pub fn expire_all_due(&mut self, now_ms: u64) -> usize {
        if !self.active_expire_enabled {
            return 0;
        }
        let mut removed = 0;
        for db in 0..self.dbs.len() {
            let due: Vec<Vec<u8>> = self.dbs[db]
                .volatile
                .iter()
                .filter(|(k, _)| {
                    self.dbs[db]
                        .keys
                        .get(k.as_slice())
                        .map(|e| super::db::is_expired(e.expire_at, now_ms))
                        .unwrap_or(false)
                })
                .map(|(k, _)| k.to_vec())
                .collect();
            for k in due {
                self.expire_key(db, &k);
                removed += 1;
            }
        }
        removed
    }

    /// A key was modified: clients WATCHing it will fail their EXEC.
    pub fn signal_modified(&mut self, db: usize, key: &[u8]) {
        if self.watched_keys.is_empty() {
            return;
        }
        if let Some(ids) = self.watched_keys.get(&(db, SmallBytes::new(key))) {
            let ids = ids.clone();
            for id in ids {
                if let Some(c) = self.clients.get_mut(&id) {
                    c.dirty_cas = true;
                }
                if id == self.running_client {
                    self.running_dirty_cas = true;
                }
            }
        }
    }

    /// Every key of a database was modified (FLUSHDB, SWAPDB): invalidate all its watchers.
    pub fn signal_db_modified(&mut self, db: usize) {
        let ids: Vec<u64> =
            self.watched_keys.iter().filter(|((d, _), _)| *d == db).flat_map(|(_, v)| v.iter().copied()).collect();
        for id in ids {
            if let Some(c) = self.clients.get_mut(&id) {
                c.dirty_cas = true;
            }
            if id == self.running_client {
                self.running_dirty_cas = true;
            }
        }
    }

    /// A key received data: clients blocked on it get served after the current command.
    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocked_on.is_empty() {
            return;
        }
        let k = (db, SmallBytes::new(key));
        if self.blocked_on.contains_key(&k) && !self.ready_keys.contains(&k) {
            self.ready_keys.push(k);
        }
    }

    /// Queues an out-of-band frame for a client (delivered after the running command).
    pub fn push_to(&mut self, client_id: u64, frame: Value) {
        self.outbox.push((client_id, frame));
    }

    /// Approximate memory used by all databases (MEMORY USAGE sums, maxmemory accounting).
    pub fn used_memory(&self) -> usize {
        super::eviction::used_memory(self)
    }
}
