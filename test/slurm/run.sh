#!/usr/bin/env bash
# npm run test:slurm: a real one-node Slurm cluster on this machine (Debian's slurm-wlm and munge),
# private to this run, then the Slurm sweep tests against it: the CLI's (test/slurm/sweep.test.ts) and
# VS Code's (test/vscode/suite/slurm.test.ts in code-server, through test/vscode/run.mjs --slurm).
#
# Everything lives in a temporary folder: a munge key and socket, slurm.conf (the node as `slurmd -C`
# sees it, on 127.0.0.1, free ports), the controller's state, slurmd's spool and the logs. The
# daemons (munged, slurmctld, slurmd) run as root, found through SLURM_CONF only: /etc/slurm and a
# Slurm already installed on the machine are not touched. They are stopped at the end, also on
# failure (trap). DEN_SLURM_KEEP=1 keeps the folder (its logs) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

for command in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
  if ! command -v "$command" >/dev/null; then
    echo "test:slurm: $command is not installed; on Debian: apt-get install slurm-wlm munge" >&2
    exit 1
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "test:slurm: the Slurm daemons need root (slurmd starts the jobs); run it as root, as .ci/run does" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/den-slurm.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
export SLURM_CONF="$dir/slurm.conf"

stop() {
  local status=$?
  set +e
  if [ -f "$dir/slurmctld.pid" ]; then
    # Jobs a failed test left behind end first, so that no den-lab process outlives the cluster.
    scancel --user="$(id -un)" 2>/dev/null
    for _ in $(seq 1 60); do
      [ -z "$(squeue --noheader 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for daemon in slurmd slurmctld munge/munged; do
    local pidfile="$dir/$daemon.pid"
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  if [ "$status" != 0 ]; then
    for log in "$dir"/log/*.log "$dir/munge/munged.log"; do
      [ -f "$log" ] && { echo "== $log (last lines)"; tail -n 25 "$log"; }
    done
  fi
  if [ "${DEN_SLURM_KEEP:-}" = 1 ]; then echo "test:slurm: kept $dir"; else rm -rf "$dir"; fi
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

# munge: a fresh key, its own socket, log, pid and seed files (--force: as root).
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$dir/munge/munge.key"
chmod 755 "$dir/munge"
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" --log-file="$dir/munge/munged.log" \
  --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed"

# Two free ports, for slurmctld and slurmd (both servers open at once, so they differ).
read -r ctld_port slurmd_port < <(node -e "
  const net = require('net');
  const a = net.createServer().listen(0, '127.0.0.1', () => {
    const b = net.createServer().listen(0, '127.0.0.1', () => { console.log(a.address().port, b.address().port); a.close(); b.close(); });
  });")
node_line=$(slurmd -C | head -n 1) # NodeName=<host> CPUs=… Boards=… SocketsPerBoard=… CoresPerSocket=… ThreadsPerCore=… RealMemory=…
node_name=$(sed -E 's/^NodeName=([^ ]+).*/\1/' <<<"$node_line")
cat >"$SLURM_CONF" <<EOF
# A one-node cluster for npm run test:slurm, written by test/slurm/run.sh.
ClusterName=denlab-test
SlurmctldHost=$node_name(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# A container without cgroups: processes are tracked by their parents, no CPU binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Look at the queue every 5 s rather than every 60 (main loop) and 30 (backfill): requeued tasks start sooner.
SchedulerParameters=sched_interval=5,bf_interval=5
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=10
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$node_name Default=YES MaxTime=INFINITE State=UP
EOF

started=$(date +%s)
slurmctld
slurmd
for _ in $(seq 1 120); do
  state=$(sinfo --noheader --nodes="$node_name" --format=%T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
if [ "$state" != idle ]; then
  echo "test:slurm: node $node_name is '${state:-unknown}' after 60 s, not idle" >&2
  exit 1
fi
echo "test:slurm: one-node cluster up in $(($(date +%s) - started)) s: $node_line"
sinfo

npm run build --silent
DEN_SLURM_NODE="$node_name" npx mocha --timeout 600000 'test/slurm/**/*.test.ts'
# The same cluster from VS Code: the sweep command's Slurm steps and Cancel Sweep, in code-server's
# extension host (which inherits SLURM_CONF). code-server is installed as npm run test:vscode does.
bash scripts/install-code-server.sh
node test/vscode/run.mjs --slurm
