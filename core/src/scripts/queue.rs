//! The job queue's atomic operations ([`crate::patterns::queue`]): enqueue (one or many),
//! reserve with a lease (which also promotes due delayed jobs, recovers stalled ones and fires
//! due repeats, so no reaper process is needed), heartbeat, ack, fail with backoff or
//! dead-letter, requeue of dead letters, pause/resume, counts, lookup and repeatable jobs.
//!
//! Every script takes the same twelve keys ([`KEY_PARTS`], in that order) and shares helpers:
//! in Lua, `queue_common.lua`, `queue_repeat.lua` and `queue_lease.lua` are prepended to each
//! script; here the twins share one helper struct (`Q`). Job records live in one hash (`jobs`, fields
//! `<id>:<letter>`) rather than a key per job, so every key a script touches is in KEYS.
//! Scripts are deterministic: randomness (retry jitter) is drawn by the caller and passed in.

use super::{script_error, tonumber, Env, Script};
use crate::backend::Cmd;
use crate::error::Result;
use crate::resp::Value;

/// The queue's key parts, in the order every queue script takes them as KEYS.
pub const KEY_PARTS: [&str; 12] =
    ["jobs", "wait", "delayed", "active", "done", "dead", "ids", "seq", "wake", "paused", "repeat", "repeats"];

const JOBS: usize = 0;
const WAIT: usize = 1;
const DELAYED: usize = 2;
const ACTIVE: usize = 3;
const DONE: usize = 4;
const DEAD: usize = 5;
const IDS: usize = 6;
const SEQ: usize = 7;
const WAKE: usize = 8;
const PAUSED: usize = 9;
const REPEAT: usize = 10;
const REPEATS: usize = 11;

/// A job record's fields (`<id>:<letter>`): type, data, priority, max attempts, backoff kind,
/// backoff ms, jitter, attempts, state, lease token, error, result, created ms, finished ms.
const FIELDS: [&str; 14] = ["t", "d", "p", "m", "b", "w", "j", "a", "s", "l", "e", "r", "c", "f"];
/// A repeat's fields (`<name>:<letter>`): type, data, every ms, cron, next, fired, options.
const RFIELDS: [&str; 11] = ["t", "d", "e", "c", "n", "x", "p", "m", "b", "w", "j"];
/// 2^42: the FIFO sequence's room within one priority in the wait set's score.
const PRIORITY_SPAN: i64 = 4_398_046_511_104;
/// The highest priority (runs first).
pub const MAX_PRIORITY: i64 = 1000;
/// The longest delay, backoff, lease or result TTL: one year.
pub const MAX_DELAY_MS: i64 = 31_536_000_000;
/// The latest absolute time a job or repeat may be scheduled at.
pub const MAX_TIME_MS: i64 = 99_999_999_999_999;
const WAKE_MAX: i64 = 64;
const BATCH: i64 = 1000;
const CRON_RETRY_MS: i64 = 5000;

macro_rules! queue_lua {
    ($file:literal) => {
        concat!(
            include_str!("lua/queue_common.lua"),
            include_str!("lua/queue_repeat.lua"),
            include_str!("lua/queue_lease.lua"),
            include_str!("lua/queue_take.lua"),
            include_str!(concat!("lua/", $file))
        )
    };
}

