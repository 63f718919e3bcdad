# SPDX-License-Identifier: GPL-2.0
#
# Build nvme-mptcp for one kernel:   make [KVER=release]
# The private nvme/nvmet ABI is generated from that kernel's own BTF and the
# API differences are found by compile probes, both into generated/KVER/.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
MODDIR ?= /lib/modules/$(KVER)
# BASE_BTF: vmlinux BTF when neither the headers nor /boot provide it.
PYTHON ?= python3
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
INSTALL_MOD_DIR ?= updates

GEN := $(CURDIR)/generated/$(KVER)
ABI_SPECS := $(wildcard btf-abi/spec/*.abi)
ABI_HEADERS := $(patsubst btf-abi/spec/%.abi,$(GEN)/%-abi.h,$(ABI_SPECS))
ABI_TOOL := btf-abi/btf-abi-gen $(wildcard btf-abi/*.py)
# NVME_MPTCP_TESTS=m also builds the test modules under tests/kmod/ (the VM
# bench needs them; users never do).
NVME_MPTCP_TESTS ?=
KBUILD_ARGS := -C $(KDIR) M=$(CURDIR) NVME_MPTCP_GEN=$(GEN) \
	NVME_MPTCP_TESTS=$(NVME_MPTCP_TESTS)

all: modules

# dkms and packagers: fail early, in one line, on a kernel we cannot serve.
check-config:
	@kcompat/check-config.sh $(KDIR) $(MODDIR)

$(GEN)/%-abi.h: btf-abi/spec/%.abi $(ABI_TOOL) | check-config
	@mkdir -p $(GEN)
	$(PYTHON) btf-abi/btf-abi-gen --kver $(KVER) --kdir $(KDIR) \
		--moddir $(MODDIR) $(if $(BASE_BTF),--base-btf $(BASE_BTF)) $< $@

$(GEN)/kcompat-config.h: $(ABI_HEADERS) $(wildcard kcompat/probes/*.c) \
		kcompat/conftest.sh
	kcompat/conftest.sh $(KDIR) $(GEN) $(JOBS)

generated: $(GEN)/kcompat-config.h

modules: generated
	$(MAKE) $(KBUILD_ARGS) modules

install: modules
	$(MAKE) $(KBUILD_ARGS) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	depmod -a $(KVER)

clean:
	-$(MAKE) $(KBUILD_ARGS) clean
	rm -rf generated

# Code style of our C (checkpatch from the kernel headers' scripts when present).
style:
	@tests/style.sh

# Tests that need no kernel: the pure parts, in user space.
unit:
	@tests/unit/run.py

# The PDU header checks under libFuzzer (ASan, UBSan), FUZZ_SECONDS per side.
FUZZ_SECONDS ?= 60
fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# The test suite: the kernel matrix in QEMU (needs root, ~10 GB disk).
check:
	tests/run-matrix.sh

# Build, without booting, for every Debian kernel the archive has headers for
# (about an hour; nightly in the GitHub workflow, not in .ci/run).
sweep:
	tests/sweep.sh

# The fault suite's long variant: each way of losing a path on its own, a
# longer flap, 4 KiB I/O and 50 churn rounds, on the full list (about 27 min
# a kernel).
SOAK_KERNELS ?= 6.1,6.12,newest
soak:
	tests/run-matrix.sh --kernels $(SOAK_KERNELS) --out test-results/soak --scenarios \
		fault-paths:ways=blackhole+blackhole+blackhole,fault-paths:ways=down+down+down:native=0,fault-paths:ways=addr+addr+addr:native=0:flap=30:secs=10,fault-paths:tuned=1:native=0,fault-paths:bs=4k:native=0,fault-ctrl:rounds=50

# nvme-mptcp beside NVMe native multipath over shaped paths (about 45 min
# a kernel; bench/paths.sh says what it measures). Results and chart in
# test-results/bench/paths/KERNEL.
BENCH_KERNELS ?= 6.12
bench:
	bench/paths.sh $(BENCH_KERNELS)

# The same in a minute or two, in .ci/run: it runs and writes its files.
bench-smoke:
	bench/paths.sh --smoke $(BENCH_KERNELS)

# A newcomer's first command: boot the default kernel and show it working.
demo:
	tests/run-matrix.sh --kernels 6.12 --scenarios demo --show --out test-results/demo

.PHONY: all check-config generated modules install clean style unit fuzz check sweep soak bench bench-smoke demo
