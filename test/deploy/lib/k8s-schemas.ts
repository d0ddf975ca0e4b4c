/**
 * Strict shapes of the Kubernetes, Istio, Gateway API and Envoy Gateway objects the project
 * ships, keyed by apiVersion and kind. Each covers the fields these files may use (from the
 * upstream API types: Kubernetes 1.30 core/apps/policy, Istio 1.25+ networking/security,
 * Gateway API v1.x, Envoy Gateway v1.8 gateway.envoyproxy.io/v1alpha1); any other key is
 * reported, so a misspelt field (`readinesProbe`) or a field of another API version fails
 * instead of being silently dropped by the API server. An apiVersion/kind pair that is not
 * listed fails too: a new kind needs a schema here first.
 */
import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a lower-case DNS name').max(253);
const labelMap = z.record(z.string(), z.string());

const metadata = z.strictObject({
  name,
  namespace: name.optional(),
  labels: labelMap.optional(),
  annotations: labelMap.optional(),
});

const clusterMetadata = z.strictObject({
  name,
  labels: labelMap.optional(),
  annotations: labelMap.optional(),
});

const quantity = z.union([z.string().regex(/^[0-9.]+(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'expected a quantity such as 250m or 512Mi'), z.number()]);
const intOrString = z.union([z.number().int(), z.string().min(1)]);
const portNumber = z.number().int().min(1).max(65535);
const labelSelector = z.strictObject({ matchLabels: labelMap.optional() });

// ---- core/v1, apps/v1, policy/v1 ------------------------------------------------------------

const probe = z.strictObject({
  grpc: z.strictObject({ port: portNumber, service: z.string().optional() }).optional(),
  httpGet: z.strictObject({ path: z.string(), port: intOrString, scheme: z.enum(['HTTP', 'HTTPS']).optional() }).optional(),
  tcpSocket: z.strictObject({ port: intOrString }).optional(),
  exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
  initialDelaySeconds: z.number().int().nonnegative().optional(),
  periodSeconds: z.number().int().positive().optional(),
  timeoutSeconds: z.number().int().positive().optional(),
  failureThreshold: z.number().int().positive().optional(),
  successThreshold: z.number().int().positive().optional(),
}).refine((p) => [p.grpc, p.httpGet, p.tcpSocket, p.exec].filter((h) => h !== undefined).length === 1, 'a probe needs exactly one of grpc, httpGet, tcpSocket, exec');

const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional(), 'ephemeral-storage': quantity.optional() });

const seccompProfile = z.strictObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']) });

const containerSecurityContext = z.strictObject({
  allowPrivilegeEscalation: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: z.number().int().optional(),
  runAsGroup: z.number().int().optional(),
  privileged: z.boolean().optional(),
  capabilities: z.strictObject({ drop: z.array(z.string()).optional(), add: z.array(z.string()).optional() }).optional(),
  seccompProfile: seccompProfile.optional(),
});

const envVar = z.strictObject({
  name: z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/),
  value: z.string().optional(),
  valueFrom: z.strictObject({
    secretKeyRef: z.strictObject({ name, key: z.string(), optional: z.boolean().optional() }).optional(),
    configMapKeyRef: z.strictObject({ name, key: z.string(), optional: z.boolean().optional() }).optional(),
    fieldRef: z.strictObject({ fieldPath: z.string() }).optional(),
  }).optional(),
});

const container = z.strictObject({
  name,
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z.array(z.strictObject({
    name: z.string().max(15).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).optional(),
    containerPort: portNumber,
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  })).optional(),
  env: z.array(envVar).optional(),
  resources: z.strictObject({
    requests: resourceList.optional(),
    limits: resourceList.optional(),
  }).optional(),
  securityContext: containerSecurityContext.optional(),
  volumeMounts: z.array(z.strictObject({
    name,
    mountPath: z.string().startsWith('/'),
    subPath: z.string().optional(),
    readOnly: z.boolean().optional(),
  })).optional(),
  startupProbe: probe.optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
  lifecycle: z.strictObject({
    preStop: z.strictObject({
      exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
      sleep: z.strictObject({ seconds: z.number().int().positive() }).optional(),
    }).optional(),
  }).optional(),
});

