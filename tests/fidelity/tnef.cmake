# TNEF fidelity: Outlook's winmail.dat unpacked by the full parse
# (src/mail/tnef*.c through mime_parse) against the tnef corpus (MimeKit's
# expectations).  Expectations judged wrong are listed, with reasons, in
# DISAGREEMENTS-tnef.md; the harness reads that file and checks each
# listed row by its own rule.
add_executable(test_fid_tnef ${CMAKE_CURRENT_LIST_DIR}/test_fid_tnef.c)
target_compile_options(test_fid_tnef PRIVATE ${CASEMAIL_WARNINGS})
target_link_libraries(test_fid_tnef PRIVATE casemail PkgConfig::JSONGLIB)
set(FID_TNEF_ARGS ${CASEMAIL_CORPUS}/tnef
  ${CMAKE_CURRENT_LIST_DIR}/DISAGREEMENTS-tnef.md)
add_test(NAME fidelity_tnef COMMAND test_fid_tnef ${FID_TNEF_ARGS})
set_tests_properties(fidelity_tnef PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
  LABELS fidelity)

# Under valgrind: the corpus run and the hostile-input unit test
# (test_tnef, registered in tests/CMakeLists.txt).  VALGRIND comes from
# there too; valgrind and the sanitizers do not mix.
if(VALGRIND AND NOT CASEMAIL_SANITIZE)
  foreach(prog test_fid_tnef test_tnef)
    if(prog STREQUAL "test_fid_tnef")
      set(args ${FID_TNEF_ARGS})
    else()
      set(args "")
    endif()
    add_test(NAME valgrind_${prog}
      COMMAND ${VALGRIND} --error-exitcode=99 --leak-check=full
              --errors-for-leak-kinds=definite,indirect
              --suppressions=${PROJECT_SOURCE_DIR}/tests/valgrind.supp
              $<TARGET_FILE:${prog}> ${args})
    set_tests_properties(valgrind_${prog} PROPERTIES SKIP_RETURN_CODE 77
      TIMEOUT 1800 LABELS valgrind)
  endforeach()
endif()
