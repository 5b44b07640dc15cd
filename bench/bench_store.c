/*
 * bench_store.c - the case store at the size of a busy desk.
 *
 *   bench_store [-n CASES] [-m MSGS_PER_CASE] [-d DIR] [-k]
 *
 * Builds a fresh store in a temporary directory through the same calls
 * casectl and the gateway make (case_create, case_assign, case_solve,
 * store_message_insert), BENCH_CASES_PER_TX cases to a transaction, then
 * times the queries agents run all day.  The data is made by a seeded PRNG,
 * so two runs store the same cases.  One line per figure on stdout; lines
 * starting with '#' are comments.  bench/README.md says what each means.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "casemail/case.h"
#include "casemail/config.h"
#include "casemail/log.h"
#include "casemail/store.h"

#define BENCH_DEFAULT_CASES 100000
#define BENCH_DEFAULT_MSGS 2
/* Bounds that keep the run under a day and the arithmetic in range. */
#define BENCH_MAX_CASES 10000000
#define BENCH_MAX_MSGS 1000
/* The gateway commits a fetched batch at once (imap batch, default 500);
 * 1000 cases with their messages is the same order of work. */
#define BENCH_CASES_PER_TX 1000
/* casectl list/search page size (LIST_DEFAULT_LIMIT in cli_list.c). */
#define BENCH_PAGE 100
/* Each query runs for at least this long and this many times, so one
 * slow call or a timer tick cannot decide its median. */
#define BENCH_QUERY_MIN_SECS 1.0
#define BENCH_QUERY_MIN_RUNS 20
#define BENCH_QUERY_MAX_RUNS 5000
/* Two years of cases; "now" is one day after the newest. */
#define BENCH_SPAN_SECS (730 * 86400LL)
#define BENCH_EPOCH 1704067200LL /* 2024-01-01T00:00:00Z */
#define BENCH_SEED 0x6361736d61696cULL
/* One message in this many mentions the rare word. */
#define BENCH_RARE_EVERY 5000
#define BENCH_RARE_WORD "hydraulic"

#define BENCH_ORG "example-logistics.com"
#define BENCH_CASE_ADDRESS "cases@" BENCH_ORG

/* ---- options and state ------------------------------------------------- */

struct bench_args {
	unsigned long cases;
	unsigned msgs_per_case;
	const char *parent_dir;  /* where the temp dir goes */
	int keep;                /* -k: leave the store behind */
};

struct bench_rng {
	uint64_t state;
};

/* Seconds spent in each kind of write, and how many were made. */
struct bench_writes {
	double create_secs, assign_secs, solve_secs, msg_secs, commit_secs;
	unsigned long assigns, solves, msgs, commits;
	double wall_secs;
};

struct bench {
	struct bench_args args;
	char *dir;
	char *db_path;
	struct config *cfg;
	struct store *store;
	struct bench_rng rng;    /* the data */
	struct bench_rng qrng;   /* the query parameters */
	int64_t now;             /* the benchmark's "now" */
	int64_t first_id;        /* case id of case index 0 */
	struct bench_writes w;
	struct cm_error err;
};

/* ---- clock, PRNG ------------------------------------------------------- */

static double
bench_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: small, fast, and the same sequence on every platform. */
static uint64_t
bench_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
bench_next(struct bench_rng *r)
{
	r->state += 0x9e3779b97f4a7c15ULL;
	return bench_mix(r->state);
}

/* Uniform in [0, n); the modulo bias is irrelevant at these sizes. */
static uint64_t
bench_below(struct bench_rng *r, uint64_t n)
{
	return n == 0 ? 0 : bench_next(r) % n;
}

static int
bench_percent(struct bench_rng *r, unsigned pct)
{
	return bench_below(r, 100) < pct;
}

#define BENCH_PICK(r, arr) ((arr)[bench_below((r), G_N_ELEMENTS(arr))])

/* ---- vocabulary -------------------------------------------------------- */

struct bench_type {
	const char *type;
	unsigned weight;
	const char *phrase[4];
};

static const struct bench_type bench_types[] = {
	{ "wismo", 22, { "Where is my order", "No tracking update",
			 "Status request", "ETA please" } },
	{ "delayed", 18, { "Shipment delayed at hub", "Late delivery",
			   "Missed delivery window", "Held in customs" } },
	{ "damaged", 12, { "Pallet crushed on delivery", "Damaged goods",
			   "Wet cartons on arrival", "Broken seal on trailer" } },
	{ "lost", 5, { "Shipment lost", "Missing pallet",
		       "Parcel not received", "Short delivery: 2 cartons missing" } },
	{ "delivery-exception", 8, { "Delivery exception", "Consignee closed",
				     "Failed delivery attempt", "Access refused at site" } },
	{ "address-issue", 7, { "Wrong delivery address", "Address incomplete",
				"Change of address", "Unknown consignee" } },
	{ "reschedule", 9, { "Reschedule delivery", "New delivery date",
			     "Please deliver on Monday", "Booking change" } },
	{ "refused", 4, { "Delivery refused", "Consignee refused goods",
			  "Return to sender", "Refused: damaged packaging" } },
	{ "driver-issue", 6, { "Driver did not show", "Driver behaviour complaint",
			       "Truck breakdown", "Driver needs gate code" } },
	{ "billing", 6, { "Invoice dispute", "Wrong freight charge",
			  "Demurrage invoice", "Credit note request" } },
	{ "other", 3, { "Question about service", "Documents request",
			"Proof of delivery", "General enquiry" } },
};

