//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, INFO, WAIT, SLOWLOG, CONFIG (GET/SET/
//! RESETSTAT/REWRITE/HELP), COMMAND (COUNT/INFO/DOCS/LIST/GETKEYS/GETKEYSANDFLAGS/HELP, built from the
//! command table and Redis's key specs),
//! DEBUG (SLEEP and friends, minimal), LASTSAVE, SAVE, BGSAVE and ROLE. Also [`help_reply`], the
//! shape every container's HELP answers with. Texts follow redis-server 7.0.15.

use crate::cmd;
use crate::resp::Value;
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::commands::keys::glob_match;
use crate::sim::commands::transactions::touch_all_watched_keys_in_db;
use crate::sim::config::{find_param, PARAMS};
use crate::sim::errors;
use crate::sim::float::parse_f64;
use crate::sim::state::{State, Stats};
use crate::sim::{REDIS_VERSION, REDKIT_VERSION};

#[path = "command_meta.rs"]
mod command_meta;

/// The server commands.
pub static COMMANDS: &[Command] = &[
    cmd!("dbsize", 1, "readonly fast", 0, 0, 0, dbsize, "server", "Return the number of keys in the selected database"),
    cmd!("flushdb", -1, "write", 0, 0, 0, flush, "server", "Remove all keys from the current database"),
    cmd!("flushall", -1, "write", 0, 0, 0, flush, "server", "Remove all keys from all databases"),
    cmd!("swapdb", 3, "write fast", 0, 0, 0, swapdb, "server", "Swaps two Redis databases"),
    cmd!("time", 1, "loading stale fast", 0, 0, 0, time, "server", "Return the current server time"),
    cmd!("info", -1, "loading stale", 0, 0, 0, info, "server", "Get information and statistics about the server"),
    cmd!(
        "lastsave",
        1,
        "loading stale fast",
        0,
        0,
        0,
        lastsave,
        "server",
        "Get the UNIX time stamp of the last successful save to disk"
    ),
    cmd!(
        "save",
        1,
        "admin noscript no_async_loading no_multi",
        0,
        0,
        0,
        save,
        "server",
        "Synchronously save the dataset to disk"
    ),
    cmd!(
        "bgsave",
        -1,
        "admin noscript no_async_loading",
        0,
        0,
        0,
        save,
        "server",
        "Asynchronously save the dataset to disk"
    ),
    cmd!(
        "role",
        1,
        "noscript loading stale fast",
        0,
        0,
        0,
        role,
        "server",
        "Return the role of the instance in the context of replication"
    ),
    cmd!("debug", -2, "admin noscript loading stale", 0, 0, 0, debug, "server", "A container for debugging commands"),
    cmd!(
        "wait",
        3,
        "noscript",
        0,
        0,
        0,
        wait,
        "generic",
        "Wait for the synchronous replication of all the write commands sent in the context of the current connection"
    ),
    crate::container!("config", "", CONFIG_SUBCOMMANDS, "server", "A container for server configuration commands"),
    crate::container!("slowlog", "", SLOWLOG_SUBCOMMANDS, "server", "A container for slow log commands"),
    Command {
        name: "command",
        arity: -1,
        flags: "loading stale",
        first_key: 0,
        last_key: 0,
        step: 0,
        handler: command_all,
        subcommands: COMMAND_SUBCOMMANDS,
        group: "server",
        summary: "Get array of Redis command details",
    },
];

const CFG_ADMIN: &str = "admin noscript loading stale";

static CONFIG_SUBCOMMANDS: &[Command] = &[
    cmd!("get", -3, CFG_ADMIN, 0, 0, 0, config_get, "server", "Get the values of configuration parameters"),
    cmd!("set", -4, CFG_ADMIN, 0, 0, 0, config_set, "server", "Set configuration parameters to the given values"),
    cmd!("resetstat", 2, CFG_ADMIN, 0, 0, 0, config_resetstat, "server", "Reset the stats returned by INFO"),
    cmd!(
        "rewrite",
        2,
        CFG_ADMIN,
        0,
        0,
        0,
        config_rewrite,
        "server",
        "Rewrite the configuration file with the in memory configuration"
    ),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        config_help,
        "server",
        "Show helpful text about the different subcommands"
    ),
];

static SLOWLOG_SUBCOMMANDS: &[Command] = &[
    cmd!("get", -2, "admin loading stale", 0, 0, 0, slowlog, "server", "Get the slow log's entries"),
    cmd!("len", 2, "admin loading stale", 0, 0, 0, slowlog, "server", "Get the slow log's length"),
    cmd!("reset", 2, "admin loading stale", 0, 0, 0, slowlog, "server", "Clear all entries from the slow log"),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        slowlog_help,
        "server",
        "Show helpful text about the different subcommands"
    ),
];

static COMMAND_SUBCOMMANDS: &[Command] = &[
    cmd!("count", 2, "loading stale", 0, 0, 0, command_count, "server", "Get total number of Redis commands"),
    cmd!(
        "info",
        -2,
        "loading stale",
        0,
        0,
        0,
        command_info,
        "server",
        "Get array of specific Redis command details, or all when no argument is given."
    ),
    cmd!(
        "docs",
        -2,
        "loading stale",
        0,
        0,
        0,
        command_docs,
        "server",
        "Get array of specific Redis command documentation"
    ),
    cmd!("list", -2, "loading stale", 0, 0, 0, command_list, "server", "Get an array of Redis command names"),
    cmd!("getkeys", -4, "loading stale", 0, 0, 0, command_getkeys, "server", "Extract keys given a full Redis command"),
    cmd!(
        "getkeysandflags",
        -4,
        "loading stale",
        0,
        0,
        0,
        command_getkeys,
        "server",
        "Extract keys and access flags given a full Redis command"
    ),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        command_help,
        "server",
        "Show helpful text about the different subcommands"
    ),
];

