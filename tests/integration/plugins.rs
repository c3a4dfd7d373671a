//! Plugins that reach out, through the command line: the cloudformation plugin against a real
//! stack on the emulator (outputs and exports created through the CloudFormation API, more
//! exports than one ListExports page holds), and tfstate plugins reading their states from S3
//! on the emulator and over HTTPS from a local server with a private CA
//! (`tests/support/https_server.py`), `optional` ones included.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use crate::support;

/// More exports than ListExports answers on one page (100, in AWS and in moto).
const EXPORTS: usize = 105;

/// A stack with a resource (a template needs one), two plain outputs, and `EXPORTS` exported
/// outputs named `network-Export<N>`.
fn network_template() -> String {
    let mut outputs = serde_json::Map::new();
    outputs.insert("VpcId".into(), serde_json::json!({"Value": "vpc-0a1b2c3d"}));
    outputs.insert(
        "SubnetIds".into(),
        serde_json::json!({"Value": "subnet-1,subnet-2", "Export": {"Name": "network-SubnetIds"}}),
    );
    for index in 0..EXPORTS {
        outputs.insert(
            format!("Export{index}"),
            serde_json::json!({
                "Value": format!("value-{index}"),
                "Export": {"Name": format!("network-Export{index}")},
            }),
        );
    }
    serde_json::json!({
        "Resources": {
            "Marker": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/network/marker", "Type": "String", "Value": "x"},
            },
        },
        "Outputs": outputs,
    })
    .to_string()
}

