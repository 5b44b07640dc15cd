/*
 * store_schema.c - the schema, as the list of migrations that build it.
 *
 * store_migrate() (store.c) runs the entries a database has not had yet,
 * each in its own transaction, and records the version reached in
 * PRAGMA user_version.
 */
#include "store_private.h"

/*
 * Migrations: entry i takes the schema from version i to i + 1.  Never edit
 * a migration that has shipped; add a new one.
 */
const char *const store_migrations[] = {
	/* 0 -> 1: the case store. */
	"CREATE TABLE people ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT,"
	"  organization TEXT,"
	"  side TEXT CHECK (side IN ('shipper','carrier','internal')),"
	"  bouncing INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	/* AUTOINCREMENT: a case number is never reused, even after a
	 * delete or a rolled-back transaction that had taken the top id. */
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL CHECK (kind IN ('client','driver')),"
	"  type TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active','solved')),"
	"  priority TEXT NOT NULL"
	"    CHECK (priority IN ('low','normal','high','urgent')),"
	"  follow_up INTEGER,"
	"  shipment TEXT,"
	"  crm_shipper TEXT,"
	"  crm_carrier TEXT,"
	"  source TEXT NOT NULL CHECK (source IN ('email','user','api','rule')),"
	"  creator TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  solved_at INTEGER,"
	"  last_message_at INTEGER,"
	"  last_message_from TEXT,"
	"  CHECK ((status = 'solved') = (solved_at IS NOT NULL)));"
	"CREATE INDEX cases_status_updated ON cases(status, updated_at);"
	"CREATE INDEX cases_updated ON cases(updated_at);"
	"CREATE INDEX cases_follow_up ON cases(follow_up) WHERE follow_up IS NOT NULL;"
	"CREATE INDEX cases_shipment ON cases(shipment COLLATE NOCASE)"
	"  WHERE shipment IS NOT NULL;"
	"CREATE INDEX cases_last_message ON cases(last_message_at);"
	"CREATE TABLE case_roles ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  person_id INTEGER NOT NULL REFERENCES people(id),"
	"  role TEXT NOT NULL CHECK (role IN ('owner','watcher','participant')),"
	"  side TEXT CHECK (side IN ('shipper','carrier')),"
	"  subscribed INTEGER NOT NULL DEFAULT 1,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (case_id, person_id, role),"
	"  CHECK ((role = 'owner') = (side IS NOT NULL)));"
	/* At most one owner per side: the database enforces it, not only
	 * the code, so no path can ever store a third owner. */
	"CREATE UNIQUE INDEX case_roles_owner_side ON case_roles(case_id, side)"
	"  WHERE role = 'owner';"
	"CREATE INDEX case_roles_person ON case_roles(person_id, role);"
	"CREATE TABLE blobs ("
	"  sha256 TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  stored_size INTEGER NOT NULL,"
	"  compression TEXT,"
	"  created_at INTEGER NOT NULL,"
	/* Raw messages live here (one durable commit covers them);
	 * attachments are files under [store] attachments (data NULL). */
	"  data BLOB);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES cases(id),"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  direction TEXT NOT NULL CHECK (direction IN ('in','out','internal')),"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('stored','held','rejected','failed','ignored')),"
	"  reason TEXT,"
	"  decision TEXT,"
	"  size INTEGER,"
	"  author_id INTEGER REFERENCES people(id),"
	"  from_name TEXT,"
	"  from_address TEXT,"
	"  subject TEXT,"
	"  date INTEGER,"
	"  received_at INTEGER NOT NULL,"
	"  in_reply_to TEXT,"
	"  refs TEXT,"
	"  body TEXT,"
	"  body_full TEXT,"
	"  raw_sha256 TEXT REFERENCES blobs(sha256),"
	"  mailbox TEXT,"
	"  uidvalidity INTEGER,"
	"  uid INTEGER,"
	"  UNIQUE (mailbox, uidvalidity, uid));"
	"CREATE INDEX messages_case ON messages(case_id, received_at);"
	"CREATE INDEX messages_state ON messages(state) WHERE state <> 'stored';"
	/* Covering the flood check: counted from the index alone. */
	"CREATE INDEX messages_from ON messages(from_address, received_at,"
	"  direction);"
	"CREATE TABLE message_addresses ("
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  field TEXT NOT NULL CHECK (field IN ('to','cc','reply-to')),"
	"  position INTEGER NOT NULL,"
	"  name TEXT,"
	"  address TEXT NOT NULL,"
	"  PRIMARY KEY (message_id, field, position));"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"
	"  filename TEXT,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT REFERENCES blobs(sha256),"
	"  content_id TEXT,"
	"  inline INTEGER NOT NULL DEFAULT 0,"
	"  skipped TEXT,"
	"  UNIQUE (message_id, position));"
	"CREATE INDEX attachments_sha ON attachments(sha256);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT,"
	"  what TEXT NOT NULL,"
	"  old_value TEXT,"
	"  new_value TEXT,"
	"  detail TEXT);"
	"CREATE INDEX events_case ON events(case_id, id);"
	"CREATE TABLE mailbox_state ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL);"
	/* Full-text search: external-content FTS5 tables kept in step by
	 * triggers, so the index commits or rolls back with the data. */
	"CREATE VIRTUAL TABLE cases_fts USING fts5("
	"  subject, shipment, crm_shipper, crm_carrier,"
	"  content='cases', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER cases_fts_ai AFTER INSERT ON cases BEGIN"
	"  INSERT INTO cases_fts(rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES (new.id, new.subject, new.shipment, new.crm_shipper, new.crm_carrier);"
	"END;"
	"CREATE TRIGGER cases_fts_ad AFTER DELETE ON cases BEGIN"
	"  INSERT INTO cases_fts(cases_fts, rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES ('delete', old.id, old.subject, old.shipment, old.crm_shipper, old.crm_carrier);"
	"END;"
	/* UPDATE OF fires whenever the columns are SET, changed or not:
	 * the WHEN keeps every activity bump from rewriting the index. */
	"CREATE TRIGGER cases_fts_au AFTER UPDATE OF subject, shipment, crm_shipper,"
	"  crm_carrier ON cases WHEN old.subject IS NOT new.subject"
	"  OR old.shipment IS NOT new.shipment"
	"  OR old.crm_shipper IS NOT new.crm_shipper"
	"  OR old.crm_carrier IS NOT new.crm_carrier BEGIN"
	"  INSERT INTO cases_fts(cases_fts, rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES ('delete', old.id, old.subject, old.shipment, old.crm_shipper, old.crm_carrier);"
	"  INSERT INTO cases_fts(rowid, subject, shipment, crm_shipper, crm_carrier)"
	"  VALUES (new.id, new.subject, new.shipment, new.crm_shipper, new.crm_carrier);"
	"END;"
	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	"  subject, body_full,"
	"  content='messages', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts(rowid, subject, body_full)"
	"  VALUES (new.id, new.subject, new.body_full);"
	"END;"
	"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  VALUES ('delete', old.id, old.subject, old.body_full);"
	"END;"
	"CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, body_full ON messages"
	"  WHEN old.subject IS NOT new.subject"
	"  OR old.body_full IS NOT new.body_full BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  VALUES ('delete', old.id, old.subject, old.body_full);"
	"  INSERT INTO messages_fts(rowid, subject, body_full)"
	"  VALUES (new.id, new.subject, new.body_full);"
	"END;",

	/* 2: outbound mail. */
	"ALTER TABLE cases ADD COLUMN waiting_on TEXT;"
	/* Key/value settings kept with the data, e.g. the Message-ID key
	 * when no [case] secret_file is configured. */
	"CREATE TABLE settings ("
	"  key TEXT PRIMARY KEY,"
	"  value BLOB NOT NULL);"
	/* One row per outgoing mail: the whole RFC 5322 message, queued in
	 * the transaction of the event that caused it. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER REFERENCES cases(id),"
	"  kind TEXT NOT NULL,"            /* notify|template|reply|ack|confirm */
	"  message_id TEXT NOT NULL,"
	"  env_from TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued','done')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'queued';"
	"CREATE TABLE outbox_rcpts ("
	"  outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','sent','failed')),"
	"  code INTEGER,"
	"  error TEXT,"
	"  updated_at INTEGER,"
	"  PRIMARY KEY (outbox_id, address));"
	/* Every Message-ID we sent, so a reply that quotes it threads. */
	"CREATE TABLE sent_ids ("
	"  message_id TEXT PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  recipient TEXT,"
	"  sent_at INTEGER NOT NULL);"
	/* Token buckets for notification limits. */
	"CREATE TABLE rate_buckets ("
	"  key TEXT PRIMARY KEY,"
	"  tokens REAL NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	/* When a sender last got an acknowledgement. */
	"CREATE TABLE acks ("
	"  address TEXT PRIMARY KEY COLLATE NOCASE,"
	"  sent_at INTEGER NOT NULL);",

	/*
	 * 3: messages are indexed for search when their transaction
	 * commits, not row by row.  FTS5 writes a new index segment at
	 * every savepoint, and ingest opens one per message: indexing at
	 * insert made the index the biggest cost of storing a mail.  The
	 * insert trigger only notes the row; store_commit() indexes the
	 * noted rows in one statement just before COMMIT, so the index
	 * still commits or rolls back with the data.  A row noted but not
	 * yet indexed has nothing to take out of the index when it changes
	 * or goes.
	 */
	"CREATE TABLE messages_fts_pending (id INTEGER PRIMARY KEY);"
	"DROP TRIGGER messages_fts_ai;"
	"DROP TRIGGER messages_fts_ad;"
	"DROP TRIGGER messages_fts_au;"
	"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts_pending(id) VALUES (new.id);"
	"END;"
	"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  SELECT 'delete', old.id, old.subject, old.body_full"
	"  WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending"
	"                    WHERE id = old.id);"
	"  DELETE FROM messages_fts_pending WHERE id = old.id;"
	"END;"
	"CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, body_full ON messages"
	"  WHEN (old.subject IS NOT new.subject"
	"  OR old.body_full IS NOT new.body_full)"
	"  AND NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.id)"
	"  BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, body_full)"
	"  VALUES ('delete', old.id, old.subject, old.body_full);"
	"  INSERT INTO messages_fts(rowid, subject, body_full)"
	"  VALUES (new.id, new.subject, new.body_full);"
	"END;",
	/*
	 * 3 -> 4: who the sender is, and bounces that expire.  A message
	 * records the verdict on its sender that ingest used (verified or
	 * not, and one line saying by what: a trusted server's
	 * Authentication-Results or our own DKIM check), so agents and
	 * casectl trace can see it.  A person marked bouncing records when,
	 * so the mark can clear itself after a set time; the old mark (no
	 * time) counts as set at migration.
	 */
	"ALTER TABLE messages ADD COLUMN sender_verified INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN sender_verdict TEXT;"
	"ALTER TABLE people ADD COLUMN bounced_at INTEGER;"
	"UPDATE people SET bounced_at = strftime('%s', 'now')"
	"  WHERE bouncing = 1;",
	/*
	 * 4 -> 5: faults.  fetch_attempts counts how often a message of the
	 * mailbox was taken into the pipeline without an outcome, so one
	 * that keeps crashing the parser is set aside instead of stopping
	 * the desk.  An outbox row is leased to one sender (who, and until
	 * when) before it is sent, so two senders never send it twice.
	 */
	"CREATE TABLE fetch_attempts ("
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_at INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox, uidvalidity, uid));"
	"ALTER TABLE outbox ADD COLUMN lease_owner TEXT;"
	"ALTER TABLE outbox ADD COLUMN lease_until INTEGER;",
	/*
	 * 5 -> 6 (issue 15): agents as people.
	 * A registered agent has a display name for the mail the desk sends
	 * on their behalf and a signature for the templates.  Once any agent
	 * is registered, casectl --as must name one of them.  A disabled
	 * agent keeps the row (and so the name on old mail) but may no
	 * longer act.
	 */
	"CREATE TABLE agents ("
	"  address TEXT PRIMARY KEY COLLATE NOCASE,"
	"  name TEXT NOT NULL,"
	"  signature TEXT,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);",
	/*
	 * 6 -> 7 (issue 15): the desk's workflows.  A case's contact: the requester
	 * an agent named (a case opened by phone has no inbound mail to
	 * take one from) and the caller's details, recorded once.  The
	 * outside team (an escalation's addressees) is kept apart from the
	 * roles: its people get the escalation sub-thread only, never the
	 * case's notifications, so they must never be participants.  A
	 * message is internal when only the desk may see it (an outside
	 * team's reply).  case_roles is rebuilt (SQLite cannot change a
	 * CHECK in place) so that a desk without sides ([case] sides =
	 * none) stores its one owner as side 'desk'.
	 */
	"CREATE TABLE case_contacts ("
	"  case_id INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,"
	"  requester_address TEXT,"
	"  requester_name TEXT,"
	"  caller_name TEXT,"
	"  caller_company TEXT,"
	"  caller_phone TEXT,"
	"  caller_email TEXT);"
	"CREATE TABLE case_outside ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (case_id, address));"
	"ALTER TABLE messages ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE case_roles_7 ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  person_id INTEGER NOT NULL REFERENCES people(id),"
	"  role TEXT NOT NULL CHECK (role IN ('owner','watcher','participant')),"
	"  side TEXT CHECK (side IN ('shipper','carrier','desk')),"
	"  subscribed INTEGER NOT NULL DEFAULT 1,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (case_id, person_id, role),"
	"  CHECK ((role = 'owner') = (side IS NOT NULL)));"
	"INSERT INTO case_roles_7(case_id, person_id, role, side, subscribed,"
	"  added_at) SELECT case_id, person_id, role, side, subscribed,"
	"  added_at FROM case_roles;"
	"DROP TABLE case_roles;"
	"ALTER TABLE case_roles_7 RENAME TO case_roles;"
	"CREATE UNIQUE INDEX case_roles_owner_side ON case_roles(case_id, side)"
	"  WHERE role = 'owner';"
	"CREATE INDEX case_roles_person ON case_roles(person_id, role);",
	/*
	 * 7 -> 8 (issue 15): one issue, one case, and the
	 * desk's own fields.  A merged case keeps its row as a pointer
	 * (merged_into) so mail tagged with its number threads onto the
	 * case it went into.  case_links: related cases, one row per pair
	 * (lower id first).  case_fields: the values of the custom fields
	 * the configuration declares, as text.  saved_views: a named set
	 * of list filters, as the arguments typed (one per line).
	 */
	"ALTER TABLE cases ADD COLUMN merged_into INTEGER REFERENCES cases(id);"
	"CREATE TABLE case_links ("
	"  a INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  b INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  actor TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (a, b),"
	"  CHECK (a < b));"
	"CREATE INDEX case_links_b ON case_links(b);"
	"CREATE TABLE case_fields ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, name));"
	"CREATE INDEX case_fields_value ON case_fields(name, value COLLATE NOCASE);"
	"CREATE TABLE saved_views ("
	"  name TEXT PRIMARY KEY,"
	"  args TEXT NOT NULL,"
	"  actor TEXT,"
	"  created_at INTEGER NOT NULL);",
	/*
	 * 8 -> 9 (issue 17, web desk and API): an agent's password, as a
	 * libsodium Argon2id string (algorithm, parameters, salt and hash;
	 * NULL: the agent cannot sign in with a password), and the API's
	 * clients: a bearer token per client, kept only as its SHA-256
	 * (hex), acting as one agent; a revoked row stays as the record.
	 */
	"ALTER TABLE agents ADD COLUMN password_hash TEXT;"
	"CREATE TABLE api_clients ("
	"  name TEXT PRIMARY KEY,"
	"  token_hash TEXT NOT NULL UNIQUE,"
	"  agent TEXT NOT NULL COLLATE NOCASE,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER,"
	"  last_used_at INTEGER);",
	/*
	 * 9 -> 10 (issue 17, casemail-web): sign-in sessions.  The cookie
	 * carries a random token; only its SHA-256 is kept (id_hash), so a
	 * copy of the database signs nobody in.  csrf: the token every form
	 * of the session must return.
	 */
	"CREATE TABLE web_sessions ("
	"  id_hash TEXT PRIMARY KEY,"
	"  agent TEXT NOT NULL COLLATE NOCASE,"
	"  csrf TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL);"
	"CREATE INDEX web_sessions_expires ON web_sessions(expires_at);",
	/*
	 * 10 -> 11 (issue 17): service levels.  first_response_at is when
	 * the desk first answered: the first outgoing message stored on the case (an
	 * agent's reply, template or public note), kept by a trigger so
	 * every path that stores one sets it, and filled in for the cases
	 * there are.  The clock's pauses are read from the "waiting" and
	 * "status" events: a partial index finds them without the rest.
	 * sla_warnings remembers each warning mailed (one before a breach,
	 * one at it, per target): written in the transaction that queues
	 * the mail, so a restart never sends one twice.
	 */
	"ALTER TABLE cases ADD COLUMN first_response_at INTEGER;"
	"UPDATE cases SET first_response_at = (SELECT min(m.received_at)"
	"  FROM messages m WHERE m.case_id = cases.id AND m.direction = 'out'"
	"  AND m.state = 'stored');"
	"CREATE TRIGGER cases_first_response AFTER INSERT ON messages"
	"  WHEN new.direction = 'out' AND new.state = 'stored'"
	"  AND new.case_id IS NOT NULL BEGIN"
	"  UPDATE cases SET first_response_at = new.received_at"
	"  WHERE id = new.case_id AND first_response_at IS NULL;"
	"END;"
	"CREATE INDEX cases_created ON cases(created_at);"
	"CREATE INDEX events_sla ON events(case_id, at)"
	"  WHERE what IN ('waiting', 'status');"
	"CREATE TABLE sla_warnings ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
	"  target TEXT NOT NULL"
	"    CHECK (target IN ('first_response','resolution')),"
	"  stage TEXT NOT NULL CHECK (stage IN ('before','at')),"
	"  due_at INTEGER NOT NULL,"
	"  sent_at INTEGER NOT NULL,"
	"  PRIMARY KEY (case_id, target, stage));",
};

G_STATIC_ASSERT(G_N_ELEMENTS(store_migrations) == STORE_SCHEMA_VERSION);
