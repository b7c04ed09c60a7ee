# SPDX-License-Identifier: GPL-2.0
#
# aios top-level Makefile.
#
#   make [all]        module + userspace + selftests
#   make check        host tests (normal and SAN=1) and VM selftests;
#                     log in build/check.log, last line "N passed, N failed"
#   make demo         the narrated scenario in the test VM
#   make panel [PORT=8731]  the web panel at http://127.0.0.1:PORT/ (test VM)
#   make bench [BENCH=cat]
#   make install [DESTDIR=] [PREFIX=/usr/local]
#   make dkms | checkpatch | sparse | clean
#
# Variables: BUILD (default ./build), KVER / KDIR (kernel to build the
# module for: KVER=6.12 builds for Debian's 6.12 kernel into
# BUILD/kmod/<abi>/, and "make check KVER=6.12" runs the selftests on it),
# SAN=1 (sanitizers for userspace), V=1.
# See Documentation/testing.md.

TOP		:= $(CURDIR)
BUILD		?= $(TOP)/build
override BUILD	:= $(abspath $(BUILD))
SHELL		:= /bin/bash
NPROC		:= $(shell nproc 2>/dev/null || echo 1)
PREFIX		?= /usr/local
DESTDIR		?=
AIOS_VERSION	:= 0.1.0

DEPS		:= $(TOP)/tools/deps
TESTSUM		:= $(TOP)/tools/testsum
VMRUN		:= $(TOP)/tools/vm/run
SUBMAKE		= $(MAKE) --no-print-directory -C $(1) TOP=$(TOP) BUILD=$(BUILD)

# ---- kernel to build against --------------------------------------------
# The module must match the VM kernel (tools/vm/kver): Debian's 6.1 ABI by
# default.  A host whose running kernel has headers builds against those.
DEFAULT_KVER	:= $(shell $(TOP)/tools/vm/kver 2>/dev/null)
HOST_KDIR	:= /lib/modules/$(shell uname -r)/build
ifneq ($(KVER),)
  ifeq ($(findstring -,$(KVER)),)
    override KVER := $(shell $(TOP)/tools/vm/kver $(KVER))
  endif
  KDIR		?= $(firstword $(wildcard /usr/src/linux-headers-$(KVER) \
			/lib/modules/$(KVER)/build) /usr/src/linux-headers-$(KVER))
else ifneq ($(KDIR),)
  KVER		:= $(patsubst linux-headers-%,%,$(notdir $(realpath $(KDIR))))
else ifneq ($(wildcard $(HOST_KDIR)/Makefile),)
  KDIR		:= $(HOST_KDIR)
  KVER		:= $(shell uname -r)
else
  KVER		:= $(DEFAULT_KVER)
  KDIR		:= /usr/src/linux-headers-$(KVER)
endif

# The default kernel builds in the tree (./aios.ko, what tools/vm/run
# loads); any other into its own copy so that both can coexist.
ifeq ($(KVER),$(DEFAULT_KVER))
  KMOD_DIR	:= $(TOP)
else
  KMOD_DIR	:= $(BUILD)/kmod/$(KVER)
endif
MODULE		:= $(KMOD_DIR)/aios.ko
HAVE_KMOD	:= $(wildcard $(TOP)/Kbuild)

