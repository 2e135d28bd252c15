//! Connection commands: PING, ECHO, SELECT, AUTH, HELLO, RESET, QUIT and the CLIENT container
//! (ID, SETNAME, GETNAME, INFO, LIST, KILL, UNBLOCK, PAUSE and UNPAUSE (handlers in `host`),
//! NO-EVICT, GETREDIR, TRACKINGINFO, CACHING, HELP; client-side caching is never on). Replies and
//! errors follow redis-server 7.0.15, including the CLIENT LIST line format that client
//! libraries parse; 7.2-only subcommands (SETINFO, NO-TOUCH) answer "unknown subcommand" there too.

use crate::cmd;
use crate::resp::{Protocol, Value};
use crate::sim::blocking;
use crate::sim::client::Client;
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::errors;
use crate::sim::state::State;
use crate::sim::REDIS_VERSION;

/// The connection commands.
pub static COMMANDS: &[Command] = &[
    cmd!("ping", -1, "fast", 0, 0, 0, ping, "connection", "Ping the server"),
    cmd!("echo", 2, "loading stale fast", 0, 0, 0, echo, "connection", "Echo the given string"),
    cmd!(
        "select",
        2,
        "loading stale fast",
        0,
        0,
        0,
        select,
        "connection",
        "Change the selected database for the current connection"
    ),
    cmd!(
        "auth",
        -2,
        "noscript loading stale fast no_auth allow_busy",
        0,
        0,
        0,
        auth,
        "connection",
        "Authenticate to the server"
    ),
    cmd!(
        "hello",
        -1,
        "noscript loading stale fast no_auth allow_busy",
        0,
        0,
        0,
        hello,
        "connection",
        "Handshake with Redis"
    ),
    cmd!(
        "reset",
        1,
        "noscript loading stale fast no_auth allow_busy",
        0,
        0,
        0,
        reset,
        "connection",
        "Reset the connection"
    ),
    cmd!(
        "quit",
        -1,
        "noscript loading stale fast no_auth allow_busy",
        0,
        0,
        0,
        quit,
        "connection",
        "Close the connection"
    ),
    crate::container!("client", "", CLIENT_SUBCOMMANDS, "connection", "A container for client connection commands"),
];

const CLIENT_FLAGS: &str = "noscript loading stale";
const CLIENT_ADMIN: &str = "admin noscript loading stale";

static CLIENT_SUBCOMMANDS: &[Command] = &[
    cmd!("id", 2, CLIENT_FLAGS, 0, 0, 0, client_id, "connection", "Returns the client ID for the current connection"),
    cmd!("setname", 3, CLIENT_FLAGS, 0, 0, 0, client_setname, "connection", "Set the current connection name"),
    cmd!("getname", 2, CLIENT_FLAGS, 0, 0, 0, client_getname, "connection", "Get the current connection name"),
    cmd!(
        "info",
        2,
        CLIENT_FLAGS,
        0,
        0,
        0,
        client_info,
        "connection",
        "Returns information about the current client connection."
    ),
    cmd!("list", -2, CLIENT_ADMIN, 0, 0, 0, client_list, "connection", "Get the list of client connections"),
    cmd!("kill", -3, CLIENT_ADMIN, 0, 0, 0, client_kill, "connection", "Kill the connection of a client"),
    cmd!(
        "unblock",
        -3,
        CLIENT_ADMIN,
        0,
        0,
        0,
        client_unblock,
        "connection",
        "Unblock a client blocked in a blocking command from a different connection"
    ),
    cmd!(
        "pause",
        -3,
        CLIENT_ADMIN,
        0,
        0,
        0,
        super::host::client_pause,
        "connection",
        "Stop processing commands from clients for some time"
    ),
    cmd!(
        "unpause",
        2,
        CLIENT_ADMIN,
        0,
        0,
        0,
        super::host::client_unpause,
        "connection",
        "Resume processing of clients that were paused"
    ),
    cmd!(
        "no-evict",
        3,
        CLIENT_ADMIN,
        0,
        0,
        0,
        client_no_evict,
        "connection",
        "Set client eviction mode for the current connection"
    ),
    cmd!(
        "getredir",
        2,
        CLIENT_FLAGS,
        0,
        0,
        0,
        client_getredir,
        "connection",
        "Get tracking notifications redirection client ID if any"
    ),
    cmd!(
        "trackinginfo",
        2,
        CLIENT_FLAGS,
        0,
        0,
        0,
        client_trackinginfo,
        "connection",
        "Return information about server assisted client side caching for the current connection"
    ),
    cmd!(
        "caching",
        3,
        CLIENT_FLAGS,
        0,
        0,
        0,
        client_caching,
        "connection",
        "Instruct the server about tracking or not keys in the next request"
    ),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        client_help,
        "connection",
        "Show helpful text about the different subcommands"
    ),
];

