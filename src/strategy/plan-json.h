/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>

#include "recipe/recipe.h"
#include "strategy/plan.h"

/* Machine-readable forms of a resolved recipe and of a plan (xbuild show/plan --json). The
 * shapes are documented in docs/recipe-reference.md. NULL only on OOM. */
json_object *recipe_to_json(const struct recipe *rc);
json_object *plan_to_json(const struct plan *p);
