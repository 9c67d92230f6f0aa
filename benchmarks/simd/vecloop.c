/* A vectorisable workload for the SIMD benchmark: integer and float loops
 * that clang auto-vectorises with -msimd128 (i32x4 / f32x4 arithmetic,
 * loads and stores). Built twice by build.sh: with and without SIMD.
 *
 * usage: vecloop [ROUNDS]   prints a checksum that must match between builds
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4096

static int32_t a[N], b[N], c[N];
static float x[N], y[N];

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 50;
    for (int i = 0; i < N; i++) {
        a[i] = i * 7 + 3;
        b[i] = (i * 13) ^ 0x55;
        x[i] = (float)i * 0.25f;
        y[i] = (float)(N - i) * 0.5f;
    }
    uint32_t sum = 0;
    float fsum = 0.0f;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            c[i] = a[i] * b[i] + (a[i] >> 3) - r;
        for (int i = 0; i < N; i++)
            sum += (uint32_t)c[i];
        for (int i = 0; i < N; i++)
            y[i] = y[i] * 0.5f + x[i];
        float acc = 0.0f;
        for (int i = 0; i < N; i++)
            acc += y[i];
        fsum += acc;
    }
    printf("vecloop(%d): sum=%08x fsum=%.3f\n", rounds, sum, (double)fsum);
    return 0;
}
