//! FUNCTION LOAD|DELETE|LIST|FLUSH|KILL|HELP and FCALL/FCALL_RO: libraries of Lua functions.
//! (Placeholder until the library registry lands.)

use crate::sim::command::{CmdError, CmdResult, Ctx};

fn todo_reply() -> CmdResult {
    Err(CmdError::msg("ERR FUNCTION is not implemented yet"))
}

/// FCALL
pub fn fcall(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
/// FCALL_RO
pub fn fcall_ro(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
/// FUNCTION DELETE
pub fn function_delete(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
/// FUNCTION FLUSH
pub fn function_flush(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
/// FUNCTION HELP
pub fn function_help(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
/// FUNCTION KILL
pub fn function_kill(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
/// FUNCTION LIST
pub fn function_list(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
/// FUNCTION LOAD
pub fn function_load(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    todo_reply()
}
