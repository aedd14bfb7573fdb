#!/usr/bin/env bash
# Builds the pinned Kubernetes components the operator integration tests run against: kube-apiserver
# and kubectl from the k8s.io/kubernetes module (e2e/tools/kube/go.mod), etcd from
# go.etcd.io/etcd/server/v3 (e2e/tools/kube/etcd/go.mod) and helm (e2e/tools/kube/helm/go.mod, to
# render the chart). Self-contained and idempotent: binaries go to
# $HOME/.cache/cairn/kube-<version>/bin (outside the clone) and are only built when missing.
# Prints the bin directory on stdout as its last line; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kube_dir="$here/kube"
pinned() { sed -E 's/^require //' "$1" | awk -v m="$2" '$1 == m { print $2 }'; }
kube_version="$(pinned "$kube_dir/go.mod" k8s.io/kubernetes)"
etcd_version="$(pinned "$kube_dir/etcd/go.mod" go.etcd.io/etcd/server/v3)"
[ -n "$kube_version" ] && [ -n "$etcd_version" ] || { echo "install-kube: cannot read pinned versions" >&2; exit 1; }

cache_root="${CAIRN_TOOLS_CACHE:-$HOME/.cache/cairn}"
bin_dir="$cache_root/kube-$kube_version/bin"
mkdir -p "$bin_dir"
command -v go >/dev/null || { echo "install-kube: go toolchain not found" >&2; exit 1; }

log() { echo "install-kube: $*" >&2; }

build() { # build <module dir> <package> <output name> [ldflags]
  local dir="$1" pkg="$2" out="$3" ldflags="${4:-}"
  if [ -x "$bin_dir/$out" ]; then log "$out present"; return 0; fi
  log "building $out from $pkg (this takes a while on 2 cores)"
  local start=$SECONDS tmp="$bin_dir/.$out.tmp.$$"
  (cd "$dir" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg")
  mv -f "$tmp" "$bin_dir/$out"
  log "built $out in $((SECONDS - start))s"
}

minor="${kube_version#v1.}"; minor="${minor%%.*}"
kv="-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1"
kv="$kv -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
kv="$kv -X k8s.io/client-go/pkg/version.gitVersion=$kube_version -X k8s.io/client-go/pkg/version.gitMajor=1"
kv="$kv -X k8s.io/client-go/pkg/version.gitMinor=$minor"

build "$kube_dir/etcd" go.etcd.io/etcd/server/v3 etcd
build "$kube_dir" k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "$kv"
build "$kube_dir" k8s.io/kubernetes/cmd/kubectl kubectl "$kv"
build "$kube_dir/helm" helm.sh/helm/v3/cmd/helm helm

helm_version="$(pinned "$kube_dir/helm/go.mod" helm.sh/helm/v3)"
echo "kube $kube_version etcd $etcd_version helm $helm_version" > "$bin_dir/VERSIONS"
echo "$bin_dir"
