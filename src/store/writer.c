/*
 * writer.c — who is writing a run: the process's identity, so that a run left `running` by a process that is
 * gone (killed, or the machine rebooted) reads as interrupted, and the next writer marks it so.
 *
 * The identity is "HOST BOOT START": the host's name, the kernel's boot id and the process's start time in
 * clock ticks since boot (/proc/PID/stat, field 22), which together tell a process from a later one that got
 * the same pid. A run written on another host cannot be judged from here and stays `running`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_impl.h"

static void read_line(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)n, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/* The start time of process `pid` (field 22 of /proc/PID/stat, after the parenthesised name), or "" when
   there is no such process. */
static void start_time(long long pid, char *out, size_t n)
{
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    read_line(path, stat, sizeof stat);
    out[0] = '\0';
    const char *p = strrchr(stat, ')');
    for (int field = 2; p && field < 22; field++) /* fields 3 … 22 follow the name (field 2) */
        p = strchr(p + 1, ' ');
    if (p)
        snprintf(out, n, "%.*s", (int)strcspn(p + 1, " "), p + 1);
}

void dsim__writer_identity(long long pid, char *out, size_t n)
{
    char host[256] = "", boot[64], start[32];
    gethostname(host, sizeof host - 1);
    read_line("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    start_time(pid, start, sizeof start);
    snprintf(out, n, "%s %s %s", host[0] ? host : "?", boot[0] ? boot : "?", start[0] ? start : "?");
}

bool dsim__writer_gone(long long pid, const char *identity)
{
    char host[256], boot[64], start[32], now[400];
    if (!identity || sscanf(identity, "%255s %63s %31s", host, boot, start) != 3 || pid <= 0)
        return false;
    dsim__writer_identity(pid, now, sizeof now);
    char now_host[256], now_boot[64], now_start[32];
    if (sscanf(now, "%255s %63s %31s", now_host, now_boot, now_start) != 3 || strcmp(host, now_host) != 0 ||
        strcmp(host, "?") == 0)
        return false; /* another host's run: not ours to judge */
    return strcmp(boot, now_boot) != 0 || strcmp(start, now_start) != 0; /* rebooted, or no such process now */
}
