//! Shared pieces of the benchmarks: a counting global allocator (exact heap bytes for the
//! bytes-per-key comparison), a timing loop bounded in count and time, and a redis-server started
//! on a free loopback port and stopped by PID for side-by-side figures.

use redkit::resp::{write_value, Parser, Protocol, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes.
pub struct CountingAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged, only counting sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Heap bytes currently allocated through [`CountingAlloc`].
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Runs `op` in batches until `min_time` has passed or `max_ops` ran; returns ops per second.
pub fn measure(min_time: Duration, max_ops: u64, mut op: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    let mut done = 0u64;
    while done < max_ops {
        for i in 0..1000 {
            op(done + i);
        }
        done += 1000;
        if start.elapsed() >= min_time {
            break;
        }
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// A redis-server child owned by the benchmark.
pub struct RedisServer {
    child: Child,
    /// Loopback port.
    pub port: u16,
}

impl RedisServer {
    /// Starts redis-server with no persistence on a free loopback port; None if not installed.
    pub fn start() -> Option<RedisServer> {
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(mut c) = server.client() {
                if c.call(&["PING"]).is_some() {
                    return Some(server);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// A connection to it.
    pub fn client(&self) -> Option<Client> {
        let s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
        Some(Client { s, p: Parser::new() })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal blocking RESP client.
pub struct Client {
    s: TcpStream,
    p: Parser,
}

impl Client {
    /// Sends one command and reads its reply.
    pub fn call(&mut self, argv: &[&str]) -> Option<Value> {
        let v = Value::Array(argv.iter().map(|a| Value::bulk(a.as_bytes())).collect());
        let mut out = Vec::new();
        write_value(&mut out, &v, Protocol::Resp2);
        self.s.write_all(&out).ok()?;
        let mut buf = [0u8; 65536];
        loop {
            if let Ok(Some(v)) = self.p.next_value() {
                return Some(v);
            }
            let n = self.s.read(&mut buf).ok()?;
            if n == 0 {
                return None;
            }
            self.p.feed(&buf[..n]);
        }
    }

    /// `INFO memory` field `used_memory`.
    pub fn used_memory(&mut self) -> Option<u64> {
        let info = self.call(&["INFO", "memory"])?;
        let text = String::from_utf8_lossy(info.as_bytes()?).into_owned();
        text.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok())
    }
}
