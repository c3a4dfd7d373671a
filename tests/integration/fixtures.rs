//! A ristretto project on disk for one test account: a config, a task definition and a service
//! definition for a Fargate service on the account's default network, plus helpers to run the
//! real `ristretto` binary in it. Shared by the plan and apply tests.

#![allow(dead_code)] // each test module uses a different part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

use crate::support::{self, TestAccount};

pub struct Project {
    pub directory: tempfile::TempDir,
    pub account: TestAccount,
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub subnets: Vec<String>,
    pub security_group: String,
}

impl Project {
    /// A cluster on the emulator and a project whose service does not exist yet.
    pub async fn new(account: &TestAccount) -> Self {
        let cluster = "web".to_owned();
        account.create_cluster(&cluster).await;
        let network = account.default_network();
        let project = Self {
            directory: tempfile::tempdir().unwrap(),
            account: account.clone(),
            cluster,
            service: "api".into(),
            family: "api".into(),
            subnets: network.subnets.clone(),
            security_group: network.security_group.clone(),
        };
        project.write_config("");
        project.write_task_definition("nginx:1");
        project.write_service(json!({}));
        project
    }

    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    /// `ristretto.yml`; `extra` is appended YAML (e.g. a lock section).
    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "region: ap-northeast-1\ncluster: {}\nservice: {}\ntask_definition: ecs-task-def.json\nservice_definition: ecs-service-def.json\ntimeout: 2m\n{extra}",
            self.cluster, self.service
        );
        std::fs::write(self.path().join("ristretto.yml"), text).unwrap();
    }

    /// A Fargate task definition with one container running `image`.
    pub fn write_task_definition(&self, image: &str) {
        let document = json!({
            "family": self.family,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{
                "name": "app",
                "image": image,
                "essential": true,
                "portMappings": [{"containerPort": 80}],
                "environment": [{"name": "MODE", "value": "production"}]
            }]
        });
        self.write_json("ecs-task-def.json", &document);
    }

    /// The service definition: 2 tasks, circuit breaker with rollback, the default network,
    /// fast emulated rollouts; `overrides` are merged in at the top level.
    pub fn write_service(&self, overrides: Value) {
        let mut document = json!({
            "launchType": "FARGATE",
            "desiredCount": 2,
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": true, "rollback": true}
            },
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": [self.subnets[0]],
                "securityGroups": [self.security_group]
            }},
            "tags": [{"key": "ristretto-test:rollout-steps", "value": "2"}]
        });
        if let (Value::Object(base), Value::Object(extra)) = (&mut document, overrides) {
            base.extend(extra);
        }
        self.write_json("ecs-service-def.json", &document);
    }

    pub fn write_json(&self, name: &str, document: &Value) {
        std::fs::write(
            self.path().join(name),
            serde_json::to_string_pretty(document).unwrap(),
        )
        .unwrap();
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    pub fn command(&self, arguments: &[&str]) -> Command {
        let mut command = support::ristretto(&self.account);
        command
            .args(arguments)
            .current_dir(self.path())
            .env("NO_COLOR", "1");
        command
    }

    pub fn run(&self, arguments: &[&str]) -> Output {
        self.command(arguments).output().unwrap()
    }

    /// Runs and asserts the exit code, returning (stdout, stderr).
    pub fn expect(&self, arguments: &[&str], code: i32) -> (String, String) {
        let output = self.run(arguments);
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

    pub fn spawn(&self, arguments: &[&str]) -> Child {
        self.command(arguments)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The live service through the AWS CLI (an independent client).
    pub fn describe_service(&self) -> Value {
        let answer = self.account.aws_cli_json([
            "ecs",
            "describe-services",
            "--cluster",
            &self.cluster,
            "--services",
            &self.service,
            "--include",
            "TAGS",
        ]);
        answer["services"][0].clone()
    }

    /// The ARNs of every revision of the family, through the AWS CLI.
    pub fn task_definition_revisions(&self) -> Vec<String> {
        let answer = self.account.aws_cli_json([
            "ecs",
            "list-task-definitions",
            "--family-prefix",
            &self.family,
        ]);
        answer["taskDefinitionArns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|arn| arn.as_str().unwrap().to_owned())
            .collect()
    }
}
