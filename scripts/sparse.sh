#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run sparse (C=2: check every source, built or not) over the modules and
# fail on any sparse warning or error in our files.
#
# usage: scripts/sparse.sh KDIR

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kdir=${1:?usage: $0 KDIR}
log=$top/build/sparse.log
mkdir -p "$top/build"

command -v sparse >/dev/null || { echo "sparse not installed (scripts/setup-host.sh)"; exit 1; }
echo "  SPARSE  C=2 against $kdir"
if ! make -C "$kdir" M="$top" C=2 W=1 modules >"$log" 2>&1; then
	tail -n 40 "$log"
	echo "FAIL    sparse build failed (full log: $log)"
	exit 1
fi
# Sparse names files by the path kbuild gave it: ours are under $top.
bad=$(grep -E '(warning|error):' "$log" | grep -F "$top/" || true)
if [ -n "$bad" ]; then
	echo "$bad" | head -n 80
	echo "FAIL    sparse: $(echo "$bad" | wc -l) report(s) in our files (full log: $log)"
	exit 1
fi
echo "          sparse clean ($(grep -c '  CHECK ' "$log" || true) files checked)"
