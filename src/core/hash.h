/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* SHA-256 through OpenSSL's libcrypto, rendered as 64 lowercase hex digits. */
#define SHA256_HEX_LEN 64

struct sha256_ctx;

struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *data, size_t n);
/* Writes 65 bytes (hex + NUL) and frees the context. */
void sha256_finish(struct sha256_ctx *c, char hex[SHA256_HEX_LEN + 1]);
void sha256_free(struct sha256_ctx *c);

int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1]);
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1]);
int sha256_string(const char *s, char hex[SHA256_HEX_LEN + 1]);
