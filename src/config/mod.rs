//! The config file (ARCHITECTURE.md §3): finding it, reading it in any of its syntaxes, checking its
//! keys, and resolving paths and defaults. ecspresso's keys are kept; unknown keys are errors
//! with a suggestion. This module must not read definitions or talk to AWS.

pub mod duration;
pub(crate) mod envfile;
pub(crate) mod version_constraint;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::render::{JsonHandling, RenderError, Renderer};

/// Looked up in this order in the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILES: [&str; 8] = [
    "ristretto.jsonnet",
    "ristretto.yml",
    "ristretto.yaml",
    "ristretto.json",
    "ecspresso.yml",
    "ecspresso.yaml",
    "ecspresso.json",
    "ecspresso.jsonnet",
];

pub const DEFAULT_CLUSTER: &str = "default";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(60);
/// The lock table used when a config has no `lock` section (created on first use), so that an
/// ecspresso config deploys under a lock too.
pub const DEFAULT_LOCK_TABLE: &str = "ristretto-locks";

/// Every top-level key a config may have; anything else is an error.
const KNOWN_KEYS: [&str; 20] = [
    "region",
    "cluster",
    "service",
    "service_definition",
    "task_definition",
    "timeout",
    "plugins",
    "ignore",
    "required_version",
    "codedeploy",
    "appspec",
    "lock",
    "filter_command",
    "services",
    "terraform",
    "ownership",
    "secret_patterns",
    "aws",
    "plan_signing",
    "policies",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The config file, as given or found.
    pub file: PathBuf,
    /// The directory that relative paths in the config are resolved against.
    pub directory: PathBuf,
    pub region: Option<String>,
    pub cluster: String,
    pub service: Option<String>,
    pub service_definition: Option<PathBuf>,
    pub task_definition: Option<PathBuf>,
    pub timeout: Duration,
    pub plugins: Vec<PluginConfig>,
    pub ignore_tags: Vec<String>,
    pub required_version: Option<String>,
    pub codedeploy: Option<CodeDeployConfig>,
    pub appspec: Option<Value>,
    pub lock: Option<LockConfig>,
    /// Every service this config deploys: the one of `service` (ecspresso's single-service
    /// form), or the entries of `services` (ristretto's multi-service form), sorted by name.
    pub services: Vec<ServiceConfig>,
    /// `terraform: { dir, resource }`: the Terraform configuration that declares the service,
    /// whose `lifecycle.ignore_changes` decides which fields Terraform still owns.
    pub terraform: Option<TerraformConfig>,
    /// `ownership: { terraform: [...] }`: fields Terraform owns, stated without .tf files.
    pub terraform_owned_fields: Option<Vec<String>>,
    /// Environment variable names whose values plans mask (default: PASSWORD, SECRET, TOKEN,
    /// KEY as substrings).
    pub secret_patterns: Option<Vec<String>>,
    /// `policies: [PATH…]`: Rego policy files, data files and directories checked on every
    /// plan and again at apply (resolved against the config's directory).
    pub policies: Vec<PathBuf>,
    /// ecspresso v2's deprecated `filter_command`; kept so old configs load.
    pub filter_command: Option<String>,
    /// `aws: {connect_timeout, read_timeout, attempt_timeout}`: the SDK's timeouts (the
    /// `RISTRETTO_*_TIMEOUT` variables win; defaults in `aws::sdk`).
    pub aws: AwsConfig,
    /// `plan_signing: {kms_key_id, signing_algorithm}`: `plan` signs saved plans with this
    /// KMS key and `apply` refuses plans whose signature does not verify.
    pub plan_signing: Option<PlanSigningConfig>,
    /// Non-fatal findings (deprecated keys), for the caller to print.
    pub warnings: Vec<String>,
}

/// One service of a config, with its definitions (paths resolved against the config's
/// directory) and its cluster (the config's `cluster` unless the entry names another).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    pub name: String,
    pub cluster: String,
    pub service_definition: Option<PathBuf>,
    pub task_definition: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformConfig {
    /// Resolved against the config's directory.
    pub dir: PathBuf,
    /// `aws_ecs_service.api`, for services whose name is built from variables.
    pub resource: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    pub name: String,
    pub func_prefix: String,
    pub config: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDeployConfig {
    pub application_name: Option<String>,
    pub deployment_group_name: Option<String>,
    pub deployment_config_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockBackendConfig {
    DynamoDb { table: String },
    S3 { url: String },
}

/// The AWS SDK settings a config may set; `None`: the environment or the default decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsConfig {
    pub connect_timeout: Option<Duration>,
    pub read_timeout: Option<Duration>,
    pub attempt_timeout: Option<Duration>,
}

/// The KMS key saved plans are signed with, and the algorithm (one the key supports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSigningConfig {
    pub kms_key_id: String,
    pub signing_algorithm: String,
}

