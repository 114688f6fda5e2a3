#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the debug test kernel (KASAN, lockdep, kmemleak, UBSAN, fault
# injection, KCOV) from Debian's linux-source tarball of the SAME version as
# the stock kernel the main suite boots, with tinyconfig + config.fragment.
#
# Everything lives outside git.  The result is keyed by the source version
# and a hash of config.fragment, the build recipe revision (RECIPE below) and
# the compiler: while the key matches, a run prints the cached result at
# once, so only the first run pays (7-8 minutes with -j2 on an idle host).
# A new key rebuilds in the same tree, so kbuild recompiles only what the
# change touches (everything when it changes compiler flags).
#
#   $CACHE/src/<source version>/          extracted tarball
#   $CACHE/debug-<source version>/build/  O= tree: bzImage and the tree
#                                         out-of-tree modules build against
#   $CACHE/debug-<source version>/build.log  log of the last build
#   $CACHE/debug-<source version>/env     DEBUG_* variables (see below)
#   $CACHE/debug-<source version>/key     key the tree was last built for
#
# CACHE is $DEBUG_KERNEL_CACHE, else /var/cache/iommufd-debug-kernel if
# writable, else ~/.cache/iommufd-debug-kernel.
#
# Usage:
#   scripts/debug-kernel/build.sh           build if needed; print env on stdout
#   scripts/debug-kernel/build.sh --cached  print env if already built, else
#                                           exit 1 without building
#   scripts/debug-kernel/build.sh --env-file  like the first, but print only
#                                           the path of the env file
#
# The env file (also what stdout gets) is shell-sourceable:
#   DEBUG_KDIR=...        make -C $DEBUG_KDIR M=... modules
#   DEBUG_BZIMAGE=...     qemu -kernel $DEBUG_BZIMAGE
#   DEBUG_KRELEASE=...    uname -r inside the guest
#   DEBUG_SRC=...  DEBUG_SRC_VERSION=...  DEBUG_ENV=...  DEBUG_KEY=...
#
# Progress goes to stderr; on failure the tail of the log is shown.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
frag=$here/config.fragment

mode=build
case "${1:-}" in
"") ;;
--cached) mode=cached ;;
--env-file) mode=envfile ;;
*) echo "usage: $0 [--cached | --env-file]" >&2; exit 2 ;;
esac

# Bump when a change to this script changes what gets built (editing
# comments or messages should not cost a rebuild).
RECIPE=1

say() { echo "debug-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# --- Which kernel source ----------------------------------------------------
SRC_PKG=linux-source-6.12
SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
if [ -x "$top/scripts/kver.sh" ]; then
	eval "$("$top/scripts/kver.sh")"
else
	KVER=${KVER:-6.12.117}
	SRC_VERSION=${SRC_VERSION:-$(dpkg-query -W -f='${Version}' \
		"$SRC_PKG" 2>/dev/null || true)}
fi
UPSTREAM=${KVER%%+*}		# 6.12.117+deb12-cloud-amd64 -> 6.12.117
[ -n "${SRC_VERSION:-}" ] || die "no $SRC_PKG version known (install it)"
[ "${SRC_VERSION%%-*}" = "$UPSTREAM" ] ||
	die "$SRC_PKG $SRC_VERSION does not match the stock kernel $KVER"

# --- Cache location and key ------------------------------------------------
pick_cache() {
	local d
	for d in ${DEBUG_KERNEL_CACHE:-} /var/cache/iommufd-debug-kernel \
		 "${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-debug-kernel"; do
		if mkdir -p "$d" 2>/dev/null && [ -w "$d" ]; then
			echo "$d"
			return
		fi
	done
	die "no writable cache directory"
}
CACHE=$(pick_cache)

# The compiler is part of the key: a kernel and its modules must be built by
# the same one, and a new gcc may change what the config resolves to.
key=$( { cat "$frag"; echo "recipe $RECIPE $SRC_VERSION";
	 ${CC:-gcc} --version | head -n 1; } | sha256sum | cut -c1-12)
safe_src=$(echo "$SRC_VERSION" | tr -c 'A-Za-z0-9.+\n-' '_')
S=$CACHE/src/$safe_src/linux-source-6.12
D=$CACHE/debug-$safe_src
B=$D/build
LOG=$D/build.log
ENV=$D/env

print_result() {
	if [ "$mode" = envfile ]; then
		echo "$ENV"
	else
		cat "$ENV"
	fi
}

is_built() {
	[ -f "$D/key" ] && [ "$(cat "$D/key")" = "$key" ] && [ -f "$ENV" ] &&
		[ -f "$B/arch/x86/boot/bzImage" ]
}

if is_built; then
	say "cached: $D (key $key)"
	print_result
	exit 0
fi
[ "$mode" != cached ] || { say "not built yet ($D)"; exit 1; }

# One builder at a time per cache (parallel 'make' lanes may both ask).
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
	say "another build holds $CACHE/.lock; waiting"
	flock 9
fi
if is_built; then
	say "cached: $D (key $key)"
	print_result
	exit 0
fi

# --- Host tools ----------------------------------------------------------------
need=(build-essential flex bison bc libelf-dev libssl-dev xz-utils)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing+=("$p")
done
want_src="$SRC_PKG=$SRC_VERSION"
have_src=$(dpkg-query -W -f='${Status} ${Version}\n' "$SRC_PKG" 2>/dev/null |
	   awk '$3 == "installed" { print $4 }')
if [ ! -r "$SRC_TARBALL" ] || [ "$have_src" != "$SRC_VERSION" ]; then
	missing+=("$want_src")
fi
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	if ! $SUDO env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq "${missing[@]}" >&2; then
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		$SUDO env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq "${missing[@]}" >&2
	fi
fi

# --- Source tree -----------------------------------------------------------------
stamp=$S/.extracted
want_stamp="$SRC_PKG $SRC_VERSION $(stat -c '%s %Y' "$SRC_TARBALL")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_stamp" ]; then
	say "extracting $SRC_TARBALL ($SRC_VERSION) to $S"
	rm -rf "$S" "$S.tmp"
	mkdir -p "$S.tmp"
	tar -C "$S.tmp" --strip-components=1 -xf "$SRC_TARBALL"
	mv "$S.tmp" "$S"
	echo "$want_stamp" >"$stamp"
