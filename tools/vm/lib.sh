# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared by tools/vm/run, tools/vm/selftest and tools/vm/kver (bash).
#
# Guest kernels are Debian's linux-image-<ABI> packages, unpacked (never
# installed) into ${AIOS_CACHE:-$HOME/.cache/aios}/kernel/<ABI>/.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AIOS_CACHE=${AIOS_CACHE:-${HOME:-/root}/.cache/aios}

# Modules the initramfs needs to reach the host over 9p (plus their
# dependencies, resolved with modules.dep).
VM_INITRD_MODULES="virtio_pci 9pnet_virtio 9p virtio_rng"
# Loaded only for tools/vm/run --forward (a NIC on QEMU's user-mode
# network): listed in /aios/net-modules, not /aios/modules.
VM_INITRD_NET_MODULES="virtio_net"

vm_die() {
	echo "${ME:-vm}: error: $*" >&2
	exit 125
}

# Quote for /bin/sh: 'it'\''s'.
vm_quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

vm_sudo() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Newest ABI installed under /usr/src for a series ("6.1", "6.12").
vm_installed_abi() {
	local series=$1
	find /usr/src -maxdepth 1 -name "linux-headers-$series.*-amd64" \
		-printf '%f\n' 2>/dev/null | sed 's/^linux-headers-//' |
		grep -E "^$series\.[0-9]" | grep -v -e '-rt-' -e '-cloud-' |
		sort -V | tail -n1
}

# Newest ABI apt knows for a series (no network: the local package lists).
vm_apt_abi() {
	local series=$1
	apt-cache pkgnames "linux-image-$series." 2>/dev/null |
		grep -E "^linux-image-$series\.[0-9][^ ]*-amd64$" |
		grep -v -e '-rt-' -e '-cloud-' -e '-unsigned' |
		sed 's/^linux-image-//' | sort -V | tail -n1
}

# The kernel the module is built against by default: the 6.1 ABI of the
# installed headers (tools/deps build installs linux-headers-amd64).
vm_default_kver() {
	local v
	v=$(vm_installed_abi 6.1)
	[ -n "$v" ] || v=$(vm_apt_abi 6.1)
	[ -n "$v" ] || vm_die "no linux-headers-6.1.*-amd64: run tools/deps build"
	echo "$v"
}

# "" or 6.1 -> default; 6.12 -> newest 6.12 ABI; full ABI names pass.
vm_resolve_kernel() {
	local want=$1 v
	case $want in
	''|6.1) vm_default_kver ;;
	*-amd64) echo "$want" ;;
	[0-9]*.[0-9]*)
		v=$(vm_installed_abi "$want")
		[ -n "$v" ] || v=$(vm_apt_abi "$want")
		[ -n "$v" ] || vm_die "no Debian kernel of series $want known to apt" \
			"(run apt-get update, or name the ABI, e.g. 6.12.107+deb12-amd64)"
		echo "$v" ;;
	*) vm_die "unknown kernel '$want' (6.1, 6.12 or an ABI like 6.1.0-56-amd64)" ;;
	esac
}

vm_kernel_dir() {
	echo "$AIOS_CACHE/kernel/$1"
}

# Uncompress the ELF vmlinux out of a bzImage: QEMU boots it through the
# PVH entry point, which skips the BIOS and the in-guest decompression
# (seconds under TCG).
vm_extract_vmlinux() {
	local img=$1 out=$2 magic cmd off
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		cmd=${magic%%:*}
		for off in $(LC_ALL=C grep -aboP "${magic#*:}" "$img" 2>/dev/null |
			cut -d: -f1 | head -n 5); do
			tail -c +$((off + 1)) "$img" | "$cmd" -dc > "$out" 2>/dev/null
			if readelf -n "$out" 2>/dev/null | grep -q 'Xen'; then
				return 0
			fi
		done
	done
	rm -f "$out"
	return 1
}

