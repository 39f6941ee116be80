"""A seccomp filter for the learner's sandbox: the system calls no exercise needs and that would reach past its
limits, refused with EPERM (bubblewrap loads it with ``--seccomp FD`` before the runner starts; it cannot be undone).

- new processes: ``fork``, ``vfork``, and ``clone`` without ``CLONE_THREAD`` (threads still start; ``clone3``
  answers ENOSYS, so the C library falls back to ``clone``);
- memory that ``RLIMIT_AS`` does not count: ``memfd_create``, ``memfd_secret``, System V shared memory and message
  queues (``shmget``, ``msgget``);
- reaching other processes or the kernel: ``ptrace``, ``process_vm_readv``/``writev``, ``pidfd_getfd``, keyrings,
  ``bpf``, ``perf_event_open``, ``userfaultfd``, ``io_uring_setup``, namespaces and mounts, module and kexec
  loading, ``open_by_handle_at``.

A classic BPF program, as ``seccomp_export_bpf`` writes it, for x86-64 and arm64 (``program()`` is None elsewhere:
the sandbox then runs without it and the grading command says so).
"""
from __future__ import annotations

import errno
import platform
import struct

_ALLOW, _ERRNO, _KILL = 0x7FFF0000, 0x00050000, 0x80000000
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_CLONE_THREAD = 0x00010000

# arch -> (AUDIT_ARCH_*, {name: number}); from the kernels' syscall tables
_TABLES = {
    "x86_64": (0xC000003E, {
        "fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "memfd_create": 319, "memfd_secret": 447,
        "shmget": 29, "msgget": 68, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "pidfd_getfd": 438, "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
        "userfaultfd": 323, "io_uring_setup": 425, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
        "pivot_root": 155, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "open_by_handle_at": 304}),
    "aarch64": (0xC00000B7, {
        "clone": 220, "clone3": 435, "memfd_create": 279, "memfd_secret": 447, "shmget": 194, "msgget": 186,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438, "keyctl": 219,
        "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "io_uring_setup": 425, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273, "delete_module": 106,
        "open_by_handle_at": 265}),
}
_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def program(machine: str | None = None) -> bytes | None:
    """The filter for ``machine`` (default: this one) as bytes of ``struct sock_filter``; None where unknown."""
    arch = _MACHINES.get((machine or platform.machine()).lower())
    if arch is None:
        return None
    audit_arch, nr = _TABLES[arch]
    code = []                                    # (opcode, jump-if-true label, jump-if-false label, k)
    code.append((_LD_ABS, None, None, 4))                       # seccomp_data.arch
    code.append((_JEQ, "nr", "kill", audit_arch))
    code.append(("kill", _RET, _KILL))
    code.append(("nr", _LD_ABS, 0))                              # seccomp_data.nr
    if arch == "x86_64":
        code.append((_JGE, "deny", None, 0x40000000))           # the x32 ABI: none of ours
    for name, number in nr.items():
        if name not in ("clone", "clone3"):
            code.append((_JEQ, "deny", None, number))
    code.append((_JEQ, "enosys", None, nr["clone3"]))
    code.append((_JEQ, None, "allow", nr["clone"]))
    code.append((_LD_ABS, None, None, 16))                      # clone's flags (args[0], low 32 bits)
    code.append((_JSET, "allow", "deny", _CLONE_THREAD))
    code.append(("allow", _RET, _ALLOW))
    code.append(("deny", _RET, _ERRNO | errno.EPERM))
    code.append(("enosys", _RET, _ERRNO | errno.ENOSYS))
    return _assemble(code)


def _assemble(code) -> bytes:
    """Resolve labels: an entry ("label", op, k) is a labelled RET or LD; (op, jt, jf, k) a jump (None: next)."""
    flat, labels = [], {}
    for entry in code:
        if isinstance(entry[0], str):
            labels[entry[0]] = len(flat)
            flat.append((entry[1], None, None, entry[2]))
        else:
            flat.append(entry)
    out = b""
    for i, (op, jt, jf, k) in enumerate(flat):
        rel = [0 if t is None else labels[t] - i - 1 for t in (jt, jf)]
        if min(rel) < 0 or max(rel) > 255:
            raise ValueError(f"seccomp program: jump out of range at {i}")
        out += struct.pack("=HBBI", op, rel[0], rel[1], k)
    return out
