#!/usr/bin/env bash
# `make demo`: validate the example manifests with the freshly built binary.
set -euo pipefail
bin="$1"
for m in manifests/examples/*.yaml; do
  echo "\$ sbsync validate -f $m"
  "$bin/sbsync" validate -f "$m"
done
