# SPDX-License-Identifier: GPL-2.0-only
#
# Out-of-tree iommufd.  The kernel module itself is built by kbuild from
# ./Kbuild; this file drives everything around it: host setup, the module
# build against the VM kernel's headers, static checks, the test binaries and
# the QEMU runs.  See README.md.
#
#   make modules [KDIR=<kernel build dir>]   build the .ko files in the tree
#   make demo        boot the VM, load the modules, run samples/iommufd/vmm_flow
#                    and (when built) sim_vmm on a simulated SMMUv3/VT-d
#   make check       W=1 + sparse + checkpatch, then every suite in the VM
#   make bench       the benchmark in the VM (instruction-counted clock);
#                    BENCH_ARGS="-t 2 -n 5" passes options to it
#   make bench-compare  the same against Linux 6.12's own iommufd, one VM
#                    boot, alternating rounds, ours/upstream ratios
#   make bench-sim   simulated DMA and map/unmap through iommusim domains
#                    (icount VM); BENCH_ARGS as for 'bench'
#   make clean

# Plain 'make' means 'make modules'.
.DEFAULT_GOAL := modules

# The steps share one tree (kbuild writes next to the sources): run them in
# order even under -j.
.NOTPARALLEL:

B	:= $(CURDIR)/build

# The kernel version comes from one place (scripts/kver.sh); resolved once,
# and only when a recipe needs it.
KVER	?= $(eval KVER := $(shell $(CURDIR)/scripts/kver.sh --kver))$(KVER)
KDIR	?= /lib/modules/$(KVER)/build
export KVER

# Loaded in this order (iommusim.ko uses iommufd_core.ko's exports),
# unloaded in reverse.
MODULES	:= drivers/iommu/iommufd/iommufd_core.ko \
	   drivers/iommu/iommusim/iommusim.ko

SELFTESTS := tools/testing/selftests/iommu
TESTS_MAKE = $(MAKE) -s --no-print-directory -C $(SELFTESTS) TOP=$(CURDIR) B=$(B) OUT=$(B)/tests

SAMPLE_SRCS := $(wildcard samples/iommufd/*.c)
SAMPLES	:= $(patsubst samples/iommufd/%.c,$(B)/samples/%,$(SAMPLE_SRCS))

VM	:= scripts/vm/run

.PHONY: setup src modules modules-strict sparse checkpatch tests samples \
	demo check check-stock check-debug bench bench-compare bench-sim clean

setup:
	@scripts/setup-host.sh

# Upstream pieces (headers, harness, selftests, checkpatch) from the
# linux-source tarball into $(B); a stamp inside makes reruns cheap.
src:
	@scripts/extract-src.sh $(B)

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# Like 'modules', but from clean so every warning shows, and any warning
# (compiler or modpost) fails.
modules-strict:
	@scripts/build-strict.sh $(KDIR)

sparse:
	@scripts/sparse.sh $(KDIR)

checkpatch: src
	@scripts/checkpatch.sh $(B)/linux/scripts/checkpatch.pl

tests: src
	@$(TESTS_MAKE) all

samples: src $(SAMPLES)

$(B)/samples/%: samples/iommufd/%.c src
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -O2 -g -Wall -isystem $(B)/uapi/include -isystem $(B)/linux/usr/include \
		-I$(CURDIR)/drivers/iommu/iommufd -static -pthread -o $@ $<

# The main job: a VM boots the stock kernel, loads the modules and runs the
# VMM-style samples, printing what they do: vmm_flow on the core's mock
# device, then sim_vmm on simulated SMMUv3/VT-d hardware (once written).
demo: setup
	@$(MAKE) --no-print-directory modules src samples >$(B)/demo-build.log 2>&1 || \
		{ cat $(B)/demo-build.log; exit 1; }
	@test -x $(B)/samples/vmm_flow || { echo "demo: samples/iommufd/vmm_flow.c not built"; exit 1; }
	@$(VM) --name demo --echo --kernel /boot/vmlinuz-$(KVER) \
		--modules "$(MODULES)" $(B)/samples/vmm_flow \
		$$(test -x $(B)/samples/sim_vmm && echo $(B)/samples/sim_vmm)

# Every test: static checks, then the suites on the stock kernel, then (when
# scripts/debug-kernel/ provides one) the same suites on the debug kernel.
check: setup
	@t0=$$(date +%s); rc=0; \
	$(MAKE) --no-print-directory check-stock || rc=1; \
	$(MAKE) --no-print-directory check-debug || rc=1; \
	echo "check: $$([ $$rc = 0 ] && echo PASSED || echo FAILED)" \
		"($$(( $$(date +%s) - t0 ))s in all)"; \
	exit $$rc

# Each step runs even when an earlier one failed (a checkpatch finding
# should not hide a test failure); the verdict comes at the end.
check-stock:
	@failed=; \
	for step in modules-strict sparse checkpatch tests; do \
		$(MAKE) --no-print-directory $$step || failed="$$failed $$step"; \
	done; \
	$(VM) --name check --lane stock --timeout $${VM_TIMEOUT:-480} \
		--kernel /boot/vmlinuz-$(KVER) --modules "$(MODULES)" \
		--xfail $(SELFTESTS)/upstream-xfail.txt \
		$$($(TESTS_MAKE) -s list) || failed="$$failed vm-tests"; \
	if [ -n "$$failed" ]; then echo "check (stock lane): FAILED:$$failed"; exit 1; fi; \
	echo "check (stock lane): all steps passed"

check-debug: tests
	@MODULES="$(MODULES)" scripts/debug-lane.sh $$($(TESTS_MAKE) -s list-debug)

bench: setup
	@$(MAKE) --no-print-directory modules src >/dev/null
	@$(TESTS_MAKE) bench
	@$(VM) --name bench --echo --icount --kernel /boot/vmlinuz-$(KVER) \
		--modules "$(MODULES)" --args "$(BENCH_ARGS)" $(B)/tests/iommufd_bench

bench-compare: setup
	@scripts/bench-compare.sh

bench-sim: setup
	@$(MAKE) --no-print-directory modules src >/dev/null
	@$(TESTS_MAKE) bench-sim
	@$(VM) --name bench-sim --echo --icount --kernel /boot/vmlinuz-$(KVER) \
		--modules "$(MODULES)" --args "$(BENCH_ARGS)" \
		$(B)/tests/iommusim_bench

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)