# Every userspace/*/ and tools/*/ with a Makefile, libaios first; the host
# tests of each that has a "check:" target.
mkdirs		= $(patsubst $(TOP)/%/Makefile,%,$(sort $(wildcard $(TOP)/$(1)/*/Makefile)))
USERSPACE_DIRS	:= userspace/lib $(filter-out userspace/lib,$(call mkdirs,userspace)) \
		   $(call mkdirs,tools)
has_check	= $(shell grep -qs '^check:' $(TOP)/$(1)/Makefile && echo $(1))
HOST_TEST_DIRS	:= $(foreach d,kmod/tests $(USERSPACE_DIRS),$(call has_check,$(d)))
SELFTEST_DIR	:= selftests/aios
have_mk		= $(wildcard $(TOP)/$(1)/Makefile)

KSFT_HDRS	:= $(BUILD)/include/kselftest_harness.h $(BUILD)/include/kselftest.h
LINUX_TARBALL	:= /usr/src/linux-source-6.1.tar.xz
LINUX_SRC	:= $(BUILD)/linux-source
CHECKPATCH	:= $(LINUX_SRC)/scripts/checkpatch.pl

.PHONY: all deps deps-ui modules userspace selftests check check-host check-vm \
	demo panel bench install clean dkms checkpatch sparse headers help

all: modules userspace selftests

help:
	@sed -n '3,/^$$/p' $(TOP)/Makefile | sed 's/^# \{0,1\}//'

deps:
	@$(DEPS) build vm

# the browser tests of the web panel (chromium, npm): only for check
deps-ui:
	@$(DEPS) ui

# ---- kselftest headers and checkpatch from Debian's linux-source-6.1 ------
headers: $(KSFT_HDRS)

$(LINUX_TARBALL):
	@$(DEPS) build

# One pass over the tarball for everything we take from it.
$(LINUX_SRC)/.stamp: $(LINUX_TARBALL)
	@mkdir -p $(LINUX_SRC)
	@echo "  EXTRACT kselftest headers and checkpatch from $(notdir $<)"
	tar -xJf $< -C $(LINUX_SRC) --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	@touch $@

$(BUILD)/include/%.h: $(LINUX_SRC)/.stamp
	@mkdir -p $(dir $@)
	cp $(LINUX_SRC)/tools/testing/selftests/$*.h $@

$(CHECKPATCH): $(LINUX_SRC)/.stamp

# ---- kernel module -------------------------------------------------------
modules: deps
ifeq ($(HAVE_KMOD),)
	@echo "modules: no Kbuild yet, nothing to build"
else
	@test -f $(KDIR)/Makefile || case "$(KDIR)" in \
		/usr/src/linux-headers-*-amd64) $(DEPS) kernel:$(KVER) ;; esac
	@test -f $(KDIR)/Makefile || { echo "modules: no kernel headers at $(KDIR)" \
		"(tools/deps build, or tools/deps k612 for KVER=6.12)" >&2; exit 1; }
ifneq ($(KMOD_DIR),$(TOP))
	@mkdir -p $(KMOD_DIR)/kmod $(KMOD_DIR)/uapi/linux
	@cp -p $(TOP)/Kbuild $(KMOD_DIR)/
	@cp -p $(TOP)/kmod/*.[ch] $(KMOD_DIR)/kmod/
	@cp -p $(TOP)/uapi/linux/*.h $(KMOD_DIR)/uapi/linux/
endif
	$(MAKE) -C $(KDIR) M=$(KMOD_DIR) -j$(NPROC) modules
endif

# ---- userspace and selftests ---------------------------------------------
# Builds every component even when one fails, then names the failures.
userspace: deps headers
	@bad=; for d in $(USERSPACE_DIRS); do \
		$(call SUBMAKE,$(TOP)/$$d) SAN=$(SAN) all || bad="$$bad $$d"; \
	done; \
	if [ -n "$$bad" ]; then echo "userspace: build failed in:$$bad" >&2; exit 1; fi

selftests: deps headers
ifneq ($(call have_mk,$(SELFTEST_DIR)),)
	@$(call SUBMAKE,$(TOP)/$(SELFTEST_DIR)) -j$(NPROC) all
else
	@echo "selftests: $(SELFTEST_DIR) has no Makefile yet, skipped"
endif

# ---- check ---------------------------------------------------------------
# $(call step,LABEL,COMMAND): run COMMAND, show its output, and when it
# fails without a kselftest failure of its own, print a testsum-fail
# marker so that tools/testsum counts it.
define step
	@echo "=== $(1)"; out=$$(mktemp); start=$$(date +%s); \
	( $(2) ) 2>&1 | tee $$out; rc=$${PIPESTATUS[0]}; \
	if [ $$rc != 0 ]; then \
		f=$$($(TESTSUM) -q $$out | sed -n 's/^[0-9]* passed, \([0-9]*\) failed$$/\1/p'); \
		[ "$${f:-0}" != 0 ] || echo "# testsum-fail: $(1): exit status $$rc"; \
	fi; \
	echo "=== $(1): exit $$rc, $$(( $$(date +%s) - start ))s"; rm -f $$out

endef

check: deps deps-ui headers
	@mkdir -p $(BUILD)
	@set -o pipefail; start=$$(date +%s); \
	$(MAKE) --no-print-directory -k check-host check-vm 2>&1 | tee $(BUILD)/check.log; \
	echo "=== check: $$(( $$(date +%s) - start ))s, log in $(BUILD)/check.log" | tee -a $(BUILD)/check.log; \
	$(TESTSUM) $(BUILD)/check.log | tee $(BUILD)/check.summary

check-host:
	$(call step,build modules,$(MAKE) --no-print-directory modules)
	$(call step,build userspace,$(MAKE) --no-print-directory userspace)
	$(call step,build selftests,$(MAKE) --no-print-directory selftests)
	$(foreach d,$(HOST_TEST_DIRS),$(if $(call have_mk,$(d)),\
		$(call step,$(d) check,$(call SUBMAKE,$(TOP)/$(d)) check)\
		$(call step,$(d) check SAN=1,$(call SUBMAKE,$(TOP)/$(d)) SAN=1 check)))

check-vm:
ifeq ($(HAVE_KMOD),)
	@echo "=== VM selftests: no Kbuild yet, skipped"
else
	$(call step,VM selftests ($(KVER)),$(TOP)/tools/vm/selftest --kernel $(KVER) \
		--module $(MODULE))
ifneq ($(wildcard $(TOP)/userspace/python/tests/vm_test.py),)
	$(call step,VM Python binding ($(KVER)),$(VMRUN) --kernel $(KVER) --module $(MODULE) \
		-- python3 userspace/python/tests/vm_test.py)
endif
# libaios sessions with aiosd as kernel agents: auth, isolation, tool calls
ifneq ($(wildcard $(TOP)/userspace/lib/tests/vm_session.c),)
	$(call step,VM libaios aiosd sessions ($(KVER)),$(VMRUN) --kernel $(KVER) \
		--module $(MODULE) -- $(BUILD)/lib/vmtests/vm_session)
endif
ifneq ($(wildcard $(TOP)/tools/packaging/vm-test-unit.sh),)
	$(call step,VM aiosd.service privileges ($(KVER)),$(VMRUN) --kernel $(KVER) \
		--module $(MODULE) -- tools/packaging/vm-test-unit.sh)
endif
# aiosctl health --full, boot log and reload against the module and aiosd
ifneq ($(wildcard $(TOP)/tools/aiosctl/tests/vm_health.sh),)
	$(call step,VM aiosctl health ($(KVER)),$(VMRUN) --kernel $(KVER) --module $(MODULE) \
		--modparams audit_ring_size=64 -- tools/aiosctl/tests/vm_health.sh 64)
endif
# aiosctl top against the module (agents, queues, GPU claims, events/s)
ifneq ($(wildcard $(TOP)/tools/aiosctl/tests/vm_top.py),)
	$(call step,VM aiosctl top ($(KVER)),$(VMRUN) --kernel $(KVER) --module $(MODULE) \
		-- /usr/bin/python3 tools/aiosctl/tests/vm_top.py)
endif
# web panel in headless chromium against aiosd + aios-httpd (screenshots: BUILD/ui)
ifneq ($(wildcard $(TOP)/userspace/httpd/ui-tests/Makefile),)
	$(call step,VM web panel browser tests ($(KVER)),$(call SUBMAKE,$(TOP)/userspace/httpd/ui-tests) \
		KVER=$(KVER) MODULE=$(MODULE) check)
endif
# aios-httpd against the module and aiosd: agents with caps, agent tokens,
# audit with the principal's rights, events with Last-Event-ID
ifneq ($(wildcard $(TOP)/userspace/httpd/tests/vm_http_test.c),)
	$(call step,VM aios-httpd ($(KVER)),$(VMRUN) --kernel $(KVER) --module $(MODULE) \
		-- $(BUILD)/httpd/tests/vm_http_test)
endif
# aiosd tool calls as kernel agents: capabilities, eBPF audit into the run
# ledger and the event stream, aiosctl tools confirm (issue 9)
ifneq ($(wildcard $(TOP)/userspace/aiosd/tests/toolops_test.c),)
	$(call step,VM aiosd tools and eBPF audit ($(KVER)),$(VMRUN) --kernel $(KVER) \
		--module $(MODULE) -- $(BUILD)/aiosd/tests/toolops_test)
endif
# aiosd without root in a delegated cgroup (systemd Delegate=yes)
ifneq ($(wildcard $(TOP)/userspace/aiosd/tests/vm_unpriv_tools.sh),)
	$(call step,VM aiosd tools without root ($(KVER)),$(VMRUN) --kernel $(KVER) \
		--module $(MODULE) -- userspace/aiosd/tests/vm_unpriv_tools.sh)
endif
endif

# ---- demo, bench ----------------------------------------------------------
demo: all
	@test -x $(TOP)/tools/demo/run || { echo "demo: tools/demo/run is missing" >&2; exit 1; }
	BUILD=$(BUILD) PORT=$(PORT) $(TOP)/tools/demo/run

# The web panel from the test VM on this host's loopback (tools/demo/panel).
PORT		?= 8731
panel: all
	BUILD=$(BUILD) $(TOP)/tools/demo/panel --port $(PORT)

bench: all
	@$(DEPS) bench
	BUILD=$(BUILD) KVER=$(KVER) $(TOP)/tools/bench/run $(BENCH)

# ---- install ---------------------------------------------------------------
install: all
ifneq ($(HAVE_KMOD),)
	install -D -m 0644 $(MODULE) $(DESTDIR)/lib/modules/$(KVER)/extra/aios.ko
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER) || true; fi
endif
	install -D -m 0644 $(TOP)/uapi/linux/aios.h $(DESTDIR)$(PREFIX)/include/linux/aios.h
	@set -e; for d in $(USERSPACE_DIRS); do \
		if [ -f $(TOP)/$$d/Makefile ] && grep -q '^install:' $(TOP)/$$d/Makefile; then \
			$(call SUBMAKE,$(TOP)/$$d) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) install; \
		fi; \
	done
	@set -e; for f in $(BUILD)/bin/*; do \
		[ -f "$$f" ] && [ -x "$$f" ] || continue; \
		echo "install -m 0755 $$f $(DESTDIR)$(PREFIX)/bin/"; \
		install -D -m 0755 $$f $(DESTDIR)$(PREFIX)/bin/$$(basename $$f); \
	done

# ---- dkms -------------------------------------------------------------------
DKMS_SRC	:= $(DESTDIR)/usr/src/aios-$(AIOS_VERSION)

dkms:
	@$(DEPS) dkms
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	install -m 0644 $(TOP)/dkms.conf $(TOP)/Kbuild $(DKMS_SRC)/
	install -m 0644 $(TOP)/kmod/*.[ch] $(DKMS_SRC)/kmod/
	install -m 0644 $(TOP)/uapi/linux/aios.h $(DKMS_SRC)/uapi/linux/
	sed -i 's/@VERSION@/$(AIOS_VERSION)/' $(DKMS_SRC)/dkms.conf
	dkms remove -m aios -v $(AIOS_VERSION) --all >/dev/null 2>&1 || true
	dkms add -m aios -v $(AIOS_VERSION)
	dkms build -m aios -v $(AIOS_VERSION) -k $(KVER)
	dkms install -m aios -v $(AIOS_VERSION) -k $(KVER) --force

# ---- style -------------------------------------------------------------------
KSRCS		= $(wildcard $(TOP)/kmod/*.[ch])

checkpatch: $(CHECKPATCH)
	@rc=0; for f in $(KSRCS); do \
		perl $(CHECKPATCH) --no-tree --strict --terse -f $$f || rc=1; \
	done; \
	[ $$rc = 0 ] && echo "checkpatch: $(words $(KSRCS)) files clean"; exit $$rc

sparse: deps
ifneq ($(HAVE_KMOD),)
	$(MAKE) -C $(KDIR) M=$(KMOD_DIR) C=2 modules
endif

# ---- clean -------------------------------------------------------------------
clean:
ifneq ($(HAVE_KMOD),)
	-@test ! -f $(KDIR)/Makefile || $(MAKE) -C $(KDIR) M=$(TOP) clean
endif
	@for d in $(USERSPACE_DIRS) $(HOST_TEST_DIRS) $(SELFTEST_DIR); do \
		[ ! -f $(TOP)/$$d/Makefile ] || $(call SUBMAKE,$(TOP)/$$d) clean || true; \
	done
	rm -rf $(BUILD)
