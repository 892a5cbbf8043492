#!/usr/bin/env bash
# A real one-node Slurm cluster whose whole state lives in one directory, for
# the tests (issue 15): munged, slurmctld and slurmd, started as root from
# Debian's packages (slurmctld slurmd slurm-client munge; .ci/setup installs
# them), configured in DIR and writing nothing outside it.
#
#   cluster.sh start DIR   start a fresh cluster in DIR (stopping one that
#                          runs there already) and print its client environment
#   cluster.sh env DIR     print the client environment again
#   cluster.sh stop DIR    cancel its jobs, stop its daemons; idempotent
#
# Clients (sbatch, squeue, scontrol, sacct, scancel) need only
# SLURM_CONF=DIR/slurm.conf: slurm.conf's AuthInfo names the munge socket.
# Two clusters can run at once (another worktree's ctest): each takes the
# first free pair of ports from 6817 on.
#
# What the cluster gives a client (measured on Slurm 22.05.8; details and
# figures in docs/slurm-test-cluster.md):
# - sacct has no database here: it prints "Slurm accounting storage is
#   disabled" and exits 1. `scontrol show job -o ARRAYJOB_TASK` keeps a
#   finished task for MinJobAge (an hour): JobState COMPLETED / FAILED
#   (Reason=NonZeroExitCode, ExitCode=3:0) / TIMEOUT (Reason=TimeLimit) /
#   CANCELLED. DIR/jobcomp.txt logs every task end (`sacct -c` reads it, but
#   without array ids): a record for the tests to read, not for Lutra.
# - `scontrol requeue` puts ANY finished task back (COMPLETED, FAILED,
#   TIMEOUT, CANCELLED), also from the SIGTERM of a scancel: only the caller
#   can keep a cancelled task dead. The task waits cred_expire + 1 s before it
#   may start again (default 120 s; 10 s here).
# - slurmctld checks time limits every 30 s: the --signal warning and the
#   SIGTERM at the limit come at those checks (SIGKILL KillWait s later);
#   `scancel --batch --signal=USR1 TASK` delivers the warning at once.
set -euo pipefail

