#!/usr/bin/env bash
# Builds the e2e cluster's Go programs (cairn-csi-hostpath, pause, promql-check) into OUTDIR as
# static binaries. One `go build` for all three so they share the build cache.
# Usage: e2e/cluster/go/build.sh OUTDIR
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
go build -trimpath -ldflags '-s -w' -o "$out/" ./cmd/...
