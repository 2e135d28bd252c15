//! `client.queue(name, options)` → `Queue`: the core's reliable job queue (priorities, delays,
//! retries with backoff, de-duplication, leases with heartbeats, dead letters, repeatable and
//! cron jobs, pause, counts, lookup). Job data and results cross as JSON ([`crate::json`]);
//! jobs come back as plain objects (`Job`, `JobInfo` …). `queue.worker(handler)` is in
//! `worker.rs`.

use crate::client::Client;
use crate::convert::{count, millis};
use crate::errors::{invalid, to_js, type_error};
use crate::json::JsJson;
use crate::record::record;
use napi::bindgen_prelude::{Either, FromNapiValue, Object, TypeName, ValidateNapiValue};
use napi::{sys, ValueType};
use napi_derive::napi;
use redkit::patterns::queue::{
    Backoff, JobOptions as CoreJob, NewJob, Queue as CoreQueue, QueueOptions as CoreOptions, Schedule,
};
use serde_json::Value as Json;
use std::time::Duration;

/// The job type `enqueue` uses unless told otherwise, and the one a worker's single handler
/// serves.
pub const DEFAULT_JOB_TYPE: &str = "default";

/// Options of `client.queue(name, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct QueueOptions {
    /// Default lease (visibility timeout) of a reserve (default 30,000).
    pub lease: Option<f64>,
    /// How long completed jobs and their results are kept.
    pub result_ttl: Option<f64>,
    /// Key prefix.
    pub prefix: Option<String>,
}

/// Options of one job (`enqueue`, `enqueueBulk`'s items, `addRepeatable`).
#[napi(object)]
#[derive(Default)]
pub struct JobOptions {
    /// The job type (default `"default"`): which worker handler runs it.
    pub job_type: Option<String>,
    /// A de-duplication id: enqueuing an existing id adds nothing.
    pub id: Option<String>,
    /// Higher runs first (0..=65535, default 0).
    pub priority: Option<u32>,
    /// Run no earlier than this many ms from now.
    pub delay: Option<f64>,
    /// Run no earlier than this time (ms since the epoch: `Date.now() + …`, `+date`).
    pub run_at: Option<f64>,
    /// Attempts before the job is dead-lettered (default 3).
    pub max_attempts: Option<u32>,
    /// Base retry delay in ms (default 1,000).
    pub backoff: Option<f64>,
    /// `"exponential"` (default) or `"fixed"`.
    pub backoff_kind: Option<String>,
    /// Random spread of retry delays, 0..=1 (default 0).
    pub jitter: Option<f64>,
}

/// One job of `enqueueBulk` (`BulkJob` in TypeScript): its `data` and a job's options, read
/// from one object.
pub struct BulkJob {
    data: Json,
    options: JobOptions,
}

/// `value` as an object holding a job's options and more (`what` names it in the
/// `TypeError` for anything else).
///
/// # Safety
/// `env` and `value` must be the live ones napi-rs hands an argument conversion.
unsafe fn with_job_options<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    what: &str,
) -> napi::Result<(Object<'a>, JobOptions)> {
    let mut ty = 0;
    // SAFETY: per this function's contract.
    let typed = unsafe { sys::napi_typeof(env, value, &mut ty) };
    if typed != sys::Status::napi_ok || ValueType::from(ty) != ValueType::Object {
        return Err(type_error(format!("{what} must be an object")));
    }
    // SAFETY: per this function's contract; the value is an object.
    unsafe { Ok((Object::from_napi_value(env, value)?, JobOptions::from_napi_value(env, value)?)) }
}

impl FromNapiValue for BulkJob {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi-rs hands the live argument.
        let (object, options) = unsafe { with_job_options(env, value, "each job of enqueueBulk")? };
        Ok(BulkJob { data: object.get::<JsJson>("data")?.map_or(Json::Null, |d| d.0), options })
    }
}

/// A reserved job as `ack`, `fail` and `heartbeat` name it: a `Job` (or anything with its `id`
/// and `token`).
#[napi(object)]
pub struct JobRef {
    pub id: String,
    pub token: String,
}

/// Options of `reserve` / `reserveMany` / `heartbeat`.
#[napi(object)]
#[derive(Default)]
pub struct LeaseOptions {
    /// The lease in ms (default: the queue's).
    pub lease: Option<f64>,
}

