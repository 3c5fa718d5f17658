/* svcnet proxy: not built yet (placeholder so the command table links). */
#include "cmd/commands.h"

#include <stdio.h>

int cmd_proxy(int argc, char **argv)
{
	fputs("svcnet proxy: not built yet\n", stderr);
	return 2;
}
