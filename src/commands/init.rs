//! `ristretto init --cluster C --service S [--task-definition FAMILY:REV] [--jsonnet] [--force]
//! [--task-definition-path P] [--service-definition-path P] [--[no-]sort]`: read a live service
//! and its task definition (or only a task definition) and write the config plus the definition
//! files, so that `plan` right after shows no changes. A CODE_DEPLOY service gets the config's
//! `codedeploy` section (its application and deployment group, found through CodeDeploy). What
//! is left out of the files is decided by `output::definitions`; this file only reads, names and
//! writes, and refuses to overwrite anything without `--force`.

use std::path::{Path, PathBuf};

use crate::aws::ecs::EcsApi;
use crate::aws::sdk::Aws;
use crate::cli::{GlobalArgs, InitArgs};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::output::definitions::{self, ConfigSyntax, ListOrder};
use serde_json::json;

use super::session::aws_settings;

pub(super) async fn run(
    global: &GlobalArgs,
    arguments: &InitArgs,
    output: &Output,
) -> Result<u8, Error> {
    let service = match global.service.as_slice() {
        [] => None,
        [service] => Some(service.clone()),
        _ => {
            return Err(Error::usage(
                "init reads one service: give --service once",
                None,
            ));
        }
    };
    if service.is_none() && arguments.task_definition.is_none() {
        return Err(Error::usage(
            "init needs --service NAME (or --task-definition FAMILY:REV)",
            Some("for example: ristretto init --cluster web --service api".to_owned()),
        ));
    }
    let files = Files::new(
        global.config.clone(),
        global.env.as_deref(),
        arguments,
        service.is_some(),
    );
    let order = if arguments.no_sort {
        ListOrder::AsLive
    } else {
        ListOrder::Sorted
    };
    if !arguments.force {
        let existing: Vec<String> = files
            .all()
            .into_iter()
            .filter(|path| path.exists())
            .map(|path| path.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(Error::usage(
                format!("init would overwrite {}", existing.join(", ")),
                Some("pass --force to overwrite them".to_owned()),
            ));
        }
    }
    let aws = Aws::new(aws_settings(global, None, &Default::default())?);
    let cluster = arguments.cluster.clone();
    let (region, service_document, task_document, codedeploy) = {
        let region = aws.region().await?;
        let ecs = aws.ecs().await;
        let live_service = match &service {
            Some(name) => Some(ecs.describe_service(&cluster, name).await?.ok_or_else(|| {
                Error::usage(
                    format!("service {name} not found in cluster {cluster} ({region})"),
                    Some("check --cluster, --service and the region".to_owned()),
                )
            })?),
            None => None,
        };
        let reference = match (&arguments.task_definition, &live_service) {
            (Some(reference), _) => reference.clone(),
            (None, Some(live)) => live
                .primary_deployment()
                .map(|deployment| deployment.task_definition.clone())
                .unwrap_or_else(|| live.task_definition.clone()),
            (None, None) => unreachable!("checked above"),
        };
        let task_definition = ecs
            .describe_task_definition(&reference)
            .await?
            .ok_or_else(|| {
                Error::usage(
                    format!("task definition {reference} does not exist"),
                    Some("give it as FAMILY:REVISION or as an ARN".to_owned()),
                )
            })?;
        let codedeploy = match &live_service {
            Some(live) if is_code_deploy(&live.document) => {
                let found = aws
                    .codedeploy()
                    .await
                    .deployment_group_of(&cluster, &live.name)
                    .await?;
                if found.is_none() {
                    output.warn(&format!(
                        "{} is deployed by CodeDeploy, but no CodeDeploy deployment group names \
                         it: no codedeploy section is written",
                        live.name
                    ));
                }
                found
            }
            _ => None,
        };
        (
            region,
            live_service.map(|live| definitions::service_definition(&live.document, order)),
            definitions::task_definition(&task_definition.document, order),
            codedeploy,
        )
    };

    let render = |document: &serde_json::Value| {
        if arguments.jsonnet {
            definitions::jsonnet_text(document)
        } else {
            definitions::json_text(document)
        }
    };
    let mut entries = vec![
        ("region", json!(region)),
        ("cluster", json!(arguments.cluster)),
    ];
    if let Some(name) = &service {
        entries.push(("service", json!(name)));
        entries.push((
            "service_definition",
            json!(files.reference(&files.service_definition)),
        ));
    }
    entries.push((
        "task_definition",
        json!(files.reference(&files.task_definition)),
    ));
    for directory in files.directories() {
        std::fs::create_dir_all(&directory).map_err(|error| {
            Error::usage(
                format!("cannot create {}: {error}", directory.display()),
                None,
            )
        })?;
    }
    entries.push(("timeout", json!("10m")));
    if let Some(group) = codedeploy {
        entries.push((
            "codedeploy",
            json!({
                "application_name": group.application,
                "deployment_group_name": group.deployment_group,
            }),
        ));
    }
    write(&files.task_definition, &render(&task_document))?;
    if let Some(document) = &service_document {
        write(&files.service_definition, &render(document))?;
    }
    write(
        &files.config,
        &definitions::config_text(&entries, files.syntax),
    )?;
    for path in files.all() {
        output.info(&format!("Wrote {}.", path.display()));
    }
    Ok(exit_code::SUCCESS)
}

