#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The one place that decides which Debian 6.12 kernel we build against and
# boot in the VM.  Everything else (setup-host.sh, the Makefile, the VM
# runner) asks this script.
#
# Preferred: 6.12.117+deb12-cloud-amd64 with linux-source-6.12 6.12.117-1~deb12u1.
# Fallback, when apt no longer offers that exact version: the newest
# 6.12.*+deb12-cloud-amd64 image for which the matching headers and a
# linux-source-6.12 of the same upstream version are offered too.
#
# Usage:
#   scripts/kver.sh            print KEY=VALUE lines (shell-sourceable)
#   scripts/kver.sh --kver     print only the KVER
#   scripts/kver.sh --get KEY  print one value (KVER, IMAGE_PKG, HEADERS_PKG,
#                              SRC_PKG, SRC_VERSION, SRC_TARBALL)
#
# The environment may force a choice: KVER=... (and optionally SRC_VERSION=...).

set -euo pipefail

PREF_KVER=6.12.117+deb12-cloud-amd64
PREF_SRC_VERSION=6.12.117-1~deb12u1
FLAVOUR=+deb12-cloud-amd64
SRC_PKG=linux-source-6.12
SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz

image_pkg() { echo "linux-image-$1-unsigned"; }
headers_pkg() { echo "linux-headers-$1"; }

# Installed version of a package, empty if not installed.
installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "install" && $3 == "installed" { print $4 }'
}

# All versions apt offers for a package (installed or from a repository).
offered_versions() {
	apt-cache madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'
}

# "6.12.117-1~deb12u1" -> "6.12.117"
upstream_of() { echo "${1%%-*}"; }

# Is the (kver, source version) pair usable: installed, or offered by apt?
have_or_offered() {
	local pkg=$1 want=${2:-}
	local v
	v=$(installed_version "$pkg")
	if [ -n "$v" ] && { [ -z "$want" ] || [ "$v" = "$want" ]; }; then
		return 0
	fi
	v=$(offered_versions "$pkg")
	[ -n "$v" ] || return 1
	[ -z "$want" ] && return 0
	grep -qxF -- "$want" <<<"$v"
}

# Pick the linux-source-6.12 version to use for an upstream version:
# the installed one if it matches, else the newest offered one that matches.
pick_src_version() {
	local up=$1 v
	v=$(installed_version "$SRC_PKG")
	if [ -n "$v" ] && [ "$(upstream_of "$v")" = "$up" ]; then
		echo "$v"
		return 0
	fi
	offered_versions "$SRC_PKG" | while read -r v; do
		[ "$(upstream_of "$v")" = "$up" ] && echo "$v"
	done | sort -V | tail -n 1
}

resolve() {
	local kver src up cand

	if [ -n "${KVER:-}" ]; then
		up=${KVER%%+*}
		src=${SRC_VERSION:-$(pick_src_version "$up")}
		emit "$KVER" "$src"
		return 0
	fi

	# Fast path: the preferred version is there or offered.
	if have_or_offered "$(image_pkg "$PREF_KVER")" &&
	   have_or_offered "$(headers_pkg "$PREF_KVER")" &&
	   have_or_offered "$SRC_PKG" "$PREF_SRC_VERSION"; then
		emit "$PREF_KVER" "$PREF_SRC_VERSION"
		return 0
	fi

	# Fallback: newest 6.12.N cloud image with headers and same-N source.
	for cand in $( { apt-cache pkgnames linux-image-6.12. 2>/dev/null
			 dpkg-query -W -f='${Package}\n' 'linux-image-6.12.*' 2>/dev/null; } |
		       sed -n "s/^linux-image-\(6\.12\.[0-9]*$FLAVOUR\)-unsigned\$/\1/p" |
		       sort -u -V -r); do
		have_or_offered "$(image_pkg "$cand")" || continue
		have_or_offered "$(headers_pkg "$cand")" || continue
		up=${cand%%+*}
		src=$(pick_src_version "$up")
		[ -n "$src" ] || continue
		emit "$cand" "$src"
		return 0
	done

	echo "kver.sh: no usable 6.12.*$FLAVOUR kernel (image + headers +" \
	     "$SRC_PKG of the same version) installed or offered by apt;" \
	     "run 'apt-get update' and retry" >&2
	return 1
}

emit() {
	R_KVER=$1
	R_SRC=$2
}

resolve

case "${1:-}" in
--kver)
	echo "$R_KVER"
	;;
--get)
	case "${2:-}" in
	KVER)        echo "$R_KVER" ;;
	IMAGE_PKG)   image_pkg "$R_KVER" ;;
	HEADERS_PKG) headers_pkg "$R_KVER" ;;
	SRC_PKG)     echo "$SRC_PKG" ;;
	SRC_VERSION) echo "$R_SRC" ;;
	SRC_TARBALL) echo "$SRC_TARBALL" ;;
	*) echo "kver.sh: unknown key '${2:-}'" >&2; exit 2 ;;
	esac
	;;
"")
	echo "KVER=$R_KVER"
	echo "IMAGE_PKG=$(image_pkg "$R_KVER")"
	echo "HEADERS_PKG=$(headers_pkg "$R_KVER")"
	echo "SRC_PKG=$SRC_PKG"
	echo "SRC_VERSION=$R_SRC"
	echo "SRC_TARBALL=$SRC_TARBALL"
	;;
*)
	echo "usage: $0 [--kver | --get KEY]" >&2
	exit 2
	;;
esac
