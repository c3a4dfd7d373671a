//! ecspresso v2's commands and flags that ristretto took over (issue 13 §3, §4), each through the
//! command line against the emulator: `register`, `refresh`, `deploy --no-update-service`,
//! `tasks`, `exec` (with a stand-in `session-manager-plugin` that records its arguments),
//! `appspec`, `run`'s flags, `revisions`/`deregister` words, `diff --unified/--external`,
//! `init`'s flags and codedeploy section, and `delete --dry-run`. Bad input that needs AWS to be
//! told apart (a task id that does not exist, an external diff command that fails) is here too.

use std::path::Path;

use serde_json::{Value, json};

use crate::fixtures::Project;
use crate::support::{self, TestAccount};

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("not JSON ({error}):\n{text}"))
}

/// How many `operation` calls the account made since `before` (an index in its request log).
fn calls_since(account: &TestAccount, before: usize, operation: &str) -> usize {
    account.request_log()[before..]
        .iter()
        .filter(|request| request.operation == operation)
        .count()
}

/// A shell script on a fresh directory, made executable; returns the directory.
fn script(name: &str, body: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    directory
}

/// PATH with `directory` first.
fn path_with(directory: &Path) -> String {
    format!(
        "{}:{}",
        directory.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn expect_with(
    project: &Project,
    arguments: &[&str],
    variables: &[(&str, &str)],
    code: i32,
) -> (String, String) {
    let mut command = project.command(arguments);
    for (name, value) in variables {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "ristretto {arguments:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn register_always_registers_a_new_revision() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let (dry, stderr) = project.expect(&["register", "--dry-run"], 0);
    assert_eq!(parse(&dry)["family"], "api");
    assert!(
        stderr.contains("Would register a new revision of api"),
        "{stderr}"
    );
    assert!(project.task_definition_revisions().is_empty());

    let (registered, stderr) = project.expect(&["register", "--output"], 0);
    let registered = parse(&registered);
    assert_eq!(registered["revision"], 1);
    assert_eq!(registered["containerDefinitions"][0]["image"], "nginx:1");
    assert!(
        stderr.starts_with("Registered api:1 (arn:aws:ecs:"),
        "{stderr}"
    );
    // The same file again: a new revision all the same, as ecspresso's register does.
    let (stdout, stderr) = project.expect(&["register"], 0);
    assert!(stdout.is_empty());
    assert!(stderr.starts_with("Registered api:2 "), "{stderr}");
    assert_eq!(project.task_definition_revisions().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_and_deploy_without_updating_the_service_keep_its_attributes() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    let before = project.describe_service();

    // The files now ask for other attributes; neither command applies them.
    project.write_task_definition("nginx:2");
    project.write_service(json!({
        "desiredCount": 4,
        "healthCheckGracePeriodSeconds": 30,
        "tags": [{"key": "ristretto-test:rollout-steps", "value": "2"}, {"key": "team", "value": "web"}]
    }));
    let (dry, _) = project.expect(&["refresh", "--dry-run"], 0);
    assert!(dry.contains("force new deployment"), "{dry}");
    project.expect(&["refresh"], 0);
    let refreshed = project.describe_service();
    assert_eq!(refreshed["taskDefinition"], before["taskDefinition"]);
    assert_eq!(refreshed["desiredCount"], 2);
    assert_ne!(
        refreshed["deployments"][0]["id"], before["deployments"][0]["id"],
        "a new deployment"
    );

    project.expect(&["deploy", "--no-update-service", "--wait"], 0);
    let deployed = project.describe_service();
    assert!(
        deployed["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("task-definition/api:2"),
        "{deployed}"
    );
    assert_eq!(deployed["desiredCount"], 2);
    assert_ne!(deployed["healthCheckGracePeriodSeconds"], 30);
    assert!(
        !deployed["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|tag| tag["key"] == "team"),
        "{deployed}"
    );
    // --tasks still sets the count; the later --update-service undoes --no-update-service.
    project.expect(&["deploy", "--no-update-service", "--tasks", "3"], 0);
    assert_eq!(project.describe_service()["desiredCount"], 3);
    project.expect(&["deploy", "--no-update-service", "--update-service"], 0);
    let updated = project.describe_service();
    assert_eq!(updated["desiredCount"], 4);
    assert_eq!(updated["healthCheckGracePeriodSeconds"], 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_lists_finds_traces_and_stops() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    // A one-off task of the family is listed too.
    project.expect(&["run", "--no-wait"], 0);

    let (tsv, _) = project.expect(&["tasks", "--output", "tsv"], 0);
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(
        lines[0],
        "ID\tTASK DEFINITION\tLAST STATUS\tDESIRED STATUS\tCREATED AT\tGROUP\tTYPE"
    );
    assert_eq!(lines.len(), 4, "{tsv}");
    let groups: Vec<&str> = lines[1..]
        .iter()
        .map(|line| line.split('\t').nth(5).unwrap())
        .collect();
    assert_eq!(
        groups
            .iter()
            .filter(|group| **group == "service:api")
            .count(),
        2
    );
    assert!(groups.contains(&"family:api"), "{tsv}");
    let (json, _) = project.expect(&["tasks", "--output", "json"], 0);
    assert_eq!(parse(&json).as_array().unwrap().len(), 3);
    let (table, _) = project.expect(&["tasks"], 0);
    assert!(table.starts_with("| ID "), "{table}");

    // Several tasks and nothing to choose with: one clear error.
    let (_, stderr) = project.expect(&["tasks", "--find"], 1);
    assert!(
        stderr.starts_with("error: 3 tasks to choose from:\n"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: name one (--id"), "{stderr}");
    let last_id = lines[3].split('\t').next().unwrap();
    let (found, _) = project.expect(&["tasks", "--find", "--filter-command", "tail -n 1"], 0);
    assert!(
        parse(&found)[0]["taskArn"]
            .as_str()
            .unwrap()
            .ends_with(last_id),
        "{found}"
    );

    // A task id that does not exist.
    let (_, stderr) = project.expect(&["tasks", "--id", "0123456789abcdef0123456789abcdef"], 1);
    assert_eq!(
        stderr,
        "error: task 0123456789abcdef0123456789abcdef not found in cluster web\n\
         hint: list the service's tasks with ristretto tasks\n"
    );

    let service_task = lines[1].split('\t').next().unwrap();
    let (trace, _) = project.expect(&["tasks", "--trace", "--id", service_task], 0);
    assert!(
        trace.starts_with(&format!("Task {service_task} (api:1), RUNNING\n")),
        "{trace}"
    );
    assert!(trace.contains("  container app: RUNNING"), "{trace}");

    // Stopping asks first; without a terminal that is an error, --force goes ahead.
    let (_, stderr) = project.expect(&["tasks", "--stop", "--id", service_task], 1);
    assert!(
        stderr.contains("confirmation is needed, and stdin is not a terminal"),
        "{stderr}"
    );
    let (_, stderr) = project.expect(&["tasks", "--stop", "--force", "--id", service_task], 0);
    assert!(
        stderr.contains(&format!("Stopped task {service_task} (now STOPPED).")),
        "{stderr}"
    );
    let described = account.aws_cli_json([
        "ecs",
        "describe-tasks",
        "--cluster",
        "web",
        "--tasks",
        service_task,
    ]);
    assert_eq!(described["tasks"][0]["lastStatus"], "STOPPED");
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_hands_the_session_to_session_manager_plugin() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.write_service(json!({"desiredCount": 1, "enableExecuteCommand": true}));
    project.expect(&["deploy"], 0);
    let tasks = account.aws_cli_json(["ecs", "list-tasks", "--cluster", "web"]);
    let task_arn = tasks["taskArns"][0].as_str().unwrap().to_owned();
    let task_id = task_arn.rsplit('/').next().unwrap().to_owned();
    let described = account.aws_cli_json([
        "ecs",
        "describe-tasks",
        "--cluster",
        "web",
        "--tasks",
        &task_arn,
    ]);
    let runtime_id = described["tasks"][0]["containers"][0]["runtimeId"]
        .as_str()
        .unwrap()
        .to_owned();
    let target = format!("ecs:web_{task_id}_{runtime_id}");

    // The stand-in records its arguments, one per line (the JSON ones are on one line).
    let record = tempfile::tempdir().unwrap();
    let arguments_file = record.path().join("arguments");
    let plugin = script(
        "session-manager-plugin",
        &format!("printf '%s\\n' \"$@\" > '{}'", arguments_file.display()),
    );
    let path = path_with(plugin.path());
    let recorded = || -> Vec<String> {
        std::fs::read_to_string(&arguments_file)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };

    let before = account.request_log().len();
    let (_, stderr) = expect_with(
        &project,
        &["exec", "--command", "ls -l"],
        &[("PATH", &path)],
        0,
    );
    assert!(
        stderr.contains(&format!("Running \"ls -l\" in app of task {task_id}.")),
        "{stderr}"
    );
    assert_eq!(calls_since(&account, before, "ExecuteCommand"), 1);
    let arguments = recorded();
    assert_eq!(arguments.len(), 6, "{arguments:?}");
    let session = parse(&arguments[0]);
    assert!(
        session["sessionId"]
            .as_str()
            .unwrap()
            .starts_with("ecs-execute-command-"),
        "{session}"
    );
    assert!(
        session["streamUrl"]
            .as_str()
            .unwrap()
            .starts_with("wss://ssmmessages.")
    );
    assert!(session["tokenValue"].is_string());
    assert_eq!(arguments[1], support::REGION);
    assert_eq!(arguments[2], "StartSession");
    assert_eq!(arguments[3], "", "no profile");
    assert_eq!(parse(&arguments[4]), json!({"Target": target}));
    assert_eq!(arguments[5], support::moto_endpoint());

    // Port forwarding to the task, then to a host it reaches.
    expect_with(
        &project,
        &[
            "exec",
            "--port-forward",
            "--port",
            "80",
            "--local-port",
            "8080",
        ],
        &[("PATH", &path)],
        0,
    );
    let arguments = recorded();
    assert!(
        parse(&arguments[0])["SessionId"].is_string(),
        "{arguments:?}"
    );
    assert_eq!(
        parse(&arguments[4]),
        json!({"Target": target, "DocumentName": "AWS-StartPortForwardingSession",
               "Parameters": {"portNumber": ["80"], "localPortNumber": ["8080"]}})
    );
    assert_eq!(arguments[5], support::moto_endpoint());
    expect_with(
        &project,
        &["exec", "-L", "15432:db.internal:5432"],
        &[("PATH", &path)],
        0,
    );
    assert_eq!(
        parse(&recorded()[4]),
        json!({"Target": target, "DocumentName": "AWS-StartPortForwardingSessionToRemoteHost",
               "Parameters": {"portNumber": ["5432"], "localPortNumber": ["15432"],
                              "host": ["db.internal"]}})
    );

    // A plugin that fails, and a container that does not exist.
    let failing = script("session-manager-plugin", "exit 3");
    let (_, stderr) = expect_with(
        &project,
        &["exec"],
        &[("PATH", &path_with(failing.path()))],
        1,
    );
    assert!(
        stderr.contains("\nerror: session-manager-plugin ended with exit status: 3\n"),
        "{stderr}"
    );
    let (_, stderr) = expect_with(
        &project,
        &["exec", "--container", "sidecar"],
        &[("PATH", &path)],
        1,
    );
    assert_eq!(
        stderr,
        format!("error: --container sidecar: task {task_id} has no such container (it has app)\n")
    );

    // Without the plugin: the install instructions, and no session is started.
    let before = account.request_log().len();
    let empty = tempfile::tempdir().unwrap();
    let (_, stderr) = expect_with(
        &project,
        &["exec"],
        &[("PATH", &empty.path().display().to_string())],
        1,
    );
    assert!(
        stderr.starts_with(
            "error: session-manager-plugin is not on PATH: exec needs it to open the session\n\
             hint: install AWS's Session Manager plugin"
        ),
        "{stderr}"
    );
    assert_eq!(account.request_log().len(), before, "no AWS call at all");
}

#[tokio::test(flavor = "multi_thread")]
async fn appspec_prints_the_codedeploy_appspec() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let vpc = account.aws_cli_json([
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=isDefault,Values=true",
    ]);
    let target_group = account.aws_cli_json([
        "elbv2",
        "create-target-group",
        "--name",
        "api-blue",
        "--protocol",
        "HTTP",
        "--port",
        "80",
        "--target-type",
        "ip",
        "--vpc-id",
        vpc["Vpcs"][0]["VpcId"].as_str().unwrap(),
    ])["TargetGroups"][0]["TargetGroupArn"]
        .as_str()
        .unwrap()
        .to_owned();
    project.write_config("appspec:\n  Hooks:\n    - BeforeInstall: check-before-install\n");
    project.write_service(json!({
        "platformVersion": "1.4.0",
        "loadBalancers": [{"targetGroupArn": target_group, "containerName": "app", "containerPort": 80}]
    }));
    project.expect(&["deploy"], 0);
    let task_definition = project.describe_service()["taskDefinition"]
        .as_str()
        .unwrap()
        .to_owned();
    let (yaml, _) = project.expect(&["appspec"], 0);
    assert_eq!(
        yaml,
        format!(
            "version: \"0.0\"\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    \
             Properties:\n      TaskDefinition: {task_definition}\n      LoadBalancerInfo:\n        \
             ContainerName: app\n        ContainerPort: 80\n      PlatformVersion: \"1.4.0\"\n      \
             NetworkConfiguration:\n        AwsvpcConfiguration:\n          SecurityGroups:\n          \
             - {}\n          Subnets:\n          - {}\nHooks:\n- BeforeInstall: check-before-install\n",
            project.security_group, project.subnets[0]
        )
    );
    // From the live service, not the file (which now names another port).
    project.write_service(json!({
        "platformVersion": "1.4.0",
        "loadBalancers": [{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8080}]
    }));
    let (file, _) = project.expect(&["appspec"], 0);
    assert!(file.contains("ContainerPort: 8080"), "{file}");
    let (live, _) = project.expect(
        &[
            "appspec",
            "--task-definition",
            "current",
            "--no-update-service",
        ],
        0,
    );
    assert!(live.contains("ContainerPort: 80\n"), "{live}");
    assert!(
        live.contains(&format!("TaskDefinition: {task_definition}")),
        "{live}"
    );
    let arn = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:9";
    let (given, _) = project.expect(&["appspec", "--task-definition", arn], 0);
    assert!(given.contains(&format!("TaskDefinition: {arn}")), "{given}");

    project.write_service(json!({}));
    let (_, stderr) = project.expect(&["appspec"], 1);
    assert!(
        stderr.starts_with("error: the service has no load balancer: an ECS AppSpec names"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_takes_ecspressos_flags() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.write_service(json!({
        "tags": [{"key": "ristretto-test:rollout-steps", "value": "2"}, {"key": "team", "value": "web"}],
        "volumeConfigurations": [{"name": "data", "managedEBSVolume": {
            "roleArn": format!("arn:aws:iam::{}:role/ecsInfrastructureRole", account.id),
            "sizeInGiB": 10, "volumeType": "gp3",
            "tagSpecifications": [{"resourceType": "volume", "propagateTags": "SERVICE"}]}}]
    }));
    project.expect(&["deploy"], 0);

    // --dry-run: the request, nothing run and nothing registered.
    let before = account.request_log().len();
    let (request, _) = project.expect(
        &[
            "run",
            "--dry-run",
            "--propagate-tags",
            "SERVICE",
            "--tags",
            "purpose=migration,team=jobs",
            "--no-ebs-delete-on-termination",
            "--client-token",
            "token-1",
        ],
        0,
    );
    let request = parse(&request);
    assert_eq!(calls_since(&account, before, "RunTask"), 0);
    assert_eq!(calls_since(&account, before, "RegisterTaskDefinition"), 0);
    assert!(request.get("propagateTags").is_none(), "{request}");
    let tags = request["tags"].as_array().unwrap();
    assert!(tags.contains(&json!({"key": "purpose", "value": "migration"})));
    assert!(
        tags.contains(&json!({"key": "team", "value": "jobs"})),
        "--tags win"
    );
    assert!(tags.contains(&json!({"key": "ristretto-test:rollout-steps", "value": "2"})));
    assert_eq!(tags.len(), 3, "{tags:?}");
    assert_eq!(request["clientToken"], "token-1");
    assert_eq!(
        request["volumeConfigurations"],
        json!([{"name": "data", "managedEBSVolume": {
            "roleArn": format!("arn:aws:iam::{}:role/ecsInfrastructureRole", account.id),
            "sizeInGiB": 10, "volumeType": "gp3",
            "terminationPolicy": {"deleteOnTermination": false}}}])
    );

    // The client token makes a retry start nothing new.
    let started = |stderr: &str| -> String {
        stderr
            .lines()
            .find_map(|line| line.strip_prefix("Started task "))
            .unwrap_or_else(|| panic!("no task started:\n{stderr}"))
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let arguments = [
        "run",
        "--no-wait",
        "--client-token",
        "token-1",
        "--propagate-tags",
        "SERVICE",
    ];
    let (_, first) = project.expect(&arguments, 0);
    let (_, second) = project.expect(&arguments, 0);
    assert_eq!(started(&first), started(&second));
    let listed = account.aws_cli_json([
        "ecs",
        "list-tasks",
        "--cluster",
        "web",
        "--started-by",
        "ristretto",
    ]);
    assert_eq!(listed["taskArns"].as_array().unwrap().len(), 1, "{listed}");
    let task = account.aws_cli_json([
        "ecs",
        "describe-tasks",
        "--cluster",
        "web",
        "--tasks",
        &started(&first),
        "--include",
        "TAGS",
    ]);
    assert!(
        task["tasks"][0]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "team", "value": "web"})),
        "the service's tags: {task}"
    );

    // --skip-task-definition runs what the service runs, whatever the file says.
    project.write_task_definition("nginx:2");
    let before = account.request_log().len();
    let (_, stderr) = project.expect(&["run", "--no-wait", "--skip-task-definition"], 0);
    assert!(stderr.contains("(api:1)."), "{stderr}");
    assert_eq!(calls_since(&account, before, "RegisterTaskDefinition"), 0);

    // --overrides-file is rendered like a definition.
    std::fs::write(
        project.file("overrides.json"),
        r#"{"containerOverrides": [{"name": "app", "command": ["nginx", "{{ must_env `OPTION` }}"]}]}"#,
    )
    .unwrap();
    let (request, _) = expect_with(
        &project,
        &["run", "--dry-run", "--overrides-file", "overrides.json"],
        &[("OPTION", "-V")],
        0,
    );
    assert_eq!(
        parse(&request)["overrides"]["containerOverrides"][0]["command"],
        json!(["nginx", "-V"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn revisions_and_deregister_take_ecspressos_words() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    project.expect(&["register"], 0);
    project.expect(&["register"], 0);

    let (tsv, _) = project.expect(&["revisions", "--output", "tsv"], 0);
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines[0], "REVISION\tIN USE\tARN");
    assert!(lines[1].starts_with("api:3\t-\t"), "{tsv}");
    assert!(
        lines[3].starts_with("api:1\tservice api (PRIMARY)"),
        "{tsv}"
    );
    for (word, revision) in [("current", 1), ("latest", 3), ("2", 2)] {
        let (document, _) = project.expect(&["revisions", "--revision", word], 0);
        assert_eq!(parse(&document)["revision"], revision, "--revision {word}");
    }
    let (_, stderr) = project.expect(&["revisions", "--revision", "9"], 1);
    assert_eq!(
        stderr,
        "error: task definition api:9 does not exist\nhint: list the revisions with ristretto revisions\n"
    );

    let (_, stderr) = project.expect(
        &[
            "deregister",
            "--revision",
            "latest",
            "--delete",
            "--dry-run",
        ],
        0,
    );
    assert!(
        stderr.contains("Would deregister and delete api:3."),
        "{stderr}"
    );
    let before = account.request_log().len();
    let (_, stderr) = project.expect(
        &["deregister", "--revision", "latest", "--delete", "--force"],
        0,
    );
    assert!(
        stderr.contains("Deregistered api:3.\nDeleted api:3."),
        "{stderr}"
    );
    assert_eq!(calls_since(&account, before, "DeleteTaskDefinitions"), 1);
    let (tsv, _) = project.expect(&["revisions", "--output", "tsv"], 0);
    assert!(tsv.lines().nth(1).unwrap().starts_with("api:2\t"), "{tsv}");
    // The newest left is in use after a deploy of it: refused.
    project.expect(&["deploy", "--revision", "2"], 0);
    let (_, stderr) = project.expect(&["deregister", "--revision", "latest", "--force"], 1);
    assert!(
        stderr.starts_with("error: task definition api:2 is in use by service api (PRIMARY)"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_unified_jsonnet_and_external() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    let live_arn = project.describe_service()["taskDefinition"]
        .as_str()
        .unwrap()
        .to_owned();
    project.write_task_definition("nginx:2");

    let (unified, _) = project.expect(&["diff", "--unified", "--detailed-exitcode"], 2);
    assert!(
        unified.starts_with(&format!("--- {live_arn}\n+++ ecs-task-def.json\n@@ ")),
        "{unified}"
    );
    assert!(
        unified.contains("\n-      \"image\": \"nginx:1\",\n+      \"image\": \"nginx:2\",\n"),
        "{unified}"
    );
    assert!(
        !unified.contains("service.json"),
        "the service is unchanged: {unified}"
    );
    let (jsonnet, _) = project.expect(&["diff", "--jsonnet"], 0);
    assert!(jsonnet.contains("+      image: 'nginx:2',"), "{jsonnet}");

    // An external tool gets the live and the desired document as two files.
    let record = tempfile::tempdir().unwrap();
    let tool = script(
        "record-diff",
        &format!(
            "printf '%s\\n%s\\n' \"$1\" \"$2\" > '{0}/paths'; cat \"$1\" > '{0}/live'; cat \"$2\" > '{0}/local'; echo external-diff-ran",
            record.path().display()
        ),
    );
    let tool_path = tool.path().join("record-diff").display().to_string();
    let (stdout, _) = project.expect(&["diff", "--external", &tool_path], 0);
    assert_eq!(stdout, "external-diff-ran\n");
    let paths = std::fs::read_to_string(record.path().join("paths")).unwrap();
    assert!(paths.contains("/live/taskdef.json\n"), "{paths}");
    assert!(paths.contains("/local/taskdef.json\n"), "{paths}");
    let live = std::fs::read_to_string(record.path().join("live")).unwrap();
    let local = std::fs::read_to_string(record.path().join("local")).unwrap();
    assert!(live.contains("\"image\": \"nginx:1\""), "{live}");
    assert!(local.contains("\"image\": \"nginx:2\""), "{local}");

    // ECSPRESSO_DIFF_COMMAND is the same flag; RISTRETTO_DIFF_COMMAND wins over it.
    let (stdout, _) = expect_with(
        &project,
        &["diff"],
        &[("ECSPRESSO_DIFF_COMMAND", &tool_path)],
        0,
    );
    assert_eq!(stdout, "external-diff-ran\n");
    let (_, stderr) = expect_with(
        &project,
        &["diff"],
        &[
            ("ECSPRESSO_DIFF_COMMAND", &tool_path),
            ("RISTRETTO_DIFF_COMMAND", "false"),
        ],
        1,
    );
    assert_eq!(
        stderr.lines().next().unwrap(),
        "error: the external diff command \"false\" failed (exit status: 1) on the task \
         definition of web/api (ap-northeast-1)"
    );
    assert!(stderr.contains("hint: it must exit 0"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn init_takes_ecspressos_paths_and_sort_flags() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.write_task_definition("nginx:1");
    project.expect(&["deploy"], 0);

    let directory = tempfile::tempdir().unwrap();
    let init = |arguments: &[&str], code: i32| -> String {
        let output = support::ristretto(&account)
            .args(arguments)
            .current_dir(directory.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(code), "{arguments:?}\n{stderr}");
        stderr
    };
    let arguments = [
        "init",
        "--cluster",
        "web",
        "--service",
        "api",
        "--task-definition-path",
        "defs/td.json",
        "--service-definition-path",
        "defs/sv.json",
        "--no-sort",
    ];
    std::fs::create_dir(directory.path().join("defs")).unwrap();
    init(&arguments, 0);
    let config = std::fs::read_to_string(directory.path().join("ristretto.yml")).unwrap();
    assert!(
        config.contains("task_definition: \"defs/td.json\"\n"),
        "{config}"
    );
    assert!(
        config.contains("service_definition: \"defs/sv.json\"\n"),
        "{config}"
    );
    assert!(directory.path().join("defs/td.json").is_file());
    let stderr = init(&arguments, 1);
    assert!(
        stderr.starts_with("error: init would overwrite ristretto.yml"),
        "{stderr}"
    );
    let mut forced = arguments.to_vec();
    forced.push("--force-overwrite");
    init(&forced, 0);
    init(&["plan", "--detailed-exitcode"], 0);
}

/// A CODE_DEPLOY service gets the config's codedeploy section, found through CodeDeploy.
#[tokio::test(flavor = "multi_thread")]
async fn init_writes_the_codedeploy_section_of_a_code_deploy_service() {
    let account = support::new_account();
    account.create_cluster("web").await;
    let task_definition = account.register_task_definition("api", "nginx:1").await;
    let vpc = account.aws_cli_json([
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=isDefault,Values=true",
    ]);
    let vpc_id = vpc["Vpcs"][0]["VpcId"].as_str().unwrap().to_owned();
    let mut groups = Vec::new();
    for name in ["api-blue", "api-green"] {
        let group = account.aws_cli_json([
            "elbv2",
            "create-target-group",
            "--name",
            name,
            "--protocol",
            "HTTP",
            "--port",
            "80",
            "--target-type",
            "ip",
            "--vpc-id",
            &vpc_id,
        ]);
        groups.push(
            group["TargetGroups"][0]["TargetGroupArn"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let network = account.default_network();
    let scratch = tempfile::tempdir().unwrap();
    let input = scratch.path().join("service.json");
    std::fs::write(
        &input,
        json!({
            "cluster": "web", "serviceName": "api", "taskDefinition": task_definition,
            "desiredCount": 1, "launchType": "FARGATE",
            "deploymentController": {"type": "CODE_DEPLOY"},
            "loadBalancers": [{"targetGroupArn": groups[0], "containerName": "app", "containerPort": 80}],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": [network.subnets[0]],
                "securityGroups": [network.security_group]}}
        })
        .to_string(),
    )
    .unwrap();
    account.aws_cli_json([
        "ecs",
        "create-service",
        "--cli-input-json",
        &format!("file://{}", input.display()),
    ]);
    account.aws_cli_json([
        "deploy",
        "create-application",
        "--application-name",
        "AppECS-web-api",
        "--compute-platform",
        "ECS",
    ]);
    let group_input = scratch.path().join("group.json");
    std::fs::write(
        &group_input,
        json!({
            "applicationName": "AppECS-web-api", "deploymentGroupName": "DgpECS-web-api",
            "serviceRoleArn": format!("arn:aws:iam::{}:role/codedeploy", account.id),
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
                "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}},
            "loadBalancerInfo": {"targetGroupPairInfoList": [{
                "targetGroups": [{"name": "api-blue"}, {"name": "api-green"}],
                "prodTrafficRoute": {"listenerArns": ["arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/web/1/2"]}}]},
            "ecsServices": [{"serviceName": "api", "clusterName": "web"}]
        })
        .to_string(),
    )
    .unwrap();
    account.aws_cli_json([
        "deploy",
        "create-deployment-group",
        "--cli-input-json",
        &format!("file://{}", group_input.display()),
    ]);

    let directory = tempfile::tempdir().unwrap();
    let output = support::ristretto(&account)
        .args(["init", "--cluster", "web", "--service", "api"])
        .current_dir(directory.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let config = std::fs::read_to_string(directory.path().join("ristretto.yml")).unwrap();
    assert!(
        config.ends_with(
            "codedeploy:\n  application_name: \"AppECS-web-api\"\n  deployment_group_name: \"DgpECS-web-api\"\n"
        ),
        "{config}"
    );
    let rendered = support::ristretto(&account)
        .args(["render", "config"])
        .current_dir(directory.path())
        .output()
        .unwrap();
    let rendered = parse(&String::from_utf8_lossy(&rendered.stdout));
    assert_eq!(
        rendered["codedeploy"]["deployment_group_name"],
        "DgpECS-web-api"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_dry_run_reports_and_warns_instead_of_refusing() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    let (stdout, stderr) = project.expect(&["delete", "--dry-run"], 0);
    assert!(stdout.is_empty());
    let arn = project.describe_service()["serviceArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        stderr,
        format!(
            "Would delete web/api (ap-northeast-1): {arn} (desired 2, running 2) (dry run).\n\
             warning: the service still has 2 desired task(s): the real run needs --terminate (or \
             ristretto scale --tasks 0 first)\n"
        )
    );
    assert_eq!(project.describe_service()["status"], "ACTIVE");
    let (_, stderr) = project.expect(&["delete", "--dry-run", "--terminate"], 0);
    assert!(!stderr.contains("warning"), "{stderr}");
    // The real run without --terminate still refuses.
    project.expect(&["delete", "--force"], 1);
}
