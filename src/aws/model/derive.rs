//! Derives the ECS API model from the code aws-sdk-ecs generates (test-only: the binary embeds
//! the result as `ecs_model.json`, see the parent module).
//!
//! # How the model is read
//!
//! # How the model is read
//!
//! A `Schema` lists a structure's members and their Smithy shape types, but it is not a complete
//! graph: a member that targets another structure does not point to that structure's schema, and
//! an enum member is a plain `String` there. The SDK's generated `deserialize` functions know both
//! things: they call `read_struct` with the target structure's schema, and they convert enum
//! strings with the enum's `From<&str>`. So this module drives those functions with a recording
//! `ShapeDeserializer` (a "probe") instead of a JSON parser:
//!
//! 1. **Discovery.** The probe visits every member, records the schema of every structure it is
//!    handed, and answers each string read with a marker naming the node it came from. The
//!    resulting value's `Debug` text shows which markers ended up in an enum's
//!    `Unknown(UnknownVariantValue(..))`: those members are enums.
//! 2. **Required members.** The generated code fills required strings and lists with empty
//!    defaults and fails to build a structure whose required enum or structure is missing. So a
//!    member is required if leaving it out makes its structure fail to build, or if the structure
//!    built without it still serializes it.
//! 3. **Enum values.** The schema does not carry them; the SDK exposes them per enum type as
//!    `values()`. Each enum member is matched to the enum type whose values it all accepts
//!    (recognised values do not come back as `Unknown`). [`ECS_ENUM_VALUE_SETS`] lists the enum
//!    types, not fields; a test fails if an enum member finds no matching type.
//!
//! From aws-smithy-schema this uses `Schema::{members, member_name, shape_type, shape_id,
//! member}` and implements `serde::ShapeDeserializer`; the generated `T::deserialize` and
//! `SerializableStruct` (through `codec::to_json`) do the rest. Relying on `Debug` text is the
//! price of the schema not carrying enums; the tests below pin what it must find. Deriving one
//! input model costs about 10 ms (release) to 60 ms (debug), once per process.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types as ecs;
use aws_smithy_schema::serde::{SerdeError, SerializableStruct, ShapeDeserializer};
use aws_smithy_schema::{Schema, ShapeType};
use aws_smithy_types::{BigDecimal, BigInteger, Blob, DateTime, Document};

use super::{ApiMember, ApiShape, Models, ShapeKind};

/// Derives the models from the SDK's generated code (what `ecs_model.json` holds).
pub(crate) fn derive_models() -> Models {
    Models {
        task_definition_input: derive_model(RegisterTaskDefinitionInput::deserialize, Depth::Full)
            .shape,
        task_definition_output: derive_model(ecs::TaskDefinition::deserialize, Depth::MembersOnly)
            .shape,
        create_service_input: derive_model(CreateServiceInput::deserialize, Depth::Full).shape,
        update_service_input: derive_model(UpdateServiceInput::deserialize, Depth::Full).shape,
        service_output: derive_model(ecs::Service::deserialize, Depth::MembersOnly).shape,
    }
}

