//! The backend of every command that plans or changes a service (ARCHITECTURE.md §1, §5), as
//! Terraform's `backend/local` is for its commands: plan now, check it against the policies,
//! check that a saved plan belongs to this project (and to its policy set), save and load plan
//! files, open the lock store, run work under a service's lock, and apply a plan to many services
//! (the policies checked again under the lock). A reader finds plan → check → save → load → lock
//! → apply here, each step unit-tested against the memory ECS (`aws::ecs_memory`) and the memory
//! lock store.
//!
//! Responsible for: the order of those steps and what happens between them (which lock, which
//! live re-read, what is released when). Must not: print (progress goes to the `Reporter`, and
//! results are returned), read flags (commands turn them into the settings here), or decide
//! what to change (that is `plan`) or how a lease works (that is `lock`).

mod apply;
mod documents;
mod lock;
mod matching;
mod plan;
mod plan_file;
mod policy;
mod service;
pub(crate) mod session_plugin;
mod signing;
mod tasks;

pub(crate) use apply::{Execution, apply_confirmed_plan, apply_plan, plan_and_apply};
pub(crate) use documents::{DocumentKind, DocumentPair, comparable_documents};
pub(crate) use lock::{LockSetup, open_lock, under_service_lock};
pub(crate) use matching::check_plan_matches;
pub(crate) use plan::{Planned, compute_plan, compute_plan_and_live, config_plan_options};
pub(crate) use plan_file::{load_plan, save_plan};
pub(crate) use policy::{
    PolicyRecheck, check_plan, check_policies_unchanged, load_policies, refusal,
};
pub(crate) use service::{
    live_service, revisions_in_use, rollback_plan, running_task_definition, scale_plan,
};
pub(crate) use signing::{check_expected_digest, check_plan_signature, sign_plan};
pub(crate) use tasks::{TaskScope, choose, running_tasks, task_by_id};
