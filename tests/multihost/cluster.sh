#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A throwaway cluster of simulated hosts on one Linux machine, for multi-host tests.
#
#   cluster.sh up N     build hosts h1..hN (N <= 32); runs `down` first if an earlier run left parts
#   cluster.sh down     remove exactly what `up` made (safe to run any time, idempotent)
#   cluster.sh status   show the hosts; exit 0 when a complete cluster is up, 1 otherwise
#   cluster.sh exec HOST CMD [ARG...]   run a command on a simulated host (its network, its name)
#   cluster.sh mpi-flags                print the mpirun flags that launch over the cluster
#
# Each host hK is a network namespace (`ip netns`) with one veth interface eth0 at
# $NET.(10+K)/24, plugged into a bridge $BRIDGE at $NET.1 in the root namespace (the "head"
# node, name hhead), plus a UTS namespace kept in $STATE/uts/hK whose hostname is hK. Processes
# on a host share the machine's file systems (like a cluster's shared home), not its network or
# name. Made for the tests: needs root, iproute2 (ip) and util-linux (nsenter, unshare, flock).
#
# Only names and addresses this script creates are touched: every part is written to
# $STATE/manifest BEFORE it is made, and its links carry the alias $TAG, its /etc/hosts lines
# the marker "# $TAG". `down` kills what still runs on the hosts, then removes what the
# manifest lists and, should the manifest be lost, what carries the tag (namespaces hK whose
# eth0 has it); a link without the tag is never removed. `up` refuses to start when a name or
# address it would use already belongs to something else. /run/netns, which `ip netns` turns
# into a mount point, is undone by `down` only when `up` made it so (and it is empty).
#
# Open MPI over the cluster: `mpirun $(cluster.sh mpi-flags) -np 4 prog`. The rsh agent
# ($STATE/rsh-agent) starts Open MPI's daemon on a host the way ssh would: a clean environment
# (PATH, HOME, LD_LIBRARY_PATH), so pass what ranks need with `mpirun -x VAR`.
#
# Environment: HPAR_CLUSTER_STATE (default /run/hpar-cluster), HPAR_CLUSTER_NET (first three
# octets of a private /24, default 10.77.0), HPAR_CLUSTER_BRIDGE (default hparbr0),
# HPAR_CLUSTER_SLOTS (slots per host in the hostfile: S for every host, or S1,S2,...,SN; default 2).
set -euo pipefail

STATE=${HPAR_CLUSTER_STATE:-/run/hpar-cluster}
NET=${HPAR_CLUSTER_NET:-10.77.0}
BRIDGE=${HPAR_CLUSTER_BRIDGE:-hparbr0}
SLOTS=${HPAR_CLUSTER_SLOTS:-2}
TAG=hpar-cluster
MAX_HOSTS=32
MANIFEST=$STATE/manifest

die() {
  echo "cluster.sh: error: $*" >&2
  exit 2
}

need_tools() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
  local t
  for t in ip nsenter unshare flock mountpoint; do
    command -v "$t" >/dev/null || die "'$t' not found (Debian packages iproute2, util-linux)"
  done
}

# Serialises up/down of concurrent callers.
lock() {
  mkdir -p "$(dirname "$STATE")"
  exec 9>"$STATE.lock"
  flock -w 60 9 || die "another cluster.sh holds $STATE.lock"
}

host_addr() { echo "$NET.$((10 + $1))"; }
record() { echo "$*" >>"$MANIFEST"; }
link_is_ours() { [ "$(cat "/sys/class/net/$1/ifalias" 2>/dev/null)" = "$TAG" ]; }
netns_exists() { [ -e "/run/netns/$1" ]; }

# Lines of /etc/hosts without ours, written back in place (the file may be a bind mount).
remove_host_lines() {
  [ -f /etc/hosts ] || return 0
  grep -q "# $TAG\$" /etc/hosts || return 0
  local kept
  kept=$(grep -v "# $TAG\$" /etc/hosts || true)
  printf '%s\n' "$kept" >/etc/hosts
}

