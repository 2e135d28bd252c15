//! FUNCTION LOAD|DELETE|LIST|FLUSH|KILL|HELP and FCALL/FCALL_RO: libraries of Lua functions
//! (`#!lua name=<lib>` and `redis.register_function`) in their own VM, as Redis 7.0.15 keeps
//! them, with its error texts. FUNCTION LIST lists libraries and functions by name (Redis's
//! order is its hash table's, which differs from run to run). FUNCTION STATS, DUMP and RESTORE
//! are not implemented.

use super::engine::{raise, Engine, Raised, RunSpec, SCRIPT_FLAGS};
use super::eval::{new_vm, numkeys};
use crate::resp::Value;
use crate::sim::command::{is_kw, CmdError, CmdResult, Ctx};
use crate::sim::commands::keys::glob_match;
use crate::sim::commands::server::help_reply;
use mlua::{Function, Lua, MultiValue, Table, Value as LuaValue};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The functions VM with its library environment.
pub struct FunctionsVm {
    engine: Box<Engine>,
    /// The globals every library sees (functions.lua).
    env: Table,
    /// `redis` as library code sees it while it loads.
    load_redis: Table,
    /// Switches `env` between the load API and the regular globals.
    set_loading: Function,
}

/// A registered function.
struct Func {
    callback: Function,
    flags: Vec<&'static str>,
    description: Option<Vec<u8>>,
}

/// A loaded library.
struct Library {
    code: Vec<u8>,
    functions: BTreeMap<String, Func>,
}

/// The loaded libraries (by name) and their VM.
#[derive(Default)]
pub struct Libraries {
    vm: Option<Box<FunctionsVm>>,
    libs: BTreeMap<String, Library>,
}

impl Libraries {
    fn find(&self, name: &str) -> Option<&Func> {
        self.libs.values().find_map(|l| l.functions.get(name))
    }
}

fn vm_error(e: mlua::Error) -> CmdError {
    CmdError::msg(format!("ERR Lua VM could not start: {e}"))
}

fn new_functions_vm(ctx: &Ctx) -> Result<Box<FunctionsVm>, CmdError> {
    let engine = new_vm(&ctx.st.scripting)?;
    let setup =
        engine.lua().load(include_str!("functions.lua")).set_name("=redkit").into_function().map_err(vm_error)?;
    let (env, load_redis, set_loading): (Table, Table, Function) = setup.call(()).map_err(vm_error)?;
    Ok(Box::new(FunctionsVm { engine, env, load_redis, set_loading }))
}

/// Library and function names: letters, digits and underscores, at least one.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

const BAD_NAME: &str =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// The `#!lua name=<lib>` line: the library name and where the code after it starts.
fn metadata(code: &[u8]) -> Result<(String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&c| c == b'\n') else { return Err("Invalid library metadata".into()) };
    let line = String::from_utf8_lossy(&code[2..end]);
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let Some(engine) = parts.next() else { return Err("Invalid library metadata".into()) };
    let mut name = None;
    for part in parts {
        match part.get(..5) {
            Some(p) if p.eq_ignore_ascii_case("name=") => {
                if name.is_some() {
                    return Err("Invalid metadata value, name argument was given multiple times".into());
                }
                name = Some(part[5..].to_string());
            }
            _ => return Err(format!("Invalid metadata value given: {part}")),
        }
    }
    let name = name.ok_or("Library name was not given")?;
    if !valid_name(name.as_bytes()) {
        return Err(BAD_NAME.into());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("Engine '{engine}' not found"));
    }
    Ok((name, end))
}

