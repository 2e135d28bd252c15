//! The simulator backend as patterns use it: blocking commands woken by other callers and by
//! the virtual clock, sleeps on both clocks, scripts run atomically, subscriptions, pipelines,
//! and the RESP2 shapes of replies.

#[path = "support/mod.rs"]
mod support;

use redkit::backend::{Backend, SimBackend};
use redkit::command;
use redkit::resp::Value;
use redkit::sim::{Clock, Simulator};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::transfer::TRANSFER;

fn manual() -> (Simulator, Arc<SimBackend>) {
    let sim = Simulator::with_clock(Clock::manual(1_000_000));
    (sim.clone(), Arc::new(SimBackend::new(sim)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_pop_wakes_when_another_caller_pushes() {
    let (_sim, b) = manual();
    let waiter = tokio::spawn({
        let b = b.clone();
        async move { b.blocking(command!("BLPOP", "q", 5)).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(b.command(command!("LPUSH", "q", "job")).await.unwrap(), Value::Int(1));
    let got = tokio::time::timeout(Duration::from_secs(2), waiter).await.expect("woken").unwrap().unwrap();
    assert_eq!(got, Value::Array(vec![Value::bulk("q"), Value::bulk("job")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_pop_times_out_when_the_manual_clock_passes_its_timeout() {
    let (sim, b) = manual();
    let waiter = tokio::spawn({
        let b = b.clone();
        async move { b.blocking(command!("BLPOP", "q", 2)).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    sim.advance_ms(1_000);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!waiter.is_finished(), "still within its 2 s of virtual time");
    sim.advance_ms(1_001);
    let got = tokio::time::timeout(Duration::from_secs(2), waiter).await.expect("timed out by the clock").unwrap();
    assert_eq!(got.unwrap(), Value::NilArray);
}

/// `blocking_now` sends the command at the call: its timeout counts from there even when the
/// future is first polled after the clock moved (as a JavaScript event loop polls it), and a
/// command with data replies without waiting; a wait of 0 is refused as by `blocking`.
#[test]
fn blocking_now_sends_at_the_call_and_leaves_only_the_wait_to_the_future() {
    let (sim, b) = manual();
    let waiting = b.blocking_now(command!("BLPOP", "q", 2));
    assert!(sim.advance_ms(2_000));
    assert_eq!(redkit::backend::block_on(waiting).unwrap(), Value::NilArray);
    redkit::backend::block_on(b.command(command!("RPUSH", "q", "job"))).unwrap();
    let served = b.blocking_now(command!("BLPOP", "q", 2));
    assert_eq!(redkit::backend::block_on(served).unwrap(), Value::Array(vec![Value::bulk("q"), Value::bulk("job")]));
    let refused = redkit::backend::block_on(b.blocking_now(command!("BLPOP", "q", 0))).unwrap_err();
    assert_eq!(refused.kind, redkit::ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn waiting_forever_is_refused() {
    let (_sim, b) = manual();
    let e = b.blocking(command!("BLPOP", "q", 0)).await.unwrap_err();
    assert_eq!(e.kind, redkit::ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeps_follow_the_manual_clock() {
    let (sim, b) = manual();
    let sleeper = tokio::spawn(b.sleep(Duration::from_millis(500)));
    tokio::time::sleep(Duration::from_millis(20)).await;
    sim.advance_ms(499);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!sleeper.is_finished());
    sim.advance_ms(1);
    tokio::time::timeout(Duration::from_secs(2), sleeper).await.expect("woken by the advance").unwrap();
}

#[test]
fn sleeps_on_the_system_clock_end_on_time() {
    let b = SimBackend::new(Simulator::new());
    let start = Instant::now();
    redkit::backend::block_on(b.sleep(Duration::from_millis(30)));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(29) && took < Duration::from_millis(150), "slept {took:?}");
}

#[test]
fn a_blocking_timeout_on_the_system_clock_fires_at_its_millisecond() {
    let b = SimBackend::new(Simulator::new());
    let start = Instant::now();
    let v = redkit::backend::block_on(b.blocking(command!("BLPOP", "nothing", "0.05"))).unwrap();
    let took = start.elapsed();
    assert_eq!(v, Value::NilArray);
    assert!(took >= Duration::from_millis(45) && took < Duration::from_millis(120), "waited {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_are_atomic_under_concurrency() {
    let (_sim, b) = manual();
    b.command(command!("SET", "{acct}:a", 1000)).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let mut moved = 0;
            for _ in 0..200 {
                let r = b.script(&TRANSFER, vec![b"{acct}:a".to_vec(), b"{acct}:b".to_vec()], vec![b"1".to_vec()]);
                if r.await.unwrap() == Value::Int(1) {
                    moved += 1;
                }
            }
            moved
        }));
    }
    let mut moved = 0;
    for t in tasks {
        moved += t.await.unwrap();
    }
    assert_eq!(moved, 1000, "exactly the balance moved, never more");
    assert_eq!(b.command(command!("GET", "{acct}:a")).await.unwrap(), Value::bulk("0"));
    assert_eq!(b.command(command!("GET", "{acct}:b")).await.unwrap(), Value::bulk("1000"));
    assert_eq!(TRANSFER.sha1().len(), 40);
}

#[tokio::test]
async fn a_script_error_aborts_with_the_commands_error() {
    let (_sim, b) = manual();
    b.command(command!("LPUSH", "{acct}:a", "x")).await.unwrap();
    let e = b.script(&TRANSFER, vec![b"{acct}:a".to_vec(), b"{acct}:b".to_vec()], vec![b"1".to_vec()]).await;
    let e = e.unwrap_err();
    assert_eq!(e.kind, redkit::ErrorKind::Reply);
    assert!(e.message.starts_with("WRONGTYPE"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_receive_messages_and_patterns() {
    let (_sim, b) = manual();
    let mut sub = b.subscribe().await.unwrap();
    sub.subscribe(vec![b"news".to_vec()]).await.unwrap();
    sub.psubscribe(vec![b"ev.*".to_vec()]).await.unwrap();
    assert_eq!(b.command(command!("PUBLISH", "news", "hello")).await.unwrap(), Value::Int(1));
    assert_eq!(b.command(command!("PUBLISH", "ev.login", "ann")).await.unwrap(), Value::Int(1));
    let m = sub.next_message().await.unwrap().unwrap();
    assert_eq!((m.channel.as_slice(), m.payload.as_slice(), m.pattern), (&b"news"[..], &b"hello"[..], None));
    let m = sub.next_message().await.unwrap().unwrap();
    assert_eq!(m.pattern.as_deref(), Some(&b"ev.*"[..]));
    let waiting = tokio::spawn(async move { sub.next_message().await });
    tokio::time::sleep(Duration::from_millis(10)).await;
    b.command(command!("PUBLISH", "news", "later")).await.unwrap();
    let m = tokio::time::timeout(Duration::from_secs(2), waiting).await.unwrap().unwrap().unwrap().unwrap();
    assert_eq!(m.payload, b"later");
}

#[tokio::test]
async fn pipelines_keep_error_replies_in_place_and_transactions_unwrap_exec() {
    let (_sim, b) = manual();
    let replies = b
        .pipeline(vec![command!("SET", "k", "v"), command!("LPUSH", "k", "x"), command!("GET", "k")], false)
        .await
        .unwrap();
    assert_eq!(replies[0], Value::ok());
    assert!(replies[1].is_error());
    assert_eq!(replies[2], Value::bulk("v"));
    let replies = b.pipeline(vec![command!("INCR", "n"), command!("INCR", "n")], true).await.unwrap();
    assert_eq!(replies, vec![Value::Int(1), Value::Int(2)]);
}

/// `pipeline_now` (one lock for the whole batch) answers exactly what `pipeline` answers: error
/// replies in place, a transaction unwrapped or aborted, pub/sub replies, a QUIT half-way.
#[tokio::test]
async fn pipeline_now_answers_what_pipeline_answers() {
    let batches = vec![
        (vec![command!("SET", "k", "v"), command!("LPUSH", "k", "x"), command!("GET", "k")], false),
        (vec![command!("INCR", "n"), command!("INCR", "n"), command!("HSET", "h", "f", 1.5)], true),
        (vec![command!("INCR", "n"), command!("NOSUCH"), command!("INCR", "n")], true),
        (vec![command!("SET", "k", "v"), command!("LPUSH", "k", "x")], true),
        (vec![command!("SUBSCRIBE", "a", "b"), command!("PING"), command!("UNSUBSCRIBE")], false),
        (
            vec![
                command!("ZADD", "z", 1, "m"),
                command!("ZSCORE", "z", "m"),
                command!("RPUSH", "q", 1),
                command!("BLPOP", "q", 1),
            ],
            false,
        ),
        (vec![command!("SET", "k", "v"), command!("QUIT"), command!("GET", "k")], false),
    ];
    let (_sa, a) = manual();
    let (_sb, b) = manual();
    for (cmds, atomic) in batches {
        let slow = a.pipeline(cmds.clone(), atomic).await.map_err(|e| e.to_string());
        let now = b.pipeline_now(&cmds, atomic).map_err(|e| e.to_string());
        assert_eq!(now, slow, "{cmds:?} atomic={atomic}");
    }
}

#[tokio::test]
async fn replies_have_resp2_shapes() {
    let (_sim, b) = manual();
    b.command(command!("ZADD", "z", 1.5, "m")).await.unwrap();
    assert_eq!(b.command(command!("ZSCORE", "z", "m")).await.unwrap(), Value::bulk("1.5"));
    b.command(command!("HSET", "h", "f", "v")).await.unwrap();
    assert_eq!(
        b.command(command!("HGETALL", "h")).await.unwrap(),
        Value::Array(vec![Value::bulk("f"), Value::bulk("v")])
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connection_error() {
    let sim = Simulator::with_clock(Clock::manual(0));
    sim.refuse_connections(true);
    let b = SimBackend::new(sim.clone());
    let e = b.command(command!("PING")).await.unwrap_err();
    assert_eq!(e.kind, redkit::ErrorKind::Connection);
    sim.refuse_connections(false);
    assert_eq!(b.command(command!("PING")).await.unwrap(), Value::simple("PONG"), "the next call reconnects");
}
