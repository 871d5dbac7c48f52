# shellcheck shell=bash disable=SC2034 # CASE_CLEANUP: run by run_multihost.sh
# SPDX-License-Identifier: BSD-3-Clause
# The simulated cluster itself (sourced by run_multihost.sh; each case_NAME is one ctest
# multihost.cluster.NAME): `up` builds hosts that have their own name and address and reach
# each other, `down` leaves the machine as it found it, leftovers are cleaned, and nothing
# that is not the script's own is taken or removed.

# What the machine looks like from the outside: links, namespaces, /etc/hosts, mounts.
machine_state() {
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
  ip netns list | sort
  cat /etc/hosts
  awk '{print $2}' /proc/self/mounts | sort
}

case_up_down_leaves_nothing() {
  machine_state >before.txt
  cluster_up 3
  bash "$CLUSTER" status >status.txt || fail "status after up: $(cat status.txt)"
  grep -q "^h3: hostname h3, eth0 10.77.0.13/24" status.txt || fail "status: $(cat status.txt)"
  [ "$(bash "$CLUSTER" exec h2 hostname)" = h2 ] || fail "h2 is not named h2"
  [ "$(hostname)" != h2 ] || fail "the machine's own name changed"
  grep -q "^10.77.0.12 h2 # hpar-cluster\$" /etc/hosts || fail "/etc/hosts lacks h2: $(cat /etc/hosts)"
  [ "$(cat /run/hpar-cluster/hostfile)" = "$(printf 'h1 slots=2\nh2 slots=2\nh3 slots=2')" ] ||
    fail "hostfile: $(cat /run/hpar-cluster/hostfile)"
  # h3 reaches h1 over TCP (bash's /dev/tcp against a listener that Python opens on h1).
  bash "$CLUSTER" exec h1 python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.11", 7999)); s.listen(1); s.settimeout(20)
c, a = s.accept(); c.sendall(("hello " + a[0] + "\n").encode()); c.close()' &
  local listener=$!
  local reply=""
  for _ in $(seq 1 50); do
    reply=$(bash "$CLUSTER" exec h3 bash -c 'exec 3<>/dev/tcp/10.77.0.11/7999 && cat <&3' 2>/dev/null) && break
    sleep 0.1
  done
  wait $listener
  [ "$reply" = "hello 10.77.0.13" ] || fail "h3 could not talk to h1 over TCP: '$reply'"
  # The machine's own network sees none of the hosts' addresses.
  ip -o -4 addr show | grep -q '10\.77\.0\.1[1-9]' && fail "a host address leaked into the root namespace"
  # up again on a running cluster: rebuilt, same result.
  cluster_up 2
  bash "$CLUSTER" status >status.txt || fail "status after second up: $(cat status.txt)"
  ip netns list | grep -qw h3 && fail "h3 survived 'up 2'"
  bash "$CLUSTER" down || fail "down failed"
  bash "$CLUSTER" down || fail "a second down failed"
  machine_state >after.txt
  cmp -s before.txt after.txt || fail "down left changes: $(diff before.txt after.txt)"
  bash "$CLUSTER" status >/dev/null && fail "status says up after down"
  return 0
}

# An earlier run killed half-way (its manifest lost, a daemon still running on a host): `down`
# finds the parts by their tag and removes them, processes included. (Only the /run/netns
# mount point that `ip netns` makes may stay: without the manifest nothing says it was ours.)
case_leftovers_are_cleaned() {
  local had_netns_dir=0
  mountpoint -q /run/netns && had_netns_dir=1
  machine_state | grep -vx /run/netns >before.txt
  cluster_up 2
  (bash "$CLUSTER" exec h2 sleep 600 >/dev/null 2>&1 &)
  for _ in $(seq 1 50); do
    [ -n "$(ip netns pids h2)" ] && break
    sleep 0.1
  done
  [ -n "$(ip netns pids h2)" ] || fail "no process on h2"
  rm -f /run/hpar-cluster/manifest
  bash "$CLUSTER" down || fail "down failed without its manifest"
  machine_state | grep -vx /run/netns >after.txt
  cmp -s before.txt after.txt || fail "down left changes: $(diff before.txt after.txt)"
  # A half-built cluster (only the manifest and a bridge): `up` cleans it and builds anew.
  cluster_up 1
  ip link set dev hparbr0 down
  rm -f /run/hpar-cluster/hosts
  cluster_up 2
  bash "$CLUSTER" status >/dev/null || fail "status after rebuilding: $(bash "$CLUSTER" status)"
  bash "$CLUSTER" down || fail "down failed"
  # This case lost the manifest on purpose: undo the mount point it made itself.
  if [ $had_netns_dir = 0 ] && [ -z "$(ls -A /run/netns)" ]; then umount /run/netns && rmdir /run/netns; fi
  return 0
}

# Names that belong to someone else are refused, and left alone by `down`.
case_foreign_parts_are_left_alone() {
  local had_netns_dir=0
  mountpoint -q /run/netns && had_netns_dir=1
  ip netns add h2 || fail "cannot create a test namespace h2"
  CASE_CLEANUP='ip netns delete h2 2>/dev/null'
  HPAR_CLUSTER_SLOTS=2 bash "$CLUSTER" up 3 >up.txt 2>&1
  RC=$?
  [ "$RC" = 2 ] || fail "up over a foreign namespace h2 exited $RC: $(cat up.txt)"
  grep -q "network namespace h2 exists and is not ours" up.txt || fail "message: $(cat up.txt)"
  ip netns list | grep -qw h1 && fail "up left h1 behind after refusing"
  bash "$CLUSTER" down || fail "down failed"
  ip netns list | grep -qw h2 || fail "down removed a namespace that was not its own"
  ip netns delete h2
  # A bridge of the same name that is not ours (no tag): refused, kept.
  ip link add hparbr0 type bridge || fail "cannot create a test bridge"
  CASE_CLEANUP='ip link delete hparbr0 2>/dev/null'
  bash "$CLUSTER" up 1 >up.txt 2>&1 && fail "up took a foreign bridge: $(cat up.txt)"
  grep -q "interface hparbr0 exists and is not ours" up.txt || fail "message: $(cat up.txt)"
  bash "$CLUSTER" down
  [ -e /sys/class/net/hparbr0 ] || fail "down removed a bridge that was not its own"
  ip link delete hparbr0
  # `ip netns add h2` above made the mount point: undo it.
  if [ $had_netns_dir = 0 ] && [ -z "$(ls -A /run/netns)" ]; then umount /run/netns && rmdir /run/netns; fi
  return 0
}
