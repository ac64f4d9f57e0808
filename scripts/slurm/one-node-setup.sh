#!/usr/bin/env bash
# A one-node Slurm on this machine, from Debian's packages, for trying the eval job array without a cluster
# (docs/slurm.md). Run as root. It installs slurm-wlm and munge, writes a minimal /etc/slurm/slurm.conf (this host
# as the only node, with its CPU count; one partition "debug"; no accounting, no cgroups) and starts munged,
# slurmctld and slurmd by hand: containers often have no systemd. Run it again to restart the daemons after a reboot.
#   sudo scripts/slurm/one-node-setup.sh            # then: sinfo; sbatch ...
#   sudo scripts/slurm/one-node-setup.sh stop       # stops the three daemons
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "one-node-setup: run as root" >&2; exit 1; }

stop() {
  for p in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
  done
}
if [ "${1:-}" = stop ]; then stop; exit 0; fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge
fi

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))   # MiB, leaving some to the system
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
# one-node Slurm written by ctxbench's scripts/slurm/one-node-setup.sh
ClusterName=ctxbench
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# no cgroups in a container: processes tracked by their parent, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# CPUs (and memory) are scheduled per core: array tasks share the node
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
# no accounting database (sacct has nothing to show): squeue, the jobs' output files and the job completion log do
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# one line per finished job (sacct needs a database; this does not)
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# munge: one key shared by every node (here one), daemon run as the munge user
[ -s /etc/munge/munge.key ] || /usr/sbin/mungekey --create --keyfile /etc/munge/munge.key
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
stop
sleep 1
runuser -u munge -- /usr/sbin/munged
munge -n | unmunge >/dev/null || { echo "one-node-setup: munge does not work" >&2; exit 1; }
slurmctld              # daemonizes, runs as SlurmUser
slurmd                 # daemonizes, runs as root
for _ in $(seq 30); do
  sinfo -h -o %T 2>/dev/null | grep -qx idle && break
  sleep 1
done
sinfo