/// ECDSA on P-256, the signing key spec KMS recommends (ECC_NIST_P256 keys).
pub const DEFAULT_SIGNING_ALGORITHM: &str = "ECDSA_SHA_256";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockConfig {
    pub backend: LockBackendConfig,
    pub lease: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no config file found in {}", directory.display())]
    NotFound { directory: PathBuf },
    #[error("config file {} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{}: the config must be an object (a map of keys), found {found}", path.display())]
    NotAnObject { path: PathBuf, found: String },
    #[error("{}: {key}: unknown key{}", path.display(), suggestion.as_ref().map(|s| format!(", did you mean {s}?")).unwrap_or_default())]
    UnknownKey {
        path: PathBuf,
        key: String,
        suggestion: Option<String>,
    },
    #[error("{}: {key}: expected {expected}, found {found}", path.display())]
    InvalidValue {
        path: PathBuf,
        key: String,
        expected: String,
        found: String,
    },
    #[error("{}: {message}", path.display())]
    RequiredVersion { path: PathBuf, message: String },
    /// Boxed: a tfstate state error is large, and config errors travel through every `Result`.
    #[error("{}: failed to setup plugins: {error}", path.display())]
    Plugins {
        path: PathBuf,
        error: Box<crate::render::plugins::PluginError>,
    },
    #[error(transparent)]
    Envfile(#[from] envfile::EnvfileError),
}

impl ConfigError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::NotFound { .. } => Some(format!(
                "pass --config PATH, or create one of: {}",
                DEFAULT_CONFIG_FILES.join(", ")
            )),
            ConfigError::UnknownKey { .. } => Some(format!(
                "known keys are: {}; see schemas/config.schema.json",
                KNOWN_KEYS.join(", ")
            )),
            ConfigError::Plugins { error, .. } => error.hint(),
            ConfigError::Render(error) => error.hint(),
            _ => None,
        }
    }
}

/// The config file to use: the one given, or the first default name in `directory`.
pub fn locate(explicit: Option<&Path>, directory: &Path) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        return Err(ConfigError::Missing {
            path: path.to_path_buf(),
        });
    }
    let found = DEFAULT_CONFIG_FILES
        .iter()
        .map(|name| directory.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| ConfigError::NotFound {
            directory: directory.to_path_buf(),
        })?;
    // Messages name files relative to where the user is, as they typed them.
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| found.strip_prefix(cwd).ok().map(Path::to_path_buf));
    Ok(relative.unwrap_or(found))
}

/// Reads and checks a config file. `.yml`/`.yaml` are templated then parsed as YAML;
/// `.json`/`.jsonnet` are evaluated as Jsonnet, then templated (as ecspresso does).
pub fn load(renderer: &Renderer, file: &Path) -> Result<Config, ConfigError> {
    let document = renderer.render_file(file, JsonHandling::AsJsonnet)?;
    from_document(document, file)
}

