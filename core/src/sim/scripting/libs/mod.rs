//! The libraries Redis adds to its Lua VM, written in Rust with the results of Redis's C
//! versions: cjson, cmsgpack, bit, struct, and `math.random`/`math.randomseed` on Redis's
//! rand48 generator (its state is the simulator's, see [`Rand48`]). Their errors are raised
//! as `luaL_error` raises them (see [`super::engine::lua_error`]).

mod bit;
mod cjson;
mod cmsgpack;
mod random;
mod structlib;

pub use super::engine::lua_error;
use mlua::{Lua, MultiValue, Table, Value as LuaValue};

pub use random::Rand48;

/// Loads every library into the VM's globals.
pub fn install(lua: &Lua, rand: &Rand48) -> mlua::Result<()> {
    random::install(lua, rand)?;
    bit::install(lua)?;
    cjson::install(lua)?;
    cmsgpack::install(lua)?;
    structlib::install(lua)?;
    Ok(())
}

/// A library table being filled with Rust functions.
pub struct Lib<'l> {
    lua: &'l Lua,
    table: Table,
}

impl<'l> Lib<'l> {
    /// An empty library.
    pub fn new(lua: &'l Lua) -> mlua::Result<Self> {
        Ok(Lib { lua, table: lua.create_table()? })
    }

    /// Adds a function taking the raw arguments.
    pub fn add<R: mlua::IntoLuaMulti>(
        &mut self,
        name: &str,
        f: impl Fn(&Lua, MultiValue) -> mlua::Result<R> + Send + 'static,
    ) -> mlua::Result<()> {
        self.table.raw_set(name, self.lua.create_function(f)?)
    }

    /// Sets a field.
    pub fn set(&mut self, name: &str, v: impl mlua::IntoLua) -> mlua::Result<()> {
        self.table.raw_set(name, v)
    }

    /// Publishes the table as the global `name`.
    pub fn finish(self, name: &str) -> mlua::Result<()> {
        self.lua.globals().raw_set(name, self.table)
    }
}

/// Lua's name for the type of argument `i` (1-based) in `a`, `no value` when absent.
fn type_name(a: &MultiValue, i: usize) -> &'static str {
    a.get(i - 1).map_or("no value", |v| v.type_name())
}

/// `luaL_argerror`: `bad argument #i to 'f' (msg)`.
pub fn arg_error(lua: &Lua, i: usize, f: &str, msg: &str) -> mlua::Error {
    lua_error(lua, &format!("bad argument #{i} to '{f}' ({msg})"))
}

/// `luaL_checknumber`: a number or a numeric string.
pub fn check_number(lua: &Lua, a: &MultiValue, i: usize, f: &str) -> mlua::Result<f64> {
    match a.get(i - 1) {
        Some(LuaValue::Number(n)) => Ok(*n),
        Some(LuaValue::Integer(n)) => Ok(*n as f64),
        Some(v @ LuaValue::String(_)) => match lua.coerce_number(v.clone())? {
            Some(n) => Ok(n),
            None => Err(arg_error(lua, i, f, "number expected, got string")),
        },
        _ => Err(arg_error(lua, i, f, &format!("number expected, got {}", type_name(a, i)))),
    }
}

/// `luaL_checklstring`: a string or a number (as Lua writes it).
pub fn check_string(lua: &Lua, a: &MultiValue, i: usize, f: &str) -> mlua::Result<Vec<u8>> {
    match a.get(i - 1) {
        Some(LuaValue::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(v @ (LuaValue::Number(_) | LuaValue::Integer(_))) => {
            Ok(lua.coerce_string(v.clone())?.map(|s| s.as_bytes().to_vec()).unwrap_or_default())
        }
        _ => Err(arg_error(lua, i, f, &format!("string expected, got {}", type_name(a, i)))),
    }
}