const volume = z.strictObject({
  name,
  configMap: z.strictObject({
    name,
    items: z.array(z.strictObject({ key: z.string(), path: z.string() })).optional(),
    defaultMode: z.number().int().optional(),
  }).optional(),
  secret: z.strictObject({ secretName: name, items: z.array(z.strictObject({ key: z.string(), path: z.string() })).optional() }).optional(),
  emptyDir: z.strictObject({ sizeLimit: quantity.optional(), medium: z.enum(['', 'Memory']).optional() }).optional(),
  persistentVolumeClaim: z.strictObject({ claimName: name, readOnly: z.boolean().optional() }).optional(),
}).refine((v) => [v.configMap, v.secret, v.emptyDir, v.persistentVolumeClaim].filter((s) => s !== undefined).length === 1, 'a volume needs exactly one source');

const podSpec = z.strictObject({
  serviceAccountName: name.optional(),
  automountServiceAccountToken: z.boolean().optional(),
  terminationGracePeriodSeconds: z.number().int().nonnegative().optional(),
  securityContext: z.strictObject({
    runAsNonRoot: z.boolean().optional(),
    runAsUser: z.number().int().optional(),
    runAsGroup: z.number().int().optional(),
    fsGroup: z.number().int().optional(),
    seccompProfile: seccompProfile.optional(),
  }).optional(),
  topologySpreadConstraints: z.array(z.strictObject({
    maxSkew: z.number().int().positive(),
    topologyKey: z.string(),
    whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
    labelSelector: labelSelector,
  })).optional(),
  containers: z.array(container).min(1),
  volumes: z.array(volume).optional(),
});

const deployment = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata,
  spec: z.strictObject({
    replicas: z.number().int().nonnegative().optional(),
    revisionHistoryLimit: z.number().int().nonnegative().optional(),
    selector: labelSelector,
    strategy: z.strictObject({
      type: z.enum(['RollingUpdate', 'Recreate']),
      rollingUpdate: z.strictObject({ maxUnavailable: intOrString.optional(), maxSurge: intOrString.optional() }).optional(),
    }).refine((s) => s.type === 'RollingUpdate' || s.rollingUpdate === undefined, 'rollingUpdate is only allowed with type RollingUpdate').optional(),
    template: z.strictObject({
      metadata: z.strictObject({ labels: labelMap, annotations: labelMap.optional() }),
      spec: podSpec,
    }),
  }),
});

const service = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata,
  spec: z.strictObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
    selector: labelMap,
    ports: z.array(z.strictObject({
      name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63),
      port: portNumber,
      targetPort: intOrString.optional(),
      protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
      appProtocol: z.string().optional(),
    })).min(1),
  }),
});

const configMap = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata,
  data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.string()),
});

const namespace = z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('Namespace'), metadata: clusterMetadata });

const serviceAccount = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ServiceAccount'),
  metadata,
  automountServiceAccountToken: z.boolean().optional(),
});

const pvc = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('PersistentVolumeClaim'),
  metadata,
  spec: z.strictObject({
    accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])).min(1),
    storageClassName: z.string().optional(),
    resources: z.strictObject({ requests: z.strictObject({ storage: quantity }) }),
  }),
});

const pdb = z.strictObject({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata,
  spec: z.strictObject({
    minAvailable: intOrString.optional(),
    maxUnavailable: intOrString.optional(),
    selector: labelSelector,
  }).refine((s) => (s.minAvailable === undefined) !== (s.maxUnavailable === undefined), 'set exactly one of minAvailable, maxUnavailable'),
});

// ---- Istio (1.25+) ---------------------------------------------------------------------------

