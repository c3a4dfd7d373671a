//! `verify` against the emulator: every reference of the definitions checked with the real
//! services (IAM, CloudWatch Logs, SSM, Secrets Manager, ECR, ELBv2); the missing ones reported
//! by name with exit 1, and exit 0 once they exist.

use serde_json::json;

use crate::fixtures::Project;
use crate::support::{self, TestAccount};

const TRUST_ECS_TASKS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn create_role(account: &TestAccount, name: &str, trust: &str) {
    account.aws_cli_json([
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        trust,
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_what_is_missing_by_name() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let id = &account.id;
    create_role(&account, "ecsTaskExecutionRole", TRUST_ECS_TASKS);
    account.aws_cli_json([
        "ssm",
        "put-parameter",
        "--name",
        "/api/db_password",
        "--type",
        "SecureString",
        "--value",
        "s3cr3t",
    ]);
    let repository = account.aws_cli_json(["ecr", "create-repository", "--repository-name", "api"]);
    let repository_uri = repository["repository"]["repositoryUri"]
        .as_str()
        .unwrap()
        .to_owned();
    let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654, "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}]});
    account.aws_cli_json([
        "ecr",
        "put-image",
        "--repository-name",
        "api",
        "--image-tag",
        "v1",
        "--image-manifest",
        &manifest.to_string(),
    ]);
    let vpc = account.aws_cli_json([
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=isDefault,Values=true",
    ]);
    let vpc_id = vpc["Vpcs"][0]["VpcId"].as_str().unwrap().to_owned();
    let group = account.aws_cli_json([
        "elbv2",
        "create-target-group",
        "--name",
        "api",
        "--protocol",
        "HTTP",
        "--port",
        "80",
        "--target-type",
        "ip",
        "--vpc-id",
        &vpc_id,
    ]);
    let target_group = group["TargetGroups"][0]["TargetGroupArn"]
        .as_str()
        .unwrap()
        .to_owned();

    project.write_json(
        "ecs-task-def.json",
        &json!({
            "family": "api",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "executionRoleArn": format!("arn:aws:iam::{id}:role/ecsTaskExecutionRole"),
            "taskRoleArn": format!("arn:aws:iam::{id}:role/api-task"),
            "containerDefinitions": [{
                "name": "app", "image": format!("{repository_uri}:v1"),
                "portMappings": [{"containerPort": 80}],
                "secrets": [{"name": "DB_PASSWORD", "valueFrom": "/api/db_password"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/api", "awslogs-region": support::REGION,
                    "awslogs-stream-prefix": "app"}}
            }]
        }),
    );
    project.write_service(json!({
        "loadBalancers": [{"targetGroupArn": target_group, "containerName": "app", "containerPort": 80}]
    }));

    let (table, stderr) = project.expect(&["verify"], 1);
    let row = |kind: &str, name: &str| {
        table
            .lines()
            .find(|line| line.contains(&format!("| {kind} ")) && line.contains(name))
            .unwrap_or_else(|| panic!("no {kind} {name} row in:\n{table}"))
            .to_owned()
    };
    assert!(row("cluster", "web").starts_with("| ✓"), "{table}");
    assert!(
        row("execution role", "ecsTaskExecutionRole").starts_with("| ✓"),
        "{table}"
    );
    assert!(
        row("task role", "api-task").contains("does not exist"),
        "{table}"
    );
    assert!(row("task role", "api-task").starts_with("| ✗"), "{table}");
    assert!(
        row("log group", "/ecs/api").contains("does not exist"),
        "{table}"
    );
    assert!(
        row("SSM parameter", "/api/db_password").starts_with("| ✓"),
        "{table}"
    );
    assert!(row("image", &repository_uri).starts_with("| ✓"), "{table}");
    assert!(row("target group", "app:80").starts_with("| ✓"), "{table}");
    assert!(table.ends_with("2 of 7 checks failed.\n"), "{table}");
    assert!(
        stderr.starts_with(
            "error: verify: 2 of 7 checks failed: task role api-task, log group /ecs/api\n"
        ),
        "{stderr}"
    );

    create_role(
        &account,
        "api-task",
        &TRUST_ECS_TASKS.replace("ecs-tasks.amazonaws.com", "ec2.amazonaws.com"),
    );
    account.aws_cli_json(["logs", "create-log-group", "--log-group-name", "/ecs/api"]);
    let (table, _) = project.expect(&["verify"], 1);
    assert!(
        row_of(&table, "task role").contains("does not trust ecs-tasks.amazonaws.com"),
        "{table}"
    );
    account.aws_cli_json([
        "iam",
        "update-assume-role-policy",
        "--role-name",
        "api-task",
        "--policy-document",
        TRUST_ECS_TASKS,
    ]);
    let (table, _) = project.expect(&["verify"], 0);
    assert!(table.ends_with("All 7 checks passed.\n"), "{table}");
}

fn row_of(table: &str, kind: &str) -> String {
    table
        .lines()
        .find(|line| line.contains(&format!("| {kind} ")))
        .unwrap_or_default()
        .to_owned()
}
