// readonly: /ro is a read-only mount holding data.txt: reads work, every
// write fails. Prints one line per operation.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "allowed" : "refused");
}

int main(void) {
    char buf[64];
    int fd = open("/ro/data.txt", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (n >= 0) buf[n] = 0;
    printf("read: %s", n > 0 ? buf : "FAILED\n");
    if (fd >= 0) close(fd);
    report("open-write", open("/ro/data.txt", O_WRONLY) >= 0);
    report("open-trunc", open("/ro/data.txt", O_RDWR | O_TRUNC) >= 0);
    report("create", open("/ro/new.txt", O_CREAT | O_WRONLY, 0644) >= 0);
    report("mkdir", mkdir("/ro/dir", 0755) == 0);
    report("unlink", unlink("/ro/data.txt") == 0);
    report("rename", rename("/ro/data.txt", "/ro/moved.txt") == 0);
    report("symlink", symlink("data.txt", "/ro/link") == 0);
    struct stat st;
    report("still-there", stat("/ro/data.txt", &st) == 0);
    return 0;
}
