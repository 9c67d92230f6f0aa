// hello: stdout, stderr, args, environment, stdin; exits with argv[1] when
// it is a number (proc_exit), else returns 0 from main.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("hello world\n");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++) printf("env %s\n", *e);
    const char *greet = getenv("GREETING");
    printf("GREETING=%s\n", greet ? greet : "(unset)");
    char line[256];
    if (fgets(line, sizeof line, stdin)) printf("stdin=%s", line);
    else printf("stdin=EOF\n");
    fprintf(stderr, "to stderr\n");
    fflush(stdout);
    if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') exit(atoi(argv[1]));
    return 0;
}
