/* imap.c - one IMAP session over libetpan; see casemail/imap.h. */
#include "casemail/imap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "casemail/log.h"

/* Used when the configuration says 0: long enough for a slow server. */
#define IMAP_DEFAULT_TIMEOUT_SECS 60
/* RFC 2177: re-issue IDLE before the server's 30 minute logout timer. */
#define IMAP_IDLE_MAX_SECS (29 * 60)
/* imap_idle() looks at *stop at least this often (the header's promise). */
#define IMAP_IDLE_SLICE_SECS 1
/* Peer chains longer than this are refused rather than half-checked. */
#define IMAP_MAX_CHAIN 16
/* Server text quoted in an error message; the record holds 512 bytes. */
#define IMAP_SERVER_TEXT_MAX 200

struct imap {
	mailimap *session;
	char *host;          /* for messages, and SNI */
	char *where;         /* "host:port" for messages */
	int broken;          /* stream unusable: close without LOGOUT */
	int has_idle;
	int has_move;
	int has_uidplus;
};

/* One message out of a FETCH response, pointing into libetpan's list. */
struct imap_fetched {
	uint32_t uid;
	const char *data;
	size_t len;
};

/*
 * libetpan writes with send(..., 0): a server that hangs up would kill the
 * process with SIGPIPE.  Ignore it, unless the program installed its own
 * handler (then that handler has the say).
 */
static void
imap_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGPIPE, &sa, NULL);
	}
}

static const char *
imap_strerror(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE:
		return "unparsable server response";
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "refused, unreachable, timed out or unknown host";
	case MAILIMAP_ERROR_MEMORY:
		return "out of memory";
	case MAILIMAP_ERROR_FATAL:
		return "server closed the session (BYE)";
	case MAILIMAP_ERROR_PROTOCOL:
		return "server rejected the command (BAD)";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return "server does not accept connections";
	case MAILIMAP_ERROR_BAD_STATE:
		return "command not allowed in this session state";
	case MAILIMAP_ERROR_SSL:
		return "TLS handshake failed";
	case MAILIMAP_ERROR_STARTTLS:
		return "STARTTLS refused";
	case MAILIMAP_ERROR_INVAL:
		return "invalid argument";
	default:
		/* The per-command codes: the tagged answer was NO. */
		return "refused (NO)";
	}
}

/*
 * After these the stream is gone or out of step with the server, and so is
 * anything libetpan kept of the last answer.
 */
static int
imap_is_stream_error(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	       r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	       r == MAILIMAP_ERROR_MEMORY || r == MAILIMAP_ERROR_SSL ||
	       r == MAILIMAP_ERROR_FATAL;
}

/*
 * The text of the server's last tagged answer, made safe for one log line.
 * Empty when that answer does not belong to the failed command: libetpan
 * keeps the previous text when the stream fails before a response is read.
 */
static void
imap_server_text(const struct imap *im, int r, char *buf, size_t size)
{
	const char *text = im->session->imap_response;
	size_t i;

	buf[0] = '\0';
	if (text == NULL || text[0] == '\0' ||
	    (imap_is_stream_error(r) && r != MAILIMAP_ERROR_FATAL))
		return;
	for (i = 0; text[i] != '\0' && i + 1 < size; i++)
		buf[i] = (unsigned char)text[i] < 0x20 ||
			 text[i] == 0x7f ? '?' : text[i];
	buf[i] = '\0';
}

/* Record "imap: HOST:PORT: what: libetpan's reason: server's text". */
static int
imap_fail(struct imap *im, int code, int r, struct cm_error *err,
	  const char *what)
{
	char text[IMAP_SERVER_TEXT_MAX];

	if (imap_is_stream_error(r))
		im->broken = 1;
	imap_server_text(im, r, text, sizeof(text));
	return cm_error_set(err, code, "imap: %s: %s: %s%s%s", im->where, what,
			    imap_strerror(r), text[0] != '\0' ? ": " : "", text);
}

/* The response code (RFC 5530) of the last tagged answer, or "". */
static const char *
imap_resp_code(const struct imap *im)
{
	const struct mailimap_response_info *ri =
		im->session->imap_response_info;

	return ri != NULL && ri->rsp_atom != NULL ? ri->rsp_atom : "";
}

static int
imap_has_cap(const struct imap *im, const char *name)
{
	const struct mailimap_connection_info *ci =
		im->session->imap_connection_info;

	if (ci == NULL || ci->imap_capability == NULL)
		return 0;
	for (clistiter *it = clist_begin(ci->imap_capability->cap_list);
	     it != NULL; it = clist_next(it)) {
		const struct mailimap_capability *cap = clist_content(it);

		if (cap->cap_type == MAILIMAP_CAPABILITY_NAME &&
		    cap->cap_data.cap_name != NULL &&
		    g_ascii_strcasecmp(cap->cap_data.cap_name, name) == 0)
			return 1;
	}
	return 0;
}

