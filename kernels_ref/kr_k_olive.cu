/* kernels_ref/kr_k_olive.cu — instantiates the kernel templates of kr_kernels.cuh for one kind
 * (one translation unit per kind keeps nvcc builds parallel). */
#include "kr_kernels.cuh"

KR_DEFINE_KIND(kr_launch_olive, kr::K_OLIVE)