/// A container's HELP reply: the title, the lines, then Redis's closing `HELP` entry, each a
/// status string.
pub fn help_reply(title: &str, lines: &[&str]) -> Value {
    let mut v = Vec::with_capacity(lines.len() + 3);
    v.push(Value::simple(title));
    v.extend(lines.iter().map(|l| Value::simple(l)));
    v.push(Value::simple("HELP"));
    v.push(Value::simple("    Prints this help."));
    Value::Array(v)
}

/// DBSIZE.
fn dbsize(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.db().len() as i64))
}

/// Empties database `db`, first invalidating the WATCHes of keys that exist in it.
fn empty_db(st: &mut State, db: usize, now_ms: u64) {
    touch_all_watched_keys_in_db(st, db, None, now_ms);
    st.dirty += st.dbs[db].len() as u64;
    st.dbs[db].clear();
}

/// FLUSHDB / FLUSHALL [SYNC|ASYNC].
fn flush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 2 || argv.get(1).is_some_and(|a| !is_kw(a, "sync") && !is_kw(a, "async")) {
        return Err(errors::syntax());
    }
    if is_kw(&argv[0], "flushall") {
        for db in 0..ctx.st.dbs.len() {
            empty_db(ctx.st, db, ctx.now_ms);
        }
    } else {
        let db = ctx.db_index();
        empty_db(ctx.st, db, ctx.now_ms);
    }
    Ok(Value::ok())
}

/// Parses a SWAPDB index with its positional error text.
fn swap_index(st: &State, b: &[u8], which: &str) -> Result<usize, CmdError> {
    let v = arg_i64(b)
        .ok()
        .filter(|v| i32::try_from(*v).is_ok())
        .ok_or_else(|| CmdError::msg(format!("ERR invalid {which} DB index")))?;
    if v < 0 || v as usize >= st.dbs.len() {
        return Err(errors::db_out_of_range());
    }
    Ok(v as usize)
}

/// SWAPDB a b: clients of either db see the other's keys; blocked clients get served.
fn swapdb(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let a = swap_index(ctx.st, &argv[1], "first")?;
    let b = swap_index(ctx.st, &argv[2], "second")?;
    if a != b {
        touch_all_watched_keys_in_db(ctx.st, a, Some(b), ctx.now_ms);
        touch_all_watched_keys_in_db(ctx.st, b, Some(a), ctx.now_ms);
        ctx.st.dbs.swap(a, b);
        ctx.st.dirty += 1;
        let waiting: Vec<(usize, Vec<u8>)> =
            ctx.st.blocked_on.keys().filter(|(d, _)| *d == a || *d == b).map(|(d, k)| (*d, k.to_vec())).collect();
        for (d, k) in waiting {
            if ctx.st.dbs[d].keys.find(k.as_slice()).is_some() {
                ctx.st.signal_ready(d, &k);
            }
        }
    }
    Ok(Value::ok())
}

/// TIME: seconds and microseconds of the simulator's clock.
fn time(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let us = ctx.now_us;
    Ok(Value::Array(vec![Value::bulk((us / 1_000_000).to_string()), Value::bulk((us % 1_000_000).to_string())]))
}

/// LASTSAVE: the simulator never writes snapshots on its own; it reports its start time.
fn lastsave(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int((ctx.st.start_ms / 1000) as i64))
}

/// SAVE / BGSAVE [SCHEDULE]: writes the snapshot file when a host configured one
/// (`redkit-server --save FILE`; BGSAVE writes it at once too), else there is nothing to write;
/// the replies Redis gives.
fn save(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let background = !is_kw(&argv[0], "save");
    if background && (argv.len() > 2 || argv.get(1).is_some_and(|a| !is_kw(a, "schedule"))) {
        return Err(errors::syntax());
    }
    // Redis answers a failed SAVE with a bare `ERR` (the reason goes to its log).
    crate::sim::host::save_snapshot(ctx.st, ctx.now_ms).map_err(|_| CmdError::msg("ERR"))?;
    ctx.st.dirty = 0;
    Ok(if background { Value::simple("Background saving started") } else { Value::ok() })
}

/// ROLE: always a master with no replicas.
fn role(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Array(vec![Value::bulk("master"), Value::Int(0), Value::Array(Vec::new())]))
}

/// WAIT numreplicas timeout: there are no replicas, so 0 at once (after Redis's argument checks).
fn wait(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    arg_i64(&argv[1])?;
    let timeout = arg_i64(&argv[2]).map_err(|_| CmdError::msg("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(errors::negative_timeout());
    }
    Ok(Value::Int(0))
}

/// SLOWLOG GET [count] | LEN | RESET: the simulator has no slow commands to log.
fn slowlog(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let sub = argv[1].to_ascii_lowercase();
    match sub.as_slice() {
        b"len" => Ok(Value::Int(0)),
        b"reset" => Ok(Value::ok()),
        _ => {
            if argv.len() > 3 {
                return Err(CmdError::msg(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{}'. Try SLOWLOG HELP.",
                    String::from_utf8_lossy(&argv[1])
                )));
            }
            if let Some(n) = argv.get(2) {
                if arg_i64(n).map_or(true, |n| n < -1) {
                    return Err(CmdError::msg("ERR count should be greater than or equal to -1"));
                }
            }
            Ok(Value::Array(Vec::new()))
        }
    }
}