/* The agents; even ones work the shipper side, odd ones the carrier side. */
static const char *const bench_agents[] = {
	"anna.berg@" BENCH_ORG, "ben.okafor@" BENCH_ORG,
	"carla.mendes@" BENCH_ORG, "dario.rossi@" BENCH_ORG,
	"eva.lindqvist@" BENCH_ORG, "farid.haddad@" BENCH_ORG,
	"greta.novak@" BENCH_ORG, "hugo.martin@" BENCH_ORG,
	"ines.costa@" BENCH_ORG, "jonas.weber@" BENCH_ORG,
	"kasia.nowak@" BENCH_ORG, "liam.byrne@" BENCH_ORG,
	"maja.horvat@" BENCH_ORG, "nils.jensen@" BENCH_ORG,
	"olga.petrova@" BENCH_ORG, "pavel.dvorak@" BENCH_ORG,
};

static const char *const bench_firms[] = {
	"nordic", "alpine", "baltic", "atlas", "iberia", "rhein", "danube",
	"vistula", "adriatic", "carpathia", "flanders", "hanse",
};
static const char *const bench_firm_kinds[] = {
	"freight", "foods", "parts", "retail", "pharma", "textiles", "tools",
	"electro",
};
static const char *const bench_contacts[] = {
	"ops", "dispatch", "logistics", "j.smith", "m.garcia", "k.schmidt",
	"a.kowalski", "l.dubois", "s.jansen", "t.nielsen",
};
static const char *const bench_cities[] = {
	"Hamburg", "München", "Kraków", "Zürich", "Rotterdam", "Lyon",
	"Göteborg", "Łódź", "Bologna", "Poznań", "Antwerpen", "Málaga",
	"Brno", "Linz", "Aarhus", "Duisburg",
};
static const char *const bench_carriers[] = {
	"DHL Freight", "DSV", "Raben", "Dachser", "Schenker", "GLS", "PostNL",
	"Geodis", "Kuehne+Nagel",
};

static const char *const bench_subjects_ref[] = {
	"{phrase}: {ref}", "{phrase} - {ref}", "RE: {phrase} {ref}",
	"[{firm}] {phrase} ({ref})", "{ref} / {phrase} / {city}",
};
static const char *const bench_subjects_plain[] = {
	"{phrase}", "{phrase} in {city}", "[{firm}] {phrase}",
	"Urgent: {phrase}",
};

static const char *const bench_greetings[] = {
	"Hello,", "Hi team,", "Dear colleagues,", "Good morning,", "Hi,",
};

/* Words such as "pallet", "invoice" and "customs" each appear in a few
 * sentences, so a search for one matches a few percent of messages. */
static const char *const bench_sentences[] = {
	"Could you please check the status of shipment {ref}?",
	"The consignee in {city} is still waiting for the goods.",
	"Our customer called twice today about this delivery.",
	"The pallet was wrapped correctly when it left our warehouse.",
	"Please find the photos of the damaged pallet attached.",
	"The driver from {carrier} arrived outside the booked time slot.",
	"Tracking has not been updated since the goods left {city}.",
	"We need a new delivery date as soon as possible.",
	"The invoice does not match the agreed rate for this lane.",
	"Please send a corrected invoice referencing {ref}.",
	"The goods are held in customs pending the commercial invoice.",
	"Customs clearance in {city} needs the EORI number of the consignee.",
	"We have informed {carrier} and are waiting for their reply.",
	"The warehouse in {city} is closed on Saturdays.",
	"Please confirm the gate code and the loading dock number.",
	"Two cartons were missing when the delivery was checked.",
	"We will open a claim if the goods cannot be found by Friday.",
	"The proof of delivery shows a signature we do not recognise.",
	"Kindly arrange a redelivery for tomorrow morning.",
	"The trailer seal number does not match the CMR.",
	"Thank you for the quick update on {ref}.",
	"The consignee refused the delivery because the packaging was wet.",
	"Can you confirm whether the truck is still on schedule?",
	"The reference on the label is {ref}.",
	"Our planner {name} will follow up with the carrier.",
	"Please call the site manager before unloading.",
	"The tail lift was not available so the pallet could not be unloaded.",
	"Demurrage charges apply after the second day at the terminal.",
};

/* ---- one generated case ------------------------------------------------ */

struct bench_case {
	uint64_t index;
	const struct bench_type *type;
	const char *phrase, *city, *carrier, *kind, *priority, *source;
	const char *owner[2];       /* shipper side, carrier side; or NULL */
	char ref[40];               /* "" when the case has none */
	char firm[32];              /* "nordicfreight" */
	char planner[32];           /* the owner's name, "anna.berg" */
	char customer[96];          /* the shipper's contact address */
	char crm_shipper[16], crm_carrier[16];
	char subject[256];
	int64_t created, follow_up;
};

