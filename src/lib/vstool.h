/* vstool.h - the common body of the small tools that run inside a VS
 * (setrights, listrights, rebootvs): send one command over the VS's own
 * vsd socket and print the answer.  Linked statically; libc only. */
#ifndef VS_VSTOOL_H
#define VS_VSTOOL_H

/*
 * Connect (vs_client_connect_vs), send argv[0..argc) as one command,
 * print a +OK answer's text (or its data lines) on stdout, or
 * "prog: message" on stderr.  Returns the exit code (vs_client_exit_code).
 */
int vs_tool_run(const char *prog, int argc, char *const *argv);

#endif
