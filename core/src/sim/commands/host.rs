//! Commands served together with a host (redkit-server): `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]
//! [ABORT]`, MONITOR, CLIENT PAUSE / UNPAUSE and `REDKIT.ADVANCE ms`, redkit's own admin command that moves
//! a manual clock. They record what the host must do in [`crate::sim::host::HostState`]; saving
//! the snapshot happens here, under the lock, like Redis's SAVE blocks the server.

use crate::cmd;
use crate::resp::Value;
use crate::sim::command::{is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::errors;
use crate::sim::host::{save_snapshot, Pause};

/// Longest clock move one `REDKIT.ADVANCE` accepts: about 139 years in milliseconds.
const MAX_ADVANCE_MS: i64 = 1 << 42;

/// The host commands (CLIENT PAUSE / UNPAUSE are in the CLIENT container).
pub static COMMANDS: &[Command] = &[
    cmd!(
        "shutdown",
        -1,
        "admin noscript loading stale no_multi sentinel allow_busy",
        0,
        0,
        0,
        shutdown,
        "server",
        "Synchronously save the dataset to disk and then shut down the server"
    ),
    cmd!(
        "monitor",
        1,
        "admin noscript loading stale",
        0,
        0,
        0,
        monitor,
        "server",
        "Listen for all requests received by the server in real time"
    ),
    cmd!(
        "redkit.advance",
        2,
        "admin noscript loading stale fast",
        0,
        0,
        0,
        advance,
        "server",
        "Move the simulator's manual clock forward by milliseconds (redkit-server --manual-clock)"
    ),
];

/// SHUTDOWN: with a snapshot file configured, saves first (unless NOSAVE); a failed save answers
/// Redis's error and the server keeps running (unless FORCE). The host then closes every
/// connection without a reply, as redis-server exits.
fn shutdown(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (mut nosave, mut save, mut force, mut abort, mut any) = (false, false, false, false, false);
    for a in &argv[1..] {
        if is_kw(a, "nosave") {
            nosave = true;
        } else if is_kw(a, "save") {
            save = true;
        } else if is_kw(a, "now") {
        } else if is_kw(a, "force") {
            force = true;
        } else if is_kw(a, "abort") {
            abort = true;
            continue;
        } else {
            return Err(errors::syntax());
        }
        any = true;
    }
    if (abort && any) || (nosave && save) {
        return Err(errors::syntax());
    }
    if abort {
        return Err(CmdError::msg("ERR No shutdown in progress."));
    }
    if !ctx.st.host.attached {
        return Err(CmdError::msg("ERR SHUTDOWN needs redkit-server: an in-process simulator has no server to stop"));
    }
    if !nosave && save_snapshot(ctx.st, ctx.now_ms).is_err() && !force {
        return Err(CmdError::msg("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    ctx.st.host.shutdown = true;
    Ok(Value::ok())
}

/// MONITOR: from now on the client receives a line for every command run (see
/// [`crate::sim::host::feed_monitors`]), as out-of-band frames a server writes as they come.
fn monitor(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    if !ctx.st.host.monitors.contains(&ctx.cl.id) {
        ctx.st.host.monitors.push(ctx.cl.id);
    }
    Ok(Value::ok())
}

/// REDKIT.ADVANCE ms: moves a manual clock (applied right after the command, which also expires
/// keys and times out blocked clients); answers the new time in milliseconds.
fn advance(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !ctx.st.host.manual_clock {
        return Err(CmdError::msg("ERR REDKIT.ADVANCE needs a manual clock (start redkit-server with --manual-clock)"));
    }
    let ms = crate::sim::command::arg_i64(&argv[1])?;
    if !(0..=MAX_ADVANCE_MS).contains(&ms) {
        return Err(CmdError::msg("ERR milliseconds must be between 0 and 4398046511104"));
    }
    let host = &mut ctx.st.host;
    host.advance_us = host.advance_us.saturating_add(ms as u64 * 1000);
    Ok(Value::Int((ctx.now_us.saturating_add(host.advance_us) / 1000) as i64))
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`: the host holds back every command (ALL, the default) or
/// the ones that may write (WRITE) until `timeout` ms of the simulator's clock have passed. A
/// longer or stronger pause already in effect is kept, as Redis does.
pub fn client_pause(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 4 {
        return Err(super::pubsub::subcommand_syntax_error(argv));
    }
    let mut all = true;
    if let Some(mode) = argv.get(3) {
        if is_kw(mode, "write") {
            all = false;
        } else if !is_kw(mode, "all") {
            return Err(CmdError::msg("ERR CLIENT PAUSE mode must be WRITE or ALL"));
        }
    }
    let ms = crate::sim::float::parse_i64(&argv[2])
        .ok_or_else(|| CmdError::msg("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(errors::negative_timeout());
    }
    let until_ms = ctx.now_ms.saturating_add(ms as u64);
    let pause = match ctx.st.host.pause.filter(|p| p.until_ms > ctx.now_ms) {
        Some(p) => Pause { until_ms: p.until_ms.max(until_ms), all: p.all || all },
        None => Pause { until_ms, all },
    };
    ctx.st.host.pause = Some(pause);
    Ok(Value::ok())
}

/// CLIENT UNPAUSE: ends the pause at once.
pub fn client_unpause(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    ctx.st.host.pause = None;
    Ok(Value::ok())
}

#[cfg(test)]
mod tests {
    use crate::resp::Value;
    use crate::sim::{Clock, Simulator};

    #[test]
    fn redkit_advance_moves_a_manual_clock_in_process_too() {
        let sim = Simulator::with_clock(Clock::manual(5_000));
        let mut c = sim.connect();
        c.execute(&["SET", "k", "v", "PX", "100"]);
        assert_eq!(c.execute(&["REDKIT.ADVANCE", "101"]), Value::Int(5_101));
        assert_eq!(c.execute(&["GET", "k"]), Value::Nil);
        assert_eq!(sim.clock().now_ms(), 5_101);
        assert!(Simulator::new().connect().execute(&["REDKIT.ADVANCE", "1"]).is_error());
    }

    #[test]
    fn shutdown_needs_a_server_and_monitor_feeds_pushes() {
        let sim = Simulator::with_clock(Clock::manual(1_700_000_000_000));
        let mut c = sim.connect();
        assert!(c.execute(&["SHUTDOWN"]).is_error());
        assert_eq!(c.execute(&["SHUTDOWN", "ABORT"]), Value::error("ERR No shutdown in progress."));
        assert_eq!(c.execute(&["SHUTDOWN", "NOW", "ABORT"]), Value::error("ERR syntax error"));
        let mut monitor = sim.connect();
        assert_eq!(monitor.execute(&["MONITOR"]), Value::ok());
        c.execute(&["SET", "k", "v"]);
        let Some(Value::Simple(line)) = monitor.pop_push() else { panic!("a monitor line") };
        let line = String::from_utf8_lossy(&line).into_owned();
        assert!(line.starts_with("1700000000.000000 [0 ") && line.ends_with("] \"SET\" \"k\" \"v\""), "{line}");
    }
}