/*
 * The shipment reference of case index i, a pure function of i so the
 * query phase can name any case's reference.  Four common shapes (UPS-,
 * DHL-, house- and FedEx-like); i is embedded, so each is unique.
 */
static void
bench_shipment_ref(uint64_t i, char *buf, size_t size)
{
	uint64_t h = bench_mix(i * 2 + 1);
	unsigned long long n = (unsigned long long)i;

	buf[0] = '\0';
	if (h % 100 >= 85)   /* 15% of cases have no reference */
		return;
	switch ((h >> 8) % 4) {
	case 0:
		snprintf(buf, size, "1Z%03llXA%09llu",
			 (unsigned long long)((h >> 16) & 0xfff), n);
		break;
	case 1:
		snprintf(buf, size, "JJD%04llu%011llu",
			 (unsigned long long)((h >> 16) % 10000), n);
		break;
	case 2:
		snprintf(buf, size, "SHP-%08llu", n + 10000000ULL);
		break;
	default:
		snprintf(buf, size, "%05llu%07llu",
			 (unsigned long long)((h >> 16) % 100000), n);
		break;
	}
}

static const char *
bench_slot(const struct bench_case *bc, const char *name, size_t len)
{
	static const struct { const char *name; size_t off; } fields[] = {
		{ "ref", offsetof(struct bench_case, ref) },
		{ "firm", offsetof(struct bench_case, firm) },
		{ "name", offsetof(struct bench_case, planner) },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
		const char *v = (const char *)bc + fields[i].off;

		if (strlen(fields[i].name) == len &&
		    strncmp(fields[i].name, name, len) == 0)
			return v[0] != '\0' ? v : "our order";
	}
	if (len == 6 && strncmp(name, "phrase", len) == 0)
		return bc->phrase;
	if (len == 4 && strncmp(name, "city", len) == 0)
		return bc->city;
	if (len == 7 && strncmp(name, "carrier", len) == 0)
		return bc->carrier;
	return "?";
}

/* Append tmpl with {slot}s filled from bc.  Templates are data, not
 * printf formats, so -Wformat=2 stays quiet and nothing can misformat. */
static void
bench_expand(GString *out, const char *tmpl, const struct bench_case *bc)
{
	for (const char *p = tmpl; *p != '\0'; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;

		if (end == NULL) {
			g_string_append_c(out, *p);
			continue;
		}
		g_string_append(out, bench_slot(bc, p + 1, (size_t)(end - p - 1)));
		p = end;
	}
}

static const struct bench_type *
bench_pick_type(struct bench_rng *r)
{
	unsigned total = 0, x;

	for (size_t i = 0; i < G_N_ELEMENTS(bench_types); i++)
		total += bench_types[i].weight;
	x = (unsigned)bench_below(r, total);
	for (size_t i = 0; i < G_N_ELEMENTS(bench_types); i++) {
		if (x < bench_types[i].weight)
			return &bench_types[i];
		x -= bench_types[i].weight;
	}
	return &bench_types[0];
}

static const char *
bench_pick_priority(struct bench_rng *r)
{
	unsigned x = (unsigned)bench_below(r, 100);

	return x < 10 ? "low" : x < 72 ? "normal" : x < 94 ? "high" : "urgent";
}

static const char *
bench_pick_source(struct bench_rng *r)
{
	unsigned x = (unsigned)bench_below(r, 100);

	return x < 70 ? "email" : x < 90 ? "user" : x < 98 ? "api" : "rule";
}

static void
bench_gen_parties(struct bench *b, struct bench_case *bc)
{
	struct bench_rng *r = &b->rng;
	uint64_t firm = bench_below(r, G_N_ELEMENTS(bench_firms) *
				       G_N_ELEMENTS(bench_firm_kinds));
	const size_t nagents = G_N_ELEMENTS(bench_agents);

	snprintf(bc->firm, sizeof(bc->firm), "%s%s",
		 bench_firms[firm % G_N_ELEMENTS(bench_firms)],
		 bench_firm_kinds[firm / G_N_ELEMENTS(bench_firms)]);
	snprintf(bc->customer, sizeof(bc->customer), "%s@%s.example",
		 BENCH_PICK(r, bench_contacts), bc->firm);
	snprintf(bc->crm_shipper, sizeof(bc->crm_shipper), "S%05llu",
		 (unsigned long long)firm + 10000);
	bc->carrier = BENCH_PICK(r, bench_carriers);
	bc->crm_carrier[0] = '\0';
	if (bench_percent(r, 50))
		snprintf(bc->crm_carrier, sizeof(bc->crm_carrier), "C%04llu",
			 (unsigned long long)bench_below(r, 300) + 1000);
	/* Most cases get a shipper-side owner, fewer a carrier-side one. */
	bc->owner[0] = bench_percent(r, 75)
		? bench_agents[2 * bench_below(r, nagents / 2)] : NULL;
	bc->owner[1] = bench_percent(r, 40)
		? bench_agents[2 * bench_below(r, nagents / 2) + 1] : NULL;
	g_strlcpy(bc->planner, bc->owner[0] != NULL ? bc->owner[0]
						    : bench_agents[0],
		  sizeof(bc->planner));
	bc->planner[strcspn(bc->planner, "@")] = '\0';
}

