// Debian's libopenblas-dev puts cblas.h under an include directory that pkg-config names
// (openblas-pthread); the CBLAS interface and openblas_set_num_threads come from it.
#include <cblas.h>
