//! Test support shared by the integration tests: a real `redis-server` started on a free
//! loopback port and stopped by PID, and a minimal blocking RESP client built on redkit's own
//! parser. Under CI (`CI=true`) a missing redis-server fails the test instead of skipping it.

#![allow(dead_code)]

pub mod rng;
pub mod transfer;

use redkit::resp::{write_value, Parser, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server child process owned by the test.
pub struct RedisServer {
    child: Child,
    /// Its loopback port.
    pub port: u16,
    dir: PathBuf,
}

fn free_port() -> Option<u16> {
    let l = TcpListener::bind("127.0.0.1:0").ok()?;
    l.local_addr().ok().map(|a| a.port())
}

/// True when running under CI, where missing dependencies are failures.
pub fn under_ci() -> bool {
    std::env::var("CI").map(|v| !v.is_empty() && v != "0" && v != "false").unwrap_or(false)
}

impl RedisServer {
    /// Starts redis-server with no persistence. Returns None (after saying so loudly) when the
    /// binary is missing outside CI; panics under CI.
    pub fn start() -> Option<RedisServer> {
        Self::start_with(&[])
    }

    /// Starts redis-server with extra `--name value` arguments.
    pub fn start_with(extra: &[&str]) -> Option<RedisServer> {
        let found = Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_ok();
        if !found {
            if under_ci() {
                panic!("redis-server is not installed: `make test` installs it (apt redis-server)");
            }
            eprintln!("SKIPPED: redis-server not found; run `make setup` to install it");
            return None;
        }
        for attempt in 0..10 {
            let Some(port) = free_port() else { continue };
            let dir = std::env::temp_dir().join(format!("redkit-redis-{}-{}-{}", std::process::id(), port, attempt));
            let _ = std::fs::create_dir_all(&dir);
            let mut cmd = Command::new("redis-server");
            cmd.arg("--port")
                .arg(port.to_string())
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"])
                .arg("--dir")
                .arg(&dir)
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let Ok(child) = cmd.spawn() else { continue };
            let mut server = RedisServer { child, port, dir };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(mut c) = RespClient::connect(port) {
                    if c.call(&["PING"]).ok() == Some(Value::simple("PONG")) {
                        return Some(server);
                    }
                }
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // exited: port taken, try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("could not start redis-server on a free loopback port");
    }

    /// A new client connection.
    pub fn client(&self) -> RespClient {
        RespClient::connect(self.port).expect("connect to test redis-server")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A clean slate on both sides for one comparison run: the real server FLUSHALLed with its
/// statistics reset, a fresh simulator, and one connection to each speaking protocol `p`.
pub fn fresh_pair(
    server: &RedisServer,
    p: redkit::resp::Protocol,
) -> (RespClient, redkit::sim::Simulator, redkit::sim::Connection) {
    let mut redis = server.client();
    redis.call(&["FLUSHALL"]).expect("flushall");
    redis.call(&["CONFIG", "RESETSTAT"]).expect("resetstat");
    let sim = redkit::sim::Simulator::new();
    let mut conn = sim.connect();
    if p == redkit::resp::Protocol::Resp3 {
        redis.call(&["HELLO", "3"]).expect("hello");
        conn.execute(&["HELLO", "3"]);
    }
    (redis, sim, conn)
}

/// A minimal synchronous RESP client with bounded waits.
pub struct RespClient {
    stream: TcpStream,
    parser: Parser,
}

impl RespClient {
    /// Connects to 127.0.0.1:port.
    pub fn connect(port: u16) -> std::io::Result<RespClient> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        stream.set_nodelay(true)?;
        Ok(RespClient { stream, parser: Parser::new() })
    }

    /// Sends bytes as they are (pipelines, inline commands, malformed input).
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// True when the server closes the connection within `wait` (data or silence: false).
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let _ = self.stream.set_read_timeout(Some(wait));
        let mut buf = [0u8; 1024];
        let read = self.stream.read(&mut buf);
        let _ = self.stream.set_read_timeout(Some(Duration::from_secs(20)));
        match read {
            Ok(n) => n == 0,
            Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
        }
    }

    /// Sends a command encoded as a RESP array of bulk strings.
    pub fn send<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> std::io::Result<()> {
        let v = Value::Array(argv.iter().map(|a| Value::bulk(a.as_ref())).collect());
        let mut out = Vec::new();
        write_value(&mut out, &v, redkit::resp::Protocol::Resp2);
        self.stream.write_all(&out)
    }

    /// Reads one reply and the exact bytes it arrived as.
    pub fn read_raw(&mut self) -> std::io::Result<(Value, Vec<u8>)> {
        let mut buf = [0u8; 65536];
        loop {
            match self.parser.next_value_raw() {
                Ok(Some(x)) => return Ok(x),
                Ok(None) => {}
                Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())),
            }
            let n = self.stream.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "server closed"));
            }
            self.parser.feed(&buf[..n]);
        }
    }

    /// Reads one more frame if one arrives within `wait`.
    pub fn try_read_raw(&mut self, wait: Duration) -> Option<(Value, Vec<u8>)> {
        if let Ok(Some(x)) = self.parser.next_value_raw() {
            return Some(x);
        }
        let _ = self.stream.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        let r = self.read_raw().ok();
        let _ = self.stream.set_read_timeout(Some(Duration::from_secs(20)));
        r
    }

    /// Sends a command and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> std::io::Result<Value> {
        self.send(argv)?;
        Ok(self.read_raw()?.0)
    }

    /// Sends a command and reads its reply's raw bytes.
    pub fn call_raw<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> std::io::Result<(Value, Vec<u8>)> {
        self.send(argv)?;
        self.read_raw()
    }
}