/// which member uses which enum is found by probing (see the module comment). Regenerate after an
/// SDK upgrade with
/// `grep -l 'pub const fn values()' src/types/*.rs` in the aws-sdk-ecs sources; the test
/// `every_enum_member_has_values` fails when a type that the four models use is missing.
const ECS_ENUM_VALUE_SETS: &[&[&str]] = &[
    ecs::AcceleratorManufacturer::values(),
    ecs::AcceleratorName::values(),
    ecs::AcceleratorType::values(),
    ecs::AccessType::values(),
    ecs::AgentUpdateStatus::values(),
    ecs::ApplicationProtocol::values(),
    ecs::AssignPublicIp::values(),
    ecs::AutoRepairActionsStatus::values(),
    ecs::AvailabilityZoneRebalancing::values(),
    ecs::BareMetal::values(),
    ecs::BurstablePerformance::values(),
    ecs::CapacityOptionType::values(),
    ecs::CapacityProviderField::values(),
    ecs::CapacityProviderStatus::values(),
    ecs::CapacityProviderType::values(),
    ecs::CapacityProviderUpdateStatus::values(),
    ecs::CapacityReservationPreference::values(),
    ecs::ClusterField::values(),
    ecs::ClusterSettingName::values(),
    ecs::Compatibility::values(),
    ecs::Connectivity::values(),
    ecs::ContainerCondition::values(),
    ecs::ContainerInstanceField::values(),
    ecs::ContainerInstanceStatus::values(),
    ecs::CpuArchitecture::values(),
    ecs::CpuManufacturer::values(),
    ecs::DaemonDeploymentRollbackMonitorsStatus::values(),
    ecs::DaemonDeploymentStatus::values(),
    ecs::DaemonIpcMode::values(),
    ecs::DaemonPidMode::values(),
    ecs::DaemonPropagateTags::values(),
    ecs::DaemonStatus::values(),
    ecs::DaemonTaskDefinitionRevisionFilter::values(),
    ecs::DaemonTaskDefinitionStatus::values(),
    ecs::DaemonTaskDefinitionStatusFilter::values(),
    ecs::DeploymentControllerType::values(),
    ecs::DeploymentLifecycleHookAction::values(),
    ecs::DeploymentLifecycleHookStage::values(),
    ecs::DeploymentLifecycleHookStatus::values(),
    ecs::DeploymentLifecycleHookTargetType::values(),
    ecs::DeploymentRolloutState::values(),
    ecs::DeploymentStrategy::values(),
    ecs::DesiredStatus::values(),
    ecs::DeviceCgroupPermission::values(),
    ecs::EbsResourceType::values(),
    ecs::EfsAuthorizationConfigIam::values(),
    ecs::EfsTransitEncryption::values(),
    ecs::EnvironmentFileType::values(),
    ecs::ExecuteCommandLogging::values(),
    ecs::ExpressCpuArchitecture::values(),
    ecs::ExpressGatewayServiceInclude::values(),
    ecs::ExpressGatewayServiceScalingMetric::values(),
    ecs::ExpressGatewayServiceStatusCode::values(),
    ecs::FirelensConfigurationType::values(),
    ecs::GatewayAlbDesyncMitigationMode::values(),
    ecs::GatewayAlbProtocol::values(),
    ecs::GatewayClusterAssociationStatus::values(),
    ecs::GatewayConnectorHealthCheckProtocol::values(),
    ecs::GatewayElbIpAddressType::values(),
    ecs::GatewayElbScheme::values(),
    ecs::GatewayRouteStatus::values(),
    ecs::GatewayStatus::values(),
    ecs::GpuSharingMode::values(),
    ecs::HealthStatus::values(),
    ecs::InstanceGeneration::values(),
    ecs::InstanceHealthCheckState::values(),
    ecs::InstanceHealthCheckType::values(),
    ecs::IpcMode::values(),
    ecs::LaunchType::values(),
    ecs::LocalStorage::values(),
    ecs::LocalStorageType::values(),
    ecs::LogDriver::values(),
    ecs::ManagedAgentName::values(),
    ecs::ManagedDraining::values(),
    ecs::ManagedInstancesMonitoringOptions::values(),
    ecs::ManagedResourceStatus::values(),
    ecs::ManagedScalingStatus::values(),
    ecs::ManagedTerminationProtection::values(),
    ecs::NetworkMode::values(),
    ecs::OsFamily::values(),
    ecs::PidMode::values(),
    ecs::PlacementConstraintType::values(),
    ecs::PlacementStrategyType::values(),
    ecs::PlatformDeviceType::values(),
    ecs::PropagateGatewayTags::values(),
    ecs::PropagateMiTags::values(),
    ecs::PropagateTags::values(),
    ecs::ProxyConfigurationType::values(),
    ecs::ResourceManagementType::values(),
    ecs::ResourceType::values(),
    ecs::ScaleUnit::values(),
    ecs::SchedulingStrategy::values(),
    ecs::Scope::values(),
    ecs::ServiceConnectAccessLoggingFormat::values(),
    ecs::ServiceConnectContainerLogLevel::values(),
    ecs::ServiceConnectIncludeQueryParameters::values(),
    ecs::ServiceDeploymentLifecycleStage::values(),
    ecs::ServiceDeploymentRollbackMonitorsStatus::values(),
    ecs::ServiceDeploymentStatus::values(),
    ecs::ServiceField::values(),
    ecs::ServiceRevisionCleanup::values(),
    ecs::SettingName::values(),
    ecs::SettingType::values(),
    ecs::SortOrder::values(),
    ecs::StabilityStatus::values(),
    ecs::StopServiceDeploymentStopType::values(),
    ecs::TargetType::values(),
    ecs::TaskDefinitionFamilyStatus::values(),
    ecs::TaskDefinitionField::values(),
    ecs::TaskDefinitionPlacementConstraintType::values(),
    ecs::TaskDefinitionStatus::values(),
    ecs::TaskField::values(),
    ecs::TaskFilesystemType::values(),
    ecs::TaskSetField::values(),
    ecs::TaskStopCode::values(),
    ecs::ThresholdType::values(),
    ecs::TransportProtocol::values(),
    ecs::UlimitName::values(),
    ecs::VersionConsistency::values(),
];

