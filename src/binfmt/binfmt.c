/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "binfmt.h"
#include "core/fileio.h"
#include "core/path.h"
#include "verify/elf.h"

#define BINFMTFS_MAGIC 0x42494e4d

const char *binfmt_qemu_name(enum xb_arch a) {
        const struct arch_info *i = arch_info(a);
        return i ? i->qemu_user : NULL;
}

static int unhex(int c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "\x7fELF" -> bytes. Returns the length or -EINVAL. */
static int unescape(const char *s, size_t n, unsigned char *out, size_t max) {
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                int c = (unsigned char) s[i];
                if (c == '\\' && i + 1 < n && s[i + 1] == 'x') {
                        int h = i + 2 < n ? unhex(s[i + 2]) : -1, l = i + 3 < n ? unhex(s[i + 3]) : -1;
                        if (h < 0 || l < 0)
                                return -EINVAL;
                        c = h << 4 | l;
                        i += 3;
                } else if (c == '\\' && i + 1 < n && s[i + 1] == '\\')
                        i++;
                if (o == max)
                        return -EINVAL;
                out[o++] = (unsigned char) c;
        }
        return (int) o;
}

int binfmt_rule_parse(const char *line, struct binfmt_rule *ret) {
        const char *f[8];
        size_t len[8];
        struct binfmt_rule r = {0};
        char delim;
        int n = 0;

        while (*line == ' ' || *line == '\t')
                line++;
        delim = *line;
        if (!delim || isalnum((unsigned char) delim))
                return -EINVAL;
        /* Fields: name, type, offset, magic, mask, interpreter, flags. */
        for (const char *p = line + 1; n < 7;) {
                const char *e = strchr(p, delim);
                if (!e)
                        e = p + strcspn(p, "\r\n");
                f[n] = p;
                len[n] = (size_t) (e - p);
                n++;
                if (*e != delim)
                        break;
                p = e + 1;
        }
        if (n < 7 || len[1] != 1 || f[1][0] != 'M' || len[0] == 0 || len[0] >= sizeof r.name ||
            len[5] == 0 || len[5] >= sizeof r.interpreter || len[6] >= sizeof r.flags)
                return -EINVAL;
        memcpy(r.name, f[0], len[0]);
        memcpy(r.interpreter, f[5], len[5]);
        memcpy(r.flags, f[6], len[6]);
        r.offset = 0;
        for (size_t i = 0; i < len[2]; i++) {
                if (!isdigit((unsigned char) f[2][i]))
                        return -EINVAL;
                r.offset = r.offset * 10 + (unsigned) (f[2][i] - '0');
        }
        int ml = unescape(f[3], len[3], r.magic, sizeof r.magic);
        int kl = len[4] ? unescape(f[4], len[4], r.mask, sizeof r.mask) : ml;
        if (ml <= 0 || kl != ml)
                return -EINVAL;
        if (!len[4])
                memset(r.mask, 0xff, (size_t) ml);
        r.len = (size_t) ml;
        *ret = r;
        return 0;
}

char *binfmt_rule_format(const struct binfmt_rule *r) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fprintf(f, ":%s:M:%u:", r->name, r->offset);
        for (size_t i = 0; i < r->len; i++)
                fprintf(f, "\\x%02x", r->magic[i]);
        fputc(':', f);
        for (size_t i = 0; i < r->len; i++)
                fprintf(f, "\\x%02x", r->mask[i]);
        fprintf(f, ":%s:%s", r->interpreter, r->flags);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static int hex_bytes(const char *s, unsigned char *out, size_t max, size_t *ret_n) {
        size_t n = 0;
        while (s[0] && s[1] && !isspace((unsigned char) s[0])) {
                int h = unhex(s[0]), l = unhex(s[1]);
                if (h < 0 || l < 0 || n == max)
                        return -EINVAL;
                out[n++] = (unsigned char) (h << 4 | l);
                s += 2;
        }
        *ret_n = n;
        return 0;
}

