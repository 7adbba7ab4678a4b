#pragma once
// A Dockerfile's text straight to its plan, for the tests of what is
// derived from plans (stage use, schedules, the images a build reads).
#include <string>

#include "dockerfile/parser.h"
#include "dockerfile/plan.h"

namespace kiln::dockerfile {

inline Plan plan(const std::string& text, PlanOptions o = {}) { return make_plan(parse(text, "Dockerfile"), o); }

}  // namespace kiln::dockerfile
