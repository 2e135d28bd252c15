//! Pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBE forms, PUBLISH, SPUBLISH,
//! PUBSUB introspection, and keyspace notifications (`notify-keyspace-events`), with Redis 7.0's
//! exact frames: every (un)subscription confirmation is its own push frame (`>` in RESP3, `*` in
//! RESP2), messages are `message` / `pmessage` / `smessage` frames delivered through the state's
//! outbox (so the publisher itself receives its own messages after the command, like any client).
//!
//! The registry [`PubSubState`] keeps, per channel / pattern / shard channel, the subscriber ids in
//! subscription order; a client's own view (its sets of channels) lives in [`Client`].

use crate::resp::{Protocol, Value};
use crate::sim::client::Client;
use crate::sim::command::{CmdError, CmdResult, Command, Ctx};
use crate::sim::commands::keys::glob_match;
use crate::sim::state::State;
use crate::{cmd, container};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// The pub/sub commands. The shard commands carry the marker flag `not_key` (not a Redis flag
/// word, so COMMAND INFO does not list it): their channel sits at a key position for cluster
/// routing, but Redis's key spec says `not_key` and COMMAND GETKEYS reports no keys.
pub static COMMANDS: &[Command] = &[
    cmd!(
        "subscribe",
        -2,
        "pubsub noscript loading stale",
        0,
        0,
        0,
        subscribe,
        "pubsub",
        "Listen for messages published to the given channels"
    ),
    cmd!(
        "unsubscribe",
        -1,
        "pubsub noscript loading stale",
        0,
        0,
        0,
        unsubscribe,
        "pubsub",
        "Stop listening for messages posted to the given channels"
    ),
    cmd!(
        "psubscribe",
        -2,
        "pubsub noscript loading stale",
        0,
        0,
        0,
        psubscribe,
        "pubsub",
        "Listen for messages published to channels matching the given patterns"
    ),
    cmd!(
        "punsubscribe",
        -1,
        "pubsub noscript loading stale",
        0,
        0,
        0,
        punsubscribe,
        "pubsub",
        "Stop listening for messages posted to channels matching the given patterns"
    ),
    cmd!(
        "ssubscribe",
        -2,
        "pubsub noscript loading stale not_key",
        1,
        -1,
        1,
        ssubscribe,
        "pubsub",
        "Listen for messages published to the given shard channels"
    ),
    cmd!(
        "sunsubscribe",
        -1,
        "pubsub noscript loading stale not_key",
        1,
        -1,
        1,
        sunsubscribe,
        "pubsub",
        "Stop listening for messages posted to the given shard channels"
    ),
    cmd!("publish", 3, "pubsub loading stale fast", 0, 0, 0, publish, "pubsub", "Post a message to a channel"),
    cmd!(
        "spublish",
        3,
        "pubsub loading stale fast not_key",
        1,
        1,
        1,
        spublish,
        "pubsub",
        "Post a message to a shard channel"
    ),
    container!("pubsub", "", PUBSUB_SUBCOMMANDS, "pubsub", "A container for Pub/Sub commands"),
];

static PUBSUB_SUBCOMMANDS: &[Command] = &[
    cmd!("channels", -2, "pubsub loading stale", 0, 0, 0, pubsub_channels, "pubsub", "List active channels"),
    cmd!(
        "numsub",
        -2,
        "pubsub loading stale",
        0,
        0,
        0,
        pubsub_numsub,
        "pubsub",
        "Get the count of subscribers for channels"
    ),
    cmd!(
        "numpat",
        2,
        "pubsub loading stale",
        0,
        0,
        0,
        pubsub_numpat,
        "pubsub",
        "Get the count of unique patterns pattern subscriptions"
    ),
    cmd!(
        "shardchannels",
        -2,
        "pubsub loading stale",
        0,
        0,
        0,
        pubsub_shardchannels,
        "pubsub",
        "List active shard channels"
    ),
    cmd!(
        "shardnumsub",
        -2,
        "pubsub loading stale",
        0,
        0,
        0,
        pubsub_shardnumsub,
        "pubsub",
        "Get the count of subscribers for shard channels"
    ),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        pubsub_help,
        "pubsub",
        "Show helpful text about the different subcommands"
    ),
];

/// Subscriber ids per name, in subscription order.
type Registry = IndexMap<Vec<u8>, Vec<u64>, foldhash::fast::RandomState>;

