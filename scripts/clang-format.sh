#!/usr/bin/env bash
# clang-format over native/ (style in .clang-format). `--check`: fail on any file that is not
# formatted (CI, through `npm run lint`); without it: format in place (`npm run format`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format not found: apt-get install clang-format" >&2; exit 1; }
mapfile -t files < <(git ls-files 'native/*.cc' 'native/*.h')
if [ "${1:-}" = --check ]; then
  clang-format --dry-run --Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
