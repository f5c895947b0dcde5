#!/usr/bin/env bash
# End-to-end benchmark of hunter against hunter-devnet (README "Performance"). Builds Release in
# build-bench/ with -DHUNTER_BENCH=ON, runs the crypto floors (bench/crypto_floor.cpp) and then:
#   A   1 cluster (4 workers, threshold 3, 256-byte payloads), BENCH_BACKLOG messages waiting
#       (default 100000), rate 0: wall time from hunter start until the chain's next sn reaches
#       the backlog; CPU and peak RSS of hunter and devnet; extrinsics and DB bytes per message.
#   A10 the same with 10 clusters of BENCH_BACKLOG10 messages each (default 10000).
#   B   steady state: 1 cluster producing BENCH_RATE msgs/s (default 1000) for BENCH_STEADY_S
#       seconds (default 20): p50/p99 delay from availability at the workers to fetch, to
#       submission and to the ACK (the accepted outcome), as seen in the hunter's database.
#   H   only with BENCH_HUGE=1: A with 1,000,000 messages, for peak RSS; with
#       BENCH_RETENTION_S=N (default 0: none) the hunter runs with hunter.retention_s = N, and the
#       database's size on disk is sampled every 10 s ("db_series": [seconds, bytes, accepted]).
#   I   isolation: BENCH_I_CLUSTERS clusters (default 100) x 1 msg/s for BENCH_I_S seconds
#       (default 60), 500 ms blocks, poll 200 ms, run twice: healthy, then with two of the first
#       cluster's four workers answering after 3 s. The healthy clusters' p99 delay to submission
#       with the slow cluster / without (target <= 1.25).
#   F   fees: the healthy run of I with fees.max_batch_delay_ms 0, 500 and 2000: extrinsics and
#       fee per message against the delay to submission.
#   W   many clusters at once: BENCH_W_CLUSTERS clusters (default 1000) x 0.5 msg/s for BENCH_W_S
#       seconds (default 60) after a BENCH_W_WARMUP_S start-up (default 10), the devnet's 4,000
#       workers on one port (workers_on_one_port), fees.max_batch_delay_ms 0, I's blocks and
#       polls: p50/p99 delay to submission, hunter CPU per message / its crypto floor, the
#       hunter's peak RSS, chain RPC requests per second, extrinsics per message.
# BENCH_WORK_DIR (default /tmp) holds the scenarios' directories, the hunter's database included
# (/dev/shm shows what the disk's fsyncs cost). BENCH_KEEP=1 keeps the scenarios' directories (databases, logs) and prints where.
# BENCH_SCENARIOS (default "A B A10") runs only the ones named (I, F and W only when named); the
# others are null in the JSON and their targets "not measured".
# Writes bench/results/latest.json and prints a table. Needs bash, curl, sqlite3, awk.
set -euo pipefail
cd "$(dirname "$0")/.."

build="build-bench"
hunter=$build/src/cli/hunter
devnet=$build/src/devnet/hunter-devnet
crypto_bench=$build/bench/hunter_bench_crypto
backlog=${BENCH_BACKLOG:-100000}
backlog10=${BENCH_BACKLOG10:-10000}
rate_b=${BENCH_RATE:-1000}
steady_s=${BENCH_STEADY_S:-20}
block_ms=${BENCH_BLOCK_MS:-100}
poll_ms=${BENCH_POLL_MS:-20}
timeout_s=${BENCH_TIMEOUT_S:-900}
cores=$(nproc)
out_dir=bench/results
out=$out_dir/latest.json

heading() { printf '\n=== %s ===\n' "$*" >&2; }
# The polling loops below fork nothing (no date, curl, grep, awk or sleep per poll): at 10 polls
# a second those processes took about 15 % of this 2-core machine (perf record -a), CPU the
# hunter and the devnet being measured then did not have.
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
set_now() { local t=${EPOCHREALTIME/[.,]/}; NOW_MS=$((t / 1000)); }
pause_fd=""
pause() {  # SECONDS: sleep in bash itself (a read that times out on a FIFO nobody writes)
  read -r -t "$1" -u "$pause_fd" _ || true
}
clk_tck=$(getconf CLK_TCK)

heading "Dependencies and Release build in $build/"
scripts/setup-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHUNTER_BENCH=ON \
  -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target hunter hunter-devnet hunter_bench_crypto hunter_bench_parse -j "$cores" >&2

work=$(mktemp -d -p "${BENCH_WORK_DIR:-/tmp}")
mkfifo "$work/pause"
exec {pause_fd}<>"$work/pause"
devnet_pid=""
hunter_pid=""
stop_pid() {  # pid: SIGTERM, wait
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  stop_pid "$hunter_pid"
  stop_pid "$devnet_pid"
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# CPU seconds (utime + stime) of a live process, from /proc/PID/stat.
cpu_s() {
  awk -v t="$clk_tck" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / t }' "/proc/$1/stat"
}
# Peak resident set (VmHWM) in KiB.
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# p-th percentile (0..100) of numbers on stdin, nearest rank; "null" when empty.
percentile() {
  sort -n | awk -v p="$1" '{ v[NR] = $1 } END {
    if (NR == 0) { print "null"; exit }
    i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'
}
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.4g}" 'BEGIN { if (b == 0) print "null"; else printf f "\n", a / b }'; }
per_1000_ms() {  # CPU_SECONDS MESSAGES: CPU milliseconds per 1,000 messages
  awk -v c="$1" -v n="$2" 'BEGIN { if (n == 0) print "null"; else printf "%.1f\n", c * 1e6 / n }'
}