int binfmt_entry_parse(const char *name, const char *text, struct binfmt_entry *ret) {
        struct binfmt_entry e = {0};
        size_t mask_n = 0;
        bool have_magic = false;

        if (strlen(name) >= sizeof e.rule.name)
                return -EINVAL;
        strncpy(e.rule.name, name, sizeof e.rule.name - 1);
        e.ours = strneq(name, BINFMT_OURS_PREFIX, strlen(BINFMT_OURS_PREFIX));
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");
                char line[4200];
                (void) snprintf(line, sizeof line, "%.*s", (int) MIN(n, sizeof line - 1), l);
                if (streq(line, "enabled"))
                        e.enabled = true;
                else if (strneq(line, "interpreter ", 12))
                        (void) snprintf(e.rule.interpreter, sizeof e.rule.interpreter, "%s", line + 12);
                else if (strneq(line, "flags: ", 7))
                        (void) snprintf(e.rule.flags, sizeof e.rule.flags, "%s", line + 7);
                else if (strneq(line, "flags:", 6))
                        e.rule.flags[0] = 0;
                else if (strneq(line, "offset ", 7))
                        e.rule.offset = (unsigned) strtoul(line + 7, NULL, 10);
                else if (strneq(line, "magic ", 6)) {
                        if (hex_bytes(line + 6, e.rule.magic, sizeof e.rule.magic, &e.rule.len) < 0)
                                return -EINVAL;
                        have_magic = true;
                } else if (strneq(line, "mask ", 5)) {
                        if (hex_bytes(line + 5, e.rule.mask, sizeof e.rule.mask, &mask_n) < 0)
                                return -EINVAL;
                }
                l += n;
                if (*l)
                        l++;
        }
        if (!have_magic) /* an extension rule ('E'), not ours to judge */
                return -EINVAL;
        if (mask_n == 0)
                memset(e.rule.mask, 0xff, e.rule.len);
        else if (mask_n != e.rule.len)
                return -EINVAL;
        *ret = e;
        return 0;
}

bool binfmt_rule_matches_arch(const struct binfmt_rule *r, enum xb_arch a) {
        const struct arch_info *ai = arch_info(a);
        unsigned char hdr[64] = {0x7f, 'E', 'L', 'F', (unsigned char) ai->elf_class, 1, 1, 0};
        bool any = false;

        if (r->offset + r->len > sizeof hdr)
                return false;
        /* e_machine at 18, little-endian; e_type at 16: try EXEC (2) and DYN (3, PIE). */
        hdr[18] = (unsigned char) (ai->elf_machine & 0xff);
        hdr[19] = (unsigned char) (ai->elf_machine >> 8);
        for (unsigned char type = 2; type <= 3; type++) {
                bool match = true;
                hdr[16] = type;
                for (size_t i = 0; i < r->len; i++)
                        if ((hdr[r->offset + i] & r->mask[i]) != (r->magic[i] & r->mask[i]))
                                match = false;
                any = any || match;
        }
        return any;
}

int binfmt_default_rule(const char *binfmt_d, enum xb_arch a, struct binfmt_rule *ret) {
        _cleanup_free_ char *file = NULL, *text = NULL;
        struct binfmt_rule r;
        int rr;

        if (asprintf(&file, "%s/qemu-%s.conf", binfmt_d ? binfmt_d : "/usr/lib/binfmt.d", binfmt_qemu_name(a)) < 0)
                return -ENOMEM;
        rr = read_full_file(file, 65536, &text, NULL);
        if (rr < 0)
                return rr;
        /* The first line that is not a comment. */
        rr = -ENOENT;
        for (char *l = text; rr == -ENOENT && *l;) {
                size_t n = strcspn(l, "\n");
                bool last = l[n] == 0;
                l[n] = 0;
                if (*l && *l != '#' && *l != ';')
                        rr = binfmt_rule_parse(l, &r);
                l += n + (last ? 0 : 1);
        }
        if (rr < 0)
                return rr;
        if (access(r.interpreter, X_OK) < 0)
                return -errno;
        (void) snprintf(ret->name, sizeof ret->name, "%sqemu-%s", BINFMT_OURS_PREFIX, binfmt_qemu_name(a));
        ret->offset = r.offset;
        memcpy(ret->magic, r.magic, sizeof r.magic);
        memcpy(ret->mask, r.mask, sizeof r.mask);
        ret->len = r.len;
        memcpy(ret->interpreter, r.interpreter, sizeof r.interpreter);
        /* Keep Debian's flags, make sure of F (fix the binary at registration). */
        (void) snprintf(ret->flags, sizeof ret->flags, "%s%s", r.flags, strchr(r.flags, 'F') ? "" : "F");
        return 0;
}

bool binfmt_is_mounted(const char *mnt) {
        struct statfs sf;
        return statfs(mnt, &sf) == 0 && sf.f_type == BINFMTFS_MAGIC;
}

int binfmt_ensure_mounted(const char *mnt, bool *ret_mounted_now) {
        if (ret_mounted_now)
                *ret_mounted_now = false;
        if (binfmt_is_mounted(mnt))
                return 0;
        if (mount("binfmt_misc", mnt, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return -errno;
        if (ret_mounted_now)
                *ret_mounted_now = true;
        return 0;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const struct binfmt_entry *) a)->rule.name, ((const struct binfmt_entry *) b)->rule.name);
}