/// The result of one derivation.
#[derive(Debug)]
struct DerivedModel {
    shape: ApiShape,
    /// Members that behaved like enums but matched no type in [`ECS_ENUM_VALUE_SETS`]: their
    /// values are not checked. Only tests look at it, to catch a stale list after an SDK upgrade.
    #[cfg_attr(not(test), allow(dead_code))]
    enums_without_values: Vec<String>,
}

/// How much to learn about a root. Output shapes are only used for their member names (to tell
/// read-only keys from typos), so they skip the costlier required and enum probing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    Full,
    MembersOnly,
}

/// The signature of every generated `deserialize` function.
type DeserializeFn<T> = fn(&mut dyn ShapeDeserializer) -> Result<T, SerdeError>;

fn derive_model<T: Debug + SerializableStruct>(
    deserialize: DeserializeFn<T>,
    depth: Depth,
) -> DerivedModel {
    let derivation = Derivation::discover(deserialize);
    let mut required = BTreeSet::new();
    let mut enum_values = HashMap::new();
    let mut enums_without_values = Vec::new();
    if depth == Depth::Full {
        let required_without_default = derivation.required_without_default();
        required = derivation.required_with_default(&required_without_default);
        required.extend(required_without_default.iter().copied());
        let enum_types_in_use = derivation.enum_types_in_use(&required_without_default);
        for &node in &derivation.enum_nodes {
            match derivation.enum_values(node, &required_without_default, &enum_types_in_use) {
                Some(values) => {
                    enum_values.insert(node, values);
                }
                None => enums_without_values.push(derivation.path_text(node)),
            }
        }
    }
    DerivedModel {
        shape: derivation.shape_of(ROOT, &required, &enum_values),
        enums_without_values,
    }
}

// ---------------------------------------------------------------------------------------------
// The probe: a ShapeDeserializer that records what the generated code asks of it.

type NodeId = usize;
const ROOT: NodeId = 0;
/// Answers string reads that no plan sets; the node id makes each one findable in `Debug` text.
const MARKER_PREFIX: &str = "ristretto-probe-";
/// The one key the probe puts into every map.
const MAP_KEY: &str = "ristretto-probe-key";

/// How a node hangs off its parent.
#[derive(Debug, Clone)]
enum Step {
    Member(String),
    Element,
    MapValue,
}

#[derive(Debug, Clone)]
struct Node {
    parent: Option<(NodeId, Step)>,
    kind: NodeKind,
}

#[derive(Debug, Clone)]
enum NodeKind {
    /// A member, list element or map value whose read has not been seen; the schema's shape type
    /// is all we know.
    Unread(ShapeType),
    Structure {
        shape_id: String,
        name: String,
        is_union: bool,
        members: Vec<NodeId>,
    },
    List {
        element: NodeId,
    },
    Map {
        value: NodeId,
    },
    Scalar(ShapeType),
    /// A structure that contains itself; it is not walked a second time.
    Recursive,
}

/// What a replay visits and which strings it answers with. Discovery has no plan.
struct Plan {
    visit: Vec<bool>,
    strings: HashMap<NodeId, String>,
}

/// Discovery grows the tree; replays only read it (and must not pay for a copy: there are
/// thousands of them).
enum Tree<'d> {
    Growing(RefCell<Vec<Node>>),
    Known(&'d [Node]),
}

struct Session<'d> {
    tree: Tree<'d>,
    plan: Option<Plan>,
    /// Nodes whose generated `deserialize` failed (the structure could not be built).
    failed: RefCell<BTreeSet<NodeId>>,
}

