/* svcnet env: not built yet (placeholder so the command table links). */
#include "cmd/commands.h"

#include <stdio.h>

int cmd_env(int argc, char **argv)
{
	fputs("svcnet env: not built yet\n", stderr);
	return 2;
}
