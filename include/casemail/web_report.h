/*
 * web_report.h - casemail-web's reports page: the desk in numbers
 * (report.h) as HTML with charts drawn on the server as SVG, so the page
 * needs no JavaScript.
 */
#ifndef CASEMAIL_WEB_REPORT_H
#define CASEMAIL_WEB_REPORT_H

#include <glib.h>

#include "casemail/error.h"
#include "casemail/web_api.h"

/*
 * Append the reports page's content to html_out: a form for the period
 * and the grouping, the summary (times to first response and to solve,
 * median and 90th percentile, share within target), a table per group,
 * and SVG charts of the load per owner, the cases by type, source and
 * side, and the backlog by age over time.  query (NULL: none) is the
 * request's: period=7d|30d|90d|month|Nd (default 30d) and
 * by=all|owner|type|source|side|priority.  Every value is escaped.
 * Returns 0, CM_EUSAGE for a bad query (nothing appended), or the store's
 * codes.
 */
int web_report_page(const struct web_api_env *env, const char *query,
		    GString *html_out, struct cm_error *err);

#endif
