//! Finds an installed libccr with pkg-config and generates the raw bindings
//! from the `ccr.h` that installation ships.
//!
//! Environment:
//! - `PKG_CONFIG_PATH`: where `ccr.pc` lives, for a libccr installed outside
//!   the system prefix (e.g. `/opt/ccr/usr/lib/pkgconfig`).
//! - `CCR_SYS_RPATH=1`: also record the library directory as an rpath, so
//!   binaries find `libccr.so` without `LD_LIBRARY_PATH`.

use std::env;
use std::path::{Path, PathBuf};

/// The libccr versions this crate's bindings are written for: the 0.x ABI.
const MIN_VERSION: &str = "0.1";
const MAX_VERSION: &str = "1.0";

fn main() {
    println!("cargo:rerun-if-env-changed=CCR_SYS_RPATH");

    let lib = match pkg_config::Config::new()
        .range_version(MIN_VERSION..MAX_VERSION)
        .probe("ccr")
    {
        Ok(lib) => lib,
        Err(e) => {
            eprintln!(
                "ccr-sys: libccr >= {MIN_VERSION}, < {MAX_VERSION} not found through pkg-config.\n\
                 Install libccr (cmake --install) and point PKG_CONFIG_PATH at the directory \
                 holding ccr.pc, e.g. PKG_CONFIG_PATH=/usr/local/lib/pkgconfig.\n{e}"
            );
            std::process::exit(1);
        }
    };

    let header = lib
        .include_paths
        .iter()
        .map(|dir| dir.join("ccr.h"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "ccr-sys: ccr.h not found in pkg-config's include paths {:?}",
                lib.include_paths
            )
        });
    println!("cargo:rerun-if-changed={}", header.display());
    if let Some(dir) = header.parent() {
        println!(
            "cargo:rerun-if-changed={}",
            dir.join("ccr_version.h").display()
        );
    }

    if env::var_os("CCR_SYS_RPATH").is_some_and(|v| v == "1") {
        for dir in &lib.link_paths {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
    }

    let bindings = bindgen::Builder::default()
        .header(header.to_string_lossy())
        .clang_args(
            lib.include_paths
                .iter()
                .map(|p| format!("-I{}", p.display())),
        )
        .use_core()
        .allowlist_function("ccr_.*")
        .allowlist_type("ccr_.*")
        .allowlist_var("CCR_.*")
        // C enums stay integers (a newer libccr may return a code this
        // crate does not know; a Rust enum would make that undefined
        // behaviour). Constants keep their C names: CCR_ERR_NOT_FOUND.
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .layout_tests(false)
        .generate_comments(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("ccr-sys: bindgen failed on ccr.h");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("ccr-sys: cannot write bindings.rs");

    // The versions found, for dependents' build scripts (DEP_CCR_VERSION:
    // pkg-config's, DEP_CCR_VERSION_NUMBER: the header's, DEP_CCR_INCLUDE).
    // The crate itself has them as constants from bindgen.
    let version = read_header_version(&header);
    println!("cargo:version={}", lib.version);
    println!("cargo:version_number={version}");
    println!("cargo:include={}", join_paths(&lib.include_paths));
}

/// MAJOR * 10000 + MINOR * 100 + PATCH from the ccr_version.h beside `header`.
fn read_header_version(header: &Path) -> u32 {
    let path = header.with_file_name("ccr_version.h");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("ccr-sys: cannot read {}: {e}", path.display()));
    let field = |name: &str| -> u32 {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("#define "))
            .filter_map(|l| l.trim().strip_prefix(name))
            .find_map(|rest| rest.trim().parse().ok())
            .unwrap_or_else(|| panic!("ccr-sys: {name} not found in {}", path.display()))
    };
    field("CCR_VERSION_MAJOR") * 10000
        + field("CCR_VERSION_MINOR") * 100
        + field("CCR_VERSION_PATCH")
}

fn join_paths(paths: &[PathBuf]) -> String {
    env::join_paths(paths)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