fi
src_ver=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' \
	  "$S/Makefile" | paste -sd.)
[ "$src_ver" = "$UPSTREAM" ] ||
	die "$SRC_TARBALL holds Linux $src_ver, the stock kernel is $UPSTREAM"

# --- Configure ---------------------------------------------------------------
mkdir -p "$B"
# Built for no key until this run completes.
rm -f "$D/key"
: >"$LOG"
jobs=$(nproc)
kmake() { make -C "$S" O="$B" "$@" >>"$LOG" 2>&1; }
fail() {
	say "FAILED: $* (full log: $LOG); last lines:"
	tail -n 40 "$LOG" >&2
	exit 1
}

start=$(date +%s)
say "configuring in $B (log: $LOG)"
kmake tinyconfig || fail "make tinyconfig"
(cd "$S" && scripts/kconfig/merge_config.sh -m -O "$B" "$B/.config" "$frag") \
	>>"$LOG" 2>&1 || fail "merge_config.sh"
kmake olddefconfig || fail "make olddefconfig"

# Every assignment of the fragment must hold in the final .config.
bad=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF -- "$line" "$B/.config" || {
			sym=${line%%=*}
			got=$(grep -E "^$sym=|^# $sym is not set" "$B/.config" ||
			      echo "absent")
			bad+=("$line (got: $got)")
		}
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		if grep -qE "^$sym=" "$B/.config"; then
			bad+=("$line (got: $(grep -E "^$sym=" "$B/.config"))")
		fi
		;;
	esac
done <"$frag"
if [ ${#bad[@]} -gt 0 ]; then
	say "config.fragment not honoured by Kconfig:"
	printf '  %s\n' "${bad[@]}" >&2
	exit 1
fi

# --- Build ---------------------------------------------------------------------
# 'all' = vmlinux + bzImage + modules; the modules step writes Module.symvers,
# which modpost needs for out-of-tree modules.
say "building with -j$jobs (takes minutes the first time)"
kmake -j"$jobs" all || fail "make all"
kmake modules_prepare || fail "make modules_prepare"
[ -s "$B/Module.symvers" ] || fail "no Module.symvers"
[ -f "$B/arch/x86/boot/bzImage" ] || fail "no bzImage"
krel=$(make -s -C "$S" O="$B" kernelrelease 2>/dev/null)
end=$(date +%s)

cat >"$ENV" <<EOF
DEBUG_KDIR=$B
DEBUG_BZIMAGE=$B/arch/x86/boot/bzImage
DEBUG_KRELEASE=$krel
DEBUG_SRC=$S
DEBUG_SRC_VERSION=$SRC_VERSION
DEBUG_ENV=$ENV
DEBUG_KEY=$key
EOF
echo "$key" >"$D/key"
say "built $krel in $((end - start)) s: $D"
print_result
