#!/bin/sh
# Run inside the image by scripts/container.sh, as its user: a devnet with a backlog of 300
# messages, `hunter run` until the chain has taken them (then SIGTERM, which must exit 0), and
# `hunter status` and `hunter rewards`.
set -eu
cd /var/lib/hunter
cat > devnet.toml <<'TOML'
block_ms = 500
chain_port = 0
worker_base_port = 0
state_dir = "/var/lib/hunter/devnet"
hunter_key_out = "hunter.key"
[[clusters]]
alias = "alpha"
workers = 4
threshold = 3
rate = 0
initial_backlog = 300
TOML
hunter-devnet --config devnet.toml --hunter-config-out hunter.toml >devnet.log 2>&1 &
devnet=$!
trap 'kill $devnet 2>/dev/null || true' EXIT
i=0
until [ -s hunter.toml ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat devnet.log; exit 1; }; sleep 0.1
done
hunter config check hunter.toml
hunter run --config hunter.toml --api-listen 127.0.0.1:0 >run.log 2>&1 &
run=$!
trap 'kill $run $devnet 2>/dev/null || true' EXIT
i=0
until hunter status --config hunter.toml --json 2>/dev/null | grep -q '"chain_next_sn": 300,'; do
  i=$((i + 1)); [ $i -lt 240 ] || { tail -20 run.log; exit 1; }; sleep 0.5
done
kill -TERM $run
wait $run
echo "hunter run: the chain took all 300 messages; SIGTERM: exit 0"
grep -c ' accepted (tx ' run.log | sed 's/^/hunter run: accepted lines in its log: /'
hunter status --config hunter.toml | head -20
hunter rewards --config hunter.toml
