//! redkit-server end to end (feature `server`): the server started in-process on a free loopback
//! port and driven by redis-cli, redis-benchmark and raw sockets — pipelining, inline commands,
//! RESP3, AUTH, blocking and pub/sub across connections, CLIENT KILL / PAUSE, SHUTDOWN, the manual
//! clock with REDKIT.ADVANCE, snapshot save and load, oversized input — and the binary once as a
//! child process stopped by SIGTERM.

mod support;

use redkit::resp::Value;
use redkit::server::{Server, ServerHandle, ServerOptions};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::RespClient;

fn options() -> ServerOptions {
    let mut o = ServerOptions::default();
    o.port = 0;
    o
}

fn start(o: ServerOptions) -> ServerHandle {
    Server::start(o).expect("server starts")
}

fn client(server: &ServerHandle) -> RespClient {
    RespClient::connect(server.addr().port()).expect("connect")
}

fn bulk(s: &str) -> Value {
    Value::bulk(s)
}

fn temp_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("redkit-server-test-{}-{name}", std::process::id()))
}

/// Runs a redis tool; None (skipped, said loudly) when it is not installed outside CI.
fn tool(name: &str, args: &[String], stdin: &[u8]) -> Option<(String, String)> {
    let child =
        Command::new(name).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let Ok(mut child) = child else {
        assert!(!support::under_ci(), "{name} is not installed");
        eprintln!("SKIPPED: {name} not found");
        return None;
    };
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("stdin");
    }
    let out = child.wait_with_output().expect("tool output");
    assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned()))
}

#[test]
fn redis_cli_pipes_commands() {
    let server = start(options());
    let port = server.addr().port().to_string();
    let script =
        b"SET greeting hello\nGET greeting\nRPUSH l a b c\nLRANGE l 0 -1\nINCR n\nHSET h f v\nHGETALL h\nDEL nope\n";
    let Some((out, _)) = tool("redis-cli", &["-p".into(), port.clone()], script) else { return };
    assert_eq!(out, "OK\nhello\n3\na\nb\nc\n1\n1\nf\nv\n0\n");
    let Some((out, _)) = tool("redis-cli", &["-p".into(), port, "--pipe".into()], b"SET a 1\r\nSET b 2\r\nGET a\r\n")
    else {
        return;
    };
    assert!(out.contains("errors: 0, replies: 3"), "{out}");
}

#[test]
fn redis_benchmark_completes_without_errors() {
    let server = start(options());
    let args: Vec<String> = ["-p", &server.addr().port().to_string(), "-t", "set,get,lpush,lpop,zadd,incr"]
        .iter()
        .chain(&["-n", "20000", "-c", "50", "-q"])
        .map(|s| s.to_string())
        .collect();
    let Some((out, err)) = tool("redis-benchmark", &args, b"") else { return };
    println!("{out}");
    for test in ["SET", "GET", "INCR", "LPUSH", "LPOP", "ZADD"] {
        assert!(
            out.lines().any(|l| l.contains(&format!("{test}: ")) && l.contains("requests per second")),
            "{test}: {out}"
        );
    }
    assert!(!out.contains("ERR") && !err.contains("ERR"), "{out}{err}");
    assert_eq!(client(&server).call(&["DBSIZE"]).ok(), Some(Value::Int(3)), "key:__rand_int__, mylist, myzset");
}

#[test]
fn pipelined_and_inline_commands_answer_in_order() {
    let server = start(options());
    let mut c = client(&server);
    let mut pipeline = Vec::new();
    for i in 0..500 {
        pipeline.extend_from_slice(
            format!("*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n${}\r\n{i}\r\n", i.to_string().len()).as_bytes(),
        );
    }
    pipeline.extend_from_slice(b"PING\r\nSET k \"a b\"\r\nGET k\r\n\r\nLLEN q\r\n");
    c.send_raw(&pipeline).expect("send");
    for i in 0..500 {
        assert_eq!(c.read_raw().expect("reply").0, Value::Int(i + 1));
    }
    assert_eq!(c.read_raw().expect("pong").1, b"+PONG\r\n");
    assert_eq!(c.read_raw().expect("set").0, Value::ok());
    assert_eq!(c.read_raw().expect("get").0, bulk("a b"));
    assert_eq!(c.read_raw().expect("llen").0, Value::Int(500));
}

