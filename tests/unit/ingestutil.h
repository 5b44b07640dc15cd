/*
 * ingestutil.h - the fixture of the ingest tests (test_ingest.c,
 * test_policy.c): a config and store in a temporary directory, an ingest
 * context on them, and a clock that ticks once per message fed.
 */
#ifndef CASEMAIL_INGESTUTIL_H
#define CASEMAIL_INGESTUTIL_H

#include "testutil.h"

#include "casemail/ingest.h"
#include "casemail/outbound.h"

struct fixture {
	struct testutil_env env;
	struct ingest ing;
	struct outbound out;   /* ing.out points here when a test sets it up */
	int64_t now;
};

/* A fixture in *state with extra_conf after "[case]\naddress = ..." */
int setup_conf(void **state, const char *extra_conf);
/* Free the fixture in *state. */
int teardown(void **state);

/* Ingest raw in its own transaction; fails the test on an error. */
enum ingest_outcome feed(struct fixture *fx, const char *raw);
/* The kept message with Message-ID mid (store_message_free()). */
struct store_message *msg(struct fixture *fx, const char *mid);
/* The case of the kept message mid (0: none). */
int64_t case_of(struct fixture *fx, const char *mid);
/* Case id with its people (store_case_free()). */
struct store_case *get_case(struct fixture *fx, int64_t id);

#define SHIPPER_MAIL                                                       \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: Carl Carrier <carl@trucks.test>\n"                            \
	"Cc: cases@desk.example\n"                                         \
	"Subject: Pallet crushed at Rotterdam\n"                           \
	"Message-ID: <first@acme.test>\n\n"                                \
	"The pallet for order 4471 arrived crushed.\n"

#endif
