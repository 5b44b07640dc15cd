/*
 * store.h - the case store: the only module that speaks SQL.
 *
 * One SQLite file in WAL mode with foreign keys on, synchronous=FULL (a
 * commit is durable before we tell anyone, including an IMAP server, that
 * it happened) and a busy timeout.  The schema is created and upgraded by
 * numbered migrations recorded in PRAGMA user_version; a file written by a
 * newer casemail is refused rather than guessed at.
 *
 * Every statement is prepared and every value bound.  Records returned by
 * store_*_get() are owned by the caller and freed with their _free().
 * Writers wrap their calls in store_begin()/store_commit(); on any error
 * they call store_rollback(), so nothing half-written is ever left.
 *
 * Errors.  The functions below that take a struct cm_error return 0 or a
 * negative CM_E* (error.h) and fill err when it is not NULL.  "The common
 * codes" are:
 *   CM_ETEMP     SQLITE_BUSY or SQLITE_LOCKED: another connection held the
 *                lock for over busy_timeout_ms; try again later.  Seen at
 *                store_begin() (BEGIN IMMEDIATE takes the write lock, so
 *                the writes inside the transaction do not wait), and by
 *                reads and writes made outside a transaction.
 *   CM_ESTORE    the file is read-only, damaged, full or failing, or any
 *                other SQLite failure.
 *   CM_EREFUSED  (writers) the values break a rule of the schema: a CHECK
 *                (a status, side or role that is not one of its words), a
 *                NOT NULL, a UNIQUE, or a foreign key (no such case or
 *                person).  A writer's comment says which apply.
 * SQLite undoes the failed statement only.  A writer that runs several
 * (a message with its addresses, a mail with its recipients) may leave the
 * earlier ones in the open transaction: roll it back, or the savepoint.
 *
 * Threads.  A struct store is one SQLite connection and a cache of
 * prepared statements with no lock of its own: it belongs to one thread at
 * a time.  It may pass to another thread when the hand-over synchronises
 * (starting or joining the thread, a GAsyncQueue): casemaild opens the
 * sender's store on the main thread and uses it on the sender thread, and
 * a poll lends the fetcher's store to its store worker (fetch.c), which
 * alone uses it until the poll joins it; the poll's own thread meanwhile
 * fetches, parses (ingest_parse() needs no store) and moves mail, and does
 * not touch the store.  Distinct struct stores, in any threads (SQLite is
 * built thread-safe) or processes, may run any of these functions at the
 * same time: they share the file through SQLite's locks.  In WAL mode readers never
 * wait for the writer; one connection at a time holds the write lock, from
 * store_begin() to store_commit() or store_rollback(), and another's
 * store_begin() waits up to busy_timeout_ms, then returns CM_ETEMP.  So
 * keep transactions short and hold none across network I/O.  The config
 * given to store_open() is read by whichever thread runs the store (the
 * "recent" view asks config_is_org_address()), so it must not change, nor
 * be freed, while the store is open.
 */
#ifndef CASEMAIL_STORE_H
#define CASEMAIL_STORE_H

#include <glib.h>
#include <stdint.h>

#include "casemail/config.h"
#include "casemail/error.h"

/* The schema version this binary writes (see migrations in store.c). */
#define STORE_SCHEMA_VERSION 11

struct store;

struct store_options {
	int busy_timeout_ms;
	/* For the "recent" view: which addresses are ours (borrowed; may
	 * be NULL, then no address is ours). */
	const struct config *cfg;
};

/*
 * Open (creating if needed) the store at path and bring its schema up to
 * date.  The directory must exist.  Returns CM_ESTORE for a missing
 * directory, a read-only, damaged or too-new file, CM_ETEMP when locked.
 * The calling thread may hand the store to another (see Threads above).
 */
int store_open(const char *path, const struct store_options *opt,
	       struct store **store_r, struct cm_error *err);

/* Close; accepts NULL and clears the pointer. Rolls back an open transaction. */
void store_close(struct store **store);

/* Nonzero while a transaction from store_begin() is open. */
int store_in_transaction(const struct store *s);

/*
 * BEGIN IMMEDIATE: takes the write lock now, so a busy database fails
 * here (CM_ETEMP) rather than halfway through a change.  CM_EINTERNAL if
 * a transaction is already open; CM_ESTORE for a read-only file.
 */
int store_begin(struct store *s, struct cm_error *err);
/*
 * Index the messages the transaction added for search, then COMMIT: when
 * it returns 0 the transaction is durable (synchronous=FULL).
 * CM_EINTERNAL if no transaction is open; otherwise the common codes, and
 * the transaction stays open: call store_rollback().
 */
int store_commit(struct store *s, struct cm_error *err);
/* Roll back if a transaction is open; safe to call at any time. */
void store_rollback(struct store *s);

/* The schema version of the open file, or -1 when it cannot be read. */
int store_schema_version(struct store *s);

/* ---- states ------------------------------------------------------------ */

