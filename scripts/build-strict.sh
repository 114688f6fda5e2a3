#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the modules from clean with W=1 and fail on any warning, from the
# compiler or from modpost.  (An incremental build would hide the warnings
# of objects that are already up to date.)
#
# usage: scripts/build-strict.sh KDIR [MODULE_SRC_DIR [LOG]]
# (MODULE_SRC_DIR defaults to the repo; the debug lane passes a copy.)

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kdir=${1:?usage: $0 KDIR [MODULE_SRC_DIR [LOG]]}
m=${2:-$top}
log=${3:-$top/build/modules-w1.log}
mkdir -p "$(dirname "$log")"

make -s -C "$kdir" M="$m" clean >/dev/null 2>&1 || true
echo "  MODULES W=1 against $kdir"
if ! make -C "$kdir" M="$m" W=1 modules >"$log" 2>&1; then
	grep -E 'error|warning|Error' "$log" | head -n 60 || tail -n 40 "$log"
	echo "FAIL    module build failed (full log: $log)"
	exit 1
fi
if grep -qiE 'warning:' "$log"; then
	grep -iE -A3 'warning:' "$log" | head -n 80
	echo "FAIL    module build has warnings with W=1 (full log: $log)"
	exit 1
fi
echo "          W=1 build clean: $(cd "$m" && find . -name '*.ko' -not -path './build/*' | sort | tr '\n' ' ')"