/// Where init writes: the config (`--config`, else ristretto.yml or ristretto.jsonnet) and the
/// definitions next to it. With `--env NAME` it scaffolds the multi-environment layout: the
/// config in `environments/NAME/`, the definitions (shared by every environment) and a `lib/`
/// for shared Jsonnet at the project root.
struct Files {
    config: PathBuf,
    /// `--env`: the config lives two levels below the definitions.
    environment: Option<String>,
    syntax: ConfigSyntax,
    service_definition: PathBuf,
    task_definition: PathBuf,
    /// Where the definitions go: next to the config, or the project root with `--env`.
    directory: PathBuf,
    with_service: bool,
}

impl Files {
    fn new(
        config: Option<PathBuf>,
        environment: Option<&str>,
        arguments: &InitArgs,
        with_service: bool,
    ) -> Self {
        let jsonnet = arguments.jsonnet;
        let default_name = if jsonnet {
            "ristretto.jsonnet"
        } else {
            "ristretto.yml"
        };
        let scaffold = environment.filter(|_| config.is_none());
        let config = config.unwrap_or_else(|| match scaffold {
            Some(environment) => Path::new("environments")
                .join(environment)
                .join(default_name),
            None => PathBuf::from(default_name),
        });
        let syntax = match config.extension().and_then(|extension| extension.to_str()) {
            Some("jsonnet") => ConfigSyntax::Jsonnet,
            Some("json") => ConfigSyntax::Json,
            _ => ConfigSyntax::Yaml,
        };
        let directory = match scaffold {
            Some(_) => PathBuf::from("."),
            None => config
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        };
        let extension = if jsonnet { "jsonnet" } else { "json" };
        // A given path is relative to the config, as the config's own paths are; with
        // --jsonnet a .json name becomes .jsonnet (as ecspresso does).
        let definition_path = |given: &Option<PathBuf>, default: &str| {
            let mut path = given
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("{default}.{extension}")));
            if jsonnet && path.extension().is_some_and(|found| found == "json") {
                path.set_extension("jsonnet");
            }
            directory.join(path)
        };
        Self {
            service_definition: definition_path(
                &arguments.service_definition_path,
                "ecs-service-def",
            ),
            task_definition: definition_path(&arguments.task_definition_path, "ecs-task-def"),
            config,
            directory,
            environment: scaffold.map(str::to_owned),
            syntax,
            with_service,
        }
    }

    /// How the config names a definition file (paths in a config are relative to it).
    fn reference(&self, definition: &Path) -> String {
        let relative = definition
            .strip_prefix(&self.directory)
            .map(|path| path.display().to_string())
            .unwrap_or_else(|_| file_name(definition));
        match &self.environment {
            Some(_) => format!("../../{relative}"),
            None => relative,
        }
    }

    /// Directories the scaffold needs.
    fn directories(&self) -> Vec<PathBuf> {
        match &self.environment {
            Some(_) => vec![
                self.config
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                PathBuf::from("lib"),
            ],
            None => Vec::new(),
        }
    }

    fn all(&self) -> Vec<PathBuf> {
        let mut all = vec![self.config.clone(), self.task_definition.clone()];
        if self.with_service {
            all.push(self.service_definition.clone());
        }
        all
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text)
        .map_err(|error| Error::usage(format!("cannot write {}: {error}", path.display()), None))
}

/// A service whose deployments CodeDeploy makes (blue/green through CodeDeploy).
fn is_code_deploy(service: &serde_json::Value) -> bool {
    service
        .pointer("/deploymentController/type")
        .and_then(serde_json::Value::as_str)
        == Some("CODE_DEPLOY")
}
