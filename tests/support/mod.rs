//! Integration-test support: one moto server (the AWS emulator) per test binary, one AWS account
//! per test.
//!
//! * The server is `tests/support/moto_launcher.py` (moto 5.2.1 plus the patches documented at the
//!   top of that file: Task cpu/memory strings, account = 12-digit access key, ECS rolling
//!   deployments that progress, ...). It is started lazily by the first test that needs it, on an
//!   ephemeral 127.0.0.1 port, and exits by itself when this test process dies (it watches its
//!   parent pid), so nothing needs tearing down.
//! * Every test calls [`new_account`] and gets its own 12-digit account id; the id is also the
//!   access key, which is how moto tells accounts apart, so a `ristretto` subprocess (which cannot
//!   add moto's `x-moto-account-id` header) is isolated too. Tests run in parallel without resets.
//!   S3 bucket names are global across accounts: use [`TestAccount::unique_name`].
//! * ECS services roll out over N DescribeServices calls (default 3, or the service tag
//!   `ristretto-test:rollout-steps`, see [`ROLLOUT_STEPS_TAG`]); an image tagged `fail` makes a
//!   deployment fail (circuit breaker, rollback). See the launcher's header for the exact model.
//!
//! All traffic goes to 127.0.0.1 only: the SDK gets static dummy credentials, an explicit region
//! and endpoint, and subprocesses get `AWS_EC2_METADATA_DISABLED=true` and no profile.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecs::config::Credentials;
use aws_sdk_ecs::types::{
    AwsVpcConfiguration, ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, NetworkConfiguration, NetworkMode, Service, Tag,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// The region every test uses.
pub const REGION: &str = "ap-northeast-1";
/// The panic message when moto (with its server extras) is not importable.
pub const MOTO_MISSING: &str = "moto is not installed: run pip install 'moto[server]==5.2.1'";
/// Service tag read by the launcher at CreateService/UpdateService: how many DescribeServices
/// calls a rollout (or scaling) takes.
pub const ROLLOUT_STEPS_TAG: &str = "ristretto-test:rollout-steps";
/// The launcher's default number of steps (`--rollout-steps`, not overridden here).
pub const DEFAULT_ROLLOUT_STEPS: usize = 3;
/// Secret key for every account (moto does not check signatures).
pub const SECRET_KEY: &str = "testing";
/// Account used by the harness's own warm-up calls; never handed out by [`new_account`].
const WARMUP_ACCOUNT: &str = "000000000000";
/// Environment variables removed from every subprocess so that no real profile, session or
/// container credential can leak in (or send traffic anywhere but moto).
pub const ENV_REMOVE: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CA_BUNDLE",
    "MOTO_ACCOUNT_ID",
];

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/// How long start-up took, measured from spawning the launcher.
#[derive(Debug, Clone, Copy)]
pub struct StartupTimes {
    /// The launcher printed `PORT=` (it does so once `GET /moto-api/` answers).
    pub port_announced: Duration,
    /// Our own `GET /moto-api/` answered 200.
    pub ready: Duration,
    /// ECS, DynamoDB, S3 and EC2 each answered one call (their backends are loaded lazily and the
    /// first ECS call alone takes seconds).
    pub warmed: Duration,
}

struct Moto {
    port: u16,
    pid: u32,
    request_log: PathBuf,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    startup: StartupTimes,
    // Kept so the handle is never dropped; the launcher exits when this process does.
    child: Mutex<std::process::Child>,
}

static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();

fn moto() -> &'static Moto {
    match MOTO.get_or_init(|| start(&["python3"], &[]).and_then(warm_up)) {
        Ok(moto) => moto,
        Err(message) => panic!("{message}"),
    }
}

/// The port moto listens on (127.0.0.1). Starts the server if needed.
pub fn moto_port() -> u16 {
    moto().port
}

/// `http://127.0.0.1:<port>`.
pub fn moto_endpoint() -> String {
    format!("http://127.0.0.1:{}", moto_port())
}

/// The launcher's pid (the python process serving moto).
pub fn launcher_pid() -> u32 {
    moto().pid
}

/// Start-up timings of this binary's server.
pub fn startup_times() -> StartupTimes {
    moto().startup
}

/// The last lines the launcher wrote on stderr (moto tracebacks for HTTP 500s end up here).
pub fn moto_stderr_tail() -> String {
    tail_text(&moto().stderr_tail)
}

