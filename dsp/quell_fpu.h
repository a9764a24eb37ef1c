/* quell_fpu.h — flush denormals to zero for the duration of one process call and restore the
 * host's FPU mode afterwards. Decaying recursive state (GRU, overlap-add tails, smoothers)
 * otherwise crawls through denormals in silence at 10-100x the cost per operation. */
#ifndef QUELL_FPU_H
#define QUELL_FPU_H

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
typedef unsigned int QuellFpuState;
static inline QuellFpuState quell_fpu_enter(void)
{
  const unsigned int old = _mm_getcsr();
  _mm_setcsr(old | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
  return old;
}
static inline void quell_fpu_leave(QuellFpuState old) { _mm_setcsr(old); }
#elif defined(__aarch64__)
#include <stdint.h>
typedef uint64_t QuellFpuState;
static inline QuellFpuState quell_fpu_enter(void)
{
  uint64_t old;
  __asm__ volatile("mrs %0, fpcr" : "=r"(old));
  __asm__ volatile("msr fpcr, %0" : : "r"(old | (1ull << 24))); /* FZ */
  return old;
}
static inline void quell_fpu_leave(QuellFpuState old) { __asm__ volatile("msr fpcr, %0" : : "r"(old)); }
#else
typedef int QuellFpuState;
static inline QuellFpuState quell_fpu_enter(void) { return 0; }
static inline void quell_fpu_leave(QuellFpuState old) { (void)old; }
#endif

#endif