/// Enqueues one or more jobs (de-duplicated by id).
pub static ENQUEUE: Script = Script::new("queue_enqueue", queue_lua!("queue_enqueue.lua"), enqueue);
/// Reserves jobs with a lease; promotes, recovers and fires repeats first.
pub static RESERVE: Script = Script::new("queue_reserve", queue_lua!("queue_reserve.lua"), reserve);
/// Promotes due jobs, recovers stalled ones and fires due repeats, explicitly.
pub static RECOVER: Script = Script::new("queue_recover", queue_lua!("queue_recover.lua"), recover_script);
/// Extends a held lease.
pub static HEARTBEAT: Script = Script::new("queue_heartbeat", queue_lua!("queue_heartbeat.lua"), heartbeat);
/// Completes a held job, keeping its result for a TTL.
pub static ACK: Script = Script::new("queue_ack", queue_lua!("queue_ack.lua"), ack);
/// Completes a held job and reserves the next ones, in one call.
pub static ACK_NEXT: Script = Script::new("queue_ack_next", queue_lua!("queue_ack_next.lua"), ack_next);
/// Fails a held job: retry after backoff, or dead-letter.
pub static FAIL: Script = Script::new("queue_fail", queue_lua!("queue_fail.lua"), fail);
/// Moves dead jobs back to wait.
pub static REQUEUE: Script = Script::new("queue_requeue", queue_lua!("queue_requeue.lua"), requeue);
/// Pauses or resumes the queue.
pub static PAUSE: Script = Script::new("queue_pause", queue_lua!("queue_pause.lua"), pause);
/// Counts per state.
pub static COUNTS: Script = Script::new("queue_counts", queue_lua!("queue_counts.lua"), counts);
/// Looks a job up by id.
pub static GET: Script = Script::new("queue_get", queue_lua!("queue_get.lua"), get);
/// Adds or replaces a repeatable job.
pub static REPEAT_ADD: Script = Script::new("queue_repeat_add", queue_lua!("queue_repeat_add.lua"), repeat_add);
/// Schedules a fired cron repeat's next run.
pub static REPEAT_NEXT: Script = Script::new("queue_repeat_next", queue_lua!("queue_repeat_next.lua"), repeat_next);
/// Removes a repeatable job.
pub static REPEAT_REMOVE: Script =
    Script::new("queue_repeat_remove", queue_lua!("queue_repeat_remove.lua"), repeat_remove);

fn cmd(name: &str) -> Cmd {
    Cmd::new(name)
}

fn fail_arg(msg: &str) -> crate::Error {
    script_error(format!("ERR {msg}"))
}

/// `int_arg` of queue_common.lua: an integer argument within `lo..=hi`.
fn int_arg(v: &[u8], name: &str, lo: i64, hi: i64) -> Result<i64> {
    match tonumber(v) {
        Some(n) if n.fract() == 0.0 && n >= lo as f64 && n <= hi as f64 => Ok(n as i64),
        _ => Err(fail_arg(&format!("{name} must be an integer in {lo}..{hi}"))),
    }
}

fn field(id: &[u8], letter: &str) -> Vec<u8> {
    let mut f = id.to_vec();
    f.push(b':');
    f.extend_from_slice(letter.as_bytes());
    f
}

fn num(v: &Value) -> Option<f64> {
    v.as_bytes().and_then(tonumber).or_else(|| v.as_int().map(|i| i as f64))
}

fn int(v: &Value) -> i64 {
    v.as_int().unwrap_or(0)
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

/// Checks one job's options, as `check_options` in queue_common.lua.
fn check_options(p: &[u8], m: &[u8], b: &[u8], w: &[u8], j: &[u8]) -> Result<()> {
    int_arg(p, "priority", 0, MAX_PRIORITY)?;
    int_arg(m, "max_attempts", 1, 1_000_000)?;
    if b != b"fixed" && b != b"exponential" {
        return Err(fail_arg("backoff must be fixed or exponential"));
    }
    int_arg(w, "backoff_ms", 0, MAX_DELAY_MS)?;
    match tonumber(j) {
        Some(jn) if (0.0..=1.0).contains(&jn) => Ok(()),
        _ => Err(fail_arg("jitter must be a number in 0..1")),
    }
}

/// The twins' shared state and helpers: the environment, the keys and the script's `now`.
struct Q<'x, 'a, 'b> {
    env: &'x mut Env<'a, 'b>,
    keys: &'x [Vec<u8>],
    now: i64,
}

impl<'x, 'a, 'b> Q<'x, 'a, 'b> {
    fn new(env: &'x mut Env<'a, 'b>, keys: &'x [Vec<u8>]) -> Result<Self> {
        if keys.len() < KEY_PARTS.len() {
            return Err(script_error("ERR the queue scripts take 12 keys"));
        }
        let now = env.time_ms() as i64;
        Ok(Q { env, keys, now })
    }

    fn key(&self, i: usize) -> &[u8] {
        &self.keys[i]
    }

    fn call(&mut self, c: Cmd) -> Result<Value> {
        self.env.call(c)
    }

    fn hget(&mut self, id: &[u8], letter: &str) -> Result<Value> {
        let c = cmd("HGET").arg(self.key(JOBS)).arg(field(id, letter));
        self.call(c)
    }

    fn hmget(&mut self, hash: usize, id: &[u8], letters: &[&str]) -> Result<Vec<Value>> {
        let mut c = cmd("HMGET").arg(self.key(hash));
        for l in letters {
            c.push(field(id, l));
        }
        self.call(c).map(array)
    }