/// PING [message]; in the RESP2 subscribed state Redis answers `["pong", message]`.
fn ping(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 2 {
        return Err(errors::wrong_arity("ping"));
    }
    if ctx.cl.proto == Protocol::Resp2 && ctx.cl.in_pubsub_mode() {
        let msg = argv.get(1).cloned().unwrap_or_default();
        return Ok(Value::Array(vec![Value::bulk("pong"), Value::Bulk(msg)]));
    }
    Ok(match argv.get(1) {
        Some(m) => Value::bulk(m),
        None => Value::simple("PONG"),
    })
}

/// ECHO message.
fn echo(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::bulk(&argv[1]))
}

/// SELECT index.
fn select(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let db = super::keys::arg_db(ctx, &argv[1])?;
    ctx.cl.db = db;
    Ok(Value::ok())
}

/// The `default` user's password (`requirepass`), empty when it is passwordless.
fn requirepass(ctx: &Ctx) -> String {
    ctx.st.config.get_named("requirepass")
}

/// Checks credentials the way Redis does with only the `default` user: any password while
/// `requirepass` is empty, otherwise that password. Success authenticates the connection
/// (dispatch refuses other commands with NOAUTH until then).
fn authenticate(ctx: &mut Ctx, user: &[u8], pass: &[u8]) -> Result<(), CmdError> {
    let required = requirepass(ctx);
    if user == b"default" && (required.is_empty() || required.as_bytes() == pass) {
        ctx.cl.authenticated = true;
        Ok(())
    } else {
        Err(CmdError::msg("WRONGPASS invalid username-password pair or user is disabled."))
    }
}

/// AUTH [username] password.
fn auth(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    match argv.len() {
        2 if requirepass(ctx).is_empty() => Err(CmdError::msg(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        )),
        2 => authenticate(ctx, b"default", &argv[1]).map(|_| Value::ok()),
        3 => authenticate(ctx, &argv[1], &argv[2]).map(|_| Value::ok()),
        _ => Err(errors::syntax()),
    }
}

/// Validates and sets a connection name (empty clears it), like Redis's clientSetName.
fn set_name(cl: &mut Client, name: &[u8]) -> Result<(), CmdError> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::msg("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    cl.name = if name.is_empty() { None } else { Some(name.to_vec()) };
    Ok(())
}

/// HELLO [protover [AUTH user pass] [SETNAME name]]: switches protocol and describes the server.
fn hello(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut ver = None;
    if argv.len() >= 2 {
        let v = crate::sim::float::parse_i64(&argv[1])
            .ok_or_else(|| CmdError::msg("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::msg("NOPROTO unsupported protocol version"));
        }
        ver = Some(v);
    }
    let mut creds: Option<(&[u8], &[u8])> = None;
    let mut name: Option<&[u8]> = None;
    let mut j = 2;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is_kw(&argv[j], "auth") && more >= 2 {
            creds = Some((&argv[j + 1], &argv[j + 2]));
            j += 2;
        } else if is_kw(&argv[j], "setname") && more >= 1 {
            name = Some(&argv[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&argv[j])
            )));
        }
        j += 1;
    }
    if let Some((user, pass)) = creds {
        authenticate(ctx, user, pass)?;
    } else if !ctx.cl.authenticated && ctx.st.config.requires_auth() {
        return Err(CmdError::msg("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    if let Some(n) = name {
        set_name(ctx.cl, n)?;
    }
    match ver {
        Some(3) => ctx.cl.proto = Protocol::Resp3,
        Some(_) => ctx.cl.proto = Protocol::Resp2,
        None => {}
    }
    let proto = if ctx.cl.proto == Protocol::Resp3 { 3 } else { 2 };
    Ok(Value::Map(vec![
        (Value::bulk("server"), Value::bulk("redis")),
        (Value::bulk("version"), Value::bulk(REDIS_VERSION)),
        (Value::bulk("proto"), Value::Int(proto)),
        (Value::bulk("id"), Value::Int(ctx.cl.id as i64)),
        (Value::bulk("mode"), Value::bulk("standalone")),
        (Value::bulk("role"), Value::bulk("master")),
        (Value::bulk("modules"), Value::Array(Vec::new())),
    ]))
}

/// RESET: leaves MULTI, forgets WATCHes and subscriptions, selects db 0, RESP2, no name.
fn reset(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.cl.multi = None;
    ctx.cl.multi_error = false;
    super::transactions::unwatch_all(ctx.st, ctx.cl);
    ctx.cl.dirty_cas = false;
    super::pubsub::unsubscribe_all(ctx.st, ctx.cl);
    ctx.cl.db = 0;
    ctx.cl.proto = Protocol::Resp2;
    ctx.cl.name = None;
    ctx.cl.authenticated = !ctx.st.config.requires_auth();
    Ok(Value::simple("RESET"))
}

/// QUIT: OK, then the connection is marked for closing.
fn quit(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.cl.closing = true;
    Ok(Value::ok())
}

/// CLIENT ID.
fn client_id(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(ctx.cl.id as i64))
}

