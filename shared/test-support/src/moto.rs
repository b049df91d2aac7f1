//! A moto server (the local AWS emulator of the tooling notes §2) for tests.
//!
//! [`Moto::start`] installs the test tools if needed (`scripts/tools.sh`, `ensure_venv
//! test`), starts `moto_server` on a free loopback port in its own process group and waits
//! until `GET /moto-api/` answers. Dropping the [`Moto`] kills that process group. A
//! watchdog in the launching shell (end-of-file on its stdin pipe) also stops the server
//! when the test process dies without running destructors (killed by a timeout), so no
//! emulator outlives its test.
//!
//! With `MODELWATCH_MOTO_URL` set (e.g. `http://127.0.0.1:5000`), that server is used and
//! nothing is started. There is no skip: when the emulator cannot be started the test
//! panics with the reason and the end of the server's log.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::repo_root;

/// Environment variable naming an already running moto server to use instead of starting one.
pub const MOTO_URL_ENV: &str = "MODELWATCH_MOTO_URL";

/// How long [`Moto::start`] waits for the server: long enough for the first `pip install`
/// of the test tools on a fresh machine (the venv holds moto, boto3 and cargo-lambda).
pub const START_TIMEOUT: Duration = Duration::from_secs(240);

/// Attempts with a new free port when the server exits before answering (another process
/// took the port between our probe and moto's bind).
const PORT_ATTEMPTS: usize = 3;

/// A running moto server.
pub struct Moto {
    /// Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub url: String,
    /// The launched process (the leader of its own process group); `None` for an external
    /// server named by [`MOTO_URL_ENV`].
    child: Option<Child>,
    /// The write end of the launcher's stdin: its end-of-file stops moto when this process
    /// dies without running `Drop`.
    lifeline: Option<ChildStdin>,
    /// The server's log file (stdout and stderr, including a first venv install).
    log: Option<PathBuf>,
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 to find a free port: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address for the probe socket: {e}"))
        .port()
}

impl Moto {
    /// Starts moto (or attaches to `MODELWATCH_MOTO_URL`) and waits until it answers.
    ///
    /// # Panics
    /// When the server cannot be started or does not answer within [`START_TIMEOUT`]; the
    /// message carries the reason and the tail of the server's log.
    pub fn start() -> Moto {
        if let Some(url) = std::env::var(MOTO_URL_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            let url = url.trim().trim_end_matches('/').to_string();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !answers(&url) {
                assert!(
                    Instant::now() < deadline,
                    "{MOTO_URL_ENV}={url} does not answer GET /moto-api/"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            return Moto {
                url,
                child: None,
                lifeline: None,
                log: None,
            };
        }
        let mut last_error = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match Self::launch(free_port()) {
                Ok(moto) => return moto,
                Err(e) => last_error = e,
            }
        }
        panic!("cannot start the moto emulator ({PORT_ATTEMPTS} attempts): {last_error}");
    }

    /// One attempt on `port`: `Err` with the reason when the server exits early.
    fn launch(port: u16) -> Result<Moto, String> {
        let root = repo_root();
        let log =
            std::env::temp_dir().join(format!("modelwatch-moto-{}-{port}.log", std::process::id()));
        let log_file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let log_err = log_file
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot clone the handle of {}: {e}", log.display()));
        // The shell installs the tools if needed, starts moto in the background and then
        // waits for end-of-file on its stdin, a pipe whose write end only this process holds:
        // it closes when the test process is gone, even killed with SIGKILL (and even while
        // it is a zombie), and then moto is stopped. Drop kills the whole process group
        // first in the normal case.
        let script = r#"
source scripts/tools.sh
ensure_venv test
"$MW_VENV_test/bin/moto_server" -H 127.0.0.1 -p "$MW_MOTO_PORT" </dev/null &
moto=$!
trap 'kill "$moto" 2>/dev/null; wait "$moto"; exit 0' TERM INT HUP
while kill -0 "$moto" 2>/dev/null; do
  rc=0
  read -r -t 1 _ || rc=$?
  if [[ $rc -ne 0 && $rc -le 128 ]]; then break; fi
done
kill "$moto" 2>/dev/null || true
wait "$moto"
"#;
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(&root)
            .env("MW_MOTO_PORT", port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err))
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn bash to start moto: {e}"));
        // Held (never written) until the Moto is dropped: see the script.
        let lifeline = child.stdin.take();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if answers(&url) {
                return Ok(Moto {
                    url,
                    child: Some(child),
                    lifeline,
                    log: Some(log),
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                kill_group(&child);
                return Err(format!(
                    "the launcher exited with {status} before {url} answered; log {}:\n{}",
                    log.display(),
                    tail(&log)
                ));
            }
            if Instant::now() >= deadline {
                kill_group(&child);
                let _ = child.wait();
                panic!(
                    "moto did not answer GET {url}/moto-api/ within {START_TIMEOUT:?}; log {}:\n{}",
                    log.display(),
                    tail(&log)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Wipes every bucket and resource (`POST /moto-api/reset`).
    ///
    /// # Panics
    /// When moto does not answer 200.
    pub fn reset(&self) {
        let (status, body) = http(&self.url, "POST", "/moto-api/reset")
            .unwrap_or_else(|e| panic!("POST {}/moto-api/reset: {e}", self.url));
        assert_eq!(
            status, 200,
            "POST {}/moto-api/reset answered {status}: {body}",
            self.url
        );
    }

    /// Whether this test started the server (false for `MODELWATCH_MOTO_URL`): only then
    /// may it [`reset`](Moto::reset) without disturbing other users.
    pub fn owned(&self) -> bool {
        self.child.is_some()
    }

    /// The server's log so far (empty for an external server).
    pub fn log(&self) -> String {
        self.log.as_deref().map(tail).unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(self.lifeline.take());
            kill_group(&child);
            let _ = child.wait();
        }
        // Keep the log of a failed test for the post-mortem.
        if let Some(log) = self.log.take() {
            if !std::thread::panicking() {
                let _ = std::fs::remove_file(log);
            }
        }
    }
}

/// Sends SIGTERM to the process group led by `child` (the shell, moto and any pip run).
fn kill_group(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The last 4 KiB of a log file.
fn tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(4096);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// Whether `GET {url}/moto-api/` answers with a 2xx status.
fn answers(url: &str) -> bool {
    matches!(http(url, "GET", "/moto-api/"), Ok((s, _)) if (200..300).contains(&s))
}

/// A minimal HTTP/1.1 request without a body (`Connection: close`): the status code and
/// the response text.
fn http(url: &str, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let host = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other(format!("{url} is not an http:// URL")))?;
    let addr: SocketAddr = host
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("{host} does not resolve")))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in {text:?}")))?;
    Ok((status, text))
}