/// SLOWLOG HELP.
fn slowlog_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    ))
}

/// DEBUG SLEEP n | SET-ACTIVE-EXPIRE 0|1 | HELP: the parts a client test suite touches. The
/// simulator never sleeps (its clock is the caller's), so SLEEP only answers OK;
/// SET-ACTIVE-EXPIRE 0 leaves expired keys in place until they are accessed (lazy expiry only).
fn debug(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let sub = &argv[1];
    if is_kw(sub, "help") && argv.len() == 2 {
        return Ok(help_reply(
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            &[
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        ));
    }
    // RELOAD: saving and loading back gives the same dataset, TTLs included.
    if (is_kw(sub, "reload") || is_kw(sub, "change-repl-id")) && argv.len() == 2 {
        return Ok(Value::ok());
    }
    if is_kw(sub, "set-active-expire") && argv.len() == 3 {
        // Redis reads the flag with atoi: anything not starting with a non-zero number is 0.
        let digits: String = String::from_utf8_lossy(&argv[2])
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        ctx.st.active_expire_enabled = digits.parse::<i64>().unwrap_or(0) != 0;
        return Ok(Value::ok());
    }
    if is_kw(sub, "sleep") && argv.len() == 3 {
        let _ = parse_f64(&argv[2]);
        return Ok(Value::ok());
    }
    Err(CmdError::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(sub)
    )))
}

/// CONFIG GET pattern [pattern ...]: exact names (or aliases) and case-insensitive globs.
fn config_get(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut out: Vec<(Vec<u8>, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for pat in &argv[2..] {
        let is_glob = pat.iter().any(|c| matches!(c, b'[' | b'*' | b'?'));
        if !is_glob {
            if let Some(p) = find_param(pat) {
                if seen.insert(pat.to_vec()) {
                    out.push((pat.clone(), ctx.st.config.get(p)));
                }
            }
            continue;
        }
        for p in PARAMS {
            for name in [p.name, p.alias] {
                if !name.is_empty() && glob_match(pat, name.as_bytes(), true) && seen.insert(name.as_bytes().to_vec()) {
                    out.push((name.as_bytes().to_vec(), ctx.st.config.get(p)));
                }
            }
        }
    }
    Ok(Value::Map(out.into_iter().map(|(k, v)| (Value::Bulk(k), Value::bulk(v))).collect()))
}

/// CONFIG SET name value [name value ...]: all or nothing, with Redis's error texts.
fn config_set(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() % 2 != 0 {
        return Err(errors::syntax());
    }
    let pairs: Vec<(&Vec<u8>, &Vec<u8>)> = argv[2..].chunks(2).map(|c| (&c[0], &c[1])).collect();
    let mut unknown: Option<&[u8]> = None;
    let mut early: Option<(String, &[u8])> = None;
    let mut chosen = Vec::new();
    let mut seen = Vec::new();
    for (name, value) in &pairs {
        let Some(p) = find_param(name) else {
            if unknown.is_none() && early.is_none() {
                unknown = Some(name);
            }
            continue;
        };
        if unknown.is_none() && early.is_none() {
            if matches!(p.kind, crate::sim::config::Kind::Immutable) {
                early = Some(("can't set immutable config".into(), name));
            } else if matches!(p.kind, crate::sim::config::Kind::Protected) {
                early = Some(("can't set protected config".into(), name));
            } else if seen.iter().any(|n: &&Vec<u8>| n.eq_ignore_ascii_case(name)) {
                // Redis keeps an alias apart from its parameter: only the same name twice clashes.
                early = Some(("duplicate parameter".into(), name));
            }
            seen.push(*name);
            chosen.push((p, *value));
        }
    }
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if let Some(n) = unknown {
        return Err(CmdError::msg(format!(
            "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
            lossy(n)
        )));
    }
    if let Some((why, n)) = early {
        return Err(CmdError::msg(format!(
            "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
            lossy(n),
            why
        )));
    }
    let mut next = ctx.st.config.clone();
    for (p, value) in chosen {
        next.set_one(p, &lossy(value)).map_err(|why| {
            CmdError::msg(format!("ERR CONFIG SET failed (possibly related to argument '{}') - {}", p.name, why))
        })?;
    }
    ctx.st.config = next;
    Ok(Value::ok())
}

/// CONFIG RESETSTAT.
fn config_resetstat(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.st.stats = Stats::default();
    Ok(Value::ok())
}

/// CONFIG REWRITE: like a redis-server started without a config file.
fn config_rewrite(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Err(CmdError::msg("ERR The server is running without a config file"))
}

/// CONFIG HELP.
fn config_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}

/// Formats bytes like Redis's `bytesToHuman`.
fn human_bytes(n: u64) -> String {
    let d = n as f64;
    const K: f64 = 1024.0;
    if d < K {
        format!("{n}B")
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / (K * K))
    } else {
        format!("{:.2}G", d / (K * K * K))
    }
}