/// Path of `tests/support/moto_launcher.py`.
pub fn launcher_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_launcher.py")
}

/// A launcher started by [`start_launcher`]; the server dies with this process.
pub struct Launched {
    pub port: u16,
    pub pid: u32,
    pub request_log: PathBuf,
    pub port_announced: Duration,
    pub ready: Duration,
    child: std::process::Child,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Launched {
    pub fn stderr_tail(&self) -> String {
        tail_text(&self.stderr_tail)
    }
    /// Stop it (SIGKILL, by pid) and reap it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start a separate launcher with `python` (program + leading args, e.g. `["python3", "-S"]`) and
/// extra launcher arguments. The shared per-binary server does not use this directly; it exists
/// so tests can check the launcher's own failure modes. `Err` carries the one-line message the
/// harness would panic with.
pub fn start_launcher(python: &[&str], args: &[&str]) -> Result<Launched, String> {
    start(python, args).map(|m| {
        let Moto {
            port,
            pid,
            request_log,
            stderr_tail,
            startup,
            child,
        } = m;
        Launched {
            port,
            pid,
            request_log,
            port_announced: startup.port_announced,
            ready: startup.ready,
            child: child.into_inner().unwrap(),
            stderr_tail,
        }
    })
}

fn start(python: &[&str], extra: &[&str]) -> Result<Moto, String> {
    let t0 = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("ristretto-moto-")
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir for moto: {e}"))?
        .keep(); // the launcher deletes it (--cleanup-dir) when it exits
    let request_log = dir.join("requests.jsonl");
    let mut cmd = Command::new(python[0]);
    cmd.args(&python[1..])
        .arg(launcher_path())
        .args(["--host", "127.0.0.1", "--port", "0"])
        .arg("--request-log")
        .arg(&request_log)
        .arg("--cleanup-dir")
        .arg(&dir)
        .args(extra)
        .env_remove("MOTO_ACCOUNT_ID") // would override every account
        .env_remove("MOTO_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(format!("{MOTO_MISSING} (cannot run {}: {e})", python[0]));
        }
    };
    let pid = child.id();

    // stderr: drained continuously (a full pipe would block the server), last lines kept.
    let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
    {
        let tail = Arc::clone(&stderr_tail);
        let echo = std::env::var_os("RISTRETTO_TEST_MOTO_STDERR").is_some();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if echo {
                    eprintln!("[moto] {line}");
                }
                let mut tail = tail.lock().unwrap();
                if tail.len() == 40 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
    }

    // stdout: exactly one line `PORT=<n>`, then nothing.
    let (tx, rx) = mpsc::channel();
    {
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = tx.send(first);
        });
    }
    let first = rx.recv_timeout(Duration::from_secs(90));
    let fail = |child: &mut std::process::Child, what: String| -> String {
        let _ = child.kill();
        let status = child.wait().ok();
        std::thread::sleep(Duration::from_millis(50)); // let the stderr reader catch up
        if status.and_then(|s| s.code()) == Some(3) {
            return MOTO_MISSING.to_string();
        }
        let _ = std::fs::remove_dir_all(&dir);
        format!(
            "moto launcher {what}; its stderr ends with:\n{}",
            tail_text(&stderr_tail)
        )
    };
    let port: u16 = match first {
        Ok(line) if line.starts_with("PORT=") => match line.trim()["PORT=".len()..].parse() {
            Ok(port) => port,
            Err(_) => return Err(fail(&mut child, format!("printed a bad line {line:?}"))),
        },
        Ok(line) if line.is_empty() => {
            // EOF: the launcher exited. Exit code 3 = moto not importable.
            let status = child.wait().ok();
            if status.and_then(|s| s.code()) == Some(3) {
                return Err(MOTO_MISSING.to_string());
            }
            return Err(fail(
                &mut child,
                format!("exited ({status:?}) before printing PORT="),
            ));
        }
        Ok(line) => {
            return Err(fail(
                &mut child,
                format!("printed {line:?} instead of PORT=<n>"),
            ));
        }
        Err(_) => return Err(fail(&mut child, "printed no PORT= within 90 s".to_string())),
    };
    let port_announced = t0.elapsed();

    // Readiness from our side too (the launcher checked it, this also proves we can connect).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match http_request(port, "GET", "/moto-api/", &[], b"") {
            Ok((200, _)) => break,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => {
                return Err(fail(
                    &mut child,
                    format!("did not answer GET /moto-api/ ({other:?})"),
                ));
            }
        }
    }
    let ready = t0.elapsed();
    Ok(Moto {
        port,
        pid,
        request_log,
        stderr_tail,
        startup: StartupTimes {
            port_announced,
            ready,
            warmed: ready,
        },
        child: Mutex::new(child),
    })
}

