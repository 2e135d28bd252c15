//! RESP, the Redis serialisation protocol: one value type ([`Value`]) that covers RESP2 and RESP3,
//! an incremental [`Parser`] that never panics and bounds sizes and nesting, and writers for both
//! protocol versions. The simulator produces `Value`s; the writer turns them into the exact bytes
//! redis-server would send for the connection's protocol.

mod parser;
mod value;
mod writer;

pub use parser::{split_inline, ParseError, Parser, ParserLimits};
pub use value::Value;
pub use writer::{write_value, Protocol};
