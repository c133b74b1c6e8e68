#!/usr/bin/env bash
# Installs a built meshsim into a fresh temporary prefix, then configures, builds and runs the
# tests of a consumer project (examples/embedding/) against it through find_package(meshsim
# CONFIG), as an embedder would. Extra arguments go to the consumer's cmake configure.
# Usage: install_and_build_example.sh BUILD_DIR EXAMPLE_DIR [-DVAR=VALUE...]
set -euo pipefail
build_dir="${1:?usage: install_and_build_example.sh BUILD_DIR EXAMPLE_DIR [cmake args...]}"
example_dir="${2:?usage: install_and_build_example.sh BUILD_DIR EXAMPLE_DIR [cmake args...]}"
shift 2
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-embedding.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "== cmake --install $build_dir --prefix $tmp/prefix"
cmake --install "$build_dir" --prefix "$tmp/prefix" >"$tmp/install.log" || {
  cat "$tmp/install.log"; exit 1; }
echo "== configure $example_dir against the installed package"
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S "$example_dir" -B "$tmp/build" "${generator[@]}" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_FIND_PACKAGE_PREFER_CONFIG=ON "$@"
echo "== build"
cmake --build "$tmp/build" -j "${MESHSIM_JOBS:-2}"
echo "== test"
ctest --test-dir "$tmp/build" --output-on-failure
