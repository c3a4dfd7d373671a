//! A loaded project: the config, plus a renderer set up for its definitions (library paths
//! next to the config, plugin functions), the one way to select its services, and the desired
//! side of a plan (`plan_requests`). Everything a command needs before it talks to AWS.
//! It reads files; it never talks to AWS itself (lookups go through `render::lookups`) and never
//! prints (warnings are returned).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{self, Config, ConfigError, ServiceConfig};
use crate::definition::{self, Checked};
use crate::error::Error;
use crate::plan::{PlanRequest, Target};
use crate::render::{JsonHandling, JsonnetOptions, Renderer, TemplateFunctions, plugins};
use crate::tfstate::Ownership;

/// What the command line says about finding and evaluating the project.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectOptions {
    pub config: Option<PathBuf>,
    pub working_directory: PathBuf,
    pub environment: Option<String>,
    pub jsonnet: JsonnetOptions,
}

pub(crate) struct Project {
    pub config: Config,
    renderer: Renderer,
}

/// A checked definition, and what was noticed while checking it.
#[derive(Debug, Clone)]
pub(crate) struct LoadedDefinition {
    pub path: PathBuf,
    pub document: Value,
    pub warnings: Vec<String>,
    /// For `validate` only: what was accepted as ecspresso accepts it.
    pub notes: Vec<String>,
}

impl Project {
    pub(crate) fn load(options: &ProjectOptions) -> Result<Self, Error> {
        let file = locate_config(options)?;
        let directory = file
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();

        let mut jsonnet = options.jsonnet.clone();
        // lib/ and vendor/ next to the config, and of the project root (the working directory,
        // where environments/<env>/ configs share them), are on the library path after -J.
        for base in [directory.as_path(), options.working_directory.as_path()] {
            for conventional in ["lib", "vendor"] {
                let candidate = base.join(conventional);
                let known = jsonnet
                    .library_paths
                    .iter()
                    .any(|known| known.canonicalize().ok() == candidate.canonicalize().ok());
                if candidate.is_dir() && !known {
                    jsonnet.library_paths.push(candidate);
                }
            }
        }
        jsonnet.environment = options.environment.clone();
        if let Some(environment) = &options.environment
            && !jsonnet.ext_str.iter().any(|(name, _)| name == "env")
        {
            jsonnet.ext_str.push(("env".into(), environment.clone()));
        }

        // The config itself sees only the built-in template functions (ecspresso v2 rule).
        let renderer = Renderer::new(jsonnet, TemplateFunctions::default());
        let config = config::load(&renderer, &file)?;
        // The definitions see the plugins' functions (`render::plugins`); nothing is looked up
        // until a definition calls one.
        let plugin_functions =
            plugins::setup(&config.plugins).map_err(|error| ConfigError::Plugins {
                path: config.file.clone(),
                error: Box::new(error),
            })?;
        Ok(Self {
            renderer: renderer.with_plugins(plugin_functions.template, plugin_functions.natives),
            config,
        })
    }

    /// The services to work on: all of the config's, or those named by `--service`.
    pub(crate) fn selected_services(&self, names: &[String]) -> Result<Vec<ServiceConfig>, Error> {
        if names.is_empty() {
            return Ok(self.config.services.clone());
        }
        let mut selected: Vec<ServiceConfig> = Vec::new();
        for name in names {
            let service = self.named_service(name)?;
            if !selected.contains(service) {
                selected.push(service.clone());
            }
        }
        Ok(selected)
    }

    /// The one service a single-service command works on: the config's only service, or the
    /// one `--service` names. None or several is an error listing the config's services.
    pub(crate) fn one_service(&self, names: &[String]) -> Result<ServiceConfig, Error> {
        match names {
            [] => match self.config.services.as_slice() {
                [only] => Ok(only.clone()),
                [] => Err(Error::usage(
                    format!(
                        "{}: no service in the config: this command works on a service",
                        self.config.file.display()
                    ),
                    Some("add service: 'NAME' to the config".to_owned()),
                )),
                several => Err(Error::usage(
                    format!(
                        "{} has {} services: this command works on one",
                        self.config.file.display(),
                        several.len()
                    ),
                    Some(format!(
                        "choose one with --service NAME: {}",
                        self.service_names().join(", ")
                    )),
                )),
            },
            [name] => self.named_service(name).cloned(),
            several => Err(Error::usage(
                format!(
                    "--service is given {} times ({}): this command works on one service",
                    several.len(),
                    several.join(", ")
                ),
                Some("give --service once".to_owned()),
            )),
        }
    }

