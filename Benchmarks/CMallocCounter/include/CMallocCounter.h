#ifndef LORE_MALLOC_COUNTER_H
#define LORE_MALLOC_COUNTER_H
#include <stdint.h>

/// Number of heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) made by the whole process since it started. lore-bench uses it to count the
/// allocations of a decoding step.
uint64_t lore_allocation_count(void);

#endif
