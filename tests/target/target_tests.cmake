# meshsim run --target: the scenario's from: ingress traffic against a real gateway.
set(tgt ${CMAKE_CURRENT_SOURCE_DIR}/target)
set(conf_scenarios ${PROJECT_SOURCE_DIR}/scenarios/conformance/routing)
# Against meshsim serve of the same manifests: every expectation judged from outside has the
# verdict of the in-process run; metrics and the like are skipped with a reason.
add_test(NAME cli.target_serve_same_verdicts
         COMMAND ${tgt}/same_verdicts.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml
                 ${conf_scenarios}/vs-uri-exact.yaml
                 ${conf_scenarios}/vs-uri-prefix-not-segment-aware.yaml
                 ${conf_scenarios}/vs-match-headers.yaml
                 ${conf_scenarios}/gateway-host-exact.yaml
                 ${conf_scenarios}/vs-redirect-location.yaml
                 ${conf_scenarios}/vs-headers-request.yaml)
set_tests_properties(cli.target_serve_same_verdicts PROPERTIES LABELS "cli;net" TIMEOUT 120
  PASS_REGULAR_EXPRESSION "same verdicts: [1-9][0-9]* judged, [1-9][0-9]* not judged")
# Against a server that is not the mesh: the run fails and says what it expected and saw.
add_test(NAME cli.target_wrong_gateway_python
         COMMAND ${tgt}/wrong_gateway.sh python $<TARGET_FILE:meshsim> ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
add_test(NAME cli.target_wrong_gateway_nginx
         COMMAND ${tgt}/wrong_gateway.sh nginx $<TARGET_FILE:meshsim> ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
set_tests_properties(cli.target_wrong_gateway_python cli.target_wrong_gateway_nginx PROPERTIES
  LABELS "cli;net" TIMEOUT 60 SKIP_RETURN_CODE 77
  PASS_REGULAR_EXPRESSION "FAIL  [^ ]*hello.yaml:18:7  traffic hello: status 200.*saw 404 x 100.*FAIL  [^ ]*hello.yaml:18:7  traffic hello: servedBy hello 100.0%.*saw 0.0% \\(0 of 100\\).*SKIP  [^ ]*hello.yaml:21:7  metric .*not judged: needs the mesh's metrics.*exit 1")
meshsim_cli_test(target_bad_url 2 "--target \"ftp://x\": expected http://HOST:PORT.*exit 2"
  run --target ftp://x ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(target_refused 1 "traffic hello: status 200.*saw no response x 100.*exit 1"
  run --target http://127.0.0.1:1 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(target_with_coverage 2 "cannot be combined with --target.*exit 2"
  run --coverage --target http://127.0.0.1:1 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
# conformance --target: one test against meshsim serve of its own scenario; vs-uri-exact has only
# outside-judgeable expectations, so it passes; the report says mode target.
add_test(NAME cli.conformance_target_serve
         COMMAND sh -c "\"$0\" serve --scenario \"$1\" > \"$2/serve-conf.log\" 2>&1 & pid=$!; for i in $(seq 1 100); do port=$(sed -n 's/^gateway listening on 127.0.0.1:\\([0-9]*\\)$/\\1/p' \"$2/serve-conf.log\"); [ -n \"$port\" ] && break; sleep 0.1; done; \"$0\" conformance --run-test vs-uri-exact --target http://127.0.0.1:$port --date 2026-01-01 --report-output /dev/stdout; code=$?; kill $pid; echo \"exit $code\"; [ $code -eq 0 ]"
                 $<TARGET_FILE:meshsim> ${conf_scenarios}/vs-uri-exact.yaml ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(cli.conformance_target_serve PROPERTIES LABELS "cli;net" TIMEOUT 60
  PASS_REGULAR_EXPRESSION "mode: target.*target: \"http://127.0.0.1:[0-9]+\".*Passed: 1.*PASS  vs-uri-exact.*exit 0")
# nginx answering 200 with the echo document of another pod and request: the status holds, and
# servedBy, upstream and response fail, saying what they saw.
add_test(NAME cli.target_wrong_echo_nginx
         COMMAND ${tgt}/wrong_gateway.sh nginx-echo $<TARGET_FILE:meshsim>
                 ${CMAKE_CURRENT_SOURCE_DIR}/export/echo-direct.yaml)
set_tests_properties(cli.target_wrong_echo_nginx PROPERTIES LABELS "cli;net" TIMEOUT 60
  SKIP_RETURN_CODE 77
  PASS_REGULAR_EXPRESSION "PASS  [^ ]*  traffic api: status 200.*FAIL  [^ ]*  traffic api: servedBy hello 100.0%.*saw 0.0% \\(0 of 5\\).*served by default/other-6b8d9c7f5-q7x2z x 5.*FAIL  [^ ]*  traffic api: upstream request.*host is \"elsewhere.example\", expected \"hello.com\".*FAIL  [^ ]*  traffic api: response.*expected it to match.*exit 1")
# Every conformance scenario whose expectations can all be judged from outside (judgeable.py
# picks them: no events, workloads, metrics, attempts, flags or latencies; plain ingress
# traffic): against meshsim serve of its own manifests, every verdict is the in-process one, and
# none is left unjudged.
add_test(NAME cli.target_serve_all_judgeable
         COMMAND sh -c "set -e; python3 \"$1/judgeable.py\" \"$2\" > \"$3/judgeable.txt\"; echo \"$(wc -l < \"$3/judgeable.txt\") judgeable scenarios\"; \"$1/same_verdicts.sh\" \"$0\" $(cat \"$3/judgeable.txt\")"
                 $<TARGET_FILE:meshsim> ${tgt} ${PROJECT_SOURCE_DIR}/scenarios/conformance ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(cli.target_serve_all_judgeable PROPERTIES LABELS "cli;net;conformance" TIMEOUT 300
  PASS_REGULAR_EXPRESSION "[1-9][0-9] judgeable scenarios.*same verdicts: [1-9][0-9]+ judged, 0 not judged"
  FAIL_REGULAR_EXPRESSION "FAIL")