const istioGateway = z.strictObject({
  apiVersion: z.literal('networking.istio.io/v1'),
  kind: z.literal('Gateway'),
  metadata,
  spec: z.strictObject({
    selector: labelMap,
    servers: z.array(z.strictObject({
      port: z.strictObject({ number: portNumber, name: z.string(), protocol: z.enum(['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'TCP', 'TLS']) }),
      hosts: z.array(z.string()).min(1),
    })).min(1),
  }),
});

const stringMatch = z.union([
  z.strictObject({ exact: z.string() }),
  z.strictObject({ prefix: z.string() }),
  z.strictObject({ regex: z.string() }),
]);

const virtualService = z.strictObject({
  apiVersion: z.literal('networking.istio.io/v1'),
  kind: z.literal('VirtualService'),
  metadata,
  spec: z.strictObject({
    hosts: z.array(z.string()).min(1),
    gateways: z.array(z.string()).optional(),
    http: z.array(z.strictObject({
      name: z.string().optional(),
      match: z.array(z.strictObject({
        headers: z.record(z.string(), stringMatch).optional(),
        uri: stringMatch.optional(),
      })).optional(),
      route: z.array(z.strictObject({
        destination: z.strictObject({ host: z.string(), port: z.strictObject({ number: portNumber }).optional(), subset: z.string().optional() }),
        weight: z.number().int().optional(),
      })).optional(),
      directResponse: z.strictObject({
        status: z.number().int().min(200).max(599),
        body: z.strictObject({ string: z.string() }).optional(),
      }).optional(),
      timeout: z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/).optional(),
      // Istio's Headers: request/response header operations of the route.
      headers: z.strictObject({
        request: z.strictObject({ set: z.record(z.string(), z.string()).optional(), add: z.record(z.string(), z.string()).optional(), remove: z.array(z.string()).optional() }).optional(),
        response: z.strictObject({ set: z.record(z.string(), z.string()).optional(), add: z.record(z.string(), z.string()).optional(), remove: z.array(z.string()).optional() }).optional(),
      }).optional(),
    }).refine((r) => (r.route !== undefined) !== (r.directResponse !== undefined), 'an http route needs exactly one of route, directResponse')).min(1),
  }),
});

const envoyFilterMatch = z.strictObject({
  context: z.enum(['ANY', 'SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY']),
  listener: z.strictObject({
    portNumber: portNumber.optional(),
    filterChain: z.strictObject({
      filter: z.strictObject({
        name: z.string(),
        subFilter: z.strictObject({ name: z.string() }).optional(),
      }).optional(),
    }).optional(),
  }).optional(),
  cluster: z.strictObject({
    service: z.string().optional(),
    portNumber: portNumber.optional(),
    subset: z.string().optional(),
    name: z.string().optional(),
  }).optional(),
  routeConfiguration: z.strictObject({
    portNumber: portNumber.optional(),
    vhost: z.strictObject({
      name: z.string().optional(),
      domainName: z.string().optional(),
    }).optional(),
  }).optional(),
});

const envoyFilter = z.strictObject({
  apiVersion: z.literal('networking.istio.io/v1alpha3'),
  kind: z.literal('EnvoyFilter'),
  metadata,
  spec: z.strictObject({
    workloadSelector: z.strictObject({ labels: labelMap }),
    priority: z.number().int().optional(),
    configPatches: z.array(z.strictObject({
      applyTo: z.enum(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE', 'CLUSTER', 'EXTENSION_CONFIG', 'BOOTSTRAP', 'LISTENER_FILTER']),
      match: envoyFilterMatch,
      patch: z.strictObject({
        operation: z.enum(['MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE']),
        value: z.record(z.string(), z.unknown()),
      }),
    })).min(1),
  }),
});

/** Istio's ConnectionPoolSettings, the part that becomes Envoy circuit breakers. */
const istioConnectionPool = z.strictObject({
  tcp: z.strictObject({
    maxConnections: z.number().int().nonnegative().optional(),
    connectTimeout: z.string().optional(),
  }).optional(),
  http: z.strictObject({
    http1MaxPendingRequests: z.number().int().nonnegative().optional(),
    http2MaxRequests: z.number().int().nonnegative().optional(),
    maxRequestsPerConnection: z.number().int().nonnegative().optional(),
    maxRetries: z.number().int().nonnegative().optional(),
    idleTimeout: z.string().optional(),
  }).optional(),
});

const destinationRule = z.strictObject({
  apiVersion: z.literal('networking.istio.io/v1'),
  kind: z.literal('DestinationRule'),
  metadata,
  spec: z.strictObject({
    host: z.string().min(1),
    exportTo: z.array(z.string()).optional(),
    trafficPolicy: z.strictObject({ connectionPool: istioConnectionPool.optional() }).optional(),
  }),
});

const authorizationPolicy = z.strictObject({
  apiVersion: z.literal('security.istio.io/v1'),
  kind: z.literal('AuthorizationPolicy'),
  metadata,
  spec: z.strictObject({
    selector: z.strictObject({ matchLabels: labelMap }),
    action: z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']),
    provider: z.strictObject({ name: z.string() }).optional(),
    rules: z.array(z.strictObject({
      to: z.array(z.strictObject({
        operation: z.strictObject({
          hosts: z.array(z.string()).optional(),
          paths: z.array(z.string()).optional(),
          methods: z.array(z.string()).optional(),
          ports: z.array(z.string()).optional(),
        }),
      })).optional(),
    })).min(1),
  }).refine((s) => (s.action === 'CUSTOM') === (s.provider !== undefined), 'action CUSTOM needs a provider (and only CUSTOM takes one)'),
});

/** istiod Helm values (not a Kubernetes object): the meshConfig extension provider part. */
export const istiodValuesSchema = z.strictObject({
  meshConfig: z.strictObject({
    extensionProviders: z.array(z.strictObject({
      name: z.string().min(1),
      envoyExtAuthzGrpc: z.strictObject({
        service: z.string().min(1),
        port: portNumber,
        timeout: z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/).optional(),
        failOpen: z.boolean().optional(),
        clearRouteCache: z.boolean().optional(),
        statusOnError: z.string().regex(/^[45]\d\d$/, 'expected an HTTP status such as "503"').optional(),
        // MeshConfig EnvoyExternalAuthorizationRequestBodyConfig (istio.io/api mesh/v1alpha1/config.proto).
        includeRequestBodyInCheck: z.strictObject({
          maxRequestBytes: z.number().int().positive(),
          allowPartialMessage: z.boolean().optional(),
          packAsBytes: z.boolean().optional(),
        }).optional(),
      }),
    })).min(1),
  }),
});

/**
 * istiod Helm values for the ext_proc variant: ProxyConfig runtimeValues (istio/api
 * mesh/v1alpha1/proxy.proto, map<string,string> runtime_values = 37), mesh-wide.
 */
export const istiodExtProcValuesSchema = z.strictObject({
  meshConfig: z.strictObject({
    defaultConfig: z.strictObject({
      runtimeValues: z.record(z.string(), z.string({ error: 'ProxyConfig.runtimeValues takes strings only ("true", not true)' })),
    }),
  }),
});

// ---- Gateway API v1 and Envoy Gateway v1alpha1 ----------------------------------------------

const gwDuration = z.string().regex(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/, 'expected a Gateway API duration such as 1s or 500ms');

const parentRef = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name,
  namespace: name.optional(),
  sectionName: z.string().optional(),
});

const backendRef = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name,
  namespace: name.optional(),
  port: portNumber,
  weight: z.number().int().nonnegative().optional(),
});

