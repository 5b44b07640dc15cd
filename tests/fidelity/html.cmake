# HTML to text (html2text) on every text/html part of the corpus: time
# and size bounds and the layout promises (test_fid_html.c).  The
# corpus's bound is one second; sanitizer builds run 10-50x slower.
add_executable(test_fid_html ${CMAKE_CURRENT_LIST_DIR}/test_fid_html.c)
target_compile_options(test_fid_html PRIVATE ${CASEMAIL_WARNINGS})
target_link_libraries(test_fid_html PRIVATE casemail)
if(CASEMAIL_SANITIZE OR CASEMAIL_FUZZ)
  set(CASEMAIL_FID_HTML_SECS 20)
else()
  set(CASEMAIL_FID_HTML_SECS 1)
endif()
add_test(NAME fidelity_html
  COMMAND test_fid_html ${CASEMAIL_CORPUS} ${CASEMAIL_FID_HTML_SECS})
set_tests_properties(fidelity_html PROPERTIES SKIP_RETURN_CODE 77
  LABELS fidelity)