/// The INFO sections in Redis's order; `true` when part of `default`.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// The body lines of one INFO section.
fn info_section(ctx: &mut Ctx, name: &str) -> Vec<String> {
    let now = ctx.now_ms;
    let st = &*ctx.st;
    match name {
        "server" => {
            let up = now.saturating_sub(st.start_ms) / 1000;
            vec![
                format!("redis_version:{REDIS_VERSION}"),
                format!("redkit_version:{REDKIT_VERSION}"),
                "redis_git_sha1:00000000".into(),
                "redis_git_dirty:0".into(),
                "redis_mode:standalone".into(),
                "os:redkit simulator".into(),
                "arch_bits:64".into(),
                "multiplexing_api:none".into(),
                "process_id:1".into(),
                "run_id:0000000000000000000000000000000000000000".into(),
                format!("tcp_port:{}", ctx.st.host.tcp_port.unwrap_or(6379)),
                format!("server_time_usec:{}", ctx.now_us),
                format!("uptime_in_seconds:{up}"),
                format!("uptime_in_days:{}", up / 86400),
                format!("hz:{}", st.config.get_named("hz")),
                format!("configured_hz:{}", st.config.get_named("hz")),
                format!("lru_clock:{}", (now / 1000) & 0x00FF_FFFF),
                "executable:".into(),
                "config_file:".into(),
                "io_threads_active:0".into(),
            ]
        }
        "clients" => {
            let blocked = st.clients.values().filter(|c| c.blocked.is_some()).count();
            vec![
                format!("connected_clients:{}", st.clients.len() + 1),
                "cluster_connections:0".into(),
                format!("maxclients:{}", st.config.get_named("maxclients")),
                "client_recent_max_input_buffer:0".into(),
                "client_recent_max_output_buffer:0".into(),
                format!("blocked_clients:{blocked}"),
                "tracking_clients:0".into(),
                "clients_in_timeout_table:0".into(),
            ]
        }
        "memory" => {
            let used = st.used_memory() as u64;
            vec![
                format!("used_memory:{used}"),
                format!("used_memory_human:{}", human_bytes(used)),
                format!("used_memory_rss:{used}"),
                format!("used_memory_peak:{used}"),
                format!("used_memory_dataset:{used}"),
                format!("maxmemory:{}", st.config.maxmemory),
                format!("maxmemory_human:{}", human_bytes(st.config.maxmemory)),
                format!("maxmemory_policy:{}", st.config.maxmemory_policy.name()),
                "mem_fragmentation_ratio:1.00".into(),
                "mem_allocator:libc".into(),
                "lazyfree_pending_objects:0".into(),
            ]
        }
        "persistence" => vec![
            "loading:0".into(),
            "async_loading:0".into(),
            format!("rdb_changes_since_last_save:{}", st.dirty),
            "rdb_bgsave_in_progress:0".into(),
            format!("rdb_last_save_time:{}", st.start_ms / 1000),
            "rdb_last_bgsave_status:ok".into(),
            "aof_enabled:0".into(),
            "aof_rewrite_in_progress:0".into(),
            "aof_last_write_status:ok".into(),
        ],
        "stats" => {
            let s = &st.stats;
            vec![
                format!("total_connections_received:{}", s.connections),
                format!("total_commands_processed:{}", s.commands),
                "instantaneous_ops_per_sec:0".into(),
                "rejected_connections:0".into(),
                format!("expired_keys:{}", s.expired_keys),
                format!("evicted_keys:{}", s.evicted_keys),
                format!("keyspace_hits:{}", s.keyspace_hits),
                format!("keyspace_misses:{}", s.keyspace_misses),
                format!("pubsub_channels:{}", channel_count(st)),
                format!("pubsub_patterns:{}", pattern_count(st)),
                format!("total_error_replies:{}", s.errors),
            ]
        }
        "replication" => vec![
            "role:master".into(),
            "connected_slaves:0".into(),
            "master_failover_state:no-failover".into(),
            "master_replid:0000000000000000000000000000000000000000".into(),
            "master_repl_offset:0".into(),
            "repl_backlog_active:0".into(),
        ],
        "cpu" => vec!["used_cpu_sys:0.000000".into(), "used_cpu_user:0.000000".into()],
        "cluster" => vec!["cluster_enabled:0".into()],
        "keyspace" => keyspace_lines(st, now),
        _ => Vec::new(),
    }
}

/// Distinct channels with subscribers, counted over every client.
fn channel_count(st: &State) -> usize {
    st.clients.values().flat_map(|c| c.channels.iter()).collect::<std::collections::HashSet<_>>().len()
}

/// Distinct patterns with subscribers.
fn pattern_count(st: &State) -> usize {
    st.clients.values().flat_map(|c| c.patterns.iter()).collect::<std::collections::HashSet<_>>().len()
}

/// `db0:keys=N,expires=M,avg_ttl=X` for every non-empty database.
fn keyspace_lines(st: &State, now: u64) -> Vec<String> {
    let mut out = Vec::new();
    for (i, db) in st.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let vol = db.volatile_len();
        let mut sum: u128 = 0;
        for (k, _) in db.volatile.iter() {
            if let Some(e) = db.keys.get(k.as_slice()) {
                sum += u128::from(e.expire_at.saturating_sub(now));
            }
        }
        let avg = if vol > 0 { sum / vol as u128 } else { 0 };
        out.push(format!("db{i}:keys={},expires={vol},avg_ttl={avg}", db.len()));
    }
    out
}

