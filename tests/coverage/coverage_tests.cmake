# meshsim run --coverage / --fail-under: which Istio routing items the traffic used.
set(cov ${CMAKE_CURRENT_SOURCE_DIR}/coverage)
meshsim_cli_test(coverage_hello 0
  "coverage: 2 of 2 items exercised \\(100.0%\\).*HIT   [^ ]*fixtures/hello/gateway.yaml:[0-9]+:[0-9]+  Gateway default/hello-gateway servers\\[0\\] \\(port 80, hosts hello.com\\)  100 requests.*HIT   [^ ]*fixtures/hello/virtualservice.yaml:13:5  VirtualService default/frontend-ingress http\\[0\\]  100 requests.*exit 0"
  run --coverage ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(coverage_partial 0
  "coverage: 6 of 9 items exercised \\(66.7%\\).*HIT   [^ ]*partial.yaml:24:9  VirtualService default/reviews http\\[0\\]  3 requests.*HIT   [^ ]*partial.yaml:25:11  VirtualService default/reviews http\\[0\\] match\\[0\\]  3 requests.*MISS  [^ ]*partial.yaml:26:11  VirtualService default/reviews http\\[0\\] match\\[1\\]  0 requests.*HIT   [^ ]*partial.yaml:29:9  VirtualService default/reviews http\\[1\\]  2 requests.*MISS  [^ ]*destinationrule.yaml:[0-9]+:[0-9]+  DestinationRule default/reviews subsets\\[2\\].*MISS  [^ ]*partial.yaml:[0-9]+:[0-9]+  ServiceEntry default/partner  0 requests.*exit 0"
  run --coverage ${cov}/partial.yaml)
meshsim_cli_test(coverage_fail_under 1 "coverage: 6 of 9 items.*FAIL  coverage 66.7% is below --fail-under 70%.*exit 1"
  run --fail-under 70 ${cov}/partial.yaml)
meshsim_cli_test(coverage_fail_under_met 0 "coverage: 6 of 9 items.*exit 0"
  run --fail-under 60 ${cov}/partial.yaml)
meshsim_cli_test(coverage_fail_under_json 1 "partial.yaml: coverage 66.7% is below --fail-under 70%.*exit 1"
  run --fail-under 70 --output json ${cov}/partial.yaml)
meshsim_cli_test(coverage_bad_percent 2 "fail-under.*exit 2" run --fail-under 120 ${cov}/partial.yaml)