/*
 * The state columns, as enums once loaded.  The database keeps the words
 * (its CHECKs list them; there is no migration) and each enum has one
 * table of them in store_words.c.  Reading a word that is not in the table
 * fails with CM_ESTORE: it is never mapped to a guess.  Zero is the state
 * a new record starts in.
 */

/* cases.status */
enum store_case_status {
	STORE_CASE_ACTIVE,   /* "active": open, someone works on it */
	STORE_CASE_SOLVED,   /* "solved": closed; solved_at is set */
};

/* messages.state */
enum store_msg_state {
	STORE_MSG_STORED,    /* "stored": on its case */
	STORE_MSG_HELD,      /* "held": waiting for an agent (casectl review) */
	STORE_MSG_REJECTED,  /* "rejected": an agent refused it in review */
	STORE_MSG_FAILED,    /* "failed": could not be handled; raw kept for
			      * review */
	STORE_MSG_IGNORED,   /* "ignored": own mail, a bounce or an
			      * auto-reply: recorded, not shown on a case */
};

/* outbox.state */
enum store_outbox_state {
	STORE_OUTBOX_QUEUED, /* "queued": some recipient still pending */
	STORE_OUTBOX_DONE,   /* "done": every recipient sent or failed */
};

/* outbox_rcpts.state */
enum store_rcpt_state {
	STORE_RCPT_PENDING,  /* "pending": to be tried (again) */
	STORE_RCPT_SENT,     /* "sent": the server accepted it */
	STORE_RCPT_FAILED,   /* "failed": refused for good, or gave up */
};

/*
 * The word stored for a value ("active", "held", ...), a static string;
 * NULL for a value outside the enum (a writer given one binds NULL, and
 * the schema refuses it with CM_EREFUSED).
 */
const char *store_case_status_name(enum store_case_status v);
const char *store_msg_state_name(enum store_msg_state v);
const char *store_outbox_state_name(enum store_outbox_state v);
const char *store_rcpt_state_name(enum store_rcpt_state v);

/*
 * The status stored as word (exact, lower case) in *v_r: 0, or CM_EINPUT
 * for any other word or NULL (*v_r is then left alone).  For input from
 * outside; the store reads its rows with its own tables.
 */
int store_case_status_parse(const char *word, enum store_case_status *v_r);

/* ---- people ------------------------------------------------------------ */

struct store_person {
	int64_t id;
	char *address;   /* lower case */
	char *name;      /* display name or NULL */
	char *side;      /* "shipper", "carrier", "internal" or NULL */
	int subscribed;  /* participants only */
	int64_t bounced_at; /* marked bouncing then (case_get), 0: not */
};

/* Free; accepts NULL and clears the pointer. */
void store_person_free(struct store_person **p);

/*
 * Find the person with address, creating them if new.  A non-NULL name
 * fills in a missing display name.  Returns the id in *id_r.  The common
 * codes; CM_EREFUSED for a NULL address.
 */
int store_person_ensure(struct store *s, const char *address,
			const char *name, int64_t *id_r, struct cm_error *err);

/* Look a person up; CM_ENOTFOUND if unknown.  *p_r is caller-owned. */
int store_person_get(struct store *s, const char *address,
		     struct store_person **p_r, struct cm_error *err);

/* Record which side a person is on (shipper, carrier, internal, or NULL).
 * The common codes; CM_EREFUSED for any other side.  An unknown
 * person_id changes nothing and returns 0. */
int store_person_set_side(struct store *s, int64_t person_id,
			  const char *side, struct cm_error *err);

/* ---- cases ------------------------------------------------------------- */

struct store_case {
	int64_t id;             /* the sequence behind the case number */
	char *kind;             /* client | driver */
	char *type;
	char *subject;
	enum store_case_status status;
	char *priority;         /* low | normal | high | urgent */
	char *shipment;         /* NULL if none */
	char *crm_shipper;
	char *crm_carrier;
	char *source;           /* email | user | api | rule */
	char *creator;          /* address or agent name, NULL if unknown */
	int64_t follow_up;      /* 0: none */
	int64_t created_at;
	int64_t updated_at;
	int64_t solved_at;      /* 0: not solved */
	int64_t last_message_at;   /* 0: no message yet */
	char *last_message_from;   /* author address of the latest message */
	char *waiting_on;       /* Active but pending on someone outside
				 * (e.g. "outside support"), else NULL */
	GPtrArray *owners;       /* struct store_person *, side set */
	GPtrArray *watchers;
	GPtrArray *participants; /* subscribed set */
	/* The contact (store_desk.c): never NULL in a loaded or new case. */
	struct store_contact *contact;
	GPtrArray *outside;      /* char *: the outside team's addresses */
};

/*
 * Who a case is for, when an agent says so (store_desk.c): the requester
 * (a case opened by phone has no mail to take one from) and the caller's
 * details.  Every field may be NULL.
 */
