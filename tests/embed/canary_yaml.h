#pragma once

// The manifests most embedding tests share: hello.com through the default ingress gateway (which
// the builder adds) to the Service hello, split 90/10 between the Deployments hello-v1 and
// hello-v2 by DestinationRule subsets; /old redirects to /new; /slow is delayed 2 s (a fault) and
// goes to v1; /api is rewritten to /v2/api, gets x-version: 2 and goes to v2 only; a sleep client
// in the mesh. The VirtualService applies at the gateway and to sidecars (gateways:
// [hello-gateway, mesh]).

namespace meshsim::embed_test {

inline constexpr const char* kCanaryYaml = R"(apiVersion: v1
kind: Namespace
metadata:
  name: default
  labels: {istio-injection: enabled}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-v1
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello, version: v1}
  template:
    metadata:
      labels: {app: hello, version: v1}
    spec:
      containers:
      - name: hello
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-v2
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello, version: v2}
  template:
    metadata:
      labels: {app: hello, version: v2}
    spec:
      containers:
      - name: hello
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  selector: {app: hello}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sleep
spec:
  replicas: 1
  selector:
    matchLabels: {app: sleep}
  template:
    metadata:
      labels: {app: sleep}
    spec:
      containers:
      - name: sleep
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: hello-gateway
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["hello.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: hello
spec:
  hosts: ["hello.com", "hello"]
  gateways: [hello-gateway, mesh]
  http:
  - match:
    - uri: {prefix: /old}
    redirect: {uri: /new}
  - match:
    - uri: {prefix: /slow}
    fault: {delay: {fixedDelay: 2s, percentage: {value: 100}}}
    route:
    - destination: {host: hello, subset: v1}
  - match:
    - uri: {prefix: /api}
    rewrite: {uri: /v2/api}
    headers:
      request:
        set: {x-version: "2"}
      response:
        set: {x-route: api}
    route:
    - destination: {host: hello, subset: v2}
  - route:
    - destination: {host: hello, subset: v1}
      weight: 90
    - destination: {host: hello, subset: v2}
      weight: 10
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: hello
spec:
  host: hello
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
)";

}  // namespace meshsim::embed_test
