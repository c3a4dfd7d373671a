//! Field ownership between Terraform and ristretto for one ECS service.
//!
//! Teams create the service with Terraform and deploy with ristretto. Every service field that
//! Terraform's `aws_ecs_service` still manages (not listed in its `lifecycle { ignore_changes }`)
//! would be reverted by the next `terraform apply`, so such a field is Terraform's: a plan never
//! sends it and says so when the definitions would change it. This module finds the resource in
//! the `.tf` files (parsed with a real HCL parser), reads `ignore_changes`, and maps Terraform's
//! attribute names to the ECS API's service-definition keys. It also prints the `lifecycle`
//! block that `ristretto init` can offer.
//!
//! It must not evaluate Terraform (no variables, no modules): a service whose `name` is built
//! from variables is found by its address (`terraform: { resource: 'aws_ecs_service.api' }`).
//! It must not print; warnings are returned in [`Ownership::warnings`].
//!
//! Field paths are the ECS API's camelCase keys of a service definition, top-level
//! (`networkConfiguration`) except for `deploymentConfiguration`, which Terraform spreads over
//! several attributes: its members are owned one by one (`deploymentConfiguration.maximumPercent`
//! from `deployment_maximum_percent`, `.minimumHealthyPercent`, `.deploymentCircuitBreaker`,
//! `.alarms` from `alarms`, and `.strategy`/`.bakeTimeInMinutes`/`.lifecycleHooks` from the
//! `deployment_configuration` block of AWS provider 6). So `ignore_changes =
//! [deployment_circuit_breaker]` gives ristretto the circuit breaker and leaves the percentages
//! with Terraform; [`Ownership::overlay_live`] keeps the members Terraform owns at their live
//! values when the whole `deploymentConfiguration` object is sent in UpdateService.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Terraform attributes of `aws_ecs_service` that ristretto can change, and the ECS API field
/// paths each one manages.
const ATTRIBUTES: &[(&str, &[&str])] = &[
    ("task_definition", &["taskDefinition"]),
    ("desired_count", &["desiredCount"]),
    ("launch_type", &["launchType"]),
    ("capacity_provider_strategy", &["capacityProviderStrategy"]),
    ("platform_version", &["platformVersion"]),
    ("scheduling_strategy", &["schedulingStrategy"]),
    ("deployment_controller", &["deploymentController"]),
    (
        "deployment_maximum_percent",
        &["deploymentConfiguration.maximumPercent"],
    ),
    (
        "deployment_minimum_healthy_percent",
        &["deploymentConfiguration.minimumHealthyPercent"],
    ),
    (
        "deployment_circuit_breaker",
        &["deploymentConfiguration.deploymentCircuitBreaker"],
    ),
    ("alarms", &["deploymentConfiguration.alarms"]),
    (
        "deployment_configuration",
        &[
            "deploymentConfiguration.strategy",
            "deploymentConfiguration.bakeTimeInMinutes",
            "deploymentConfiguration.lifecycleHooks",
        ],
    ),
    ("network_configuration", &["networkConfiguration"]),
    ("load_balancer", &["loadBalancers"]),
    ("service_registries", &["serviceRegistries"]),
    ("ordered_placement_strategy", &["placementStrategy"]),
    ("placement_constraints", &["placementConstraints"]),
    (
        "health_check_grace_period_seconds",
        &["healthCheckGracePeriodSeconds"],
    ),
    ("enable_ecs_managed_tags", &["enableECSManagedTags"]),
    ("propagate_tags", &["propagateTags"]),
    ("enable_execute_command", &["enableExecuteCommand"]),
    (
        "service_connect_configuration",
        &["serviceConnectConfiguration"],
    ),
    ("volume_configuration", &["volumeConfigurations"]),
    ("vpc_lattice_configurations", &["vpcLatticeConfigurations"]),
    (
        "availability_zone_rebalancing",
        &["availabilityZoneRebalancing"],
    ),
    ("iam_role", &["role"]),
    ("tags", &["tags"]),
];

/// Attributes of `aws_ecs_service` with no ECS service-definition field for ristretto to own
/// (identity, Terraform-only behaviour, computed values). Listing them in `ignore_changes` is
/// valid and changes nothing here.
const TERRAFORM_ONLY: &[&str] = &[
    "cluster",
    "name",
    "id",
    "arn",
    "region",
    "tags_all",
    "force_new_deployment",
    "force_delete",
    "wait_for_steady_state",
    "triggers",
    "timeouts",
    "sigint_rollback",
];

/// The Terraform resource a service was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    /// `aws_ecs_service.api`.
    pub address: String,
    /// The `.tf` file declaring it, as `dir` was given joined with the file name.
    pub file: PathBuf,
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}", self.address, self.file.display())
    }
}

/// Which service fields Terraform still manages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ownership {
    /// Where ownership was read from; `None` when declared in the config (`ownership.terraform`).
    pub resource: Option<ResourceRef>,
    /// ECS API field paths Terraform manages (see the module documentation for the form).
    pub terraform_fields: BTreeSet<String>,
    /// Things the user should know (partial ignores, unknown attributes), one line each.
    pub warnings: Vec<String>,
}

