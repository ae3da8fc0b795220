/* A test that cannot run because a tool is missing says so: under CI=true
 * that is a failure (CI installs everything), otherwise it prints a line
 * starting "SKIP:" (tests/run-all counts them) instead of passing quietly. */
#ifndef RF_TEST_SKIP_H
#define RF_TEST_SKIP_H

/* 1 when the executable `path` is missing (then the test returns at once;
 * under CI=true the test has already failed), 0 when it is there. */
int rf_test_need_tool(const char *path);

#endif
