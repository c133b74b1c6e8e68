# Telemetry through the meshsim binary: the exposition of the hello scenario is the golden file
# and promtool accepts it; Graphviz's dot accepts the service graph. The promtool and dot
# checks print SKIPPED and pass when the tool is missing (tools/setup installs both).
set(telemetry_dir ${CMAKE_CURRENT_SOURCE_DIR}/telemetry)

add_test(NAME telemetry.golden_hello_exposition
         COMMAND ${telemetry_dir}/golden_check.sh ${CMAKE_CURRENT_SOURCE_DIR}/golden/hello.prom
                 $<TARGET_FILE:meshsim> metrics ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
add_test(NAME telemetry.promtool_check_metrics
         COMMAND ${telemetry_dir}/promtool_check.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml)
add_test(NAME telemetry.promtool_check_metrics_three_services
         COMMAND ${telemetry_dir}/promtool_check.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/conformance/telemetry/three-services.yaml)
add_test(NAME telemetry.dot_accepts_graph
         COMMAND ${telemetry_dir}/dot_check.sh $<TARGET_FILE:meshsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/conformance/telemetry/three-services.yaml)
set_tests_properties(telemetry.golden_hello_exposition telemetry.promtool_check_metrics
                     telemetry.promtool_check_metrics_three_services telemetry.dot_accepts_graph
                     PROPERTIES LABELS "cli;telemetry")

meshsim_cli_test(metrics_query 0 "\\{reporter=\"destination\"\\} 100.*\\{reporter=\"source\"\\} 100.*exit 0"
                 metrics ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml
                 --query "sum by (reporter) (istio_requests_total)")
meshsim_cli_test(metrics_bad_query 2 "column 10: rate\\(\\) needs a range vector.*exit 2"
                 metrics ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml --query "sum(rate(m))")
meshsim_cli_test(graph_json 0 "\"graphType\": \"workload\".*wl_istio-system_istio-ingressgateway->svc_default_hello.*exit 0"
                 graph ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o json)
meshsim_cli_test(graph_bad_format 2 "^error: --output: png not in \\{dot,json,svg\\}.*exit 2"
                 graph ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o png)
# The file to write is --output-file in every command; -o is the format, so the old "-o FILE"
# is refused rather than taken as a name.
meshsim_cli_test(graph_output_is_a_format 2 "^error: --output: hello.svg not in.*exit 2"
                 graph ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o hello.svg)
meshsim_cli_test(metrics_old_output_flag 2 "^error: .*-o.*exit 2"
                 metrics ${PROJECT_SOURCE_DIR}/scenarios/hello.yaml -o hello.prom)
