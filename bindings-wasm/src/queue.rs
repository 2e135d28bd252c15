//! `client.queue(name, options)` → `Queue`: the core's reliable job queue (priorities, delays,
//! retries with backoff, de-duplication, leases with heartbeats, dead letters, repeatable and
//! cron jobs, pause, counts, lookup) with the Node package's names. Job data and results cross
//! as JSON; jobs come back as plain objects (`Job`, `JobInfo` …). `queue.worker(handlers)` is
//! in `worker.rs`; the TypeScript declarations are the Node package's (scripts/wasm-types.mjs).

use crate::client::Client;
use crate::convert::{json_of, options, record, text, whole};
use crate::errors::{to_js, type_error};
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::{Array, Promise, Reflect};
use redkit::patterns::queue::{JobOptions, NewJob, Queue as CoreQueue, QueueOptions, Schedule};
use serde::Deserialize;
use serde_json::Value as Json;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// The job type `enqueue` uses unless told otherwise, and the one a worker's single handler
/// serves.
pub const DEFAULT_JOB_TYPE: &str = "default";

/// What a job's options hold beyond the core's `JobOptions`: its type.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Typed {
    job_type: Option<String>,
}

/// What `addRepeatable`'s options hold beyond a job's: the schedule, and the fields a
/// repeatable job refuses (read only to refuse them).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Repeat {
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    every: Option<Duration>,
    cron: Option<String>,
    id: Option<Json>,
    delay: Option<Json>,
    run_at: Option<Json>,
}

/// Options of the calls on a reserved job (`LeaseOptions`, `HeartbeatOptions`, `AckOptions`,
/// `FailOptions` in TypeScript): each reads the fields it has.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Call {
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    lease: Option<Duration>,
    token: Option<String>,
    retry: Option<bool>,
}

/// A job queue.
#[wasm_bindgen]
pub struct Queue {
    pub(crate) inner: CoreQueue,
    pub(crate) ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// A job queue named `name`.
    pub fn queue(
        &self,
        name: &str,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "QueueOptions")] options_: JsValue,
    ) -> Result<Queue, JsValue> {
        let core: QueueOptions = options(&options_, "queue options")?;
        let inner = CoreQueue::new(self.backend(), name, core).map_err(to_js)?;
        Ok(Queue { inner, ticker: self.ticker().clone() })
    }
}

/// A job's type and options from one object (`what` names it in errors).
fn job_options(value: &JsValue, what: &str) -> Result<(String, JobOptions), JsValue> {
    let typed: Typed = options(value, what)?;
    Ok((typed.job_type.unwrap_or_else(|| DEFAULT_JOB_TYPE.into()), options(value, what)?))
}

/// One item of `enqueueBulk`: its `data` and a job's options.
fn bulk_job(item: &JsValue) -> Result<NewJob, JsValue> {
    const WHAT: &str = "each job of enqueueBulk";
    if !item.is_object() || item.is_function() || Array::is_array(item) {
        return Err(type_error(format!("{WHAT} must be an object")));
    }
    let data = json_of(&Reflect::get(item, &"data".into())?, "job data")?;
    let (job_type, o) = job_options(item, WHAT)?;
    Ok(NewJob::new(job_type, data, o))
}

/// `addRepeatable`'s options: the schedule, the job type and the runs' options.
fn repeat_options(value: &JsValue) -> Result<(Schedule, String, JobOptions), JsValue> {
    const WHAT: &str = "addRepeatable's options";
    if value.is_undefined() || value.is_null() {
        return Err(type_error(format!("{WHAT} must be an object")));
    }
    let r: Repeat = options(value, WHAT)?;
    if r.id.is_some() || r.delay.is_some() || r.run_at.is_some() {
        return Err(type_error("a repeatable job takes no id, delay or runAt: each run is a job of its own"));
    }
    let schedule = match (r.every, r.cron) {
        (Some(d), None) => Schedule::Every(d),
        (None, Some(c)) => Schedule::Cron(c),
        _ => return Err(type_error("addRepeatable needs exactly one of every and cron")),
    };
    let (job_type, o) = job_options(value, WHAT)?;
    Ok((schedule, job_type, o))
}

/// The id and token of a job given as a `Job` (anything with `id` and `token`) or as an id
/// plus the options' `token`.
fn id_token(job: &JsValue, token: Option<String>) -> Result<(String, String), JsValue> {
    if let Some(id) = job.as_string() {
        return Ok((id, token.ok_or_else(|| type_error("a job given by id needs its lease token"))?));
    }
    if !job.is_object() {
        return Err(type_error("a job must be a Job (with id and token) or an id"));
    }
    let id = text(&Reflect::get(job, &"id".into())?, "the job's id")?;
    let token = match token {
        Some(t) => t,
        None => text(&Reflect::get(job, &"token".into())?, "the job's token")?,
    };
    Ok((id, token))
}

