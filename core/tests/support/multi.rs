//! Multi-connection differential driver: N connections to a real redis-server and N connections
//! to one simulator run the same script step by step; after every step, the bytes each connection
//! received (its reply and any out-of-band frames) must be identical on both sides.

#![allow(dead_code)]

use crate::support::{RedisServer, RespClient};
use redkit::resp::{write_value, Parser, Protocol, Value};
use redkit::sim::{Connection, Simulator};
use std::time::Duration;

/// How a step's bytes are compared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Check {
    /// Byte for byte.
    Exact,
    /// The acting connection's reply is an array whose elements may come in any order.
    Unordered,
    /// Not compared (e.g. HELLO, whose reply carries the client id).
    Ignore,
}

/// Paired connections: `real[i]` and `sim[i]` play the same role.
pub struct Pairs {
    /// The redis-server (kept alive while the pairs exist).
    pub server: RedisServer,
    /// Real connections.
    pub real: Vec<Option<RespClient>>,
    /// Simulator connections.
    pub sim: Vec<Option<Connection>>,
    /// The simulator.
    pub simulator: Simulator,
    /// Divergences found so far.
    pub failures: Vec<String>,
}

fn show(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

/// Splits raw RESP bytes into values (for unordered comparison).
fn values(bytes: &[u8]) -> Vec<Value> {
    let mut p = Parser::new();
    p.feed(bytes);
    let mut out = Vec::new();
    while let Ok(Some(v)) = p.next_value() {
        out.push(v);
    }
    out
}

fn sorted_elements(bytes: &[u8], proto: Protocol) -> Vec<Vec<u8>> {
    let mut items: Vec<Vec<u8>> = values(bytes)
        .iter()
        .flat_map(|v| v.as_array().map(|a| a.to_vec()).unwrap_or_else(|| vec![v.clone()]))
        .map(|v| {
            let mut out = Vec::new();
            write_value(&mut out, &v, proto);
            out
        })
        .collect();
    items.sort();
    items
}

impl Pairs {
    /// Starts a redis-server and opens `n` connections on each side. None when redis-server is
    /// missing outside CI.
    pub fn new(n: usize, simulator: Simulator) -> Option<Pairs> {
        let server = RedisServer::start()?;
        let mut real: Vec<Option<RespClient>> = (0..n).map(|_| Some(server.client())).collect();
        if let Some(Some(c)) = real.first_mut() {
            c.call(&["FLUSHALL"]).expect("flushall");
        }
        let sim = (0..n).map(|_| Some(simulator.connect())).collect();
        Some(Pairs { server, real, sim, simulator, failures: Vec::new() })
    }

    fn drain_real(c: &mut RespClient, first_wait: Option<Duration>) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(w) = first_wait {
            if let Some((_, raw)) = c.try_read_raw(w) {
                out.extend_from_slice(&raw);
            }
        }
        while let Some((_, raw)) = c.try_read_raw(Duration::from_millis(25)) {
            out.extend_from_slice(&raw);
        }
        out
    }

    fn drain_sim(c: &mut Connection) -> Vec<u8> {
        let proto = c.protocol();
        let mut out = Vec::new();
        for p in c.drain_pushes() {
            write_value(&mut out, &p, proto);
        }
        out
    }

    /// Connection `who` runs `args` on both sides; every connection's received bytes are compared.
    pub fn step(&mut self, who: usize, args: &[&str], check: Check) {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let Some(real) = self.real[who].as_mut() else { return };
        real.send(&argv).expect("send to redis");
        let real_bytes = Self::drain_real(real, Some(Duration::from_secs(5)));
        let Some(sim) = self.sim[who].as_mut() else { return };
        let proto = sim.protocol();
        let sim_bytes = sim.execute_wire(&argv);
        let same = match check {
            Check::Exact => real_bytes == sim_bytes,
            Check::Unordered => sorted_elements(&real_bytes, proto) == sorted_elements(&sim_bytes, proto),
            Check::Ignore => true,
        };
        if !same {
            self.failures.push(format!(
                "step {:?} by #{who}:\n    sim:   {}\n    redis: {}",
                args,
                show(&sim_bytes),
                show(&real_bytes)
            ));
        }
        self.compare_others(who, args);
    }

    /// Compares the frames every connection other than `who` received since the last step.
    fn compare_others(&mut self, who: usize, args: &[&str]) {
        for i in 0..self.real.len() {
            if i == who {
                continue;
            }
            let (Some(real), Some(sim)) = (self.real[i].as_mut(), self.sim[i].as_mut()) else { continue };
            let r = Self::drain_real(real, None);
            let s = Self::drain_sim(sim);
            if r != s {
                self.failures.push(format!(
                    "frames of #{i} after {:?} by #{who}:\n    sim:   {}\n    redis: {}",
                    args,
                    show(&s),
                    show(&r)
                ));
            }
        }
    }

    /// Replaces connection `who` on both sides with a fresh one.
    pub fn reconnect(&mut self, who: usize) {
        self.real[who] = Some(self.server.client());
        self.sim[who] = Some(self.simulator.connect());
    }

    /// Closes connection `who` on both sides.
    pub fn close(&mut self, who: usize) {
        self.real[who] = None;
        self.sim[who] = None;
        // Redis notices the closed socket on its next event loop turn.
        std::thread::sleep(Duration::from_millis(50));
    }

    /// Panics listing every divergence.
    pub fn assert_clean(&self) {
        if !self.failures.is_empty() {
            panic!("{} divergences from redis-server:\n{}", self.failures.len(), self.failures.join("\n"));
        }
    }
}