/// Why the Terraform configuration could not be read. Every message names the file or the
/// directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnershipError {
    #[error("cannot read the Terraform directory {}: {message}", dir.display())]
    ReadDir { dir: PathBuf, message: String },
    #[error("no .tf files in the Terraform directory {}", dir.display())]
    NoTerraformFiles { dir: PathBuf },
    #[error("cannot read {}: {message}", file.display())]
    Read { file: PathBuf, message: String },
    #[error("{}: not valid HCL: {message}", file.display())]
    Parse { file: PathBuf, message: String },
    #[error("{}: {address}: {message}", file.display())]
    InvalidLifecycle {
        file: PathBuf,
        address: String,
        message: String,
    },
    #[error("no aws_ecs_service with name = {service:?} in {}", dir.display())]
    ServiceNotFound {
        dir: PathBuf,
        service: String,
        /// `aws_ecs_service.x in infra/ecs.tf (name = "other")`, one per resource found.
        candidates: Vec<String>,
    },
    #[error("{address} is not declared in {}{}", dir.display(), match suggestion { Some(s) => format!("; did you mean {s}?"), None => String::new() })]
    ResourceNotFound {
        dir: PathBuf,
        address: String,
        suggestion: Option<String>,
        candidates: Vec<String>,
    },
    #[error("{} aws_ecs_service resources in {} have name = {service:?}: {}", matches.len(), dir.display(), matches.join(", "))]
    Ambiguous {
        dir: PathBuf,
        service: String,
        matches: Vec<String>,
    },
    #[error("invalid Terraform resource address {address:?}: {message}")]
    InvalidAddress { address: String, message: String },
}

impl OwnershipError {
    /// Advice for the person reading the error, when there is some.
    pub fn hint(&self) -> Option<String> {
        match self {
            OwnershipError::ReadDir { .. } | OwnershipError::NoTerraformFiles { .. } => Some(
                "terraform.dir is relative to the config file and must hold the .tf files that \
                 declare the aws_ecs_service"
                    .into(),
            ),
            OwnershipError::Parse { .. } => {
                Some("`terraform validate` in that directory shows the same problem".into())
            }
            OwnershipError::InvalidLifecycle { .. } => Some(
                "ignore_changes must be a list of attribute names, e.g. [task_definition, \
                 desired_count], or all"
                    .into(),
            ),
            OwnershipError::ServiceNotFound { candidates, .. } => Some(if candidates.is_empty() {
                "no aws_ecs_service resource is declared there; declare ownership in the config \
                 instead (ownership: { terraform: [...] })"
                    .into()
            } else {
                format!(
                    "found {}; when the name is built from variables, give the address: \
                     terraform: {{ resource: 'aws_ecs_service.NAME' }}",
                    candidates.join(", ")
                )
            }),
            OwnershipError::ResourceNotFound { candidates, .. } => Some(if candidates.is_empty() {
                "no aws_ecs_service resource is declared there".into()
            } else {
                format!("declared there: {}", candidates.join(", "))
            }),
            OwnershipError::Ambiguous { .. } => Some(
                "give the address of the right one: terraform: { resource: \
                 'aws_ecs_service.NAME' }"
                    .into(),
            ),
            OwnershipError::InvalidAddress { .. } => Some(
                "an address is aws_ecs_service.NAME; for a resource inside a module, point \
                 terraform.dir at the module's directory"
                    .into(),
            ),
            OwnershipError::Read { .. } => None,
        }
    }
}

/// What `lifecycle { ignore_changes }` said, as far as ownership cares.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ignored {
    /// `ignore_changes = all`.
    All,
    /// Whole attributes by name, plus warnings about items that only ignore part of one.
    Attributes(Vec<String>, Vec<String>),
}

/// One `resource "aws_ecs_service" "NAME"` block as far as ownership cares.
#[derive(Debug, Clone)]
struct ServiceBlock {
    name: String,
    file: PathBuf,
    /// The literal `name` argument; `None` when it is an expression (or missing).
    service_name: Option<String>,
    /// `None` without `lifecycle { ignore_changes }`; `Err` for one that cannot be read.
    ignored: Option<Result<Ignored, String>>,
}

impl ServiceBlock {
    fn address(&self) -> String {
        format!("aws_ecs_service.{}", self.name)
    }
    fn describe(&self) -> String {
        match &self.service_name {
            Some(name) => format!(
                "{} in {} (name = {name:?})",
                self.address(),
                self.file.display()
            ),
            None => format!(
                "{} in {} (name is an expression)",
                self.address(),
                self.file.display()
            ),
        }
    }
}

impl Ownership {
    /// Reads every `*.tf` and `*.tf.json` file in `dir` (not subdirectories: modules are not
    /// followed), finds the `aws_ecs_service` whose literal `name` is `service_name`, or the one
    /// at `resource` (`aws_ecs_service.api`; a bare `api` is taken as that too), and derives
    /// ownership from its `lifecycle { ignore_changes }`. Override files (`override.tf`,
    /// `*_override.tf`) are applied after the others, as Terraform merges them.
    pub fn from_terraform_dir(
        dir: &Path,
        service_name: &str,
        resource: Option<&str>,
    ) -> Result<Ownership, OwnershipError> {
        let blocks = read_dir_blocks(dir)?;
        let block = match resource {
            Some(address) => {
                let name = resource_name(address)?;
                match blocks.iter().find(|b| b.name == name) {
                    Some(block) => block,
                    None => {
                        let addresses: Vec<String> =
                            blocks.iter().map(ServiceBlock::address).collect();
                        let wanted = format!("aws_ecs_service.{name}");
                        let suggestion = addresses
                            .iter()
                            .map(|a| (strsim::levenshtein(&wanted, a), a))
                            .filter(|(d, _)| *d <= (name.len() / 3).max(2))
                            .min()
                            .map(|(_, a)| a.clone());
                        return Err(OwnershipError::ResourceNotFound {
                            dir: dir.to_path_buf(),
                            address: wanted,
                            suggestion,
                            candidates: blocks.iter().map(ServiceBlock::describe).collect(),
                        });
                    }
                }
            }
            None => {
                let matching: Vec<&ServiceBlock> = blocks
                    .iter()
                    .filter(|b| b.service_name.as_deref() == Some(service_name))
                    .collect();
                match matching.as_slice() {
                    [one] => *one,
                    [] => {
                        return Err(OwnershipError::ServiceNotFound {
                            dir: dir.to_path_buf(),
                            service: service_name.to_owned(),
                            candidates: blocks.iter().map(ServiceBlock::describe).collect(),
                        });
                    }
                    many => {
                        return Err(OwnershipError::Ambiguous {
                            dir: dir.to_path_buf(),
                            service: service_name.to_owned(),
                            matches: many.iter().map(|b| b.describe()).collect(),
                        });
                    }
                }
            }
        };
        let reference = ResourceRef {
            address: block.address(),
            file: block.file.clone(),
        };
        let ignored = match &block.ignored {
            None => Ignored::Attributes(Vec::new(), Vec::new()),
            Some(Ok(ignored)) => ignored.clone(),
            Some(Err(message)) => {
                return Err(OwnershipError::InvalidLifecycle {
                    file: block.file.clone(),
                    address: block.address(),
                    message: message.clone(),
                });
            }
        };
        Ok(Self::from_ignored(reference, ignored))
    }