struct store_contact {
	char *requester_address;  /* lower case */
	char *requester_name;
	char *caller_name;
	char *caller_company;
	char *caller_phone;
	char *caller_email;
};

/* Free; accepts NULL and clears the pointer. */
void store_contact_free(struct store_contact **ct);

/* A new, empty record (role arrays and contact allocated). */
struct store_case *store_case_new(void);
/* Free; accepts NULL and clears the pointer. */
void store_case_free(struct store_case **c);

/*
 * Insert c (id ignored); the store allocates the next, never reused,
 * sequence and returns it in *id_r.  The common codes; CM_EREFUSED when a
 * field breaks the schema: a NULL or unknown kind, status, priority or
 * source (or a status outside the enum), a NULL type or subject,
 * solved_at set other than exactly when status is STORE_CASE_SOLVED.
 */
int store_case_insert(struct store *s, const struct store_case *c,
		      int64_t *id_r, struct cm_error *err);

/* Write back every scalar field of c (roles are separate).  CM_ENOTFOUND
 * if there is no case c->id; CM_EREFUSED as for store_case_insert(); the
 * common codes. */
int store_case_update(struct store *s, const struct store_case *c,
		      struct cm_error *err);

/* Whether case id is Solved (*solved_r), without loading it (ingest asks
 * for every reply).  CM_ENOTFOUND if there is no such case. */
int store_case_is_solved(struct store *s, int64_t id, int *solved_r,
			 struct cm_error *err);

/* Move updated_at of case id forward to now (never back).  CM_ENOTFOUND
 * if there is no such case; the common codes. */
int store_case_touch(struct store *s, int64_t id, int64_t now,
		     struct cm_error *err);

/* Load a case with its roles.  CM_ENOTFOUND if there is no such case. */
int store_case_get(struct store *s, int64_t id, struct store_case **c_r,
		   struct cm_error *err);

/* ---- roles ------------------------------------------------------------- */

/*
 * Give person a role on a case: "owner" (side "shipper" or "carrier"),
 * "watcher" or "participant" (subscribed).  Adding a role the person
 * already has sets *added_r to 0 and changes nothing.  A second owner on
 * one side is refused with CM_EREFUSED ("the case already has a SIDE
 * owner"); so, with that same message, is anything else the schema
 * refuses: no such case or person, a role other than those three, an
 * owner without a side or a side for another role.  Otherwise the common
 * codes.
 */
int store_role_add(struct store *s, int64_t case_id, int64_t person_id,
		   const char *role, const char *side, int *added_r,
		   struct cm_error *err);

/* Remove a role; *removed_r says whether there was one.  The common
 * codes. */
int store_role_remove(struct store *s, int64_t case_id, int64_t person_id,
		      const char *role, int *removed_r, struct cm_error *err);

/* ---- events (the audit trail) ------------------------------------------ */

struct store_event {
	int64_t id;
	int64_t case_id;
	int64_t at;
	char *actor;
	char *what;      /* created, status, owner, watcher, type, note, ... */
	char *old_value; /* NULL when not applicable */
	char *new_value;
	char *detail;
};

/* Free; accepts NULL and clears the pointer. */
void store_event_free(struct store_event **e);

/* Append an event at time at.  The common codes; CM_EREFUSED when there is
 * no case case_id or what is NULL. */
int store_event_add(struct store *s, int64_t case_id, int64_t at,
		    const char *actor, const char *what, const char *old_value,
		    const char *new_value, const char *detail,
		    struct cm_error *err);

/* All events of a case, oldest first: a GPtrArray of struct store_event *
 * that frees its elements. */
int store_events_get(struct store *s, int64_t case_id, GPtrArray **events_r,
		     struct cm_error *err);

/* ---- messages ---------------------------------------------------------- */

struct store_address {
	char *name;    /* NULL if none */
	char *address;
};

struct store_attachment {
	char *filename;
	char *content_type;
	int64_t size;
	char *sha256;      /* NULL when the data was skipped */
	char *content_id;
	int inline_part;
	char *skipped;     /* why the data was not stored, or NULL */
};

struct store_message {
	int64_t id;
	int64_t case_id;        /* 0 while held for review */
	char *message_id;       /* unique across the store */
	char *direction;        /* in | out | internal */
	enum store_msg_state state;
	char *reason;           /* why held or failed, or NULL */
	struct store_address from;
	GPtrArray *to;          /* struct store_address * */
	GPtrArray *cc;
	char *subject;
	int64_t date;           /* the Date header, 0 if none */
	int64_t received_at;
	char *in_reply_to;
	char *references;
	char *body;             /* visible text */
	char *body_full;        /* everything */
	char *raw_sha256;       /* the kept raw message, NULL for notes */
	GPtrArray *attachments; /* struct store_attachment * */
	char *decision;         /* one line: how it was threaded or why held */
	int64_t size;           /* raw size in bytes */
	char *mailbox;          /* where it was fetched from, or NULL */
	int64_t uidvalidity;
	int64_t uid;
	/* The sender verdict ingest used (trust.h): proven or not, and one
	 * line saying by what; NULL for mail that was never judged. */
	int sender_verified;
	char *sender_verdict;
	/* Only for the desk (an outside team's reply): shown to agents,
	 * never mailed to the case's customers or carriers. */
	int internal;
};