const policyTargetRef = z.strictObject({
  group: z.string(),
  kind: z.string(),
  name,
  sectionName: z.string().optional(),
});

const gatewayClass = z.strictObject({
  apiVersion: z.literal('gateway.networking.k8s.io/v1'),
  kind: z.literal('GatewayClass'),
  metadata: clusterMetadata,
  spec: z.strictObject({ controllerName: z.string() }),
});

const gateway = z.strictObject({
  apiVersion: z.literal('gateway.networking.k8s.io/v1'),
  kind: z.literal('Gateway'),
  metadata,
  spec: z.strictObject({
    gatewayClassName: name,
    infrastructure: z.strictObject({
      labels: labelMap.optional(),
      annotations: labelMap.optional(),
      // LocalParametersReference: same namespace as the Gateway.
      parametersRef: z.strictObject({ group: z.string(), kind: z.string(), name }).optional(),
    }).optional(),
    listeners: z.array(z.strictObject({
      name: z.string(),
      protocol: z.enum(['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP']),
      port: portNumber,
      hostname: z.string().optional(),
      allowedRoutes: z.strictObject({
        namespaces: z.strictObject({ from: z.enum(['All', 'Same', 'Selector']) }).optional(),
      }).optional(),
    })).min(1),
  }),
});

const httpRoute = z.strictObject({
  apiVersion: z.literal('gateway.networking.k8s.io/v1'),
  kind: z.literal('HTTPRoute'),
  metadata,
  spec: z.strictObject({
    parentRefs: z.array(parentRef).min(1),
    hostnames: z.array(z.string()).optional(),
    rules: z.array(z.strictObject({
      name: z.string().optional(),
      matches: z.array(z.strictObject({
        path: z.strictObject({ type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']), value: z.string() }).optional(),
        headers: z.array(z.strictObject({ type: z.enum(['Exact', 'RegularExpression']).optional(), name: z.string(), value: z.string() })).optional(),
        method: z.string().optional(),
      })).optional(),
      filters: z.array(z.strictObject({
        type: z.enum(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef']),
        extensionRef: z.strictObject({ group: z.string(), kind: z.string(), name }).optional(),
        requestHeaderModifier: z.strictObject({
          set: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
          add: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
          remove: z.array(z.string()).optional(),
        }).optional(),
      })).optional(),
      backendRefs: z.array(backendRef).optional(),
      timeouts: z.strictObject({ request: gwDuration.optional(), backendRequest: gwDuration.optional() }).optional(),
    })).min(1),
  }),
});

const httpRouteFilter = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('HTTPRouteFilter'),
  metadata,
  spec: z.strictObject({
    directResponse: z.strictObject({
      contentType: z.string().optional(),
      statusCode: z.number().int().min(200).max(599).optional(),
      body: z.strictObject({ type: z.enum(['Inline', 'ValueRef']), inline: z.string().optional() }).optional(),
    }),
  }),
});

const egBackendRef = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name,
  namespace: name.optional(),
  port: portNumber,
});

