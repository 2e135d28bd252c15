//! `redkit-server`: the simulator on a TCP port, with redis-server's command line (see
//! `redkit-server --help`). A thin `main` over [`redkit::server`].

use redkit::server::{parse_args, Invocation, Server, HELP};

fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Invocation::Run(options)) => options,
        Ok(Invocation::Help) => {
            print!("{HELP}");
            return;
        }
        Ok(Invocation::Version) => {
            println!(
                "redkit-server v={} (Redis {} simulator)",
                redkit::sim::REDKIT_VERSION,
                redkit::sim::REDIS_VERSION
            );
            return;
        }
        Ok(_) => return,
        Err(e) => {
            eprintln!("redkit-server: {e}");
            std::process::exit(2);
        }
    };
    match Server::start(*options) {
        Ok(server) => server.wait(),
        Err(e) => {
            eprintln!("redkit-server: {e}");
            std::process::exit(1);
        }
    }
}