struct store_message *store_message_new(void);
void store_message_free(struct store_message **m);

/*
 * Insert a message with its addresses and attachments, and keep the case's
 * latest-message fields current.  A Message-ID already stored gives
 * CM_EREFUSED, "message ID is already stored" (the idempotency key); so,
 * with that same message, does any other rule the message row breaks:
 * mailbox, uidvalidity and uid already stored, no case case_id, no blob
 * raw_sha256, a direction or state not one of its words.  An address or
 * attachment row the schema refuses gives CM_EREFUSED with SQLite's
 * words, after the message row went in (see Errors above).  Otherwise the
 * common codes.
 */
int store_message_insert(struct store *s, const struct store_message *m,
			 int64_t *id_r, struct cm_error *err);

/* The messages of a case in order of arrival (GPtrArray frees them). */
int store_messages_get(struct store *s, int64_t case_id, GPtrArray **msgs_r,
		       struct cm_error *err);

/*
 * Load one message (any state) by Message-ID, or by row id when message_id
 * is NULL.  CM_ENOTFOUND if there is none.
 */
int store_message_get(struct store *s, const char *message_id, int64_t id,
		      struct store_message **m_r, struct cm_error *err);

/* Messages waiting for an agent (held or failed), oldest first. */
int store_messages_review(struct store *s, GPtrArray **msgs_r,
			  struct cm_error *err);

/*
 * Change a message's state, reason, case (0: none) and decision line (NULL
 * keeps the old one).  The common codes; CM_EREFUSED for a state not one
 * of its words or no case case_id.  An unknown id changes nothing and
 * returns 0.
 */
int store_message_set_state(struct store *s, int64_t id,
			    enum store_msg_state state, const char *reason,
			    int64_t case_id, const char *decision,
			    struct cm_error *err);

/* Delete a message that is not stored on a case (for a re-run), with its
 * addresses and attachments.  A stored or unknown message is left alone
 * and gives 0.  The common codes. */
int store_message_delete(struct store *s, int64_t id, struct cm_error *err);

/* The case of the first stored/outgoing message among ids (0: none). */
int store_case_of_message_ids(struct store *s, GPtrArray *message_ids,
			      int64_t *case_id_r, struct cm_error *err);

/*
 * How many messages address sent since t (for the flood limit), counting
 * no further than limit: a sender who floods the gateway must not make
 * each of its mails dearer to check than the last.
 */
int store_sender_count_since(struct store *s, const char *address,
			     int64_t since, int64_t limit, int64_t *n_r,
			     struct cm_error *err);

/* *found_r: a failed message with these raw bytes (hex SHA-256) is stored
 * already (a message set aside unread has no Message-ID of its own to be
 * found by).  The common codes. */
int store_message_failed_raw(struct store *s, const char *raw_sha256,
			     int *found_r, struct cm_error *err);

/* *known_r: address (exactly, without regard to case) holds a role on the
 * case (owner, watcher or participant).  The common codes. */
int store_case_knows_address(struct store *s, int64_t case_id,
			     const char *address, int *known_r,
			     struct cm_error *err);

/* *known_r: a person on the case has an address in domain (lower case,
 * no '@') or in a subdomain of it.  The common codes. */
int store_case_knows_domain(struct store *s, int64_t case_id,
			    const char *domain, int *known_r,
			    struct cm_error *err);

/* Mark an address as bouncing since now (no more notifications to it
 * until the mark clears or expires).  An unknown address changes nothing
 * and gives 0.  The common codes. */
int store_person_set_bouncing(struct store *s, const char *address,
			      int64_t now, struct cm_error *err);

/* Clear address's bouncing mark; *changed_r (may be NULL): there was one.
 * An unknown address changes nothing and gives 0.  The common codes. */
int store_person_clear_bouncing(struct store *s, const char *address,
				int *changed_r, struct cm_error *err);

/* ---- blobs and mailboxes (ingest) ------------------------------------- */

/* Record a content-addressed file; an existing blob is fine.  The common
 * codes. */
int store_blob_add(struct store *s, const char *sha256, int64_t size,
		   struct cm_error *err);

/*
 * Keep len bytes in the database under their SHA-256 (the raw copy of a
 * message: written in the ingest transaction, so the commit that stores
 * the message makes its raw copy durable too).  An existing blob is fine
 * (its data is filled in if it had none).  The common codes.
 */
int store_blob_put_data(struct store *s, const char *sha256,
			const void *data, size_t len, struct cm_error *err);

/* Read a blob kept in the database (caller g_free()s *data_r);
 * CM_ENOTFOUND when there is none. */
