#!/usr/bin/env bash
# The shared peer runner puts --cache-directory before the kopia subcommand; kopia v0.23 accepts it only on
# `repository create|connect`. This wrapper moves it into KOPIA_CACHE_DIRECTORY (which every kopia command
# reads) and runs the pinned kopia given in KOPIA_BIN, so peers.sh works unmodified.
set -euo pipefail
args=()
for a in "$@"; do
  case "$a" in
    --cache-directory=*) export KOPIA_CACHE_DIRECTORY="${a#--cache-directory=}" ;;
    *) args+=("$a") ;;
  esac
done
exec "${KOPIA_BIN:?KOPIA_BIN must name the kopia binary}" "${args[@]}"