    fn drop_job(&mut self, id: &[u8]) -> Result<()> {
        let mut c = cmd("HDEL").arg(self.key(JOBS));
        for l in FIELDS {
            c.push(field(id, l));
        }
        self.call(c).map(drop)
    }

    fn range_due(&mut self, set: usize, limit: i64) -> Result<Vec<Vec<u8>>> {
        let c = cmd("ZRANGEBYSCORE").arg(self.key(set)).arg("-inf").arg(self.now).arg("LIMIT").arg(0).arg(limit);
        Ok(self.call(c).map(array)?.iter().filter_map(|v| v.as_bytes().map(<[u8]>::to_vec)).collect())
    }

    fn purge_done(&mut self, limit: i64) -> Result<()> {
        let ids = self.range_due(DONE, limit)?;
        for id in &ids {
            self.drop_job(id)?;
        }
        if !ids.is_empty() {
            let c = cmd("ZREM").arg(self.key(DONE)).arg(ids);
            self.call(c)?;
        }
        Ok(())
    }

    fn live_state(&mut self, id: &[u8]) -> Result<Option<Vec<u8>>> {
        let state = self.hget(id, "s")?;
        if state.as_bytes() == Some(b"completed") {
            let c = cmd("ZSCORE").arg(self.key(DONE)).arg(id);
            let expiry = self.call(c)?;
            if num(&expiry).is_some_and(|e| e <= self.now as f64) {
                self.drop_job(id)?;
                let c = cmd("ZREM").arg(self.key(DONE)).arg(id);
                self.call(c)?;
                return Ok(None);
            }
        }
        Ok(state.as_bytes().map(<[u8]>::to_vec))
    }

    fn set_state(&mut self, id: &[u8], state: &str) -> Result<()> {
        let c = cmd("HSET").arg(self.key(JOBS)).arg(field(id, "s")).arg(state);
        self.call(c).map(drop)
    }

    /// `push_wait`: `priority` as the caller knows it, or read from the record.
    fn push_wait_with(&mut self, id: &[u8], priority: Option<f64>) -> Result<()> {
        let p = match priority {
            Some(p) => p as i64,
            None => num(&self.hget(id, "p")?).unwrap_or(0.0) as i64,
        };
        let seq = int(&self.call(cmd("INCR").arg(self.key(SEQ)))?);
        let c = cmd("ZADD").arg(self.key(WAIT)).arg((MAX_PRIORITY - p) * PRIORITY_SPAN + seq).arg(id);
        self.call(c)?;
        self.set_state(id, "waiting")
    }

    fn push_wait(&mut self, id: &[u8]) -> Result<()> {
        self.push_wait_with(id, None)
    }

    fn bury(&mut self, id: &[u8]) -> Result<()> {
        let c = cmd("ZADD").arg(self.key(DEAD)).arg(self.now).arg(id);
        self.call(c)?;
        let c = cmd("HSET").arg(self.key(JOBS)).arg(field(id, "s")).arg("dead").arg(field(id, "f")).arg(self.now);
        self.call(c)?;
        let c = cmd("HDEL").arg(self.key(JOBS)).arg(field(id, "l"));
        self.call(c).map(drop)
    }

    fn paused(&mut self) -> Result<bool> {
        let c = cmd("EXISTS").arg(self.key(PAUSED));
        Ok(int(&self.call(c)?) == 1)
    }

    fn wake(&mut self, n: i64) -> Result<()> {
        if n <= 0 || self.paused()? {
            return Ok(());
        }
        let c = cmd("LLEN").arg(self.key(WAKE));
        let n = n.min(WAKE_MAX - int(&self.call(c)?));
        if n <= 0 {
            return Ok(());
        }
        let c = cmd("LPUSH").arg(self.key(WAKE)).arg(vec!["1"; n as usize]);
        self.call(c).map(drop)
    }

    /// `head`: the lowest score in a sorted set (`None` when it is empty).
    fn head(&mut self, set: usize) -> Result<Option<f64>> {
        let c = cmd("ZRANGE").arg(self.key(set)).arg(0).arg(0).arg("WITHSCORES");
        Ok(self.call(c).map(array)?.get(1).and_then(num))
    }