/// INFO [section ...]: `default`, `all`, `everything` or section names (unknown ones are empty).
fn info(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut wanted: Vec<&str> = Vec::new();
    let args: Vec<String> = argv[1..].iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let default = args.is_empty() || args.iter().any(|a| a == "default");
    let all = args.iter().any(|a| a == "all" || a == "everything");
    for (name, in_default) in SECTIONS {
        if all || (default && *in_default) || args.iter().any(|a| a == name) {
            wanted.push(name);
        }
    }
    let mut text = String::new();
    for (n, name) in wanted.iter().enumerate() {
        if n > 0 {
            text.push_str("\r\n");
        }
        let title = match *name {
            "cpu" => "CPU".to_string(),
            other => {
                let mut t = other.to_string();
                if let Some(first) = t.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                t
            }
        };
        text.push_str(&format!("# {title}\r\n"));
        for line in info_section(ctx, name) {
            text.push_str(&line);
            text.push_str("\r\n");
        }
    }
    Ok(Value::Verbatim { format: *b"txt", text: text.into_bytes() })
}

/// Redis's command flag names, in the order COMMAND INFO lists them.
const FLAG_ORDER: &[&str] = &[
    "write",
    "readonly",
    "denyoom",
    "module",
    "admin",
    "pubsub",
    "noscript",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "may_replicate",
    "sentinel",
    "only_sentinel",
    "no_mandatory_keys",
    "protected",
    "module_getkeys",
    "module_no_cluster",
    "no_async_loading",
    "no_multi",
    "movablekeys",
    "allow_busy",
    "module_getchannels",
];

/// ACL categories in Redis's reply order.
const CATEGORY_ORDER: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The ACL categories of a command: its group's category plus those implied by its flags.
fn categories(c: &Command) -> Vec<&'static str> {
    let group = match c.group {
        "generic" => "keyspace",
        "string" => "string",
        "list" => "list",
        "hash" => "hash",
        "set" => "set",
        "sorted-set" | "sorted_set" | "zset" => "sortedset",
        "bitmap" => "bitmap",
        "hyperloglog" => "hyperloglog",
        "geo" => "geo",
        "stream" => "stream",
        "pubsub" => "pubsub",
        "connection" => "connection",
        "transactions" => "transaction",
        "scripting" => "scripting",
        _ => "",
    };
    CATEGORY_ORDER
        .iter()
        .copied()
        .filter(|cat| match *cat {
            "read" => c.has_flag("readonly"),
            "write" => c.has_flag("write"),
            "admin" | "dangerous" => c.has_flag("admin"),
            "pubsub" => c.has_flag("pubsub") || group == "pubsub",
            "fast" => c.has_flag("fast"),
            "slow" => !c.has_flag("fast"),
            "blocking" => c.has_flag("blocking"),
            other => other == group,
        })
        .collect()
}

fn simple_set<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::Set(items.map(Value::simple).collect())
}

fn bulk_map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (Value::bulk(k), v)).collect())
}

/// The key specification Redis derives for a simple range of keys.
fn key_specs(c: &Command) -> Value {
    if c.first_key <= 0 {
        return Value::Set(Vec::new());
    }
    let flags = if c.has_flag("write") { vec!["RW"] } else { vec!["RO"] };
    let lastkey = if c.last_key < 0 { c.last_key } else { c.last_key - c.first_key };
    Value::Set(vec![bulk_map(vec![
        ("flags", simple_set(flags.into_iter())),
        (
            "begin_search",
            bulk_map(vec![
                ("type", Value::bulk("index")),
                ("spec", bulk_map(vec![("index", Value::Int(i64::from(c.first_key)))])),
            ]),
        ),
        (
            "find_keys",
            bulk_map(vec![
                ("type", Value::bulk("range")),
                (
                    "spec",
                    bulk_map(vec![
                        ("lastkey", Value::Int(i64::from(lastkey))),
                        ("keystep", Value::Int(i64::from(c.step))),
                        ("limit", Value::Int(0)),
                    ]),
                ),
            ]),
        ),
    ])])
}

/// Redis's own categories, tips and key specs for `full_name` (see [`command_meta`]).
fn redis_meta(full_name: &str) -> Option<[Value; 3]> {
    let i = command_meta::META.binary_search_by(|(n, _)| n.cmp(&full_name)).ok()?;
    let mut parser = crate::resp::Parser::new();
    parser.feed(command_meta::META[i].1);
    match parser.next_value() {
        Ok(Some(Value::Array(parts))) => parts.try_into().ok(),
        _ => None,
    }
}

/// One COMMAND INFO entry: name, arity, flags, first, last, step, categories, tips, key specs,
/// subcommands. Categories, tips and key specs are Redis's own where Redis has the command.
fn command_entry(c: &Command, full_name: &str) -> Value {
    let flags = FLAG_ORDER.iter().copied().filter(|f| c.has_flag(f));
    let [cats, tips, specs] = redis_meta(full_name).unwrap_or_else(|| {
        [
            Value::Set(categories(c).into_iter().map(|cat| Value::simple(&format!("@{cat}"))).collect()),
            Value::Set(Vec::new()),
            key_specs(c),
        ]
    });
    Value::Array(vec![
        Value::bulk(full_name),
        Value::Int(i64::from(c.arity)),
        simple_set(flags),
        Value::Int(i64::from(c.first_key)),
        Value::Int(i64::from(c.last_key)),
        Value::Int(i64::from(c.step)),
        cats,
        tips,
        specs,
        subcommand_entries(c),
    ])
}

/// The subcommands of a container (an empty set for plain commands, as Redis replies).
fn subcommand_entries(c: &Command) -> Value {
    if c.subcommands.is_empty() {
        return Value::Set(Vec::new());
    }
    Value::Array(c.subcommands.iter().map(|s| command_entry(s, &format!("{}|{}", c.name, s.name))).collect())
}