/* Forget capabilities: those seen before TLS or login no longer count. */
static void
imap_forget_caps(struct imap *im)
{
	struct mailimap_connection_info *ci = im->session->imap_connection_info;

	if (ci != NULL && ci->imap_capability != NULL) {
		mailimap_capability_data_free(ci->imap_capability);
		ci->imap_capability = NULL;
	}
}

/*
 * Capabilities usually come with the greeting or the LOGIN answer
 * (libetpan stores those); ask only when they did not.
 */
static int
imap_load_caps(struct imap *im, struct cm_error *err)
{
	struct mailimap_capability_data *caps = NULL;
	const struct mailimap_connection_info *ci =
		im->session->imap_connection_info;
	int r;

	if (ci != NULL && ci->imap_capability != NULL)
		return 0;
	r = mailimap_capability(im->session, &caps);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "CAPABILITY failed");
	mailimap_capability_data_free(caps); /* a copy of the stored list */
	return 0;
}

static int
imap_is_ip(const char *host, unsigned char *addr, size_t *len_r)
{
	if (inet_pton(AF_INET, host, addr) == 1) {
		*len_r = 4;
		return 1;
	}
	if (inet_pton(AF_INET6, host, addr) == 1) {
		*len_r = 16;
		return 1;
	}
	return 0;
}

/* Called by libetpan before the handshake: send SNI for host names. */
static void
imap_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	struct imap *im = data;
	unsigned char addr[16];
	size_t len;

	/* RFC 6066: literal addresses are not sent as server names. */
	if (!imap_is_ip(im->host, addr, &len))
		mailstream_ssl_set_server_name(ctx, im->host);
}

static int
imap_trust_load(const struct imap *im, const char *ca_file,
		gnutls_x509_trust_list_t *tl_r, struct cm_error *err)
{
	gnutls_x509_trust_list_t tl = NULL;
	int n;

	*tl_r = NULL;
	n = gnutls_x509_trust_list_init(&tl, 0);
	if (n < 0)
		return cm_error_set(err, CM_EINTERNAL, "imap: %s: %s", im->where,
				    gnutls_strerror(n));
	if (ca_file != NULL)
		n = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
							  GNUTLS_X509_FMT_PEM,
							  0, 0);
	else
		n = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (n <= 0) {
		gnutls_x509_trust_list_deinit(tl, 1);
		return cm_error_set(err, CM_ECONFIG, "imap: %s: no CA "
				    "certificates loaded from %s%s%s", im->where,
				    ca_file != NULL ? ca_file : "the system trust store",
				    n < 0 ? ": " : "", n < 0 ? gnutls_strerror(n) : "");
	}
	*tl_r = tl;
	return 0;
}

static int
imap_cert_fail(struct imap *im, struct cm_error *err, const char *why,
	       const char *detail)
{
	im->broken = 1;
	return cm_error_set(err, CM_ECONFIG, "imap: %s: certificate %s%s%s",
			    im->where, why, detail[0] != '\0' ? ": " : "", detail);
}

/* The chain against the trust list, then the leaf against the host. */
static int
imap_verify_chain(struct imap *im, gnutls_x509_trust_list_t tl,
		  gnutls_x509_crt_t *certs, unsigned int n, struct cm_error *err)
{
	gnutls_typed_vdata_st purpose = {
		GNUTLS_DT_KEY_PURPOSE_OID,
		(unsigned char *)(void *)GNUTLS_KP_TLS_WWW_SERVER, 0
	};
	gnutls_datum_t text = { NULL, 0 };
	unsigned char addr[16];
	unsigned int status = 0;
	size_t len;
	int rc, ok;

	rc = gnutls_x509_trust_list_verify_crt2(tl, certs, n, &purpose, 1, 0,
						&status, NULL);
	if (rc < 0)
		return imap_cert_fail(im, err, "not checked", gnutls_strerror(rc));
	if (status != 0) {
		gnutls_certificate_verification_status_print(status,
							     GNUTLS_CRT_X509,
							     &text, 0);
		if (text.data != NULL)
			g_strchomp((char *)text.data);
		rc = imap_cert_fail(im, err, "not trusted", text.data != NULL ?
				    (const char *)text.data : "");
		gnutls_free(text.data);
		return rc;
	}
	/* An address must match an IP SAN, never a DNS name spelled alike. */
	if (imap_is_ip(im->host, addr, &len))
		ok = gnutls_x509_crt_check_ip(certs[0], addr, (unsigned)len, 0);
	else
		ok = gnutls_x509_crt_check_hostname2(certs[0], im->host, 0);
	if (!ok)
		return imap_cert_fail(im, err, "does not match the host name",
				      im->host);
	return 0;
}

/*
 * Debian's libetpan (GnuTLS build) accepts any certificate, so check the
 * peer chain it hands out (DER, leaf first) ourselves.
 */
static int
imap_verify_peer(struct imap *im, gnutls_x509_trust_list_t tl,
		 struct cm_error *err)
{
	gnutls_x509_crt_t certs[IMAP_MAX_CHAIN] = { NULL };
	carray *chain;
	unsigned int n = 0, i;
	int rc = 0;

