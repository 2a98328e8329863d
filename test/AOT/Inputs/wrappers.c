/* Calls the entry points of a library built by keops-compile from
 * kernels.mlir with --prefix t_, through its generated header (compiled as
 * strict C11): results on cases computed by hand, empty reductions, threads,
 * and invalid arguments. */
#include "kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  /* knn: 3 nearest y_j of each x_i.
     x_0 = (0, 0): squared distances 0, 1, 18, 2 -> 0, 1, 2 at j = 0, 1, 3;
     x_1 = (1, 1): 2, 1, 8, 0 -> 0, 1, 2 at j = 3, 1, 0. */
  float x[] = {0, 0, 1, 1}, y[] = {0, 0, 1, 0, 3, 3, 1, 1};
  float v[6];
  int32_t idx[6];
  const void *knnIn[] = {x, y};
  void *knnOut[] = {v, idx};
  int status = t_knn_kernel0_run(knnIn, knnOut, 2, 4);
  printf("knn status %d\n", status);
  for (int i = 0; i < 2; ++i)
    printf("knn %d: %g %g %g | %d %d %d\n", i, v[3 * i], v[3 * i + 1],
           v[3 * i + 2], idx[3 * i], idx[3 * i + 1], idx[3 * i + 2]);

  /* No y at all: +inf and index -1 everywhere. */
  status = t_knn_kernel0_run(knnIn, knnOut, 2, 0);
  printf("knn empty status %d: %g %d %g %d\n", status, v[0], idx[0], v[5],
         idx[5]);

  /* maxi: max_i x_i * y_j * w over i, with argmax (f64, int64 indices). */
  double xi[] = {1, 5, 5, -2}, yj[] = {1, -1, 0}, w = 2, m[3];
  int64_t am[3];
  const void *maxIn[] = {xi, yj, &w};
  void *maxOut[] = {m, am};
  status = t_maxi_kernel0_run_threads(maxIn, maxOut, 4, 3, 2);
  printf("maxi status %d: %g %g %g | %lld %lld %lld\n", status, m[0], m[1],
         m[2], (long long)am[0], (long long)am[1], (long long)am[2]);

  /* pair kernel 0: s_i = sum_j x_i * y_j (componentwise), 1000 rows over 3
     threads and on one thread, against a plain loop. */
  enum { M = 1000, N = 7 };
  float *px = malloc(sizeof(float) * M * 2), py[N * 2];
  float *s1 = malloc(sizeof(float) * M * 2);
  float *s3 = malloc(sizeof(float) * M * 2);
  for (int i = 0; i < M * 2; ++i)
    px[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  for (int j = 0; j < N * 2; ++j)
    py[j] = (float)j / 8.0f - 0.5f;
  const void *pairIn[] = {py, px};
  void *out1[] = {s1}, *out3[] = {s3};
  int st1 = t_pair_kernel0_run(pairIn, out1, M, N);
  int st3 = t_pair_kernel0_run_threads(pairIn, out3, M, N, 3);
  double worst = 0;
  int same = 1;
  for (int i = 0; i < M; ++i)
    for (int d = 0; d < 2; ++d) {
      double ref = 0;
      for (int j = 0; j < N; ++j)
        ref += (double)px[2 * i + d] * py[2 * j + d];
      double e = fabs(s1[2 * i + d] - ref);
      if (!(e <= worst))
        worst = e;
      same &= s1[2 * i + d] == s3[2 * i + d];
    }
  printf("pair status %d %d, error below 1e-5: %s, threads identical: %s\n",
         st1, st3, worst < 1e-5 ? "yes" : "no", same ? "yes" : "no");

  /* gather kernel 0: g_i = v[idx_i] componentwise; out-of-range indices
     select nothing. */
  float gv[] = {1, 10, 2, 20, 3, 30}, gg[8];
  int32_t gi[] = {0, 2, 2, -1, 1, 3, 2, 0};
  const void *gatherIn[] = {gv, gi};
  void *gatherOut[] = {gg};
  status = t_gather_kernel0_run(gatherIn, gatherOut, 4, 3);
  printf("gather status %d:", status);
  for (int k = 0; k < 8; ++k)
    printf(" %g", gg[k]);
  printf("\n");

  /* gather kernel 1: s_j = sum of the w_i with to_i = j, 1000 rows of j over
     3 threads (ranges that start past row 0) and on one thread. */
  enum { SM = 300, SN = 1000 };
  float sw[SM], *ss1 = malloc(sizeof(float) * SN), *ss3 = malloc(sizeof(float) * SN);
  int64_t sto[SM];
  for (int i = 0; i < SM; ++i) {
    sw[i] = (float)(i % 7 + 1);
    sto[i] = (int64_t)((i * 37) % 1100) - 50; /* some below 0 or past N */
  }
  const void *scatterIn[] = {sw, sto};
  void *scatter1[] = {ss1}, *scatter3[] = {ss3};
  int sst1 = t_gather_kernel1_run(scatterIn, scatter1, SM, SN);
  int sst3 = t_gather_kernel1_run_threads(scatterIn, scatter3, SM, SN, 3);
  int sok = 1;
  for (int j = 0; j < SN; ++j) {
    float ref = 0;
    for (int i = 0; i < SM; ++i)
      if (sto[i] == j)
        ref += sw[i];
    sok &= ss1[j] == ref && ss3[j] == ref;
  }
  printf("scatter status %d %d, exact: %s\n", sst1, sst3, sok ? "yes" : "no");
  free(ss1);
  free(ss3);

  /* Invalid arguments: a status, nothing computed. */
  const void *nullEntry[] = {x, NULL};
  printf("null inputs %d\n", t_knn_kernel0_run(NULL, knnOut, 2, 4));
  printf("null outputs %d\n", t_knn_kernel0_run(knnIn, NULL, 2, 4));
  printf("null entry %d\n", t_knn_kernel0_run(nullEntry, knnOut, 2, 4));
  printf("negative M %d\n", t_knn_kernel0_run(knnIn, knnOut, -1, 4));
  printf("negative N %d\n", t_knn_kernel0_run_threads(knnIn, knnOut, 2, -4, 2));
  printf("no threads %d\n", t_knn_kernel0_run_threads(knnIn, knnOut, 2, 4, 0));
  free(px);
  free(s1);
  free(s3);
  return 0;
}
