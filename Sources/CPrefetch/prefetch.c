// CPrefetch is header-only (`kpi_prefetch_for_write` is inlined into Swift
// callers); SwiftPM needs one source file to build a C target.
#include "CPrefetch.h"
