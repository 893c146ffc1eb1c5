#!/usr/bin/env bash
# Fails (exit 1) if a C or C++ file of the repository is not formatted as
# .clang-format says, listing each; with --fix, formats them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "FAIL format: clang-format is not installed (tools/install_deps.sh)"; exit 1; }
mapfile -t files < <(git ls-files '*.h' '*.cc' '*.c' | grep -v '^third_party/')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "FAIL format: ${#bad[@]} file(s) differ from .clang-format (run tools/check_format.sh --fix):"
  printf '    %s\n' "${bad[@]}"
  exit 1
fi
echo "PASS format (${#files[@]} files)"
