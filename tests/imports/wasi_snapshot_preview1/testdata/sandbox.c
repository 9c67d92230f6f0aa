// sandbox: every way out of the mount at /sandbox must fail. Prints one line
// per attempt: "name: refused" or "name: ESCAPED".
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int escaped = 0;

static void try_open(const char *what, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        printf("%s: ESCAPED\n", what);
        escaped = 1;
        close(fd);
    } else {
        printf("%s: refused\n", what);
    }
}

int main(void) {
    try_open("dotdot", "/sandbox/../secret.txt");
    try_open("dotdot-deep", "/sandbox/inner/../../secret.txt");
    try_open("absolute", "/secret.txt");
    try_open("symlink-out", "/sandbox/link_out");
    try_open("symlink-abs", "/sandbox/link_abs");
    try_open("symlink-dir", "/sandbox/dirlink_out/secret.txt");
    int ctl = open("/sandbox/inner/../inside.txt", O_RDONLY);  // a control: stays inside
    printf("inside: %s\n", ctl >= 0 ? "opened" : "FAILED");
    if (ctl >= 0) close(ctl);
    struct stat st;
    if (stat("/sandbox/link_out", &st) == 0) { printf("stat-symlink-out: ESCAPED\n"); escaped = 1; }
    else printf("stat-symlink-out: refused\n");
    int fd = open("/sandbox/../created.txt", O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) { printf("create-outside: ESCAPED\n"); escaped = 1; }
    else printf("create-outside: refused\n");
    if (mkdir("/sandbox/../newdir", 0755) == 0) { printf("mkdir-outside: ESCAPED\n"); escaped = 1; }
    else printf("mkdir-outside: refused\n");
    if (symlink("/etc/passwd", "/sandbox/mylink") == 0) {
        int f2 = open("/sandbox/mylink", O_RDONLY);
        if (f2 >= 0) { printf("symlink-create: ESCAPED\n"); escaped = 1; }
        else printf("symlink-create: refused\n");
    } else {
        printf("symlink-create: refused\n");
    }
    return escaped;
}
