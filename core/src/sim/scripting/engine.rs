//! One Lua VM and how a script runs on it. The VM is Lua 5.1 with the libraries Redis loads
//! (base, table, string, math, coroutine, and cjson, cmsgpack, bit, struct), Redis's sandbox
//! (no os, io, loadfile, dofile, print; globals and library tables read-only, reading an
//! unknown global is an error) and Redis 7.0's `pcall` (prelude.lua).
//!
//! A script runs under the simulator's lock with the calling client's context: `redis.call`,
//! `redis.pcall` and `redis.setresp` are created for that one run (an mlua scope borrowing the
//! context) and the rest of the `redis` table lives as long as the VM. An instruction-count
//! hook marks the script busy past `busy-reply-threshold` and stops it when SCRIPT KILL asks
//! (see [`super::control`]). Errors leave the VM as Redis 7.0.15 writes them: `<err> script:
//! <name>, on @user_script:<line>.`, where the line is found the way Redis's error handler finds
//! it (the innermost frame that is not redkit's own, stepping over one C function).

use super::bridge::{self, Bridge};
use super::control::ScriptControl;
use super::convert;
use super::libs;
use crate::sim::command::{CmdError, CmdResult, Ctx};
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value as LuaValue, VmState};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often (in VM instructions) the hook looks at the clock and the kill flag.
const HOOK_EVERY: u32 = 100_000;
/// The chunk name of redkit's own Lua code, whose frames error positions skip.
const OWN_CHUNK: &str = "=redkit";

/// Why Rust code stopped a script: carried through Lua as an mlua error and turned back into
/// Redis's error table by the error handler (or into its text by `pcall`).
#[derive(Debug)]
pub enum Raised {
    /// A Redis error table's text, code included (`ERR Unknown Redis command called from script`).
    Reply(String),
    /// A plain Lua error message (what `luaL_error` raises from a C library function).
    Message(String),
    /// SCRIPT KILL or FUNCTION KILL.
    Killed,
}

impl std::fmt::Display for Raised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Raised::Reply(m) | Raised::Message(m) => f.write_str(m),
            Raised::Killed => f.write_str(KILLED),
        }
    }
}

impl std::error::Error for Raised {}

/// The error a killed script stops with.
const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// An mlua error that raises `r`.
pub fn raise(r: Raised) -> mlua::Error {
    mlua::Error::external(r)
}