/// Options of `addRepeatable` (`RepeatOptions` in TypeScript): exactly one of `every` (ms) /
/// `cron` (five fields, UTC), plus a job's options but its `id`, `delay` and `runAt` (each run
/// is a job of its own, created when due), read from one object.
pub struct RepeatOptions {
    every: Option<f64>,
    cron: Option<String>,
    options: JobOptions,
}

impl FromNapiValue for RepeatOptions {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi-rs hands the live argument.
        let (object, options) = unsafe { with_job_options(env, value, "addRepeatable's options")? };
        Ok(RepeatOptions { every: object.get("every")?, cron: object.get("cron")?, options })
    }
}

impl TypeName for RepeatOptions {
    fn type_name() -> &'static str {
        "RepeatOptions"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for RepeatOptions {}

impl RepeatOptions {
    /// The schedule and the runs' options; a wrong combination rejects (`TypeError`).
    fn split(self) -> napi::Result<(Schedule, String, CoreJob)> {
        let schedule = match (self.every, self.cron) {
            (Some(ms), None) => Schedule::Every(millis("every", ms)?),
            (None, Some(c)) => Schedule::Cron(c),
            _ => return Err(type_error("addRepeatable needs exactly one of every and cron")),
        };
        let o = &self.options;
        if o.id.is_some() || o.delay.is_some() || o.run_at.is_some() {
            return Err(type_error("a repeatable job takes no id, delay or runAt: each run is a job of its own"));
        }
        let (job_type, options) = self.options.split()?;
        Ok((schedule, job_type, options))
    }
}

/// A job queue.
#[napi]
pub struct Queue {
    pub(crate) inner: CoreQueue,
}

#[napi]
impl Client {
    /// A job queue named `name`.
    #[napi(strict, catch_unwind)]
    pub fn queue(&self, name: String, options: Option<QueueOptions>) -> napi::Result<Queue> {
        let o = options.unwrap_or_default();
        let mut core = CoreOptions::default();
        if let Some(ms) = o.lease {
            core = core.lease(millis("lease", ms)?);
        }
        if let Some(ms) = o.result_ttl {
            core = core.result_ttl(millis("resultTtl", ms)?);
        }
        if let Some(p) = &o.prefix {
            core = core.prefix(p);
        }
        Ok(Queue { inner: CoreQueue::new(self.backend.clone(), &name, core).map_err(to_js)? })
    }
}

impl JobOptions {
    /// The job type and the core's options (its own checks run on enqueue).
    fn split(self) -> napi::Result<(String, CoreJob)> {
        let priority = self.priority.unwrap_or(0);
        let priority =
            u16::try_from(priority).map_err(|_| invalid(format!("priority must be 0..=65535, got {priority}")))?;
        let mut o = CoreJob::default()
            .priority(priority)
            .max_attempts(self.max_attempts.unwrap_or(3))
            .jitter(self.jitter.unwrap_or(0.0));
        if let Some(id) = self.id {
            o = o.id(id);
        }
        if let Some(ms) = self.delay {
            o = o.delay(millis("delay", ms)?);
        }
        if let Some(t) = self.run_at {
            o = o.run_at_ms(millis("runAt", t)?.as_millis() as u64);
        }
        let base = self.backoff.map_or(Ok(Duration::from_secs(1)), |ms| millis("backoff", ms))?;
        o = o.backoff(match self.backoff_kind.as_deref().unwrap_or("exponential") {
            "exponential" => Backoff::Exponential(base),
            "fixed" => Backoff::Fixed(base),
            other => {
                return Err(type_error(format!("backoffKind must be \"exponential\" or \"fixed\", got {other:?}")))
            }
        });
        Ok((self.job_type.unwrap_or_else(|| DEFAULT_JOB_TYPE.into()), o))
    }
}

impl BulkJob {
    fn into_new(self) -> napi::Result<NewJob> {
        let (job_type, o) = self.options.split()?;
        Ok(NewJob::new(job_type, self.data, o))
    }
}

/// The id and token of a job given as a `Job` or as an id plus `token`.
fn id_token(job: Either<String, JobRef>, token: Option<String>) -> napi::Result<(String, String)> {
    match job {
        Either::A(id) => {
            let token = token.ok_or_else(|| type_error("a job given by id needs its lease token"))?;
            Ok((id, token))
        }
        Either::B(j) => Ok((j.id, token.unwrap_or(j.token))),
    }
}

#[napi]
impl Queue {
    fn lease(&self, o: Option<LeaseOptions>) -> napi::Result<Duration> {
        o.and_then(|o| o.lease).map_or(Ok(self.inner.options().lease), |ms| millis("lease", ms))
    }

