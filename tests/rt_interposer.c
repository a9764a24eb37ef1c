/* rt_interposer.c — LD_PRELOAD library for tests/test_realtime.c. It wraps the calls a realtime
 * audio callback must never make (allocation, locks, thread creation and wake-ups, sleeping,
 * file and console I/O, mmap) and counts the ones made by a thread while that thread has armed
 * it (rt_interposer_arm(1)); other threads and disarmed periods are never counted, so the test
 * host can allocate freely around each run() call.
 *
 * Allocation goes straight to glibc's __libc_* entry points, so the wrappers never depend on
 * dlsym (which itself allocates). Everything else is found with dlsym(RTLD_NEXT) at load time.
 * The wrappers themselves never allocate or lock: a hit is a relaxed atomic increment plus, for
 * the first few hits, the caller's return address (named later with dladdr, when disarmed). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define RT_EXPORT __attribute__((visibility("default")))

/* The wrapped functions, in report order. */
#define RT_FUNCS(X)                                                                              \
  X(malloc) X(calloc) X(realloc) X(free) X(posix_memalign) X(aligned_alloc) X(memalign)          \
  X(valloc) X(pvalloc) X(mmap) X(mmap64) X(munmap) X(mremap)                                     \
  X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_mutex_timedlock)                      \
  X(pthread_rwlock_rdlock) X(pthread_rwlock_wrlock) X(pthread_spin_lock)                         \
  X(pthread_create) X(pthread_cond_signal) X(pthread_cond_broadcast) X(pthread_cond_wait)         \
  X(pthread_cond_timedwait) X(sem_post) X(sem_wait) X(sem_timedwait)                             \
  X(nanosleep) X(clock_nanosleep) X(usleep) X(sleep) X(sched_yield)                              \
  X(open) X(open64) X(openat) X(fopen) X(fopen64) X(read) X(write) X(fwrite) X(fputs) X(fputc)   \
  X(puts) X(fprintf) X(printf) X(vfprintf) X(vprintf) X(syslog) X(vsyslog)

enum {
#define RT_ENUM(name) RT_##name,
  RT_FUNCS(RT_ENUM)
#undef RT_ENUM
      RT_COUNT
};

static const char *const rt_names[RT_COUNT] = {
#define RT_NAME(name) #name,
    RT_FUNCS(RT_NAME)
#undef RT_NAME
};

#define RT_MAX_HITS 16
static unsigned long rt_counts[RT_COUNT];
static int rt_hit_func[RT_MAX_HITS];
static void *rt_hit_caller[RT_MAX_HITS];
static unsigned long rt_hits;
static __thread int rt_armed;

static void rt_count(int func, void *caller) {
  const unsigned long i = __atomic_fetch_add(&rt_hits, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&rt_counts[func], 1, __ATOMIC_RELAXED);
  if (i < RT_MAX_HITS) {
    rt_hit_func[i] = func;
    rt_hit_caller[i] = caller;
  }
}

#define RT_HIT(name)                                                                             \
  do {                                                                                           \
    if (rt_armed) rt_count(RT_##name, __builtin_return_address(0));                              \
  } while (0)

/* --- control, called by the test host (found with dlsym(RTLD_DEFAULT)) ------------------- */
RT_EXPORT void rt_interposer_arm(int on) { rt_armed = on; }

RT_EXPORT void rt_interposer_reset(void) {
  memset(rt_counts, 0, sizeof rt_counts);
  rt_hits = 0;
}

RT_EXPORT unsigned long rt_interposer_total(void) { return rt_hits; }

/* Writes "name=count ..." for every function hit, then the first callers. Call disarmed. */
RT_EXPORT void rt_interposer_report(char *buf, size_t len) {
  size_t used = 0;
  unsigned long i;
  buf[0] = '\0';
  for (i = 0; i < RT_COUNT && used < len; ++i) {
    if (rt_counts[i]) {
      used += (size_t)snprintf(buf + used, len - used, "%s=%lu ", rt_names[i], rt_counts[i]);
    }
  }
  for (i = 0; i < rt_hits && i < RT_MAX_HITS && used < len; ++i) {
    Dl_info info;
    const char *lib = "?", *sym = "?";
    if (dladdr(rt_hit_caller[i], &info)) {
      if (info.dli_fname) lib = info.dli_fname;
      if (info.dli_sname) sym = info.dli_sname;
    }
    used += (size_t)snprintf(buf + used, len - used, "\n    %s called from %s (%s)",
                             rt_names[rt_hit_func[i]], sym, lib);
  }
}

/* --- allocation ------------------------------------------------------------------------ */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

RT_EXPORT void *malloc(size_t n) {
  RT_HIT(malloc);
  return __libc_malloc(n);
}
RT_EXPORT void *calloc(size_t n, size_t s) {
  RT_HIT(calloc);
  return __libc_calloc(n, s);
}
RT_EXPORT void *realloc(void *p, size_t n) {
  RT_HIT(realloc);
  return __libc_realloc(p, n);
}
RT_EXPORT void free(void *p) {
  RT_HIT(free);
  __libc_free(p);
}
RT_EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  void *p;
  RT_HIT(posix_memalign);
  if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0) return EINVAL;
  p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
