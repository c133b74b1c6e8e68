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
meshsim_cli_test(vs_field_newer_than_version 2 "vs-field-newer-than-version.yaml:22:26: spec.http\\[0\\].redirect.prefixRewrite: VirtualService default/hello: not in Istio 1.30 \\(added in 1.31.*exit 2"
                 run ${bad}/vs-field-newer-than-version.yaml)
meshsim_cli_test(vs_retry_backoff_1_25 2 "vs-retry-backoff-1-25.yaml:21:41: spec.http\\[0\\].retries.backoff: VirtualService default/hello: not in Istio 1.25 \\(added in 1.26.*exit 2"
                 run ${bad}/vs-retry-backoff-1-25.yaml)
meshsim_cli_test(unknown_traffic 2 "unknown-traffic.yaml:10:7: spec.expect\\[0\\].traffic: no traffic stream is named \"helo\".*exit 2"
                 run ${bad}/unknown-traffic.yaml)
meshsim_cli_test(missing_file 2 "cannot read file.*exit 2" run ${bad}/does-not-exist.yaml)
meshsim_cli_test(wrong_type 2 "cli-wrong-type.yaml:12:14: spec.traffic\\[0\\].count: expected an integer, got \"lots\".*exit 2"
                 run ${bad}/cli-wrong-type.yaml)
meshsim_cli_test(bad_duration 2 "cli-bad-duration.yaml:12:14: spec.traffic\\[0\\].start: expected a duration.*got \"5 parsecs\".*exit 2"
                 run ${bad}/cli-bad-duration.yaml)
# An event that cannot happen at its time (no such pod then) stops the run with exit 2.
meshsim_cli_test(event_no_such_pod 2 "cli-event-no-such-pod.yaml:15:7: spec.events\\[0\\].kill: no running pod default/hello-7.*exit 2"
                 run ${bad}/cli-event-no-such-pod.yaml)
meshsim_cli_test(events_tour 0 "events.*at 4s  kill pod default/hello-0.*at 8s  partition ingress.*PASS  events-tour.*exit 0"
                 run ${PROJECT_SOURCE_DIR}/scenarios/events-tour.yaml)