/// `redis.register_function`'s arguments, checked with Redis's messages.
fn registration(lua: &Lua, a: MultiValue) -> mlua::Result<(String, Func)> {
    let fail = |m: &str| raise(Raised::Reply(format!("ERR {m}")));
    let text = |v: &LuaValue| lua.coerce_string(v.clone()).ok().flatten().map(|s| s.as_bytes().to_vec());
    let (name, callback, flags, description) = match a.len() {
        1 => {
            let LuaValue::Table(t) = &a[0] else {
                return Err(fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."));
            };
            let (mut name, mut callback, mut flags, mut description) = (None, None, Vec::new(), None);
            for pair in t.pairs::<LuaValue, LuaValue>() {
                let (k, v) = pair?;
                let key = text(&k).unwrap_or_default();
                match key.as_slice() {
                    b"function_name" => match &v {
                        LuaValue::String(s) => name = Some(s.as_bytes().to_vec()),
                        _ => {
                            return Err(fail(
                                "function_name argument given to redis.register_function must be a string",
                            ))
                        }
                    },
                    b"description" => match &v {
                        LuaValue::String(s) => description = Some(s.as_bytes().to_vec()),
                        _ => {
                            return Err(fail("description argument given to redis.register_function must be a string"))
                        }
                    },
                    b"callback" => match v {
                        LuaValue::Function(f) => callback = Some(f),
                        _ => return Err(fail("callback argument given to redis.register_function must be a function")),
                    },
                    b"flags" => {
                        match &v {
                            LuaValue::Table(f) => flags = parse_flags(lua, f)?,
                            _ => return Err(fail(
                                "flags argument to redis.register_function must be a table representing function flags",
                            )),
                        }
                    }
                    _ => return Err(fail("unknown argument given to redis.register_function")),
                }
            }
            let name = name.ok_or_else(|| fail("redis.register_function must get a function name argument"))?;
            let callback = callback.ok_or_else(|| fail("redis.register_function must get a callback argument"))?;
            (name, callback, flags, description)
        }
        2 => {
            let Some(name) = text(&a[0])
                .filter(|_| matches!(a[0], LuaValue::String(_) | LuaValue::Number(_) | LuaValue::Integer(_)))
            else {
                return Err(fail("first argument to redis.register_function must be a string"));
            };
            let LuaValue::Function(callback) = a[1].clone() else {
                return Err(fail("second argument to redis.register_function must be a function"));
            };
            (name, callback, Vec::new(), None)
        }
        _ => return Err(fail("wrong number of arguments to redis.register_function")),
    };
    if !valid_name(&name) {
        return Err(fail(BAD_NAME));
    }
    Ok((String::from_utf8_lossy(&name).into_owned(), Func { callback, flags, description }))
}

fn parse_flags(lua: &Lua, t: &Table) -> mlua::Result<Vec<&'static str>> {
    let mut out = Vec::new();
    for v in t.sequence_values::<LuaValue>() {
        let name = lua.coerce_string(v?)?.map(|s| s.to_string_lossy()).unwrap_or_default();
        match SCRIPT_FLAGS.iter().find(|f| **f == name) {
            Some(f) => out.push(*f),
            None => return Err(raise(Raised::Reply("ERR unknown flag given".into()))),
        }
    }
    Ok(out)
}

/// Runs a library's code in the load environment; the functions it registered.
fn register(vm: &FunctionsVm, code: &[u8]) -> Result<BTreeMap<String, Func>, String> {
    let f = vm
        .engine
        .compile_in(code, "@user_function", Some(&vm.env))
        .map_err(|m| format!("Error compiling function: {m}"))?;
    let registered: RefCell<BTreeMap<String, Func>> = RefCell::default();
    let lua = vm.engine.lua();
    let outcome = lua.scope(|scope| {
        let register = scope.create_function(|lua, a: MultiValue| {
            let (name, func) = registration(lua, a)?;
            let mut done = registered.borrow_mut();
            if done.contains_key(&name) {
                return Err(raise(Raised::Reply("ERR Function already exists in the library".into())));
            }
            done.insert(name, func);
            Ok(())
        })?;
        vm.load_redis.raw_set("register_function", register)?;
        vm.set_loading.call::<()>(true)?;
        let out = vm.engine.protected_call(&f);
        vm.set_loading.call::<()>(false)?;
        vm.load_redis.raw_set("register_function", LuaValue::Nil)?;
        out
    });
    match outcome {
        Ok(Ok(())) => Ok(registered.into_inner()),
        Ok(Err(text)) => Err(format!("Error registering functions: {text}")),
        Err(e) => Err(format!("Error registering functions: {e}")),
    }
}

/// FUNCTION LOAD [REPLACE] code
pub fn function_load(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (replace, code) = match argv.len() {
        3 => (false, &argv[2]),
        4 if is_kw(&argv[2], "replace") => (true, &argv[3]),
        _ => return Err(CmdError::msg(format!("ERR Unknown option given: {}", String::from_utf8_lossy(&argv[2])))),
    };
    let err = |m: String| CmdError::msg(format!("ERR {m}"));
    let (name, body_at) = metadata(code).map_err(err)?;
    if ctx.st.scripting.functions.libs.contains_key(&name) && !replace {
        return Err(err(format!("Library '{name}' already exists")));
    }
    if ctx.st.scripting.functions.vm.is_none() {
        ctx.st.scripting.functions.vm = Some(new_functions_vm(ctx)?);
    }
    let libraries = &mut ctx.st.scripting.functions;
    let Some(vm) = libraries.vm.as_deref() else { return Err(err("Lua VM could not start".into())) };
    let functions = register(vm, &code[body_at..]).map_err(err)?;
    if functions.is_empty() {
        return Err(err("No functions registered".into()));
    }
    for f in functions.keys() {
        let elsewhere = libraries.libs.iter().any(|(lib, l)| *lib != name && l.functions.contains_key(f));
        if elsewhere {
            return Err(err(format!("Function {f} already exists")));
        }
    }
    libraries.libs.insert(name.clone(), Library { code: code.clone(), functions });
    Ok(Value::bulk(name))
}

