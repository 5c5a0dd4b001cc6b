#!/usr/bin/env bash
# Packs ONNX Runtime's linux-x64 natives for `Perf cpu-engine` on the GPU machine's host cores (16 cores there; that
# machine has no .NET SDK and no network). The runner itself is gpu-pack.sh's Perf (which leaves ORT's natives out):
# run.sh unpacks it, puts the natives beside it and starts the benchmark. Run from the project root:
#
#   bash Perf/gpu-pack.sh Perf      (or Tests Perf)
#   bash Perf/cpu-ort-pack.sh
#
# Leaves (under .gpu/, which .gitignore keeps out of git):
#   .gpu/cpu-ort/natives.txz   libonnxruntime.so and libonnxruntime_providers_shared.so (about 8 MB)
#   .gpu/cpu-ort/run.sh        on the GPU machine, from the repository root (Models/ is read from there):
#                                bash .gpu/cpu-ort/run.sh --threads 1,2,4,8,16 --rounds 5 --out $OUT
#   .gpu/cpu-ort-model/ResNet18.onnx.gz   ML.NET's ResNet-18 (64 MB raw), too large to travel with the rest: carry it
#                                in a call of its own that unpacks it to /tmp/model (run.sh finds it there):
#                                  mkdir -p /tmp/model && gunzip -c .gpu/cpu-ort-model/ResNet18.onnx.gz > /tmp/model/ResNet18.onnx
# Carry .gpu/dotnet.txz, .gpu/app.txz, .gpu/run.sh and .gpu/cpu-ort (not .gpu/cpu-ort-model) to stay under 64 MiB.
set -euo pipefail
root=$(pwd)
[ -f "$root/ILGPUInt8.sln" ] || { echo "run from the project root (where ILGPUInt8.sln is)" >&2; exit 2; }
[ -s "$root/.gpu/app.txz" ] || { echo "no .gpu/app.txz: run bash Perf/gpu-pack.sh Perf first" >&2; exit 1; }
out="$root/.gpu/cpu-ort"; model_out="$root/.gpu/cpu-ort-model"; stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out" "$model_out"
rm -f "$out/dotnet.tgz" "$out/app.tgz" "$out/app.txz"   # packs of older versions of this script

# The natives of the ORT package Perf references (central version), linux-x64 only.
version=$(sed -n 's/.*PackageVersion Include="Microsoft.ML.OnnxRuntime" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")
[ -n "$version" ] || { echo "Microsoft.ML.OnnxRuntime has no PackageVersion in Directory.Packages.props" >&2; exit 1; }
natives="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.onnxruntime/$version/runtimes/linux-x64/native"
[ -f "$natives/libonnxruntime.so" ] || { echo "no $natives/libonnxruntime.so: restore Perf first (dotnet restore Perf)" >&2; exit 1; }
XZ_OPT=-6T2 tar -C "$natives" -cJf "$out/natives.txz.tmp" . && mv "$out/natives.txz.tmp" "$out/natives.txz"

resnet="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx"
if [ -f "$resnet" ] && [ ! -s "$model_out/ResNet18.onnx.gz" ]; then
  gzip -c "$resnet" > "$model_out/ResNet18.onnx.gz.tmp" && mv "$model_out/ResNet18.onnx.gz.tmp" "$model_out/ResNet18.onnx.gz"
fi

cat > "$out/run.sh.tmp" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine, from the repository root: bash .gpu/cpu-ort/run.sh [cpu-engine options...]
# (ResNet-18 from /tmp/model when unpacked there)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../run.sh" Perf --help > /dev/null   # unpacks the runtime and gpu-pack.sh's Perf into /tmp/gpu-app
tar -C /tmp/gpu-app/Perf -xJf "$here/natives.txz"
extra=()
[ -f /tmp/model/ResNet18.onnx ] && extra=(--resnet18-onnx /tmp/model/ResNet18.onnx)
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec bash "$here/../run.sh" Perf cpu-engine --device cpu "${extra[@]}" "$@"
RUN
chmod +x "$out/run.sh.tmp" && mv "$out/run.sh.tmp" "$out/run.sh"
size=$(du -sm --exclude=cpu-ort-model "$root/.gpu" | cut -f1)
echo "packed ORT $version linux-x64 natives into .gpu/cpu-ort/ (.gpu/ without cpu-ort-model: ${size} MiB)" >&2
[ "$size" -lt 56 ] || { echo ".gpu/ is too large to travel to the GPU machine with the tree (64 MiB a call)" >&2; exit 1; }
