# SPDX-License-Identifier: GPL-2.0
#
# Every entry point of the project; README.md explains each one.
#
#   make            build masstree.ko (and masstree_kunit.ko with KUnit) for KDIR
#   make run        the module on Debian's stock kernel in a VM
#   make check      every test; ends with "N passed, N failed"
#   make bench      userspace benchmarks, figures in build/bench/userspace.csv

TOP := $(CURDIR)
BUILD := $(TOP)/build
RESULTS := $(BUILD)/results
VM := python3 $(TOP)/tools/vm/mtvm.py

# The running kernel's build tree if it has one, else Debian's stock
# headers: the kernel the VM targets boot. Expanded when used, after deps.
STOCK_HEADERS = $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)
KDIR ?= $(if $(wildcard /lib/modules/$(shell uname -r)/build),/lib/modules/$(shell uname -r)/build,$(STOCK_HEADERS))
DEBUG_KDIR = $(shell $(TOP)/tools/vm/build-kernel.sh debug)
RACE_KDIR = $(shell $(TOP)/tools/vm/build-kernel.sh race)
STOCK_IMAGE = $(shell $(TOP)/tools/vm/stock-kernel.sh)

CHECKS := check-user check-style check-stock check-kunit check-kcsan check-runner
DEPS := $(BUILD)/.deps

all: modules

modules: $(DEPS)
	$(MAKE) -C $(KDIR) M=$(TOP) modules

# Installs what is missing; the stamp keeps later targets from asking apt.
deps:
	$(TOP)/tools/deps.sh
	@mkdir -p $(BUILD) && touch $(DEPS)

$(DEPS): tools/deps.sh
	$(TOP)/tools/deps.sh
	@mkdir -p $(BUILD) && touch $@

# -- tests ---------------------------------------------------------------

check: $(DEPS)
	@rm -rf $(RESULTS)
	@for t in $(CHECKS); do $(MAKE) --no-print-directory $$t || true; done
	@echo "Summary:"
	@$(TOP)/tools/check-summary.sh $(RESULTS) $(CHECKS)

check-user: $(DEPS)
	$(MAKE) -C tools/testing OUT=$(BUILD)/testing
	@$(TOP)/tools/record.sh $(RESULTS)/check-user.result \
		$(BUILD)/logs/check-user.log $(BUILD)/testing/masstree_test

# checkpatch.pl from the kernel source, on every C file but the userspace
# shim (which imitates kernel headers and is not kernel code).
CHECKPATCH_SRC := $(shell git -C $(TOP) ls-files -co --exclude-standard '*.c' '*.h' | grep -v '^tools/testing/shim/')
check-style: $(DEPS)
	@$(TOP)/tools/record.sh $(RESULTS)/check-style.result \
		$(BUILD)/logs/check-style.log $(TOP)/tools/checkpatch.sh $(CHECKPATCH_SRC)

# Warning-free against the stock headers (W=1, sparse), then loaded and
# unloaded on Debian's stock kernel.
check-stock: $(DEPS)
	@mkdir -p $(RESULTS) $(BUILD)/logs
	@if $(TOP)/tools/kbuild.sh $(STOCK_HEADERS) $(BUILD)/kbuild-stock W=1 C=2 \
		KCFLAGS=-Werror >$(BUILD)/logs/check-stock-build.log 2>&1 && \
	    ! grep -E 'warning|error' $(BUILD)/logs/check-stock-build.log; then \
		echo "ok - W=1 and sparse build against $(STOCK_HEADERS)"; \
		echo "1 0" >$(RESULTS)/check-stock-build.result; \
	else \
		cat $(BUILD)/logs/check-stock-build.log; \
		echo "not ok - W=1 and sparse build against $(STOCK_HEADERS)"; \
		echo "0 1" >$(RESULTS)/check-stock-build.result; exit 1; \
	fi
	$(VM) load --kernel $(STOCK_IMAGE) \
		--modules $(BUILD)/kbuild-stock/masstree.ko \
			  $(BUILD)/kbuild-stock/masstree_example.ko \
		--results $(RESULTS)/check-stock-vm.result

check-kunit: $(DEPS)
	$(TOP)/tools/kbuild.sh $(DEBUG_KDIR) $(BUILD)/kbuild-debug
	$(VM) kunit --kernel-dir $(DEBUG_KDIR) \
		--modules $(BUILD)/kbuild-debug/masstree.ko \
			  $(BUILD)/kbuild-debug/masstree_kunit.ko \
		--results $(RESULTS)/check-kunit.result

check-kcsan: $(DEPS)
	$(TOP)/tools/kbuild.sh $(RACE_KDIR) $(BUILD)/kbuild-race
	$(VM) kunit --kernel-dir $(RACE_KDIR) \
		--modules $(BUILD)/kbuild-race/masstree.ko \
			  $(BUILD)/kbuild-race/masstree_kunit.ko \
		--results $(RESULTS)/check-kcsan.result

# Deliberately broken modules must each make the VM runner fail.
check-runner: $(DEPS)
	$(VM) selftest --kernel-dir $(DEBUG_KDIR) --race-kernel-dir $(RACE_KDIR) \
		--results $(RESULTS)/check-runner.result

# -- benchmarks (never timed assertions: figures and ratios) ---------------

bench: $(DEPS)
	$(MAKE) -C tools/bench run

# -- the module in a VM ----------------------------------------------------

run: $(DEPS)
	$(TOP)/tools/kbuild.sh $(STOCK_HEADERS) $(BUILD)/kbuild-stock
	$(VM) run --kernel $(STOCK_IMAGE) \
		--modules $(BUILD)/kbuild-stock/masstree.ko \
			  $(BUILD)/kbuild-stock/masstree_example.ko \
		--script $(TOP)/tools/vm/demo.sh

shell: $(DEPS)
	$(TOP)/tools/kbuild.sh $(STOCK_HEADERS) $(BUILD)/kbuild-stock
	$(VM) shell --kernel $(STOCK_IMAGE) \
		--modules $(BUILD)/kbuild-stock/masstree.ko

# -- install ---------------------------------------------------------------

install: modules
	$(MAKE) -C $(KDIR) M=$(TOP) modules_install
	install -D -m 644 include/linux/masstree.h \
		$(DESTDIR)/usr/include/masstree/linux/masstree.h

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	rm -rf $(BUILD)

.PHONY: all modules deps check $(CHECKS) bench run shell install clean
