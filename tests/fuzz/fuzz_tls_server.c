/*
 * A TLS server session (zt_eng_* over an in-memory transport) fed with what a
 * client might send: the first byte is the control byte of fuzzlib.h (chunk
 * size, stutter, EOF, configuration), the rest the client's bytes. The
 * seeds are real client transcripts (gen_seeds.c) for every configuration.
 */
#include "fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fz_run_session(FZ_TLS_SERVER, data, size);
	return 0;
}
