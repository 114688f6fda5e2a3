#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark comparison of issue 2 item 10 in one command: in ONE VM boot,
# tools/testing/selftests/iommu/bench/iommufd_bench.c runs against
#   ours      drivers/iommu/iommufd/iommufd_core.ko
#   upstream  Linux's own iommufd of the same kernel source version (6.12.117,
#             selftest included), built out of tree by
#             scripts/bench/build-upstream-module.sh as iommufd_upstream.ko
# in alternating rounds (ours, upstream, ours, upstream, ...; both create
# /dev/iommu, so each is unloaded before the other loads), under QEMU TCG
# with -icount shift=0,sleep=off so that guest time counts executed
# instructions (stable ratios; see README "Benchmark").  Prints every bench
# line of every round, then per figure the median of each side and the ratio
# ours/upstream of the medians.
#
# usage: scripts/bench-compare.sh
# Environment:
#   BENCH_ROUNDS  rounds per side (default 3)
#   BENCH_WARMUP  1 (default): a round 0 first, printed but left out of the
#                 medians (the first runs after boot find unfragmented memory,
#                 which flatters figures that depend on physically contiguous
#                 buffers); 0: none
#   BENCH_ARGS    iommufd_bench options (default "-t 1 -n 3")
#   BENCH_SIDES   the sides and their order within a round (default
#                 "ours upstream"; e.g. "upstream" alone to check one side)
#   BENCH_NAME    run name, files in build/vm/NAME/ (default bench-compare)
#   BENCH_STRICT  1: exit non-zero when ours is worse than upstream by more
#                 than BENCH_TOLERANCE percent (default 2) on any figure
#   VM_TIMEOUT    host-side limit for the VM (default 2400 s)
#   VM_MEM, VM_SMP, KVER as for scripts/vm/run
# Files: build/vm/bench-compare/{console.log,kernel.clean.log,results.txt}
# Exit status: non-zero if a build fails, the VM fails or hangs, a module
# fails to load or unload, a bench run fails, or the kernel log has a
# WARN/BUG/oops/... report (scripts/vm/scan-klog.sh).

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$top/build
rounds=${BENCH_ROUNDS:-3}
warmup=${BENCH_WARMUP:-1}
sides=${BENCH_SIDES:-ours upstream}
name=${BENCH_NAME:-bench-compare}
bench_args=${BENCH_ARGS:--t 1 -n 3}
timeout_s=${VM_TIMEOUT:-2400}

"$top/scripts/setup-host.sh"
eval "$("$top/scripts/kver.sh")"
export KVER
kernel=/boot/vmlinuz-$KVER

# --- build: our module, the bench, upstream's module -----------------------

echo "  BUILD   iommufd_core.ko, iommufd_bench"
log=$B/bench-compare-build.log
mkdir -p "$B"
if ! { make -C "$top" --no-print-directory modules src &&
       make -C "$top/tools/testing/selftests/iommu" --no-print-directory \
		TOP="$top" B="$B" OUT="$B/tests" bench; } >"$log" 2>&1; then
	cat "$log"
	echo "bench-compare: build failed"
	exit 1
fi
ours_ko=$top/drivers/iommu/iommufd/iommufd_core.ko
bench_bin=$B/tests/iommufd_bench
echo "  BUILD   iommufd_upstream.ko (Linux $SRC_VERSION drivers/iommu/iommufd)"
up_ko=$("$top/scripts/bench/build-upstream-module.sh" "$B" | tail -n 1)

for ko in "$ours_ko" "$up_ko"; do
	deps=$(modinfo -F depends "$ko")
	[ -z "$deps" ] || {
		echo "bench-compare: $ko depends on modules ($deps); not supported"
		exit 1
	}
done

# --- initramfs --------------------------------------------------------------

out=$B/vm/$name
root=$out/root
rm -rf "$out"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,modules}
cp /bin/busybox "$root/bin/busybox"
cp "$top/scripts/bench/init" "$root/init"
chmod 755 "$root/init"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
cp "$bench_bin" "$root/bin/iommufd_bench"
cp "$ours_ko" "$root/modules/ours.ko"
cp "$up_ko" "$root/modules/upstream.ko"
modinfo -F name "$ours_ko" >"$root/modules/ours.name"
modinfo -F name "$up_ko" >"$root/modules/upstream.name"
# iommu_bus_notifier() is not exported; the guest looks it up (see
# scripts/bench/build-upstream-module.sh).
echo "core_bus_notifier iommu_bus_notifier" >"$root/modules/upstream.kallsyms"
cat >"$root/etc/bench.conf" <<CONF
ROUNDS=$rounds
WARMUP=$warmup
SIDES='$sides'
BENCH_ARGS='$bench_args'
CONF
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	gzip -1 >"$out/initramfs.cpio.gz"

# --- QEMU (as scripts/vm/run --icount) ---------------------------------------

con=$out/console.log
klog=$out/kernel.log
: >"$con"
: >"$klog"
# shellcheck disable=SC2054 # commas inside QEMU option values
qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max
	-icount shift=0,sleep=off
	-smp "${VM_SMP:-2}" -m "${VM_MEM:-2G}" -nographic -no-reboot -nic none
	-monitor none -serial "file:$con" -serial "file:$klog"
	-kernel "$kernel" -initrd "$out/initramfs.cpio.gz"
	-append "console=ttyS1,115200 rdinit=/init hugepages=128 panic=-1 loglevel=7 printk.time=1")
printf '%q ' "${qemu[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"

echo "  VM      $name: $(basename "$kernel"), $rounds round(s)$([ "$warmup" = 1 ] && echo " + warm-up") of" \
     "${sides// //}, iommufd_bench $bench_args (tcg, icount shift=0,sleep=off)"
