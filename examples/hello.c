/* A small WASI program: greets, lists its arguments, and sums the numbers
 * among them. Built by examples/build.sh (zig cc --target=wasm32-wasi). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    printf("hello from WebAssembly!\n");
    long sum = 0;
    for (int i = 1; i < argc; i++) {
        printf("arg %d: %s\n", i, argv[i]);
        sum += strtol(argv[i], NULL, 10);
    }
    printf("sum of numeric arguments: %ld\n", sum);
    return 0;
}
