/* quell_test.h — tiny assertion helpers for the C tests: every failure prints where and why,
 * and the test exits non-zero at the end (or at once with QUELL_REQUIRE). */
#ifndef QUELL_TEST_H
#define QUELL_TEST_H

#include <stdio.h>
#include <stdlib.h>

static int quell_test_failures = 0;

#define QUELL_CHECK(cond, ...)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                   \
      fprintf(stderr, __VA_ARGS__);                                                              \
      fprintf(stderr, "\n");                                                                     \
      quell_test_failures++;                                                                     \
    }                                                                                            \
  } while (0)

#define QUELL_REQUIRE(cond, ...)                                                                 \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      fprintf(stderr, "%s:%d: required: %s: ", __FILE__, __LINE__, #cond);                       \
      fprintf(stderr, __VA_ARGS__);                                                              \
      fprintf(stderr, "\n");                                                                     \
      exit(1);                                                                                   \
    }                                                                                            \
  } while (0)

static inline int quell_test_finish(const char *name)
{
  if (quell_test_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, quell_test_failures);
  else printf("%s: ok\n", name);
  return quell_test_failures ? 1 : 0;
}

/* xorshift32 in [-1, 1): reproducible test signals. */
static inline float quell_test_noise(unsigned *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return (float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f;
}

#endif