/// One cheap call to each service the tests use, so that no test pays for moto's lazy backend
/// loading (the first ECS call alone takes several seconds).
fn warm_up(mut moto: Moto) -> Result<Moto, String> {
    let t0 = Instant::now();
    let port = moto.port;
    // (signing name, method, content type, X-Amz-Target, body), all on path "/"
    const ECS_TARGET: &str = "AmazonEC2ContainerServiceV20141113.ListClusters";
    let calls = [
        (
            "ecs",
            "POST",
            "application/x-amz-json-1.1",
            ECS_TARGET,
            "{}",
        ),
        (
            "dynamodb",
            "POST",
            "application/x-amz-json-1.0",
            "DynamoDB_20120810.ListTables",
            "{}",
        ),
        ("s3", "GET", "", "", ""),
        (
            "ec2",
            "POST",
            "application/x-www-form-urlencoded",
            "",
            "Action=DescribeVpcs&Version=2016-11-15",
        ),
    ];
    for (service, method, content_type, target, body) in calls {
        let auth = fake_sigv4(WARMUP_ACCOUNT, service);
        let mut headers = vec![("Authorization", auth.as_str())];
        if !content_type.is_empty() {
            headers.push(("Content-Type", content_type));
        }
        if !target.is_empty() {
            headers.push(("X-Amz-Target", target));
        }
        match http_request(port, method, "/", &headers, body.as_bytes()) {
            Ok((200, _)) => {}
            other => {
                let mut child = moto.child.into_inner().unwrap();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "moto warm-up call to {service} failed ({other:?}); stderr ends with:\n{}",
                    tail_text(&moto.stderr_tail)
                ));
            }
        }
    }
    moto.startup.warmed = moto.startup.ready + t0.elapsed();
    Ok(moto)
}

/// Status of `GET /moto-api/` on a local port, or `None` if nothing answers there.
pub fn moto_api_status(port: u16) -> Option<u16> {
    http_request(port, "GET", "/moto-api/", &[], b"")
        .ok()
        .map(|(status, _)| status)
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    tail.lock()
        .unwrap()
        .iter()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// A SigV4-shaped Authorization header. moto reads the access key (= account), region and
/// service from it and does not check the signature.
fn fake_sigv4(access_key: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/{REGION}/{service}/aws4_request, \
         SignedHeaders=host, Signature=0000"
    )
}

/// Minimal HTTP/1.0 client for 127.0.0.1 (no chunked responses with 1.0). Returns (status, body).
fn http_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {head:?}")))?;
    let body = response.get(split + 4..).unwrap_or_default().to_vec();
    Ok((status, body))
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

/// One isolated AWS account on the shared moto server.
#[derive(Debug, Clone)]
pub struct TestAccount {
    /// 12 digits; also the access key id.
    pub id: String,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Always [`REGION`].
    pub region: String,
}

static ACCOUNT_COUNTER: AtomicU32 = AtomicU32::new(1);

/// A fresh account: unique per call within this test binary (pid + counter), so within its moto
/// server. Starts the server on first use.
pub fn new_account() -> TestAccount {
    let endpoint = moto_endpoint();
    loop {
        let n = ACCOUNT_COUNTER.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:07}{:05}", std::process::id() % 10_000_000, n % 100_000);
        if id != WARMUP_ACCOUNT && id != "123456789012" {
            return TestAccount {
                id,
                endpoint,
                region: REGION.to_string(),
            };
        }
    }
}