    /// Ownership declared in the config (`ownership: { terraform: [...] }`), no `.tf` files
    /// needed. Entries are field paths as in [`Ownership::terraform_fields`]; a top-level key
    /// such as `deploymentConfiguration` covers all of its members.
    pub fn from_config_list(fields: &[String]) -> Ownership {
        Ownership {
            resource: None,
            terraform_fields: fields.iter().cloned().collect(),
            warnings: Vec::new(),
        }
    }

    fn from_ignored(resource: ResourceRef, ignored: Ignored) -> Ownership {
        let (names, mut warnings) = match ignored {
            Ignored::All => {
                return Ownership {
                    resource: Some(resource),
                    terraform_fields: BTreeSet::new(),
                    warnings: Vec::new(),
                };
            }
            Ignored::Attributes(names, warnings) => (names, warnings),
        };
        let mut fields: BTreeSet<String> = ATTRIBUTES
            .iter()
            .flat_map(|(_, paths)| paths.iter().map(|p| (*p).to_owned()))
            .collect();
        for name in &names {
            if let Some((_, paths)) = ATTRIBUTES.iter().find(|(attr, _)| attr == name) {
                for path in *paths {
                    fields.remove(*path);
                }
            } else if !TERRAFORM_ONLY.contains(&name.as_str()) {
                warnings.push(format!(
                    "{resource}: ignore_changes lists {name}, which is not an aws_ecs_service \
                     attribute ristretto knows; it is left out"
                ));
            }
        }
        if names.iter().any(|n| n == "tags") && !names.iter().any(|n| n == "tags_all") {
            warnings.push(format!(
                "{resource}: ignore_changes has tags but not tags_all: provider default_tags \
                 can still revert tags that ristretto sets; add tags_all to ignore_changes"
            ));
        }
        for warning in &mut warnings {
            if !warning.starts_with(&resource.address) {
                *warning = format!("{resource}: {warning}");
            }
        }
        Ownership {
            resource: Some(resource),
            terraform_fields: fields,
            warnings,
        }
    }

    /// The Terraform-owned entry that `path` (object member names from the root of a service
    /// definition) is, or lies under: `["networkConfiguration", "awsvpcConfiguration"]` →
    /// `Some("networkConfiguration")`. An ancestor of owned entries
    /// (`["deploymentConfiguration"]` when only some members are owned) is not itself owned;
    /// use [`Ownership::overlay_live`] to compare whole documents.
    pub fn owner_of(&self, path: &[&str]) -> Option<&str> {
        self.terraform_fields
            .iter()
            .find(|field| {
                let segments: Vec<&str> = field.split('.').collect();
                path.len() >= segments.len() && path[..segments.len()] == segments[..]
            })
            .map(String::as_str)
    }

    /// Whether Terraform owns `field` (a dotted path, or a member under an owned entry).
    pub fn is_terraform_owned(&self, field: &str) -> bool {
        let path: Vec<&str> = field.split('.').collect();
        self.owner_of(&path).is_some()
    }

    /// What a plan says about a field: for a Terraform-owned one exactly
    /// `owned by Terraform (aws_ecs_service.api in infra/ecs.tf); the next terraform apply would
    /// revert it`; for any other, who owns it and why.
    pub fn owner_message(&self, field: &str) -> String {
        let source = match &self.resource {
            Some(resource) => resource.to_string(),
            None => "ownership.terraform in the config".to_owned(),
        };
        if self.is_terraform_owned(field) {
            format!("owned by Terraform ({source}); the next terraform apply would revert it")
        } else if self.resource.is_some() {
            format!(
                "owned by ristretto (Terraform ignores its changes: lifecycle.ignore_changes of {source})"
            )
        } else {
            format!("owned by ristretto (not listed in {source})")
        }
    }

    /// Keeps Terraform's fields out of what ristretto sends: returns `desired` with every
    /// Terraform-owned field set to its `live` value (removed where live has none), and the
    /// owned fields whose desired value differed from live, i.e. the changes the plan must
    /// report as "owned by Terraform". Both documents should be normalized the same way first
    /// (defaults filled, lists sorted), or formatting differences count as changes.
    ///
    /// When the service does not exist yet there is nothing to keep, so the caller should not
    /// call this (creating a service that Terraform declares is the caller's decision).
    pub fn overlay_live(&self, desired: &Value, live: &Value) -> (Value, Vec<String>) {
        let mut result = desired.clone();
        let mut changed = Vec::new();
        for field in &self.terraform_fields {
            let path: Vec<&str> = field.split('.').collect();
            let want = get_path(desired, &path);
            let have = get_path(live, &path);
            if want == have {
                continue;
            }
            changed.push(field.clone());
            match have {
                Some(value) => set_path(&mut result, &path, value.clone()),
                None => remove_path(&mut result, &path, live),
            }
        }
        (result, changed)
    }

