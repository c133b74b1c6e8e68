# meshsim export: a scenario's manifests with echo servers, for a real cluster.
set(exp ${CMAKE_CURRENT_SOURCE_DIR}/export)
# Exported and loaded back, every conformance scenario (and the examples) gives the same report.
add_test(NAME cli.export_roundtrip
         COMMAND ${exp}/roundtrip.sh $<TARGET_FILE:meshsim> ${PROJECT_SOURCE_DIR}/scenarios)
set_tests_properties(cli.export_roundtrip PROPERTIES LABELS "cli" TIMEOUT 300
  PASS_REGULAR_EXPRESSION "export round trip: [0-9]+ scenarios, same reports")
# The exported echo server answers like meshsim's echo app: run --target straight at it passes.
add_test(NAME cli.export_echo_direct
         COMMAND ${exp}/echo_direct.sh $<TARGET_FILE:meshsim> ${exp}/echo-direct.yaml)
set_tests_properties(cli.export_echo_direct PROPERTIES LABELS "cli;net" TIMEOUT 60
  PASS_REGULAR_EXPRESSION "PASS  [^ ]*echo-direct.yaml:[0-9:]+  traffic api: servedBy hello 100.0%.*PASS  [^ ]*  traffic api: servedBy version=v1 100.0%.*PASS  [^ ]*  traffic api: upstream.*target exit 0.*in-process exit 0")
add_test(NAME cli.export_apply_script
         COMMAND ${exp}/apply_script.sh $<TARGET_FILE:meshsim> ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
set_tests_properties(cli.export_apply_script PROPERTIES LABELS "cli"
  PASS_REGULAR_EXPRESSION "kubectl get crd virtualservices.networking.istio.io\nkubectl apply -f manifests/001-namespace-cluster-default.yaml -f manifests/002-serviceaccount-default-hello.yaml -f manifests/003-configmap-default-meshsim-echo.yaml -f manifests/004-service-default-hello.yaml -f manifests/005-deployment-default-hello.yaml\nkubectl apply -f manifests/006-gateway-default-hello-gateway.yaml\nsleep 1\nkubectl apply -f manifests/007-virtualservice-default-frontend-ingress.yaml\nsleep 1\nkubectl -n default rollout status deployment/hello --timeout=300s\n.*Istio is not installed.*without Istio: exit 2")
meshsim_cli_test(export_bad_scenario 2 "^error: [^ ]*unknown-field.yaml:13:7: spec.traffic\\[0\\].cuont: unknown field.*exit 2"
  export ${bad}/unknown-field.yaml -o ${CMAKE_CURRENT_BINARY_DIR}/export-bad)
meshsim_cli_test(export_missing_file 2 "^error: .*does-not-exist.yaml: cannot read file.*exit 2"
  export ${bad}/does-not-exist.yaml -o ${CMAKE_CURRENT_BINARY_DIR}/export-missing)
meshsim_cli_test(export_missing_include 2 "^error: [^ ]*missing-include.yaml:8:7: spec.include\\[1\\]: no such file or folder.*exit 2"
  export ${bad}/missing-include.yaml -o ${CMAKE_CURRENT_BINARY_DIR}/export-missing-include)
# A folder that is not empty, or a path below a file, is refused before anything is written.
meshsim_cli_test(export_not_empty 2 "^error: [^ ]*/scenarios: exists and is not empty.*exit 2"
  export ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o ${PROJECT_SOURCE_DIR}/scenarios)
meshsim_cli_test(export_below_file 2 "^error: [^ ]*hello.yaml: exists and is not a folder.*exit 2"
  export ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(export_no_output 2 "^error: .*--output-dir is required.*exit 2"
  export ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
meshsim_cli_test(export_under_file 2 "^error: [^ ]*hello.yaml/out: cannot create folder: Not a directory.*exit 2"
  export ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml/out)