/// CLIENT SETNAME name.
fn client_setname(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    set_name(ctx.cl, &argv[2])?;
    Ok(Value::ok())
}

/// CLIENT GETNAME.
fn client_getname(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(ctx.cl.name.as_ref().map(Value::bulk).unwrap_or(Value::Nil))
}

/// CLIENT GETREDIR: no tracking, so -1.
fn client_getredir(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Int(-1))
}

/// CLIENT TRACKINGINFO: client-side caching is never enabled in the simulator.
fn client_trackinginfo(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Map(vec![
        (Value::bulk("flags"), Value::Set(vec![Value::bulk("off")])),
        (Value::bulk("redirect"), Value::Int(-1)),
        (Value::bulk("prefixes"), Value::Array(Vec::new())),
    ]))
}

/// CLIENT CACHING YES|NO: only valid in OPTIN/OPTOUT tracking, which is never on.
fn client_caching(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Err(CmdError::msg(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    ))
}

/// One CLIENT LIST / CLIENT INFO line, in redis-server 7.0's field order.
pub fn client_line(cl: &Client, now_ms: u64) -> String {
    let mut flags = String::new();
    if cl.in_pubsub_mode() {
        flags.push('P');
    }
    if cl.multi.is_some() {
        flags.push('x');
    }
    if cl.blocked.is_some() {
        flags.push('b');
    }
    if cl.dirty_cas {
        flags.push('d');
    }
    if cl.closing {
        flags.push('c');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = cl.name.as_ref().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();
    let multi = cl.multi.as_ref().map(|q| q.len() as i64).unwrap_or(-1);
    let cmd = cl.last_cmd_name();
    format!(
        "id={} addr={} laddr=127.0.0.1:6379 fd=8 name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} \
         multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1024 \
         events=r cmd={} user=default redir=-1 resp={}",
        cl.id,
        cl.addr,
        name,
        now_ms.saturating_sub(cl.created_ms) / 1000,
        now_ms.saturating_sub(cl.last_cmd_ms) / 1000,
        flags,
        cl.db,
        cl.channels.len(),
        cl.patterns.len(),
        cl.shard_channels.len(),
        multi,
        cmd,
        if cl.proto == Protocol::Resp3 { 3 } else { 2 },
    )
}

fn verbatim(text: String) -> Value {
    Value::Verbatim { format: *b"txt", text: text.into_bytes() }
}

/// CLIENT INFO.
fn client_info(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let mut s = client_line(ctx.cl, ctx.now_ms);
    s.push('\n');
    Ok(verbatim(s))
}

/// The client types CLIENT LIST/KILL TYPE accept; Some(true) when `cl` is of that type.
fn client_is_type(cl: &Client, ty: &[u8]) -> Option<bool> {
    match ty.to_ascii_lowercase().as_slice() {
        b"normal" => Some(!cl.in_pubsub_mode()),
        b"pubsub" => Some(cl.in_pubsub_mode()),
        b"master" | b"replica" | b"slave" => Some(false),
        _ => None,
    }
}

fn unknown_type(ty: &[u8]) -> CmdError {
    CmdError::msg(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(ty)))
}

