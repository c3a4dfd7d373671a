//! ecspresso's default plugin functions against the emulator: `ssm` (String, SecureString,
//! StringList with an index) and `secretsmanager_arn`, in templates and Jsonnet natives, each
//! looked up once per run.

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn parameters_and_secret_arns_reach_the_definitions_once_per_run() {
    let account = support::new_account();
    for (name, kind, value) in [
        ("/app/image-tag", "String", "1.4.2"),
        ("/app/db-password", "SecureString", "hunter2"),
        ("/app/hosts", "StringList", "a.example,b.example"),
    ] {
        let put = account.aws_cli([
            "ssm",
            "put-parameter",
            "--name",
            name,
            "--type",
            kind,
            "--value",
            value,
        ]);
        assert!(put.status.success(), "{put:?}");
    }
    let created = account.aws_cli([
        "secretsmanager",
        "create-secret",
        "--name",
        "db",
        "--secret-string",
        "s",
    ]);
    assert!(created.status.success(), "{created:?}");
    let secret_arn = serde_json::from_slice::<serde_json::Value>(&created.stdout).unwrap()["ARN"]
        .as_str()
        .unwrap()
        .to_owned();

    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("ristretto.yml"),
        "region: ap-northeast-1\nservice: api\ntask_definition: td.json\nservice_definition: sv.jsonnet\n",
    )
    .unwrap();
    std::fs::write(
        directory.path().join("td.json"),
        r#"{"family": "api", "containerDefinitions": [{"name": "app",
            "image": "nginx:{{ ssm `/app/image-tag` }}",
            "environment": [
              {"name": "HOST", "value": "{{ ssm `/app/hosts` 1 }}"},
              {"name": "TAG_AGAIN", "value": "{{ ssm `/app/image-tag` }}"},
              {"name": "PASSWORD", "value": "{{ ssm `/app/db-password` }}"}],
            "secrets": [{"name": "DB", "valueFrom": "{{ secretsmanager_arn `db` }}"}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        directory.path().join("sv.jsonnet"),
        "{ tags: [\n\
           { key: 'tag', value: std.native('ssm')('/app/image-tag') },\n\
           { key: 'host', value: std.native('ssm_list')('/app/hosts', 0) },\n\
           { key: 'secret', value: std.native('secretsmanager_arn')('db') } ] }",
    )
    .unwrap();

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
    let container = &documents[0]["containerDefinitions"][0];
    assert_eq!(container["image"], "nginx:1.4.2");
    assert_eq!(container["environment"][0]["value"], "b.example");
    assert_eq!(container["environment"][1]["value"], "1.4.2");
    assert_eq!(container["environment"][2]["value"], "hunter2");
    assert_eq!(container["secrets"][0]["valueFrom"], secret_arn.as_str());
    let tags = &documents[1]["tags"];
    assert_eq!(tags[0]["value"], "1.4.2");
    assert_eq!(tags[1]["value"], "a.example");
    assert_eq!(tags[2]["value"], secret_arn.as_str());

    // Cached per run: each parameter and secret was asked for once.
    let calls: Vec<String> = account.request_log()[before..]
        .iter()
        .map(|request| request.operation.clone())
        .collect();
    assert_eq!(
        calls.iter().filter(|call| *call == "GetParameter").count(),
        3,
        "{calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|call| *call == "DescribeSecret")
            .count(),
        1,
        "{calls:?}"
    );

    // A StringList without an index, and a missing parameter: one clear error each.
    std::fs::write(
        directory.path().join("td.json"),
        r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "{{ ssm `/app/hosts` }}"}]}"#,
    )
    .unwrap();
    let output = support::ristretto(&account)
        .current_dir(directory.path())
        .args(["render", "taskdef"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("td.json") && stderr.contains("is a StringList"),
        "{stderr}"
    );
    std::fs::write(
        directory.path().join("td.json"),
        r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "{{ ssm `/app/nope` }}"}]}"#,
    )
    .unwrap();
    let output = support::ristretto(&account)
        .current_dir(directory.path())
        .args(["render", "taskdef"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ssm /app/nope: ParameterNotFound"),
        "{stderr}"
    );
}