impl TestAccount {
    /// The environment a subprocess (ristretto, aws, terraform) needs to talk to this account on
    /// moto. Also remove [`ENV_REMOVE`] (or use [`TestAccount::apply_env`]).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", self.id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("AWS_REGION", self.region.as_str()),
            ("AWS_DEFAULT_REGION", self.region.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            // No profile file can point anywhere else.
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            // Never send loopback traffic through a proxy.
            ("NO_PROXY", "127.0.0.1,localhost"),
            ("no_proxy", "127.0.0.1,localhost"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Apply [`TestAccount::env`] and remove [`ENV_REMOVE`] on a command.
    pub fn apply_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for name in ENV_REMOVE {
            cmd.env_remove(name);
        }
        cmd.envs(self.env())
    }

    /// SDK configuration for this account: static credentials (access key = account id), the
    /// region, the moto endpoint, and the rustls+ring HTTP client (the crate is built without the
    /// SDK's default TLS features). No `~/.aws` file is read, whatever the test process's env.
    pub async fn sdk_config(&self) -> SdkConfig {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        // aws-config only re-exports these under their old (deprecated) names; the new ones live
        // in aws-runtime, which is not a direct dependency.
        #[allow(deprecated)]
        let no_profile_files = aws_config::profile::profile_file::ProfileFiles::builder()
            .with_contents(
                aws_config::profile::profile_file::ProfileFileKind::Config,
                "",
            )
            .build();
        aws_config::defaults(BehaviorVersion::latest())
            .profile_files(no_profile_files)
            .http_client(http)
            .credentials_provider(Credentials::new(
                self.id.clone(),
                SECRET_KEY,
                None,
                None,
                "ristretto-tests",
            ))
            .region(Region::new(self.region.clone()))
            .endpoint_url(self.endpoint.clone())
            // moto's first call to a backend can take seconds; never time out below a minute.
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(60))
                    .build(),
            )
            .load()
            .await
    }

    /// An ECS client for this account.
    pub async fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.sdk_config().await)
    }

    /// `<prefix>-<account id>`: unique across accounts (needed for S3 bucket names, which moto
    /// keeps global like AWS does).
    pub fn unique_name(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.id)
    }

    /// Run the AWS CLI (v1) against this account: `--endpoint-url`, region, JSON output.
    pub fn aws_cli<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new("aws");
        self.apply_env(&mut cmd)
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--region",
                &self.region,
                "--output",
                "json",
            ])
            .args(args)
            .stdin(Stdio::null());
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run the aws CLI: {e}"))
    }

    /// [`TestAccount::aws_cli`], asserting success and parsing stdout as JSON (`null` if empty).
    pub fn aws_cli_json<I, S>(&self, args: I) -> serde_json::Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<std::ffi::OsString> = args
            .into_iter()
            .map(|a| a.as_ref().to_os_string())
            .collect();
        let out = self.aws_cli(&args);
        assert!(
            out.status.success(),
            "aws {:?} failed ({}):\n{}",
            args,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "aws {args:?}: stdout is not JSON ({e}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Every AWS request this account sent so far, oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        request_log(self)
    }

    /// The requests of this account that may have changed something (see
    /// [`LoggedRequest::readonly`]).
    pub fn mutating_requests(&self) -> Vec<LoggedRequest> {
        self.request_log()
            .into_iter()
            .filter(|r| !r.readonly)
            .collect()
    }

    /// How many `operation` calls (e.g. "DescribeServices") this account sent.
    pub fn count_calls(&self, operation: &str) -> usize {
        self.request_log()
            .iter()
            .filter(|r| r.operation == operation)
            .count()
    }

    /// The default VPC's subnets and default security group of this account (IDs are random per
    /// account in moto).
    pub fn default_network(&self) -> DefaultNetwork {
        let query = |body: &str| -> String {
            let auth = fake_sigv4(&self.id, "ec2");
            let headers = [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", auth.as_str()),
            ];
            let (status, body) = http_request(moto_port(), "POST", "/", &headers, body.as_bytes())
                .expect("EC2 query to moto");
            let body = String::from_utf8_lossy(&body).into_owned();
            assert_eq!(status, 200, "EC2 query {body}");
            body
        };
        let subnets = xml_values(
            &query(
                "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=default-for-az&Filter.1.Value.1=true",
            ),
            "subnetId",
        );
        let security_group = xml_values(
            &query("Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=group-name&Filter.1.Value.1=default"),
            "groupId",
        )
        .into_iter()
        .next()
        .expect("default security group");
        assert!(!subnets.is_empty(), "moto has no default subnets");
        DefaultNetwork {
            subnets,
            security_group,
        }
    }

    /// `ecs:CreateCluster`; returns the cluster ARN.
    pub async fn create_cluster(&self, name: &str) -> String {
        let out = self
            .ecs()
            .await
            .create_cluster()
            .cluster_name(name)
            .send()
            .await;
        let out = out.unwrap_or_else(|e| panic!("CreateCluster {name}: {e:?}"));
        out.cluster()
            .and_then(|c| c.cluster_arn())
            .expect("cluster ARN")
            .to_string()
    }

    /// `ecs:RegisterTaskDefinition` of a one-container Fargate task definition (awsvpc, 256/512,
    /// no container-level memory — normal Fargate style, which the launcher makes runnable).
    /// Returns the task definition ARN. Use image tag `fail` for a deployment that fails.
    pub async fn register_task_definition(&self, family: &str, image: &str) -> String {
        let container = ContainerDefinition::builder()
            .name("app")
            .image(image)
            .essential(true)
            .build();
        let out = self
            .ecs()
            .await
            .register_task_definition()
            .family(family)
            .container_definitions(container)
            .cpu("256")
            .memory("512")
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
            .send()
            .await
            .unwrap_or_else(|e| panic!("RegisterTaskDefinition {family}: {e:?}"));
        out.task_definition()
            .and_then(|t| t.task_definition_arn())
            .unwrap()
            .to_string()
    }

    /// Start building a service: `account.service("cluster", "web", &td_arn).desired(2).create().await`.
    pub fn service(&self, cluster: &str, name: &str, task_definition: &str) -> NewService {
        NewService {
            account: self.clone(),
            cluster: cluster.to_string(),
            name: name.to_string(),
            task_definition: task_definition.to_string(),
            desired: 1,
            launch_type: LaunchType::Fargate,
            circuit_breaker: Some((true, true)),
            rollout_steps: None,
            tags: Vec::new(),
        }
    }

    /// DescribeServices until the service has one deployment, COMPLETED, running == desired
    /// (at most `max_describes` calls). Returns the final service and the number of calls made.
    pub async fn wait_steady(
        &self,
        cluster: &str,
        service: &str,
        max_describes: usize,
    ) -> (Service, usize) {
        let ecs = self.ecs().await;
        let mut last = None;
        for n in 1..=max_describes {
            let svc = describe_service(&ecs, cluster, service).await;
            if is_steady(&svc) {
                return (svc, n);
            }
            last = Some(svc);
        }
        panic!("service {service} not steady after {max_describes} DescribeServices: {last:#?}");
    }
}