static void
bench_gen_case(struct bench *b, uint64_t i, struct bench_case *bc)
{
	struct bench_rng *r = &b->rng;
	int64_t step = BENCH_SPAN_SECS / (int64_t)b->args.cases;
	GString *s = g_string_new(NULL);

	memset(bc, 0, sizeof(*bc));
	bc->index = i;
	bc->type = bench_pick_type(r);
	bc->phrase = bc->type->phrase[bench_below(r, 4)];
	bc->city = BENCH_PICK(r, bench_cities);
	bc->kind = strcmp(bc->type->type, "driver-issue") == 0 ||
		   bench_percent(r, 8) ? "driver" : "client";
	bc->priority = bench_pick_priority(r);
	bc->source = bench_pick_source(r);
	bench_gen_parties(b, bc);
	bench_shipment_ref(i, bc->ref, sizeof(bc->ref));
	bench_expand(s, bc->ref[0] != '\0' ? BENCH_PICK(r, bench_subjects_ref)
					   : BENCH_PICK(r, bench_subjects_plain), bc);
	g_strlcpy(bc->subject, s->str, sizeof(bc->subject));
	g_string_free(s, TRUE);
	bc->created = BENCH_EPOCH + (int64_t)i * step +
		      (int64_t)bench_below(r, (uint64_t)(step > 1 ? step : 1));
	if (bench_percent(r, 40))
		bc->follow_up = bc->created + 3600 +
				(int64_t)bench_below(r, 14 * 86400);
}

/* ---- writing ----------------------------------------------------------- */

static int
bench_create(struct bench *b, const struct bench_case *bc, struct cm_error *err)
{
	struct case_ctx ctx = { b->store, b->cfg, NULL, bc->created };
	struct case_fields f = { 0 };
	int64_t id = 0;
	double t0 = bench_clock();
	int rc;

	ctx.actor = strcmp(bc->source, "email") == 0 ? bc->customer
		    : bc->owner[0] != NULL ? bc->owner[0] : bench_agents[0];
	f.subject = bc->subject;
	f.type = bc->type->type;
	f.priority = bc->priority;
	f.kind = bc->kind;
	f.source = bc->source;
	f.shipment = bc->ref[0] != '\0' ? bc->ref : NULL;
	f.crm_shipper = bc->crm_shipper;
	f.crm_carrier = bc->crm_carrier[0] != '\0' ? bc->crm_carrier : NULL;
	f.set_follow_up = bc->follow_up != 0;
	f.follow_up = bc->follow_up;
	rc = case_create(&ctx, &f, &id, err);
	b->w.create_secs += bench_clock() - t0;
	if (rc == 0 && bc->index == 0)
		b->first_id = id;
	if (rc == 0 && id != b->first_id + (int64_t)bc->index)
		rc = cm_error_set(err, CM_EINTERNAL, "case ids are not "
				  "consecutive (got %lld for index %llu)",
				  (long long)id, (unsigned long long)bc->index);
	return rc;
}

static int
bench_assign(struct bench *b, const struct bench_case *bc, int64_t at,
	     struct cm_error *err)
{
	static const char *const sides[2] = { "shipper", "carrier" };
	struct case_ctx ctx = { b->store, b->cfg, bench_agents[0], at };
	int64_t id = b->first_id + (int64_t)bc->index;
	int rc = 0;

	for (int s = 0; rc == 0 && s < 2; s++) {
		double t0 = bench_clock();

		if (bc->owner[s] == NULL)
			continue;
		rc = case_assign(&ctx, id, bc->owner[s], sides[s], NULL, err);
		b->w.assign_secs += bench_clock() - t0;
		b->w.assigns++;
	}
	return rc;
}

/* Quote prev line by line, as mail clients do below a reply. */
static void
bench_quote(GString *out, const char *prev)
{
	g_string_append(out, "\n\n> ");
	for (const char *p = prev; *p != '\0'; p++) {
		g_string_append_c(out, *p);
		if (*p == '\n')
			g_string_append(out, "> ");
	}
}

static void
bench_gen_body(struct bench *b, const struct bench_case *bc,
	       struct store_message *m, const char *prev)
{
	struct bench_rng *r = &b->rng;
	GString *body = g_string_new(BENCH_PICK(r, bench_greetings));
	unsigned n = 2 + (unsigned)bench_below(r, 4);

	g_string_append_c(body, '\n');
	for (unsigned k = 0; k < n; k++) {
		g_string_append_c(body, k == 0 ? '\n' : ' ');
		bench_expand(body, BENCH_PICK(r, bench_sentences), bc);
	}
	if (bench_below(r, BENCH_RARE_EVERY) == 0)
		g_string_append(body, " The forklift reported a " BENCH_RARE_WORD
				" leak at the dock.");
	m->body = g_strdup(body->str);
	g_string_append(body, "\n\nBest regards\n");
	g_string_append(body, m->from.address);
	if (prev != NULL)
		bench_quote(body, prev);
	m->size = (int64_t)body->len + 900;   /* headers of a typical mail */
	m->body_full = g_string_free(body, FALSE);
}

