//! `Client`: raw commands on a simulator. A command that cannot block runs at once and its
//! Promise is already settled; a blocking one (BLPOP, XREAD BLOCK …) waits on the host's event
//! loop until it is served or times out (on a manual clock: when `advance` passes its timeout).

use crate::convert::{argv, reply, Options, Strings};
use crate::errors::{invalid, to_js};
use crate::handles::Handle;
use crate::simulator::Simulator;
use crate::ticker::Ticker;
use js_sys::{Array, Promise};
use redkit::backend::{Backend, BackendRef, Cmd, SimBackend};
use redkit::sim::Simulator as CoreSimulator;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A connection to a simulator.
#[wasm_bindgen]
pub struct Client {
    backend: Arc<SimBackend>,
    ticker: Rc<Ticker>,
    /// Shares the backend with patterns given several clients (Redlock).
    handle: Handle,
}

impl Client {
    pub(crate) fn of_simulator(sim: &CoreSimulator, ticker: &Rc<Ticker>, db: usize) -> Result<Client, JsValue> {
        let databases = sim.lock().dbs.len();
        if db >= databases {
            return Err(invalid(format!("db must be below {databases}, got {db}")));
        }
        let backend = Arc::new(SimBackend::with_db(sim.clone(), db).with_spawner(crate::tasks::spawner(ticker)));
        let handle = Handle::new((backend.clone() as BackendRef, ticker.clone()));
        Ok(Client { backend, ticker: ticker.clone(), handle })
    }

    /// The backend patterns of this client run on.
    pub(crate) fn backend(&self) -> BackendRef {
        self.backend.clone()
    }

    /// The cron of this client's simulator (hold it while a call runs).
    pub(crate) fn ticker(&self) -> &Rc<Ticker> {
        &self.ticker
    }

    /// One command: settled at once unless it may block.
    fn run(&self, args: &Array, strings: Strings) -> Promise {
        let cmd = match argv(args) {
            Ok(argv) => Cmd::from_argv(argv),
            Err(e) => return Promise::reject(&e),
        };
        if cmd.blocking_timeout().is_none() {
            return settled(self.backend.execute_now(cmd.args()).map(|v| reply(v, strings)));
        }
        let waiting = self.backend.blocking_now(cmd);
        let hold = self.ticker.hold();
        future_to_promise(async move {
            let out = waiting.await;
            drop(hold);
            out.map(|v| reply(v, strings)).map_err(to_js)
        })
    }
}

/// A Promise already settled with `result`.
fn settled(result: redkit::Result<JsValue>) -> Promise {
    match result {
        Ok(v) => Promise::resolve(&v),
        Err(e) => Promise::reject(&to_js(e)),
    }
}

#[wasm_bindgen]
impl Client {
    /// Runs one command given as an array (`execute(...args)` in the package's JavaScript):
    /// bulk strings come back as strings (UTF-8), integers as numbers, nil as null, arrays as
    /// arrays; an error reply rejects with a `ResponseError`.
    #[wasm_bindgen(js_name = executeArgs, unchecked_return_type = "Promise<RedisReply>")]
    pub fn execute_args(&self, #[wasm_bindgen(unchecked_param_type = "Arg[]")] args: &Array) -> Promise {
        self.run(args, Strings::Text)
    }

    /// `executeArgs` with bulk strings as `Uint8Array`s, byte for byte.
    #[wasm_bindgen(js_name = executeBufferArgs, unchecked_return_type = "Promise<RedisReply<Uint8Array>>")]
    pub fn execute_buffer_args(&self, #[wasm_bindgen(unchecked_param_type = "Arg[]")] args: &Array) -> Promise {
        self.run(args, Strings::Bytes)
    }

    /// Runs several commands in order and resolves to their replies; an error reply inside is
    /// an `Error` in its place (the others still ran). With `{ transaction: true }` they run in
    /// MULTI/EXEC: all or none.
    #[wasm_bindgen(js_name = executeMany, unchecked_return_type = "Promise<Array<RedisReply | Error>>")]
    pub fn execute_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Arg[][]")] commands: &Array,
        #[wasm_bindgen(unchecked_optional_param_type = "ExecuteManyOptions")] options: JsValue,
    ) -> Promise {
        let parsed = (|| {
            let transaction = Options::new(&options, "executeMany options")?.bool("transaction")?.unwrap_or(false);
            let cmds = commands
                .iter()
                .map(|c| match c.dyn_into::<Array>() {
                    Ok(c) => argv(&c).map(Cmd::from_argv),
                    Err(_) => Err(crate::errors::type_error("executeMany takes an array of commands, each an array")),
                })
                .collect::<Result<Vec<_>, JsValue>>()?;
            Ok::<_, JsValue>((cmds, transaction))
        })();
        let (cmds, transaction) = match parsed {
            Ok(p) => p,
            Err(e) => return Promise::reject(&e),
        };
        let backend = self.backend.clone();
        future_to_promise(async move {
            let replies = backend.pipeline(cmds, transaction).await.map_err(to_js)?;
            Ok(replies.into_iter().map(|v| reply(v, Strings::Text)).collect::<Array>().into())
        })
    }

    /// The simulator behind this client.
    #[wasm_bindgen(getter)]
    pub fn simulator(&self) -> Simulator {
        Simulator::of(self.backend.simulator(), &self.ticker)
    }

    /// Names this client's backend for `redlock([...])`.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn handle(&self) -> u32 {
        self.handle.id()
    }

    /// `"sim"`: what this client talks to.
    #[wasm_bindgen(getter, js_name = backendName)]
    pub fn backend_name(&self) -> String {
        self.backend.name().to_string()
    }
}
