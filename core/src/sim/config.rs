//! Server configuration the engine honours (CONFIG GET/SET): databases, maxmemory and its policy,
//! keyspace notifications, encoding thresholds. Parameters a client may read but the engine does
//! not act on are kept as plain strings so CONFIG GET answers like Redis. The parameter table
//! ([`PARAMS`]) carries redis-server 7.0.15's defaults, aliases and validation rules so CONFIG SET
//! accepts and refuses exactly what Redis does, with its error texts.

use super::commands::pubsub::{notify_flags_to_string, parse_notify_flags};
use std::collections::BTreeMap;

/// Eviction policy (`maxmemory-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvictionPolicy {
    /// Refuse writes over the limit.
    NoEviction,
    /// Evict least recently used among all keys.
    AllKeysLru,
    /// Evict least frequently used among all keys.
    AllKeysLfu,
    /// Evict random keys.
    AllKeysRandom,
    /// LRU among keys with a TTL.
    VolatileLru,
    /// LFU among keys with a TTL.
    VolatileLfu,
    /// Random among keys with a TTL.
    VolatileRandom,
    /// Shortest remaining TTL first.
    VolatileTtl,
}

impl EvictionPolicy {
    /// Parses the config value.
    pub fn parse(s: &str) -> Option<EvictionPolicy> {
        Some(match s.to_ascii_lowercase().as_str() {
            "noeviction" => EvictionPolicy::NoEviction,
            "allkeys-lru" => EvictionPolicy::AllKeysLru,
            "allkeys-lfu" => EvictionPolicy::AllKeysLfu,
            "allkeys-random" => EvictionPolicy::AllKeysRandom,
            "volatile-lru" => EvictionPolicy::VolatileLru,
            "volatile-lfu" => EvictionPolicy::VolatileLfu,
            "volatile-random" => EvictionPolicy::VolatileRandom,
            "volatile-ttl" => EvictionPolicy::VolatileTtl,
            _ => return None,
        })
    }

    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            EvictionPolicy::NoEviction => "noeviction",
            EvictionPolicy::AllKeysLru => "allkeys-lru",
            EvictionPolicy::AllKeysLfu => "allkeys-lfu",
            EvictionPolicy::AllKeysRandom => "allkeys-random",
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
        }
    }

    /// True for LFU policies (the access stamp then holds a frequency counter).
    pub fn is_lfu(self) -> bool {
        matches!(self, EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu)
    }
}

/// The honoured configuration plus the remaining parameters as strings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of databases (fixed at creation, like Redis's `databases`).
    pub databases: usize,
    /// Byte limit, 0 = none.
    pub maxmemory: u64,
    /// Eviction policy.
    pub maxmemory_policy: EvictionPolicy,
    /// Keys sampled per eviction.
    pub maxmemory_samples: usize,
    /// Parsed `notify-keyspace-events` flags (0 = disabled); bit layout owned by pubsub.
    pub notify_flags: u32,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` (minutes).
    pub lfu_decay_time: u32,
    /// Encoding thresholds reported by OBJECT ENCODING.
    pub hash_max_listpack_entries: usize,
    /// See Redis's `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// See Redis's `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// See Redis's `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// See Redis's `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// See Redis's `list-max-listpack-size`.
    pub list_max_listpack_size: i64,
    /// Every other parameter, by lowercase name (what CONFIG GET shows).
    pub other: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: 16,
            maxmemory: 0,
            maxmemory_policy: EvictionPolicy::NoEviction,
            maxmemory_samples: 5,
            notify_flags: 0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            other: BTreeMap::new(),
        }
    }
}

