#!/usr/bin/env bash
# The main job on the local devnet: installs what it needs, builds in build/ (or
# $HUNTER_BUILD_DIR), starts hunter-devnet (a chain and a cluster of 4 simulated workers,
# threshold 3, with a backlog), runs `hunter run` until a few hundred messages are accepted
# (or 30 s), prints `status`, `rewards` and `workers`, and stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${HUNTER_BUILD_DIR:-build}
hunter=$build_dir/src/cli/hunter
devnet=$build_dir/src/devnet/hunter-devnet
target=${DEMO_MESSAGES:-300}

heading() { printf '\n=== %s ===\n' "$*"; }

heading "Installing dependencies (scripts/setup-deps.sh)"
scripts/setup-deps.sh
echo "ok"

heading "Configuring and building in $build_dir/"
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" --target hunter hunter-devnet -j "$(nproc)"

work=$(mktemp -d)
devnet_pid=""
hunter_pid=""
cleanup() {
  [ -n "$hunter_pid" ] && kill "$hunter_pid" 2>/dev/null && wait "$hunter_pid" 2>/dev/null || true
  [ -n "$devnet_pid" ] && kill "$devnet_pid" 2>/dev/null && wait "$devnet_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/devnet.toml" <<TOML
block_ms = 500
chain_port = 0
worker_base_port = 0
hunter_key_out = "dev-hunter.key"

[[clusters]]
alias = "alpha"
workers = 4
threshold = 3
reward_per_message = "1000000000"
rate = 50
payload_size = 256
initial_backlog = $target
TOML

heading "Starting hunter-devnet (127.0.0.1, free ports)"
"$devnet" --config "$work/devnet.toml" --state-dir "$work" \
  --hunter-config-out "$work/hunter.toml" >"$work/devnet.out" 2>"$work/devnet.log" &
devnet_pid=$!
for _ in $(seq 300); do
  [ -s "$work/hunter.toml" ] && grep -q "ready" "$work/devnet.out" 2>/dev/null && break
  kill -0 "$devnet_pid" 2>/dev/null || { cat "$work/devnet.log"; exit 1; }
  sleep 0.1
done
cat "$work/devnet.out"

heading "The hunter config the devnet wrote ($work/hunter.toml)"
cat "$work/hunter.toml"

heading "hunter run --config hunter.toml --api-listen 127.0.0.1:0 (until $target messages are accepted, or 30 s)"
"$hunter" run --config "$work/hunter.toml" --api-listen 127.0.0.1:0 2>"$work/hunter.log" &
hunter_pid=$!
next=0
for _ in $(seq 300); do
  next=$("$hunter" status --config "$work/hunter.toml" --json 2>/dev/null |
    grep -o '"chain_next_sn": [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 0)
  [ "${next:-0}" -ge "$target" ] && break
  sleep 0.1
done
kill -TERM "$hunter_pid"
wait "$hunter_pid" || true
hunter_pid=""
echo "the chain has accepted $next messages; the hunter's log (first and last lines):"
head -n 8 "$work/hunter.log"
echo "..."
tail -n 4 "$work/hunter.log"

heading "hunter status"
"$hunter" status --config "$work/hunter.toml"

heading "hunter rewards"
"$hunter" rewards --config "$work/hunter.toml"

heading "hunter workers"
"$hunter" workers --config "$work/hunter.toml"

heading "Offline protocol tools: decode the first extrinsic the hunter submitted"
xt=$(sqlite3 "$work/hunter.db" "select hex(extrinsic) from submission_bytes order by id limit 1;")
if [ -z "$xt" ]; then
  echo "demo: the database holds no submitted extrinsic" >&2
  exit 1
fi
"$hunter" extrinsic decode "0x$xt" >"$work/decoded.txt"
head -n 20 "$work/decoded.txt"

heading "Stopping"
kill -TERM "$devnet_pid"
wait "$devnet_pid" || true
devnet_pid=""
echo "done"