/// Every client, the caller included, in id order.
fn all_clients<'a>(st: &'a State, me: &'a Client) -> Vec<&'a Client> {
    let mut v: Vec<&Client> = st.clients.values().map(|c| &**c).chain(std::iter::once(me)).collect();
    v.sort_by_key(|c| c.id);
    v
}

/// CLIENT LIST [TYPE t] [ID id ...].
fn client_list(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut ty: Option<&[u8]> = None;
    let mut ids: Option<Vec<u64>> = None;
    if argv.len() == 4 && is_kw(&argv[2], "type") {
        if client_is_type(ctx.cl, &argv[3]).is_none() {
            return Err(unknown_type(&argv[3]));
        }
        ty = Some(&argv[3]);
    } else if argv.len() >= 4 && is_kw(&argv[2], "id") {
        let mut v = Vec::new();
        for a in &argv[3..] {
            match arg_i64(a) {
                Ok(n) => v.extend(u64::try_from(n).ok()),
                Err(_) => return Err(CmdError::msg("ERR Invalid client ID")),
            }
        }
        ids = Some(v);
    } else if argv.len() != 2 {
        return Err(errors::syntax());
    }
    let now = ctx.now_ms;
    let mut out = String::new();
    for c in all_clients(ctx.st, ctx.cl) {
        if ty.is_some_and(|t| client_is_type(c, t) != Some(true)) {
            continue;
        }
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        out.push_str(&client_line(c, now));
        out.push('\n');
    }
    Ok(verbatim(out))
}

/// Filters of CLIENT KILL's new form.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    ty: Option<Vec<u8>>,
    skipme: bool,
}

fn parse_kill_filter(argv: &[Vec<u8>]) -> Result<KillFilter, CmdError> {
    let mut f = KillFilter { skipme: true, ..KillFilter::default() };
    let mut i = 2;
    while i < argv.len() {
        if i + 1 >= argv.len() {
            return Err(errors::syntax());
        }
        let (opt, val) = (&argv[i], &argv[i + 1]);
        if is_kw(opt, "id") {
            match crate::sim::float::parse_i64(val) {
                Some(n) if n >= 1 => f.id = Some(n as u64),
                _ => return Err(CmdError::msg("ERR client-id should be greater than 0")),
            }
        } else if is_kw(opt, "type") {
            let probe = Client::new(0, 0);
            if client_is_type(&probe, val).is_none() {
                return Err(unknown_type(val));
            }
            f.ty = Some(val.clone());
        } else if is_kw(opt, "addr") {
            f.addr = Some(val.clone());
        } else if is_kw(opt, "laddr") {
            f.laddr = Some(val.clone());
        } else if is_kw(opt, "user") {
            if val.as_slice() != b"default" {
                return Err(CmdError::msg(format!("ERR No such user '{}'", String::from_utf8_lossy(val))));
            }
        } else if is_kw(opt, "skipme") {
            f.skipme = if is_kw(val, "yes") {
                true
            } else if is_kw(val, "no") {
                false
            } else {
                return Err(errors::syntax());
            };
        } else {
            return Err(errors::syntax());
        }
        i += 2;
    }
    Ok(f)
}

fn kill_matches(f: &KillFilter, c: &Client) -> bool {
    f.id.is_none_or(|id| id == c.id)
        && f.addr.as_ref().is_none_or(|a| a.as_slice() == c.addr.as_bytes())
        && f.laddr.as_ref().is_none_or(|a| a.as_slice() == b"127.0.0.1:6379")
        && f.ty.as_ref().is_none_or(|t| client_is_type(c, t) == Some(true))
}

