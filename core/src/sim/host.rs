//! What a simulator served over TCP (redkit-server) needs from the engine: the snapshot file SAVE
//! and SHUTDOWN write, a SHUTDOWN request the host acts on, a pending `REDKIT.ADVANCE` of a
//! manual clock, the CLIENT PAUSE window the host enforces, and how far a subscriber may fall
//! behind. Commands only record these in
//! [`HostState`] under the simulator's lock; the connection that ran them applies the clock move
//! right after ([`crate::sim::Connection`]) and the server reads the rest.

use super::client::Client;
use super::state::State;
use crate::resp::Value;
use std::path::PathBuf;

/// CLIENT PAUSE in effect: until when, and whether every command waits or only writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// End of the pause, simulator-clock milliseconds.
    pub until_ms: u64,
    /// `ALL`: every command waits; `WRITE`: only commands that may write.
    pub all: bool,
}

/// The host's part of the shared state.
#[derive(Debug, Default)]
pub struct HostState {
    /// A server hosts this simulator: SHUTDOWN is accepted (an in-process simulator refuses it).
    pub attached: bool,
    /// The port a server listens on (INFO `tcp_port`; 6379 when there is none).
    pub tcp_port: Option<u16>,
    /// The clock is manual: `REDKIT.ADVANCE` may move it.
    pub manual_clock: bool,
    /// Where SAVE, BGSAVE and SHUTDOWN write the snapshot (`redkit-server --save FILE`).
    pub snapshot_path: Option<PathBuf>,
    /// SHUTDOWN succeeded (after saving, unless NOSAVE): the host closes every connection.
    pub shutdown: bool,
    /// Microseconds `REDKIT.ADVANCE` asked the clock to move, applied after the command.
    pub advance_us: u64,
    /// CLIENT PAUSE.
    pub pause: Option<Pause>,
    /// MONITOR clients, fed every command other clients run ([`feed_monitors`]).
    pub monitors: Vec<u64>,
    /// Most out-of-band frames (pub/sub messages) a client may have waiting before it is
    /// disconnected; 0: no limit (an in-process simulator, whose caller drains them itself).
    pub max_pending_pushes: usize,
}

impl HostState {
    /// The pause that holds back a command now: `is_write` says whether the command may write.
    pub fn pause_for(&self, now_ms: u64, is_write: impl FnOnce() -> bool) -> Option<Pause> {
        self.pause.filter(|p| now_ms < p.until_ms && (p.all || is_write()))
    }
}

/// Writes the dataset to the configured snapshot file (atomically: a temporary file renamed
/// over it). `Ok(false)` when no file is configured.
pub fn save_snapshot(st: &mut State, now_ms: u64) -> Result<bool, String> {
    let Some(path) = st.host.snapshot_path.clone() else { return Ok(false) };
    let bytes = super::snapshot::encode_state(st, now_ms).map_err(|e| e.to_string())?;
    super::snapshot::write_atomically(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    st.dirty = 0;
    Ok(true)
}

/// True when MONITOR shows argument `i` of `argv` as `(redacted)`: passwords of AUTH and of
/// HELLO's AUTH option, like Redis.
fn redacted(argv: &[Vec<u8>], i: usize) -> bool {
    let is = |j: usize, name: &str| argv.get(j).is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()));
    (is(0, "auth") && i > 0) || (is(0, "hello") && i >= 3 && (is(i - 1, "auth") || is(i - 2, "auth")))
}

/// Appends `arg` quoted the way Redis's `sdscatrepr` does: `"…"` with `\\ \" \n \r \t \a \b`
/// and `\xHH` for other unprintable bytes.
fn push_repr(line: &mut String, arg: &[u8]) {
    line.push('"');
    for &b in arg {
        match b {
            b'\\' => line.push_str("\\\\"),
            b'"' => line.push_str("\\\""),
            b'\n' => line.push_str("\\n"),
            b'\r' => line.push_str("\\r"),
            b'\t' => line.push_str("\\t"),
            7 => line.push_str("\\a"),
            8 => line.push_str("\\b"),
            b' '..=b'~' => line.push(b as char),
            _ => line.push_str(&format!("\\x{b:02x}")),
        }
    }
    line.push('"');
}

/// Sends every MONITOR client the line redis-server writes for a command `cl` ran:
/// `1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v"`.
pub fn feed_monitors(st: &mut State, cl: &Client, argv: &[Vec<u8>], now_us: u64) {
    let mut line = format!("{}.{:06} [{} {}]", now_us / 1_000_000, now_us % 1_000_000, cl.db, cl.addr);
    for (i, arg) in argv.iter().enumerate() {
        line.push(' ');
        push_repr(&mut line, if redacted(argv, i) { b"(redacted)" } else { arg });
    }
    for id in st.host.monitors.clone() {
        st.push_to(id, Value::Simple(line.clone().into_bytes()));
    }
}
