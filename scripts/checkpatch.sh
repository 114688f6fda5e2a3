#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# checkpatch --strict on our own C sources and headers (what git tracks, plus
# new files not yet added; nothing under build/).
#
# usage: scripts/checkpatch.sh PATH/TO/checkpatch.pl

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cp=${1:?usage: $0 CHECKPATCH_PL}
cd "$top"

dirs=(drivers include samples tools/testing/selftests/iommu)
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files -co --exclude-standard -- "${dirs[@]}" | grep -E '\.[ch]$' || true)
else
	files=$(find "${dirs[@]}" -name '*.[ch]' 2>/dev/null || true)
fi
# Keep only files that exist (a deleted-but-tracked file is no finding).
files=$(for f in $files; do [ -f "$f" ] && echo "$f"; done)
[ -n "$files" ] || { echo "          checkpatch: no files"; exit 0; }

echo "  CHKPATCH $(echo "$files" | wc -l) files"
fail=0
for f in $files; do
	if ! out=$(perl "$cp" --no-tree --strict --quiet --terse -f "$f" 2>&1); then
		echo "$out"
		fail=1
	elif [ -n "$out" ]; then
		echo "$out"
		fail=1
	fi
done
if [ "$fail" != 0 ]; then
	echo "FAIL    checkpatch reports (perl $cp --no-tree --strict -f FILE)"
	exit 1
fi
echo "          checkpatch clean"
