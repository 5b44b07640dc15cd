# MIME fidelity: headers, structure and charsets (src/mail/mime*.c) against the
# mailparser_rs and mime4j expectations, and the parse-only checks (no crash,
# < 1 s, < 64 MiB, valid UTF-8, stable) on every message of the corpus.
# Disagreements judged to be the other parser's are listed, with reasons, in
# DISAGREEMENTS-mime.md; the harness reads that file.
add_executable(test_fid_mime
  ${CMAKE_CURRENT_LIST_DIR}/test_fid_mime.c
  ${CMAKE_CURRENT_LIST_DIR}/fid_mime_expect.c)
target_compile_options(test_fid_mime PRIVATE ${CASEMAIL_WARNINGS})
target_link_libraries(test_fid_mime PRIVATE casemail PkgConfig::JSONGLIB)
set(FID_MIME_ARGS ${CASEMAIL_CORPUS}
  ${CMAKE_CURRENT_LIST_DIR}/DISAGREEMENTS-mime.md)
if(CASEMAIL_SANITIZE)
  # Shadow memory and instrumentation: the time and memory bounds do not
  # apply; everything else does.
  add_test(NAME fidelity_mime COMMAND test_fid_mime --no-bounds ${FID_MIME_ARGS})
else()
  add_test(NAME fidelity_mime COMMAND test_fid_mime ${FID_MIME_ARGS})
endif()
set_tests_properties(fidelity_mime PROPERTIES SKIP_RETURN_CODE 77
  LABELS fidelity ENVIRONMENT "TZ=UTC" TIMEOUT 300)

# The same run under valgrind: no invalid access, no leak, on every message.
# VALGRIND comes from tests/CMakeLists.txt.
if(VALGRIND AND NOT CASEMAIL_SANITIZE)
  add_test(NAME valgrind_fidelity_mime
    COMMAND ${VALGRIND} --error-exitcode=99 --leak-check=full
            --errors-for-leak-kinds=definite,indirect
            --suppressions=${PROJECT_SOURCE_DIR}/tests/valgrind.supp
            $<TARGET_FILE:test_fid_mime> --no-bounds ${FID_MIME_ARGS})
  set_tests_properties(valgrind_fidelity_mime PROPERTIES SKIP_RETURN_CODE 77
    LABELS valgrind ENVIRONMENT "TZ=UTC" TIMEOUT 3600)
endif()
