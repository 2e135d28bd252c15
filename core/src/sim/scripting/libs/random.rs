//! `math.random` and `math.randomseed` as Redis patches them: Redis's rand48 generator
//! (redisLrand48). Like Redis 7.0's process-wide generator, its state starts at rand48's
//! default seed, belongs to the simulator (it survives SCRIPT FLUSH) and is not reseeded
//! between scripts; `math.randomseed(n)` reseeds it.

use mlua::{Lua, MultiValue, Value as LuaValue};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// REDIS_LRAND48_MAX (INT32_MAX).
const LRAND48_MAX: u64 = i32::MAX as u64;

/// rand48's state before any seed (X2, X1, X0 = 0x1234, 0xABCD, 0x330E).
const INITIAL: u64 = 0x1234_ABCD_330E;

/// The generator's 48-bit state, shared by the simulator's script VMs.
#[derive(Debug, Clone)]
pub struct Rand48(Arc<AtomicU64>);

impl Default for Rand48 {
    fn default() -> Self {
        Rand48(Arc::new(AtomicU64::new(INITIAL)))
    }
}

impl Rand48 {
    fn next(&self) -> u64 {
        let x = (A.wrapping_mul(self.0.load(Ordering::Relaxed)).wrapping_add(C)) & MASK;
        self.0.store(x, Ordering::Relaxed);
        x >> 17
    }

    fn seed(&self, seed: i32) {
        self.0.store(seed_state(seed), Ordering::Relaxed);
    }
}

const fn seed_state(seed: i32) -> u64 {
    (((seed as u32 as u64) << 16) | 0x330E) & MASK
}

use super::super::engine::lua_error as fail;

fn arg_int(lua: &Lua, v: &LuaValue, n: usize) -> mlua::Result<i64> {
    lua.coerce_number(v.clone())?
        .map(|x| x as i64)
        .ok_or_else(|| fail(lua, &format!("bad argument #{n} to 'random' (number expected, got {})", v.type_name())))
}

/// Replaces math.random and math.randomseed.
pub fn install(lua: &Lua, rand: &Rand48) -> mlua::Result<()> {
    let math: mlua::Table = lua.globals().raw_get("math")?;
    let gen = rand.clone();
    let random = lua.create_function(move |lua, a: MultiValue| {
        let r = (gen.next() % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
        match a.len() {
            0 => Ok(r),
            1 => {
                let u = arg_int(lua, &a[0], 1)?;
                if u < 1 {
                    return Err(fail(lua, "bad argument #1 to 'random' (interval is empty)"));
                }
                Ok((r * u as f64).floor() + 1.0)
            }
            2 => {
                let l = arg_int(lua, &a[0], 1)?;
                let u = arg_int(lua, &a[1], 2)?;
                if l > u {
                    return Err(fail(lua, "bad argument #2 to 'random' (interval is empty)"));
                }
                Ok((r * (u - l + 1) as f64).floor() + l as f64)
            }
            _ => Err(fail(lua, "wrong number of arguments")),
        }
    })?;
    math.raw_set("random", random)?;
    let gen = rand.clone();
    let randomseed = lua.create_function(move |lua, a: MultiValue| {
        let seed = match a.front() {
            Some(v) => lua.coerce_number(v.clone())?.map(|x| x as i64 as i32),
            None => None,
        };
        let seed = seed.ok_or_else(|| fail(lua, "bad argument #1 to 'randomseed' (number expected, got no value)"))?;
        gen.seed(seed);
        Ok(())
    })?;
    math.raw_set("randomseed", randomseed)?;
    Ok(())
}
