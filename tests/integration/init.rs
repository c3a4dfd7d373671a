//! `init` against the emulator, and the round trip that proves normalization and init agree:
//! for services created by another client (the AWS CLI), `init` right away and then `plan
//! --detailed-exitcode` must find no changes — a Fargate service behind a load balancer, an EC2
//! bridge-mode service, and one with secrets and tags; in JSON and in Jsonnet.

use serde_json::{Value, json};

use crate::support::{self, TestAccount};

struct Live {
    account: TestAccount,
    scratch: tempfile::TempDir,
}

impl Live {
    async fn new() -> Self {
        let account = support::new_account();
        account.create_cluster("web").await;
        Self {
            account,
            scratch: tempfile::tempdir().unwrap(),
        }
    }

    /// `aws ecs <operation> --cli-input-json file://…`, returning the answer.
    fn ecs(&self, operation: &str, input: &Value) -> Value {
        let file = self.scratch.path().join(format!("{operation}.json"));
        std::fs::write(&file, input.to_string()).unwrap();
        self.account.aws_cli_json([
            "ecs",
            operation,
            "--cli-input-json",
            &format!("file://{}", file.display()),
        ])
    }

    /// `ristretto …` in `directory`, asserting the exit code; returns (stdout, stderr).
    fn ristretto(
        &self,
        directory: &std::path::Path,
        arguments: &[&str],
        code: i32,
    ) -> (String, String) {
        let output = support::ristretto(&self.account)
            .args(arguments)
            .current_dir(directory)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "ristretto {arguments:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        (stdout, stderr)
    }

    /// init in a new directory, then plan there: no changes.
    fn round_trip(&self, service: &str, extra: &[&str]) -> tempfile::TempDir {
        let directory = tempfile::tempdir().unwrap();
        let mut arguments = vec!["init", "--cluster", "web", "--service", service];
        arguments.extend_from_slice(extra);
        self.ristretto(directory.path(), &arguments, 0);
        let (plan, _) = self.ristretto(directory.path(), &["plan", "--detailed-exitcode"], 0);
        assert!(plan.contains("No changes."), "{plan}");
        directory
    }
}