RT_EXPORT void *aligned_alloc(size_t align, size_t n) {
  RT_HIT(aligned_alloc);
  return __libc_memalign(align, n);
}
RT_EXPORT void *memalign(size_t align, size_t n) {
  RT_HIT(memalign);
  return __libc_memalign(align, n);
}
RT_EXPORT void *valloc(size_t n) {
  RT_HIT(valloc);
  return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n);
}
RT_EXPORT void *pvalloc(size_t n) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  RT_HIT(pvalloc);
  return __libc_memalign(page, (n + page - 1) / page * page);
}

/* --- everything else: forwarded to the next definition ------------------------------------ */
#define RT_REAL(name) rt_real_##name
#define RT_DECLARE(name) static __typeof__(&name) RT_REAL(name);
RT_DECLARE(mmap) RT_DECLARE(mmap64) RT_DECLARE(munmap) RT_DECLARE(mremap)
RT_DECLARE(pthread_mutex_lock) RT_DECLARE(pthread_mutex_trylock)
RT_DECLARE(pthread_mutex_timedlock) RT_DECLARE(pthread_rwlock_rdlock)
RT_DECLARE(pthread_rwlock_wrlock) RT_DECLARE(pthread_spin_lock) RT_DECLARE(pthread_create)
RT_DECLARE(pthread_cond_signal) RT_DECLARE(pthread_cond_broadcast)
RT_DECLARE(pthread_cond_wait) RT_DECLARE(pthread_cond_timedwait) RT_DECLARE(sem_post)
RT_DECLARE(sem_wait) RT_DECLARE(sem_timedwait) RT_DECLARE(nanosleep)
RT_DECLARE(clock_nanosleep) RT_DECLARE(usleep) RT_DECLARE(sleep) RT_DECLARE(sched_yield)
RT_DECLARE(open) RT_DECLARE(open64) RT_DECLARE(openat) RT_DECLARE(fopen) RT_DECLARE(fopen64)
RT_DECLARE(read) RT_DECLARE(write) RT_DECLARE(fwrite) RT_DECLARE(fputs) RT_DECLARE(fputc)
RT_DECLARE(puts) RT_DECLARE(vfprintf) RT_DECLARE(vsyslog)

/* Resolved on first use as well as at load, since another library's constructor may run first. */
static void *rt_resolve(void **slot, const char *name) {
  void *f = __atomic_load_n(slot, __ATOMIC_RELAXED);
  if (!f) {
    f = dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, f, __ATOMIC_RELAXED);
  }
  return f;
}
#define RT_RESOLVE(name) ((__typeof__(&name))rt_resolve((void **)&RT_REAL(name), #name))

__attribute__((constructor)) static void rt_interposer_init(void) {
#define RT_INIT(name) (void)RT_RESOLVE(name);
  RT_INIT(mmap) RT_INIT(mmap64) RT_INIT(munmap) RT_INIT(mremap) RT_INIT(pthread_mutex_lock)
  RT_INIT(pthread_mutex_trylock) RT_INIT(pthread_mutex_timedlock) RT_INIT(pthread_rwlock_rdlock)
  RT_INIT(pthread_rwlock_wrlock) RT_INIT(pthread_spin_lock) RT_INIT(pthread_create)
  RT_INIT(pthread_cond_signal) RT_INIT(pthread_cond_broadcast) RT_INIT(pthread_cond_wait)
  RT_INIT(pthread_cond_timedwait) RT_INIT(sem_post) RT_INIT(sem_wait) RT_INIT(sem_timedwait)
  RT_INIT(nanosleep) RT_INIT(clock_nanosleep) RT_INIT(usleep) RT_INIT(sleep)
  RT_INIT(sched_yield) RT_INIT(open) RT_INIT(open64) RT_INIT(openat) RT_INIT(fopen)
  RT_INIT(fopen64) RT_INIT(read) RT_INIT(write) RT_INIT(fwrite) RT_INIT(fputs) RT_INIT(fputc)
  RT_INIT(puts) RT_INIT(vfprintf) RT_INIT(vsyslog)
#undef RT_INIT
}

