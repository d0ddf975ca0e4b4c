/** The shared end-to-end routing suite (suites/routing-suite.ts) through Envoy's ext_authz filter (envoy/envoy-ext-authz.yaml). */
import { routingSuite } from './suites/routing-suite.js';

routingSuite('ext_authz');