    fn promote(&mut self) -> Result<i64> {
        let ids = self.range_due(DELAYED, BATCH)?;
        for id in &ids {
            let c = cmd("ZREM").arg(self.key(DELAYED)).arg(id);
            self.call(c)?;
            self.push_wait(id)?;
        }
        Ok(ids.len() as i64)
    }

    fn recover(&mut self) -> Result<(i64, i64)> {
        let ids = self.range_due(ACTIVE, BATCH)?;
        let (mut requeued, mut dead) = (0, 0);
        for id in &ids {
            let c = cmd("ZREM").arg(self.key(ACTIVE)).arg(id);
            self.call(c)?;
            let c = cmd("HSET").arg(self.key(JOBS)).arg(field(id, "e")).arg("lease expired");
            self.call(c)?;
            let c = cmd("HDEL").arg(self.key(JOBS)).arg(field(id, "l"));
            self.call(c)?;
            let v = self.hmget(JOBS, id, &["a", "m", "p"])?;
            let get = |i: usize| v.get(i).and_then(num);
            if get(0).unwrap_or(0.0) >= get(1).unwrap_or(1.0) {
                self.bury(id)?;
                dead += 1;
            } else {
                self.push_wait_with(id, Some(get(2).unwrap_or(0.0)))?;
                requeued += 1;
            }
        }
        Ok((requeued, dead))
    }

    /// `add_job`: stores a validated job due at `due`, its state in the same write; 1 if it
    /// waits now. `opts` are type, data, priority, max attempts, backoff kind, backoff ms, jitter.
    fn add_job(&mut self, id: &[u8], opts: [&[u8]; 7], due: i64) -> Result<i64> {
        let [t, d, p, m, b, w, j] = opts;
        let delayed = due > self.now;
        let mut c = cmd("HSET").arg(self.key(JOBS));
        for (letter, v) in [("t", t), ("d", d), ("p", p), ("m", m), ("b", b), ("w", w), ("j", j), ("a", b"0")] {
            c.push(field(id, letter));
            c.push(v);
        }
        c.push(field(id, "c"));
        c.push(self.now);
        c.push(field(id, "s"));
        c.push(if delayed { "delayed" } else { "waiting" });
        self.call(c)?;
        if delayed {
            let c = cmd("ZADD").arg(self.key(DELAYED)).arg(due).arg(id);
            return self.call(c).map(|_| 0);
        }
        let seq = int(&self.call(cmd("INCR").arg(self.key(SEQ)))?);
        let score = (MAX_PRIORITY - tonumber(p).unwrap_or(0.0) as i64) * PRIORITY_SPAN + seq;
        let c = cmd("ZADD").arg(self.key(WAIT)).arg(score).arg(id);
        self.call(c).map(|_| 1)
    }