	chain = mailstream_get_certificate_chain(im->session->imap_stream);
	if (chain == NULL || carray_count(chain) == 0) {
		rc = imap_cert_fail(im, err, "missing", "no peer certificate");
		goto out;
	}
	if (carray_count(chain) > IMAP_MAX_CHAIN) {
		rc = imap_cert_fail(im, err, "chain too long", "");
		goto out;
	}
	for (n = 0; n < carray_count(chain); n++) {
		MMAPString *der = carray_get(chain, n);
		gnutls_datum_t d = { (unsigned char *)der->str,
				     (unsigned int)der->len };
		int r;

		if ((r = gnutls_x509_crt_init(&certs[n])) < 0 ||
		    (r = gnutls_x509_crt_import(certs[n], &d,
						GNUTLS_X509_FMT_DER)) < 0) {
			n++;
			rc = imap_cert_fail(im, err, "unreadable",
					    gnutls_strerror(r));
			goto out;
		}
	}
	rc = imap_verify_chain(im, tl, certs, n, err);
out:
	for (i = 0; i < n; i++)
		if (certs[i] != NULL)
			gnutls_x509_crt_deinit(certs[i]);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return rc;
}

/* libetpan gives a STARTTLS stream no timeout of its own: set ours. */
static void
imap_stream_timeout(struct imap *im, int timeout_secs)
{
	mailstream_low *low;

	if (im->session->imap_stream == NULL)
		return;
	low = mailstream_get_low(im->session->imap_stream);
	if (low != NULL)
		mailstream_low_set_timeout(low, (time_t)timeout_secs);
}

static int
imap_starttls(struct imap *im, int timeout_secs, struct cm_error *err)
{
	int rc, r;

	if ((rc = imap_load_caps(im, err)) != 0)
		return rc;
	/* Without it, going on would send the password in clear text. */
	if (!imap_has_cap(im, "STARTTLS")) {
		im->broken = 1;
		return cm_error_set(err, CM_ECONFIG, "imap: %s: server does not "
				    "offer STARTTLS; refusing to continue without "
				    "TLS", im->where);
	}
	r = mailimap_socket_starttls_with_callback(im->session, imap_tls_setup,
						   im);
	if (r != MAILIMAP_NO_ERROR) {
		im->broken = 1; /* half-done TLS: LOGOUT would make no sense */
		return imap_fail(im, CM_ETEMP, r, err, "STARTTLS failed");
	}
	imap_stream_timeout(im, timeout_secs);
	imap_forget_caps(im);
	return 0;
}

static int
imap_open(struct imap *im, const struct imap_conf *conf, int timeout_secs,
	  struct cm_error *err)
{
	uint16_t port = (uint16_t)conf->port;
	int r;

	if (conf->tls == IMAP_TLS_IMAPS)
		r = mailimap_ssl_connect_with_callback(im->session, conf->host,
						       port, imap_tls_setup, im);
	else
		r = mailimap_socket_connect(im->session, conf->host, port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		im->broken = 1;
		return imap_fail(im, CM_ETEMP, r, err, "connect failed");
	}
	imap_stream_timeout(im, timeout_secs);
	/* RFC 3501: PREAUTH before STARTTLS leaves no chance to start TLS. */
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    conf->tls == IMAP_TLS_STARTTLS) {
		im->broken = 1;
		return cm_error_set(err, CM_ECONFIG, "imap: %s: server sent "
				    "PREAUTH before STARTTLS; refusing to "
				    "continue without TLS", im->where);
	}
	if (conf->tls == IMAP_TLS_STARTTLS)
		return imap_starttls(im, timeout_secs, err);
	return 0;
}

static int
imap_login(struct imap *im, const struct imap_conf *conf,
	   struct cm_error *err)
{
	const char *code;
	char what[160];
	int r;

	if (im->session->imap_state != MAILIMAP_STATE_NON_AUTHENTICATED)
		return 0; /* PREAUTH */
	if (imap_has_cap(im, "LOGINDISABLED"))
		return cm_error_set(err, CM_ECONFIG, "imap: %s: server does not "
				    "allow LOGIN here (LOGINDISABLED); use TLS",
				    im->where);
	imap_forget_caps(im);
	r = mailimap_login(im->session, conf->user, conf->password);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	/* The password never goes into a message; the user name does. */
	snprintf(what, sizeof(what), "LOGIN as %s failed", conf->user);
	if (r != MAILIMAP_ERROR_LOGIN)
		return imap_fail(im, CM_ETEMP, r, err, what);
	/* A NO is about the credentials unless the server says otherwise. */
	code = imap_resp_code(im);
	if (g_ascii_strcasecmp(code, "UNAVAILABLE") == 0 ||
	    g_ascii_strcasecmp(code, "SERVERBUG") == 0 ||
	    g_ascii_strcasecmp(code, "INUSE") == 0 ||
	    g_ascii_strcasecmp(code, "LIMIT") == 0)
		return imap_fail(im, CM_ETEMP, r, err, what);
	return imap_fail(im, CM_ECONFIG, r, err, what);
}

