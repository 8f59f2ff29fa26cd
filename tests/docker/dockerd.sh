#!/usr/bin/env bash
# A private dockerd for the conformance suite (npm run test:docker), and the stand-in image every container uses.
#   tests/docker/dockerd.sh start <dir>   install if missing, start dockerd under <dir>, import standin:1; prints DOCKER_HOST
#   tests/docker/dockerd.sh stop <dir>    stop that dockerd by its pid file
# Needs root. No registry is reachable, so static busybox in an imported rootfs stands in for every image.
set -euo pipefail
cmd=${1:?start or stop}
base=${2:?a directory for the daemon}
sock="unix://$base/docker.sock"
case "$cmd" in
start)
  if ! command -v dockerd >/dev/null || [ ! -x /bin/busybox ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io busybox-static >/dev/null
  fi
  mkdir -p "$base"
  dockerd --storage-driver=vfs --iptables=false --ip-masq=false --data-root="$base/data" --exec-root="$base/exec" \
    -H "$sock" --pidfile="$base/docker.pid" >"$base/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do docker -H "$sock" version >/dev/null 2>&1 && break; sleep 0.5; done
  docker -H "$sock" version >/dev/null
  root=$(mktemp -d); chmod 755 "$root"; mkdir -p "$root/bin" "$root/tmp"; chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/"
  for c in $(/bin/busybox --list); do [ "$c" = busybox ] || ln -s busybox "$root/bin/$c"; done
  tar -C "$root" -c . | docker -H "$sock" import - standin:1 >/dev/null
  rm -rf "$root"
  echo "$sock"
  ;;
stop)
  if [ -f "$base/docker.pid" ]; then
    pid=$(cat "$base/docker.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  ;;
*) echo "usage: $0 start|stop <dir>" >&2; exit 2 ;;
esac