    fn fire_repeats(&mut self) -> Result<(Vec<Value>, i64)> {
        let mut crons = Vec::new();
        let mut created = 0;
        for name in self.range_due(REPEAT, 100)? {
            let s = self.hmget(REPEATS, &name, &RFIELDS)?;
            let text = |i: usize| s.get(i).and_then(|v| v.as_bytes()).map(<[u8]>::to_vec);
            let Some(next) = text(4) else {
                let c = cmd("ZREM").arg(self.key(REPEAT)).arg(&name);
                self.call(c)?;
                continue;
            };
            if text(5).as_ref() != Some(&next) {
                let mut id = b"repeat:".to_vec();
                id.extend_from_slice(&name);
                id.push(b':');
                id.extend_from_slice(&next);
                if self.live_state(&id)?.is_none() {
                    let o: Vec<Vec<u8>> = [0, 1, 6, 7, 8, 9, 10].iter().map(|&i| text(i).unwrap_or_default()).collect();
                    let opts = [&o[0][..], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6]];
                    created += self.add_job(&id, opts, self.now)?;
                }
                let c = cmd("HSET").arg(self.key(REPEATS)).arg(field(&name, "x")).arg(&next);
                self.call(c)?;
            }
            let every = s.get(2).and_then(num).unwrap_or(0.0) as i64;
            if every > 0 {
                let fired = tonumber(&next).unwrap_or(0.0) as i64;
                let next_ms = fired + every * ((self.now - fired).div_euclid(every) + 1);
                let c = cmd("HSET").arg(self.key(REPEATS)).arg(field(&name, "n")).arg(next_ms);
                self.call(c)?;
                let c = cmd("ZADD").arg(self.key(REPEAT)).arg(next_ms).arg(&name);
                self.call(c)?;
            } else {
                let c = cmd("ZADD").arg(self.key(REPEAT)).arg(self.now + CRON_RETRY_MS).arg(&name);
                self.call(c)?;
                let cron = s.get(3).cloned().unwrap_or(Value::Nil);
                crons.push(Value::Array(vec![Value::bulk(&name), cron, Value::bulk(&next)]));
            }
        }
        Ok((crons, created))
    }

    /// `held` of queue_lease.lua: 0 if `id` is active under `token`, -1 no job, -2 not held.
    fn held(&mut self, id: &[u8], token: &[u8]) -> Result<i64> {
        let v = self.hmget(JOBS, id, &["s", "l"])?;
        let state = v.first().and_then(Value::as_bytes);
        if state.is_none() {
            return Ok(-1);
        }
        if state != Some(b"active") || v.get(1).and_then(Value::as_bytes) != Some(token) {
            return Ok(-2);
        }
        Ok(0)
    }

    /// `complete` of queue_lease.lua: acks `id` held with `token`, keeping `result` for `ttl`
    /// ms, and purges expired results. The completion time, -1 (no job) or -2 (not held).
    fn complete(&mut self, id: &[u8], token: &[u8], result: &[u8], ttl: i64) -> Result<i64> {
        let status = self.held(id, token)?;
        if status != 0 {
            return Ok(status);
        }
        let c = cmd("ZREM").arg(self.key(ACTIVE)).arg(id);
        self.call(c)?;
        if ttl > 0 {
            let c = cmd("HSET")
                .arg(self.key(JOBS))
                .arg(field(id, "s"))
                .arg("completed")
                .arg(field(id, "r"))
                .arg(result)
                .arg(field(id, "f"))
                .arg(self.now);
            self.call(c)?;
            let c = cmd("HDEL").arg(self.key(JOBS)).arg(field(id, "l"));
            self.call(c)?;
            let c = cmd("ZADD").arg(self.key(DONE)).arg(self.now + ttl).arg(id);
            self.call(c)?;
        } else {
            self.drop_job(id)?;
        }
        self.purge_done(100)?;
        Ok(self.now)
    }

    /// `take` of queue_take.lua: the due work, then up to `count` jobs reserved under a `lease`
    /// of that many ms. `{now, wait_hint_ms, jobs, crons}`.
    fn take(&mut self, count: i64, lease: i64) -> Result<Vec<Value>> {
        let now = self.now as f64;
        let mut delayed = self.head(DELAYED)?;
        if delayed.is_some_and(|at| at <= now) {
            self.promote()?;
            delayed = self.head(DELAYED)?;
        }
        let (mut requeued, mut active) = (0, self.head(ACTIVE)?);
        if active.is_some_and(|at| at <= now) {
            requeued = self.recover()?.0;
            active = self.head(ACTIVE)?;
        }
        let (mut crons, mut created, mut repeats) = (Vec::new(), 0, self.head(REPEAT)?);
        if repeats.is_some_and(|at| at <= now) {
            (crons, created) = self.fire_repeats()?;
            repeats = self.head(REPEAT)?;
        }
        self.wake(requeued + created)?;
        let mut jobs = Vec::new();
        if !self.paused()? {
            let c = cmd("ZPOPMIN").arg(self.key(WAIT)).arg(count);
            let popped = self.call(c).map(array)?;
            let deadline = self.now + lease;
            for id in popped.iter().step_by(2).filter_map(Value::as_bytes) {
                let token = int(&self.call(cmd("INCR").arg(self.key(SEQ)))?).to_string();
                let mut v = self.hmget(JOBS, id, &["t", "d", "m", "a"])?.into_iter();
                let mut next = || v.next().unwrap_or(Value::Nil);
                let (t, d, m, a) = (next(), next(), next(), next());
                let attempts = num(&a).unwrap_or(0.0) as i64 + 1;
                let c = cmd("HSET")
                    .arg(self.key(JOBS))
                    .arg(field(id, "a"))
                    .arg(attempts)
                    .arg(field(id, "s"))
                    .arg("active")
                    .arg(field(id, "l"))
                    .arg(&token);
                self.call(c)?;
                let c = cmd("ZADD").arg(self.key(ACTIVE)).arg(deadline).arg(id);
                self.call(c)?;
                let job =
                    vec![Value::bulk(id), t, d, Value::Int(attempts), m, Value::bulk(token), Value::Int(deadline)];
                jobs.push(Value::Array(job));
            }
            if !jobs.is_empty() && active.is_none_or(|at| (deadline as f64) < at) {
                active = Some(deadline as f64);
            }
        }
        let hint = [delayed, active, repeats].into_iter().flatten().map(|at| (at - now).max(0.0) as i64).min();
        let hint = Value::Int(hint.unwrap_or(-1));
        Ok(vec![Value::Int(self.now), hint, Value::Array(jobs), Value::Array(crons)])
    }
}

