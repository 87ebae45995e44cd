/*
 * Entry points of the credential store: tls_credential_add/get/delete
 * (<zephyr/net/tls_credentials.h>) and secsock's secsock_cred_*
 * (<secsock/secsock.h>). They check arguments, then use the in-memory table
 * (store.c) and, when a directory is selected, the directory backend
 * (dir.c): the directory is loaded into memory when selected, and every add,
 * replace or delete reaches the disk before it reaches memory, under the
 * directory's lock (docs/zephyr-behaviour.md §2.1).
 *
 * Lock order: sel (which backend) → the directory's lock → the table's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <secsock/secsock.h>

#include "cred/dir.h"
#include "cred/store.h"
#include "util/log.h"

static pthread_rwlock_t sel = PTHREAD_RWLOCK_INITIALIZER;
static struct zt_dir *dir; /* NULL: memory only */
static bool dir_readonly;  /* loaded only; changes stay in memory */
static int env_error;      /* SECSOCK_CRED_DIR was set but unusable: its -errno */
static atomic_bool explicit_choice;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static bool type_valid(enum tls_credential_type type)
{
	int t = (int)type;

	return t >= TLS_CREDENTIAL_CA_CERTIFICATE && t <= TLS_CREDENTIAL_PRIVATE_KEY_PSA;
}

struct report_ctx {
	secsock_cred_report_t fn;
	void *arg;
};

/* a skipped file goes to the caller's callback and to the debug output */
static void report(void *arg, const char *name, const char *why)
{
	struct report_ctx *r = arg;

	zt_log(ZT_LOG_ERROR, "credential store: %s: %s", name, why);
	if (r != NULL && r->fn != NULL) {
		r->fn(r->arg, name, why);
	}
}

static int load_fn(void *arg, sec_tag_t tag, enum tls_credential_type type, const void *buf,
		   size_t len)
{
	struct report_ctx *r = arg;
	int rc = zt_store_add(tag, type, buf, len, true);

	if (rc == -ENOMEM) {
		char name[64];

		zt_dir_name(name, sizeof(name), tag, type);
		report(r, name, "skipped: the credential store is full (SECSOCK_MAX_CREDENTIALS)");
		return 0;
	}
	return rc;
}

/* Caller holds sel for writing. */
static int select_dir(const char *path, unsigned int flags, struct report_ctx *r)
{
	struct zt_dir *d = NULL;
	int rc;

	rc = zt_dir_open(&d, path, (flags & SECSOCK_CRED_DIR_CREATE) != 0, report, r);
	if (rc < 0) {
		return rc;
	}
	rc = zt_dir_lock(d, false);
	if (rc < 0) {
		report(r, path, "cannot lock the directory");
		zt_dir_close(d);
		return rc;
	}
	zt_store_clear();
	rc = zt_dir_load(d, load_fn, r, report, r);
	zt_dir_unlock(d);
	if (rc < 0) {
		zt_store_clear();
		zt_dir_close(d);
		return rc;
	}
	zt_dir_close(dir);
	dir = d;
	dir_readonly = (flags & SECSOCK_CRED_DIR_READONLY) != 0;
	zt_log(ZT_LOG_INFO, "credential store: %d credentials loaded from %s%s", rc, path,
	       dir_readonly ? " (read-only)" : "");
	return rc;
}

static void env_select(void)
{
	const char *path = getenv("SECSOCK_CRED_DIR");
	int rc;

	if (atomic_load(&explicit_choice) || path == NULL || *path == '\0') {
		return;
	}
	pthread_rwlock_wrlock(&sel);
	rc = select_dir(path, SECSOCK_CRED_DIR_CREATE, NULL);
	env_error = rc < 0 ? rc : 0;
	pthread_rwlock_unlock(&sel);
}

void zt_cred_ready(void)
{
	pthread_once(&env_once, env_select);
}

int secsock_cred_store_dir(const char *path, unsigned int flags, secsock_cred_report_t report_fn,
			   void *arg)
{
	struct report_ctx r = {.fn = report_fn, .arg = arg};
	int rc = 0;

	if ((flags & ~(SECSOCK_CRED_DIR_READONLY | SECSOCK_CRED_DIR_CREATE)) != 0) {
		return -EINVAL;
	}
	atomic_store(&explicit_choice, true);
	zt_cred_ready(); /* after this, SECSOCK_CRED_DIR is never read */
	pthread_rwlock_wrlock(&sel);
	env_error = 0;
	if (path == NULL) {
		zt_dir_close(dir); /* credentials stay, in memory only */
		dir = NULL;
	} else {
		rc = select_dir(path, flags, &r);
	}
	pthread_rwlock_unlock(&sel);
	return rc;
}

