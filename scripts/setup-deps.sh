#!/usr/bin/env bash
# Installs every Debian 12 package the build, tests and demo need. Idempotent: quiet and quick
# when everything is already there. Run as root (or with sudo available).
#   scripts/setup-deps.sh           everything (build, tests, demo, benchmarks)
#   scripts/setup-deps.sh --build   only what building hunter and hunter-devnet needs (the image)
set -euo pipefail

BUILD=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl openssl
  libsecp256k1-dev libsodium-dev libxxhash-dev libsqlite3-dev sqlite3
  libcurl4-openssl-dev libcpprest-dev libssl-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libspdlog-dev libtomlplusplus-dev
)
TESTS=(
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  clang clang-format libclang-rt-14-dev
  prometheus  # promtool: the /metrics integration test and the alert rules' tests
  chromium    # headless: the web status page test
  socat       # TLS proxy for the https:// endpoint test
  python3-yaml  # the Kubernetes manifests check (tests/deploy/check_k8s.py)
  dpkg-dev systemd  # the .deb test: dpkg-shlibdeps for its Depends, systemd-analyze verify
)
case "${1:-}" in
  --build) PACKAGES=("${BUILD[@]}") ;;
  "") PACKAGES=("${BUILD[@]}" "${TESTS[@]}") ;;
  *) echo "setup-deps.sh: unknown argument '$1' (use --build, or nothing)" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