fn arg(args: &[Vec<u8>], i: usize) -> &[u8] {
    args.get(i).map_or(&[][..], Vec::as_slice)
}

fn enqueue(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let n = int_arg(arg(args, 0), "count", 0, 100_000)? as usize;
    if args.len() != 1 + n * 10 {
        return Err(fail_arg("expected 10 values per job"));
    }
    let job = |i: usize| &args[1 + i * 10..1 + (i + 1) * 10];
    for i in 0..n {
        let a = job(i);
        check_options(&a[3], &a[6], &a[7], &a[8], &a[9])?;
        int_arg(&a[4], "delay_ms", 0, MAX_DELAY_MS)?;
        int_arg(&a[5], "run_at_ms", 0, MAX_TIME_MS)?;
    }
    let mut out = Vec::with_capacity(2 * n);
    let (mut waiting, mut delayed) = (0, 0);
    for i in 0..n {
        let a = job(i);
        let id = if a[0].is_empty() {
            let c = cmd("INCR").arg(q.key(IDS));
            int(&q.call(c)?).to_string().into_bytes()
        } else {
            a[0].clone()
        };
        let mut added = 0;
        if q.live_state(&id)?.is_none() {
            let run_at = tonumber(&a[5]).unwrap_or(0.0) as i64;
            let due = if run_at > 0 { run_at } else { q.now + tonumber(&a[4]).unwrap_or(0.0) as i64 };
            let opts = [&a[1][..], &a[2], &a[3], &a[6], &a[7], &a[8], &a[9]];
            let now_waiting = q.add_job(&id, opts, due)?;
            waiting += now_waiting;
            delayed = delayed.max(1 - now_waiting);
            added = 1;
        }
        out.push(Value::Bulk(id));
        out.push(Value::Int(added));
    }
    q.wake(waiting + delayed)?;
    Ok(Value::Array(out))
}

fn reserve(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let count = int_arg(arg(args, 0), "count", 1, 1000)?;
    let lease = int_arg(arg(args, 1), "lease_ms", 1, MAX_DELAY_MS)?;
    q.take(count, lease).map(Value::Array)
}

fn recover_script(env: &mut Env, keys: &[Vec<u8>], _args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let promoted = q.promote()?;
    let (requeued, dead) = q.recover()?;
    let (_, created) = q.fire_repeats()?;
    q.wake(promoted + requeued + created)?;
    Ok(Value::Array(vec![Value::Int(requeued), Value::Int(dead), Value::Int(promoted)]))
}

fn heartbeat(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let lease = int_arg(arg(args, 2), "lease_ms", 1, MAX_DELAY_MS)?;
    let id = arg(args, 0);
    let status = q.held(id, arg(args, 1))?;
    if status != 0 {
        return Ok(Value::Int(status));
    }
    let c = cmd("ZADD").arg(q.key(ACTIVE)).arg(q.now + lease).arg(id);
    q.call(c)?;
    Ok(Value::Int(q.now + lease))
}

fn ack(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let ttl = int_arg(arg(args, 3), "result_ttl_ms", 0, MAX_DELAY_MS)?;
    q.complete(arg(args, 0), arg(args, 1), arg(args, 2), ttl).map(Value::Int)
}

fn ack_next(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let ttl = int_arg(arg(args, 3), "result_ttl_ms", 0, MAX_DELAY_MS)?;
    let count = int_arg(arg(args, 4), "count", 1, 1000)?;
    let lease = int_arg(arg(args, 5), "lease_ms", 1, MAX_DELAY_MS)?;
    let status = q.complete(arg(args, 0), arg(args, 1), arg(args, 2), ttl)?;
    let mut reply = vec![Value::Int(status)];
    reply.extend(q.take(count, lease)?);
    Ok(Value::Array(reply))
}

