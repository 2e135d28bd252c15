//! `RedisBackend` against a real redis-server started by each test: the same replies as the
//! simulator backend for the same commands (a differential loop), pipelines, transactions,
//! scripts with the NOSCRIPT fallback, call timeouts, reconnecting after a killed connection
//! and a restarted server, ACL users and databases in the URL, TLS, blocking commands on their
//! own connections, subscriptions, and 50 concurrent callers sharing one connection.

mod support;

use redkit::backend::{Backend, Cmd, RedisBackend, RedisOptions, SimBackend};
use redkit::resp::Value;
use redkit::sim::Simulator;
use redkit::{command, ErrorKind};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::transfer::TRANSFER;
use support::RedisServer;

async fn backend(server: &RedisServer) -> Arc<RedisBackend> {
    Arc::new(RedisBackend::connect(&server.url(0)).await.expect("connect"))
}

/// A command's outcome in comparable form: the reply, or the error's kind and text.
type Outcome = Result<Value, (ErrorKind, String)>;

fn outcome(r: redkit::Result<Value>) -> Outcome {
    r.map_err(|e| (e.kind, e.message))
}

fn cmd(words: &[&str]) -> Cmd {
    Cmd::from_argv(words.iter().map(|w| w.as_bytes().to_vec()).collect())
}

