/* svcnet dns: not built yet (placeholder so the command table links). */
#include "cmd/commands.h"

#include <stdio.h>

int cmd_dns(int argc, char **argv)
{
	fputs("svcnet dns: not built yet\n", stderr);
	return 2;
}
