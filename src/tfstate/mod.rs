//! Coexistence with Terraform: reading Terraform state for ecspresso's `tfstate` plugin
//! functions, and reading `.tf` files to learn which service fields Terraform still manages.
//!
//! - [`state`]: a version-4 state from a local path, `file://`, `s3://bucket/key` (through a
//!   [`StateFetcher`] that `src/aws/` implements) or `https://` (`http`: one blocking GET), and
//!   lookups by Terraform address
//!   (`output.NAME`, `aws_x.name['key'].attr`, `module.m.data.aws_x.name.attr`, …).
//! - [`format`]: Go's `fmt.Sprintf` subset for `tfstatef`, and how a value renders in a text
//!   template.
//! - [`ownership`]: `lifecycle { ignore_changes }` of the matching `aws_ecs_service` → the
//!   fields Terraform owns, the per-field message a plan prints, and the `lifecycle` block for
//!   `ristretto init`.
//!
//! This module must not touch AWS SDK types, print, or panic on any input; it returns values
//! and errors (`thiserror`, each with `hint()`) for `render`, `config` and the planner to use.

mod address;
pub mod format;
mod http;
pub mod ownership;
pub mod state;

pub use format::{go_sprintf, template_text};
pub use ownership::{Ownership, OwnershipError, ResourceRef};
pub use state::{StateFetcher, TerraformState, TfStateError};