    /// The `lifecycle` block that makes Terraform leave ristretto's fields alone, to paste into
    /// the `aws_ecs_service` resource (offered by `ristretto init`). `fields_ristretto_manages`
    /// are ECS API field paths (`taskDefinition`, `desiredCount`, `deploymentConfiguration`,
    /// `deploymentConfiguration.alarms`, …). The provider-6-only `deployment_configuration`
    /// block is never listed, because older providers reject an unknown attribute there; fields
    /// without a Terraform attribute are named in a comment.
    pub fn lifecycle_block(fields_ristretto_manages: &[&str]) -> String {
        let mut attributes: Vec<&str> = Vec::new();
        let mut unknown: Vec<&str> = Vec::new();
        for field in fields_ristretto_manages {
            let mut found = false;
            for (attribute, paths) in ATTRIBUTES {
                if *attribute == "deployment_configuration" {
                    continue;
                }
                let covers = paths.iter().any(|path| {
                    *path == *field
                        || path
                            .strip_prefix(*field)
                            .is_some_and(|rest| rest.starts_with('.'))
                        || field
                            .strip_prefix(*path)
                            .is_some_and(|rest| rest.starts_with('.'))
                });
                if covers {
                    found = true;
                    if !attributes.contains(attribute) {
                        attributes.push(attribute);
                    }
                    if *attribute == "tags" && !attributes.contains(&"tags_all") {
                        attributes.push("tags_all");
                    }
                }
            }
            if !found && !unknown.contains(field) {
                unknown.push(field);
            }
        }
        // Terraform's attribute order (the table's) reads better than the caller's.
        let order = |a: &&str| {
            ATTRIBUTES
                .iter()
                .position(|(name, _)| name == a)
                .unwrap_or(ATTRIBUTES.len())
        };
        attributes.sort_by_key(order);
        let mut out = String::from("lifecycle {\n");
        out.push_str("  # Fields deployed by ristretto; Terraform leaves them alone.\n");
        if !unknown.is_empty() {
            out.push_str(&format!(
                "  # No aws_ecs_service attribute for: {}\n",
                unknown.join(", ")
            ));
        }
        if attributes.is_empty() {
            out.push_str("  ignore_changes = []\n");
        } else {
            out.push_str("  ignore_changes = [\n");
            for attribute in attributes {
                out.push_str(&format!("    {attribute},\n"));
            }
            out.push_str("  ]\n");
        }
        out.push_str("}\n");
        out
    }
}

/// `aws_ecs_service.api`, `aws_ecs_service.api["x"]` or `api` → `api`.
fn resource_name(address: &str) -> Result<String, OwnershipError> {
    let invalid = |message: &str| OwnershipError::InvalidAddress {
        address: address.to_owned(),
        message: message.to_owned(),
    };
    // An instance key does not matter: ignore_changes belongs to the resource block.
    let base = address.split('[').next().unwrap_or(address);
    let parts: Vec<&str> = base.split('.').collect();
    let name = match parts.as_slice() {
        ["aws_ecs_service", name] => *name,
        [name] => *name,
        ["module", ..] => return Err(invalid("resources inside modules are not read")),
        [kind, _] => {
            return Err(invalid(&format!(
                "it is a {kind}, ristretto needs the aws_ecs_service"
            )));
        }
        _ => return Err(invalid("expected aws_ecs_service.NAME")),
    };
    if name.is_empty() {
        return Err(invalid("the resource name is empty"));
    }
    Ok(name.to_owned())
}

fn is_override(file_name: &str) -> bool {
    let stem = file_name
        .strip_suffix(".tf.json")
        .or_else(|| file_name.strip_suffix(".tf"))
        .unwrap_or(file_name);
    stem == "override" || stem.ends_with("_override")
}

