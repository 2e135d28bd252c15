//! Scenario adapter for the job queue (`tests/scenarios/queue.json`): `new queue` and `new
//! worker` map onto [`Queue`] and [`Worker`]; every method's arguments are the Rust API's names,
//! durations in `*_ms`. A job held by a reservation is named by `id` and `token`.

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::BoxFuture;
use redkit::patterns::queue::{Backoff, JobOptions, NewJob, Queue, QueueOptions, Schedule};
use redkit::patterns::worker::{Worker, WorkerHandle, WorkerOptions};
use serde_json::Value as Json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Builds `queue` and `worker` objects.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    match kind {
        "queue" => Some(queue_of(args, world).map(|q| Arc::new(QueueObject(q)) as Arc<dyn Object>)),
        "worker" => Some(worker_of(args, world)),
        _ => None,
    }
}

fn queue_of(args: &Args, world: &World) -> Result<Queue, CallError> {
    let mut o = QueueOptions::default();
    if let Some(p) = args.opt_str("prefix") {
        o = o.prefix(p);
    }
    if let Some(d) = args.opt_ms("lease_ms") {
        o = o.lease(d);
    }
    if let Some(d) = args.opt_ms("result_ttl_ms") {
        o = o.result_ttl(d);
    }
    Ok(Queue::new(world.backend.clone(), &args.str("name")?, o)?)
}

fn job_options(args: &Args) -> Result<JobOptions, CallError> {
    let mut o = JobOptions::default();
    if let Some(id) = args.opt_str("id") {
        o = o.id(id);
    }
    if let Some(p) = args.opt_u64("priority") {
        o = o.priority(u16::try_from(p).unwrap_or(u16::MAX));
    }
    if let Some(d) = args.opt_ms("delay_ms") {
        o = o.delay(d);
    }
    if let Some(at) = args.opt_u64("run_at_ms") {
        o = o.run_at_ms(at);
    }
    if let Some(n) = args.opt_u64("max_attempts") {
        o = o.max_attempts(u32::try_from(n).unwrap_or(u32::MAX));
    }
    if let Some(j) = args.opt_f64("jitter") {
        o = o.jitter(j);
    }
    let backoff = args.opt_ms("backoff_ms").unwrap_or(Duration::from_secs(1));
    match args.opt_str("backoff").as_deref() {
        None | Some("exponential") => o = o.backoff(Backoff::Exponential(backoff)),
        Some("fixed") => o = o.backoff(Backoff::Fixed(backoff)),
        Some(other) => return Err(CallError::Harness(format!("unknown backoff {other:?}"))),
    }
    Ok(o)
}

fn data(args: &Args) -> Json {
    args.get("data").cloned().unwrap_or(Json::Null)
}

struct QueueObject(Queue);

