#!/usr/bin/env bash
# A one-node SLURM cluster on localhost, for the sweep integration tests (tests/sweeps).
#
#   tools/slurm_local.sh start [DIR]   install slurm-wlm + munge if missing (Debian, root), start
#                                      munged, slurmctld and slurmd with DIR/slurm.conf, wait until
#                                      the node is idle, and print the SLURM_CONF line to export
#   tools/slurm_local.sh stop  [DIR]   stop the daemons started from DIR
#
# DIR defaults to /tmp/physcore-slurm. Starting again while the cluster answers is a no-op.
# Exit status 0: the cluster is up. Otherwise the reason is printed on stderr and the status is
# non-zero; the tests then skip (printing that reason), they never fake a cluster.
set -euo pipefail

action=${1:-start}
DIR=${2:-/tmp/physcore-slurm}
CONF="$DIR/slurm.conf"

fail() { echo "slurm_local: $*" >&2; exit 1; }

stop() {
    for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid"; do
        if [[ -s "$pidfile" ]]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
            rm -f "$pidfile"
        fi
    done
}

if [[ "$action" == stop ]]; then
    stop
    exit 0
fi
[[ "$action" == start ]] || fail "usage: $0 start|stop [DIR]"

if [[ -f "$CONF" ]] && SLURM_CONF="$CONF" timeout 5 scontrol ping 2>/dev/null | grep -q UP; then
    echo "export SLURM_CONF=$CONF"
    exit 0
fi

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null \
    || ! command -v munged >/dev/null; then
    [[ $(id -u) -eq 0 ]] || fail "slurm-wlm/munge not installed and not root to install them"
    command -v apt-get >/dev/null || fail "slurm-wlm/munge not installed and no apt-get"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q slurm-wlm munge; } >"/tmp/slurm_local_apt.log" 2>&1 \
        || fail "apt-get install slurm-wlm munge failed (see /tmp/slurm_local_apt.log)"
fi
[[ $(id -u) -eq 0 ]] || fail "the one-node cluster runs its daemons as root (SlurmUser=root)"

mkdir -p "$DIR/state" "$DIR/spool"
stop

# The daemons must not inherit this shell's open files: started as `flock LOCK tools/slurm_local.sh
# start`, munged would hold LOCK for as long as it runs, and everyone waiting on it would hang.
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [[ $fd -gt 2 ]]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done

# munge: the system daemon with the key installed by the package.
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    [[ -f /etc/munge/munge.key ]] || { mungekey --create 2>/dev/null || create-munge-key -f; }
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null || true
    if id munge >/dev/null 2>&1; then
        runuser -u munge -- munged --force 2>"$DIR/munged.err" || munged --force 2>"$DIR/munged.err" \
            || fail "munged did not start: $(cat "$DIR/munged.err")"
    else
        munged --force 2>"$DIR/munged.err" || fail "munged did not start: $(cat "$DIR/munged.err")"
    fi
    munge -n </dev/null | unmunge >/dev/null 2>&1 || fail "munge does not authenticate"
fi

CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat >"$CONF" <<EOF
ClusterName=physcore-local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SchedulerParameters=sched_interval=1
MessageTimeout=20
MaxArraySize=1001
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF="$CONF"
slurmctld -f "$CONF" || fail "slurmctld did not start: $(tail -5 "$DIR/slurmctld.log" 2>/dev/null)"
slurmd -f "$CONF" -N localhost || fail "slurmd did not start: $(tail -5 "$DIR/slurmd.log" 2>/dev/null)"

for _ in $(seq 60); do
    state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
    if [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]]; then
        echo "export SLURM_CONF=$CONF"
        exit 0
    fi
    sleep 0.5
done
fail "node not idle after 30 s (state '${state:-?}'); logs in $DIR"
