/* The sub-commands of svcnet. Each returns the process exit status. */
#ifndef SVCNET_CMD_COMMANDS_H
#define SVCNET_CMD_COMMANDS_H

int cmd_apiserver(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_controllers(int argc, char **argv); /* cmd_controllers.c */
int cmd_proxy(int argc, char **argv);	    /* cmd_proxy.c */
int cmd_dns(int argc, char **argv);	    /* cmd_dns.c */
int cmd_env(int argc, char **argv);	    /* cmd_env.c */

/* Blocks SIGINT and SIGTERM in every thread started after this call. */
void signals_block(void);
/* Waits for SIGINT or SIGTERM; returns the signal. */
int signals_wait(void);

#endif
