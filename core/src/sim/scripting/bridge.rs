//! The `redis` table scripts see. `call`, `pcall` and `setresp` are bound to one run (they
//! borrow the caller's context, see [`Bridge`]); the rest (`error_reply`, `status_reply`,
//! `sha1hex`, `log`, `set_repl`, `replicate_commands`, `breakpoint`, `debug`, `acl_check_cmd`
//! and the constants) is installed once per VM. Arguments are checked in Redis's order with its
//! error texts.

use super::control::ScriptControl;
use super::convert;
use super::engine::{raise, Raised};
use crate::resp::{Protocol, Value};
use crate::sim::command::{Command, Ctx};
use crate::sim::{commands, dispatch, fmt_double};
use mlua::{Lua, MultiValue, Table, Value as LuaValue};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// `ERR <msg>` raised as Redis's luaPushError + luaError do.
fn fail(msg: &str) -> mlua::Error {
    raise(Raised::Reply(format!("ERR {msg}")))
}

/// An `{err=…}` table, as luaPushError builds it.
fn error_table(lua: &Lua, text: &str) -> mlua::Result<LuaValue> {
    let t = lua.create_table()?;
    t.raw_set("err", text)?;
    Ok(LuaValue::Table(t))
}

/// A `{<field>=s}` table (status_reply, error_reply).
fn single_field(lua: &Lua, field: &str, s: mlua::LuaString) -> mlua::Result<LuaValue> {
    let t = lua.create_table()?;
    t.raw_set(field, s)?;
    Ok(LuaValue::Table(t))
}

/// Redis's luaPushErrorBuff: an error reply's text as an error table keeps it (`CODE msg`), a
/// text without a code gets `ERR`; a leading `-` and trailing CR/LF go.
pub fn error_table_text(reply: &[u8]) -> String {
    let s = String::from_utf8_lossy(reply);
    let s = s.strip_prefix('-').unwrap_or(&s);
    let (code, msg) = s.split_once(' ').unwrap_or(("ERR", s));
    format!("{code} {}", msg.trim_matches(['\r', '\n']))
}

/// The one string argument of status_reply / error_reply, or None.
fn one_string(args: &MultiValue) -> Option<mlua::LuaString> {
    match args.iter().collect::<Vec<_>>().as_slice() {
        [LuaValue::String(s)] => Some(s.clone()),
        _ => None,
    }
}

