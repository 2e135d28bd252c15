//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP: the script cache
//! (compiled functions by SHA1 in the EVAL VM) and running a cached script.

use super::engine::{CachedScript, Engine, RunSpec, SCRIPT_FLAGS};
use super::Scripting;
use crate::resp::Value;
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Ctx};
use crate::sim::commands::server::help_reply;

/// A new VM sharing the simulator's random generator.
pub fn new_vm(scripting: &Scripting) -> Result<Box<Engine>, CmdError> {
    Engine::new(&scripting.rand).map(Box::new).map_err(|e| CmdError::msg(format!("ERR Lua VM could not start: {e}")))
}

/// The EVAL VM, created on first use.
fn vm(scripting: &mut Scripting) -> Result<&mut Engine, CmdError> {
    if scripting.eval.is_none() {
        scripting.eval = Some(new_vm(scripting)?);
    }
    scripting.eval.as_deref_mut().ok_or_else(|| CmdError::msg("ERR Lua VM could not start"))
}

/// The SHA1 of a script body, lowercase hex.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// A `#!lua [flags=a,b]` first line: its flags and where the code after it starts (at the
/// newline, so line numbers hold); `None` for a body without one. Redis 7.0.15's errors.
fn shebang(body: &[u8]) -> Result<Option<(Vec<&'static str>, usize)>, CmdError> {
    if !body.starts_with(b"#!") {
        return Ok(None);
    }
    let Some(end) = body.iter().position(|&c| c == b'\n') else {
        return Err(CmdError::msg("ERR Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or_default();
    if engine != "#!lua" {
        return Err(CmdError::msg(format!("ERR Unexpected engine in script shebang: {engine}")));
    }
    let mut flags = Vec::new();
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(CmdError::msg(format!("ERR Unknown lua shebang option: {part}")));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            match SCRIPT_FLAGS.iter().find(|f| **f == flag) {
                Some(f) => flags.push(*f),
                None => return Err(CmdError::msg(format!("ERR Unexpected flag in script shebang: {flag}"))),
            }
        }
    }
    Ok(Some((flags, end)))
}

/// Compiles `body` into the cache (if new); its SHA1.
fn load(engine: &mut Engine, body: &[u8]) -> Result<String, CmdError> {
    let sha = sha1_hex(body);
    if !engine.scripts.contains_key(&sha) {
        let (shebang, code) = match shebang(body)? {
            Some((flags, end)) => (Some(flags), &body[end..]),
            None => (None, body),
        };
        let f = engine
            .compile(code, "@user_script")
            .map_err(|m| CmdError::msg(format!("ERR Error compiling script (new function): {m}")))?;
        engine.scripts.insert(sha.clone(), CachedScript { f, shebang });
    }
    Ok(sha)
}

/// `numkeys` of EVAL/FCALL, checked as Redis does.
pub fn numkeys(argv: &[Vec<u8>]) -> Result<usize, CmdError> {
    let n = arg_i64(&argv[2])?;
    if n > (argv.len() - 3) as i64 {
        return Err(CmdError::msg("ERR Number of keys can't be greater than number of args"));
    }
    if n < 0 {
        return Err(CmdError::msg("ERR Number of keys can't be negative"));
    }
    Ok(n as usize)
}

fn run(ctx: &mut Ctx, argv: &[Vec<u8>], by_sha: bool, read_only: bool) -> CmdResult {
    let n = numkeys(argv)?;
    let mut engine = match ctx.st.scripting.eval.take() {
        Some(e) => e,
        None => new_vm(&ctx.st.scripting)?,
    };
    let sha =
        if by_sha { Ok(String::from_utf8_lossy(&argv[1]).to_ascii_lowercase()) } else { load(&mut engine, &argv[1]) };
    let out = sha.and_then(|sha| match engine.scripts.get(&sha) {
        None => Err(CmdError::msg("NOSCRIPT No matching script. Please use EVAL.")),
        Some(script) => {
            // A shebang declares whether the script writes; without one, EVAL_RO refuses writes
            // as they come.
            let no_writes = script.shebang.as_ref().map(|flags| flags.contains(&"no-writes"));
            if read_only && no_writes == Some(false) {
                return Err(CmdError::msg("ERR Can not execute a script with write flag using *_ro command."));
            }
            let spec = RunSpec { name: &sha, read_only: read_only || no_writes == Some(true), function: false };
            engine.run(ctx, &script.f, &argv[3..3 + n], &argv[3 + n..], spec)
        }
    });
    // SCRIPT FLUSH cannot run inside a script: the slot is still empty.
    ctx.st.scripting.eval = Some(engine);
    out
}

/// EVAL script numkeys key… arg…
pub fn eval(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    run(ctx, argv, false, false)
}

/// EVALSHA sha1 numkeys key… arg…
pub fn evalsha(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    run(ctx, argv, true, false)
}

/// EVAL_RO script numkeys key… arg…
pub fn eval_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    run(ctx, argv, false, true)
}

/// EVALSHA_RO sha1 numkeys key… arg…
pub fn evalsha_ro(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    run(ctx, argv, true, true)
}

/// SCRIPT LOAD script
pub fn script_load(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let engine = vm(&mut ctx.st.scripting)?;
    Ok(Value::bulk(load(engine, &argv[2])?))
}

/// SCRIPT EXISTS sha1…
pub fn script_exists(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let known = |sha: &[u8]| {
        let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
        ctx.st.scripting.eval.as_ref().is_some_and(|e| e.scripts.contains_key(&sha))
    };
    Ok(Value::Array(argv[2..].iter().map(|s| Value::Int(known(s) as i64)).collect()))
}

/// SCRIPT FLUSH [ASYNC|SYNC]: a new VM, an empty cache.
pub fn script_flush(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    match argv.get(2) {
        None => {}
        Some(a) if argv.len() == 3 && (is_kw(a, "sync") || is_kw(a, "async")) => {}
        Some(_) => return Err(CmdError::msg("ERR SCRIPT FLUSH only support SYNC|ASYNC option")),
    }
    ctx.st.scripting.eval = None;
    Ok(Value::ok())
}

/// SCRIPT KILL: a running script is killed without the lock (see `control`); here none runs.
pub fn script_kill(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Err(CmdError::msg("NOTBUSY No scripts in execution right now."))
}

/// SCRIPT HELP
pub fn script_help(_ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(help_reply(
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    ))
}