fn read(directory: &tempfile::TempDir, name: &str) -> String {
    std::fs::read_to_string(directory.path().join(name))
        .unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn fargate_service_with_a_load_balancer_round_trips() {
    let live = Live::new().await;
    let network = live.account.default_network();
    live.ecs(
        "register-task-definition",
        &json!({
            "family": "web-app",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "512", "memory": "1024",
            "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
            "containerDefinitions": [{
                "name": "web", "image": "nginx:1.27",
                "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                "environment": [{"name": "MODE", "value": "production"}, {"name": "A_FIRST", "value": "1"}],
                "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]},
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/web-app", "awslogs-region": "ap-northeast-1",
                    "awslogs-stream-prefix": "web"}}
            }]
        }),
    );
    live.ecs(
        "create-service",
        &json!({
            "cluster": "web", "serviceName": "web-app", "taskDefinition": "web-app",
            "desiredCount": 2, "launchType": "FARGATE", "platformVersion": "LATEST",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": network.subnets.iter().take(2).collect::<Vec<_>>(),
                "securityGroups": [network.security_group], "assignPublicIp": "DISABLED"}},
            "loadBalancers": [{
                "targetGroupArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/web/0123456789abcdef",
                "containerName": "web", "containerPort": 8080}],
            "healthCheckGracePeriodSeconds": 60,
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "enableExecuteCommand": true,
            "propagateTags": "SERVICE"
        }),
    );
    let directory = live.round_trip("web-app", &[]);
    let config = read(&directory, "ristretto.yml");
    assert_eq!(
        config,
        "region: \"ap-northeast-1\"\ncluster: \"web\"\nservice: \"web-app\"\n\
         service_definition: \"ecs-service-def.json\"\ntask_definition: \"ecs-task-def.json\"\n\
         timeout: \"10m\"\n"
    );
    let service: Value = serde_json::from_str(&read(&directory, "ecs-service-def.json")).unwrap();
    assert_eq!(service["loadBalancers"][0]["containerPort"], 8080);
    assert_eq!(service["healthCheckGracePeriodSeconds"], 60);
    assert!(service.get("serviceArn").is_none() && service.get("events").is_none());
    assert!(
        service.get("platformVersion").is_none(),
        "LATEST is the default: {service}"
    );
    let task: Value = serde_json::from_str(&read(&directory, "ecs-task-def.json")).unwrap();
    assert!(task.get("revision").is_none() && task.get("taskDefinitionArn").is_none());
    assert_eq!(
        task["containerDefinitions"][0]["environment"][0]["name"],
        "A_FIRST"
    );

    // A second init does not overwrite; with --force it does.
    let (_, stderr) = live.ristretto(
        directory.path(),
        &["init", "--cluster", "web", "--service", "web-app"],
        1,
    );
    assert!(
        stderr.starts_with("error: init would overwrite ristretto.yml"),
        "{stderr}"
    );
    live.ristretto(
        directory.path(),
        &[
            "init",
            "--cluster",
            "web",
            "--service",
            "web-app",
            "--force",
        ],
        0,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ec2_bridge_mode_service_round_trips_in_jsonnet() {
    let live = Live::new().await;
    live.ecs(
        "register-task-definition",
        &json!({
            "family": "worker",
            "networkMode": "bridge",
            "requiresCompatibilities": ["EC2"],
            "containerDefinitions": [{
                "name": "worker", "image": "busybox:1", "memory": 256, "cpu": 128,
                "command": ["sh", "-c", "while true; do sleep 60; done"],
                "portMappings": [{"containerPort": 9000, "hostPort": 0}],
                "dockerLabels": {"team": "batch"}
            }]
        }),
    );
    live.ecs(
        "create-service",
        &json!({
            "cluster": "web", "serviceName": "worker", "taskDefinition": "worker",
            "desiredCount": 1, "launchType": "EC2",
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
        }),
    );
    let directory = live.round_trip("worker", &["--jsonnet"]);
    let config = read(&directory, "ristretto.jsonnet");
    assert!(
        config.contains("task_definition: 'ecs-task-def.jsonnet',"),
        "{config}"
    );
    let task = read(&directory, "ecs-task-def.jsonnet");
    assert!(task.contains("networkMode: 'bridge',"), "{task}");
    assert!(
        !task.contains("hostPort"),
        "a dynamic host port is the default: {task}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn service_with_secrets_and_tags_round_trips() {
    let live = Live::new().await;
    let network = live.account.default_network();
    live.ecs(
        "register-task-definition",
        &json!({
            "family": "api",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
            "taskRoleArn": "arn:aws:iam::123456789012:role/api-task",
            "containerDefinitions": [{
                "name": "api", "image": "public.ecr.aws/nginx/nginx:1",
                "secrets": [
                    {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/api/db_password"},
                    {"name": "API_KEY", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:api/key-AbCdEf:api_key::"}
                ]
            }],
            "tags": [{"key": "team", "value": "api"}, {"key": "cost-center", "value": "42"}]
        }),
    );
    live.ecs(
        "create-service",
        &json!({
            "cluster": "web", "serviceName": "api", "taskDefinition": "api",
            "desiredCount": 1, "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": [network.subnets[0]], "securityGroups": [network.security_group]}},
            "tags": [{"key": "team", "value": "api"}, {"key": "env", "value": "staging"}],
            "enableECSManagedTags": true
        }),
    );
    let directory = live.round_trip("api", &[]);
    let task: Value = serde_json::from_str(&read(&directory, "ecs-task-def.json")).unwrap();
    assert_eq!(
        task["containerDefinitions"][0]["secrets"][0]["name"],
        "API_KEY"
    );
    assert_eq!(task["tags"].as_array().unwrap().len(), 2);
    let service: Value = serde_json::from_str(&read(&directory, "ecs-service-def.json")).unwrap();
    assert_eq!(
        service["tags"],
        json!([{"key": "env", "value": "staging"}, {"key": "team", "value": "api"}])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn init_errors_are_clear() {
    let live = Live::new().await;
    let directory = tempfile::tempdir().unwrap();
    let (_, stderr) = live.ristretto(
        directory.path(),
        &["init", "--cluster", "web", "--service", "nope"],
        1,
    );
    assert!(
        stderr.starts_with("error: service nope not found in cluster web (ap-northeast-1)"),
        "{stderr}"
    );
    let (_, stderr) = live.ristretto(directory.path(), &["init", "--cluster", "web"], 1);
    assert!(
        stderr.starts_with("error: init needs --service NAME"),
        "{stderr}"
    );
    let (_, stderr) = live.ristretto(
        directory.path(),
        &["init", "--cluster", "web", "--task-definition", "nope:1"],
        1,
    );
    assert!(
        stderr.starts_with("error: task definition nope:1 does not exist"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(directory.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn init_with_an_environment_scaffolds_the_multi_environment_layout() {
    let live = Live::new().await;
    live.ecs(
        "register-task-definition",
        &json!({
            "family": "batch",
            "networkMode": "bridge",
            "requiresCompatibilities": ["EC2"],
            "containerDefinitions": [{"name": "batch", "image": "busybox:1", "memory": 128}]
        }),
    );
    live.ecs(
        "create-service",
        &json!({"cluster": "web", "serviceName": "batch", "taskDefinition": "batch",
                "desiredCount": 1, "launchType": "EC2"}),
    );
    let directory = tempfile::tempdir().unwrap();
    live.ristretto(
        directory.path(),
        &[
            "init",
            "--cluster",
            "web",
            "--service",
            "batch",
            "--env",
            "staging",
            "--jsonnet",
        ],
        0,
    );
    let config = read(&directory, "environments/staging/ristretto.jsonnet");
    assert!(
        config.contains("task_definition: '../../ecs-task-def.jsonnet',"),
        "{config}"
    );
    assert!(directory.path().join("ecs-task-def.jsonnet").is_file());
    assert!(directory.path().join("ecs-service-def.jsonnet").is_file());
    assert!(directory.path().join("lib").is_dir());
    let (plan, _) = live.ristretto(
        directory.path(),
        &["--env", "staging", "plan", "--detailed-exitcode"],
        0,
    );
    assert!(plan.contains("No changes."), "{plan}");
}
