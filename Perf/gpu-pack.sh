#!/usr/bin/env bash
# Packs .NET projects so that they run on the GPU machine, which has no .NET SDK.
#
#   bash Perf/gpu-pack.sh Tests Perf        (run it from the project root)
#
# Builds each named project (a folder holding one .csproj) framework-dependent,
# in Release, and leaves in .gpu/ (keep `.gpu/` in .gitignore):
#   dotnet.txz  this machine's .NET runtime (made once, xz: about 25 MB; gzip was 35 MB)
#   app.txz     the published projects (xz)
#   run.sh      unpacks both on the GPU machine and runs one project:
#                 bash .gpu/run.sh Perf gemm --size 8192
# Then run it on the GPU machine with .gpu/ carried along (at most 64 MiB travels).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PROJECT [PROJECT...]" >&2; exit 2; }
root=$(pwd); out="$root/.gpu"; stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
rm -f "$out/dotnet.tgz" "$out/app.tgz"   # gzip packs of older versions of this script
if [ ! -s "$out/dotnet.txz" ]; then
  fx=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/* | sort -V | tail -1)
  echo "bundling .NET runtime $(basename "$fx")" >&2
  XZ_OPT=-6T2 tar -C "$dotnet_root" -cJf "$out/dotnet.txz.tmp" dotnet host "shared/Microsoft.NETCore.App/$(basename "$fx")"
  mv "$out/dotnet.txz.tmp" "$out/dotnet.txz"
fi
for p in "$@"; do
  proj=$(ls "$root/$p"/*.csproj | head -1)
  dotnet publish "$proj" -c Release --self-contained false \
    -p:SatelliteResourceLanguages=en -o "$stage/$p" >&2
  rm -rf "$stage/$p/Microsoft.CodeCoverage" "$stage/$p"/*.pdb
done
XZ_OPT=-6T2 tar -C "$stage" -cJf "$out/app.txz.tmp" . && mv "$out/app.txz.tmp" "$out/app.txz"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: bash .gpu/run.sh PROJECT [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DOTNET_ROOT=/tmp/gpu-dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ ! -x "$DOTNET_ROOT/dotnet" ]; then
  mkdir -p "$DOTNET_ROOT" && tar -C "$DOTNET_ROOT" -xJf "$here/dotnet.txz"
fi
sum=$(sha1sum "$here/app.txz" | cut -d' ' -f1)
if [ "$(cat /tmp/gpu-app/.sum 2>/dev/null)" != "$sum" ]; then
  rm -rf /tmp/gpu-app && mkdir -p /tmp/gpu-app && tar -C /tmp/gpu-app -xJf "$here/app.txz"
  echo "$sum" > /tmp/gpu-app/.sum
fi
p=$1; shift
cfg=$(ls /tmp/gpu-app/"$p"/*.runtimeconfig.json 2>/dev/null | head -1 || true)
[ -n "$cfg" ] || { echo "no packed project named $p (have: $(ls /tmp/gpu-app))" >&2; exit 2; }
exec "$DOTNET_ROOT/dotnet" "${cfg%.runtimeconfig.json}.dll" "$@"
RUN
chmod +x "$out/run.sh"
size=$(du -sm "$out" | cut -f1)
echo "packed $* into .gpu/ (${size} MiB; at most 64 MiB travels to the GPU machine)" >&2
[ "$size" -lt 62 ] || { echo "too large to travel to the GPU machine" >&2; exit 1; }
