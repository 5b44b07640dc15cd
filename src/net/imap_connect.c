/*
 * imap_connect.c - opening an IMAP session: TCP or TLS, STARTTLS, our own
 * GnuTLS check of the peer chain and host name, capabilities, LOGIN.
 */
#include "casemail/imap.h"

#include <arpa/inet.h>
#include <signal.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "casemail/log.h"
#include "imap_private.h"

/* Used when the configuration says 0: long enough for a slow server. */
#define IMAP_DEFAULT_TIMEOUT_SECS 60
/* Peer chains longer than this are refused rather than half-checked. */
#define IMAP_MAX_CHAIN 16

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
	gint64 start = g_get_monotonic_time();
	int r;

	if (conf->tls == IMAP_TLS_IMAPS)
		r = mailimap_ssl_connect_with_callback(im->session, conf->host,
						       port, imap_tls_setup, im);
	else
		r = mailimap_socket_connect(im->session, conf->host, port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return imap_connect_failed(im, conf, r,
					   g_get_monotonic_time() - start,
					   timeout_secs, err);
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

/* A NO is about the credentials unless the server says otherwise. */
static int
imap_login_failed(struct imap *im, int r, const char *what, int refused,
		  struct cm_error *err)
{
	const char *code = imap_resp_code(im);

	if (r != MAILIMAP_ERROR_LOGIN ||
	    g_ascii_strcasecmp(code, "UNAVAILABLE") == 0 ||
	    g_ascii_strcasecmp(code, "SERVERBUG") == 0 ||
	    g_ascii_strcasecmp(code, "INUSE") == 0 ||
	    g_ascii_strcasecmp(code, "LIMIT") == 0)
		return imap_fail(im, CM_ETEMP, r, err, what);
	return imap_fail(im, refused, r, err, what);
}

/*
 * SASL XOAUTH2 (libetpan keeps the token out of its stream log and
 * answers the server's error challenge with the empty line it wants).
 */
static int
imap_xoauth2(struct imap *im, const struct imap_conf *conf,
	     struct cm_error *err)
{
	char what[160];
	int r;

	if ((r = imap_load_caps(im, err)) != 0)
		return r;
	/* libetpan keeps AUTH= capabilities apart from the others. */
	if (!mailimap_has_xoauth2(im->session))
		return cm_error_set(err, CM_ECONFIG, "imap: %s: server does not "
				    "offer AUTH=XOAUTH2", im->where);
	imap_forget_caps(im);
	r = mailimap_oauth2_authenticate(im->session, conf->user,
					 conf->access_token);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	snprintf(what, sizeof(what), "XOAUTH2 as %s failed", conf->user);
	return imap_login_failed(im, r, what, CM_EREFUSED, err);
}

static int
imap_login(struct imap *im, const struct imap_conf *conf,
	   struct cm_error *err)
{
	char what[160];
	int r;

	if (im->session->imap_state != MAILIMAP_STATE_NON_AUTHENTICATED)
		return 0; /* PREAUTH */
	if (conf->access_token != NULL)
		return imap_xoauth2(im, conf, err);
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
	return imap_login_failed(im, r, what, CM_ECONFIG, err);
}

static int
imap_conf_check(const struct imap_conf *conf, struct cm_error *err)
{
	if (conf->host == NULL || conf->host[0] == '\0' || conf->user == NULL ||
	    (conf->password == NULL && conf->access_token == NULL))
		return cm_error_set(err, CM_ECONFIG, "imap: host, user and "
				    "password (or access token) are needed");
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
