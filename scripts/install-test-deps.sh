#!/usr/bin/env bash
# Debian packages the test suite needs beyond npm's: xmllint checks junit.xml against
# Jenkins' JUnit schema, Chromium (driven by playwright-core) opens report.html, and
# libfaketime skews a node's clock for clock faults, and the Docker engine (docker.io, with
# iptables for its networks) runs the Docker driver's tests.
# Installs only what is missing; needs root (or sudo) when something is.
set -euo pipefail
need=()
command -v xmllint >/dev/null || need+=(libxml2-utils)
[ -x /usr/bin/chromium ] || need+=(chromium fonts-liberation)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need+=(libfaketime)
command -v dockerd >/dev/null || need+=(docker.io)
command -v iptables >/dev/null || need+=(iptables)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing ${need[*]}"
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
