#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Second lane of 'make check': the suites again, on the debug kernel that
# scripts/debug-kernel/build.sh builds (KASAN, lockdep, kmemleak, UBSAN,
# fault injection) from the same linux-source version as the stock kernel.
#
# DEBUG_LANE=1     (default) build the debug kernel if needed (~8 min
#                  once), then run: the test command runs both lanes
# DEBUG_LANE=auto  run when the debug kernel is already built and cached;
#                  otherwise say how to get it and skip
# DEBUG_LANE=0     skip
#
# The modules are built from a copy of the sources in build/lane-debug/src,
# so the .ko files for the stock kernel stay in the tree untouched.
# LANE_NAME=NAME uses build/lane-debug-NAME and VM run name check-debug-NAME
# instead, so that several runs at the same time do not share a tree.
#
# usage: scripts/debug-lane.sh SUITE_BINARY...

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dk=$top/scripts/debug-kernel/build.sh
mode=${DEBUG_LANE:-1}

if [ "$mode" = 0 ]; then
	echo "  LANE    debug: skipped (DEBUG_LANE=0)"
	exit 0
fi
if [ ! -x "$dk" ]; then
	echo "  LANE    debug: skipped (no scripts/debug-kernel/build.sh)"
	exit 0
fi
if [ "$mode" = 1 ]; then
	env=$("$dk")
elif ! env=$("$dk" --cached 2>/dev/null); then
	echo "  LANE    debug: skipped (debug kernel not built yet;" \
	     "'DEBUG_LANE=1 make check' (the default) builds it once, ~8 min)"
	exit 0
fi
eval "$env"
: "${DEBUG_KDIR:?}" "${DEBUG_BZIMAGE:?}"

echo "  LANE    debug: $DEBUG_KRELEASE ($DEBUG_BZIMAGE)"

lane=$top/build/lane-debug${LANE_NAME:+-$LANE_NAME}
src=$lane/src
# Fresh copy of what kbuild needs, without the stock build's objects.
rm -rf "$src"
mkdir -p "$src"
(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='*.order' \
	--exclude='Module.symvers' Kbuild drivers include) | tar -C "$src" -xf -

"$top/scripts/build-strict.sh" "$DEBUG_KDIR" "$src" "$lane/modules-w1.log"

mods=()
for m in $MODULES; do
	mods+=("$src/$m")
done

exec "$top/scripts/vm/run" --name "check-debug${LANE_NAME:+-$LANE_NAME}" \
	--lane debug \
	--kernel "$DEBUG_BZIMAGE" --modules "${mods[*]}" \
	--timeout "${VM_TIMEOUT_DEBUG:-1500}" \
	--xfail "$top/tools/testing/selftests/iommu/upstream-xfail.txt" "$@"