impl Session<'_> {
    fn with_kind<R>(&self, node: NodeId, read: impl FnOnce(&NodeKind) -> R) -> R {
        match &self.tree {
            Tree::Growing(nodes) => read(&nodes.borrow()[node].kind),
            Tree::Known(nodes) => read(&nodes[node].kind),
        }
    }

    /// Only discovery changes the tree; a replay is never handed a growing tree.
    fn grow(&self) -> Option<std::cell::RefMut<'_, Vec<Node>>> {
        match &self.tree {
            Tree::Growing(nodes) => Some(nodes.borrow_mut()),
            Tree::Known(_) => None,
        }
    }
}

struct Probe<'s, 'd> {
    session: &'s Session<'d>,
    node: NodeId,
}

impl Probe<'_, '_> {
    fn discovering(&self) -> bool {
        self.session.plan.is_none()
    }

    fn visits(&self, node: NodeId) -> bool {
        self.session
            .plan
            .as_ref()
            .is_none_or(|plan| plan.visit.get(node).copied().unwrap_or(false))
    }

    fn record_scalar(&self, shape_type: ShapeType) {
        if let Some(mut nodes) = self.session.grow() {
            nodes[self.node].kind = NodeKind::Scalar(shape_type);
        }
    }

    fn set_kind(&self, kind: NodeKind) {
        if let Some(mut nodes) = self.session.grow() {
            nodes[self.node].kind = kind;
        }
    }

    /// Adds a child node on discovery; `None` on a replay.
    fn add_child(&self, step: Step, shape_type: ShapeType) -> Option<NodeId> {
        let mut nodes = self.session.grow()?;
        nodes.push(Node {
            parent: Some((self.node, step)),
            kind: NodeKind::Unread(shape_type),
        });
        Some(nodes.len() - 1)
    }