/// How CONFIG SET validates a parameter (Redis 7.0's config types).
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// An integer (Redis's `string2ll`) within an inclusive range.
    Int(i64, i64),
    /// A memory value (`1gb`, `64kb`, plain bytes) within an inclusive range.
    Mem(u64, u64),
    /// A memory value or a percentage up to 100 (`maxmemory-clients`).
    MemPct,
    /// One of a fixed set of words (case-insensitive; stored lowercase).
    Enum(&'static [&'static str]),
    /// Any string.
    Str,
    /// Read-only at runtime.
    Immutable,
    /// Settable only with `enable-protected-configs`, which is off.
    Protected,
    /// `save`: pairs of seconds and changes.
    Save,
    /// `notify-keyspace-events`: Redis's event class letters.
    Notify,
}

/// One configuration parameter: canonical name, alias ("" for none), validation, default.
#[derive(Debug)]
pub struct Param {
    /// Canonical name.
    pub name: &'static str,
    /// Legacy alias (`hash-max-ziplist-entries` …), or "".
    pub alias: &'static str,
    /// Validation rule.
    pub kind: Kind,
    /// Default value as CONFIG GET shows it.
    pub default: &'static str,
}

const I32: i64 = i32::MAX as i64;
const I64: i64 = i64::MAX;

macro_rules! p {
    ($name:expr, $alias:expr, $kind:expr, $default:expr) => {
        Param { name: $name, alias: $alias, kind: $kind, default: $default }
    };
}