/// Channel, pattern and shard-channel registries: name → subscriber ids in subscription order.
/// Entries with no subscriber left are removed, so the maps' sizes are what PUBSUB reports.
#[derive(Debug, Default)]
pub struct PubSubState {
    channels: Registry,
    patterns: Registry,
    shard_channels: Registry,
}

impl PubSubState {
    /// Number of distinct patterns with at least one subscriber (PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Number of channels with at least one subscriber.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Number of shard channels with at least one subscriber.
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// Subscribers of a channel (not counting pattern subscribers).
    pub fn channel_subscribers(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }
}

/// The three subscription kinds, each with its frame names, registry and client-side set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }

    fn registry(self, ps: &mut PubSubState) -> &mut Registry {
        match self {
            Kind::Channel => &mut ps.channels,
            Kind::Pattern => &mut ps.patterns,
            Kind::Shard => &mut ps.shard_channels,
        }
    }

    fn client_set(self, cl: &mut Client) -> &mut BTreeSet<Vec<u8>> {
        match self {
            Kind::Channel => &mut cl.channels,
            Kind::Pattern => &mut cl.patterns,
            Kind::Shard => &mut cl.shard_channels,
        }
    }

    /// The count a confirmation frame carries: channels + patterns, or shard channels alone.
    fn count(self, cl: &Client) -> i64 {
        match self {
            Kind::Shard => cl.shard_channels.len() as i64,
            _ => cl.subscription_count() as i64,
        }
    }
}

/// A `[kind, name-or-nil, count]` confirmation frame.
fn confirmation(word: &str, name: Option<&[u8]>, count: i64) -> Value {
    Value::Push(vec![Value::bulk(word), name.map_or(Value::Nil, Value::bulk), Value::Int(count)])
}

/// Subscribes the client to `name` (nothing happens if it already is).
fn add_subscription(st: &mut State, cl: &mut Client, kind: Kind, name: &[u8]) {
    if kind.client_set(cl).insert(name.to_vec()) {
        kind.registry(&mut st.pubsub).entry(name.to_vec()).or_default().push(cl.id);
    }
}

/// Unsubscribes the client from `name` (nothing happens if it was not subscribed).
fn remove_subscription(st: &mut State, cl: &mut Client, kind: Kind, name: &[u8]) {
    if kind.client_set(cl).remove(name) {
        unregister(kind.registry(&mut st.pubsub), name, cl.id);
    }
}

/// Removes subscriber `id` from `name`'s list, dropping the entry once nobody is left.
fn unregister(reg: &mut Registry, name: &[u8], id: u64) {
    if let Some(ids) = reg.get_mut(name) {
        ids.retain(|&x| x != id);
        if ids.is_empty() {
            reg.swap_remove(name);
        }
    }
}

/// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: one confirmation frame per name, in argument order.
fn subscribe_generic(ctx: &mut Ctx, argv: &[Vec<u8>], kind: Kind) -> CmdResult {
    for name in &argv[1..] {
        add_subscription(ctx.st, ctx.cl, kind, name);
        let frame = confirmation(kind.subscribe_word(), Some(name), kind.count(ctx.cl));
        ctx.cl.pushes.push_back(frame);
    }
    Err(CmdError::Silent)
}

/// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the named ones, or every one when none is named
/// (then a single frame with a nil name when there was nothing to leave).
fn unsubscribe_generic(ctx: &mut Ctx, argv: &[Vec<u8>], kind: Kind) -> CmdResult {
    let frames = unsubscribe_frames(ctx.st, ctx.cl, kind, &argv[1..]);
    ctx.cl.pushes.extend(frames);
    Err(CmdError::Silent)
}

fn unsubscribe_frames(st: &mut State, cl: &mut Client, kind: Kind, names: &[Vec<u8>]) -> Vec<Value> {
    let word = kind.unsubscribe_word();
    let mut frames = Vec::new();
    if names.is_empty() {
        let all: Vec<Vec<u8>> = kind.client_set(cl).iter().cloned().collect();
        if all.is_empty() {
            frames.push(confirmation(word, None, kind.count(cl)));
        }
        for name in all {
            remove_subscription(st, cl, kind, &name);
            frames.push(confirmation(word, Some(&name), kind.count(cl)));
        }
    } else {
        for name in names {
            remove_subscription(st, cl, kind, name);
            frames.push(confirmation(word, Some(name), kind.count(cl)));
        }
    }
    frames
}

