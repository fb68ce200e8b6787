// SPDX-License-Identifier: Apache-2.0
//! Finds an installed libccr with pkg-config and links it. The raw bindings
//! are checked in (`src/bindings.rs`), so building needs no libclang; the
//! `bindgen` feature generates them again from the installed `ccr.h`
//! instead (and the crate's test then checks the two agree).
//!
//! Environment:
//! - `PKG_CONFIG_PATH`: where `ccr.pc` lives, for a libccr installed outside
//!   the system prefix (e.g. `/opt/ccr/usr/lib/pkgconfig`), or a build
//!   directory (its `ccr-uninstalled.pc`).
//! - `CCR_SYS_RPATH=1`: also record the library directory as an rpath, so
//!   binaries find `libccr.so` without `LD_LIBRARY_PATH`.
//! - `DOCS_RS`: set by docs.rs, which has no libccr: nothing is probed or
//!   linked, the documentation comes from the checked-in bindings.

use std::env;
use std::path::{Path, PathBuf};

/// The libccr versions this crate's bindings are written for: the 0.x ABI.
const MIN_VERSION: &str = "0.1";
const MAX_VERSION: &str = "1.0";

fn main() {
    println!("cargo:rerun-if-env-changed=CCR_SYS_RPATH");
    println!("cargo:rerun-if-env-changed=DOCS_RS");
    if env::var_os("DOCS_RS").is_some() {
        return;
    }

    let lib = match pkg_config::Config::new()
        .range_version(MIN_VERSION..MAX_VERSION)
        .probe("ccr")
    {
        Ok(lib) => lib,
        Err(e) => {
            eprintln!(
                "libccr-sys: libccr >= {MIN_VERSION}, < {MAX_VERSION} not found through pkg-config.\n\
                 Install libccr (cmake --install) and point PKG_CONFIG_PATH at the directory \
                 holding ccr.pc, e.g. PKG_CONFIG_PATH=/usr/local/lib/pkgconfig.\n{e}"
            );
            std::process::exit(1);
        }
    };

    let header = lib
        .include_paths
        .iter()
        .map(|dir| dir.join("ccr").join("ccr.h"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "libccr-sys: ccr/ccr.h not found in pkg-config's include paths {:?}",
                lib.include_paths
            )
        });
    let version_header = lib
        .include_paths
        .iter()
        .map(|dir| dir.join("ccr").join("ccr_version.h"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "libccr-sys: ccr/ccr_version.h not found in pkg-config's include paths {:?}",
                lib.include_paths
            )
        });
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed={}", version_header.display());

    // The checked-in bindings call what the header of their release
    // declares: an older installed libccr would fail at link time instead.
    let version = read_header_version(&version_header);
    let bindings_version = checked_in_bindings_version();
    if version < bindings_version {
        eprintln!(
            "libccr-sys: the installed ccr.h ({}, version number {version}) is older than the one \
             these bindings were generated from ({bindings_version}); install a newer libccr",
            header.display()
        );
        std::process::exit(1);
    }

    if env::var_os("CCR_SYS_RPATH").is_some_and(|v| v == "1") {
        for dir in &lib.link_paths {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
    }

    #[cfg(feature = "bindgen")]
    generate(&header, &lib.include_paths);

    // The versions found, for dependents' build scripts (DEP_CCR_VERSION:
    // pkg-config's, DEP_CCR_VERSION_NUMBER: the header's, DEP_CCR_INCLUDE).
    // The crate itself has them as constants in its bindings.
    println!("cargo:version={}", lib.version);
    println!("cargo:version_number={version}");
    println!("cargo:include={}", join_paths(&lib.include_paths));
}

/// The first lines of the generated bindings, as checked in.
#[cfg(feature = "bindgen")]
const GENERATED_PREAMBLE: &str = "// SPDX-License-Identifier: Apache-2.0\n\
// Generated from include/ccr/ccr.h by build.rs with the \"bindgen\" feature:\n\
// do not edit. bindings/rust/test.sh checks it against the header.\n\n";

/// Writes `$OUT_DIR/bindings.rs` from `header` with bindgen.
#[cfg(feature = "bindgen")]
fn generate(header: &Path, include_paths: &[PathBuf]) {
    let bindings = bindgen::Builder::default()
        .header(header.to_string_lossy())
        .clang_args(include_paths.iter().map(|p| format!("-I{}", p.display())))
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
        .expect("libccr-sys: bindgen failed on ccr.h");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let text = format!("{GENERATED_PREAMBLE}{bindings}");
    std::fs::write(out.join("bindings.rs"), text).expect("libccr-sys: cannot write bindings.rs");
}

/// CCR_VERSION_NUMBER of the checked-in src/bindings.rs.
fn checked_in_bindings_version() -> u32 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bindings.rs");
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("libccr-sys: cannot read {}: {e}", path.display()));
    text.lines()
        .find_map(|l| l.strip_prefix("pub const CCR_VERSION_NUMBER: u32 = "))
        .and_then(|rest| rest.trim_end_matches(';').parse().ok())
        .unwrap_or_else(|| panic!("libccr-sys: no CCR_VERSION_NUMBER in {}", path.display()))
}

/// MAJOR * 10000 + MINOR * 100 + PATCH from ccr_version.h.
fn read_header_version(path: &Path) -> u32 {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("libccr-sys: cannot read {}: {e}", path.display()));
    let field = |name: &str| -> u32 {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("#define "))
            .filter_map(|l| l.trim().strip_prefix(name))
            .find_map(|rest| rest.trim().parse().ok())
            .unwrap_or_else(|| panic!("libccr-sys: {name} not found in {}", path.display()))
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
