#!/usr/bin/env bash
# One-shot GPU check, for a machine with an NVIDIA GPU and PyTorch with CUDA but no Node, no npm and
# no network. On a build machine, `scripts/gpu-pack.sh` fills .gpu/ (an xz'd node, the Node-API
# header packages, the compiled dist/, the reference scripts); carry the repository with it, then:
#
#   scripts/gpu-check.sh            # build against the PyTorch there, run every check (< 8 minutes)
#   scripts/gpu-check.sh --cpu      # the same steps on the CPU at toy sizes (a dry run of the logic)
#   options: --out FILE (default .gpu/results.md)  --budget SECONDS (default 460)
#
# Checks: the addon builds with plain cmake against PyTorch's LibTorch and links torch_cuda; the
# oracle (PyTorch's fp32 outputs) matches ours on the GPU in fp32 with TF32 off (relative error
# <= 1e-4); fp16 (loss scaling) and bf16 training steps reduce the loss with no NaN; training and
# inference throughput against PyTorch's Python on the same GPU in the same run (ResNet-50 224x224
# batch 256, fp16 AMP, channels_last); a 2-process NCCL all-reduce when there are 2+ GPUs.
# Writes a short results file; exits 1 if any check failed.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stage=${VGG2_GPU_STAGE:-$repo/.gpu}
mode=cuda
budget=460
results=
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) mode=cpu ;;
    --out) results=$2; shift ;;
    --budget) budget=$2; shift ;;
    *) echo "usage: $0 [--cpu] [--out FILE] [--budget SECONDS]" >&2; exit 2 ;;
  esac
  shift
done
results=${results:-$stage/results.md}
start=$SECONDS
records="$stage/results.jsonl"
work="$stage/work"

say() { printf '\n== [%3ds] %s\n' $((SECONDS - start)) "$*" >&2; }
die() { printf '\ngpu-check: %s\n' "$*" >&2; exit 2; }
remaining() { echo $((budget - (SECONDS - start))); }
# Runs a command within what is left of the budget (timeout exits 124 when it runs out).
limited() {
  local left
  left=$(remaining)
  [ "$left" -gt 5 ] || return 124
  timeout "$left" "$@"
}
# record CHECK STATUS JSON: one line of results.jsonl (report.js turns them into the results file).
record() { printf '{"check":"%s","status":"%s","data":%s}\n' "$1" "$2" "${3:-null}" >>"$records"; printf '   %s: %s\n' "$1" "$2" >&2; }
json_str() { "$node" -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }

[ -d "$stage/dist" ] && [ -d "$stage/node_modules/node-api-headers" ] \
  || die "$stage lacks dist/ or the header packages: run scripts/gpu-pack.sh on a machine with Node and npm, and carry .gpu/ along"
mkdir -p "$work"
: >"$records"

# --- Node: the one carried along (xz'd), else one on PATH.
if [ -x "$stage/node" ]; then
  node=$stage/node
