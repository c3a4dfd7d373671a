//! Integration tests: one binary, so one moto server (started lazily by `support`), with every
//! test in its own AWS account. Modules group the tests by subject.

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
mod real_defaults;
mod rendered;
mod revisions;
mod rollback;
mod run;
mod status;
mod terraform;
mod verify;
