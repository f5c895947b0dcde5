#!/usr/bin/env bash
# Builds the image from the repository's Dockerfile with buildah (chroot isolation: no container
# engine or daemon needed) and runs it as an operator would, inside the image: `hunter --version`,
# the binaries' libraries (ldd: nothing missing), the user it runs as (not root), then
# `hunter-devnet` and `hunter submit` for a few hundred messages, and `hunter status`. Prints the
# image's size. When no registry answers for debian:12, the base images are made with
# debootstrap from the Debian mirror. Takes minutes; not part of scripts/test.sh.
#   scripts/container.sh [--tag hunter:latest]
set -euo pipefail
cd "$(dirname "$0")/.."
tag=hunter:latest
[ "${1:-}" = --tag ] && tag=$2
say() { echo "container.sh: $*"; }
fail() { echo "container.sh: FAILED: $*" >&2; exit 1; }

need=()
for p in buildah debootstrap; do command -v "$p" >/dev/null || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export BUILDAH_ISOLATION=chroot STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"

# The base images: pulled if a registry answers, else debootstrapped (one rootfs for both tags).
base_images() {
  if buildah inspect --type image docker.io/library/debian:12 >/dev/null 2>&1 &&
    buildah inspect --type image docker.io/library/debian:12-slim >/dev/null 2>&1; then
    say "base images already here"
    return
  fi
  if timeout 60 buildah pull -q docker.io/library/debian:12 >/dev/null 2>&1 &&
    timeout 60 buildah pull -q docker.io/library/debian:12-slim >/dev/null 2>&1; then
    say "base images pulled"
    return
  fi
  say "no registry answers: debootstrap bookworm (a few minutes)"
  local root
  root=$(mktemp -d /var/tmp/hunter-bookworm.XXXXXX)
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null ||
    fail "debootstrap bookworm"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  local ctr
  ctr=$(buildah from scratch)
  buildah copy -q "$ctr" "$root" / >/dev/null
  buildah config --cmd /bin/bash "$ctr"
  buildah commit -q "$ctr" docker.io/library/debian:12 >/dev/null
  buildah tag docker.io/library/debian:12 docker.io/library/debian:12-slim
  buildah rm "$ctr" >/dev/null
  rm -rf "$root"
  say "base images made from debootstrap"
}

base_images
say "building $tag from Dockerfile"
start=$(date +%s)
buildah bud -q --isolation chroot --pull=never -t "$tag" -f Dockerfile . >/tmp/container-build.log 2>&1 ||
  { tail -40 /tmp/container-build.log >&2; fail "buildah bud (log: /tmp/container-build.log)"; }
say "built in $(($(date +%s) - start)) s"

ctr=$(buildah from --pull=never "$tag")
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
run() { buildah run --isolation chroot "$ctr" -- "$@"; }

version=$(run hunter --version) || fail "hunter --version"
say "hunter --version: $version"
user=$(buildah inspect --format '{{.OCIv1.Config.User}}' "$ctr")
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "the image runs as '$user'"
uid=$(buildah run --isolation chroot --user "$user" "$ctr" -- id -u)
[ "$uid" != 0 ] || fail "user $user is root"
say "runs as $user (uid $uid)"
for b in hunter hunter-devnet; do
  missing=$(run sh -c "ldd /usr/local/bin/$b | grep 'not found' || true")
  [ -z "$missing" ] || fail "$b lacks libraries: $missing"
done
say "ldd: every library of hunter and hunter-devnet is in the image"

# The devnet and a one-shot submit inside the image, as the image's user, on loopback.
buildah copy -q --chown "$user" "$ctr" scripts/container-smoke.sh /var/lib/hunter/smoke.sh >/dev/null
buildah run --isolation chroot --user "$user" "$ctr" -- sh /var/lib/hunter/smoke.sh ||
  fail "the devnet and hunter inside the image"

size=$(buildah inspect --format '{{.FromImageID}}' "$ctr" >/dev/null; buildah images --format '{{.Size}}' "$tag" | head -1)
say "image $tag: $size"
say "ok"