meshsim_cli_test(failed_expectation 1 "FAIL  .*failing.yaml:15:7  traffic hello: status 503.*saw 200 x 20.*exit 1"
                 run ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
meshsim_cli_test(usage 2 "^error: .*paths is required.*exit 2" run)
# Usage errors, CLI11's own included, read "error: ..." and exit 2.
meshsim_cli_test(usage_unknown_flag 2 "^error: The following argument was not expected: --nope.*exit 2"
                 run --nope ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(usage_no_command 2 "^error: A subcommand is required.*exit 2")
# A negative seed is refused, not wrapped round to 2^64-1.
meshsim_cli_test(run_negative_seed 2 "^error: --seed: .*exit 2"
                 run --seed -1 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(metrics_negative_seed 2 "^error: --seed: .*exit 2"
                 metrics --seed -1 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
# Durations read the same everywhere (sim/duration.h): hours and compound forms on the CLI.
meshsim_cli_test(graph_window_hours 0 "\"graphType\": \"workload\".*exit 0"
                 graph ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o json --window 1h30m)
meshsim_cli_test(graph_window_bad 2 "^error: --window: expected a duration like 250ms, 1.5s or 2m, got \"1 hour\".*exit 2"
                 graph ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml --window "1 hour")
# Without fixtures/istio/ingressgateway.yaml a scenario gets Istio's default ingress gateway;
# rate(), the byte histograms and slo: work in its expectations.
meshsim_cli_test(default_gateway_telemetry 0 "PASS  default-gateway-telemetry: 6 of 6 expectations held.*exit 0"
                 run ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/default-gateway-telemetry.yaml)
# explain takes every from: a scenario takes, and the default ingress gateway.
meshsim_cli_test(explain_from_deployment 0 "client   pod default/hello-0.*proxy    .*listener .*result   200 -, served by pod default/hello-0.*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/hello --url http://hello/ --from deployment/hello -n default)
meshsim_cli_test(explain_from_gateway_service 0 "dns      hello.com -> .*result   200 -, served by pod default/hello-0.*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/hello --url http://hello.com/ --from ingress/istio-system/istio-ingressgateway)
# The first hop is what gateway discovery (k8s::findIngress) names: the ingress Service's port 443
# leads to target port 8443 of the gateway pod, where no Gateway opened a listener.
meshsim_cli_test(explain_ingress_port_to_target_port 0 "dns      hello.com -> 192\\.0\\.2\\.10:443 .*proxy    router~10\\.1\\.0\\.[0-9]+~istio-ingressgateway-0\\.istio-system.*listener none on port 8443: the connection is refused.*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/hello --url http://hello.com:443/ --from ingress)
# A sidecar without an outbound listener on the port: its virtual outbound listener passes the
# connection through (ALLOW_ANY) or closes it (a Sidecar's REGISTRY_ONLY).
meshsim_cli_test(explain_sidecar_passthrough 0 "listener none on port 8081: the virtual outbound listener passes the connection through to 10\\.96\\.[0-9.]+:8081 \\(PassthroughCluster.*result   no response \\(connection failure\\).*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/hello --url http://hello:8081/ --from deployment/hello -n default)
meshsim_cli_test(explain_sidecar_registry_only 0 "listener none on port 8081: the virtual outbound listener closes the connection \\(BlackHoleCluster, outboundTrafficPolicy REGISTRY_ONLY\\).*result   no response \\(connection termination\\).*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/hello -f ${CMAKE_CURRENT_SOURCE_DIR}/data/explain/sidecar-registry-only.yaml --url http://hello:8081/ --from deployment/hello -n default)
meshsim_cli_test(explain_bad_from 2 "^error: --from: expected ingress, ingress/NAMESPACE/SERVICE, pod/NAME or deployment/NAME, got \"hello\".*exit 2"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/hello --url http://hello/ --from hello)
meshsim_cli_test(explain_no_deployment 2 "^error: --from: no deployment default/nope.*exit 2"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/hello --url http://hello/ --from deployment/nope)
meshsim_cli_test(validate_hello 0 "no validation issues found in 1 path.*exit 0"
                 validate ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)

# meshsim validate as istioctl analyze: every path in one world (the gateway's pod in one file,
# the Gateway selecting it in another: no false "selector not found"), istioctl's codes, levels
# and wording, exit 1 at or above --failure-threshold (default Error), -o json|yaml.
set(analyze_data ${CMAKE_CURRENT_SOURCE_DIR}/data/analyze)
set(hello_fixture ${PROJECT_SOURCE_DIR}/fixtures/hello)
meshsim_cli_test(validate_one_world 0 "no validation issues found in 2 paths \\(2 pods, 2 services, 2 proxies\\).*exit 0"
                 validate ${PROJECT_SOURCE_DIR}/fixtures/istio/ingressgateway.yaml ${hello_fixture})
meshsim_cli_test(validate_default_gateway 0 "no validation issues found in 1 path \\(2 pods.*exit 0"
                 validate -f ${hello_fixture})
set_tests_properties(cli.validate_one_world cli.validate_default_gateway PROPERTIES
                     FAIL_REGULAR_EXPRESSION "IST0101")
meshsim_cli_test(validate_error_fails 1
  "Error \\[IST0101\\] \\(VirtualService default/lost [^ ]*ist0101-gateway-not-found.yaml:3\\) Referenced gateway not found: \"nope\".*found 1 error, 1 warning, 0 infos.*exit 1"
  validate ${hello_fixture} ${analyze_data}/ist0101-gateway-not-found.yaml)
meshsim_cli_test(validate_sidecars_without_selector 1
  "Error \\[IST0111\\] \\(Sidecar default/first [^ ]*ist0111-sidecars.yaml:2\\) The Sidecars \\[first second\\] in namespace \"default\" have no workload selector.*Error \\[IST0111\\] \\(Sidecar default/second.*exit 1"
  validate ${hello_fixture} ${analyze_data}/ist0111-sidecars.yaml)
meshsim_cli_test(validate_warning_passes 0 "Warning \\[IST0104\\] \\(Gateway default/odd-port .*port 8081\\).*exit 0"
  validate ${hello_fixture} ${analyze_data}/ist0104-gateway-port.yaml)
meshsim_cli_test(validate_threshold_warning 1 "Warning \\[IST0104\\].*at or above --failure-threshold Warning.*exit 1"
  validate --failure-threshold Warning ${hello_fixture} ${analyze_data}/ist0104-gateway-port.yaml)
meshsim_cli_test(validate_threshold_info 1 "Info \\[IST0118\\] \\(Service default/legacy .*\\) Port name web \\(port: 8000, targetPort: 9000\\).*exit 1"
  validate --failure-threshold info ${hello_fixture} ${analyze_data}/ist0118-port-name.yaml)
meshsim_cli_test(validate_output_threshold 0 "found 0 errors, 2 warnings, 2 infos.*exit 0"
  validate --output-threshold Error ${hello_fixture} ${analyze_data}/ist0130-ist0131-rules.yaml)
set_tests_properties(cli.validate_output_threshold PROPERTIES FAIL_REGULAR_EXPRESSION "IST013")
meshsim_cli_test(validate_json 1
  "^\\[\n\t\\{\n\t\t\"code\": \"IST0145\",\n\t\t\"documentationUrl\": \"https://istio.io/latest/docs/reference/config/analysis/ist0145/\",\n\t\t\"level\": \"Error\",\n\t\t\"message\": \"Conflict with gateways default/hello-gateway .*\"origin\": \"Gateway default/everything\",\n\t\t\"reference\": \"[^\"]*ist0145-conflicting-gateways.yaml:11\"\n\t\\},.*exit 1"
  validate -o json ${analyze_data}/ist0145-conflicting-gateways.yaml ${hello_fixture})
meshsim_cli_test(validate_yaml 0 "- code: \"IST0132\"\n  documentationUrl: .*\n  level: \"Warning\"\n  message: \"one or more host \\[other.com\\].*origin: \"VirtualService default/elsewhere\".*exit 0"
  validate -o yaml ${hello_fixture} ${analyze_data}/ist0132-host-not-in-gateway.yaml)
meshsim_cli_test(validate_bad_threshold 2 "^error: --failure-threshold: .*exit 2"
  validate --failure-threshold Fatal ${hello_fixture})
meshsim_cli_test(validate_missing_path 2 "^error: [^ ]*nope.yaml: no such file or folder.*exit 2"
  validate ${hello_fixture} ${analyze_data}/nope.yaml)
foreach(case IN ITEMS "IST0109:ist0109-mesh-hosts" "IST0130:ist0130-ist0131-rules"
                      "IST0131:ist0130-ist0131-rules" "IST0132:ist0132-host-not-in-gateway")
  string(REPLACE ":" ";" parts "${case}")
  list(GET parts 0 code)
  list(GET parts 1 file)
  meshsim_cli_test(validate_${code} 1 "\\[${code}\\] .*exit 1"
                   validate --failure-threshold Info ${hello_fixture} ${analyze_data}/${file}.yaml)
endforeach()
# Every example and conformance scenario, without the known bugs (which exit 1 by design).
meshsim_cli_test(run_folder 0 "PASS  hello-ingress.*PASS  unknown-host.*exit 0"
                 run ${PROJECT_SOURCE_DIR}/scenarios --exclude "*/known-bugs/*")
meshsim_cli_test(help 0 "Subcommands:.*run .*serve .*exit 0" help)
meshsim_cli_test(help_command 0 "meshsim graph \\[OPTIONS\\] scenario.*exit 0" help graph)
meshsim_cli_test(help_unknown 2 "no command nope.*exit 2" help nope)
meshsim_cli_test(version 0 "meshsim [0-9]+\\.[0-9]+\\.[0-9]+.*exit 0" --version)

# Determinism: the same scenario and seed give a byte-identical JSON report.
add_test(NAME cli.json_report_is_deterministic
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/same_report_twice.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/resilience-tour.yaml)
set_tests_properties(cli.json_report_is_deterministic PROPERTIES LABELS "cli"
                     PASS_REGULAR_EXPRESSION "identical: [0-9]+ bytes")
meshsim_cli_test(junit_report 1
  "<testsuites name=\"meshsim\" tests=\"1\" failures=\"1\" errors=\"0\" time=\"0\">.*<testsuite name=\"failing-on-purpose\".*<property name=\"file\" value=\"[^\"]*failing.yaml\"/>.*<testcase name=\"traffic hello: status 503\" classname=\"failing-on-purpose\".*<failure message=\"[^\"]*failing.yaml:15:7: saw 200 x 20\" type=\"ExpectationFailed\">.*exit 1"
  run --output junit ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
# JUnit test names carry no line numbers (CI tracks a test's history by its name).
meshsim_cli_test(junit_names_without_lines 0 "<testcase name=\"traffic hello: status 200\" classname=\"hello-ingress\".*exit 0"
  run -o junit ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(json_report 0 "\"scenario\": \"hello-ingress\".*\"passed\": true.*\"servedBy\": \\{\"default/hello-0\": 100\\}.*exit 0"
  run --output json ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
# -o json over several files: JSON Lines, one document per file, files that could not be loaded
# included as {"file", "passed": false, "error"}.
add_test(NAME cli.json_lines
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/json_lines_check.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml ${bad}/unknown-field.yaml
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
set_tests_properties(cli.json_lines PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77
  PASS_REGULAR_EXPRESSION "exit 2, 3 lines.*line 1: hello-ingress passed.*line 2: [^ ]*unknown-field.yaml error [^ ]*unknown-field.yaml:13:7: spec.traffic.0..cuont: unknown field.*line 3: failing-on-purpose failed")
# A text run over several files closes with one summary line.
meshsim_cli_test(run_summary_line 2 "FAIL  3 files: 1 passed, 1 failed, 1 not run \\(invalid\\). 5 expectations, 1 failed\nexit 2"
  run ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml ${bad}/unknown-field.yaml
  ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
meshsim_cli_test(explain_hello 0
  "listener 0.0.0.0_8080.*vhost    hello.com:80.*route .*VirtualService default/frontend-ingress \\(.*virtualservice.yaml:3:1\\).*cluster  outbound\\|80\\|\\|hello.default.svc.cluster.local.*endpoint default/hello-0.*result   200 -, served by pod default/hello-0.*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/istio/ingressgateway.yaml -f ${PROJECT_SOURCE_DIR}/fixtures/hello
  --url http://hello.com/api)
meshsim_cli_test(explain_unknown_host 0 "vhost    none matches \"nope.com\": 404 NR.*result   404 NR.*exit 0"
  explain -f ${PROJECT_SOURCE_DIR}/fixtures/istio/ingressgateway.yaml -f ${PROJECT_SOURCE_DIR}/fixtures/hello
  --url http://nope.com/)

# JUnit XML against the Jenkins/Ant JUnit schema (junit.xsd, checked with xmllint): a passing
# run, a failing one, and one with an invalid file (a suite with an <error>). The schema itself
# must reject what meshsim wrote before it conformed. Skipped (77) without xmllint.
set(junit_check ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/junit_check.sh)
set(junit_xsd ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/junit.xsd)
add_test(NAME cli.junit_valid_passing
         COMMAND ${junit_check} ${junit_xsd} 0 $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
set_tests_properties(cli.junit_valid_passing PROPERTIES
                     PASS_REGULAR_EXPRESSION "validates.*valid: 1 suites, 4 test cases, 0 failures, 0 errors")
add_test(NAME cli.junit_valid_failing
         COMMAND ${junit_check} ${junit_xsd} 1 $<TARGET_FILE:meshsim>
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
set_tests_properties(cli.junit_valid_failing PROPERTIES
                     PASS_REGULAR_EXPRESSION "<failure message=\"[^\"]*failing.yaml:15:7: saw 200 x 20\" type=\"ExpectationFailed\">.*validates.*valid: 1 suites, 1 test cases, 1 failures, 0 errors")
add_test(NAME cli.junit_valid_invalid_file
         COMMAND ${junit_check} ${junit_xsd} 2 $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml ${bad}/unknown-field.yaml
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml)
set_tests_properties(cli.junit_valid_invalid_file PROPERTIES
                     PASS_REGULAR_EXPRESSION "<error message=\"[^\"]*unknown-field.yaml:13:7: spec.traffic\\[0\\].cuont: unknown field.*validates.*valid: 3 suites, 6 test cases, 1 failures, 1 errors")
# Markup, quotes, tabs, line breaks and control characters in a failure's detail (here the body a
# response expectation saw) are escaped or replaced; the report stays well formed and valid. (The
# regex has '.' for ';', which would split it into a list of alternatives.)
add_test(NAME cli.junit_valid_awkward_text
         COMMAND ${junit_check} ${junit_xsd} 1 $<TARGET_FILE:meshsim>
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/junit-awkward-text.yaml)
set_tests_properties(cli.junit_valid_awkward_text PROPERTIES
                     PASS_REGULAR_EXPRESSION "body is &quot.&lt.b&gt.&amp.amp.&lt./b&gt. &quot.q&quot. &apos.a&apos.&#9.tab&#10.line��\\[31m .*validates.*valid: 1 suites, 1 test cases, 1 failures, 0 errors")
add_test(NAME cli.junit_xsd_rejects_nonconforming
         COMMAND ${junit_check} --reject ${junit_xsd}
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/junit_nonconforming.xml)
set_tests_properties(cli.junit_xsd_rejects_nonconforming PROPERTIES
                     PASS_REGULAR_EXPRESSION "attribute 'file' is not allowed.*rejected")
set_tests_properties(cli.junit_valid_passing cli.junit_valid_failing cli.junit_valid_invalid_file
                     cli.junit_valid_awkward_text cli.junit_xsd_rejects_nonconforming PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)

# meshsim run -j: the same reports, errors and exit code as -j 1, in every format, for passing,
# failing and invalid files; -j 0 (one per hardware thread) and the worst exit code of a mix.
add_test(NAME cli.run_parallel_same_output
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/parallel_same_output.sh
                 $<TARGET_FILE:meshsim> ${PROJECT_SOURCE_DIR}/scenarios/conformance/routing
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml ${bad}/unknown-traffic.yaml
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
set_tests_properties(cli.run_parallel_same_output PROPERTIES LABELS "cli"
                     PASS_REGULAR_EXPRESSION "text: identical.*exit 2.*json: identical.*exit 2.*junit: identical.*exit 2")
meshsim_cli_test(run_parallel_all_cores 1
                 "PASS  hello-ingress.*FAIL  failing-on-purpose.*PASS  unknown-host.*exit 1"
                 run -j 0 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml
                 ${PROJECT_SOURCE_DIR}/scenarios/unknown-host.yaml)
meshsim_cli_test(run_bad_jobs 2 "--jobs: Value -1 not in range.*exit 2|-j.*-1.*exit 2" run -j -1
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)

# Progress on stderr: plain lines with --progress=always off a terminal, nothing with auto or
# never off a terminal, an in-place line on a (pseudo-)terminal.
add_test(NAME cli.run_progress
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/progress_check.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml ${bad}/unknown-field.yaml
                 ${PROJECT_SOURCE_DIR}/scenarios/ten-minutes.yaml
                 ${PROJECT_SOURCE_DIR}/scenarios/conformance/routing)
# Without a pseudo-terminal (script(1) failing as it does without /dev/pts) the terminal case is
# skipped with the reason: the check exits 77, never fails.
add_test(NAME cli.run_progress_without_pty
         COMMAND ${CMAKE_COMMAND} -E env "PATH=${CMAKE_CURRENT_SOURCE_DIR}/data/no-pty:$ENV{PATH}"
                 ${expect_exit} 77 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/progress_check.sh
                 $<TARGET_FILE:meshsim> ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml
                 ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/failing.yaml ${bad}/unknown-field.yaml
                 ${PROJECT_SOURCE_DIR}/scenarios/ten-minutes.yaml
                 ${PROJECT_SOURCE_DIR}/scenarios/conformance/routing)
set_tests_properties(cli.run_progress_without_pty PROPERTIES LABELS "cli"
                     PASS_REGULAR_EXPRESSION "SKIPPED: no pseudo-terminal can be opened \\(script: failed to create pseudo terminal.*exit 77")
set_tests_properties(cli.run_progress PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77
                     PASS_REGULAR_EXPRESSION "ok: --progress=always without.*ok: --progress=auto.*ok: --progress=never.*ok: --progress=always on a terminal")
include(${CMAKE_CURRENT_SOURCE_DIR}/conformance/conformance_tests.cmake)

# Every scenario's JSON report, byte for byte, against tests/golden/scenarios/ (seeded runs are
# deterministic; a speed-up or refactor must leave them as they are). Regenerate after a change of
# behaviour: tests/golden/scenario_reports.sh --update build/default/meshsim
add_test(NAME cli.golden_scenario_reports
         COMMAND ${PROJECT_SOURCE_DIR}/tests/golden/scenario_reports.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.golden_scenario_reports PROPERTIES LABELS "cli;scenario"
                     PASS_REGULAR_EXPRESSION "golden reports match: [0-9]+ scenarios"
                     FAIL_REGULAR_EXPRESSION "FAIL ")
include(${CMAKE_CURRENT_SOURCE_DIR}/coverage/coverage_tests.cmake)
include(${CMAKE_CURRENT_SOURCE_DIR}/target/target_tests.cmake)
include(${CMAKE_CURRENT_SOURCE_DIR}/export/export_tests.cmake)
# followRedirects: a redirect the client cannot (https) or may not (past the limit) follow fails
# the stream's expectations, even one the last 3xx satisfies; the report shows every hop.
meshsim_cli_test(redirect_not_followed 1 "redirects  100.0%  \\(4\\)  301 -> https://shop.example.com/secure, NOT FOLLOWED: https: an in-process client does not speak TLS.*redirects  100.0%  \\(4\\)  301 -> http://shop.example.com/two, 308 -> http://shop.example.com/three, NOT FOLLOWED: more than 1 redirects.*FAIL  [^ ]*redirect-not-followed.yaml:45:7  traffic to-https: status 301.*saw 301 x 4; 4 of 4 requests stopped at a redirect the client did not follow: 301 -> https://shop.example.com/secure.*FAIL  [^ ]*redirect-not-followed.yaml:47:7  traffic too-many: status 308.*exit 1"
  run ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/redirect-not-followed.yaml)
meshsim_cli_test(redirect_json 1 "\"redirects\": \\[\\{\"requests\": 4, \"hops\": \\[\\{\"status\": 301, \"location\": \"http://shop.example.com/two\", \"followed\": \"http://shop.example.com/two\"\\}, \\{\"status\": 308, \"location\": \"http://shop.example.com/three\", \"notFollowed\": \"more than 1 redirects \\(curl: maximum redirects followed\\)\"\\}\\], \"finalStatus\": 308\\}\\], \"redirectsNotFollowed\": 4"
  run -o json ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/redirect-not-followed.yaml)
meshsim_cli_test(follow_redirects_bad 2 "follow-redirects-bad.yaml:11:24: spec.traffic\\[0\\].followRedirects: expected true, false or how many redirects to follow \\(0 to 1000\\), got \"always\".*exit 2"
  run ${bad}/follow-redirects-bad.yaml)