/// COMMAND (no subcommand): every command's entry. COMMAND is a container whose bare form is
/// valid too (arity -1), which dispatch allows.
fn command_all(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Array(super::all().map(|c| command_entry(c, c.name)).collect()))
}

/// COMMAND COUNT.
fn command_count(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(super::all().count() as i64))
}

/// Resolves `name` or `container|sub` to a command of the table.
fn find_command(name: &[u8]) -> Option<(&'static Command, String)> {
    let text = String::from_utf8_lossy(name).to_ascii_lowercase();
    match text.split_once('|') {
        Some((top, sub)) => {
            let c = super::lookup(top.as_bytes())?;
            let s = super::lookup_sub(c, sub.as_bytes())?;
            Some((s, format!("{}|{}", c.name, s.name)))
        }
        None => super::lookup(name).map(|c| (c, c.name.to_string())),
    }
}

/// COMMAND INFO [name ...]: entries, null for unknown names.
fn command_info(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() == 2 {
        return command_all(ctx, &argv[..1]);
    }
    Ok(Value::Array(
        argv[2..]
            .iter()
            .map(|n| find_command(n).map(|(c, full)| command_entry(c, &full)).unwrap_or(Value::Nil))
            .collect(),
    ))
}

/// One COMMAND DOCS entry.
fn doc_entry(c: &Command) -> Value {
    let mut pairs = vec![("summary", Value::bulk(c.summary)), ("group", Value::bulk(c.group))];
    if !c.subcommands.is_empty() {
        let subs =
            c.subcommands.iter().map(|s| (Value::bulk(format!("{}|{}", c.name, s.name)), doc_entry(s))).collect();
        pairs.push(("subcommands", Value::Map(subs)));
    }
    bulk_map(pairs)
}

/// COMMAND DOCS [name ...]: a map of names to their summary and group (unknown names skipped).
fn command_docs(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let docs: Vec<(Value, Value)> = if argv.len() == 2 {
        super::all().map(|c| (Value::bulk(c.name), doc_entry(c))).collect()
    } else {
        argv[2..].iter().filter_map(|n| find_command(n)).map(|(c, full)| (Value::bulk(full), doc_entry(c))).collect()
    };
    Ok(Value::Map(docs))
}

/// COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]: names, subcommands included.
fn command_list(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    enum Filter {
        None,
        Module,
        AclCat(String),
        Pattern(Vec<u8>),
    }
    let filter = match argv.len() {
        2 => Filter::None,
        5 if is_kw(&argv[2], "filterby") => {
            if is_kw(&argv[3], "module") {
                Filter::Module
            } else if is_kw(&argv[3], "aclcat") {
                Filter::AclCat(String::from_utf8_lossy(&argv[4]).to_ascii_lowercase())
            } else if is_kw(&argv[3], "pattern") {
                Filter::Pattern(argv[4].clone())
            } else {
                return Err(errors::syntax());
            }
        }
        _ => return Err(errors::syntax()),
    };
    let mut names = Vec::new();
    for c in super::all() {
        let entries = std::iter::once((c, c.name.to_string()))
            .chain(c.subcommands.iter().map(move |s| (s, format!("{}|{}", c.name, s.name))));
        for (cmd, full) in entries {
            let keep = match &filter {
                Filter::None => true,
                Filter::Module => false,
                Filter::AclCat(cat) => has_category(cmd, &full, cat),
                Filter::Pattern(p) => glob_match(p, full.as_bytes(), true),
            };
            if keep {
                names.push(Value::bulk(full));
            }
        }
    }
    Ok(Value::Array(names))
}

/// True when the command (by its full name) is in ACL category `cat` (without the `@`).
fn has_category(c: &Command, full_name: &str, cat: &str) -> bool {
    match redis_meta(full_name) {
        Some([Value::Set(cats), _, _]) => {
            cats.iter().any(|v| v.as_bytes().is_some_and(|b| b.strip_prefix(b"@") == Some(cat.as_bytes())))
        }
        _ => categories(c).contains(&cat),
    }
}

/// A field of a RESP map by its (bulk or simple) name.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Map(m) => m.iter().find(|(k, _)| k.as_bytes() == Some(name.as_bytes())).map(|(_, x)| x),
        _ => None,
    }
}

/// An integer field of a RESP map (0 when absent).
fn int_field(v: &Value, name: &str) -> i64 {
    field(v, name).and_then(Value::as_int).unwrap_or(0)
}

