/*
 * tls_credential_expiry() (<zephyr/net/tls_credentials.h>): the store holds
 * the bytes, the engine reads the certificate. Here, so that neither the
 * store nor the engine depends on the other.
 */
#include <errno.h>
#include <time.h>

#include <zephyr/net/tls_credentials.h>

#include "cred/store.h"
#include "engine/engine.h"

static int expiry_of(void *arg, const void *buf, size_t len)
{
	return zt_eng_cert_expiry(buf, len, arg);
}

int tls_credential_expiry(sec_tag_t tag, enum tls_credential_type type, time_t *expiry)
{
	int64_t not_after = 0;
	int rc;

	/* Zephyr: -EINVAL unless the type is a CA or public certificate */
	if (expiry == NULL ||
	    (type != TLS_CREDENTIAL_CA_CERTIFICATE && type != TLS_CREDENTIAL_PUBLIC_CERTIFICATE)) {
		return -EINVAL;
	}
	zt_cred_ready();
	rc = zt_cred_with(tag, type, expiry_of, &not_after);
	if (rc == 0) {
		*expiry = (time_t)not_after;
	}
	return rc;
}
