# shellcheck shell=bash
# Shared by scripts/ftp-servers.sh and scripts/sftp-servers.sh (sourced, not run): messages, the processes a
# `start` records (PID and start time, so that `stop` never kills a process that took over a PID), and `stop`.
# The sourcing script sets SCRIPT_NAME and RUN_DIR (and APT_PACKAGES for apt_packages_missing).

# Prefer Debian's python3 (a pyenv shim in PATH may point elsewhere); only the stdlib is used.
python() {
  if [[ -x /usr/bin/python3 ]]; then /usr/bin/python3 "$@"; else python3 "$@"; fi
}

apt_packages_missing() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
      || return 0
  done
  return 1
}

# Start time in clock ticks since boot: with the PID it identifies a process even if the PID
# number is later reused, so `stop` never kills an unrelated process.
process_start_time() {
  awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true
}

process_state() { # PID -> R/S/Z/...; empty if gone
  awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null || true
}

record_pid() { # PID
  echo "$1 $(process_start_time "$1")" >>"$RUN_DIR/pids"
}

# Kills exactly the recorded processes (PID + start time), TERM first, KILL after 10 s.
stop_pids() {
  local pid start pids=() deadline
  [[ -f "$RUN_DIR/pids" ]] || return 0
  while read -r pid start; do
    [[ -n "$pid" ]] || continue
    if [[ -n "$start" && "$(process_start_time "$pid")" == "$start" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done <"$RUN_DIR/pids"
  deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    # A zombie has exited; it stays listed until its parent (maybe not init) reaps it.
    while [[ -e /proc/$pid && $(process_state "$pid") != Z ]]; do
      if ((SECONDS >= deadline)); then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
        break
      fi
      sleep 0.1
    done
  done
  rm -f "$RUN_DIR/pids"
}

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

die() {
  echo "$SCRIPT_NAME: $*" >&2
  exit 1
}

cmd_stop() {
  [[ -n "${1:-}" ]] || die "usage: $0 stop DIR"
  RUN_DIR=$(realpath -m "$1")
  [[ -f "$RUN_DIR/pids" ]] || { echo "$SCRIPT_NAME: nothing recorded in $RUN_DIR"; return 0; }
  stop_pids
  echo "$SCRIPT_NAME: stopped the servers of $RUN_DIR"
}