elif [ -f "$stage/node.xz" ]; then
  # xz-utils may be missing there; Python's lzma module is always at hand.
  { xz -dc "$stage/node.xz" 2>/dev/null || python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$stage/node.xz"; } >"$stage/node.part" \
    && chmod +x "$stage/node.part" && mv "$stage/node.part" "$stage/node" || die "could not unpack $stage/node.xz"
  node=$stage/node
elif command -v node >/dev/null; then
  node=$(command -v node)
else
  die "no Node: carry .gpu/node.xz (scripts/gpu-pack.sh makes it)"
fi
"$node" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || die "$node is not Node >= 20"
export VGG2_GPU_STAGE=$stage

# --- Python with torch, torchvision and numpy (the oracle's and PyTorch's side of the table).
python=
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
  if "$candidate" -c 'import torch, torchvision, numpy' 2>/dev/null; then python=$candidate; break; fi
done
[ -n "$python" ] || die "no python3 with torch, torchvision and numpy (set PYTHON=...)"
torch_version=$("$python" -c 'import torch; print(torch.__version__)')
if [ "$mode" = cuda ]; then
  "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || die "PyTorch $torch_version sees no CUDA GPU (use --cpu for a dry run)"
  gpus=$("$python" -c 'import torch; print(torch.cuda.device_count())')
  device=cuda
else
  gpus=0
  device=cpu
fi
torch_dir=$("$python" -c 'import torch, os; print(os.path.dirname(torch.__file__))')
# PyTorch's own LibTorch (headers, libraries, TorchConfig) lives in its package folder; a distro
# python3-torch has none there, and then CMake finds the system libtorch-dev.
if [ -z "${LIBTORCH:-}" ] && [ -f "$torch_dir/share/cmake/Torch/TorchConfig.cmake" ]; then export LIBTORCH=$torch_dir; fi
record environment PASS "{\"mode\":\"$mode\",\"node\":\"$("$node" --version)\",\"python\":$(json_str "$python"),\"torch\":\"$torch_version\",\"libtorch\":$(json_str "${LIBTORCH:-system}"),\"gpus\":$gpus,\"cores\":$(nproc)}"

# --- Build with plain cmake (no cmake-js, no npm).
say "building the addon against ${LIBTORCH:-the system LibTorch}"
build="$stage/build"
addon="$build/Release/vgg2_torch.node"
# A build cache made against another LibTorch (a dry run's, carried by mistake) is started afresh.
if [ "$(cat "$build/.vgg2-libtorch" 2>/dev/null)" != "${LIBTORCH:-system}" ]; then rm -rf "$build"; fi
mkdir -p "$build" && echo "${LIBTORCH:-system}" >"$build/.vgg2-libtorch"
t0=$SECONDS
if limited cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release \
     -DNODE_API_HEADERS_DIR="$stage/node_modules/node-api-headers/include" \
     -DNODE_ADDON_API_DIR="$stage/node_modules/node-addon-api" \
     -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$build/Release" >"$stage/build.log" 2>&1 \
   && limited cmake --build "$build" -j "$(nproc)" >>"$stage/build.log" 2>&1 && [ -f "$addon" ]; then
  needed=$(readelf -d "$addon" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  linked_cuda=$(printf '%s' "$needed" | grep -o 'libtorch_cuda[^ ]*' || true)
  status=PASS
  # A CUDA LibTorch whose torch_cuda fell off the link line (--as-needed) gives a CPU-only addon.
  [ "$mode" = cuda ] && [ -z "$linked_cuda" ] && status=FAIL
  record build "$status" "{\"seconds\":$((SECONDS - t0)),\"needed\":$(json_str "$needed"),\"warnings\":$(grep -c 'warning:' "$stage/build.log")}"
else
  tail -n 30 "$stage/build.log" >&2
  record build FAIL "{\"seconds\":$((SECONDS - t0)),\"log\":$(json_str "$stage/build.log")}"
  "$node" "$repo/scripts/gpu/report.js" "$records" >"$results"; cat "$results"; exit 1
fi

# --- What the addon sees.
info=$(limited "$node" "$repo/scripts/gpu/info.js") || info=null
if [ "$mode" = cuda ]; then
  printf '%s' "$info" | grep -q '"cuda":true' && status=PASS || status=FAIL
else
  status=PASS
fi
record info "$status" "$info"
[ "$status" = PASS ] || { "$node" "$repo/scripts/gpu/report.js" "$records" >"$results"; cat "$results"; exit 1; }

# --- Oracle: PyTorch's fp32 outputs (its CPU) against ours on the device, fp32, TF32 off.
say "oracle comparison on $device, fp32, TF32 off"
for arch in resnet50 senet50; do
  for size in 112 224; do
    dir="$work/oracle-$arch-$size"
    mkdir -p "$dir"
    if ! limited "$python" "$stage/reference/oracle.py" --arch $arch --classes 100 --size $size --batch 2 --seed 3 --out "$dir" >/dev/null 2>"$dir/err"; then
      record "oracle $arch $size" FAIL "{\"error\":$(json_str "$(tail -n 3 "$dir/err")")}"; continue
    fi
    if ! VGG2_TF32=0 limited "$node" "$repo/scripts/gpu/oracle.js" --dir "$dir" --device $device 2>"$dir/err"; then
      record "oracle $arch $size" FAIL "{\"error\":$(json_str "$(tail -n 3 "$dir/err")")}"; continue
    fi
    status=PASS
    errors=
    for name in features logits; do
      line=$("$python" "$stage/reference/compare.py" "$dir/$name.npy" "$dir/ours_$name.npy" 1e-4) || status=FAIL
      errors="$errors\"$name\":$(json_str "$line"),"
    done
    record "oracle $arch $size" $status "{${errors%,}}"
  done
done

# --- Mixed-precision training steps on one fixed batch.
say "mixed-precision training steps"
if [ "$mode" = cuda ]; then
  step_args=(--device cuda --size 112 --batch 32 --steps 20)
  precisions="fp16 bf16"
else
  step_args=(--device cpu --size 64 --batch 8 --steps 8)
  precisions=bf16
  record "train fp16" SKIP '{"reason":"CPU autocast is bf16 only"}'
fi
bf16_ok=$(printf '%s' "$info" | "$node" -e 'const i = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(String(i.cuda ? i.cudaDevices.some((d) => +d.capability.split(".")[0] >= 8) : true))')
for amp in $precisions; do
  if [ "$amp" = bf16 ] && [ "$bf16_ok" != true ]; then record "train bf16" SKIP '{"reason":"GPU capability < 8.0"}'; continue; fi
  if out=$(limited "$node" "$repo/scripts/gpu/amp-steps.js" --amp $amp "${step_args[@]}" 2>"$work/amp-$amp.err"); then
    printf '%s' "$out" | grep -q '"ok":true' && status=PASS || status=FAIL
    record "train $amp" $status "$out"
  else
    record "train $amp" FAIL "{\"error\":$(json_str "$(tail -n 3 "$work/amp-$amp.err")")}"
  fi
done

# --- Throughput: PyTorch and ours, alternating, on the same device in this run.
if [ "$mode" = cuda ]; then
  bench_args=(--device cuda --amp fp16 --channels-last --size 224 --batch 256 --steps 15 --warmup 5)
  rounds=2
else
  bench_args=(--device cpu --amp bf16 --channels-last --size 64 --batch 4 --steps 2 --warmup 1)
  rounds=1
fi
say "throughput: ${bench_args[*]}, $rounds round(s)"
for ((round = 1; round <= rounds; round++)); do
  if [ "$(remaining)" -lt 60 ]; then record "bench round $round" SKIP '{"reason":"time budget spent"}'; break; fi
  if out=$(limited "$python" "$repo/scripts/gpu/torch_bench.py" "${bench_args[@]}" --models "$stage/reference" 2>"$work/bench-torch.err"); then
    record "bench pytorch" PASS "$out"
  else
    record "bench pytorch" FAIL "{\"error\":$(json_str "$(tail -n 3 "$work/bench-torch.err")")}"
  fi
  if out=$(limited "$node" "$repo/scripts/gpu/bench.js" "${bench_args[@]}" 2>"$work/bench-ours.err"); then
    record "bench vgg2-torch" PASS "$out"
  else
    record "bench vgg2-torch" FAIL "{\"error\":$(json_str "$(tail -n 3 "$work/bench-ours.err")")}"
  fi
done

# --- Multi-GPU: the all-reduce belongs to the distributed module, which this addon does not have yet.
if [ "$gpus" -lt 2 ]; then
  record "nccl all-reduce" SKIP "{\"reason\":\"$gpus GPU(s): needs 2\"}"
else
  record "nccl all-reduce" SKIP '{"reason":"the addon has no distributed module (native/dist) yet"}'
fi

record total PASS "{\"seconds\":$((SECONDS - start)),\"budget\":$budget}"
"$node" "$repo/scripts/gpu/report.js" "$records" >"$results"
status=$?
cat "$results"
echo "results: $results" >&2
exit $status