/// Builds a `Config` from an already-rendered document.
pub fn from_document(document: Value, file: &Path) -> Result<Config, ConfigError> {
    let Value::Object(map) = document else {
        return Err(ConfigError::NotAnObject {
            path: file.to_path_buf(),
            found: kind_of(&document),
        });
    };
    let reader = Reader { file, map: &map };
    reader.check_keys()?;

    let directory = file
        .parent()
        .map(Path::to_path_buf)
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let resolve = |relative: String| -> PathBuf {
        let path = PathBuf::from(relative);
        if path.is_absolute() || directory == Path::new(".") {
            path
        } else {
            directory.join(path)
        }
    };

    let required_version = reader.string("required_version")?;
    if let Some(constraint) = &required_version {
        version_constraint::Constraints::parse(constraint)
            .and_then(|constraints| constraints.check(env!("CARGO_PKG_VERSION")))
            .map_err(|message| ConfigError::RequiredVersion {
                path: file.to_path_buf(),
                message,
            })?;
    }

    let timeout = match map.get("timeout") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT,
        Some(Value::String(text)) => duration::parse(text).map_err(|message| {
            reader.invalid("timeout", "a duration such as 10m or 300s", &message)
        })?,
        Some(Value::Number(number)) => duration::parse(&number.to_string()).map_err(|message| {
            reader.invalid("timeout", "a duration such as 10m or 300s", &message)
        })?,
        Some(other) => {
            return Err(reader.invalid(
                "timeout",
                "a duration such as 10m or 300s",
                &kind_of(other),
            ));
        }
    };

    let mut warnings = Vec::new();
    let filter_command = reader.string("filter_command")?;
    if filter_command.is_some() {
        warnings.push(format!(
            "{}: filter_command is deprecated: use --filter-command or ECSPRESSO_FILTER_COMMAND",
            file.display()
        ));
    }

    let cluster = reader
        .string("cluster")?
        .filter(|cluster| !cluster.is_empty())
        .unwrap_or_else(|| DEFAULT_CLUSTER.to_owned());
    let service = reader
        .string("service")?
        .filter(|service| !service.is_empty());
    let service_definition = reader.string("service_definition")?.map(&resolve);
    let task_definition = reader.string("task_definition")?.map(&resolve);
    let services = match map.get("services").filter(|value| !value.is_null()) {
        Some(entries) => {
            for single in ["service", "service_definition", "task_definition"] {
                if map.get(single).is_some_and(|value| !value.is_null()) {
                    return Err(reader.invalid(
                        single,
                        "nothing when services is set (each service names its own definitions)",
                        "a value",
                    ));
                }
            }
            reader.services(entries, &cluster, &resolve)?
        }
        None => service
            .iter()
            .map(|name| ServiceConfig {
                name: name.clone(),
                cluster: cluster.clone(),
                service_definition: service_definition.clone(),
                task_definition: task_definition.clone(),
            })
            .collect(),
    };

    let terraform = reader.terraform(&resolve)?;
    let secret_patterns = reader.string_list("secret_patterns")?;
    let terraform_owned_fields = reader.ownership()?;
    let policies = reader
        .string_list("policies")?
        .unwrap_or_default()
        .into_iter()
        .map(&resolve)
        .collect();

    Ok(Config {
        file: file.to_path_buf(),
        region: reader
            .string("region")?
            .filter(|region| !region.is_empty())
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty())),
        cluster,
        service,
        service_definition,
        task_definition,
        services,
        timeout,
        plugins: reader.plugins(&directory)?,
        ignore_tags: reader.ignore_tags()?,
        required_version,
        codedeploy: reader.codedeploy()?,
        appspec: map.get("appspec").filter(|value| !value.is_null()).cloned(),
        lock: reader.lock()?,
        aws: reader.aws()?,
        plan_signing: reader.plan_signing()?,
        terraform,
        terraform_owned_fields,
        secret_patterns,
        policies,
        filter_command,
        warnings,
        directory,
    })
}

impl Config {
    /// The lock to take: the config's `lock`, else the default DynamoDB table. The flag says
    /// whether it is the default (which ristretto may create by itself).
    pub fn lock_or_default(&self) -> (LockConfig, bool) {
        match &self.lock {
            Some(lock) => (lock.clone(), false),
            None => (
                LockConfig {
                    backend: LockBackendConfig::DynamoDb {
                        table: DEFAULT_LOCK_TABLE.to_owned(),
                    },
                    lease: DEFAULT_LOCK_LEASE,
                },
                true,
            ),
        }
    }

    /// ecspresso's display name of the deployed app: `service/cluster`.
    pub fn app_name(&self) -> String {
        format!(
            "{}/{}",
            self.service.as_deref().unwrap_or_default(),
            self.cluster
        )
    }

