// files: file I/O inside the mount at /sandbox: create, write, seek, read,
// stat, readdir, rename, unlink, mkdir, rmdir, append, truncate, pread.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAIL %s:%d %s errno=%d\n", __FILE__, __LINE__, #x, errno); return 1; } } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
    char buf[128];
    int fd = open("/sandbox/a.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello, file\n", 12) == 12);
    CHECK(lseek(fd, 7, SEEK_SET) == 7);
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK(n == 5);
    buf[n] = 0;
    printf("read after seek: %s", buf);
    CHECK(lseek(fd, 0, SEEK_CUR) == 12);
    CHECK(pread(fd, buf, 5, 0) == 5);
    buf[5] = 0;
    printf("pread: %s\n", buf);
    CHECK(ftruncate(fd, 5) == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("size after truncate: %lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    CHECK(close(fd) == 0);

    FILE *f = fopen("/sandbox/a.txt", "a");
    CHECK(f != NULL);
    fprintf(f, " world\n");
    CHECK(fclose(f) == 0);
    f = fopen("/sandbox/a.txt", "r");
    CHECK(f != NULL);
    CHECK(fgets(buf, sizeof buf, f) != NULL);
    printf("after append: %s", buf);
    fclose(f);

    CHECK(mkdir("/sandbox/sub", 0755) == 0);
    CHECK(mkdir("/sandbox/sub", 0755) == -1 && errno == EEXIST);
    CHECK(stat("/sandbox/sub", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(rename("/sandbox/a.txt", "/sandbox/sub/b.txt") == 0);
    CHECK(stat("/sandbox/a.txt", &st) == -1 && errno == ENOENT);
    CHECK(stat("/sandbox/sub/b.txt", &st) == 0);
    printf("renamed size: %lld\n", (long long)st.st_size);
    fd = open("/sandbox/sub/c.txt", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    close(fd);

    DIR *d = opendir("/sandbox/sub");
    CHECK(d != NULL);
    char *names[16];
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && count < 16) names[count++] = strdup(de->d_name);
    closedir(d);
    qsort(names, count, sizeof names[0], cmp);
    printf("readdir:");
    for (int i = 0; i < count; i++) printf(" %s", names[i]);
    printf("\n");

    CHECK(rmdir("/sandbox/sub") == -1 && errno == ENOTEMPTY);
    CHECK(unlink("/sandbox/sub/b.txt") == 0);
    CHECK(unlink("/sandbox/sub/c.txt") == 0);
    CHECK(unlink("/sandbox/sub/c.txt") == -1 && errno == ENOENT);
    CHECK(rmdir("/sandbox/sub") == 0);
    CHECK(open("/sandbox/missing", O_RDONLY) == -1 && errno == ENOENT);
    CHECK(open("/sandbox/new", O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0);
    CHECK(open("/sandbox/new", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
    CHECK(unlink("/sandbox/new") == 0);
    printf("ok\n");
    return 0;
}