/// What `luaL_error` raises from a Rust library function: `msg` prefixed with the position of
/// the Lua code that called it (`user_script:1: `), when that caller is Lua code.
pub fn lua_error(lua: &Lua, msg: &str) -> mlua::Error {
    let position = lua
        .inspect_stack(1, |d| {
            let line = d.current_line()?;
            let src = d.source().short_src?.into_owned();
            Some(format!("{src}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    raise(Raised::Message(format!("{position}{msg}")))
}

/// The flags a script shebang (`#!lua flags=…`) or `redis.register_function` may give.
pub const SCRIPT_FLAGS: &[&str] = &["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

/// An EVAL script in the cache.
pub struct CachedScript {
    /// The compiled body.
    pub f: Function,
    /// The flags of its `#!lua` shebang; `None` without one.
    pub shebang: Option<Vec<&'static str>>,
}

/// What kind of script runs, for its error messages and rules.
pub struct RunSpec<'s> {
    /// The name in error messages: the SHA1 of an EVAL script, the function's name for FCALL.
    pub name: &'s str,
    /// EVAL_RO, EVALSHA_RO, FCALL_RO or a `no-writes` function: write commands are refused.
    pub read_only: bool,
    /// FCALL: KEYS and ARGV are passed as arguments instead of globals.
    pub function: bool,
}

/// A Lua VM with Redis's libraries and sandbox.
pub struct Engine {
    lua: Lua,
    /// The global `redis` table.
    redis: Table,
    /// prelude.lua's runner: `(f, handler, keys, args)` → xpcall's results.
    runner: Function,
    /// The error handler (Rust; it needs the stack).
    handler: Function,
    /// The table behind the (empty, read-only) `_G` that holds the globals (prelude.lua).
    globals: Table,
    /// Compiled EVAL scripts by SHA1 (lowercase hex).
    pub scripts: HashMap<String, CachedScript>,
}

impl Engine {
    /// A fresh VM: libraries loaded, sandbox applied.
    pub fn new(rand: &libs::Rand48) -> mlua::Result<Engine> {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::new())?;
        let redis = lua.create_table()?;
        bridge::install(&lua, &redis)?;
        lua.globals().raw_set("redis", &redis)?;
        libs::install(&lua, rand)?;
        let errtext = lua.create_function(|_, v: LuaValue| Ok(error_text(&v)))?;
        let prelude = lua.load(include_str!("prelude.lua")).set_name(OWN_CHUNK).into_function()?;
        let (runner, globals): (Function, Table) = prelude.call(errtext)?;
        let handler = lua.create_function(error_handler)?;
        Ok(Engine { lua, redis, runner, handler, globals, scripts: HashMap::new() })
    }

    /// Compiles a script body as chunk `chunk` (`@user_script`, `@user_function`); Lua's
    /// message on a syntax error.
    pub fn compile(&self, body: &[u8], chunk: &str) -> Result<Function, String> {
        self.compile_in(body, chunk, None)
    }

    /// [`Engine::compile`] with the chunk's globals in `env` (function libraries).
    pub fn compile_in(&self, body: &[u8], chunk: &str, env: Option<&Table>) -> Result<Function, String> {
        let mut chunk = self.lua.load(body).set_name(chunk).set_mode(mlua::chunk::ChunkMode::Text);
        if let Some(env) = env {
            chunk = chunk.set_environment(env.clone());
        }
        chunk.into_function().map_err(|e| match e {
            mlua::Error::SyntaxError { message, .. } => message,
            other => other.to_string(),
        })
    }

    /// The VM.
    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// Calls `f` without arguments under the error handler: on failure, the error table's text
    /// (no position suffix), as FUNCTION LOAD reports a library that failed to register.
    pub fn protected_call(&self, f: &Function) -> mlua::Result<Result<(), String>> {
        let (ok, v): (bool, LuaValue) = self.runner.call((f, &self.handler, LuaValue::Nil, LuaValue::Nil))?;
        if ok {
            return Ok(Ok(()));
        }
        let text = match &v {
            LuaValue::Table(t) => t.raw_get::<Option<mlua::LuaString>>("err")?.map(|s| s.to_string_lossy()),
            other => Some(error_text(other)),
        };
        Ok(Err(text.unwrap_or_default()))
    }

    /// Runs `f` for the client of `ctx` with `keys` and `args`; the reply, or the error
    /// reply Redis gives.
    pub fn run(&self, ctx: &mut Ctx, f: &Function, keys: &[Vec<u8>], args: &[Vec<u8>], spec: RunSpec) -> CmdResult {
        let control = ctx.st.script_control.clone();
        let threshold = ctx.st.config.get_named("busy-reply-threshold").parse::<u64>().unwrap_or(5000);
        // SELECT inside a script does not change the caller's database.
        let db = ctx.cl.db;
        let out = self.run_hooked(ctx, f, keys, args, &spec, &control, threshold);
        ctx.cl.db = db;
        self.lua.remove_hook();
        control.finish();
        out.unwrap_or_else(|e| Err(CmdError::msg(format!("ERR Error running script {}, {e}", spec.name))))
    }

    #[allow(clippy::too_many_arguments)]
    fn run_hooked(
        &self,
        ctx: &mut Ctx,
        f: &Function,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        spec: &RunSpec,
        control: &Arc<ScriptControl>,
        threshold_ms: u64,
    ) -> mlua::Result<CmdResult> {
        let lua = &self.lua;
        let keys =
            lua.create_sequence_from(keys.iter().map(|k| lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?)?;
        let args =
            lua.create_sequence_from(args.iter().map(|a| lua.create_string(a)).collect::<mlua::Result<Vec<_>>>()?)?;
        let (keys_arg, args_arg) = if spec.function {
            (LuaValue::Table(keys), LuaValue::Table(args))
        } else {
            self.globals.raw_set("KEYS", keys)?;
            self.globals.raw_set("ARGV", args)?;
            (LuaValue::Nil, LuaValue::Nil)
        };
        control.start(spec.function);
        let start = Instant::now();
        let hook_control = control.clone();
        let threshold = Duration::from_millis(threshold_ms);
        lua.set_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), move |_, _| {
            if threshold_ms > 0 && start.elapsed() >= threshold {
                hook_control.set_busy();
            }
            if hook_control.kill_requested() {
                return Err(raise(Raised::Killed));
            }
            Ok(VmState::Continue)
        })?;
        let bridge = Bridge::new(ctx, spec.read_only, control.clone());
        lua.scope(|scope| {
            self.redis.raw_set("call", scope.create_function(|lua, a: MultiValue| bridge.call(lua, a, true))?)?;
            self.redis.raw_set("pcall", scope.create_function(|lua, a: MultiValue| bridge.call(lua, a, false))?)?;
            self.redis.raw_set("setresp", scope.create_function(|_, a: MultiValue| bridge.setresp(a))?)?;
            let (ok, v): (bool, LuaValue) = self.runner.call((f, &self.handler, keys_arg, args_arg))?;
            Ok(if ok {
                Ok(convert::to_reply(&v, bridge.resp3()))
            } else {
                Err(CmdError::Reply(error_reply(&v, spec.name)))
            })
        })
    }
}

/// The text of an error value that `pcall` caught (prelude.lua): an error raised from Rust
/// becomes what Redis's C function would have raised.
fn error_text(v: &LuaValue) -> String {
    match v {
        LuaValue::Error(e) => match e.downcast_ref::<Raised>() {
            Some(r) => r.to_string(),
            None => e.to_string(),
        },
        other => other.to_string().unwrap_or_default(),
    }
}

/// Redis's `__redis__err__handler`: makes any error an `{err=…}` table (a string gets `ERR `)
/// and adds the source and line of the script code that raised it.
fn error_handler(lua: &Lua, err: LuaValue) -> mlua::Result<Table> {
    let table = match err {
        LuaValue::Table(t) => t,
        other => {
            let text = match &other {
                LuaValue::Error(e) => match e.downcast_ref::<Raised>() {
                    Some(Raised::Message(m)) => format!("ERR {m}"),
                    Some(r) => r.to_string(),
                    None => format!("ERR {e}"),
                },
                LuaValue::String(s) => format!("ERR {}", s.to_string_lossy()),
                LuaValue::Nil => "ERR nil".to_string(),
                v => format!("ERR {}", v.to_string().unwrap_or_else(|_| v.type_name().to_string())),
            };
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(text)?)?;
            t
        }
    };
    if let Some((source, line)) = failing_frame(lua) {
        table.raw_set("source", source)?;
        table.raw_set("line", line)?;
    }
    Ok(table)
}

/// The source and line Redis's error handler reports: the frame that raised the error, or its
/// caller when it is a C function; redkit's own Lua frames do not count.
fn failing_frame(lua: &Lua) -> Option<(String, i64)> {
    let mut frames = (1..64usize).map_while(|level| {
        lua.inspect_stack(level, |d| {
            let src = d.source();
            (
                src.what,
                src.source.map(|s| s.into_owned()).unwrap_or_default(),
                d.current_line().map_or(-1, |l| l as i64),
            )
        })
    });
    let mut frames = std::iter::from_fn(|| frames.next()).filter(|(_, source, _)| source != OWN_CHUNK);
    let first = frames.next()?;
    let (_, source, line) = if first.0 == "C" { frames.next()? } else { first };
    Some((source, line))
}

/// The error reply for an error table that left the script: `<err> script: <name>, on
/// <source>:<line>.` (without the position when the handler found none).
fn error_reply(v: &LuaValue, name: &str) -> String {
    let LuaValue::Table(t) = v else {
        return format!("ERR Error running script {name}, {}", error_text(v));
    };
    let text = |k: &str| t.raw_get::<Option<mlua::LuaString>>(k).ok().flatten().map(|s| s.to_string_lossy());
    let msg = text("err").unwrap_or_else(|| "ERR unknown error".into());
    match (text("source"), t.raw_get::<Option<i64>>("line").ok().flatten()) {
        (Some(source), Some(line)) => format!("{msg} script: {name}, on {source}:{line}."),
        _ => msg,
    }
}
