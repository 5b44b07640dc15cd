/*
 * config.h - casemail.conf, an INI file read with GLib's GKeyFile.
 *
 * Every key is declared in one table in config.c with its type, default and
 * bounds; unknown groups or keys, bad values and missing files are errors that
 * name the file, the group and the key.  Relative paths resolve against the
 * directory of the configuration file.
 *
 * Threads: a loaded struct config is never changed, so any number of threads
 * may read one at once.  Whoever loaded it frees it, after every thread that
 * borrowed it has stopped (casemaild's reload stops its threads, loads a new
 * config and starts them again with it).  config_load() and the other
 * functions here share no state and may run on any thread.
 */
#ifndef CASEMAIL_CONFIG_H
#define CASEMAIL_CONFIG_H

#include <glib.h>

#include "casemail/error.h"

#define CONFIG_DEFAULT_PATH CASEMAIL_SYSCONFDIR "/casemail/casemail.conf"
/* Every key with its default, as cmake --install puts it. */
#define CONFIG_EXAMPLE_PATH CASEMAIL_DATADIR "/casemail/casemail.conf.example"

/* [trust] authserv_ids: an id longer than a DNS name is nobody's. */
#define CONFIG_AUTHSERV_ID_MAX 255

/*
 * Keys with a fixed set of words are loaded as enums, so no logic compares
 * configuration strings.  Each enum lists its words in the order of the key's
 * choices in config.c's key table.
 */
enum config_reply_solved {     /* [case] reply_to_solved */
	CONFIG_REPLY_SOLVED_REOPEN,
	CONFIG_REPLY_SOLVED_NEW,
	CONFIG_REPLY_SOLVED_NOTE,
};

enum config_accept_from {      /* [case] accept_from */
	CONFIG_ACCEPT_PARTICIPANTS,
	CONFIG_ACCEPT_ANYONE,
};

enum config_sides {            /* [case] sides */
	CONFIG_SIDES_TWO,          /* a shipper owner and a carrier owner */
	CONFIG_SIDES_NONE,         /* one owner per case */
};

enum config_imap_tls {         /* [imap] tls */
	CONFIG_IMAP_TLS_IMAPS,
	CONFIG_IMAP_TLS_STARTTLS,
	CONFIG_IMAP_TLS_NONE,
};

enum config_smtp_tls {         /* [smtp] tls */
	CONFIG_SMTP_TLS_URL,
	CONFIG_SMTP_TLS_STARTTLS,
};

/* A custom field's type ([field.NAME] type). */
enum config_field_type {
	CONFIG_FIELD_TEXT,
	CONFIG_FIELD_CHOICE,      /* one of choices */
	CONFIG_FIELD_DATE,        /* YYYY-MM-DD */
	CONFIG_FIELD_NUMBER,      /* a decimal number */
};

/* A custom field the desk declares: a [field.NAME] group. */
struct config_field {
	char *name;               /* lower case: letters, digits, '_', '-' */
	enum config_field_type type;
	char *label;              /* for people; the name when not given */
	char **choices;           /* CONFIG_FIELD_CHOICE: NULL-terminated */
};

/* Limits of custom fields (config_fields.c): a desk's handful of fields,
 * kept small enough to show on one screen and to index cheaply. */
#define CONFIG_FIELDS_MAX 32
#define CONFIG_FIELD_NAME_MAX 32
#define CONFIG_FIELD_LABEL_MAX 100
#define CONFIG_FIELD_CHOICES_MAX 64
#define CONFIG_FIELD_CHOICE_MAX 64

enum config_auth {             /* [imap] auth, [smtp] auth */
	CONFIG_AUTH_PASSWORD,
	CONFIG_AUTH_OAUTH2,
};

/* [oauth2] provider and grant, resolved by config_oauth2.c from the
 * words (and the per-provider defaults) after loading. */
enum config_oauth2_provider {
	CONFIG_OAUTH2_NONE,            /* no [oauth2] provider set */
	CONFIG_OAUTH2_MICROSOFT,
	CONFIG_OAUTH2_GOOGLE,
	CONFIG_OAUTH2_GENERIC,
};

enum config_oauth2_grant {
	CONFIG_GRANT_CLIENT_CREDENTIALS,
	CONFIG_GRANT_DEVICE,
	CONFIG_GRANT_AUTHORIZATION_CODE,
};

struct config {
	char *path;               /* the file that was read (absolute) */
	/* [field.NAME] groups, in file order: struct config_field *. */
	GPtrArray *fields;