/** Envoy Gateway's ClusterSettings (v1.8 shared_types.go), the parts these files use. */
const egCircuitBreaker = z.strictObject({
  maxConnections: z.number().int().min(0).max(4294967295).optional(),
  maxPendingRequests: z.number().int().min(0).max(4294967295).optional(),
  maxParallelRequests: z.number().int().min(0).max(4294967295).optional(),
  maxParallelRetries: z.number().int().min(0).max(4294967295).optional(),
  maxRequestsPerConnection: z.number().int().min(0).max(4294967295).optional(),
});
const egHttp2 = z.strictObject({
  initialStreamWindowSize: z.union([z.string(), z.number().int()]).optional(),
  initialConnectionWindowSize: z.union([z.string(), z.number().int()]).optional(),
  maxConcurrentStreams: z.number().int().min(1).max(2147483647).optional(),
  onInvalidMessage: z.enum(['TerminateConnection', 'TerminateStream']).optional(),
  connectionKeepalive: z.strictObject({
    interval: gwDuration.optional(),
    timeout: gwDuration.optional(),
    intervalJitter: z.number().int().min(0).max(100).optional(),
    idleInterval: gwDuration.optional(),
  }).optional(),
});
const egClusterSettings = {
  circuitBreaker: egCircuitBreaker.optional(),
  http2: egHttp2.optional(),
};
const egBackendSettings = z.strictObject(egClusterSettings);

const envoyExtensionPolicy = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('EnvoyExtensionPolicy'),
  metadata,
  spec: z.strictObject({
    targetRefs: z.array(policyTargetRef).min(1),
    extProc: z.array(z.strictObject({
      backendRefs: z.array(egBackendRef).min(1).max(1),
      processingMode: z.strictObject({
        request: z.strictObject({
          body: z.enum(['Streamed', 'Buffered', 'BufferedPartial', 'FullDuplexStreamed']).optional(),
          attributes: z.array(z.string().regex(/^(connection\.|source\.|destination\.|request\.|response\.|upstream\.|xds\.route_)[a-z_1-9]*$/)).optional(),
        }).optional(),
        response: z.strictObject({
          body: z.enum(['Streamed', 'Buffered', 'BufferedPartial', 'FullDuplexStreamed']).optional(),
          attributes: z.array(z.string()).optional(),
        }).optional(),
        allowModeOverride: z.boolean().optional(),
      }).optional(),
      messageTimeout: gwDuration.optional(),
      failOpen: z.boolean().optional(),
      backendSettings: egBackendSettings.optional(),
    })).min(1),
  }),
});

const securityPolicy = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('SecurityPolicy'),
  metadata,
  spec: z.strictObject({
    targetRefs: z.array(policyTargetRef).min(1),
    extAuth: z.strictObject({
      grpc: z.strictObject({ backendRefs: z.array(egBackendRef).min(1), backendSettings: egBackendSettings.optional() }),
      headersToExtAuth: z.array(z.string()).optional(),
      recomputeRoute: z.boolean().optional(),
      failOpen: z.boolean().optional(),
      timeout: gwDuration.optional(),
      statusOnError: z.number().int().min(400).max(599).optional(),
      // BodyToExtAuth (api/v1alpha1/ext_auth_types.go): no partial-message option.
      bodyToExtAuth: z.strictObject({ maxRequestBytes: z.number().int().positive() }).optional(),
    }),
  }),
});

