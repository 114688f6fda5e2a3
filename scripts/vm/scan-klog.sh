#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scan the guest kernel log (ttyS1) for reports that fail a run even when
# every test passed: WARN, BUG, oops, KASAN, UBSAN, lockdep, kmemleak, hung
# tasks, RCU stalls, list/refcount corruption.  Only the part from the
# moment our modules load counts (boot noise of the kernel is not ours); a
# log without that marker is scanned whole.  Prints each report with context
# and exits 1 if there is any.
#
# usage: scripts/vm/scan-klog.sh KERNEL_LOG

set -euo pipefail

log=${1:?usage: $0 KERNEL_LOG}

PATTERNS='WARNING:|BUG:|\] BUG |Oops|general protection fault|Kernel panic|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|lockdep|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|kmemleak-report|new suspected memory leaks|unreferenced object|Call Trace|INFO: task .* blocked|rcu: INFO|rcu_sched self-detected stall|soft lockup|hard LOCKUP|refcount_t:|list_add corruption|list_del corruption|slab-out-of-bounds|use-after-free|double-free|Unable to handle kernel|kernel BUG at'

start=$(grep -n 'iommufd-vm: loading modules' "$log" | head -n 1 | cut -d: -f1)
start=${start:-1}

hits=$(tail -n "+$start" "$log" | grep -nE "$PATTERNS" || true)
if [ -z "$hits" ]; then
	echo "kernel log: clean (no WARN/BUG/oops/KASAN/UBSAN/lockdep/kmemleak reports after module load)"
	exit 0
fi

n=$(echo "$hits" | wc -l)
echo "FAIL    kernel log: $n suspicious line(s) after module load; first report:"
first=$(echo "$hits" | head -n 1 | cut -d: -f1)
first=$((first + start - 1))
from=$((first > 5 ? first - 5 : 1))
sed -n "${from},$((first + 60))p" "$log" | sed 's/^/    | /'
if [ "$n" -gt 1 ]; then
	echo "    all matching lines:"
	echo "$hits" | cut -d: -f2- | head -n 40 | sed 's/^/    > /'
fi
exit 1
