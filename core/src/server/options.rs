//! How a server is configured: [`ServerOptions`], built in code or from a redis-server-like
//! command line ([`parse_args`], what `redkit-server` runs), and the simulator it describes
//! ([`ServerOptions::simulator`]).

use crate::sim::config::{find_param, parse_memory, EvictionPolicy};
use crate::sim::{Clock, Config, Simulator};
use std::net::IpAddr;
use std::path::PathBuf;

/// What `redkit-server --help` prints.
pub const HELP: &str = "\
Usage: redkit-server [options]

Serves redkit's Redis 7.0 simulator over RESP2/RESP3 to any Redis client.

  --port N                  TCP port (default 6379; 0 picks a free one)
  --bind ADDR               address to listen on (default 127.0.0.1)
  --protected-mode no       allow a non-loopback --bind (refused otherwise: the server has no
                            TLS and, without --requirepass, no password)
  --requirepass PASS        clients must AUTH with this password
  --databases N             number of databases (default 16)
  --maxmemory BYTES         memory limit, with units like redis-server's (100mb, 1gb)
  --maxmemory-policy P      noeviction, allkeys-lru, volatile-lru, allkeys-lfu, volatile-lfu,
                            allkeys-random, volatile-random, volatile-ttl
  --save FILE               snapshot file written by SAVE, SHUTDOWN and SIGTERM
  --load FILE               snapshot file loaded at start
  --manual-clock            time stands still until REDKIT.ADVANCE <ms> moves it
  --maxclients N            connection limit (default 10000)
  --threads N               worker threads (default 1: one event loop, like redis-server)
  --<parameter> VALUE       any CONFIG SET parameter (e.g. --notify-keyspace-events KEA)
  --help                    this text
  --version                 the version

Not yet: EVAL and FUNCTION (Lua), replication, TLS, ACL users beyond `default`.
";

/// A server's configuration. `ServerOptions::default()` is redis-server's: 127.0.0.1:6379, no
/// password, 16 databases, no memory limit, the system clock, no snapshot file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Address to listen on.
    pub bind: IpAddr,
    /// TCP port; 0 picks a free one ([`super::ServerHandle::addr`] tells which).
    pub port: u16,
    /// Allow a non-loopback `bind` (`--protected-mode no`).
    pub allow_remote: bool,
    /// The `default` user's password.
    pub requirepass: Option<String>,
    /// Number of databases.
    pub databases: usize,
    /// Memory limit in bytes (0: none).
    pub maxmemory: u64,
    /// What to evict at the limit.
    pub maxmemory_policy: EvictionPolicy,
    /// Other CONFIG parameters, by name, set at start.
    pub config: Vec<(String, String)>,
    /// Snapshot file written by SAVE, SHUTDOWN and a clean stop.
    pub save: Option<PathBuf>,
    /// Snapshot file loaded at start.
    pub load: Option<PathBuf>,
    /// A manual clock starting at the current time, moved by `REDKIT.ADVANCE ms`.
    pub manual_clock: bool,
    /// Connection limit (`maxclients`).
    pub max_clients: usize,
    /// Longest bulk string a client may send (`proto-max-bulk-len`, 512 MiB).
    pub max_bulk: usize,
    /// Most bytes a client may have sent and not yet had run (`client-query-buffer-limit`, 1 GiB).
    pub max_query_buffer: usize,
    /// Pub/sub messages a client may have waiting (not yet written to its socket) before it is
    /// disconnected, like Redis's `client-output-buffer-limit pubsub` (100,000).
    pub max_pending_messages: usize,
    /// Tokio worker threads; 1 runs one event loop on its own thread, like redis-server.
    pub threads: usize,
    /// SIGTERM and SIGINT stop the server cleanly (the binary sets it; a library host keeps its
    /// own signal handling).
    pub handle_signals: bool,
    /// Write redis-server-like log lines to stderr.
    pub log: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 6379,
            allow_remote: false,
            requirepass: None,
            databases: 16,
            maxmemory: 0,
            maxmemory_policy: EvictionPolicy::NoEviction,
            config: Vec::new(),
            save: None,
            load: None,
            manual_clock: false,
            max_clients: 10_000,
            max_bulk: 512 * 1024 * 1024,
            max_query_buffer: 1024 * 1024 * 1024,
            max_pending_messages: 100_000,
            threads: 1,
            handle_signals: false,
            log: false,
        }
    }
}