    /// Runs the generated code for one child. A failure is recorded and swallowed so that one
    /// structure that cannot be built does not hide what the rest of the walk would show.
    fn visit_child(
        &self,
        child: NodeId,
        read: impl FnOnce(&mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) {
        let mut probe = Probe {
            session: self.session,
            node: child,
        };
        if read(&mut probe).is_err() {
            self.session.failed.borrow_mut().insert(child);
        }
    }

    fn is_inside_itself(&self, shape_id: &str) -> bool {
        let Some(nodes) = self.session.grow() else {
            return false;
        };
        let mut current = nodes[self.node].parent.as_ref().map(|(parent, _)| *parent);
        while let Some(node) = current {
            if matches!(&nodes[node].kind, NodeKind::Structure { shape_id: id, .. } if id == shape_id)
            {
                return true;
            }
            current = nodes[node].parent.as_ref().map(|(parent, _)| *parent);
        }
        false
    }

    fn string_answer(&self) -> String {
        self.session
            .plan
            .as_ref()
            .and_then(|plan| plan.strings.get(&self.node).cloned())
            .unwrap_or_else(|| format!("{MARKER_PREFIX}{}", self.node))
    }

    /// The single element or value node of a list or map, created on discovery.
    fn only_child(&self, step: Step, element_type: ShapeType) -> Option<NodeId> {
        if let Some(child) = self.add_child(step.clone(), element_type) {
            self.set_kind(match step {
                Step::MapValue => NodeKind::Map { value: child },
                _ => NodeKind::List { element: child },
            });
            return Some(child);
        }
        self.session.with_kind(self.node, |kind| match kind {
            NodeKind::List { element } => Some(*element),
            NodeKind::Map { value } => Some(*value),
            _ => None,
        })
    }
}

impl ShapeDeserializer for Probe<'_, '_> {
    fn read_struct(
        &mut self,
        schema: &Schema<'_>,
        state: &mut dyn FnMut(&Schema<'_>, &mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let members = schema.members();
        let children: Vec<NodeId> = if self.discovering() {
            let shape_id = schema.shape_id().as_str().to_owned();
            if self.is_inside_itself(&shape_id) {
                self.set_kind(NodeKind::Recursive);
                return Ok(());
            }
            let children: Vec<NodeId> = members
                .iter()
                .filter_map(|member| {
                    let name = member.member_name().unwrap_or_default().to_owned();
                    self.add_child(Step::Member(name), member.shape_type())
                })
                .collect();
            self.set_kind(NodeKind::Structure {
                name: schema.shape_id().shape_name().to_owned(),
                shape_id,
                is_union: schema.shape_type() == ShapeType::Union,
                members: children.clone(),
            });
            children
        } else {
            let members = self.session.with_kind(self.node, |kind| match kind {
                NodeKind::Structure { members, .. } => Some(members.clone()),
                _ => None,
            });
            let Some(members) = members else {
                return Ok(());
            };
            members
        };
        for (member, child) in members.iter().zip(children) {
            if self.visits(child) {
                self.visit_child(child, |probe| state(member, probe));
            }
        }
        Ok(())
    }

    fn read_list(
        &mut self,
        schema: &Schema<'_>,
        state: &mut dyn FnMut(&mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let element_type = schema
            .member()
            .map_or(ShapeType::Document, |member| member.shape_type());
        if let Some(element) = self.only_child(Step::Element, element_type)
            && self.visits(element)
        {
            self.visit_child(element, state);
        }
        Ok(())
    }

    fn read_map(
        &mut self,
        schema: &Schema<'_>,
        state: &mut dyn FnMut(String, &mut dyn ShapeDeserializer) -> Result<(), SerdeError>,
    ) -> Result<(), SerdeError> {
        let value_type = schema
            .member()
            .map_or(ShapeType::Document, |member| member.shape_type());
        if let Some(value) = self.only_child(Step::MapValue, value_type)
            && self.visits(value)
        {
            self.visit_child(value, |probe| state(MAP_KEY.to_owned(), probe));
        }
        Ok(())
    }

    fn read_boolean(&mut self, _: &Schema<'_>) -> Result<bool, SerdeError> {
        self.record_scalar(ShapeType::Boolean);
        Ok(false)
    }

    fn read_byte(&mut self, _: &Schema<'_>) -> Result<i8, SerdeError> {
        self.record_scalar(ShapeType::Byte);
        Ok(0)
    }

    fn read_short(&mut self, _: &Schema<'_>) -> Result<i16, SerdeError> {
        self.record_scalar(ShapeType::Short);
        Ok(0)
    }

    fn read_integer(&mut self, _: &Schema<'_>) -> Result<i32, SerdeError> {
        self.record_scalar(ShapeType::Integer);
        Ok(0)
    }

    fn read_long(&mut self, _: &Schema<'_>) -> Result<i64, SerdeError> {
        self.record_scalar(ShapeType::Long);
        Ok(0)
    }

    fn read_float(&mut self, _: &Schema<'_>) -> Result<f32, SerdeError> {
        self.record_scalar(ShapeType::Float);
        Ok(0.0)
    }

    fn read_double(&mut self, _: &Schema<'_>) -> Result<f64, SerdeError> {
        self.record_scalar(ShapeType::Double);
        Ok(0.0)
    }

    fn read_big_integer(&mut self, _: &Schema<'_>) -> Result<BigInteger, SerdeError> {
        self.record_scalar(ShapeType::BigInteger);
        Ok(BigInteger::default())
    }

    fn read_big_decimal(&mut self, _: &Schema<'_>) -> Result<BigDecimal, SerdeError> {
        self.record_scalar(ShapeType::BigDecimal);
        Ok(BigDecimal::default())
    }

    fn read_string(&mut self, _: &Schema<'_>) -> Result<String, SerdeError> {
        self.record_scalar(ShapeType::String);
        Ok(self.string_answer())
    }

    fn read_blob(&mut self, _: &Schema<'_>) -> Result<Blob, SerdeError> {
        self.record_scalar(ShapeType::Blob);
        Ok(Blob::new(Vec::new()))
    }

    fn read_timestamp(&mut self, _: &Schema<'_>) -> Result<DateTime, SerdeError> {
        self.record_scalar(ShapeType::Timestamp);
        Ok(DateTime::from_secs(0))
    }

    fn read_document(&mut self, _: &Schema<'_>) -> Result<Document, SerdeError> {
        self.record_scalar(ShapeType::Document);
        Ok(Document::Null)
    }

    fn is_null(&self) -> bool {
        false
    }

    fn container_size(&self) -> Option<usize> {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// The derivation: discovery, then replays that each visit part of the discovered tree.

struct Derivation<T> {
    deserialize: DeserializeFn<T>,
    nodes: Vec<Node>,
    enum_nodes: Vec<NodeId>,
}

impl<T: Debug + SerializableStruct> Derivation<T> {
    fn discover(deserialize: DeserializeFn<T>) -> Self {
        let session = Session {
            tree: Tree::Growing(RefCell::new(vec![Node {
                parent: None,
                kind: NodeKind::Unread(ShapeType::Structure),
            }])),
            plan: None,
            failed: RefCell::default(),
        };
        let value = deserialize(&mut Probe {
            session: &session,
            node: ROOT,
        });
        let nodes = match session.tree {
            Tree::Growing(nodes) => nodes.into_inner(),
            Tree::Known(nodes) => nodes.to_vec(),
        };
        // Every member was visited, so every structure can be built; if the root still fails,
        // the enum scan below finds nothing and the model simply has no enum values.
        let enum_nodes = value
            .map(|value| enum_markers(&format!("{value:?}"), nodes.len()))
            .unwrap_or_default();
        Self {
            deserialize,
            nodes,
            enum_nodes,
        }
    }

    /// Runs the generated code over the nodes in `visit`, answering strings from `strings`.
    /// Returns the root value, if it could be built, and the nodes that failed to build.
    fn replay(
        &self,
        visit: Vec<bool>,
        strings: HashMap<NodeId, String>,
    ) -> (Option<T>, BTreeSet<NodeId>) {
        let session = Session {
            tree: Tree::Known(&self.nodes),
            plan: Some(Plan { visit, strings }),
            failed: RefCell::default(),
        };
        let value = (self.deserialize)(&mut Probe {
            session: &session,
            node: ROOT,
        })
        .ok();
        (value, session.failed.into_inner())
    }

    fn parent(&self, node: NodeId) -> Option<NodeId> {
        self.nodes[node].parent.as_ref().map(|(parent, _)| *parent)
    }

    fn children(&self, node: NodeId) -> Vec<NodeId> {
        match &self.nodes[node].kind {
            NodeKind::Structure { members, .. } => members.clone(),
            NodeKind::List { element } => vec![*element],
            NodeKind::Map { value } => vec![*value],
            _ => Vec::new(),
        }
    }

    fn structure_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len())
            .filter(|&node| matches!(self.nodes[node].kind, NodeKind::Structure { .. }))
    }

    fn mark_subtree(&self, node: NodeId, visit: &mut [bool]) {
        visit[node] = true;
        for child in self.children(node) {
            self.mark_subtree(child, visit);
        }
    }

    /// Marks the way from the root to `node`, plus what every structure on that way needs to be
    /// built (its required members without a default), so that the root value comes out.
    fn mark_buildable_path(
        &self,
        node: NodeId,
        required_without_default: &BTreeSet<NodeId>,
        visit: &mut [bool],
    ) {
        let mut current = Some(node);
        while let Some(on_path) = current {
            visit[on_path] = true;
            for child in self.children(on_path) {
                if required_without_default.contains(&child) {
                    self.mark_subtree(child, visit);
                }
            }
            current = self.parent(on_path);
        }
    }

    /// Members whose absence makes their structure fail to build (required enums and
    /// structures: the generated code has no default for them).
    fn required_without_default(&self) -> BTreeSet<NodeId> {
        let mut required = BTreeSet::new();
        for structure in self.structure_nodes() {
            let mut with_all_members = vec![false; self.nodes.len()];
            self.mark_subtree(structure, &mut with_all_members);
            let mut ancestor = self.parent(structure);
            while let Some(node) = ancestor {
                with_all_members[node] = true;
                ancestor = self.parent(node);
            }
            for member in self.children(structure) {
                let mut visit = with_all_members.clone();
                self.unmark_subtree(member, &mut visit);
                let (root, failed) = self.replay(visit, HashMap::new());
                let structure_failed = if structure == ROOT {
                    root.is_none()
                } else {
                    failed.contains(&structure)
                };
                if structure_failed {
                    required.insert(member);
                }
            }
        }
        required
    }

    fn unmark_subtree(&self, node: NodeId, visit: &mut [bool]) {
        visit[node] = false;
        for child in self.children(node) {
            self.unmark_subtree(child, visit);
        }
    }

    /// Members that the generated code fills with an empty default when they are missing
    /// (required strings, lists, timestamps): a structure built without them still serializes
    /// them. Numbers and booleans are left out because a default value looks the same.
    fn required_with_default(
        &self,
        required_without_default: &BTreeSet<NodeId>,
    ) -> BTreeSet<NodeId> {
        let mut required = BTreeSet::new();
        for structure in self.structure_nodes() {
            let mut visit = vec![false; self.nodes.len()];
            self.mark_buildable_path(structure, required_without_default, &mut visit);
            let (Some(root), _) = self.replay(visit, HashMap::new()) else {
                continue;
            };
            let Ok(json) = crate::aws::codec::to_json(&root) else {
                continue;
            };
            let Some(serde_json::Value::Object(present)) = self.json_at(&json, structure) else {
                continue;
            };
            for member in self.children(structure) {
                let defaultable = matches!(
                    self.nodes[member].kind,
                    NodeKind::Scalar(
                        ShapeType::String
                            | ShapeType::Timestamp
                            | ShapeType::Blob
                            | ShapeType::Document
                    ) | NodeKind::List { .. }
                        | NodeKind::Map { .. }
                );
                if defaultable
                    && !required_without_default.contains(&member)
                    && present.contains_key(self.member_name(member))
                {
                    required.insert(member);
                }
            }
        }
        required
    }

    /// The enum types that at least one enum member of this root accepts a value of. One walk
    /// per type, with every enum member answering the type's first value, rules out most of the
    /// SDK's enums before the per-member search.
    fn enum_types_in_use(
        &self,
        required_without_default: &BTreeSet<NodeId>,
    ) -> Vec<&'static [&'static str]> {
        // Only the enums and what their structures need: a smaller value prints faster.
        let mut visit = vec![false; self.nodes.len()];
        for &node in &self.enum_nodes {
            self.mark_buildable_path(node, required_without_default, &mut visit);
        }
        ECS_ENUM_VALUE_SETS
            .iter()
            .copied()
            .filter(|values| {
                let Some(first) = values.first() else {
                    return false;
                };
                let strings = self
                    .enum_nodes
                    .iter()
                    .map(|&node| (node, (*first).to_owned()))
                    .collect();
                let (root, _) = self.replay(visit.clone(), strings);
                root.is_none_or(|root| {
                    format!("{root:?}").matches(&unknown_variant(first)).count()
                        < self.enum_nodes.len()
                })
            })
            .collect()
    }

    /// The values of the enum type that `node` accepts, `None` if no listed type fits.
    fn enum_values(
        &self,
        node: NodeId,
        required_without_default: &BTreeSet<NodeId>,
        enum_types: &[&'static [&'static str]],
    ) -> Option<Vec<String>> {
        let mut visit = vec![false; self.nodes.len()];
        self.mark_buildable_path(node, required_without_default, &mut visit);
        let accepts = |value: &str| {
            let strings = HashMap::from([(node, value.to_owned())]);
            let (root, _) = self.replay(visit.clone(), strings);
            root.is_some_and(|root| !format!("{root:?}").contains(&unknown_variant(value)))
        };
        // The member's own type accepts all of its values; a smaller type can too when its
        // values are a subset, so the largest fitting set wins.
        enum_types
            .iter()
            .filter(|values| values.first().is_some_and(|first| accepts(first)))
            .filter(|values| values.iter().all(|value| accepts(value)))
            .max_by_key(|values| values.len())
            .map(|values| values.iter().map(|value| (*value).to_owned()).collect())
    }

