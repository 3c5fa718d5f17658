/* Logging: one line per event to stderr, with a time stamp and a level. */
#ifndef SVCNET_BASE_LOG_H
#define SVCNET_BASE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below this level are dropped; LOG_INFO unless SVCNET_DEBUG is set. */
void log_set_level(enum log_level level);

/* Writes one line "TIME LEVEL component: message" to stderr. Thread safe. */
void log_msg(enum log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(c, ...) log_msg(LOG_DEBUG, c, __VA_ARGS__)
#define log_info(c, ...)  log_msg(LOG_INFO, c, __VA_ARGS__)
#define log_warn(c, ...)  log_msg(LOG_WARN, c, __VA_ARGS__)
#define log_error(c, ...) log_msg(LOG_ERROR, c, __VA_ARGS__)

#endif