/// Every parameter of redis-server 7.0.15 with its alias, validation and default (as a server
/// started without a config file reports it; `dir`, `port` and `bind` show Redis's defaults).
/// Generated by probing a real server's CONFIG SET with invalid values; sorted by name.
pub static PARAMS: &[Param] = &[
    p!("acl-pubsub-default", "", Kind::Enum(&["allchannels", "resetchannels"]), "resetchannels"),
    p!("aclfile", "", Kind::Immutable, ""),
    p!("acllog-max-len", "", Kind::Int(0, I64), "128"),
    p!("active-defrag-cycle-max", "", Kind::Int(1, 99), "25"),
    p!("active-defrag-cycle-min", "", Kind::Int(1, 99), "1"),
    p!("active-defrag-ignore-bytes", "", Kind::Mem(1, I64 as u64), "104857600"),
    p!("active-defrag-max-scan-fields", "", Kind::Int(1, I64), "1000"),
    p!("active-defrag-threshold-lower", "", Kind::Int(0, 1000), "10"),
    p!("active-defrag-threshold-upper", "", Kind::Int(0, 1000), "100"),
    p!("active-expire-effort", "", Kind::Int(1, 10), "1"),
    p!("activedefrag", "", Kind::Bool, "no"),
    p!("activerehashing", "", Kind::Bool, "yes"),
    p!("always-show-logo", "", Kind::Immutable, "no"),
    p!("aof-disable-auto-gc", "", Kind::Bool, "no"),
    p!("aof-load-truncated", "", Kind::Bool, "yes"),
    p!("aof-rewrite-incremental-fsync", "", Kind::Bool, "yes"),
    p!("aof-timestamp-enabled", "", Kind::Bool, "no"),
    p!("aof-use-rdb-preamble", "", Kind::Bool, "yes"),
    p!("aof_rewrite_cpulist", "", Kind::Immutable, ""),
    p!("appenddirname", "", Kind::Immutable, "appendonlydir"),
    p!("appendfilename", "", Kind::Immutable, "appendonly.aof"),
    p!("appendfsync", "", Kind::Enum(&["everysec", "always", "no"]), "everysec"),
    p!("appendonly", "", Kind::Bool, "no"),
    p!("auto-aof-rewrite-min-size", "", Kind::Mem(0, I64 as u64), "67108864"),
    p!("auto-aof-rewrite-percentage", "", Kind::Int(0, I32), "100"),
    p!("bgsave_cpulist", "", Kind::Immutable, ""),
    p!("bind", "", Kind::Str, "* -::*"),
    p!("bind-source-addr", "", Kind::Str, ""),
    p!("bio_cpulist", "", Kind::Immutable, ""),
    p!("busy-reply-threshold", "lua-time-limit", Kind::Int(0, I64), "5000"),
    p!(
        "client-output-buffer-limit",
        "",
        Kind::Str,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    ),
    p!("client-query-buffer-limit", "", Kind::Mem(1048576, I64 as u64), "1073741824"),
    p!("cluster-allow-pubsubshard-when-down", "", Kind::Bool, "yes"),
    p!("cluster-allow-reads-when-down", "", Kind::Bool, "no"),
    p!("cluster-allow-replica-migration", "", Kind::Bool, "yes"),
    p!("cluster-announce-bus-port", "", Kind::Int(0, 65535), "0"),
    p!("cluster-announce-hostname", "", Kind::Str, ""),
    p!("cluster-announce-ip", "", Kind::Str, ""),
    p!("cluster-announce-port", "", Kind::Int(0, 65535), "0"),
    p!("cluster-announce-tls-port", "", Kind::Int(0, 65535), "0"),
    p!("cluster-config-file", "", Kind::Immutable, "nodes.conf"),
    p!("cluster-enabled", "", Kind::Immutable, "no"),
    p!("cluster-link-sendbuf-limit", "", Kind::Mem(0, u64::MAX), "0"),
    p!("cluster-migration-barrier", "", Kind::Int(0, I32), "1"),
    p!("cluster-node-timeout", "", Kind::Int(0, I64), "15000"),
    p!("cluster-port", "", Kind::Immutable, "0"),
    p!("cluster-preferred-endpoint-type", "", Kind::Enum(&["ip", "hostname", "unknown-endpoint"]), "ip"),
    p!("cluster-replica-no-failover", "cluster-slave-no-failover", Kind::Bool, "no"),
    p!("cluster-replica-validity-factor", "cluster-slave-validity-factor", Kind::Int(0, I32), "10"),
    p!("cluster-require-full-coverage", "", Kind::Bool, "yes"),
    p!("crash-log-enabled", "", Kind::Bool, "yes"),
    p!("crash-memcheck-enabled", "", Kind::Bool, "yes"),
    p!("daemonize", "", Kind::Immutable, "no"),
    p!("databases", "", Kind::Immutable, "16"),
    p!("dbfilename", "", Kind::Protected, "dump.rdb"),
    p!("dir", "", Kind::Str, "/"),
    p!("disable-thp", "", Kind::Immutable, "yes"),
    p!("dynamic-hz", "", Kind::Bool, "yes"),
    p!("enable-debug-command", "", Kind::Immutable, "no"),
    p!("enable-module-command", "", Kind::Immutable, "no"),
    p!("enable-protected-configs", "", Kind::Immutable, "no"),
    p!("hash-max-listpack-entries", "hash-max-ziplist-entries", Kind::Int(0, I64), "512"),
    p!("hash-max-listpack-value", "hash-max-ziplist-value", Kind::Mem(0, I64 as u64), "64"),
    p!("hll-sparse-max-bytes", "", Kind::Mem(0, I64 as u64), "3000"),
    p!("hz", "", Kind::Int(0, I32), "10"),
    p!("ignore-warnings", "", Kind::Str, ""),
    p!("io-threads", "", Kind::Immutable, "1"),
    p!("io-threads-do-reads", "", Kind::Immutable, "no"),
    p!("jemalloc-bg-thread", "", Kind::Bool, "yes"),
    p!("latency-monitor-threshold", "", Kind::Int(0, I64), "0"),
    p!("latency-tracking", "", Kind::Bool, "yes"),
    p!("latency-tracking-info-percentiles", "", Kind::Str, "50 99 99.9"),
    p!("lazyfree-lazy-eviction", "", Kind::Bool, "no"),
    p!("lazyfree-lazy-expire", "", Kind::Bool, "no"),
    p!("lazyfree-lazy-server-del", "", Kind::Bool, "no"),
    p!("lazyfree-lazy-user-del", "", Kind::Bool, "no"),
    p!("lazyfree-lazy-user-flush", "", Kind::Bool, "no"),
    p!("lfu-decay-time", "", Kind::Int(0, I32), "1"),
    p!("lfu-log-factor", "", Kind::Int(0, I32), "10"),
    p!("list-compress-depth", "", Kind::Int(0, I32), "0"),
    p!("list-max-listpack-size", "list-max-ziplist-size", Kind::Int(i32::MIN as i64, I32), "-2"),
    p!("logfile", "", Kind::Immutable, ""),
    p!("loglevel", "", Kind::Enum(&["debug", "verbose", "notice", "warning"]), "notice"),
    p!("masterauth", "", Kind::Str, ""),
    p!("masteruser", "", Kind::Str, ""),
    p!("maxclients", "", Kind::Int(1, u32::MAX as i64), "10000"),
    p!("maxmemory", "", Kind::Mem(0, u64::MAX), "0"),
    p!("maxmemory-clients", "", Kind::MemPct, "0"),
    p!("maxmemory-eviction-tenacity", "", Kind::Int(0, 100), "10"),
    p!(
        "maxmemory-policy",
        "",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction"
        ]),
        "noeviction"
    ),
    p!("maxmemory-samples", "", Kind::Int(1, I32), "5"),
    p!("min-replicas-max-lag", "min-slaves-max-lag", Kind::Int(0, I32), "10"),
    p!("min-replicas-to-write", "min-slaves-to-write", Kind::Int(0, I32), "0"),
    p!("no-appendfsync-on-rewrite", "", Kind::Bool, "no"),
    p!("notify-keyspace-events", "", Kind::Notify, ""),
    p!("oom-score-adj", "", Kind::Enum(&["no", "yes", "relative", "absolute"]), "no"),
    p!("oom-score-adj-values", "", Kind::Str, "0 200 800"),
    p!("pidfile", "", Kind::Immutable, ""),
    p!("port", "", Kind::Int(0, 65535), "6379"),
    p!("proc-title-template", "", Kind::Str, "{title} {listen-addr} {server-mode}"),
    p!("propagation-error-behavior", "", Kind::Enum(&["ignore", "panic", "panic-on-replicas"]), "ignore"),
    p!("protected-mode", "", Kind::Bool, "yes"),
    p!("proto-max-bulk-len", "", Kind::Mem(1048576, I64 as u64), "536870912"),
    p!("rdb-del-sync-files", "", Kind::Bool, "no"),
    p!("rdb-save-incremental-fsync", "", Kind::Bool, "yes"),
    p!("rdbchecksum", "", Kind::Immutable, "yes"),
    p!("rdbcompression", "", Kind::Bool, "yes"),
    p!("repl-backlog-size", "", Kind::Mem(1, I64 as u64), "1048576"),
    p!("repl-backlog-ttl", "", Kind::Int(0, I64), "3600"),
    p!("repl-disable-tcp-nodelay", "", Kind::Bool, "no"),
    p!("repl-diskless-load", "", Kind::Enum(&["disabled", "on-empty-db", "swapdb"]), "disabled"),
    p!("repl-diskless-sync", "", Kind::Bool, "yes"),
    p!("repl-diskless-sync-delay", "", Kind::Int(0, I32), "5"),
    p!("repl-diskless-sync-max-replicas", "", Kind::Int(0, I32), "0"),
    p!("repl-ping-replica-period", "repl-ping-slave-period", Kind::Int(1, I32), "10"),
    p!("repl-timeout", "", Kind::Int(1, I32), "60"),
    p!("replica-announce-ip", "slave-announce-ip", Kind::Str, ""),
    p!("replica-announce-port", "slave-announce-port", Kind::Int(0, 65535), "0"),
    p!("replica-announced", "", Kind::Bool, "yes"),
    p!("replica-ignore-disk-write-errors", "", Kind::Bool, "no"),
    p!("replica-ignore-maxmemory", "slave-ignore-maxmemory", Kind::Bool, "yes"),
    p!("replica-lazy-flush", "slave-lazy-flush", Kind::Bool, "no"),
    p!("replica-priority", "slave-priority", Kind::Int(0, I32), "100"),
    p!("replica-read-only", "slave-read-only", Kind::Bool, "yes"),
    p!("replica-serve-stale-data", "slave-serve-stale-data", Kind::Bool, "yes"),
    p!("replicaof", "slaveof", Kind::Immutable, ""),
    p!("requirepass", "", Kind::Str, ""),
    p!("sanitize-dump-payload", "", Kind::Enum(&["no", "yes", "clients"]), "no"),
    p!("save", "", Kind::Save, "3600 1 300 100 60 10000"),
    p!("server_cpulist", "", Kind::Immutable, ""),
    p!("set-max-intset-entries", "", Kind::Int(0, I64), "512"),
    p!("set-proc-title", "", Kind::Immutable, "yes"),
    p!("shutdown-on-sigint", "", Kind::Enum(&["default", "save", "nosave", "now", "force"]), "default"),
    p!("shutdown-on-sigterm", "", Kind::Enum(&["default", "save", "nosave", "now", "force"]), "default"),
    p!("shutdown-timeout", "", Kind::Int(0, I32), "10"),
    p!("slowlog-log-slower-than", "", Kind::Int(-1, I64), "10000"),
    p!("slowlog-max-len", "", Kind::Int(0, I64), "128"),
    p!("socket-mark-id", "", Kind::Immutable, "0"),
    p!("stop-writes-on-bgsave-error", "", Kind::Bool, "yes"),
    p!("stream-node-max-bytes", "", Kind::Mem(0, I64 as u64), "4096"),
    p!("stream-node-max-entries", "", Kind::Int(0, I64), "100"),
    p!("supervised", "", Kind::Immutable, "no"),
    p!("syslog-enabled", "", Kind::Immutable, "no"),
    p!("syslog-facility", "", Kind::Immutable, "local0"),
    p!("syslog-ident", "", Kind::Immutable, "redis"),
    p!("tcp-backlog", "", Kind::Immutable, "511"),
    p!("tcp-keepalive", "", Kind::Int(0, I32), "300"),
    p!("timeout", "", Kind::Int(0, I32), "0"),
    p!("tls-auth-clients", "", Kind::Enum(&["no", "yes", "optional"]), "yes"),
    p!("tls-ca-cert-dir", "", Kind::Str, ""),
    p!("tls-ca-cert-file", "", Kind::Str, ""),
    p!("tls-cert-file", "", Kind::Str, ""),
    p!("tls-ciphers", "", Kind::Str, ""),
    p!("tls-ciphersuites", "", Kind::Str, ""),
    p!("tls-client-cert-file", "", Kind::Str, ""),
    p!("tls-client-key-file", "", Kind::Str, ""),
    p!("tls-client-key-file-pass", "", Kind::Str, ""),
    p!("tls-cluster", "", Kind::Bool, "no"),
    p!("tls-dh-params-file", "", Kind::Str, ""),
    p!("tls-key-file", "", Kind::Str, ""),
    p!("tls-key-file-pass", "", Kind::Str, ""),
    p!("tls-port", "", Kind::Int(0, 65535), "0"),
    p!("tls-prefer-server-ciphers", "", Kind::Bool, "no"),
    p!("tls-protocols", "", Kind::Str, ""),
    p!("tls-replication", "", Kind::Bool, "no"),
    p!("tls-session-cache-size", "", Kind::Int(0, I32), "20480"),
    p!("tls-session-cache-timeout", "", Kind::Int(0, I32), "300"),
    p!("tls-session-caching", "", Kind::Bool, "yes"),
    p!("tracking-table-max-keys", "", Kind::Int(0, I64), "1000000"),
    p!("unixsocket", "", Kind::Immutable, ""),
    p!("unixsocketperm", "", Kind::Immutable, "0"),
    p!("zset-max-listpack-entries", "zset-max-ziplist-entries", Kind::Int(0, I64), "128"),
    p!("zset-max-listpack-value", "zset-max-ziplist-value", Kind::Mem(0, I64 as u64), "64"),
];