const clientTrafficPolicy = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('ClientTrafficPolicy'),
  metadata,
  spec: z.strictObject({
    targetRefs: z.array(policyTargetRef).min(1),
    headers: z.strictObject({
      earlyRequestHeaders: z.strictObject({
        remove: z.array(z.string()).optional(),
        set: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
        add: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
      }).optional(),
    }).optional(),
  }),
});

/** BackendTrafficPolicy: ClusterSettings inline for the clusters of the routes it targets. */
const backendTrafficPolicy = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('BackendTrafficPolicy'),
  metadata,
  spec: z.strictObject({ targetRefs: z.array(policyTargetRef).min(1), ...egClusterSettings }),
});

/** EnvoyProxy (v1.8 envoyproxy_types.go): only the bootstrap part (ProxyBootstrap). */
const envoyProxy = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('EnvoyProxy'),
  metadata,
  spec: z.strictObject({
    bootstrap: z.strictObject({
      type: z.enum(['Merge', 'Replace', 'JSONPatch']).optional(),
      value: z.string().optional(),
      jsonPatches: z.array(z.unknown()).optional(),
    }).refine((b) => ((b.type ?? 'Replace') === 'JSONPatch' ? (b.jsonPatches ?? []).length > 0 : b.value !== undefined), "provided bootstrap patch doesn't match the configured patch type").optional(),
  }),
});

/** Envoy Gateway's EnvoyPatchPolicy (JSONPatch on the generated xDS; needs enableEnvoyPatchPolicy). */
const envoyPatchPolicy = z.strictObject({
  apiVersion: z.literal('gateway.envoyproxy.io/v1alpha1'),
  kind: z.literal('EnvoyPatchPolicy'),
  metadata,
  spec: z.strictObject({
    targetRef: policyTargetRef,
    type: z.literal('JSONPatch'),
    priority: z.number().int().optional(),
    jsonPatches: z.array(z.strictObject({
      type: z.string().startsWith('type.googleapis.com/'),
      name: z.string().min(1),
      operation: z.strictObject({
        op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
        path: z.string().startsWith('/').optional(),
        jsonPath: z.string().optional(),
        from: z.string().optional(),
        value: z.unknown().optional(),
      }),
    })).min(1),
  }),
});

// ---- kustomize -----------------------------------------------------------------------------

export const kustomizationSchema = z.strictObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  namespace: name.optional(),
  resources: z.array(z.string()).min(1),
  patches: z.array(z.strictObject({ path: z.string() })).optional(),
  configMapGenerator: z.array(z.strictObject({
    name,
    behavior: z.enum(['create', 'replace', 'merge']).optional(),
    files: z.array(z.string()).min(1),
  })).optional(),
});

export type Kustomization = z.output<typeof kustomizationSchema>;

export const OBJECT_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'apps/v1/Deployment': deployment,
  'v1/Service': service,
  'v1/ConfigMap': configMap,
  'v1/Namespace': namespace,
  'v1/ServiceAccount': serviceAccount,
  'v1/PersistentVolumeClaim': pvc,
  'policy/v1/PodDisruptionBudget': pdb,
  'networking.istio.io/v1/Gateway': istioGateway,
  'networking.istio.io/v1/VirtualService': virtualService,
  'networking.istio.io/v1alpha3/EnvoyFilter': envoyFilter,
  'security.istio.io/v1/AuthorizationPolicy': authorizationPolicy,
  'networking.istio.io/v1/DestinationRule': destinationRule,
  'gateway.networking.k8s.io/v1/GatewayClass': gatewayClass,
  'gateway.networking.k8s.io/v1/Gateway': gateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': httpRoute,
  'gateway.envoyproxy.io/v1alpha1/HTTPRouteFilter': httpRouteFilter,
  'gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy': envoyExtensionPolicy,
  'gateway.envoyproxy.io/v1alpha1/SecurityPolicy': securityPolicy,
  'gateway.envoyproxy.io/v1alpha1/ClientTrafficPolicy': clientTrafficPolicy,
  'gateway.envoyproxy.io/v1alpha1/EnvoyPatchPolicy': envoyPatchPolicy,
  'gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy': backendTrafficPolicy,
  'gateway.envoyproxy.io/v1alpha1/EnvoyProxy': envoyProxy,
};

/** Kinds that live in a namespace (the others are cluster-scoped). */
export const CLUSTER_SCOPED = new Set(['Namespace', 'GatewayClass']);

export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
