#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mtvm.py - boot test kernels under QEMU with our modules and judge the run.

Every VM target of the project goes through this one program. Each
subcommand builds a throw-away initramfs (busybox-static, the modules, an
/init script), boots QEMU (TCG unless MASSTREE_KVM=1), captures the serial
console to build/vm/<subcommand>-<time>.log and scans it.

  mtvm.py kunit --kernel-dir DIR --modules masstree.ko masstree_kunit.ko \\
                [--results FILE] [--timeout 900] [--smp 2]
      Load the modules in order (their KUnit suites run inside insmod),
      parse the KTAP with the kernel tree's kunit.py, run the kmemleak
      protocol, rmmod in reverse order. Fails on any failed/missing case,
      any splat, a failed insmod/rmmod, a crashed or hung VM.
  mtvm.py load --kernel IMAGE --modules A.ko [...] [--results FILE]
      Boot IMAGE (e.g. Debian's stock kernel, see stock-kernel.sh), insmod,
      show lsmod and the dmesg tail, rmmod. Three results: insmod, rmmod,
      no splats.
  mtvm.py run --kernel IMAGE --modules A.ko [...] --script FILE [--files F...]
      Boot, insmod, run FILE with busybox sh inside the VM (extra files go
      to /bin), print its output live, rmmod. Exits with the script's status
      (1 if the script passed but the run had splats or module failures).
  mtvm.py shell --kernel IMAGE --modules A.ko [...]
      Interactive busybox shell on the serial console with the modules
      loaded. Leave with `reboot -f` (or exit the shell; Ctrl-A X kills QEMU).
  mtvm.py selftest --kernel-dir DEBUG_DIR [--race-kernel-dir RACE_DIR]
      Build tools/vm/broken/ against each kernel and prove that every broken
      module makes the runner fail for the right reason and the good one
      passes. Writes "<passed> <failed>" checks to --results.

--kernel accepts a bzImage/vmlinuz or a kernel build directory. --results
FILE always receives "<passed> <failed>" (two integers).

Environment: MASSTREE_KVM=1 uses -accel kvm -cpu host (hangs on some
machines: TCG is the default); MASSTREE_VM_OUT overrides the log directory
(default <repo>/build/vm); MASSTREE_QEMU_ARGS adds QEMU arguments;
MASSTREE_KERNEL_SRC names the kernel source tree holding kunit.py when it
cannot be found from the build directory. See tools/vm/README.md.
"""

import argparse
import dataclasses
import gzip
import io
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT_DIR = Path(os.environ.get('MASSTREE_VM_OUT', REPO / 'build' / 'vm'))
BUSYBOX = Path('/bin/busybox')

# Console markers. The init script writes them to /dev/kmsg, so they are
# ordered with the kernel's own messages (userspace writes to the console
# could interleave with printk output).
MARKER_RE = re.compile(r'@@(MTVM-[A-Z-]+|KTAP-BEGIN|KTAP-END)(?: ([^@]*))?@@')
# Lines the init script relays into the kernel log: "mtvm|TAG| text".
RELAY_RE = re.compile(r'^mtvm\|([\w.-]+)\| ?(.*)$')
TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\] ?')	# printk.time=1


def strip_ts(line):
	return TIMESTAMP_RE.sub('', line)


def marker(text):
	"""The marker on a console line (timestamp stripped), or None. Only a
	whole line counts: relayed text (e.g. `dmesg | tail`) may quote one."""
	return MARKER_RE.fullmatch(text.strip())


def has_marker(lines, name):
	return any((m := marker(strip_ts(line))) and m.group(1) == name
		   for line in lines)


def info(msg):
	print(f'mtvm: {msg}', flush=True)


# ---------------------------------------------------------------------------
# Modules: ELF section parsing (no readelf needed)

def elf_sections(path):
	"""Yield (name, contents) of each section of a 64-bit LE ELF file."""
	data = Path(path).read_bytes()
	if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
		raise SystemExit(f'mtvm: {path}: not a 64-bit little-endian ELF')
	shoff, = struct.unpack_from('<Q', data, 0x28)
	shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
	headers = [struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize)
		   for i in range(shnum)]
	_, _, _, _, stroff, strsize = headers[shstrndx]
	strtab = data[stroff:stroff + strsize]
	for name, sh_type, _flags, _addr, off, size in headers:
		sname = strtab[name:strtab.index(b'\0', name)].decode()
		# SHT_NOBITS (8) occupies no file space
		yield sname, (b'\0' * size if sh_type == 8
			      else data[off:off + size])


@dataclasses.dataclass
class Module:
	path: Path
	name: str	# the kernel's module name ([name] in backtraces)
	nsuites: int	# KUnit suites: .kunit_test_suites holds one pointer each

	@classmethod
	def load(cls, path):
		path = Path(path).resolve()
		if not path.is_file():
			raise SystemExit(f'mtvm: no such module: {path}')
		name, nsuites = path.stem.replace('-', '_'), 0
		for sname, contents in elf_sections(path):
			if sname == '.kunit_test_suites':
				nsuites += len(contents) // 8
			elif sname == '.modinfo':
				for kv in contents.split(b'\0'):
					if kv.startswith(b'name='):
						name = kv[5:].decode()
		return cls(path, name, nsuites)


# ---------------------------------------------------------------------------
# Initramfs: a gzip'd newc cpio written directly, so it can hold a
# /dev/console node (the kernel needs it before devtmpfs is mounted).

class Cpio:
	def __init__(self):
		self.buf = io.BytesIO()
		self.ino = 1

	def _entry(self, name, mode, data=b'', rdev=(0, 0)):
		name_b = name.encode() + b'\0'
		fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0,
			  rdev[0], rdev[1], len(name_b), 0)
		self.ino += 1
		self.buf.write(b'070701' + b''.join(b'%08X' % f for f in fields))
		self.buf.write(name_b)
		self._pad()
		self.buf.write(data)
		self._pad()

	def _pad(self):
		self.buf.write(b'\0' * (-self.buf.tell() % 4))

	def dir(self, name):
		self._entry(name, 0o040755)

	def file(self, name, data, mode=0o644):
		self._entry(name, 0o100000 | mode, data)

	def chardev(self, name, major, minor):
		self._entry(name, 0o020600, rdev=(major, minor))

	def finish(self):
		self._entry('TRAILER!!!', 0)
		return gzip.compress(self.buf.getvalue(), compresslevel=6)


def build_initramfs(path, init_script, modules, files=(), script=None):
	cpio = Cpio()
	for d in ('bin', 'dev', 'proc', 'sys', 'tmp', 'mod', 'mtvm', 'root'):
		cpio.dir(d)
	cpio.chardev('dev/console', 5, 1)
	cpio.file('bin/busybox', BUSYBOX.read_bytes(), 0o755)
	cpio.file('init', init_script.encode(), 0o755)
	for m in modules:
		cpio.file(f'mod/{m.path.name}', m.path.read_bytes())
	for f in files:
		f = Path(f)
		cpio.file(f'bin/{f.name}', f.read_bytes(), 0o755)
	if script is not None:
		cpio.file('mtvm/script', Path(script).read_bytes(), 0o755)
	Path(path).write_bytes(cpio.finish())


# ---------------------------------------------------------------------------
# /init

INIT_HEAD = r'''#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# Generated by tools/vm/mtvm.py: PID 1 of a test VM.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null	# else /tmp stays on the rootfs
# Markers and relayed text go through /dev/kmsg: one record per line, in
# order with the kernel's messages (printk.devkmsg=on lifts the ratelimit).
klog() { echo "$*" > /dev/kmsg; }
relay() {	# relay TAG FILE
	while IFS= read -r l; do echo "mtvm|$1| $l" > /dev/kmsg; done < "$2"
}
fs=/sys/kernel/debug/failslab
if [ -d $fs ]; then
	echo N > $fs/ignore-gfp-wait	# let failslab fail GFP_KERNEL too
	echo 0 > $fs/verbose
fi
KML=/sys/kernel/debug/kmemleak
kml_dump() {	# kml_dump TAG: the current kmemleak report, between markers
	cat $KML > /tmp/kml 2>/dev/null
	klog "@@MTVM-KMEMLEAK-BEGIN $1@@"
	relay kmemleak /tmp/kml
	klog "@@MTVM-KMEMLEAK-END $1@@"
}
if [ -e $KML ]; then
	echo scan > $KML	# baseline: boot-time reports are not ours
	kml_dump baseline
fi
loaded=""
klog "@@MTVM-BOOTED@@"
'''

INIT_INSMOD = r'''klog "@@MTVM-INSMOD-BEGIN {name}@@"
if insmod /mod/{file} > /tmp/insmod.out 2>&1; then
	loaded="{name} $loaded"
	klog "@@MTVM-INSMOD-OK {name}@@"
else
	rc=$?
	relay insmod /tmp/insmod.out
	klog "@@MTVM-INSMOD-FAIL {name} rc=$rc@@"
fi
'''

# Tests are done (module KUnit suites run inside insmod). Scan twice, the
# second scan starting more than 5 s after the first, while the modules are
# loaded so backtraces name them: kmemleak skips objects younger than 5 s
# and ones whose contents changed since the previous scan. A scan takes
# seconds under TCG, so wait only for what is left of the 6 s.
INIT_KMEMLEAK_LOADED = r'''if [ -e $KML ]; then
	sleep 1
	read t0 _ < /proc/uptime
	echo scan > $KML
	while read t _ < /proc/uptime; [ $((${t%.*} - ${t0%.*})) -le 6 ]; do
		sleep 1
	done
	echo scan > $KML
	kml_dump loaded
fi
'''

# Module core ranges, so leaks found after rmmod (unnamed addresses in the
# backtrace) can still be attributed; then rmmod in reverse order.
INIT_RMMOD = r'''cat /proc/modules > /tmp/modules 2>/dev/null
relay modules /tmp/modules
for m in $loaded; do
	klog "@@MTVM-RMMOD-BEGIN $m@@"
	if rmmod $m > /tmp/rmmod.out 2>&1; then
		klog "@@MTVM-RMMOD-OK $m@@"
	else
		rc=$?
		relay rmmod /tmp/rmmod.out
		klog "@@MTVM-RMMOD-FAIL $m rc=$rc@@"
	fi
done
if [ -e $KML ] && [ -n "$loaded" ]; then
	# Objects the modules allocated and their exit did not free. They are
	# old already; two scans settle kmemleak's checksum rule.
	echo scan > $KML
	echo scan > $KML
	kml_dump unloaded
fi
'''

INIT_TAIL = r'''klog "@@MTVM-DONE@@"
sync
reboot -f
'''


def make_init(modules, mode):
	"""mode: kunit | load | run | shell"""
	parts = [INIT_HEAD]
	if mode == 'kunit':
		parts.append('klog "@@KTAP-BEGIN@@"\n')
	for m in modules:
		parts.append(INIT_INSMOD.format(name=m.name, file=m.path.name))
	if mode == 'kunit':
		parts.append('klog "@@KTAP-END@@"\n')
	if mode == 'load':
		parts.append('lsmod | sed "s/^/mtvm|lsmod| /"\n'
			     'dmesg | tail -n 25 | sed "s/^/mtvm|dmesg| /"\n')
	if mode == 'run':
		parts.append('klog "@@MTVM-SCRIPT-BEGIN@@"\n'
			     'cd /root\n'
			     'sh /mtvm/script < /dev/null\n'
			     'rc=$?\n'
			     'cd /\n'
			     'klog "@@MTVM-SCRIPT-EXIT $rc@@"\n')
	if mode == 'shell':
		parts.append('echo "mtvm: modules loaded:$loaded; leave with'
			     ' reboot -f (or Ctrl-A X)"\n'
			     'cd /root\n'
			     'setsid cttyhack sh -l\n'
			     'cd /\n')
	if mode != 'shell':
		parts.append(INIT_KMEMLEAK_LOADED)
	parts.append(INIT_RMMOD)
	parts.append(INIT_TAIL)
	return ''.join(parts)


# ---------------------------------------------------------------------------
# QEMU

def kernel_image(arg):
	p = Path(arg)
	if p.is_dir():
		p = p / 'arch/x86/boot/bzImage'
	if not p.is_file():
		raise SystemExit(f'mtvm: no kernel image at {p}')
	return p.resolve()


def qemu_cmd(image, initrd, smp, mem, append_extra='', interactive=False):
	if os.environ.get('MASSTREE_KVM') == '1':
		accel = ['-accel', 'kvm', '-cpu', 'host']
	else:
		accel = ['-accel', 'tcg', '-cpu', 'max']
	append = ('console=ttyS0 panic=-1 kasan_multi_shot printk.devkmsg=on'
		  ' printk.time=1 ' + append_extra).strip()
	if interactive:
		# Ctrl-C goes to the guest; Ctrl-A X still quits QEMU.
		console = ['-chardev', 'stdio,id=con,mux=on,signal=off',
			   '-serial', 'chardev:con',
			   '-mon', 'chardev=con,mode=readline']
	else:
		console = ['-serial', 'stdio']
	cmd = ['qemu-system-x86_64', *accel, '-m', mem, '-smp', str(smp),
	       '-nodefaults', '-nographic', '-no-reboot', *console,
	       '-kernel', str(image), '-initrd', str(initrd),
	       '-append', append]
	cmd += shlex.split(os.environ.get('MASSTREE_QEMU_ARGS', ''))
	return cmd


@dataclasses.dataclass
class VMRun:
	lines: list
	log: Path
	seconds: float
	timed_out: bool
	boot_seconds: float = None	# wall time until /init was up


def run_vm(cmd, log_path, timeout, on_line=None):
	"""Run QEMU, tee the console into log_path, kill it after timeout s."""
	log_path.parent.mkdir(parents=True, exist_ok=True)
	lines = []
	start = time.monotonic()
	booted = []
	with open(log_path, 'w', errors='replace') as log:
		log.write('# ' + shlex.join(cmd) + '\n')
		proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
					stdout=subprocess.PIPE,
					stderr=subprocess.STDOUT)

		def reader():
			for raw in proc.stdout:
				line = raw.decode('utf-8', 'replace').rstrip('\r\n')
				line = line.replace('\r', '')
				lines.append(line)
				log.write(line + '\n')
				if not booted and line.endswith('@@MTVM-BOOTED@@'):
					booted.append(time.monotonic() - start)
				if on_line:
					on_line(line)

		t = threading.Thread(target=reader, daemon=True)
		t.start()
		timed_out = False
		try:
			proc.wait(timeout=timeout)
		except subprocess.TimeoutExpired:
			timed_out = True
			proc.kill()
			proc.wait()
		except BaseException:
			proc.kill()
			proc.wait()
			raise
		t.join(timeout=10)
		log.flush()
	return VMRun(lines, log_path, time.monotonic() - start, timed_out,
		     booted[0] if booted else None)


def new_log_path(kind):
	stamp = time.strftime('%Y%m%d-%H%M%S')
	OUT_DIR.mkdir(parents=True, exist_ok=True)
	return OUT_DIR / f'{kind}-{stamp}-{os.getpid()}.log'


def boot(kind, image, modules, mode, args, files=(), script=None,
	 on_line=None):
	"""Build the initramfs, boot, return the VMRun."""
	OUT_DIR.mkdir(parents=True, exist_ok=True)
	with tempfile.TemporaryDirectory(dir=OUT_DIR, prefix='initrd-') as tmp:
		initrd = Path(tmp) / 'initramfs.cpio.gz'
		build_initramfs(initrd, make_init(modules, mode), modules,
				files, script)
		cmd = qemu_cmd(image, initrd, args.smp, args.mem, args.append)
		log = new_log_path(kind)
		info(f'booting {image} ({"KVM" if "kvm" in cmd else "TCG"}, '
		     f'-smp {args.smp}); console log: {log}')
		vm = run_vm(cmd, log, args.timeout, on_line)
	info(f'VM finished in {vm.seconds:.1f} s'
	     + (f' (userspace up after {vm.boot_seconds:.1f} s)'
		if vm.boot_seconds else ''))
	return vm


# ---------------------------------------------------------------------------
# Log analysis

# Splat headers, most specific first: a report's lines that match several
# patterns (e.g. "WARNING: suspicious RCU usage") get the first category.
SPLATS = [
	('KCSAN', re.compile(r'BUG: KCSAN:')),
	('KASAN', re.compile(r'\bKASAN:')),
	('UBSAN', re.compile(r'\bUBSAN:')),
	('KFENCE', re.compile(r'BUG: KFENCE:')),
	('sleep-in-atomic',
	 re.compile(r'sleeping function called from invalid context')),
	('rcu-context-switch',
	 re.compile(r'Voluntary context switch within RCU')),
	('lockdep-circular', re.compile(r'possible circular locking')),
	('lockdep-recursive', re.compile(r'possible recursive locking')),
	('lockdep-inconsistent', re.compile(r'inconsistent lock state')),
	('lockdep', re.compile(r'WARNING: (bad unlock balance|held lock freed|'
			       r'lock held when returning|'
			       r'possible irq lock inversion)')),
	('rcu-suspicious', re.compile(r'suspicious RCU usage')),
	('ODEBUG', re.compile(r'\bODEBUG:')),
	('list-corruption', re.compile(r'list_(add|del) corruption')),
	# e.g. its object pool ran dry under failslab: no leak check happened
	('kmemleak-off',
	 re.compile(r'kmemleak: Kernel memory leak detector disabled')),
	('rcu-stall', re.compile(r'INFO: rcu_\w+ (self-)?detected stall')),
	('hung-task', re.compile(r'blocked for more than \d+ seconds')),
	('soft-lockup', re.compile(r'soft lockup')),
	('panic', re.compile(r'Kernel panic - not syncing')),
	('Oops', re.compile(r'\bOops\b')),
	('general-protection', re.compile(r'general protection')),
	('BUG', re.compile(r'BUG:|kernel BUG at')),
	('WARNING', re.compile(r'WARNING:')),
]
# A header within this many lines of the previous one is the same report
# (e.g. "ODEBUG: ..." then "WARNING: CPU: 0 PID: 1 at lib/debugobjects.c"),
# unless a report ended in between. KCSAN reports are never merged: they
# are dropped when not ours, and must not take a neighbour down with them.
SPLAT_JOIN = 4
SPLAT_SEARCH = 150	# lines searched for the module names of a report
SPLAT_SHOW = 60		# lines of it shown
REPORT_END_RE = re.compile(r'^(={20,}|---\[ end trace)')
MODNAME_RE = re.compile(r'\[(\w+)\]')


@dataclasses.dataclass
class Problem:
	category: str
	module: str	# module it is attributed to, or None (kernel / VM)
	text: str	# offending lines with context


@dataclasses.dataclass
class Segment:
	phase: str	# boot | insmod | tests | rmmod | shutdown
	module: str


def segments(lines):
	"""Per line: which phase of the run it belongs to."""
	seg = Segment('boot', None)
	out = []
	for line in lines:
		m = marker(strip_ts(line))
		if m:
			what, arg = m.group(1), (m.group(2) or '').split()
			name = arg[0] if arg else None
			if what == 'MTVM-BOOTED':
				seg = Segment('tests', None)
			elif what == 'MTVM-INSMOD-BEGIN':
				seg = Segment('insmod', name)
			elif what in ('MTVM-INSMOD-OK', 'MTVM-INSMOD-FAIL'):
				seg = Segment('tests', None)
			elif what == 'MTVM-RMMOD-BEGIN':
				seg = Segment('rmmod', name)
			elif what in ('MTVM-RMMOD-OK', 'MTVM-RMMOD-FAIL'):
				seg = Segment('shutdown', None)
			elif what == 'MTVM-DONE':
				seg = Segment('shutdown', None)
		out.append(seg)
	return out


def is_console_noise(text):
	"""Relayed userspace text and our markers are never splats."""
	return RELAY_RE.match(text) is not None or marker(text)


def classify(text):
	for rank, (cat, rx) in enumerate(SPLATS):
		if rx.search(text):
			return rank, cat
	return None


def find_splats(lines, our_modules):
	"""Return [Problem] for every splat in the console log."""
	segs = segments(lines)
	texts = [strip_ts(line) for line in lines]
	groups = []	# [rank, category, first line, last header line]
	ended = False	# a report ended since the last header
	for i, text in enumerate(texts):
		if is_console_noise(text):
			continue
		c = classify(text)
		if not c:
			ended = ended or bool(REPORT_END_RE.match(text))
			continue
		g = groups[-1] if groups else None
		if (g and i - g[3] <= SPLAT_JOIN and not ended
				and 'KCSAN' not in (g[1], c[1])):
			if c[0] < g[0]:
				g[0], g[1] = c
			g[3] = i
		else:
			groups.append([c[0], c[1], i, i])
		ended = False
	problems = []
	starts = [g[2] for g in groups[1:]] + [len(texts)]
	for (_rank, cat, first, _last), nxt in zip(groups, starts):
		end = first + 1	# the report: up to its end line, a marker,
		while end < min(nxt, first + SPLAT_SEARCH):	# or the next one
			t = texts[end]
			if marker(t) or RELAY_RE.match(t):
				break
			end += 1
			if REPORT_END_RE.match(t) and end - first > 3:
				break
		ours = [n for line in texts[first:end]
			for n in MODNAME_RE.findall(line)
			if n in our_modules or n.startswith('masstree')]
		if cat == 'KCSAN' and not ours:
			continue	# the core kernel's own known races
		# innermost frame of ours first; else whose insmod/rmmod it was
		module = ours[0] if ours else segs[first].module
		ctx = lines[max(0, first - 3):min(end, first + SPLAT_SHOW)]
		problems.append(Problem(cat, module, '\n'.join(ctx)))
	return problems


def kmemleak_dumps(lines):
	"""{tag: [(address, report lines)]} from the relayed kmemleak dumps."""
	dumps, tag, obj = {}, None, None
	for line in lines:
		text = strip_ts(line)
		m = marker(text)
		if m and m.group(1) == 'MTVM-KMEMLEAK-BEGIN':
			tag = m.group(2)
			dumps[tag] = []
			continue
		if m and m.group(1) == 'MTVM-KMEMLEAK-END':
			tag = None
			continue
		r = RELAY_RE.match(text)
		if tag is None or not r or r.group(1) != 'kmemleak':
			continue
		body = r.group(2)
		a = re.match(r'unreferenced object (0x[0-9a-f]+)', body)
		if a:
			obj = (a.group(1), [body])
			dumps[tag].append(obj)
		elif obj is not None and dumps[tag] and dumps[tag][-1] is obj:
			obj[1].append(body)
	return dumps


def module_ranges(lines):
	"""{module: (start, end)} from the relayed /proc/modules."""
	out = {}
	for line in lines:
		r = RELAY_RE.match(strip_ts(line))
		if not r or r.group(1) != 'modules':
			continue
		f = r.group(2).split()
		if len(f) >= 6 and f[5].startswith('0x'):
			start = int(f[5], 16)
			if start:
				out[f[0]] = (start, start + int(f[1]))
	return out


def find_leaks(lines, our_modules):
	"""kmemleak reports that are ours and not in the baseline. A report is
	blamed on the module of its innermost frame that is ours: named
	("[mod]") while loaded, or a bare address in a module's recorded core
	range after rmmod."""
	dumps = kmemleak_dumps(lines)
	seen = {addr for addr, _ in dumps.get('baseline', [])}
	ranges = module_ranges(lines)

	def frame_module(body):
		for n in MODNAME_RE.findall(body):
			if n in our_modules or n.startswith('masstree'):
				return n
		for a in re.findall(r'\] (0x[0-9a-f]+)$', body):
			for n, (lo, hi) in ranges.items():
				if lo <= int(a, 16) < hi:
					return n
		return None

	problems = []
	for tag in ('loaded', 'unloaded'):
		for addr, report in dumps.get(tag, []):
			if addr in seen:
				continue
			seen.add(addr)
			mod = next(filter(None, map(frame_module, report)), None)
			if mod:
				when = ('still loaded' if tag == 'loaded'
					else 'after rmmod')
				problems.append(Problem(
					'kmemleak', mod,
					f'kmemleak ({when}):\n' + '\n'.join(report)))
	return problems


def module_events(lines):
	"""Markers: insmod/rmmod results, with any relayed error text."""
	problems, ok = [], {'insmod': set(), 'rmmod': set()}
	pending = []
	for line in lines:
		text = strip_ts(line)
		r = RELAY_RE.match(text)
		if r and r.group(1) in ('insmod', 'rmmod'):
			pending.append(r.group(2))
			continue
		m = marker(text)
		if not m:
			continue
		what, arg = m.group(1), (m.group(2) or '').split()
		if what in ('MTVM-INSMOD-OK', 'MTVM-RMMOD-OK'):
			ok[what.split('-')[1].lower()].add(arg[0])
		elif what in ('MTVM-INSMOD-FAIL', 'MTVM-RMMOD-FAIL'):
			kind = what.split('-')[1].lower()
			problems.append(Problem(
				kind, arg[0], f'{kind} {" ".join(arg)}:\n'
				+ '\n'.join(pending)))
		pending = []
	return problems, ok


def vm_problems(vm):
	out = []
	text = '\n'.join(vm.lines[-15:])
	if vm.timed_out:
		out.append(Problem('vm-timeout', None,
				   f'VM killed after the timeout; last lines:\n{text}'))
	elif not has_marker(vm.lines, 'MTVM-DONE'):
		out.append(Problem('vm-crash', None,
				   f'VM exited before the end marker; last lines:'
				   f'\n{text}'))
	if not has_marker(vm.lines, 'MTVM-BOOTED'):
		out.append(Problem('vm-boot', None, '/init never started'))
	return out


def check_run(vm, modules):
	"""Everything but KUnit: VM, insmod/rmmod, splats, leaks."""
	names = {m.name for m in modules}
	problems = vm_problems(vm)
	mod_problems, ok = module_events(vm.lines)
	problems += mod_problems
	for m in modules if not problems else ():	# a dead VM says enough
		if m.name not in ok['insmod'] and not any(
				p.module == m.name and p.category == 'insmod'
				for p in problems):
			problems.append(Problem('insmod', m.name,
						f'no insmod result for {m.name}'))
	problems += find_splats(vm.lines, names)
	problems += find_leaks(vm.lines, names)
	return problems, ok


# ---------------------------------------------------------------------------
# KUnit

def kernel_source(kdir):
	env = os.environ.get('MASSTREE_KERNEL_SRC')
	cands = [Path(env)] if env else []
	cands.append(Path(kdir) / 'source')
	mk = Path(kdir) / 'Makefile'
	if mk.is_file():
		m = re.search(r'^include (\S+)/Makefile$', mk.read_text(), re.M)
		if m:
			cands.append(Path(m.group(1)))
	cands.append(Path(kdir))
	for c in cands:
		if (c / 'tools/testing/kunit/kunit.py').is_file():
			return c.resolve()
	raise SystemExit(f'mtvm: cannot find kunit.py for {kdir} '
			 '(set MASSTREE_KERNEL_SRC)')


@dataclasses.dataclass
class Case:
	suite: str
	name: str
	status: str	# PASS | FAIL | SKIP | ERROR
	module: str


def ktap_slice(lines):
	"""The KTAP between our markers, timestamps stripped, and the module
	whose insmod printed each suite."""
	out, suite_module, inside, module = [], {}, False, None
	for line in lines:
		text = strip_ts(line)
		m = marker(text)
		if m:
			what = m.group(1)
			if what == 'KTAP-BEGIN':
				inside = True
			elif what == 'KTAP-END':
				inside = False
			elif what == 'MTVM-INSMOD-BEGIN':
				module = (m.group(2) or '').split()[0]
			continue
		if not inside or RELAY_RE.match(text):
			continue
		s = re.match(r'\s*# Subtest: (\S+)', text)
		if s and text.startswith('    ') and not text.startswith('     '):
			suite_module[s.group(1)] = module
		out.append(text)
	return out, suite_module


def parse_kunit(vm, modules, kdir, work):
	"""Feed the KTAP to kunit.py parse; return (cases, problems, output)."""
	nsuites = sum(m.nsuites for m in modules)
	body, suite_module = ktap_slice(vm.lines)
	ktap = Path(work) / 'ktap.txt'
	js = Path(work) / 'ktap.json'
	ktap.write_text('KTAP version 1\n' + f'1..{nsuites}\n'
			+ '\n'.join(body) + '\n')
	kunit_py = kernel_source(kdir) / 'tools/testing/kunit/kunit.py'
	p = subprocess.run([sys.executable, str(kunit_py), 'parse',
			    f'--json={js}', str(ktap)],
			   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
			   text=True, errors='replace')
	output = p.stdout
	problems, cases = [], []
	if nsuites == 0:
		problems.append(Problem('ktap-plan', None,
					'the modules hold no KUnit suite'))
	try:
		tree = json.loads(js.read_text())
	except (OSError, ValueError):
		tree = None
		problems.append(Problem('ktap-parse', None,
					'kunit.py parse wrote no JSON'))

	def walk(group, suite):
		for sub in group.get('sub_groups', []):
			walk(sub, suite or sub['name'])
		for c in group.get('test_cases', []):
			s = suite or c['name']
			cases.append(Case(s, c['name'], c['status'],
					  suite_module.get(s)))

	found = 0
	if tree is not None:
		walk(tree, None)
		# unnamed top-level leaves are kunit.py's "missing" placeholders
		found = len(tree.get('sub_groups', [])) + sum(
			bool(c['name']) for c in tree.get('test_cases', []))
	if tree is not None and found != nsuites:
		problems.append(Problem(
			'ktap-missing', None,
			f'planned {nsuites} suites, got results for {found}'))
	if p.returncode != 0 and not problems and all(
			c.status in ('PASS', 'SKIP') for c in cases):
		problems.append(Problem('ktap-parse', None,
					f'kunit.py parse exited {p.returncode}'))
	return cases, problems, output


def print_problems(problems, per_category=3):
	"""Print each problem with its context; a flood of one kind (e.g.
	kasan_multi_shot) is cut short, the log has it all."""
	shown = {}
	for p in problems:
		n = shown[p.category] = shown.get(p.category, 0) + 1
		if n > per_category:
			continue
		who = f' [{p.module}]' if p.module else ''
		print(f'\n==== FAIL: {p.category}{who} ====')
		print(p.text)
	for cat, n in shown.items():
		if n > per_category:
			print(f'\n==== ... and {n - per_category} more {cat} '
			      'reports (see the log) ====')


def write_results(path, passed, failed):
	if path:
		Path(path).parent.mkdir(parents=True, exist_ok=True)
		Path(path).write_text(f'{passed} {failed}\n')


def count(cases, problems):
	passed = sum(c.status == 'PASS' for c in cases)
	failed = sum(c.status in ('FAIL', 'ERROR') for c in cases)
	failed += len({p.category for p in problems})
	return passed, failed


def kunit_run(kdir, modules, args, quiet=False):
	"""Boot, run, analyse. Returns (cases, problems, vm)."""
	image = kernel_image(kdir)
	on_line = (lambda s: print(s, flush=True)) if args.verbose else None
	vm = boot('kunit', image, modules, 'kunit', args, on_line=on_line)
	problems, _ok = check_run(vm, modules)
	OUT_DIR.mkdir(parents=True, exist_ok=True)
	with tempfile.TemporaryDirectory(dir=OUT_DIR, prefix='ktap-') as tmp:
		cases, kproblems, output = parse_kunit(vm, modules, kdir, tmp)
	if not has_marker(vm.lines, 'KTAP-END'):
		kproblems.append(Problem('ktap-missing', None,
					 'no end-of-KTAP marker'))
	problems = kproblems + problems
	if not quiet:
		print(output.rstrip())
	return cases, problems, vm


def cmd_kunit(args):
	modules = [Module.load(m) for m in args.modules]
	cases, problems, vm = kunit_run(args.kernel_dir, modules, args)
	passed, failed = count(cases, problems)
	print_problems(problems)
	for c in cases:	# kunit.py listed them all; repeat what went wrong
		if c.status in ('FAIL', 'ERROR'):
			name = f'{c.suite}.{c.name}' if c.suite != c.name \
				else c.name
			print(f'mtvm: {c.status:5} {name or "(missing results)"}')
	write_results(args.results, passed, failed)
	cats = sorted({p.category for p in problems})
	verdict = 'PASS' if failed == 0 and passed > 0 else 'FAIL'
	print(f'mtvm: kunit {verdict}: {passed} cases passed, '
	      f'{sum(c.status in ("FAIL", "ERROR") for c in cases)} failed, '
	      f'{sum(c.status == "SKIP" for c in cases)} skipped'
	      + (f'; problems: {", ".join(cats)}' if cats else '')
	      + f' (log: {vm.log})')
	return 0 if verdict == 'PASS' else 1


# ---------------------------------------------------------------------------
# load / run / shell

def cmd_load(args):
	modules = [Module.load(m) for m in args.modules]
	image = kernel_image(args.kernel)

	def show(line):	# lsmod and the dmesg tail, as the VM prints them
		text = strip_ts(line)
		r = RELAY_RE.match(text)
		if r and r.group(1) in ('lsmod', 'dmesg'):
			print(f'  {r.group(1)}: {r.group(2)}', flush=True)

	vm = boot('load', image, modules, 'load', args,
		  on_line=(lambda s: print(s, flush=True)) if args.verbose
		  else show)
	problems, ok = check_run(vm, modules)
	ins = [p for p in problems if p.category == 'insmod']
	rm = [p for p in problems if p.category == 'rmmod']
	if not ins and len(ok['rmmod']) < len(modules):
		rm.append(Problem('rmmod', None, 'not every module was removed'))
		problems.append(rm[-1])
	other = [p for p in problems if p.category not in ('insmod', 'rmmod')]
	print_problems(problems)
	checks = [('insmod', not ins), ('rmmod', not rm),
		  ('no splats, VM ok', not other)]
	for name, good in checks:
		print(f'mtvm: {"ok  " if good else "FAIL"} {name}')
	passed = sum(g for _, g in checks)
	write_results(args.results, passed, len(checks) - passed)
	print(f'mtvm: load {"PASS" if passed == len(checks) else "FAIL"} '
	      f'(log: {vm.log})')
	return 0 if passed == len(checks) else 1


def cmd_run(args):
	modules = [Module.load(m) for m in args.modules]
	image = kernel_image(args.kernel)
	if not Path(args.script).is_file():
		raise SystemExit(f'mtvm: no such script: {args.script}')
	live = [args.verbose]

	def echo(line):	# the script's part of the console, as it happens
		m = marker(strip_ts(line))
		if m and m.group(1) == 'MTVM-SCRIPT-BEGIN':
			live[0] = True
		elif m and m.group(1) == 'MTVM-SCRIPT-EXIT':
			live[0] = args.verbose
		elif live[0]:
			print(line, flush=True)

	vm = boot('run', image, modules, 'run', args, files=args.files,
		  script=args.script, on_line=echo)
	problems, _ok = check_run(vm, modules)
	rc = None
	for line in vm.lines:
		m = marker(strip_ts(line))
		if m and m.group(1) == 'MTVM-SCRIPT-EXIT':
			rc = int(m.group(2))
	print_problems(problems)
	if rc is None:
		info(f'the script did not finish (log: {vm.log})')
		return 124 if vm.timed_out else 1
	info(f'script exited {rc}' + (f'; problems: '
	     f'{", ".join(sorted({p.category for p in problems}))}'
	     if problems else '') + f' (log: {vm.log})')
	if rc == 0 and problems:
		return 1
	return rc


def cmd_shell(args):
	modules = [Module.load(m) for m in args.modules]
	image = kernel_image(args.kernel)
	OUT_DIR.mkdir(parents=True, exist_ok=True)
	with tempfile.TemporaryDirectory(dir=OUT_DIR, prefix='initrd-') as tmp:
		initrd = Path(tmp) / 'initramfs.cpio.gz'
		build_initramfs(initrd, make_init(modules, 'shell'), modules,
				args.files)
		cmd = qemu_cmd(image, initrd, args.smp, args.mem, args.append,
			       interactive=True)
		info('booting; leave with `reboot -f` (Ctrl-A X kills QEMU)')
		return subprocess.call(cmd)


# ---------------------------------------------------------------------------
# selftest

BROKEN = HERE / 'broken'
# module -> (kernel flavour, [(what the runner must catch, category, text
# the report must contain)]). The categories attributed to a module must be
# exactly these: a report blamed on the wrong module is a runner bug too.
EXPECT = {
	'broken_good': ('any', []),
	'broken_fail': ('debug', [('failed KUnit case', 'kunit-failed', '')]),
	'broken_sleep': ('debug', [('sleeping call under a spinlock',
				    'sleep-in-atomic', '')]),
	'broken_leak': ('debug', [('memory leak', 'kmemleak', 'still loaded'),
				  ('leak at module exit', 'kmemleak',
				   'after rmmod')]),
	# last on its kernel: a KASAN report turns lockdep off. KFENCE reports
	# instead when its sampling happened to pick that allocation.
	'broken_uaf': ('debug', [('use-after-free', ('KASAN', 'KFENCE'), '')]),
	'broken_race': ('race', [('data race', 'KCSAN', '')]),
}


def build_broken(kdir, flavour):
	"""Build a copy of tools/vm/broken/ (keeps the source tree clean and
	lets both kernels' builds coexist)."""
	dst = OUT_DIR / 'selftest' / flavour
	dst.mkdir(parents=True, exist_ok=True)
	for f in BROKEN.iterdir():
		if f.suffix == '.c' or f.name == 'Kbuild':
			if not (dst / f.name).exists() or \
					(dst / f.name).read_bytes() != f.read_bytes():
				shutil.copy(f, dst / f.name)
	p = subprocess.run(['make', '-C', str(kdir), f'M={dst}', 'modules',
			    f'-j{os.cpu_count() or 2}'],
			   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
			   text=True)
	if p.returncode != 0:
		print(p.stdout)
		raise SystemExit(f'mtvm: building {BROKEN} against {kdir} failed')
	return dst


def selftest_vm(kdir, flavour, names, args, checks):
	info(f'selftest on the {flavour} kernel {kdir}: {", ".join(names)}')
	built = build_broken(kdir, flavour)
	modules = [Module.load(built / f'{n}.ko') for n in names]
	cases, problems, vm = kunit_run(kdir, modules, args, quiet=True)
	# failed cases count as problems of their module
	mine = problems + [Problem('kunit-failed', c.module,
				   f'{c.suite}.{c.name}: {c.status}')
			   for c in cases if c.status in ('FAIL', 'ERROR')]
	# Whatever is not one module's fault would fail every real run.
	stray = [p for p in mine if p.module is None]
	print_problems(stray)

	def check(ok, what):
		print(f'mtvm: [{flavour}] {what}: {"ok" if ok else "FAILED"}',
		      flush=True)
		checks.append(bool(ok))

	for n in names:
		got = [p for p in mine if p.module == n]
		cats = sorted({p.category for p in got})
		want = EXPECT[n][1]
		if not want:
			passed = [c for c in cases
				  if c.module == n and c.status == 'PASS']
			check(passed and not got and not stray,
			      f'a clean run passes ({n}: {len(passed)} passed,'
			      f' reported: {", ".join(cats) or "nothing"})')
			continue
		# a category may be one name or a tuple of alternatives
		want = [(w, c if isinstance(c, tuple) else (c,), t)
			for w, c, t in want]
		for what, cat, text in want:
			hit = [p for p in got
			       if p.category in cat and text in p.text]
			check(hit, f'runner caught {what} ({n})')
			for p in hit[:1]:
				key = next((ln for ln in p.text.splitlines()
					    if classify(strip_ts(ln))
					    or 'unreferenced' in ln
					    or p.category == 'kunit-failed'),
					   p.text.splitlines()[0])
				print(f'        {p.category}: '
				      f'{strip_ts(key)[:110]}')
		extra = {c for c in cats
			 if not any(c in cat for _, cat, _ in want)}
		if extra:
			check(False, f'{n}: unexpected reports: '
			      f'{", ".join(sorted(extra))}')
	# The run as a whole must fail: its exit status is what CI sees.
	passed, failed = count(cases, problems)
	want_fail = any(EXPECT[n][1] for n in names)
	check((failed > 0) == want_fail,
	      f'run verdict {"FAIL" if failed else "PASS"} ({passed} passed,'
	      f' {failed} failed), expected {"FAIL" if want_fail else "PASS"}'
	      f'; {vm.seconds:.0f} s, log: {vm.log}')


def cmd_selftest(args):
	start = time.monotonic()
	checks = []
	debug = [n for n, (fl, _) in EXPECT.items() if fl in ('any', 'debug')]
	selftest_vm(args.kernel_dir, 'debug', debug, args, checks)
	if args.race_kernel_dir:
		race = [n for n, (fl, _) in EXPECT.items()
			if fl in ('any', 'race')]
		selftest_vm(args.race_kernel_dir, 'race', race, args, checks)
	else:
		info('no --race-kernel-dir: the data-race check was skipped')
	passed = sum(checks)
	write_results(args.results, passed, len(checks) - passed)
	verdict = 'PASS' if passed == len(checks) else 'FAIL'
	print(f'mtvm: selftest {verdict}: {passed}/{len(checks)} checks in '
	      f'{time.monotonic() - start:.0f} s')
	return 0 if verdict == 'PASS' else 1


# ---------------------------------------------------------------------------

def main(argv=None):
	ap = argparse.ArgumentParser(
		description='Boot test kernels with our modules under QEMU.',
		epilog='See tools/vm/README.md.')
	sub = ap.add_subparsers(dest='cmd', required=True)

	def common(p, timeout):
		p.add_argument('--smp', type=int, default=2)
		p.add_argument('--mem', default='2G')
		p.add_argument('--timeout', type=float, default=timeout,
			       help='wall-clock limit for the VM, seconds')
		p.add_argument('--append', default='',
			       help='extra kernel command line')
		p.add_argument('-v', '--verbose', action='store_true',
			       help='echo the whole console')

	p = sub.add_parser('kunit', help='run KUnit test modules')
	p.add_argument('--kernel-dir', required=True)
	p.add_argument('--modules', nargs='+', required=True)
	p.add_argument('--results')
	common(p, 900)
	p.set_defaults(func=cmd_kunit)

	p = sub.add_parser('load', help='load and unload modules')
	p.add_argument('--kernel', required=True)
	p.add_argument('--modules', nargs='+', required=True)
	p.add_argument('--results')
	common(p, 300)
	p.set_defaults(func=cmd_load)

	p = sub.add_parser('run', help='run a script in the VM')
	p.add_argument('--kernel', required=True)
	p.add_argument('--modules', nargs='*', default=[])
	p.add_argument('--script', required=True)
	p.add_argument('--files', nargs='*', default=[])
	common(p, 900)
	p.set_defaults(func=cmd_run)

	p = sub.add_parser('shell', help='interactive shell in the VM')
	p.add_argument('--kernel', required=True)
	p.add_argument('--modules', nargs='*', default=[])
	p.add_argument('--files', nargs='*', default=[])
	common(p, 0)
	p.set_defaults(func=cmd_shell)

	p = sub.add_parser('selftest', help='prove the runner catches bugs')
	p.add_argument('--kernel-dir', required=True)
	p.add_argument('--race-kernel-dir')
	p.add_argument('--results')
	common(p, 600)
	p.set_defaults(func=cmd_selftest)

	args = ap.parse_args(argv)
	return args.func(args)


if __name__ == '__main__':
	sys.exit(main())
