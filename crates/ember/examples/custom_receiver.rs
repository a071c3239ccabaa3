//! Spark's `CustomReceiver` example: a receiver that reads lines from a socket on its own
//! thread, restarting when the connection ends, and a word count over what it stores.
//!
//! ```sh
//! nc -lk 9999          # in one terminal
//! cargo run --release -p ember --example custom_receiver -- localhost 9999
//! ```

use ember::prelude::*;
use ember::streaming::receiver::{Receiver, ReceiverContext};
use std::io::{BufRead, BufReader};
use std::time::Duration;

struct LineReceiver {
    host: String,
    port: u16,
}

impl Receiver<String> for LineReceiver {
    fn on_start(&mut self, ctx: ReceiverContext<String>) {
        let address = format!("{}:{}", self.host, self.port);
        // on_start must return at once: receive on a thread of our own.
        std::thread::spawn(move || match std::net::TcpStream::connect(&address) {
            Ok(socket) => {
                for line in BufReader::new(socket).lines() {
                    match line {
                        Ok(line) if !ctx.is_stopped() => ctx.store(line),
                        Ok(_) => return,
                        Err(e) => return ctx.restart(&format!("Error receiving data: {e}")),
                    }
                }
                ctx.restart("Trying to connect again");
            }
            Err(e) => ctx.restart(&format!("Error connecting to {address}: {e}")),
        });
    }

    fn on_stop(&mut self) {
        // The receiving thread sees is_stopped() and ends by itself.
    }
}

fn main() -> ember::Result<()> {
    let mut args = std::env::args().skip(1);
    let host = args.next().unwrap_or_else(|| "localhost".into());
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(9999);
    let ctx = Context::new(Conf::new().master("local[2]").app_name("CustomReceiver"))?;
    let ssc = StreamingContext::new(&ctx, Duration::from_secs(1));
    let lines = ssc.receiver_stream(LineReceiver { host, port });
    let words = lines.flat_map(|line: String| line.split(' ').map(str::to_owned).collect::<Vec<_>>());
    words.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b).print();
    ssc.start()?;
    ssc.await_termination()
}