	/* [case] */
	char *case_prefix;        /* "CV" */
	int case_digits;          /* zero-padded width of the sequence */
	char *case_address;       /* the case mailbox, may be NULL */
	char **org_domains;       /* NULL-terminated, lower case */
	char **case_types;        /* NULL-terminated, the fixed type list */

	enum config_reply_solved case_reply_to_solved;
	enum config_accept_from case_accept_from;
	int case_max_messages_per_hour;
	int case_max_new_participants;  /* new addresses one mail's To/Cc add */

	/* [store] */
	char *store_database;     /* absolute path */
	char *store_attachments;  /* absolute path */
	int store_busy_timeout_ms;
	int store_max_attachment_bytes;
	int store_max_message_bytes;
	int store_max_parts;          /* MIME parts of one message */
	int store_max_depth;          /* MIME nesting levels */
	int store_max_header_bytes;   /* one header block */

	/* [imap] (host NULL: no IMAP configured) */
	char *imap_host;
	int imap_port;            /* 0: 993 for imaps, else 143 */
	enum config_imap_tls imap_tls;
	int imap_tls_verify;
	int imap_allow_cleartext; /* tls = none to a host not loopback */
	char *imap_ca_file;       /* NULL: system trust */
	char *imap_user;
	char *imap_password_file;
	char *imap_mailbox;
	char *imap_processed_mailbox;
	char *imap_review_mailbox;
	int imap_idle;
	int imap_poll_interval_secs;
	int imap_timeout_secs;
	int imap_batch;           /* messages per commit (and most per FETCH) */
	enum config_auth imap_auth;

	/* outbound: [case] */
	char *case_desk_name;         /* "Case Desk" */
	char *case_timezone;          /* "Europe/Berlin"; NULL: the system's */
	char *case_escalation_address;  /* the escalation template's To */
	char *case_secret_file;       /* HMAC key for Message-IDs, or NULL */
	char *case_templates;         /* as configured, or NULL */
	char *templates_dir;          /* resolved: see config_load() */
	int case_ack_interval_secs;
	int case_ack_per_address_hour; /* acknowledgement token buckets */
	int case_ack_per_domain_hour;
	int case_ack_per_hour;
	int case_digest_hour;         /* local hour the daily digest goes */
	int case_stale_days;          /* Active without activity this long */
	int case_creator_owns;        /* the creating agent becomes owner */
	enum config_sides case_sides;
	char *case_desk_lead;         /* gets the unowned/overdue list, or NULL */

	/* [smtp] (url NULL: mail is queued but not sent) */
	char *smtp_url;
	enum config_smtp_tls smtp_tls;
	int smtp_tls_verify;
	int smtp_allow_cleartext; /* smtp:// + tls = url to a host not loopback */
	char *smtp_ca_file;
	char *smtp_user;
	char *smtp_password_file;
	char *smtp_from;              /* envelope sender; default the case address */
	int smtp_timeout_secs;
	int smtp_max_age_secs;
	int smtp_retry_min_secs;
	int smtp_sessions;            /* SMTP sessions used at once */
	int smtp_lease_secs;          /* a claimed outbox row's lease */
	int smtp_max_attach_bytes;
	int smtp_max_attach_notifications; /* with files, per message */
	int smtp_limit_per_case_hour;
	int smtp_limit_global_hour;
	int smtp_bounce_clear_days;   /* a bouncing mark expires after this */
	enum config_auth smtp_auth;

	/* [oauth2] (see oauth2.h); after loading, every URL, the scopes and
	 * the state file hold the provider's defaults where not set */
	char *oauth2_provider_word;   /* as written; see oauth2_provider */
	char *oauth2_grant_word;
	char *oauth2_tenant;
	char *oauth2_client_id;
	char *oauth2_client_secret_file;
	char *oauth2_scopes;          /* space-separated after loading */
	char *oauth2_token_url;
	char *oauth2_device_url;
	char *oauth2_authorize_url;
	char *oauth2_refresh_token_file;
	char *oauth2_state_file;
	char *oauth2_user;            /* NULL: [imap] user / [smtp] user */
	char *oauth2_tls_ca_file;
	char *oauth2_admin;           /* told when the login is lost */
	enum config_oauth2_provider oauth2_provider; /* not in the key table */
	enum config_oauth2_grant oauth2_grant;       /* not in the key table */

	/* [trust] (see trust.h) */
	char **trust_authserv_ids;    /* NULL-terminated, lower case */
	int trust_topmost;            /* the topmost A-R counts, any id */
	char *trust_dkim_key_file;    /* DKIM keys from here, not DNS */
	int trust_dkim_verify;        /* our own DKIM check */
	int trust_dkim_timeout_secs;  /* per DNS key lookup */
	char **trust_partner_domains;  /* NULL-terminated, lower case */