/// The parameter named `name` (or by its alias), case-insensitively.
pub fn find_param(name: &[u8]) -> Option<&'static Param> {
    PARAMS
        .iter()
        .find(|p| p.name.as_bytes().eq_ignore_ascii_case(name) || p.alias.as_bytes().eq_ignore_ascii_case(name))
}

/// Parses a memory value like Redis's `memtoull`: digits with an optional unit b, k, kb, m, mb,
/// g, gb (k = 1000, kb = 1024), case-insensitive. Like Redis, no digits reads as 0, and an
/// overflowing number saturates (strtoull) before the unit multiplies (wrapping).
pub fn parse_memory(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if num.len() >= 128 {
        return None;
    }
    let v = num.bytes().fold(0u64, |acc, d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
    Some(v.wrapping_mul(mul))
}

/// Validates `value` for `p`; returns the canonical stored string or Redis's error suffix.
fn validate(p: &Param, value: &str) -> Result<String, String> {
    let range_err = |lo: i64, hi: i64| format!("argument must be between {lo} and {hi} inclusive");
    match p.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            v @ ("yes" | "no") => Ok(v.to_string()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(lo, hi) => {
            let v = super::float::parse_i64(value.as_bytes())
                .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
            if v < lo || v > hi {
                return Err(range_err(lo, hi));
            }
            Ok(v.to_string())
        }
        Kind::Mem(lo, hi) => {
            let v = parse_memory(value).ok_or_else(|| "argument must be a memory value".to_string())?;
            if v < lo || v > hi {
                return Err(format!("argument must be between {lo} and {hi} inclusive"));
            }
            Ok(v.to_string())
        }
        Kind::MemPct => {
            if let Some(pct) = value.strip_suffix('%') {
                match super::float::parse_i64(pct.as_bytes()) {
                    Some(n) if n > 100 => Err("percentage argument must be less or equal to 100".into()),
                    Some(n) if n >= 0 => Ok(format!("{n}%")),
                    _ => Err("argument must be a memory or percent value".into()),
                }
            } else {
                parse_memory(value)
                    .map(|v| v.to_string())
                    .ok_or_else(|| "argument must be a memory or percent value".into())
            }
        }
        Kind::Enum(words) => {
            let lower = value.to_ascii_lowercase();
            if words.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(format!("argument(s) must be one of the following: {}", words.join(", ")))
            }
        }
        Kind::Str => Ok(value.to_string()),
        Kind::Immutable => Err("can't set immutable config".into()),
        Kind::Protected => Err("can't set protected config".into()),
        Kind::Save => {
            let parts: Vec<&str> = value.split_ascii_whitespace().collect();
            let nums: Option<Vec<i64>> = parts.iter().map(|x| super::float::parse_i64(x.as_bytes())).collect();
            match nums {
                Some(n) if n.len() % 2 == 0 && n.iter().all(|v| *v >= 0) => {
                    Ok(n.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))
                }
                _ => Err("Invalid save parameters".into()),
            }
        }
        Kind::Notify => parse_notify_flags(value)
            .map(notify_flags_to_string)
            .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()),
    }
}