/// Commands whose replies must be identical on both backends, run in this order on an empty
/// database. Each line exercises a reply shape or an error text.
const COMMANDS: &[&[&str]] = &[
    &["PING"],
    &["SET", "s", "v"],
    &["GET", "s"],
    &["GET", "missing"],
    &["INCR", "s"],
    &["INCRBY", "n", "5"],
    &["INCRBYFLOAT", "n", "1.5"],
    &["APPEND", "s", "w"],
    &["STRLEN", "s"],
    &["LPUSH", "s", "x"],
    &["GET"],
    &["NOSUCHCOMMAND", "a"],
    &["EXPIRE", "s", "100"],
    &["TTL", "s"],
    &["TTL", "missing"],
    &["RPUSH", "l", "a", "b", "c"],
    &["LRANGE", "l", "0", "-1"],
    &["LPOP", "l"],
    &["LPOP", "l", "5"],
    &["LPOP", "l"],
    &["LPOP", "l", "2"],
    &["RPOP", "nothing", "2"],
    &["BLPOP", "nothing", "0.05"],
    &["HSET", "h", "f", "1", "g", "2"],
    &["HGETALL", "h"],
    &["HGET", "h", "zz"],
    &["HINCRBYFLOAT", "h", "f", "0.25"],
    &["ZADD", "z", "1.5", "a", "2", "b", "0.1", "c"],
    &["ZSCORE", "z", "c"],
    &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    &["ZPOPMIN", "nothing"],
    &["ZMPOP", "1", "nothing", "MIN"],
    &["ZINCRBY", "z", "1e3", "a"],
    &["SADD", "set", "1", "2", "3"],
    &["SISMEMBER", "set", "2"],
    &["SMEMBERS", "set"],
    &["SCARD", "set"],
    &["GEOADD", "g", "13.361389", "38.115556", "Palermo"],
    &["GEOPOS", "g", "Palermo", "Nowhere"],
    &["GEODIST", "g", "Palermo", "Palermo"],
    &["XADD", "x", "1-1", "a", "1"],
    &["XADD", "x", "1-2", "b", "2"],
    &["XRANGE", "x", "-", "+"],
    &["XREAD", "COUNT", "1", "STREAMS", "x", "1-2"],
    &["XREAD", "STREAMS", "x", "0"],
    &["XGROUP", "CREATE", "x", "grp", "0"],
    &["XPENDING", "x", "grp"],
    &["XREADGROUP", "GROUP", "grp", "c1", "STREAMS", "x", ">"],
    &["XDEL", "x", "1-1"],
    &["XREADGROUP", "GROUP", "grp", "c1", "STREAMS", "x", "0"],
    &["XPENDING", "x", "grp"],
    &["XACK", "x", "grp", "1-1", "1-2"],
    &["XPENDING", "x", "grp", "-", "+", "10"],
    &["XINFO", "GROUPS", "x"],
    &["XCLAIM", "x", "grp", "c2", "0", "1-2"],
    &["XAUTOCLAIM", "x", "grp", "c3", "0", "0-0"],
    &["XREAD", "BLOCK", "50", "STREAMS", "x", "$"],
    &["XREADGROUP", "GROUP", "grp", "c1", "BLOCK", "50", "STREAMS", "x", ">"],
    &["BLMOVE", "nothing", "dst", "LEFT", "LEFT", "0.05"],
    &["BRPOPLPUSH", "nothing", "dst", "0.05"],
    &["BZPOPMIN", "nothing", "0.05"],
    &["BLMPOP", "0.05", "1", "nothing", "LEFT"],
    &["BZMPOP", "0.05", "1", "nothing", "MIN"],
    &["LMPOP", "1", "nothing", "LEFT"],
    &["ZRANDMEMBER", "nothing", "2"],
    &["SRANDMEMBER", "nothing", "2"],
    &["HRANDFIELD", "nothing", "2"],
    &["SPOP", "nothing", "2"],
    &["ZADD", "z", "inf", "top", "-inf", "bottom"],
    &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    &["ZMSCORE", "z", "top", "none"],
    &["TYPE", "x"],
    &["TYPE", "missing"],
    &["EXISTS", "s", "h", "missing"],
    &["DEL", "s", "h"],
    &["OBJECT", "ENCODING", "z"],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_give_the_simulators_replies() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    redis.command(command!("FLUSHALL")).await.unwrap();
    let sim = SimBackend::new(Simulator::new());
    let mut mismatches = Vec::new();
    for words in COMMANDS {
        let (r, s) = (outcome(redis.command(cmd(words)).await), outcome(sim.command(cmd(words)).await));
        if r != s {
            mismatches.push(format!("{words:?}\n  redis: {r:?}\n  sim:   {s:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{} of {} differ:\n{}", mismatches.len(), COMMANDS.len(), mismatches.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_raised_inside_scripts_carry_no_script_suffix() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    redis.command(command!("SET", "s", "v")).await.unwrap();
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let cases: &[(&[&str], Outcome)] = &[
        (
            &["EVAL", "return {1, 'two', false, nil, 3}", "0"],
            Ok(Value::Array(vec![Value::Int(1), Value::bulk("two"), Value::Nil])),
        ),
        (&["EVAL", "return redis.call('GET', KEYS[1])", "1", "missing"], Ok(Value::Nil)),
        (&["EVAL", "return redis.call('LPUSH', KEYS[1], 'x')", "1", "s"], Err((ErrorKind::Reply, wrongtype.into()))),
        (&["EVAL", "return redis.pcall('LPUSH', KEYS[1], 'x')", "1", "s"], Err((ErrorKind::Reply, wrongtype.into()))),
        (&["EVAL", "return redis.error_reply('ERR custom')", "0"], Err((ErrorKind::Reply, "ERR custom".into()))),
        (&["EVAL", "return {err='MYERR mine'}", "0"], Err((ErrorKind::Reply, "MYERR mine".into()))),
    ];
    for (words, want) in cases {
        assert_eq!(&outcome(redis.command(cmd(words)).await), want, "{words:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_and_transactions_give_the_simulators_replies() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    let sim = SimBackend::new(Simulator::new());
    let batches: &[(bool, &[&[&str]])] = &[
        (false, &[&["SET", "k", "v"], &["LPUSH", "k", "x"], &["GET", "k"], &["LPOP", "nope", "3"]]),
        (true, &[&["INCR", "n"], &["INCR", "n"], &["LPUSH", "n", "x"], &["GET", "n"]]),
        (
            true,
            &[
                &["BLMOVE", "nope", "dst", "LEFT", "LEFT", "1"],
                &["BLPOP", "nope", "1"],
                &["XREAD", "STREAMS", "nope", "0"],
            ],
        ),
        (true, &[&["SET", "a", "1"], &["NOSUCHCOMMAND"], &["GET", "a"]]),
        (true, &[&["SET", "a"]]),
        (false, &[]),
        (true, &[]),
    ];
    for (atomic, cmds) in batches {
        let build = || cmds.iter().map(|w| cmd(w)).collect::<Vec<_>>();
        let before = redis.round_trips();
        let r = redis.pipeline(build(), *atomic).await.map_err(|e| (e.kind, e.message));
        let trips = if cmds.is_empty() { 0 } else { 1 };
        assert_eq!(redis.round_trips() - before, trips, "a pipeline is one round trip: {cmds:?}");
        let s = sim.pipeline(build(), *atomic).await.map_err(|e| (e.kind, e.message));
        assert_eq!(r, s, "atomic={atomic} {cmds:?}");
    }
}

fn keys() -> Vec<Vec<u8>> {
    vec![b"{acct}:a".to_vec(), b"{acct}:b".to_vec()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_match_the_simulator_and_fall_back_to_eval_after_script_flush() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    let sim = SimBackend::new(Simulator::new());
    for b in [&*redis as &dyn Backend, &sim] {
        b.command(command!("SET", "{acct}:a", 10)).await.unwrap();
    }
    for amount in ["3", "8", "7"] {
        let r = outcome(redis.script(&TRANSFER, keys(), vec![amount.into()]).await);
        let s = outcome(sim.script(&TRANSFER, keys(), vec![amount.into()]).await);
        assert_eq!(r, s, "amount {amount}");
    }
    // A command failing inside the script: same error text on both (no " script: …" suffix).
    for b in [&*redis as &dyn Backend, &sim] {
        b.command(command!("DEL", "{acct}:a")).await.unwrap();
        b.command(command!("LPUSH", "{acct}:a", "x")).await.unwrap();
    }
    let r = redis.script(&TRANSFER, keys(), vec![b"1".to_vec()]).await.unwrap_err();
    let s = sim.script(&TRANSFER, keys(), vec![b"1".to_vec()]).await.unwrap_err();
    assert_eq!((r.kind, &r.message), (ErrorKind::Reply, &s.message));
    assert_eq!(r.message, "WRONGTYPE Operation against a key holding the wrong kind of value");

    // Loaded now: one round trip (EVALSHA). After SCRIPT FLUSH: two (EVALSHA, then EVAL).
    let trips = |n: u64| move |b: &RedisBackend| b.round_trips() - n;
    redis.command(command!("SET", "{acct}:a", 5)).await.unwrap();
    let before = redis.round_trips();
    assert_eq!(redis.script(&TRANSFER, keys(), vec![b"1".to_vec()]).await.unwrap(), Value::Int(1));
    assert_eq!(trips(before)(&redis), 1);
    redis.command(command!("SCRIPT", "FLUSH")).await.unwrap();
    let before = redis.round_trips();
    assert_eq!(redis.script(&TRANSFER, keys(), vec![b"1".to_vec()]).await.unwrap(), Value::Int(1));
    assert_eq!(trips(before)(&redis), 2, "NOSCRIPT, then EVAL");
    let before = redis.round_trips();
    assert_eq!(redis.script(&TRANSFER, keys(), vec![b"1".to_vec()]).await.unwrap(), Value::Int(1));
    assert_eq!(trips(before)(&redis), 1, "EVAL loaded it again");
    // 3 + 7 moved before the WRONGTYPE interlude, then three transfers of 1.
    assert_eq!(redis.command(command!("GET", "{acct}:b")).await.unwrap(), Value::bulk("13"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_timeout_fails_with_timeout_and_the_connection_lives_on() {
    let Some(server) = RedisServer::start() else { return };
    let opts = RedisOptions::default().call_timeout(Duration::from_millis(200));
    let redis = RedisBackend::with_options(&server.url(0), opts).await.unwrap();
    let start = Instant::now();
    let e = redis.command(command!("DEBUG", "SLEEP", "1")).await.unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(took >= Duration::from_millis(190) && took < Duration::from_millis(600), "timed out after {took:?}");
    // The server is still asleep: later calls time out too, then succeed once it wakes.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match redis.command(command!("PING")).await {
            Ok(v) => break assert_eq!(v, Value::simple("PONG")),
            Err(e) if e.kind == ErrorKind::Timeout && Instant::now() < deadline => {}
            Err(e) => panic!("after the sleep: {e}"),
        }
    }
}

/// Calls PING until it succeeds (bounded); how many calls failed first.
async fn ping_until_ok(b: &RedisBackend, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    let mut failed = 0;
    loop {
        match b.command(command!("PING")).await {
            Ok(v) => {
                assert_eq!(v, Value::simple("PONG"));
                return failed;
            }
            Err(e) => {
                assert!(matches!(e.kind, ErrorKind::Connection | ErrorKind::Timeout), "{e}");
                assert!(Instant::now() < deadline, "no reconnection within {within:?}: {e}");
                failed += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_client_kill() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    redis.command(command!("SET", "k", "v")).await.unwrap();
    let mut admin = server.client();
    let killed = admin.call(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]).unwrap();
    assert_eq!(killed, Value::Int(1), "the backend's one connection");
    let failed = ping_until_ok(&redis, Duration::from_secs(3)).await;
    assert!(failed <= 1, "{failed} calls failed after the kill");
    assert_eq!(redis.command(command!("GET", "k")).await.unwrap(), Value::bulk("v"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_server_restarts_on_the_same_port() {
    let Some(mut server) = RedisServer::start() else { return };
    let opts = RedisOptions::default().backoff_min(Duration::from_millis(20)).backoff_max(Duration::from_millis(200));
    let redis = RedisBackend::with_options(&server.url(0), opts).await.unwrap();
    redis.command(command!("SET", "k", "v")).await.unwrap();
    server.kill();
    let start = Instant::now();
    let e = redis.command(command!("PING")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");
    assert!(start.elapsed() < Duration::from_secs(3), "failed in {:?}", start.elapsed());
    server.start_again(&[]);
    ping_until_ok(&redis, Duration::from_secs(5)).await;
    assert_eq!(redis.command(command!("GET", "k")).await.unwrap(), Value::Nil, "a fresh server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_user_password_and_db_come_from_the_url() {
    let Some(server) = RedisServer::start() else { return };
    let mut admin = server.client();
    let ok = admin.call(&["ACL", "SETUSER", "app", "on", ">s3cret", "~*", "&*", "+@all"]).unwrap();
    assert_eq!(ok, Value::ok());
    let url = format!("redis://app:s3cret@127.0.0.1:{}/3", server.port);
    let redis = RedisBackend::connect(&url).await.unwrap();
    assert_eq!(redis.command(command!("ACL", "WHOAMI")).await.unwrap(), Value::bulk("app"));
    redis.command(command!("SET", "where", "db3")).await.unwrap();
    assert_eq!(admin.call(&["SELECT", "3"]).unwrap(), Value::ok());
    assert_eq!(admin.call(&["GET", "where"]).unwrap(), Value::bulk("db3"));
    assert_eq!(admin.call(&["SELECT", "0"]).unwrap(), Value::ok());
    assert_eq!(admin.call(&["EXISTS", "where"]).unwrap(), Value::Int(0));

    let wrong = format!("redis://app:nope@127.0.0.1:{}/0", server.port);
    let opts = RedisOptions::default().retries(0);
    let e = RedisBackend::with_options(&wrong, opts).await.unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Connection | ErrorKind::Reply), "{e:?}");
    assert!(e.message.contains("WRONGPASS") || e.message.contains("auth"), "{e}");
    let e = RedisBackend::connect("http://127.0.0.1/").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_callers_share_one_connection() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let b = redis.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("counter:{i}");
            for _ in 0..20 {
                b.command(command!("INCR", &key)).await.unwrap();
            }
            b.command(command!("GET", &key)).await.unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), Value::bulk("20"));
    }
    let mut admin = server.client();
    let list = admin.call(&["CLIENT", "LIST", "TYPE", "normal"]).unwrap().to_text();
    let others: Vec<&str> = list.lines().filter(|l| !l.contains("cmd=client|list")).collect();
    assert_eq!(others.len(), 1, "one connection besides ours:\n{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_commands_wait_on_their_own_connections() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    let waiter = tokio::spawn({
        let b = redis.clone();
        async move { b.blocking(command!("BLPOP", "q", 3)).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = Instant::now();
    assert_eq!(redis.command(command!("PING")).await.unwrap(), Value::simple("PONG"));
    assert!(start.elapsed() < Duration::from_millis(200), "the shared connection is free");
    redis.command(command!("RPUSH", "q", "job")).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(2), waiter).await.unwrap().unwrap().unwrap();
    assert_eq!(got, Value::Array(vec![Value::bulk("q"), Value::bulk("job")]));

    let start = Instant::now();
    assert_eq!(redis.blocking(command!("BLPOP", "q", "0.1")).await.unwrap(), Value::NilArray);
    assert!(start.elapsed() >= Duration::from_millis(90));
    let e = redis.blocking(command!("BLPOP", "q", 0)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    // The blocking timeout extends the call timeout: a 300 ms pop outlives a 250 ms call
    // timeout. (Redis fires blocking timeouts on its event loop, up to ~100 ms late at hz 10:
    // the call timeout is the margin for that and for connecting.)
    let opts = RedisOptions::default().call_timeout(Duration::from_millis(250));
    let short = RedisBackend::with_options(&server.url(0), opts).await.unwrap();
    assert_eq!(short.blocking(command!("BLPOP", "q", "0.3")).await.unwrap(), Value::NilArray);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lazy_backend_on_a_closed_port_fails_each_call_quickly() {
    let port = support::free_loopback_port();
    let opts = RedisOptions::default().retries(0);
    let redis = RedisBackend::lazy(&format!("redis://127.0.0.1:{port}"), opts).unwrap();
    for _ in 0..3 {
        let start = Instant::now();
        let e = redis.command(command!("PING")).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection, "{e}");
        assert!(start.elapsed() < Duration::from_millis(500), "took {:?}", start.elapsed());
    }
    let e = redis.script(&TRANSFER, keys(), vec![b"1".to_vec()]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
}

#[test]
fn building_or_spawning_outside_a_runtime_is_an_error_not_a_panic() {
    let e = RedisBackend::lazy("redis://127.0.0.1:1", RedisOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let b = rt.block_on(async { RedisBackend::lazy("redis://127.0.0.1:1", RedisOptions::default()) }).unwrap();
    let e = b.spawn(Box::pin(async {})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_receive_messages_and_patterns() {
    let Some(server) = RedisServer::start() else { return };
    let redis = backend(&server).await;
    let mut sub = redis.subscribe().await.unwrap();
    sub.subscribe(vec![b"news".to_vec()]).await.unwrap();
    sub.psubscribe(vec![b"ev.*".to_vec()]).await.unwrap();
    assert_eq!(redis.command(command!("PUBLISH", "news", "hello")).await.unwrap(), Value::Int(1));
    assert_eq!(redis.command(command!("PUBLISH", "ev.login", "ann")).await.unwrap(), Value::Int(1));
    let m = next(&mut sub).await;
    assert_eq!((m.channel.as_slice(), m.payload.as_slice(), m.pattern), (&b"news"[..], &b"hello"[..], None));
    let m = next(&mut sub).await;
    assert_eq!((m.channel.as_slice(), m.pattern.as_deref()), (&b"ev.login"[..], Some(&b"ev.*"[..])));
    sub.unsubscribe(vec![b"news".to_vec()]).await.unwrap();
    assert_eq!(redis.command(command!("PUBLISH", "news", "gone")).await.unwrap(), Value::Int(0));
    // Empty lists mean "all", and the subscription stays usable afterwards.
    sub.subscribe(vec![b"a".to_vec(), b"b".to_vec()]).await.unwrap();
    sub.unsubscribe(vec![]).await.unwrap();
    sub.punsubscribe(vec![]).await.unwrap();
    for channel in ["a", "b", "ev.x"] {
        assert_eq!(redis.command(command!("PUBLISH", channel, "gone")).await.unwrap(), Value::Int(0), "{channel}");
    }
    sub.subscribe(vec![b"c".to_vec()]).await.unwrap();
    assert_eq!(redis.command(command!("PUBLISH", "c", "back")).await.unwrap(), Value::Int(1));
    assert_eq!(next(&mut sub).await.payload, b"back");
}

async fn next(s: &mut Box<dyn redkit::backend::Subscriber>) -> redkit::backend::Message {
    let f = s.next_message();
    tokio::time::timeout(Duration::from_secs(2), f).await.expect("a message").unwrap().unwrap()
}

/// Writes a CA and a server certificate for 127.0.0.1 with the openssl CLI.
fn make_certs(dir: &std::path::Path) -> Option<()> {
    let run = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()
            .filter(|s| s.success())
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=redkit test CA",
    ])?;
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ])?;
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").ok()?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ])?;
    Some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_urls_speak_tls() {
    let dir = std::env::temp_dir().join(format!("redkit-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if make_certs(&dir).is_none() {
        assert!(!support::under_ci(), "openssl CLI is needed to make test certificates");
        eprintln!("SKIPPED: the openssl CLI could not make test certificates");
        return;
    }
    let tls_port = support::free_loopback_port().to_string();
    let path = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let (cert, key, ca) = (path("server.crt"), path("server.key"), path("ca.crt"));
    let args = [
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "no",
    ];
    let Some(_server) = RedisServer::start_with(&args) else { return };
    let pem = std::fs::read(dir.join("ca.crt")).unwrap();
    let url = format!("rediss://127.0.0.1:{tls_port}/2");
    let redis = RedisBackend::with_options(&url, RedisOptions::default().tls_root_cert(pem)).await.unwrap();
    redis.command(command!("SET", "secret", "kept")).await.unwrap();
    assert_eq!(redis.command(command!("GET", "secret")).await.unwrap(), Value::bulk("kept"));
    // Without our CA the server's certificate is not trusted.
    let opts = RedisOptions::default().retries(0);
    let e = RedisBackend::with_options(&url, opts).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
