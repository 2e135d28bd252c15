//! Scenario adapter for [`redkit::patterns::pubsub`]: `new: "pubsub"` with an optional
//! `prefix`. The object keeps what scenarios open by name:
//!
//! - subscriptions: `subscribe` / `psubscribe` with `as` and `channels` / `patterns` (adding to
//!   the subscription of that name if it exists), `unsubscribe` / `punsubscribe` with
//!   `subscription` and optional `channels` / `patterns`, `next` and `next_json` with
//!   `subscription` and `timeout_ms` (a message, or `null` once closed);
//! - responders: `serve` with `service` and `handler` — `echo` (answers the body), `add`
//!   (answers `a + b` of a `{"a": int, "b": int}` body), `fail` (fails with
//!   `invalid_argument`), `slow` (echoes after `delay_ms` of backend time) — then `served`,
//!   `resubscribed` and `stop` with `service`;
//! - requests: `request` with `service`, `body`, `timeout_ms`, and optionally `requester`, the
//!   name of a kept [`Requester`] made by `requester` (`as`, `service`).

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::pubsub::{PubSub, PubSubOptions, Requester, Responder, Subscription};
use redkit::{Error, ErrorKind};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Mutex as AsyncMutex;

type Shared<T> = Arc<AsyncMutex<T>>;

struct Adapter {
    pubsub: PubSub,
    backend: BackendRef,
    subscriptions: Mutex<HashMap<String, Shared<Subscription>>>,
    requesters: Mutex<HashMap<String, Shared<Requester>>>,
    responders: Mutex<HashMap<String, Responder>>,
}

/// Builds a `pubsub`.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    if kind != "pubsub" {
        return None;
    }
    Some((|| {
        let mut options = PubSubOptions::default();
        if let Some(p) = args.opt_str("prefix") {
            options = options.prefix(&p);
        }
        Ok(Arc::new(Adapter {
            pubsub: PubSub::new(world.backend.clone(), options)?,
            backend: world.backend.clone(),
            subscriptions: Mutex::default(),
            requesters: Mutex::default(),
            responders: Mutex::default(),
        }) as Arc<dyn Object>)
    })())
}

fn named<T>(map: &Mutex<HashMap<String, Shared<T>>>, name: &str) -> Option<Shared<T>> {
    map.lock().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
}

fn missing(what: &str, name: &str) -> CallError {
    CallError::Harness(format!("no {what} named {name:?}"))
}

fn strs(args: &Args, name: &str) -> Result<Vec<String>, CallError> {
    if args.get(name).is_none() {
        return Ok(Vec::new());
    }
    args.strs(name)
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[derive(serde::Deserialize)]
struct Sum {
    a: i64,
    b: i64,
}

impl Adapter {
    async fn subscribe(&self, args: &Args, patterns: bool) -> CallResult {
        let name = args.str("as")?;
        let items = if patterns { args.strs("patterns")? } else { args.strs("channels")? };
        let existing = named(&self.subscriptions, &name);
        let sub = match existing {
            Some(s) => s,
            None => {
                let s = Arc::new(AsyncMutex::new(self.pubsub.subscription().await?));
                self.subscriptions.lock().unwrap_or_else(|p| p.into_inner()).insert(name.clone(), s.clone());
                s
            }
        };
        let mut sub = sub.lock().await;
        if patterns {
            sub.psubscribe(&refs(&items)).await?;
        } else {
            sub.subscribe(&refs(&items)).await?;
        }
        Ok(Json::Null)
    }

    fn subscription(&self, args: &Args) -> Result<Shared<Subscription>, CallError> {
        let name = args.str("subscription")?;
        named(&self.subscriptions, &name).ok_or_else(|| missing("subscription", &name))
    }

    async fn serve(&self, args: &Args) -> CallResult {
        let service = args.str("service")?;
        let handler = args.str("handler")?;
        let responder = match handler.as_str() {
            "echo" => self.pubsub.serve(&service, |body: Json| async move { Ok(body) }).await?,
            "add" => self.pubsub.serve(&service, |s: Sum| async move { Ok(s.a + s.b) }).await?,
            "fail" => {
                self.pubsub
                    .serve(&service, |_: Json| async move {
                        Err::<Json, _>(Error::new(ErrorKind::InvalidArgument, "refused by the handler"))
                    })
                    .await?
            }
            "slow" => {
                let delay = args.ms("delay_ms")?;
                let backend = self.backend.clone();
                self.pubsub
                    .serve(&service, move |body: Json| {
                        let sleep = backend.sleep(delay);
                        async move {
                            sleep.await;
                            Ok(body)
                        }
                    })
                    .await?
            }
            other => return Err(CallError::Harness(format!("unknown handler {other:?}"))),
        };
        self.responders.lock().unwrap_or_else(|p| p.into_inner()).insert(service, responder);
        Ok(Json::Null)
    }

    fn take_responder(&self, args: &Args) -> Result<Responder, CallError> {
        let service = args.str("service")?;
        self.responders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&service)
            .ok_or_else(|| missing("responder", &service))
    }

    async fn request(&self, args: &Args) -> CallResult {
        let body = args.get("body").cloned().unwrap_or(Json::Null);
        let timeout = args.ms("timeout_ms")?;
        let answer: Json = match args.opt_str("requester") {
            Some(name) => {
                let r = named(&self.requesters, &name).ok_or_else(|| missing("requester", &name))?;
                let mut r = r.lock().await;
                r.request(&body, timeout).await?
            }
            None => self.pubsub.request(&args.str("service")?, &body, timeout).await?,
        };
        Ok(answer)
    }
}

