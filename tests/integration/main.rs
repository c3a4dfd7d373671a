//! Integration tests: one binary, so one moto server (started lazily by `support`), with every
//! test in its own AWS account. Modules group the tests by subject.

// `#[tokio::test]` blocks on its own runtime; the rule against blocking (clippy.toml) is for the
// product's code.
#![allow(clippy::disallowed_methods)]

#[path = "../support/mod.rs"]
mod support;

mod apply;
mod cloud_map;
mod fixtures;
mod harness;
mod init;
mod lock;
mod lookups;
mod multi;
mod plan;
mod policy;
mod real_defaults;
mod rendered;
mod revisions;
mod rollback;
mod run;
mod selection;
mod status;
mod terraform;
mod verify;
