# meshsim conformance: the shipped suite, its report against the schema, the feature list, and
# the small suites under tests/conformance/ for failures, skips and bad input.
set(conf ${CMAKE_CURRENT_SOURCE_DIR}/conformance)
set(conf_out ${CMAKE_CURRENT_BINARY_DIR}/conformance)
file(MAKE_DIRECTORY ${conf_out})

# The shipped suite passes; its JSON report validates against the schema and counts every
# scenario file of the suite once. (The suite is the source tree's, found from the build tree.)
add_test(NAME cli.conformance_suite_report
         COMMAND sh -c "\"$0\" conformance --date 2026-01-01 --report-output \"$1/report.json\" -o text > \"$1/suite.txt\"; code=$?; tail -6 \"$1/suite.txt\"; echo \"exit $code\"; [ $code -eq 0 ] && python3 \"$2/check_report.py\" \"$2/conformance-report.schema.json\" \"$1/report.json\" \"$3\""
                 $<TARGET_FILE:meshsim> ${conf_out} ${conf} ${PROJECT_SOURCE_DIR}/scenarios/conformance)
set_tests_properties(cli.conformance_suite_report PROPERTIES LABELS "cli;conformance"
  PASS_REGULAR_EXPRESSION "PASS  conformance: [0-9]+ passed, 0 failed, 0 skipped.*exit 0.*validates against the schema.*counts match the suite: [0-9]+ tests")
# The validator can fail: a report with a failed test validates but must count that failure; a
# report missing a field or with an unknown result is rejected.
add_test(NAME cli.conformance_small_suite_report
         COMMAND sh -c "\"$0\" conformance --suite \"$3\" --date 2026-01-01 -o json > \"$1/small.json\"; code=$?; echo \"exit $code\"; [ $code -eq 1 ] && python3 \"$2/check_report.py\" \"$2/conformance-report.schema.json\" \"$1/small.json\" \"$3\" --expect-failed 1"
                 $<TARGET_FILE:meshsim> ${conf_out} ${conf} ${conf}/small-suite)
set_tests_properties(cli.conformance_small_suite_report PROPERTIES LABELS "cli;conformance"
  PASS_REGULAR_EXPRESSION "exit 1.*validates against the schema.*counts match the suite: 3 tests \\(2 passed, 1 failed, 0 skipped\\)")
add_test(NAME cli.conformance_schema_rejects
         COMMAND python3 ${conf}/check_report.py --reject ${conf}/conformance-report.schema.json
                 ${conf}/nonconforming-report.json ${conf}/small-suite)
set_tests_properties(cli.conformance_schema_rejects PROPERTIES LABELS "cli;conformance"
  PASS_REGULAR_EXPRESSION "rejected: .*result.*not one of|rejected: .*missing")

meshsim_cli_test(conformance_text 1
  "FAIL  small-failing-extended  \\(ingress-http, extended, routing/failing-extended.yaml\\).*failing-extended.yaml:[0-9]+:7 traffic hello: status 301: saw 200 x 5.*PASS  small-hello-core.*profile ingress-http: 1 passed, 1 failed, 0 skipped.*FAIL  conformance: 2 passed, 1 failed, 0 skipped.*exit 1"
  conformance --suite ${conf}/small-suite)
meshsim_cli_test(conformance_yaml_report 0
  "apiVersion: meshsim.io/v1alpha1.kind: ConformanceReport.*date: \"2026-01-01\".*mode: in-process.*- name: ingress-http.*core:.*result: success.*Passed: 1.*skippedTests:.*- small-failing-extended.*name: telemetry.*exit 0"
  conformance --suite ${conf}/small-suite --skip-tests small-failing-extended --date 2026-01-01
  --report-output /dev/stdout -o text --output-file /dev/null)
meshsim_cli_test(conformance_supported_features 0
  "SKIP  small-telemetry-extended.*needs the unsupported feature Telemetry.istio_requests_total.*PASS  conformance: 1 passed, 0 failed, 2 skipped.*exit 0"
  conformance --suite ${conf}/small-suite --supported-features VirtualService.http.match.uri.prefix
  --skip-tests small-failing-extended)
meshsim_cli_test(conformance_run_test 0 "PASS  small-hello-core.*conformance: 1 passed, 0 failed, 0 skipped.*exit 0"
  conformance --suite ${conf}/small-suite --run-test small-hello-core)
meshsim_cli_test(conformance_profile 0 "PASS  small-telemetry-extended.*conformance: 1 passed, 0 failed, 0 skipped.*exit 0"
  conformance --suite ${conf}/small-suite --profile telemetry)
meshsim_cli_test(conformance_junit 1 "<testsuites name=\"meshsim\" tests=\"4\" failures=\"1\".*exit 1"
  conformance --suite ${conf}/small-suite -o junit)
meshsim_cli_test(conformance_bad_profile 2 "--profile: unknown profile \"grpc\".*exit 2"
  conformance --suite ${conf}/small-suite --profile grpc)
meshsim_cli_test(conformance_bad_test 2 "--run-test: no test \"nope\".*exit 2"
  conformance --suite ${conf}/small-suite --run-test nope)
meshsim_cli_test(conformance_bad_feature_flag 2 "unknown feature \"Nope\".*exit 2"
  conformance --suite ${conf}/small-suite --supported-features Nope)
meshsim_cli_test(conformance_missing_metadata 2
  "no-metadata-suite/hello.yaml:1:1: spec.conformance: a scenario of a conformance suite needs a conformance block.*exit 2"
  conformance --suite ${conf}/no-metadata-suite)
meshsim_cli_test(conformance_unknown_feature 2
  "bad-feature-suite/hello.yaml:12:9: spec.conformance.features\\[1\\]: unknown feature \"VirtualService.http.match.uri.suffix\".*exit 2"
  conformance --suite ${conf}/bad-feature-suite)
# meshsim run checks the block too (it is part of the scenario format), but does not need it.
meshsim_cli_test(run_unknown_feature 2 "hello.yaml:12:9: spec.conformance.features\\[1\\]: unknown feature.*exit 2"
  run ${conf}/bad-feature-suite/hello.yaml)
meshsim_cli_test(conformance_no_suite 2 "nope: no such folder.*exit 2"
  conformance --suite ${conf}/nope)
# Every feature of the table in sim/istio/features.cc has a scenario in the shipped suite; a
# suite that leaves features uncovered makes --list-features exit 1 naming them.
meshsim_cli_test(conformance_list_features 0
  "VirtualService.http.match.uri.prefix  [0-9]+ tests: .*vs-uri-prefix-not-segment-aware.*exit 0"
  conformance --list-features)
meshsim_cli_test(conformance_list_features_uncovered 1
  "Gateway.selector  NO SCENARIO.*Gateway.servers.hosts  1 test: small-hello-core.*some features have no scenario.*exit 1"
  conformance --list-features --suite ${conf}/small-suite)
# The installed binary finds the installed suite (share/meshsim/conformance).
add_test(NAME cli.conformance_installed_suite
         COMMAND ${conf}/installed_suite.sh ${PROJECT_BINARY_DIR})
set_tests_properties(cli.conformance_installed_suite PROPERTIES LABELS "cli;conformance"
  PASS_REGULAR_EXPRESSION "exit 0.*value=\"PREFIX/share/meshsim/conformance/scenarios/conformance/routing/vs-uri-exact.yaml\"")
