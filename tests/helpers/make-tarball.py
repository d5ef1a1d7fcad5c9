#!/usr/bin/env python3
"""Builds the crafted tarballs of the archive tests. Usage: make-tarball.py KIND OUT [ARG]
OUT ending in .gz is gzipped."""
import io
import sys
import tarfile

kind, out = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else ""


def add_file(t, name, data=b"x\n", mode=0o644, uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.uid, ti.gid = len(data), mode, uid, gid
    t.addfile(ti, io.BytesIO(data))


def add_link(t, name, target, hard=False):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    ti.linkname = target
    t.addfile(ti)


class Zeros(io.RawIOBase):
    """n zero bytes, streamed: a gzip bomb is written without holding it."""

    def __init__(self, n):
        self.n = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.n)
        b[:k] = bytes(k)
        self.n -= k
        return k


def add_dir(t, name):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    t.addfile(ti)


with tarfile.open(out, "w:gz" if out.endswith(".gz") else "w", format=tarfile.GNU_FORMAT) as t:
    add_dir(t, "./")
    add_file(t, "./ok-before")
    if kind == "dotdot":
        add_file(t, "../" * 8 + arg.lstrip("/"), b"escaped\n")
    elif kind == "absolute":
        add_file(t, arg, b"escaped\n")
    elif kind == "symlink-then-file":
        add_link(t, "./link", arg)
        add_file(t, "./link/evil", b"through the link\n")
    elif kind == "hardlink-outside":
        add_link(t, "./hl", "../" * 8 + arg.lstrip("/"), hard=True)
    elif kind == "hardlink-abs":
        add_link(t, "./hl", arg, hard=True)
    elif kind == "dot-symlink-then-file":  # "./" in the middle of the name
        add_dir(t, "a")
        add_link(t, "a/evil", arg)
        add_file(t, "a/./evil/file", b"through the link\n")
    elif kind == "hardlink-through-symlink":  # ARG: a directory outside, holding "victim"
        add_link(t, "s", arg)
        add_link(t, "h", "s/victim", hard=True)
    elif kind == "zeros":  # ARG: the size of big.bin
        ti = tarfile.TarInfo("./big.bin")
        ti.size, ti.mode = int(arg), 0o644
        t.addfile(ti, io.BufferedReader(Zeros(ti.size), 1 << 20))
    elif kind == "hardlink-to-symlink":
        add_link(t, "./sym", arg)
        add_link(t, "./hl", "./sym", hard=True)
    elif kind == "symlink-replaced-by-file":
        add_link(t, "./etc/alt", arg)
        add_file(t, "./etc/alt", b"replacing the link\n")
    elif kind == "many":
        for i in range(int(arg)):
            add_file(t, "./f%06d" % i, b"")
    elif kind == "rootfs-like":
        add_dir(t, "./bin")
        add_file(t, "./bin/tool", b"#!/bin/sh\n", mode=0o4755, uid=0)
        add_file(t, "./owned", b"mine\n", mode=0o640, uid=1234, gid=4321)
        add_link(t, "./bin/sh", "/bin/busybox")
        add_link(t, "./bin/tool-again", "./bin/tool", hard=True)
        ti = tarfile.TarInfo("./null")
        ti.type, ti.mode, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 0o666, 1, 3
        t.addfile(ti)
        ti = tarfile.TarInfo("./fifo")
        ti.type, ti.mode = tarfile.FIFOTYPE, 0o600
        t.addfile(ti)
    add_file(t, "./ok-after")
