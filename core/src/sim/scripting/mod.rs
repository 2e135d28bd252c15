//! Lua scripting in the simulator, as Redis 7.0.15 runs it: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO,
//! SCRIPT LOAD|EXISTS|FLUSH|KILL, FUNCTION LOAD|DELETE|LIST|FLUSH|KILL and FCALL/FCALL_RO, on
//! Lua 5.1 (mlua, vendored) behind the core's `lua` feature. A script runs atomically: under
//! the simulator's lock, like EXEC, with `redis.call` going through the same nested dispatch
//! ([`crate::sim::dispatch::call_nested`]). Without the feature (wasm32), these commands answer
//! [`UNAVAILABLE`].
//!
//! The parts: [`commands`] (the table entries), `engine` (the VM, its sandbox and how one script
//! runs), `bridge` (`redis.call` and the rest of the `redis` table), `convert` (replies ⇄ Lua
//! values), `libs` (cjson, cmsgpack, bit, struct, math.random), `functions` (FUNCTION/FCALL),
//! [`control`] (BUSY and SCRIPT KILL across connections, without the lock).

pub mod commands;
pub mod control;

#[cfg(feature = "lua")]
mod bridge;
#[cfg(feature = "lua")]
mod convert;
#[cfg(feature = "lua")]
mod engine;
#[cfg(feature = "lua")]
mod eval;
#[cfg(feature = "lua")]
mod functions;
#[cfg(feature = "lua")]
mod libs;

/// The error every scripting command answers in a build without Lua.
pub const UNAVAILABLE: &str = "ERR scripting is not available: redkit was built without its `lua` feature";

/// The scripting state behind the simulator's lock: the EVAL script cache and VM, the function
/// libraries and their VM. Each VM is created on first use and taken out while a script runs.
#[derive(Default)]
pub struct Scripting {
    /// The VM of EVAL scripts and their compiled functions by SHA1 (SCRIPT FLUSH drops it).
    #[cfg(feature = "lua")]
    eval: Option<Box<engine::Engine>>,
    /// The function libraries and their VM (FUNCTION FLUSH drops them).
    #[cfg(feature = "lua")]
    functions: functions::Libraries,
    /// `math.random`'s generator, shared by both VMs and kept across SCRIPT FLUSH.
    #[cfg(feature = "lua")]
    rand: libs::Rand48,
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripting")
    }
}
