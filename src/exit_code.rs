//! The process exit codes, in one place (ARCHITECTURE.md §7). Commands return these; nothing else
//! decides how the process ends. Documented in `--help` and the README.

/// Success; with `--detailed-exitcode`, no changes.
pub(crate) const SUCCESS: u8 = 0;
/// Any error: bad input, AWS error, I/O error.
pub(crate) const ERROR: u8 = 1;
/// `plan` / `diff` with `--detailed-exitcode`: changes are present.
pub(crate) const CHANGES_PRESENT: u8 = 2;
/// The deploy lock was not acquired within `--lock-timeout`.
pub(crate) const LOCK_NOT_ACQUIRED: u8 = 3;
/// A saved plan was refused: stale, already applied, digest mismatch, other target, unknown
/// format, policy files changed since the plan.
pub(crate) const PLAN_REFUSED: u8 = 4;
/// The deployment failed: rolled back, stopped, or not complete within the timeout.
pub(crate) const DEPLOYMENT_FAILED: u8 = 5;
/// Refused by policy: a `deny` or `violation` rule of the policies matched, at plan or again at
/// apply under the lock.
pub(crate) const REFUSED_BY_POLICY: u8 = 6;

/// The table printed at the end of `--help`.
pub(crate) const HELP_TABLE: &str = "\
Exit codes:
  0  success (with --detailed-exitcode: no changes)
  1  error: bad input, AWS error, ...
  2  plan/diff --detailed-exitcode: changes present
  3  lock not acquired within --lock-timeout
  4  plan refused: stale, already applied, digest mismatch, other target, unknown format
  5  deployment failed: rolled back, stopped, or timed out
  6  refused by policy: a deny rule of the policies (at plan, or again at apply)";
