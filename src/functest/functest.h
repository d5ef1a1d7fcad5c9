/* SPDX-License-Identifier: MIT */
#pragma once

#include "fetch/cache.h"
#include "recipe/kconfig-profile.h"
#include "recipe/recipe.h"
#include "recipe/rootfs.h"
#include "report/test-report.h"
#include "strategy/pipeline.h"

/* The functional test: the built engine's daemon and a container, run inside the ARM VM
 * (qemu-system, -M virt) whichever strategy built the artifacts. One boot:
 *   - the recipe's rootfs with test.deps and busybox-static over it, as a read-only ext4
 *     image attached with snapshot=on (the image stays pristine);
 *   - the kernel's modules mounted read-only at /lib/modules/KVER, cgroups v1 or v2 as the
 *     recipe says, /run, /dev/shm, the clock never before the host's;
 *   - the artifacts enter through the job share and are installed in /usr/local/bin; an
 *     install tree (tree: true) is laid over the guest's root, as a package would be;
 *   - steps in the guest: setup (modules, the busybox test rootfs and its tarball), daemon
 *     (started in the background, polled until ready), image, run; the host judges each
 *     from the statuses the guest wrote to the share, and the expected line from the run's
 *     output.
 * The guest kernel's configuration (the one the kit boots) is checked against the recipe's
 * kconfig profile, with the runtime facts the guest reported. Logs: LOG_DIR/test-console.log,
 * test-daemon.log, test-run.log. */
struct functest_req {
        const struct recipe *recipe;           /* with a test section */
        const struct rootfs_def *rootfs;       /* the recipe's */
        const struct kconfig_profile *kconfig; /* NULL: none */
        enum xb_arch arch;
        const struct cache *cache;
        const struct vm_opts *vm;
        const char *artifacts_dir;             /* the artifacts under their install_as names */
        const char *log_dir;
        bool keep;                             /* keep the session (the share) for inspection */
};

/* Runs the test and fills *ret whatever happens (status, exit code, checks, error); logs
 * progress and, on failure, the daemon's and the console's last lines. Returns ret->exit_code:
 * 0 passed; 3 the engine failed a check; 6 the VM failed; 4 a host tool or package is
 * missing; 2 the artifacts are not there; 1 interrupted or another failure. */
int functest_run(const struct functest_req *req, struct test_result *ret);
/* What functest_run() checks first, without the cache or root (req->cache may be NULL): the
 * artifacts are there. Fills *ret (an error when they are not); returns its exit code. */
int functest_precheck(const struct functest_req *req, struct test_result *ret);