int store_blob_get_data(struct store *s, const char *sha256, char **data_r,
			size_t *len_r, struct cm_error *err);

/* UIDVALIDITY and last processed UID of a mailbox (0, 0 if unknown). */
int store_mailbox_get(struct store *s, const char *mailbox,
		      int64_t *uidvalidity_r, int64_t *last_uid_r,
		      struct cm_error *err);
/* Record them (insert or replace).  The common codes. */
int store_mailbox_set(struct store *s, const char *mailbox,
		      int64_t uidvalidity, int64_t last_uid,
		      struct cm_error *err);

/* ---- fetch attempts (the poison-message guard, fetch.c) -------------- */

/*
 * Fill attempts (a GHashTable of GUINT_TO_POINTER(uid) ->
 * GINT_TO_POINTER(count), the caller's) with the messages of mailbox under
 * uidvalidity that were taken into the pipeline without a committed
 * outcome, and how often.  The common codes.
 */
int store_attempts_load(struct store *s, const char *mailbox,
			int64_t uidvalidity, GHashTable *attempts,
			struct cm_error *err);

/*
 * Add delta (+1 before a parse; -1 to take back an attempt that ended
 * without a crash) to the count of each of uids[0 .. n-1], stamped now; a
 * count that falls to 0 is deleted.  Needs a transaction that the caller
 * commits before it parses.  The common codes.
 */
int store_attempts_add(struct store *s, const char *mailbox,
		       int64_t uidvalidity, const uint32_t *uids, size_t n,
		       int delta, int64_t now, struct cm_error *err);

/* Forget uid's count: call it in the transaction that commits the
 * message's outcome.  No row is fine.  The common codes. */
int store_attempts_clear(struct store *s, const char *mailbox,
			 int64_t uidvalidity, int64_t uid,
			 struct cm_error *err);

/* ---- savepoints: one message's changes inside a batch transaction ----- */

/* Open the savepoint; only inside store_begin(), and not nested.  The
 * common codes. */
int store_savepoint(struct store *s, struct cm_error *err);
/* Keep its changes in the transaction.  CM_ESTORE when none is open;
 * the common codes. */
int store_savepoint_release(struct store *s, struct cm_error *err);
/* Undo everything since store_savepoint() and end the savepoint. */
void store_savepoint_rollback(struct store *s);

/* ---- listing and search ------------------------------------------------ */

enum store_view {
	STORE_VIEW_ALL,
	STORE_VIEW_ACTIVE,
	STORE_VIEW_RECENT,   /* latest message from outside our domains */
	STORE_VIEW_MINE,     /* owned by filter.as */
	STORE_VIEW_WATCHED,  /* watched by filter.as */
	STORE_VIEW_NEW,      /* active, no owner on filter.as's side */
	STORE_VIEW_OVERDUE,  /* active, follow-up before filter.now */
};

/* A filter; NULL pointers and STORE_TIME_UNSET times do not filter. */
#define STORE_TIME_UNSET INT64_MIN

struct store_filter {
	enum store_view view;
	const char *as;          /* acting person for mine/watched/new */
	const char *as_side;     /* their side for "new", or NULL */
	int64_t now;
	const enum store_case_status *status;
	const char *type, *kind, *owner, *watcher, *source;
	const char *priority, *shipment, *crm;
	int64_t created_since, created_until;
	int64_t solved_since, solved_until;
	int64_t latest_since;
	const char *text;        /* full-text search words, or NULL */
	int64_t text_case_id;    /* a case number found in text, or 0 */
	int limit;               /* 0: no limit */
	/* Filters with several values, or negated (store_match below). */
	const struct store_match *matches;
	size_t n_matches;
	const char *latest_by;   /* the latest message is by this address */
};

/* What a store_match compares. */
enum store_match_key {
	STORE_MATCH_STATUS, STORE_MATCH_TYPE, STORE_MATCH_KIND,
	STORE_MATCH_SOURCE, STORE_MATCH_PRIORITY, STORE_MATCH_SHIPMENT,
	STORE_MATCH_CRM, STORE_MATCH_OWNER, STORE_MATCH_WATCHER,
	STORE_MATCH_FIELD,       /* the custom field `field` */
};

/*
 * One filter of several values: a case matches when any value matches
 * (negate: when none does; a case without the field, e.g. no owner or no
 * shipment, matches a negated filter).  Values are the stored spellings
 * (statuses as their words); owners and watchers are addresses, fields
 * compare without regard to case.  All borrowed.
 */
struct store_match {
	enum store_match_key key;
	int negate;
	const char *field;       /* STORE_MATCH_FIELD: the field's name */
	const char *const *values;
	size_t n_values;
};

/* A filter that matches everything (all times unset, view ALL). */
void store_filter_init(struct store_filter *f, int64_t now);

/*
 * Case ids matching f, newest activity first, as a GArray of int64_t the
 * caller frees with g_array_unref().
 */
int store_case_list(struct store *s, const struct store_filter *f,
		    GArray **ids_r, struct cm_error *err);

