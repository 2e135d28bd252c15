//! AUTH against a real redis-server: with `requirepass` set, a new connection is refused every
//! command but AUTH, HELLO … AUTH, QUIT and RESET until it authenticates; RESET forgets it.

#[path = "support/multi.rs"]
mod multi;
mod support;

use multi::{Check, Pairs};
use redkit::sim::Simulator;

const E: Check = Check::Exact;

#[test]
fn requirepass_refuses_commands_until_auth_like_redis() {
    let Some(mut p) = Pairs::new(2, Simulator::new()) else { return };
    p.step(0, &["CONFIG", "SET", "requirepass", "secret"], E);
    p.step(0, &["SET", "k", "v"], E);
    p.reconnect(1);
    for cmd in [&["GET", "k"][..], &["PING"], &["HELLO", "3"], &["CLIENT", "ID"], &["MULTI"]] {
        p.step(1, cmd, E);
    }
    p.step(1, &["AUTH", "wrong"], E);
    p.step(1, &["AUTH", "nobody", "secret"], E);
    p.step(1, &["AUTH", "secret"], E);
    p.step(1, &["GET", "k"], E);
    p.step(1, &["RESET"], E);
    p.step(1, &["GET", "k"], E);
    p.step(1, &["HELLO", "2", "AUTH", "default", "secret"], Check::Ignore);
    p.step(1, &["GET", "k"], E);
    p.step(0, &["CONFIG", "SET", "requirepass", ""], E);
    p.reconnect(1);
    p.step(1, &["GET", "k"], E);
    p.assert_clean();
}
