//! `ClusterBackend` on a 3-master Redis Cluster started on loopback by the test: commands on
//! keys spread over the three nodes, slots computed like Redis's, scripts and transactions
//! routed by their hash-tagged keys, blocking commands on dedicated connections to the owning
//! node (following MOVED), and pub/sub.

mod support;

use redkit::backend::{slot_of, Backend, ClusterBackend, Cmd, RedisOptions};
use redkit::resp::Value;
use redkit::scripts::{Env, Script};
use redkit::{command, ErrorKind};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{RedisServer, RespClient};

/// A loopback port whose cluster bus port (port + 10000) is free too.
fn cluster_port(taken: &[u16]) -> u16 {
    for _ in 0..200 {
        let p =
            TcpListener::bind("127.0.0.1:0").ok().and_then(|l| l.local_addr().ok()).map(|a| a.port() % 20000 + 20000);
        let Some(p) = p else { continue };
        let free = |q: u16| TcpListener::bind(("127.0.0.1", q)).is_ok();
        if !taken.contains(&p) && free(p) && free(p + 10000) {
            return p;
        }
    }
    panic!("no free port pair for a cluster node");
}

/// Three masters, slots split by `redis-cli --cluster create`; None when redis is missing.
fn start_cluster() -> Option<Vec<RedisServer>> {
    let mut nodes: Vec<RedisServer> = Vec::new();
    for _ in 0..3 {
        let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
        let port = cluster_port(&ports);
        let args =
            ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"];
        nodes.push(RedisServer::start_on(port, &args)?);
    }
    let addrs: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
    let status = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addrs)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let Ok(status) = status else {
        assert!(!support::under_ci(), "redis-cli is not installed (apt redis-tools)");
        eprintln!("SKIPPED: redis-cli not found; run `make setup` to install it");
        return None;
    };
    assert!(status.success(), "redis-cli --cluster create failed");
    let deadline = Instant::now() + Duration::from_secs(15);
    for n in &nodes {
        loop {
            let info = RespClient::connect(n.port).and_then(|mut c| c.call(&["CLUSTER", "INFO"])).map(|v| v.to_text());
            if info.is_ok_and(|i| i.contains("cluster_state:ok")) {
                break;
            }
            assert!(Instant::now() < deadline, "the cluster did not reach state ok");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Some(nodes)
}

fn urls(nodes: &[RedisServer]) -> Vec<String> {
    nodes.iter().map(|n| format!("redis://127.0.0.1:{}", n.port)).collect()
}

fn incr_both(env: &mut Env, keys: &[Vec<u8>], _args: &[Vec<u8>]) -> redkit::Result<Value> {
    let a = env.call(Cmd::new("INCR").arg(&keys[0]))?;
    env.call(Cmd::new("INCR").arg(&keys[1]))?;
    Ok(a)
}

static INCR_BOTH: Script = Script::new(
    "test_incr_both",
    "local a = redis.call('INCR', KEYS[1]); redis.call('INCR', KEYS[2]); return a",
    incr_both,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_master_cluster_serves_every_operation() {
    let Some(nodes) = start_cluster() else { return };
    let urls = urls(&nodes);
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let opts = RedisOptions::default().call_timeout(Duration::from_secs(3));
    let cluster = Arc::new(ClusterBackend::with_options(&refs, opts).await.expect("connect to the cluster"));

    // Keys on every node; our slot function agrees with the server's.
    let mut admin = nodes[0].client();
    let mut owners = std::collections::HashSet::new();
    for i in 0..30 {
        let key = format!("key:{i}");
        let slot = admin.call(&["CLUSTER", "KEYSLOT", &key]).unwrap();
        assert_eq!(slot, Value::Int(i64::from(slot_of(key.as_bytes()))), "{key}");
        owners.insert(slot_of(key.as_bytes()) / 5462);
        cluster.command(command!("SET", &key, i)).await.unwrap();
    }
    assert_eq!(owners.len(), 3, "the keys span the three nodes");
    for i in 0..30 {
        assert_eq!(cluster.command(command!("GET", format!("key:{i}"))).await.unwrap(), Value::bulk(i.to_string()));
    }
    let e = cluster.command(command!("LPUSH", "key:1", "x")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Reply);
    assert!(e.message.starts_with("WRONGTYPE"), "{e}");

    // Scripts and transactions on hash-tagged keys, for tags on different nodes.
    for tag in ["a", "b", "c", "d"] {
        let keys = vec![format!("{{{tag}}}:x").into_bytes(), format!("{{{tag}}}:y").into_bytes()];
        assert_eq!(cluster.script(&INCR_BOTH, keys.clone(), vec![]).await.unwrap(), Value::Int(1));
        assert_eq!(cluster.script(&INCR_BOTH, keys.clone(), vec![]).await.unwrap(), Value::Int(2));
        let tx = vec![Cmd::new("INCR").arg(&keys[0]), Cmd::new("GET").arg(&keys[1])];
        assert_eq!(cluster.pipeline(tx, true).await.unwrap(), vec![Value::Int(3), Value::bulk("2")]);
    }

    // Blocking pops on their own connections, on whichever node owns the key.
    for q in ["{a}:q", "{b}:q", "{c}:q"] {
        let waiter = tokio::spawn({
            let c = cluster.clone();
            let q = q.to_string();
            async move { c.blocking(command!("BLPOP", &q, 3)).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let start = Instant::now();
        cluster.command(command!("RPUSH", q, "job")).await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(500), "the shared connections are free");
        let got = tokio::time::timeout(Duration::from_secs(4), waiter).await.unwrap().unwrap().unwrap();
        assert_eq!(got, Value::Array(vec![Value::bulk(q), Value::bulk("job")]));
        assert_eq!(cluster.blocking(command!("BLPOP", q, "0.05")).await.unwrap(), Value::NilArray);
    }

    // Pub/sub: a cluster broadcasts classic PUBLISH to every node.
    let mut sub = cluster.subscribe().await.unwrap();
    sub.subscribe(vec![b"news".to_vec()]).await.unwrap();
    cluster.command(command!("PUBLISH", "news", "hello")).await.unwrap();
    let m = tokio::time::timeout(Duration::from_secs(2), sub.next_message()).await.unwrap().unwrap().unwrap();
    assert_eq!((m.channel, m.payload), (b"news".to_vec(), b"hello".to_vec()));
    assert!(cluster.round_trips() > 0);
}

#[tokio::test]
async fn no_nodes_is_an_invalid_argument() {
    let e = ClusterBackend::connect(&[]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn an_unreachable_cluster_is_a_connection_error_quickly() {
    let port = support::free_loopback_port();
    let url = format!("redis://127.0.0.1:{port}");
    let opts = RedisOptions::default().retries(0).connect_timeout(Duration::from_millis(300));
    let start = Instant::now();
    let e = ClusterBackend::with_options(&[url.as_str()], opts).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
}

/// Session stores whose hash tags land on different nodes: save under framework ids (with the
/// undeclared-but-same-slot keys the scripts touch: user indexes, evicted sessions), the
/// batched walks of the all-sessions index, revoke and clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_stores_work_on_every_node() {
    use redkit::patterns::session::{SessionOptions, SessionStore, BATCH};
    let Some(nodes) = start_cluster() else { return };
    let urls = urls(&nodes);
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let opts = RedisOptions::default().call_timeout(Duration::from_secs(3));
    let cluster: redkit::backend::BackendRef =
        Arc::new(ClusterBackend::with_options(&refs, opts).await.expect("connect to the cluster"));
    let mut owners = std::collections::HashSet::new();
    for name in ["a", "b", "c", "d"] {
        owners.insert(slot_of(format!("{{{name}}}").as_bytes()) / 5462);
        let store = SessionStore::new(cluster.clone(), name, SessionOptions::default().max_per_user(3)).unwrap();
        let n = BATCH + 5;
        for i in 0..n {
            let user = (i % 2 == 0).then_some("ada");
            store.save(&format!("sid{i}"), user, &serde_json::json!({"i": i}), None).await.unwrap();
        }
        assert_eq!(store.list("ada").await.unwrap().len(), 3, "{name}: the cap evicted on save");
        let live = n - (n.div_ceil(2) - 3);
        assert_eq!(store.count().await.unwrap(), live as u64, "{name}");
        assert_eq!(store.ids().await.unwrap().len(), live);
        assert_eq!(store.all().await.unwrap().len(), live);
        assert_eq!(store.revoke_all("ada", None).await.unwrap(), 3);
        assert_eq!(store.clear().await.unwrap(), (live - 3) as u64);
        assert_eq!(store.count().await.unwrap(), 0);
    }
    assert!(owners.len() >= 2, "the stores span several nodes");
}