/// The default VPC's subnets and default security group of an account.
#[derive(Debug, Clone)]
pub struct DefaultNetwork {
    pub subnets: Vec<String>,
    pub security_group: String,
}

impl DefaultNetwork {
    pub fn awsvpc(&self) -> NetworkConfiguration {
        NetworkConfiguration::builder()
            .awsvpc_configuration(
                AwsVpcConfiguration::builder()
                    .set_subnets(Some(self.subnets.clone()))
                    .security_groups(self.security_group.clone())
                    .assign_public_ip(aws_sdk_ecs::types::AssignPublicIp::Disabled)
                    .build()
                    .unwrap(),
            )
            .build()
    }
}

fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        rest = &rest[start + open.len()..];
        let Some(end) = rest.find(&close) else { break };
        let value = rest[..end].trim().to_string();
        if !out.contains(&value) {
            out.push(value);
        }
        rest = &rest[end..];
    }
    out
}

/// Builder for a test ECS service (see [`TestAccount::service`]). Defaults: Fargate in the
/// default VPC, desiredCount 1, circuit breaker enabled with rollback, the launcher's default
/// rollout steps.
pub struct NewService {
    account: TestAccount,
    cluster: String,
    name: String,
    task_definition: String,
    desired: i32,
    launch_type: LaunchType,
    circuit_breaker: Option<(bool, bool)>,
    rollout_steps: Option<usize>,
    tags: Vec<(String, String)>,
}

