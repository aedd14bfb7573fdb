#!/usr/bin/env bash
# Builds Cairn's own Go programs of the e2e cluster (e2e/cluster/go: the cairn-csi-hostpath CSI test double,
# the pause sandbox program, promql-check) into $HOME/.cache/cairn/cluster-go-<hash of their sources>/bin,
# the directory e2e/cluster/cluster-binaries.ts looks in. Skipped when that directory is complete.
# Prints the bin directory on stdout as its last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
node="$root/node_modules/.bin/node"
[ -x "$node" ] || { echo "install-cluster: run npm ci first (needs Node 24 from node_modules)" >&2; exit 1; }
bin_dir="$(cd "$root" && "$node" --input-type=module -e "import { clusterGoBinDir } from './e2e/cluster/cluster-binaries.ts'; console.log(clusterGoBinDir());")"
if [ -x "$bin_dir/cairn-csi-hostpath" ] && [ -x "$bin_dir/pause" ] && [ -x "$bin_dir/promql-check" ]; then
  echo "install-cluster: present" >&2
else
  start=$SECONDS
  mkdir -p "$(dirname "$bin_dir")"
  tmp="$(mktemp -d "$(dirname "$bin_dir")/.bin.tmp.XXXXXX")"
  bash "$root/e2e/cluster/go/build.sh" "$tmp" || { rm -rf "$tmp"; exit 1; }
  rm -rf "$bin_dir" && mv "$tmp" "$bin_dir"
  echo "install-cluster: built in $((SECONDS - start))s" >&2
fi
echo "$bin_dir"