static int
imap_conf_check(const struct imap_conf *conf, struct cm_error *err)
{
	if (conf->host == NULL || conf->host[0] == '\0' || conf->user == NULL ||
	    conf->password == NULL)
		return cm_error_set(err, CM_ECONFIG, "imap: host, user and "
				    "password are needed");
	if (conf->port <= 0 || conf->port > 65535)
		return cm_error_set(err, CM_ECONFIG, "imap: %s: bad port %d",
				    conf->host, conf->port);
	return 0;
}

int
imap_connect(const struct imap_conf *conf, struct imap **im_r,
	     struct cm_error *err)
{
	gnutls_x509_trust_list_t tl = NULL;
	struct imap *im = NULL;
	int timeout_secs, verify, rc;

	*im_r = NULL;
	if ((rc = imap_conf_check(conf, err)) != 0)
		return rc;
	imap_ignore_sigpipe();
	timeout_secs = conf->timeout_secs > 0 ? conf->timeout_secs
					      : IMAP_DEFAULT_TIMEOUT_SECS;
	verify = conf->tls != IMAP_TLS_NONE && conf->tls_verify;
	im = g_new0(struct imap, 1);
	im->host = g_strdup(conf->host);
	im->where = strchr(conf->host, ':') != NULL ?
		    g_strdup_printf("[%s]:%d", conf->host, conf->port) :
		    g_strdup_printf("%s:%d", conf->host, conf->port);
	/* The trust store first: a bad ca_file is found without the network. */
	if (verify && (rc = imap_trust_load(im, conf->ca_file, &tl, err)) != 0)
		goto out;
	im->session = mailimap_new(0, NULL);
	if (im->session == NULL) {
		rc = cm_error_set(err, CM_EINTERNAL, "imap: out of memory");
		goto out;
	}
	mailimap_set_timeout(im->session, (time_t)timeout_secs);
	if ((rc = imap_open(im, conf, timeout_secs, err)) != 0)
		goto out;
	if (verify && (rc = imap_verify_peer(im, tl, err)) != 0)
		goto out;
	if ((rc = imap_login(im, conf, err)) != 0 ||
	    (rc = imap_load_caps(im, err)) != 0)
		goto out;
	im->has_idle = imap_has_cap(im, "IDLE");
	im->has_move = imap_has_cap(im, "MOVE");
	im->has_uidplus = imap_has_cap(im, "UIDPLUS");
	log_debug("imap: %s: logged in as %s (IDLE %s, MOVE %s, UIDPLUS %s)",
		  im->where, conf->user, im->has_idle ? "yes" : "no",
		  im->has_move ? "yes" : "no", im->has_uidplus ? "yes" : "no");
	*im_r = im;
	im = NULL;
out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	imap_close(&im);
	return rc;
}

void
imap_close(struct imap **imp)
{
	struct imap *im = imp != NULL ? *imp : NULL;

	if (im == NULL)
		return;
	if (im->session != NULL) {
		/*
		 * mailimap_free() sends LOGOUT on an open stream; a broken or
		 * untrusted one is closed without a word instead.
		 */
		if (im->broken && im->session->imap_stream != NULL) {
			mailstream_close(im->session->imap_stream);
			im->session->imap_stream = NULL;
		}
		mailimap_free(im->session);
	}
	g_free(im->host);
	g_free(im->where);
	g_free(im);
	*imp = NULL;
}

int
imap_has_idle(const struct imap *im)
{
	return im->has_idle;
}

static int
imap_list_has(clist *list, const char *mailbox)
{
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL;
	     it != NULL; it = clist_next(it)) {
		const struct mailimap_mailbox_list *mb = clist_content(it);

		/* LIST treats % and * as wildcards: compare the names. */
		if (mb->mb_name != NULL && strcmp(mb->mb_name, mailbox) == 0)
			return 1;
	}
	return 0;
}

int
imap_ensure_mailbox(struct imap *im, const char *mailbox,
		    struct cm_error *err)
{
	char what[160];
	clist *list = NULL;
	int r, found;

	r = mailimap_list(im->session, "", mailbox, &list);
	found = imap_list_has(list, mailbox);
	if (list != NULL)
		mailimap_list_result_free(list);
	snprintf(what, sizeof(what), "LIST %s failed", mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, what);
	if (found || g_ascii_strcasecmp(mailbox, "INBOX") == 0)
		return 0;
	r = mailimap_create(im->session, mailbox);
	/* Another client may have created it since our LIST. */
	if (r != MAILIMAP_NO_ERROR &&
	    !(r == MAILIMAP_ERROR_CREATE &&
	      g_ascii_strcasecmp(imap_resp_code(im), "ALREADYEXISTS") == 0)) {
		snprintf(what, sizeof(what), "CREATE %s failed", mailbox);
		return imap_fail(im, CM_ETEMP, r, err, what);
	}
	log_info("imap: %s: created mailbox %s", im->where, mailbox);
	/* Best effort, so that mail clients show it; only a dead link counts. */
	r = mailimap_subscribe(im->session, mailbox);
	if (r != MAILIMAP_NO_ERROR && imap_is_stream_error(r)) {
		snprintf(what, sizeof(what), "SUBSCRIBE %s failed", mailbox);
		return imap_fail(im, CM_ETEMP, r, err, what);
	}
	return 0;
}

