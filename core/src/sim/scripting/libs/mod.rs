//! The libraries Redis adds to its Lua VM, written in Rust with the results of Redis's C
//! versions: cjson, cmsgpack, bit, struct, and `math.random`/`math.randomseed` on Redis's
//! rand48 generator (its state is the simulator's, see [`Rand48`]).

mod random;

use mlua::Lua;

pub use random::Rand48;

/// Loads every library into the VM's globals.
pub fn install(lua: &Lua, rand: &Rand48) -> mlua::Result<()> {
    random::install(lua, rand)?;
    Ok(())
}