    /// Enqueues one job with `data` (JSON); resolves to `{ id, added }` (`added` false when
    /// the `id` already existed).
    #[napi(strict, ts_args_type = "data?: unknown, options?: JobOptions", ts_return_type = "Promise<Enqueued>")]
    pub async fn enqueue(&self, data: Option<JsJson>, options: Option<JobOptions>) -> napi::Result<Json> {
        let (job_type, o) = options.unwrap_or_default().split()?;
        let data = data.map_or(Json::Null, |d| d.0);
        record(&self.inner.enqueue(&job_type, data, o).await.map_err(to_js)?)
    }

    /// Enqueues many jobs in one round trip, all or none; resolves to one `Enqueued` each.
    #[napi(strict, ts_return_type = "Promise<Enqueued[]>")]
    pub async fn enqueue_bulk(&self, jobs: Vec<BulkJob>) -> napi::Result<Json> {
        let jobs = jobs.into_iter().map(BulkJob::into_new).collect::<napi::Result<Vec<_>>>()?;
        record(&self.inner.enqueue_bulk(jobs).await.map_err(to_js)?)
    }

    /// Reserves the next ready job under a lease; resolves to a `Job`, or null when nothing is
    /// ready or the queue is paused.
    #[napi(strict, ts_return_type = "Promise<Job | null>")]
    pub async fn reserve(&self, options: Option<LeaseOptions>) -> napi::Result<Json> {
        let lease = self.lease(options)?;
        let r = self.inner.reserve_many(1, lease).await.map_err(to_js)?;
        r.jobs.first().map_or(Ok(Json::Null), record)
    }

    /// Reserves up to `count` jobs in one round trip; resolves to a `Reservation`.
    #[napi(strict, ts_return_type = "Promise<Reservation>")]
    pub async fn reserve_many(&self, n: f64, options: Option<LeaseOptions>) -> napi::Result<Json> {
        let lease = self.lease(options)?;
        let n = count("count", n)? as usize;
        let r = self.inner.reserve_many(n, lease).await.map_err(to_js)?;
        let mut out = record(&r)?;
        out["jobs"] = record(&r.jobs)?;
        Ok(out)
    }

    /// Extends a reserved job's lease; resolves to the new deadline (ms since the epoch).
    /// `LockNotOwnedError` if the lease was lost.
    #[napi(strict, ts_args_type = "job: JobRef | string, options?: HeartbeatOptions")]
    pub async fn heartbeat(&self, job: Either<String, JobRef>, options: Option<HeartbeatOptions>) -> napi::Result<f64> {
        let o = options.unwrap_or_default();
        let (id, token) = id_token(job, o.token)?;
        let lease = o.lease.map_or(Ok(self.inner.options().lease), |ms| millis("lease", ms))?;
        Ok(self.inner.heartbeat_by_id(&id, &token, lease).await.map_err(to_js)?.lease_deadline_ms as f64)
    }

    /// Completes a reserved job with `result` (JSON, kept for the result TTL); resolves to when
    /// it completed (ms since the epoch).
    #[napi(strict, ts_args_type = "job: JobRef | string, result?: unknown, options?: AckOptions")]
    pub async fn ack(
        &self,
        job: Either<String, JobRef>,
        result: Option<JsJson>,
        options: Option<AckOptions>,
    ) -> napi::Result<f64> {
        let (id, token) = id_token(job, options.and_then(|o| o.token))?;
        let result = result.map_or(Json::Null, |r| r.0);
        Ok(self.inner.ack_by_id(&id, &token, result).await.map_err(to_js)?.completed_at_ms as f64)
    }

