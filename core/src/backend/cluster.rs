//! [`ClusterBackend`]: the patterns over a Redis Cluster, through redis-rs `cluster-async`.
//!
//! Every pattern names its keys with one hash tag (`redkit:lock:{name}…`, see
//! `patterns::keys`), so each operation touches one slot: a command goes to the node owning its
//! key, a pipeline or a MULTI/EXEC to the node of its first key, a script (EVALSHA, EVAL on
//! NOSCRIPT) to the node of its first key. redis-rs keeps one multiplexed connection per node,
//! follows MOVED/ASK redirections and refreshes the slot map.
//!
//! Blocking commands run on dedicated connections to the node that owns the command's first
//! key (a small idle pool per node), never on the shared ones. The owner is learned from MOVED
//! replies and remembered per slot; the first try goes to the first node given. An ASK
//! redirection (a slot in the middle of a migration) is returned as the error it is.
//!
//! Subscriptions are classic pub/sub, which a cluster broadcasts to every node: they open a
//! dedicated connection to the first node given.

use super::redis::{bounded, need_runtime, open_client, tcp_settings, Dedicated, RedisOptions};
use super::redis_value::{from_redis, map_error, restore_nil_arrays, Context};
use super::wire::{self, send_all_on, send_on, Wire};
use super::{reply_to_result, Backend, BoxFuture, Cmd, Subscriber};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;
use crate::scripts::Script;
use redis::cluster_async::ClusterConnection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Redirections a blocking command follows before giving up.
const MAX_REDIRECTS: usize = 3;

/// One node's client and its pool of dedicated connections.
struct Node {
    client: redis::Client,
    dedicated: Dedicated,
}

/// The patterns' backend over a Redis Cluster.
///
/// ```no_run
/// # async fn demo() -> redkit::Result<()> {
/// use redkit::backend::{Backend, ClusterBackend};
///
/// let backend = ClusterBackend::connect(&["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]).await?;
/// backend.command(redkit::command!("SET", "{user:1}:name", "Ada")).await?;
/// # Ok(()) }
/// ```
pub struct ClusterBackend {
    shared: ClusterConnection,
    urls: Vec<String>,
    opts: RedisOptions,
    nodes: Mutex<HashMap<String, Arc<Node>>>,
    /// Slot → node URL, learned from MOVED replies to blocking commands.
    owners: Mutex<HashMap<u16, String>>,
    round_trips: AtomicU64,
}

impl std::fmt::Debug for ClusterBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClusterBackend({:?})", self.urls)
    }
}

impl ClusterBackend {
    /// Connects to the cluster through any of `urls` (`redis://` or `rediss://`, credentials
    /// in the URL) with default options.
    pub async fn connect(urls: &[&str]) -> Result<ClusterBackend> {
        ClusterBackend::with_options(urls, RedisOptions::default()).await
    }

    /// Connects with `opts` (call and connect timeouts, retries and backoff, TLS root).
    pub async fn with_options(urls: &[&str], opts: RedisOptions) -> Result<ClusterBackend> {
        need_runtime("ClusterBackend")?;
        if urls.is_empty() {
            return Err(Error::new(ErrorKind::InvalidArgument, "ClusterBackend needs at least one node URL"));
        }
        let mut builder = redis::cluster::ClusterClientBuilder::new(urls.to_vec())
            .connection_timeout(opts.connect_timeout)
            .response_timeout(opts.call_timeout)
            .retries(u32::try_from(opts.retries).unwrap_or(u32::MAX))
            .min_retry_wait(u64::try_from(opts.backoff_min.as_millis()).unwrap_or(u64::MAX))
            .max_retry_wait(u64::try_from(opts.backoff_max.as_millis()).unwrap_or(u64::MAX))
            .tcp_settings(tcp_settings());
        #[cfg(feature = "tls")]
        if let Some(pem) = &opts.tls_root_cert {
            builder = builder.certs(redis::TlsCertificates { client_tls: None, root_cert: Some(pem.clone()) });
        }
        let client = builder
            .build()
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("invalid cluster URLs: {e}")))?;
        let limit = opts.connect_timeout * u32::try_from(opts.retries + 1).unwrap_or(u32::MAX) + opts.backoff_max;
        let shared = bounded(limit, async { client.get_async_connection().await.map_err(map_error) }).await?;
        Ok(ClusterBackend {
            shared,
            urls: urls.iter().map(|u| u.to_string()).collect(),
            opts,
            nodes: Mutex::new(HashMap::new()),
            owners: Mutex::new(HashMap::new()),
            round_trips: AtomicU64::new(0),
        })
    }

    /// Requests sent so far (as [`super::RedisBackend::round_trips`] counts them).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// The node (client and pool) at `url`, created on first use.
    fn node(&self, url: &str) -> Result<Arc<Node>> {
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = nodes.get(url) {
            return Ok(n.clone());
        }
        let node = Arc::new(Node { client: open_client(url, &self.opts)?, dedicated: Dedicated::new(&self.opts) });
        nodes.insert(url.to_string(), node.clone());
        Ok(node)
    }

    /// Runs a blocking command on a dedicated connection to the node owning its first key,
    /// following MOVED replies.
    async fn blocking_on_owner(&self, cmd: &Cmd) -> Result<Value> {
        let slot = blocking_key(cmd.args()).map(slot_of);
        let known = slot.and_then(|s| self.owners.lock().unwrap_or_else(|p| p.into_inner()).get(&s).cloned());
        let mut url = known.unwrap_or_else(|| self.urls[0].clone());
        for _ in 0..=MAX_REDIRECTS {
            self.round_trips.fetch_add(1, Ordering::Relaxed);
            let node = self.node(&url)?;
            let v = restore_nil_arrays(
                cmd.args(),
                from_redis(node.dedicated.run(&node.client, cmd).await?),
                Context::Alone,
            );
            let Some((moved_slot, addr)) = moved(&v) else { return reply_to_result(v) };
            url = node_url(&self.urls[0], &addr);
            self.owners.lock().unwrap_or_else(|p| p.into_inner()).insert(moved_slot, url.clone());
        }
        Err(Error::new(ErrorKind::Connection, format!("{} redirected more than {MAX_REDIRECTS} times", cmd.name())))
    }
}

