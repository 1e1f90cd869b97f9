#ifndef CPREFETCH_H
#define CPREFETCH_H

/// Asks the CPU to start loading the cache line at `address` for a write
/// soon (a hint: no effect on results, never faults). Swift has no prefetch
/// of its own; this is the one use of C in the KPI core.
static inline void kpi_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
