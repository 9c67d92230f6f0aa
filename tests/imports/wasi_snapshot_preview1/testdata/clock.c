// clock: clocks, sleeping (poll_oneoff) and random bytes.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec a, b, r;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec req = {0, 5 * 1000 * 1000};
    int rc = nanosleep(&req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long d = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    printf("nanosleep=%d monotonic-advanced=%d\n", rc, d > 0);
    clock_gettime(CLOCK_REALTIME, &a);
    printf("realtime-year-ok=%d\n", a.tv_sec > 1600000000);
    printf("res=%d\n", clock_getres(CLOCK_MONOTONIC, &r) == 0);
    unsigned char buf[16];
    printf("getentropy=%d\n", getentropy(buf, sizeof buf));
    return 0;
}