impl Config {
    /// True when the default user has a password (`requirepass`): clients must AUTH first.
    pub fn requires_auth(&self) -> bool {
        self.other.get("requirepass").is_some_and(|p| !p.is_empty())
    }

    /// The current value of parameter `p` as CONFIG GET shows it.
    pub fn get(&self, p: &Param) -> String {
        match p.name {
            "databases" => self.databases.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.maxmemory_policy.name().to_string(),
            "maxmemory-samples" => self.maxmemory_samples.to_string(),
            "lfu-log-factor" => self.lfu_log_factor.to_string(),
            "lfu-decay-time" => self.lfu_decay_time.to_string(),
            "hash-max-listpack-entries" => self.hash_max_listpack_entries.to_string(),
            "hash-max-listpack-value" => self.hash_max_listpack_value.to_string(),
            "set-max-intset-entries" => self.set_max_intset_entries.to_string(),
            "zset-max-listpack-entries" => self.zset_max_listpack_entries.to_string(),
            "zset-max-listpack-value" => self.zset_max_listpack_value.to_string(),
            "list-max-listpack-size" => self.list_max_listpack_size.to_string(),
            _ => self.other.get(p.name).cloned().unwrap_or_else(|| p.default.to_string()),
        }
    }

    /// The current value of the parameter named `name` ("" when unknown).
    pub fn get_named(&self, name: &str) -> String {
        find_param(name.as_bytes()).map(|p| self.get(p)).unwrap_or_default()
    }

