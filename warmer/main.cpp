// kiln warmer: pre-fetches base images into --cache-dir for executor.
// Not implemented yet (issue 5); it says so instead of pretending to work.
#include <cstdio>

int main() {
  std::fprintf(stderr, "Error: kiln's warmer is not implemented yet\n");
  return 1;
}