    fn member_name(&self, node: NodeId) -> &str {
        match &self.nodes[node].parent {
            Some((_, Step::Member(name))) => name,
            _ => "",
        }
    }

    /// The JSON that the SDK serializer wrote for `node`, found along the node's path.
    fn json_at<'j>(
        &self,
        root: &'j serde_json::Value,
        node: NodeId,
    ) -> Option<&'j serde_json::Value> {
        let mut steps = Vec::new();
        let mut current = node;
        while let Some((parent, step)) = &self.nodes[current].parent {
            steps.push(step);
            current = *parent;
        }
        steps.iter().rev().try_fold(root, |json, step| match step {
            Step::Member(name) => json.get(name.as_str()),
            Step::Element => json.get(0),
            Step::MapValue => json.get(MAP_KEY),
        })
    }

    /// A node's place in the document, for diagnostics (`containerDefinitions[].logConfiguration`).
    fn path_text(&self, node: NodeId) -> String {
        let mut text = String::new();
        let mut current = node;
        let mut steps = Vec::new();
        while let Some((parent, step)) = &self.nodes[current].parent {
            steps.push(step);
            current = *parent;
        }
        for step in steps.iter().rev() {
            match step {
                Step::Member(name) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(name);
                }
                Step::Element => text.push_str("[]"),
                Step::MapValue => text.push_str("{}"),
            }
        }
        text
    }

    fn shape_of(
        &self,
        node: NodeId,
        required: &BTreeSet<NodeId>,
        enum_values: &HashMap<NodeId, Vec<String>>,
    ) -> ApiShape {
        let kind = match &self.nodes[node].kind {
            NodeKind::Structure {
                name,
                is_union,
                members,
                ..
            } => {
                let members = members
                    .iter()
                    .map(|&member| ApiMember {
                        name: self.member_name(member).to_owned(),
                        shape: self.shape_of(member, required, enum_values),
                        required: required.contains(&member),
                    })
                    .collect();
                let name = name.clone();
                if *is_union {
                    ShapeKind::Union { name, members }
                } else {
                    ShapeKind::Structure { name, members }
                }
            }
            NodeKind::List { element } => ShapeKind::List {
                element: Box::new(self.shape_of(*element, required, enum_values)),
            },
            NodeKind::Map { value } => ShapeKind::Map {
                value: Box::new(self.shape_of(*value, required, enum_values)),
            },
            NodeKind::Scalar(ShapeType::String) | NodeKind::Unread(ShapeType::String) => {
                ShapeKind::String {
                    enum_values: enum_values.get(&node).cloned(),
                }
            }
            NodeKind::Scalar(shape_type) | NodeKind::Unread(shape_type) => scalar_kind(*shape_type),
            NodeKind::Recursive => ShapeKind::Document,
        };
        ApiShape { kind }
    }
}

