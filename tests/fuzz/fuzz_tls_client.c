/*
 * A TLS client session (hostname NULL; verification NONE, or OPTIONAL in
 * one configuration) fed with what a server might send: control byte
 * (fuzzlib.h), then the server's bytes. Seeds: real server transcripts
 * recorded against the same deterministic client (gen_seeds.c).
 */
#include "fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fz_run_session(FZ_TLS_CLIENT, data, size);
	return 0;
}
