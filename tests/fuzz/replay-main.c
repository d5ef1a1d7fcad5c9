/* SPDX-License-Identifier: MIT */
/* Replays the fuzz target over files and directories (the seed corpus and the shipped
 * recipes) without libFuzzer, as a TAP test, so every build checks the corpus. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static void replay(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return;
        if (S_ISDIR(st.st_mode)) {
                DIR *d = opendir(path);
                struct dirent *de;
                if (!d)
                        return;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        char *p = path_join(path, de->d_name);
                        if (p)
                                replay(p);
                        free(p);
                }
                closedir(d);
                return;
        }
        char *data = NULL;
        size_t size = 0;
        if (read_full_file(path, 4u << 20, &data, &size) < 0)
                return;
        LLVMFuzzerTestOneInput((const uint8_t *) data, size);
        free(data);
        printf("ok %d - %s\n", ++count, path);
}

int main(int argc, char **argv) {
        for (int i = 1; i < argc; i++)
                replay(argv[i]);
        printf("1..%d\n", count);
        return count > 0 ? 0 : 1;
}