    /// The resolved config as JSON, for `render config`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        let mut put = |key: &str, value: Value| {
            if !value.is_null() {
                map.insert(key.to_owned(), value);
            }
        };
        put("region", self.region.clone().into());
        put("cluster", self.cluster.clone().into());
        put("service", self.service.clone().into());
        let path_value = |path: &Option<PathBuf>| -> Value {
            path.as_ref()
                .map(|path| Value::String(path.display().to_string()))
                .unwrap_or(Value::Null)
        };
        put("service_definition", path_value(&self.service_definition));
        put("task_definition", path_value(&self.task_definition));
        if self.service.is_none() && !self.services.is_empty() {
            let entries: Map<String, Value> = self
                .services
                .iter()
                .map(|service| {
                    let mut entry = Map::new();
                    entry.insert("cluster".into(), service.cluster.clone().into());
                    for (key, path) in [
                        ("service_definition", &service.service_definition),
                        ("task_definition", &service.task_definition),
                    ] {
                        if let Some(path) = path {
                            entry.insert(key.into(), path.display().to_string().into());
                        }
                    }
                    (service.name.clone(), Value::Object(entry))
                })
                .collect();
            put("services", Value::Object(entries));
        }
        put("timeout", duration::format(self.timeout).into());
        if !self.plugins.is_empty() {
            put(
                "plugins",
                self.plugins
                    .iter()
                    .map(|plugin| {
                        let mut entry = Map::new();
                        entry.insert("name".into(), plugin.name.clone().into());
                        if !plugin.func_prefix.is_empty() {
                            entry.insert("func_prefix".into(), plugin.func_prefix.clone().into());
                        }
                        entry.insert("config".into(), plugin.config.clone());
                        Value::Object(entry)
                    })
                    .collect(),
            );
        }
        if !self.ignore_tags.is_empty() {
            put("ignore", serde_json::json!({ "tags": self.ignore_tags }));
        }
        put("required_version", self.required_version.clone().into());
        if let Some(patterns) = &self.secret_patterns {
            put("secret_patterns", patterns.clone().into());
        }
        if !self.policies.is_empty() {
            put(
                "policies",
                self.policies
                    .iter()
                    .map(|path| Value::String(path.display().to_string()))
                    .collect(),
            );
        }
        if let Some(codedeploy) = &self.codedeploy {
            let mut entry = Map::new();
            for (key, value) in [
                ("application_name", &codedeploy.application_name),
                ("deployment_group_name", &codedeploy.deployment_group_name),
                ("deployment_config_name", &codedeploy.deployment_config_name),
            ] {
                if let Some(value) = value {
                    entry.insert(key.into(), value.clone().into());
                }
            }
            put("codedeploy", Value::Object(entry));
        }
        put("appspec", self.appspec.clone().unwrap_or(Value::Null));
        if let Some(lock) = &self.lock {
            let backend = match &lock.backend {
                LockBackendConfig::DynamoDb { table } => ("dynamodb_table", table.clone()),
                LockBackendConfig::S3 { url } => ("s3", url.clone()),
            };
            put(
                "lock",
                serde_json::json!({ backend.0: backend.1, "lease": duration::format(lock.lease) }),
            );
        }
        let timeouts: Map<String, Value> = [
            ("connect_timeout", self.aws.connect_timeout),
            ("read_timeout", self.aws.read_timeout),
            ("attempt_timeout", self.aws.attempt_timeout),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), duration::format(value?).into())))
        .collect();
        if !timeouts.is_empty() {
            put("aws", Value::Object(timeouts));
        }
        if let Some(signing) = &self.plan_signing {
            put(
                "plan_signing",
                serde_json::json!({
                    "kms_key_id": signing.kms_key_id,
                    "signing_algorithm": signing.signing_algorithm,
                }),
            );
        }
        Value::Object(map)
    }
}

/// Reads typed values out of the config map, producing errors that name the file and key.
struct Reader<'a> {
    file: &'a Path,
    map: &'a Map<String, Value>,
}

