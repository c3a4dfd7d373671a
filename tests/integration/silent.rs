//! Endpoints that accept connections and never answer (issue 16 "Broken promises" §2): `plan`
//! fails within the SDK timeouts instead of hanging, and an apply whose lock store goes silent
//! mid-rollout stops promptly after losing its lease (exit 1) instead of waiting for the store
//! to come back. The silent endpoint is a local socket that accepts and never answers; the
//! lock store is put behind a local TCP proxy (`AWS_ENDPOINT_URL_DYNAMODB`) that the test
//! freezes, as a black-holed network would.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::apply::{deployed, slow_rollouts, stderr_lines, wait_for_line};
use crate::fixtures::Project;
use crate::support;

/// Accepts connections on a loopback port, reads nothing and answers nothing, until dropped.
struct SilentServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A TCP proxy to a loopback port that can be frozen: while frozen, it accepts connections and
/// reads what is sent, but passes nothing on in either direction.
struct FreezableProxy {
    port: u16,
    frozen: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FreezableProxy {
    fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_frozen, thread_stop) = (Arc::clone(&frozen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !thread_stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let (frozen, stop) = (Arc::clone(&thread_frozen), Arc::clone(&thread_stop));
                    std::thread::spawn(move || pump(from, to, &frozen, &stop));
                }
            }
        });
        Self {
            port,
            frozen,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn freeze(&self, frozen: bool) {
        self.frozen.store(frozen, Ordering::SeqCst);
    }
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Copies bytes from one socket to the other, holding them while frozen; ends with either
/// side, or when the proxy stops.
fn pump(mut from: TcpStream, mut to: TcpStream, frozen: &AtomicBool, stop: &AtomicBool) {
    from.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buffer = [0u8; 16 * 1024];
    while !stop.load(Ordering::SeqCst) {
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                while frozen.load(Ordering::SeqCst) && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if to.write_all(&buffer[..read]).is_err() {
                    break;
                }
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Waits for a child to exit, killing it (and failing) after `limit`.
fn exit_within(child: &mut Child, limit: Duration, what: &str) -> (i32, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stderr_of(child: Child) -> String {
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `plan` against an endpoint that never answers fails within the configured timeouts —
/// set through the environment, then through the config's `aws` section — with exit 1 and an
/// error that says it timed out.
#[tokio::test(flavor = "multi_thread")]
async fn plan_against_a_silent_endpoint_fails_within_its_timeouts() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let silent = SilentServer::start();

    let mut by_environment = project
        .command(&["plan"])
        .env("AWS_ENDPOINT_URL", silent.url())
        .env("RISTRETTO_CONNECT_TIMEOUT", "1s")
        .env("RISTRETTO_READ_TIMEOUT", "1s")
        .env("RISTRETTO_ATTEMPT_TIMEOUT", "2s")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (code, elapsed) = exit_within(&mut by_environment, Duration::from_secs(60), "plan");
    let stderr = stderr_of(by_environment);
    eprintln!("plan with 1s/1s/2s timeouts gave up after {elapsed:?}:\n{stderr}");
    assert_eq!(code, 1, "{stderr}");
    // The service and the family's latest revision are described at once: either call may be
    // the one that gives up first.
    assert!(
        stderr.contains("DescribeServices failed")
            || stderr.contains("DescribeTaskDefinition failed"),
        "{stderr}"
    );
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(
        stderr.contains("hint:") && stderr.contains("RISTRETTO_READ_TIMEOUT"),
        "{stderr}"
    );
    // 3 attempts of at most 2 s, plus the SDK's backoff between them.
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");

    project.write_config("aws:\n  read_timeout: 1s\n  attempt_timeout: 2s\n");
    let mut by_config = project
        .command(&["plan"])
        .env("AWS_ENDPOINT_URL", silent.url())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (code, elapsed) = exit_within(&mut by_config, Duration::from_secs(60), "plan");
    let stderr = stderr_of(by_config);
    assert_eq!(code, 1, "{stderr}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}: {stderr}");

    // A malformed variable is an error, not silently ignored.
    let (_, stderr) = {
        let output = project
            .command(&["plan"])
            .env("RISTRETTO_READ_TIMEOUT", "soon")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        (
            output.stdout,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert!(stderr.contains("RISTRETTO_READ_TIMEOUT"), "{stderr}");
}

/// A deploy whose lock store goes silent mid-rollout loses its lease at the lease's local
/// deadline, abandons the rollout wait and the calls in flight, gives up on the release, and
/// exits 1 at once — it does not wait for the store to come back.
#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_whose_lock_store_goes_silent_exits_promptly_after_losing_its_lease() {
    let project = deployed("3s").await;
    slow_rollouts(&project, 100_000);
    project.write_task_definition("nginx:2");
    let proxy = FreezableProxy::start(support::moto_port());
    let mut runner = project
        .command(&["deploy"])
        .env("AWS_ENDPOINT_URL_DYNAMODB", proxy.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut runner);
    wait_for_line(&lines, "updated the service");
    proxy.freeze(true);
    let frozen_at = Instant::now();
    let (code, _) = exit_within(&mut runner, Duration::from_secs(60), "deploy");
    let stopped_after = frozen_at.elapsed();
    let stderr: Vec<String> = lines.try_iter().collect();
    let stderr = stderr.join("\n");
    eprintln!("the deploy exited {stopped_after:?} after its lock store went silent:\n{stderr}");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("lost the deploy lock"), "{stderr}");
    // The lease (3 s) is renewed every second and lost 2.25 s after its last renewal; then
    // the release gets 1 s.
    assert!(stopped_after < Duration::from_secs(6), "{stopped_after:?}");
    proxy.freeze(false);
}