    /// What a command about the task definition works on (`revisions`, `deregister`, `run`,
    /// `verify`): the selected service, or — in a config without services — the config's own
    /// task definition in its cluster, under an empty service name.
    pub(crate) fn one_task_definition_owner(
        &self,
        names: &[String],
    ) -> Result<ServiceConfig, Error> {
        if self.config.services.is_empty() && names.is_empty() {
            return Ok(ServiceConfig {
                name: String::new(),
                cluster: self.config.cluster.clone(),
                service_definition: None,
                task_definition: self.config.task_definition.clone(),
            });
        }
        self.one_service(names)
    }

    fn service_names(&self) -> Vec<&str> {
        self.config
            .services
            .iter()
            .map(|service| service.name.as_str())
            .collect()
    }

    fn named_service(&self, name: &str) -> Result<&ServiceConfig, Error> {
        self.config
            .services
            .iter()
            .find(|service| service.name == name)
            .ok_or_else(|| {
                let known = self.service_names();
                let suggestion = config::suggest(name, &known)
                    .map(|close| format!("did you mean {close}? "))
                    .unwrap_or_default();
                Error::usage(
                    format!(
                        "--service {name}: {} has no such service",
                        self.config.file.display()
                    ),
                    Some(if known.is_empty() {
                        format!("{suggestion}the config has no services")
                    } else {
                        format!("{suggestion}the config's services: {}", known.join(", "))
                    }),
                )
            })
    }

    /// The desired side of a plan for the selected services (`--service`, else all): their
    /// checked documents, targets in `region` and ownership; a config without services plans
    /// its task definition alone. The definitions' warnings come back with them.
    pub(crate) fn plan_requests(
        &self,
        selection: &[String],
        region: &str,
    ) -> Result<(Vec<PlanRequest>, Vec<String>), Error> {
        let mut warnings = Vec::new();
        let services = self.selected_services(selection)?;
        if services.is_empty() {
            let task_definition = self.task_definition()?;
            warnings.extend(task_definition.warnings);
            let request = PlanRequest {
                target: Target {
                    region: region.to_owned(),
                    cluster: self.config.cluster.clone(),
                    service: String::new(),
                },
                task_definition: task_definition.document,
                service: None,
                ownership: None,
            };
            return Ok((vec![request], warnings));
        }
        let mut requests = Vec::with_capacity(services.len());
        for service in services {
            let task_path = service.task_definition.clone().ok_or_else(|| {
                Error::usage(
                    format!(
                        "{}: service {} has no task_definition",
                        self.config.file.display(),
                        service.name
                    ),
                    Some("add task_definition to the config".to_owned()),
                )
            })?;
            let task_definition = self.load_task_definition(&task_path)?;
            warnings.extend(task_definition.warnings);
            let definition = match &service.service_definition {
                Some(path) => {
                    let loaded = self.load_named_service_definition(path, Some(&service.name))?;
                    warnings.extend(loaded.warnings);
                    Some(loaded.document)
                }
                None => None,
            };
            requests.push(PlanRequest {
                target: Target {
                    region: region.to_owned(),
                    cluster: service.cluster.clone(),
                    service: service.name.clone(),
                },
                task_definition: task_definition.document,
                service: definition,
                ownership: self.ownership(&service)?,
            });
        }
        Ok((requests, warnings))
    }

    /// Which of `service`'s fields Terraform owns: from `ownership.terraform` in the config,
    /// else from the `lifecycle.ignore_changes` of its `aws_ecs_service` in `terraform.dir`,
    /// else nobody's (`None`: ristretto owns every field).
    pub(crate) fn ownership(&self, service: &ServiceConfig) -> Result<Option<Ownership>, Error> {
        if let Some(fields) = &self.config.terraform_owned_fields {
            return Ok(Some(Ownership::from_config_list(fields)));
        }
        let Some(terraform) = &self.config.terraform else {
            return Ok(None);
        };
        // The resource address names one service; in a multi-service config each service is
        // found by its name.
        let resource = if self.config.services.len() == 1 {
            terraform.resource.as_deref()
        } else {
            None
        };
        Ok(Some(Ownership::from_terraform_dir(
            &terraform.dir,
            &service.name,
            resource,
        )?))
    }

