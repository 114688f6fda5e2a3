#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Second lane of 'make check': the same suites on the debug kernel, when
# scripts/debug-kernel/ provides one.  Skipped (with a note) otherwise.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -d "$top/scripts/debug-kernel" ]; then
	echo "  LANE    debug: skipped (scripts/debug-kernel/ not present)"
	exit 0
fi
echo "  LANE    debug: not wired yet"