# The image to pass to -kernel: vmlinux (PVH) when it could be extracted.
vm_kernel_image() {
	local dir
	dir=$(vm_kernel_dir "$1")
	if [ -f "$dir/vmlinux" ]; then
		echo "$dir/vmlinux"
	else
		echo "$dir/boot/vmlinuz-$1"
	fi
}

# Download and unpack linux-image-<kver> into the cache (once).
vm_ensure_kernel() {
	local kver=$1 dir tmp deb
	dir=$(vm_kernel_dir "$kver")
	[ -f "$dir/.complete" ] && return 0
	mkdir -p "$AIOS_CACHE/kernel"
	exec 9> "$AIOS_CACHE/kernel/.lock"
	flock 9
	if [ ! -f "$dir/.complete" ]; then
		echo "${ME:-vm}: fetching linux-image-$kver into $dir" >&2
		tmp=$(mktemp -d "$AIOS_CACHE/kernel/.dl.XXXXXX")
		if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root \
			download "linux-image-$kver" >/dev/null 2>&1); then
			echo "${ME:-vm}: apt-get download failed; apt-get update and retry" >&2
			vm_sudo apt-get -q update >/dev/null 2>&1 || true
			(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root \
				download "linux-image-$kver" >&2) ||
				{ rm -rf "$tmp"; vm_die "cannot download linux-image-$kver"; }
		fi
		deb=$(ls "$tmp"/*.deb)
		mkdir "$tmp/x"
		dpkg-deb -x "$deb" "$tmp/x" || { rm -rf "$tmp"; vm_die "cannot unpack $deb"; }
		depmod -b "$tmp/x" "$kver" ||
			{ rm -rf "$tmp"; vm_die "depmod failed for $kver"; }
		vm_extract_vmlinux "$tmp/x/boot/vmlinuz-$kver" "$tmp/x/vmlinux" ||
			echo "${ME:-vm}: no PVH vmlinux in the image; booting the bzImage (slower)" >&2
		rm -rf "$dir"
		mv "$tmp/x" "$dir"
		basename "$deb" > "$dir/.complete"
		rm -rf "$tmp"
	fi
	exec 9>&-
}

# Module paths (relative to lib/modules/<kver>) for $VM_INITRD_MODULES (or
# the list given as $2) in load order.
vm_initrd_modules() {
	local kver=$1 list=${2-$VM_INITRD_MODULES} mdir m path
	mdir=$(vm_kernel_dir "$kver")/lib/modules/$kver
	set -o pipefail
	for m in $list; do
		path=$(awk -F: -v m="$m" '{
			n = $1; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n)
			gsub(/-/, "_", n)
		} n == m { print; exit }' "$mdir/modules.dep")
		[ -n "$path" ] || { grep -qw "$m" "$mdir/modules.builtin" 2>/dev/null && continue; \
			vm_die "module $m not found for $kver"; }
		# "mod: dep1 dep2": dep1 needs dep2, so load right to left.
		echo "$path" | awk -F: '{ n = split($2, d, " ");
			for (i = n; i >= 1; i--) print d[i]; print $1 }'
	done | awk '!seen[$0]++'
}

# vm_initrd_copy MODDIR ROOT LIST PATH...: uncompress the modules into
# ROOT/lib/modules and append their names to ROOT/aios/LIST, skipping
# those already in ROOT/aios/modules.
vm_initrd_copy() {
	local mdir=$1 root=$2 list=$3 m dst
	shift 3
	for m in "$@"; do
		dst=$(basename "$m")
		dst=${dst%.xz}; dst=${dst%.zst}; dst=${dst%.gz}
		! grep -qxF "$dst" "$root/aios/modules" || continue
		case $m in
		*.ko.xz) xz -dc "$mdir/$m" > "$root/lib/modules/$dst" ;;
		*.ko.zst) zstd -qdc "$mdir/$m" > "$root/lib/modules/$dst" ;;
		*.ko.gz) gzip -dc "$mdir/$m" > "$root/lib/modules/$dst" ;;
		*) cp "$mdir/$m" "$root/lib/modules/$dst" ;;
		esac
		echo "$dst" >> "$root/aios/$list"
	done
}

# Build (when missing or older than its inputs) the base initramfs.
vm_ensure_initramfs() {
	local kver=$1 dir img tmp bb m key mods
	dir=$(vm_kernel_dir "$kver")
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || vm_die "busybox not found: run tools/deps vm"
	# Keyed by its inputs: checkouts with different init scripts can
	# share the cache.
	key=$( { cat "$TOP/tools/vm/init" "$TOP/tools/vm/lib.sh"; stat -L -c '%s %Y' "$bb"; } |
		sha256sum | cut -c1-16)
	img=$dir/initramfs-$key.cpio.gz
	if [ -f "$img" ]; then
		echo "$img"
		return 0
	fi
	# Drop images of older inputs not used for a day.
	find "$dir" -maxdepth 1 -name 'initramfs-*.cpio.gz' -mtime +0 -delete 2>/dev/null || true
	! readelf -l "$bb" 2>/dev/null | grep -q 'program interpreter' ||
		vm_die "$bb is not statically linked: run tools/deps vm (busybox-static)"
	tmp=$(mktemp -d "$dir/.initrd.XXXXXX")
	mkdir -p "$tmp"/{bin,sbin,proc,sys,dev,aios,lib/modules}
	cp "$bb" "$tmp/bin/busybox"
	"$bb" --install -s "$tmp/bin" 2>/dev/null || true
	# --install may link to the host path; point everything at /bin/busybox.
	for m in "$tmp"/bin/*; do
		[ -L "$m" ] && ln -sf busybox "$m"
	done
	cp "$TOP/tools/vm/init" "$tmp/init"
	chmod 755 "$tmp/init"
	: > "$tmp/aios/modules"
	: > "$tmp/aios/net-modules"
	mods=$(vm_initrd_modules "$kver") || { rm -rf "$tmp"; exit 125; }
	vm_initrd_copy "$dir/lib/modules/$kver" "$tmp" modules $mods
	# For --forward: the network modules not among the base ones.
	mods=$(vm_initrd_modules "$kver" "$VM_INITRD_NET_MODULES") ||
		{ rm -rf "$tmp"; exit 125; }
	vm_initrd_copy "$dir/lib/modules/$kver" "$tmp" net-modules $mods
	(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
		gzip -1 > "$img.tmp"
	mv "$img.tmp" "$img"
	rm -rf "$tmp"
	echo "$img"
}

VM_KVM_ARGS="-accel kvm -cpu host"
VM_TCG_ARGS="-accel tcg,thread=multi -cpu max"

# /dev/kvm can be present and still unable to run this kernel (seen with
# nested virtualisation: the guest hangs in early boot).  Boot the kernel
# once per host boot without a root file system, expect its first lines
# within 20 s, and remember the answer.
vm_kvm_usable() {
	local kimg=$1 boot stamp log
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		(exec 3<>/dev/kvm) 2>/dev/null || return 1
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	stamp=$AIOS_CACHE/kvm-probe.$boot
	if [ ! -f "$stamp" ]; then
		mkdir -p "$AIOS_CACHE"
		log=$(mktemp)
		# shellcheck disable=SC2086
		(timeout 20 qemu-system-x86_64 -nodefaults -no-user-config \
			-display none -monitor none -no-reboot $VM_KVM_ARGS -m 256 \
			-kernel "$kimg" -append "console=ttyS0 panic=-1 edd=off" \
			-serial "file:$log" < /dev/null > /dev/null 2>&1) 2>/dev/null || true
		if grep -q 'Kernel panic\|VFS: ' "$log"; then
			echo ok > "$stamp"
		else
			echo broken > "$stamp"
			echo "${ME:-vm}: /dev/kvm exists but cannot boot a guest here; using TCG" \
				"(probe cached in $stamp)" >&2
		fi
		rm -f "$log"
	fi
	[ "$(cat "$stamp")" = ok ]
}
