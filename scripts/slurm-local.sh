#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, to try `--executor slurm` (and what CI
# tests it against):
#   sudo scripts/slurm-local.sh up       install (Debian/Ubuntu) if missing, configure, start
#   sudo scripts/slurm-local.sh down     stop the daemons
#   scripts/slurm-local.sh status        what sinfo says
# The cluster: munge for authentication, slurmctld and slurmd as root on this host, one
# node with every core and 90 % of the memory, one partition `local` (default, 24 h time
# limit, enforced at submission), no accounting (`sacct` has none: rewardsmith reads its
# tasks' exit records instead), process tracking by /proc (no cgroups needed).
# Its config is /etc/slurm/slurm.conf, which it refuses to overwrite unless an earlier
# `up` wrote it; its state and logs are in $SLURM_LOCAL_STATE (/var/lib/rewardsmith-slurm).
set -euo pipefail

STATE="${SLURM_LOCAL_STATE:-/var/lib/rewardsmith-slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# written by rewardsmith scripts/slurm-local.sh"
HOST="$(hostname -s)"

die() { echo "slurm-local: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root: sudo $0 $1"; }

install_packages() {
    command -v slurmctld >/dev/null && command -v munged >/dev/null && return
    command -v apt-get >/dev/null || die "slurmctld/munged missing and no apt-get: install Slurm and munge yourself"
    echo "installing slurm-wlm and munge"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge
}

start_munge() {
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge && chown munge:munge /run/munge
    if ! pgrep -x munged >/dev/null; then
        runuser -u munge -- /usr/sbin/munged
    fi
    munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"
}

write_conf() {
    if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
        die "$CONF exists and was not written by this script; not touching a real cluster's config"
    fi
    local mem_mb
    mem_mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d"
    cat > "$CONF" <<EOF
$MARK
ClusterName=rewardsmith
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
EnforcePartLimits=ALL
ReturnToService=2
NodeName=$HOST CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=24:00:00 State=UP
EOF
}

up() {
    need_root up
    install_packages
    start_munge
    write_conf
    pgrep -x slurmctld >/dev/null || slurmctld
    pgrep -x slurmd >/dev/null || slurmd
    for _ in $(seq 60); do
        state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
        case "$state" in
            idle*|mixed*|allocated*) echo "slurm-local: up ($HOST, $(nproc) CPUs, partition local)"; return ;;
            down*|drain*) scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
        esac
        sleep 0.5
    done
    die "the node did not come up (state '${state:-none}'); see $STATE/slurmctld.log and $STATE/slurmd.log"
}

down() {
    need_root down
    scontrol shutdown 2>/dev/null || true
    for _ in $(seq 20); do
        pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || { echo "slurm-local: down"; return; }
        sleep 0.5
    done
    pkill -x slurmd || true
    pkill -x slurmctld || true
    echo "slurm-local: down"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) sinfo ;;
    *) die "usage: $0 up|down|status" ;;
esac
