#!/usr/bin/env bash
# Packs this machine's torchvision (Debian's python3-torchvision, pure-Python part only) for the model-zoo peers on the
# GPU machine, whose Python may lack torchvision (Perf/peers/zoo_peers.py uses only torchvision.models from it).
# Run from the project root after Perf/gpu-pack.sh; leaves .gpu/torchvision.txz (about 1 MB), which
# Perf/device-sweep.sh unpacks when ZOO=1.
set -euo pipefail
[ -f ILGPUInt8.sln ] || { echo "run from the project root (where ILGPUInt8.sln is)" >&2; exit 2; }
src=$(/usr/bin/python3 -c 'import os, torchvision; print(os.path.dirname(torchvision.__file__))' 2>/dev/null) \
  || { echo "python3-torchvision is not installed here (apt-get install python3-torchvision)" >&2; exit 1; }
mkdir -p .gpu
tar -C "$(dirname "$src")" --exclude='*.so' --exclude='__pycache__' -cJf .gpu/torchvision.txz.tmp torchvision
mv .gpu/torchvision.txz.tmp .gpu/torchvision.txz
echo "packed $src (without native libraries) into .gpu/torchvision.txz ($(du -k .gpu/torchvision.txz | cut -f1) KiB)" >&2