int
imap_select(struct imap *im, const char *mailbox, uint32_t *uidvalidity_r,
	    uint32_t *uidnext_r, struct cm_error *err)
{
	const struct mailimap_selection_info *sel;
	char what[160];
	int r;

	*uidvalidity_r = 0;
	*uidnext_r = 0;
	snprintf(what, sizeof(what), "SELECT %s failed", mailbox);
	r = mailimap_select(im->session, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, what);
	sel = im->session->imap_selection_info;
	/* Without UIDVALIDITY, remembered UIDs would mean nothing. */
	if (sel == NULL || sel->sel_uidvalidity == 0)
		return cm_error_set(err, CM_ETEMP, "imap: %s: SELECT %s: server "
				    "sent no UIDVALIDITY", im->where, mailbox);
	if (sel->sel_perm == MAILIMAP_MAILBOX_READONLY)
		return cm_error_set(err, CM_ECONFIG, "imap: %s: SELECT %s: "
				    "mailbox is read-only", im->where, mailbox);
	*uidvalidity_r = sel->sel_uidvalidity;
	/* Optional in RFC 3501; 0 tells the caller the server did not say. */
	*uidnext_r = sel->sel_uidnext;
	return 0;
}

static int
imap_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A UID set in ascending ranges ("1:3,7"); NULL when no UID is valid. */
static struct mailimap_set *
imap_set_new(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = NULL;
	uint32_t *sorted;
	size_t i = 0;

	sorted = g_new(uint32_t, n);
	memcpy(sorted, uids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), imap_uid_cmp);
	/* UID 0 does not exist, and libetpan would send it as "*". */
	while (i < n && sorted[i] == 0)
		i++;
	if (i < n)
		set = mailimap_set_new_empty();
	while (set != NULL && i < n) {
		uint32_t first = sorted[i], last = sorted[i];

		while (++i < n && (sorted[i] == last || sorted[i] == last + 1))
			last = sorted[i];
		if (mailimap_set_add_interval(set, first, last) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			set = NULL;
		}
	}
	g_free(sorted);
	return set;
}

static struct mailimap_search_key *
imap_key_undeleted(void)
{
	return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNDELETED, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, 0,
				       NULL, NULL, NULL, NULL, NULL, NULL, 0,
				       NULL, NULL, NULL);
}

/* Add sub (may be NULL) to the multiple key; 0, or -1 with sub freed. */
static int
imap_key_add(struct mailimap_search_key *key, struct mailimap_search_key *sub)
{
	if (sub != NULL &&
	    mailimap_search_key_multiple_add(key, sub) == MAILIMAP_NO_ERROR)
		return 0;
	if (sub != NULL)
		mailimap_search_key_free(sub);
	return -1;
}

/* UID SEARCH UID after+1:* UNDELETED */
static struct mailimap_search_key *
imap_key_after(uint32_t after)
{
	struct mailimap_search_key *key, *sub;
	struct mailimap_set *set;

	key = mailimap_search_key_new_multiple_empty();
	if (key == NULL)
		return NULL;
	set = mailimap_set_new_interval(after + 1, 0); /* 0 is "*" */
	sub = set != NULL ? mailimap_search_key_new_uid(set) : NULL;
	if (sub == NULL && set != NULL)
		mailimap_set_free(set);
	if (imap_key_add(key, sub) != 0 ||
	    imap_key_add(key, imap_key_undeleted()) != 0) {
		mailimap_search_key_free(key);
		return NULL;
	}
	return key;
}

int
imap_uids_after(struct imap *im, uint32_t after, GArray **uids_r,
		struct cm_error *err)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	GArray *uids;
	int r;

	*uids_r = NULL;
	uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (after == UINT32_MAX) {
		*uids_r = uids;
		return 0;
	}
	key = imap_key_after(after);
	if (key == NULL) {
		g_array_unref(uids);
		return cm_error_set(err, CM_EINTERNAL, "imap: out of memory");
	}
	r = mailimap_uid_search(im->session, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		/* On NO libetpan still hands over (and leaves to us) a list. */
		if (result != NULL)
			mailimap_search_result_free(result);
		g_array_unref(uids);
		return imap_fail(im, CM_ETEMP, r, err, "UID SEARCH failed");
	}
	if (result == NULL) { /* no "* SEARCH" line at all */
		*uids_r = uids;
		return 0;
	}
	/*
	 * "n:*" always matches the highest UID, even when it is below n
	 * (RFC 3501 6.4.8): keep only what really is past "after".
	 */
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		guint32 uid = *(const uint32_t *)clist_content(it);

		if (uid > after)
			g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(result);
	g_array_sort(uids, imap_uid_cmp);
	*uids_r = uids;
	return 0;
}

/* UID and either BODY.PEEK[] (the whole message, without setting \Seen)
 * or RFC822.SIZE. */
