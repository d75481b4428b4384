// Debian's libopenblas-dev puts cblas.h under an include directory that pkg-config names
// (openblas-pthread); the CBLAS interface and openblas_set_num_threads come from it.
#include <cblas.h>

// A spin-wait hint for Lore's worker pool (`pause` on x86-64, `yield` on ARM).
static inline void lore_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
