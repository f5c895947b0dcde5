#!/usr/bin/env bash
# Foundation demo: installs what it needs, builds in build/ (or $HUNTER_BUILD_DIR), and shows the
# offline protocol tools of `hunter` on the reference vectors (tests/vectors/protocol-v1.json).
# It will be replaced by a demo against the local devnet.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${HUNTER_BUILD_DIR:-build}
hunter=$build_dir/src/cli/hunter
vectors=tests/vectors/protocol-v1.json

heading() { printf '\n=== %s ===\n' "$*"; }
show() {
  printf '$ %s\n' "$*"
  "$@"
}
# Values from the vectors file with grep/awk only (it is pretty-printed, one field per line), so
# the demo needs nothing beyond the build dependencies.
vector_field() {  # vector_field NAME N: the N-th string value of field NAME in the file
  grep -o "\"$1\": \"[^\"]*\"" "$vectors" | sed -n "$2p" | cut -d'"' -f4
}

heading "Installing dependencies (scripts/setup-deps.sh)"
scripts/setup-deps.sh
echo "ok"

heading "Configuring and building in $build_dir/"
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" --target hunter -j "$(nproc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

heading "hunter key generate: a new key file, mode 0600 (the secret is never printed)"
show "$hunter" key generate --out "$work/hunter.key"
ls -l "$work/hunter.key"

heading "hunter key inspect: the same public key, AccountId32 and SS58 address, read back"
show "$hunter" key inspect "$work/hunter.key"

heading "hunter key inspect refuses a key file that others can read"
chmod 644 "$work/hunter.key"
printf '$ chmod 644 %s; %s key inspect %s\n' "$work/hunter.key" "$hunter" "$work/hunter.key"
status=0
"$hunter" key inspect "$work/hunter.key" || status=$?
echo "(exit code $status)"
chmod 600 "$work/hunter.key"

heading "hunter message hash: reference message 0"
# The first object of "cluster_messages", as it stands in the vectors file (its extra fields,
# "encoded" and "signatures", are ignored like any unknown field).
awk '/^  "cluster_messages": \[/ {f = 1; next} f && /^    }/ {print "    }"; exit} f' "$vectors" \
  >"$work/message0.json"
show "$hunter" message hash "$work/message0.json"
echo "(reference hash: $(vector_field hash 1))"

heading "hunter message hash --json (same message, from standard input)"
printf '$ %s message hash --json - < message0.json\n' "$hunter"
"$hunter" message hash --json - <"$work/message0.json"

heading "hunter extrinsic decode: reference extrinsic 2, a batch of sn 1 and 2 with 3 and 4 signatures"
vector_field extrinsic 3 >"$work/extrinsic2.hex"
printf '$ %s extrinsic decode - < extrinsic2.hex\n' "$hunter"
"$hunter" extrinsic decode - <"$work/extrinsic2.hex"

heading "hunter storage-key: where the chain keeps the ACK of sn 5 of the reference cluster"
show "$hunter" storage-key Acks "$(vector_field cluster 1)" 5
echo "(reference: $(awk '/"item": "PhalaClusterMq.Acks"/ {f = 1} f && /"key":/ {print; exit}' \
  "$vectors" | cut -d'"' -f4))"

heading "Bad input is one line on stderr and exit code 2"
printf '$ %s extrinsic decode 0x123\n' "$hunter"
status=0
"$hunter" extrinsic decode 0x123 || status=$?
echo "(exit code $status)"

heading "Done"
echo "README.md, section \"Command reference\", documents every command."
