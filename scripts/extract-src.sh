#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Take what the build needs from Debian's linux-source tarball, into the build
# directory (never into git):
#   $B/linux/          selftest harness + iommu selftests, checkpatch.pl and
#                      its data files, and the uAPI headers installed by
#                      'make headers' into $B/linux/usr/include (the host's
#                      /usr/include is Linux 6.1 and too old for vfio.h etc.)
#   $B/upstream/       a mirror of the kernel tree's relative layout, so that
#                      Linux's iommufd selftests compile unchanged: their
#                      "../../../../drivers/iommu/iommufd/iommufd_test.h"
#                      lands on a symlink to OUR iommufd_test.h.
# A stamp file records the source version; nothing is redone while it matches.
#
# Usage: scripts/extract-src.sh BUILD_DIR

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
B=${1:?usage: $0 BUILD_DIR}
mkdir -p "$B"
B=$(cd "$B" && pwd)

eval "$("$here/kver.sh")"
stamp=$B/linux/.extracted

# Several make runs may share one build directory: one extracts, the
# others wait for it.
exec 9>"$B/.extract.lock"
flock 9

want="$SRC_PKG $SRC_VERSION"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	if [ ! -r "$SRC_TARBALL" ]; then
		echo "extract-src: $SRC_TARBALL missing; run scripts/setup-host.sh" >&2
		exit 1
	fi
	echo "  EXTRACT $SRC_TARBALL ($SRC_VERSION)"
	rm -rf "$B/linux" "$B/linux.tmp"
	mkdir -p "$B/linux.tmp"
	p=linux-source-6.12
	# Only what the headers, checkpatch and selftests need (~30 MB).
	tar -C "$B/linux.tmp" --strip-components=1 -xf "$SRC_TARBALL" \
		$p/Makefile $p/scripts $p/include/uapi \
		$p/arch/x86/include/uapi $p/arch/x86/entry/syscalls \
		$p/arch/x86/Makefile $p/arch/x86/Makefile_32.cpu \
		$p/arch/x86/tools $p/tools/include \
		$p/tools/testing/selftests/kselftest_harness.h \
		$p/tools/testing/selftests/kselftest.h \
		$p/tools/testing/selftests/iommu
	echo "  HEADERS $B/linux/usr/include"
	if ! make -s -C "$B/linux.tmp" ARCH=x86 headers >"$B/linux.tmp/headers.log" 2>&1; then
		cat "$B/linux.tmp/headers.log" >&2
		exit 1
	fi
	echo "$want" >"$B/linux.tmp/.extracted"
	mv "$B/linux.tmp" "$B/linux"
fi

# The mirror is cheap; rebuild it every time so it follows the repo.
u=$B/upstream
rm -rf "$u"
mkdir -p "$u/tools/testing/selftests/iommu" "$u/drivers/iommu/iommufd"
for f in kselftest_harness.h kselftest.h; do
	ln -s "$B/linux/tools/testing/selftests/$f" "$u/tools/testing/selftests/$f"
done
for f in "$B"/linux/tools/testing/selftests/iommu/*; do
	ln -s "$f" "$u/tools/testing/selftests/iommu/"
done
ln -s "$top/drivers/iommu/iommufd/iommufd_test.h" "$u/drivers/iommu/iommufd/iommufd_test.h"

# Our uAPI headers, run through the kernel's own headers_install.sh (strips
# __user and friends, rejects CONFIG_ leaks) into a directory that comes
# before $B/linux/usr/include on the include path.
o=$B/uapi/include
mkdir -p "$o"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if [ -d "$top/include/uapi" ]; then
	(cd "$top/include/uapi" && find . -name '*.h') | while read -r h; do
		mkdir -p "$(dirname "$o/$h")"
		(cd "$B/linux" && scripts/headers_install.sh \
			"$top/include/uapi/$h" "$tmp")
		# Keep the old file (and its mtime) when nothing changed, so the
		# test binaries are not rebuilt for nothing.
		cmp -s "$tmp" "$o/$h" || cp "$tmp" "$o/$h"
	done
fi
# Drop headers that no longer exist in the repo.
(cd "$o" && find . -name '*.h') | while read -r h; do
	[ -f "$top/include/uapi/$h" ] || rm -f "$o/$h"
done
