#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what building and testing needs on a Debian 12 host.  Idempotent and
# quick when everything is already there: dpkg-query decides, and apt-get runs
# (with one 'apt-get update') only for what is missing.
#
# Run as root (or with sudo available).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

TOOLS=(
	make build-essential git
	qemu-system-x86 busybox-static cpio gzip xz-utils
	sparse bc flex bison libelf-dev libssl-dev kmod perl
)

SUDO=
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi

is_installed() {
	# "pkg" or "pkg=version"
	local pkg=${1%%=*} want=
	[[ $1 == *=* ]] && want=${1#*=}
	local line
	line=$(dpkg-query -W -f='${Status} ${Version}\n' "$pkg" 2>/dev/null) || return 1
	set -- $line
	[ "$1 $2 $3" = "install ok installed" ] || return 1
	[ -z "$want" ] || [ "$4" = "$want" ]
}

missing=()
for p in "${TOOLS[@]}"; do
	is_installed "$p" || missing+=("$p")
done

updated=0
apt_update() {
	if [ "$updated" = 0 ]; then
		echo "setup-host: apt-get update" >&2
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		updated=1
	fi
}

# Resolve the kernel: first without touching apt's lists (fast, and works
# offline when the packages are installed), then after an update.
if ! kinfo=$("$here/kver.sh" 2>/dev/null); then
	apt_update
	kinfo=$("$here/kver.sh")
fi
eval "$kinfo"

for p in "$IMAGE_PKG" "$HEADERS_PKG" "$SRC_PKG=$SRC_VERSION"; do
	is_installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	echo "setup-host: installing ${missing[*]}" >&2
	$SUDO env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Final check, so a half-failed install is reported here and not as an
# obscure build error later.
for f in "/boot/vmlinuz-$KVER" "/lib/modules/$KVER/build/Makefile" "$SRC_TARBALL"; do
	if [ ! -e "$f" ]; then
		echo "setup-host: $f is missing after installing packages" >&2
		exit 1
	fi
done
