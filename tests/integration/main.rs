//! Integration tests: one binary, so one moto server (started lazily by `support`), with every
//! test in its own AWS account. Modules group the tests by subject.

// `#[tokio::test]` blocks on its own runtime; the rule against blocking (clippy.toml) is for the
// product's code.
#![allow(clippy::disallowed_methods)]

#[path = "../support/mod.rs"]
mod support;

mod apply;
mod cloud_map;
mod ecspresso_ci;
mod ecspresso_commands;
mod fixtures;
mod harness;
mod init;
mod lock;
mod lookups;
mod lookups_in_commands;
mod multi;
mod plan;
mod plugins;
mod policy;
mod queue;
mod real_defaults;
mod rendered;
mod revisions;
mod rollback;
mod run;
mod selection;
mod signing;
mod silent;
mod skew;
mod status;
mod terraform;
mod verify;