impl Reader<'_> {
    fn check_keys(&self) -> Result<(), ConfigError> {
        for key in self.map.keys() {
            if KNOWN_KEYS.contains(&key.as_str()) {
                continue;
            }
            return Err(ConfigError::UnknownKey {
                path: self.file.to_path_buf(),
                key: key.clone(),
                suggestion: suggest(key, &KNOWN_KEYS),
            });
        }
        Ok(())
    }

    fn invalid(&self, key: &str, expected: &str, found: &str) -> ConfigError {
        ConfigError::InvalidValue {
            path: self.file.to_path_buf(),
            key: key.to_owned(),
            expected: expected.to_owned(),
            found: found.to_owned(),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        string_at(self.map, key).map_err(|found| self.invalid(key, "a string", &found))
    }

    fn services(
        &self,
        entries: &Value,
        cluster: &str,
        resolve: &dyn Fn(String) -> PathBuf,
    ) -> Result<Vec<ServiceConfig>, ConfigError> {
        let Value::Object(entries) = entries else {
            return Err(self.invalid(
                "services",
                "an object of services by name, e.g. {api: {task_definition: ..., service_definition: ...}}",
                &kind_of(entries),
            ));
        };
        let known = ["cluster", "service_definition", "task_definition"];
        let mut services = Vec::new();
        for (name, entry) in entries {
            let key = format!("services.{name}");
            let Value::Object(entry) = entry else {
                return Err(self.invalid(&key, "an object", &kind_of(entry)));
            };
            for entry_key in entry.keys() {
                if !known.contains(&entry_key.as_str()) {
                    return Err(ConfigError::UnknownKey {
                        path: self.file.to_path_buf(),
                        key: format!("{key}.{entry_key}"),
                        suggestion: suggest(entry_key, &known),
                    });
                }
            }
            let field = |field: &str| {
                string_at(entry, field)
                    .map_err(|found| self.invalid(&format!("{key}.{field}"), "a string", &found))
            };
            services.push(ServiceConfig {
                name: name.clone(),
                cluster: field("cluster")?
                    .filter(|cluster| !cluster.is_empty())
                    .unwrap_or_else(|| cluster.to_owned()),
                service_definition: field("service_definition")?.map(resolve),
                task_definition: Some(field("task_definition")?.map(resolve).ok_or_else(|| {
                    self.invalid(&format!("{key}.task_definition"), "a path", "nothing")
                })?),
            });
        }
        Ok(services)
    }

    fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.invalid(key, "a list of strings", &kind_of(item)))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.invalid(key, "a list of strings", &kind_of(other))),
        }
    }

    fn terraform(
        &self,
        resolve: &dyn Fn(String) -> PathBuf,
    ) -> Result<Option<TerraformConfig>, ConfigError> {
        let Some(value) = self.map.get("terraform").filter(|value| !value.is_null()) else {
            return Ok(None);
        };
        let Value::Object(entry) = value else {
            return Err(self.invalid(
                "terraform",
                "an object such as {dir: '../infra'}",
                &kind_of(value),
            ));
        };
        let known = ["dir", "resource"];
        for key in entry.keys() {
            if !known.contains(&key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    path: self.file.to_path_buf(),
                    key: format!("terraform.{key}"),
                    suggestion: suggest(key, &known),
                });
            }
        }
        let field = |key: &str| {
            string_at(entry, key)
                .map_err(|found| self.invalid(&format!("terraform.{key}"), "a string", &found))
        };
        let dir = field("dir")?.ok_or_else(|| {
            self.invalid("terraform.dir", "the directory of the .tf files", "nothing")
        })?;
        Ok(Some(TerraformConfig {
            dir: resolve(dir),
            resource: field("resource")?,
        }))
    }

    fn ownership(&self) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(value) = self.map.get("ownership").filter(|value| !value.is_null()) else {
            return Ok(None);
        };
        let Value::Object(entry) = value else {
            return Err(self.invalid(
                "ownership",
                "an object such as {terraform: ['loadBalancers']}",
                &kind_of(value),
            ));
        };
        for key in entry.keys() {
            if key != "terraform" {
                return Err(ConfigError::UnknownKey {
                    path: self.file.to_path_buf(),
                    key: format!("ownership.{key}"),
                    suggestion: suggest(key, &["terraform"]),
                });
            }
        }
        match entry.get("terraform") {
            None | Some(Value::Null) => Ok(Some(Vec::new())),
            Some(Value::Array(fields)) => fields
                .iter()
                .map(|field| {
                    field.as_str().map(str::to_owned).ok_or_else(|| {
                        self.invalid("ownership.terraform", "a list of service definition fields", &kind_of(field))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.invalid(
                "ownership.terraform",
                "a list of service definition fields such as ['loadBalancers', 'networkConfiguration']",
                &kind_of(other),
            )),
        }
    }

    fn plugins(&self, directory: &Path) -> Result<Vec<PluginConfig>, ConfigError> {
        let Some(value) = self.map.get("plugins").filter(|value| !value.is_null()) else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value else {
            return Err(self.invalid("plugins", "a list", &kind_of(value)));
        };
        let mut plugins = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let key = format!("plugins[{index}]");
            let Value::Object(entry) = item else {
                return Err(self.invalid(&key, "an object with name and config", &kind_of(item)));
            };
            for entry_key in entry.keys() {
                if !["name", "config", "func_prefix"].contains(&entry_key.as_str()) {
                    return Err(ConfigError::UnknownKey {
                        path: self.file.to_path_buf(),
                        key: format!("{key}.{entry_key}"),
                        suggestion: suggest(entry_key, &["name", "config", "func_prefix"]),
                    });
                }
            }
            let name = string_at(entry, "name")
                .map_err(|found| self.invalid(&format!("{key}.name"), "a string", &found))?
                .ok_or_else(|| self.invalid(&format!("{key}.name"), "a plugin name", "nothing"))?;
            let func_prefix = string_at(entry, "func_prefix")
                .map_err(|found| self.invalid(&format!("{key}.func_prefix"), "a string", &found))?
                .unwrap_or_default();
            let mut config = entry.get("config").cloned().unwrap_or(Value::Null);
            // A tfstate plugin's relative `path` is relative to the config file.
            if let Some(Value::String(path)) = config.get_mut("path")
                && Path::new(path.as_str()).is_relative()
                && directory != Path::new(".")
            {
                *path = directory.join(&*path).display().to_string();
            }
            plugins.push(PluginConfig {
                name,
                func_prefix,
                config,
            });
        }
        Ok(plugins)
    }

    fn ignore_tags(&self) -> Result<Vec<String>, ConfigError> {
        let Some(ignore) = self.map.get("ignore").filter(|value| !value.is_null()) else {
            return Ok(Vec::new());
        };
        let Value::Object(ignore) = ignore else {
            return Err(self.invalid(
                "ignore",
                "an object such as {tags: [...]}",
                &kind_of(ignore),
            ));
        };
        for key in ignore.keys() {
            if key != "tags" {
                return Err(ConfigError::UnknownKey {
                    path: self.file.to_path_buf(),
                    key: format!("ignore.{key}"),
                    suggestion: suggest(key, &["tags"]),
                });
            }
        }
        match ignore.get("tags") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(tags)) => tags
                .iter()
                .map(|tag| {
                    tag.as_str().map(str::to_owned).ok_or_else(|| {
                        self.invalid("ignore.tags", "a list of tag keys", &kind_of(tag))
                    })
                })
                .collect(),
            Some(other) => Err(self.invalid("ignore.tags", "a list of tag keys", &kind_of(other))),
        }
    }

    fn codedeploy(&self) -> Result<Option<CodeDeployConfig>, ConfigError> {
        let Some(value) = self.map.get("codedeploy").filter(|value| !value.is_null()) else {
            return Ok(None);
        };
        let Value::Object(entry) = value else {
            return Err(self.invalid("codedeploy", "an object", &kind_of(value)));
        };
        let known = [
            "application_name",
            "deployment_group_name",
            "deployment_config_name",
        ];
        for key in entry.keys() {
            if !known.contains(&key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    path: self.file.to_path_buf(),
                    key: format!("codedeploy.{key}"),
                    suggestion: suggest(key, &known),
                });
            }
        }
        let field = |key: &str| {
            string_at(entry, key)
                .map_err(|found| self.invalid(&format!("codedeploy.{key}"), "a string", &found))
        };
        Ok(Some(CodeDeployConfig {
            application_name: field("application_name")?,
            deployment_group_name: field("deployment_group_name")?,
            deployment_config_name: field("deployment_config_name")?,
        }))
    }

    /// A section whose keys must all be known, as a map (`None` when absent or null).
    fn section(
        &self,
        key: &str,
        example: &str,
        known: &[&str],
    ) -> Result<Option<&Map<String, Value>>, ConfigError> {
        let Some(value) = self.map.get(key).filter(|value| !value.is_null()) else {
            return Ok(None);
        };
        let Value::Object(entry) = value else {
            return Err(self.invalid(key, example, &kind_of(value)));
        };
        for name in entry.keys() {
            if !known.contains(&name.as_str()) {
                return Err(ConfigError::UnknownKey {
                    path: self.file.to_path_buf(),
                    key: format!("{key}.{name}"),
                    suggestion: suggest(name, known),
                });
            }
        }
        Ok(Some(entry))
    }

    fn aws(&self) -> Result<AwsConfig, ConfigError> {
        let known = ["connect_timeout", "read_timeout", "attempt_timeout"];
        let Some(entry) = self.section("aws", "an object such as {read_timeout: '20s'}", &known)?
        else {
            return Ok(AwsConfig::default());
        };
        let timeout = |key: &str| -> Result<Option<Duration>, ConfigError> {
            let full = format!("aws.{key}");
            let expected = "a duration longer than zero, such as 20s";
            match string_at(entry, key).map_err(|found| self.invalid(&full, expected, &found))? {
                None => Ok(None),
                Some(text) => match duration::parse(&text) {
                    Ok(duration) if !duration.is_zero() => Ok(Some(duration)),
                    Ok(_) => Err(self.invalid(&full, expected, &format!("{text:?}"))),
                    Err(message) => Err(self.invalid(&full, expected, &message)),
                },
            }
        };
        Ok(AwsConfig {
            connect_timeout: timeout("connect_timeout")?,
            read_timeout: timeout("read_timeout")?,
            attempt_timeout: timeout("attempt_timeout")?,
        })
    }

    fn plan_signing(&self) -> Result<Option<PlanSigningConfig>, ConfigError> {
        let known = ["kms_key_id", "signing_algorithm"];
        let example = "an object such as {kms_key_id: 'alias/ristretto-plans'}";
        let Some(entry) = self.section("plan_signing", example, &known)? else {
            return Ok(None);
        };
        let field = |key: &str| {
            string_at(entry, key)
                .map_err(|found| self.invalid(&format!("plan_signing.{key}"), "a string", &found))
        };
        let kms_key_id = field("kms_key_id")?
            .filter(|key| !key.is_empty())
            .ok_or_else(|| {
                self.invalid(
                    "plan_signing.kms_key_id",
                    "a KMS key id, ARN or alias (alias/NAME)",
                    "nothing",
                )
            })?;
        Ok(Some(PlanSigningConfig {
            kms_key_id,
            signing_algorithm: field("signing_algorithm")?
                .unwrap_or_else(|| DEFAULT_SIGNING_ALGORITHM.to_owned()),
        }))
    }

    fn lock(&self) -> Result<Option<LockConfig>, ConfigError> {
        let Some(value) = self.map.get("lock").filter(|value| !value.is_null()) else {
            return Ok(None);
        };
        let Value::Object(entry) = value else {
            return Err(self.invalid(
                "lock",
                "an object such as {dynamodb_table: 'ristretto-locks'}",
                &kind_of(value),
            ));
        };
        let known = ["dynamodb_table", "s3", "lease"];
        for key in entry.keys() {
            if !known.contains(&key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    path: self.file.to_path_buf(),
                    key: format!("lock.{key}"),
                    suggestion: suggest(key, &known),
                });
            }
        }
        let field = |key: &str| {
            string_at(entry, key)
                .map_err(|found| self.invalid(&format!("lock.{key}"), "a string", &found))
        };
        let backend = match (field("dynamodb_table")?, field("s3")?) {
            (Some(table), None) => LockBackendConfig::DynamoDb { table },
            (None, Some(url)) if url.starts_with("s3://") => LockBackendConfig::S3 { url },
            (None, Some(url)) => {
                return Err(self.invalid(
                    "lock.s3",
                    "an s3://bucket/prefix/ URL",
                    &format!("{url:?}"),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(self.invalid("lock", "exactly one of dynamodb_table or s3", "both"));
            }
            (None, None) => {
                return Err(self.invalid("lock", "one of dynamodb_table or s3", "neither"));
            }
        };
        let lease = match field("lease")? {
            None => DEFAULT_LOCK_LEASE,
            Some(text) => duration::parse(&text).map_err(|message| {
                self.invalid("lock.lease", "a duration such as 60s", &message)
            })?,
        };
        Ok(Some(LockConfig { backend, lease }))
    }
}

