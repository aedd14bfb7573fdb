#!/usr/bin/env bash
# Builds the pinned Kubernetes and CSI components of the tests from source:
#   - from e2e/tools/kube/go.mod, in ONE `go build` so they share the build cache: kube-apiserver,
#     kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl (k8s.io/kubernetes) and the CSI
#     sidecars csi-provisioner (external-provisioner), csi-snapshotter and snapshot-controller
#     (external-snapshotter), whose Kubernetes libraries the module pins to the same release;
#   - etcd (e2e/tools/kube/etcd/go.mod) and helm (e2e/tools/kube/helm/go.mod);
#   - the VolumeSnapshot CRDs, copied from the pinned external-snapshotter client module.
# Output: $HOME/.cache/cairn/kube-<version>-<go.mod hash>/bin (outside the clone), so a change of any pinned
# module builds a fresh directory. Each binary is only built when missing; an interrupted build leaves no
# binary behind (builds go to a temp dir and are renamed into place).
# Prints the bin directory on stdout as its last line; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kube_dir="$here/kube"
pinned() { sed -E 's/^require //' "$1" | awk -v m="$2" '$1 == m { print $2 }'; }
kube_version="$(pinned "$kube_dir/go.mod" k8s.io/kubernetes)"
etcd_version="$(pinned "$kube_dir/etcd/go.mod" go.etcd.io/etcd/server/v3)"
helm_version="$(pinned "$kube_dir/helm/go.mod" helm.sh/helm/v3)"
snapshotter_client="github.com/kubernetes-csi/external-snapshotter/client/v8"
snapshotter_client_version="$(pinned "$kube_dir/go.mod" "$snapshotter_client")"
[ -n "$kube_version" ] && [ -n "$etcd_version" ] && [ -n "$helm_version" ] && [ -n "$snapshotter_client_version" ] ||
  { echo "install-kube: cannot read pinned versions" >&2; exit 1; }

cache_root="${CAIRN_TOOLS_CACHE:-$HOME/.cache/cairn}"
# Must match kubeBinDir() in e2e/support/kube-tools.ts.
mod_hash="$(cat "$kube_dir/go.mod" "$kube_dir/etcd/go.mod" "$kube_dir/helm/go.mod" | sha256sum | cut -c1-12)"
bin_dir="$cache_root/kube-$kube_version-$mod_hash/bin"
mkdir -p "$bin_dir"
command -v go >/dev/null || { echo "install-kube: go toolchain not found (need Go >= 1.25)" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false" CGO_ENABLED=0

log() { echo "install-kube: $*" >&2; }

minor="${kube_version#v1.}"; minor="${minor%%.*}"
kv="-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1"
kv="$kv -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
kv="$kv -X k8s.io/client-go/pkg/version.gitVersion=$kube_version -X k8s.io/client-go/pkg/version.gitMajor=1"
kv="$kv -X k8s.io/client-go/pkg/version.gitMinor=$minor"

# name -> package, for the one shared build of the main module.
declare -A main_pkgs=(
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kubelet]=k8s.io/kubernetes/cmd/kubelet
  [kube-proxy]=k8s.io/kubernetes/cmd/kube-proxy
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
  [csi-provisioner]=github.com/kubernetes-csi/external-provisioner/v5/cmd/csi-provisioner
  [csi-snapshotter]=github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter
  [snapshot-controller]=github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller
)

build_many() { # build_many <module dir> <ldflags> <name...>: one go build for every missing binary
  local dir="$1" ldflags="$2"; shift 2
  local names=() pkgs=() name
  for name in "$@"; do
    if [ -x "$bin_dir/$name" ]; then log "$name present"; else names+=("$name"); pkgs+=("${main_pkgs[$name]:-}"); fi
  done
  [ ${#names[@]} -eq 0 ] && return 0
  log "building ${names[*]} (one go build; about 25 minutes on 2 cores when nothing is cached)"
  local start=$SECONDS tmp
  tmp="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/" "${pkgs[@]}") || { rm -rf "$tmp"; exit 1; }
  for name in "${names[@]}"; do mv -f "$tmp/$name" "$bin_dir/$name"; done
  rm -rf "$tmp"
  log "built ${names[*]} in $((SECONDS - start))s"
}

build_one() { # build_one <module dir> <package> <output name>
  local dir="$1" pkg="$2" out="$3"
  if [ -x "$bin_dir/$out" ]; then log "$out present"; return 0; fi
  log "building $out from $pkg"
  local start=$SECONDS tmp="$bin_dir/.$out.tmp.$$"
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$tmp" "$pkg") || { rm -f "$tmp"; exit 1; }
  mv -f "$tmp" "$bin_dir/$out"
  log "built $out in $((SECONDS - start))s"
}

build_one "$kube_dir/etcd" go.etcd.io/etcd/server/v3 etcd
build_many "$kube_dir" "$kv" "${!main_pkgs[@]}"
build_one "$kube_dir/helm" helm.sh/helm/v3/cmd/helm helm

# The VolumeSnapshot CRDs ship in the snapshotter's client module (config/crd); copy them next to the
# binaries (they are upstream files: used at run time, never committed).
crd_dir="$bin_dir/../crds/volumesnapshot"
if [ ! -s "$crd_dir/snapshot.storage.k8s.io_volumesnapshots.yaml" ]; then
  src="$(cd "$kube_dir" && go mod download -json "$snapshotter_client@$snapshotter_client_version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src/config/crd" ] || { echo "install-kube: no config/crd in $snapshotter_client@$snapshotter_client_version" >&2; exit 1; }
  mkdir -p "$crd_dir.tmp.$$"
  cp "$src"/config/crd/snapshot.storage.k8s.io_*.yaml "$crd_dir.tmp.$$/"
  chmod 644 "$crd_dir.tmp.$$"/*.yaml
  rm -rf "$crd_dir" && mv "$crd_dir.tmp.$$" "$crd_dir"
fi

echo "kube $kube_version etcd $etcd_version helm $helm_version snapshotter-client $snapshotter_client_version" > "$bin_dir/VERSIONS"
echo "$bin_dir"
