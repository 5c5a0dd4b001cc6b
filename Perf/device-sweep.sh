#!/usr/bin/env bash
# The whole GPU sweep in one device call (packed first here with ../shared/tools/gpu-pack.sh Tests Perf):
#   GPU tests, the torch peers, then the Perf suite with ratios to the peers measured in the same call.
# Usage on the GPU machine: bash Perf/device-sweep.sh OUT_DIR [BENCHMARKS...]
#   RESNET18_ONNX=path/ResNet18.onnx adds the engine benchmark's "resnet18_onnx" case (the real ML.NET weights) and its
#   torch peer built from the same file (Perf/peers/resnet18_torch_peer.py); the 64 MB model travels in a device call
#   of its own (see Perf/NOTES.md). SWEEP_TESTS=0 skips the GPU tests; TEST_ARGS adds test-runner filters (e.g.
#   "-class ILGPUInt8.Tests.Oracle.Int8OracleGpuTests"); PEERS_COMPILE=1 adds the torch.compile engine peers
#   (reduce-overhead for ResNet-18 and ResNet-50 at b1/64/256, about 10 s of compile each; max-autotune for ResNet-18
#   b256, about 2 minutes), PEERS_COMPILE=2 also max-autotune for ResNet-50 b256 (2 more minutes);
#   PERF_ARGS adds options to the Perf run (e.g. "--cases resnet18"). ZOO=1 adds the model zoo (issue 24):
#   Perf/peers/zoo_peers.py exports torchvision's families at 224x224 to /tmp/zoo and times them in PyTorch (eager FP32
#   and FP16; ZOO=2 adds torch.compile reduce-overhead, 10-60 s of compile a model and batch), then the engine
#   benchmark runs them as cases zoo_NAME (--cases none: the zoo alone). Where the machine's Python lacks torchvision,
#   the copy that Perf/zoo-pack.sh leaves in .gpu/torchvision.txz is used.
# Everything lands in OUT_DIR/sweep/ and, packed, in OUT_DIR/sweep.tgz (the device tool returns a few files only).
set -uo pipefail
top=${1:?usage: device-sweep.sh OUT_DIR [BENCHMARKS...]}; shift
benchmarks=${*:-all}
out="$top/sweep"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > "$out/gpu.txt" 2>&1
# ptxas/cuobjdump for the `ptx` benchmark's register and SASS report, where the machine has them.
ptxas=$(command -v ptxas || find / -name ptxas -type f -perm -u+x 2>/dev/null | head -1)
[ -n "$ptxas" ] && export PATH="$(dirname "$ptxas"):$PATH"
if [ "${SWEEP_TESTS:-1}" != 0 ]; then
  # run.sh picks the first *.runtimeconfig.json of a project folder, and Tests' folder also holds the CLI's
  # (ilgpu-int8.runtimeconfig.json sorts first): unpack through it, then start the test assembly by name.
  bash .gpu/run.sh Perf --help > /dev/null 2>&1
  DOTNET_ROOT=/tmp/gpu-dotnet /tmp/gpu-dotnet/dotnet /tmp/gpu-app/Tests/ILGPUInt8.Tests.dll -trait "Category=Gpu" ${TEST_ARGS:-} > "$out/gpu-tests.log" 2>&1
  grep -E "Total:|\[FAIL\]" "$out/gpu-tests.log" | tail -20
fi
wants() { [[ " $benchmarks " =~ \ (all|$1)\  ]]; }
if wants "gemm|conv|tcgemm"; then
  peer_flags=(); wants "conv|tcgemm" || peer_flags=(--gemm)
  PYTHONUNBUFFERED=1 python3 Perf/peers/gemm_conv_peers.py "$out/peers.json" "${peer_flags[@]}" > "$out/peers.log" 2>&1 || echo "peer script failed: see peers.log"
fi
onnx_args=()
if wants engine; then
  compile_flag=()
  case "${PEERS_COMPILE:-0}" in
    1) compile_flag=(--compile) ;;
    2) compile_flag=(--compile --autotune-all) ;;
  esac
  PYTHONUNBUFFERED=1 python3 Perf/peers/engine_peers.py "$out/peers.json" --append "${compile_flag[@]}" > "$out/engine-peers.log" 2>&1 || echo "engine peer script failed: see engine-peers.log"
  cat "$out/engine-peers.log"
  if [ -n "${RESNET18_ONNX:-}" ]; then
    PYTHONUNBUFFERED=1 python3 Perf/peers/resnet18_torch_peer.py "$RESNET18_ONNX" "$out/peers.json" --append > "$out/resnet18-peer.log" 2>&1 \
      && onnx_args=(--resnet18-onnx "$RESNET18_ONNX") || echo "resnet18 peer failed: see resnet18-peer.log"
    cat "$out/resnet18-peer.log"
  fi
fi
zoo_args=()
if wants engine && [ "${ZOO:-0}" != 0 ]; then
  if [ -s .gpu/torchvision.txz ]; then
    mkdir -p /tmp/zoo-tv && tar -C /tmp/zoo-tv -xJf .gpu/torchvision.txz && export ZOO_TORCHVISION=/tmp/zoo-tv/torchvision
  fi
  zoo_flags=(); [ "$ZOO" = 2 ] && zoo_flags=(--compile)
  PYTHONUNBUFFERED=1 python3 Perf/peers/zoo_peers.py "$out/peers.json" /tmp/zoo --append "${zoo_flags[@]}" > "$out/zoo-peers.log" 2>&1 \
    && zoo_args=(--zoo /tmp/zoo) || echo "zoo peers failed: see zoo-peers.log"
  tail -40 "$out/zoo-peers.log"
fi
# shellcheck disable=SC2086
bash .gpu/run.sh Perf $benchmarks "${onnx_args[@]}" "${zoo_args[@]}" ${PERF_ARGS:-} --out "$out" --repeats 7 --peers "$out/peers.json" > "$out/perf.log" 2>&1
grep -v "^\s*at " "$out/perf.log" | sed -n '/^benchmark /,$p'
tar -C "$top" -czf "$top/sweep.tgz" sweep && rm -rf "$out"
