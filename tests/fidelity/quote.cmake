# Reply trimming (quote_visible) against the reply_trimmer and
# email_reply_parser corpora; failures we judge to be the other
# convention's choice are listed, with reasons, in DISAGREEMENTS-quote.md.
add_executable(test_fid_quote ${CMAKE_CURRENT_LIST_DIR}/test_fid_quote.c)
target_compile_options(test_fid_quote PRIVATE ${CASEMAIL_WARNINGS})
target_link_libraries(test_fid_quote PRIVATE casemail PkgConfig::JSONGLIB)
add_test(NAME fidelity_quote
  COMMAND test_fid_quote ${CASEMAIL_CORPUS}
          ${CMAKE_CURRENT_LIST_DIR}/DISAGREEMENTS-quote.md)
set_tests_properties(fidelity_quote PROPERTIES SKIP_RETURN_CODE 77
  LABELS fidelity)