/* ---- outbound (store_outbox.c) ---------------------------------------- */

/* One queued mail; for store_outbox_add() and what the sender loads. */
struct store_outbox {
	int64_t id;
	int64_t case_id;        /* 0: not about a case */
	char *kind;             /* notify | template | reply | ack | confirm */
	char *message_id;
	char *env_from;         /* "" for the null return path */
	GBytes *raw;            /* the whole RFC 5322 message */
	int attempts;
	int64_t created_at;
	int64_t next_attempt_at;
	char *last_error;
	enum store_outbox_state state;
	GPtrArray *rcpts;       /* struct store_outbox_rcpt * */
};

struct store_outbox_rcpt {
	char *address;
	enum store_rcpt_state state;
	int code;
	char *error;
};

void store_outbox_free(struct store_outbox **m);

/*
 * Queue m (id, state and attempts ignored) for rcpts, due at
 * m->next_attempt_at; remembers its Message-ID as sent on the case (for
 * threading replies) under recipient (may be NULL).  A recipient listed
 * twice is queued once.  The common codes; CM_EREFUSED when there is no
 * case m->case_id, or kind or message_id is NULL (the mail row may be
 * written by then: see Errors above).
 */
int store_outbox_add(struct store *s, const struct store_outbox *m,
		     const char *const *rcpts, size_t n_rcpts,
		     const char *recipient, int64_t *id_r,
		     struct cm_error *err);

/* Ids of queued mails due at now, oldest first, at most limit. */
int store_outbox_due(struct store *s, int64_t now, int limit, GArray **ids_r,
		     struct cm_error *err);

/* Load one mail with all its recipients. */
int store_outbox_get(struct store *s, int64_t id, struct store_outbox **m_r,
		     struct cm_error *err);

/* Record what happened to one recipient (code 0: none).  The common
 * codes; CM_EREFUSED for a state outside the enum.  An
 * unknown mail or recipient changes nothing and gives 0. */
int store_outbox_rcpt_set(struct store *s, int64_t id, const char *address,
			  enum store_rcpt_state state, int code, const char *error,
			  int64_t now, struct cm_error *err);

/* After an attempt: done when no recipient is pending, else retry at next;
 * the lease ends when owner holds it.  An unknown id changes nothing and
 * gives 0.  The common codes. */
int store_outbox_after_attempt(struct store *s, int64_t id, int attempts,
			       int64_t next, const char *last_error,
			       const char *owner, struct cm_error *err);

/*
 * Leases (outbox.lease_owner, lease_until): a sender claims a mail before
 * it sends it, and a mail leased to a sender until a time after now is
 * nobody else's.  A lease that is still there after its time, or whose
 * owner is gone, marks a mail that may have been sent without its result
 * being recorded.
 *
 * store_outbox_claim(): in one statement, lease to owner until `until`
 * at most limit queued mails due at now whose lease is none or over,
 * counting the attempt (attempts + 1) as it does; their ids, oldest
 * first, in *ids_r (caller g_array_unref()s).  The common codes.
 */
int store_outbox_claim(struct store *s, const char *owner, int64_t now,
		       int64_t until, int limit, GArray **ids_r,
		       struct cm_error *err);

/* Extend every lease owner holds on a queued mail to until. */
int store_outbox_lease_renew(struct store *s, const char *owner,
			     int64_t until, struct cm_error *err);

/* The leases on queued mails held by owners other than owner: one per
 * owner, with its mails and the latest lease end. */
struct store_outbox_lease {
	char *owner;
	int64_t mails;
	int64_t until;
};
/* *leases_r: struct store_outbox_lease *, caller g_ptr_array_unref()s. */
int store_outbox_leases(struct store *s, const char *owner,
			GPtrArray **leases_r, struct cm_error *err);

/* End every lease owner holds on a queued mail (a sender that is gone). */
int store_outbox_lease_release(struct store *s, const char *owner,
			       struct cm_error *err);

/* Mails not done, or with failed recipients, newest first (casectl). */
int store_outbox_list(struct store *s, int limit, GPtrArray **mails_r,
		      struct cm_error *err);

/* Queue a mail again now: failed recipients become pending.  CM_ENOTFOUND
 * when there is no mail id or none of its recipients is left to send to;
 * the common codes. */
int store_outbox_retry(struct store *s, int64_t id, int64_t now,
		       struct cm_error *err);

/* Mail of a case that waits: queued, due after now, one per kind and
 * reason (last_error: why it was deferred, or the last failure). */
struct store_outbox_wait {
	char *kind;
	char *reason;           /* or NULL */
	int64_t mails;
	int64_t until;          /* the latest due time */
};

/* The waiting mail of case_id at now: a GPtrArray of struct
 * store_outbox_wait * that frees its elements.  The common codes. */
int store_outbox_waiting(struct store *s, int64_t case_id, int64_t now,
			 GPtrArray **waits_r, struct cm_error *err);

