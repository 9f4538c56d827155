#!/usr/bin/env bash
# Debian packages the test suite needs beyond npm's: xmllint checks junit.xml against
# Jenkins' JUnit schema, Chromium (driven by playwright-core) opens report.html, and
# libfaketime skews a node's clock for clock faults, and the Docker engine (docker.io, with
# iptables for its networks) runs the Docker driver's tests.
# Installs only what is missing, and starts dockerd when no engine answers; needs root (or
# sudo) when either is to be done.
set -euo pipefail
need=()
command -v xmllint >/dev/null || need+=(libxml2-utils)
[ -x /usr/bin/chromium ] || need+=(chromium fonts-liberation)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need+=(libfaketime)
command -v dockerd >/dev/null || need+=(docker.io)
command -v iptables >/dev/null || need+=(iptables)
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A Docker engine for the Docker driver's tests: started in the background when none answers
# (and DOCKER_HOST names none), waited for with a bound. It keeps running afterwards.
if ! docker version >/dev/null 2>&1 && [ -z "${DOCKER_HOST:-}" ]; then
  echo "starting dockerd (log: /tmp/dockerd.log)"
  "${as_root[@]}" sh -c 'setsid dockerd >/tmp/dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
  docker version >/dev/null 2>&1 || { echo "dockerd did not start within 30 s:"; tail -20 /tmp/dockerd.log; exit 1; }
fi
