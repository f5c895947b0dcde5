#pragma once
// Shared by the fuzz targets: FUZZ_CHECK states a property of the code under test. A violation
// prints what broke and aborts, which libFuzzer (and the replay driver under ctest) reports as a
// crash with the input that caused it.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