/* Queue depth: mails queued, and recipients that finally failed. */
int store_outbox_counts(struct store *s, int64_t *queued_r,
			int64_t *failed_r, struct cm_error *err);

/* A small setting kept with the data (caller g_free()s; NULL if unset). */
int store_setting_get(struct store *s, const char *key, char **value_r,
		      struct cm_error *err);
/* Set one (insert or replace).  The common codes; CM_EREFUSED for a NULL
 * value. */
int store_setting_set(struct store *s, const char *key, const char *value,
		      struct cm_error *err);

/*
 * Token bucket key: capacity tokens, refilled at per_hour per hour.
 * Takes one and sets *ok_r when one is there; else *ok_r is 0.  Writes
 * the bucket back either way.  The common codes.
 */
int store_rate_take(struct store *s, const char *key, double capacity,
		    double per_hour, int64_t now, int *ok_r,
		    struct cm_error *err);

/*
 * The same bucket, but the token is always taken, ahead of time when none
 * is there (the bucket goes below zero): *wait_r is how many seconds
 * from now the token taken will have come, 0 when it was there.  Mail
 * sent when it is due so keeps to the rate.  The common codes.
 */
int store_rate_reserve(struct store *s, const char *key, double capacity,
		       double per_hour, int64_t now, int64_t *wait_r,
		       struct cm_error *err);

/* Acknowledgements: *due_r when address had none within interval; then
 * store_ack_mark() records one (the common codes). */
int store_ack_due(struct store *s, const char *address, int64_t now,
		  int64_t interval, int *due_r, struct cm_error *err);
int store_ack_mark(struct store *s, const char *address, int64_t now,
		   struct cm_error *err);

/* The case that sent one of message_ids (newest reference first), or 0:
 * replies to our own mail prove who they answer. */
int store_case_of_sent_ids(struct store *s, GPtrArray *message_ids,
			   int64_t *case_id_r, struct cm_error *err);

/* Whether address is marked bouncing since after, not before (0 for
 * unknown people): an older mark has expired. */
int store_person_bouncing(struct store *s, const char *address,
			  int64_t after, int *bouncing_r,
			  struct cm_error *err);

/* Whether address is a recipient of outbox row id (*found_r), and the
 * row's case (*case_id_r, 0: none or no such row). */
int store_outbox_rcpt_find(struct store *s, int64_t id, const char *address,
			   int *found_r, int64_t *case_id_r,
			   struct cm_error *err);

/* One line of an owner's follow-up digest. */
struct store_digest_row {
	char *owner;            /* address */
	char *owner_name;       /* or NULL */
	int64_t case_id;
	char *subject;
	int64_t follow_up;      /* 0: none */
	int64_t last_activity;
	int unowned;            /* store_lead_rows(): nobody owns the case */
};

/*
 * Active cases with an owner whose follow-up time is before now or whose
 * last activity is before stale_before, ordered by owner then case: a new
 * GPtrArray of struct store_digest_row * (frees them).
 */
int store_digest_rows(struct store *s, int64_t now, int64_t stale_before,
		      GPtrArray **rows_r, struct cm_error *err);

/* Subscribe or unsubscribe a participant of a case (*changed_r; 0 also
 * when address is no participant).  The common codes. */
int store_participant_subscribe(struct store *s, int64_t case_id,
				const char *address, int subscribed,
				int *changed_r, struct cm_error *err);

/* ---- the desk's workflows (store_desk.c) -------------------------------- */

/* Write case_id's contact (every field, NULL clears).  The common codes;
 * CM_EREFUSED when there is no such case. */
int store_contact_set(struct store *s, int64_t case_id,
		      const struct store_contact *ct, struct cm_error *err);

/* Load c's contact and outside team into c (store_case_get() does). */
int store_desk_load(struct store *s, struct store_case *c,
		    struct cm_error *err);

/* Put address on case_id's outside team; *added_r is 0 when it was
 * already.  The common codes; CM_EREFUSED when there is no such case. */
int store_outside_add(struct store *s, int64_t case_id, const char *address,
		      int64_t now, int *added_r, struct cm_error *err);

/* Whether address is on case_id's outside team (*yes_r). */
int store_outside_has(struct store *s, int64_t case_id, const char *address,
		      int *yes_r, struct cm_error *err);

/* The case of the newest of message_ids that names a stored internal
 * message (an escalation, the outside team's reply), else 0.  The
 * common codes. */
int store_case_of_internal_ids(struct store *s, GPtrArray *message_ids,
			       int64_t *case_id_r, struct cm_error *err);

/*
 * For the desk lead: Active cases nobody owns (unowned set) or whose
 * follow-up time is before now, by case number: a new GPtrArray of
 * struct store_digest_row * (owner NULL; frees them).
 */
int store_lead_rows(struct store *s, int64_t now, GPtrArray **rows_r,
		    struct cm_error *err);

/* ---- merged and linked cases (store_merge.c) --------------------------- */