fn subscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    subscribe_generic(ctx, argv, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    // Redis 7.0 exempts SUBSCRIBE and PSUBSCRIBE inside MULTI/EXEC from the deny-blocking
    // rule, but not SSUBSCRIBE.
    if ctx.no_block {
        return Err(CmdError::msg("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"));
    }
    subscribe_generic(ctx, argv, Kind::Shard)
}

fn unsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    unsubscribe_generic(ctx, argv, Kind::Shard)
}

/// Publishes `message` on `channel` to channel subscribers (in subscription order), then to
/// clients whose patterns match; returns the number of frames queued, what PUBLISH answers.
pub fn publish_message(st: &mut State, channel: &[u8], message: &[u8]) -> i64 {
    let mut receivers = 0;
    if let Some(ids) = st.pubsub.channels.get(channel) {
        for &id in ids {
            let frame = Value::Push(vec![Value::bulk("message"), Value::bulk(channel), Value::bulk(message)]);
            st.outbox.push((id, frame));
            receivers += 1;
        }
    }
    for (pattern, ids) in &st.pubsub.patterns {
        if !glob_match(pattern, channel, false) {
            continue;
        }
        for &id in ids {
            let frame = Value::Push(vec![
                Value::bulk("pmessage"),
                Value::bulk(pattern),
                Value::bulk(channel),
                Value::bulk(message),
            ]);
            st.outbox.push((id, frame));
            receivers += 1;
        }
    }
    receivers
}

fn publish(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(publish_message(ctx.st, &argv[1], &argv[2])))
}

fn spublish(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (channel, message) = (&argv[1], &argv[2]);
    let mut receivers = 0;
    if let Some(ids) = ctx.st.pubsub.shard_channels.get(channel.as_slice()) {
        for &id in ids {
            let frame = Value::Push(vec![Value::bulk("smessage"), Value::bulk(channel), Value::bulk(message)]);
            ctx.st.outbox.push((id, frame));
            receivers += 1;
        }
    }
    Ok(Value::Int(receivers))
}

/// `ERR unknown subcommand or wrong number of arguments for 'x'. Try PUBSUB HELP.`
pub(crate) fn subcommand_syntax_error(argv: &[Vec<u8>]) -> CmdError {
    let sub: String = String::from_utf8_lossy(&argv[1]).chars().take(128).collect();
    CmdError::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        sub,
        String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
    ))
}

/// PUBSUB CHANNELS / SHARDCHANNELS: active names matching an optional pattern.
fn list_active(reg: &Registry, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 3 {
        return Err(subcommand_syntax_error(argv));
    }
    let pattern = argv.get(2);
    let names = reg.keys().filter(|name| pattern.is_none_or(|p| glob_match(p, name, false)));
    Ok(Value::bulk_array(names))
}

/// PUBSUB NUMSUB / SHARDNUMSUB: flat name, count pairs in argument order.
fn count_subscribers(reg: &Registry, argv: &[Vec<u8>]) -> CmdResult {
    let mut out = Vec::with_capacity((argv.len() - 2) * 2);
    for name in &argv[2..] {
        out.push(Value::bulk(name));
        out.push(Value::Int(reg.get(name.as_slice()).map_or(0, Vec::len) as i64));
    }
    Ok(Value::Array(out))
}

fn pubsub_channels(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    list_active(&ctx.st.pubsub.channels, argv)
}

fn pubsub_shardchannels(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    list_active(&ctx.st.pubsub.shard_channels, argv)
}

fn pubsub_numsub(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    count_subscribers(&ctx.st.pubsub.channels, argv)
}

fn pubsub_shardnumsub(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    count_subscribers(&ctx.st.pubsub.shard_channels, argv)
}

fn pubsub_numpat(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.st.pubsub.pattern_count() as i64))
}

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

fn pubsub_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Array(PUBSUB_HELP.iter().map(|l| Value::simple(l)).collect()))
}

/// PING's reply for a RESP2 client in subscribed mode: `["pong", message-or-""]` (an array, not
/// `+PONG`). None when the client is not in that mode and PING answers normally. PING (owned by
/// the connection family) calls this first with its optional argument.
pub fn ping_reply_in_subscribed_mode(cl: &Client, message: Option<&[u8]>) -> Option<Value> {
    if cl.proto != Protocol::Resp2 || !cl.in_pubsub_mode() {
        return None;
    }
    Some(Value::Array(vec![Value::bulk("pong"), Value::bulk(message.unwrap_or(b""))]))
}

