/*
 * Flag values that need more than strtol, shared by the sub-commands
 * (flag_number, for whole numbers, is declared in commands.h).
 */
#ifndef SVCNET_CMD_FLAGS_H
#define SVCNET_CMD_FLAGS_H

/*
 * Parses arg, the value of --flag, as a Go duration ("500ms", "1m30s"; see
 * base/duration.h) of lo_ms to hi_ms milliseconds into *out_ms. Returns 0,
 * or -1 after printing what is wrong to stderr.
 */
int flag_duration(const char *flag, const char *arg, long lo_ms, long hi_ms, long *out_ms);

#endif