int binfmt_list(const char *mnt, struct binfmt_entry **ret, size_t *ret_n) {
        _cleanup_closedir_ DIR *d = opendir(mnt);
        struct binfmt_entry *v = NULL;
        size_t n = 0;
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL, *text = NULL;
                struct binfmt_entry e;
                if (de->d_name[0] == '.' || streq(de->d_name, "register") || streq(de->d_name, "status"))
                        continue;
                if (!(p = path_join(mnt, de->d_name)) || read_full_file(p, 65536, &text, NULL) < 0 ||
                    binfmt_entry_parse(de->d_name, text, &e) < 0)
                        continue;
                struct binfmt_entry *nv = realloc(v, (n + 1) * sizeof *v);
                if (!nv) {
                        free(v);
                        return -ENOMEM;
                }
                v = nv;
                v[n++] = e;
        }
        if (n > 0)
                qsort(v, n, sizeof *v, cmp_entry);
        *ret = v;
        *ret_n = n;
        return 0;
}

/* 1 for a dynamically linked ELF file, 0 for a static one (static-pie too); -errno, or -EINVAL
 * when it is no ELF file, with why in err. */
static int elf_is_dynamic(const char *path, struct xb_detail *err) {
        struct elf_info info;
        int r = elf_parse_file(path, &info, err);
        if (r < 0)
                return r;
        r = !info.is_static;
        elf_info_clear(&info);
        return r;
}

const char *binfmt_entry_problem(const struct binfmt_entry *e) {
        if (!e->enabled)
                return "disabled";
        if (!strchr(e->rule.flags, 'F'))
                return "no F flag: the kernel looks the interpreter up inside each chroot, where it does not exist (\"No such file or directory\")";
        if (strchr(e->rule.flags, 'C'))
                return "C flag: setuid ARM programs would run qemu itself with their credentials, as root";
        if (access(e->rule.interpreter, X_OK) < 0)
                return "its interpreter is missing";
        if (elf_is_dynamic(e->rule.interpreter, /* err= */ NULL) > 0)
                return "its interpreter is dynamically linked: inside a chroot the kernel looks for its loader and "
                       "libraries in the ARM tree, where they do not exist (qemu-user-static has static ones)";
        return NULL;
}

int binfmt_interpreter_check(const char *interpreter, enum xb_arch a, struct xb_detail *err) {
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        _cleanup_free_ char *real = NULL;
        int r;

        assert(interpreter);
        r = elf_is_dynamic(interpreter, &e);
        if (r == 0)
                return 0;
        if (r < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "cannot tell whether the qemu interpreter %s is statically linked: %s",
                                     interpreter, xb_detail_text(&e, r));
        /* Debian's binfmt.d names a link (/usr/libexec/qemu-binfmt/arm-binfmt-P): say what it is. */
        real = realpath(interpreter, NULL);
        bool link = real && !streq(real, interpreter);
        return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                             "%s%s%s%s is dynamically linked: it cannot run ARM programs inside a chroot. "
                             "apt-get install qemu-user-static (its /usr/bin/qemu-%s-static)",
                             interpreter, link ? " (" : "", link ? real : "", link ? ")" : "", binfmt_qemu_name(a));
}

static int write_file(const char *mnt, const char *name, const char *text) {
        _cleanup_free_ char *p = path_join(mnt, name);
        _cleanup_close_ int fd = -EBADF;
        if (!p)
                return -ENOMEM;
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write_all(fd, text, strlen(text));
}

int binfmt_register(const char *mnt, const struct binfmt_rule *r) {
        _cleanup_free_ char *rule = binfmt_rule_format(r), *p = path_join(mnt, r->name);
        if (!rule || !p)
                return -ENOMEM;
        if (path_exists(p))
                return -EEXIST;
        return write_file(mnt, "register", rule);
}

int binfmt_remove(const char *mnt, const char *name) {
        if (!strneq(name, BINFMT_OURS_PREFIX, strlen(BINFMT_OURS_PREFIX)) || strchr(name, '/'))
                return -EPERM;
        return write_file(mnt, name, "-1");
}

int binfmt_set_enabled(const char *mnt, const char *name, bool enabled) {
        if (strchr(name, '/') || streq(name, "register") || streq(name, "status"))
                return -EINVAL;
        return write_file(mnt, name, enabled ? "1" : "0");
}

static int state_add(const char *state_file, const char *name) {
        _cleanup_free_ char *dir = path_dirname(state_file);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!dir)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        fd = open(state_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        r = write_all(fd, name, strlen(name));
        return r < 0 ? r : write_all(fd, "\n", 1);
}