/// The retry delay of queue_fail.lua: fixed or exponential, capped, minus the jitter share.
pub fn backoff_delay_ms(exponential: bool, backoff_ms: f64, attempts: f64, jitter: f64, draw: f64) -> f64 {
    let mut delay = backoff_ms;
    if exponential {
        delay *= 2f64.powf((attempts - 1.0).min(40.0));
    }
    delay = delay.min(MAX_DELAY_MS as f64);
    delay - (delay * jitter * draw).floor()
}

fn fail(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let r = match tonumber(arg(args, 3)) {
        Some(r) if (0.0..1.0).contains(&r) => r,
        _ => return Err(fail_arg("random draw must be a number in [0, 1)")),
    };
    let retry = int_arg(arg(args, 4), "retry", 0, 1)?;
    let id = arg(args, 0);
    let status = q.held(id, arg(args, 1))?;
    if status != 0 {
        return Ok(Value::Int(status));
    }
    let c = cmd("ZREM").arg(q.key(ACTIVE)).arg(id);
    q.call(c)?;
    let c = cmd("HSET").arg(q.key(JOBS)).arg(field(id, "e")).arg(arg(args, 2));
    q.call(c)?;
    let c = cmd("HDEL").arg(q.key(JOBS)).arg(field(id, "l"));
    q.call(c)?;
    let v = q.hmget(JOBS, id, &["a", "m", "b", "w", "j"])?;
    let get = |i: usize| v.get(i).and_then(num);
    let attempts = get(0).unwrap_or(0.0);
    if retry == 0 || attempts >= get(1).unwrap_or(1.0) {
        q.bury(id)?;
        return Ok(Value::Array(vec![Value::bulk("dead"), Value::Int(q.now)]));
    }
    let exponential = v.get(2).and_then(Value::as_bytes) == Some(b"exponential");
    let delay = backoff_delay_ms(exponential, get(3).unwrap_or(0.0), attempts, get(4).unwrap_or(0.0), r) as i64;
    if delay > 0 {
        let c = cmd("ZADD").arg(q.key(DELAYED)).arg(q.now + delay).arg(id);
        q.call(c)?;
        q.set_state(id, "delayed")?;
        return Ok(Value::Array(vec![Value::bulk("delayed"), Value::Int(q.now + delay)]));
    }
    q.push_wait(id)?;
    q.wake(1)?;
    Ok(Value::Array(vec![Value::bulk("waiting"), Value::Int(q.now)]))
}

fn requeue(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let limit = int_arg(arg(args, 0), "limit", 1, 100_000)?;
    let ids: Vec<Vec<u8>> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        let c = cmd("ZRANGE").arg(q.key(DEAD)).arg(0).arg(limit - 1);
        q.call(c).map(array)?.iter().filter_map(|v| v.as_bytes().map(<[u8]>::to_vec)).collect()
    };
    let mut moved = 0;
    for id in &ids {
        let c = cmd("ZREM").arg(q.key(DEAD)).arg(id);
        if int(&q.call(c)?) == 1 {
            let c = cmd("HSET").arg(q.key(JOBS)).arg(field(id, "a")).arg(0);
            q.call(c)?;
            let c = cmd("HDEL").arg(q.key(JOBS)).arg(field(id, "f"));
            q.call(c)?;
            q.push_wait(id)?;
            moved += 1;
        }
    }
    q.wake(moved)?;
    Ok(Value::Int(moved))
}

fn pause(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let pause = int_arg(arg(args, 0), "paused", 0, 1)?;
    let was = i64::from(q.paused()?);
    if pause == 1 {
        let c = cmd("SET").arg(q.key(PAUSED)).arg("1");
        q.call(c)?;
    } else {
        let c = cmd("DEL").arg(q.key(PAUSED));
        q.call(c)?;
        let c = cmd("ZCARD").arg(q.key(WAIT));
        let waiting = int(&q.call(c)?);
        q.wake(waiting)?;
    }
    Ok(Value::Int(i64::from(was != pause)))
}

fn counts(env: &mut Env, keys: &[Vec<u8>], _args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    q.purge_done(BATCH)?;
    let mut out = Vec::new();
    for (name, set) in [("ZCARD", WAIT), ("ZCARD", DELAYED), ("ZCARD", ACTIVE), ("ZCARD", DONE), ("ZCARD", DEAD)] {
        let c = cmd(name).arg(q.key(set));
        out.push(q.call(c)?);
    }
    out.push(Value::Int(i64::from(q.paused()?)));
    let c = cmd("ZCARD").arg(q.key(REPEAT));
    out.push(q.call(c)?);
    Ok(Value::Array(out))
}

