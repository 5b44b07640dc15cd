/* test_casenum.c - parsing and formatting case numbers. */
#include "testutil.h"

#include <string.h>

#include "casemail/casenum.h"

static void
test_parse_forms(void **state)
{
	int64_t seq = 0;

	(void)state;
	assert_int_equal(casenum_parse("CV", "CV000123", &seq, NULL), 0);
	assert_int_equal(seq, 123);
	assert_int_equal(casenum_parse("CV", "CV123", &seq, NULL), 0);
	assert_int_equal(seq, 123);
	assert_int_equal(casenum_parse("CV", "cv000123", &seq, NULL), 0);
	assert_int_equal(seq, 123);
	assert_int_equal(casenum_parse("CV", "Cv1", &seq, NULL), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(casenum_parse("CV", "CV999999999999999", &seq, NULL), 0);
	assert_int_equal(seq, 999999999999999LL);
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "CV", "CV0", "CV000000", "C123", "XX123", "CV12a", "CV-1",
		"CV 12", " CV12", "CV12 ", "CV1234567890123456", "123", "CV+1",
		"CV\n1", "CV１２",
	};
	struct cm_error err;
	int64_t seq = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cm_error_clear(&err);
		assert_int_equal(casenum_parse("CV", bad[i], &seq, &err),
				 CM_EUSAGE);
		assert_non_null(strstr(err.msg, "not a case number"));
	}
	assert_int_equal(seq, 42);
	assert_int_equal(casenum_parse("CV", NULL, &seq, NULL), CM_EUSAGE);
}

static void
test_other_prefix(void **state)
{
	int64_t seq;

	(void)state;
	assert_int_equal(casenum_parse("TKT", "tkt7", &seq, NULL), 0);
	assert_int_equal(seq, 7);
	assert_int_equal(casenum_parse("TKT", "CV7", &seq, NULL), CM_EUSAGE);
}

static void
test_format(void **state)
{
	char buf[CASENUM_BUF_SIZE];

	(void)state;
	casenum_format("CV", 6, 123, buf, sizeof(buf));
	assert_string_equal(buf, "CV000123");
	casenum_format("CV", 6, 1234567, buf, sizeof(buf));
	assert_string_equal(buf, "CV1234567");
	casenum_format("TKT", 3, 5, buf, sizeof(buf));
	assert_string_equal(buf, "TKT005");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_other_prefix),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
