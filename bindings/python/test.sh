#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tests the Python binding (distribution and package libccr): installs it with pytest (ruff and mypy to lint) into
# a fresh virtual environment under /tmp, then runs bindings/python/tests.
#
# libccr must be findable, one of:
#   CCR_LIBRARY=/path/to/libccr.so.0                 (a built or installed library)
#   PKG_CONFIG_PATH=/prefix/lib/pkgconfig            (the directory holding ccr.pc)
#   libccr.so.0 installed where the dynamic loader looks (ldconfig, LD_LIBRARY_PATH)
# e.g.
#   cmake -S . -B build -G Ninja && ninja -C build ccr
#   CCR_LIBRARY=$PWD/build/libccr.so.0 bash bindings/python/test.sh
#
# The end-to-end tests need root, criu >= 4.1, runc and /bin/busybox; without
# them they are skipped, or fail when CI=true. Extra arguments go to pytest.
# PYTHON picks the interpreter (default: python3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}

if ! PYTHONPATH="$here/src" "$python" -c 'import libccr' 2>/tmp/ccr-py-import.$$; then
	cat /tmp/ccr-py-import.$$ | tail -n 1 >&2
	rm -f /tmp/ccr-py-import.$$
	echo "test.sh: cannot load libccr. Build it (cmake + ninja ccr) and set CCR_LIBRARY=<build>/libccr.so.0," >&2
	echo "         or PKG_CONFIG_PATH=<prefix>/lib/pkgconfig after cmake --install." >&2
	exit 1
fi
rm -f /tmp/ccr-py-import.$$

venv=$(mktemp -d /tmp/ccr-py-venv.XXXXXX)
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
# The wheel a user would get: its metadata names the distribution and its
# licence, and carries the licence text.
echo "== pip wheel"
"$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps -w "$venv/wheel" "$here"
wheel=$(ls "$venv"/wheel/libccr-*.whl)
"$venv/bin/python" - "$wheel" <<'PY'
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as whl:
    names = whl.namelist()
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = whl.read(meta).decode()
    headers = dict(line.split(": ", 1) for line in text.split("\n\n", 1)[0].splitlines() if ": " in line)
    problems = []
    if headers.get("Name") != "libccr":
        problems.append(f"Name is {headers.get('Name')!r}, not 'libccr'")
    if headers.get("License-Expression") != "Apache-2.0":
        problems.append(f"License-Expression is {headers.get('License-Expression')!r}, not 'Apache-2.0'")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("no dist-info/licenses/LICENSE")
    if not any(n.startswith("libccr/") for n in names):
        problems.append("no libccr/ package")
    if problems:
        sys.exit(f"{sys.argv[1]}: " + "; ".join(problems))
    print(f"{sys.argv[1].rsplit('/', 1)[-1]}: Name libccr, License-Expression Apache-2.0, LICENSE included")
PY
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel" pytest

if "$venv/bin/python" -m pip install -q --disable-pip-version-check ruff 2>/dev/null; then
	echo "== ruff check"
	# With the container fixture every harness's tests run (tests/fixture).
	"$venv/bin/ruff" check --config "$here/pyproject.toml" "$here" "$here/../../tests/fixture"
elif "$venv/bin/python" -m pip install -q --disable-pip-version-check pyflakes 2>/dev/null; then
	echo "== pyflakes"
	"$venv/bin/python" -m pyflakes "$here/src" "$here/tests" "$here/examples" "$here/../../tests/fixture"
else
	echo "== no linter could be installed (ruff, pyflakes): skipping the lint"
fi

if "$venv/bin/python" -m pip install -q --disable-pip-version-check mypy 2>/dev/null; then
	echo "== mypy --strict"
	"$venv/bin/mypy" --strict --no-incremental "$here/src/libccr" "$here/examples/migrate.py"
fi

echo "== the installed binding"
# Run from / so nothing but the installed package can be imported.
cd /
"$venv/bin/python" -c 'import libccr; print(libccr.__file__, "libccr", libccr.library_version(), "at", libccr.library_path)'

echo "== pytest"
"$venv/bin/python" -m pytest -v -p no:cacheprovider "$here/tests" "$@"

# The tests again with runc 1.5.3 (scripts/bootstrap.sh builds it off PATH)
# as the runc that runs the containers.
runc_new=/usr/local/libexec/ccr-test/runc-1.5.3
if [ -x "$runc_new/runc" ]; then
	echo "== pytest again against runc 1.5.3"
	PATH="$runc_new:$PATH" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/tests" "$@"
elif [ "${CI:-}" = true ]; then
	echo "test.sh: runc 1.5.3 is missing from $runc_new (scripts/bootstrap.sh builds it); CI=true: failing" >&2
	exit 1
fi
