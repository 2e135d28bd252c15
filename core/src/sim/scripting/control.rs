//! What other connections need to know about a running script, readable without the
//! simulator's lock (the script holds it): whether one runs, whether it has run past
//! `busy-reply-threshold` (then other clients get `BUSY` instead of waiting), whether it wrote
//! (then it cannot be killed), and whether SCRIPT KILL or FUNCTION KILL asked it to stop. The
//! running script's instruction hook reads and writes these atomics; [`ScriptControl::busy_reply`]
//! answers the other connections.

use crate::resp::Value;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// The state of the script that holds the lock, if any (shared by `Arc` between the state and
/// the simulator's connections).
#[derive(Debug, Default)]
pub struct ScriptControl {
    /// A script (EVAL/FCALL) is running.
    running: AtomicBool,
    /// It is an FCALL (the BUSY text and the KILL subcommand differ).
    function: AtomicBool,
    /// It ran longer than `busy-reply-threshold`: other clients get BUSY.
    busy: AtomicBool,
    /// It performed a write: it can no longer be killed.
    wrote: AtomicBool,
    /// Kill requested (set by SCRIPT KILL / FUNCTION KILL, read by the hook).
    kill: AtomicU8,
    /// Script commands (EVAL, FCALL …) on their way to the lock or running: while there is one,
    /// a command that finds the lock taken polls it instead of parking on it (a script may hold
    /// it for a long time before it marks itself running).
    pending: AtomicUsize,
}

/// Counts a script command as pending until dropped (see [`ScriptControl::pending_script`]).
pub struct PendingScript<'c>(&'c ScriptControl);

impl Drop for PendingScript<'_> {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// True for the commands that run a script.
fn runs_script(name: &[u8]) -> bool {
    const RUNNERS: [&[u8]; 6] = [b"eval", b"evalsha", b"eval_ro", b"evalsha_ro", b"fcall", b"fcall_ro"];
    RUNNERS.iter().any(|r| r.eq_ignore_ascii_case(name))
}

impl ScriptControl {
    /// Marks a script as started.
    pub fn start(&self, function: bool) {
        self.function.store(function, Ordering::SeqCst);
        self.busy.store(false, Ordering::SeqCst);
        self.wrote.store(false, Ordering::SeqCst);
        self.kill.store(0, Ordering::SeqCst);
        self.running.store(true, Ordering::SeqCst);
    }

    /// Marks the script as finished.
    pub fn finish(&self) {
        self.running.store(false, Ordering::SeqCst);
        self.busy.store(false, Ordering::SeqCst);
        self.kill.store(0, Ordering::SeqCst);
    }

    /// The script ran past the threshold (called by its hook).
    pub fn set_busy(&self) {
        self.busy.store(true, Ordering::SeqCst);
    }

    /// True while a script runs or a script command is on its way to the lock.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst) || self.pending.load(Ordering::SeqCst) > 0
    }

    /// Marks `argv` as pending while the guard lives, if it runs a script.
    pub fn pending_script(&self, argv: &[Vec<u8>]) -> Option<PendingScript<'_>> {
        if !argv.first().is_some_and(|name| runs_script(name)) {
            return None;
        }
        self.pending.fetch_add(1, Ordering::SeqCst);
        Some(PendingScript(self))
    }

    /// True while a script runs past the threshold.
    pub fn is_busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) && self.busy.load(Ordering::SeqCst)
    }

    /// The script wrote to the dataset (called before each write command it runs).
    pub fn set_wrote(&self) {
        self.wrote.store(true, Ordering::SeqCst);
    }

    /// True when SCRIPT KILL (or FUNCTION KILL) asked the running script to stop.
    pub fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::SeqCst) != 0
    }

    /// What a command of another connection gets while a script is busy: `None` lets it wait
    /// for the lock (no script, or not busy yet). SCRIPT KILL and FUNCTION KILL are answered
    /// here, without the lock; every other command gets BUSY.
    pub fn busy_reply(&self, argv: &[Vec<u8>]) -> Option<Value> {
        if !self.is_busy() {
            return None;
        }
        let word = |i: usize| argv.get(i).map(|a| a.to_ascii_lowercase()).unwrap_or_default();
        let (name, sub) = (word(0), word(1));
        let function = self.function.load(Ordering::SeqCst);
        let kill_of = |container: &[u8]| name == container && sub == b"kill" && argv.len() == 2;
        if kill_of(b"script") || kill_of(b"function") {
            if kill_of(b"script") == function {
                // The other kind's KILL is just another command refused as BUSY.
                return Some(busy(function));
            }
            if self.wrote.load(Ordering::SeqCst) {
                return Some(Value::error(
                    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
                ));
            }
            self.kill.store(1, Ordering::SeqCst);
            return Some(Value::ok());
        }
        Some(busy(function))
    }
}

/// The BUSY reply while a script (or, with `function`, an FCALL) runs.
fn busy(function: bool) -> Value {
    Value::error(if function {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    })
}