	/* [web] (casemail-web) */
	char *web_listen;             /* "127.0.0.1:8080" */
	int web_allow_remote;         /* listen may be a non-loopback address */
	char *web_trusted_proxy;      /* the SSO proxy's IP, or NULL */
	char *web_trusted_header;     /* names the agent, from that proxy only */
	int web_session_ttl_secs;
	int web_secure_cookies;       /* cookies carry Secure */
	int web_max_body_bytes;       /* a request body's limit */
	int web_login_failures;       /* failed sign-ins per account */
	int web_login_client_failures; /* ... per client address; 0: off */
	int web_login_window_secs;    /* the window both count in */
	/* service levels: [sla] (see slaconf.h); [case] timezone and
	 * desk_lead above apply too */
	char **sla_first_response;    /* "[TYPE/]PRIORITY DURATION" items */
	char **sla_resolution;
	char **sla_hours;             /* "DAYS HH:MM-HH:MM ..." items */
	char **sla_holidays;          /* YYYY-MM-DD */
	int sla_warn_before_secs;     /* business time before a breach */
	int sla_warn_per_hour;        /* token bucket for warning mails */
	int sla_check_interval_secs;  /* how often casemaild looks */
};

#define CONFIG_TEMPLATES_ETC CASEMAIL_SYSCONFDIR "/casemail/templates"
#define CONFIG_TEMPLATES_SHARE CASEMAIL_DATADIR "/casemail/templates"

/*
 * Choose the configuration file: explicit (from -c) if non-NULL, else
 * $CASEMAIL_CONFIG if set and non-empty, else CONFIG_DEFAULT_PATH.
 * Returns a borrowed string (explicit, the environment or a constant).
 */
const char *config_choose_path(const char *explicit_path);

/*
 * Read and check path.  On success *cfg_r is a new config the caller frees
 * with config_free().  On failure returns CM_ECONFIG with err naming the
 * file, group and key.
 */
int config_load(const char *path, struct config **cfg_r, struct cm_error *err);

/* Free a config; accepts NULL and clears the pointer. */
void config_free(struct config **cfg);

/*
 * Log a warning for each connection the configuration lets go in clear to
 * a host other than this machine ([imap] tls = none, an [smtp] smtp:// URL
 * without tls = starttls); config_load() refuses those unless
 * allow_cleartext = yes, and every start calls this so it is never quiet.
 */
void config_warn_cleartext(const struct config *cfg);

/* The declared custom field name (exact, lower case), or NULL. */
const struct config_field *config_field_find(const struct config *cfg,
					     const char *name);
/* The word for a field type ("text", "choice", "date", "number"). */
const char *config_field_type_name(enum config_field_type type);

/* Nonzero when [imap] or [smtp] logs in with OAuth2. */
int config_uses_oauth2(const struct config *cfg);
/* The resolved [oauth2] grant's word, followed by why when the file
 * leaves it to the provider's default, e.g. "device (default for
 * microsoft without a client_secret_file)".  Only after a successful
 * load with config_uses_oauth2(). */
const char *config_oauth2_grant_text(const struct config *cfg);

/* The user an XOAUTH2 string names for IMAP (imap 1) or SMTP (imap 0):
 * [oauth2] user, else that side's user; borrowed, may be NULL. */
const char *config_oauth2_user(const struct config *cfg, int imap);

/* Nonzero for a host that can only be this machine: 127.0.0.0/8, ::1 or
 * localhost; brackets allowed. */
int config_host_is_loopback(const char *host);

/* The host of a URL (g_free()), or NULL if it has none. */
char *config_url_host(const char *url);

/* Nonzero if type is in the configured list (exact match). */
int config_has_type(const struct config *cfg, const char *type);

/*
 * Nonzero if the domain part of address is one of our organisation's domains
 * or a subdomain of one (case-insensitive).
 */
int config_is_org_address(const struct config *cfg, const char *address);

/* Largest password or key file read (a line of a few hundred bytes is
 * plenty; more is a wrong path, not a secret). */
#define CONFIG_SECRET_MAX_BYTES 65536

/*
 * Read a one-line secret (password, key) from path into *secret_r (caller
 * g_free()s): the content up to the first CR or LF.  The file is opened
 * once (O_NOFOLLOW) and checked on that descriptor: refused unless it is
 * a regular file, of at most CONFIG_SECRET_MAX_BYTES, that group and
 * others cannot access, owned by this user or root (or in systemd's
 * $CREDENTIALS_DIRECTORY).  CM_ECONFIG naming the file otherwise.
 */
int config_read_secret(const char *path, char **secret_r,
		       struct cm_error *err);

#endif
