# The meshsim binary on bad input: exit 2 with file:line naming the problem; on a failed
# expectation: exit 1 with what was expected and seen. Each test checks the output (regex) and,
# through a wrapper, the exit code.
set(bad ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/bad)
set(expect_exit ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/expect_exit.sh)

function(meshsim_cli_test name code regex)
  add_test(NAME cli.${name} COMMAND ${expect_exit} ${code} $<TARGET_FILE:meshsim> ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES LABELS "cli" PASS_REGULAR_EXPRESSION "${regex}")
endfunction()

meshsim_cli_test(unknown_field 2 "unknown-field.yaml:13:7: spec.traffic\\[0\\].cuont: unknown field \"cuont\".*exit 2"
                 run ${bad}/unknown-field.yaml)
meshsim_cli_test(missing_include 2 "missing-include.yaml:8:7: spec.include\\[1\\]: no such file or folder.*exit 2"
                 run ${bad}/missing-include.yaml)
meshsim_cli_test(malformed_yaml 2 "malformed.yaml:[0-9]+:[0-9]+: malformed YAML.*exit 2"
                 run ${bad}/malformed.yaml)
meshsim_cli_test(bad_manifest_line 2 "bad-manifest.yaml:16:24: spec.servers\\[0\\].port.number: Gateway default/gw: expected an integer, got \"eighty\".*exit 2"
                 run ${bad}/bad-manifest.yaml)
meshsim_cli_test(unknown_traffic 2 "unknown-traffic.yaml:10:7: spec.expect\\[0\\].traffic: no traffic stream is named \"helo\".*exit 2"
                 run ${bad}/unknown-traffic.yaml)
meshsim_cli_test(missing_file 2 "cannot read file.*exit 2" run ${bad}/does-not-exist.yaml)
meshsim_cli_test(failed_expectation 1 "FAIL  .*failing.yaml:15:7  traffic hello: status 503.*saw 200 x 20.*exit 1"
                 run ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
meshsim_cli_test(usage 2 "exit 2" run)
meshsim_cli_test(validate_hello 0 "0 problems|no problems found.*exit 0"
                 validate ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(run_folder 0 "PASS  hello-ingress.*PASS  unknown-host.*exit 0"
                 run ${PROJECT_SOURCE_DIR}/scenarios)
meshsim_cli_test(version 0 "meshsim [0-9]+\\.[0-9]+\\.[0-9]+.*exit 0" --version)

# Determinism: the same scenario and seed give a byte-identical JSON report.
add_test(NAME cli.json_report_is_deterministic
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/same_report_twice.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/resilience-tour.yaml)
set_tests_properties(cli.json_report_is_deterministic PROPERTIES LABELS "cli"
                     PASS_REGULAR_EXPRESSION "identical: [0-9]+ bytes")
meshsim_cli_test(junit_report 1
  "<testsuites name=\"meshsim\" tests=\"1\" failures=\"1\">.*<testsuite name=\"failing-on-purpose\".*<testcase classname=\"failing-on-purpose\".*<failure message=\"saw 200 x 20\">.*exit 1"
  run --output junit ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
meshsim_cli_test(json_report 0 "\"scenario\": \"hello-ingress\".*\"passed\": true.*\"servedBy\": \\{\"default/hello-0\": 100\\}.*exit 0"
  run --output json ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(explain_hello 0
  "listener 0.0.0.0_8080.*vhost    hello.com:80.*route .*VirtualService default/frontend-ingress \\(.*virtualservice.yaml:3:1\\).*cluster  outbound\\|80\\|\\|hello.default.svc.cluster.local.*endpoint default/hello-0.*result   200 -, served by pod default/hello-0.*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/istio/ingressgateway.yaml -f ${PROJECT_SOURCE_DIR}/fixtures/hello
  --url http://hello.com/api)
meshsim_cli_test(explain_unknown_host 0 "vhost    none matches \"nope.com\": 404 NR.*result   404 NR.*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/istio/ingressgateway.yaml -f ${PROJECT_SOURCE_DIR}/fixtures/hello
  --url http://nope.com/)
