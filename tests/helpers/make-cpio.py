#!/usr/bin/env python3
"""make-cpio.py OUT DIR: packs DIR as a newc cpio (an initramfs), owner root, times zero.
Used to give the VM a user-supplied initrd (--initrd) that misbehaves on purpose."""
import os
import stat
import sys


def header(name, mode, size, ino, nlink=1, rdev=(0, 0)):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    h = b"070701" + b"".join(b"%08x" % f for f in fields) + name.encode() + b"\0"
    return h + b"\0" * (-len(h) % 4)


def main():
    out, top = sys.argv[1], sys.argv[2]
    data, ino = bytearray(), 1
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for n in sorted(dirs) + sorted(files):
            path = os.path.join(root, n)
            name = os.path.relpath(path, top)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                body = os.readlink(path).encode()
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    body = f.read()
            else:
                body = b""
            data += header(name, st.st_mode, len(body), ino) + body + b"\0" * (-len(body) % 4)
            ino += 1
    data += header("TRAILER!!!", 0, 0, 0)
    with open(out, "wb") as f:
        f.write(data)


main()