    /// Fails a reserved job with `error`: retried after its backoff while attempts remain
    /// (`retry: false`: dead-lettered at once). Resolves to a `Failed`.
    #[napi(
        strict,
        ts_args_type = "job: JobRef | string, error?: string, options?: FailOptions",
        ts_return_type = "Promise<Failed>"
    )]
    pub async fn fail(
        &self,
        job: Either<String, JobRef>,
        error: Option<String>,
        options: Option<FailOptions>,
    ) -> napi::Result<Json> {
        let o = options.unwrap_or_default();
        let (id, token) = id_token(job, o.token)?;
        let error = error.unwrap_or_else(|| "failed".into());
        record(&self.inner.fail_by_id(&id, &token, &error, o.retry.unwrap_or(true)).await.map_err(to_js)?)
    }

    /// Moves dead letters back to wait with their attempts reset: the given `ids`, or up to
    /// `limit` (default 1,000) of the oldest. Resolves to how many moved.
    #[napi(strict)]
    pub async fn requeue_dead(&self, ids: Option<Vec<String>>, limit: Option<f64>) -> napi::Result<f64> {
        let limit = limit.map_or(Ok(1000), |n| count("limit", n))? as usize;
        Ok(self.inner.requeue_dead(&ids.unwrap_or_default(), limit).await.map_err(to_js)? as f64)
    }

    /// Returns jobs whose lease expired and promotes due delayed jobs now (every reserve does
    /// this too); resolves to a `Recovered`.
    #[napi(strict, ts_return_type = "Promise<Recovered>")]
    pub async fn recover_stalled(&self) -> napi::Result<Json> {
        record(&self.inner.recover_stalled().await.map_err(to_js)?)
    }

    /// Stops handing out jobs; resolves to whether this changed anything.
    #[napi(strict)]
    pub async fn pause(&self) -> napi::Result<bool> {
        self.inner.pause().await.map_err(to_js)
    }

    /// Hands out jobs again; resolves to whether this changed anything.
    #[napi(strict)]
    pub async fn resume(&self) -> napi::Result<bool> {
        self.inner.resume().await.map_err(to_js)
    }

    /// Jobs per state.
    #[napi(strict, ts_return_type = "Promise<Counts>")]
    pub async fn counts(&self) -> napi::Result<Json> {
        record(&self.inner.counts().await.map_err(to_js)?)
    }

    /// Looks a job up; `NotFoundError` if there is none (or its result expired).
    #[napi(strict, ts_return_type = "Promise<JobInfo>")]
    pub async fn get_job(&self, id: String) -> napi::Result<Json> {
        record(&self.inner.get(&id).await.map_err(to_js)?)
    }

    /// Adds (or replaces) the repeatable job `name`, run `every` ms or on a `cron` expression
    /// (UTC); resolves to a `Repeatable`.
    #[napi(
        strict,
        ts_args_type = "name: string, data: unknown, options: RepeatOptions",
        ts_return_type = "Promise<Repeatable>"
    )]
    pub async fn add_repeatable(
        &self,
        name: String,
        data: Option<JsJson>,
        options: RepeatOptions,
    ) -> napi::Result<Json> {
        let (schedule, job_type, o) = options.split()?;
        let data = data.map_or(Json::Null, |d| d.0);
        record(&self.inner.add_repeatable(&name, &job_type, data, schedule, o).await.map_err(to_js)?)
    }

    /// Removes a repeatable job (runs already created stay); resolves to whether it existed.
    #[napi(strict)]
    pub async fn remove_repeatable(&self, name: String) -> napi::Result<bool> {
        self.inner.remove_repeatable(&name).await.map_err(to_js)
    }

    /// The queue's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The default lease of a reserve, in ms.
    #[napi(strict, getter, catch_unwind)]
    pub fn default_lease(&self) -> f64 {
        self.inner.options().lease.as_secs_f64() * 1000.0
    }

    /// How long completed jobs and their results are kept, in ms.
    #[napi(strict, getter, catch_unwind)]
    pub fn result_ttl(&self) -> f64 {
        self.inner.options().result_ttl.as_secs_f64() * 1000.0
    }
}

/// Options of `heartbeat`.
#[napi(object)]
#[derive(Default)]
pub struct HeartbeatOptions {
    /// The new lease in ms (default: the queue's).
    pub lease: Option<f64>,
    pub token: Option<String>,
}

/// Options of `ack`.
#[napi(object)]
#[derive(Default)]
pub struct AckOptions {
    /// The lease token when the job is given by id.
    pub token: Option<String>,
}

/// Options of `fail`.
#[napi(object)]
#[derive(Default)]
pub struct FailOptions {
    /// False: dead-letter at once instead of retrying (default true).
    pub retry: Option<bool>,
    /// The lease token when the job is given by id.
    pub token: Option<String>,
}