/// A free loopback port (nothing listens on it when this returns).
pub fn free_loopback_port() -> u16 {
    free_port().expect("a free loopback port")
}

impl RedisServer {
    /// Stops the server (SIGKILL, as a crash would) and waits for it to exit; the port is
    /// then closed until [`RedisServer::start_again`].
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a fresh redis-server on the same port (empty dataset, `extra` arguments) after
    /// [`RedisServer::kill`], and waits (bounded) until it answers PING.
    pub fn start_again(&mut self, extra: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            self.child = spawn_on(self.port, &self.dir, extra);
            if self.wait_ready(Duration::from_secs(3)) {
                return;
            }
            self.kill();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("could not restart redis-server on port {}", self.port);
    }

    /// Starts redis-server on a port of the caller's choosing (e.g. a cluster node, whose bus
    /// port is port + 10000). None when redis-server is missing outside CI, or when it did not
    /// come up on that port.
    pub fn start_on(port: u16, extra: &[&str]) -> Option<RedisServer> {
        if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
            assert!(!under_ci(), "redis-server is not installed: `make test` installs it (apt redis-server)");
            eprintln!("SKIPPED: redis-server not found; run `make setup` to install it");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("redkit-redis-{}-{}-on", std::process::id(), port));
        let _ = std::fs::create_dir_all(&dir);
        let child = spawn_on(port, &dir, extra);
        let mut server = RedisServer { child, port, dir };
        server.wait_ready(Duration::from_secs(10)).then_some(server)
    }

    /// Waits until the server answers PING; false if it exited or `within` passed.
    fn wait_ready(&mut self, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(mut c) = RespClient::connect(self.port) {
                if c.call(&["PING"]).ok() == Some(Value::simple("PONG")) {
                    return true;
                }
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return false; // exited: the port is taken (or still in TIME_WAIT)
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The server's `redis://` URL for database `db`.
    pub fn url(&self, db: usize) -> String {
        format!("redis://127.0.0.1:{}/{db}", self.port)
    }
}

/// Spawns redis-server on `port` with no persistence, working in `dir`.
fn spawn_on(port: u16, dir: &std::path::Path, extra: &[&str]) -> Child {
    Command::new("redis-server")
        .arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server")
}

/// The multi-threaded tokio runtime (2 workers) the concurrency tests run on.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
}

/// Runs a backend's background tasks (workers, drainers, heartbeats) with `tokio::spawn`: call
/// what spawns from inside the runtime.
pub fn tokio_spawner() -> redkit::backend::SpawnFn {
    std::sync::Arc::new(|task| {
        tokio::spawn(task);
    })
}

/// A fresh simulator on the real clock whose background tasks run on tokio.
pub fn sim_on_tokio() -> redkit::backend::BackendRef {
    std::sync::Arc::new(redkit::backend::SimBackend::new(redkit::sim::Simulator::new()).with_spawner(tokio_spawner()))
}
