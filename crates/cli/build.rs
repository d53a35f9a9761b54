//! Tells the test build whether Go is here for the transparency log's interoperability test
//! (`tests/e2e/interop.rs`). Without Go, outside CI, that test is compiled as `#[ignore]`d, so
//! cargo's own summary says it did not run. Under `CI=true` it is never ignored: it runs and
//! fails when Go is missing. (Re-run when `CI` or `PATH` change; after installing Go with
//! `scripts/install-test-deps.sh`, that script forces the re-run.)

use std::path::Path;

/// Debian's Go 1.19, which `scripts/install-test-deps.sh` installs.
const DEBIAN_GO: &str = "/usr/lib/go-1.19/bin/go";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(go_missing)");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-changed=build.rs");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let on_path =
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("go").is_file()));
    if !(ci || Path::new(DEBIAN_GO).is_file() || on_path) {
        println!("cargo::rustc-cfg=go_missing");
    }
}