/// FUNCTION DELETE library
pub fn function_delete(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let name = String::from_utf8_lossy(&argv[2]).into_owned();
    match ctx.st.scripting.functions.libs.remove(&name) {
        Some(_) => Ok(Value::ok()),
        None => Err(CmdError::msg("ERR Library not found")),
    }
}

/// FUNCTION FLUSH [ASYNC|SYNC]
pub fn function_flush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    match argv.get(2) {
        None => {}
        Some(a) if argv.len() == 3 && (is_kw(a, "sync") || is_kw(a, "async")) => {}
        Some(_) => return Err(CmdError::msg("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")),
    }
    ctx.st.scripting.functions = Libraries::default();
    Ok(Value::ok())
}

/// FUNCTION KILL: a running function is killed without the lock (see `control`); here none
/// runs.
pub fn function_kill(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Err(CmdError::msg("NOTBUSY No scripts in execution right now."))
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
pub fn function_list(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (mut with_code, mut pattern): (bool, Option<&[u8]>) = (false, None);
    let mut i = 2;
    while i < argv.len() {
        let arg = &argv[i];
        if !with_code && is_kw(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && is_kw(arg, "libraryname") {
            let Some(p) = argv.get(i + 1) else {
                return Err(CmdError::msg("ERR library name argument was not given"));
            };
            pattern = Some(p);
            i += 1;
        } else {
            return Err(CmdError::msg(format!("ERR Unknown argument {}", String::from_utf8_lossy(arg))));
        }
        i += 1;
    }
    let text = |s: &str| Value::bulk(s);
    let libs = ctx.st.scripting.functions.libs.iter();
    let listed = libs.filter(|(name, _)| pattern.is_none_or(|p| glob_match(p, name.as_bytes(), false)));
    let out = listed
        .map(|(name, lib)| {
            let functions = lib.functions.iter().map(|(fname, f)| {
                Value::Map(vec![
                    (text("name"), text(fname)),
                    (text("description"), f.description.clone().map_or(Value::Nil, Value::Bulk)),
                    (text("flags"), Value::Set(f.flags.iter().map(|fl| Value::simple(fl)).collect())),
                ])
            });
            let mut fields = vec![
                (text("library_name"), text(name)),
                (text("engine"), text("LUA")),
                (text("functions"), Value::Array(functions.collect())),
            ];
            if with_code {
                fields.push((text("library_code"), Value::Bulk(lib.code.clone())));
            }
            Value::Map(fields)
        })
        .collect();
    Ok(Value::Array(out))
}

fn run(ctx: &mut Ctx, argv: &[Vec<u8>], read_only: bool) -> CmdResult {
    let name = String::from_utf8_lossy(&argv[1]).into_owned();
    let Some(f) = ctx.st.scripting.functions.find(&name) else {
        return Err(CmdError::msg("ERR Function not found"));
    };
    let (callback, no_writes) = (f.callback.clone(), f.flags.contains(&"no-writes"));
    if crate::sim::command::arg_i64(&argv[2]).is_err() {
        return Err(CmdError::msg("ERR Bad number of keys provided"));
    }
    let n = numkeys(argv)?;
    if read_only && !no_writes {
        return Err(CmdError::msg("ERR Can not execute a script with write flag using *_ro command."));
    }
    let Some(vm) = ctx.st.scripting.functions.vm.take() else {
        return Err(CmdError::msg("ERR Function not found"));
    };
    let spec = RunSpec { name: &name, read_only: read_only || no_writes, function: true };
    let out = vm.engine.run(ctx, &callback, &argv[3..3 + n], &argv[3 + n..], spec);
    ctx.st.scripting.functions.vm = Some(vm);
    out
}

/// FCALL function numkeys key… arg…
pub fn fcall(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    run(ctx, argv, false)
}

/// FCALL_RO function numkeys key… arg…
pub fn fcall_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    run(ctx, argv, true)
}

/// FUNCTION HELP
pub fn function_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    ))
}
