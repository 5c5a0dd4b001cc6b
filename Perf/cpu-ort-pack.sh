#!/usr/bin/env bash
# Packs the Perf runner with ONNX Runtime's linux-x64 natives for `Perf cpu-engine` on the GPU machine's host cores
# (16 cores there; that machine has no .NET SDK and no network). Run it from the project root:
#
#   bash Perf/cpu-ort-pack.sh
#
# Leaves (all under .gpu/, which .gitignore keeps out of git):
#   .gpu/cpu-ort/dotnet.tgz         this machine's .NET runtime (shared with gpu-pack.sh's when present)
#   .gpu/cpu-ort/app.tgz            Perf published framework-dependent for linux-x64 only (libonnxruntime.so, no other
#                                   runtimes/), with Models/ (the Fashion CNN and its torch QDQ file)
#   .gpu/cpu-ort/run.sh             unpacks both there and runs the benchmark, e.g.
#                                     bash .gpu/cpu-ort/run.sh --threads 1,2,4,8,16 --rounds 5 --out $OUT
#   .gpu/cpu-ort-model/ResNet18.onnx.gz   ML.NET's ResNet-18 (64 MB raw), too large to travel with the rest: carry it
#                                   in a call of its own that unpacks it to /tmp/model (run.sh finds it there):
#                                     mkdir -p /tmp/model && gunzip -c .gpu/cpu-ort-model/ResNet18.onnx.gz > /tmp/model/ResNet18.onnx
# At most 64 MiB travels in one device call: the script checks .gpu/cpu-ort/ against that.
set -euo pipefail
root=$(pwd)
[ -f "$root/ILGPUInt8.sln" ] || { echo "run from the project root (where ILGPUInt8.sln is)" >&2; exit 2; }
out="$root/.gpu/cpu-ort"; model_out="$root/.gpu/cpu-ort-model"; stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out" "$model_out"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
if [ ! -s "$out/dotnet.tgz" ]; then
  if [ -s "$root/.gpu/dotnet.tgz" ]; then
    cp "$root/.gpu/dotnet.tgz" "$out/dotnet.tgz.tmp" && mv "$out/dotnet.tgz.tmp" "$out/dotnet.tgz"
  else
    fx=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/* | sort -V | tail -1)
    echo "bundling .NET runtime $(basename "$fx")" >&2
    tar -C "$dotnet_root" -czf "$out/dotnet.tgz.tmp" dotnet host "shared/Microsoft.NETCore.App/$(basename "$fx")"
    mv "$out/dotnet.tgz.tmp" "$out/dotnet.tgz"
  fi
fi

# linux-x64 only: the runtime identifier keeps ORT's natives for this platform and drops the other runtimes/.
# KeepOnnxRuntimeNatives: Directory.Build.props drops ORT's natives from other packs (the GPU runs do not use ORT).
dotnet publish "$root/Perf/Perf.csproj" -c Release -r linux-x64 --self-contained false \
  -p:SatelliteResourceLanguages=en -p:KeepOnnxRuntimeNatives=true -o "$stage/Perf" >&2
rm -f "$stage/Perf"/*.pdb
find "$stage/Perf" -name libonnxruntime.so | grep -q . || { echo "publish left no libonnxruntime.so in $stage/Perf" >&2; exit 1; }
rm -rf "$stage/Perf/runtimes"/{android,ios,linux-arm64,osx-arm64,win-arm64,win-x64}
mkdir -p "$stage/Models" && cp "$root/Models/fashion_cnn.onnx" "$root/Models/fashion_cnn_qdq.onnx" "$stage/Models/"
# The benchmark finds Models/ beside ILGPUInt8.sln above its binaries.
touch "$stage/ILGPUInt8.sln"
tar -C "$stage" -czf "$out/app.tgz.tmp" . && mv "$out/app.tgz.tmp" "$out/app.tgz"

resnet="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx"
if [ -f "$resnet" ] && [ ! -s "$model_out/ResNet18.onnx.gz" ]; then
  gzip -c "$resnet" > "$model_out/ResNet18.onnx.gz.tmp" && mv "$model_out/ResNet18.onnx.gz.tmp" "$model_out/ResNet18.onnx.gz"
fi

cat > "$out/run.sh.tmp" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: bash .gpu/cpu-ort/run.sh [cpu-engine options...]   (ResNet-18 from /tmp/model when unpacked there)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DOTNET_ROOT=/tmp/cpu-ort-dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ ! -x "$DOTNET_ROOT/dotnet" ]; then
  mkdir -p "$DOTNET_ROOT" && tar -C "$DOTNET_ROOT" -xzf "$here/dotnet.tgz"
fi
sum=$(sha1sum "$here/app.tgz" | cut -d' ' -f1)
if [ "$(cat /tmp/cpu-ort-app/.sum 2>/dev/null)" != "$sum" ]; then
  rm -rf /tmp/cpu-ort-app && mkdir -p /tmp/cpu-ort-app && tar -C /tmp/cpu-ort-app -xzf "$here/app.tgz"
  echo "$sum" > /tmp/cpu-ort-app/.sum.tmp && mv /tmp/cpu-ort-app/.sum.tmp /tmp/cpu-ort-app/.sum
fi
extra=()
[ -f /tmp/model/ResNet18.onnx ] && extra=(--resnet18-onnx /tmp/model/ResNet18.onnx)
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$DOTNET_ROOT/dotnet" /tmp/cpu-ort-app/Perf/ILGPUInt8.Perf.dll cpu-engine --device cpu "${extra[@]}" "$@"
RUN
chmod +x "$out/run.sh.tmp" && mv "$out/run.sh.tmp" "$out/run.sh"
size=$(du -sm "$out" | cut -f1)
echo "packed Perf (linux-x64 ORT natives) into .gpu/cpu-ort/ (${size} MiB); ResNet-18 in .gpu/cpu-ort-model/ ($(du -sm "$model_out" | cut -f1) MiB)" >&2
[ "$size" -lt 62 ] || { echo ".gpu/cpu-ort/ is too large to travel to the GPU machine (64 MiB a call)" >&2; exit 1; }