static void
bench_add_address(GPtrArray *list, const char *name, const char *address)
{
	struct store_address *a = g_new0(struct store_address, 1);

	a->name = g_strdup(name);
	a->address = g_strdup(address);
	g_ptr_array_add(list, a);
}

/* Message k of a case: odd ones are the desk's replies. */
static struct store_message *
bench_gen_message(struct bench *b, const struct bench_case *bc, unsigned k,
		  int64_t at, const char *prev)
{
	struct store_message *m = store_message_new();
	int out = k % 2 == 1;
	const char *agent = bc->owner[0] != NULL ? bc->owner[0] : bench_agents[0];

	m->case_id = b->first_id + (int64_t)bc->index;
	m->message_id = g_strdup_printf("<%llu.%u.bench@%s>",
					(unsigned long long)bc->index, k,
					out ? BENCH_ORG : "mail.example");
	m->direction = g_strdup(out ? "out" : "in");
	m->state = STORE_MSG_STORED;
	m->from.address = g_strdup(out ? agent : bc->customer);
	m->subject = k == 0 ? g_strdup(bc->subject)
			    : g_strdup_printf("Re: %s", bc->subject);
	m->date = at - (int64_t)bench_below(&b->rng, 120);
	m->received_at = at;
	bench_add_address(m->to, NULL, out ? bc->customer : BENCH_CASE_ADDRESS);
	if (bench_percent(&b->rng, 30))
		bench_add_address(m->cc, "Dispatch", "dispatch@" BENCH_ORG);
	bench_gen_body(b, bc, m, prev);
	return m;
}

/* The case's mail thread; returns the time of the last message. */
static int
bench_messages(struct bench *b, const struct bench_case *bc, int64_t *last_r,
	       struct cm_error *err)
{
	int64_t at = bc->created + (int64_t)bench_below(&b->rng, 600);
	char *prev = NULL;
	int rc = 0;

	for (unsigned k = 0; rc == 0 && k < b->args.msgs_per_case; k++) {
		struct store_message *m;
		double t0;

		if (k > 0)
			at += 300 + (int64_t)bench_below(&b->rng, 36 * 3600);
		if (at > b->now)
			at = b->now;
		m = bench_gen_message(b, bc, k, at, prev);
		t0 = bench_clock();
		rc = store_message_insert(b->store, m, NULL, err);
		b->w.msg_secs += bench_clock() - t0;
		b->w.msgs++;
		g_free(prev);
		prev = g_strdup(m->body);
		store_message_free(&m);
	}
	g_free(prev);
	*last_r = at;
	return rc;
}

/* Old cases are nearly all solved; a month's worth are mostly open. */
static int
bench_maybe_solve(struct bench *b, const struct bench_case *bc, int64_t last,
		  struct cm_error *err)
{
	int64_t age = b->now - bc->created;
	int64_t at = last + 3600 + (int64_t)bench_below(&b->rng, 5 * 86400);
	struct case_ctx ctx = { b->store, b->cfg, NULL, at };
	double t0;
	int rc;

	if (!bench_percent(&b->rng, age > 30 * 86400 ? 95 : 35) || at > b->now)
		return 0;
	ctx.actor = bc->owner[0] != NULL ? bc->owner[0] : bench_agents[0];
	t0 = bench_clock();
	rc = case_solve(&ctx, b->first_id + (int64_t)bc->index, err);
	b->w.solve_secs += bench_clock() - t0;
	b->w.solves++;
	return rc;
}

static int
bench_one_case(struct bench *b, uint64_t i, struct cm_error *err)
{
	struct bench_case bc;
	int64_t last = 0;
	int rc;

	bench_gen_case(b, i, &bc);
	rc = bench_create(b, &bc, err);
	if (rc == 0)
		rc = bench_assign(b, &bc, bc.created + 60, err);
	if (rc == 0)
		rc = bench_messages(b, &bc, &last, err);
	if (rc == 0)
		rc = bench_maybe_solve(b, &bc, last > bc.created ? last : bc.created,
				       err);
	if (rc != 0)
		cm_error_prefix(err, "case index %llu", (unsigned long long)i);
	return rc;
}

static int
bench_commit(struct bench *b, struct cm_error *err)
{
	double t0 = bench_clock();
	int rc = store_commit(b->store, err);

	b->w.commit_secs += bench_clock() - t0;
	b->w.commits++;
	return rc;
}

static int
bench_fill(struct bench *b)
{
	double t0 = bench_clock();
	int rc = 0;

	for (uint64_t i = 0; rc == 0 && i < b->args.cases; i++) {
		if (i % BENCH_CASES_PER_TX == 0)
			rc = store_begin(b->store, &b->err);
		if (rc == 0)
			rc = bench_one_case(b, i, &b->err);
		if (rc == 0 && (i % BENCH_CASES_PER_TX == BENCH_CASES_PER_TX - 1 ||
				i + 1 == b->args.cases))
			rc = bench_commit(b, &b->err);
	}
	if (rc != 0)
		store_rollback(b->store);
	b->w.wall_secs = bench_clock() - t0;
	return rc;
}

