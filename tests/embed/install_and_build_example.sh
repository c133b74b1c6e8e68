#!/usr/bin/env bash
# Builds and runs the tests of a consumer project (examples/embedding/) the way an embedder
# would, in a fresh temporary directory:
#   BUILD_DIR given: `cmake --install BUILD_DIR` into a temporary prefix, then the consumer uses
#                    find_package(meshsim CONFIG) against it;
#   --subproject SOURCE_DIR: the consumer builds meshsim from SOURCE_DIR with add_subdirectory
#                    (what FetchContent_MakeAvailable does), libraries only.
# Extra arguments go to the consumer's cmake configure.
# Usage: install_and_build_example.sh BUILD_DIR EXAMPLE_DIR [-DVAR=VALUE...]
#        install_and_build_example.sh --subproject SOURCE_DIR EXAMPLE_DIR [-DVAR=VALUE...]
set -euo pipefail
usage="usage: install_and_build_example.sh {BUILD_DIR | --subproject SOURCE_DIR} EXAMPLE_DIR [cmake args...]"
subproject=""
if [[ "${1:-}" == "--subproject" ]]; then
  subproject="${2:?$usage}"
  shift 2
else
  build_dir="${1:?$usage}"
  shift
fi
example_dir="${1:?$usage}"
shift
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-embedding.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if [[ -n "$subproject" ]]; then
  consumer_args=(-DMESHSIM_SOURCE_DIR="$subproject")
else
  echo "== cmake --install $build_dir --prefix $tmp/prefix"
  cmake --install "$build_dir" --prefix "$tmp/prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log"; exit 1; }
  consumer_args=(-DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_FIND_PACKAGE_PREFER_CONFIG=ON)
fi
echo "== configure $example_dir"
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S "$example_dir" -B "$tmp/build" "${generator[@]}" "${consumer_args[@]}" "$@"
echo "== build"
cmake --build "$tmp/build" -j "${MESHSIM_JOBS:-2}"
echo "== test"
ctest --test-dir "$tmp/build" --output-on-failure
