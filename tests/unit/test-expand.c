/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/errors.h"
#include "core/macro.h"
#include "recipe/expand.h"
#include "tap.h"

int main(void) {
        static const struct expand_var vars[] = {{"arch", "armhf"}, {"triplet", "arm-linux-gnueabihf"},
                                                 {"goarm", ""}};
        char msg[256];
        size_t off = 99;
        char *s = NULL;

        tap_ok(expand_check("plain", &off, msg, sizeof msg) == 0, "no variables");
        tap_ok(expand_check("${arch}-${jobs}", &off, msg, sizeof msg) == 0, "known names");
        tap_ok(expand_check("$HOME $1 $ ${", &off, msg, sizeof msg) == -XB_E_RECIPE_VALUE && off == 11 &&
                       strstr(msg, "unterminated"),
               "unterminated '${' at its offset");
        tap_ok(expand_check("ab${tripplet}", &off, msg, sizeof msg) == -XB_E_RECIPE_VALUE && off == 2 &&
                       strstr(msg, "did you mean '${triplet}'"),
               "unknown name with a suggestion");
        tap_ok(expand_check("${}", &off, msg, sizeof msg) == -XB_E_RECIPE_VALUE && off == 0, "empty name");
        tap_ok(expand_check("$${nope}", &off, msg, sizeof msg) == 0, "$$ escapes");

        tap_ok(expand_string("${triplet}-gcc", vars, ELEMENTSOF(vars), &s) == 0 && streq(s, "arm-linux-gnueabihf-gcc"),
               "substitution");
        free(s);
        tap_ok(expand_string("a$$b $HOME ${goarm}|${jobs}|", vars, ELEMENTSOF(vars), &s) == 0 &&
                       streq(s, "a$b $HOME ||"),
               "escape, untouched shell variables, empty and missing values: '%s'", s);
        free(s);
        /* Values are never re-expanded: a value containing ${arch} stays literal. */
        static const struct expand_var tricky[] = {{"arch", "${arch}$$(rm -rf /)"}};
        tap_ok(expand_string("x${arch}", tricky, 1, &s) == 0 && streq(s, "x${arch}$$(rm -rf /)"),
               "values are inserted verbatim, never expanded again");
        free(s);
        s = (char *) 0x1;
        tap_ok(expand_string("${bad", vars, 1, &s) == -XB_E_RECIPE_VALUE && s == (char *) 0x1,
               "ret untouched on failure");
        return tap_done();
}
