# Shared by tests/slurm/cluster.sh (one node) and tests/cluster/slurm-multi.sh (N nodes):
# daemons of a throwaway Slurm kept in one directory. Source it after setting `dir` (absolute).

# pid_of NAME: the pid in DIR/NAME.pid if that process is alive and was started from DIR.
pid_of() {
  local pid
  pid=$(cat "$dir/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/" || return 1
  echo "$pid"
}

# start_munge: a munged of our own (key, socket, pid and log in DIR/munge), checked by a round
# trip; exits 1 when it does not work.
start_munge() {
  mkdir -p "$dir/munge"
  chmod 700 "$dir/munge"
  if [ ! -s "$dir/munge/key" ]; then
    dd if=/dev/urandom of="$dir/munge/key" bs=1024 count=1 status=none
  fi
  chmod 600 "$dir/munge/key"
  rm -f "$dir/munge/socket" "$dir/munge/socket.lock"
  munged --force --socket="$dir/munge/socket" --key-file="$dir/munge/key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munge/log" --seed-file="$dir/munge/seed" \
    </dev/null >>"$dir/munge/log" 2>&1 || { echo "FAIL: munged did not start:" >&2; tail -5 "$dir/munge/log" >&2; exit 1; }
  for _ in $(seq 1 50); do
    [ -S "$dir/munge/socket" ] && break
    sleep 0.1
  done
  echo hello | munge --socket="$dir/munge/socket" | unmunge --socket="$dir/munge/socket" >/dev/null ||
    { echo "FAIL: munge round trip failed" >&2; exit 1; }
}
