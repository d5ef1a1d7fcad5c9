/* SPDX-License-Identifier: MIT */
#pragma once

/* The process that builds a session's world: the small executable xbuild-session,
 *   xbuild-session [SPEC...] -- CMD ARGS...
 * (see session.c for the spec), so that namespace and mount work happens in a fresh process,
 * with normal error reporting, never between fork and exec. It:
 *   1. unshares mount, PID, UTS and IPC namespaces and makes every mount a slave, so nothing
 *      mounted here reaches the host and the kernel drops it all when the namespace dies;
 *   2. forks PID 1 of the new PID namespace, which mounts the overlay, a fresh proc, a
 *      read-only sysfs, a tmpfs /dev with only null, zero, full, random, urandom, tty and a
 *      new devpts instance, tmpfs /tmp, the binds, copies resolv.conf, pivots into the root,
 *      runs CMD and reaps everything; when CMD ends, PID 1 exits and the kernel kills whatever
 *      the build left running.
 * Every path inside the root is resolved with openat2(RESOLVE_IN_ROOT), so a symlink in the
 * root file system (say /proc -> /host) can never point a mount at the host.
 * With --private-mounts only step 1 happens and CMD runs on the host's tree (debootstrap). */
int ns_helper_main(int argc, char **argv);
