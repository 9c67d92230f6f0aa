/* A small SQLite shell for the benchmarks: runs the SQL of a file (argv[1],
 * or standard input) against an in-memory database and prints every row of
 * every statement as `|`-separated text. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int print_row(void *unused, int n, char **values, char **names) {
    (void)unused;
    (void)names;
    for (int i = 0; i < n; i++) {
        if (i) fputc('|', stdout);
        fputs(values[i] ? values[i] : "NULL", stdout);
    }
    fputc('\n', stdout);
    return 0;
}

static char *read_all(FILE *f) {
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) buf = realloc(buf, cap *= 2);
    }
    if (buf) buf[len] = 0;
    return buf;
}

int main(int argc, char **argv) {
    FILE *in = stdin;
    if (argc > 1 && !(in = fopen(argv[1], "rb"))) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    char *sql = read_all(in);
    if (!sql) return 2;
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "open: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    char *err = 0;
    if (sqlite3_exec(db, sql, print_row, 0, &err) != SQLITE_OK) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    sqlite3_close(db);
    free(sql);
    return 0;
}