/// CLIENT KILL addr | CLIENT KILL [ID id] [TYPE t] [ADDR a] [LADDR a] [USER u] [SKIPME yes|no].
fn client_kill(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() == 3 {
        let target = ctx.st.clients.values().find(|c| c.addr.as_bytes() == argv[2].as_slice()).map(|c| c.id);
        if let Some(id) = target {
            crate::sim::dispatch::disconnect(ctx.st, id);
            return Ok(Value::ok());
        }
        if ctx.cl.addr.as_bytes() == argv[2].as_slice() {
            ctx.cl.closing = true;
            return Ok(Value::ok());
        }
        return Err(CmdError::msg("ERR No such client"));
    }
    let f = parse_kill_filter(argv)?;
    let victims: Vec<u64> = ctx.st.clients.values().filter(|c| kill_matches(&f, c)).map(|c| c.id).collect();
    let mut n = victims.len() as i64;
    for id in victims {
        crate::sim::dispatch::disconnect(ctx.st, id);
    }
    if !f.skipme && kill_matches(&f, ctx.cl) {
        ctx.cl.closing = true;
        n += 1;
    }
    Ok(Value::Int(n))
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command.
fn client_unblock(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 4 {
        return Err(CmdError::msg(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(&argv[1])
        )));
    }
    let mut as_error = false;
    if let Some(reason) = argv.get(3) {
        if is_kw(reason, "error") {
            as_error = true;
        } else if !is_kw(reason, "timeout") {
            return Err(CmdError::msg("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
        }
    }
    let id = arg_i64(&argv[2])?;
    let Ok(id) = u64::try_from(id) else { return Ok(Value::Int(0)) };
    let Some(reply) = ctx.st.clients.get(&id).and_then(|c| c.blocked.as_ref()).map(|b| b.on_timeout.clone()) else {
        return Ok(Value::Int(0));
    };
    let reply = if as_error { Value::error("UNBLOCKED client unblocked via CLIENT UNBLOCK") } else { reply };
    Ok(Value::Int(i64::from(blocking::unblock(ctx.st, id, reply))))
}

/// CLIENT NO-EVICT ON|OFF (accepted; client eviction is not simulated).
fn client_no_evict(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if is_kw(&argv[2], "on") || is_kw(&argv[2], "off") {
        Ok(Value::ok())
    } else {
        Err(errors::syntax())
    }
}

/// CLIENT HELP (redis-server 7.0.15's text).
fn client_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::server::help_reply(
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use crate::resp::Value;
    use crate::sim::{Clock, Simulator, Submitted};

    #[test]
    fn quit_and_client_kill_close_connections() {
        let sim = Simulator::new();
        let mut a = sim.connect();
        let mut b = sim.connect();
        a.execute(&["SUBSCRIBE", "news"]);
        assert_eq!(b.execute(&["PUBLISH", "news", "x"]), Value::Int(1));
        let id = a.id().to_string();
        assert_eq!(b.execute(&["CLIENT", "KILL", "ID", &id]), Value::Int(1));
        assert_eq!(b.execute(&["PUBLISH", "news", "x"]), Value::Int(0), "killed client unsubscribed");
        assert!(a.execute(&["PING"]).is_error(), "killed connection is closed");
        assert_eq!(b.execute(&["QUIT"]), Value::ok());
        assert!(b.execute(&["PING"]).is_error(), "QUIT closes after its reply");
        assert_eq!(sim.connect().execute(&["CLIENT", "LIST"]).to_text().lines().count(), 1);
    }

    #[test]
    fn client_unblock_ends_a_blocked_command() {
        let sim = Simulator::with_clock(Clock::manual(1_000));
        let mut a = sim.connect();
        let mut b = sim.connect();
        let id = a.id().to_string();
        if a.submit(&["BLPOP", "q", "0"]) != Submitted::Blocked {
            return; // lists family not present in this build
        }
        assert_eq!(b.execute(&["CLIENT", "UNBLOCK", &id, "ERROR"]), Value::Int(1));
        assert_eq!(a.poll(), Some(Value::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")));
        assert_eq!(b.execute(&["CLIENT", "UNBLOCK", &id]), Value::Int(0));
    }

    #[test]
    fn hello_switches_protocol_and_names() {
        let sim = Simulator::with_clock(Clock::manual(1_000));
        let mut a = sim.connect();
        let r = a.execute(&["HELLO", "3", "SETNAME", "me"]);
        assert!(matches!(r, Value::Map(_)));
        assert_eq!(a.protocol(), crate::resp::Protocol::Resp3);
        assert_eq!(a.execute(&["CLIENT", "GETNAME"]), Value::bulk("me"));
        assert_eq!(a.execute(&["RESET"]), Value::simple("RESET"));
        assert_eq!(a.protocol(), crate::resp::Protocol::Resp2);
        assert_eq!(a.execute(&["CLIENT", "GETNAME"]), Value::Nil);
    }
}