cmd_down() {
  need_tools
  lock
  local entries=()
  [ -f "$MANIFEST" ] && mapfile -t entries <"$MANIFEST"
  # Parts whose manifest is lost still carry our tag: links with alias $TAG, namespaces whose
  # eth0 carries it, /etc/hosts lines with the marker.
  local f ns
  entries+=("hosts /etc/hosts")
  for f in /sys/class/net/*; do
    link_is_ours "${f##*/}" && entries+=("veth ${f##*/}")
  done
  for f in "$STATE"/uts/h*; do
    [ -e "$f" ] && entries+=("uts ${f##*/}")
  done
  for f in /run/netns/h*; do
    [ -e "$f" ] || continue
    ns=${f##*/}
    [[ $ns =~ ^h[0-9]+$ ]] || continue
    ip -n "$ns" -o link show dev eth0 2>/dev/null | grep -q "alias $TAG\$" && entries+=("netns $ns")
  done
  local i kind name pids
  # Processes first (daemons left on a host keep its namespace alive), then reverse order.
  for ((i = ${#entries[@]} - 1; i >= 0; i--)); do
    read -r kind name <<<"${entries[i]}"
    if [ "$kind" = netns ] && netns_exists "$name"; then
      pids=$(ip netns pids "$name" 2>/dev/null || true)
      # shellcheck disable=SC2086
      if [ -n "$pids" ]; then kill -9 $pids 2>/dev/null || true; fi
    fi
  done
  for ((i = ${#entries[@]} - 1; i >= 0; i--)); do
    read -r kind name <<<"${entries[i]}"
    case $kind in
      netns) netns_exists "$name" && ip netns delete "$name" ;;
      veth | bridge)
        # A veth can vanish between the test and the delete (its peer's namespace is going away).
        if [ -e "/sys/class/net/$name" ] && link_is_ours "$name"; then
          ip link delete "$name" 2>/dev/null || [ ! -e "/sys/class/net/$name" ]
        fi
        ;;
      uts)
        if [ -e "$STATE/uts/$name" ]; then
          umount "$STATE/uts/$name" 2>/dev/null || true
          rm -f "$STATE/uts/$name"
        fi
        ;;
      hosts) remove_host_lines ;;
      netnsdir)
        if mountpoint -q /run/netns && [ -z "$(ls -A /run/netns)" ]; then
          while mountpoint -q /run/netns; do umount /run/netns || break; done
          rmdir /run/netns 2>/dev/null || true
        fi
        ;;
    esac
  done
  # A host-side veth vanishes with its namespace; wait for the kernel to finish.
  for ((i = 0; i < ${#entries[@]}; i++)); do
    read -r kind name <<<"${entries[i]}"
    if [ "$kind" = veth ] || [ "$kind" = bridge ]; then
      local tries=0
      while [ -e "/sys/class/net/$name" ] && link_is_ours "$name" && [ $tries -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
      done
    fi
  done
  rm -rf "$STATE"
}

cmd_up() {
  local n=${1:-} k
  { [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le $MAX_HOSTS ]; } ||
    die "usage: cluster.sh up N (1 <= N <= $MAX_HOSTS)"
  [[ $NET =~ ^10\.[0-9]+\.[0-9]+$ ]] || die "HPAR_CLUSTER_NET must be 10.X.Y (a private /24)"
  local slots
  IFS=, read -r -a slots <<<"$SLOTS"
  [ ${#slots[@]} = 1 ] || [ ${#slots[@]} = "$n" ] ||
    die "HPAR_CLUSTER_SLOTS must be one count or $n counts separated by commas"
  for k in "${slots[@]}"; do
    [[ $k =~ ^[1-9][0-9]*$ ]] || die "HPAR_CLUSTER_SLOTS: '$k' is not a whole number >= 1"
  done
  need_tools
  if [ -f "$MANIFEST" ]; then
    echo "cluster.sh: removing what an earlier run left behind" >&2
    cmd_down
  fi
  lock

  # Refuse to take anything that is not ours.
  local h
  if [ -e "/sys/class/net/$BRIDGE" ]; then die "interface $BRIDGE exists and is not ours"; fi
  for ((k = 1; k <= n; k++)); do
    netns_exists "h$k" && die "network namespace h$k exists and is not ours"
    [ -e "/sys/class/net/hpar-h$k" ] && die "interface hpar-h$k exists and is not ours"
  done
  if ip -o -4 addr show | awk '{print $4}' | grep -q "^${NET//./\\.}\."; then
    die "an interface already has an address in $NET.0/24 (set HPAR_CLUSTER_NET)"
  fi
  if grep -Eq "^[^#]*[[:space:]](hhead|h[0-9]+)([[:space:]]|\$)" /etc/hosts; then
    die "/etc/hosts already names hhead or hN"
  fi

  mkdir -p "$STATE/uts"
  : >"$MANIFEST"
  # `ip netns add` makes /run/netns a mount point the first time; ours to undo if so.
  if ! mountpoint -q /run/netns; then record netnsdir /run/netns; fi
  record bridge "$BRIDGE"
  ip link add "$BRIDGE" type bridge
  ip link set "$BRIDGE" alias "$TAG"
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  record hosts /etc/hosts
  echo "$NET.1 hhead # $TAG" >>/etc/hosts
  for ((k = 1; k <= n; k++)); do
    h=h$k
    record netns "$h"
    ip netns add "$h"
    record veth "hpar-$h"
    ip link add "hpar-$h" type veth peer name eth0 netns "$h"
    ip link set "hpar-$h" alias "$TAG"
    ip -n "$h" link set eth0 alias "$TAG"
    ip link set "hpar-$h" master "$BRIDGE" up
    ip -n "$h" addr add "$(host_addr "$k")/24" dev eth0
    ip -n "$h" link set lo up
    ip -n "$h" link set eth0 up
    ip -n "$h" route add default via "$NET.1"
    record uts "$h"
    touch "$STATE/uts/$h"
    unshare --uts="$STATE/uts/$h" hostname "$h"
    echo "$(host_addr "$k") $h # $TAG" >>/etc/hosts
  done

  # Hostfile and rsh agent for Open MPI.
  : >"$STATE/hostfile"
  for ((k = 1; k <= n; k++)); do
    echo "h$k slots=${slots[$(((k - 1) % ${#slots[@]}))]}" >>"$STATE/hostfile"
  done
  cat >"$STATE/rsh-agent" <<EOF
#!/bin/sh
# Open MPI rsh agent (--mca plm_rsh_agent) for the simulated hosts: like 'ssh HOST CMD...',
# runs CMD with a login-like environment in HOST's network and UTS namespaces.
host=\$1
shift
case \$host in
  h[0-9]*) ;;
  *) echo "rsh-agent: unknown host '\$host'" >&2; exit 255 ;;
esac
if [ ! -e "/run/netns/\$host" ] || [ ! -e "$STATE/uts/\$host" ]; then
  echo "rsh-agent: host \$host is not up" >&2
  exit 255
fi
# Not exec: like an ssh client, this process stays on the head node and says when the remote
# side died (a host "crash" kills everything in its namespace, not this).
nsenter --net="/run/netns/\$host" --uts="$STATE/uts/\$host" \\
  env -i PATH="\$PATH" HOME="\${HOME:-/root}" LD_LIBRARY_PATH="\${LD_LIBRARY_PATH:-}" \\
  sh -c "\$*"
rc=\$?
if [ \$rc -gt 128 ]; then
  echo "Connection to \$host closed by remote host." >&2
  exit 255
fi
exit \$rc
EOF
  chmod +x "$STATE/rsh-agent"
  echo "$n" >"$STATE/hosts"
  # Wait until every host's link is up.
  for ((k = 1; k <= n; k++)); do
    local tries=0
    until [ "$(cat "/sys/class/net/hpar-h$k/operstate")" = up ]; do
      tries=$((tries + 1))
      [ $tries -lt 50 ] || die "host h$k link did not come up"
      sleep 0.1
    done
  done
  echo "cluster.sh: $n host(s) up: $(seq -f 'h%g' -s ' ' 1 "$n") on $NET.0/24; hostfile $STATE/hostfile"
}

cmd_status() {
  if [ ! -f "$STATE/hosts" ]; then
    echo "no cluster up (state $STATE)"
    [ -f "$MANIFEST" ] && echo "parts left by an earlier run: $(tr '\n' ' ' <"$MANIFEST")"
    return 1
  fi
  local n k h ok=0 addr name procs
  n=$(cat "$STATE/hosts")
  echo "bridge $BRIDGE: $(ip -o -4 addr show dev "$BRIDGE" 2>/dev/null | awk '{print $4}') $(cat "/sys/class/net/$BRIDGE/operstate" 2>/dev/null || echo missing)"
  for ((k = 1; k <= n; k++)); do
    h=h$k
    if netns_exists "$h" && [ -e "$STATE/uts/$h" ]; then
      addr=$(ip -n "$h" -o -4 addr show dev eth0 | awk '{print $4}')
      name=$(nsenter --uts="$STATE/uts/$h" hostname)
      procs=$(ip netns pids "$h" | wc -l)
      echo "$h: hostname $name, eth0 $addr, $procs process(es)"
    else
      echo "$h: MISSING"
      ok=1
    fi
  done
  echo "hostfile $STATE/hostfile; rsh agent $STATE/rsh-agent"
  return $ok
}

cmd_exec() {
  local h=${1:-}
  { [ -n "$h" ] && [ $# -ge 2 ]; } || die "usage: cluster.sh exec HOST CMD [ARG...]"
  shift
  { netns_exists "$h" && [ -e "$STATE/uts/$h" ]; } || die "host '$h' is not up"
  exec nsenter --net="/run/netns/$h" --uts="$STATE/uts/$h" "$@"
}

cmd_mpi_flags() {
  [ -f "$STATE/hosts" ] || die "no cluster up"
  echo "--hostfile $STATE/hostfile --mca plm_rsh_agent $STATE/rsh-agent --mca btl tcp,self" \
    "--mca btl_tcp_if_include $NET.0/24 --mca oob_tcp_if_include $NET.0/24"
}

case ${1:-} in
  up) cmd_up "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  exec)
    shift
    cmd_exec "$@"
    ;;
  mpi-flags) cmd_mpi_flags ;;
  *) die "usage: cluster.sh up N | down | status | exec HOST CMD... | mpi-flags" ;;
esac