usage() {
  echo "usage: cluster.sh start|stop|env DIR" >&2
  exit 2
}
(($# == 2)) || usage
command=$1
dir=$(realpath -m -- "$2")
conf=$dir/slurm.conf
node=$(hostname -s)

# Set once start has begun starting daemons: a failure then stops those
# already running, so a failed start leaves nothing behind.
stop_on_failure=0
fail() {
  echo "cluster.sh: $*" >&2
  if ((stop_on_failure)); then
    stop_on_failure=0
    stop_cluster
  fi
  exit 1
}

# The pid in DIR/NAME.pid if that process is alive and still one of this
# cluster's daemons (its command line names DIR), so a reused pid is never
# signalled.
daemon_pid() {
  local pid_file=$dir/$1.pid pid
  [[ -s $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$dir/" || return 1
  echo "$pid"
}

# Job steps left when slurmd stops (proctrack/linuxproc does not kill them):
# slurmstepd processes started by this cluster's slurmd, which inherit its
# SLURM_CONF.
cluster_stepds() {
  local pid
  for pid in $(pgrep -x slurmstepd || true); do
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "SLURM_CONF=$conf" && echo "$pid"
  done
  return 0
}

any_alive() {
  local pid
  for pid in "$@"; do
    kill -0 "$pid" 2>/dev/null && return 0
  done
  return 1
}

# Stops the named daemons of this cluster together (each takes about 2 s to
# exit on SIGTERM): SIGTERM, then SIGKILL for any still alive after 15 s.
stop_daemons() {
  local name pid pids=() i
  for name in "$@"; do
    pid=$(daemon_pid "$name") && pids+=("$pid")
    rm -f "$dir/$name.pid"
  done
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    any_alive "${pids[@]}" || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: pid $pid ($*) ignored SIGTERM for 15 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

stop_cluster() {
  local i pids
  # Cancel every job first while the controller and slurmd can still end
  # them gracefully (SIGTERM, KillWait, SIGKILL).
  if daemon_pid slurmctld >/dev/null && daemon_pid slurmd >/dev/null; then
    SLURM_CONF=$conf scancel --quiet --partition=debug 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      [[ -z $(SLURM_CONF=$conf squeue -h -o %i 2>/dev/null) && -z $(cluster_stepds) ]] && break
      sleep 0.1
    done
  fi
  stop_daemons slurmd slurmctld
  pids=$(cluster_stepds)
  if [[ -n $pids ]]; then
    # shellcheck disable=SC2086
    pkill -KILL -P "$(echo $pids | tr ' ' ',')" 2>/dev/null || true
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  stop_daemons munged
}

print_env() {
  echo "export SLURM_CONF=$conf"
}

# Why a daemon could not start: its log's last lines.
log_tail() {
  local log=$1
  if [[ -s $log ]]; then
    echo "--- last lines of $log:"
    tail -n 15 "$log"
  else
    echo "--- $log is empty or missing"
  fi
}

# A free TCP port pair (slurmctld, slurmd) from 6817 on.
free_ports() {
  local port used
  used=$(ss -Htln 2>/dev/null | awk '{n = split($4, a, ":"); print a[n]}')
  for ((port = 6817; port < 6917; port += 2)); do
    if ! grep -qxE "$port|$((port + 1))" <<<"$used"; then
      echo "$port $((port + 1))"
      return 0
    fi
  done
  fail "no free port pair between 6817 and 6917 for slurmctld and slurmd"
}

start_cluster() {
  local setup_hint="install them as root: sudo bash .ci/setup --no-build"
  [[ $(id -u) -eq 0 ]] ||
    fail "a test cluster needs root (slurmd starts jobs as their users, munged and slurmctld run as root here);" \
      "run ctest as root (CI does), or configure with -DLUTRA_SLURM_TESTS=OFF to leave out the Slurm tests"
  [[ $dir != *[[:space:]]* ]] || fail "'$dir' contains a space, which slurm.conf's paths cannot hold; choose another directory"
  local missing=() program
  for program in munged mungekey munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel sacct ss; do
    command -v "$program" >/dev/null || missing+=("$program")
  done
  ((${#missing[@]} == 0)) || fail "missing ${missing[*]} (Debian packages munge slurmctld slurmd slurm-client); $setup_hint"

  # A fresh cluster every time: a leftover one in DIR (a test run that was
  # killed before its cleanup) is stopped and its state removed. Only a
  # directory this script made is emptied.
  if [[ -e $dir ]]; then
    [[ -d $dir ]] || fail "$dir exists and is not a directory"
    if [[ -n $(ls -A "$dir") && ! -f $dir/.lutra-slurm-cluster ]]; then
      fail "$dir is not empty and was not made by cluster.sh; refusing to empty it (choose another directory)"
    fi
    stop_cluster
    find "$dir" -mindepth 1 -delete
  fi
  mkdir -p "$dir"
  # munged wants its socket's directory searchable by all (clients of any
  # user) and writable by its owner alone.
  chmod 755 "$dir"
  touch "$dir/.lutra-slurm-cluster"
  stop_on_failure=1

  # munge: its own key, socket, pid, log and seed files, all in DIR.
  mungekey --create --keyfile="$dir/munge.key" 2>"$dir/mungekey.log" ||
    fail "mungekey could not create $dir/munge.key: $(<"$dir/mungekey.log")"
  chmod 600 "$dir/munge.key"
  if ! munged --socket="$dir/munge.socket" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" 2>"$dir/munged.stderr"; then
    fail "munged did not start: $(cat "$dir/munged.stderr")"$'\n'"$(log_tail "$dir/munged.log")"
  fi
  if ! munge --socket="$dir/munge.socket" --no-input 2>"$dir/munge-check.log" |
    unmunge --socket="$dir/munge.socket" >/dev/null 2>>"$dir/munge-check.log"; then
    fail "munged runs but a credential does not round-trip: $(<"$dir/munge-check.log")"$'\n'"$(log_tail "$dir/munged.log")"
  fi

  # The node as slurmd itself sees it (CPUs, sockets, cores, RealMemory), so
  # slurmd registers without "node configuration differs from hardware".
  local hardware ports controller_port node_port
  hardware=$(slurmd -C | head -n 1)
  [[ $hardware == NodeName=* ]] || fail "slurmd -C printed '$hardware', not a node line"
  hardware=${hardware#NodeName=* }
  read -r controller_port node_port <<<"$(free_ports)"

  mkdir -p "$dir/state" "$dir/spool"
  : >"$dir/plugstack.conf"
  cat >"$conf" <<EOF
# Written by tests/slurm/cluster.sh: a one-node test cluster living in $dir.
ClusterName=lutra-test
# The node by name with its address given, so no DNS lookup is needed.
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$controller_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
# munge through this cluster's own munged; clients read the socket from here.
# cred_expire is also how long a requeued job waits before it may start
# again (default 120 s); 5 s keeps the requeue tests short.
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket,cred_expire=5
# Every file the daemons write, in DIR.
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
# Not the host's /etc/slurm/plugstack.conf(.d): no SPANK plugins.
PlugStackConfig=$dir/plugstack.conf
MailProg=/bin/true
# No cgroups (containers without systemd): processes tracked by parentage,
# tasks not bound to CPUs, no accounting gathered, no database.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# One line per ended task (requeues too: JobState=PENDING), for tests and
# for reading after a failure.
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
MpiDefault=none
SwitchType=switch/none
# Pending jobs are looked at every second (backfill) and every 5 s (main
# loop), not every 30 and 60 s: a requeued task starts within about a second
# of becoming eligible.
SchedulerParameters=bf_interval=1,sched_interval=5
# One core per task, so two one-CPU array tasks run at once on two cores.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Finished jobs stay in \`scontrol show job\` for an hour (sacct has no
# database here); SIGKILL 10 s after SIGTERM at a time limit or scancel.
MinJobAge=3600
KillWait=10
# The node is back in service whenever slurmd registers.
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

  # -s: the daemons' working directories (core files) are in DIR too.
  # SLURM_CONF in slurmd's environment is inherited by its slurmstepds, which
  # is how stop finds steps left behind.
  export SLURM_CONF=$conf
  slurmctld -s -f "$conf" 2>"$dir/slurmctld.stderr" ||
    fail "slurmctld did not start: $(cat "$dir/slurmctld.stderr")"$'\n'"$(log_tail "$dir/slurmctld.log")"
  slurmd -s -f "$conf" 2>"$dir/slurmd.stderr" ||
    fail "slurmd did not start: $(cat "$dir/slurmd.stderr")"$'\n'"$(log_tail "$dir/slurmd.log")"

  local i state=""
  for ((i = 0; i < 600; i++)); do
    state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [[ $state == idle ]] && break
    local name
    for name in slurmctld slurmd munged; do
      if ((i > 10)) && ! daemon_pid "$name" >/dev/null; then
        fail "$name stopped while the cluster was starting"$'\n'"$(log_tail "$dir/$name.log")"
      fi
    done
    sleep 0.1
  done
  if [[ $state != idle ]]; then
    fail "node $node is '${state:-unknown}', not idle, 60 s after start; daemons stopped"$'\n'"$(log_tail "$dir/slurmctld.log"; log_tail "$dir/slurmd.log")"
  fi
  print_env
}

case "$command" in
  start) start_cluster ;;
  stop) [[ -d $dir ]] && stop_cluster; exit 0 ;;
  env) [[ -f $conf ]] || fail "no cluster in $dir (cluster.sh start $dir)"; print_env ;;
  *) usage ;;
esac