fn scalar_kind(shape_type: ShapeType) -> ShapeKind {
    match shape_type {
        ShapeType::Boolean => ShapeKind::Boolean,
        ShapeType::Byte => ShapeKind::Byte,
        ShapeType::Short => ShapeKind::Short,
        ShapeType::Integer => ShapeKind::Integer,
        ShapeType::Long => ShapeKind::Long,
        ShapeType::Float => ShapeKind::Float,
        ShapeType::Double => ShapeKind::Double,
        ShapeType::BigInteger => ShapeKind::BigInteger,
        ShapeType::BigDecimal => ShapeKind::BigDecimal,
        ShapeType::String => ShapeKind::String { enum_values: None },
        ShapeType::Timestamp => ShapeKind::Timestamp,
        ShapeType::Blob => ShapeKind::Blob,
        // Documents, and aggregates whose content the generated code never read: anything goes.
        _ => ShapeKind::Document,
    }
}

/// How an enum that did not recognise `value` prints it in `Debug` text.
fn unknown_variant(value: &str) -> String {
    format!("UnknownVariantValue({value:?})")
}

/// The nodes whose marker string came back inside an enum's `Unknown` variant.
fn enum_markers(debug_text: &str, node_count: usize) -> Vec<NodeId> {
    let needle = format!("UnknownVariantValue(\"{MARKER_PREFIX}");
    debug_text
        .match_indices(&needle)
        .filter_map(|(start, _)| {
            let digits: String = debug_text[start + needle.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<NodeId>().ok()
        })
        .filter(|&node| node < node_count)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

mod tests {
    use super::*;

    #[test]
    fn every_enum_member_has_values() {
        for (root, model) in [
            (
                "RegisterTaskDefinitionInput",
                derive_model(RegisterTaskDefinitionInput::deserialize, Depth::Full),
            ),
            (
                "CreateServiceInput",
                derive_model(CreateServiceInput::deserialize, Depth::Full),
            ),
            (
                "UpdateServiceInput",
                derive_model(UpdateServiceInput::deserialize, Depth::Full),
            ),
        ] {
            assert!(
                model.enums_without_values.is_empty(),
                "{root}: enum members without a type in ECS_ENUM_VALUE_SETS: {:?}",
                model.enums_without_values
            );
        }
    }

    #[test]
    fn the_embedded_model_is_what_the_sdk_derives() {
        let derived = derive_models();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/model/ecs_model.json");
        if std::env::var_os("RISTRETTO_WRITE_MODEL").is_some() {
            let text = serde_json::to_string(&derived).unwrap();
            std::fs::write(path, text + "\n").unwrap();
        }
        let embedded: Models =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(
            embedded == derived,
            "src/aws/model/ecs_model.json is not what the SDK in use derives; regenerate it with \
             RISTRETTO_WRITE_MODEL=1 cargo test --lib the_embedded_model"
        );
    }
}
