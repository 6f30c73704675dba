#!/usr/bin/env bash
# Serves podman's Docker-compatible API on a private Unix socket for tests and local runs.
#
# Machines without a Docker engine can still run tool containers through podman, but two
# defaults fail there: crun refuses the hybrid cgroup layout, and the sandbox forbids the
# RLIMIT_NPROC that podman writes into every container spec. So this script registers a runc
# wrapper that drops `.process.rlimits` from the bundle, selects cgroupfs, and starts
# `podman system service` on `$LOOM_PODMAN_DIR/podman.sock` unless it already answers.
#
# Prints the socket path on stdout. Safe to run concurrently and repeatedly.
set -euo pipefail

dir="${LOOM_PODMAN_DIR:-${TMPDIR:-/tmp}/loom-podman}"
socket="$dir/podman.sock"
wrapper="$dir/runc-without-rlimits"
conf="$dir/containers.conf"

fail() {
  echo "podman-service: $*" >&2
  if [ -f "$dir/service.log" ]; then
    echo "--- last lines of $dir/service.log:" >&2
    tail -n 20 "$dir/service.log" >&2
  fi
  exit 1
}

ping_socket() {
  curl --silent --fail --max-time 2 --unix-socket "$socket" http://d/_ping >/dev/null 2>&1
}

for bin in podman runc jq curl; do
  command -v "$bin" >/dev/null || fail "$bin is not installed"
done

mkdir -p "$dir"
exec 9>"$dir/lock"
flock 9

if ping_socket; then
  echo "$socket"
  exit 0
fi

# The wrapper finds the bundle after --bundle/-b (either form), edits its config.json in
# place, then hands every argument to runc unchanged.
cat >"$wrapper.tmp" <<'WRAPPER'
#!/bin/sh
bundle=''
previous=''
for arg in "$@"; do
  case "$previous" in
    --bundle|-b) bundle="$arg" ;;
  esac
  case "$arg" in
    --bundle=*) bundle="${arg#--bundle=}" ;;
  esac
  previous="$arg"
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
  jq 'del(.process.rlimits)' "$bundle/config.json" >"$bundle/config.json.loom" &&
    mv "$bundle/config.json.loom" "$bundle/config.json"
fi
exec runc "$@"
WRAPPER
chmod 755 "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"

cat >"$conf" <<CONF
[containers]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "loom-runc"

[engine.runtimes]
loom-runc = ["$wrapper"]
CONF

rm -f "$socket"
export CONTAINERS_CONF="$conf"
# setsid + nohup: the service outlives this script and the test run that asked for it, so
# later runs reuse it instead of paying the start-up again.
# 9>&-: the service must not inherit the lock, or every later caller would wait on it.
setsid nohup podman system service --time=0 "unix://$socket" \
  >"$dir/service.log" 2>&1 </dev/null 9>&- &
echo $! >"$dir/service.pid"

for _ in $(seq 1 100); do
  if ping_socket; then
    echo "$socket"
    exit 0
  fi
  if ! kill -0 "$(cat "$dir/service.pid")" 2>/dev/null; then
    fail "podman system service exited during start-up"
  fi
  sleep 0.2
done
fail "no answer on $socket/_ping after 20 s"
