//! The scripting commands' table entries, flags and arities as Redis 7.0.15 declares them. With
//! the `lua` feature the handlers live in `eval` and `functions`; without it each one answers
//! [`super::UNAVAILABLE`].

use crate::sim::command::Command;
use crate::{cmd, container};

#[cfg(feature = "lua")]
use super::eval::{
    eval, eval_ro, evalsha, evalsha_ro, script_exists, script_flush, script_help, script_kill, script_load,
};
#[cfg(feature = "lua")]
use super::functions::{
    fcall, fcall_ro, function_delete, function_flush, function_help, function_kill, function_list, function_load,
};

/// Without Lua every handler is [`unavailable`].
#[cfg(not(feature = "lua"))]
macro_rules! unavailable_handlers {
    ($($name:ident),*) => { $(use unavailable as $name;)* };
}

#[cfg(not(feature = "lua"))]
unavailable_handlers!(
    eval,
    eval_ro,
    evalsha,
    evalsha_ro,
    script_exists,
    script_flush,
    script_help,
    script_kill,
    script_load,
    fcall,
    fcall_ro,
    function_delete,
    function_flush,
    function_help,
    function_kill,
    function_list,
    function_load
);

/// Every scripting command's answer in a build without Lua.
#[cfg(not(feature = "lua"))]
fn unavailable(_: &mut crate::sim::command::Ctx, _: &[Vec<u8>]) -> crate::sim::command::CmdResult {
    Err(crate::sim::command::CmdError::msg(super::UNAVAILABLE))
}

const RUN_FLAGS: &str = "noscript stale skip_monitor no_mandatory_keys movablekeys";
const RUN_RO_FLAGS: &str = "readonly noscript stale skip_monitor no_mandatory_keys movablekeys";

static SCRIPT_SUBCOMMANDS: &[Command] = &[
    cmd!(
        "exists",
        -3,
        "noscript",
        0,
        0,
        0,
        script_exists,
        "scripting",
        "Check existence of scripts in the script cache."
    ),
    cmd!("flush", -2, "noscript", 0, 0, 0, script_flush, "scripting", "Remove all the scripts from the script cache."),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        script_help,
        "scripting",
        "Show helpful text about the different subcommands"
    ),
    cmd!(
        "kill",
        2,
        "noscript allow_busy",
        0,
        0,
        0,
        script_kill,
        "scripting",
        "Kill the script currently in execution."
    ),
    cmd!(
        "load",
        3,
        "noscript stale",
        0,
        0,
        0,
        script_load,
        "scripting",
        "Load the specified Lua script into the script cache."
    ),
];

static FUNCTION_SUBCOMMANDS: &[Command] = &[
    cmd!("delete", 3, "write noscript", 0, 0, 0, function_delete, "scripting", "Delete a function by name"),
    cmd!("flush", -2, "write noscript", 0, 0, 0, function_flush, "scripting", "Deleting all functions"),
    cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        function_help,
        "scripting",
        "Show helpful text about the different subcommands"
    ),
    cmd!(
        "kill",
        2,
        "noscript allow_busy",
        0,
        0,
        0,
        function_kill,
        "scripting",
        "Kill the function currently in execution."
    ),
    cmd!("list", -2, "noscript", 0, 0, 0, function_list, "scripting", "List information about all the functions"),
    cmd!(
        "load",
        -3,
        "write denyoom noscript",
        0,
        0,
        0,
        function_load,
        "scripting",
        "Create a function with the given arguments (name, code, description)"
    ),
];

/// The scripting commands.
pub static COMMANDS: &[Command] = &[
    cmd!("eval", -3, RUN_FLAGS, 0, 0, 0, eval, "scripting", "Execute a Lua script server side"),
    cmd!("evalsha", -3, RUN_FLAGS, 0, 0, 0, evalsha, "scripting", "Execute a Lua script server side"),
    cmd!("eval_ro", -3, RUN_RO_FLAGS, 0, 0, 0, eval_ro, "scripting", "Execute a read-only Lua script server side"),
    cmd!(
        "evalsha_ro",
        -3,
        RUN_RO_FLAGS,
        0,
        0,
        0,
        evalsha_ro,
        "scripting",
        "Execute a read-only Lua script server side"
    ),
    cmd!("fcall", -3, RUN_FLAGS, 0, 0, 0, fcall, "scripting", "Invoke a function"),
    cmd!("fcall_ro", -3, RUN_RO_FLAGS, 0, 0, 0, fcall_ro, "scripting", "Invoke a read-only function"),
    container!("script", "", SCRIPT_SUBCOMMANDS, "scripting", "A container for Lua scripts management commands"),
    container!("function", "", FUNCTION_SUBCOMMANDS, "scripting", "A container for function commands"),
];
