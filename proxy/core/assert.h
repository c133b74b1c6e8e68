#pragma once

// Internal invariants only. Never assert on conditions imposed by external input (config,
// traffic, files): those are reported as Status values or local replies.

#include <cstdio>
#include <cstdlib>

// Always checked; aborts with the location when `cond` is false.
#define MESHSIM_CHECK(cond)                                                           \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: MESHSIM_CHECK failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                            \
      std::abort();                                                                   \
    }                                                                                 \
  } while (false)

#ifdef NDEBUG
#define MESHSIM_ASSERT(cond) \
  do {                       \
  } while (false)
#else
#define MESHSIM_ASSERT(cond) MESHSIM_CHECK(cond)
#endif
