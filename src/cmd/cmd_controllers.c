/* svcnet controllers: not built yet (placeholder so the command table links). */
#include "cmd/commands.h"

#include <stdio.h>

int cmd_controllers(int argc, char **argv)
{
	fputs("svcnet controllers: not built yet\n", stderr);
	return 2;
}