static struct mailimap_fetch_type *
imap_fetch_type_new(int body)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_fetch_att *att;
	struct mailimap_section *section;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (ft == NULL)
		return NULL;
	att = mailimap_fetch_att_new_uid();
	if (att == NULL || mailimap_fetch_type_new_fetch_att_list_add(ft, att) !=
	    MAILIMAP_NO_ERROR)
		goto fail;
	if (body) {
		section = mailimap_section_new(NULL);
		att = section != NULL
			      ? mailimap_fetch_att_new_body_peek_section(section)
			      : NULL;
		if (att == NULL && section != NULL)
			mailimap_section_free(section);
	} else {
		att = mailimap_fetch_att_new_rfc822_size();
	}
	if (att == NULL || mailimap_fetch_type_new_fetch_att_list_add(ft, att) !=
	    MAILIMAP_NO_ERROR)
		goto fail;
	return ft;
fail:
	if (att != NULL)
		mailimap_fetch_att_free(att);
	mailimap_fetch_type_free(ft);
	return NULL;
}

/*
 * UID FETCH of imap_fetch_type_new(body) for these UIDs: *result_r is the
 * answer (mailimap_fetch_list_free()), NULL when there was nothing to ask
 * or nothing came.
 */
static int
imap_uid_fetch(struct imap *im, const uint32_t *uids, size_t n, int body,
	       clist **result_r, struct cm_error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	int r;

	*result_r = NULL;
	if (n == 0 || (set = imap_set_new(uids, n)) == NULL)
		return 0;
	if ((ft = imap_fetch_type_new(body)) == NULL) {
		mailimap_set_free(set);
		return cm_error_set(err, CM_EINTERNAL, "imap: out of memory");
	}
	r = mailimap_uid_fetch(im->session, set, ft, result_r);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	/* On failure libetpan has freed the list already (without NULLing). */
	*result_r = NULL;
	return imap_fail(im, CM_ETEMP, r, err, body ? "UID FETCH failed"
					     : "UID FETCH RFC822.SIZE failed");
}

/* What one FETCH answer says of the attributes we ask for. */
struct imap_att {
	uint32_t uid;           /* 0 if absent */
	int have_size;
	uint32_t size;          /* RFC822.SIZE */
	const char *data;       /* BODY[]; NULL if absent or NIL */
	size_t len;
};

static void
imap_att_read(const struct mailimap_msg_att *msg, struct imap_att *a)
{
	memset(a, 0, sizeof(*a));
	for (clistiter *it = clist_begin(msg->att_list); it != NULL;
	     it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		const struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    item->att_data.att_static == NULL)
			continue;
		st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID) {
			a->uid = st->att_data.att_uid;
		} else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
			a->size = st->att_data.att_rfc822_size;
			a->have_size = 1;
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
			   st->att_data.att_body_section != NULL &&
			   st->att_data.att_body_section->sec_body_part != NULL) {
			/* NIL (a message expunged meanwhile) counts as absent. */
			a->data = st->att_data.att_body_section->sec_body_part;
			a->len = st->att_data.att_body_section->sec_length;
		}
	}
}

/* UID and body of one FETCH answer; 0 when it lacks either. */
static int
imap_fetched_get(const struct mailimap_msg_att *msg, struct imap_fetched *f)
{
	struct imap_att a;

	imap_att_read(msg, &a);
	f->uid = a.uid;
	f->data = a.data;
	f->len = a.len;
	return a.uid != 0 && a.data != NULL;
}

static int
imap_fetched_cmp(const void *a, const void *b)
{
	return imap_uid_cmp(&((const struct imap_fetched *)a)->uid,
			    &((const struct imap_fetched *)b)->uid);
}

/*
 * The messages of a FETCH answer that were asked for, ascending, each once.
 * Unsolicited FETCH answers (flag changes by others) have no body and drop
 * out here.
 */
static GArray *
imap_fetched_collect(clist *result, const uint32_t *uids, size_t n)
{
	GArray *msgs = g_array_new(FALSE, FALSE, sizeof(struct imap_fetched));
	uint32_t *wanted = g_new(uint32_t, n);
	guint keep = 0;

	memcpy(wanted, uids, n * sizeof(*wanted));
	qsort(wanted, n, sizeof(*wanted), imap_uid_cmp);
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct imap_fetched f = { 0, NULL, 0 };

		if (imap_fetched_get(clist_content(it), &f) &&
		    bsearch(&f.uid, wanted, n, sizeof(*wanted), imap_uid_cmp))
			g_array_append_val(msgs, f);
	}
	g_array_sort(msgs, imap_fetched_cmp);
	for (guint i = 0; i < msgs->len; i++)
		if (keep == 0 || g_array_index(msgs, struct imap_fetched, i).uid !=
		    g_array_index(msgs, struct imap_fetched, keep - 1).uid)
			g_array_index(msgs, struct imap_fetched, keep++) =
				g_array_index(msgs, struct imap_fetched, i);
	g_array_set_size(msgs, keep);
	g_free(wanted);
	return msgs;
}

