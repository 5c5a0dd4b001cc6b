#!/usr/bin/env bash
# Packages as a user gets them: packs the three libraries and the CLI (a dotnet tool) with their symbols, checks each
# package carries its README and LICENSE, installs the tool from the local feed into a temporary tool path and runs
# `ilgpu-int8 info` from it, then builds the samples against the packages (samples/nuget.config names the feed) and
# runs each one.
set -euo pipefail
cd "$(dirname "$0")/.."
feed=artifacts/packages
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
rm -rf "$feed" && mkdir -p "$feed"
dotnet pack ILGPUInt8.sln -c Release -o "$feed" -warnaserror
for id in ILGPUInt8.Kernels ILGPUInt8.Calibration ILGPUInt8.Layers ILGPUInt8.Cli; do
  pkg="$feed/$id.$version.nupkg"
  [ -f "$pkg" ] && [ -f "$feed/$id.$version.snupkg" ] || { echo "missing $id $version package or symbols"; exit 1; }
  listing=$(unzip -l "$pkg")
  for f in README.md LICENSE; do
    grep -qE " $f\$" <<<"$listing" || { echo "$pkg has no $f"; exit 1; }
  done
done
if ls "$feed" | grep -qiE 'Tests|Perf'; then echo "Tests/Perf must not pack"; exit 1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A package cache of its own: no ILGPUInt8.* of an earlier run (same version, other bits) is picked up.
export NUGET_PACKAGES="$work/nuget"
dotnet tool install --tool-path "$work/tools" --add-source "$feed" ILGPUInt8.Cli --version "$version"
"$work/tools/ilgpu-int8" info
dotnet build samples/Samples.sln -c Release
for sample in OnnxToInt8 HandBuiltNetwork CustomCalibrationData CalibrationMethods notebook; do
  echo "-- sample $sample"
  dotnet run --project "samples/$sample" -c Release --no-build
done