RT_EXPORT void *mmap(void *a, size_t n, int prot, int flags, int fd, off_t off) {
  RT_HIT(mmap);
  return RT_RESOLVE(mmap)(a, n, prot, flags, fd, off);
}
RT_EXPORT void *mmap64(void *a, size_t n, int prot, int flags, int fd, off64_t off) {
  RT_HIT(mmap64);
  return RT_RESOLVE(mmap64)(a, n, prot, flags, fd, off);
}
RT_EXPORT int munmap(void *a, size_t n) {
  RT_HIT(munmap);
  return RT_RESOLVE(munmap)(a, n);
}
RT_EXPORT void *mremap(void *a, size_t o, size_t n, int flags, ...) {
  va_list ap;
  void *na;
  RT_HIT(mremap);
  va_start(ap, flags);
  na = va_arg(ap, void *);
  va_end(ap);
  return RT_RESOLVE(mremap)(a, o, n, flags, na);
}

RT_EXPORT int pthread_mutex_lock(pthread_mutex_t *m) {
  RT_HIT(pthread_mutex_lock);
  return RT_RESOLVE(pthread_mutex_lock)(m);
}
RT_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m) {
  RT_HIT(pthread_mutex_trylock);
  return RT_RESOLVE(pthread_mutex_trylock)(m);
}
RT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t) {
  RT_HIT(pthread_mutex_timedlock);
  return RT_RESOLVE(pthread_mutex_timedlock)(m, t);
}
RT_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
  RT_HIT(pthread_rwlock_rdlock);
  return RT_RESOLVE(pthread_rwlock_rdlock)(l);
}
RT_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
  RT_HIT(pthread_rwlock_wrlock);
  return RT_RESOLVE(pthread_rwlock_wrlock)(l);
}
RT_EXPORT int pthread_spin_lock(pthread_spinlock_t *l) {
  RT_HIT(pthread_spin_lock);
  return RT_RESOLVE(pthread_spin_lock)(l);
}
RT_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *),
                             void *arg) {
  RT_HIT(pthread_create);
  return RT_RESOLVE(pthread_create)(t, a, fn, arg);
}
RT_EXPORT int pthread_cond_signal(pthread_cond_t *c) {
  RT_HIT(pthread_cond_signal);
  return RT_RESOLVE(pthread_cond_signal)(c);
}
RT_EXPORT int pthread_cond_broadcast(pthread_cond_t *c) {
  RT_HIT(pthread_cond_broadcast);
  return RT_RESOLVE(pthread_cond_broadcast)(c);
}
RT_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  RT_HIT(pthread_cond_wait);
  return RT_RESOLVE(pthread_cond_wait)(c, m);
}
RT_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *t) {
  RT_HIT(pthread_cond_timedwait);
  return RT_RESOLVE(pthread_cond_timedwait)(c, m, t);
}
RT_EXPORT int sem_post(sem_t *s) {
  RT_HIT(sem_post);
  return RT_RESOLVE(sem_post)(s);
}
RT_EXPORT int sem_wait(sem_t *s) {
  RT_HIT(sem_wait);
  return RT_RESOLVE(sem_wait)(s);
}
RT_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t) {
  RT_HIT(sem_timedwait);
  return RT_RESOLVE(sem_timedwait)(s, t);
}

