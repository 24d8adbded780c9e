/* The float32 depthwise-convolution row kernel, compiled with this folder's flags. */
#include "../conv_dw_f32.inc"

void lm_avx2_dw_row_f32(const lm_dw_row_args *a) { dw_row_f32(a); }