/* Write-through when a writable directory is selected; caller holds sel (read). */
static int persist_add(sec_tag_t tag, enum tls_credential_type type, const void *cred,
		       size_t credlen, bool replace)
{
	int rc;

	rc = zt_dir_lock(dir, true);
	if (rc < 0) {
		return rc;
	}
	/* the directory is the truth: another process may have added or deleted */
	rc = zt_dir_exists(dir, tag, type);
	if (rc == 1 && !replace) {
		rc = -EEXIST;
		goto out;
	}
	if (rc < 0) {
		goto out;
	}
	rc = zt_store_room(tag, type);
	if (rc == -ENOMEM) {
		goto out;
	}
	rc = zt_dir_write(dir, tag, type, cred, credlen);
	if (rc == 0) {
		rc = zt_store_add(tag, type, cred, credlen, true);
	}
out:
	zt_dir_unlock(dir);
	return rc;
}

static int add(sec_tag_t tag, enum tls_credential_type type, const void *cred, size_t credlen,
	       bool replace)
{
	int rc;

	if (cred == NULL || credlen == 0 || tag < 0 || !type_valid(type)) {
		return -EINVAL;
	}
	if (type == TLS_CREDENTIAL_PRIVATE_KEY_PSA) {
		return -ENOTSUP;
	}
	zt_cred_ready();
	pthread_rwlock_rdlock(&sel);
	if (env_error != 0) {
		rc = env_error; /* never silently in memory when a directory was asked for */
	} else if (dir != NULL && !dir_readonly) {
		rc = credlen > ZT_DIR_MAX_CRED ? -EFBIG
					       : persist_add(tag, type, cred, credlen, replace);
	} else {
		rc = zt_store_add(tag, type, cred, credlen, replace);
	}
	pthread_rwlock_unlock(&sel);
	return rc;
}

/*
 * Zephyr's volatile backend keeps the caller's pointer and checks nothing but
 * the slot; we copy and reject what can never be used
 * (docs/zephyr-behaviour.md §2.1, "Deliberate differences").
 */
int tls_credential_add(sec_tag_t tag, enum tls_credential_type type, const void *cred,
		       size_t credlen)
{
	return add(tag, type, cred, credlen, false);
}

int secsock_cred_replace(sec_tag_t tag, enum tls_credential_type type, const void *cred,
			 size_t credlen)
{
	return add(tag, type, cred, credlen, true);
}

/*
 * cred == NULL is allowed only with *credlen == 0, to ask for the size: the
 * answer is then -EFBIG with *credlen set (stored credentials are never
 * empty), or -ENOENT.
 */
int tls_credential_get(sec_tag_t tag, enum tls_credential_type type, void *cred, size_t *credlen)
{
	if (credlen == NULL || !type_valid(type) || (cred == NULL && *credlen != 0)) {
		return -EINVAL;
	}
	zt_cred_ready();
	return zt_store_get(tag, type, cred, credlen);
}

int tls_credential_delete(sec_tag_t tag, enum tls_credential_type type)
{
	int rc, rd;

	if (!type_valid(type)) {
		return -EINVAL;
	}
	zt_cred_ready();
	pthread_rwlock_rdlock(&sel);
	if (env_error != 0) {
		rc = env_error;
	} else if (dir != NULL && !dir_readonly) {
		rc = zt_dir_lock(dir, true);
		if (rc == 0) {
			rd = zt_dir_remove(dir, tag, type);
			if (rd == 0 || rd == -ENOENT) {
				rc = zt_store_delete(tag, type);
				rc = rd == 0 ? 0 : rc; /* gone from the disk, or only in memory */
			} else {
				rc = rd; /* still on the disk: keep it in memory too */
			}
			zt_dir_unlock(dir);
		}
	} else {
		rc = zt_store_delete(tag, type);
	}
	pthread_rwlock_unlock(&sel);
	return rc;
}

int secsock_cred_foreach(secsock_cred_list_t fn, void *arg)
{
	if (fn == NULL) {
		return -EINVAL;
	}
	zt_cred_ready();
	return zt_store_list((zt_store_list_fn)fn, arg);
}
