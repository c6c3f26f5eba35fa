#!/usr/bin/env bash
# Configures and starts a single-node Slurm (Debian slurm-wlm + munge) on this machine, bound to loopback only,
# for the Slurm executor test. Needs root. Idempotent: an already running cluster is left as is.
# Usage: tests/slurm/start-local-slurm.sh [--install]   (--install: apt-get install -y slurm-wlm munge first)
set -euo pipefail
if [ "${1:-}" = "--install" ] && ! command -v slurmctld >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
command -v slurmctld >/dev/null || { echo "slurm-wlm is not installed (apt-get install -y slurm-wlm munge)"; exit 1; }
if scontrol ping 2>/dev/null | grep -q UP && sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|alloc"; then echo "slurm already up"; exit 0; fi

host=$(hostname -s)
conf_dir=/etc/slurm
mkdir -p "$conf_dir" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge

# munge: a key, then the daemon as its own user (it refuses root).
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then runuser -u munge -- /usr/sbin/munged; fi

# The node line from slurmd -C: the machine's real CPUs, sockets, cores and memory (a mismatch would drain the node).
node=$(slurmd -C | head -1 | sed -E "s/^NodeName=\S+/NodeName=$host/")
mem=$(echo "$node" | grep -oE 'RealMemory=[0-9]+' | cut -d= -f2)
node=$(echo "$node" | sed -E "s/RealMemory=[0-9]+/RealMemory=$((mem * 9 / 10))/")
cat > "$conf_dir/slurm.conf" <<CONF
ClusterName=tunesharp
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
echo "$node"

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for i in $(seq 1 30); do
  if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|alloc"; then echo "slurm up: $(sinfo -h -o '%P %T %c CPUs %m MB')"; exit 0; fi
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 1
done
echo "slurm did not come up; see /var/log/slurm/*.log"; tail -5 /var/log/slurm/*.log; exit 1