static double
bench_rate(double n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

static void
bench_report_writes(const struct bench *b)
{
	const struct bench_writes *w = &b->w;
	double cases = (double)b->args.cases;

	printf("insert_cases     %8lu cases     %8.2f s  %9.0f cases/s\n",
	       b->args.cases, w->create_secs, bench_rate(cases, w->create_secs));
	printf("insert_assigns   %8lu assigns   %8.2f s  %9.0f assigns/s\n",
	       w->assigns, w->assign_secs,
	       bench_rate((double)w->assigns, w->assign_secs));
	printf("insert_messages  %8lu messages  %8.2f s  %9.0f messages/s\n",
	       w->msgs, w->msg_secs, bench_rate((double)w->msgs, w->msg_secs));
	printf("insert_solves    %8lu solves    %8.2f s  %9.0f solves/s\n",
	       w->solves, w->solve_secs,
	       bench_rate((double)w->solves, w->solve_secs));
	printf("insert_commits   %8lu commits   %8.2f s  %9.2f ms/commit\n",
	       w->commits, w->commit_secs,
	       w->commits > 0 ? w->commit_secs * 1e3 / (double)w->commits : 0);
	printf("insert_total     %8lu cases     %8.2f s  %9.0f cases/s  "
	       "%.0f messages/s  (wall, with data generation)\n",
	       b->args.cases, w->wall_secs, bench_rate(cases, w->wall_secs),
	       bench_rate((double)w->msgs, w->wall_secs));
}

/* ---- queries ----------------------------------------------------------- */

/* One timed operation; *rows_r is what it returned (cases, messages). */
typedef int (*bench_op_cb)(struct bench *b, size_t *rows_r,
			   struct cm_error *err);

static uint64_t
bench_random_index(struct bench *b)
{
	return bench_below(&b->qrng, b->args.cases);
}

/* Run a filter; with load, fetch each case as casectl list prints it. */
static int
bench_list(struct bench *b, const struct store_filter *f, int load,
	   size_t *rows_r, struct cm_error *err)
{
	GArray *ids = NULL;
	int rc = store_case_list(b->store, f, &ids, err);

	for (guint i = 0; rc == 0 && load && i < ids->len; i++) {
		struct store_case *c = NULL;

		rc = store_case_get(b->store, g_array_index(ids, int64_t, i),
				    &c, err);
		store_case_free(&c);
	}
	*rows_r = ids != NULL ? ids->len : 0;
	if (ids != NULL)
		g_array_unref(ids);
	return rc;
}

static void
bench_page_filter(struct bench *b, struct store_filter *f, enum store_view v)
{
	store_filter_init(f, b->now);
	f->view = v;
	f->limit = BENCH_PAGE;
}

static int
op_list_active(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	struct store_filter f;

	bench_page_filter(b, &f, STORE_VIEW_ACTIVE);
	return bench_list(b, &f, 0, rows_r, err);
}

static int
op_list_active_page(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	struct store_filter f;

	bench_page_filter(b, &f, STORE_VIEW_ACTIVE);
	return bench_list(b, &f, 1, rows_r, err);
}

static int
op_list_mine(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	struct store_filter f;

	bench_page_filter(b, &f, STORE_VIEW_MINE);
	f.as = BENCH_PICK(&b->qrng, bench_agents);
	return bench_list(b, &f, 0, rows_r, err);
}

static int
op_list_overdue(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	struct store_filter f;

	bench_page_filter(b, &f, STORE_VIEW_OVERDUE);
	return bench_list(b, &f, 0, rows_r, err);
}

/* casectl search: view all, the words, a page of results. */
static int
bench_search(struct bench *b, const char *text, size_t *rows_r,
	     struct cm_error *err)
{
	struct store_filter f;

	bench_page_filter(b, &f, STORE_VIEW_ALL);
	f.text = text;
	return bench_list(b, &f, 0, rows_r, err);
}

static int
op_search_word(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	static const char *const words[] = { "pallet", "invoice", "customs",
					     "redelivery", "seal" };

	return bench_search(b, BENCH_PICK(&b->qrng, words), rows_r, err);
}

/* Typed without accents: the FTS tokenizer folds "Kraków" to "krakow". */
static int
op_search_city(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	static const char *const cities[] = { "krakow", "zurich", "malaga",
					      "poznan", "munchen" };

	return bench_search(b, BENCH_PICK(&b->qrng, cities), rows_r, err);
}

static int
op_search_rare(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	return bench_search(b, BENCH_RARE_WORD, rows_r, err);
}

/* A reference picked among cases that have one. */
static void
bench_some_ref(struct bench *b, char *ref, size_t size)
{
	do
		bench_shipment_ref(bench_random_index(b), ref, size);
	while (ref[0] == '\0');
}

static int
op_search_ref(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	char ref[40];

	bench_some_ref(b, ref, sizeof(ref));
	return bench_search(b, ref, rows_r, err);
}

/* casectl list --shipment REF: the exact-match filter, not FTS. */
static int
op_filter_ref(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	struct store_filter f;
	char ref[40];

	bench_some_ref(b, ref, sizeof(ref));
	bench_page_filter(b, &f, STORE_VIEW_ALL);
	f.shipment = ref;
	return bench_list(b, &f, 0, rows_r, err);
}

/* casectl show + history: the case, its messages and its events. */
static int
op_show_case(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	int64_t id = b->first_id + (int64_t)bench_random_index(b);
	struct store_case *c = NULL;
	GPtrArray *msgs = NULL, *events = NULL;
	int rc = store_case_get(b->store, id, &c, err);

	if (rc == 0)
		rc = store_messages_get(b->store, id, &msgs, err);
	if (rc == 0)
		rc = store_events_get(b->store, id, &events, err);
	*rows_r = (msgs != NULL ? msgs->len : 0) +
		  (events != NULL ? events->len : 0);
	if (msgs != NULL)
		g_ptr_array_unref(msgs);
	if (events != NULL)
		g_ptr_array_unref(events);
	store_case_free(&c);
	return rc;
}

/* An agent types "cv1234": parse the number, load the case. */
static int
op_case_number(struct bench *b, size_t *rows_r, struct cm_error *err)
{
	char num[CASENUM_BUF_SIZE];
	struct store_case *c = NULL;
	int64_t id = 0;
	int rc;

	snprintf(num, sizeof(num), "cv%lld",
		 (long long)(b->first_id + (int64_t)bench_random_index(b)));
	rc = case_parse_number(b->cfg, num, &id, err);
	if (rc == 0)
		rc = store_case_get(b->store, id, &c, err);
	*rows_r = c != NULL;
	store_case_free(&c);
	return rc;
}

static const struct {
	const char *name;
	bench_op_cb fn;
} bench_ops[] = {
	{ "list_active", op_list_active },
	{ "list_active_page", op_list_active_page },
	{ "list_mine", op_list_mine },
	{ "list_overdue", op_list_overdue },
	{ "search_word", op_search_word },
	{ "search_city", op_search_city },
	{ "search_rare_word", op_search_rare },
	{ "search_shipment", op_search_ref },
	{ "filter_shipment", op_filter_ref },
	{ "show_case", op_show_case },
	{ "case_number", op_case_number },
};

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, nearest-rank p95 and mean of n latencies (sorts lat). */
static void
bench_report_op(const char *name, double *lat, unsigned n, double rows)
{
	double sum = 0, median;

	qsort(lat, n, sizeof(*lat), bench_cmp_double);
	for (unsigned i = 0; i < n; i++)
		sum += lat[i];
	median = n % 2 ? lat[n / 2] : (lat[n / 2 - 1] + lat[n / 2]) / 2;
	printf("%-16s %8u runs      median %8.3f ms  p95 %8.3f ms  "
	       "mean %8.3f ms  %7.1f rows/run\n", name, n, median * 1e3,
	       lat[(n * 95 + 99) / 100 - 1] * 1e3, sum / n * 1e3, rows / n);
}

static int
bench_run_op(struct bench *b, const char *name, bench_op_cb fn)
{
	double *lat = g_new(double, BENCH_QUERY_MAX_RUNS);
	double start, rows = 0;
	unsigned n = 0;
	size_t got = 0;
	/* One untimed run first: prepares statements, warms the cache. */
	int rc = fn(b, &got, &b->err);

	start = bench_clock();
	while (rc == 0 && n < BENCH_QUERY_MAX_RUNS &&
	       (n < BENCH_QUERY_MIN_RUNS ||
		bench_clock() - start < BENCH_QUERY_MIN_SECS)) {
		double t0 = bench_clock();

		rc = fn(b, &got, &b->err);
		lat[n++] = bench_clock() - t0;
		rows += (double)got;
	}
	if (rc == 0)
		bench_report_op(name, lat, n, rows);
	else
		cm_error_prefix(&b->err, "%s", name);
	g_free(lat);
	return rc;
}

static int
bench_queries(struct bench *b)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(bench_ops); i++)
		rc = bench_run_op(b, bench_ops[i].name, bench_ops[i].fn);
	return rc;
}