/// Finds the keys one Redis key spec designates in `args` (args\[0\] is the command name).
/// `Ok(None)` when the spec's keyword is absent; `Err(())` when the spec does not fit the
/// arguments (Redis's `invalid_spec`). Returns (first, last, step).
fn eval_key_spec(spec: &Value, args: &[Vec<u8>]) -> Result<Option<(usize, i64, usize)>, ()> {
    let argc = args.len() as i64;
    let bs = field(spec, "begin_search").ok_or(())?;
    let bs_spec = field(bs, "spec").ok_or(())?;
    let first: i64 = match field(bs, "type").and_then(Value::as_bytes) {
        Some(b"index") => int_field(bs_spec, "index"),
        Some(b"keyword") => {
            let kw = field(bs_spec, "keyword").and_then(Value::as_bytes).ok_or(())?;
            let from = int_field(bs_spec, "startfrom");
            let hit = if from > 0 {
                // Like Redis's loop, the last argument is never taken for the keyword.
                (from..argc - 1).find(|&i| args[i as usize].eq_ignore_ascii_case(kw))
            } else {
                (1..=argc + from).rev().find(|&i| i < argc && args[i as usize].eq_ignore_ascii_case(kw))
            };
            match hit {
                Some(i) => i + 1,
                None => return Ok(None),
            }
        }
        _ => return Err(()),
    };
    let fk = field(spec, "find_keys").ok_or(())?;
    let fk_spec = field(fk, "spec").ok_or(())?;
    let (first, last, step) = match field(fk, "type").and_then(Value::as_bytes) {
        Some(b"range") => {
            let (lastkey, limit) = (int_field(fk_spec, "lastkey"), int_field(fk_spec, "limit"));
            let last = if lastkey >= 0 {
                first + lastkey
            } else if limit <= 1 {
                argc + lastkey
            } else {
                first + ((argc - first) / limit + lastkey)
            };
            (first, last, int_field(fk_spec, "keystep"))
        }
        Some(b"keynum") => {
            let idx = first + int_field(fk_spec, "keynumidx");
            let step = int_field(fk_spec, "keystep");
            let n = args.get(usize::try_from(idx).map_err(|_| ())?).and_then(|a| crate::sim::float::parse_i64(a));
            let n = n.filter(|n| *n >= 0).ok_or(())?;
            let first = first + int_field(fk_spec, "firstkey");
            (first, first + (n - 1).saturating_mul(step), step)
        }
        _ => return Err(()),
    };
    if last >= argc || last < first || first >= argc || first < 1 || step < 1 {
        return Err(());
    }
    Ok(Some((first as usize, last, step as usize)))
}