    /// Sets one parameter after validation; on failure returns Redis's error suffix
    /// (`argument must be …`). The typed fields the engine reads are kept in step.
    pub fn set_one(&mut self, p: &Param, value: &str) -> Result<(), String> {
        let mut v = validate(p, value)?;
        let num = || v.parse::<i64>().unwrap_or(0);
        let as_usize = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
        let as_u32 = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        match p.name {
            "maxmemory" => self.maxmemory = v.parse().unwrap_or(0),
            "maxmemory-policy" => {
                self.maxmemory_policy = EvictionPolicy::parse(&v).unwrap_or(EvictionPolicy::NoEviction)
            }
            "maxmemory-samples" => self.maxmemory_samples = as_usize(num()),
            "lfu-log-factor" => self.lfu_log_factor = as_u32(num()),
            "lfu-decay-time" => self.lfu_decay_time = as_u32(num()),
            "hash-max-listpack-entries" => self.hash_max_listpack_entries = as_usize(num()),
            "hash-max-listpack-value" => self.hash_max_listpack_value = as_usize(num()),
            "set-max-intset-entries" => self.set_max_intset_entries = as_usize(num()),
            "zset-max-listpack-entries" => self.zset_max_listpack_entries = as_usize(num()),
            "zset-max-listpack-value" => self.zset_max_listpack_value = as_usize(num()),
            "list-max-listpack-size" => self.list_max_listpack_size = num(),
            "notify-keyspace-events" => self.notify_flags = parse_notify_flags(&v).unwrap_or(0),
            "hz" => v = num().clamp(1, 500).to_string(),
            _ => {}
        }
        self.other.insert(p.name.to_string(), v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_a_valid_value() {
        let mut names = std::collections::HashSet::new();
        for p in PARAMS {
            assert!(names.insert(p.name) && (p.alias.is_empty() || names.insert(p.alias)), "{} twice", p.name);
            if !matches!(p.kind, Kind::Immutable | Kind::Protected) {
                assert_eq!(validate(p, p.default).as_deref(), Ok(p.default), "default of {}", p.name);
            }
        }
        assert!(PARAMS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(names.len(), 192);
    }

    #[test]
    fn memory_units_and_validation() {
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1K"), Some(1000));
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory("1.5"), None);
        let mut c = Config::default();
        let mm = find_param(b"MAXMEMORY").expect("maxmemory");
        assert!(c.set_one(mm, "1gb").is_ok());
        assert_eq!(c.maxmemory, 1 << 30);
        assert_eq!(c.get(mm), "1073741824");
        let ev = find_param(b"notify-keyspace-events").expect("notify");
        assert!(c.set_one(ev, "KEA").is_ok());
        assert_eq!(c.get(ev), "AKE");
        assert!(c.set_one(ev, "Q").is_err());
    }
}
