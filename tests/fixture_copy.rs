//! The ecspresso fixtures in `tests/fixtures/ecspresso` are a copy of the team's compatibility
//! folder (`shared/compat/ecspresso` beside the repository, where the team keeps the original).
//! A clone of the repository has no such folder and reads only its own copy; where the folder
//! exists (the team's machines), this test checks that the copy still equals it, file for file,
//! so that an update of the original cannot be missed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn copy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecspresso")
}

/// The original, found next to the repository: `<parent of the repository>/shared/compat/…`.
fn original() -> Option<PathBuf> {
    let parent = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let path = parent.join("shared").join("compat").join("ecspresso");
    path.is_dir().then_some(path)
}

/// Every file under `root` (symbolic links read as what they point to), by relative path.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, directory: &Path, found: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(root, root, &mut found);
    found
}

#[test]
fn the_copy_has_the_license_and_says_where_it_comes_from() {
    let copy = copy();
    let license = std::fs::read_to_string(copy.join("LICENSE")).unwrap();
    assert!(
        license.contains("MIT License") && license.contains("KAYAC"),
        "{license}"
    );
    let readme = std::fs::read_to_string(copy.join("README.md")).unwrap();
    assert!(readme.contains("kayac/ecspresso") && readme.contains("a4e6e32"));
    assert_eq!(
        std::fs::read_dir(copy.join("diff-vectors"))
            .unwrap()
            .count(),
        74,
        "the 74 diff vectors"
    );
}

#[test]
fn the_copy_equals_the_original_when_it_is_beside_the_repository() {
    let Some(original) = original() else {
        eprintln!(
            "no shared/compat/ecspresso beside the repository: the copy in tests/fixtures is \
             used as it is, and not compared"
        );
        return;
    };
    let (expected, actual) = (files(&original), files(&copy()));
    let missing: Vec<_> = expected
        .keys()
        .filter(|path| !actual.contains_key(*path))
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|path| !expected.contains_key(*path))
        .collect();
    let different: Vec<_> = expected
        .iter()
        .filter(|(path, bytes)| actual.get(*path).is_some_and(|copy| copy != *bytes))
        .map(|(path, _)| path)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && different.is_empty(),
        "tests/fixtures/ecspresso differs from {}: missing {missing:?}, extra {extra:?}, \
         different {different:?}; copy the folder again",
        original.display()
    );
}
