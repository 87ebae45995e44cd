/*
 * A DTLS 1.2 server session through the engine seam (engine.h): cookie exchange (HelloVerifyRequest
 * and the reset), the handshake, datagram reads, poll's data check, Connection ID record matching.
 * Input: control byte (fuzzlib.h; bits 5-7 pick the configuration), then datagrams, each as [u16
 * big-endian length][bytes].
 */
#include "fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fz_run_session(FZ_DTLS_SERVER, data, size);
	return 0;
}
