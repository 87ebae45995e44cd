/*
 * The one table from Mbed TLS codes to errno, used by every path of the
 * backend (handshake, read, write, flush, datagrams). Every code of
 * <mbedtls/ssl.h> has its own row; tests/unit/test_engine_errors.c fails
 * when a code of the installed header has none. The socket layer applies
 * Zephyr's policy on top (e.g. any handshake failure but a timeout is
 * ECONNABORTED); the table only says what happened:
 *
 *   EAGAIN        wait for the transport (or a timer) and call again
 *   ETIMEDOUT     DTLS retransmissions exhausted
 *   ENOMEM        an allocation failed
 *   ECONNABORTED  the peer or its data broke the protocol: alerts, bad
 *                 records, failed verification, unexpected messages
 *   ECONNRESET    DTLS: the client started over from the same address
 *   EPROTO        we cannot go on (internal error, bad configuration)
 *   EIO           crypto hardware or an unknown failure
 *
 * An orderly end (close_notify, EOF) is not an error: reads return 0.
 */
#include <errno.h>

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509.h>

#include "engine/mbedtls/mbed.h"

static const struct {
	int mbed;
	int err;
} table[] = {
	{MBEDTLS_ERR_SSL_WANT_READ, EAGAIN},
	{MBEDTLS_ERR_SSL_WANT_WRITE, EAGAIN},
	{MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS, EAGAIN},
	{MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS, EAGAIN},
	{MBEDTLS_ERR_SSL_CONTINUE_PROCESSING, EAGAIN},
	{MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET, EAGAIN}, /* handled before; not data */
	{MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA, EAGAIN},
	{MBEDTLS_ERR_SSL_NON_FATAL, EAGAIN},
	{MBEDTLS_ERR_SSL_TIMEOUT, ETIMEDOUT},
	{MBEDTLS_ERR_SSL_ALLOC_FAILED, ENOMEM},
	{MBEDTLS_ERR_SSL_CLIENT_RECONNECT, ECONNRESET},
	{MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED, EAGAIN}, /* the session resets (session.c) */
	/* the peer ended the connection where it should not have */
	{MBEDTLS_ERR_SSL_CONN_EOF, ECONNABORTED},
	{MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, ECONNABORTED},
	/* the peer, or what it sent, broke the protocol */
	{MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, ECONNABORTED},
	{MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE, ECONNABORTED},
	{MBEDTLS_ERR_SSL_INVALID_RECORD, ECONNABORTED},
	{MBEDTLS_ERR_SSL_INVALID_MAC, ECONNABORTED},
	{MBEDTLS_ERR_SSL_DECODE_ERROR, ECONNABORTED},
	{MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE, ECONNABORTED},
	{MBEDTLS_ERR_SSL_UNEXPECTED_RECORD, ECONNABORTED},
	{MBEDTLS_ERR_SSL_UNEXPECTED_CID, ECONNABORTED},
	{MBEDTLS_ERR_SSL_EARLY_MESSAGE, ECONNABORTED},
	{MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION, ECONNABORTED},
	{MBEDTLS_ERR_SSL_VERSION_MISMATCH, ECONNABORTED},
	{MBEDTLS_ERR_SSL_BAD_CERTIFICATE, ECONNABORTED},
	{MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE, ECONNABORTED},
	{MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION, ECONNABORTED},
	{MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL, ECONNABORTED},
	{MBEDTLS_ERR_SSL_UNRECOGNIZED_NAME, ECONNABORTED},
	{MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY, ECONNABORTED},
	{MBEDTLS_ERR_SSL_PK_TYPE_MISMATCH, ECONNABORTED},
	{MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER, ECONNABORTED},
	{MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED, ECONNABORTED},
	{MBEDTLS_ERR_SSL_CERTIFICATE_VERIFICATION_WITHOUT_HOSTNAME, ECONNABORTED},
	{MBEDTLS_ERR_SSL_WAITING_SERVER_HELLO_RENEGO, ECONNABORTED},
	{MBEDTLS_ERR_SSL_CANNOT_READ_EARLY_DATA, ECONNABORTED},
	{MBEDTLS_ERR_SSL_CANNOT_WRITE_EARLY_DATA, ECONNABORTED},
	{MBEDTLS_ERR_SSL_COUNTER_WRAPPING, ECONNABORTED},
	{MBEDTLS_ERR_SSL_CACHE_ENTRY_NOT_FOUND, ECONNABORTED},
	{MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, ECONNABORTED},
	/* we cannot go on */
	{MBEDTLS_ERR_SSL_INTERNAL_ERROR, EPROTO},
	{MBEDTLS_ERR_SSL_BAD_INPUT_DATA, EPROTO},
	{MBEDTLS_ERR_SSL_BAD_CONFIG, EPROTO},
	{MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE, EPROTO},
	{MBEDTLS_ERR_SSL_NO_RNG, EPROTO},
	{MBEDTLS_ERR_SSL_PRIVATE_KEY_REQUIRED, EPROTO},
	{MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED, EPROTO},
	{MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL, EPROTO},
	{MBEDTLS_ERR_SSL_HW_ACCEL_FAILED, EIO},
	{MBEDTLS_ERR_SSL_HW_ACCEL_FALLTHROUGH, EIO},
};

bool zt_mbed_errno_mapped(int ret)
{
	for (size_t i = 0; i < ZT_ARRAY_SIZE(table); i++) {
		if (table[i].mbed == ret) {
			return true;
		}
	}
	return false;
}

int zt_mbed_errno(const struct zt_eng *e, int ret)
{
	if (ret >= 0) {
		return 0;
	}
	for (size_t i = 0; i < ZT_ARRAY_SIZE(table); i++) {
		if (table[i].mbed == ret) {
			return -table[i].err;
		}
	}
	/* our own transport failed: its errno (ECONNREFUSED, ECONNRESET, EPIPE...) */
	if ((ret == MBEDTLS_ERR_NET_SEND_FAILED || ret == MBEDTLS_ERR_NET_RECV_FAILED) &&
	    e != NULL && e->io_errno != 0) {
		return -e->io_errno;
	}
	/* out of memory below TLS: bignum, ASN.1, X.509, PK, EC */
	int high = -ret & 0xFF80, low = -ret & 0x007F;

	if (low == -MBEDTLS_ERR_MPI_ALLOC_FAILED || low == -MBEDTLS_ERR_ASN1_ALLOC_FAILED ||
	    high == -MBEDTLS_ERR_X509_ALLOC_FAILED || high == -MBEDTLS_ERR_PK_ALLOC_FAILED ||
	    high == -MBEDTLS_ERR_ECP_ALLOC_FAILED) {
		return -ENOMEM;
	}
	/* crypto, X.509 and PK codes of a failed handshake: the data broke the protocol */
	return -ECONNABORTED;
}
