#!/usr/bin/env bash
# The test cluster works end to end (ctest's slurm_smoke, on the fixture
# slurm_cluster; SLURM_CONF comes from ctest): a 2-task job array is
# submitted, both tasks write their index to a file, on a node with two or
# more CPUs they run at the same time (each waits for the other's file), and
# afterwards both are COMPLETED and the queue is empty.
#
#   smoke.sh OUT_DIR
set -euo pipefail
(($# == 1)) || { echo "usage: smoke.sh OUT_DIR" >&2; exit 2; }
out=$1
[[ -n ${SLURM_CONF:-} ]] || { echo "smoke.sh: SLURM_CONF is not set (the fixture slurm_cluster sets it)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")

fail() {
  echo "smoke.sh: $*" >&2
  squeue -r >&2 || true
  [[ -n ${job:-} ]] && scancel "$job" 2>/dev/null
  exit 1
}

cpus=$(sinfo -h -o %c | head -n 1)
together=0
((cpus >= 2)) && together=1
# Each task writes its index; with two CPUs it then waits (at most 30 s) for
# the other task's file, which only a task running at the same time writes.
# A script of its own: sbatch --wrap runs /bin/sh, which has no [[ or ((.
cat >"$out/task.sh" <<SCRIPT
#!/bin/bash
echo \$SLURM_ARRAY_TASK_ID > $out/task-\$SLURM_ARRAY_TASK_ID
other=$out/task-\$((1 - SLURM_ARRAY_TASK_ID))
if (($together)); then
  for i in \$(seq 300); do [[ -e \$other ]] && exit 0; sleep 0.1; done
  echo "task \$SLURM_ARRAY_TASK_ID: the other task did not run at the same time" >&2
  exit 1
fi
SCRIPT
job=$(sbatch --parsable --array=0-1 --job-name=lutra-smoke --output="$out/%A_%a.out" "$out/task.sh") ||
  fail "sbatch failed"
job=${job%%;*}

for ((i = 0; i < 600; i++)); do
  [[ -z $(squeue -h -j "$job" -o %i 2>/dev/null) ]] && break
  sleep 0.1
done
[[ -z $(squeue -h -j "$job" -o %i) ]] || fail "job array $job still queued after 60 s"
for task in 0 1; do
  [[ $(cat "$out/task-$task" 2>/dev/null) == "$task" ]] || fail "task $task did not write $out/task-$task"
  state=$(scontrol show job -o "${job}_$task" | grep -o 'JobState=[A-Z_]*')
  [[ $state == JobState=COMPLETED ]] ||
    fail "task ${job}_$task ended $state: $(cat "$out/${job}_$task.out" 2>/dev/null)"
done
[[ -z $(squeue -h) ]] || fail "the queue is not empty after the job array ended"
echo "slurm smoke: job array $job, 2 tasks COMPLETED on $cpus CPUs (together: $together), queue empty"
