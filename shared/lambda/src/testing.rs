//! Test support shared by the adapters' tests: where the local AWS API server is.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::Settings;

/// The port of the server that tests start for themselves when `MOTO_ENDPOINT` is not set. It
/// is shared by every test process and exits on its own after five idle minutes.
const SHARED_PORT: u16 = 5199;
const IDLE_EXIT_SECONDS: &str = "300";

/// The local AWS API server the tests use: `MOTO_ENDPOINT` when it is set (the README's test
/// command starts one and sets it), else a server on 127.0.0.1:5199 that the first test to
/// need it starts (`infra/moto_server.py`, with the project's `.venv`), so that a plain
/// `cargo test` works too.
pub fn local_endpoint() -> String {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| match Settings::from_env().get("MOTO_ENDPOINT") {
            Some(endpoint) => endpoint.to_string(),
            None => shared_server(),
        })
        .clone()
}

#[allow(clippy::zombie_processes)] // the server outlives this process on purpose
fn shared_server() -> String {
    let address = SocketAddr::from(([127, 0, 0, 1], SHARED_PORT));
    let endpoint = format!("http://{address}");
    if answers(address) {
        return endpoint;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "the storage tests need a local AWS server: run ./infra/venv.sh once (the project's Python tools), or start one and set MOTO_ENDPOINT"
    );
    // Its own process group and no inherited output: it outlives this test process, for the
    // next ones, and stops itself when idle. When two processes start one at once, the second
    // fails to bind and exits, and both use the first.
    use std::os::unix::process::CommandExt;
    Command::new(python)
        .arg(root.join("infra/moto_server.py"))
        .args([&SHARED_PORT.to_string(), "--idle-exit", IDLE_EXIT_SECONDS])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start infra/moto_server.py");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !answers(address) {
        assert!(
            Instant::now() < deadline,
            "infra/moto_server.py did not start on {endpoint}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    endpoint
}

fn answers(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
}
