#!/usr/bin/env bash
# Opt-in check (not in CI): builds the addon against Debian 13 (trixie)'s LibTorch 2.6 and runs the
# native test suite there, in a trixie root made with debootstrap and cached between runs.
#
#   sudo scripts/check-libtorch2.sh            # make/refresh the root, build, test
#   VGG2_TRIXIE_ROOT=/some/dir scripts/check-libtorch2.sh
#   scripts/check-libtorch2.sh test/fidelity   # only these jest paths
#
# The root lives in $VGG2_TRIXIE_ROOT, else $XDG_CACHE_HOME/vgg2-torch/trixie, else
# /var/cache/vgg2-torch/trixie. The repository is copied into it (without build/, .git/,
# node_modules/ — node_modules is bind-mounted read-only: its packages are Node-API or plain JS,
# so they work under trixie's Node 20 as they are) and built there with `npm run build:native`,
# so the host's build/ is never touched. ../shared is bind-mounted read-only at the same path.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared
cache_base=${XDG_CACHE_HOME:-/var/cache}
root=${VGG2_TRIXIE_ROOT:-$cache_base/vgg2-torch/trixie}
# python3-torch/-torchvision are the oracle's; the rest builds the addon and runs jest.
packages=(libtorch-dev libopenblas0-pthread libgloo-dev libturbojpeg0-dev nlohmann-json3-dev nodejs npm cmake g++ make
          python3-torch python3-torchvision python3-numpy ca-certificates)
default_tests=(test/fidelity test/train-step test/weights test/errors test/cuda-info)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("${default_tests[@]}")

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf '\ncheck-libtorch2: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and bind mounts): run it with sudo"

# The Debian mirror this machine already uses (deb822 URIs: or one-line deb), else deb.debian.org.
mirror() {
  local m
  m=$(grep -hsE '^\s*(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ')
  echo "${m:-http://deb.debian.org/debian}"
}

stamp="$root/.vgg2-packages"
wanted="${packages[*]}"
if [ ! -x "$root/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || { say "installing debootstrap"; apt-get install -y -q debootstrap >/dev/null; }
  say "making a trixie root in $root from $(mirror) (about a minute)"
  mkdir -p "$root"
  debootstrap --variant=minbase trixie "$root" "$(mirror)" >"$root.debootstrap.log" 2>&1 \
    || die "debootstrap failed: see $root.debootstrap.log"
fi

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() {  # bind SRC DST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}
mkdir -p "$root/proc" "$root/dev"
mount -t proc proc "$root/proc"; mounts+=("$root/proc")
bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
  DEBIAN_FRONTEND=noninteractive "$@"; }

if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  say "installing ${packages[*]} in the root"
  in_root apt-get update -q >/dev/null
  in_root apt-get install -y -q --no-install-recommends "${packages[@]}" >"$root.apt.log" 2>&1 \
    || die "apt-get install in the root failed: see $root.apt.log"
  echo "$wanted" >"$stamp"
fi

say "copying the repository into the root"
dst="$root/work/main"
mkdir -p "$dst"
# Sources only: the host's build/ and node_modules/ stay out (node_modules is bind-mounted below).
(cd "$repo" && tar --exclude=./build --exclude=./node_modules --exclude=./.git --exclude=./prebuilds --exclude=./.gpu -cf - .) \
  | (cd "$dst" && find . -mindepth 1 -maxdepth 1 ! -name build ! -name node_modules -exec rm -rf {} + && tar -xf -)
bind "$repo/node_modules" "$dst/node_modules" ro
[ -d "$shared" ] && bind "$shared" "$root/work/shared" ro

versions=$(in_root sh -c 'echo "node $(node --version), cmake $(cmake --version | head -n1 | cut -d" " -f3), g++ $(g++ -dumpversion), libtorch-dev $(dpkg-query -W -f="\${Version}" libtorch-dev)"')
say "building the addon against LibTorch in trixie ($versions)"
build_log="$root.build.log"
if ! in_root sh -c 'cd /work/main && CMAKE_BUILD_PARALLEL_LEVEL=2 npm run -s build:native' >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  die "build failed against LibTorch 2.x: see $build_log"
fi
warnings=$(grep -c 'warning:' "$build_log" || true)
deprecations=$(grep -E 'warning:.*deprecated' "$build_log" | grep -c '/work/main/native' || true)

oracle=yes
if ! in_root /usr/bin/python3 -c 'import torch, torchvision, numpy' 2>/dev/null; then
  oracle="no: /usr/bin/python3 in the root lacks torch/torchvision/numpy"
  tests=("${tests[@]/test\/fidelity/}")
fi

say "running jest: ${tests[*]}"
jest_json="$root/work/jest.json"
set +e
in_root sh -c "cd /work/main && npx jest --ci --json --outputFile=/work/jest.json ${tests[*]}" 2>&1 | tail -n 60
status=${PIPESTATUS[0]}
set -e

summary=$(in_root node -e '
  const r = require("/work/jest.json");
  const failed = r.testResults.filter((s) => s.status === "failed").map((s) => s.name.replace("/work/main/", ""));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped in ${r.numTotalTestSuites} suites` + (failed.length ? `; failing: ${failed.join(", ")}` : ""));
' 2>/dev/null || echo "no jest results ($jest_json)")
torch_version=$(in_root node -p 'require("/work/main/build/Release/vgg2_torch.node").torchVersion' 2>/dev/null || echo '?')

cat >&2 <<EOF

======== check-libtorch2 summary ========
root        $root (Debian $(cat "$root/etc/debian_version"))
toolchain   $versions
addon       built against LibTorch $torch_version; $warnings compiler warnings, $deprecations deprecation warnings in native/ (log: $build_log)
oracle      $oracle
tests       $summary
result      $([ "$status" = 0 ] && echo PASS || echo FAIL)
=========================================
EOF
exit "$status"