t0=$(date +%s)
timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null >"$out/qemu.out" 2>&1 &
qpid=$!
# (\r stripped in awk: tr would block-buffer into the pipe, and the live
# view would only come at the end)
tail -n +1 -F --pid=$qpid "$con" 2>/dev/null | awk '
	{ sub(/\r$/, "") }
	/^### bench-begin / { side = $3; round = $4; next }
	/^### bench-end / { print "  " side " round " round ": " $5; fflush(); next }
	/^### (load|unload)-failed/ { print "  FAIL " substr($0, 5); fflush(); next }
	/^bench / { printf "  %-8s r%s  %s\n", side, round, $0; fflush(); next }
	/^iommufd_bench: / { print "  " side " r" round ": " $0; fflush() }' || true &
tpid=$!
qrc=0
wait $qpid || qrc=$?
wait $tpid 2>/dev/null || true
wall=$(( $(date +%s) - t0 ))
tr -d '\r' <"$con" >"$out/tap.log"
tr -d '\r' <"$klog" >"$out/kernel.clean.log"

# --- verdict -----------------------------------------------------------------

fail=0
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "FAIL: the VM did not finish within ${timeout_s}s; killed"
	fail=1
elif [ "$qrc" != 0 ]; then
	echo "FAIL: qemu exited with status $qrc:"
	tail -n 20 "$out/qemu.out"
	fail=1
fi
grep -q '^### vm-done rc=0' "$out/tap.log" || {
	echo "FAIL: the guest did not complete every round ($(grep -E '^### (load|unload)-failed' "$out/tap.log" | head -n 1))"
	fail=1
}
if grep -E '^### bench-end .* rc=[1-9]' "$out/tap.log"; then
	echo "FAIL: a bench run exited non-zero"
	fail=1
fi
"$top/scripts/vm/scan-klog.sh" "$out/kernel.clean.log" || fail=1

awk -v strict="${BENCH_STRICT:-0}" -v tol="${BENCH_TOLERANCE:-2}" '
function median(side, name,    n, i, j, t, v) {
	n = cnt[side, name]
	for (i = 1; i <= n; i++)
		v[i] = val[side, name, i]
	for (i = 2; i <= n; i++)	# insertion sort, n is small
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	if (n % 2)
		return v[(n + 1) / 2]
	return (v[n / 2] + v[n / 2 + 1]) / 2
}
function spread(side, name,    n, i, lo, hi, x) {
	n = cnt[side, name]
	lo = hi = val[side, name, 1]
	for (i = 2; i <= n; i++) {
		x = val[side, name, i]
		if (x < lo) lo = x
		if (x > hi) hi = x
	}
	return median(side, name) ? 100 * (hi - lo) / median(side, name) : 0
}
/^### bench-begin / { side = $3; round = $4; next }
/^bench / && round > 0 {
	if (!((side, $2) in cnt) && !seen[$2]++)
		order[++nf] = $2
	unit[$2] = $4
	val[side, $2, ++cnt[side, $2]] = $3
}
END {
	printf "\n%-20s %-6s %12s %12s %9s  %-24s %s\n", "figure", "unit",
	       "ours", "upstream", "ours/up", "better", "verdict"
	worse = 0
	for (i = 1; i <= nf; i++) {
		f = order[i]
		if (!cnt["ours", f] || !cnt["upstream", f]) {
			# one side only (BENCH_SIDES): its median, no ratio
			if (cnt["ours", f])
				printf "%-20s %-6s %12.6g %12s\n", f, unit[f], median("ours", f), "-"
			else
				printf "%-20s %-6s %12s %12.6g\n", f, unit[f], "-", median("upstream", f)
			continue
		}
		o = median("ours", f); u = median("upstream", f)
		r = u ? o / u : 0
		lower = (unit[f] ~ /^ns/)
		# "gain" > 1 means ours is better, whatever the direction.
		gain = lower ? (o ? u / o : 0) : r
		if (gain >= 1 + tol / 100)
			v = sprintf("ours better (x%.2f)", gain)
		else if (gain >= 1 - tol / 100)
			v = "par (within " tol "%)"
		else {
			v = sprintf("OURS WORSE (x%.2f)", gain)
			worse++
		}
		printf "%-20s %-6s %12.6g %12.6g %9.3f  %-24s %s\n", f, unit[f],
		       o, u, r, lower ? "lower is better (ns)" : "higher is better (/s)", v
		printf "%-20s %-6s %11.1f%% %11.1f%%   (spread max-min over %d/%d rounds)\n",
		       "", "", spread("ours", f), spread("upstream", f),
		       cnt["ours", f], cnt["upstream", f]
	}
	printf "\nmedians over rounds 1..N (round 0, the warm-up, is left out); ratio = ours/upstream of the medians.\n"
	printf "per-second figures: higher is better, ratio >= 1 means ours is at least as fast;\n"
	printf "ns figures: lower is better, ratio <= 1 means ours is at least as fast.\n"
	if (worse)
		printf "%d figure(s) where ours is worse than upstream by more than %s%%\n", worse, tol
	exit (strict && worse) ? 1 : 0
}' "$out/tap.log" >"$out/results.txt" || {
	fail=1
	echo "BENCH_STRICT: ours is worse than upstream on some figure" >>"$out/results.txt"
}
cat "$out/results.txt"

echo "time: wall ${wall}s (host clock); logs: $out/{tap.log,kernel.clean.log,results.txt}"
[ "$fail" = 0 ] && echo "bench-compare: done" || echo "bench-compare: FAILED"
exit $fail