impl NewService {
    pub fn desired(mut self, count: i32) -> Self {
        self.desired = count;
        self
    }
    /// EC2 launch type (no awsvpc network configuration) instead of Fargate.
    pub fn ec2(mut self) -> Self {
        self.launch_type = LaunchType::Ec2;
        self
    }
    /// `deploymentCircuitBreaker {enable, rollback}`; `None` = no deploymentConfiguration sent.
    pub fn circuit_breaker(mut self, breaker: Option<(bool, bool)>) -> Self {
        self.circuit_breaker = breaker;
        self
    }
    /// DescribeServices calls per rollout for this service (the `ristretto-test:rollout-steps` tag).
    pub fn rollout_steps(mut self, steps: usize) -> Self {
        self.rollout_steps = Some(steps);
        self
    }
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.to_string(), value.to_string()));
        self
    }
    /// CreateService; returns the service as CreateService answered it.
    pub async fn create(self) -> Service {
        let ecs = self.account.ecs().await;
        let mut req = ecs
            .create_service()
            .cluster(&self.cluster)
            .service_name(&self.name)
            .task_definition(&self.task_definition)
            .desired_count(self.desired)
            .launch_type(self.launch_type.clone());
        if self.launch_type == LaunchType::Fargate {
            req = req
                .network_configuration(self.account.default_network().awsvpc())
                .platform_version("LATEST");
        }
        if let Some((enable, rollback)) = self.circuit_breaker {
            req = req.deployment_configuration(
                DeploymentConfiguration::builder()
                    .deployment_circuit_breaker(
                        DeploymentCircuitBreaker::builder()
                            .enable(enable)
                            .rollback(rollback)
                            .build(),
                    )
                    .maximum_percent(200)
                    .minimum_healthy_percent(100)
                    .build(),
            );
        }
        let mut tags = self.tags.clone();
        if let Some(steps) = self.rollout_steps {
            tags.push((ROLLOUT_STEPS_TAG.to_string(), steps.to_string()));
        }
        for (key, value) in tags {
            req = req.tags(Tag::builder().key(key).value(value).build());
        }
        let out = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateService {}: {e:?}", self.name));
        out.service()
            .cloned()
            .expect("service in CreateService response")
    }
}

/// DescribeServices of one service (panics if it is missing).
pub async fn describe_service(ecs: &aws_sdk_ecs::Client, cluster: &str, service: &str) -> Service {
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeServices {service}: {e:?}"));
    assert!(
        out.failures().is_empty(),
        "DescribeServices {service}: {:?}",
        out.failures()
    );
    out.services().first().cloned().expect("one service")
}

/// One deployment, COMPLETED, running == desired, nothing pending.
pub fn is_steady(svc: &Service) -> bool {
    let deployments = svc.deployments();
    deployments.len() == 1
        && deployments[0].rollout_state()
            == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed)
        && svc.running_count() == svc.desired_count()
        && svc.pending_count() == 0
}

/// The service's event messages, oldest first (ECS returns them newest first).
pub fn event_messages(svc: &Service) -> Vec<String> {
    svc.events()
        .iter()
        .rev()
        .filter_map(|e| e.message().map(str::to_string))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Request log
// ---------------------------------------------------------------------------------------------

/// One line of the launcher's request log (see the launcher's header for the format).
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub account: String,
    /// SigV4 signing name: "ecs", "s3", "dynamodb", "ec2", "sts", ...
    pub service: String,
    /// "DescribeServices" (JSON/query protocols) or "PUT /bucket/key" (REST protocols).
    pub operation: String,
    pub status: u16,
    /// Heuristic: Describe*/List*/Get*/Head*/BatchGet*/Query/Scan, or REST GET/HEAD.
    pub readonly: bool,
    /// The whole JSON line.
    pub raw: serde_json::Value,
}

/// The request log of the shared server, filtered to `account`, oldest first. A request is in the
/// log before its response is sent, so everything a test already got an answer for is there.
pub fn request_log(account: &TestAccount) -> Vec<LoggedRequest> {
    read_request_log(&moto().request_log, Some(&account.id))
}

/// Parse a request log file, optionally keeping one account.
pub fn read_request_log(path: &Path, account: Option<&str>) -> Vec<LoggedRequest> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("request log line is JSON"))
        .map(|raw| LoggedRequest {
            account: raw["account"].as_str().unwrap_or_default().to_string(),
            service: raw["service"].as_str().unwrap_or_default().to_string(),
            operation: raw["operation"].as_str().unwrap_or_default().to_string(),
            status: raw["status"].as_u64().unwrap_or(0) as u16,
            readonly: raw["readonly"].as_bool().unwrap_or(false),
            raw,
        })
        .filter(|r| account.is_none_or(|a| r.account == a))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The ristretto binary
// ---------------------------------------------------------------------------------------------

/// A `ristretto` command for `account`: the account's environment, no AWS profile, and
/// `RISTRETTO_POLL_INTERVAL=100ms` so rollout waits poll fast against the emulator.
pub fn ristretto(account: &TestAccount) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ristretto"));
    account.apply_env(&mut cmd);
    cmd.env("RISTRETTO_POLL_INTERVAL", "100ms")
        .stdin(Stdio::null());
    cmd
}
