//! `Simulator`: an in-memory Redis 7 server in the page (or the edge function), with the
//! manual clock tests move by hand (`advance(ms)`) or the host's clock (`Date.now()`).

use crate::client::Client;
use crate::convert::{millis, Options};
use crate::errors::{invalid, to_js};
use crate::ticker::Ticker;
use js_sys::Uint8Array;
use redkit::sim::{Clock, Simulator as CoreSimulator};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The host's clock: `Date.now()`, in microseconds since the epoch.
fn host_now_us() -> u64 {
    (js_sys::Date::now() * 1000.0) as u64
}

/// An in-memory Redis 7 server with an optional manual (virtual) clock.
#[wasm_bindgen]
pub struct Simulator {
    sim: CoreSimulator,
    ticker: Rc<Ticker>,
}

impl Simulator {
    /// Another handle on `sim` (a client's `simulator`), sharing its cron.
    pub(crate) fn of(sim: &CoreSimulator, ticker: &Rc<Ticker>) -> Simulator {
        Simulator { sim: sim.clone(), ticker: ticker.clone() }
    }
}

#[wasm_bindgen]
impl Simulator {
    /// A new, empty simulator.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "SimulatorOptions")] options: JsValue,
    ) -> Result<Simulator, JsValue> {
        let options = Options::new(&options, "Simulator options")?;
        let manual = options.bool("manualClock")?.unwrap_or(false);
        let clock = match (manual, options.number("start")?) {
            (false, Some(_)) => return Err(invalid("start needs manualClock: true (a host clock cannot be moved)")),
            (false, None) => Clock::custom(host_now_us),
            (true, start) => {
                let start_ms = match start {
                    Some(ms) => millis("start", ms)?.as_millis() as u64,
                    None => host_now_us() / 1000,
                };
                Clock::manual(start_ms)
            }
        };
        let sim = CoreSimulator::with_clock(clock);
        Ok(Simulator { ticker: Ticker::new(sim.clone()), sim })
    }

    /// Moves a manual clock forward by `ms`: keys expire, blocked commands time out and
    /// sleeping patterns wake as if that much time had passed.
    pub fn advance(&self, ms: f64) -> Result<(), JsValue> {
        if !self.sim.advance(millis("ms", ms)?) {
            return Err(invalid("advance() needs new Simulator({ manualClock: true })"));
        }
        Ok(())
    }

    /// The simulator's time in milliseconds since the epoch.
    pub fn now(&self) -> f64 {
        self.sim.clock().now_us() as f64 / 1e3
    }

    /// Whether the clock moves only when `advance` is called.
    #[wasm_bindgen(getter, js_name = manualClock)]
    pub fn manual_clock(&self) -> bool {
        self.sim.clock().is_manual()
    }

    /// The whole keyspace as bytes (give them back to `restore`).
    pub fn snapshot(&self) -> Result<Uint8Array, JsValue> {
        self.sim.snapshot().map(|b| Uint8Array::from(&b[..])).map_err(to_js)
    }

    /// Replaces the keyspace with one taken by `snapshot`.
    pub fn restore(&self, data: &Uint8Array) -> Result<(), JsValue> {
        self.sim.restore(&data.to_vec()).map_err(to_js)
    }

    /// Refuses new connections (true) or accepts them again (false).
    #[wasm_bindgen(js_name = refuseConnections)]
    pub fn refuse_connections(&self, refuse: bool) {
        self.sim.refuse_connections(refuse);
    }

    /// Makes the next `n` commands fail with the error reply `error` (its full text).
    #[wasm_bindgen(js_name = failNext)]
    pub fn fail_next(&self, n: u32, error: Option<String>) {
        self.sim.fail_next(u64::from(n), error.as_deref().unwrap_or("ERR injected fault"));
    }

    /// Clears every injected fault.
    pub fn heal(&self) {
        self.sim.heal();
    }

    /// How many waits (blocked commands, sleeping patterns) are parked on the clock: a test
    /// can wait for a background call to reach its wait before advancing time.
    pub fn parked(&self) -> u32 {
        u32::try_from(self.sim.parked()).unwrap_or(u32::MAX)
    }

    /// A client of this simulator, on database `db` (default 0).
    pub fn client(&self, db: Option<u32>) -> Result<Client, JsValue> {
        Client::of_simulator(&self.sim, &self.ticker, db.unwrap_or(0) as usize)
    }
}
