/*
 * The directory backend of the credential store (src/cred/dir.c): one file
 * per credential, written atomically and durably, serialised between
 * processes by flock() on a lock file. It knows nothing of the in-memory
 * table: src/cred/api.c joins the two.
 */
#ifndef ZT_CRED_DIR_H
#define ZT_CRED_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <zephyr/net/tls_credentials.h>

/** Largest credential a file may hold (bytes). */
#define ZT_DIR_MAX_CRED (1024 * 1024)

struct zt_dir;

/** Called for a file that is skipped: its name and why, in words. */
typedef void (*zt_dir_report_fn)(void *arg, const char *name, const char *why);

/** Called for each credential found; the buffer is wiped after the call. */
typedef int (*zt_dir_load_fn)(void *arg, sec_tag_t tag, enum tls_credential_type type,
			      const void *buf, size_t len);

/**
 * Open (and with @p create, make: 0700, parents too) the directory @p path.
 * Refused with -EPERM when it is not owned by this user or is writable by
 * group or others (the reason goes to @p report).
 */
int zt_dir_open(struct zt_dir **out, const char *path, bool create, zt_dir_report_fn report,
		void *arg);
void zt_dir_close(struct zt_dir *d);

/** Take the cross-process lock: exclusive for writers, shared for a load. */
int zt_dir_lock(struct zt_dir *d, bool exclusive);
void zt_dir_unlock(struct zt_dir *d);

/**
 * Every valid credential file, under the shared lock taken by the caller.
 * Corrupt, foreign, unsafe and unreadable files go to @p report and are
 * skipped. @return the number of credentials passed to @p fn, or the first
 * negative value it returned, or -errno when the directory cannot be read.
 */
int zt_dir_load(struct zt_dir *d, zt_dir_load_fn fn, void *arg, zt_dir_report_fn report,
		void *rarg);

/** Whether (tag, type) has a file (-errno if that cannot be told). 1 yes, 0 no. */
int zt_dir_exists(struct zt_dir *d, sec_tag_t tag, enum tls_credential_type type);

/**
 * Write (tag, type) durably: temporary file, fsync, rename over the final
 * name, fsync of the directory. Caller holds the exclusive lock. A crash
 * at any point leaves either the old file or the new one.
 */
int zt_dir_write(struct zt_dir *d, sec_tag_t tag, enum tls_credential_type type, const void *buf,
		 size_t len);

/** Remove (tag, type) durably. -ENOENT if there was no file. Exclusive lock held. */
int zt_dir_remove(struct zt_dir *d, sec_tag_t tag, enum tls_credential_type type);

/** The file name of (tag, type), e.g. "42-CA_CERT.cred", in @p buf. */
void zt_dir_name(char *buf, size_t size, sec_tag_t tag, enum tls_credential_type type);

#endif /* ZT_CRED_DIR_H */