impl Object for Adapter {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            match method.as_str() {
                "publish" => json(&self.pubsub.publish(&args.str("channel")?, args.str("payload")?).await?),
                "spublish" => json(&self.pubsub.spublish(&args.str("channel")?, args.str("payload")?).await?),
                "publish_json" => {
                    let message = args.get("message").cloned().unwrap_or(Json::Null);
                    json(&self.pubsub.publish_json(&args.str("channel")?, &message).await?)
                }
                "subscribe" => self.subscribe(&args, false).await,
                "psubscribe" => self.subscribe(&args, true).await,
                "unsubscribe" => {
                    let channels = strs(&args, "channels")?;
                    self.subscription(&args)?.lock().await.unsubscribe(&refs(&channels)).await?;
                    Ok(Json::Null)
                }
                "punsubscribe" => {
                    let patterns = strs(&args, "patterns")?;
                    self.subscription(&args)?.lock().await.punsubscribe(&refs(&patterns)).await?;
                    Ok(Json::Null)
                }
                "next" => {
                    let sub = self.subscription(&args)?;
                    let m = sub.lock().await.next_timeout(args.ms("timeout_ms")?).await?;
                    json(&m)
                }
                "next_json" => {
                    let sub = self.subscription(&args)?;
                    let Some(m) = sub.lock().await.next_timeout(args.ms("timeout_ms")?).await? else {
                        return Ok(Json::Null);
                    };
                    let data: Json = m.json()?;
                    Ok(serde_json::json!({"channel": m.channel, "pattern": m.pattern, "data": data}))
                }
                "serve" => self.serve(&args).await,
                "served" => {
                    let service = args.str("service")?;
                    let map = self.responders.lock().unwrap_or_else(|p| p.into_inner());
                    let r = map.get(&service).ok_or_else(|| missing("responder", &service))?;
                    json(&r.served())
                }
                "resubscribed" => {
                    let service = args.str("service")?;
                    let map = self.responders.lock().unwrap_or_else(|p| p.into_inner());
                    let r = map.get(&service).ok_or_else(|| missing("responder", &service))?;
                    json(&r.resubscribed())
                }
                "stop" => {
                    self.take_responder(&args)?.stop().await?;
                    Ok(Json::Null)
                }
                "requester" => {
                    let r = self.pubsub.requester(&args.str("service")?).await?;
                    let channel = r.reply_channel().to_string();
                    let name = args.str("as")?;
                    self.requesters
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(name, Arc::new(AsyncMutex::new(r)));
                    Ok(Json::String(channel))
                }
                "request" => self.request(&args).await,
                _ => Err(unknown_method("pubsub", &method)),
            }
        })
    }
}
