#!/usr/bin/env bash
# clang-format (the repository's .clang-format) on every C++ file git tracks or would add.
#   scripts/format.sh           rewrites the files in place
#   scripts/format.sh --check   changes nothing; lists the files that are not formatted and
#                               exits 1 if there is any (CI runs this first)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=fix
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "format.sh: unknown argument '$1' (use --check, or nothing to rewrite)" >&2; exit 2 ;;
esac
command -v clang-format >/dev/null || scripts/setup-deps.sh
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' '*.h' '*.cc')
if [ "$mode" = fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "format.sh: not formatted (run scripts/format.sh): ${bad[*]}" >&2
  exit 1
fi
echo "format.sh: ${#files[@]} files formatted"
