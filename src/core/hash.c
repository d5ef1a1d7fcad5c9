/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "macro.h"

struct sha256_ctx {
        EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_new(void) {
        struct sha256_ctx *c = calloc(1, sizeof *c);
        if (!c)
                return NULL;
        c->md = EVP_MD_CTX_new();
        if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
                sha256_free(c);
                return NULL;
        }
        return c;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t n) {
        (void) EVP_DigestUpdate(c->md, data, n);
}

void sha256_finish(struct sha256_ctx *c, char hex[SHA256_HEX_LEN + 1]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        (void) EVP_DigestFinal_ex(c->md, md, &n);
        for (unsigned i = 0; i < n && i < 32; i++) {
                static const char digits[] = "0123456789abcdef";
                hex[2 * i] = digits[md[i] >> 4];
                hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[SHA256_HEX_LEN] = 0;
        sha256_free(c);
}

void sha256_free(struct sha256_ctx *c) {
        if (!c)
                return;
        EVP_MD_CTX_free(c->md);
        free(c);
}

int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1]) {
        struct sha256_ctx *c = sha256_new();
        char buf[1 << 16];

        if (!c)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        sha256_free(c);
                        return -e;
                }
                if (n == 0)
                        break;
                sha256_update(c, buf, (size_t) n);
        }
        sha256_finish(c, hex);
        return 0;
}

int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return sha256_fd(fd, hex);
}

int sha256_string(const char *s, char hex[SHA256_HEX_LEN + 1]) {
        struct sha256_ctx *c = sha256_new();
        if (!c)
                return -ENOMEM;
        sha256_update(c, s, strlen(s));
        sha256_finish(c, hex);
        return 0;
}
