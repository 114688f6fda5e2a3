#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The README's entry point on a fresh Debian 12 machine: install what is
# missing (make included, which is why this is not just 'make'), then run
# the given Makefile targets.
#
#   scripts/run.sh demo     boot the VM, load the module, run the VMM sample
#   scripts/run.sh check    every check and test (see README.md)

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$top/scripts/setup-host.sh"
exec make -C "$top" --no-print-directory "${@:-check}"