/// Key positions and key-spec flags of `args` for `cmd`, the way Redis's GETKEYS finds them:
/// through Redis's key specs when Redis has the command, else through the table's
/// first/last/step.
fn keys_with_flags(cmd: &Command, full_name: &str, args: &[Vec<u8>]) -> Vec<(usize, Value)> {
    if let Some([_, _, Value::Set(specs)]) = redis_meta(full_name) {
        let mut out = Vec::new();
        for spec in &specs {
            let flags = field(spec, "flags").cloned().unwrap_or(Value::Set(Vec::new()));
            if flags.as_array().is_some_and(|f| f.iter().any(|x| x.as_bytes() == Some(b"not_key"))) {
                continue;
            }
            match eval_key_spec(spec, args) {
                Ok(Some((first, last, step))) => {
                    out.extend((first..=last as usize).step_by(step).map(|i| (i, flags.clone())));
                }
                Ok(None) => {}
                // Arguments that do not fit a spec (a bad numkeys …) designate no keys at all.
                Err(()) => return Vec::new(),
            }
        }
        return out;
    }
    let flags = Value::Set(Vec::new());
    cmd.key_positions(args.len()).into_iter().map(|i| (i, flags.clone())).collect()
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS command [arg ...].
fn command_getkeys(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let with_flags = is_kw(&argv[1], "getkeysandflags");
    let target = &argv[2..];
    let Some(top) = super::lookup(&target[0]) else { return Err(CmdError::msg("ERR Invalid command specified")) };
    let (cmd, full) = if top.subcommands.is_empty() || target.len() < 2 {
        (top, top.name.to_string())
    } else {
        match super::lookup_sub(top, &target[1]) {
            Some(s) => (s, format!("{}|{}", top.name, s.name)),
            None => return Err(CmdError::msg("ERR Invalid command specified")),
        }
    };
    let has_specs = matches!(redis_meta(&full), Some([_, _, Value::Set(ref s)]) if !s.is_empty());
    if cmd.first_key <= 0 && !cmd.has_flag("movablekeys") && !has_specs {
        return Err(CmdError::msg("ERR The command has no key arguments"));
    }
    if !cmd.arity_ok(target.len()) {
        return Err(CmdError::msg("ERR Invalid number of arguments specified for command"));
    }
    let keys = keys_with_flags(cmd, &full, target);
    if keys.is_empty() {
        if cmd.has_flag("no_mandatory_keys") {
            return Ok(Value::Array(Vec::new()));
        }
        return Err(CmdError::msg("ERR Invalid arguments specified for command"));
    }
    Ok(Value::Array(
        keys.into_iter()
            .map(|(i, flags)| {
                let key = Value::bulk(&target[i]);
                if with_flags {
                    Value::Array(vec![key, flags])
                } else {
                    key
                }
            })
            .collect(),
    ))
}

/// COMMAND HELP.
fn command_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use crate::resp::Value;
    use crate::sim::bytes::SmallBytes;
    use crate::sim::db::{Entry, RValue};
    use crate::sim::{Clock, Simulator};

    fn sim_with(db: usize, keys: &[&str]) -> Simulator {
        let sim = Simulator::with_clock(Clock::manual(1_700_000_000_000));
        {
            let mut st = sim.lock();
            for k in keys {
                st.dbs[db].set_entry(k.as_bytes(), Entry::new(RValue::Str(SmallBytes::new(b"v"))));
            }
        }
        sim
    }

    fn text(v: &Value) -> String {
        v.as_bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()
    }

    #[test]
    fn swapdb_and_flush() {
        let sim = sim_with(0, &["a", "b"]);
        let mut c = sim.connect();
        assert_eq!(c.execute(&["SWAPDB", "0", "4"]), Value::ok());
        assert_eq!(c.execute(&["DBSIZE"]), Value::Int(0));
        c.execute(&["SELECT", "4"]);
        assert_eq!(c.execute(&["DBSIZE"]), Value::Int(2));
        assert_eq!(c.execute(&["FLUSHALL", "ASYNC"]), Value::ok());
        assert_eq!(c.execute(&["DBSIZE"]), Value::Int(0));
    }

    #[test]
    fn info_keyspace_and_sections() {
        let sim = sim_with(2, &["a", "b", "c"]);
        let mut c = sim.connect();
        c.execute(&["SELECT", "2"]);
        c.execute(&["PEXPIRE", "a", "10000"]);
        let ks = text(&c.execute(&["INFO", "keyspace"]));
        assert_eq!(ks, "# Keyspace\r\ndb2:keys=3,expires=1,avg_ttl=10000\r\n");
        let all = text(&c.execute(&["INFO"]));
        assert!(all.starts_with("# Server\r\nredis_version:7.0.15\r\nredkit_version:"));
        for s in ["# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Keyspace"] {
            assert!(all.contains(s), "missing {s}");
        }
        assert_eq!(text(&c.execute(&["INFO", "nosuch"])), "");
    }

    #[test]
    fn config_set_is_all_or_nothing() {
        let sim = sim_with(0, &[]);
        let mut c = sim.connect();
        let r = c.execute(&["CONFIG", "SET", "maxmemory", "10mb", "maxmemory-samples", "0"]);
        assert!(r.is_error());
        assert_eq!(sim.lock().config.maxmemory, 0);
        assert_eq!(c.execute(&["CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lfu"]), Value::ok());
        let st = sim.lock();
        assert_eq!(st.config.maxmemory, 10 * 1024 * 1024);
        assert!(st.config.maxmemory_policy.is_lfu());
    }

    #[test]
    fn every_command_describes_itself() {
        let sim = sim_with(0, &[]);
        let mut c = sim.connect();
        let Value::Array(all) = c.execute(&["COMMAND"]) else { panic!("COMMAND reply") };
        assert_eq!(Value::Int(all.len() as i64), c.execute(&["COMMAND", "COUNT"]));
        for entry in &all {
            let Some([Value::Bulk(name), ..]) = entry.as_array() else { panic!("entry shape") };
            let name = String::from_utf8_lossy(name).into_owned();
            let info = c.execute(&["COMMAND", "INFO", name.as_str()]);
            assert_eq!(info.as_array().map(|a| a.len()), Some(1));
            let _ = c.execute(&["COMMAND", "GETKEYS", name.as_str(), "k1", "k2", "k3"]);
        }
        assert_eq!(
            c.execute(&["COMMAND", "GETKEYS", "rename", "a", "b"]),
            Value::Array(vec![Value::bulk("a"), Value::bulk("b")])
        );
    }

    #[test]
    fn client_kill_disconnects_another_client() {
        let sim = sim_with(0, &[]);
        let mut a = sim.connect();
        let mut b = sim.connect();
        a.execute(&["CLIENT", "SETNAME", "alpha"]);
        let list = text(&b.execute(&["CLIENT", "LIST"]));
        assert_eq!(list.lines().count(), 2);
        assert!(list.contains("name=alpha"));
        let id = a.id().to_string();
        assert_eq!(b.execute(&["CLIENT", "KILL", "ID", id.as_str()]), Value::Int(1));
        assert!(a.execute(&["PING"]).is_error());
        assert_eq!(text(&b.execute(&["CLIENT", "LIST"])).lines().count(), 1);
    }

    #[test]
    fn odd_arguments_never_panic() {
        let sim = sim_with(0, &["k", "x"]);
        let mut c = sim.connect();
        let odd: &[&str] = &[
            "",
            "0",
            "-1",
            "1",
            "99999999999999999999",
            "-9223372036854775808",
            "nx",
            "xx",
            "gt",
            "db",
            "*",
            "[",
            "\\",
            "\u{ff}",
        ];
        let names: Vec<&str> = super::super::all()
            .filter(|c| matches!(c.group, "generic" | "connection" | "server"))
            .filter(|c| !matches!(c.name, "quit" | "reset" | "client" | "debug" | "hello"))
            .map(|c| c.name)
            .collect();
        for name in names {
            for a in odd {
                for b in odd {
                    let _ = c.execute(&[name, a, b]);
                    let _ = c.execute(&[name, "k", a, b, a]);
                }
            }
        }
        for args in [
            &["CLIENT", "KILL", "ID"][..],
            &["CLIENT", "LIST", "ID", "-1", "x"],
            &["CLIENT", "UNBLOCK", "-1", "ERROR"],
            &["DEBUG", "SLEEP", "nan"],
            &["HELLO", "3", "AUTH", "a"],
            &["OBJECT", "FREQ", "k"],
            &["COMMAND", "GETKEYS", "object", "help", "x"],
            &["COMMAND", "INFO", "|", "a|b|c"],
            &["CONFIG", "SET", "save", "1 2 3 4 5 6 7 8", "hz", "-5"],
        ] {
            let _ = c.execute(args);
        }
        assert_eq!(c.execute(&["PING"]), Value::simple("PONG"));
    }

    #[test]
    fn time_follows_the_clock() {
        let sim = sim_with(0, &[]);
        let mut c = sim.connect();
        sim.advance_ms(1_500);
        let t = c.execute(&["TIME"]);
        let parts: Vec<String> = t.as_array().unwrap_or(&[]).iter().map(text).collect();
        assert_eq!(parts, vec!["1700000001".to_string(), "500000".to_string()]);
    }
}
