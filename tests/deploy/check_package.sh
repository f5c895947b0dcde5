#!/usr/bin/env bash
# The Debian package, installed into a temporary root as an operator's dpkg would lay it out:
# cpack -G DEB from the build directory, its Depends (dpkg-shlibdeps) name the runtime libraries,
# `dpkg -x` unpacks it, `hunter --version` runs from there, the example config, the systemd unit
# and the docs are where docs/operations.md says, and `systemd-analyze verify` finds nothing to
# say about the unit. Usage: check_package.sh BUILD_DIR VERSION
set -euo pipefail
build=$1 version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$work"/out/hunter_"$version"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no hunter_${version}_*.deb in $work/out"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsecp256k1-1 libsodium23 libxxhash0 libsqlite3-0 libcurl4 libtomlplusplus3 adduser; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
dpkg-deb -I "$deb" postinst >/dev/null || fail "no postinst (the hunter system user)"

root="$work/root"
dpkg -x "$deb" "$root"
out=$("$root/usr/bin/hunter" --version) || fail "hunter --version failed"
[ "$out" = "hunter $version" ] || fail "hunter --version says '$out', expected 'hunter $version'"
"$root/usr/bin/hunter-devnet" --help >/dev/null || fail "hunter-devnet --help failed"
for f in etc/hunter/hunter.example.toml usr/lib/systemd/system/hunter.service \
  usr/share/doc/hunter/README.md usr/share/doc/hunter/operations.md \
  usr/share/doc/hunter/protocol.md usr/share/doc/hunter/examples/k8s/statefulset.yaml; do
  [ -f "$root/$f" ] || fail "missing /$f"
done
"$root/usr/bin/hunter" config check "$root/etc/hunter/hunter.example.toml" >/dev/null 2>&1 &&
  fail "the example config passes config check although its key file does not exist"
# On this host only the key file and the database directory (/var/lib/hunter) may be missing.
checked=$("$root/usr/bin/hunter" config check --json "$root/etc/hunter/hunter.example.toml" || true)
echo "$checked" | python3 -c 'import json,sys; bad=[e for e in json.load(sys.stdin)["errors"] if e["key"] not in ("hunter.key_files[0]", "hunter.database")]; print(bad) if bad else None; sys.exit(1 if bad else 0)' ||
  fail "the example config has problems other than the missing key and state directory"

unit="$root/usr/lib/systemd/system/hunter.service"
grep -q '^ExecStart=/usr/bin/hunter run ' "$unit" || fail "the unit does not start /usr/bin/hunter"
# systemd-analyze looks for the binaries on this host: point the copy at the unpacked ones.
sed "s|/usr/bin/hunter|$root/usr/bin/hunter|g" "$unit" >"$work/hunter.service"
said=$(systemd-analyze verify "$work/hunter.service" 2>&1) || fail "systemd-analyze verify: $said"
[ -z "$said" ] || fail "systemd-analyze verify: $said"
echo "package: $(basename "$deb") ok ($(du -h "$deb" | cut -f1)); Depends: $depends"