impl Object for QueueObject {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let q = &self.0;
            let lease = || args.opt_ms("lease_ms").unwrap_or(q.options().lease);
            let id_token = || Ok::<_, CallError>((args.str("id")?, args.str("token")?));
            match method.as_str() {
                "enqueue" => json(&q.enqueue(&args.str("job_type")?, data(&args), job_options(&args)?).await?),
                "enqueue_bulk" => {
                    let jobs = args.get("jobs").and_then(Json::as_array).ok_or(CallError::Harness("jobs".into()))?;
                    let mut list = Vec::new();
                    for j in jobs {
                        let a = Args(j.as_object().cloned().unwrap_or_default());
                        list.push(NewJob::new(a.str("job_type")?, data(&a), job_options(&a)?));
                    }
                    json(&q.enqueue_bulk(list).await?)
                }
                "reserve" => json(&q.reserve_many(1, lease()).await?.jobs.into_iter().next()),
                "reserve_many" => {
                    let count = usize::try_from(args.u64("count")?).unwrap_or(usize::MAX);
                    json(&q.reserve_many(count, lease()).await?)
                }
                "heartbeat" => {
                    let (id, token) = id_token()?;
                    json(&q.heartbeat_by_id(&id, &token, lease()).await?)
                }
                "ack" => {
                    let (id, token) = id_token()?;
                    json(&q.ack_by_id(&id, &token, args.get("result").cloned().unwrap_or(Json::Null)).await?)
                }
                "fail" => {
                    let (id, token) = id_token()?;
                    let retry = args.opt_bool("retry").unwrap_or(true);
                    json(&q.fail_by_id(&id, &token, &args.str("error")?, retry).await?)
                }
                "requeue_dead" => {
                    let ids = if args.get("ids").is_some() { args.strs("ids")? } else { Vec::new() };
                    let limit = usize::try_from(args.opt_u64("limit").unwrap_or(1000)).unwrap_or(usize::MAX);
                    json(&q.requeue_dead(&ids, limit).await?)
                }
                "recover_stalled" => json(&q.recover_stalled().await?),
                "pause" => json(&q.pause().await?),
                "resume" => json(&q.resume().await?),
                "counts" => json(&q.counts().await?),
                "get" => json(&q.get(&args.str("id")?).await?),
                "add_repeatable" => {
                    let schedule = match (args.opt_ms("every_ms"), args.opt_str("cron")) {
                        (Some(d), None) => Schedule::Every(d),
                        (None, Some(c)) => Schedule::Cron(c),
                        _ => return Err(CallError::Harness("give every_ms or cron".into())),
                    };
                    let (name, job_type) = (args.str("name")?, args.str("job_type")?);
                    json(&q.add_repeatable(&name, &job_type, data(&args), schedule, job_options(&args)?).await?)
                }
                "remove_repeatable" => json(&q.remove_repeatable(&args.str("name")?).await?),
                other => Err(unknown_method("queue", other)),
            }
        })
    }
}

/// What a scenario worker's handler does, by job type: `"ok"` returns the data, `"fail"`
/// fails with "boom", `"sleep"` waits `data.ms` of backend time and then returns the data.
fn worker_of(args: &Args, world: &World) -> Result<Arc<dyn Object>, CallError> {
    let queue = queue_of(args, world)?;
    let mut o = WorkerOptions::default();
    if let Some(n) = args.opt_u64("concurrency") {
        o = o.concurrency(usize::try_from(n).unwrap_or(usize::MAX));
    }
    if let Some(d) = args.opt_ms("heartbeat_ms") {
        o = o.heartbeat(d);
    }
    if let Some(d) = args.opt_ms("idle_wait_ms") {
        o = o.idle_wait(d);
    }
    let mut worker = Worker::new(&queue, o);
    let handlers = args.get("handlers").and_then(Json::as_object).cloned().unwrap_or_default();
    for (job_type, behaviour) in handlers {
        let backend = world.backend.clone();
        worker = match behaviour.as_str() {
            Some("ok") => worker.handle(&job_type, |job| async move { Ok(job.data) }),
            Some("fail") => worker.handle(&job_type, |_| async move { Err("boom".to_string()) }),
            Some("sleep") => worker.handle(&job_type, move |job| {
                let backend = backend.clone();
                async move {
                    let ms = job.data.get("ms").and_then(Json::as_u64).unwrap_or(0);
                    backend.sleep(Duration::from_millis(ms)).await;
                    Ok(job.data)
                }
            }),
            _ => return Err(CallError::Harness(format!("unknown handler behaviour {behaviour}"))),
        };
    }
    Ok(Arc::new(WorkerObject { worker: Mutex::new(Some(worker)), handle: Mutex::new(None) }))
}

struct WorkerObject {
    worker: Mutex<Option<Worker>>,
    handle: Mutex<Option<WorkerHandle>>,
}

impl Object for WorkerObject {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let handle = || self.handle.lock().unwrap().clone().ok_or(CallError::Harness("worker not started".into()));
            match method.as_str() {
                "start" => {
                    let w = self.worker.lock().unwrap().take().ok_or(CallError::Harness("started twice".into()))?;
                    let h = w.start()?;
                    *self.handle.lock().unwrap() = Some(h);
                    Ok(Json::Bool(true))
                }
                "stats" => json(&handle()?.stats()),
                "wait_idle" => json(&handle()?.wait_idle(args.ms("timeout_ms")?).await),
                "shutdown" => json(&handle()?.shutdown(args.ms("timeout_ms")?).await),
                "kill" => {
                    handle()?.kill();
                    Ok(Json::Bool(true))
                }
                other => Err(unknown_method("worker", other)),
            }
        })
    }
}
