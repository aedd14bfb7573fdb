#!/usr/bin/env bash
# Builds the pinned real tools (e2e/tools/versions.env) used by the integration tests and caches them
# outside the clone in $HOME/.cache/cairn/<tool>-<version>/bin. A tool is only built when its cache
# directory lacks the binary, so re-running is cheap. Prints one "<tool> <bin dir>" line per tool.
#
# Usage: bash e2e/tools/install.sh [tool...]      (default: every tool in TOOLS below)
#
# To add a tool: add <NAME>_MODULE / <NAME>_VERSION (and optionally <NAME>_PACKAGE, <NAME>_BINARY,
# <NAME>_TAGS) to versions.env, and its lowercase name to TOOLS. Tools that are not `go install`-able
# can define an install_<name> function instead; it receives the bin dir and version.
# "kube" (Kubernetes components, CSI sidecars, etcd, helm) is delegated to install-kube.sh, which pins them
# with its own go.mod/go.sum under e2e/tools/kube; "cluster" (Cairn's own Go programs of the e2e cluster) to
# install-cluster.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

TOOLS=(kopia minio kube cluster)
CACHE_ROOT="${CAIRN_TOOLS_CACHE:-$HOME/.cache/cairn}"

die() { echo "install.sh: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH; install Go >= 1.25 (the pinned tools are built from source)"

upper() { echo "$1" | tr '[:lower:]-' '[:upper:]_'; }

# var <tool> <FIELD> [default] -> value of <TOOL>_<FIELD> from versions.env
var() {
  local name
  name="$(upper "$1")_$2"
  if [[ -n "${!name:-}" ]]; then echo "${!name}"; elif [[ $# -ge 3 ]]; then echo "$3"; else die "versions.env lacks $name"; fi
}

go_install() { # tool bindir version
  # Builds <package>@<version> inside a throw-away module that requires only the pinned module, instead of
  # `go install pkg@version`: the latter also asks the proxy for the module's version list (to report
  # deprecations), which some proxies refuse, while resolving the pinned module's own go.mod does not.
  local tool="$1" bindir="$2" version="$3" module package tags binary
  module="$(var "$tool" MODULE)"
  package="$(var "$tool" PACKAGE "$module")"
  tags="$(var "$tool" TAGS "")"
  binary="$(var "$tool" BINARY "$tool")"
  local work="$bindir/../mod"
  mkdir -p "$work"
  printf 'module cairn.local/tools/%s\n\ngo 1.24\n\nrequire %s %s\n' "$tool" "$module" "$version" >"$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >"$work/tools.go"
  echo "install.sh: building $tool ($package@$version) into $bindir" >&2
  local args=(build -trimpath -o "$bindir/$binary")
  [[ -n "$tags" ]] && args+=(-tags "$tags")
  (
    cd "$work"
    export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false"
    go mod tidy
    go "${args[@]}" "$package"
  )
}

install_tool() { # tool
  if [[ "$1" == kube ]]; then
    echo "kube $(bash "$here/install-kube.sh" | tail -n 1)"
    return
  fi
  if [[ "$1" == cluster ]]; then
    echo "cluster $(bash "$here/install-cluster.sh" | tail -n 1)"
    return
  fi
  local tool="$1" version binary bindir
  version="$(var "$tool" VERSION)"
  binary="$(var "$tool" BINARY "$tool")"
  bindir="$CACHE_ROOT/$tool-$version/bin"
  if [[ ! -x "$bindir/$binary" ]]; then
    # Build into a temporary directory and rename it into place, so an interrupted build never leaves
    # a half-populated cache directory that would be mistaken for a finished one.
    local tmp="$CACHE_ROOT/.tmp-$tool-$version-$$" started=$SECONDS
    rm -rf "$tmp"
    mkdir -p "$tmp/bin"
    if declare -F "install_$tool" >/dev/null; then
      "install_$tool" "$tmp/bin" "$version" || { rm -rf "$tmp"; die "building $tool $version failed"; }
    else
      go_install "$tool" "$tmp/bin" "$version" || { rm -rf "$tmp"; die "building $tool $version failed"; }
    fi
    [[ -x "$tmp/bin/$binary" ]] || { rm -rf "$tmp"; die "build of $tool $version produced no $binary binary"; }
    echo "install.sh: built $tool $version in $((SECONDS - started))s" >&2
    mkdir -p "$CACHE_ROOT/$tool-$version"
    rm -rf "$bindir"
    mv "$tmp/bin" "$bindir"
    rm -rf "$tmp"
  fi
  echo "$tool $bindir"
}

selected=("$@")
[[ ${#selected[@]} -eq 0 ]] && selected=("${TOOLS[@]}")
for tool in "${selected[@]}"; do
  install_tool "$tool"
done