RT_EXPORT int nanosleep(const struct timespec *a, struct timespec *b) {
  RT_HIT(nanosleep);
  return RT_RESOLVE(nanosleep)(a, b);
}
RT_EXPORT int clock_nanosleep(clockid_t c, int f, const struct timespec *a, struct timespec *b) {
  RT_HIT(clock_nanosleep);
  return RT_RESOLVE(clock_nanosleep)(c, f, a, b);
}
RT_EXPORT int usleep(useconds_t u) {
  RT_HIT(usleep);
  return RT_RESOLVE(usleep)(u);
}
RT_EXPORT unsigned int sleep(unsigned int s) {
  RT_HIT(sleep);
  return RT_RESOLVE(sleep)(s);
}
RT_EXPORT int sched_yield(void) {
  RT_HIT(sched_yield);
  return RT_RESOLVE(sched_yield)();
}

RT_EXPORT int open(const char *p, int flags, ...) {
  va_list ap;
  mode_t mode;
  RT_HIT(open);
  va_start(ap, flags);
  mode = (mode_t)va_arg(ap, unsigned int);
  va_end(ap);
  return RT_RESOLVE(open)(p, flags, mode);
}
RT_EXPORT int open64(const char *p, int flags, ...) {
  va_list ap;
  mode_t mode;
  RT_HIT(open64);
  va_start(ap, flags);
  mode = (mode_t)va_arg(ap, unsigned int);
  va_end(ap);
  return RT_RESOLVE(open64)(p, flags, mode);
}
RT_EXPORT int openat(int dir, const char *p, int flags, ...) {
  va_list ap;
  mode_t mode;
  RT_HIT(openat);
  va_start(ap, flags);
  mode = (mode_t)va_arg(ap, unsigned int);
  va_end(ap);
  return RT_RESOLVE(openat)(dir, p, flags, mode);
}
RT_EXPORT FILE *fopen(const char *p, const char *m) {
  RT_HIT(fopen);
  return RT_RESOLVE(fopen)(p, m);
}
RT_EXPORT FILE *fopen64(const char *p, const char *m) {
  RT_HIT(fopen64);
  return RT_RESOLVE(fopen64)(p, m);
}
RT_EXPORT ssize_t read(int fd, void *b, size_t n) {
  RT_HIT(read);
  return RT_RESOLVE(read)(fd, b, n);
}
RT_EXPORT ssize_t write(int fd, const void *b, size_t n) {
  RT_HIT(write);
  return RT_RESOLVE(write)(fd, b, n);
}
RT_EXPORT size_t fwrite(const void *b, size_t s, size_t n, FILE *f) {
  RT_HIT(fwrite);
  return RT_RESOLVE(fwrite)(b, s, n, f);
}
RT_EXPORT int fputs(const char *s, FILE *f) {
  RT_HIT(fputs);
  return RT_RESOLVE(fputs)(s, f);
}
RT_EXPORT int fputc(int c, FILE *f) {
  RT_HIT(fputc);
  return RT_RESOLVE(fputc)(c, f);
}
RT_EXPORT int puts(const char *s) {
  RT_HIT(puts);
  return RT_RESOLVE(puts)(s);
}
RT_EXPORT int vfprintf(FILE *f, const char *fmt, va_list ap) {
  RT_HIT(vfprintf);
  return RT_RESOLVE(vfprintf)(f, fmt, ap);
}
RT_EXPORT int vprintf(const char *fmt, va_list ap) {
  RT_HIT(vprintf);
  return RT_RESOLVE(vfprintf)(stdout, fmt, ap);
}
RT_EXPORT int fprintf(FILE *f, const char *fmt, ...) {
  va_list ap;
  int r;
  RT_HIT(fprintf);
  va_start(ap, fmt);
  r = RT_RESOLVE(vfprintf)(f, fmt, ap);
  va_end(ap);
  return r;
}
RT_EXPORT int printf(const char *fmt, ...) {
  va_list ap;
  int r;
  RT_HIT(printf);
  va_start(ap, fmt);
  r = RT_RESOLVE(vfprintf)(stdout, fmt, ap);
  va_end(ap);
  return r;
}
RT_EXPORT void vsyslog(int pri, const char *fmt, va_list ap) {
  RT_HIT(vsyslog);
  RT_RESOLVE(vsyslog)(pri, fmt, ap);
}
RT_EXPORT void syslog(int pri, const char *fmt, ...) {
  va_list ap;
  RT_HIT(syslog);
  va_start(ap, fmt);
  RT_RESOLVE(vsyslog)(pri, fmt, ap);
  va_end(ap);
}