# ---------------------------------------------------------------- crypto floors
# This machine's speed drifts by up to ±20 % over minutes (a shared host), so the floors are
# measured before the scenarios, right after A and after the last one; and its cores need not
# be equally fast at a given moment (one read 20-25 % slower than the other for minutes), while
# the scenarios use all of them, so each time the benchmark runs once pinned to each core
# (taskset). Each figure is the mean of all those medians.
crypto_run() {  # STAGE: writes $work/crypto-STAGE-cpuN.json, one per core
  local c
  for c in $(seq 0 $((cores - 1))); do
    local pin=(taskset -c "$c")
    "${pin[@]}" true 2>/dev/null || pin=()  # no taskset, or the core is not ours: unpinned
    "${pin[@]}" "$crypto_bench" --benchmark_format=json --benchmark_repetitions=3 \
      --benchmark_report_aggregates_only=true >"$work/crypto-$1-cpu$c.json" 2>"$work/crypto.err"
  done
}
mean_ns() {  # NAME FILE...: mean of NAME's medians over the FILEs that have it, else null
  local name=$1 f sum=0 n=0 v
  shift
  for f in "$@"; do
    [ -s "$f" ] || continue
    v=$(bench_ns_in "$f" "$name")
    [ -n "$v" ] || continue
    sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }')
    n=$((n + 1))
  done
  awk -v s="$sum" -v n="$n" 'BEGIN { if (n == 0) print "null"; else printf "%.1f", s / n }'
}
stage_ns() { mean_ns "$2" "$work"/crypto-"$1"-cpu*.json; }  # STAGE NAME: over its cores
core_ns() {  # NAME: "[cpu0, cpu1, ...]", each the mean over the stages run
  local c out=""
  for c in $(seq 0 $((cores - 1))); do
    out+="${out:+,}$(mean_ns "$1" "$work"/crypto-*-cpu"$c".json)"
  done
  echo "[$out]"
}
# cpu_time (ns) of BM_x_median in FILE
bench_ns_in() {
  awk -v n="\"$2_median\"" '
    $1 == "\"name\":" { cur = $2; sub(/,$/, "", cur) }
    $1 == "\"cpu_time\":" && cur == n { v = $2; sub(/,$/, "", v); printf "%.1f", v; exit }
  ' "$1"
}
bench_ns() { mean_ns "$1" "$work"/crypto-*.json; }  # NAME: over every run so far
crypto_floors() {  # sets the floor variables from the runs so far
  hunter_floor_ns=$(bench_ns BM_HunterFloor)
  system_floor_ns=$(bench_ns BM_SystemFloor)
  sign_ns=$(bench_ns BM_Sign)
  recover_ns=$(bench_ns BM_Recover)
  hash_ns=$(bench_ns BM_MessageHash)
  # B = cores / (system crypto CPU per message)
  bound_b=$(awk -v c="$cores" -v ns="$system_floor_ns" 'BEGIN { printf "%.0f", c * 1e9 / ns }')
  echo "hunter floor ${hunter_floor_ns} ns/msg, system floor ${system_floor_ns} ns/msg," \
    "sign ${sign_ns} ns, recover ${recover_ns} ns, hash ${hash_ns} ns; B = $bound_b msgs/s" >&2
}
heading "Crypto floors, before the scenarios ($crypto_bench)"
crypto_run before
crypto_floors
hunter_floor_before_ns=$hunter_floor_ns
system_floor_before_ns=$system_floor_ns

# ---------------------------------------------------------------- scenario helpers
# write_devnet_cfg FILE CLUSTERS BACKLOG RATE MAX_PENDING [FIRST_CLUSTER_TOML] [TOP_LEVEL_TOML]
write_devnet_cfg() {
  {
    printf 'block_ms = %s\nchain_port = 0\nworker_base_port = 0\nhunter_key_out = "dev-hunter.key"\n' "$block_ms"
    printf '%b' "${7:-}"
    printf '\n[chain]\nmax_block_extrinsics = 4096\n'
    for i in $(seq 0 $(($2 - 1))); do
      printf '\n[[clusters]]\nalias = "c%s"\nworkers = 4\nthreshold = 3\n' "$i"
      printf 'reward_per_message = "1000000000"\nrate = %s\npayload_size = 256\n' "$4"
      printf 'initial_backlog = %s\nmax_pending = %s\n' "$3" "$5"
      if [ "$i" = 0 ]; then printf '%b' "${6:-}"; fi
    done
  } >"$1"
}

# start_devnet DIR: starts hunter-devnet with DIR/devnet.toml; sets devnet_pid, admin.
start_devnet() {
  local dir=$1
  "$devnet" --config "$dir/devnet.toml" --state-dir "$dir" --print-json \
    --hunter-config-out "$dir/hunter.toml" >"$dir/devnet.out" 2>"$dir/devnet.log" &
  devnet_pid=$!
  for _ in $(seq 600); do
    [ -s "$dir/hunter.toml" ] && [ -s "$dir/devnet.out" ] && break
    kill -0 "$devnet_pid" 2>/dev/null || { cat "$dir/devnet.log" >&2; exit 1; }
    sleep 0.1
  done
  admin=$(grep -o '"admin":"[^"]*"' "$dir/devnet.out" | head -1 | sed 's/^"admin":"//; s/"$//')
  # The hunter limits for throughput, and a short poll interval.
  sed -i "s/^poll_interval_ms = .*/poll_interval_ms = $poll_ms/" "$dir/hunter.toml"
  sed -i "s/^lost_after_s = 5\$/lost_after_s = 5\nbatch_size = 256\nmax_in_flight = 32\nfetch_limit = 4096\nmax_pending = 16384/" \
    "$dir/hunter.toml"
}

start_hunter() {
  local dir=$1
  "$hunter" run --config "$dir/hunter.toml" --api-listen 127.0.0.1:0 2>"$dir/hunter.log" &
  hunter_pid=$!
}