/// Every `aws_ecs_service` block in the directory's configuration files, overrides merged.
fn read_dir_blocks(dir: &Path) -> Result<Vec<ServiceBlock>, OwnershipError> {
    let entries = std::fs::read_dir(dir).map_err(|e| OwnershipError::ReadDir {
        dir: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut files: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| OwnershipError::ReadDir {
            dir: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let is_config = name.ends_with(".tf") || name.ends_with(".tf.json");
        // Editors' backup and hidden files are not configuration (Terraform skips them too).
        let skipped = name.starts_with('.') || name.starts_with('#') || name.ends_with('~');
        if is_config && !skipped && entry.path().is_file() {
            files.push(name);
        }
    }
    if files.is_empty() {
        return Err(OwnershipError::NoTerraformFiles {
            dir: dir.to_path_buf(),
        });
    }
    // Primary files first, in name order (as Terraform loads them), then overrides.
    files.sort_by_key(|name| (is_override(name), name.clone()));

    let mut blocks: BTreeMap<String, ServiceBlock> = BTreeMap::new();
    for name in files {
        let file = dir.join(&name);
        let text = std::fs::read_to_string(&file).map_err(|e| OwnershipError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let found = if name.ends_with(".tf.json") {
            json_service_blocks(&text, &file)?
        } else {
            hcl_service_blocks(&text, &file)?
        };
        for block in found {
            if is_override(&name) {
                // Terraform merges an override into the block it names, argument by argument.
                if let Some(existing) = blocks.get_mut(&block.name) {
                    if block.service_name.is_some() {
                        existing.service_name = block.service_name;
                    }
                    if block.ignored.is_some() {
                        existing.ignored = block.ignored;
                    }
                }
            } else {
                blocks.entry(block.name.clone()).or_insert(block);
            }
        }
    }
    Ok(blocks.into_values().collect())
}

fn hcl_service_blocks(text: &str, file: &Path) -> Result<Vec<ServiceBlock>, OwnershipError> {
    let body = hcl::parse(text).map_err(|e| OwnershipError::Parse {
        file: file.to_path_buf(),
        message: match &e {
            hcl::Error::Parse(parse) => format!(
                "line {}, column {}: {}",
                parse.location().line(),
                parse.location().column(),
                parse.message()
            ),
            other => one_line(&other.to_string()),
        },
    })?;
    let mut out = Vec::new();
    for block in body.blocks() {
        if block.identifier() != "resource" {
            continue;
        }
        let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
        let [kind, name] = labels.as_slice() else {
            continue;
        };
        if *kind != "aws_ecs_service" {
            continue;
        }
        let service_name = block
            .body()
            .attributes()
            .find(|a| a.key() == "name")
            .and_then(|a| match a.expr() {
                hcl::Expression::String(s) => Some(s.clone()),
                _ => None,
            });
        let ignored = block
            .body()
            .blocks()
            .filter(|b| b.identifier() == "lifecycle")
            .flat_map(|b| b.body().attributes())
            .find(|a| a.key() == "ignore_changes")
            .map(|a| hcl_ignored(a.expr()));
        out.push(ServiceBlock {
            name: (*name).to_owned(),
            file: file.to_path_buf(),
            service_name,
            ignored,
        });
    }
    Ok(out)
}

/// Reads `ignore_changes`: `all`, or a list of attribute references.
fn hcl_ignored(expr: &hcl::Expression) -> Result<Ignored, String> {
    use hcl::Expression as E;
    let items = match expr {
        E::Variable(v) if v.as_str() == "all" => return Ok(Ignored::All),
        E::String(s) if s == "all" => return Ok(Ignored::All),
        E::Array(items) => items,
        _ => {
            return Err("lifecycle.ignore_changes must be a list of attribute names or all".into());
        }
    };
    let mut names = Vec::new();
    let mut warnings = Vec::new();
    for item in items {
        let (root, partial) = match item {
            E::Variable(v) => (v.as_str().to_owned(), None),
            E::Traversal(t) => match &t.expr {
                E::Variable(v) => (
                    v.as_str().to_owned(),
                    Some(describe_traversal(v.as_str(), t)),
                ),
                _ => return Err("an ignore_changes item is not an attribute reference".into()),
            },
            // Terraform 0.11's quoted form, still accepted by Terraform with a warning.
            E::String(s) => {
                let root: String = s.chars().take_while(|c| *c != '.' && *c != '[').collect();
                let partial = (root.len() < s.len()).then(|| s.clone());
                (root, partial)
            }
            _ => return Err("an ignore_changes item is not an attribute reference".into()),
        };
        if root == "all" {
            return Ok(Ignored::All);
        }
        match partial {
            None => names.push(root),
            Some(text) => warnings.push(format!(
                "ignore_changes has {text}, which ignores only part of {root}; Terraform still \
                 manages the rest, so {root} stays Terraform's"
            )),
        }
    }
    Ok(Ignored::Attributes(names, warnings))
}

fn describe_traversal(root: &str, traversal: &hcl::Traversal) -> String {
    use hcl::TraversalOperator as Op;
    let mut out = root.to_owned();
    for op in &traversal.operators {
        match op {
            Op::GetAttr(ident) => {
                out.push('.');
                out.push_str(ident.as_str());
            }
            Op::Index(hcl::Expression::Number(n)) => out.push_str(&format!("[{n}]")),
            Op::Index(hcl::Expression::String(s)) => out.push_str(&format!("[{s:?}]")),
            Op::LegacyIndex(n) => out.push_str(&format!(".{n}")),
            Op::Index(_) => out.push_str("[…]"),
            Op::AttrSplat => out.push_str(".*"),
            Op::FullSplat => out.push_str("[*]"),
        }
    }
    out
}

/// The JSON syntax (`*.tf.json`): `{"resource": {"aws_ecs_service": {"api": {…}}}}`, where each
/// level may also be a list of such objects.
fn json_service_blocks(text: &str, file: &Path) -> Result<Vec<ServiceBlock>, OwnershipError> {
    let root: Value = serde_json::from_str(text).map_err(|e| OwnershipError::Parse {
        file: file.to_path_buf(),
        message: format!("invalid JSON: {e}"),
    })?;
    fn objects(value: &Value) -> Vec<&serde_json::Map<String, Value>> {
        match value {
            Value::Object(map) => vec![map],
            Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        }
    }
    let mut out = Vec::new();
    let Some(top) = root.as_object() else {
        return Err(OwnershipError::Parse {
            file: file.to_path_buf(),
            message: "the top level of a .tf.json file must be an object".into(),
        });
    };
    for resources in top.get("resource").map(objects).unwrap_or_default() {
        for services in resources
            .get("aws_ecs_service")
            .map(objects)
            .unwrap_or_default()
        {
            for (name, body) in services {
                for body in objects(body) {
                    let service_name = body
                        .get("name")
                        .and_then(Value::as_str)
                        .filter(|s| !s.contains("${"))
                        .map(str::to_owned);
                    let ignored = body
                        .get("lifecycle")
                        .map(objects)
                        .unwrap_or_default()
                        .into_iter()
                        .find_map(|l| l.get("ignore_changes"))
                        .map(json_ignored);
                    out.push(ServiceBlock {
                        name: name.clone(),
                        file: file.to_path_buf(),
                        service_name,
                        ignored,
                    });
                }
            }
        }
    }
    Ok(out)
}

fn json_ignored(value: &Value) -> Result<Ignored, String> {
    match value {
        Value::String(s) if s == "all" => Ok(Ignored::All),
        Value::Array(items) => {
            let mut names = Vec::new();
            let mut warnings = Vec::new();
            for item in items {
                let Some(text) = item.as_str() else {
                    return Err("an ignore_changes item is not a string".into());
                };
                let root: String = text
                    .chars()
                    .take_while(|c| *c != '.' && *c != '[')
                    .collect();
                if root == "all" {
                    return Ok(Ignored::All);
                }
                if root.len() < text.len() {
                    warnings.push(format!(
                        "ignore_changes has {text}, which ignores only part of {root}; \
                         Terraform still manages the rest, so {root} stays Terraform's"
                    ));
                } else {
                    names.push(root);
                }
            }
            Ok(Ignored::Attributes(names, warnings))
        }
        _ => Err("lifecycle.ignore_changes must be a list of attribute names or \"all\"".into()),
    }
}

/// The parser's multi-line report (with a source excerpt) on one line, for an error message.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

fn get_path<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

fn set_path(value: &mut Value, path: &[&str], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        *value = new;
        return;
    };
    let mut current = value;
    for key in parents {
        if !current.get(*key).is_some_and(Value::is_object) {
            if let Value::Object(map) = current {
                map.insert((*key).to_owned(), Value::Object(Default::default()));
            } else {
                return;
            }
        }
        current = &mut current[*key];
    }
    if let Value::Object(map) = current {
        map.insert((*last).to_owned(), new);
    }
}

/// Removes the member at `path`; a parent object left empty is removed too when `live` does
/// not have it either (so `deploymentConfiguration: {}` never appears as a change).
fn remove_path(value: &mut Value, path: &[&str], live: &Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = &mut *value;
    for key in parents {
        match current.get_mut(*key) {
            Some(next) => current = next,
            None => return,
        }
    }
    if let Value::Object(map) = current {
        map.remove(*last);
    }
    for depth in (1..path.len()).rev() {
        let parent_path = &path[..depth];
        let empty = get_path(value, parent_path)
            .and_then(Value::as_object)
            .is_some_and(|m| m.is_empty());
        if empty && get_path(live, parent_path).is_none() {
            remove_path(value, parent_path, live);
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    const ECS_TF: &str = r#"
variable "env" { type = string }

resource "aws_ecs_cluster" "main" {
  name = "web"
}

resource "aws_ecs_service" "api" {
  name            = "api"
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = 2

  network_configuration {
    subnets         = var.subnets
    security_groups = [aws_security_group.api.id]
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }
}

resource "aws_ecs_service" "worker" {
  name    = "worker-${var.env}"
  cluster = aws_ecs_cluster.main.id
  tags = {
    Name = "worker"
  }
  lifecycle {
    ignore_changes = all
  }
}
"#;

    #[test]
    fn ignore_changes_list_gives_ristretto_those_fields() {
        let dir = project(&[("ecs.tf", ECS_TF), ("vars.tf", "variable \"subnets\" {}\n")]);
        let ownership = Ownership::from_terraform_dir(dir.path(), "api", None).unwrap();
        let resource = ownership.resource.clone().unwrap();
        assert_eq!(resource.address, "aws_ecs_service.api");
        assert_eq!(resource.file, dir.path().join("ecs.tf"));
        assert!(ownership.is_terraform_owned("networkConfiguration"));
        assert!(ownership.is_terraform_owned("networkConfiguration.awsvpcConfiguration.subnets"));
        assert!(ownership.is_terraform_owned("loadBalancers"));
        assert!(ownership.is_terraform_owned("deploymentConfiguration.maximumPercent"));
        assert!(!ownership.is_terraform_owned("taskDefinition"));
        assert!(!ownership.is_terraform_owned("desiredCount"));
        assert!(!ownership.terraform_fields.contains("taskDefinition"));
        assert!(ownership.warnings.is_empty(), "{:?}", ownership.warnings);
        assert_eq!(
            ownership.owner_of(&["networkConfiguration", "awsvpcConfiguration"]),
            Some("networkConfiguration")
        );
        assert_eq!(ownership.owner_of(&["deploymentConfiguration"]), None);
    }

    #[test]
    fn owner_message_is_exact() {
        let ownership = Ownership {
            resource: Some(ResourceRef {
                address: "aws_ecs_service.api".into(),
                file: PathBuf::from("infra/ecs.tf"),
            }),
            terraform_fields: ["networkConfiguration".to_owned()].into(),
            warnings: vec![],
        };
        assert_eq!(
            ownership.owner_message("networkConfiguration"),
            "owned by Terraform (aws_ecs_service.api in infra/ecs.tf); the next terraform apply \
             would revert it"
        );
        assert_eq!(
            ownership.owner_message("desiredCount"),
            "owned by ristretto (Terraform ignores its changes: lifecycle.ignore_changes of \
             aws_ecs_service.api in infra/ecs.tf)"
        );
        let declared = Ownership::from_config_list(&["desiredCount".into()]);
        assert_eq!(
            declared.owner_message("desiredCount"),
            "owned by Terraform (ownership.terraform in the config); the next terraform apply \
             would revert it"
        );
        assert!(declared.is_terraform_owned("desiredCount"));
        assert!(!declared.is_terraform_owned("taskDefinition"));
    }

    #[test]
    fn all_means_ristretto_owns_everything() {
        let dir = project(&[("ecs.tf", ECS_TF)]);
        // The worker's name is built from a variable: only its address finds it.
        let error = Ownership::from_terraform_dir(dir.path(), "worker-prod", None).unwrap_err();
        assert!(matches!(error, OwnershipError::ServiceNotFound { .. }));
        let hint = error.hint().unwrap();
        assert!(hint.contains("aws_ecs_service.worker in "), "{hint}");
        assert!(hint.contains("(name is an expression)"), "{hint}");

        let ownership = Ownership::from_terraform_dir(
            dir.path(),
            "worker-prod",
            Some("aws_ecs_service.worker"),
        )
        .unwrap();
        assert!(ownership.terraform_fields.is_empty());
        assert_eq!(
            ownership.resource.unwrap().address,
            "aws_ecs_service.worker"
        );
        // A bare name and an instance key work too.
        for address in ["worker", "aws_ecs_service.worker[\"a\"]"] {
            let o = Ownership::from_terraform_dir(dir.path(), "x", Some(address)).unwrap();
            assert!(o.terraform_fields.is_empty(), "{address}");
        }
    }

    #[test]
    fn found_by_address_even_with_another_name() {
        let dir = project(&[("ecs.tf", ECS_TF)]);
        let ownership = Ownership::from_terraform_dir(
            dir.path(),
            "something-else",
            Some("aws_ecs_service.api"),
        )
        .unwrap();
        assert!(!ownership.is_terraform_owned("taskDefinition"));
        assert!(ownership.is_terraform_owned("networkConfiguration"));

        let error = Ownership::from_terraform_dir(dir.path(), "api", Some("aws_ecs_service.apii"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "aws_ecs_service.apii is not declared in {}; did you mean aws_ecs_service.api?",
                dir.path().display()
            )
        );
        for bad in [
            "aws_lb.api",
            "module.m.aws_ecs_service.api",
            "a.b.c",
            "aws_ecs_service.",
        ] {
            assert!(
                matches!(
                    Ownership::from_terraform_dir(dir.path(), "api", Some(bad)),
                    Err(OwnershipError::InvalidAddress { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn no_lifecycle_means_terraform_owns_every_mapped_field() {
        let dir = project(&[(
            "main.tf",
            "resource \"aws_ecs_service\" \"s\" {\n  name = \"s\"\n}\n",
        )]);
        let ownership = Ownership::from_terraform_dir(dir.path(), "s", None).unwrap();
        for field in [
            "taskDefinition",
            "desiredCount",
            "networkConfiguration",
            "loadBalancers",
            "capacityProviderStrategy",
            "deploymentConfiguration.deploymentCircuitBreaker",
            "deploymentConfiguration.alarms",
            "enableExecuteCommand",
            "healthCheckGracePeriodSeconds",
            "platformVersion",
            "propagateTags",
            "enableECSManagedTags",
            "serviceRegistries",
            "placementStrategy",
            "placementConstraints",
            "tags",
            "serviceConnectConfiguration",
            "volumeConfigurations",
        ] {
            assert!(ownership.is_terraform_owned(field), "{field}");
        }
    }

    #[test]
    fn partial_and_unknown_items_warn_and_deployment_configuration_splits() {
        let dir = project(&[(
            "main.tf",
            r#"
resource "aws_ecs_service" "s" {
  name = "s"
  lifecycle {
    create_before_destroy = true
    ignore_changes = [
      deployment_circuit_breaker,
      alarms,
      network_configuration[0].subnets,
      tags["Name"],
      "desired_count",
      no_such_attribute,
      force_new_deployment,
    ]
  }
}
"#,
        )]);
        let o = Ownership::from_terraform_dir(dir.path(), "s", None).unwrap();
        assert!(!o.is_terraform_owned("deploymentConfiguration.deploymentCircuitBreaker"));
        assert!(!o.is_terraform_owned("deploymentConfiguration.alarms"));
        assert!(o.is_terraform_owned("deploymentConfiguration.maximumPercent"));
        assert!(o.is_terraform_owned("networkConfiguration"));
        assert!(o.is_terraform_owned("tags"));
        assert!(!o.is_terraform_owned("desiredCount"));
        let warnings = o.warnings.join("\n");
        assert_eq!(o.warnings.len(), 3, "{warnings}");
        assert!(
            warnings.contains("network_configuration[0].subnets"),
            "{warnings}"
        );
        assert!(warnings.contains(r#"tags["Name"]"#), "{warnings}");
        assert!(warnings.contains("no_such_attribute"), "{warnings}");
        assert!(
            o.warnings
                .iter()
                .all(|w| w.starts_with("aws_ecs_service.s in "))
        );
    }

    #[test]
    fn unparsable_tf_is_an_error_naming_the_file() {
        let dir = project(&[
            ("ok.tf", ECS_TF),
            (
                "broken.tf",
                "resource \"aws_ecs_service\" \"x\" {\n  name = \n",
            ),
        ]);
        let error = Ownership::from_terraform_dir(dir.path(), "api", None).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "{}: not valid HCL: ",
                dir.path().join("broken.tf").display()
            )),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
        assert!(error.hint().is_some());

        let dir = project(&[("x.tf.json", "{ nope")]);
        let error = Ownership::from_terraform_dir(dir.path(), "api", None).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("x.tf.json: not valid HCL: invalid JSON"),
            "{error}"
        );

        let dir = project(&[(
            "x.tf",
            "resource \"aws_ecs_service\" \"s\" {\n  name = \"s\"\n  lifecycle {\n    ignore_changes = var.x\n  }\n}\n",
        )]);
        let error = Ownership::from_terraform_dir(dir.path(), "s", None).unwrap_err();
        assert!(
            matches!(error, OwnershipError::InvalidLifecycle { .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("x.tf: aws_ecs_service.s: "),
            "{error}"
        );

        let empty = project(&[("README.md", "no terraform")]);
        assert!(matches!(
            Ownership::from_terraform_dir(empty.path(), "s", None),
            Err(OwnershipError::NoTerraformFiles { .. })
        ));
        assert!(matches!(
            Ownership::from_terraform_dir(&empty.path().join("nope"), "s", None),
            Err(OwnershipError::ReadDir { .. })
        ));
    }

    #[test]
    fn ambiguous_names_and_overrides_and_json_syntax() {
        let twice = "resource \"aws_ecs_service\" \"a\" {\n  name = \"s\"\n}\nresource \"aws_ecs_service\" \"b\" {\n  name = \"s\"\n}\n";
        let dir = project(&[("main.tf", twice)]);
        assert!(matches!(
            Ownership::from_terraform_dir(dir.path(), "s", None),
            Err(OwnershipError::Ambiguous { .. })
        ));

        let dir = project(&[
            (
                "main.tf",
                "resource \"aws_ecs_service\" \"a\" {\n  name = \"s\"\n}\n",
            ),
            (
                "main_override.tf",
                "resource \"aws_ecs_service\" \"a\" {\n  lifecycle {\n    ignore_changes = all\n  }\n}\n",
            ),
        ]);
        let o = Ownership::from_terraform_dir(dir.path(), "s", None).unwrap();
        assert!(o.terraform_fields.is_empty());
        assert_eq!(o.resource.unwrap().file, dir.path().join("main.tf"));

        let dir = project(&[(
            "svc.tf.json",
            r#"{"resource": {"aws_ecs_service": {"j": {"name": "s",
                "lifecycle": [{"ignore_changes": ["task_definition", "desired_count"]}]}}}}"#,
        )]);
        let o = Ownership::from_terraform_dir(dir.path(), "s", None).unwrap();
        assert!(!o.is_terraform_owned("taskDefinition"));
        assert!(o.is_terraform_owned("networkConfiguration"));
    }

    #[test]
    fn overlay_keeps_terraform_fields_at_live_values() {
        let o = Ownership {
            resource: None,
            terraform_fields: [
                "networkConfiguration",
                "deploymentConfiguration.maximumPercent",
                "deploymentConfiguration.alarms",
                "tags",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            warnings: vec![],
        };
        let live = json!({
            "desiredCount": 1,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a"]}},
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100}
        });
        let desired = json!({
            "desiredCount": 3,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["b"]}},
            "deploymentConfiguration": {"maximumPercent": 150, "minimumHealthyPercent": 50},
            "tags": [{"key": "a", "value": "b"}]
        });
        let (sent, changed) = o.overlay_live(&desired, &live);
        assert_eq!(
            changed,
            vec![
                "deploymentConfiguration.maximumPercent",
                "networkConfiguration",
                "tags"
            ]
        );
        assert_eq!(
            sent,
            json!({
                "desiredCount": 3,
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a"]}},
                "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50}
            })
        );
        // Equal owned values are no change; a member missing on both sides stays missing, and
        // a parent left empty by a removal goes when live has none.
        let (sent, changed) = o.overlay_live(&live, &live);
        assert!(changed.is_empty());
        assert_eq!(sent, live);
        let only = Ownership::from_config_list(&["deploymentConfiguration.alarms".into()]);
        let (sent, changed) = only.overlay_live(
            &json!({"deploymentConfiguration": {"alarms": {"enable": true}}}),
            &json!({}),
        );
        assert_eq!(changed, vec!["deploymentConfiguration.alarms"]);
        assert_eq!(sent, json!({}));
    }

    #[test]
    fn lifecycle_block_round_trips_through_the_parser() {
        let block = Ownership::lifecycle_block(&[
            "desiredCount",
            "taskDefinition",
            "deploymentConfiguration",
            "tags",
            "madeUp",
        ]);
        assert_eq!(
            block,
            "lifecycle {\n  # Fields deployed by ristretto; Terraform leaves them alone.\n  # No \
             aws_ecs_service attribute for: madeUp\n  ignore_changes = [\n    task_definition,\n    \
             desired_count,\n    deployment_maximum_percent,\n    \
             deployment_minimum_healthy_percent,\n    deployment_circuit_breaker,\n    alarms,\n    \
             tags,\n    tags_all,\n  ]\n}\n"
        );
        let tf = format!("resource \"aws_ecs_service\" \"api\" {{\n  name = \"api\"\n{block}}}\n");
        let dir = project(&[("ecs.tf", &tf)]);
        let o = Ownership::from_terraform_dir(dir.path(), "api", None).unwrap();
        assert!(o.warnings.is_empty(), "{:?}", o.warnings);
        for field in [
            "desiredCount",
            "taskDefinition",
            "deploymentConfiguration.alarms",
            "tags",
        ] {
            assert!(!o.is_terraform_owned(field), "{field}");
        }
        assert!(o.is_terraform_owned("networkConfiguration"));
        // Members of deploymentConfiguration one by one.
        let block = Ownership::lifecycle_block(&["deploymentConfiguration.alarms"]);
        assert!(block.contains("    alarms,\n") && !block.contains("deployment_maximum"));
        assert!(Ownership::lifecycle_block(&[]).contains("ignore_changes = []"));
    }
}