/// What a command line asks for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Invocation {
    /// Run with these options.
    Run(Box<ServerOptions>),
    /// Print [`HELP`].
    Help,
    /// Print the version.
    Version,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("--{flag}: '{v}' is not a valid number"))
}

/// Parses redis-server-like arguments (without the program name): `--name value` pairs, with
/// `--manual-clock`, `--help` and `--version` taking no value.
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Invocation, String> {
    let mut o = ServerOptions { handle_signals: true, log: true, ..ServerOptions::default() };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let Some(flag) = arg.strip_prefix("--") else { return Err(format!("unexpected argument '{arg}'")) };
        match flag {
            "help" | "h" => return Ok(Invocation::Help),
            "version" | "v" => return Ok(Invocation::Version),
            "manual-clock" => {
                o.manual_clock = true;
                continue;
            }
            _ => {}
        }
        let value = it.next().ok_or_else(|| format!("--{flag} needs a value"))?;
        let v = value.as_str();
        match flag {
            "port" => o.port = number(flag, v)?,
            "bind" => o.bind = v.parse().map_err(|_| format!("--bind: '{v}' is not an IP address"))?,
            "protected-mode" => o.allow_remote = v.eq_ignore_ascii_case("no"),
            "requirepass" => o.requirepass = Some(value),
            "databases" => o.databases = number(flag, v)?,
            "maxmemory" => o.maxmemory = parse_memory(v).ok_or_else(|| format!("--maxmemory: '{v}' is not a size"))?,
            "maxmemory-policy" => {
                o.maxmemory_policy =
                    EvictionPolicy::parse(v).ok_or_else(|| format!("--maxmemory-policy: unknown policy '{v}'"))?
            }
            "save" => o.save = Some(value.into()),
            "load" => o.load = Some(value.into()),
            "maxclients" => o.max_clients = number(flag, v)?,
            "threads" => o.threads = number(flag, v)?,
            _ if find_param(flag.as_bytes()).is_some() => o.config.push((flag.to_string(), value)),
            _ => return Err(format!("unknown option --{flag} (see --help)")),
        }
    }
    Ok(Invocation::Run(Box::new(o)))
}

impl ServerOptions {
    /// Checks what the simulator cannot: a non-loopback address needs `allow_remote`.
    pub fn check(&self) -> Result<(), String> {
        if !self.bind.is_loopback() && !self.allow_remote {
            return Err(format!(
                "refusing to listen on {}: not a loopback address (the server has no TLS); \
                 pass --protected-mode no to allow it",
                self.bind
            ));
        }
        if !(1..=1_000_000).contains(&self.databases) {
            return Err("databases must be between 1 and 1000000".into());
        }
        if self.threads == 0 || self.max_clients == 0 {
            return Err("threads and maxclients must be at least 1".into());
        }
        Ok(())
    }

    /// The simulator these options describe: its configuration, its clock, the snapshot file
    /// loaded. Attached to a server by [`super::Server::start`].
    pub fn simulator(&self) -> Result<Simulator, String> {
        let mut config = Config { databases: self.databases, ..Config::default() };
        config.maxmemory = self.maxmemory;
        config.maxmemory_policy = self.maxmemory_policy;
        let pass = self.requirepass.iter().map(|p| ("requirepass", p.as_str()));
        for (name, value) in pass.chain(self.config.iter().map(|(n, v)| (n.as_str(), v.as_str()))) {
            let param =
                find_param(name.as_bytes()).ok_or_else(|| format!("unknown configuration parameter '{name}'"))?;
            config.set_one(param, value).map_err(|e| format!("'{name}': {e}"))?;
        }
        let clock = if self.manual_clock { Clock::manual(Clock::system().now_ms()) } else { Clock::system() };
        let sim = Simulator::with_config(clock, config);
        if let Some(path) = &self.load {
            sim.load_from_file(path).map_err(|e| format!("loading {}: {e}", path.display()))?;
        }
        Ok(sim)
    }
}