impl Wire for ClusterBackend {
    fn send<'a>(&'a self, argv: &'a [Vec<u8>]) -> BoxFuture<'a, Result<Value>> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        Box::pin(send_on(&self.shared, self.opts.call_timeout, argv))
    }

    fn send_all<'a>(&'a self, argvs: &'a [Vec<Vec<u8>>]) -> BoxFuture<'a, Result<Vec<Value>>> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        Box::pin(send_all_on(&self.shared, self.opts.call_timeout, argvs))
    }

    fn run_blocking<'a>(&'a self, cmd: &'a Cmd) -> BoxFuture<'a, Result<Value>> {
        Box::pin(self.blocking_on_owner(cmd))
    }
}

impl Backend for ClusterBackend {
    fn command(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(wire::command(self, cmd))
    }

    fn pipeline(&self, cmds: Vec<Cmd>, atomic: bool) -> BoxFuture<'_, Result<Vec<Value>>> {
        Box::pin(wire::pipeline(self, cmds, atomic))
    }

    fn script(&self, script: &'static Script, keys: Vec<Vec<u8>>, args: Vec<Vec<u8>>) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move { wire::script(self, script, &keys, &args).await })
    }

    fn blocking(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(wire::blocking(self, cmd))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Box<dyn Subscriber>>> {
        Box::pin(async move {
            let node = self.node(&self.urls[0])?;
            wire::subscriber(&node.client, &self.opts).await
        })
    }

    fn sleep(&self, d: std::time::Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) -> Result<()> {
        need_runtime("ClusterBackend::spawn")?.spawn(task);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "cluster"
    }
}

/// The key a blocking command waits on first (its slot decides the node).
fn blocking_key(argv: &[Vec<u8>]) -> Option<&[u8]> {
    let name = String::from_utf8_lossy(argv.first()?).to_ascii_uppercase();
    let at = match name.as_str() {
        "BLMPOP" | "BZMPOP" => 3,
        "XREAD" | "XREADGROUP" => argv.iter().position(|a| a.eq_ignore_ascii_case(b"STREAMS"))? + 1,
        _ => 1,
    };
    argv.get(at).map(Vec::as_slice)
}

/// A MOVED reply's slot and `host:port`.
fn moved(v: &Value) -> Option<(u16, String)> {
    let Value::Error(e) = v else { return None };
    let text = std::str::from_utf8(e).ok()?;
    let mut parts = text.strip_prefix("MOVED ")?.split(' ');
    let slot = parts.next()?.parse().ok()?;
    Some((slot, parts.next()?.to_string()))
}

/// `base` (scheme, credentials) pointed at `addr` (`host:port`).
fn node_url(base: &str, addr: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("redis", base));
    let authority = rest.split('/').next().unwrap_or(rest);
    let userinfo = authority.rsplit_once('@').map(|(u, _)| format!("{u}@")).unwrap_or_default();
    format!("{scheme}://{userinfo}{addr}")
}

/// The cluster slot of `key`: CRC16 (XMODEM) of its hash tag (or the whole key) mod 16384.
pub fn slot_of(key: &[u8]) -> u16 {
    let tagged = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            rest.iter().position(|&b| b == b'}').filter(|&close| close > 0).map(|close| &rest[..close])
        })
        .unwrap_or(key);
    let mut crc: u16 = 0;
    for &b in tagged {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc % 16384
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_hash_tags_like_redis() {
        // Values from CLUSTER KEYSLOT on Redis 7.0.
        assert_eq!(slot_of(b"foo"), 12182);
        assert_eq!(slot_of(b"{user1000}.following"), slot_of(b"user1000"));
        assert_eq!(slot_of(b"redkit:lock:{a}"), slot_of(b"a"));
    }

    #[test]
    fn moved_replies_and_node_urls() {
        assert_eq!(moved(&Value::Error(b"MOVED 3999 127.0.0.1:6381".to_vec())), Some((3999, "127.0.0.1:6381".into())));
        assert_eq!(moved(&Value::Error(b"ERR x".to_vec())), None);
        assert_eq!(node_url("redis://u:p@127.0.0.1:7000/0", "10.0.0.2:7001"), "redis://u:p@10.0.0.2:7001");
        assert_eq!(node_url("rediss://h:1", "h2:2"), "rediss://h2:2");
        assert_eq!(
            blocking_key(&[b"XREAD".to_vec(), b"BLOCK".to_vec(), b"5".to_vec(), b"STREAMS".to_vec(), b"s".to_vec()]),
            Some(&b"s"[..])
        );
    }
}
