/* A batched kernel of an ahead-of-time library: the batch extents are the
 * input after the variables; rows of all batch elements, on 1 and 3
 * threads (blocks of rows cross batch elements). */
#include "batch.h"

#include <stdint.h>
#include <stdio.h>

int main(void) {
  enum { B = 70, M = 3, N = 2 };
  static double x[M], y[B * N], out[B * M], out3[B * M];
  int64_t batch[1] = {B};
  int b, i, status, status3, ok = 1;
  for (i = 0; i < M; ++i)
    x[i] = i + 1;
  for (b = 0; b < B; ++b) {
    y[b * N] = b;
    y[b * N + 1] = 1;
  }
  {
    const void *inputs[3] = {x, y, batch};
    void *outputs[1] = {out};
    void *outputs3[1] = {out3};
    status = b_bsum_kernel0_run(inputs, outputs, M, N);
    status3 = b_bsum_kernel0_run_threads(inputs, outputs3, M, N, 3);
  }
  for (b = 0; b < B; ++b)
    for (i = 0; i < M; ++i)
      ok = ok && out[b * M + i] == (i + 1) * (b + 1.0) &&
           out3[b * M + i] == out[b * M + i];
  printf("batch status %d %d, exact: %s\n", status, status3, ok ? "yes" : "no");
  printf("out[1] %g %g %g\n", out[3], out[4], out[5]);
  {
    int64_t negative[1] = {-1};
    const void *inputs[3] = {x, y, negative};
    const void *none[3] = {x, y, NULL};
    void *outputs[1] = {out};
    printf("negative batch %d\n", b_bsum_kernel0_run(inputs, outputs, M, N));
    printf("null batch %d\n", b_bsum_kernel0_run(none, outputs, M, N));
  }
  return 0;
}