/// Drops every subscription of a client (disconnect, RESET) and cleans the registry.
pub fn unsubscribe_all(st: &mut State, cl: &mut Client) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        let names = std::mem::take(kind.client_set(cl));
        let reg = kind.registry(&mut st.pubsub);
        for name in names {
            unregister(reg, &name, cl.id);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keyspace notifications
// ---------------------------------------------------------------------------------------------

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME …).
pub const NOTIFY_GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const NOTIFY_STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const NOTIFY_LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const NOTIFY_SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const NOTIFY_HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const NOTIFY_ZSET: u32 = 1 << 7;
/// `x`: expired events.
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
/// `e`: evicted events.
pub const NOTIFY_EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const NOTIFY_STREAM: u32 = 1 << 10;
/// `m`: key-miss events (not part of `A`).
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// `d`: module key type events.
pub const NOTIFY_MODULE: u32 = 1 << 13;
/// `n`: new key events (not part of `A`).
pub const NOTIFY_NEW: u32 = 1 << 14;
/// `A`: alias for `g$lshzxetd`.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// The flag of one class character (`g $ l s h z x e t m d n`, plus `K`/`E`); 0 when unknown.
fn class_flag(c: char) -> u32 {
    match c {
        'g' => NOTIFY_GENERIC,
        '$' => NOTIFY_STRING,
        'l' => NOTIFY_LIST,
        's' => NOTIFY_SET,
        'h' => NOTIFY_HASH,
        'z' => NOTIFY_ZSET,
        'x' => NOTIFY_EXPIRED,
        'e' => NOTIFY_EVICTED,
        't' => NOTIFY_STREAM,
        'm' => NOTIFY_KEY_MISS,
        'd' => NOTIFY_MODULE,
        'n' => NOTIFY_NEW,
        'K' => NOTIFY_KEYSPACE,
        'E' => NOTIFY_KEYEVENT,
        _ => 0,
    }
}

/// Parses a `notify-keyspace-events` value like Redis's keyspaceEventsStringToFlags; None on
/// any other character (CONFIG SET then answers `Invalid event class character. Use
/// 'Ag$lshzxeKEtmdn'.`).
pub fn parse_notify_flags(s: &str) -> Option<u32> {
    let mut flags = 0;
    for c in s.chars() {
        flags |= match c {
            'A' => NOTIFY_ALL,
            c => match class_flag(c) {
                0 => return None,
                f => f,
            },
        };
    }
    Some(flags)
}

/// The `notify-keyspace-events` text CONFIG GET shows for `flags` (keyspaceEventsFlagsToString:
/// `A` replaces the full set, then `K`, `E`, `m`).
pub fn notify_flags_to_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        for c in ['g', '$', 'l', 's', 'h', 'z', 'x', 'e', 't', 'd', 'n'] {
            if flags & class_flag(c) != 0 {
                s.push(c);
            }
        }
    }
    for c in ['K', 'E', 'm'] {
        if flags & class_flag(c) != 0 {
            s.push(c);
        }
    }
    s
}

/// Publishes a keyspace event if `notify-keyspace-events` enables its class: `event` on
/// `__keyspace@<db>__:<key>` (flag K) and `key` on `__keyevent@<db>__:<event>` (flag E).
pub fn notify_keyspace_event_state(st: &mut State, class: char, event: &str, key: &[u8], db: usize) {
    let flags = st.config.notify_flags;
    if flags & class_flag(class) == 0 || flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) == 0 {
        return;
    }
    if st.pubsub.channels.is_empty() && st.pubsub.patterns.is_empty() {
        return;
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        let mut chan = format!("__keyspace@{db}__:").into_bytes();
        chan.extend_from_slice(key);
        publish_message(st, &chan, event.as_bytes());
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        let chan = format!("__keyevent@{db}__:{event}").into_bytes();
        publish_message(st, &chan, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_flags_round_trip() {
        assert_eq!(parse_notify_flags("KEA").map(notify_flags_to_string), Some("AKE".into()));
        assert_eq!(parse_notify_flags("g$lshzxetmdn").map(notify_flags_to_string), Some("Am".into()));
        assert_eq!(parse_notify_flags("xK$").map(notify_flags_to_string), Some("$xK".into()));
        assert_eq!(parse_notify_flags("nK").map(notify_flags_to_string), Some("nK".into()));
        assert_eq!(parse_notify_flags("").map(notify_flags_to_string), Some(String::new()));
        assert_eq!(parse_notify_flags("q"), None);
        assert_eq!(parse_notify_flags("K E"), None);
    }
}