/// Installs the run-independent part of the `redis` table.
pub fn install(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    for (name, v) in [("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3)] {
        redis.raw_set(name, v)?;
    }
    for (name, v) in [("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3)] {
        redis.raw_set(name, v)?;
    }
    redis.raw_set("REDIS_VERSION", crate::sim::REDIS_VERSION)?;
    redis.raw_set("REDIS_VERSION_NUM", version_num(crate::sim::REDIS_VERSION))?;
    let status_reply = lua.create_function(|lua, a: MultiValue| match one_string(&a) {
        Some(s) => single_field(lua, "ok", s),
        None => error_table(lua, "ERR wrong number or type of arguments"),
    })?;
    redis.raw_set("status_reply", status_reply)?;
    let error_reply = lua.create_function(|lua, a: MultiValue| match one_string(&a) {
        Some(s) => error_table(lua, &error_table_text(&s.as_bytes())),
        None => error_table(lua, "ERR wrong number or type of arguments"),
    })?;
    redis.raw_set("error_reply", error_reply)?;
    let sha1hex = lua.create_function(|lua, a: MultiValue| {
        if a.len() != 1 {
            return Err(fail("wrong number of arguments"));
        }
        let bytes = lua.coerce_string(a[0].clone())?.map(|s| s.as_bytes().to_vec()).unwrap_or_default();
        Ok(sha1_smol::Sha1::from(bytes).digest().to_string())
    })?;
    redis.raw_set("sha1hex", sha1hex)?;
    let log = lua.create_function(|lua, a: MultiValue| {
        if a.len() < 2 {
            return Err(fail("redis.log() requires two arguments or more."));
        }
        let Some(level) = lua.coerce_number(a[0].clone())? else {
            return Err(fail("First argument must be a number (log level)."));
        };
        if !(0.0..=3.0).contains(&level) {
            return Err(fail("Invalid debug level."));
        }
        Ok(())
    })?;
    redis.raw_set("log", log)?;
    let set_repl = lua.create_function(|lua, a: MultiValue| {
        if a.len() != 1 {
            return Err(fail("redis.set_repl() requires two arguments."));
        }
        let flags = lua.coerce_number(a[0].clone())?.unwrap_or(0.0) as i64;
        if flags & !3 != 0 {
            return Err(fail("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."));
        }
        Ok(())
    })?;
    redis.raw_set("set_repl", set_repl)?;
    redis.raw_set("replicate_commands", lua.create_function(|_, _: MultiValue| Ok(true))?)?;
    redis.raw_set("breakpoint", lua.create_function(|_, _: MultiValue| Ok(false))?)?;
    redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    let acl_check_cmd = lua.create_function(|_, a: MultiValue| {
        let argv = command_argv(a)?;
        match resolve(&argv) {
            Ok(_) => Ok(true),
            Err(_) => Err(fail("Invalid command passed to redis.acl_check_cmd()")),
        }
    })?;
    redis.raw_set("acl_check_cmd", acl_check_cmd)?;
    Ok(())
}

/// `7.0.15` → 0x07000f, as REDIS_VERSION_NUM.
fn version_num(v: &str) -> i64 {
    v.split('.').take(3).fold(0, |n, part| (n << 8) | part.parse::<i64>().unwrap_or(0))
}

/// A number argument of redis.call as Redis 7.0 writes it: `%.17g` (Lua's own `%.14g` would
/// lose digits), NaN with its sign as glibc prints it.
fn number_arg(n: f64) -> Vec<u8> {
    if n.is_nan() {
        return if n.is_sign_negative() { b"-nan".to_vec() } else { b"nan".to_vec() };
    }
    fmt_double(n).into_bytes()
}

/// A redis.call argument list as an argv: strings and numbers, nothing else.
fn command_argv(args: MultiValue) -> mlua::Result<Vec<Vec<u8>>> {
    if args.is_empty() {
        return Err(fail("Please specify at least one argument for this redis lib call"));
    }
    args.into_iter()
        .map(|v| match v {
            LuaValue::String(s) => Ok(s.as_bytes().to_vec()),
            LuaValue::Number(n) => Ok(number_arg(n)),
            LuaValue::Integer(n) => Ok(number_arg(n as f64)),
            _ => Err(fail("Lua redis lib command arguments must be strings or integers")),
        })
        .collect()
}

/// Finds the command a script calls, with Redis's script-side errors.
fn resolve(argv: &[Vec<u8>]) -> Result<&'static Command, &'static str> {
    const UNKNOWN: &str = "ERR Unknown Redis command called from script";
    const ARITY: &str = "ERR Wrong number of args calling Redis command from script";
    let cmd = commands::lookup(&argv[0]).ok_or(UNKNOWN)?;
    let cmd = match (cmd.subcommands.is_empty(), argv.get(1)) {
        (true, _) => cmd,
        (false, Some(sub)) => commands::lookup_sub(cmd, sub).ok_or(UNKNOWN)?,
        (false, None) => cmd,
    };
    if !cmd.arity_ok(argv.len()) {
        return Err(ARITY);
    }
    Ok(cmd)
}

/// The part of the `redis` table bound to one run: the caller's context, the protocol chosen
/// by `redis.setresp`, and whether the script may write.
pub struct Bridge<'c, 'a> {
    ctx: RefCell<&'c mut Ctx<'a>>,
    resp3: Cell<bool>,
    read_only: bool,
    control: Arc<ScriptControl>,
}

impl<'c, 'a> Bridge<'c, 'a> {
    /// A bridge for one run of a script for the client of `ctx`.
    pub fn new(ctx: &'c mut Ctx<'a>, read_only: bool, control: Arc<ScriptControl>) -> Self {
        Bridge { ctx: RefCell::new(ctx), resp3: Cell::new(false), read_only, control }
    }

    /// True after `redis.setresp(3)`.
    pub fn resp3(&self) -> bool {
        self.resp3.get()
    }

    /// `redis.setresp(2|3)`.
    pub fn setresp(&self, a: MultiValue) -> mlua::Result<()> {
        if a.len() != 1 {
            return Err(fail("redis.setresp() requires one argument."));
        }
        match &a[0] {
            LuaValue::Number(n) if *n as i64 == 2 || *n as i64 == 3 => self.resp3.set(*n as i64 == 3),
            LuaValue::Integer(n) if *n == 2 || *n == 3 => self.resp3.set(*n == 3),
            _ => return Err(fail("RESP version must be 2 or 3.")),
        }
        Ok(())
    }

    /// `redis.call` (`raise`: an error reply is raised) and `redis.pcall` (it is returned as an
    /// error table).
    pub fn call(&self, lua: &Lua, args: MultiValue, raise_errors: bool) -> mlua::Result<LuaValue> {
        let outcome = command_argv(args).map(|argv| self.run_command(&argv));
        let error = match outcome {
            Ok(Value::Error(e)) => error_table_text(&e),
            Ok(reply) => return convert::to_lua(lua, &reply, self.resp3()),
            Err(e) if raise_errors => return Err(e),
            Err(e) => match e.downcast_ref::<Raised>() {
                Some(r) => r.to_string(),
                None => return Err(e),
            },
        };
        if raise_errors {
            Err(raise(Raised::Reply(error)))
        } else {
            error_table(lua, &error)
        }
    }

    /// Runs one command for the script: refused with Redis's script errors, else dispatched
    /// like a command inside EXEC, in the protocol the script chose.
    fn run_command(&self, argv: &[Vec<u8>]) -> Value {
        let cmd = match resolve(argv) {
            Ok(cmd) => cmd,
            Err(e) => return Value::error(e),
        };
        if cmd.has_flag("noscript") {
            return Value::error("ERR This Redis command is not allowed from script");
        }
        if cmd.has_flag("write") {
            if self.read_only {
                return Value::error("ERR Write commands are not allowed from read-only scripts.");
            }
            self.control.set_wrote();
        }
        let mut ctx = self.ctx.borrow_mut();
        let saved = ctx.cl.proto;
        ctx.cl.proto = if self.resp3() { Protocol::Resp3 } else { Protocol::Resp2 };
        let reply = dispatch::call_nested(&mut ctx, argv);
        ctx.cl.proto = saved;
        reply
    }
}