    pub(crate) fn task_definition(&self) -> Result<LoadedDefinition, Error> {
        let path = self.config.task_definition.clone().ok_or_else(|| {
            Error::usage(
                format!(
                    "{}: no task_definition in the config",
                    self.config.file.display()
                ),
                Some("add task_definition: 'ecs-task-def.jsonnet' to the config".to_owned()),
            )
        })?;
        self.load_task_definition(&path)
    }

    /// The task definition of one selected service (or of a config without services).
    pub(crate) fn task_definition_of(
        &self,
        service: &ServiceConfig,
    ) -> Result<LoadedDefinition, Error> {
        match &service.task_definition {
            Some(path) => self.load_task_definition(path),
            None => self.task_definition(),
        }
    }

    /// The service definition of one selected service, `None` when it has none.
    pub(crate) fn service_definition_of(
        &self,
        service: &ServiceConfig,
    ) -> Result<Option<LoadedDefinition>, Error> {
        service
            .service_definition
            .as_ref()
            .map(|path| self.load_named_service_definition(path, Some(&service.name)))
            .transpose()
    }

    /// Renders any file with this project's renderer (templates with the plugin functions,
    /// Jsonnet), unchecked — a definition before its check, `run --overrides-file` — after the
    /// plugins' required Terraform states were read.
    pub(crate) fn render_file(&self, path: &Path) -> Result<Value, Error> {
        plugins::read_required_states().map_err(|error| ConfigError::Plugins {
            path: self.config.file.clone(),
            error: Box::new(error),
        })?;
        Ok(self.renderer.render_file(path, JsonHandling::AsJson)?)
    }

    /// Loads any task definition file with this project's renderer.
    pub(crate) fn load_task_definition(&self, path: &Path) -> Result<LoadedDefinition, Error> {
        let rendered = self.render_file(path)?;
        let checked =
            definition::check_task_definition(rendered).map_err(|problems| Error::Definition {
                path: path.to_path_buf(),
                what: "task definition",
                problems,
            })?;
        Ok(loaded(path, checked))
    }

    pub(crate) fn service_definition(&self) -> Result<LoadedDefinition, Error> {
        let path = self.config.service_definition.clone().ok_or_else(|| {
            Error::usage(
                format!(
                    "{}: no service_definition in the config",
                    self.config.file.display()
                ),
                Some("add service_definition: 'ecs-service-def.jsonnet' to the config".to_owned()),
            )
        })?;
        self.load_service_definition(&path)
    }

    /// Loads a service definition file; its `serviceName` is always the config's service.
    pub(crate) fn load_service_definition(&self, path: &Path) -> Result<LoadedDefinition, Error> {
        let name = self.config.service.clone();
        self.load_named_service_definition(path, name.as_deref())
    }

    /// Loads a service definition file for the service `name` (its `serviceName`).
    pub(crate) fn load_named_service_definition(
        &self,
        path: &Path,
        name: Option<&str>,
    ) -> Result<LoadedDefinition, Error> {
        let rendered = self.render_file(path)?;
        let checked = definition::check_service_definition(rendered).map_err(|problems| {
            Error::Definition {
                path: path.to_path_buf(),
                what: "service definition",
                problems,
            }
        })?;
        let mut definition = loaded(path, checked);
        if let (Some(service), Value::Object(map)) = (name, &mut definition.document) {
            map.insert("serviceName".into(), Value::String(service.to_owned()));
        }
        Ok(definition)
    }
}

/// `--config`, else with `--env NAME` the default names in `environments/NAME/` (the
/// environment's own config), else the default names in the working directory.
fn locate_config(options: &ProjectOptions) -> Result<PathBuf, ConfigError> {
    if options.config.is_none()
        && let Some(environment) = &options.environment
    {
        let directory = options
            .working_directory
            .join("environments")
            .join(environment);
        if directory.is_dir()
            && let Ok(found) = config::locate(None, &directory)
        {
            return Ok(found);
        }
    }
    config::locate(options.config.as_deref(), &options.working_directory)
}

fn loaded(path: &Path, checked: Checked) -> LoadedDefinition {
    LoadedDefinition {
        path: path.to_path_buf(),
        document: checked.document,
        warnings: checked
            .warnings
            .into_iter()
            .map(|problem| format!("{}: {}: {}", path.display(), problem.path, problem.message))
            .collect(),
        notes: checked
            .notes
            .into_iter()
            .map(|problem| format!("{}: {}: {}", path.display(), problem.path, problem.message))
            .collect(),
    }
}
