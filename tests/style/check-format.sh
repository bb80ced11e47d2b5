#!/usr/bin/env bash
# check-format.sh SOURCE_ROOT: every tracked C file follows .clang-format.
# Prints the files that do not, with the command that fixes them.
# SPDX-License-Identifier: MIT
set -uo pipefail
root=$1
cd "$root" || exit 1
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/setup-deps --test installs it)" >&2
  exit 77
fi
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find app engine ui tools tests -name '*.[ch]')
bad=()
for f in "${files[@]}"; do
  # A tracked file deleted in the working tree (not committed yet).
  [[ -e "$f" ]] || continue
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "Not formatted as .clang-format says: ${bad[*]}" >&2
  echo "Fix with: clang-format -i ${bad[*]}" >&2
  exit 1
fi
echo "${#files[@]} files follow .clang-format"
