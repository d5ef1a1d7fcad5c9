/* SPDX-License-Identifier: MIT */
#include "cmd.h"
#include "plan-load.h"

static const char usage[] =
        "Usage: xbuild shell RECIPE --strategy=qemu-system [OPTIONS]\n"
        "\n"
        "Boot the VM a qemu-system build of RECIPE would use, with the source in /xbuild/src,\n"
        "the steps in /xbuild/steps and the build's environment, and give its console to this\n"
        "terminal: a root shell in the ARM root file system. The root disk is a snapshot;\n"
        "leaving the shell powers the VM off and discards every change but those under\n"
        "/xbuild (which go too, unless --keep). Ctrl-A x stops a VM that no longer answers.\n"
        "\n"
        "Options:\n" PLAN_HELP CLI_COMMON_HELP;

int cmd_shell(int argc, char **argv) {
        return cmd_build_with("start a shell for", argc, argv, usage, true);
}