fn string_at(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(kind_of(other)),
    }
}

/// A short description of a JSON value for "expected X, found Y" messages.
pub fn kind_of(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => format!("boolean {flag}"),
        Value::Number(number) => format!("number {number}"),
        Value::String(text) => format!("string {text:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The closest known name, when it is close enough to be a likely typo.
pub fn suggest(unknown: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| (*candidate).to_owned())
}

/// A config as loading an empty file in `.` gives it, for other modules' unit tests.
#[cfg(test)]
impl Config {
    pub(crate) fn for_tests() -> Config {
        Config {
            file: PathBuf::from("ristretto.jsonnet"),
            directory: PathBuf::from("."),
            region: Some("ap-northeast-1".into()),
            cluster: DEFAULT_CLUSTER.to_owned(),
            service: None,
            service_definition: None,
            task_definition: None,
            timeout: Duration::from_secs(600),
            plugins: Vec::new(),
            ignore_tags: Vec::new(),
            required_version: None,
            codedeploy: None,
            appspec: None,
            lock: None,
            services: Vec::new(),
            terraform: None,
            terraform_owned_fields: None,
            secret_patterns: None,
            policies: Vec::new(),
            filter_command: None,
            aws: AwsConfig::default(),
            plan_signing: None,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(document: Value) -> Result<Config, ConfigError> {
        from_document(document, Path::new("/project/ristretto.yml"))
    }

    #[test]
    fn defaults_and_relative_paths() {
        let config = config(json!({
            "region": "ap-northeast-1",
            "service": "api",
            "task_definition": "defs/td.jsonnet",
            "service_definition": "/abs/sv.json"
        }))
        .unwrap();
        assert_eq!(config.cluster, "default");
        assert_eq!(config.timeout, Duration::from_secs(600));
        assert_eq!(
            config.task_definition,
            Some(PathBuf::from("/project/defs/td.jsonnet"))
        );
        assert_eq!(
            config.service_definition,
            Some(PathBuf::from("/abs/sv.json"))
        );
        assert_eq!(config.app_name(), "api/default");
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        let error = config(json!({"servce": "api"})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/project/ristretto.yml: servce: unknown key, did you mean service?"
        );
    }

    #[test]
    fn wrong_types_and_durations_are_errors() {
        let error = config(json!({"cluster": 3})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/project/ristretto.yml: cluster: expected a string, found number 3"
        );
        let error = config(json!({"timeout": "soon"})).unwrap_err();
        assert!(
            error.to_string().contains("timeout: expected a duration"),
            "{error}"
        );
    }

    #[test]
    fn several_services_each_with_its_definitions_and_cluster() {
        let config = config(json!({
            "cluster": "web",
            "services": {
                "worker": {"task_definition": "worker/td.jsonnet", "cluster": "batch"},
                "api": {"task_definition": "api/td.jsonnet", "service_definition": "api/sv.jsonnet"}
            }
        }))
        .unwrap();
        assert_eq!(
            config.services,
            vec![
                ServiceConfig {
                    name: "api".into(),
                    cluster: "web".into(),
                    service_definition: Some(PathBuf::from("/project/api/sv.jsonnet")),
                    task_definition: Some(PathBuf::from("/project/api/td.jsonnet")),
                },
                ServiceConfig {
                    name: "worker".into(),
                    cluster: "batch".into(),
                    service_definition: None,
                    task_definition: Some(PathBuf::from("/project/worker/td.jsonnet")),
                }
            ]
        );
        let error = config_error(json!({"service": "api", "services": {}}));
        assert!(
            error.contains("service: expected nothing when services is set"),
            "{error}"
        );
        let error = config_error(json!({"services": {"api": {"task_defintion": "x"}}}));
        assert!(error.contains("did you mean task_definition?"), "{error}");
    }

    fn config_error(document: Value) -> String {
        config(document).unwrap_err().to_string()
    }

    #[test]
    fn aws_timeouts_and_plan_signing_sections() {
        let config = config(json!({
            "aws": {"connect_timeout": "2s", "read_timeout": "15s"},
            "plan_signing": {"kms_key_id": "alias/plans"},
        }))
        .unwrap();
        assert_eq!(config.aws.connect_timeout, Some(Duration::from_secs(2)));
        assert_eq!(config.aws.read_timeout, Some(Duration::from_secs(15)));
        assert_eq!(config.aws.attempt_timeout, None);
        let signing = config.plan_signing.clone().unwrap();
        assert_eq!(signing.kms_key_id, "alias/plans");
        assert_eq!(signing.signing_algorithm, DEFAULT_SIGNING_ALGORITHM);
        assert_eq!(config.to_json()["aws"]["read_timeout"], "15s");
        assert_eq!(
            config.to_json()["plan_signing"]["kms_key_id"],
            "alias/plans"
        );

        let error = config_error(json!({"aws": {"read_timeout": "0s"}}));
        assert!(
            error.contains("aws.read_timeout: expected a duration longer than zero"),
            "{error}"
        );
        let error = config_error(json!({"aws": {"read_timout": "1s"}}));
        assert!(error.contains("aws.read_timout"), "{error}");
        assert!(error.contains("read_timeout"), "a suggestion: {error}");
        let error = config_error(json!({"plan_signing": {}}));
        assert!(error.contains("plan_signing.kms_key_id"), "{error}");
    }

    #[test]
    fn lock_section() {
        let config = config(json!({"lock": {"dynamodb_table": "locks", "lease": "30s"}})).unwrap();
        assert_eq!(
            config.lock,
            Some(LockConfig {
                backend: LockBackendConfig::DynamoDb {
                    table: "locks".into()
                },
                lease: Duration::from_secs(30)
            })
        );
        let error =
            super::from_document(json!({"lock": {"dynamo_table": "x"}}), Path::new("c.yml"))
                .unwrap_err();
        assert!(
            error.to_string().contains("did you mean dynamodb_table?"),
            "{error}"
        );
    }

    #[test]
    fn required_version_is_enforced() {
        let error = config(json!({"required_version": ">= 999"})).unwrap_err();
        assert!(
            error.to_string().contains("does not satisfy constraints"),
            "{error}"
        );
        let error = config(json!({"required_version": "hoge"})).unwrap_err();
        assert!(error.to_string().contains("invalid format"), "{error}");
    }
}