fn failure(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn cloudformation_outputs_and_exports_reach_the_definitions_once_per_run() {
    let account = support::new_account();
    let created = account.aws_cli([
        "cloudformation",
        "create-stack",
        "--stack-name",
        "network",
        "--template-body",
        &network_template(),
    ]);
    assert!(created.status.success(), "{created:?}");
    let waited = account.aws_cli([
        "cloudformation",
        "wait",
        "stack-create-complete",
        "--stack-name",
        "network",
    ]);
    assert!(waited.status.success(), "{waited:?}");

    let directory = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(directory.path().join(name), text).unwrap();
    write(
        "ristretto.yml",
        "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
         service_definition: sv.jsonnet\nplugins:\n  - name: cloudformation\n\
         \x20 - name: cloudformation\n    func_prefix: shared_\n",
    );
    write(
        "td.json",
        r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "nginx",
            "environment": [
              {"name": "VPC", "value": "{{ cfn_output `network` `VpcId` }}"},
              {"name": "SUBNETS", "value": "{{ shared_cfn_output `network` `SubnetIds` }}"},
              {"name": "FIRST", "value": "{{ cfn_export `network-Export0` }}"},
              {"name": "LAST", "value": "{{ shared_cfn_export `network-Export104` }}"}]}]}"#,
    );
    write(
        "sv.jsonnet",
        "{ tags: [\n\
           { key: 'vpc', value: std.native('cfn_output')('network', 'VpcId') },\n\
           { key: 'subnets', value: std.native('shared_cfn_export')('network-SubnetIds') } ] }",
    );

    let before = account.request_log().len();
    let output = support::ristretto(&account)
        .current_dir(directory.path())
        .args(["render", "taskdef", "servicedef"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let documents: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let environment = &documents[0]["containerDefinitions"][0]["environment"];
    assert_eq!(environment[0]["value"], "vpc-0a1b2c3d");
    assert_eq!(environment[1]["value"], "subnet-1,subnet-2");
    assert_eq!(environment[2]["value"], "value-0");
    assert_eq!(
        environment[3]["value"], "value-104",
        "an export on the second page"
    );
    assert_eq!(documents[1]["tags"][0]["value"], "vpc-0a1b2c3d");
    assert_eq!(documents[1]["tags"][1]["value"], "subnet-1,subnet-2");

    // Cached per run, whichever plugin asks: one DescribeStacks for the stack, and the exports
    // listed once (two pages).
    let calls: Vec<String> = account.request_log()[before..]
        .iter()
        .map(|request| request.operation.clone())
        .collect();
    let count = |operation: &str| calls.iter().filter(|call| *call == operation).count();
    assert_eq!(count("DescribeStacks"), 1, "{calls:?}");
    assert_eq!(count("ListExports"), 2, "{calls:?}");

    // A missing stack, output and export: one clear error each, exit 1.
    let render_with = |image: &str| {
        write(
            "td.json",
            &format!(
                r#"{{"family": "api", "containerDefinitions": [{{"name": "app", "image": "{image}"}}]}}"#
            ),
        );
        failure(
            &support::ristretto(&account)
                .current_dir(directory.path())
                .env("NO_COLOR", "1")
                .args(["render", "taskdef"])
                .output()
                .unwrap(),
        )
    };
    let stderr = render_with("{{ cfn_output `netwrok` `VpcId` }}");
    assert!(
        stderr.contains("td.json")
            && stderr.contains(
                "cfn_output netwrok VpcId: ValidationError: Stack with id netwrok does not exist"
            )
            && stderr.contains("hint: lookups use the run's account and region"),
        "{stderr}"
    );
    let stderr = render_with("{{ cfn_output `network` `VpcID` }}");
    assert!(
        stderr.contains(
            "cfn_output network VpcID: stack network has no output VpcID, did you mean VpcId?"
        ),
        "{stderr}"
    );
    let stderr = render_with("{{ cfn_export `network-SubnetID` }}");
    assert!(
        stderr.contains(
            "cfn_export network-SubnetID: no export named network-SubnetID in this account and \
             region, did you mean network-SubnetIds?"
        ) && stderr.contains("and 96 more)"),
        "{stderr}"
    );
}

/// The HTTPS server of `tests/support/https_server.py`, killed when dropped.
struct HttpsServer {
    child: Child,
    port: u16,
}

impl HttpsServer {
    fn start(directory: &std::path::Path, ca_out: &std::path::Path) -> Self {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/https_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--directory")
            .arg(directory)
            .arg("--ca-out")
            .arg(ca_out)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the HTTPS test server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT=")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the HTTPS test server did not start: {line:?}"));
        Self { child, port }
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn terraform_state_over_https_with_a_private_ca_and_optional_states() {
    let served = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ecspresso/terraform.tfstate"),
        served.path().join("network.tfstate"),
    )
    .unwrap();
    let project = tempfile::tempdir().unwrap();
    let ca = project.path().join("test-ca.pem");
    let server = HttpsServer::start(served.path(), &ca);
    let base = format!("https://127.0.0.1:{}", server.port);
    let write = |name: &str, text: &str| std::fs::write(project.path().join(name), text).unwrap();
    let config = |optional: bool| {
        format!(
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
             service_definition: sv.jsonnet\nplugins:\n\
             \x20 - name: tfstate\n    config:\n      url: {base}/network.tfstate\n\
             \x20 - name: tfstate\n    func_prefix: next_\n    config:\n\
             \x20     url: {base}/not-applied-yet.tfstate\n      optional: {optional}\n"
        )
    };
    write("ristretto.yml", &config(true));
    write(
        "td.json",
        r#"{"family": "api", "containerDefinitions": [{"name": "app",
            "image": "{{ tfstate `aws_ecr_repository.all['app'].repository_url` }}:1"}]}"#,
    );
    write(
        "sv.jsonnet",
        "{ tags: [{ key: 'subnet', value: std.native('tfstate')('aws_subnet.private-a.id') }] }",
    );
    let run = |arguments: &[&str], trust: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
        command
            .args(arguments)
            .current_dir(project.path())
            .env("NO_COLOR", "1")
            .env_remove("SSL_CERT_DIR")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy");
        if trust {
            command.env("SSL_CERT_FILE", &ca);
        } else {
            command.env_remove("SSL_CERT_FILE");
        }
        command.output().unwrap()
    };

    // The state comes over HTTPS, trusted through SSL_CERT_FILE; the optional state is missing
    // (404) and nobody asks it.
    let output = run(&["render", "taskdef", "servicedef"], true);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let documents: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        documents[0]["containerDefinitions"][0]["image"],
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:1"
    );
    assert_eq!(documents[1]["tags"][0]["value"], "subnet-07ac54af5e41a4fc4");

    // Without the private CA, the server is not trusted: the certificate is checked.
    let stderr = failure(&run(&["render", "taskdef"], false));
    assert!(
        stderr.contains(&format!(
            "cannot read Terraform state {base}/network.tfstate: "
        )) && stderr.contains("invalid peer certificate: UnknownIssuer")
            && stderr.contains("SSL_CERT_FILE"),
        "{stderr}"
    );

    // A lookup in the missing optional state fails, with the server's answer.
    write(
        "td.json",
        r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "{{ next_tfstate `output.image` }}"}]}"#,
    );
    let stderr = failure(&run(&["render", "taskdef"], true));
    assert!(
        stderr.contains(&format!(
            "cannot read Terraform state {base}/not-applied-yet.tfstate: HTTP status 404 (an \
             optional state: lookups in it fail)"
        )),
        "{stderr}"
    );

    // Not optional: every definition fails before any lookup.
    write("ristretto.yml", &config(false));
    let stderr = failure(&run(&["render", "servicedef"], true));
    assert!(
        stderr
            .contains("failed to setup plugins: plugins[1] (tfstate): cannot read Terraform state")
            && stderr.contains("HTTP status 404"),
        "{stderr}"
    );
    drop(server);
}

