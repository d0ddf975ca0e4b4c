/** The shared end-to-end routing suite (suites/routing-suite.ts) through Envoy's ext_proc filter (envoy/envoy.yaml). */
import { routingSuite } from './suites/routing-suite.js';

routingSuite('ext_proc');