int
imap_sizes(struct imap *im, const uint32_t *uids, size_t n, uint32_t *sizes,
	   struct cm_error *err)
{
	clist *result;
	int rc;

	memset(sizes, 0, n * sizeof(*sizes));
	if ((rc = imap_uid_fetch(im, uids, n, 0, &result, err)) != 0 ||
	    result == NULL)
		return rc;
	for (clistiter *it = clist_begin(result); it != NULL;
	     it = clist_next(it)) {
		const uint32_t *at;
		struct imap_att a;

		imap_att_read(clist_content(it), &a);
		if (a.uid == 0 || !a.have_size)
			continue;
		at = bsearch(&a.uid, uids, n, sizeof(*uids), imap_uid_cmp);
		if (at != NULL)
			sizes[at - uids] = a.size;
	}
	mailimap_fetch_list_free(result);
	return 0;
}

/* A FETCH answer kept whole: the messages point into result. */
struct imap_batch {
	clist *result;
	GArray *msgs;   /* struct imap_fetched, ascending UID */
};

int
imap_fetch_batch(struct imap *im, const uint32_t *uids, size_t n,
		 struct imap_batch **batch_r, struct cm_error *err)
{
	struct imap_batch *b;
	clist *result;
	int rc;

	*batch_r = NULL;
	if ((rc = imap_uid_fetch(im, uids, n, 1, &result, err)) != 0)
		return rc;
	b = g_new0(struct imap_batch, 1);
	b->result = result;
	b->msgs = result != NULL
			  ? imap_fetched_collect(result, uids, n)
			  : g_array_new(FALSE, FALSE, sizeof(struct imap_fetched));
	*batch_r = b;
	return 0;
}

size_t
imap_batch_count(const struct imap_batch *b)
{
	return b != NULL ? b->msgs->len : 0;
}

void
imap_batch_get(const struct imap_batch *b, size_t i, uint32_t *uid_r,
	       const char **data_r, size_t *len_r)
{
	const struct imap_fetched *f =
		&g_array_index(b->msgs, struct imap_fetched, i);

	*uid_r = f->uid;
	*data_r = f->data;
	*len_r = f->len;
}

void
imap_batch_free(struct imap_batch **bp)
{
	struct imap_batch *b;

	if (bp == NULL || *bp == NULL)
		return;
	b = *bp;
	g_array_unref(b->msgs);
	if (b->result != NULL)
		mailimap_fetch_list_free(b->result);
	g_free(b);
	*bp = NULL;
}

int
imap_fetch(struct imap *im, const uint32_t *uids, size_t n,
	   imap_message_cb cb, void *ctx, struct cm_error *err)
{
	struct imap_batch *b = NULL;
	int rc = imap_fetch_batch(im, uids, n, &b, err);

	for (size_t i = 0; rc == 0 && i < imap_batch_count(b); i++) {
		const char *data;
		size_t len;
		uint32_t uid;

		imap_batch_get(b, i, &uid, &data, &len);
		rc = cb(uid, data, len, ctx);
	}
	imap_batch_free(&b);
	return rc;
}

/* Without MOVE: COPY, flag \Deleted, then expunge. */
static int
imap_copy_delete(struct imap *im, struct mailimap_set *set,
		 const char *mailbox, struct cm_error *err)
{
	struct mailimap_store_att_flags *store = NULL;
	struct mailimap_flag_list *flags;
	struct mailimap_flag *deleted = NULL;
	char what[160];
	int r;

	snprintf(what, sizeof(what), "UID COPY to %s failed", mailbox);
	if ((r = mailimap_uid_copy(im->session, set, mailbox)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, what);
	flags = mailimap_flag_list_new_empty();
	if (flags != NULL && (deleted = mailimap_flag_new_deleted()) != NULL &&
	    mailimap_flag_list_add(flags, deleted) == MAILIMAP_NO_ERROR) {
		deleted = NULL;
		store = mailimap_store_att_flags_new_add_flags_silent(flags);
	}
	if (store == NULL) {
		if (deleted != NULL)
			mailimap_flag_free(deleted);
		if (flags != NULL)
			mailimap_flag_list_free(flags);
		return cm_error_set(err, CM_EINTERNAL, "imap: out of memory");
	}
	r = mailimap_uid_store(im->session, set, store);
	mailimap_store_att_flags_free(store);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "UID STORE \\Deleted failed");
	/*
	 * Plain EXPUNGE also removes messages someone else flagged \Deleted
	 * in this mailbox; UID EXPUNGE (RFC 4315) touches only ours.
	 */
	if (im->has_uidplus)
		r = mailimap_uid_expunge(im->session, set);
	else
		r = mailimap_expunge(im->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, im->has_uidplus ?
				 "UID EXPUNGE failed" : "EXPUNGE failed");
	return 0;
}