#[test]
fn resp3_after_hello() {
    let server = start(options());
    let mut c = client(&server);
    let port = Value::bulk(server.addr().port().to_string());
    assert_eq!(c.call(&["CONFIG", "GET", "port"]).ok(), Some(Value::Array(vec![bulk("port"), port])));
    let (hello, _) = c.call_raw(&["HELLO", "3"]).expect("hello");
    assert!(matches!(hello, Value::Map(_)), "{hello:?}");
    c.call(&["HSET", "h", "f", "v"]).expect("hset");
    assert_eq!(c.call_raw(&["HGETALL", "h"]).expect("map").1, b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(c.call_raw(&["GET", "missing"]).expect("null").1, b"_\r\n");
    assert_eq!(c.call_raw(&["ZADD", "z", "1.5", "m"]).expect("zadd").0, Value::Int(1));
    assert_eq!(c.call_raw(&["ZSCORE", "z", "m"]).expect("double").1, b",1.5\r\n");
}

#[test]
fn auth_with_requirepass() {
    let mut o = options();
    o.requirepass = Some("s3cret".into());
    let server = start(o);
    let mut c = client(&server);
    assert_eq!(c.call(&["GET", "k"]).ok(), Some(Value::error("NOAUTH Authentication required.")));
    assert_eq!(
        c.call(&["AUTH", "wrong"]).ok(),
        Some(Value::error("WRONGPASS invalid username-password pair or user is disabled."))
    );
    assert_eq!(c.call(&["AUTH", "s3cret"]).ok(), Some(Value::ok()));
    assert_eq!(c.call(&["SET", "k", "v"]).ok(), Some(Value::ok()));
    let mut d = client(&server);
    assert!(matches!(d.call(&["HELLO", "3", "AUTH", "default", "s3cret"]), Ok(Value::Map(_))));
    assert_eq!(d.call(&["GET", "k"]).ok(), Some(bulk("v")));
    // AUTH pipelined with a large command: the large one is read under the limits AUTH leaves.
    let big = "x".repeat(100_000);
    let mut e = client(&server);
    let mut pipeline = b"AUTH s3cret\r\n".to_vec();
    pipeline.extend_from_slice(format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\n{big}\r\n").as_bytes());
    e.send_raw(&pipeline).expect("send");
    assert_eq!(e.read_raw().expect("auth").0, Value::ok());
    assert_eq!(e.read_raw().expect("set").0, Value::ok());
    // Before AUTH, redis-server's small limits.
    let mut f = client(&server);
    f.send_raw(format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\n{big}\r\n").as_bytes()).expect("send");
    assert_eq!(f.read_raw().expect("error").0, Value::error("ERR Protocol error: unauthenticated bulk length"));
    assert!(f.closed_within(Duration::from_secs(5)));
}

/// Waits (bounded) until CLIENT LIST, asked on `c`, shows a blocked client (flag `b`).
fn until_blocked(c: &mut RespClient) {
    let started = Instant::now();
    while !c.call(&["CLIENT", "LIST"]).map(|v| v.to_text().contains("flags=b")).unwrap_or(false) {
        assert!(started.elapsed() < Duration::from_secs(5), "never blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn blpop_is_woken_by_another_connection() {
    let server = start(options());
    let mut waiter = client(&server);
    let mut pusher = client(&server);
    waiter.send(&["BLPOP", "jobs", "5"]).expect("blpop");
    let started = Instant::now();
    until_blocked(&mut pusher);
    assert_eq!(pusher.call(&["RPUSH", "jobs", "j1"]).ok(), Some(Value::Int(1)));
    assert_eq!(waiter.read_raw().expect("served").0, Value::Array(vec![bulk("jobs"), bulk("j1")]));
    assert!(started.elapsed() < Duration::from_secs(4));
    // XREAD BLOCK is served the same way; WAIT has no replicas to wait for.
    waiter.send(&["XREAD", "BLOCK", "5000", "STREAMS", "events", "$"]).expect("xread");
    until_blocked(&mut pusher);
    pusher.call(&["XADD", "events", "7-1", "k", "v"]).expect("xadd");
    let entry = Value::Array(vec![bulk("7-1"), Value::Array(vec![bulk("k"), bulk("v")])]);
    let stream = Value::Array(vec![bulk("events"), Value::Array(vec![entry])]);
    assert_eq!(waiter.read_raw().expect("xread served").0, Value::Array(vec![stream]));
    assert_eq!(waiter.call(&["WAIT", "0", "100"]).ok(), Some(Value::Int(0)));
    // A timeout on the system clock answers the null array.
    assert_eq!(waiter.call(&["BLPOP", "jobs", "0.05"]).ok(), Some(Value::NilArray));
    assert_eq!(waiter.call(&["PING"]).ok(), Some(Value::simple("PONG")));
}

#[test]
fn pubsub_across_connections() {
    let server = start(options());
    let mut sub = client(&server);
    let mut publisher = client(&server);
    let confirm = sub.call(&["SUBSCRIBE", "news"]).expect("subscribe");
    assert_eq!(confirm, Value::Array(vec![bulk("subscribe"), bulk("news"), Value::Int(1)]));
    assert_eq!(publisher.call(&["PUBLISH", "news", "hello"]).ok(), Some(Value::Int(1)));
    let (msg, _) = sub.try_read_raw(Duration::from_secs(5)).expect("message pushed");
    assert_eq!(msg, Value::Array(vec![bulk("message"), bulk("news"), bulk("hello")]));
    sub.call(&["PSUBSCRIBE", "n*"]).expect("psubscribe");
    publisher.call(&["PUBLISH", "news", "again"]).expect("publish");
    let a = sub.try_read_raw(Duration::from_secs(5)).expect("first").0;
    let b = sub.try_read_raw(Duration::from_secs(5)).expect("second").0;
    assert_eq!(a, Value::Array(vec![bulk("message"), bulk("news"), bulk("again")]));
    assert_eq!(b, Value::Array(vec![bulk("pmessage"), bulk("n*"), bulk("news"), bulk("again")]));
}

#[test]
fn a_subscriber_that_does_not_read_is_dropped() {
    let mut o = options();
    o.max_pending_messages = 50;
    let server = start(o);
    let mut sub = client(&server);
    sub.call(&["SUBSCRIBE", "firehose"]).expect("subscribe");
    let mut publisher = client(&server);
    let message = "x".repeat(64 * 1024);
    let mut receivers = Vec::new();
    for _ in 0..2_000 {
        let Ok(Value::Int(n)) = publisher.call(&["PUBLISH", "firehose", &message]) else { panic!("publish") };
        receivers.push(n);
        if n == 0 {
            break;
        }
    }
    assert_eq!(receivers.last(), Some(&0), "the subscriber was disconnected");
    assert!(receivers.len() > 50, "after its socket buffers and 50 waiting messages filled up");
    let listed = publisher.call(&["CLIENT", "LIST"]).expect("list").to_text();
    assert_eq!(listed.lines().count(), 1, "{listed}");
}

/// What a MONITOR client receives while `commands` run on another connection, with each line's
/// timestamp and client address taken out (they differ between two servers).
fn monitor_lines(port: u16, commands: &[&[&str]]) -> Vec<String> {
    let mut monitor = RespClient::connect(port).expect("connect");
    let mut c = RespClient::connect(port).expect("connect");
    assert_eq!(monitor.call(&["MONITOR"]).ok(), Some(Value::ok()));
    for argv in commands {
        c.call(argv).expect("command");
    }
    c.call(&["ECHO", "end"]).expect("echo");
    let mut lines = Vec::new();
    for _ in 0..100 {
        let Some((Value::Simple(line), _)) = monitor.try_read_raw(Duration::from_secs(5)) else { break };
        let line = String::from_utf8_lossy(&line).into_owned();
        let (db, rest) = line.split_once(" [").and_then(|(_, r)| r.split_once(' ')).expect("monitor line");
        let args = rest.split_once("] ").map(|(_, a)| a.to_string()).unwrap_or_default();
        let done = args == "\"ECHO\" \"end\"";
        lines.push(format!("[{db}] {args}"));
        if done {
            break;
        }
    }
    lines
}

#[test]
fn monitor_shows_what_redis_shows() {
    let commands: &[&[&str]] = &[
        &["SET", "k", "a b\n\"q\"\u{7f}"],
        &["SELECT", "2"],
        &["INCR", "n"],
        &["MULTI"],
        &["LPUSH", "l", "x"],
        &["EXEC"],
        &["CONFIG", "GET", "maxmemory"],
        &["AUTH", "nobody", "secret"],
        &["HELLO", "2", "AUTH", "default", "pw"],
        &["GET", "missing"],
    ];
    let server = start(options());
    let mine = monitor_lines(server.addr().port(), commands);
    println!("{mine:#?}");
    assert!(mine.contains(&"[2] \"INCR\" \"n\"".to_string()), "{mine:?}");
    let Some(redis) = support::RedisServer::start() else { return };
    assert_eq!(mine, monitor_lines(redis.port, commands));
}

#[test]
fn client_kill_closes_the_socket() {
    let server = start(options());
    let mut victim = client(&server);
    let mut admin = client(&server);
    let Ok(Value::Int(id)) = victim.call(&["CLIENT", "ID"]) else { panic!("client id") };
    assert!(admin.call(&["CLIENT", "LIST"]).expect("list").to_text().contains("addr=127.0.0.1:"));
    assert_eq!(admin.call(&["CLIENT", "KILL", "ID", &id.to_string()]).ok(), Some(Value::Int(1)));
    assert!(victim.closed_within(Duration::from_secs(5)), "killed connection closed");
    assert_eq!(admin.call(&["QUIT"]).ok(), Some(Value::ok()));
    assert!(admin.closed_within(Duration::from_secs(5)), "QUIT closes");
}

#[test]
fn client_pause_holds_writes() {
    let server = start(options());
    let mut admin = client(&server);
    let mut writer = client(&server);
    let started = Instant::now();
    assert_eq!(admin.call(&["CLIENT", "PAUSE", "1000", "WRITE"]).ok(), Some(Value::ok()));
    assert_eq!(writer.call(&["GET", "k"]).ok(), Some(Value::Nil), "reads go on");
    assert!(started.elapsed() < Duration::from_millis(900));
    assert_eq!(writer.call(&["SET", "k", "v"]).ok(), Some(Value::ok()));
    assert!(started.elapsed() >= Duration::from_millis(950), "the write waited for the pause");
    assert_eq!(admin.call(&["CLIENT", "PAUSE", "10000", "WRITE"]).ok(), Some(Value::ok()));
    writer.send(&["SET", "k", "v2"]).expect("send");
    assert!(writer.try_read_raw(Duration::from_millis(100)).is_none(), "held back");
    assert_eq!(admin.call(&["CLIENT", "UNPAUSE"]).ok(), Some(Value::ok()));
    assert_eq!(writer.read_raw().expect("after unpause").0, Value::ok());
    assert_eq!(admin.call(&["CLIENT", "PAUSE", "200"]).ok(), Some(Value::ok()));
    let started = Instant::now();
    assert_eq!(writer.call(&["GET", "k"]).ok(), Some(bulk("v2")));
    assert!(started.elapsed() >= Duration::from_millis(150), "ALL holds reads too");
}

#[test]
fn manual_clock_and_redkit_advance() {
    let mut o = options();
    o.manual_clock = true;
    let server = start(o);
    let mut c = client(&server);
    assert_eq!(c.call(&["SET", "k", "v", "PX", "1000"]).ok(), Some(Value::ok()));
    assert_eq!(c.call(&["REDKIT.ADVANCE", "999"]).map(|v| matches!(v, Value::Int(_))).ok(), Some(true));
    assert_eq!(c.call(&["GET", "k"]).ok(), Some(bulk("v")));
    c.send_raw(b"REDKIT.ADVANCE 2\r\nGET k\r\n").expect("pipeline");
    c.read_raw().expect("advance");
    assert_eq!(c.read_raw().expect("get").0, Value::Nil, "expired by the advance before it");
    // A blocked command times out when the clock passes its deadline.
    let mut waiter = client(&server);
    waiter.send(&["BLPOP", "q", "10"]).expect("blpop");
    until_blocked(&mut c);
    assert!(waiter.try_read_raw(Duration::from_millis(100)).is_none(), "time stands still");
    c.call(&["REDKIT.ADVANCE", "10000"]).expect("advance");
    assert_eq!(waiter.read_raw().expect("timed out").0, Value::NilArray);
    assert_eq!(
        c.call(&["REDKIT.ADVANCE", "-1"]).ok(),
        Some(Value::error("ERR milliseconds must be between 0 and 4398046511104"))
    );
    let system = start(options());
    assert!(client(&system).call(&["REDKIT.ADVANCE", "1"]).expect("reply").is_error());
}

#[test]
fn save_load_round_trip_and_shutdown() {
    let path = temp_file("snapshot.rks");
    let _ = std::fs::remove_file(&path);
    let mut o = options();
    o.save = Some(path.clone());
    let server = start(o.clone());
    let mut c = client(&server);
    c.call(&["SET", "s", "1"]).expect("set");
    c.call(&["ZADD", "z", "1", "a", "2", "b"]).expect("zadd");
    c.call(&["XADD", "st", "1-1", "f", "v"]).expect("xadd");
    assert_eq!(c.call(&["SHUTDOWN", "NOSAVE", "SAVE"]).ok(), Some(Value::error("ERR syntax error")));
    c.send(&["SHUTDOWN"]).expect("shutdown");
    assert!(c.closed_within(Duration::from_secs(5)), "SHUTDOWN closes without a reply");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.is_stopped() {
        assert!(Instant::now() < deadline, "server stopped");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(path.exists(), "snapshot written");
    let mut o = options();
    o.load = Some(path.clone());
    let again = start(o);
    let mut c = client(&again);
    assert_eq!(c.call(&["GET", "s"]).ok(), Some(bulk("1")));
    assert_eq!(c.call(&["ZRANGE", "z", "0", "-1"]).ok(), Some(Value::Array(vec![bulk("a"), bulk("b")])));
    assert_eq!(c.call(&["XLEN", "st"]).ok(), Some(Value::Int(1)));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_simulator_served_twice_and_used_in_process() {
    let sim = redkit::sim::Simulator::new();
    for round in 0..2 {
        let server = Server::serve(sim.clone(), options()).expect("serve");
        let mut c = client(&server);
        assert_eq!(c.call(&["INCR", "rounds"]).ok(), Some(Value::Int(round + 1)));
        c.send(&["SHUTDOWN", "NOSAVE"]).expect("shutdown");
        assert!(c.closed_within(Duration::from_secs(5)));
        server.wait();
    }
    let mut conn = sim.connect();
    assert_eq!(conn.execute(&["GET", "rounds"]), bulk("2"));
    assert!(conn.execute(&["SHUTDOWN"]).is_error(), "no server to stop in-process");
}

#[test]
fn oversized_and_malformed_input_get_redis_errors() {
    let server = start(options());
    let mut c = client(&server);
    c.send_raw(b"*2\r\n$3\r\nSET\r\n$629145600\r\n").expect("send");
    assert_eq!(c.read_raw().expect("error").0, Value::error("ERR Protocol error: invalid bulk length"));
    assert!(c.closed_within(Duration::from_secs(5)));
    let mut c = client(&server);
    c.send_raw(b"PING\r\n*1\r\n:1\r\n").expect("send");
    assert_eq!(c.read_raw().expect("pong").0, Value::simple("PONG"), "commands before the error run");
    assert_eq!(c.read_raw().expect("error").0, Value::error("ERR Protocol error: expected '$', got ':'"));
    assert!(c.closed_within(Duration::from_secs(5)));
    assert_eq!(client(&server).call(&["PING"]).ok(), Some(Value::simple("PONG")), "the server lives on");
}

#[test]
fn connection_limit() {
    let mut o = options();
    o.max_clients = 2;
    let server = start(o);
    let mut a = client(&server);
    let _b = client(&server);
    assert_eq!(a.call(&["PING"]).ok(), Some(Value::simple("PONG")));
    let mut c = client(&server);
    assert_eq!(c.read_raw().expect("refused").0, Value::error("ERR max number of clients reached"));
}

#[test]
fn binary_stops_on_sigterm_and_saves() {
    let path = temp_file("sigterm.rks");
    let _ = std::fs::remove_file(&path);
    let port = support::free_loopback_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redkit-server"))
        .args(["--port", &port.to_string(), "--save"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redkit-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut c = loop {
        if let Ok(c) = RespClient::connect(port) {
            break c;
        }
        assert!(Instant::now() < deadline, "redkit-server never listened");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(c.call(&["SET", "k", "v"]).ok(), Some(Value::ok()));
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "redkit-server did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut log = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut log);
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(log.contains("Ready to accept connections tcp"), "{log}");
    assert!(log.contains("DB saved on disk"), "{log}");
    let sim = redkit::sim::Simulator::new();
    sim.load_from_file(&path).expect("load");
    assert_eq!(sim.connect().execute(&["GET", "k"]), bulk("v"));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn command_line_like_redis_server() {
    use redkit::server::{parse_args, Invocation};
    let args = |s: &str| parse_args(s.split_whitespace().map(String::from));
    let Ok(Invocation::Run(o)) = args("--port 6390 --bind 127.0.0.1 --requirepass x --databases 4 --maxmemory 100mb --maxmemory-policy allkeys-lru --manual-clock --notify-keyspace-events KEA")
    else {
        panic!("parsed")
    };
    assert_eq!((o.port, o.databases, o.maxmemory), (6390, 4, 100 * 1024 * 1024));
    assert!(o.manual_clock && o.requirepass.as_deref() == Some("x"));
    assert!(matches!(args("--help"), Ok(Invocation::Help)));
    assert!(args("--nonsense 1").is_err());
    let Ok(Invocation::Run(remote)) = args("--bind 0.0.0.0") else { panic!("parsed") };
    assert!(remote.check().is_err(), "non-loopback refused");
    let Ok(Invocation::Run(allowed)) = args("--bind 0.0.0.0 --protected-mode no") else { panic!("parsed") };
    assert!(allowed.check().is_ok());
}
