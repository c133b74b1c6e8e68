# Fail closed (issue 14): no mistake in the input ends in exit 0. Uses meshsim_cli_test() and
# the paths of tests/scenarios/cli_tests.cmake.

# The corpus: every file of tests/bad-input/ (and the older tests/scenarios/bad/) must exit 2
# within 10 s with the message of its "# expect:" lines and a file:line (run_corpus.sh).
add_test(NAME cli.bad_input_corpus
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bad-input/run_corpus.sh $<TARGET_FILE:meshsim>
                 ${CMAKE_CURRENT_SOURCE_DIR}/bad-input ${bad})
set_tests_properties(cli.bad_input_corpus PROPERTIES LABELS "cli" TIMEOUT 900
                     PASS_REGULAR_EXPRESSION "[0-9]+ files, 0 failed")

# A folder: a scenario that does not parse is an error in every format (exit 2) and the others
# still run; manifests next to them are skipped, and the text report says so.
set(broken_folder ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/folder-with-broken)
meshsim_cli_test(run_folder_broken_file 2
  "error: [^\n]*broken.yaml:7:1: malformed YAML.*skipped [^\n]*manifests.yaml: not a scenario \\(kind: Service\\).*PASS  good.*exit 2"
  run ${broken_folder})
meshsim_cli_test(run_folder_broken_file_junit 2
  "<error message=\"[^\"]*broken.yaml:7:1: malformed YAML.*<testsuite name=\"good\".*exit 2"
  run --output junit ${broken_folder})

# Kinds that are not modelled: refused; with --allow-unmodelled left out with a warning in the
# text, JSON and JUnit reports, also when the run then fails.
set(authz ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/unmodelled-authz.yaml)
meshsim_cli_test(unmodelled_kind_refused 2
  "unmodelled-authz.yaml:13:11: kind: AuthorizationPolicy is not modelled yet; --allow-unmodelled to run without it.*exit 2"
  run ${authz})
meshsim_cli_test(unmodelled_kind_allowed_text 0
  "warning: [^\n]*unmodelled-authz.yaml:12:5: AuthorizationPolicy is not modelled yet.*PASS  unmodelled-authz.*exit 0"
  run --allow-unmodelled ${authz})
meshsim_cli_test(unmodelled_kind_allowed_json 0
  "\"warnings\": \\[\"[^\"]*unmodelled-authz.yaml:12:5: AuthorizationPolicy is not modelled yet.*exit 0"
  run --allow-unmodelled --output json ${authz})
meshsim_cli_test(unmodelled_kind_allowed_junit 0
  "<system-err>warning: [^\n]*unmodelled-authz.yaml:12:5: AuthorizationPolicy is not modelled yet.*</testsuite>.*exit 0"
  run --allow-unmodelled --output junit ${authz})
meshsim_cli_test(unmodelled_kind_allowed_run_fails 2
  "warning: [^\n]*AuthorizationPolicy is not modelled yet.*error: [^\n]*no running pod default/nobody-0.*exit 2"
  run --allow-unmodelled ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/unmodelled-authz-run-fails.yaml)
meshsim_cli_test(unmodelled_kind_allowed_run_fails_junit 2
  "<error message=\"[^\"]*no running pod default/nobody-0.*<system-err>warning: [^\n]*AuthorizationPolicy is not modelled yet.*exit 2"
  run --allow-unmodelled --output junit ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/unmodelled-authz-run-fails.yaml)
meshsim_cli_test(unmodelled_kind_explain 0 "warning: [^\n]*AuthorizationPolicy is not modelled yet.*result   200.*exit 0"
  explain --allow-unmodelled -f ${PROJECT_SOURCE_DIR}/fixtures/istio/ingressgateway.yaml
  -f ${PROJECT_SOURCE_DIR}/fixtures/hello -f ${CMAKE_CURRENT_SOURCE_DIR}/bad-input/manifests/authz.yaml
  --url http://hello.com/)
meshsim_cli_test(unmodelled_kind_validate 2 "authz.yaml:3:7: kind: AuthorizationPolicy is not modelled yet.*exit 2"
  validate ${CMAKE_CURRENT_SOURCE_DIR}/bad-input/manifests/authz.yaml)

# An expectation that cannot observe anything is an error in every format, not a pass on 0.
meshsim_cli_test(served_by_nobody_junit 2
  "<error message=\"[^\"]*&quot.helo&quot. selects no pod of this run[^\"]*\" type=\"InvalidExpectation\">.*exit 2"
  run --output junit ${CMAKE_CURRENT_SOURCE_DIR}/bad-input/typo-served-by-deployment.yaml)
meshsim_cli_test(served_by_nobody_json 2
  "\"passed\": false, \"invalid\": true, \"detail\": \"\\\\\"helo\\\\\" selects no pod.*exit 2"
  run --output json ${CMAKE_CURRENT_SOURCE_DIR}/bad-input/typo-served-by-deployment.yaml)

# A route timeout that never fired does not stretch the virtual time (time() is the real end).
meshsim_cli_test(timeout_not_fired 0
  "\"passed\": true, \"virtualTimeMs\": 0,.*time\\(\\) < 1.*saw 0.*exit 0"
  run --output json ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/timeout-not-fired.yaml)

# What real tools print loads and runs: kubectl's List export and Helm's rendered chart.
meshsim_cli_test(kubectl_list_and_helm 0 "PASS  exported-manifests.*exit 0"
  run ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/exported-manifests.yaml)