# chain_next DIR: the sum over clusters of the chain's next sn (from /devnet/state).
# devnet_state: GET /devnet/state into $state_json over bash's /dev/tcp (empty on failure).
devnet_state() {
  local hp=${admin#http://} fd
  hp=${hp%%/*}
  state_json=""
  exec {fd}<>"/dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null || return 0
  printf 'GET /devnet/state HTTP/1.0\r\nHost: %s\r\n\r\n' "$hp" >&"$fd"
  IFS= read -r -d '' -t 5 -u "$fd" state_json || true
  exec {fd}>&-
}
# state_fold KEY sum|max: of every "KEY":N in $state_json, into REPLY (0 when none).
state_fold() {
  local rest=$state_json re="\"$1\":([0-9]+)" v r=0
  while [[ $rest =~ $re ]]; do
    v=${BASH_REMATCH[1]}
    if [ "$2" = sum ]; then r=$((r + v)); elif [ "$v" -gt "$r" ]; then r=$v; fi
    rest=${rest#*"${BASH_REMATCH[0]}"}
  done
  REPLY=$r
}

# db_size DIR: the database on disk (db + wal + shm), in bytes, into REPLY.
db_size() {
  REPLY=$(cat "$1"/hunter.db "$1"/hunter.db-wal "$1"/hunter.db-shm 2>/dev/null | wc -c)
}

# sample_db DIR: every 10 s (when NOW_MS passed sample_ms), appends [seconds since t0, the
# database's bytes, messages accepted so far ($next)] to $series. Uses run_backlog's locals.
sample_db() {
  [ "$NOW_MS" -ge "$sample_ms" ] || return 0
  db_size "$1"
  series+="${series:+,}[$(((NOW_MS - t0) / 1000)),$REPLY,$next]"
  sample_ms=$((sample_ms + 10000))
}

# run_backlog NAME CLUSTERS BACKLOG_PER_CLUSTER [RETENTION_S]: scenario A. Prints one JSON object.
run_backlog() {
  local name=$1 nclusters=$2 per=$3 retention=${4:-0}
  local total=$((nclusters * per))
  local dir=$work/$name
  mkdir -p "$dir"
  heading "Scenario $name: $nclusters cluster(s) x $per messages backlog"
  write_devnet_cfg "$dir/devnet.toml" "$nclusters" "$per" 0 $((per + 1000))
  start_devnet "$dir"
  if [ "$retention" -gt 0 ]; then
    sed -i "s/^\[hunter\]\$/[hunter]\nretention_s = $retention/" "$dir/hunter.toml"
  fi
  local d_cpu0 t0 h_cpu0
  d_cpu0=$(cpu_s "$devnet_pid")
  t0=$(now_ms)
  start_hunter "$dir"
  local done_ms="" next=0 db_bytes=0 h_cpu d_cpu h_rss d_rss finished=false
  local series="" sample_ms=$((t0 + 10000))
  # Polled every 0.25 s; the end is the moment the devnet's block took the last message
  # (its per-cluster advanced_ms), not the poll that saw it.
  while :; do
    pause 0.25
    kill -0 "$hunter_pid" 2>/dev/null || { tail -n 20 "$dir/hunter.log" >&2; break; }
    devnet_state
    state_fold next_sn sum
    next=$REPLY
    set_now
    sample_db "$dir"
    if [ "$next" -ge "$total" ]; then
      state_fold advanced_ms max
      done_ms=$REPLY
      [ "$done_ms" -gt "$t0" ] || done_ms=$NOW_MS
      finished=true
      break
    fi
    if [ $((NOW_MS - t0)) -gt $((timeout_s * 1000)) ]; then
      echo "timeout after ${timeout_s}s at $next of $total" >&2
      done_ms=$NOW_MS
      break
    fi
  done
  # Measured while both still run: CPU, peak RSS, the database on disk (db + wal + shm).
  h_cpu=$(cpu_s "$hunter_pid" 2>/dev/null || echo 0)
  d_cpu=$(cpu_s "$devnet_pid")
  h_rss=$(hwm_kib "$hunter_pid" 2>/dev/null || echo 0)
  d_rss=$(hwm_kib "$devnet_pid")
  db_size "$dir"
  db_bytes=$REPLY
  if [ "$retention" -gt 0 ]; then
    # With retention, the hunter keeps running until it has deleted what settled more than
    # retention_s (plus the audit's minute) ago: the size it levels off at.
    local until_ms=$((NOW_MS + (retention + 90) * 1000))
    while set_now && [ "$NOW_MS" -lt "$until_ms" ] && kill -0 "$hunter_pid" 2>/dev/null; do
      pause 0.25
      sample_db "$dir"
    done
    h_rss=$(hwm_kib "$hunter_pid" 2>/dev/null || echo "$h_rss")  # the peak, deletions included
  fi
  stop_pid "$hunter_pid"
  hunter_pid=""
  d_cpu=$(awk -v a="$d_cpu" -v b="$d_cpu0" 'BEGIN { printf "%.3f", a - b }')
  stop_pid "$devnet_pid"
  devnet_pid=""
  local xts subs wall rate_acc
  xts=$(sqlite3 "$dir/hunter.db" "select count(*) from submissions where status='included';")
  subs=$(sqlite3 "$dir/hunter.db" "select count(*) from submissions;")
  wall=$(awk -v a="$done_ms" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1000 }')
  rate_acc=$(div "$next" "$wall" "%.0f")
  printf '{"name":"%s","clusters":%s,"backlog":%s,"accepted":%s,"finished":%s,"wall_s":%s,' \
    "$name" "$nclusters" "$total" "$next" "$finished" "$wall"
  printf '"accepted_per_s":%s,' "$rate_acc"
  printf '"hunter_cpu_s":%s,"devnet_cpu_s":%s,' "$h_cpu" "$d_cpu"
  printf '"hunter_cpu_ms_per_1000":%s,"devnet_cpu_ms_per_1000":%s,' \
    "$(per_1000_ms "$h_cpu" "$next")" "$(per_1000_ms "$d_cpu" "$next")"
  printf '"hunter_cpu_cores":%s,"devnet_cpu_cores":%s,' \
    "$(div "$h_cpu" "$wall" "%.2f")" "$(div "$d_cpu" "$wall" "%.2f")"
  printf '"hunter_peak_rss_kib":%s,"devnet_peak_rss_kib":%s,' "$h_rss" "$d_rss"
  printf '"extrinsics_included":%s,"submissions":%s,"extrinsics_per_message":%s,' \
    "$xts" "$subs" "$(div "$xts" "$next" "%.5f")"
  printf '"db_bytes":%s,"db_bytes_per_message":%s,' "$db_bytes" "$(div "$db_bytes" "$next" "%.1f")"
  printf '"retention_s":%s,"db_series":[%s]}\n' "$retention" "$series"
  echo "  $name: $next accepted in ${wall}s" >&2
}

# rpc_requests API: the hunter's chain requests so far (hunter_rpc_requests_total), or 0.
rpc_requests() {
  curl -fsS "$1/metrics" 2>/dev/null | awk '/^hunter_rpc_requests_total/ { n += $NF } END { print n + 0 }'
}

# run_clusters NAME SLOW BATCH_DELAY_MS [CLUSTERS RATE SECONDS ONE_PORT WARMUP_S]: scenarios I, F
# and W, one run of CLUSTERS clusters (default BENCH_I_CLUSTERS, 100) x RATE msgs/s (default 1)
# for SECONDS (default BENCH_I_S, 60) after WARMUP_S of start-up (default 5), at 500 ms blocks and
# 200 ms polls. SLOW 1: c0's workers 2 and 3 answer after 3 s. BATCH_DELAY_MS:
# fees.max_batch_delay_ms. ONE_PORT 1: the devnet's workers on one port (workers_on_one_port).
# Prints one JSON object: the delay to submission of every cluster but c0, the extrinsics and
# fees of their messages, the hunter's CPU per message produced in the window (every cluster's),
# its peak RSS and its chain requests per second.
run_clusters() {
  local name=$1 slow=$2 batch_delay=$3 n=${4:-${BENCH_I_CLUSTERS:-100}} rate=${5:-1}
  local secs=${6:-${BENCH_I_S:-60}} one_port=${7:-0} warmup=${8:-5}
  local dir=$work/$name faults="" top=""
  mkdir -p "$dir"
  heading "Scenario $name: $n clusters x $rate msg/s for ${secs}s$([ "$slow" = 1 ] && echo ', c0 slow')$([ "$one_port" = 1 ] && echo ', workers on one port'), max_batch_delay_ms $batch_delay"
  [ "$slow" = 1 ] && faults='\n[[clusters.faults]]\nindex = 2\nslow_ms = 3000\n[[clusters.faults]]\nindex = 3\nslow_ms = 3000\n'
  [ "$one_port" = 1 ] && top='workers_on_one_port = true\n'
  local saved_block=$block_ms saved_poll=$poll_ms
  block_ms=500
  poll_ms=200
  write_devnet_cfg "$dir/devnet.toml" "$n" 0 "$rate" 100000 "$faults" "$top"
  start_devnet "$dir"
  block_ms=$saved_block
  poll_ms=$saved_poll
  printf '\n[fees]\nmax_batch_delay_ms = %s\n' "$batch_delay" >>"$dir/hunter.toml"
  start_hunter "$dir"
  local t0 h_cpu0
  sleep "$warmup"  # start-up (every cluster's handshake) is left out
  local api rpc0 rpc1
  api=$(grep -o 'api listening on http://[0-9.:]*' "$dir/hunter.log" | head -1 | sed 's/.* on //')
  rpc0=$(rpc_requests "$api")
  h_cpu0=$(cpu_s "$hunter_pid")
  t0=$(now_ms)
  pause "$secs"
  local t1 h_cpu h_rss
  t1=$(now_ms)
  rpc1=$(rpc_requests "$api")
  h_cpu=$(awk -v a="$(cpu_s "$hunter_pid")" -v b="$h_cpu0" 'BEGIN { printf "%.3f", a - b }')
  h_rss=$(hwm_kib "$hunter_pid")
  # The producers' start (GET /devnet/state's started_ms): with 1,000 clusters the state is
  # megabytes, more than devnet_state's 5 s read reliably takes.
  local start
  start=$(curl -fsS "$admin/state" | grep -o -m1 '"started_ms":[0-9]*' | cut -d: -f2 || true)
  sleep 3
  stop_pid "$hunter_pid"
  hunter_pid=""
  stop_pid "$devnet_pid"
  devnet_pid=""
  local c0 sn_lo sn_hi produced
  c0=$(awk '/^\[\[clusters\]\]/ { c = 1 } c && /^id = / { gsub(/"|0x/, "", $3); print toupper($3); exit }' "$dir/hunter.toml")
  # sn k of every cluster is available at start + (k + 1) / rate.
  sn_lo=$(awk -v t="$t0" -v s="$start" -v r="$rate" 'BEGIN { printf "%d", (t - s) * r / 1000 }')
  sn_hi=$(awk -v t="$t1" -v s="$start" -v r="$rate" 'BEGIN { printf "%d", (t - 3000 - s) * r / 1000 }')
  # Messages every cluster produced between t0 and t1: what the hunter's CPU was spent on.
  produced=$(awk -v a="$t0" -v b="$t1" -v s="$start" -v r="$rate" -v n="$n" \
    'BEGIN { printf "%d", n * (int((b - s) * r / 1000) - int((a - s) * r / 1000)) }')
  sqlite3 "$dir/hunter.db" "select min(s.created_ms) - ($start + (m.sn + 1) * 1000.0 / $rate) from messages m
      join submissions s on s.cluster = m.cluster and m.sn between s.first_sn and s.last_sn
      where hex(m.cluster) != '$c0' and m.sn >= $sn_lo and m.sn < $sn_hi
      group by m.cluster, m.sn;" >"$dir/submit.txt"
  local msgs xts fee_per_msg
  msgs=$(wc -l <"$dir/submit.txt")
  # Included extrinsics of the healthy clusters that carried messages of the window, and the
  # fees booked for those messages (each message's share of its extrinsic's fee).
  xts=$(sqlite3 "$dir/hunter.db" "select count(distinct o.submission_id) from outcomes o
      where o.kind = 'accepted' and hex(o.cluster) != '$c0' and o.sn >= $sn_lo and o.sn < $sn_hi;")
  fee_per_msg=$(sqlite3 "$dir/hunter.db" "select cast(avg(cast(o.fee as real)) as integer)
      from outcomes o where o.kind = 'accepted' and hex(o.cluster) != '$c0'
      and o.sn >= $sn_lo and o.sn < $sn_hi;")
  printf '{"name":"%s","clusters":%s,"rate":%s,"workers_on_one_port":%s,"slow_cluster":%s,"max_batch_delay_ms":%s,"window_s":%s,"messages":%s,' \
    "$name" "$n" "$rate" "$([ "$one_port" = 1 ] && echo true || echo false)" \
    "$([ "$slow" = 1 ] && echo true || echo false)" "$batch_delay" "$(((t1 - t0) / 1000))" "$msgs"
  printf '"extrinsics_per_message":%s,"fee_per_message":%s,' "$(div "$xts" "$msgs" "%.3f")" "${fee_per_msg:-null}"
  printf '"submit_delay_ms":{"p50":%s,"p99":%s,"max":%s},' "$(percentile 50 <"$dir/submit.txt")" \
    "$(percentile 99 <"$dir/submit.txt")" "$(percentile 100 <"$dir/submit.txt")"
  printf '"chain_rpc_requests_per_s":%s,' "$(div "$((rpc1 - rpc0))" "$(((t1 - t0) / 1000))" "%.1f")"
  printf '"produced_in_window":%s,"hunter_cpu_ns_per_message":%s,' "$produced" \
    "$(awk -v c="$h_cpu" -v m="$produced" 'BEGIN { if (m == 0) print "null"; else printf "%.0f", c * 1e9 / m }')"
  printf '"hunter_cpu_s":%s,"hunter_peak_rss_kib":%s}\n' "$h_cpu" "$h_rss"
  echo "  $name: $msgs messages of the healthy clusters" >&2
}

# run_steady NAME: scenario B. Prints one JSON object.
run_steady() {
  local name=$1
  local dir=$work/$name
  mkdir -p "$dir"
  heading "Scenario $name: steady $rate_b msgs/s for ${steady_s}s"
  write_devnet_cfg "$dir/devnet.toml" 1 0 "$rate_b" 1000000
  start_devnet "$dir"
  start_hunter "$dir"
  local h_cpu0 d_cpu0 t0 t_end
  # Warm-up: the first 2 s are left out of every figure.
  sleep 2
  h_cpu0=$(cpu_s "$hunter_pid")
  d_cpu0=$(cpu_s "$devnet_pid")
  t0=$(now_ms)
  # The devnet produces sn k at started + (k + 1) / rate (checked every 10 ms). "started" is not
  # exposed: every poll gives the upper bound t_after_poll - produced / rate; keep the least.
  local start_est="" t p b produced0="" produced1=0
  t_end=$((t0 + steady_s * 1000))
  set_now
  while [ "$NOW_MS" -lt "$t_end" ]; do
    devnet_state
    set_now
    t=$NOW_MS
    state_fold produced sum
    p=$REPLY
    [ -z "$produced0" ] && produced0=$p
    produced1=$p
    b=$((t - p * 1000 / rate_b))
    if [ -z "$start_est" ] || [ "$b" -lt "$start_est" ]; then start_est=$b; fi
    pause 0.1
    set_now
  done
  # The devnet's own start on the wall clock, when it shows it (exact: sn k is due then +
  # (k + 1) / rate, and produced within its 10 ms producer tick after that).
  devnet_state
  state_fold started_ms max
  [ "$REPLY" -gt 0 ] && start_est=$REPLY
  local t1 h_cpu d_cpu h_rss d_rss
  t1=$(now_ms)
  h_cpu=$(awk -v a="$(cpu_s "$hunter_pid")" -v b="$h_cpu0" 'BEGIN { printf "%.3f", a - b }')
  d_cpu=$(awk -v a="$(cpu_s "$devnet_pid")" -v b="$d_cpu0" 'BEGIN { printf "%.3f", a - b }')
  h_rss=$(hwm_kib "$hunter_pid")
  d_rss=$(hwm_kib "$devnet_pid")
  # Let the last submissions be accepted before stopping (they are outside the window anyway).
  sleep 1
  stop_pid "$hunter_pid"
  hunter_pid=""
  stop_pid "$devnet_pid"
  devnet_pid=""
  # The window: sns that became available between t0 and t_end - 2 s (so that each had time
  # to be submitted and acknowledged before the hunter stopped).
  local sn_lo sn_hi
  sn_lo=$(awk -v t="$t0" -v s="$start_est" -v r="$rate_b" 'BEGIN { printf "%.0f", (t - s) * r / 1000 }')
  sn_hi=$(awk -v t="$t_end" -v s="$start_est" -v r="$rate_b" 'BEGIN { printf "%.0f", (t - 2000 - s) * r / 1000 }')
  local db=$dir/hunter.db
  avail="($start_est + (sn + 1) * 1000.0 / $rate_b)"
  sqlite3 "$db" "select m.created_ms - $avail from messages m where sn >= $sn_lo and sn < $sn_hi;" \
    >"$dir/fetch.txt"
  # Delay to submission: the first submission whose sn range holds the message.
  sqlite3 "$db" "select min(s.created_ms) - $avail from messages m join submissions s
      on s.cluster = m.cluster and m.sn between s.first_sn and s.last_sn
      where m.sn >= $sn_lo and m.sn < $sn_hi group by m.sn;" >"$dir/submit.txt"
  sqlite3 "$db" "select o.at_ms - (${avail//sn/o.sn}) from outcomes o
      where o.kind = 'accepted' and o.sn >= $sn_lo and o.sn < $sn_hi;" >"$dir/ack.txt"
  local n_win n_sub n_ack
  n_win=$((sn_hi - sn_lo))
  n_sub=$(wc -l <"$dir/submit.txt")
  n_ack=$(wc -l <"$dir/ack.txt")
  local win_s
  win_s=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1000 }')
  local produced_rate
  produced_rate=$(div "$((produced1 - produced0))" "$win_s" "%.0f")
  printf '{"name":"%s","rate":%s,"window_s":%s,"produced_per_s":%s,"window_messages":%s,' \
    "$name" "$rate_b" "$win_s" "$produced_rate" "$n_win"
  printf '"submitted_in_window":%s,"acked_in_window":%s,' "$n_sub" "$n_ack"
  printf '"fetch_delay_ms":{"p50":%s,"p99":%s,"max":%s},' "$(percentile 50 <"$dir/fetch.txt")" \
    "$(percentile 99 <"$dir/fetch.txt")" "$(percentile 100 <"$dir/fetch.txt")"
  printf '"submit_delay_ms":{"p50":%s,"p99":%s,"max":%s},' "$(percentile 50 <"$dir/submit.txt")" \
    "$(percentile 99 <"$dir/submit.txt")" "$(percentile 100 <"$dir/submit.txt")"
  printf '"ack_delay_ms":{"p50":%s,"p99":%s,"max":%s},' "$(percentile 50 <"$dir/ack.txt")" \
    "$(percentile 99 <"$dir/ack.txt")" "$(percentile 100 <"$dir/ack.txt")"
  printf '"hunter_cpu_s":%s,"devnet_cpu_s":%s,' "$h_cpu" "$d_cpu"
  printf '"hunter_cpu_ms_per_1000":%s,"devnet_cpu_ms_per_1000":%s,' \
    "$(per_1000_ms "$h_cpu" "$((produced1 - produced0))")" \
    "$(per_1000_ms "$d_cpu" "$((produced1 - produced0))")"
  printf '"hunter_peak_rss_kib":%s,"devnet_peak_rss_kib":%s}\n' "$h_rss" "$d_rss"
  echo "  $name: window $n_win messages, $n_sub submitted, $n_ack acked" >&2
}

# ---------------------------------------------------------------- run
mkdir -p "$out_dir"
# Called without a subshell, so that the EXIT trap sees the pids.
scenarios=" ${BENCH_SCENARIOS:-A B A10} "
wanted() { [[ "$scenarios" == *" $1 "* ]]; }
for s in A B A10 H I0 I1 F0 F500 F2000 W; do echo null >"$work/$s.json"; done
if wanted A; then
  run_backlog A 1 "$backlog" >"$work/A.json"
  # A third measurement of the floors, right after A (the ratios' scenario): each floor is the
  # mean over before, this one and after.
  heading "Crypto floors, right after scenario A"
  crypto_run mid
fi
if wanted B; then run_steady B >"$work/B.json"; fi
if wanted A10; then run_backlog A10 10 "$backlog10" >"$work/A10.json"; fi
if wanted I; then
  run_clusters I0 0 0 >"$work/I0.json"
  run_clusters I1 1 0 >"$work/I1.json"
fi
if wanted F; then
  for delay in 0 500 2000; do run_clusters "F$delay" 0 "$delay" >"$work/F$delay.json"; done
fi
if wanted W; then
  run_clusters W 0 0 "${BENCH_W_CLUSTERS:-1000}" 0.5 "${BENCH_W_S:-60}" 1 "${BENCH_W_WARMUP_S:-10}" \
    >"$work/W.json"
fi
if [ "${BENCH_HUGE:-0}" = 1 ]; then run_backlog H 1 1000000 "${BENCH_RETENTION_S:-0}" >"$work/H.json"; fi
heading "Crypto floors, after the scenarios"
crypto_run after
hunter_floor_after_ns=$(stage_ns after BM_HunterFloor)
system_floor_after_ns=$(stage_ns after BM_SystemFloor)
hunter_floor_mid_ns=$(stage_ns mid BM_HunterFloor)
system_floor_mid_ns=$(stage_ns mid BM_SystemFloor)
crypto_floors
hunter_floor_per_core=$(core_ns BM_HunterFloor)
system_floor_per_core=$(core_ns BM_SystemFloor)
a_json=$(cat "$work/A.json")
b_json=$(cat "$work/B.json")
a10_json=$(cat "$work/A10.json")
h_json=$(cat "$work/H.json")
i0_json=$(cat "$work/I0.json")
i1_json=$(cat "$work/I1.json")
jget() {  # file key: value of "key":V in a one-line JSON object (first match), else null
  local v
  v=$(grep -o "\"$2\":[^,}]*" "$1" | head -1 | sed 's/^[^:]*://; s/"//g' || true)
  echo "${v:-null}"
}
jget_p() {  # file obj p: "obj":{"p50":..,"p99":..}, else null
  local v
  v=$(grep -o "\"$2\":{[^}]*}" "$1" | grep -o "\"$3\":[^,}]*" | sed 's/^[^:]*://' || true)
  echo "${v:-null}"
}

a_rate=$(jget "$work/A.json" accepted_per_s)
a_hcpu=$(jget "$work/A.json" hunter_cpu_ms_per_1000)
a_rss=$(jget "$work/A.json" hunter_peak_rss_kib)
a_xpm=$(jget "$work/A.json" extrinsics_per_message)
a_finished=$(jget "$work/A.json" finished)
b_p99=$(jget_p "$work/B.json" submit_delay_ms p99)
h_rss=""
[ "$h_json" != null ] && h_rss=$(jget "$work/H.json" hunter_peak_rss_kib)
a10_rss=$(jget "$work/A10.json" hunter_peak_rss_kib)
i0_p99=$(jget_p "$work/I0.json" submit_delay_ms p99)
i1_p99=$(jget_p "$work/I1.json" submit_delay_ms p99)
# hunter CPU per message / its floor (µs / µs); "null" when A was not run.
known() { [ -n "$1" ] && [ "$1" != null ]; }
cpu_ratio=null
rate_ratio=null
if known "$a_hcpu"; then
  cpu_ratio=$(awk -v c="$a_hcpu" -v f="$hunter_floor_ns" 'BEGIN { printf "%.2f", c * 1000 / f }')
fi
# W: the hunter's CPU per message with 1,000 clusters / the same floor.
w_cpu_ratio=null
w_cpu_ns=$(jget "$work/W.json" hunter_cpu_ns_per_message)
if known "$w_cpu_ns"; then
  w_cpu_ratio=$(awk -v c="$w_cpu_ns" -v f="$hunter_floor_ns" 'BEGIN { printf "%.2f", c / f }')
fi
if known "$a_rate"; then
  rate_ratio=$(awk -v r="$a_rate" -v b="$bound_b" 'BEGIN { printf "%.3f", r / b }')
fi
max_rss=$(printf '%s\n' "$a_rss" "$a10_rss" "$h_rss" | awk 'NF && $1 != "null" && $1 > m { m = $1 } END { print m + 0 }')
# verdict VALUE CONDITION: "null" (not measured) when VALUE is unknown, else true/false.
verdict() { if known "$1"; then awk "BEGIN { print ($2) ? \"true\" : \"false\" }"; else echo null; fi; }
m_cpu=$(verdict "$cpu_ratio" "$cpu_ratio <= 1.5")
m_rate=$(verdict "$rate_ratio" "$rate_ratio >= 0.7 && \"$a_finished\" == \"true\"")
m_p99=$(verdict "$b_p99" "$b_p99 <= 50")
m_rss=null
[ "$max_rss" -gt 0 ] && m_rss=$(verdict "$max_rss" "$max_rss <= 65536")
m_xpm=$(verdict "$a_xpm" "$a_xpm <= 1/64")
iso_ratio=null
if known "$i0_p99" && known "$i1_p99"; then iso_ratio=$(div "$i1_p99" "$i0_p99" "%.2f"); fi
m_iso=$(verdict "$iso_ratio" "$iso_ratio <= 1.25")

{
  printf '{\n"date":"%s",\n"machine":{"cores":%s,"cpu":"%s","kernel":"%s"},\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$cores" \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //; s/"//g')" "$(uname -r)"
  printf '"config":{"backlog":%s,"backlog_per_cluster_10":%s,"steady_rate":%s,"steady_s":%s,' \
    "$backlog" "$backlog10" "$rate_b" "$steady_s"
  printf '"block_ms":%s,"poll_interval_ms":%s,"batch_size":256,"max_in_flight":32,' "$block_ms" "$poll_ms"
  printf '"fetch_limit":4096,"max_pending":16384,"workers":4,"threshold":3,"payload_size":256},\n'
  printf '"crypto":{"hunter_floor_ns_per_msg":%s,"system_floor_ns_per_msg":%s,"sign_ns":%s,' \
    "$hunter_floor_ns" "$system_floor_ns" "$sign_ns"
  printf '"recover_ns":%s,"message_hash_ns":%s,"bound_B_msgs_per_s":%s,' \
    "$recover_ns" "$hash_ns" "$bound_b"
  printf '"hunter_floor_ns_before_after":[%s,%s],"system_floor_ns_before_after":[%s,%s],' \
    "$hunter_floor_before_ns" "$hunter_floor_after_ns" "$system_floor_before_ns" "$system_floor_after_ns"
  printf '"hunter_floor_ns_after_A":%s,"system_floor_ns_after_A":%s,' \
    "$hunter_floor_mid_ns" "$system_floor_mid_ns"
  printf '"hunter_floor_ns_per_core":%s,"system_floor_ns_per_core":%s},\n' \
    "$hunter_floor_per_core" "$system_floor_per_core"
  printf '"backlog":%s,\n"steady":%s,\n"backlog_10_clusters":%s,\n"backlog_huge":%s,\n' \
    "$a_json" "$b_json" "$a10_json" "$h_json"
  printf '"isolation_healthy":%s,\n"isolation_slow":%s,\n' "$i0_json" "$i1_json"
  printf '"fees_batch_delay":[%s,%s,%s],\n' "$(cat "$work/F0.json")" "$(cat "$work/F500.json")" \
    "$(cat "$work/F2000.json")"
  printf '"many_clusters_one_port":%s,\n' "$(cat "$work/W.json")"
  printf '"ratios":{"hunter_cpu_per_msg_over_floor":%s,"accepted_rate_over_B":%s,' \
    "$cpu_ratio" "$rate_ratio"
  printf '"many_clusters_hunter_cpu_per_msg_over_floor":%s},\n' "$w_cpu_ratio"
  printf '"targets":{\n'
  printf ' "hunter_cpu_le_1.5x_floor":{"value":%s,"met":%s},\n' "$cpu_ratio" "$m_cpu"
  printf ' "backlog_rate_ge_0.7B":{"value":%s,"met":%s},\n' "$rate_ratio" "$m_rate"
  printf ' "p99_submit_delay_le_50ms":{"value":%s,"met":%s},\n' "$b_p99" "$m_p99"
  printf ' "peak_rss_le_64MiB":{"value_kib":%s,"met":%s,"huge_run":%s},\n' "$max_rss" "$m_rss" \
    "$([ -n "$h_rss" ] && echo true || echo false)"
  printf ' "extrinsics_per_msg_le_1/64":{"value":%s,"met":%s},\n' "$a_xpm" "$m_xpm"
  printf ' "isolation_p99_slow_over_healthy_le_1.25":{"value":%s,"met":%s}\n}\n}\n' "$iso_ratio" "$m_iso"
} >"$out"

# ---------------------------------------------------------------- table
row() { printf '%-44s %14s %14s %14s\n' "$@"; }
echo
row "" "A (1x$backlog)" "A10 (10x$backlog10)" "B (${rate_b}/s)"
row "accepted msgs/s" "$a_rate" "$(jget "$work/A10.json" accepted_per_s)" "$(jget "$work/B.json" produced_per_s)"
row "wall s" "$(jget "$work/A.json" wall_s)" "$(jget "$work/A10.json" wall_s)" "$(jget "$work/B.json" window_s)"
row "hunter CPU ms / 1000 msgs" "$a_hcpu" "$(jget "$work/A10.json" hunter_cpu_ms_per_1000)" "$(jget "$work/B.json" hunter_cpu_ms_per_1000)"
row "devnet CPU ms / 1000 msgs" "$(jget "$work/A.json" devnet_cpu_ms_per_1000)" "$(jget "$work/A10.json" devnet_cpu_ms_per_1000)" "$(jget "$work/B.json" devnet_cpu_ms_per_1000)"
row "hunter / devnet CPU cores busy" "$(jget "$work/A.json" hunter_cpu_cores)/$(jget "$work/A.json" devnet_cpu_cores)" "$(jget "$work/A10.json" hunter_cpu_cores)/$(jget "$work/A10.json" devnet_cpu_cores)" "-"
row "hunter peak RSS KiB" "$a_rss" "$a10_rss" "$(jget "$work/B.json" hunter_peak_rss_kib)"
row "devnet peak RSS KiB" "$(jget "$work/A.json" devnet_peak_rss_kib)" "$(jget "$work/A10.json" devnet_peak_rss_kib)" "$(jget "$work/B.json" devnet_peak_rss_kib)"
row "extrinsics / msg" "$a_xpm" "$(jget "$work/A10.json" extrinsics_per_message)" "-"
row "DB bytes / msg" "$(jget "$work/A.json" db_bytes_per_message)" "$(jget "$work/A10.json" db_bytes_per_message)" "-"
row "fetch delay ms p50 / p99" "-" "-" "$(jget_p "$work/B.json" fetch_delay_ms p50)/$(jget_p "$work/B.json" fetch_delay_ms p99)"
row "submit delay ms p50 / p99" "-" "-" "$(jget_p "$work/B.json" submit_delay_ms p50)/$b_p99"
row "ACK delay ms p50 / p99" "-" "-" "$(jget_p "$work/B.json" ack_delay_ms p50)/$(jget_p "$work/B.json" ack_delay_ms p99)"
[ -n "$h_rss" ] && row "hunter peak RSS KiB, 1,000,000 backlog" "$h_rss" "" ""
echo
echo "crypto (one thread pinned to each core in turn; mean of before / after A / after all):" \
  "hunter floor $hunter_floor_ns ns/msg" \
  "($hunter_floor_before_ns / $hunter_floor_mid_ns / $hunter_floor_after_ns; per core" \
  "$hunter_floor_per_core), system floor $system_floor_ns ns/msg" \
  "($system_floor_before_ns / $system_floor_mid_ns / $system_floor_after_ns; per core" \
  "$system_floor_per_core) (sign $sign_ns, recover $recover_ns," \
  "hash $hash_ns ns); B = $cores cores / system floor = $bound_b msgs/s"
echo
printf '%-46s %-12s %s\n' "target" "figure" "met"
printf '%-46s %-12s %s\n' "hunter CPU/msg <= 1.5 x hunter floor" "${cpu_ratio}x" "$m_cpu"
printf '%-46s %-12s %s\n' "backlog accepted msgs/s >= 0.7 B" "${rate_ratio} B" "$m_rate"
printf '%-46s %-12s %s\n' "p99 delay to submission <= 50 ms @ ${rate_b}/s" "${b_p99} ms" "$m_p99"
printf '%-46s %-12s %s\n' "peak RSS <= 64 MiB$([ -z "$h_rss" ] && echo ' (no 1M run)')" "${max_rss} KiB" "$m_rss"
printf '%-46s %-12s %s\n' "extrinsics/msg <= 1/64 clearing a backlog" "$a_xpm" "$m_xpm"
printf '%-46s %-12s %s\n' "I: healthy p99 with a slow cluster / without" "$iso_ratio ($i1_p99/$i0_p99 ms)" "$m_iso"
for delay in 0 500 2000; do
  f=$work/F$delay.json
  [ "$(cat "$f")" = null ] && continue
  echo "F max_batch_delay_ms $delay: $(jget "$f" extrinsics_per_message) extrinsics/msg," \
    "fee/msg $(jget "$f" fee_per_message), submit delay p50/p99 $(jget_p "$f" submit_delay_ms p50)/$(jget_p "$f" submit_delay_ms p99) ms"
done
if [ "$(cat "$work/W.json")" != null ]; then
  f=$work/W.json
  echo "W $(jget "$f" clusters) clusters x $(jget "$f" rate) msg/s, workers on one port:" \
    "submit delay p50/p99 $(jget_p "$f" submit_delay_ms p50)/$(jget_p "$f" submit_delay_ms p99) ms," \
    "hunter CPU/msg ${w_cpu_ratio}x floor, peak RSS $(jget "$f" hunter_peak_rss_kib) KiB," \
    "$(jget "$f" chain_rpc_requests_per_s) chain requests/s, $(jget "$f" extrinsics_per_message) extrinsics/msg"
fi
echo
echo "wrote $out"