int
imap_move(struct imap *im, const uint32_t *uids, size_t n,
	  const char *mailbox, struct cm_error *err)
{
	struct mailimap_set *set;
	char what[160];
	int r, rc = 0;

	if (n == 0 || (set = imap_set_new(uids, n)) == NULL)
		return 0;
	if (im->has_move) {
		r = mailimap_uid_move(im->session, set, mailbox);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(what, sizeof(what), "UID MOVE to %s failed",
				 mailbox);
			rc = imap_fail(im, CM_ETEMP, r, err, what);
		}
	} else {
		rc = imap_copy_delete(im, set, mailbox, err);
	}
	mailimap_set_free(set);
	return rc;
}

/* Did the last answers report new or vanished messages? */
static int
imap_saw_change(const struct imap *im)
{
	const struct mailimap_selection_info *sel =
		im->session->imap_selection_info;
	const struct mailimap_response_info *ri =
		im->session->imap_response_info;

	if (sel != NULL && (sel->sel_has_exists || sel->sel_has_recent))
		return 1;
	return ri != NULL && ri->rsp_expunged != NULL &&
	       clist_count(ri->rsp_expunged) > 0;
}

static int
imap_stopped(volatile sig_atomic_t *stop)
{
	return stop != NULL && *stop;
}

/*
 * Wait on the idling stream until the server sends something, the deadline
 * (monotonic microseconds) passes or *stop is set.
 */
static int
imap_idle_wait(struct imap *im, gint64 deadline,
	       volatile sig_atomic_t *stop, struct cm_error *err)
{
	mailstream *s = im->session->imap_stream;

	/*
	 * mailimap_idle() may have read more than the "+ idling" line.  Data
	 * held inside GnuTLS cannot be seen from here; it is not lost, only
	 * noticed at the DONE that ends this round.
	 */
	if (s->read_buffer_len > 0)
		return 0;
	while (!imap_stopped(stop) && g_get_monotonic_time() < deadline) {
		int w = mailstream_wait_idle(s, IMAP_IDLE_SLICE_SECS);
		int saved = errno;

		if (w == MAILSTREAM_IDLE_HASDATA)
			return 0;
		/* A signal (SIGTERM setting *stop) ends poll() early. */
		if (w == MAILSTREAM_IDLE_ERROR && saved != EINTR) {
			im->broken = 1;
			return cm_error_set(err, CM_ETEMP, "imap: %s: waiting in "
					    "IDLE failed: %s", im->where,
					    g_strerror(saved));
		}
	}
	return 0;
}

/* One IDLE ... DONE round. */
static int
imap_idle_round(struct imap *im, gint64 deadline,
		volatile sig_atomic_t *stop, struct cm_error *err)
{
	mailstream *s;
	int r, rc;

	r = mailimap_idle(im->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "IDLE failed");
	s = im->session->imap_stream;
	if (mailstream_setup_idle(s) < 0) {
		im->broken = 1;
		return cm_error_set(err, CM_ETEMP, "imap: %s: cannot set up "
				    "the IDLE wait", im->where);
	}
	rc = imap_idle_wait(im, deadline, stop, err);
	mailstream_unsetup_idle(s);
	if (rc != 0)
		return rc;
	/* Everything the server sent while idling is parsed here. */
	r = mailimap_idle_done(im->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "IDLE DONE failed");
	return 0;
}

/* Servers without IDLE: wait, then let NOOP collect the news. */
static int
imap_idle_poll(struct imap *im, gint64 deadline,
	       volatile sig_atomic_t *stop, int *changed_r,
	       struct cm_error *err)
{
	int rc;

	while (!imap_stopped(stop) && g_get_monotonic_time() < deadline)
		g_usleep(MIN(deadline - g_get_monotonic_time(),
			     (gint64)IMAP_IDLE_SLICE_SECS * G_USEC_PER_SEC));
	if (im->session->imap_selection_info != NULL) {
		im->session->imap_selection_info->sel_has_exists = 0;
		im->session->imap_selection_info->sel_has_recent = 0;
	}
	if ((rc = imap_noop(im, err)) != 0)
		return rc;
	*changed_r = imap_saw_change(im);
	return 0;
}

int
imap_idle(struct imap *im, int timeout_secs, volatile sig_atomic_t *stop,
	  int *changed_r, struct cm_error *err)
{
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)MAX(timeout_secs, 0) * G_USEC_PER_SEC;
	int rc;

	*changed_r = 0;
	if (!im->has_idle)
		return imap_idle_poll(im, deadline, stop, changed_r, err);
	/*
	 * A round ends with news, at the deadline, on *stop, or when woken
	 * for no change ("* OK Still here", flag updates) or at the 29 minute
	 * mark: then idle again until the caller's deadline.
	 */
	while (!imap_stopped(stop) && g_get_monotonic_time() < deadline) {
		gint64 round_end = MIN(deadline, g_get_monotonic_time() +
				       (gint64)IMAP_IDLE_MAX_SECS * G_USEC_PER_SEC);

		if ((rc = imap_idle_round(im, round_end, stop, err)) != 0)
			return rc;
		if (imap_saw_change(im)) {
			*changed_r = 1;
			return 0;
		}
	}
	return 0;
}

int
imap_noop(struct imap *im, struct cm_error *err)
{
	int r = mailimap_noop(im->session);

	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "NOOP failed");
	return 0;
}
