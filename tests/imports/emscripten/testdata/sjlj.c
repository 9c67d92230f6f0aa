/* setjmp/longjmp through Emscripten's invoke_* protocol: nested setjmp
 * buffers, longjmp across several frames, and many jumps in a loop. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf outer, inner;
static int calls;

static int deep(int level, int target) {
  calls++;
  if (level == 0) longjmp(target ? inner : outer, 40 + target);
  return deep(level - 1, target) + 1;
}

static int nested(int n) {
  int r = setjmp(inner);
  if (r) return r;             /* back from the inner jump */
  deep(n, 1);                  /* jumps to inner */
  return -1;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 3;
  volatile int total = 0;
  for (volatile int i = 0; i < rounds; i++) {
    int r = setjmp(outer);
    if (r == 0) {
      total += nested(5);      /* the inner jump lands inside nested() */
      deep(3, 0);              /* then jump to outer across three frames */
      puts("not reached");
    } else {
      total += r;
    }
  }
  printf("total %d calls %d\n", total, calls);
  return 0;
}