int binfmt_setup(const char *mnt, const char *binfmt_d, const char *state_file, enum xb_arch a,
                 bool force, struct binfmt_setup_result *ret, struct xb_detail *err) {
        _cleanup_free_ struct binfmt_entry *v = NULL;
        struct binfmt_rule rule;
        size_t n = 0, off = 0;
        bool unfit = false;
        int r;

        *ret = (struct binfmt_setup_result){0};
        r = binfmt_ensure_mounted(mnt, &ret->mounted_now);
        if (r < 0)
                return r;
        r = binfmt_list(mnt, &v, &n);
        if (r < 0)
                return r;
        const struct binfmt_entry *ours = NULL, *fit = NULL;
        for (size_t i = 0; i < n; i++) {
                if (!binfmt_rule_matches_arch(&v[i].rule, a) || !v[i].enabled)
                        continue;
                const char *problem = binfmt_entry_problem(&v[i]);
                if (!problem) {
                        if (v[i].ours)
                                ours = &v[i];
                        else if (!fit)
                                fit = &v[i];
                        continue;
                }
                unfit = true;
                off += (size_t) snprintf(ret->detail + off, sizeof ret->detail - MIN(off, sizeof ret->detail),
                                         "%s'%s' (%s, flags '%s'): %s", off ? "; " : "", v[i].rule.name,
                                         v[i].rule.interpreter, v[i].rule.flags, problem);
        }
        /* The kernel picks among matching entries by registration order, which procfs does not
         * show: one unfit entry makes the outcome a coin toss, even beside ours, so it is never
         * left enabled. */
        if (unfit && !force) {
                ret->action = BINFMT_CONFLICT;
                return 0;
        }
        if (!unfit && (ours || fit)) {
                ret->action = ours ? BINFMT_ALREADY : BINFMT_REUSED;
                (void) snprintf(ret->name, sizeof ret->name, "%s", (ours ? ours : fit)->rule.name);
                return 0;
        }
        /* What we would register is checked before --force disables anything. */
        if (!ours) {
                r = binfmt_default_rule(binfmt_d, a, &rule);
                if (r < 0)
                        return r;
                r = binfmt_interpreter_check(rule.interpreter, a, err);
                if (r < 0)
                        return r;
        }
        if (unfit)
                for (size_t i = 0; i < n; i++)
                        if (binfmt_rule_matches_arch(&v[i].rule, a) && v[i].enabled && binfmt_entry_problem(&v[i])) {
                                r = v[i].ours ? binfmt_remove(mnt, v[i].rule.name)
                                              : binfmt_set_enabled(mnt, v[i].rule.name, false);
                                if (r < 0)
                                        return r;
                                if (!v[i].ours && (r = state_add(state_file, v[i].rule.name)) < 0)
                                        return r;
                        }
        if (ours) {
                ret->action = BINFMT_ALREADY;
                (void) snprintf(ret->name, sizeof ret->name, "%s", ours->rule.name);
                return 0;
        }
        r = binfmt_register(mnt, &rule);
        if (r < 0)
                return r;
        ret->action = BINFMT_REGISTERED;
        (void) snprintf(ret->name, sizeof ret->name, "%s", rule.name);
        return 0;
}

int binfmt_teardown(const char *mnt, const char *state_file, enum xb_arch a, unsigned *ret_removed) {
        _cleanup_free_ struct binfmt_entry *v = NULL;
        _cleanup_free_ char *state = NULL;
        size_t n = 0;
        unsigned removed = 0;
        int r, ret = 0;

        if (!binfmt_is_mounted(mnt)) {
                *ret_removed = 0;
                return 0;
        }
        r = binfmt_list(mnt, &v, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (v[i].ours && (a < 0 || binfmt_rule_matches_arch(&v[i].rule, a))) {
                        r = binfmt_remove(mnt, v[i].rule.name);
                        if (r < 0 && ret == 0)
                                ret = r;
                        else if (r >= 0)
                                removed++;
                }
        /* Entries we disabled with --force come back when ours go. */
        if (read_full_file(state_file, 65536, &state, NULL) >= 0) {
                for (char *l = state; *l;) {
                        size_t k = strcspn(l, "\n");
                        bool last = l[k] == 0;
                        l[k] = 0;
                        if (*l)
                                (void) binfmt_set_enabled(mnt, l, true);
                        l += k + (last ? 0 : 1);
                }
                if (a < 0 || removed > 0)
                        (void) unlink(state_file);
        }
        *ret_removed = removed;
        return ret;
}