/* How far a chain of merged cases is followed: a longer one is damage. */
#define STORE_MERGE_MAX_HOPS 64

/* The case id was merged into (*into_r, 0: none).  CM_ENOTFOUND if
 * there is no case id; the common codes. */
int store_case_merged_into(struct store *s, int64_t id, int64_t *into_r,
			   struct cm_error *err);

/*
 * The case at the end of id's merge chain in *final_r (id itself when it
 * was not merged).  CM_ESTORE for a chain longer than
 * STORE_MERGE_MAX_HOPS or one that loops; the common codes.
 */
int store_case_resolve(struct store *s, int64_t id, int64_t *final_r,
		       struct cm_error *err);

/* What store_case_merge() moved. */
struct store_merge_counts {
	int64_t messages, events, people, fields, links;
	int64_t outside_dropped;  /* participant roles of into's outside
				   * team dropped */
};

/*
 * Move everything of case from onto case into: messages (with their
 * attachments and addresses), outgoing mail and the Message-IDs sent,
 * events, owners (as owner where into has none on that side, else as
 * watcher), watchers and participants, links, and the custom fields into
 * has no value for (from keeps its own).  Then from records merged_into.
 * Needs a transaction; the caller checks the rules (case_merge()) and
 * changes the status.  The common codes.
 */
int store_case_merge(struct store *s, int64_t from, int64_t into,
		     struct store_merge_counts *n_r, struct cm_error *err);

/* Link cases a and b (any order, not equal); *added_r: it was new.
 * CM_EREFUSED when either case does not exist; the common codes. */
int store_case_link(struct store *s, int64_t a, int64_t b, const char *actor,
		    int64_t now, int *added_r, struct cm_error *err);
/* Remove the link; *removed_r: there was one.  The common codes. */
int store_case_unlink(struct store *s, int64_t a, int64_t b, int *removed_r,
		      struct cm_error *err);
/* The cases linked to id, lowest first: a GArray of int64_t (caller
 * unrefs).  The common codes. */
int store_case_links(struct store *s, int64_t id, GArray **ids_r,
		     struct cm_error *err);
/* The cases merged into id (directly), lowest first. */
int store_case_merged_from(struct store *s, int64_t id, GArray **ids_r,
			   struct cm_error *err);

/*
 * Active, unmerged cases other than except whose shipment reference is
 * ref (without regard to case), lowest first, at most limit: a GArray of
 * int64_t.  The common codes.
 */
int store_cases_by_shipment(struct store *s, const char *ref, int64_t except,
			    int limit, GArray **ids_r, struct cm_error *err);

/* An Active case's shipment reference found in a mail. */
struct store_ref_hit {
	int64_t case_id;
	char *shipment;
};

/*
 * Active, unmerged cases other than except whose shipment reference, of
 * at least min_len bytes, occurs in subject or body (given in ASCII lower
 * case; the reference is compared in lower case too; the caller checks
 * word boundaries), lowest first, at most
 * limit: a GPtrArray of struct store_ref_hit * that frees them.
 */
int store_cases_quoted(struct store *s, const char *subject,
		       const char *body, int64_t except, int min_len,
		       int limit, GPtrArray **hits_r, struct cm_error *err);

/* ---- custom fields and saved views (store_fields.c) -------------------- */

/* One custom field value of a case. */
struct store_field {
	char *name;
	char *value;
};

/*
 * Set case id's field name to value (NULL: remove it).  *old_r (may be
 * NULL) receives the value before (caller g_free()s; NULL: none).
 * CM_EREFUSED when there is no case id; the common codes.
 */
int store_case_field_set(struct store *s, int64_t id, const char *name,
			 const char *value, char **old_r,
			 struct cm_error *err);

/* The fields of case id, by name: a GPtrArray of struct store_field *
 * that frees them.  The common codes. */
int store_case_fields_get(struct store *s, int64_t id, GPtrArray **fields_r,
			  struct cm_error *err);

/* A saved view: its name and its filter arguments, one per line. */
struct store_saved_view {
	char *name;
	char *args;
	char *actor;
	int64_t created_at;
};

/* Save (or replace) a view.  The common codes. */
int store_view_save(struct store *s, const char *name, const char *args,
		    const char *actor, int64_t now, struct cm_error *err);
/* Load one; CM_ENOTFOUND if there is none.  Caller frees *v_r with
 * store_saved_view_free(). */
int store_view_get(struct store *s, const char *name,
		   struct store_saved_view **v_r, struct cm_error *err);
/* Every saved view, by name: a GPtrArray that frees them. */
int store_view_list(struct store *s, GPtrArray **views_r,
		    struct cm_error *err);
/* Delete one; *removed_r: there was one.  The common codes. */
int store_view_delete(struct store *s, const char *name, int *removed_r,
		      struct cm_error *err);
/* Free; accepts NULL and clears the pointer. */
void store_saved_view_free(struct store_saved_view **v);

#endif