#[test]
fn terraform_states_in_s3_are_read_once_per_run_and_optional_ones_may_be_missing() {
    let account = support::new_account();
    let bucket = account.unique_name("tfstate");
    let created = account.aws_cli([
        "s3api",
        "create-bucket",
        "--bucket",
        &bucket,
        "--create-bucket-configuration",
        "LocationConstraint=ap-northeast-1",
    ]);
    assert!(created.status.success(), "{created:?}");
    let state = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ecspresso/terraform.tfstate");
    let copied = account.aws_cli([
        "s3",
        "cp",
        state.to_str().unwrap(),
        &format!("s3://{bucket}/network/terraform.tfstate"),
    ]);
    assert!(copied.status.success(), "{copied:?}");

    let directory = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(directory.path().join(name), text).unwrap();
    write(
        "ristretto.yml",
        &format!(
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
             service_definition: sv.jsonnet\nplugins:\n\
             \x20 - name: tfstate\n    config:\n      url: s3://{bucket}/network/terraform.tfstate\n\
             \x20 - name: tfstate\n    func_prefix: next_\n    config:\n\
             \x20     url: s3://{bucket}/next/terraform.tfstate\n      optional: true\n"
        ),
    );
    write(
        "td.json",
        r#"{"family": "api", "containerDefinitions": [{"name": "app",
            "image": "{{ tfstate `aws_ecr_repository.all['app'].repository_url` }}:1",
            "environment": [{"name": "SUBNET", "value": "{{ tfstate `aws_subnet.private-a.id` }}"}]}]}"#,
    );
    write(
        "sv.jsonnet",
        "{ tags: [{ key: 'subnet', value: std.native('tfstate')('aws_subnet.private-a.id') }] }",
    );
    let render = |arguments: &[&str]| {
        support::ristretto(&account)
            .current_dir(directory.path())
            .env("NO_COLOR", "1")
            .args(arguments)
            .output()
            .unwrap()
    };

    let before = account.request_log().len();
    let output = render(&["render", "taskdef", "servicedef"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let documents: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        documents[0]["containerDefinitions"][0]["environment"][0]["value"],
        "subnet-07ac54af5e41a4fc4"
    );
    assert_eq!(documents[1]["tags"][0]["value"], "subnet-07ac54af5e41a4fc4");
    // The required state was read once for three lookups in two files; the optional one,
    // which nobody asked, never.
    let reads: Vec<String> = account.request_log()[before..]
        .iter()
        .filter(|request| request.service == "s3")
        .map(|request| request.operation.clone())
        .collect();
    assert_eq!(
        reads,
        [format!("GET /{bucket}/network/terraform.tfstate")],
        "{reads:?}"
    );

    // A lookup in the missing optional state: the S3 error, and only for that lookup.
    write(
        "td.json",
        r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "{{ next_tfstate `output.image` }}"}]}"#,
    );
    let stderr = failure(&render(&["render", "taskdef"]));
    assert!(
        stderr.contains(&format!(
            "cannot read Terraform state s3://{bucket}/next/terraform.tfstate: NoSuchKey"
        )) && stderr.contains("(an optional state: lookups in it fail)"),
        "{stderr}"
    );
}
