#!/usr/bin/env bash
# Installs what pgwarden's demo and tests need on a Debian machine, only what is
# missing: Debian's postgresql-15, etcd-server, haproxy, redis-server, zookeeperd
# (it pulls a Java runtime), patroni, python3-kazoo (patronictl on ZooKeeper) and python3-etcd
# (Patroni on etcd3, for the mixed Patroni/pgwarden cluster test) (as root,
# after apt-get update); Node.js 22 from the npm registry (the `node` package,
# into .tools/node22) when the machine's Node.js is older — scripts/node-env.sh
# puts it first on PATH; with --node24 also Node.js 24 (.tools/node24, for the
# tests that run again on it); with --bench also Debian's wrk (the REST
# throughput scenario of `npm run bench`); with --watchdog-vm also
# qemu-system-x86 and busybox-static, and Debian's kernel extracted (not
# installed) into .tools/watchdog-vm, for the test of the watchdog on the
# kernel's i6300esb driver (x86-64 only); and the npm dependencies, installed
# with that Node.js. Idempotent: a second run that finds everything present installs
# nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_debs=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_debs+=(postgresql-15)
command -v etcd >/dev/null 2>&1 || need_debs+=(etcd-server)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_debs+=(haproxy)
command -v redis-server >/dev/null 2>&1 || need_debs+=(redis-server)
[ -f /usr/share/java/zookeeper.jar ] || need_debs+=(zookeeperd)
command -v patronictl >/dev/null 2>&1 || need_debs+=(patroni)
[ -d /usr/lib/python3/dist-packages/kazoo ] || need_debs+=(python3-kazoo)
[ -d /usr/lib/python3/dist-packages/etcd ] || need_debs+=(python3-etcd)
for argument in "$@"; do
  if [ "$argument" = "--bench" ]; then command -v wrk >/dev/null 2>&1 || need_debs+=(wrk); fi
  if [ "$argument" = "--watchdog-vm" ] && [ "$(dpkg --print-architecture)" = "amd64" ]; then
    [ -x /usr/bin/qemu-system-x86_64 ] || need_debs+=(qemu-system-x86)
    [ -x /bin/busybox ] && [ -e /usr/share/doc/busybox-static ] || need_debs+=(busybox-static)
  fi
done

if [ "${#need_debs[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${need_debs[*]}; run this script as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${need_debs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the packages from starting their own services on the
  # default ports: pgwarden starts every server it needs on ports it picks.
  had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  if [ "$had_policy" -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null
  [ "$had_policy" -eq 1 ] || rm -f /usr/sbin/policy-rc.d
fi

# Debian's kernel for the watchdog VM: the package is downloaded and only
# vmlinuz and the modules the guest loads are taken out of it (nothing is
# installed on this machine's boot path).
watchdog_vm_modules=(drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio fs/netfs/netfs fs/fscache/fscache fs/9p/9p drivers/watchdog/watchdog drivers/watchdog/i6300esb)
install_watchdog_vm_kernel() {
  local target=.tools/watchdog-vm
  if [ -f "$target/vmlinuz" ] && [ -f "$target/modules/i6300esb.ko" ]; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: the watchdog VM's kernel is missing ($target); run this script as root to fetch it" >&2
    exit 1
  fi
  local package work
  package="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')"
  if [ -z "$package" ]; then
    apt-get update -qq
    package="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')"
  fi
  if [ -z "$package" ]; then
    echo "setup: no Debian kernel package found for the watchdog VM (apt-cache depends linux-image-amd64)" >&2
    exit 1
  fi
  echo "setup: fetching $package for the watchdog VM into $target"
  work="$(mktemp -d)"
  (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$package" && dpkg-deb -x ./*.deb root)
  local release
  release="$(ls "$work/root/lib/modules")"
  rm -rf "$target"
  mkdir -p "$target/modules"
  for module in "${watchdog_vm_modules[@]}"; do
    cp "$work/root/lib/modules/$release/kernel/$module.ko" "$target/modules/"
  done
  cp "$work/root/boot/vmlinuz-$release" "$target/vmlinuz"
  echo "$package" > "$target/package"
  rm -rf "$work"
}
for argument in "$@"; do
  if [ "$argument" = "--watchdog-vm" ] && [ "$(dpkg --print-architecture)" = "amd64" ]; then install_watchdog_vm_kernel; fi
done

if ! id postgres >/dev/null 2>&1; then
  echo "setup: the 'postgres' user is missing although postgresql-15 is installed" >&2
  exit 1
fi

# A Node.js major from the npm registry into .tools/node<major>, unless it is there already.
install_node() {
  local major="$1" bin=".tools/node$1/node_modules/.bin/node"
  if [ -x "$bin" ] && [ "$("$bin" -p 'process.versions.node.split(".")[0]')" = "$major" ]; then return 0; fi
  echo "setup: installing Node.js $major from the npm registry into .tools/node$major"
  rm -rf ".tools/node$major"
  npm install --prefix ".tools/node$major" --no-save --no-audit --no-fund --loglevel=error "node@$major"
  if [ ! -x "$bin" ]; then
    echo "setup: the npm package node@$major did not install a node binary ($bin); its install script may have been blocked" >&2
    exit 1
  fi
}

current_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$current_major" -lt 22 ]; then install_node 22; fi
for argument in "$@"; do
  if [ "$argument" = "--node24" ]; then install_node 24; fi
done
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
