//! The emulator's real-ECS defaults module (`tests/support/moto_real_defaults.py`) passes its
//! own tests (`tests/support/test_moto_real_defaults.py`, Python unittest against a moto server
//! of its own on 127.0.0.1), so that `cargo test` covers it like the rest of the test support.

use std::path::Path;
use std::process::Command;

use crate::support;

#[test]
fn the_real_defaults_module_passes_its_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .args(["-m", "unittest", "tests/support/test_moto_real_defaults.py"])
        .current_dir(root)
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'moto'"),
        "{}",
        support::MOTO_MISSING
    );
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Ran ") && !stderr.contains("Ran 0 tests"),
        "{stderr}"
    );
}
