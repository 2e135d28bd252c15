//! What a simulator served over TCP (redkit-server) needs from the engine: the snapshot file SAVE
//! and SHUTDOWN write, a SHUTDOWN request the host acts on, a pending `REDKIT.ADVANCE` of a
//! manual clock, the CLIENT PAUSE window the host enforces, and how far a subscriber may fall
//! behind. Commands only record these in
//! [`HostState`] under the simulator's lock; the connection that ran them applies the clock move
//! right after ([`crate::sim::Connection`]) and the server reads the rest.

use super::state::State;
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
