//! A loaded project: the config, plus a renderer set up for its definitions (library paths
//! next to the config, plugin functions). Everything a command needs before it talks to AWS.
//! It reads files; it never talks to AWS and never prints (warnings are returned).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{self, Config, ConfigError};
use crate::definition::{self, Checked};
use crate::error::Error;
use crate::render::{JsonHandling, JsonnetOptions, Renderer, TemplateFunctions};

/// What the command line says about finding and evaluating the project.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    pub config: Option<PathBuf>,
    pub working_directory: PathBuf,
    pub environment: Option<String>,
    pub jsonnet: JsonnetOptions,
}

pub struct Project {
    pub config: Config,
    renderer: Renderer,
}

/// A checked definition, and what was noticed while checking it.
#[derive(Debug, Clone)]
pub struct LoadedDefinition {
    pub path: PathBuf,
    pub document: Value,
    pub warnings: Vec<String>,
}

impl Project {
    pub fn load(options: &ProjectOptions) -> Result<Self, Error> {
        let file = config::locate(options.config.as_deref(), &options.working_directory)?;
        let directory = file
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();

        let mut jsonnet = options.jsonnet.clone();
        // lib/ and vendor/ next to the config are always on the library path, after -J.
        for conventional in ["lib", "vendor"] {
            let candidate = directory.join(conventional);
            if candidate.is_dir() {
                jsonnet.library_paths.push(candidate);
            }
        }
        if let Some(environment) = &options.environment
            && !jsonnet.ext_str.iter().any(|(name, _)| name == "env")
        {
            jsonnet.ext_str.push(("env".into(), environment.clone()));
        }

        // The config itself sees only the built-in template functions (ecspresso v2 rule).
        let renderer = Renderer::new(jsonnet, TemplateFunctions::default());
        let config = config::load(&renderer, &file)?;
        let functions = plugin_functions(&config)?;
        Ok(Self {
            config,
            renderer: renderer.with_functions(functions),
        })
    }

    pub fn task_definition(&self) -> Result<LoadedDefinition, Error> {
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

    /// Loads any task definition file with this project's renderer.
    pub fn load_task_definition(&self, path: &Path) -> Result<LoadedDefinition, Error> {
        let rendered = self.renderer.render_file(path, JsonHandling::AsJson)?;
        let checked =
            definition::check_task_definition(rendered).map_err(|problems| Error::Definition {
                path: path.to_path_buf(),
                what: "task definition",
                problems,
            })?;
        Ok(loaded(path, checked))
    }

    pub fn service_definition(&self) -> Result<LoadedDefinition, Error> {
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
    pub fn load_service_definition(&self, path: &Path) -> Result<LoadedDefinition, Error> {
        let rendered = self.renderer.render_file(path, JsonHandling::AsJson)?;
        let checked = definition::check_service_definition(rendered).map_err(|problems| {
            Error::Definition {
                path: path.to_path_buf(),
                what: "service definition",
                problems,
            }
        })?;
        let mut definition = loaded(path, checked);
        if let (Some(service), Value::Object(map)) =
            (&self.config.service, &mut definition.document)
        {
            map.insert("serviceName".into(), Value::String(service.clone()));
        }
        Ok(definition)
    }
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
    }
}

/// The template function table for definitions: built-ins plus each plugin's functions under
/// its `func_prefix`. Two plugins providing the same name is an error, as in ecspresso.
fn plugin_functions(config: &Config) -> Result<TemplateFunctions, ConfigError> {
    let mut functions = TemplateFunctions::default();
    for plugin in &config.plugins {
        let provided: &[&str] = match plugin.name.as_str() {
            "tfstate" => &["tfstate", "tfstatef"],
            _ => {
                return Err(ConfigError::Plugins {
                    path: config.file.clone(),
                    message: format!(
                        "plugin {:?} is not supported (supported: tfstate)",
                        plugin.name
                    ),
                });
            }
        };
        for name in provided {
            let full_name = format!("{}{name}", plugin.func_prefix);
            functions
                .register_plugin_function(&plugin.name, &full_name, tfstate_unavailable)
                .map_err(|error| ConfigError::Plugins {
                    path: config.file.clone(),
                    message: error.to_string(),
                })?;
        }
    }
    Ok(functions)
}

/// Placeholder until Terraform state lookups are implemented: a clear error, never a guess.
fn tfstate_unavailable(
    _arguments: &[gtmpl_value::Value],
) -> Result<gtmpl_value::Value, gtmpl_value::FuncError> {
    Err(gtmpl_value::FuncError::Generic(
        "tfstate lookups are not supported by this version of ristretto yet".into(),
    ))
}