/* ---- size and memory --------------------------------------------------- */

static long long
bench_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* After store_close(): the WAL has been checkpointed into the file. */
static void
bench_report_size(const struct bench *b)
{
	char *wal = g_strconcat(b->db_path, "-wal", NULL);
	long long db = bench_file_size(b->db_path);
	long long w = bench_file_size(wal);

	printf("db_size          %8.1f MiB     %lld bytes  %.0f bytes/case\n",
	       (double)db / 1048576.0, db,
	       (double)db / (double)b->args.cases);
	if (w > 0)
		printf("wal_size         %8.1f MiB     %lld bytes\n",
		       (double)w / 1048576.0, w);
	g_free(wal);
}

static void
bench_report_rss(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		log_warn("getrusage");
		return;
	}
	/* Linux reports ru_maxrss in KiB. */
	printf("peak_rss         %8.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
}

/* ---- set-up and tear-down ---------------------------------------------- */

static int
bench_setup(struct bench *b)
{
	struct store_options opt = { 5000, NULL };
	char *tmpl = g_build_filename(b->args.parent_dir, "bench_store-XXXXXX",
				      NULL);
	char *conf = NULL;
	int rc;

	b->rng.state = BENCH_SEED;
	b->qrng.state = BENCH_SEED ^ 0xa5a5a5a5ULL;
	b->now = BENCH_EPOCH + BENCH_SPAN_SECS + 86400;
	b->dir = g_mkdtemp_full(tmpl, 0700);
	if (b->dir == NULL) {
		rc = cm_error_set(&b->err, CM_ESTORE, "mkdtemp %s: %s", tmpl,
				  g_strerror(errno));
		g_free(tmpl);
		return rc;
	}
	conf = g_build_filename(b->dir, "casemail.conf", NULL);
	if (!g_file_set_contents(conf, "[case]\naddress = " BENCH_CASE_ADDRESS
				 "\norganization_domains = " BENCH_ORG "\n"
				 "[store]\ndatabase = casemail.db\n", -1, NULL))
		rc = cm_error_set(&b->err, CM_ESTORE, "cannot write %s", conf);
	else
		rc = config_load(conf, &b->cfg, &b->err);
	if (rc == 0) {
		opt.cfg = b->cfg;
		b->db_path = g_strdup(b->cfg->store_database);
		rc = store_open(b->db_path, &opt, &b->store, &b->err);
	}
	g_free(conf);
	return rc;
}