fn get(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let id = arg(args, 0);
    let Some(state) = q.live_state(id)? else {
        return Ok(Value::Nil);
    };
    let mut out = vec![Value::Bulk(state.clone())];
    out.extend(q.hmget(JOBS, id, &["t", "d", "p", "m", "a", "e", "r", "c", "f"])?);
    let set = match &state[..] {
        b"delayed" => Some(DELAYED),
        b"active" => Some(ACTIVE),
        b"completed" => Some(DONE),
        _ => None,
    };
    let at = match set {
        Some(set) => {
            let c = cmd("ZSCORE").arg(q.key(set)).arg(id);
            q.call(c)?
        }
        None => Value::Nil,
    };
    out.push(at);
    Ok(Value::Array(out))
}

fn repeat_add(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let a = |i: usize| arg(args, i);
    let name = a(0);
    int_arg(a(3), "every_ms", 0, MAX_DELAY_MS)?;
    int_arg(a(5), "next_ms", 0, MAX_TIME_MS)?;
    check_options(a(6), a(7), a(8), a(9), a(10))?;
    let c = cmd("ZSCORE").arg(q.key(REPEAT)).arg(name);
    let existed = !q.call(c)?.is_nil();
    let c = cmd("HDEL").arg(q.key(REPEATS)).arg(field(name, "x"));
    q.call(c)?;
    let mut c = cmd("HSET").arg(q.key(REPEATS));
    for (i, letter) in
        [(1, "t"), (2, "d"), (3, "e"), (4, "c"), (5, "n"), (6, "p"), (7, "m"), (8, "b"), (9, "w"), (10, "j")]
    {
        c.push(field(name, letter));
        c.push(a(i));
    }
    q.call(c)?;
    let c = cmd("ZADD").arg(q.key(REPEAT)).arg(a(5)).arg(name);
    q.call(c)?;
    Ok(Value::Int(i64::from(!existed)))
}

fn repeat_next(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let name = arg(args, 0);
    int_arg(arg(args, 2), "next_ms", 0, MAX_TIME_MS)?;
    let v = q.hmget(REPEATS, name, &["n", "x"])?;
    let fired = Some(arg(args, 1));
    if v.first().and_then(Value::as_bytes) != fired || v.get(1).and_then(Value::as_bytes) != fired {
        return Ok(Value::Int(0));
    }
    let c = cmd("HSET").arg(q.key(REPEATS)).arg(field(name, "n")).arg(arg(args, 2));
    q.call(c)?;
    let c = cmd("ZADD").arg(q.key(REPEAT)).arg(arg(args, 2)).arg(name);
    q.call(c)?;
    Ok(Value::Int(1))
}

fn repeat_remove(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let mut q = Q::new(env, keys)?;
    let name = arg(args, 0);
    let mut c = cmd("HDEL").arg(q.key(REPEATS));
    for l in RFIELDS {
        c.push(field(name, l));
    }
    q.call(c)?;
    let c = cmd("ZREM").arg(q.key(REPEAT)).arg(name);
    q.call(c)
}

#[cfg(test)]
mod tests {
    use super::backoff_delay_ms;

    #[test]
    fn backoff_is_fixed_or_doubling_capped_and_jittered_down() {
        assert_eq!(backoff_delay_ms(false, 1000.0, 5.0, 0.0, 0.9), 1000.0);
        assert_eq!(backoff_delay_ms(true, 100.0, 1.0, 0.0, 0.0), 100.0);
        assert_eq!(backoff_delay_ms(true, 100.0, 4.0, 0.0, 0.0), 800.0);
        assert_eq!(backoff_delay_ms(true, 1000.0, 60.0, 0.0, 0.0), super::MAX_DELAY_MS as f64, "capped at a year");
        assert_eq!(backoff_delay_ms(false, 1000.0, 1.0, 0.5, 0.5), 750.0);
        assert_eq!(backoff_delay_ms(false, 1000.0, 1.0, 1.0, 0.9999), 1.0, "full jitter keeps at least 1 ms");
        assert_eq!(backoff_delay_ms(false, 0.0, 1.0, 1.0, 0.5), 0.0);
    }
}