impl Queue {
    /// `work(args)` as a Promise once `args` were read (synchronously, so the caller may
    /// reuse its objects); a wrong argument rejects.
    fn then<A, F>(&self, args: Result<A, JsValue>, work: impl FnOnce(CoreQueue, A) -> F) -> Promise
    where
        F: Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        match args {
            Ok(a) => promise(&self.ticker, work(self.inner.clone(), a)),
            Err(e) => Promise::reject(&e),
        }
    }

    /// A call's options with its lease defaulting to the queue's.
    fn call_options(&self, value: &JsValue, what: &str) -> Result<(Duration, Call), JsValue> {
        let call: Call = options(value, what)?;
        Ok((call.lease.unwrap_or(self.inner.options().lease), call))
    }
}

#[wasm_bindgen]
impl Queue {
    /// Enqueues one job with `data` (JSON); resolves to `{ id, added }` (`added` false when
    /// the `id` already existed).
    #[wasm_bindgen(unchecked_return_type = "Promise<Enqueued>")]
    pub fn enqueue(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] data: JsValue,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "JobOptions")] options_: JsValue,
    ) -> Promise {
        let args = json_of(&data, "job data").and_then(|d| Ok((d, job_options(&options_, "job options")?)));
        self.then(args, |q, (data, (job_type, o))| async move {
            record(&q.enqueue(&job_type, data, o).await.map_err(to_js)?)
        })
    }

    /// Enqueues many jobs in one round trip, all or none; resolves to one `Enqueued` each.
    #[wasm_bindgen(js_name = enqueueBulk, unchecked_return_type = "Promise<Enqueued[]>")]
    pub fn enqueue_bulk(&self, #[wasm_bindgen(unchecked_param_type = "BulkJob[]")] jobs: JsValue) -> Promise {
        let args = match jobs.dyn_ref::<Array>() {
            Some(items) => items.iter().map(|item| bulk_job(&item)).collect::<Result<Vec<_>, _>>(),
            None => Err(type_error("enqueueBulk takes an array of jobs")),
        };
        self.then(args, |q, jobs| async move { record(&q.enqueue_bulk(jobs).await.map_err(to_js)?) })
    }

    /// Reserves the next ready job under a lease; resolves to a `Job`, or null when nothing is
    /// ready or the queue is paused.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job | null>")]
    pub fn reserve(
        &self,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "LeaseOptions")] options_: JsValue,
    ) -> Promise {
        let args = self.call_options(&options_, "reserve options");
        self.then(args, |q, (lease, _)| async move {
            let r = q.reserve_many(1, lease).await.map_err(to_js)?;
            r.jobs.first().map_or(Ok(JsValue::NULL), record)
        })
    }

    /// Reserves up to `n` jobs in one round trip; resolves to a `Reservation`.
    #[wasm_bindgen(js_name = reserveMany, unchecked_return_type = "Promise<Reservation>")]
    pub fn reserve_many(
        &self,
        n: f64,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "LeaseOptions")] options_: JsValue,
    ) -> Promise {
        let args = whole("count", n).and_then(|n| Ok((n as usize, self.call_options(&options_, "reserve options")?)));
        self.then(args, |q, (n, (lease, _))| async move {
            let r = q.reserve_many(n, lease).await.map_err(to_js)?;
            let out = record(&r)?;
            Reflect::set(&out, &"jobs".into(), &record(&r.jobs)?)?;
            Ok(out)
        })
    }

    /// Extends a reserved job's lease; resolves to the new deadline (ms since the epoch).
    /// `LockNotOwnedError` if the lease was lost.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn heartbeat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "JobRef | string")] job: JsValue,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "HeartbeatOptions")] options_: JsValue,
    ) -> Promise {
        let args = self
            .call_options(&options_, "heartbeat options")
            .and_then(|(lease, call)| Ok((lease, id_token(&job, call.token)?)));
        self.then(args, |q, (lease, (id, token))| async move {
            Ok((q.heartbeat_by_id(&id, &token, lease).await.map_err(to_js)?.lease_deadline_ms as f64).into())
        })
    }

    /// Completes a reserved job with `result` (JSON, kept for the result TTL); resolves to when
    /// it completed (ms since the epoch).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn ack(
        &self,
        #[wasm_bindgen(unchecked_param_type = "JobRef | string")] job: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "unknown")] result: JsValue,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "AckOptions")] options_: JsValue,
    ) -> Promise {
        let args = options::<Call>(&options_, "ack options")
            .and_then(|call| id_token(&job, call.token))
            .and_then(|ids| Ok((ids, json_of(&result, "the job's result")?)));
        self.then(args, |q, ((id, token), result)| async move {
            Ok((q.ack_by_id(&id, &token, result).await.map_err(to_js)?.completed_at_ms as f64).into())
        })
    }

    /// Fails a reserved job with `error`: retried after its backoff while attempts remain
    /// (`retry: false`: dead-lettered at once). Resolves to a `Failed`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Failed>")]
    pub fn fail(
        &self,
        #[wasm_bindgen(unchecked_param_type = "JobRef | string")] job: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] error: JsValue,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "FailOptions")] options_: JsValue,
    ) -> Promise {
        let error = match error.is_undefined() || error.is_null() {
            true => Ok("failed".to_string()),
            false => text(&error, "the error"),
        };
        let args = options::<Call>(&options_, "fail options")
            .and_then(|call| Ok((id_token(&job, call.token)?, call.retry.unwrap_or(true), error?)));
        self.then(args, |q, ((id, token), retry, error)| async move {
            record(&q.fail_by_id(&id, &token, &error, retry).await.map_err(to_js)?)
        })
    }

    /// Moves dead letters back to wait with their attempts reset: the given `ids`, or up to
    /// `limit` (default 1,000) of the oldest. Resolves to how many moved.
    #[wasm_bindgen(js_name = requeueDead, unchecked_return_type = "Promise<number>")]
    pub fn requeue_dead(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string[] | null")] ids: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] limit: JsValue,
    ) -> Promise {
        let ids = if ids.is_undefined() || ids.is_null() {
            Ok(Vec::new())
        } else {
            ids.dyn_ref::<Array>()
                .ok_or_else(|| type_error("requeueDead's ids must be an array of strings"))
                .and_then(|a| a.iter().map(|id| text(&id, "each id")).collect())
        };
        let limit = match (limit.is_undefined() || limit.is_null(), limit.as_f64()) {
            (true, _) => Ok(1000),
            (false, Some(n)) => whole("limit", n),
            (false, None) => Err(type_error("requeueDead's limit must be a number")),
        };
        let args = ids.and_then(|ids| Ok((ids, limit? as usize)));
        self.then(args, |q, (ids, limit)| async move {
            Ok((q.requeue_dead(&ids, limit).await.map_err(to_js)? as f64).into())
        })
    }

    /// Returns jobs whose lease expired and promotes due delayed jobs now (every reserve does
    /// this too); resolves to a `Recovered`.
    #[wasm_bindgen(js_name = recoverStalled, unchecked_return_type = "Promise<Recovered>")]
    pub fn recover_stalled(&self) -> Promise {
        self.then(Ok(()), |q, ()| async move { record(&q.recover_stalled().await.map_err(to_js)?) })
    }

    /// Stops handing out jobs; resolves to whether this changed anything.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn pause(&self) -> Promise {
        self.then(Ok(()), |q, ()| async move { Ok(q.pause().await.map_err(to_js)?.into()) })
    }

    /// Hands out jobs again; resolves to whether this changed anything.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn resume(&self) -> Promise {
        self.then(Ok(()), |q, ()| async move { Ok(q.resume().await.map_err(to_js)?.into()) })
    }

    /// Jobs per state.
    #[wasm_bindgen(unchecked_return_type = "Promise<Counts>")]
    pub fn counts(&self) -> Promise {
        self.then(Ok(()), |q, ()| async move { record(&q.counts().await.map_err(to_js)?) })
    }

    /// Looks a job up; `NotFoundError` if there is none (or its result expired).
    #[wasm_bindgen(js_name = getJob, unchecked_return_type = "Promise<JobInfo>")]
    pub fn get_job(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> Promise {
        self.then(text(&id, "the job id"), |q, id| async move { record(&q.get(&id).await.map_err(to_js)?) })
    }

    /// Adds (or replaces) the repeatable job `name`, run `every` ms or on a `cron` expression
    /// (UTC); resolves to a `Repeatable`.
    #[wasm_bindgen(js_name = addRepeatable, unchecked_return_type = "Promise<Repeatable>")]
    pub fn add_repeatable(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
        #[wasm_bindgen(js_name = "options", unchecked_param_type = "RepeatOptions")] options_: JsValue,
    ) -> Promise {
        let args = text(&name, "the repeatable job's name")
            .and_then(|name| Ok((name, json_of(&data, "job data")?, repeat_options(&options_)?)));
        self.then(args, |q, (name, data, (schedule, job_type, o))| async move {
            record(&q.add_repeatable(&name, &job_type, data, schedule, o).await.map_err(to_js)?)
        })
    }

    /// Removes a repeatable job (runs already created stay); resolves to whether it existed.
    #[wasm_bindgen(js_name = removeRepeatable, unchecked_return_type = "Promise<boolean>")]
    pub fn remove_repeatable(&self, #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue) -> Promise {
        self.then(text(&name, "the repeatable job's name"), |q, name| async move {
            Ok(q.remove_repeatable(&name).await.map_err(to_js)?.into())
        })
    }

    /// The queue's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The default lease of a reserve, in ms.
    #[wasm_bindgen(getter, js_name = defaultLease)]
    pub fn default_lease(&self) -> f64 {
        self.inner.options().lease.as_secs_f64() * 1000.0
    }

    /// How long completed jobs and their results are kept, in ms.
    #[wasm_bindgen(getter, js_name = resultTtl)]
    pub fn result_ttl(&self) -> f64 {
        self.inner.options().result_ttl.as_secs_f64() * 1000.0
    }
}