/* Remove the temp dir and what we put in it (nothing else). */
static void
bench_cleanup(struct bench *b)
{
	static const char *const names[] = {
		"casemail.db", "casemail.db-wal", "casemail.db-shm",
		"casemail.db-journal", "casemail.conf",
	};

	if (b->dir != NULL && b->args.keep) {
		printf("# kept %s\n", b->dir);
	} else if (b->dir != NULL) {
		for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
			char *p = g_build_filename(b->dir, names[i], NULL);

			g_remove(p);
			g_free(p);
		}
		if (g_rmdir(b->dir) != 0)
			log_warn("cannot remove %s", b->dir);
	}
	config_free(&b->cfg);
	g_free(b->db_path);
	g_free(b->dir);
}

static void
bench_usage(FILE *f)
{
	fprintf(f, "usage: bench_store [-n CASES] [-m MSGS_PER_CASE] [-d DIR] "
		"[-k]\n"
		"  -n CASES   cases to create (default %d, at most %d)\n"
		"  -m MSGS    messages per case (default %d, at most %d)\n"
		"  -d DIR     make the temporary store under DIR (default "
		"$TMPDIR or /tmp)\n"
		"  -k         keep the store instead of removing it\n",
		BENCH_DEFAULT_CASES, BENCH_MAX_CASES, BENCH_DEFAULT_MSGS,
		BENCH_MAX_MSGS);
}

static int
bench_number(const char *arg, unsigned long min, unsigned long max,
	     unsigned long *v_r)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    v < min || v > max) {
		fprintf(stderr, "bench_store: '%s' is not a number from %lu "
			"to %lu\n", arg, min, max);
		return -1;
	}
	*v_r = v;
	return 0;
}

/* 0: run; 1: help printed; -1: usage error. */
static int
bench_args(int argc, char **argv, struct bench_args *a)
{
	unsigned long v;
	int opt;

	a->cases = BENCH_DEFAULT_CASES;
	a->msgs_per_case = BENCH_DEFAULT_MSGS;
	a->parent_dir = g_get_tmp_dir();
	while ((opt = getopt(argc, argv, "n:m:d:kh")) != -1) {
		switch (opt) {
		case 'n':
			if (bench_number(optarg, 1, BENCH_MAX_CASES, &a->cases))
				return -1;
			break;
		case 'm':
			if (bench_number(optarg, 0, BENCH_MAX_MSGS, &v))
				return -1;
			a->msgs_per_case = (unsigned)v;
			break;
		case 'd': a->parent_dir = optarg; break;
		case 'k': a->keep = 1; break;
		case 'h': bench_usage(stdout); return 1;
		default: bench_usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		bench_usage(stderr);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench b;
	int rc;

	memset(&b, 0, sizeof(b));
	log_init("bench_store");
	if ((rc = bench_args(argc, argv, &b.args)) != 0)
		return rc > 0 ? 0 : 2;
	rc = bench_setup(&b);
	if (rc == 0) {
		printf("# bench_store: %lu cases x %u messages, %d cases per "
		       "transaction, sqlite %s, store %s\n", b.args.cases,
		       b.args.msgs_per_case, BENCH_CASES_PER_TX,
		       sqlite3_libversion(), b.db_path);
		fflush(stdout);
		rc = bench_fill(&b);
	}
	if (rc == 0) {
		bench_report_writes(&b);
		fflush(stdout);
		rc = bench_queries(&b);
	}
	store_close(&b.store);
	if (rc == 0) {
		bench_report_size(&b);
		bench_report_rss();
	} else {
		fprintf(stderr, "bench_store: %s\n", b.err.msg);
	}
	bench_cleanup(&b);
	return rc == 0 ? 0 : 1;
}
